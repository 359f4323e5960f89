//! The paging envelope: totals, `page`/`pages`, `limit` echo, absolute `next`/`previous`
//! links that a client can follow, and the 9,999 window.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, UI_URL, person};

async fn with_entities(n: usize) -> (TestApp, i64) {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "paged").await;
    let entities: Vec<Value> = (0..n)
        .map(|i| person(&format!("p{i:03}"), &format!("Person {i}")))
        .collect();
    app.bulk(&app.admin, cid, &Value::Array(entities)).await;
    (app, cid)
}

/// A `next` link made relative to the test router.
fn local(link: &Value) -> Option<String> {
    link.as_str().map(|l| {
        let rest = l
            .strip_prefix(UI_URL)
            .unwrap_or_else(|| panic!("not on the UI URL: {l}"));
        format!("/{rest}")
    })
}

#[tokio::test]
async fn envelope_fields_and_links() {
    let (app, cid) = with_entities(25).await;
    let uri =
        format!("/api/2/entities?q=&filter:collection_id={cid}&filter:schemata=Thing&limit=10");
    let first = app.get(&uri).auth(&app.admin).send().await.json();
    assert_eq!(first["status"], "ok");
    assert_eq!(first["total"], 25);
    assert_eq!(first["total_type"], "eq");
    assert_eq!(first["limit"], 10);
    assert_eq!(first["offset"], 0);
    assert_eq!(first["page"], 1);
    assert_eq!(first["pages"], 3);
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(first["results"].as_array().unwrap().len(), 10);
    assert_eq!(
        first["next"],
        format!(
            "{UI_URL}api/2/entities?offset=10&limit=10&filter%3Acollection_id={cid}&filter%3Aschemata=Thing"
        )
    );
    assert!(first["facets"].is_object());

    let second = app
        .get(&local(&first["next"]).unwrap())
        .auth(&app.admin)
        .send()
        .await
        .json();
    assert_eq!(second["page"], 2);
    assert_eq!(second["offset"], 10);
    assert!(
        second["previous"]
            .as_str()
            .unwrap()
            .contains("offset=0&limit=10")
    );
    let third = app
        .get(&local(&second["next"]).unwrap())
        .auth(&app.admin)
        .send()
        .await
        .json();
    assert_eq!(third["results"].as_array().unwrap().len(), 5);
    assert_eq!(third["next"], Value::Null);

    // The api_key parameter is carried over, so links work for key-in-URL clients.
    let keyed = app
        .get(&format!(
            "/api/2/entities?filter:schemata=Thing&limit=10&api_key={}",
            app.admin.key
        ))
        .send()
        .await
        .json();
    let next = keyed["next"].as_str().unwrap();
    assert!(
        next.contains(&format!("api_key={}", app.admin.key)),
        "{next}"
    );
    let followed = app.get(&local(&keyed["next"]).unwrap()).send().await.json();
    assert_eq!(followed["results"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn following_next_yields_every_entity_once() {
    let (app, _) = with_entities(47).await;
    for limit in [1, 5, 10, 47, 100] {
        let mut seen = BTreeSet::new();
        let mut uri = Some(format!(
            "/api/2/entities?filter:schemata=Thing&limit={limit}"
        ));
        let mut requests = 0;
        while let Some(next) = uri {
            let page = app.get(&next).auth(&app.admin).send().await.json();
            assert_eq!(page["limit"], limit);
            for e in page["results"].as_array().unwrap() {
                assert!(
                    seen.insert(e["id"].as_str().unwrap().to_string()),
                    "repeated"
                );
            }
            uri = local(&page["next"]);
            requests += 1;
            assert!(requests <= 48);
        }
        assert_eq!(seen.len(), 47, "limit {limit}");
    }
    // Collections page the same way.
    for i in 0..4 {
        app.collection(&app.admin, &format!("extra-{i}")).await;
    }
    let page = app
        .get("/api/2/collections?limit=2&offset=2")
        .auth(&app.admin)
        .send()
        .await
        .json();
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["pages"], 3);
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    assert!(
        page["next"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{UI_URL}api/2/collections?offset=4&limit=2"))
    );
}

#[tokio::test]
async fn caps_at_the_window() {
    let (app, _) = with_entities(3).await;
    let get = |query: &str| {
        let app = &app;
        let uri = format!("/api/2/entities?filter:schemata=Thing&{query}");
        async move {
            let resp = app.get(&uri).auth(&app.admin).send().await;
            resp.expect(StatusCode::OK);
            resp.json()
        }
    };
    let big = get("limit=100000").await;
    assert_eq!(big["limit"], 9999);
    assert_eq!(big["results"].as_array().unwrap().len(), 3);
    // The requested limit is echoed even when the window cuts the page.
    let late = get("limit=300&offset=9900").await;
    assert_eq!(late["limit"], 300);
    assert_eq!(late["offset"], 9900);
    assert_eq!(late["results"], json!([]));
    assert_eq!(late["next"], Value::Null);
    let past = get("offset=50000").await;
    assert_eq!(past["offset"], 9999);
    assert_eq!(past["results"], json!([]));
    let zero = get("limit=0&facet=schema").await;
    assert_eq!(zero["total"], 3);
    assert_eq!(zero["results"], json!([]));
    assert_eq!(zero["facets"]["schema"]["values"][0]["count"], 3);
    assert_eq!(get("limit=%2B5").await["limit"], 5);
    // Negative and overlong numbers are clamped as Aleph clamps them, not refused.
    let negative = get("offset=-5&limit=-3").await;
    assert_eq!(
        (negative["offset"].clone(), negative["limit"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(negative["total"], 3);
    let negative = get("offset=-5").await;
    assert_eq!(negative["results"].as_array().unwrap().len(), 3);
    assert_eq!(get("limit=99999999999999999999999").await["limit"], 9999);
    let collections = app
        .get("/api/2/collections?offset=-14368920107&limit=-1")
        .auth(&app.admin)
        .send()
        .await;
    collections.expect(StatusCode::OK);
    assert_eq!(collections.json()["offset"], 0);
}
