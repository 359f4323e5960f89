//! The admin-only listing of users and groups, new groups and group memberships.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::TestApp;

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
        .get("/api/2/roles?filter:type=user&limit=50")
        .auth(&app.admin)
        .send()
        .await
        .json();
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
        .get("/api/2/roles?filter:type=user&limit=1")
        .auth(&app.admin)
        .send()
        .await
        .json();
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
    let listed = app.get(&members).auth(&app.admin).send().await.json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["results"][0]["id"], bob.id.to_string());
    // Bob now sees the group among his own.
    let his = app.get("/api/2/groups").auth(&bob).send().await.json();
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
    app.delete(&format!("{members}/{}", bob.id))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);
    app.delete(&format!("{members}/{}", bob.id))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    let listed = app.get(&members).auth(&app.admin).send().await.json();
    assert_eq!(listed["total"], 0);
    // A user's id is not a group.
    app.get(&format!("/api/2/groups/{}/members", alice.id))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
}
