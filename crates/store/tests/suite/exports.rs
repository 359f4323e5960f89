use std::time::Duration;

use serde_json::{Map, json};
use store::{
    DeleteMode, ExportContent, ExportOperation, ExportOutcome, ExportStatus, NewExport, StoreError,
};

use super::purge::later;
use super::{collection, user};
use crate::common::Harness;

fn new_export(creator_id: i64, collection_id: Option<i64>, label: &str) -> NewExport {
    NewExport {
        operation: if collection_id.is_some() {
            ExportOperation::Xref
        } else {
            ExportOperation::Search
        },
        label: label.to_string(),
        creator_id,
        collection_id,
        params: json!({"q": ["putin"]}).as_object().unwrap().clone(),
        meta: Map::new(),
        file_name: format!("{label}.zip"),
        mime_type: "application/zip".into(),
        expires_at: store::now() + chrono::Duration::days(30),
        max_attempts: 2,
    }
}

fn content(hash: &str) -> ExportContent {
    ExportContent {
        content_hash: hash.to_string(),
        file_size: 42,
    }
}

const LEASE: Duration = Duration::from_secs(60);

pub async fn exports_are_listed_per_creator_newest_first<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let ana = user(&*store, "ana").await;
    let bob = user(&*store, "bob").await;
    let c = collection(&*store, "leak").await;

    let e1 = store
        .create_export(new_export(ana.id, None, "first"))
        .await
        .unwrap();
    assert_eq!(e1.status, ExportStatus::Pending);
    assert_eq!(e1.operation, ExportOperation::Search);
    assert_eq!(
        (e1.attempts, e1.deleted, e1.content.clone()),
        (0, false, None)
    );
    assert_eq!(e1.params["q"], json!(["putin"]));
    let e2 = store
        .create_export(new_export(ana.id, Some(c), "second"))
        .await
        .unwrap();
    assert_eq!(e2.collection_id, Some(c));
    assert_eq!(store.export_counts(c).await.unwrap(), (1, 0));
    store
        .create_export(new_export(bob.id, None, "bobs"))
        .await
        .unwrap();
    assert_eq!(store.export(e2.id).await.unwrap(), e2);

    let mine = store.list_exports(ana.id, 10, 0).await.unwrap();
    assert_eq!(mine.total, 2);
    assert_eq!(
        mine.items.iter().map(|e| e.id).collect::<Vec<_>>(),
        [e2.id, e1.id]
    );
    let page = store.list_exports(ana.id, 1, 1).await.unwrap();
    assert_eq!((page.total, page.items[0].id), (2, e1.id));

    // Refusals: an unknown creator or collection, an empty label.
    assert!(matches!(
        store
            .create_export(new_export(9999, None, "x"))
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        store
            .create_export(new_export(ana.id, Some(9999), "x"))
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        store
            .create_export(new_export(ana.id, None, " "))
            .await
            .unwrap_err(),
        StoreError::Invalid(_)
    ));

    // Taken by a worker, it counts as running.
    store.claim_exports("w", 5, LEASE).await.unwrap();
    assert_eq!(store.export_counts(c).await.unwrap(), (0, 1));

    // A deleted collection leaves its export in place, without the collection.
    store.delete_collection(c, DeleteMode::Hard).await.unwrap();
    assert_eq!(store.export(e2.id).await.unwrap().collection_id, None);
}

pub async fn exports_are_claimed_once_and_finished_by_their_holder<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let ana = user(&*store, "ana").await;
    let e1 = store
        .create_export(new_export(ana.id, None, "one"))
        .await
        .unwrap();
    let e2 = store
        .create_export(new_export(ana.id, None, "two"))
        .await
        .unwrap();

    assert_eq!(store.export_counts(9999).await.unwrap(), (0, 0));
    let taken = store.claim_exports("w1", 1, LEASE).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!((taken[0].id, taken[0].attempts), (e1.id, 1));
    let rest = store.claim_exports("w2", 5, LEASE).await.unwrap();
    assert_eq!(rest.iter().map(|e| e.id).collect::<Vec<_>>(), [e2.id]);
    assert!(
        store
            .claim_exports("w3", 5, LEASE)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(
        store
            .heartbeat_exports("w1", &[e1.id, e2.id], LEASE)
            .await
            .unwrap(),
        [e1.id]
    );
    // Only the holder may finish.
    let outcome = ExportOutcome::Succeeded(content("ab12"));
    assert_eq!(
        store
            .finish_export("w2", e1.id, outcome.clone())
            .await
            .unwrap(),
        None
    );
    let done = store
        .finish_export("w1", e1.id, outcome.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, ExportStatus::Successful);
    assert_eq!(done.content, Some(content("ab12")));
    // Finished is finished: a second report changes nothing.
    assert_eq!(
        store.finish_export("w1", e1.id, outcome).await.unwrap(),
        None
    );

    let failed = store
        .finish_export("w2", e2.id, ExportOutcome::Failed("query is broken".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, ExportStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("query is broken"));
    assert_eq!(failed.content, None);
}

pub async fn exports_whose_workers_die_are_retried_then_failed<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let ana = user(&*store, "ana").await;
    let e = store
        .create_export(new_export(ana.id, None, "fragile"))
        .await
        .unwrap();
    let short = Duration::from_millis(30);

    // The first worker dies holding it: once the lease ends, another takes it.
    assert_eq!(
        store.claim_exports("dies", 1, short).await.unwrap().len(),
        1
    );
    assert!(
        store
            .claim_exports("w2", 1, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    let again = store.claim_exports("w2", 1, short).await.unwrap();
    assert_eq!((again[0].id, again[0].attempts), (e.id, 2));
    assert_eq!(
        store.export(e.id).await.unwrap().status,
        ExportStatus::Pending
    );
    // The dead worker's late report is dropped.
    assert_eq!(
        store
            .finish_export("dies", e.id, ExportOutcome::Succeeded(content("cd34")))
            .await
            .unwrap(),
        None
    );
    // The second dies too: with its attempts used, the export ends failed.
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert!(
        store
            .claim_exports("w3", 1, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = store.export(e.id).await.unwrap();
    assert_eq!(dead.status, ExportStatus::Failed);
    assert_eq!(dead.error.as_deref(), Some(store::EXPORT_LEASE_EXPIRED));

    // A passing failure goes back to pending while attempts remain.
    let r = store
        .create_export(new_export(ana.id, None, "retry"))
        .await
        .unwrap();
    store.claim_exports("w", 1, LEASE).await.unwrap();
    let back = store
        .finish_export("w", r.id, ExportOutcome::Retry("archive down".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.status, ExportStatus::Pending);
    assert_eq!(back.error.as_deref(), Some("archive down"));
    store.claim_exports("w", 1, LEASE).await.unwrap();
    let last = store
        .finish_export("w", r.id, ExportOutcome::Retry("archive down".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.status, ExportStatus::Failed);
}

pub async fn expired_exports_are_found_and_deleted<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let ana = user(&*store, "ana").await;
    let mut old = new_export(ana.id, None, "old");
    old.expires_at = store::now() - chrono::Duration::days(1);
    let old = store.create_export(old).await.unwrap();
    let fresh = store
        .create_export(new_export(ana.id, None, "fresh"))
        .await
        .unwrap();
    let twin = store
        .create_export(new_export(ana.id, None, "twin"))
        .await
        .unwrap();
    for id in [old.id, fresh.id, twin.id] {
        store.claim_exports("w", 1, LEASE).await.unwrap();
        store
            .finish_export("w", id, ExportOutcome::Succeeded(content("ee55")))
            .await
            .unwrap()
            .unwrap();
    }
    let expired = store.expired_exports(store::now(), 10).await.unwrap();
    assert_eq!(expired.iter().map(|e| e.id).collect::<Vec<_>>(), [old.id]);
    // Two live exports hold the same bytes: releasing one keeps the blob.
    assert_eq!(store.release_export(old.id).await.unwrap(), None);
    assert!(!store.delete_export(old.id).await.unwrap());
    assert_eq!(store.release_export(old.id).await.unwrap(), None);
    assert!(store.export(old.id).await.unwrap().deleted);
    assert!(
        store
            .expired_exports(store::now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let listed = store.list_exports(ana.id, 10, 0).await.unwrap();
    assert_eq!(listed.total, 2);
    assert!(listed.items.iter().all(|e| e.id != old.id));
    assert_eq!(store.release_export(twin.id).await.unwrap(), None);
    // The last export of the bytes: a collection's upload still holds them...
    let c = collection(&*store, "holder").await;
    store
        .upsert_document(c, None, None, Some("ee55"))
        .await
        .unwrap();
    assert_eq!(store.release_export(fresh.id).await.unwrap(), None);
    assert!(!store.blob_deletion_pending("ee55").await.unwrap());
    // ...and bytes nothing else holds are marked for deletion with the release.
    let solo = store
        .create_export(new_export(ana.id, None, "solo"))
        .await
        .unwrap();
    store.claim_exports("w", 1, LEASE).await.unwrap();
    store
        .finish_export("w", solo.id, ExportOutcome::Succeeded(content("ff66")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.release_export(solo.id).await.unwrap().as_deref(),
        Some("ff66")
    );
    assert!(store.blob_deletion_pending("ff66").await.unwrap());
    assert_eq!(
        store
            .blob_deletions(store::MarkScope::Before(later()), 10)
            .await
            .unwrap(),
        ["ff66"]
    );
    assert!(matches!(
        store.release_export(9999).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        store.delete_export(9999).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
}
