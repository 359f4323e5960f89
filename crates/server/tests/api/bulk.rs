//! `_bulk` and `_stream` (Aleph's `test_collections_api.py` bulk tests and
//! `test_stream_api.py`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, person, result_ids};

async fn search(app: &TestApp, user: &crate::common::User, query: &str) -> Value {
    let resp = app
        .get(&format!("/api/2/entities?{query}"))
        .auth(user)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    resp.json()
}

#[tokio::test]
async fn bulk_needs_a_writer() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let id = app.collection(&alice, "bulky").await;
    app.grant(id, bob.id, store::Access::Read).await;
    let uri = format!("/api/2/collections/{id}/_bulk");
    let body = json!([person("p1", "Ann")]);
    app.post(&uri)
        .json(&body)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.post(&uri)
        .auth(&bob)
        .json(&body)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.post("/api/2/collections/424242/_bulk")
        .auth(&app.admin)
        .json(&body)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    app.bulk(&alice, id, &body).await;
    let found = search(&app, &alice, "filter:schemata=Thing&q=Ann").await;
    assert_eq!(found["total"], 1);
    let entity = &found["results"][0];
    assert_eq!(entity["schema"], "Person");
    assert_eq!(entity["properties"]["name"], json!(["Ann"]));
    assert_eq!(entity["collection"]["id"], id.to_string());
    // The id is signed for the collection: "<plain>.<hmac>".
    let signed = entity["id"].as_str().unwrap();
    let (plain, signature) = signed.split_once('.').unwrap();
    assert_eq!(plain, "p1");
    assert_eq!(signature.len(), 40);
}

#[tokio::test]
async fn bulk_ids_are_signed_per_collection() {
    let app = TestApp::new().await;
    let a = app.collection(&app.admin, "one").await;
    let b = app.collection(&app.admin, "two").await;
    app.bulk(&app.admin, a, &json!([person("same", "Same")]))
        .await;
    app.bulk(&app.admin, b, &json!([person("same", "Same")]))
        .await;
    let found = search(&app, &app.admin, "filter:schemata=Thing").await;
    let ids = result_ids(&found);
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|id| id.starts_with("same.")));
    // Re-sending an already signed id keeps it.
    app.bulk(&app.admin, a, &json!([person(&ids[0], "Same Again")]))
        .await;
    let again = search(&app, &app.admin, "filter:schemata=Thing").await;
    assert_eq!(again["total"], 2, "{again}");
}

#[tokio::test]
async fn bulk_rejects_bad_entities_and_writes_nothing() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let id = app.collection(&alice, "strict").await;
    let uri = format!("/api/2/collections/{id}/_bulk");
    let bad = [
        json!([{"schema": "Person", "properties": {"name": ["No id"]}}]),
        json!([{"id": "", "schema": "Person"}]),
        json!([{"id": "x", "schema": "Banana"}]),
        json!([{"id": "x"}]),
        json!([{"id": "x", "schema": "Thing"}]),
        json!([{"id": "x", "schema": 5}]),
        json!([{"id": "x", "schema": "Interval"}]),
        json!([{"id": "x", "schema": "Person", "properties": "name"}]),
        json!([{"id": ["x"], "schema": "Person"}]),
        json!([person("good", "Good"), {"id": "bad", "schema": "Nope"}]),
        json!([person("good", "Good"), 5]),
        json!(["a string"]),
        json!("not a list"),
        json!(7),
        json!(null),
    ];
    for body in &bad {
        let resp = app.post(&uri).auth(&alice).json(body).send().await;
        assert_eq!(
            resp.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            resp.text()
        );
    }
    // The errors name the position and the field.
    let resp = app
        .post(&uri)
        .auth(&alice)
        .json(&json!([person("a", "A"), {"schema": "Person"}]))
        .send()
        .await;
    assert!(resp.json()["errors"]["1.id"].is_string(), "{}", resp.text());
    let found = search(&app, &alice, "filter:schemata=Thing").await;
    assert_eq!(
        found["total"], 0,
        "nothing of a failed request is written: {found}"
    );
    // An empty list is fine and writes nothing.
    app.bulk(&alice, id, &json!([])).await;
}

#[tokio::test]
async fn clean_false_is_honoured_for_admins_only() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let mine = app.collection(&alice, "user-clean").await;
    let theirs = app.collection(&app.admin, "admin-clean").await;
    let raw = json!([{"id": "co", "schema": "Company",
                      "properties": {"name": ["Acme"], "jurisdiction": ["Germany"]}}]);
    for (user, cid) in [(&alice, mine), (&app.admin, theirs)] {
        let resp = app
            .post(&format!("/api/2/collections/{cid}/_bulk?clean=false"))
            .auth(user)
            .json(&raw)
            .send()
            .await;
        resp.expect(StatusCode::NO_CONTENT);
    }
    let get = |cid: i64| {
        let app = &app;
        async move {
            let found = search(
                app,
                &app.admin,
                &format!("filter:schemata=Thing&filter:collection_id={cid}"),
            )
            .await;
            found["results"][0]["properties"]["jurisdiction"].clone()
        }
    };
    assert_eq!(
        get(mine).await,
        json!(["de"]),
        "users' entities are always cleaned"
    );
    assert_eq!(
        get(theirs).await,
        json!(["Germany"]),
        "admins may skip cleaning"
    );
}

#[tokio::test]
async fn unsafe_checksums_are_dropped_for_users() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let mine = app.collection(&alice, "user-safe").await;
    let hash = "a9993e364706816aba3e25717850c26c9cd0d89d";
    let doc = json!([{"id": "doc", "schema": "Document",
                      "properties": {"fileName": ["a.txt"], "contentHash": [hash]}}]);
    app.post(&format!("/api/2/collections/{mine}/_bulk?safe=false"))
        .auth(&alice)
        .json(&doc)
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);
    let found = search(&app, &alice, "filter:schemata=Document").await;
    let props = &found["results"][0]["properties"];
    assert_eq!(props["fileName"], json!(["a.txt"]));
    assert!(props.get("contentHash").is_none(), "{props}");
    assert!(found["results"][0]["links"].get("file").is_none());
}

fn lines(body: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(!text.contains("\n\n"), "no blank lines");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn stream_needs_write_access_and_filters() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let id = app.collection(&alice, "streamed").await;
    app.grant(id, bob.id, store::Access::Read).await;
    let company = json!({"id": "c1", "schema": "Company", "properties": {"name": ["Acme"]}});
    app.bulk(
        &alice,
        id,
        &json!([person("p1", "Ann"), person("p2", "Bo"), company]),
    )
    .await;
    let uri = format!("/api/2/collections/{id}/_stream");
    app.expect_each(
        &uri,
        &[
            (Method::GET, None, StatusCode::FORBIDDEN),
            (Method::GET, Some(&bob), StatusCode::FORBIDDEN),
        ],
    )
    .await;
    let resp = app.get(&uri).auth(&alice).send().await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.headers["content-type"], "application/x-ndjson");
    let all = lines(&resp.body);
    assert_eq!(all.len(), 3);
    assert!(
        all.iter()
            .all(|e| e["collection_id"].as_str() == Some(id.to_string().as_str()))
    );

    let people = app
        .get(&format!(
            "{uri}?schema=Person&include=id,schema&include=properties"
        ))
        .auth(&alice)
        .send()
        .await;
    people.expect(StatusCode::OK);
    let people = lines(&people.body);
    assert_eq!(people.len(), 2);
    for p in &people {
        let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3, "{p}");
        assert_eq!(p["schema"], "Person");
    }
    // LegalEntity includes its descendants.
    let legal = app
        .get(&format!("{uri}?schema=LegalEntity"))
        .auth(&alice)
        .send()
        .await;
    assert_eq!(lines(&legal.body).len(), 3);
    app.get(&format!("{uri}?schema=Banana"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);

    // The global stream covers what the caller may write.
    let own = app.collection(&bob, "bobs").await;
    app.bulk(&bob, own, &json!([person("b1", "Bob's")])).await;
    let global = app.get("/api/2/entities/_stream").auth(&bob).send().await;
    let global = lines(&global.body);
    assert_eq!(global.len(), 1, "bob only reads alice's collection");
    app.get("/api/2/entities/_stream")
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let everything = app
        .get("/api/2/entities/_stream")
        .auth(&app.admin)
        .send()
        .await;
    assert_eq!(lines(&everything.body).len(), 4);
}
