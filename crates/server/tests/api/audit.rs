//! The audit log: every audited action leaves an entry with the user and address, and only
//! administrators read the log.

use axum::http::StatusCode;
use serde_json::{Value, json};
use server::tokens::{ArchiveClaims, sign};
use store::Access;

use crate::common::{TestApp, User, person};

async fn audit(app: &TestApp, query: &str) -> Value {
    let resp = app
        .get(&format!("/api/2/audit?{query}"))
        .auth(&app.admin)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    resp.json()
}

fn actions(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

fn download_token(hash: &str, user: &User) -> String {
    let claims = ArchiveClaims {
        c: hash.to_string(),
        f: Some("memo.txt".into()),
        m: Some("text/plain".into()),
        exp: chrono::Utc::now().timestamp() + 60,
        r: Some(user.id),
    };
    sign("test-secret", &claims)
}

#[tokio::test]
async fn each_action_leaves_an_entry() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let cid = app.collection(&app.admin, "audited").await;
    app.bulk(&app.admin, cid, &json!([person("p1", "Vladimir Putin")]))
        .await;
    app.post(&format!("/api/2/collections/{cid}/permissions"))
        .auth(&app.admin)
        .json(&json!([{"role_id": alice.id.to_string(), "read": true, "write": false}]))
        .send()
        .await
        .expect(StatusCode::OK);

    // Alice logs in (once wrongly), searches, views, downloads.
    app.post("/api/2/sessions/login")
        .json(&json!({"email": alice.email, "password": "wrong"}))
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.post("/api/2/sessions/login")
        .json(&json!({"email": alice.email, "password": alice.password}))
        .send()
        .await
        .expect(StatusCode::OK);
    let found = app
        .get(&format!(
            "/api/2/search?q=putin&filter:schema=Person&filter:collection_id={cid}"
        ))
        .auth(&alice)
        .send()
        .await
        .json();
    assert_eq!(found["total"], 1, "{found}");
    let id = found["results"][0]["id"].as_str().unwrap().to_string();
    app.get(&format!("/api/2/entities/{id}"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::OK);
    let mut bytes: &[u8] = b"a memo";
    let (hash, _) = app.state.archive.put_stream(&mut bytes).await.unwrap();
    app.get(&format!(
        "/api/2/archive?token={}",
        download_token(&hash, &alice)
    ))
    .send()
    .await
    .expect(StatusCode::OK);

    // The admin exports and deletes.
    app.get(&format!("/api/2/collections/{cid}/_stream"))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::OK);
    app.delete(&format!("/api/2/collections/{cid}"))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);

    let alices = audit(&app, &format!("user={}", alice.id)).await;
    assert_eq!(
        actions(&alices),
        ["download", "view", "search", "login", "login"],
        "{alices}"
    );
    let entries = alices["results"].as_array().unwrap();
    assert_eq!(entries[0]["target"], hash.as_str());
    assert_eq!(entries[0]["detail"]["file_name"], "memo.txt");
    assert_eq!(entries[1]["target"], id.as_str());
    assert_eq!(entries[1]["collection_id"], cid.to_string());
    assert_eq!(entries[2]["detail"]["q"], "putin");
    assert_eq!(entries[2]["detail"]["filters"]["schema"], json!(["Person"]));
    assert_eq!(
        entries[2]["detail"]["filters"]["collection_id"],
        json!([cid.to_string()])
    );
    assert_eq!(entries[3]["detail"]["ok"], true);
    assert_eq!(entries[4]["detail"]["ok"], false);

    let admins = audit(&app, &format!("user={}", app.admin.id)).await;
    assert_eq!(
        actions(&admins),
        [
            "delete_collection",
            "export",
            "permission",
            "create_collection"
        ],
        "{admins}"
    );
    let permission = &admins["results"][2];
    assert_eq!(permission["detail"]["role_id"], alice.id);
    assert_eq!(permission["detail"]["read"], true);
    assert_eq!(permission["detail"]["write"], false);

    // Filters and paging.
    let searches = audit(&app, "action=search").await;
    assert_eq!(searches["total"], 1);
    let page = audit(&app, "limit=2&offset=2").await;
    assert_eq!(page["total"], 9);
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    assert!(page["next"].is_string());
    let future = audit(&app, "since=2999-01-01").await;
    assert_eq!(future["total"], 0);
    let past = audit(&app, "until=2000-01-01T00:00:00Z").await;
    assert_eq!(past["total"], 0);
    app.get("/api/2/audit?action=nonsense")
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.get("/api/2/audit?since=yesterday")
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_admins_read_the_log() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let cid = app.collection(&alice, "hers").await;
    // Even a collection's owner cannot read who looked at it.
    app.grant(cid, alice.id, Access::Write).await;
    app.get("/api/2/audit")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.get(&format!("/api/2/audit?collection_id={cid}"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.get("/api/2/audit")
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let page = audit(&app, &format!("collection_id={cid}")).await;
    assert_eq!(actions(&page), ["create_collection"]);
    assert_eq!(page["results"][0]["role_id"], alice.id.to_string());
}

#[tokio::test]
async fn forwarded_addresses_only_behind_a_proxy() {
    for behind_proxy in [false, true] {
        let app = TestApp::with(|s| s.behind_proxy = behind_proxy).await;
        app.get("/api/2/search?q=x&filter:schema=Thing")
            .auth(&app.admin)
            .header("x-forwarded-for", "198.51.100.23, 10.0.0.1")
            .send()
            .await
            .expect(StatusCode::OK);
        let page = audit(&app, "action=search").await;
        let address = &page["results"][0]["address"];
        if behind_proxy {
            assert_eq!(address, "198.51.100.23");
        } else {
            // No socket in these tests: without trusting the header there is no address.
            assert_eq!(address, &Value::Null);
        }
    }
}
