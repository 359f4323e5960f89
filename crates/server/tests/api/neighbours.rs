//! `GET /entities/{id}/expand` and `GET /entities/{id}/similar`: the neighbourhood of an
//! entity, grouped by property, and its likely duplicates, never past what the caller reads.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, User};

/// The signed id of the entity whose plain id is `plain`, looked up through search.
async fn signed(app: &TestApp, user: &User, plain: &str) -> String {
    let found = app
        .get_json(
            "/api/2/entities?filter:schemata=Thing&filter:schemata=Interval&limit=100",
            user,
        )
        .await;
    found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .find(|id| id.split('.').next() == Some(plain))
        .unwrap_or_else(|| panic!("{plain} not found in {found}"))
}

/// Archive `csv` and write a Table of it into the collection (the only Table there);
/// returns the archive hash and the Table's id as `reader` finds it.
async fn table(
    app: &TestApp,
    cid: i64,
    reader: &User,
    plain_id: &str,
    file_name: &str,
    csv: &str,
) -> (String, String) {
    let mut bytes = csv.as_bytes();
    let (hash, _) = app.state.archive.put_stream(&mut bytes).await.unwrap();
    // Checksums only pass `_bulk` for admins with safe=false.
    app.post(&format!("/api/2/collections/{cid}/_bulk?safe=false"))
        .auth(&app.admin)
        .json(&json!([{"id": plain_id, "schema": "Table",
            "properties": {"fileName": [file_name], "csvHash": [hash]}}]))
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);
    let found = app
        .get(&format!(
            "/api/2/entities?filter:schema=Table&filter:collection_id={cid}"
        ))
        .auth(reader)
        .send()
        .await
        .json();
    let id = found["results"][0]["id"].as_str().unwrap().to_string();
    (hash, id)
}

fn group<'a>(body: &'a Value, property: &str) -> Option<&'a Value> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["property"] == property)
}

#[tokio::test]
async fn expand_groups_both_directions_by_property_and_hides_unreadable_entities() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cid = app.collection(&alice, "registry").await;
    let entities = json!([
        {"id": "ann", "schema": "Person", "properties": {"name": ["Ann Owner"]}},
        {"id": "acme", "schema": "Company", "properties": {"name": ["Acme Ltd"]}},
        {"id": "beta", "schema": "Company", "properties": {"name": ["Beta GmbH"]}},
        {"id": "own1", "schema": "Ownership", "properties": {"owner": ["ann"], "asset": ["acme"], "percentage": ["60"]}},
        {"id": "own2", "schema": "Ownership", "properties": {"owner": ["ann"], "asset": ["beta"]}},
        {"id": "dir1", "schema": "Directorship", "properties": {"director": ["ann"], "organization": ["acme"]}},
    ]);
    app.bulk(&alice, cid, &entities).await;
    // Bob's own collection refers to Ann too; Alice cannot read it.
    let secret = app.collection(&bob, "secret").await;
    let ann = signed(&app, &alice, "ann").await;
    // A Family in Bob's collection that names Ann on both sides (references through
    // `POST /entities` are kept as given).
    let fam = json!({"schema": "Family", "collection_id": secret.to_string(),
        "properties": {"person": [ann.clone()], "relative": [ann.clone()]}});
    app.post("/api/2/entities?validate=false")
        .auth(&app.admin)
        .json(&fam)
        .send()
        .await
        .expect(StatusCode::OK);

    let uri = format!("/api/2/entities/{ann}/expand");
    app.get(&uri).send().await.expect(StatusCode::FORBIDDEN);
    let body = app.get_json(&uri, &alice).await;
    assert_eq!(body["status"], "ok", "{body}");
    let owned = group(&body, "ownershipOwner").expect("ownerships");
    assert_eq!(owned["count"], 2, "{body}");
    let entities = owned["entities"].as_array().unwrap();
    assert!(entities.iter().all(|e| e["schema"] == "Ownership"));
    // The relationship names its other end as a nested entity.
    let assets: Vec<&str> = entities
        .iter()
        .map(|e| {
            e["properties"]["asset"][0]["properties"]["name"][0]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        assets.contains(&"Acme Ltd") && assets.contains(&"Beta GmbH"),
        "{assets:?}"
    );
    assert_eq!(group(&body, "directorshipDirector").unwrap()["count"], 1);
    // Nothing from Bob's collection, not even a count.
    assert!(group(&body, "familyPerson").is_none(), "{body}");
    assert!(group(&body, "familyRelative").is_none(), "{body}");
    assert_eq!(body["total"], 2, "{body}");

    // The admin reads everything, Bob's Family included.
    let all = app.get_json(&uri, &app.admin).await;
    assert_eq!(group(&all, "familyPerson").unwrap()["count"], 1, "{all}");
    assert_eq!(group(&all, "familyRelative").unwrap()["count"], 1, "{all}");

    // filter:property and limit.
    let one = app
        .get_json(
            &format!("{uri}?filter:property=ownershipOwner&limit=1"),
            &alice,
        )
        .await;
    assert_eq!(one["total"], 1, "{one}");
    assert_eq!(one["results"][0]["count"], 2);
    assert_eq!(one["results"][0]["entities"].as_array().unwrap().len(), 1);

    // Outgoing references: the Ownership's own owner and asset.
    let own1 = signed(&app, &alice, "own1").await;
    let out = app
        .get_json(&format!("/api/2/entities/{own1}/expand"), &alice)
        .await;
    let owner = group(&out, "owner").expect("owner");
    assert_eq!(owner["count"], 1);
    assert_eq!(owner["entities"][0]["id"], ann);
    assert_eq!(
        group(&out, "asset").unwrap()["entities"][0]["properties"]["name"][0],
        "Acme Ltd"
    );
    app.get(&format!("{uri}?limit=many"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.get("/api/2/entities/nothing-here/expand")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn similar_scores_readable_candidates_and_shows_decisions() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let leak = app.collection(&alice, "leak").await;
    let list = app.collection(&alice, "list").await;
    let secret = app.collection(&bob, "hidden").await;
    let person = |id: &str, name: &str| {
        json!({"id": id, "schema": "Person", "properties": {
            "name": [name], "birthDate": ["1961-03-02"], "nationality": ["ru"]}})
    };
    app.bulk(
        &alice,
        leak,
        &json!([person("a1", "Viktor Petrovich Ivanov")]),
    )
    .await;
    app.bulk(
        &alice,
        list,
        &json!([person("l1", "Viktor Petrovich Ivanov"),
                {"id": "l2", "schema": "Company", "properties": {"name": ["Unrelated Shipping"]}}]),
    )
    .await;
    app.bulk(
        &bob,
        secret,
        &json!([person("s1", "Viktor Petrovich Ivanov")]),
    )
    .await;
    let a1 = signed(&app, &alice, "a1").await;
    let l1 = signed(&app, &alice, "l1").await;
    let uri = format!("/api/2/entities/{a1}/similar");
    app.get(&uri)
        .auth(&bob)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);

    let body = app.get_json(&uri, &alice).await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(results.len(), 1);
    let first = &results[0];
    assert_eq!(first["entity"]["id"], l1, "{body}");
    assert!(first["score"].as_f64().unwrap() > 0.5, "{first}");
    assert_eq!(first["judgement"], "no_judgement");
    assert_eq!(first["writeable"], true);
    // Never the entity itself, never Bob's collection.
    assert!(results.iter().all(|r| r["entity"]["id"] != a1.as_str()));
    assert!(
        results
            .iter()
            .all(|r| r["entity"]["collection"]["id"] != secret.to_string().as_str())
    );

    // The admin also sees Bob's copy.
    let all = app.get_json(&uri, &app.admin).await;
    assert_eq!(all["total"], 2, "{all}");

    // A decision shows up as the pair's judgement.
    app.post("/api/2/profiles/_pairwise")
        .auth(&alice)
        .json(&json!({"entity_id": a1, "match_id": l1, "judgement": "negative"}))
        .send()
        .await
        .expect(StatusCode::OK);
    let body = app.get_json(&uri, &alice).await;
    let judged: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["entity"]["id"] == l1.as_str())
        .collect();
    // A negative pair may be dropped by the matcher or shown as judged; never unjudged.
    assert!(
        judged.iter().all(|r| r["judgement"] == "negative"),
        "{body}"
    );
}

#[tokio::test]
async fn a_tables_rows_come_in_pages_with_column_filters() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cid = app.collection(&alice, "tables").await;
    let mut csv = String::from("name,port\n");
    for i in 1..=120 {
        csv.push_str(&format!(
            "\"Vessel {i}\",{}\n",
            if i % 2 == 0 { "Mombasa" } else { "Zanzibar" }
        ));
    }
    let (_, id) = table(&app, cid, &alice, "t1", "vessels.csv", &csv).await;
    let uri = format!("/api/2/entities/{id}/rows");
    app.get(&uri)
        .auth(&bob)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);

    let page = app
        .get_json(&format!("{uri}?offset=50&limit=50"), &alice)
        .await;
    assert_eq!(page["columns"], json!(["name", "port"]), "{page}");
    assert_eq!(page["total"], 120);
    assert_eq!(page["results"].as_array().unwrap().len(), 50);
    assert_eq!(page["results"][0], json!(["Vessel 51", "Zanzibar"]));
    let last = app
        .get_json(&format!("{uri}?offset=100&limit=50"), &alice)
        .await;
    assert_eq!(last["results"].as_array().unwrap().len(), 20);
    assert_eq!(last["results"][19][0], "Vessel 120");

    // "Vessel 11" is in 11 and 110..=119; the port filter halves that.
    let filtered = app
        .get_json(&format!("{uri}?col:0=vessel%2011"), &alice)
        .await;
    assert_eq!(filtered["total"], 11, "{filtered}");
    assert_eq!(filtered["unfiltered"], 120);
    let both = app
        .get_json(&format!("{uri}?col:0=vessel%2011&col:1=MOMBASA"), &alice)
        .await;
    assert_eq!(both["total"], 5, "{both}");
    let capped = app.get_json(&format!("{uri}?limit=100000"), &alice).await;
    assert_eq!(capped["limit"], 500);
    app.get(&format!("{uri}?col:x=1"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_page_deep_in_a_big_table_comes_through_the_row_index() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let cid = app.collection(&alice, "big-table").await;
    let rows = 5_321;
    let mut csv = String::from("n,note\r\n");
    for i in 0..rows {
        // Line breaks inside quotes: rows cannot be found by counting lines.
        if i % 10 == 0 {
            csv.push_str(&format!("{i},\"first\nsecond\"\r\n"));
        } else {
            csv.push_str(&format!("{i},row {i}\r\n"));
        }
    }
    let (hash, id) = table(&app, cid, &alice, "big", "big.csv", &csv).await;
    let uri = format!("/api/2/entities/{id}/rows?offset=5300&limit=50");
    let expected: Vec<Value> = (5300..rows)
        .map(|i| {
            let note = if i % 10 == 0 {
                "first\nsecond".to_string()
            } else {
                format!("row {i}")
            };
            json!([i.to_string(), note])
        })
        .collect();
    // The first read scans the table and leaves the index; the second seeks with it.
    for read in ["scan", "index"] {
        let page = app.get_json(&uri, &alice).await;
        assert_eq!(page["columns"], json!(["n", "note"]), "{read}: {page}");
        assert_eq!(page["total"], rows, "{read}");
        assert_eq!(page["unfiltered"], rows, "{read}");
        assert_eq!(page["results"], json!(expected), "{read}");
    }
    let index = app
        .state
        .settings
        .data_dir
        .join("cache/table-rows")
        .join(&hash[0..2])
        .join(format!("{hash}.rows"));
    assert!(index.exists(), "no row index at {}", index.display());
    let middle = app
        .get_json(
            &format!("/api/2/entities/{id}/rows?offset=2999&limit=2"),
            &alice,
        )
        .await;
    assert_eq!(
        middle["results"],
        json!([["2999", "row 2999"], ["3000", "first\nsecond"]])
    );
    let past = app
        .get_json(&format!("/api/2/entities/{id}/rows?offset=9000"), &alice)
        .await;
    assert_eq!(past["results"], json!([]));
    assert_eq!(past["total"], rows);
    // A filter still reads every row, and finds the last one.
    let last = app
        .get_json(
            &format!("/api/2/entities/{id}/rows?col:1=row%205319"),
            &alice,
        )
        .await;
    assert_eq!(last["results"], json!([["5319", "row 5319"]]));
}
