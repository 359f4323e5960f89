use std::sync::Arc;

use store::{DeleteMode, StoreError};

use super::collection;
use crate::common::Harness;

pub async fn documents_upsert_by_their_key<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "docs").await;
    let other = collection(&*store, "other_docs").await;

    // By foreign id: the same key is the same row, whose content hash follows the upload.
    let (a, created) = store
        .upsert_document(c, None, Some("folder"), None)
        .await
        .unwrap();
    assert!(created);
    let row = store.document(c, a).await.unwrap().unwrap();
    assert_eq!(row.id, a);
    assert_eq!(row.collection_id, c);
    assert_eq!(
        (row.parent_id, row.foreign_id.as_deref()),
        (None, Some("folder"))
    );
    assert_eq!(row.content_hash, None);
    assert_eq!(row.created_at, row.updated_at);
    // Two root-level uploads with one foreign id are one document.
    let (again, created) = store
        .upsert_document(c, None, Some("folder"), Some("h1"))
        .await
        .unwrap();
    assert_eq!((again, created), (a, false));
    let row = store.document(c, a).await.unwrap().unwrap();
    assert_eq!(row.content_hash.as_deref(), Some("h1"));
    assert!(row.updated_at >= row.created_at);
    // Without a new hash the old one stays.
    store
        .upsert_document(c, None, Some("folder"), None)
        .await
        .unwrap();
    let row = store.document(c, a).await.unwrap().unwrap();
    assert_eq!(row.content_hash.as_deref(), Some("h1"));

    // Under a parent the same foreign id is another document, and so is another collection.
    let (child, created) = store
        .upsert_document(c, Some(a), Some("folder"), None)
        .await
        .unwrap();
    assert!(created && child != a);
    assert_eq!(
        store.document(c, child).await.unwrap().unwrap().parent_id,
        Some(a)
    );
    let (elsewhere, created) = store
        .upsert_document(other, None, Some("folder"), None)
        .await
        .unwrap();
    assert!(created && elsewhere != a);

    // By content hash when there is no foreign id; a foreign-id row with the same hash is
    // not the same document.
    let (h, created) = store
        .upsert_document(c, Some(a), None, Some("h1"))
        .await
        .unwrap();
    assert!(created);
    let (h2, created) = store
        .upsert_document(c, Some(a), None, Some("h1"))
        .await
        .unwrap();
    assert_eq!((h2, created), (h, false));
    let (root_h, created) = store
        .upsert_document(c, None, None, Some("h1"))
        .await
        .unwrap();
    assert!(created && root_h != a && root_h != h);
    let row = store.document(c, root_h).await.unwrap().unwrap();
    assert_eq!((row.foreign_id, row.parent_id), (None, None));

    // Reads are scoped to the collection.
    assert_eq!(store.document(other, a).await.unwrap(), None);
    assert_eq!(store.document(c, 999_999).await.unwrap(), None);

    // A parent must exist in the same collection.
    for parent in [999_999, elsewhere] {
        assert!(matches!(
            store
                .upsert_document(c, Some(parent), Some("x"), None)
                .await,
            Err(StoreError::NotFound {
                what: "document",
                ..
            })
        ));
    }
    assert!(matches!(
        store.upsert_document(c, None, None, None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.upsert_document(999_999, None, Some("x"), None).await,
        Err(StoreError::NotFound { .. })
    ));
    store
        .delete_collection(other, DeleteMode::Soft)
        .await
        .unwrap();
    assert!(matches!(
        store.upsert_document(other, None, Some("x"), None).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn racing_uploads_share_one_document<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "race").await;
    for round in 0..5 {
        let fid = format!("same-{round}.pdf");
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let store = Arc::clone(&store);
            let fid = fid.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .upsert_document(c, None, Some(&fid), Some("hash"))
                    .await
                    .unwrap()
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let first = results[0].0;
        assert!(results.iter().all(|&(id, _)| id == first), "{results:?}");
        assert_eq!(results.iter().filter(|&&(_, created)| created).count(), 1);
    }
}
