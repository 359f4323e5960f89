//! Upserts, deletes, commits and the trait object.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use index::{IndexDoc, IndexError, ReadScope, SearchIndex, TantivyIndex};

async fn writes_are_visible_after_commit_and_upsert_by_id(b: Backend) {
    let index = empty_index(&b).await;
    let shared: Arc<dyn SearchIndex> = index.index.clone();
    shared
        .index(vec![doc(1, entity("Person", "x", &[("name", "Old Name")]))])
        .await
        .unwrap();
    assert_eq!(
        shared.count(&ReadScope::All, &params(&[])).await.unwrap(),
        0
    );
    shared.commit().await.unwrap();
    assert_eq!(matching(&index, "old").await, ["x"]);

    // Same id again: replaced, not duplicated, also within one batch.
    shared
        .index(vec![
            doc(1, entity("Person", "x", &[("name", "Middle Name")])),
            doc(2, entity("Person", "x", &[("name", "New Name")])),
        ])
        .await
        .unwrap();
    shared.commit().await.unwrap();
    assert!(matching(&index, "old").await.is_empty());
    assert!(matching(&index, "middle").await.is_empty());
    assert_eq!(matching(&index, "new").await, ["x"]);
    assert_eq!(
        shared.collection_counts(&ReadScope::All).await.unwrap(),
        BTreeMap::from([(2, 1)])
    );
}

async fn deletes(b: Backend) {
    let index = fixture(&b).await;
    index
        .delete_entities(vec!["p1".into(), "nope".into()])
        .await
        .unwrap();
    index.delete_collection(2).await.unwrap();
    index.commit().await.unwrap();
    assert_eq!(matching(&index, "putin").await, ["d3"]);
    assert_eq!(
        index.collection_counts(&ReadScope::All).await.unwrap(),
        BTreeMap::from([(1, 7), (3, 2)])
    );
}

async fn invalid_documents_fail_the_whole_batch(b: Backend) {
    let index = empty_index(&b).await;
    let mut no_id = entity("Person", "tmp", &[("name", "Nobody")]);
    no_id.set_id(None);
    let err = index
        .index(vec![
            doc(1, entity("Person", "ok", &[("name", "Somebody")])),
            doc(1, no_id),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, IndexError::InvalidDocument { .. }), "{err}");
    index.commit().await.unwrap();
    assert_eq!(index.count(&ReadScope::All, &params(&[])).await.unwrap(), 0);

    let thing = entity("Thing", "t", &[("name", "Abstract")]);
    let err = index.index(vec![doc(1, thing)]).await.unwrap_err();
    assert!(matches!(err, IndexError::InvalidDocument { .. }), "{err}");
}

#[tokio::test]
async fn reopening_keeps_the_index() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = TantivyIndex::open(dir.path(), options()).unwrap();
        index.index(fixture_docs()).await.unwrap();
        index.commit().await.unwrap();
    }
    let index = TantivyIndex::open(dir.path(), options()).unwrap();
    assert_eq!(index.num_docs(), 13);
    assert_eq!(matching(&index, "zanzibar").await, ["c3"]);
    let (bytes, segments) = index.disk_usage().unwrap();
    assert!(bytes > 0 && segments >= 1);
}

/// `index_new` is for ids known to be absent: they are added and searchable like any,
/// invalid documents still fail the batch, and a later `index` replaces them as usual.
async fn new_documents_are_added_without_replacing(b: Backend) {
    let index = empty_index(&b).await;
    index
        .index_new(vec![
            doc(1, entity("Person", "a", &[("name", "Alpha Person")])),
            doc(1, entity("Person", "b", &[("name", "Beta Person")])),
        ])
        .await
        .unwrap();
    let mut no_id = entity("Person", "tmp", &[("name", "Nobody")]);
    no_id.set_id(None);
    let err = index
        .index_new(vec![
            doc(1, entity("Person", "c", &[("name", "Gamma Person")])),
            doc(1, no_id),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, IndexError::InvalidDocument { .. }), "{err}");
    index.commit().await.unwrap();
    let mut found = matching(&index, "person").await;
    found.sort();
    assert_eq!(found, ["a", "b"]);
    index
        .index(vec![doc(1, entity("Person", "a", &[("name", "Delta")]))])
        .await
        .unwrap();
    index.commit().await.unwrap();
    assert_eq!(matching(&index, "person").await, ["b"]);
    assert_eq!(matching(&index, "delta").await, ["a"]);
}

async fn query_errors_are_client_errors(b: Backend) {
    let index = fixture(&b).await;
    // A regular expression the engine cannot run is refused, not an empty result.
    assert!(index::SearchQuery::parse("/a{1000000}/").is_err());
    let q = params(&[("q", r"/\bputin/")]);
    let err = index.search(&ReadScope::All, &q).await.unwrap_err();
    assert!(err.is_client_error(), "{err}");
    let doc = IndexDoc::new(entity("Person", "later", &[("name", "Later")]), 1);
    index.index(vec![doc]).await.unwrap();
}

/// Callers replacing the same entities at the same time (uploads of sibling files each
/// making their shared folder) leave one document per id, whatever the interleaving.
async fn concurrent_replacements_leave_one_document_per_id(b: Backend) {
    let index = empty_index(&b).await;
    let writers: Vec<_> = (0..8)
        .map(|round| {
            let shared = index.index.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    let docs = (0..4)
                        .map(|i| {
                            let name = format!("Folder {round}");
                            doc(
                                1,
                                entity("Folder", &format!("f{i}"), &[("fileName", &name)]),
                            )
                        })
                        .collect();
                    shared.index(docs).await.unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    index.commit().await.unwrap();
    let mut hits = all_hits(&index, &[("filter:schema", "Folder")]).await;
    hits.sort();
    assert_eq!(hits, ["f0", "f1", "f2", "f3"]);
}

backend_tests!(
    concurrent_replacements_leave_one_document_per_id,
    writes_are_visible_after_commit_and_upsert_by_id,
    deletes,
    invalid_documents_fail_the_whole_batch,
    new_documents_are_added_without_replacing,
    query_errors_are_client_errors,
);
