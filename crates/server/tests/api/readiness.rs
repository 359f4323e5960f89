//! `/readyz`: the store and the index answer, and the queue's lag is reported. The store
//! going down (503) is checked by the fault tests, which stop a real PostgreSQL.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use store::{NewCollection, NewJob, Stage};

use crate::common::TestApp;

#[tokio::test]
async fn readiness_reports_the_store_the_index_and_the_queue() {
    let app = TestApp::new().await;
    let resp = app.get("/readyz").send().await;
    resp.expect(StatusCode::OK);
    let body = resp.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["store"], json!({"status": "ok"}));
    assert_eq!(body["index"], json!({"status": "ok"}));
    assert_eq!(body["queue"]["oldest_unfinished_seconds"], json!(null));

    let collection = app
        .state
        .store
        .create_collection(NewCollection::new("ready", "Ready"))
        .await
        .unwrap();
    let store = &app.state.store;
    store
        .enqueue(&[
            NewJob::new(collection.id, Stage::INDEX).entity("a"),
            NewJob::new(collection.id, Stage::INDEX).entity("b"),
        ])
        .await
        .unwrap();
    store
        .claim("ready-test", &["index"], 1, Duration::from_secs(60))
        .await
        .unwrap();
    let body = app.get("/readyz").send().await.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["queue"]["stages"]["index"],
        json!({"queued": 1, "running": 1})
    );
    assert!(body["queue"]["oldest_unfinished_seconds"].as_i64().unwrap() >= 0);
}
