//! Deleting a collection: a background job that takes it out of the index, the archive
//! and the store, batch by batch, with its progress on the status page.
//!
//! `DELETE /api/2/collections/{id}` only retires the collection ([`store::Store::retire_collection`]):
//! from that request on it is in no listing, readable set or search (administrators'
//! searches are limited to live collections while a purge runs), its foreign id is free,
//! and a [`STAGE`] job is queued. A worker that writes the index runs [`run_job`]:
//!
//! 1. the index: the collection's documents are streamed and deleted in batches, each
//!    committed, with an optional pause between batches so that a large purge leaves room
//!    for searches, and progress reported after every batch;
//! 2. the archive: the collection's blob references are released in bounded
//!    transactions ([`store::Store::release_collection_blobs`]), and every blob left
//!    without a reference (uploads, derived PDFs and CSVs, archive members, exports) is
//!    removed; marks a stopped purge left behind are settled first;
//! 3. the store: rows are deleted in bounded transactions, table by table, the collection
//!    row last (which removes the job row too).
//!
//! Emptying a collection that stays (`keep_metadata`) is still done in the request
//! (`DeleteMode::Contents`, then [`purge_index`]): a background flush would have to spare
//! whatever is uploaded after the request, in every table and in the index, which needs
//! a cut-off this job does not have yet. Its `file_refs` stay with the live collection,
//! so its blobs are kept (never lost) until the collection itself is deleted.
//!
//! Every step only goes forward and can be repeated, so a worker killed anywhere leaves
//! work the next attempt (the lease runs out, the job is queued again) finishes.
//! Progress is in `GET /api/2/status` for administrators and for the user who deleted the
//! collection ([`deletions`]), in the log, and in the `aleph_index_purge_remaining` gauge.

use std::time::Duration;

use index::{IndexError, ReadScope, SearchIndex, SearchQuery};
use serde_json::{Value, json};
use store::{Job, JobFilter, JobOutcome, JobState, PurgeStep, Stage, Store};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::serialize::datetime;
use crate::state::AppState;

/// The job stage of a collection's purge.
pub const STAGE: &str = store::PURGE_STAGE;
/// Store rows deleted per transaction unless configured (`ALEPH_PURGE_ROW_BATCH`).
pub const DEFAULT_ROW_BATCH: u32 = 2000;
/// Blobs removed from the archive before their marks are dropped at once: a writer
/// waiting for one of them waits for at most this many deletions.
const FORGET_CHUNK: usize = 64;
/// A mark older than this was left by a purge that stopped (a running one drops its marks
/// within a chunk of deletions); the next purge decides it again.
pub const STALE_MARK: Duration = Duration::from_secs(600);
/// How long a writer waits for a marked blob to leave the archive (well under
/// [`STALE_MARK`], so that a writer that gave up on a stopped purge's mark has its
/// reference seen when the mark is decided again).
pub const WRITER_WAIT: Duration = Duration::from_secs(60);
const WRITER_POLL: Duration = Duration::from_millis(100);

/// Documents deleted per batch unless configured (`ALEPH_INDEX_DELETE_BATCH`).
pub const DEFAULT_BATCH: usize = 5000;

/// How a purge paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeOptions {
    /// Documents deleted and committed at once (at least 1).
    pub batch: usize,
    /// Wait between batches (`ALEPH_INDEX_DELETE_PAUSE_MS`), to leave the index time for
    /// searches and merges.
    pub pause: Duration,
    /// Store rows deleted per transaction (at least 1).
    pub rows: u32,
}

impl Default for PurgeOptions {
    fn default() -> Self {
        PurgeOptions {
            batch: DEFAULT_BATCH,
            pause: Duration::ZERO,
            rows: DEFAULT_ROW_BATCH,
        }
    }
}

impl PurgeOptions {
    /// The defaults with the environment's overrides.
    pub fn from_env() -> PurgeOptions {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let mut options = PurgeOptions::default();
        if let Some(batch) = var("ALEPH_INDEX_DELETE_BATCH") {
            options.batch = usize::try_from(batch).unwrap_or(DEFAULT_BATCH).max(1);
        }
        if let Some(ms) = var("ALEPH_INDEX_DELETE_PAUSE_MS") {
            options.pause = Duration::from_millis(ms);
        }
        if let Some(rows) = var("ALEPH_PURGE_ROW_BATCH") {
            options.rows = u32::try_from(rows).unwrap_or(DEFAULT_ROW_BATCH).max(1);
        }
        options
    }
}

/// How far a purge has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeProgress {
    pub removed: u64,
    /// The collection's documents when the purge started.
    pub total: u64,
}

/// Delete every indexed document of a collection, calling `report` after each batch.
/// Only for collections nobody writes to any more (deleted, or flushed while writes
/// wait): the final sweep removes whatever the collection holds at the end.
pub async fn purge_collection(
    index: &dyn SearchIndex,
    collection_id: i64,
    options: &PurgeOptions,
    mut report: impl FnMut(PurgeProgress),
) -> Result<PurgeProgress, IndexError> {
    let batch = options.batch.max(1);
    let scope = ReadScope::collections([collection_id]);
    let query = SearchQuery::default();
    let mut progress = PurgeProgress {
        removed: 0,
        total: index.count(&scope, &query).await?,
    };
    let mut ids = index.stream_ids(&scope, &query).await?;
    let mut pending: Vec<String> = Vec::with_capacity(batch);
    let mut first = true;
    loop {
        let more = ids.next_batch().await.transpose()?;
        let done = more.is_none();
        pending.extend(more.unwrap_or_default());
        while pending.len() >= batch || (done && !pending.is_empty()) {
            let take = pending.len().min(batch);
            let chunk: Vec<String> = pending.drain(..take).collect();
            if !first && !options.pause.is_zero() {
                tokio::time::sleep(options.pause).await;
            }
            first = false;
            index.delete_entities(chunk).await?;
            index.commit().await?;
            progress.removed += take as u64;
            report(progress);
        }
        if done {
            break;
        }
    }
    index.delete_collection(collection_id).await?;
    index.commit().await?;
    Ok(progress)
}

/// Why a purge stopped before the end; the job is retried.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("index: {0}")]
    Index(#[from] IndexError),
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    #[error("archive: {0}")]
    Archive(#[from] archive::ArchiveError),
}

/// What a finished purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeReport {
    pub index_documents: u64,
    pub blobs: u64,
    pub rows: u64,
}

/// Run a claimed purge job. `None` when the purge finished: the job row went with the
/// collection, so there is nothing to record.
pub async fn run_job(state: &AppState, job: &Job) -> Option<JobOutcome> {
    let options = PurgeOptions::from_env();
    match purge_deleted(&*state.store, &*state.index, &*state.archive, job, &options).await {
        Ok(report) => {
            tracing::info!(
                "collection {} purged: {} index documents, {} blobs, {} rows",
                job.collection_id,
                report.index_documents,
                report.blobs,
                report.rows
            );
            None
        }
        Err(e) => {
            tracing::warn!("purging collection {} stopped: {e}", job.collection_id);
            Some(JobOutcome::Failed {
                class: "purge".into(),
                message: e.to_string(),
                retry: true,
                processor_version: None,
            })
        }
    }
}

/// Remove everything of the deleted collection of `job`: index, blobs, rows.
pub async fn purge_deleted(
    store: &dyn Store,
    index: &dyn SearchIndex,
    archive: &dyn archive::Archive,
    job: &Job,
    options: &PurgeOptions,
) -> Result<PurgeReport, PurgeError> {
    let id = job.collection_id;
    let mut report = PurgeReport {
        index_documents: purge_index(index, id, options).await?.removed,
        ..PurgeReport::default()
    };
    // What an earlier attempt marked and did not delete, then any stale marks.
    report.blobs += settle_marks(store, archive, store::MarkScope::Collection(id)).await?;
    report.blobs += settle_stale_marks(store, archive).await?;
    let mut released = 0;
    loop {
        let step = store.release_collection_blobs(id, options.rows).await?;
        if step.released == 0 {
            break;
        }
        released += step.released;
        report.blobs += delete_marked(store, archive, &step.unreferenced).await?;
    }
    tracing::info!(
        "collection {id}: {} blobs removed from the archive ({released} references released)",
        report.blobs,
    );
    let mut first = true;
    loop {
        if !first && !options.pause.is_zero() {
            tokio::time::sleep(options.pause).await;
        }
        first = false;
        match store
            .purge_collection_batch(id, job.id, options.rows)
            .await?
        {
            PurgeStep::Removed { table, rows } => {
                report.rows += rows;
                tracing::debug!("collection {id}: {rows} rows of {} removed", table.as_str());
            }
            PurgeStep::Finished => break,
        }
    }
    // Anything an index job wrote while the rows went (its job was cancelled, but may
    // have been running).
    index.delete_collection(id).await?;
    index.commit().await?;
    Ok(report)
}

/// Remove marked blobs from the archive, dropping their marks a chunk at a time (only
/// after the blobs are gone: a writer waiting on a mark stores the blob again then).
pub async fn delete_marked(
    store: &dyn Store,
    archive: &dyn archive::Archive,
    hashes: &[String],
) -> Result<u64, PurgeError> {
    for chunk in hashes.chunks(FORGET_CHUNK) {
        for hash in chunk {
            archive.delete(hash).await?;
        }
        store.forget_blob_deletions(chunk).await?;
    }
    Ok(hashes.len() as u64)
}

/// Finish the deletions a stopped purge left: its marks are decided again, and the
/// blobs still unreferenced are removed. Returns how many.
pub async fn settle_marks(
    store: &dyn Store,
    archive: &dyn archive::Archive,
    scope: store::MarkScope,
) -> Result<u64, PurgeError> {
    const PAGE: u32 = 500;
    let mut removed = 0;
    loop {
        let left = store.blob_deletions(scope, PAGE).await?;
        let doomed = store.confirm_blob_deletions(&left).await?;
        removed += delete_marked(store, archive, &doomed).await?;
        if left.len() < PAGE as usize {
            return Ok(removed);
        }
    }
}

/// [`settle_marks`] for marks older than [`STALE_MARK`], whoever made them (a purge that
/// never ran again, an export's).
pub async fn settle_stale_marks(
    store: &dyn Store,
    archive: &dyn archive::Archive,
) -> Result<u64, PurgeError> {
    let age = chrono::Duration::from_std(STALE_MARK).unwrap_or_default();
    settle_marks(store, archive, store::MarkScope::Before(store::now() - age)).await
}

/// The writer's half of the blob rule (see `store::purge`), after the transaction that
/// made a reference to `hash` committed: wait while a purge has the blob marked (at most
/// [`WRITER_WAIT`]), then say whether the blob is in the archive. A writer that still
/// has the bytes stores them again when it is not; one that has not must fail and be
/// retried (its retry stores the bytes).
pub async fn blob_survives(
    store: &dyn Store,
    archive: &dyn archive::Archive,
    hash: &str,
) -> Result<bool, PurgeError> {
    let started = std::time::Instant::now();
    while store.blob_deletion_pending(hash).await? {
        if started.elapsed() >= WRITER_WAIT {
            tracing::warn!("blob {hash} is still marked for deletion; going on without waiting");
            break;
        }
        tokio::time::sleep(WRITER_POLL).await;
    }
    Ok(archive.exists(hash).await?)
}

/// Purge a collection from the index, with its progress in the log and the metrics.
pub async fn purge_index(
    index: &dyn SearchIndex,
    id: i64,
    options: &PurgeOptions,
) -> Result<PurgeProgress, IndexError> {
    let metrics = crate::metrics::global();
    let labels = crate::metrics::PurgeLabels {
        collection_id: id.to_string(),
    };
    let result = purge_collection(index, id, options, |p| {
        let remaining = p.total.saturating_sub(p.removed);
        metrics
            .index_purge_remaining
            .get_or_create(&labels)
            .set(i64::try_from(remaining).unwrap_or(i64::MAX));
        tracing::info!(
            "collection {id}: {} of {} documents removed from the index",
            p.removed,
            p.total
        );
    })
    .await;
    metrics.index_purge_remaining.remove(&labels);
    result
}

/// The collections being deleted that `actor` may follow (administrators: all; others:
/// the ones they deleted), in Aleph's status shape with a `deletion` object: the
/// collection, who deleted it and when, and what is left in the store and the index.
pub async fn deletions(state: &AppState, actor: &Actor) -> ApiResult<Vec<Value>> {
    let filter = JobFilter {
        stages: vec![Stage::new(STAGE)?],
        states: vec![JobState::Queued, JobState::Running],
        limit: 1000,
        ..JobFilter::default()
    };
    let jobs = state.store.list_jobs(&filter).await?.items;
    let mut out = Vec::new();
    for job in jobs {
        let deleted_by = job.payload.get("deleted_by").and_then(Value::as_i64);
        if !actor.is_admin && (deleted_by.is_none() || deleted_by != actor.id()) {
            continue;
        }
        let id = job.collection_id;
        let mut query = store::CollectionQuery::new(store::CollectionScope::Only(vec![id]));
        query.include_deleted = true;
        let collection = state.store.list_collections(&query).await?.items.pop();
        let entities_left = state.store.count_entities(id).await?;
        let indexed_left = state
            .index
            .count(&ReadScope::collections([id]), &SearchQuery::default())
            .await
            .ok();
        let (pending, running) = match job.state {
            JobState::Running => (0, 1),
            _ => (1, 0),
        };
        out.push(json!({
            "finished": 0,
            "running": running,
            "pending": pending,
            "start_time": datetime(&job.created_at),
            "last_update": datetime(&job.updated_at),
            "stages": [{
                "job_id": job.id.to_string(),
                "stage": STAGE,
                "pending": pending,
                "running": running,
                "finished": 0,
            }],
            "deletion": {
                "collection_id": id.to_string(),
                "foreign_id": collection.as_ref().map(|c| c.foreign_id.clone()),
                "label": collection.as_ref().map(|c| c.label.clone()),
                "deleted_at": collection.as_ref().and_then(|c| c.deleted_at.as_ref()).map(datetime),
                "deleted_by": deleted_by.map(|r| r.to_string()),
                "attempts": job.attempts,
                "entities_left": entities_left,
                "index_documents_left": indexed_left,
            },
        }));
    }
    Ok(out)
}
