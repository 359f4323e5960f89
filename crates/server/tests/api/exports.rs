//! Exports: `POST /search/export` and `POST /collections/{id}/xref.xlsx` queue an export
//! that a worker makes; `GET /exports` lists the caller's own with a download link; the
//! zip holds a workbook of every readable result, the original files and a manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};
use std::time::Duration;

use axum::http::StatusCode;
use calamine::{Reader, Xlsx, open_workbook_from_rs};
use serde_json::{Map, Value, json};
use server::services::exports;
use store::{Access, ExportOperation, NewExport, Stage};

use crate::common::{TestApp, UI_URL, User};

const LEASE: Duration = Duration::from_secs(60);

/// Put bytes in the archive; returns their hash.
async fn archived(app: &TestApp, bytes: &[u8]) -> String {
    let mut reader = bytes;
    app.state.archive.put_stream(&mut reader).await.unwrap().0
}

/// Write entities as the ingest stage does, and index them.
async fn ingested(app: &TestApp, collection_id: i64, entities: Vec<Value>) {
    let entities: Vec<ftm::Entity> = entities
        .into_iter()
        .map(|e| ftm::Entity::from_json(e, false).unwrap())
        .collect();
    server::services::entities::write(
        &app.state.store,
        &app.state.index,
        collection_id,
        "ingest:test",
        &entities,
    )
    .await
    .unwrap();
}

/// Run the export queue as a worker would.
async fn work(app: &TestApp) -> usize {
    exports::run_pending(&app.state, "test-worker", LEASE)
        .await
        .unwrap()
}

async fn my_exports(app: &TestApp, user: &User) -> Value {
    app.get("/api/2/exports")
        .auth(user)
        .send()
        .await
        .expect(StatusCode::OK)
        .json()
}

/// Follow an export's `links.download`.
async fn download(app: &TestApp, export: &Value) -> Vec<u8> {
    let url = export["links"]["download"]
        .as_str()
        .expect("a download link");
    let path = url.strip_prefix(UI_URL).unwrap();
    let resp = app.get(&format!("/{path}")).send().await;
    resp.expect(StatusCode::OK);
    resp.body.clone()
}

/// Every sheet of a workbook: name → rows of cells as text (header row included).
fn sheets(bytes: &[u8]) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = BTreeMap::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).unwrap();
        let rows = range
            .rows()
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect();
        out.insert(name, rows);
    }
    out
}

fn zip_files(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        out.insert(file.name().unwrap().to_string(), content);
    }
    out
}

/// The ids of every entity a search as `user` finds.
async fn searched_ids(app: &TestApp, user: &User) -> BTreeSet<String> {
    let found = app
        .get("/api/2/search?filter:schemata=Thing&limit=100")
        .auth(user)
        .send()
        .await
        .expect(StatusCode::OK)
        .json();
    found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_search_export_zips_every_readable_result_with_the_original_files() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let leak = app.collection(&alice, "leak").await;
    let secret = app.collection(&bob, "secret").await;
    let report = b"%PDF-1.4 the annual report\n".to_vec();
    let memo = "Memo: meet at the harbour, \u{00e9}t\u{00e9} 2024"
        .as_bytes()
        .to_vec();
    let report_hash = archived(&app, &report).await;
    let memo_hash = archived(&app, &memo).await;
    let mut people: Vec<Value> = (0..30)
        .map(|i| {
            json!({"id": format!("p{i}"), "schema": "Person",
                        "properties": {"name": [format!("Person Number {i}")]}})
        })
        .collect();
    people.push(json!({"id": "acme", "schema": "Company",
                       "properties": {"name": ["Acme Ltd"], "jurisdiction": ["gb"]}}));
    app.bulk(&alice, leak, &Value::Array(people)).await;
    // Documents arrive with their files as ingest writes them (`_bulk` drops checksums).
    ingested(
        &app,
        leak,
        vec![
            json!({"id": "doc-report", "schema": "Document", "properties": {
                "fileName": ["report.pdf"], "contentHash": [report_hash],
                "mimeType": ["application/pdf"]}}),
            json!({"id": "doc-memo", "schema": "Document", "properties": {
                "fileName": ["../memo.txt"], "contentHash": [memo_hash],
                "mimeType": ["text/plain"]}}),
        ],
    )
    .await;
    let secret_hash = archived(&app, b"secret bytes").await;
    app.bulk(
        &bob,
        secret,
        &json!([{"id": "x-secret", "schema": "Person", "properties": {"name": ["Secret Person"]}}]),
    )
    .await;
    ingested(
        &app,
        secret,
        vec![json!({"id": "x-doc", "schema": "Document", "properties": {
            "fileName": ["secret.txt"], "contentHash": [secret_hash]}})],
    )
    .await;

    // Anonymous callers may neither export nor list exports.
    app.post("/api/2/search/export?filter:schemata=Thing")
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.get("/api/2/exports")
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    // As for a search, a query needs a schema.
    app.post("/api/2/search/export")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);

    let queued = app
        .post("/api/2/search/export")
        .auth(&alice)
        .body("application/x-www-form-urlencoded", "filter:schemata=Thing")
        .send()
        .await;
    queued.expect(StatusCode::ACCEPTED);
    let queued = queued.json();
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["operation"], "exportsearch");
    assert_eq!(queued["creator_id"], alice.id.to_string());
    assert!(queued["links"].get("download").is_none(), "{queued}");

    assert_eq!(work(&app).await, 1);
    assert_eq!(work(&app).await, 0, "nothing is left pending");

    let listing = my_exports(&app, &alice).await;
    assert_eq!(listing["total"], 1, "{listing}");
    let export = &listing["results"][0];
    assert_eq!(export["id"], queued["id"]);
    assert_eq!(export["status"], "successful", "{export}");
    assert_eq!(export["mime_type"], "application/zip");
    assert_eq!(export["deleted"], false);
    assert!(export["expires_at"].is_string());
    // Bob sees none of Alice's exports.
    assert_eq!(my_exports(&app, &bob).await["total"], 0);

    let zipped = download(&app, export).await;
    assert_eq!(export["file_size"], zipped.len() as u64);
    let files = zip_files(&zipped);

    // The workbook: one sheet per schema, every result Alice can read, nothing of Bob's.
    let book = sheets(&files["export.xlsx"]);
    let mut exported = BTreeSet::new();
    for (name, rows) in &book {
        assert_eq!(rows[0][0], "ID", "{name}");
        for row in &rows[1..] {
            assert!(exported.insert(row[0].clone()), "{} twice", row[0]);
        }
    }
    assert_eq!(exported, searched_ids(&app, &alice).await);
    assert_eq!(exported.len(), 33);
    assert!(exported.iter().all(|id| !id.starts_with("x-")));
    assert_eq!(book["People"].len(), 31, "a header and 30 people");
    let names: BTreeSet<&str> = book["People"][1..].iter().map(|r| r[1].as_str()).collect();
    assert!(names.contains("Person Number 29"), "{names:?}");
    assert_eq!(book["Files"].len(), 3, "{:?}", book.keys());

    // The original files, byte for byte, named after their documents.
    let manifest: Vec<Vec<String>> = csv::Reader::from_reader(&files["manifest.csv"][..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(manifest.len(), 33);
    let with_files: BTreeMap<&str, (&str, &str)> = manifest
        .iter()
        .filter(|r| !r[4].is_empty())
        .map(|r| (r[0].as_str(), (r[4].as_str(), r[5].as_str())))
        .collect();
    assert_eq!(with_files.len(), 2, "{manifest:?}");
    for (short, bytes, hash) in [
        ("doc-report", &report, &report_hash),
        ("doc-memo", &memo, &memo_hash),
    ] {
        let (id, (path, listed_hash)) = with_files
            .iter()
            .find(|(id, _)| id.starts_with(short))
            .unwrap();
        assert_eq!(listed_hash, hash);
        assert!(path.starts_with(&format!("files/{id}/")), "{path}");
        assert!(!path.contains(".."), "{path}");
        assert_eq!(&files[*path], bytes, "{path}");
    }
    let schemas: BTreeSet<&str> = manifest.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(schemas, BTreeSet::from(["Company", "Document", "Person"]));
    assert!(!files.values().any(|f| f == b"secret bytes"));

    // The creator hears that the export is ready; the request was audited.
    let notes = app
        .state
        .store
        .list_notifications(&store::NotificationQuery::new(alice.id, None))
        .await
        .unwrap();
    assert_eq!(notes.total, 1);
    assert_eq!(notes.items[0].event, "complete_export");
    assert_eq!(notes.items[0].params["export"]["id"], queued["id"]);
    let shown = app
        .get("/api/2/notifications")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::OK)
        .json();
    let event = &shown["results"][0]["event"];
    assert_eq!(
        event["template"], "{{export}} is ready for download",
        "{shown}"
    );
    assert_eq!(
        shown["results"][0]["params"]["export"]["label"],
        "Search results"
    );
    app.state.audit.flush().await;
    let audit = app
        .state
        .store
        .audit_log(&store::AuditQuery {
            role_id: Some(alice.id),
            ..store::AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.action == store::AuditAction::Export
                && e.target.as_deref()
                    == Some(&format!("export:{}", queued["id"].as_str().unwrap()))),
        "{audit:?}"
    );
}

#[tokio::test]
async fn an_export_whose_worker_dies_is_made_by_another() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let leak = app.collection(&alice, "leak").await;
    app.bulk(
        &alice,
        leak,
        &json!([crate::common::person("p1", "Jane Roe")]),
    )
    .await;
    app.post("/api/2/search/export?filter:schemata=Person")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::ACCEPTED);
    // A worker takes it and dies without a word.
    let taken = app
        .state
        .store
        .claim_exports("dies", 1, Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(work(&app).await, 0, "the lease still holds");
    assert_eq!(
        my_exports(&app, &alice).await["results"][0]["status"],
        "pending"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(work(&app).await, 1);
    let export = &my_exports(&app, &alice).await["results"][0];
    assert_eq!(export["status"], "successful");
    let book = sheets(&zip_files(&download(&app, export).await)["export.xlsx"]);
    assert_eq!(book["People"].len(), 2);
}

/// Run the queued xref jobs as a worker would.
async fn work_xref(app: &TestApp) {
    let store = &app.state.store;
    loop {
        let jobs = store
            .claim("xref-worker", &[Stage::XREF.as_str()], 1, LEASE)
            .await
            .unwrap();
        let Some(job) = jobs.into_iter().next() else {
            return;
        };
        let outcome = server::services::xref::run_job(store, &job).await;
        store
            .complete("xref-worker", job.id, outcome)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_xref_export_is_a_workbook_of_the_matches() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let leak = app.collection(&alice, "leak").await;
    let sanctions = app.collection(&bob, "sanctions").await;
    app.grant(sanctions, alice.id, Access::Read).await;
    app.bulk(
        &alice,
        leak,
        &json!([{"id": "a-putin", "schema": "Person", "properties": {
            "name": ["Vladimir Putin"], "birthDate": ["1952-10-07"]}}]),
    )
    .await;
    app.bulk(
        &bob,
        sanctions,
        &json!([{"id": "s-putin", "schema": "Person", "properties": {
            "name": ["PUTIN, Vladimir Vladimirovich"], "birthDate": ["1952-10-07"]}}]),
    )
    .await;
    app.post(&format!("/api/2/collections/{leak}/xref"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::ACCEPTED);
    work_xref(&app).await;

    // Bob cannot read the leak: no export of it for him.
    app.post(&format!("/api/2/collections/{leak}/xref.xlsx"))
        .auth(&bob)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let queued = app
        .post(&format!("/api/2/collections/{leak}/xref.xlsx"))
        .auth(&alice)
        .send()
        .await;
    queued.expect(StatusCode::ACCEPTED);
    let queued = queued.json();
    assert_eq!(queued["operation"], "exportxref");
    assert_eq!(queued["collection_id"], leak.to_string());
    // While it waits, the collection's status shows Aleph's `exportxref` stage.
    let status = app
        .get(&format!("/api/2/collections/{leak}/status"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::OK)
        .json();
    let stage = status["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "exportxref")
        .unwrap_or_else(|| panic!("{status}"));
    assert_eq!(
        (stage["pending"].as_u64(), stage["running"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(status["pending"].as_u64().unwrap() >= 1);
    assert_eq!(work(&app).await, 1);
    let status = app
        .get(&format!("/api/2/collections/{leak}/status"))
        .auth(&alice)
        .send()
        .await
        .json();
    assert!(
        !status["stages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["stage"] == "exportxref"),
        "{status}"
    );

    let export = &my_exports(&app, &alice).await["results"][0];
    assert_eq!(export["status"], "successful", "{export}");
    let book = sheets(&download(&app, export).await);
    let rows = &book["Cross-reference"];
    assert_eq!(rows[0][0], "Score");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][2], "Vladimir Putin");
    assert_eq!(rows[1][4], "PUTIN, Vladimir Vladimirovich");
    // The same rows as the synchronous download.
    let direct = app
        .get(&format!("/api/2/collections/{leak}/xref.xlsx"))
        .auth(&alice)
        .send()
        .await;
    direct.expect(StatusCode::OK);
    assert_eq!(sheets(&direct.body)["Cross-reference"], *rows);
}

#[tokio::test]
async fn an_export_that_cannot_be_made_fails_with_the_reason() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let leak = app.collection(&alice, "leak").await;
    app.post(&format!("/api/2/collections/{leak}/xref.xlsx"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::ACCEPTED);
    // The collection goes before a worker gets to the export.
    app.state
        .store
        .delete_collection(leak, store::DeleteMode::Hard)
        .await
        .unwrap();
    assert_eq!(work(&app).await, 1);
    let export = &my_exports(&app, &alice).await["results"][0];
    assert_eq!(export["status"], "failed", "{export}");
    assert_eq!(export["error"], "the collection no longer exists");
    assert!(export["links"].get("download").is_none());
    assert!(export.get("content_hash").is_none());
    // Only a finished file is announced.
    let notes = app
        .state
        .store
        .list_notifications(&store::NotificationQuery::new(alice.id, None))
        .await
        .unwrap();
    assert_eq!(notes.total, 0);
}

#[tokio::test]
async fn expired_exports_lose_their_file_and_leave_the_listing() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let store = &app.state.store;
    let new = |label: &str, expires_at| NewExport {
        operation: ExportOperation::Search,
        label: label.into(),
        creator_id: alice.id,
        collection_id: None,
        params: Map::new(),
        meta: Map::new(),
        file_name: format!("{label}.zip"),
        mime_type: "application/zip".into(),
        expires_at,
        max_attempts: 1,
    };
    let old = store
        .create_export(new("old", store::now() - chrono::Duration::hours(1)))
        .await
        .unwrap();
    let kept = store
        .create_export(new("kept", store::now() + chrono::Duration::days(1)))
        .await
        .unwrap();
    let old_hash = archived(&app, b"old export bytes").await;
    let kept_hash = archived(&app, b"kept export bytes").await;
    for (id, hash) in [(old.id, &old_hash), (kept.id, &kept_hash)] {
        store.claim_exports("w", 1, LEASE).await.unwrap();
        store
            .finish_export(
                "w",
                id,
                store::ExportOutcome::Succeeded(store::ExportContent {
                    content_hash: hash.clone(),
                    file_size: 16,
                }),
            )
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(my_exports(&app, &alice).await["total"], 2);
    assert_eq!(exports::purge_expired(&app.state).await.unwrap(), 1);
    assert!(!app.state.archive.exists(&old_hash).await.unwrap());
    assert!(app.state.archive.exists(&kept_hash).await.unwrap());
    assert!(store.export(old.id).await.unwrap().deleted);
    let listing = my_exports(&app, &alice).await;
    assert_eq!(listing["total"], 1);
    assert_eq!(listing["results"][0]["id"], kept.id.to_string());
    assert_eq!(exports::purge_expired(&app.state).await.unwrap(), 0);
}
