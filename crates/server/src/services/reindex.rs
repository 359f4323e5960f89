//! Rebuilding the index from the store, the source of truth.

use std::sync::Arc;

use futures_util::StreamExt;
use index::SearchIndex;
use store::{EntityFilter, Store};

use crate::error::ApiResult;
use crate::services::entities::index_doc;

/// Entities written to the index per batch.
const BATCH: usize = 2000;

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
