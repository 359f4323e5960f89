//! The admin-only listing of users and groups, new groups and group memberships.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, User};

#[tokio::test]
async fn only_admins_list_roles_and_manage_memberships() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let crew = app.group("crew", &[&alice]).await;

    // Not for users, not for anonymous callers.
    app.get("/api/2/roles?filter:type=user")
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let anon = app.get("/api/2/roles").send().await;
    assert!(
        anon.status == StatusCode::FORBIDDEN || anon.status == StatusCode::UNAUTHORIZED,
        "{}",
        anon.status
    );
    app.post(&format!("/api/2/groups/{crew}/members"))
        .auth(&alice)
        .json(&json!({"role_id": bob.id.to_string()}))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);

    let users = app
        .get_json("/api/2/roles?filter:type=user&limit=50", &app.admin)
        .await;
    let emails: Vec<&str> = users["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["email"].as_str())
        .collect();
    assert!(emails.contains(&"alice@example.org") && emails.contains(&"bob@example.org"));
    assert!(
        users["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["type"] == "user"),
        "{users}"
    );
    // Paged: one at a time, the total stays.
    let one = app
        .get_json("/api/2/roles?filter:type=user&limit=1", &app.admin)
        .await;
    assert_eq!(one["results"].as_array().unwrap().len(), 1);
    assert_eq!(one["total"], users["total"]);
    app.get("/api/2/roles?filter:type=robot")
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);

    // A new group, Bob joins and leaves it.
    let group = app
        .post("/api/2/groups")
        .auth(&app.admin)
        .json(&json!({"name": "Night desk"}))
        .send()
        .await
        .json();
    assert_eq!(group["type"], "group");
    let gid = group["id"].as_str().unwrap().to_string();
    let members = format!("/api/2/groups/{gid}/members");
    app.post(&members)
        .auth(&app.admin)
        .json(&json!({"role_id": bob.id.to_string()}))
        .send()
        .await
        .expect(StatusCode::OK);
    let listed = app.get_json(&members, &app.admin).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["results"][0]["id"], bob.id.to_string());
    // Bob now sees the group among his own.
    let his = app.get_json("/api/2/groups", &bob).await;
    assert!(
        his["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == gid.as_str()),
        "{his}"
    );
    // A group cannot join a group.
    app.post(&members)
        .auth(&app.admin)
        .json(&json!({"role_id": crew.to_string()}))
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.expect_each(
        &format!("{members}/{}", bob.id),
        &[
            (Method::DELETE, Some(&app.admin), StatusCode::NO_CONTENT),
            (Method::DELETE, Some(&app.admin), StatusCode::NOT_FOUND),
        ],
    )
    .await;
    let listed = app.get_json(&members, &app.admin).await;
    assert_eq!(listed["total"], 0);
    // A user's id is not a group.
    app.get(&format!("/api/2/groups/{}/members", alice.id))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn roles_listed_by_name_prefix() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let alina = app.user("Alina").await;
    app.user("bob").await;
    let names = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let found = app
        .get_json("/api/2/roles?filter:type=user&prefix=ALI", &app.admin)
        .await;
    assert_eq!(
        names(&found),
        vec![alice.id.to_string(), alina.id.to_string()]
    );
    assert_eq!(found["total"], 2);
    let second = app
        .get_json("/api/2/roles?prefix=ali&limit=1&offset=1", &app.admin)
        .await;
    assert_eq!(names(&second), vec![alina.id.to_string()]);
    assert_eq!(second["total"], 2);
}

#[tokio::test]
async fn admins_block_and_unblock_users() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let login = |user: &User| {
        let body = json!({"email": user.email, "password": user.password});
        let app = &app;
        async move {
            app.post("/api/2/sessions/login")
                .json(&body)
                .send()
                .await
                .status
        }
    };
    let session = app
        .post("/api/2/sessions/login")
        .json(&json!({"email": alice.email, "password": alice.password}))
        .send()
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let me = format!("/api/2/roles/{}", alice.id);
    let put = |who: &User, target: i64, blocked: bool| {
        let app = &app;
        let who = who.clone();
        async move {
            app.put(&format!("/api/2/roles/{target}"))
                .auth(&who)
                .json(&json!({"is_blocked": blocked}))
                .send()
                .await
        }
    };

    // Users cannot block anyone, themselves included; an admin cannot block themselves.
    put(&bob, alice.id, true)
        .await
        .expect(StatusCode::FORBIDDEN);
    put(&alice, alice.id, true)
        .await
        .expect(StatusCode::FORBIDDEN);
    put(&app.admin, app.admin.id, true)
        .await
        .expect(StatusCode::BAD_REQUEST);
    let crew = app.group("crew", &[&bob]).await;
    put(&app.admin, crew, true)
        .await
        .expect(StatusCode::BAD_REQUEST);

    let blocked = put(&app.admin, alice.id, true).await;
    blocked.expect(StatusCode::OK);
    assert_eq!(blocked.json()["is_blocked"], true);
    // No login, no API key, no old session.
    assert_eq!(login(&alice).await, StatusCode::FORBIDDEN);
    let by_key = app.get(&me).auth(&alice).send().await;
    assert_ne!(by_key.status, StatusCode::OK, "{}", by_key.text());
    let by_session = app
        .get(&me)
        .header("Authorization", &format!("Token {session}"))
        .send()
        .await;
    assert_ne!(by_session.status, StatusCode::OK, "{}", by_session.text());
    let listed = app.get_json("/api/2/roles?prefix=alice", &app.admin).await;
    assert_eq!(listed["results"][0]["is_blocked"], true);
    assert_eq!(login(&bob).await, StatusCode::OK);

    let unblocked = put(&app.admin, alice.id, false).await;
    unblocked.expect(StatusCode::OK);
    assert_eq!(unblocked.json()["is_blocked"], false);
    assert_eq!(login(&alice).await, StatusCode::OK);
    app.get(&me)
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::OK);
}
