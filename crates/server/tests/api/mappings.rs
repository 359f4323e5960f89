//! A collection's mappings: saving a mapping of an ingested table, running it through the
//! job ledger as a worker would, re-running after an edit, flushing, deleting, and who may
//! do what.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use ftm::{Namespace, make_id};
use serde_json::{Value, json};
use server::services::entities::{WriteOptions, prepare, write};
use server::services::table_mappings;
use store::{Access, JobOutcome};

use crate::common::{TestApp, User};

const FOREIGN_ID: &str = "directors";

/// The rows as the table ingestor keeps them: every cell quoted, no header line.
const ROWS: &str = "\"Ana Ortiz\",\"Acme Ltd\",\"de\",\"p1\"\n\
                    \"Bo Berg\",\"Acme Ltd\",\"fr\",\"p2\"\n\
                    \"Cy Chan\",\"Beta Inc\",\"gb\",\"not a valid id!\"\n\
                    \"Di Dorn\",\"Beta Inc\",\"us\",\"p4\"\n";

/// An ingested table: its rows in the archive and its entity, with `columns` naming them.
async fn make_table(app: &TestApp, cid: i64) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, ROWS).unwrap();
    let hash = app.state.archive.put_file(&path).await.unwrap();
    let collection = app.state.store.collection(cid).await.unwrap();
    let raw = json!({
        "id": "table-1",
        "schema": "Table",
        "properties": {
            "fileName": ["directors.csv"],
            "csvHash": [hash],
            "rowCount": ["4"],
            "columns": [r#"["name","company","country","pid"]"#],
        }
    });
    let opts = WriteOptions {
        origin: "ingest",
        clean: true,
        safe: false,
        sign_references: true,
    };
    let table = prepare(&collection, raw, &opts, 0).unwrap();
    let ids = write(&app.state.store, &app.state.index, cid, "ingest", &[table])
        .await
        .unwrap();
    ids[0].clone()
}

fn query_all() -> Value {
    json!({
        "entities": {
            "person": {
                "schema": "Person",
                "keys": ["name"],
                "properties": {
                    "name": {"column": "name"},
                    "nationality": {"column": "country"},
                }
            },
            "company": {
                "schema": "Company",
                "keys": ["company"],
                "properties": {"name": {"column": "company"}}
            },
            "directorship": {
                "schema": "Directorship",
                "keys": ["name", "company"],
                "properties": {
                    "director": {"entity": "person"},
                    "organization": {"entity": "company"},
                }
            },
            // A row whose `pid` is no valid id fails; the other rows load.
            "passport": {
                "schema": "Passport",
                "id_column": "pid",
                "properties": {
                    "holder": {"entity": "person"},
                    "number": {"column": "pid"},
                }
            }
        }
    })
}

/// The id the mapping gives an entity keyed on one value.
fn keyed_id(value: &str) -> String {
    let id = make_id(Some(FOREIGN_ID), &[value]).unwrap();
    Namespace::new(FOREIGN_ID).sign(&id).unwrap()
}

/// Run the queued mapping jobs as a worker would; returns their outcomes.
async fn work_mapping_queue(app: &TestApp) -> Vec<JobOutcome> {
    let store = &app.state.store;
    let mut outcomes = Vec::new();
    loop {
        let jobs = store
            .claim(
                "test-worker",
                &[table_mappings::LOAD_STAGE, table_mappings::FLUSH_STAGE],
                1,
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let Some(job) = jobs.into_iter().next() else {
            return outcomes;
        };
        let outcome = table_mappings::run_job(&app.state, &job).await;
        store
            .complete("test-worker", job.id, outcome.clone())
            .await
            .unwrap();
        outcomes.push(outcome);
    }
}

/// The names of the collection's entities of a schema, from the search index.
async fn names(app: &TestApp, user: &User, cid: i64, schema: &str) -> Vec<String> {
    let resp = app
        .get(&format!(
            "/api/2/entities?filter:schemata={schema}&filter:collection_id={cid}&limit=50"
        ))
        .auth(user)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let mut names: Vec<String> = resp.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["properties"]["name"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_table_maps_into_entities_and_a_rerun_replaces_them() {
    let app = TestApp::new().await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let eve = app.user("eve").await;
    let cid = app.collection(&ana, FOREIGN_ID).await;
    app.grant(cid, bob.id, Access::Read).await;
    let table_id = make_table(&app, cid).await;
    let base = format!("/api/2/collections/{cid}/mappings");
    let body = json!({"table_id": table_id, "mapping_query": query_all()});

    // Only a writer may save a mapping; the query and the table are checked.
    app.post(&base)
        .auth(&bob)
        .json(&body)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let broken = json!({"table_id": table_id, "mapping_query": {"entities": {
        "x": {"schema": "NoSuchSchema", "keys": ["name"]}}}});
    app.post(&base)
        .auth(&ana)
        .json(&broken)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    let not_a_table = json!({"table_id": "nothing-here", "mapping_query": query_all()});
    app.post(&base)
        .auth(&ana)
        .json(&not_a_table)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    let include = json!({"table_id": table_id, "mapping_query": {"include": "/etc/passwd",
        "entities": {"p": {"schema": "Person", "keys": ["name"]}}}});
    app.post(&base)
        .auth(&ana)
        .json(&include)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    let created = app.post(&base).auth(&ana).json(&body).send().await;
    created.expect(StatusCode::OK);
    let mapping = created.json();
    let mid = mapping["id"].as_str().unwrap().to_string();
    assert_eq!(mapping["table_id"], json!(table_id));
    assert_eq!(mapping["collection_id"], json!(cid.to_string()));
    assert_eq!(mapping["role_id"], json!(ana.id.to_string()));
    assert_eq!(mapping["query"], query_all());
    assert_eq!(mapping["table"]["id"], json!(table_id));
    let one = format!("{base}/{mid}");

    // Readers list and view; others do not.
    let listing = app.get(&base).auth(&bob).send().await;
    listing.expect(StatusCode::OK);
    assert_eq!(listing.json()["total"], json!(1));
    let filtered = app
        .get(&format!("{base}?filter:table=other"))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(filtered.json()["total"], json!(0));
    app.expect_each(
        &one,
        &[
            (Method::GET, Some(&eve), StatusCode::FORBIDDEN),
            (Method::GET, Some(&bob), StatusCode::OK),
        ],
    )
    .await;

    // A run is queued by writers only, shows in the collection's status, and a worker
    // does it.
    app.expect_each(
        &format!("{one}/trigger"),
        &[
            (Method::POST, Some(&bob), StatusCode::FORBIDDEN),
            (Method::POST, Some(&ana), StatusCode::ACCEPTED),
        ],
    )
    .await;
    let status = app
        .get(&format!("/api/2/collections/{cid}/status"))
        .auth(&ana)
        .send()
        .await;
    assert!(
        status.text().contains(table_mappings::LOAD_STAGE),
        "{}",
        status.text()
    );
    let viewed = app.get_json(&one, &ana).await;
    assert_eq!(viewed["last_run_status"], json!("pending"));
    let outcomes = work_mapping_queue(&app).await;
    assert!(
        matches!(outcomes[..], [JobOutcome::Succeeded { .. }]),
        "{outcomes:?}"
    );

    let viewed = app.get_json(&one, &ana).await;
    assert_eq!(viewed["last_run_status"], json!("successful"));
    let report = &viewed["last_run_report"];
    assert_eq!(report["rows"], json!(4));
    assert_eq!(report["error_count"], json!(1));
    assert_eq!(report["errors"][0]["row"], json!(3));
    assert!(
        viewed["last_run_err_msg"]
            .as_str()
            .unwrap()
            .contains("1 rows failed"),
        "{viewed}"
    );
    // Row 3 failed as a whole; the others made their entities.
    assert_eq!(
        names(&app, &bob, cid, "Person").await,
        ["Ana Ortiz", "Bo Berg", "Di Dorn"]
    );
    assert_eq!(
        names(&app, &bob, cid, "Company").await,
        ["Acme Ltd", "Beta Inc"]
    );
    let ana_id = keyed_id("Ana Ortiz");
    let stored = app
        .state
        .store
        .entities(cid, std::slice::from_ref(&ana_id))
        .await
        .unwrap();
    let person = &stored.entities[0].entity;
    assert_eq!(person.get("nationality"), ["de"]);
    assert_eq!(person.get("proof"), [table_id.as_str()]);
    let passport_id = Namespace::new(FOREIGN_ID).sign("p1").unwrap();
    let passport = app
        .state
        .store
        .entities(cid, std::slice::from_ref(&passport_id))
        .await
        .unwrap();
    assert_eq!(passport.entities[0].entity.get("holder"), [ana_id.as_str()]);

    // An edited mapping, run again, replaces what the first run made.
    let persons_only = json!({"table_id": table_id, "mapping_query": {"entities": {
        "person": {"schema": "Person", "keys": ["name"],
                   "properties": {"name": {"column": "name"}}}}}});
    app.post(&one)
        .auth(&bob)
        .json(&persons_only)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.post(&one)
        .auth(&ana)
        .json(&persons_only)
        .send()
        .await
        .expect(StatusCode::OK);
    app.post(&format!("{one}/trigger"))
        .auth(&ana)
        .send()
        .await
        .expect(StatusCode::ACCEPTED);
    work_mapping_queue(&app).await;
    assert_eq!(
        names(&app, &bob, cid, "Person").await,
        ["Ana Ortiz", "Bo Berg", "Cy Chan", "Di Dorn"]
    );
    assert!(names(&app, &bob, cid, "Company").await.is_empty());
    let viewed = app.get_json(&one, &ana).await;
    assert_eq!(viewed["last_run_report"]["error_count"], json!(0));
    assert!(viewed.get("last_run_err_msg").is_none_or(Value::is_null));

    // A flush removes the mapping's entities, not the table.
    app.expect_each(
        &format!("{one}/flush"),
        &[
            (Method::POST, Some(&bob), StatusCode::FORBIDDEN),
            (Method::POST, Some(&ana), StatusCode::ACCEPTED),
        ],
    )
    .await;
    work_mapping_queue(&app).await;
    assert!(names(&app, &bob, cid, "Person").await.is_empty());
    assert_eq!(
        app.state.store.count_entities(cid).await.unwrap(),
        1,
        "the table stays"
    );

    // Deleting a mapping removes what it wrote, then the mapping.
    app.post(&format!("{one}/trigger"))
        .auth(&ana)
        .send()
        .await
        .expect(StatusCode::ACCEPTED);
    work_mapping_queue(&app).await;
    assert_eq!(names(&app, &bob, cid, "Person").await.len(), 4);
    app.expect_each(
        &one,
        &[
            (Method::DELETE, Some(&bob), StatusCode::FORBIDDEN),
            (Method::DELETE, Some(&ana), StatusCode::NO_CONTENT),
            (Method::GET, Some(&ana), StatusCode::NOT_FOUND),
        ],
    )
    .await;
    assert!(names(&app, &bob, cid, "Person").await.is_empty());
}

#[tokio::test]
async fn mapped_entities_join_the_mappings_list() {
    let app = TestApp::new().await;
    let ana = app.user("ana").await;
    let cid = app.collection(&ana, FOREIGN_ID).await;
    let table_id = make_table(&app, cid).await;
    let set = app
        .post("/api/2/entitysets")
        .auth(&ana)
        .json(&json!({"collection_id": cid.to_string(), "type": "list", "label": "Mapped"}))
        .send()
        .await;
    set.expect(StatusCode::OK);
    let set_id = set.json()["id"].as_str().unwrap().to_string();
    let body = json!({"table_id": table_id, "entityset_id": set_id, "mapping_query": {
        "entities": {"person": {"schema": "Person", "keys": ["name"],
                                "properties": {"name": {"column": "name"}}}}}});
    let created = app
        .post(&format!("/api/2/collections/{cid}/mappings"))
        .auth(&ana)
        .json(&body)
        .send()
        .await;
    created.expect(StatusCode::OK);
    let mapping = created.json();
    assert_eq!(mapping["entityset"]["id"], json!(set_id));
    let mid = mapping["id"].as_str().unwrap();
    app.post(&format!("/api/2/collections/{cid}/mappings/{mid}/trigger"))
        .auth(&ana)
        .send()
        .await
        .expect(StatusCode::ACCEPTED);
    work_mapping_queue(&app).await;
    let items = app
        .state
        .store
        .entityset_items(set_id.parse().unwrap(), 50, 0)
        .await
        .unwrap();
    let mut ids: Vec<String> = items.items.into_iter().map(|i| i.entity_id).collect();
    ids.sort();
    let mut expected: Vec<String> = ["Ana Ortiz", "Bo Berg", "Cy Chan", "Di Dorn"]
        .iter()
        .map(|n| keyed_id(n))
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
}
