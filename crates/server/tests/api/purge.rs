//! Deleting a collection from the index in batches, with progress.

use std::time::Duration;

use axum::http::StatusCode;
use index::{ReadScope, SearchQuery};
use serde_json::{Value, json};
use server::services::purge::{PurgeOptions, PurgeProgress, purge_collection};

use crate::common::{TestApp, person};

async fn indexed(app: &TestApp, collection_id: i64) -> u64 {
    app.state
        .index
        .count(
            &ReadScope::collections([collection_id]),
            &SearchQuery::default(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn purge_goes_batch_by_batch_and_spares_other_collections() {
    let app = TestApp::new().await;
    let doomed = app.collection(&app.admin, "doomed").await;
    let kept = app.collection(&app.admin, "kept").await;
    let people: Vec<Value> = (0..23)
        .map(|i| person(&format!("d{i}"), &format!("Doomed {i}")))
        .collect();
    app.bulk(&app.admin, doomed, &Value::Array(people)).await;
    app.bulk(&app.admin, kept, &json!([person("k1", "Kept One")]))
        .await;
    assert_eq!(indexed(&app, doomed).await, 23);

    let mut reports = Vec::new();
    let options = PurgeOptions {
        batch: 10,
        pause: Duration::from_millis(1),
    };
    let done = purge_collection(&*app.state.index, doomed, &options, |p| reports.push(p))
        .await
        .unwrap();
    assert_eq!(
        done,
        PurgeProgress {
            removed: 23,
            total: 23
        }
    );
    let removed: Vec<u64> = reports.iter().map(|p| p.removed).collect();
    assert_eq!(removed, [10, 20, 23]);
    assert!(reports.iter().all(|p| p.total == 23));
    assert_eq!(indexed(&app, doomed).await, 0);
    assert_eq!(indexed(&app, kept).await, 1);

    // Nothing left: one final sweep, no batches.
    let mut calls = 0;
    let again = purge_collection(&*app.state.index, doomed, &options, |_| calls += 1)
        .await
        .unwrap();
    assert_eq!((again.total, calls), (0, 0));
}

#[tokio::test]
async fn deleting_a_collection_empties_its_index() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "gone").await;
    let people: Vec<Value> = (0..12)
        .map(|i| person(&format!("b{i}"), &format!("Gone {i}")))
        .collect();
    app.bulk(&app.admin, cid, &Value::Array(people)).await;
    assert_eq!(indexed(&app, cid).await, 12);
    app.delete(&format!("/api/2/collections/{cid}"))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);
    assert_eq!(indexed(&app, cid).await, 0);
    let gauge = server::metrics::global().encode().unwrap();
    assert!(
        !gauge.contains(&format!(
            "aleph_index_purge_remaining{{collection_id=\"{cid}\"}}"
        )),
        "the progress gauge goes when the purge ends"
    );
    // A malformed flag is refused before anything is deleted.
    let other = app.collection(&app.admin, "other").await;
    app.delete(&format!("/api/2/collections/{other}?sync=maybe"))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.get(&format!("/api/2/collections/{other}"))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::OK);
}
