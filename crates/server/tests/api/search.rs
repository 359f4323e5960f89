//! Entity search (Aleph's `test_search_api.py` and `test_entities_api.py` search cases):
//! the schema filter rule, facets with labels, filters, permissions.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, User};

async fn setup() -> (TestApp, User, i64, i64) {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let a = app.collection(&alice, "people").await;
    let b = app.collection(&app.admin, "companies").await;
    let people = json!([
        {"id": "p1", "schema": "Person",
         "properties": {"name": ["Ann Smith"], "nationality": ["de"], "email": ["ann@x.org"]}},
        {"id": "p2", "schema": "Person",
         "properties": {"name": ["Bob Smith"], "nationality": ["fr"]}},
        {"id": "p3", "schema": "Person",
         "properties": {"name": ["Cleo Jones"], "nationality": ["de"]}},
    ]);
    app.bulk(&alice, a, &people).await;
    let companies = json!([
        {"id": "c1", "schema": "Company",
         "properties": {"name": ["Smith Holdings"], "jurisdiction": ["gb"]}},
        {"id": "d1", "schema": "PlainText", "properties": {"fileName": ["notes.txt"]}},
    ]);
    app.bulk(&app.admin, b, &companies).await;
    (app, alice, a, b)
}

async fn get(app: &TestApp, user: Option<&User>, query: &str) -> Value {
    let mut req = app.get(&format!("/api/2/entities?{query}"));
    if let Some(u) = user {
        req = req.auth(u);
    }
    let resp = req.send().await;
    resp.expect(StatusCode::OK);
    resp.json()
}

fn facet(listing: &Value, name: &str) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> = listing["facets"][name]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("no facet {name}: {listing}"))
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect();
    values.sort();
    values
}

#[tokio::test]
async fn a_schema_filter_is_required() {
    let (app, alice, _, _) = setup().await;
    for query in ["", "q=smith", "filter:schema=", "filter:countries=de"] {
        let resp = app
            .get(&format!("/api/2/entities?{query}"))
            .auth(&alice)
            .send()
            .await;
        resp.expect(StatusCode::BAD_REQUEST);
    }
    // POST /search takes the arguments from a form too.
    let resp = app
        .post("/api/2/search")
        .auth(&app.admin)
        .body(
            "application/x-www-form-urlencoded",
            "q=smith&filter:schemata=Thing",
        )
        .send()
        .await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.json()["total"], 3);
    let resp = app
        .get("/api/2/search?filter:schemata=Thing")
        .auth(&app.admin)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.json()["total"], 5);
}

#[tokio::test]
async fn query_text_with_facets() {
    let (app, alice, a, _) = setup().await;
    let found = get(
        &app,
        Some(&app.admin),
        "q=smith&filter:schemata=Thing&facet=schema&facet=countries&facet=collection_id",
    )
    .await;
    assert_eq!(found["total"], 3);
    assert_eq!(found["query_text"], "smith");
    assert_eq!(
        facet(&found, "schema"),
        vec![("Company".into(), 1), ("Person".into(), 2)]
    );
    let schema_values = found["facets"]["schema"]["values"].as_array().unwrap();
    let person = schema_values.iter().find(|v| v["id"] == "Person").unwrap();
    assert_eq!(person["label"], "People");
    let countries = found["facets"]["countries"]["values"].as_array().unwrap();
    let germany = countries.iter().find(|v| v["id"] == "de").unwrap();
    assert_eq!(germany["label"], "Germany");
    assert_eq!(
        facet(&found, "countries"),
        vec![("de".into(), 1), ("fr".into(), 1), ("gb".into(), 1)]
    );
    let collections = found["facets"]["collection_id"]["values"]
        .as_array()
        .unwrap();
    let people = collections
        .iter()
        .find(|v| v["id"].as_str() == Some(a.to_string().as_str()))
        .unwrap();
    assert_eq!(people["label"], "people");
    assert_eq!(people["count"], 2);

    // Alice reads only her collection: the facets say nothing of the other.
    let mine = get(
        &app,
        Some(&alice),
        "q=smith&filter:schemata=Thing&facet=collection_id",
    )
    .await;
    assert_eq!(mine["total"], 2);
    assert_eq!(facet(&mine, "collection_id"), vec![(a.to_string(), 2)]);
    let anon = get(&app, None, "q=smith&filter:schemata=Thing&facet=schema").await;
    assert_eq!(anon["total"], 0);
    assert_eq!(facet(&anon, "schema"), vec![]);
}

#[tokio::test]
async fn filters_schema_schemata_collection_and_properties() {
    let (app, _, a, b) = setup().await;
    let admin = Some(&app.admin);
    assert_eq!(get(&app, admin, "filter:schema=Person").await["total"], 3);
    assert_eq!(
        get(&app, admin, "filter:schema=LegalEntity").await["total"],
        0
    );
    assert_eq!(
        get(&app, admin, "filter:schemata=LegalEntity").await["total"],
        4
    );
    assert_eq!(
        get(&app, admin, "filter:schemata=Document").await["total"],
        1
    );
    let both = "filter:schema=Person&filter:schema=Company";
    assert_eq!(get(&app, admin, both).await["total"], 4);
    let q = format!("filter:schemata=Thing&filter:collection_id={a}");
    assert_eq!(get(&app, admin, &q).await["total"], 3);
    let q = format!("filter:schemata=Thing&filter:collection_id={b}");
    assert_eq!(get(&app, admin, &q).await["total"], 2);
    assert_eq!(
        get(&app, admin, "filter:schemata=Thing&filter:countries=de").await["total"],
        2
    );
    let q = "filter:schemata=Thing&filter:properties.nationality=fr";
    assert_eq!(get(&app, admin, q).await["total"], 1);
    let q = "filter:schemata=Thing&filter:emails=ann@x.org";
    assert_eq!(get(&app, admin, q).await["total"], 1);
    let q = "filter:schema=Person&empty:properties.email=true";
    assert_eq!(get(&app, admin, q).await["total"], 2);
    let q = "filter:schemata=Thing&q=properties.nationality:fr";
    assert_eq!(get(&app, admin, q).await["total"], 1);
    let q = "filter:schemata=Thing&q=cleo";
    let cleo = get(&app, admin, q).await;
    assert_eq!(cleo["total"], 1, "{cleo}");
    assert_eq!(
        cleo["results"][0]["properties"]["name"],
        json!(["Cleo Jones"])
    );
}

#[tokio::test]
async fn bad_search_arguments_are_400s() {
    let (app, _, _, _) = setup().await;
    for query in [
        "filter:schema=Banana",
        "filter:schemata=Thing&limit=ten",
        "filter:schemata=Thing&offset=1.5",
        "filter:schemata=Thing&limit=0x10",
        "filter:schemata=Thing&facet_size:schema=x&facet=schema",
        "filter:schemata=Thing&sort=nonsense:sideways",
        "filter:schemata=Thing&q=name:(unbalanced",
        "filter:schemata=Thing&filter:gte:dates=notadate",
        "filter:schemata=Thing&filter:nonsense_field=1",
        "filter:schemata=Thing&highlight=perhaps",
    ] {
        let resp = app
            .get(&format!("/api/2/entities?{query}"))
            .auth(&app.admin)
            .send()
            .await;
        assert_eq!(
            resp.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            resp.text()
        );
    }
}
