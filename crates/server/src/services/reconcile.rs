//! Keeping the index converged to the store without anyone's help.
//!
//! Writes queue index jobs when the index is down, but a process that dies between its
//! store write and queuing those jobs (or an index that loses documents) leaves the two
//! apart with nothing queued. Reconciliation compares them collection by collection: the
//! counts first, which is cheap, and only where they differ the id sets, paged from both
//! sides. What the store has and the index lacks, and what the index has that the store
//! no longer does, goes into the queue as deferred index jobs, which sync each entity
//! from the store (index it, or remove it when the store has none). Index documents of
//! collections the store no longer has are removed directly.
//!
//! Collections with unfinished jobs are left alone: their difference is work in progress,
//! and the next pass sees them settled.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures_util::StreamExt;
use index::{ReadScope, SearchIndex, SearchQuery};
use store::{CollectionQuery, CollectionScope, EntityFilter, Store, StoreError};

use crate::error::ApiResult;

/// Store entities read per page while comparing id sets.
const PAGE: u32 = 2000;

/// How one collection's index differs from its store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub collection_id: i64,
    /// Entities in the store (distinct ids).
    pub stored: u64,
    /// Documents in the index.
    pub indexed: u64,
    /// In the store, not in the index.
    pub missing: Vec<String>,
    /// In the index, not in the store.
    pub extra: Vec<String>,
    /// Whether the store no longer has the collection at all.
    pub orphaned: bool,
}

/// What a reconciliation pass found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Collections compared.
    pub collections: u64,
    /// Collections skipped because jobs of theirs are unfinished.
    pub busy: Vec<i64>,
    /// Collections whose counts differ.
    pub drifts: Vec<Drift>,
}

impl Report {
    /// Whether the index matches the store for every collection compared.
    pub fn converged(&self) -> bool {
        self.drifts.is_empty()
    }
}

/// Compare the store and the index for every collection, or only `only`. Changes nothing.
pub async fn check(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    only: Option<i64>,
) -> ApiResult<Report> {
    let indexed = index.collection_counts(&ReadScope::All).await?;
    let (live, deleted) = match only {
        Some(id) => (vec![store.collection(id).await?.id], HashSet::new()),
        None => collections(store).await?,
    };
    let busy: HashSet<i64> = store
        .job_counts(only)
        .await?
        .into_iter()
        .filter(|c| c.queued + c.running > 0)
        .map(|c| c.collection_id)
        .collect();
    let mut report = Report::default();
    for &collection_id in &live {
        if busy.contains(&collection_id) {
            report.busy.push(collection_id);
            continue;
        }
        report.collections += 1;
        let stored = store.count_entities(collection_id).await?;
        let in_index = indexed.get(&collection_id).copied().unwrap_or(0);
        if stored == in_index {
            continue;
        }
        report
            .drifts
            .push(compare_ids(store, index, collection_id, stored, in_index).await?);
    }
    if only.is_none() {
        let live: HashSet<i64> = live.into_iter().collect();
        for (&collection_id, &count) in &indexed {
            // A soft-deleted collection is the deletion's to purge, not ours.
            if count == 0 || live.contains(&collection_id) || deleted.contains(&collection_id) {
                continue;
            }
            report.drifts.push(Drift {
                collection_id,
                stored: 0,
                indexed: count,
                missing: Vec::new(),
                extra: Vec::new(),
                orphaned: true,
            });
        }
    }
    Ok(report)
}

/// The ids of the live collections, and of the soft-deleted ones.
async fn collections(store: &Arc<dyn Store>) -> ApiResult<(Vec<i64>, HashSet<i64>)> {
    const LISTED: u32 = 1000;
    let mut query = CollectionQuery::new(CollectionScope::All);
    query.include_deleted = true;
    query.limit = LISTED;
    let (mut live, mut deleted) = (Vec::new(), HashSet::new());
    loop {
        let page = store.list_collections(&query).await?;
        let n = page.items.len();
        for c in page.items {
            if c.is_deleted() {
                deleted.insert(c.id);
            } else {
                live.push(c.id);
            }
        }
        if n < LISTED as usize {
            return Ok((live, deleted));
        }
        query.offset += u64::from(LISTED);
    }
}

/// The id sets of one collection, compared. The index's ids are held in memory while the
/// store's are paged past them (about 100 bytes per entity of the collection).
async fn compare_ids(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection_id: i64,
    stored: u64,
    indexed: u64,
) -> ApiResult<Drift> {
    let mut in_index: HashSet<String> = HashSet::new();
    let mut ids = index
        .stream_ids(
            &ReadScope::collections([collection_id]),
            &SearchQuery::default(),
        )
        .await?;
    while let Some(batch) = ids.next_batch().await {
        in_index.extend(batch?);
    }
    let mut missing = Vec::new();
    let mut entities =
        store::stream_entities(store.clone(), EntityFilter::collection(collection_id), PAGE);
    while let Some(item) = entities.next().await {
        match item {
            Ok(found) => {
                let Some(id) = found.entity.id() else {
                    continue;
                };
                if !in_index.remove(id) {
                    missing.push(id.to_string());
                }
            }
            // Unmergeable fragments: not indexable either way (`aleph reindex` reports them).
            Err(StoreError::Corrupt(msg)) => tracing::warn!("not compared: {msg}"),
            Err(e) => return Err(e.into()),
        }
    }
    let mut extra: Vec<String> = in_index.into_iter().collect();
    extra.sort();
    Ok(Drift {
        collection_id,
        stored,
        indexed,
        missing,
        extra,
        orphaned: false,
    })
}

/// Put right what `report` found: queue deferred index jobs for missing and extra
/// entities (the workers sync them from the store), and, with `remove_orphans` (only a
/// process that may write the index), remove collections the store no longer has from
/// the index. Returns the number of jobs queued.
pub async fn repair(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    report: &Report,
    remove_orphans: bool,
) -> ApiResult<u64> {
    let mut queued = 0u64;
    let mut by_collection: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut removed = false;
    for drift in &report.drifts {
        if drift.orphaned {
            if remove_orphans {
                index.delete_collection(drift.collection_id).await?;
                removed = true;
            }
            continue;
        }
        let ids = by_collection.entry(drift.collection_id).or_default();
        ids.extend(drift.missing.iter().cloned());
        ids.extend(drift.extra.iter().cloned());
    }
    if removed {
        index.commit().await?;
    }
    for (collection_id, ids) in by_collection {
        if ids.is_empty() {
            continue;
        }
        queued += ids.len() as u64;
        crate::services::entities::queue_index(store, collection_id, &ids).await?;
    }
    Ok(queued)
}

/// One pass: check everything and repair what differs. What the periodic pass of the
/// index workers runs (they may write the index).
pub async fn run(store: &Arc<dyn Store>, index: &Arc<dyn SearchIndex>) -> ApiResult<Report> {
    let report = check(store, index, None).await?;
    let queued = repair(store, index, &report, true).await?;
    for drift in &report.drifts {
        tracing::warn!(
            collection_id = drift.collection_id,
            stored = drift.stored,
            indexed = drift.indexed,
            missing = drift.missing.len(),
            extra = drift.extra.len(),
            orphaned = drift.orphaned,
            "the index differs from the store; repairs queued"
        );
    }
    if queued > 0 {
        tracing::info!(queued, "reconciliation queued index jobs");
    }
    Ok(report)
}
