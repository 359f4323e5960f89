//! `aleph map`: run an FtM mapping file over its CSV files or database tables and write the
//! entities as FtM JSON lines, like `ftm map` (same ids, same signatures, same values).
//!
//! Records are read in order and mapped in parallel batches; the output keeps the input
//! order. Values the types refuse and entities without an id are reported on standard
//! error, as FtM logs them.

mod load;
mod sources;
mod sql;
mod values;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use ftm::Namespace;
use ftm::jsonl::write_entity;
use ftm::mapping::{MapWarning, MappingFile, QueryMapping, SourceSpec};
use rayon::prelude::*;

use super::serve::DataArgs;
use crate::io::open_output;

/// Records mapped together on all cores.
const BATCH: usize = 2048;

#[derive(Args)]
pub struct MapArgs {
    /// The mapping file (YAML or JSON), as `ftm map` reads it.
    mapping: PathBuf,
    /// Where to write FtM JSON lines; `-` is standard output.
    #[arg(short, long, default_value = "-")]
    outfile: PathBuf,
    /// Use this dataset name instead of the mapping's (it salts the ids, keys the
    /// signatures and is written in `datasets`).
    #[arg(short, long)]
    dataset: Option<String>,
    /// Leave the ids unsigned.
    #[arg(long)]
    no_sign: bool,
    /// Sign the ids with the dataset name (the default, as in `ftm map`).
    #[arg(long, conflicts_with = "no_sign")]
    sign: bool,
    /// Do not print each dropped value or skipped entity, only their numbers.
    #[arg(short, long)]
    quiet: bool,
    /// Load the entities into this collection of the data directory (created if missing)
    /// instead of writing them out. They are signed with the collection's namespace, and
    /// running the same mapping again replaces what it wrote before.
    #[arg(short = 'f', long, conflicts_with_all = ["outfile", "no_sign", "sign"])]
    foreign_id: Option<String>,
    /// Label of the collection when `--foreign-id` creates it.
    #[arg(long, requires = "foreign_id")]
    label: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

/// What one run did, for the closing summary.
#[derive(Default)]
struct Tally {
    records: u64,
    entities: u64,
    discarded: u64,
    skipped: u64,
}

pub fn run(args: MapArgs) -> anyhow::Result<ExitCode> {
    if args.foreign_id.is_some() {
        return load::run(args);
    }
    let file = MappingFile::load(&args.mapping)?;
    let mut out = open_output(&args.outfile)?;
    let mut tally = Tally::default();
    let mut stderr = io::BufWriter::new(io::stderr().lock());
    for dataset in &file.datasets {
        let name = args.dataset.as_deref().unwrap_or(&dataset.name);
        let namespace = (!args.no_sign).then(|| Namespace::new(name));
        for config in &dataset.queries {
            let query = QueryMapping::new(config, Some(name), Some(name))
                .with_context(|| format!("{}", args.mapping.display()))?;
            run_query(
                &query,
                namespace.as_ref(),
                &mut out,
                &mut stderr,
                args.quiet,
                &mut tally,
            )?;
        }
    }
    finish(&mut out)?;
    stderr.flush()?;
    tracing::info!(
        records = tally.records,
        entities = tally.entities,
        discarded_values = tally.discarded,
        skipped_entities = tally.skipped,
        "mapping done"
    );
    Ok(ExitCode::SUCCESS)
}

/// The JSON lines and warnings of one record.
type Mapped = Result<(Vec<u8>, u64, Vec<MapWarning>), String>;

fn map_record(
    query: &QueryMapping,
    namespace: Option<&Namespace>,
    filter: bool,
    record: &ftm::mapping::Record,
) -> Mapped {
    let mut warnings = Vec::new();
    // About one kilobyte per record: the register rows of the benchmark write 1.2 KB.
    let mut buf = Vec::with_capacity(1024);
    if filter && !query.check_filters(record) {
        return Ok((buf, 0, warnings));
    }
    let entities = query.map(record, &mut |w| warnings.push(w));
    let count = entities.len() as u64;
    // The relationships of a record refer to the entities mapped just before them: their
    // ids are signed once and the signatures reused.
    let mut signed_ids: Vec<(String, String)> = Vec::new();
    for mut entity in entities {
        if let Some(ns) = namespace {
            if let Some(id) = entity.id()
                && Namespace::parse(id).is_none()
            {
                return Err(format!(
                    "the id {id:?} of a {} is not a valid entity id (letters, digits, \
                     dots and dashes) and cannot be signed; clean the id column or use \
                     --no-sign",
                    entity.schema().name()
                ));
            }
            ns.apply_in_place(&mut entity, &mut |id| {
                if let Some((_, signed)) = signed_ids.iter().find(|(plain, _)| plain == id) {
                    return Some(signed.clone());
                }
                let signed = ns.sign(id)?;
                signed_ids.push((id.to_string(), signed.clone()));
                Some(signed)
            });
        }
        write_entity(&mut buf, &entity).map_err(|e| e.to_string())?;
    }
    Ok((buf, count, warnings))
}

fn run_query(
    query: &QueryMapping,
    namespace: Option<&Namespace>,
    out: &mut dyn Write,
    stderr: &mut dyn Write,
    quiet: bool,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    // SQL sources filter in the query; CSV records are filtered here.
    let filter = matches!(query.source(), SourceSpec::Csv { .. });
    let mut records = sources::open(query)?;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        for record in records.by_ref().take(BATCH) {
            batch.push(record?);
        }
        if batch.is_empty() {
            return Ok(());
        }
        tally.records += batch.len() as u64;
        let results: Vec<Mapped> = batch
            .par_iter()
            .map(|record| map_record(query, namespace, filter, record))
            .collect();
        for result in results {
            let (buf, count, warnings) = result.map_err(anyhow::Error::msg)?;
            tally.entities += count;
            for warning in warnings {
                match warning {
                    MapWarning::Discarded { .. } => tally.discarded += 1,
                    _ => tally.skipped += 1,
                }
                if !quiet {
                    writeln!(stderr, "{warning}")?;
                }
            }
            write_or_stop(out, &buf)?;
        }
    }
}

/// A closed pipe downstream (`| head`) ends the command quietly.
fn write_or_stop(out: &mut dyn Write, buf: &[u8]) -> anyhow::Result<()> {
    match out.write_all(buf) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

fn finish(out: &mut dyn Write) -> anyhow::Result<()> {
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
