//! Credentials (Aleph's `test_view_context.py`, `test_sessions_api.py`, `test_authz.py`):
//! every way to pass a key or a token, what an invalid one means, blocked users,
//! `ALEPH_REQUIRE_LOGGED_IN` and maintenance mode.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, User};

/// Whether the caller of a request with these headers counts as logged in.
async fn logged_in(app: &TestApp, uri: &str, auth: Option<&str>) -> bool {
    let mut req = app.get(uri);
    if let Some(value) = auth {
        req = req.header("authorization", value);
    }
    let resp = req.send().await;
    resp.expect(StatusCode::OK);
    resp.json()["auth"]["logged_in"].as_bool().unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    let resp = app
        .post("/api/2/sessions/login")
        .json(&json!({"email": email, "password": password}))
        .send()
        .await;
    (resp.status, resp.json())
}

#[tokio::test]
async fn api_key_header_bare_key_and_query_parameter() {
    let app = TestApp::new().await;
    let user = app.user("keyholder").await;
    let key = user.key.clone();
    assert!(!logged_in(&app, "/api/2/metadata", None).await);
    assert!(logged_in(&app, "/api/2/metadata", Some(&format!("ApiKey {key}"))).await);
    // Any scheme other than Token: the part after the first space is the key.
    assert!(logged_in(&app, "/api/2/metadata", Some(&format!("Bearer {key}"))).await);
    assert!(logged_in(&app, "/api/2/metadata", Some(&key)).await);
    assert!(logged_in(&app, &format!("/api/2/metadata?api_key={key}"), None).await);
    // The header wins over the parameter.
    let uri = format!("/api/2/metadata?api_key={key}");
    assert!(!logged_in(&app, &uri, Some("ApiKey not-a-key")).await);
}

#[tokio::test]
async fn invalid_or_blank_keys_are_anonymous() {
    let app = TestApp::new().await;
    for header in [
        "ApiKey nonsense",
        "nonsense",
        "ApiKey ",
        "   ",
        "ApiKey a b c",
    ] {
        assert!(
            !logged_in(&app, "/api/2/metadata", Some(header)).await,
            "{header}"
        );
        let resp = app
            .post("/api/2/collections")
            .header("authorization", header)
            .json(&json!({"label": "x"}))
            .send()
            .await;
        resp.expect(StatusCode::FORBIDDEN);
    }
    for uri in ["/api/2/metadata?api_key=", "/api/2/metadata?api_key=zzz"] {
        assert!(!logged_in(&app, uri, None).await, "{uri}");
    }
    // Anonymous callers list nothing private, without an error.
    let resp = app
        .get("/api/2/collections")
        .header("authorization", "ApiKey nonsense")
        .send()
        .await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.json()["total"], 0);
}

#[tokio::test]
async fn session_tokens_from_login_and_logout() {
    let app = TestApp::new().await;
    let user = app.user("sessions").await;
    let (status, body) = login(&app, &user.email, &user.password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let header = format!("Token {token}");
    assert!(logged_in(&app, "/api/2/metadata", Some(&header)).await);
    let me = app
        .get(&format!("/api/2/roles/{}", user.id))
        .header("authorization", &header)
        .send()
        .await;
    me.expect(StatusCode::OK);
    assert_eq!(me.json()["email"], user.email);

    // A form-encoded login works too (the UI's).
    let resp = app
        .post("/api/2/sessions/login")
        .body(
            "application/x-www-form-urlencoded",
            format!("email={}&password={}", user.email, user.password),
        )
        .send()
        .await;
    resp.expect(StatusCode::OK);

    let out = app
        .post("/api/2/sessions/logout")
        .header("authorization", &header)
        .send()
        .await;
    out.expect(StatusCode::OK);
    assert_eq!(out.json()["status"], "ok");
    let after = app
        .get("/api/2/metadata")
        .header("authorization", &header)
        .send()
        .await;
    after.expect(StatusCode::UNAUTHORIZED);
    // Logging out anonymously is harmless.
    app.post("/api/2/sessions/logout")
        .send()
        .await
        .expect(StatusCode::OK);
}

#[tokio::test]
async fn invalid_tokens_are_401() {
    let app = TestApp::new().await;
    for header in ["Token nonsense", "token nonsense", "Token ", "Token a b"] {
        let resp = app
            .get("/api/2/collections")
            .header("authorization", header)
            .send()
            .await;
        // "Token " is trimmed to a bare "Token" key, which is anonymous.
        if header.trim() == "Token" {
            resp.expect(StatusCode::OK);
        } else {
            resp.expect(StatusCode::UNAUTHORIZED);
        }
    }
}

#[tokio::test]
async fn password_login_rules() {
    let app = TestApp::new().await;
    let user = app.user("login").await;
    let (status, _) = login(&app, &user.email, "wrong-password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = login(&app, "nobody@example.org", "whatever").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = login(&app, "", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = login(&app, &user.email, &user.password).await;
    assert_eq!(status, StatusCode::OK);
    let role = app.state.store.role(user.id).await.unwrap();
    assert!(role.last_login_at.is_some(), "login is recorded");
    // Emails are matched as given, whatever the case.
    let (status, _) = login(&app, &user.email.to_uppercase(), &user.password).await;
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn blocked_users_cannot_log_in_and_their_keys_and_sessions_stop_working() {
    let app = TestApp::new().await;
    let user = app.user("blocked").await;
    let cid = app.collection(&user, "blocked-coll").await;
    let (_, body) = login(&app, &user.email, &user.password).await;
    let token = body["token"].as_str().unwrap().to_string();
    app.state
        .store
        .set_role_blocked(user.id, true)
        .await
        .unwrap();

    let (status, _) = login(&app, &user.email, &user.password).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!logged_in(&app, "/api/2/metadata", Some(&user.auth())).await);
    app.get(&format!("/api/2/collections/{cid}"))
        .auth(&user)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let with_token = app
        .get(&format!("/api/2/collections/{cid}"))
        .header("authorization", &format!("Token {token}"))
        .send()
        .await;
    assert!(
        matches!(
            with_token.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ),
        "{}",
        with_token.status
    );
}

async fn protected_statuses(app: &TestApp, user: Option<&User>) -> Vec<StatusCode> {
    let mut out = Vec::new();
    for uri in [
        "/api/2/collections",
        "/api/2/entities?filter:schemata=Thing",
        "/api/2/statistics",
    ] {
        let mut req = app.get(uri);
        if let Some(u) = user {
            req = req.auth(u);
        }
        out.push(req.send().await.status);
    }
    out
}

#[tokio::test]
async fn require_logged_in_refuses_anonymous_callers() {
    let app = TestApp::with(|s| s.require_logged_in = true).await;
    let user = app.user("member").await;
    assert_eq!(
        protected_statuses(&app, None).await,
        vec![StatusCode::FORBIDDEN; 3]
    );
    assert_eq!(
        protected_statuses(&app, Some(&user)).await,
        vec![StatusCode::OK; 3]
    );
    // Metadata and login stay open, so that the UI can show a login form.
    let meta = app.get("/api/2/metadata").send().await;
    meta.expect(StatusCode::OK);
    assert_eq!(meta.json()["auth"]["require_logged_in"], true);
    let (status, _) = login(&app, &user.email, &user.password).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn maintenance_mode_refuses_writes_but_not_reads() {
    let app = TestApp::with(|s| s.maintenance = true).await;
    let user = app.user("maint").await;
    let cid = {
        // Collections made directly in the store: the API refuses to create one.
        let c = app
            .state
            .store
            .create_collection(store::NewCollection::new("m", "Maintained"))
            .await
            .unwrap();
        app.grant(c.id, user.id, store::Access::Write).await;
        c.id
    };
    app.post("/api/2/collections")
        .auth(&user)
        .json(&json!({"label": "new"}))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.post(&format!("/api/2/collections/{cid}/_bulk"))
        .auth(&user)
        .json(&json!([crate::common::person("p", "P")]))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.delete(&format!("/api/2/collections/{cid}"))
        .auth(&user)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let view = app
        .get(&format!("/api/2/collections/{cid}"))
        .auth(&user)
        .send()
        .await;
    view.expect(StatusCode::OK);
    assert_eq!(view.json()["writeable"], false);
    assert_eq!(
        app.get("/api/2/metadata").send().await.json()["maintenance"],
        true
    );
    // Reads that need a login still work.
    for uri in [
        format!("/api/2/roles/{}", user.id),
        "/api/2/groups".to_string(),
        format!("/api/2/roles/_suggest?prefix={}", app.admin.email),
    ] {
        app.get(&uri)
            .auth(&user)
            .send()
            .await
            .expect(StatusCode::OK);
    }
    app.put(&format!("/api/2/roles/{}", user.id))
        .auth(&user)
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
}
