//! Rebuilding the index from the store, the source of truth.

use std::sync::Arc;

use futures_util::StreamExt;
use index::SearchIndex;
use store::{Collection, CollectionQuery, CollectionScope, CollectionSort, EntityFilter, Store};

use crate::error::{ApiError, ApiResult};
use crate::services::entities::index_doc;

/// Entities written to the index per batch.
const BATCH: usize = 2000;
/// Collections listed per page by [`all`].
const COLLECTION_PAGE: u32 = 500;

/// What a rebuild did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reindexed {
    pub entities: u64,
    /// Entities whose fragments could not be merged (reported, not indexed).
    pub broken: u64,
}

/// Re-index one collection from the store. The old documents are removed in the same
/// commit that adds the new ones, so searches never see the collection half-built.
/// (`_flush` is accepted for Aleph compatibility; a rebuild always replaces everything.)
pub async fn collection(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection_id: i64,
    _flush: bool,
) -> ApiResult<Reindexed> {
    index.delete_collection(collection_id).await?;
    let done = load(store, index, EntityFilter::collection(collection_id)).await?;
    index.commit().await?;
    Ok(done)
}

/// Load every live collection's entities from the store into the index (uncommitted), one
/// collection at a time, telling `on_collection` what each one gave. For an index being
/// built from nothing (`aleph upgrade`, an embedded index rebuilt at start): nothing is
/// deleted first. Returns the totals; an error names the collection it stopped at.
pub async fn all(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    mut on_collection: impl FnMut(&Collection, &Reindexed),
) -> ApiResult<Reindexed> {
    let mut total = Reindexed::default();
    for c in live_collections(store).await? {
        let done = load(store, index, EntityFilter::collection(c.id))
            .await
            .map_err(|e| {
                ApiError::new(
                    e.status,
                    format!("rebuilding the index of {}: {}", c.foreign_id, e.message),
                )
            })?;
        on_collection(&c, &done);
        total.entities += done.entities;
        total.broken += done.broken;
    }
    Ok(total)
}

/// Every live collection, oldest first, read a page at a time (a collection made while
/// paging comes after the ones read, so none is skipped).
pub(crate) async fn live_collections(store: &Arc<dyn Store>) -> ApiResult<Vec<Collection>> {
    let mut query = CollectionQuery::new(CollectionScope::All);
    query.sort = CollectionSort::CreatedAsc;
    query.limit = COLLECTION_PAGE;
    let mut out = Vec::new();
    loop {
        let page = store.list_collections(&query).await?.items;
        let full = page.len() == COLLECTION_PAGE as usize;
        query.offset += page.len() as u64;
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// Stream the entities a filter selects from the store into the index (uncommitted).
pub async fn load(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    filter: EntityFilter,
) -> ApiResult<Reindexed> {
    let mut stream = store::stream_entities(store.clone(), filter, BATCH as u32);
    let mut done = Reindexed::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(item) = stream.next().await {
        match item {
            Ok(stored) => {
                batch.push(index_doc(stored));
                done.entities += 1;
            }
            Err(store::StoreError::Corrupt(msg)) => {
                tracing::warn!("not indexed: {msg}");
                done.broken += 1;
            }
            Err(other) => return Err(other.into()),
        }
        if batch.len() >= BATCH {
            index.index(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        index.index(batch).await?;
    }
    Ok(done)
}
