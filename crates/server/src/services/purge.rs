//! Taking a deleted collection out of the search index a batch at a time.
//!
//! The store drops a collection in one transaction; the index can hold millions of its
//! documents on a cluster that also serves searches, and one huge delete would stall it.
//! So the ids are streamed and deleted in batches, each batch committed, with an optional
//! pause between batches so that a large purge leaves room for searches, and progress
//! reported after every batch. A last delete by collection catches anything written while
//! the purge ran.

use std::time::Duration;

use index::{IndexError, ReadScope, SearchIndex, SearchQuery};

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
}

impl Default for PurgeOptions {
    fn default() -> Self {
        PurgeOptions {
            batch: DEFAULT_BATCH,
            pause: Duration::ZERO,
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
