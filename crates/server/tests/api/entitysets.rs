//! `/api/2/entitysets`: CRUD, items, the set's entities as a search, export, and
//! permissions that follow the collection's.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::Access;

use crate::common::{TestApp, User, person};

/// The signed id of the entity named `name` in a collection.
async fn entity_id(app: &TestApp, user: &User, collection_id: i64, name: &str) -> String {
    let resp = app
        .get(&format!(
            "/api/2/entities?filter:schemata=Thing&filter:collection_id={collection_id}&q=%22{name}%22"
        ))
        .auth(user)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let body = resp.json();
    assert_eq!(body["total"], 1, "{body}");
    body["results"][0]["id"].as_str().unwrap().to_string()
}

fn ids(listing: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn entityset_crud_items_and_permissions() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let c = app.collection(&alice, "sets_case").await;
    app.grant(c, bob.id, Access::Read).await;
    app.bulk(
        &alice,
        c,
        &json!([
            person("p1", "Annabel Lee"),
            person("p2", "Bertram Wooster"),
            person("p3", "Cecil Rhodes")
        ]),
    )
    .await;
    let ann = entity_id(&app, &alice, c, "Annabel").await;
    let bert = entity_id(&app, &alice, c, "Bertram").await;
    let cecil = entity_id(&app, &alice, c, "Cecil").await;

    // Create a diagram with a layout and a first member.
    let layout = json!({"vertices": [{"id": ann, "position": {"x": 3, "y": 4}}], "edges": []});
    let resp = app
        .post("/api/2/entitysets")
        .auth(&alice)
        .json(&json!({
            "label": "Who knows whom",
            "type": "diagram",
            "collection_id": c.to_string(),
            "summary": "first sketch",
            "layout": layout,
            "entities": [ann],
        }))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let set = resp.json();
    let set_id = set["id"].as_str().unwrap().to_string();
    assert_eq!(set["type"], "diagram");
    assert_eq!(set["label"], "Who knows whom");
    assert_eq!(set["summary"], "first sketch");
    assert_eq!(set["layout"]["vertices"][0]["position"]["x"], 3);
    assert_eq!(set["collection"]["id"], c.to_string());
    assert_eq!(set["role_id"], alice.id.to_string());
    assert_eq!(set["writeable"], true);

    // Bad requests.
    for (body, field) in [
        (
            json!({"label": "x", "type": "poster", "collection_id": c}),
            "type",
        ),
        (json!({"label": "x", "type": "list"}), "collection_id"),
        (
            json!({"label": " ", "type": "list", "collection_id": c}),
            "label",
        ),
        (
            json!({"label": "x", "type": "list", "collection_id": c, "layout": [1]}),
            "layout",
        ),
    ] {
        let resp = app
            .post("/api/2/entitysets")
            .auth(&alice)
            .json(&body)
            .send()
            .await;
        resp.expect(StatusCode::BAD_REQUEST);
        assert!(resp.json()["errors"][field].is_string(), "{}", resp.text());
    }
    // Readers and strangers cannot create sets in the collection; anonymous neither.
    let new_list = json!({"label": "Mine", "type": "list", "collection_id": c});
    for who in [Some(&bob), Some(&carol), None] {
        let mut req = app.post("/api/2/entitysets").json(&new_list);
        if let Some(user) = who {
            req = req.auth(user);
        }
        req.send().await.expect(StatusCode::FORBIDDEN);
    }
    let resp = app
        .post("/api/2/entitysets")
        .auth(&alice)
        .json(&new_list)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let list_id = resp.json()["id"].as_str().unwrap().to_string();

    // Listing follows read access, with filters.
    let listing = app
        .get(&format!("/api/2/entitysets?filter:collection_id={c}"))
        .auth(&bob)
        .send()
        .await;
    listing.expect(StatusCode::OK);
    let body = listing.json();
    assert_eq!(body["total"], 2);
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["writeable"] == false)
    );
    let diagrams = app
        .get_json("/api/2/entitysets?filter:type=diagram", &alice)
        .await;
    assert_eq!(ids(&diagrams, "id"), std::slice::from_ref(&set_id));
    for who in [&carol] {
        let none = app.get_json("/api/2/entitysets", who).await;
        assert_eq!(none["total"], 0);
        let none = app
            .get_json(&format!("/api/2/entitysets?filter:collection_id={c}"), who)
            .await;
        assert_eq!(none["total"], 0);
    }
    app.get("/api/2/entitysets?filter:type=poster")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);

    // Viewing needs read; changing needs write.
    let uri = format!("/api/2/entitysets/{set_id}");
    app.expect_each(
        &uri,
        &[
            (Method::GET, Some(&bob), StatusCode::OK),
            (Method::GET, Some(&carol), StatusCode::FORBIDDEN),
        ],
    )
    .await;
    app.get("/api/2/entitysets/999999")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    app.post(&uri)
        .auth(&bob)
        .json(&json!({"label": "hijacked"}))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let moved = json!({"vertices": [{"id": ann, "position": {"x": 10, "y": 20}}]});
    let resp = app
        .post(&uri)
        .auth(&alice)
        .json(&json!({"label": "Network", "layout": moved}))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let updated = resp.json();
    assert_eq!(updated["label"], "Network");
    assert_eq!(updated["summary"], "first sketch", "unnamed fields stay");
    assert_eq!(updated["layout"]["vertices"][0]["position"]["y"], 20);

    // Items: add, judge, list; readers see them and cannot change them.
    let items_uri = format!("/api/2/entitysets/{set_id}/items");
    let resp = app
        .post(&items_uri)
        .auth(&alice)
        .json(&json!({"entity_id": bert, "judgement": "positive"}))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let item = resp.json();
    assert_eq!(item["id"], format!("{set_id}${bert}"));
    assert_eq!(item["judgement"], "positive");
    assert_eq!(item["entity"]["id"], bert);
    assert_eq!(item["added_by_id"], alice.id.to_string());
    app.post(&items_uri)
        .auth(&alice)
        .json(&json!({"entity": {"id": cecil}, "judgement": "unsure"}))
        .send()
        .await
        .expect(StatusCode::OK);
    app.post(&items_uri)
        .auth(&bob)
        .json(&json!({"entity_id": cecil}))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.post(&items_uri)
        .auth(&alice)
        .json(&json!({"entity_id": "no-such-entity"}))
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    app.post(&items_uri)
        .auth(&alice)
        .json(&json!({"entity_id": bert, "judgement": "maybe"}))
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    let items = app.get(&items_uri).auth(&bob).send().await;
    items.expect(StatusCode::OK);
    let items = items.json();
    assert_eq!(items["total"], 3);
    let mut judged: Vec<(String, String)> = items["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["entity_id"].as_str().unwrap().to_string(),
                i["judgement"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    judged.sort();
    let mut expected = vec![
        (ann.clone(), "positive".to_string()),
        (bert.clone(), "positive".to_string()),
        (cecil.clone(), "unsure".to_string()),
    ];
    expected.sort();
    assert_eq!(judged, expected);

    // The set's entities: a search over its members (positive items only).
    let entities_uri = format!("/api/2/entitysets/{set_id}/entities");
    let found = app.get(&entities_uri).auth(&bob).send().await;
    found.expect(StatusCode::OK);
    let mut members = vec![ann.clone(), bert.clone()];
    members.sort();
    assert_eq!(ids(&found.json(), "id"), members);
    let narrowed = app
        .get_json(&format!("{entities_uri}?q=Bertram"), &alice)
        .await;
    assert_eq!(ids(&narrowed, "id"), std::slice::from_ref(&bert));
    app.get(&entities_uri)
        .auth(&carol)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);

    // `no_judgement` takes an item out.
    app.post(&items_uri)
        .auth(&alice)
        .json(&json!({"entity_id": bert, "judgement": "no_judgement"}))
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);
    let found = app.get_json(&entities_uri, &alice).await;
    assert_eq!(ids(&found, "id"), std::slice::from_ref(&ann));

    // Adding a new entity through the set writes it into the collection.
    let resp = app
        .post(&entities_uri)
        .auth(&alice)
        .json(&json!({"schema": "Company", "properties": {"name": ["Drones Club Ltd"]}}))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let club = resp.json()["id"].as_str().unwrap().to_string();
    assert!(
        club.contains('.'),
        "ids are signed with the collection's namespace: {club}"
    );
    assert_eq!(entity_id(&app, &alice, c, "Drones").await, club);
    let found = app.get_json(&entities_uri, &alice).await;
    let mut members = vec![ann.clone(), club.clone()];
    members.sort();
    assert_eq!(ids(&found, "id"), members);

    // Export: FtM JSON lines of the members.
    let resp = app
        .get(&format!("/api/2/entitysets/{set_id}/_stream"))
        .auth(&bob)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.headers["content-type"], "application/x-ndjson");
    let mut lines: Vec<Value> = resp
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.sort_by_key(|e| e["id"].as_str().unwrap().to_string());
    assert_eq!(lines.len(), 2);
    let exported: Vec<&str> = lines.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(exported, members);
    let company = lines.iter().find(|e| e["id"] == club).unwrap();
    assert_eq!(company["schema"], "Company");
    assert_eq!(company["properties"]["name"][0], "Drones Club Ltd");

    // Delete: writers only; then it is gone.
    app.expect_each(
        &uri,
        &[
            (Method::DELETE, Some(&bob), StatusCode::FORBIDDEN),
            (Method::DELETE, Some(&alice), StatusCode::NO_CONTENT),
            (Method::GET, Some(&alice), StatusCode::NOT_FOUND),
        ],
    )
    .await;
    let left = app
        .get_json(
            &format!("/api/2/entitysets?filter:collection_id={c}"),
            &alice,
        )
        .await;
    assert_eq!(ids(&left, "id"), [list_id]);
}

#[tokio::test]
async fn items_from_unreadable_collections_stay_hidden() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let dave = app.user("dave").await;
    let mine = app.collection(&alice, "alice_case").await;
    let secret = app.collection(&dave, "dave_secret").await;
    app.bulk(&alice, mine, &json!([person("a1", "Visible Person")]))
        .await;
    app.bulk(&dave, secret, &json!([person("d1", "Hidden Person")]))
        .await;
    let visible = entity_id(&app, &alice, mine, "Visible").await;
    let hidden = entity_id(&app, &dave, secret, "Hidden").await;

    let resp = app
        .post("/api/2/entitysets")
        .auth(&alice)
        .json(
            &json!({"label": "Profile", "type": "profile", "collection_id": mine,
                      "entities": [visible]}),
        )
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let set_id = resp.json()["id"].as_str().unwrap().to_string();
    // Alice cannot name an entity she cannot read, at creation or later.
    app.post("/api/2/entitysets")
        .auth(&alice)
        .json(
            &json!({"label": "Sneaky", "type": "list", "collection_id": mine,
                      "entities": [hidden]}),
        )
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    let items_uri = format!("/api/2/entitysets/{set_id}/items");
    app.post(&items_uri)
        .auth(&alice)
        .json(&json!({"entity_id": hidden}))
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    // An administrator, who reads everything, adds it.
    app.post(&items_uri)
        .auth(&app.admin)
        .json(&json!({"entity_id": hidden}))
        .send()
        .await
        .expect(StatusCode::OK);
    let as_admin = app.get_json(&items_uri, &app.admin).await;
    assert_eq!(as_admin["results"].as_array().unwrap().len(), 2);
    assert_eq!(as_admin["total"], 2);
    let paged = app
        .get_json(&format!("{items_uri}?limit=1&offset=1"), &app.admin)
        .await;
    assert_eq!(paged["results"].as_array().unwrap().len(), 1);
    assert_eq!(paged["total"], 2);

    // Alice sees neither the item nor the entity, in any answer.
    let items = app.get_json(&items_uri, &alice).await;
    assert_eq!(ids(&items, "entity_id"), std::slice::from_ref(&visible));
    assert_eq!(items["total"], 1, "hidden items do not count");
    let entities = app
        .get_json(&format!("/api/2/entitysets/{set_id}/entities"), &alice)
        .await;
    assert_eq!(ids(&entities, "id"), std::slice::from_ref(&visible));
    let export = app
        .get(&format!("/api/2/entitysets/{set_id}/_stream"))
        .auth(&alice)
        .send()
        .await;
    export.expect(StatusCode::OK);
    assert!(!export.text().contains("Hidden Person"));
    assert!(export.text().contains("Visible Person"));
    let export = app
        .get(&format!("/api/2/entitysets/{set_id}/_stream"))
        .auth(&app.admin)
        .send()
        .await;
    assert!(export.text().contains("Hidden Person"));
}
