//! Reconciliation brings the index back to the store when the two drifted apart with
//! nothing queued (a process died between its store write and its index jobs, or the
//! index lost documents), in either configuration.

use std::time::Duration;

use index::{IndexDoc, ReadScope, SearchQuery};
use server::services::reconcile::{self, Drift};
use server::services::{entities, pipeline};
use store::NewCollection;

use crate::common::TestApp;

fn person(id: &str) -> ftm::Entity {
    ftm::Entity::from_json(
        serde_json::json!({"id": id, "schema": "Person", "properties": {"name": [id]}}),
        false,
    )
    .unwrap()
}

#[tokio::test]
async fn reconciliation_queues_what_differs_and_the_index_worker_converges() {
    let app = TestApp::new().await;
    let (store, index) = (&app.state.store, &app.state.index);
    let collection = store
        .create_collection(NewCollection::new("drift", "Drift"))
        .await
        .unwrap();
    let id = collection.id;
    // Written the normal way: stored and indexed.
    entities::write(store, index, id, "bulk", &[person("p-a"), person("p-b")])
        .await
        .unwrap();
    // Stored, then the process died before indexing or queuing anything.
    store
        .put_fragments(id, "bulk", &[person("p-c"), person("p-d")])
        .await
        .unwrap();
    // Removed from the store while its index update was lost.
    store.delete_entity(id, "p-b").await.unwrap();
    // A collection the store has never had.
    index
        .index(vec![IndexDoc::new(person("p-z"), 987_654)])
        .await
        .unwrap();
    index.commit().await.unwrap();

    let report = reconcile::check(store, index, None).await.unwrap();
    assert_eq!(report.collections, 1);
    assert_eq!(
        report.drifts,
        vec![
            Drift {
                collection_id: id,
                stored: 3,
                indexed: 2,
                missing: vec!["p-c".into(), "p-d".into()],
                extra: vec!["p-b".into()],
                orphaned: false,
            },
            Drift {
                collection_id: 987_654,
                stored: 0,
                indexed: 1,
                missing: vec![],
                extra: vec![],
                orphaned: true,
            },
        ]
    );
    // `--check` changes nothing: the same answer again.
    assert_eq!(reconcile::check(store, index, None).await.unwrap(), report);

    let queued = reconcile::repair(store, index, &report, true)
        .await
        .unwrap();
    assert_eq!(queued, 3);
    // The orphan went at once; the collection now has work queued, so it is not compared.
    let pending = reconcile::check(store, index, None).await.unwrap();
    assert_eq!(pending.busy, vec![id]);
    assert!(pending.converged(), "{pending:?}");

    // What an index worker does with the queue.
    let jobs = store
        .claim("test-worker", &["index"], 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    let outcomes = pipeline::run_index(&app.state, &jobs).await;
    for (job, outcome) in jobs.iter().zip(outcomes) {
        store
            .complete("test-worker", job.id, outcome)
            .await
            .unwrap();
    }

    let settled = reconcile::check(store, index, None).await.unwrap();
    assert!(settled.converged(), "{settled:?}");
    assert_eq!(settled.collections, 1);
    let mut ids = index
        .stream_ids(&ReadScope::All, &SearchQuery::default())
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    ids.sort();
    assert_eq!(ids, vec!["p-a", "p-c", "p-d"]);
}

#[tokio::test]
async fn reconciliation_of_one_collection_ignores_the_others() {
    let app = TestApp::new().await;
    let (store, index) = (&app.state.store, &app.state.index);
    let quiet = store
        .create_collection(NewCollection::new("quiet", "Quiet"))
        .await
        .unwrap();
    let drifted = store
        .create_collection(NewCollection::new("drifted", "Drifted"))
        .await
        .unwrap();
    entities::write(store, index, quiet.id, "bulk", &[person("q-a")])
        .await
        .unwrap();
    store
        .put_fragments(drifted.id, "bulk", &[person("d-a")])
        .await
        .unwrap();
    let one = reconcile::check(store, index, Some(quiet.id))
        .await
        .unwrap();
    assert_eq!((one.collections, one.drifts.len()), (1, 0));
    let other = reconcile::check(store, index, Some(drifted.id))
        .await
        .unwrap();
    assert_eq!(other.drifts.len(), 1);
    assert_eq!(other.drifts[0].missing, vec!["d-a".to_string()]);
}

/// An uploaded file whose processing has not run has only its `upload` fragment; once
/// the index has it (a rebuild from the store, as `aleph migrate` does, or a
/// reconciliation), both backends list it like any other entity.
#[tokio::test]
async fn an_uploaded_document_not_yet_processed_is_listed_once_indexed() {
    let app = TestApp::new().await;
    let (store, index) = (&app.state.store, &app.state.index);
    let collection = store
        .create_collection(NewCollection::new("uploads", "Uploads"))
        .await
        .unwrap();
    let namespace = ftm::Namespace::new(&collection.foreign_id);
    let id = namespace.sign("upload-doc").unwrap();
    let document = ftm::Entity::from_json(
        serde_json::json!({"id": id, "schema": "Document", "properties": {
            "fileName": ["memo.pdf"], "mimeType": ["application/pdf"], "fileSize": ["1234"],
            "contentHash": ["0123456789abcdef0123456789abcdef01234567"]}}),
        false,
    )
    .unwrap();
    store
        .put_fragments(collection.id, "upload", &[document])
        .await
        .unwrap();
    server::services::reindex::collection(store, index, collection.id, true)
        .await
        .unwrap();
    let c = collection.id;
    for query in [
        format!("/api/2/search?filter:collection_id={c}&filter:schema=Document"),
        format!("/api/2/entities?filter:collection_id={c}&filter:schemata=Thing"),
        format!("/api/2/entities?filter:collection_id={c}&filter:schemata=Document"),
        format!("/api/2/search?q=memo&filter:collection_id={c}&filter:schemata=Thing"),
    ] {
        let resp = app.get(&query).auth(&app.admin).send().await;
        resp.expect(axum::http::StatusCode::OK);
        let body = resp.json();
        let ids: Vec<&str> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        assert_eq!(ids, vec![id.as_str()], "{query}: {body}");
    }
}
