//! Entity view, create, update and delete (Aleph's `test_entities_api.py`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, UI_URL, person};

async fn only_id(app: &TestApp, cid: i64) -> String {
    let resp = app
        .get(&format!(
            "/api/2/entities?filter:schemata=Thing&filter:collection_id={cid}"
        ))
        .auth(&app.admin)
        .send()
        .await
        .json();
    assert_eq!(resp["total"], 1, "{resp}");
    resp["results"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn view_needs_read_access_and_has_the_full_shape() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cid = app.collection(&alice, "ents").await;
    let owner = json!({"id": "owner", "schema": "Person",
                       "properties": {"name": ["Ann Owner"], "nationality": ["de"],
                                      "email": ["ann@example.com"]}});
    let company = json!({"id": "co", "schema": "Company",
                         "properties": {"name": ["Acme Ltd"]}});
    let own = json!({"id": "own", "schema": "Ownership",
                     "properties": {"owner": ["owner"], "asset": ["co"]}});
    app.bulk(&alice, cid, &json!([owner, company, own])).await;
    let found = app
        .get_json("/api/2/entities?filter:schema=Ownership", &alice)
        .await;
    let id = found["results"][0]["id"].as_str().unwrap().to_string();
    let uri = format!("/api/2/entities/{id}");
    app.expect_each(
        &uri,
        &[
            (Method::GET, None, StatusCode::FORBIDDEN),
            (Method::GET, Some(&bob), StatusCode::FORBIDDEN),
        ],
    )
    .await;
    let view = app.get(&uri).auth(&alice).send().await;
    view.expect(StatusCode::OK);
    let view = view.json();
    assert_eq!(view["id"], id);
    assert_eq!(view["schema"], "Ownership");
    assert_eq!(view["shallow"], false);
    assert_eq!(
        view["links"]["self"],
        format!("{UI_URL}api/2/entities/{id}")
    );
    assert_eq!(view["collection"]["id"], cid.to_string());
    assert!(
        view["schemata"]
            .as_array()
            .unwrap()
            .contains(&json!("Interest"))
    );
    // Entity references come back as nested entities.
    let owner = &view["properties"]["owner"][0];
    assert_eq!(owner["schema"], "Person", "{view}");
    assert_eq!(owner["properties"]["name"], json!(["Ann Owner"]));
    assert!(owner["id"].as_str().unwrap().starts_with("owner."));

    let person_id = owner["id"].as_str().unwrap();
    let person = app
        .get_json(&format!("/api/2/entities/{person_id}"), &alice)
        .await;
    assert_eq!(person["caption"], "Ann Owner");
    assert_eq!(person["emails"], json!(["ann@example.com"]));
    assert_eq!(person["countries"], json!(["de"]));

    for missing in [
        "nope",
        "nope.0000",
        "a%20b",
        "%2E%2E",
        "..",
        "x".repeat(600).as_str(),
    ] {
        app.get(&format!("/api/2/entities/{missing}"))
            .auth(&app.admin)
            .send()
            .await
            .expect(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn create_update_and_delete() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cid = app.collection(&alice, "crud").await;
    app.grant(cid, bob.id, store::Access::Read).await;
    let body = json!({"schema": "Person", "collection_id": cid.to_string(),
                      "properties": {"name": ["Created Person"]}});
    app.post("/api/2/entities")
        .json(&body)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.post("/api/2/entities")
        .auth(&bob)
        .json(&body)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let created = app
        .post("/api/2/entities")
        .auth(&alice)
        .json(&body)
        .send()
        .await;
    created.expect(StatusCode::OK);
    let created = created.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["properties"]["name"], json!(["Created Person"]));
    assert_eq!(created["mutable"], true);
    assert_eq!(created["writeable"], true);
    assert_eq!(only_id(&app, cid).await, id);

    // The collection may also be given as a number or as `collection.id`.
    let nested = json!({"schema": "Company", "collection": {"id": cid},
                        "properties": {"name": ["Second"]}});
    app.post("/api/2/entities")
        .auth(&alice)
        .json(&nested)
        .send()
        .await
        .expect(StatusCode::OK);

    let uri = format!("/api/2/entities/{id}");
    let update = json!({"schema": "Person", "collection_id": cid,
                        "properties": {"name": ["Renamed Person"], "nationality": ["fr"]}});
    app.post(&uri)
        .auth(&bob)
        .json(&update)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let updated = app.post(&uri).auth(&alice).json(&update).send().await;
    updated.expect(StatusCode::OK);
    let updated = updated.json();
    assert_eq!(updated["id"], id);
    assert_eq!(updated["properties"]["name"], json!(["Renamed Person"]));
    assert_eq!(updated["properties"]["nationality"], json!(["fr"]));

    // An update with a bad schema or property is a 400 and changes nothing.
    for bad in [
        json!({"schema": "Nope", "collection_id": cid}),
        json!({"schema": "Thing", "collection_id": cid}),
        json!({"schema": "Person", "collection_id": cid, "properties": ["One"]}),
    ] {
        app.put(&uri)
            .auth(&alice)
            .json(&bad)
            .send()
            .await
            .expect(StatusCode::BAD_REQUEST);
    }
    let view = app.get_json(&uri, &alice).await;
    assert_eq!(view["properties"]["name"], json!(["Renamed Person"]));

    app.expect_each(
        &uri,
        &[
            (Method::DELETE, None, StatusCode::FORBIDDEN),
            (Method::DELETE, Some(&bob), StatusCode::FORBIDDEN),
            (Method::DELETE, Some(&alice), StatusCode::NO_CONTENT),
            (Method::GET, Some(&alice), StatusCode::NOT_FOUND),
            (Method::DELETE, Some(&alice), StatusCode::NOT_FOUND),
        ],
    )
    .await;
}

#[tokio::test]
async fn references_to_unreadable_entities_stay_bare_ids() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let secret = app.collection(&bob, "bobs-secrets").await;
    app.bulk(&bob, secret, &json!([person("hidden", "Hidden Person")]))
        .await;
    let hidden_id = only_id(&app, secret).await;
    let mine = app.collection(&alice, "alices").await;
    // Unsigned references (the default of POST /entities) keep the id as given.
    let body = json!({"schema": "Ownership", "collection_id": mine,
                      "properties": {"owner": [hidden_id.clone()]}});
    let created = app
        .post("/api/2/entities")
        .auth(&alice)
        .json(&body)
        .send()
        .await;
    created.expect(StatusCode::OK);
    let created = created.json();
    assert_eq!(
        created["properties"]["owner"],
        json!([hidden_id]),
        "{created}"
    );
    let found = app
        .get_json("/api/2/entities?filter:schema=Ownership", &alice)
        .await;
    assert_eq!(
        found["results"][0]["properties"]["owner"],
        json!([hidden_id])
    );
    assert!(!found.to_string().contains("Hidden Person"));
    // The admin reads both collections and gets the nested entity.
    let id = created["id"].as_str().unwrap();
    let by_admin = app
        .get_json(&format!("/api/2/entities/{id}"), &app.admin)
        .await;
    assert_eq!(
        by_admin["properties"]["owner"][0]["properties"]["name"],
        json!(["Hidden Person"])
    );
}

#[tokio::test]
async fn create_needs_a_collection() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let cases: [(Value, StatusCode); 6] = [
        (json!({"schema": "Person"}), StatusCode::BAD_REQUEST),
        (
            json!({"schema": "Person", "collection_id": "abc"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"schema": "Person", "collection_id": 1.5}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"schema": "Person", "collection_id": [1]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"schema": "Person", "collection_id": "99999"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"schema": "Person", "collection": "1"}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, status) in cases {
        let resp = app
            .post("/api/2/entities")
            .auth(&alice)
            .json(&body)
            .send()
            .await;
        assert_eq!(resp.status, status, "{body}: {}", resp.text());
    }
}

#[tokio::test]
async fn bulk_entities_are_not_editable_by_default() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let cid = app.collection(&alice, "immutable").await;
    app.bulk(&alice, cid, &json!([person("p", "Bulk Person")]))
        .await;
    let id = only_id(&app, cid).await;
    let view = app.get_json(&format!("/api/2/entities/{id}"), &alice).await;
    assert_eq!(view["writeable"], false);
    assert!(view.get("mutable").is_none() || view["mutable"] == false);
    // The documents alias answers the same.
    let doc = app
        .get(&format!("/api/2/documents/{id}"))
        .auth(&alice)
        .send()
        .await;
    doc.expect(StatusCode::OK);
    assert_eq!(doc.json()["id"], id);
}
