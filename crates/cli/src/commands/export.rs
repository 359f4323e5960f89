//! `aleph export FORMAT`: an FtM JSON-lines stream out as FtM JSON lines, CSV (a folder or a
//! zip of one file per schema), Excel, Cypher, Neo4j bulk-import CSV, GEXF or RDF, like
//! the `ftm export-*` commands. Every format streams: memory does not grow with the input
//! (see `ftm::export` for the one bookkeeping set and the on-disk sort of GEXF). `zip`
//! instead exports a collection of the data directory as Aleph's search export does.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use ftm::Entity;
use ftm::export::csv::CsvExporter;
use ftm::export::cypher::CypherExporter;
use ftm::export::excel::ExcelExporter;
use ftm::export::gexf::GexfExporter;
use ftm::export::neo4j::Neo4jExporter;
use ftm::export::rdf::RdfExporter;
use ftm::export::{EdgeTypes, ExportError, Exporter};
use ftm::jsonl::{EntityReader, LineError, parse_line, write_entity};
use rayon::prelude::*;

use crate::io::{open_input, open_output};

mod search_zip;

/// Lines parsed together on all cores.
const BATCH_LINES: usize = 4096;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// FtM JSON lines (each entity re-read and written in FtM's key order).
    Json(OutFile),
    /// One CSV file per schema with every property (like `ftm export-csv`); into a folder,
    /// or a zip file when the output ends in `.zip`.
    Csv(OutPath),
    /// An Excel workbook, one sheet per schema (like `ftm export-excel`).
    Excel(OutPath),
    /// Cypher statements for Neo4j (like `ftm export-cypher`).
    Cypher {
        #[command(flatten)]
        io: OutFile,
        #[command(flatten)]
        graph: GraphArgs,
        /// Every entity id occurs once in the input (e.g. after `aleph ftm aggregate`):
        /// do not remember the written nodes, so memory stays constant on any input.
        #[arg(long)]
        unique_ids: bool,
    },
    /// Neo4j bulk-import CSV files and a `neo4j_import.sh` (like `ftm export-neo4j-bulk`).
    Neo4jBulk {
        #[command(flatten)]
        io: OutPath,
        #[command(flatten)]
        graph: GraphArgs,
    },
    /// GEXF for Gephi (like `ftm export-gexf`).
    Gexf {
        #[command(flatten)]
        io: OutFile,
        #[command(flatten)]
        graph: GraphArgs,
    },
    /// A collection's search results as Aleph's search export zip: a workbook with a sheet
    /// per schema, the documents' original files and a manifest (reads the data directory).
    Zip(search_zip::ZipArgs),
    /// RDF N-Triples (like `ftm export-rdf`).
    Rdf {
        #[command(flatten)]
        io: OutFile,
        /// Bare property names as predicates, and no captions.
        #[arg(long)]
        unqualified: bool,
    },
}

#[derive(Args)]
pub struct InArgs {
    /// FtM JSON lines to read; `-` is standard input.
    #[arg(short, long, default_value = "-")]
    infile: PathBuf,
    /// Stop at the first bad line instead of reporting it and going on.
    #[arg(long)]
    strict: bool,
}

/// A stream export: one output file.
#[derive(Args)]
pub struct OutFile {
    #[command(flatten)]
    input: InArgs,
    /// Where to write; `-` is standard output.
    #[arg(short, long, default_value = "-")]
    outfile: PathBuf,
}

/// An export to a file or folder that must be named.
#[derive(Args)]
pub struct OutPath {
    #[command(flatten)]
    input: InArgs,
    /// The output file or folder.
    #[arg(short, long)]
    outfile: PathBuf,
}

#[derive(Args)]
pub struct GraphArgs {
    /// Property types whose values become nodes of their own (repeatable): address,
    /// checksum, country, date, email, entity, identifier, ip, name, phone, url. Default:
    /// entity.
    #[arg(short, long = "edge-types")]
    edge_types: Vec<String>,
    /// Folder for temporary files (GEXF sorts on disk); default: the system's.
    #[arg(long)]
    tmp_dir: Option<PathBuf>,
}

impl GraphArgs {
    fn edge_types(&self) -> anyhow::Result<EdgeTypes> {
        EdgeTypes::from_names(&self.edge_types).map_err(anyhow::Error::msg)
    }
}

/// Writes entities back as FtM JSON lines.
struct JsonExporter<W: Write>(W);

impl<W: Write> Exporter for JsonExporter<W> {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError> {
        Ok(write_entity(&mut self.0, entity)?)
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        Ok(self.0.flush()?)
    }
}

pub fn run(cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ExportCommand::Json(io) => {
            let exporter = JsonExporter(open_output(&io.outfile)?);
            stream(&io.input, exporter)
        }
        ExportCommand::Csv(io) => export_csv(&io),
        ExportCommand::Excel(io) => {
            let exporter = ExcelExporter::new(&io.outfile, None)?;
            stream(&io.input, exporter)
        }
        ExportCommand::Cypher {
            io,
            graph,
            unique_ids,
        } => {
            let exporter =
                CypherExporter::new(open_output(&io.outfile)?, graph.edge_types()?, unique_ids);
            stream(&io.input, exporter)
        }
        ExportCommand::Neo4jBulk { io, graph } => {
            let exporter = Neo4jExporter::new(&io.outfile, graph.edge_types()?)?;
            stream(&io.input, exporter)
        }
        ExportCommand::Gexf { io, graph } => {
            let exporter = GexfExporter::new(
                open_output(&io.outfile)?,
                graph.edge_types()?,
                graph.tmp_dir.as_deref(),
            )?;
            stream(&io.input, exporter)
        }
        ExportCommand::Zip(args) => search_zip::run(args),
        ExportCommand::Rdf { io, unqualified } => {
            let exporter = RdfExporter::new(open_output(&io.outfile)?, !unqualified);
            stream(&io.input, exporter)
        }
    }
}

fn export_csv(io: &OutPath) -> anyhow::Result<ExitCode> {
    let zipped = io
        .outfile
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !zipped {
        return stream(&io.input, CsvExporter::new(&io.outfile)?);
    }
    // The per-schema files grow side by side, so they are written apart and zipped last.
    let parent = io
        .outfile
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".csv-export-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a temporary folder in {}", parent.display()))?;
    let mut exporter = CsvExporter::new(tmp.path())?;
    let code = stream_into(&io.input, &mut exporter)?;
    let file = File::create(&io.outfile)
        .with_context(|| format!("cannot create {}", io.outfile.display()))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for path in exporter.files() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        zip.start_file(name, options)?;
        io::copy(&mut File::open(&path)?, &mut zip)?;
    }
    zip.finish()?.flush()?;
    Ok(code)
}

fn stream(input: &InArgs, mut exporter: impl Exporter) -> anyhow::Result<ExitCode> {
    stream_into(input, &mut exporter)
}

/// Read the input in parallel batches and hand the entities to the exporter in order.
fn stream_into(input: &InArgs, exporter: &mut dyn Exporter) -> anyhow::Result<ExitCode> {
    let mut reader = EntityReader::new(open_input(&input.infile)?, true);
    let mut bad_lines = 0u64;
    let mut batch: Vec<(u64, Vec<u8>)> = Vec::with_capacity(BATCH_LINES);
    loop {
        batch.clear();
        while batch.len() < BATCH_LINES {
            match reader.next_line().context("reading input")? {
                Some((line, bytes)) => batch.push((line, bytes.to_vec())),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        let parsed: Vec<Result<Entity, LineError>> = batch
            .par_iter()
            .map(|(line, bytes)| parse_line(*line, bytes, true))
            .collect();
        for result in parsed {
            match result {
                Ok(entity) => match exporter.write(&entity) {
                    Err(ExportError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                        std::process::exit(0)
                    }
                    other => other?,
                },
                Err(err) => {
                    bad_lines += 1;
                    eprintln!("{err}");
                    if input.strict {
                        anyhow::bail!("stopping at the first bad line (--strict)");
                    }
                }
            }
        }
    }
    match exporter.finish() {
        Err(ExportError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if bad_lines > 0 {
        eprintln!("{bad_lines} bad line(s) skipped");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
