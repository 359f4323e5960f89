//! `/healthz`, the 404 body, `/metadata` and `/statistics` (Aleph's `test_base_api.py`).

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{TestApp, person};

#[tokio::test]
async fn unknown_paths_are_json_404s() {
    let app = TestApp::new().await;
    for path in [
        "/api/2/nope",
        "/nope",
        "/api",
        "/api/3/collections",
        "/api/2/collections/1/nope",
    ] {
        let resp = app.get(path).send().await;
        resp.expect(StatusCode::NOT_FOUND);
        assert_eq!(
            resp.json(),
            json!({"status": "error", "message": "This path does not exist."})
        );
    }
    let resp = app.get("/healthz").send().await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.json()["status"], "ok");
}

#[tokio::test]
async fn the_web_interface_is_served_outside_the_api() {
    let app = TestApp::new().await;
    for path in ["/", "/search", "/collections/1"] {
        let resp = app.get(path).send().await;
        resp.expect(StatusCode::OK);
        assert!(resp.text().contains("/static/js/app.js"), "{path}");
    }
    let resp = app.get("/static/js/app.js").send().await;
    resp.expect(StatusCode::OK);
    assert!(resp.text().contains("navigate"));
}

#[tokio::test]
async fn healthz_answers() {
    let app = TestApp::new().await;
    let resp = app.get("/healthz").send().await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.json()["status"], "ok");
}

#[tokio::test]
async fn metadata_has_the_app_and_the_model() {
    let app = TestApp::new().await;
    let resp = app.get("/api/2/metadata").send().await;
    resp.expect(StatusCode::OK);
    let meta = resp.json();
    assert_eq!(meta["status"], "ok");
    assert_eq!(meta["app"]["title"], "Aleph test");
    assert!(meta["app"]["version"].is_string());
    assert!(meta["app"]["ftm_version"].is_string());
    assert_eq!(meta["app"]["ui_uri"], crate::common::UI_URL);
    assert_eq!(meta["auth"]["logged_in"], false);
    assert_eq!(meta["auth"]["require_logged_in"], false);
    assert_eq!(meta["categories"]["casefile"], "Casefile");
    let schemata = &meta["model"]["schemata"];
    assert!(
        schemata["Person"]["extends"]
            .as_array()
            .unwrap()
            .contains(&json!("LegalEntity"))
    );
    assert_eq!(schemata["Thing"]["properties"]["name"]["type"], "name");
    assert!(meta["model"]["types"]["country"].is_object());
}

#[tokio::test]
async fn statistics_count_only_what_the_caller_reads() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let public = app.collection(&app.admin, "public").await;
    let private = app.collection(&alice, "private").await;
    app.make_public(public).await;
    app.bulk(
        &app.admin,
        public,
        &json!([person("p1", "Ann"), person("p2", "Bo")]),
    )
    .await;
    let company = json!({"id": "c1", "schema": "Company",
                         "properties": {"name": ["Acme"], "country": ["de"]}});
    app.bulk(&alice, private, &json!([company])).await;

    let anon = app.get("/api/2/statistics").send().await;
    anon.expect(StatusCode::OK);
    let anon = anon.json();
    assert_eq!(anon["collections"], 1);
    assert_eq!(anon["things"], 2);
    assert_eq!(anon["schemata"], json!({"Person": 2}));
    assert!(anon["countries"].as_object().unwrap().is_empty(), "{anon}");

    let stats = app
        .get("/api/2/statistics")
        .auth(&alice)
        .send()
        .await
        .json();
    assert_eq!(stats["collections"], 2);
    assert_eq!(stats["things"], 3);
    assert_eq!(stats["schemata"], json!({"Company": 1, "Person": 2}));
    assert_eq!(stats["countries"], json!({"de": 1}));

    let admin = app
        .get("/api/2/statistics")
        .auth(&app.admin)
        .send()
        .await
        .json();
    assert_eq!(admin["collections"], 2);
    assert_eq!(admin["things"], 3);
}
