//! The backend-neutral interface of the search index.

use std::collections::BTreeMap;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::doc::IndexDoc;
use crate::error::IndexError;
use crate::query::SearchQuery;
use crate::result::{FacetResult, SearchResult};
use crate::scope::ReadScope;

/// A search index of entities. Writes become visible to searches after [`commit`];
/// the index is derived from the store and can always be rebuilt from it.
///
/// Every read takes a [`ReadScope`]: there is no way to search, count, facet or stream
/// without saying which collections the caller may see.
///
/// [`commit`]: SearchIndex::commit
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces (by entity id) a batch of documents. Invalid documents fail the
    /// whole batch before anything is written.
    async fn index(&self, docs: Vec<IndexDoc>) -> Result<(), IndexError>;

    /// Adds documents whose ids the caller knows are not in the index yet (a bulk load
    /// into an empty collection), so nothing has to be replaced. Backends for which
    /// replacing costs nothing extra simply [`index`](SearchIndex::index) them. A document
    /// whose id *is* present ends up twice: callers that cannot be sure use `index`.
    async fn index_new(&self, docs: Vec<IndexDoc>) -> Result<(), IndexError> {
        self.index(docs).await
    }

    /// Removes entities by id.
    async fn delete_entities(&self, ids: Vec<String>) -> Result<(), IndexError>;

    /// Removes every entity of a collection.
    async fn delete_collection(&self, collection_id: i64) -> Result<(), IndexError>;

    /// Makes all writes so far durable and visible to searches.
    async fn commit(&self) -> Result<(), IndexError>;

    /// One page of hits, the exact total and the requested facets.
    async fn search(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<SearchResult, IndexError>;

    /// The number of matching entities (with every filter applied).
    async fn count(&self, scope: &ReadScope, query: &SearchQuery) -> Result<u64, IndexError>;

    /// Only the requested facets of a query.
    async fn facets(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<BTreeMap<String, FacetResult>, IndexError>;

    /// The ids of every matching entity, unpaged, in batches (for exports).
    async fn stream_ids(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<IdStream, IndexError>;

    /// How many entities each visible collection has in the index.
    async fn collection_counts(&self, scope: &ReadScope) -> Result<BTreeMap<i64, u64>, IndexError>;
}

/// Batches of entity ids, produced in the background with back-pressure.
pub struct IdStream {
    receiver: mpsc::Receiver<Result<Vec<String>, IndexError>>,
}

impl IdStream {
    /// A stream and the sender that feeds it, holding at most `capacity` batches in
    /// flight.
    pub fn channel(capacity: usize) -> (mpsc::Sender<Result<Vec<String>, IndexError>>, IdStream) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        (sender, IdStream { receiver })
    }

    /// The next batch, or `None` at the end.
    pub async fn next_batch(&mut self) -> Option<Result<Vec<String>, IndexError>> {
        self.receiver.recv().await
    }

    /// Every remaining id.
    pub async fn collect_all(mut self) -> Result<Vec<String>, IndexError> {
        let mut ids = Vec::new();
        while let Some(batch) = self.next_batch().await {
            ids.extend(batch?);
        }
        Ok(ids)
    }
}
