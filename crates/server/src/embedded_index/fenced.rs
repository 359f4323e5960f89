//! The index as the live system writes it while a rebuild fills it behind its back.
//!
//! The rebuild reads an entity from the store and writes it to the index a little later;
//! in between, the live system may have changed or deleted that entity and indexed the
//! change. Writing the rebuild's older copy then would bring back a deleted entity or an
//! old version. So while the fence is up, every live write notes the ids (and whole
//! collections) it touched, and the rebuild leaves those out: the live write came from a
//! store read at least as new as the rebuild's. The rebuild checks and writes under the
//! same lock that live writes take to note their ids, so no live write can slip in
//! between its check and its write.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use index::{
    FacetResult, IdStream, IndexDoc, IndexError, ReadScope, SearchIndex, SearchQuery, SearchResult,
    TantivyIndex,
};
use tokio::sync::Mutex;

/// What live writes touched since the fence went up.
#[derive(Default)]
struct Touched {
    ids: HashSet<String>,
    collections: HashSet<i64>,
}

pub(crate) struct FencedIndex {
    inner: Arc<TantivyIndex>,
    /// `Some` while a rebuild runs.
    fence: Mutex<Option<Touched>>,
}

impl FencedIndex {
    /// The index with the fence up.
    pub(crate) fn new(inner: Arc<TantivyIndex>) -> FencedIndex {
        FencedIndex {
            inner,
            fence: Mutex::new(Some(Touched::default())),
        }
    }

    pub(crate) fn inner(&self) -> &Arc<TantivyIndex> {
        &self.inner
    }

    /// Writes the rebuild's documents, except those a live write has touched; returns how
    /// many it wrote. Replaces rather than adds: a resumed rebuild meets its own earlier
    /// documents.
    pub(crate) async fn write_rebuilt(&self, mut docs: Vec<IndexDoc>) -> Result<usize, IndexError> {
        let fence = self.fence.lock().await;
        if let Some(touched) = fence.as_ref() {
            docs.retain(|d| {
                !touched.collections.contains(&d.collection_id)
                    && d.entity.id().is_none_or(|id| !touched.ids.contains(id))
            });
        }
        let written = docs.len();
        if written > 0 {
            // Under the lock: a live write waits until this one is queued in the writer,
            // so it lands after it.
            self.inner.index(docs).await?;
        }
        Ok(written)
    }

    /// The rebuild is over: live writes stop keeping notes.
    pub(crate) async fn lift(&self) {
        *self.fence.lock().await = None;
    }

    /// Whether the fence is still up.
    #[cfg(test)]
    async fn fenced(&self) -> bool {
        self.fence.lock().await.is_some()
    }

    async fn note_ids<'a>(&self, ids: impl Iterator<Item = &'a str>) -> bool {
        let mut fence = self.fence.lock().await;
        match fence.as_mut() {
            Some(touched) => {
                touched.ids.extend(ids.map(str::to_string));
                true
            }
            None => false,
        }
    }
}

#[async_trait]
impl SearchIndex for FencedIndex {
    async fn index(&self, docs: Vec<IndexDoc>) -> Result<(), IndexError> {
        self.note_ids(docs.iter().filter_map(|d| d.entity.id()))
            .await;
        self.inner.index(docs).await
    }

    async fn index_new(&self, docs: Vec<IndexDoc>) -> Result<(), IndexError> {
        // "Not in the index yet" does not hold while the rebuild may have written them.
        if self
            .note_ids(docs.iter().filter_map(|d| d.entity.id()))
            .await
        {
            self.inner.index(docs).await
        } else {
            self.inner.index_new(docs).await
        }
    }

    async fn delete_entities(&self, ids: Vec<String>) -> Result<(), IndexError> {
        self.note_ids(ids.iter().map(String::as_str)).await;
        self.inner.delete_entities(ids).await
    }

    async fn delete_collection(&self, collection_id: i64) -> Result<(), IndexError> {
        if let Some(touched) = self.fence.lock().await.as_mut() {
            touched.collections.insert(collection_id);
        }
        self.inner.delete_collection(collection_id).await
    }

    async fn commit(&self) -> Result<(), IndexError> {
        self.inner.commit().await
    }

    async fn search(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<SearchResult, IndexError> {
        self.inner.search(scope, query).await
    }

    async fn count(&self, scope: &ReadScope, query: &SearchQuery) -> Result<u64, IndexError> {
        self.inner.count(scope, query).await
    }

    async fn facets(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<BTreeMap<String, FacetResult>, IndexError> {
        self.inner.facets(scope, query).await
    }

    async fn stream_ids(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<IdStream, IndexError> {
        self.inner.stream_ids(scope, query).await
    }

    async fn collection_counts(&self, scope: &ReadScope) -> Result<BTreeMap<i64, u64>, IndexError> {
        self.inner.collection_counts(scope).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use index::TantivyOptions;

    fn person(id: &str, name: &str, collection_id: i64) -> IndexDoc {
        let mut e = ftm::Entity::with_id("Person", id).unwrap();
        e.add("name", name).unwrap();
        IndexDoc::new(e, collection_id)
    }

    async fn ids(index: &dyn SearchIndex) -> Vec<String> {
        index.commit().await.unwrap();
        let mut ids = index
            .stream_ids(&ReadScope::collections([1, 2]), &SearchQuery::default())
            .await
            .unwrap()
            .collect_all()
            .await
            .unwrap();
        ids.sort();
        ids
    }

    fn fenced() -> FencedIndex {
        let inner = TantivyIndex::in_memory(TantivyOptions::default()).unwrap();
        FencedIndex::new(Arc::new(inner))
    }

    #[tokio::test]
    async fn an_entity_deleted_after_the_rebuild_read_it_stays_deleted() {
        let index = fenced();
        // The rebuild has read a and b from the store; then the live system deletes b
        // (already gone from the store) before the rebuild writes its batch.
        let read = vec![person("a", "Ada", 1), person("b", "Bob", 1)];
        index.delete_entities(vec!["b".into()]).await.unwrap();
        assert_eq!(index.write_rebuilt(read).await.unwrap(), 1);
        assert_eq!(ids(&index).await, vec!["a"]);
    }

    #[tokio::test]
    async fn a_live_edit_is_not_overwritten_by_the_older_copy_the_rebuild_read() {
        let index = fenced();
        let read = vec![person("a", "Ada Old", 1)];
        index.index(vec![person("a", "Ada New", 1)]).await.unwrap();
        index.write_rebuilt(read).await.unwrap();
        index.commit().await.unwrap();
        let q = |text: &str| SearchQuery::from_params(&[("q".into(), text.into())]).unwrap();
        let scope = ReadScope::collections([1]);
        assert_eq!(index.count(&scope, &q("New")).await.unwrap(), 1);
        assert_eq!(index.count(&scope, &q("Old")).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_collection_deleted_during_the_rebuild_is_not_refilled() {
        let index = fenced();
        index.delete_collection(2).await.unwrap();
        let read = vec![person("a", "Ada", 1), person("c", "Cy", 2)];
        index.write_rebuilt(read).await.unwrap();
        assert_eq!(ids(&index).await, vec!["a"]);
    }

    #[tokio::test]
    async fn live_writes_after_the_rebuild_keep_no_notes_and_add_new_entities_once() {
        let index = fenced();
        index
            .write_rebuilt(vec![person("a", "Ada", 1)])
            .await
            .unwrap();
        // A bulk add of an id the rebuild already wrote replaces it while fenced.
        index.index_new(vec![person("a", "Ada", 1)]).await.unwrap();
        assert_eq!(ids(&index).await, vec!["a"]);
        index.lift().await;
        assert!(!index.fenced().await);
        index.delete_entities(vec!["a".into()]).await.unwrap();
        index
            .write_rebuilt(vec![person("a", "Ada", 1)])
            .await
            .unwrap();
        // Unfenced, nothing is left out (only a finished rebuild lifts the fence).
        assert_eq!(ids(&index).await, vec!["a"]);
    }
}
