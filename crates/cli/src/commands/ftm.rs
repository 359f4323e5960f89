//! `aleph ftm …`: stream tools over FollowTheMoney JSON lines.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use ftm::jsonl::{EntityReader, LineError, parse_line, write_entity};
use rayon::prelude::*;

use crate::io::{open_input, open_output};

#[derive(Subcommand)]
pub enum FtmCommand {
    /// Re-parse and clean every entity of a stream (like `ftm validate`).
    Validate(StreamArgs),
    /// Merge entity fragments that share an id (like `ftm aggregate`).
    Aggregate(StreamArgs),
    /// Sign entity ids and references with an HMAC key (like `ftm sign`).
    Sign {
        #[command(flatten)]
        stream: StreamArgs,
        /// The signing key (a collection's foreign_id in Aleph).
        #[arg(short, long)]
        signature: String,
    },
    /// Print FtM's `make_id` of each tab-separated line of standard input.
    MakeId {
        /// The first column of each line is the key prefix.
        #[arg(long)]
        prefix_column: bool,
    },
    /// Print the FollowTheMoney model as JSON (like `ftm dump-model`).
    DumpModel {
        /// Where to write the model; `-` is standard output.
        #[arg(short, long, default_value = "-")]
        outfile: PathBuf,
    },
}

#[derive(Args)]
pub struct StreamArgs {
    /// FtM JSON lines to read; `-` is standard input.
    #[arg(short, long, default_value = "-")]
    infile: PathBuf,
    /// Where to write; `-` is standard output.
    #[arg(short, long, default_value = "-")]
    outfile: PathBuf,
    /// Stop at the first bad line instead of reporting it and going on.
    #[arg(long)]
    strict: bool,
}

pub fn run(cmd: FtmCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        FtmCommand::Validate(args) => validate(&args),
        FtmCommand::Aggregate(args) => aggregate(&args),
        FtmCommand::Sign { stream, signature } => sign(&stream, &signature),
        FtmCommand::MakeId { prefix_column } => make_id(prefix_column),
        FtmCommand::DumpModel { outfile } => {
            let mut out = open_output(&outfile)?;
            serde_json::to_writer_pretty(&mut out, &ftm::model().to_json())?;
            out.write_all(b"\n")?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Lines parsed together on all cores; large enough to amortise the hand-off, small
/// enough to keep memory flat.
const BATCH_LINES: usize = 4096;

/// Counts bad lines and decides whether to go on.
struct Problems {
    strict: bool,
    count: u64,
}

impl Problems {
    /// Report a bad line; `Err` when the stream must stop.
    fn report(&mut self, err: &LineError) -> anyhow::Result<()> {
        self.count += 1;
        eprintln!("{err}");
        if self.strict {
            anyhow::bail!("stopping at the first bad line (--strict)");
        }
        Ok(())
    }

    fn exit_code(&self) -> ExitCode {
        if self.count > 0 {
            eprintln!("{} bad line(s) skipped", self.count);
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}

fn validate(args: &StreamArgs) -> anyhow::Result<ExitCode> {
    let mut reader = EntityReader::new(open_input(&args.infile)?, false);
    let mut out = open_output(&args.outfile)?;
    let mut problems = Problems {
        strict: args.strict,
        count: 0,
    };
    // Reading, cleaning and writing overlap: a thread reads the next batches of lines
    // while the cores clean this one; the output keeps the input's order.
    let (batches, received) = std::sync::mpsc::sync_channel::<io::Result<Vec<(u64, Vec<u8>)>>>(2);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            loop {
                let mut batch = Vec::with_capacity(BATCH_LINES);
                let mut error = None;
                while batch.len() < BATCH_LINES {
                    match reader.next_line() {
                        Ok(Some((line, bytes))) => batch.push((line, bytes.to_vec())),
                        Ok(None) => break,
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                let last = batch.len() < BATCH_LINES || error.is_some();
                if !batch.is_empty() && batches.send(Ok(batch)).is_err() {
                    return;
                }
                if let Some(e) = error {
                    let _ = batches.send(Err(e));
                }
                if last {
                    return;
                }
            }
        });
        for batch in received {
            let batch = batch.context("reading input")?;
            let results: Vec<Result<Vec<u8>, LineError>> = batch
                .par_iter()
                .map(|(line, bytes)| {
                    let mut entity = parse_line(*line, bytes, false)?;
                    entity.clean_again().map_err(|source| LineError::Entity {
                        line: *line,
                        source,
                    })?;
                    let mut buf = Vec::with_capacity(bytes.len());
                    write_entity(&mut buf, &entity)
                        .map_err(|_| LineError::MissingId { line: *line })?;
                    Ok(buf)
                })
                .collect();
            for result in results {
                match result {
                    Ok(buf) => write_or_stop(&mut out, &buf)?,
                    Err(err) => problems.report(&err)?,
                }
            }
        }
        Ok::<_, anyhow::Error>(())
    })?;
    finish(&mut out)?;
    Ok(problems.exit_code())
}

fn sign(args: &StreamArgs, key: &str) -> anyhow::Result<ExitCode> {
    let namespace = ftm::Namespace::new(key);
    let reader = EntityReader::new(open_input(&args.infile)?, true);
    let mut out = open_output(&args.outfile)?;
    let mut problems = Problems {
        strict: args.strict,
        count: 0,
    };
    for item in reader {
        match item.context("reading input")? {
            Ok(entity) => {
                let signed = namespace.apply(&entity)?;
                let mut buf = Vec::new();
                write_entity(&mut buf, &signed)?;
                write_or_stop(&mut out, &buf)?;
            }
            Err(err) => problems.report(&err)?,
        }
    }
    finish(&mut out)?;
    Ok(problems.exit_code())
}

fn make_id(prefix_column: bool) -> anyhow::Result<ExitCode> {
    use std::io::BufRead;
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout());
    for line in stdin.lock().lines() {
        let line = line.context("reading standard input")?;
        let mut parts: Vec<&str> = line.split('\t').collect();
        let prefix = if prefix_column && !parts.is_empty() {
            Some(parts.remove(0)).filter(|p| !p.is_empty())
        } else {
            None
        };
        let id = ftm::make_id(prefix, &parts).unwrap_or_default();
        write_or_stop(&mut out, format!("{id}\n").as_bytes())?;
    }
    finish(&mut out)?;
    Ok(ExitCode::SUCCESS)
}

fn aggregate(args: &StreamArgs) -> anyhow::Result<ExitCode> {
    let reader = EntityReader::new(open_input(&args.infile)?, true);
    let mut out = open_output(&args.outfile)?;
    let mut problems = Problems {
        strict: args.strict,
        count: 0,
    };
    // In memory, like `ftm aggregate`: output order is the order ids were first seen.
    let mut order: Vec<String> = Vec::new();
    let mut merged: std::collections::HashMap<String, ftm::Entity> = Default::default();
    for item in reader {
        let entity = match item.context("reading input")? {
            Ok(e) => e,
            Err(err) => {
                problems.report(&err)?;
                continue;
            }
        };
        let Some(id) = entity.id().map(str::to_string) else {
            problems.report(&LineError::MissingId { line: 0 })?;
            continue;
        };
        match merged.get_mut(&id) {
            Some(existing) => {
                if let Err(err) = existing.merge(&entity) {
                    eprintln!("{err}");
                    problems.count += 1;
                    if args.strict {
                        anyhow::bail!("stopping at the first bad entity (--strict)");
                    }
                }
            }
            None => {
                order.push(id.clone());
                merged.insert(id, entity);
            }
        }
    }
    for id in order {
        if let Some(entity) = merged.remove(&id) {
            let mut buf = Vec::new();
            write_entity(&mut buf, &entity)?;
            write_or_stop(&mut out, &buf)?;
        }
    }
    finish(&mut out)?;
    Ok(problems.exit_code())
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
