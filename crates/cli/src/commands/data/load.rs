//! `aleph load-entities`: FtM JSON lines into a collection's store and index, in flat
//! memory and resumable.
//!
//! Three stages overlap: a reader thread reads a batch of lines and parses and cleans it
//! on every core, while the store writes the previous batch and the index takes the one
//! before. The index is committed every `--commit-every` entities; after each commit the
//! byte offset of the input up to which everything is stored and indexed goes into a
//! checkpoint in the data directory, so that a rerun of the same file after a crash
//! continues from there (the batches after it are written again, which is idempotent).
//!
//! A load that starts on an empty collection makes the index documents from the entities
//! it writes: nothing else holds fragments of them, so reading the merged entities back
//! from the store would give the same thing at twice the cost. Otherwise the index is
//! brought in line from the store, as every other writer does. Saved searches (alerts)
//! are matched against the entities of each commit, as for the shared write path.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ftm::Entity;
use index::IndexDoc;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use server::services::entities::{self as write, WriteOptions};
use store::Collection;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{LoadArgs, ensure_collection};
use crate::io::open_input;

const ORIGIN: &str = "load";
/// Writer memory of the index during a load: enough for large segments, small enough to
/// keep the whole load under 1 GB.
const INDEX_HEAP: usize = 192 << 20;
/// Parsed batches waiting for the store: bounds the memory the reader can run ahead with.
const QUEUED_BATCHES: usize = 2;

/// How far a load of one file got: everything before `offset` is stored and indexed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    file: PathBuf,
    size: u64,
    modified: i64,
    offset: u64,
    line: u64,
    loaded: u64,
    bad: u64,
    /// The load began on an empty collection (see the module doc).
    fresh: bool,
}

/// What identifies the input file: a checkpoint of another file (or of the same path
/// rewritten) is not resumed.
fn identity(path: &Path) -> Option<(PathBuf, u64, i64)> {
    if path.as_os_str() == "-" {
        return None;
    }
    let full = std::fs::canonicalize(path).ok()?;
    let meta = std::fs::metadata(&full).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    Some((full, meta.len(), modified))
}

fn checkpoint_path(data_dir: &Path, collection_id: i64) -> PathBuf {
    data_dir
        .join("checkpoints")
        .join(format!("load-{collection_id}.json"))
}

fn read_checkpoint(path: &Path) -> Option<Checkpoint> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Written to a side file and renamed, so a crash leaves the old or the new checkpoint.
fn save_checkpoint(path: &Path, checkpoint: &Checkpoint) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(checkpoint)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// One batch of the input, parsed.
struct Batch {
    entities: Vec<Entity>,
    errors: Vec<String>,
    /// The input offset and line number just after the batch.
    offset: u64,
    line: u64,
}

/// Read, parse and clean batches on a thread of its own (parsing on the rayon pool) and
/// hand them over in order.
fn spawn_reader(
    mut input: Box<dyn BufRead + Send>,
    start: (u64, u64),
    batch_size: usize,
    collection: Collection,
    clean: bool,
    tx: mpsc::Sender<anyhow::Result<Batch>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let opts = WriteOptions {
            origin: ORIGIN,
            clean,
            safe: false,
            sign_references: true,
        };
        let (mut offset, mut line) = start;
        loop {
            let mut lines: Vec<(u64, Vec<u8>)> = Vec::with_capacity(batch_size);
            while lines.len() < batch_size {
                let mut buf = Vec::new();
                match input.read_until(b'\n', &mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        offset += n as u64;
                        line += 1;
                        if !buf.trim_ascii().is_empty() {
                            lines.push((line, buf));
                        }
                    }
                    Err(e) => {
                        let _ =
                            tx.blocking_send(Err(anyhow::Error::new(e).context("reading input")));
                        return;
                    }
                }
            }
            if lines.is_empty() {
                return;
            }
            let parsed: Vec<Result<Entity, String>> = lines
                .par_iter()
                .map(|(n, bytes)| {
                    let value: serde_json::Value = serde_json::from_slice(bytes)
                        .map_err(|e| format!("line {n}: invalid JSON: {e}"))?;
                    write::prepare(&collection, value, &opts, *n as usize)
                        .map_err(|e| format!("line {n}: {}", e.message))
                })
                .collect();
            drop(lines);
            let mut batch = Batch {
                entities: Vec::with_capacity(parsed.len()),
                errors: Vec::new(),
                offset,
                line,
            };
            for item in parsed {
                match item {
                    Ok(e) => batch.entities.push(e),
                    Err(msg) => batch.errors.push(msg),
                }
            }
            if tx.blocking_send(Ok(batch)).is_err() {
                return;
            }
        }
    })
}

/// The index documents of a batch written into an empty collection: the last entity of
/// each id, as the store keeps it.
fn fresh_docs(entities: Vec<Entity>, collection_id: i64) -> Vec<IndexDoc> {
    let mut seen = HashSet::with_capacity(entities.len());
    let mut docs: Vec<IndexDoc> = entities
        .into_iter()
        .rev()
        .filter(|e| e.id().is_some_and(|id| seen.insert(id.to_string())))
        .map(|e| {
            let mut doc = IndexDoc::new(e, collection_id);
            doc.origin = vec![ORIGIN.to_string()];
            doc
        })
        .collect();
    docs.reverse();
    docs
}

/// What the index does with one batch.
enum IndexWork {
    /// A fresh collection: documents made from the entities, those whose ids this run
    /// has not indexed yet apart from the ones to replace.
    Docs {
        new: Vec<IndexDoc>,
        again: Vec<IndexDoc>,
    },
    /// Otherwise the index is brought in line with the store for these ids.
    FromStore(Vec<String>),
}

/// The ids this run gave the index so far, as 64-bit hashes (16 bytes an entity rather
/// than the ids themselves). Only kept while the index is known to hold nothing of the
/// collection but this run's documents: then an unseen id can be added without deleting
/// an earlier version, which saves a term lookup per entity in every segment at each
/// commit. A hash collision only costs a needless delete.
#[derive(Default)]
struct IndexedIds {
    hashes: HashSet<u64>,
    hasher: std::hash::RandomState,
}

impl IndexedIds {
    /// Splits `docs` into those never indexed in this run and those to replace.
    fn split(&mut self, docs: Vec<IndexDoc>) -> (Vec<IndexDoc>, Vec<IndexDoc>) {
        use std::hash::BuildHasher;
        docs.into_iter().partition(|d| {
            let id = d.entity.id().unwrap_or_default();
            self.hashes.insert(self.hasher.hash_one(id))
        })
    }
}

pub async fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let settings = server::Settings::from_env(Some(args.data.data_dir.clone()))?;
    let data_dir = settings.data_dir.clone();
    let state = server::open_with(settings, server::IndexMode::BulkWriter(INDEX_HEAP)).await?;
    let collection = ensure_collection(&state, &args.foreign_id, args.label.as_deref()).await?;
    let checkpoint_file = checkpoint_path(&data_dir, collection.id);
    let identity = identity(&args.file);
    let resumed = match (&identity, read_checkpoint(&checkpoint_file)) {
        (Some((file, size, modified)), Some(c))
            if c.file == *file && c.size == *size && c.modified == *modified =>
        {
            Some(c)
        }
        _ => None,
    };
    let mut input = open_input(&args.file)?;
    let mut checkpoint = match resumed {
        Some(c) => {
            // `open_input` reads a file through a buffer: seek the file itself.
            let mut file = std::fs::File::open(&c.file)
                .with_context(|| format!("cannot open {}", c.file.display()))?;
            file.seek(SeekFrom::Start(c.offset))?;
            input = Box::new(BufReader::with_capacity(1 << 20, file));
            eprintln!(
                "resuming at line {} ({} entities loaded before)",
                c.line + 1,
                c.loaded
            );
            c
        }
        None => {
            let (file, size, modified) = identity.clone().unwrap_or_default();
            Checkpoint {
                file,
                size,
                modified,
                offset: 0,
                line: 0,
                loaded: 0,
                bad: 0,
                fresh: state.store.count_entities(collection.id).await? == 0,
            }
        }
    };
    let alerts = state.store.list_alerts(None, 1, 0).await?.total > 0;
    // Documents go in without deletes only on a fresh start: after a resume the ids of
    // the entities before the checkpoint are not known.
    let mut indexed_ids = if checkpoint.fresh
        && checkpoint.offset == 0
        && !state
            .index
            .collection_counts(&index::ReadScope::All)
            .await?
            .contains_key(&collection.id)
    {
        Some(IndexedIds::default())
    } else {
        None
    };
    let batch_size = args.batch.max(1);
    let commit_every = args.commit_every.max(batch_size as u64);

    let (tx, mut rx) = mpsc::channel(QUEUED_BATCHES);
    let reader = spawn_reader(
        input,
        (checkpoint.offset, checkpoint.line),
        batch_size,
        collection.clone(),
        !args.cleaned,
        tx,
    );
    let progress = ProgressBar::new_spinner();
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} entities loaded ({per_sec}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    progress.set_position(checkpoint.loaded);
    let mut indexing: Option<JoinHandle<anyhow::Result<()>>> = None;
    let mut uncommitted = 0u64;
    let mut to_alert: Vec<String> = Vec::new();
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        for msg in &batch.errors {
            progress.suspend(|| eprintln!("{msg}"));
        }
        checkpoint.bad += batch.errors.len() as u64;
        state
            .store
            .put_fragments(collection.id, ORIGIN, &batch.entities)
            .await
            .context("writing to the store")?;
        // The index takes this batch while the store writes the next one.
        if let Some(previous) = indexing.take() {
            previous.await??;
        }
        if alerts {
            let mut seen = HashSet::with_capacity(batch.entities.len());
            to_alert.extend(
                batch
                    .entities
                    .iter()
                    .filter_map(|e| e.id())
                    .filter(|id| seen.insert(*id))
                    .map(str::to_string),
            );
        }
        let (store, index, cid, fresh) = (
            state.store.clone(),
            state.index.clone(),
            collection.id,
            checkpoint.fresh,
        );
        let written = batch.entities.len() as u64;
        let work = if fresh {
            let docs = fresh_docs(batch.entities, cid);
            let (new, again) = match indexed_ids.as_mut() {
                Some(seen) => seen.split(docs),
                None => (Vec::new(), docs),
            };
            IndexWork::Docs { new, again }
        } else {
            let ids: Vec<String> = batch
                .entities
                .iter()
                .filter_map(|e| e.id().map(str::to_string))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            IndexWork::FromStore(ids)
        };
        indexing = Some(tokio::spawn(async move {
            match work {
                IndexWork::Docs { new, again } => {
                    if !new.is_empty() {
                        index.index_new(new).await?;
                    }
                    if !again.is_empty() {
                        index.index(again).await?;
                    }
                }
                IndexWork::FromStore(ids) => {
                    write::sync_index(&store, &index, cid, &ids)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.message))?;
                }
            }
            Ok(())
        }));
        checkpoint.loaded += written;
        checkpoint.offset = batch.offset;
        checkpoint.line = batch.line;
        uncommitted += written;
        progress.set_position(checkpoint.loaded);
        if uncommitted >= commit_every {
            commit(&state, &mut indexing, collection.id, &mut to_alert).await?;
            if identity.is_some() {
                save_checkpoint(&checkpoint_file, &checkpoint)?;
            }
            uncommitted = 0;
        }
    }
    let _ = reader.join();
    commit(&state, &mut indexing, collection.id, &mut to_alert).await?;
    state.store.touch_collection(collection.id).await?;
    // Done: a rerun starts over (and, being idempotent, changes nothing).
    let _ = std::fs::remove_file(&checkpoint_file);
    progress.finish_and_clear();
    println!(
        "{} entities loaded into {} (id {}){}",
        checkpoint.loaded,
        collection.foreign_id,
        collection.id,
        if checkpoint.bad > 0 {
            format!(", {} bad lines skipped", checkpoint.bad)
        } else {
            String::new()
        }
    );
    Ok(if checkpoint.bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Wait for the index, commit it, and run the alerts on what the commit made searchable.
async fn commit(
    state: &server::AppState,
    indexing: &mut Option<JoinHandle<anyhow::Result<()>>>,
    collection_id: i64,
    to_alert: &mut Vec<String>,
) -> anyhow::Result<()> {
    if let Some(previous) = indexing.take() {
        previous.await??;
    }
    state.index.commit().await?;
    if !to_alert.is_empty() {
        server::services::alerts::after_index(
            &state.store,
            &state.index,
            collection_id,
            &std::mem::take(to_alert),
        )
        .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_docs_keep_the_last_entity_of_each_id() {
        let make = |id: &str, name: &str| {
            Entity::from_json(
                serde_json::json!({"id": id, "schema": "Person", "properties": {"name": [name]}}),
                false,
            )
            .unwrap()
        };
        let docs = fresh_docs(vec![make("a", "A1"), make("b", "B"), make("a", "A2")], 7);
        let names: Vec<(String, String)> = docs
            .iter()
            .map(|d| {
                (
                    d.entity.id().unwrap().to_string(),
                    d.entity.get("name")[0].clone(),
                )
            })
            .collect();
        assert_eq!(names, [("b".into(), "B".into()), ("a".into(), "A2".into())]);
        assert!(
            docs.iter()
                .all(|d| d.collection_id == 7 && d.origin == ["load"])
        );
    }

    #[test]
    fn ids_indexed_before_are_replaced_the_others_added() {
        let make = |id: &str| {
            let e = Entity::from_json(
                serde_json::json!({"id": id, "schema": "Person", "properties": {"name": ["N"]}}),
                false,
            )
            .unwrap();
            IndexDoc::new(e, 1)
        };
        let ids = |docs: &[IndexDoc]| -> Vec<String> {
            docs.iter()
                .map(|d| d.entity.id().unwrap().to_string())
                .collect()
        };
        let mut seen = IndexedIds::default();
        let (new, again) = seen.split(vec![make("a"), make("b")]);
        assert_eq!(
            (ids(&new), ids(&again)),
            (vec!["a".into(), "b".into()], vec![])
        );
        let (new, again) = seen.split(vec![make("c"), make("a")]);
        assert_eq!(
            (ids(&new), ids(&again)),
            (vec!["c".into()], vec!["a".into()])
        );
    }

    #[test]
    fn checkpoints_round_trip_and_name_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.json");
        std::fs::write(&input, b"{}\n").unwrap();
        let (file, size, modified) = identity(&input).unwrap();
        assert_eq!(size, 3);
        assert!(identity(Path::new("-")).is_none());
        let c = Checkpoint {
            file,
            size,
            modified,
            offset: 3,
            line: 1,
            loaded: 1,
            bad: 0,
            fresh: true,
        };
        let path = checkpoint_path(dir.path(), 5);
        save_checkpoint(&path, &c).unwrap();
        assert_eq!(read_checkpoint(&path), Some(c));
    }
}
