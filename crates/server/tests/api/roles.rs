//! Roles, API keys, `_suggest`, groups and collection permissions (Aleph's
//! `test_roles_api.py`, `test_groups_api.py`, `test_permissions_api.py`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, User};

#[tokio::test]
async fn role_view_rules() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let uri = format!("/api/2/roles/{}", alice.id);
    app.expect_each(
        &uri,
        &[
            (Method::GET, None, StatusCode::FORBIDDEN),
            (Method::GET, Some(&bob), StatusCode::FORBIDDEN),
        ],
    )
    .await;
    let me = app.get(&uri).auth(&alice).send().await;
    me.expect(StatusCode::OK);
    let me = me.json();
    assert_eq!(me["id"], alice.id.to_string());
    assert_eq!(me["email"], alice.email);
    assert_eq!(me["type"], "user");
    assert_eq!(me["has_password"], true);
    assert_eq!(me["has_api_key"], true);
    assert!(me.get("api_key").is_none(), "keys are never shown again");
    assert!(me.get("password").is_none());
    let by_admin = app.get(&uri).auth(&app.admin).send().await;
    by_admin.expect(StatusCode::OK);
    assert_eq!(by_admin.json()["email"], alice.email);
    for missing in ["999999", "abc", "-1", "1.5"] {
        let resp = app
            .get(&format!("/api/2/roles/{missing}"))
            .auth(&app.admin)
            .send()
            .await;
        resp.expect(StatusCode::NOT_FOUND);
    }
    // Group members see their group.
    let group = app.group("team", &[&bob]).await;
    app.expect_each(
        &format!("/api/2/roles/{group}"),
        &[
            (Method::GET, Some(&bob), StatusCode::OK),
            (Method::GET, Some(&alice), StatusCode::FORBIDDEN),
        ],
    )
    .await;
}

async fn update(app: &TestApp, user: &User, target: i64, body: Value) -> (StatusCode, Value) {
    let resp = app
        .put(&format!("/api/2/roles/{target}"))
        .auth(user)
        .json(&body)
        .send()
        .await;
    (resp.status, resp.json())
}

async fn can_login(app: &TestApp, email: &str, password: &str) -> bool {
    app.post("/api/2/sessions/login")
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .status
        == StatusCode::OK
}

#[tokio::test]
async fn role_update_and_password_change() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let (status, body) = update(&app, &alice, alice.id, json!({"name": "Alice A."})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Alice A.");
    // A form body works as JSON does, booleans included.
    let form = app
        .post(&format!("/api/2/roles/{}", alice.id))
        .auth(&alice)
        .body(
            "application/x-www-form-urlencoded",
            "is_muted=true&is_tester=false&locale=de",
        )
        .send()
        .await;
    form.expect(StatusCode::OK);
    assert_eq!(form.json()["is_muted"], true);
    assert_eq!(form.json()["locale"], "de");
    let (status, _) = update(&app, &bob, alice.id, json!({"name": "Hijack"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let resp = app
        .put(&format!("/api/2/roles/{}", alice.id))
        .json(&json!({"name": "Anon"}))
        .send()
        .await;
    resp.expect(StatusCode::FORBIDDEN);

    // A new password needs the current one.
    let new = "a-much-better-password";
    let (status, _) = update(&app, &alice, alice.id, json!({"password": new})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = update(
        &app,
        &alice,
        alice.id,
        json!({"password": new, "current_password": "wrong"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = update(
        &app,
        &alice,
        alice.id,
        json!({"password": "short", "current_password": alice.password}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(can_login(&app, &alice.email, &alice.password).await);
    let (status, _) = update(
        &app,
        &alice,
        alice.id,
        json!({"password": new, "current_password": alice.password}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!can_login(&app, &alice.email, &alice.password).await);
    assert!(can_login(&app, &alice.email, new).await);
    // Admins reset other people's passwords without theirs.
    let (status, _) = update(
        &app,
        &app.admin,
        bob.id,
        json!({"password": "reset-by-admin"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(can_login(&app, &bob.email, "reset-by-admin").await);

    for bad in [
        json!({"name": 5}),
        json!({"is_muted": "sure"}),
        json!({"locale": []}),
        json!({"password": 123456789}),
        json!([1, 2]),
    ] {
        let (status, body) = update(&app, &alice, alice.id, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    // Users cannot make themselves admins.
    let (status, body) = update(&app, &alice, alice.id, json!({"is_admin": true})).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
        "{status}"
    );
    assert_ne!(body["is_admin"], true);
    assert!(!app.state.store.role(alice.id).await.unwrap().is_admin);
}

#[tokio::test]
async fn api_key_generation() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let uri = format!("/api/2/roles/{}/generate_api_key", alice.id);
    app.expect_each(
        &uri,
        &[
            (Method::POST, None, StatusCode::FORBIDDEN),
            (Method::POST, Some(&bob), StatusCode::FORBIDDEN),
        ],
    )
    .await;
    let resp = app.post(&uri).auth(&alice).send().await;
    resp.expect(StatusCode::OK);
    let new_key = resp.json()["api_key"].as_str().unwrap().to_string();
    assert_ne!(new_key, alice.key);
    // The old key is gone, the new one works.
    let meta = |key: String| {
        let app = &app;
        async move {
            app.get("/api/2/metadata")
                .header("authorization", &format!("ApiKey {key}"))
                .send()
                .await
                .json()["auth"]["logged_in"]
                .clone()
        }
    };
    assert_eq!(meta(alice.key.clone()).await, false);
    assert_eq!(meta(new_key.clone()).await, true);
    let view = app
        .get(&format!("/api/2/roles/{}", alice.id))
        .header("authorization", &format!("ApiKey {new_key}"))
        .send()
        .await
        .json();
    assert!(view.get("api_key").is_none());

    // A role made without a key has none until one is generated.
    let new = store::NewRole::user("password:k@example.org", "Keyless", "k@example.org");
    let keyless = app.state.store.create_role(new).await.unwrap();
    let view = app
        .get_json(&format!("/api/2/roles/{}", keyless.id), &app.admin)
        .await;
    assert_eq!(view["has_api_key"], false);
    let generated = app
        .post(&format!("/api/2/roles/{}/generate_api_key", keyless.id))
        .auth(&app.admin)
        .send()
        .await;
    generated.expect(StatusCode::OK);
    assert_eq!(generated.json()["has_api_key"], true);
}

#[tokio::test]
async fn suggest_needs_a_whole_email() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let suggest = |prefix: &str, user: Option<&User>| {
        let app = &app;
        let uri = format!("/api/2/roles/_suggest?prefix={prefix}");
        let user = user.cloned();
        async move {
            let mut req = app.get(&uri);
            if let Some(u) = &user {
                req = req.auth(u);
            }
            let resp = req.send().await;
            (resp.status, resp.json())
        }
    };
    let (status, _) = suggest(&bob.email, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, found) = suggest(&bob.email, Some(&alice)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["total"], 1);
    assert_eq!(found["results"][0]["id"], bob.id.to_string());
    assert!(
        found["results"][0].get("email").is_none(),
        "no emails of others"
    );
    for partial in ["bob", "bob@", "", "bob%40example"] {
        let (status, found) = suggest(partial, Some(&alice)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found["results"], json!([]), "{partial}");
    }
    let (_, upper) = suggest(&bob.email.to_uppercase(), Some(&alice)).await;
    assert_eq!(upper["total"], 1);
    let excluded = format!("{}&exclude:id={}", bob.email, bob.id);
    let (_, found) = suggest(&excluded, Some(&alice)).await;
    assert_eq!(found["total"], 0);
}

#[tokio::test]
async fn groups_by_membership() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let g1 = app.group("alpha", &[&alice]).await;
    let g2 = app.group("beta", &[&alice, &bob]).await;
    let _g3 = app.group("gamma", &[]).await;
    let ids = |v: Value| -> Vec<String> {
        let mut ids: Vec<String> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    app.get("/api/2/groups")
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let mine = app.get_json("/api/2/groups", &alice).await;
    let mut want = vec![g1.to_string(), g2.to_string()];
    want.sort();
    assert_eq!(ids(mine), want);
    let bobs = app.get_json("/api/2/groups", &bob).await;
    assert_eq!(ids(bobs), vec![g2.to_string()]);
    let all = app.get_json("/api/2/groups", &app.admin).await;
    assert_eq!(all["total"], 3);
    assert!(
        all["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["type"] == "group")
    );
}

#[tokio::test]
async fn permissions_view_and_update() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let cid = app.collection(&alice, "shared").await;
    let uri = format!("/api/2/collections/{cid}/permissions");
    app.expect_each(
        &uri,
        &[
            (Method::GET, None, StatusCode::FORBIDDEN),
            (Method::GET, Some(&bob), StatusCode::FORBIDDEN),
        ],
    )
    .await;
    let perms = app.get(&uri).auth(&alice).send().await;
    perms.expect(StatusCode::OK);
    let perms = perms.json();
    let own = perms["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"]["id"].as_str() == Some(alice.id.to_string().as_str()))
        .unwrap_or_else(|| panic!("the creator has a permission: {perms}"));
    assert_eq!(own["read"], true);
    assert_eq!(own["write"], true);
    // The system roles are listed too, without access yet: a client can offer them.
    for system in [
        app.state.system_roles.guest,
        app.state.system_roles.authenticated,
    ] {
        let listed = perms["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["role"]["id"].as_str() == Some(system.to_string().as_str()))
            .unwrap_or_else(|| panic!("system role {system} is listed: {perms}"));
        assert_eq!(
            (&listed["read"], &listed["write"]),
            (&json!(false), &json!(false))
        );
    }

    // Share with bob (read) and a group holding carol (write).
    let group = app.group("editors", &[&carol]).await;
    let body = json!([{"role_id": bob.id.to_string(), "read": true, "write": false},
                      {"role": {"id": group}, "read": true, "write": true}]);
    app.post(&uri)
        .auth(&bob)
        .json(&body)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.put(&uri)
        .auth(&alice)
        .json(&body)
        .send()
        .await
        .expect(StatusCode::OK);
    let view = format!("/api/2/collections/{cid}");
    let as_bob = app.get(&view).auth(&bob).send().await;
    as_bob.expect(StatusCode::OK);
    assert_eq!(as_bob.json()["writeable"], false);
    let as_carol = app.get(&view).auth(&carol).send().await;
    assert_eq!(as_carol.json()["writeable"], true);
    // Revoke.
    let revoke = json!([{"role_id": bob.id, "read": false, "write": false}]);
    app.post(&uri)
        .auth(&alice)
        .json(&revoke)
        .send()
        .await
        .expect(StatusCode::OK);
    app.get(&view)
        .auth(&bob)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);

    // A casefile cannot be made public by its owner; admins can.
    let guest = app.state.system_roles.guest;
    let public = json!([{"role_id": guest, "read": true}]);
    app.post(&uri)
        .auth(&alice)
        .json(&public)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.get(&view).send().await.expect(StatusCode::FORBIDDEN);
    let guest_write = json!([{"role_id": guest, "read": true, "write": true}]);
    app.post(&uri)
        .auth(&app.admin)
        .json(&guest_write)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.post(&uri)
        .auth(&app.admin)
        .json(&public)
        .send()
        .await
        .expect(StatusCode::OK);
    let anon = app.get(&view).send().await;
    anon.expect(StatusCode::OK);
    assert_eq!(anon.json()["secret"], false);
    assert_eq!(anon.json()["writeable"], false);

    // Shared with every logged-in user (the system `authenticated` role) is not secret
    // either, though anonymous visitors still cannot read it.
    let other = app.collection(&alice, "for-members").await;
    let members = json!([{"role_id": app.state.system_roles.authenticated, "read": true}]);
    app.post(&format!("/api/2/collections/{other}/permissions"))
        .auth(&app.admin)
        .json(&members)
        .send()
        .await
        .expect(StatusCode::OK);
    let as_bob = app
        .get(&format!("/api/2/collections/{other}"))
        .auth(&bob)
        .send()
        .await;
    as_bob.expect(StatusCode::OK);
    assert_eq!(as_bob.json()["secret"], false);
    app.get(&format!("/api/2/collections/{other}"))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);

    for bad in [
        json!([{"read": true}]),
        json!([{"role_id": "abc", "read": true}]),
        json!(["x"]),
        json!(5),
        json!([{"role_id": 999999, "read": true}]),
    ] {
        let resp = app.post(&uri).auth(&alice).json(&bad).send().await;
        assert_eq!(
            resp.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            resp.text()
        );
    }
    let resp = app
        .post(&uri)
        .auth(&alice)
        .body("application/json", "{not json")
        .send()
        .await;
    resp.expect(StatusCode::BAD_REQUEST);
}
