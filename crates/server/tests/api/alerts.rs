//! `/api/2/alerts` and `/api/2/notifications`: saved searches that notify about new
//! matching entities, collection events, and that nobody is told about a collection they
//! cannot read. Emails go to a loopback SMTP sink written here.

use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::Access;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::{TestApp, User, person, result_ids};

fn company(id: &str, name: &str) -> Value {
    json!({"id": id, "schema": "Company", "properties": {"name": [name]}})
}

async fn notifications(app: &TestApp, user: &User, query: &str) -> Value {
    let resp = app
        .get(&format!("/api/2/notifications?{query}"))
        .auth(user)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    resp.json()
}

/// `(event name, entity id)` of each notification, sorted.
fn events(listing: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let entity = n["params"]["entity"]["id"]
                .as_str()
                .or_else(|| n["params"]["entity"].as_str())
                .unwrap_or_default();
            (
                n["event"]["name"].as_str().unwrap().to_string(),
                entity.to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn signed_ids(app: &TestApp, user: &User, collection_id: i64, q: &str) -> Vec<String> {
    let resp = app
        .get(&format!(
            "/api/2/entities?filter:schemata=Thing&filter:collection_id={collection_id}&q={q}&limit=100"
        ))
        .auth(user)
        .send()
        .await;
    resp.expect(StatusCode::OK);
    result_ids(&resp.json())
}

#[tokio::test]
async fn alert_crud_is_per_user() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.post("/api/2/alerts")
        .json(&json!({"query": "x"}))
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.get("/api/2/alerts")
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    app.get("/api/2/notifications")
        .send()
        .await
        .expect(StatusCode::FORBIDDEN);
    let resp = app
        .post("/api/2/alerts")
        .auth(&alice)
        .json(&json!({"query": "gazprom"}))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    let alert = resp.json();
    let id = alert["id"].as_str().unwrap().to_string();
    assert_eq!(alert["query"], "gazprom");
    assert_eq!(alert["writeable"], true);
    assert!(alert.get("notified_at").is_none());
    for bad in [json!({}), json!({"query": "  "}), json!({"query": 3})] {
        app.post("/api/2/alerts")
            .auth(&alice)
            .json(&bad)
            .send()
            .await
            .expect(StatusCode::BAD_REQUEST);
    }
    let listing = app.get_json("/api/2/alerts", &alice).await;
    assert_eq!(listing["total"], 1);
    assert_eq!(listing["results"][0]["id"], id);
    let theirs = app.get_json("/api/2/alerts", &bob).await;
    assert_eq!(theirs["total"], 0);
    let uri = format!("/api/2/alerts/{id}");
    app.expect_each(
        &uri,
        &[
            (Method::GET, Some(&alice), StatusCode::OK),
            (Method::GET, Some(&bob), StatusCode::NOT_FOUND),
            (Method::DELETE, Some(&bob), StatusCode::NOT_FOUND),
            (Method::DELETE, Some(&alice), StatusCode::NO_CONTENT),
            (Method::GET, Some(&alice), StatusCode::NOT_FOUND),
        ],
    )
    .await;
}

#[tokio::test]
async fn exactly_the_matching_entities_notify() {
    let app = TestApp::new().await;
    let writer = app.user("writer").await;
    let reader = app.user("reader").await;
    let stranger = app.user("stranger").await;
    let c = app.collection(&writer, "energy_leak").await;
    app.grant(c, reader.id, Access::Read).await;
    for user in [&reader, &stranger] {
        app.post("/api/2/alerts")
            .auth(user)
            .json(&json!({"query": "gazprom"}))
            .send()
            .await
            .expect(StatusCode::OK);
    }

    app.bulk(
        &writer,
        c,
        &json!([
            company("c1", "Gazprom Neft"),
            company("c2", "Rosneft"),
            person("p1", "Anna Gazprom-Free"),
            person("p2", "Boris Johnson"),
            company("c3", "OOO Gazprom Germania"),
        ]),
    )
    .await;
    // What the alert's query finds among the collection is what must have notified.
    let matching = signed_ids(&app, &writer, c, "gazprom").await;
    assert_eq!(matching.len(), 3, "{matching:?}");
    let expected: Vec<(String, String)> = matching
        .iter()
        .map(|id| ("match_alert".to_string(), id.clone()))
        .collect();

    let got = notifications(&app, &reader, "").await;
    assert_eq!(events(&got), expected);
    assert_eq!(got["total"], 3);
    assert_eq!(got["unread"], 3);
    let first = &got["results"][0];
    assert_eq!(first["event"]["title"], "Alert notification");
    assert_eq!(first["params"]["alert"]["query"], "gazprom");
    assert_eq!(first["params"]["collection"]["id"], c.to_string());
    assert!(first["params"]["entity"]["schema"].is_string(), "{first}");
    assert_eq!(first["read"], false);

    // Nobody else: not the stranger who cannot read the collection, not the writer.
    assert_eq!(notifications(&app, &stranger, "").await["total"], 0);
    assert_eq!(notifications(&app, &writer, "").await["total"], 0);

    // Writing matching entities again does not notify twice; new non-matching ones never.
    app.bulk(
        &writer,
        c,
        &json!([company("c1", "Gazprom Neft"), person("p3", "Carl Bildt")]),
    )
    .await;
    assert_eq!(notifications(&app, &reader, "").await["total"], 3);

    // Reading them.
    let one = first["id"].as_str().unwrap().to_string();
    let resp = app
        .post("/api/2/notifications/mark_read")
        .auth(&reader)
        .json(&json!({"ids": [one]}))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.json()["count"], 1);
    let unread = notifications(&app, &reader, "filter:read=false").await;
    assert_eq!(unread["total"], 2);
    assert_eq!(unread["unread"], 2);
    app.post("/api/2/notifications/mark_read")
        .auth(&reader)
        .json(&json!({}))
        .send()
        .await
        .expect(StatusCode::OK);
    assert_eq!(notifications(&app, &reader, "").await["unread"], 0);

    // Once access is revoked, old notifications about the collection disappear and new
    // matches no longer notify.
    app.grant(c, reader.id, Access::None).await;
    assert_eq!(notifications(&app, &reader, "").await["total"], 0);
    app.bulk(&writer, c, &json!([company("c9", "Gazprom Export")]))
        .await;
    app.grant(c, reader.id, Access::Read).await;
    let after = notifications(&app, &reader, "").await;
    assert_eq!(after["total"], 3, "{after}");
}

const BOUNDARY: &str = "alertsBoundary7";

fn multipart(file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{{}}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Upload a small text file called `name` (its name is its content) into collection `c`.
async fn upload_text(app: &TestApp, user: &User, c: i64, name: &str) {
    app.post(&format!("/api/2/collections/{c}/ingest"))
        .auth(user)
        .body(
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart(name, name.as_bytes()),
        )
        .send()
        .await
        .expect(StatusCode::CREATED);
}

/// A collection of `owner` where `member` may write: the uploads of the burst tests.
async fn burst_case(app: &TestApp, label: &str) -> (User, User, i64) {
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let c = app.collection(&owner, label).await;
    app.grant(c, member.id, Access::Write).await;
    (owner, member, c)
}

#[tokio::test]
async fn collection_events_reach_only_its_readers() {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let member = app.user("member").await;
    let colleague = app.user("colleague").await;
    let outsider = app.user("outsider").await;
    let c = app.collection(&owner, "shared_case").await;
    let group = app.group("desk", &[&colleague]).await;
    app.make_public(c).await;

    // Granting through the API tells the grantee (a group: its members), not the granter.
    let resp = app
        .post(&format!("/api/2/collections/{c}/permissions"))
        .auth(&owner)
        .json(&json!([
            {"role_id": member.id.to_string(), "read": true, "write": false},
            {"role_id": group.to_string(), "read": true, "write": true}
        ]))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    for user in [&member, &colleague] {
        let got = notifications(&app, user, "").await;
        assert_eq!(events(&got), [("grant_collection".into(), String::new())]);
        let n = &got["results"][0];
        assert_eq!(n["params"]["actor"]["id"], owner.id.to_string());
        assert_eq!(n["params"]["collection"]["id"], c.to_string());
    }
    // Granting again what they already have is no news.
    app.post(&format!("/api/2/collections/{c}/permissions"))
        .auth(&owner)
        .json(&json!([{"role_id": member.id.to_string(), "read": true, "write": true}]))
        .send()
        .await
        .expect(StatusCode::OK);
    assert_eq!(notifications(&app, &member, "").await["total"], 1);
    assert_eq!(notifications(&app, &owner, "").await["total"], 0);

    // An upload tells those who work in the collection, except the uploader; the outsider,
    // who can read the public collection but does not work in it, hears nothing.
    let resp = app
        .post(&format!("/api/2/collections/{c}/ingest"))
        .auth(&member)
        .body(
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart("memo.txt", b"a memo about the case"),
        )
        .send()
        .await;
    resp.expect(StatusCode::CREATED);
    let document = resp.json()["id"].as_str().unwrap().to_string();
    let got = notifications(&app, &owner, "").await;
    assert_eq!(events(&got), [("ingest_document".into(), String::new())]);
    assert_eq!(
        got["results"][0]["params"]["actor"]["id"],
        member.id.to_string()
    );
    let doc = &got["results"][0]["params"]["document"];
    assert!(
        doc == &json!(document) || doc["id"] == json!(document),
        "{doc}"
    );
    let colleague_events = events(&notifications(&app, &colleague, "").await);
    assert!(colleague_events.contains(&("ingest_document".into(), String::new())));
    assert_eq!(notifications(&app, &member, "").await["total"], 1);
    assert_eq!(notifications(&app, &outsider, "").await["total"], 0);

    // The rest of a folder upload is the same burst: one notification per reader, not one
    // per file. Once read, the next upload is news again; so is another uploader's.
    for name in ["a.txt", "b.txt", "c.txt"] {
        upload_text(&app, &member, c, name).await;
    }
    let uploads = |got: &Value| {
        events(got)
            .iter()
            .filter(|(e, _)| e == "ingest_document")
            .count()
    };
    assert_eq!(uploads(&notifications(&app, &owner, "").await), 1);
    assert_eq!(uploads(&notifications(&app, &colleague, "").await), 1);
    // The burst's notification counts its files (the memo and three more).
    let burst = notifications(&app, &owner, "").await;
    let folded = &burst["results"][0];
    assert_eq!(folded["params"]["count"], 4, "{folded}");
    assert_eq!(
        folded["event"]["template"],
        server::services::notifications::FOLDED_UPLOADS
    );
    app.state
        .store
        .mark_notifications_read(owner.id, None)
        .await
        .unwrap();
    upload_text(&app, &member, c, "d.txt").await;
    assert_eq!(uploads(&notifications(&app, &owner, "").await), 2);
    assert_eq!(uploads(&notifications(&app, &colleague, "").await), 1);
    upload_text(&app, &colleague, c, "e.txt").await;
    assert_eq!(uploads(&notifications(&app, &owner, "").await), 3);
}

#[test]
fn processing_watch_reports_a_drained_queue_once() {
    use server::services::notifications::finished_collections;
    use store::{Stage, StageCounts};
    let counts = |queued: u64, failed: u64| StageCounts {
        collection_id: 7,
        stage: Stage::INGEST,
        queued,
        running: 0,
        succeeded: 5,
        failed,
        dead: 1,
        cancelled: 0,
        oldest_unfinished_at: None,
        last_updated_at: store::now(),
        finished_recently: 0,
    };
    let mut busy = std::collections::BTreeSet::new();
    // Idle from the start: nothing finished.
    assert!(finished_collections(&[counts(0, 0)], &mut busy).is_empty());
    assert!(finished_collections(&[counts(3, 0)], &mut busy).is_empty());
    assert_eq!(
        finished_collections(&[counts(0, 2)], &mut busy),
        [(7, 8, 3)]
    );
    assert!(finished_collections(&[counts(0, 2)], &mut busy).is_empty());
}

/// A minimal SMTP server on loopback that keeps each message's envelope and data.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut message = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(std::mem::take(&mut message));
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "MAIL" | "RCPT" => {
                            message.push_str(&line);
                            message.push('\n');
                            b"250 ok\r\n"
                        }
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, messages)
}

/// A mailer of the app's outbox that sends to a fresh [`smtp_sink`].
async fn mailer(app: &TestApp) -> (server::services::mail::Mailer, Arc<Mutex<Vec<String>>>) {
    use server::services::mail::{Mailer, SmtpConfig};
    let (port, sink) = smtp_sink().await;
    let vars = [
        ("ALEPH_SMTP_HOST", "127.0.0.1".to_string()),
        ("ALEPH_SMTP_PORT", port.to_string()),
        ("ALEPH_SMTP_TLS", "none".to_string()),
        ("ALEPH_SMTP_FROM", "Aleph <aleph@example.org>".to_string()),
    ];
    let config = SmtpConfig::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
    .unwrap();
    let mailer = Mailer::new(
        &config,
        app.state.store.clone(),
        crate::common::UI_URL,
        "Aleph test",
    )
    .unwrap();
    (mailer, sink)
}

#[tokio::test]
async fn alert_matches_are_emailed_through_smtp() {
    let app = TestApp::new().await;
    let writer = app.user("writer").await;
    let reader = app.user("reader").await;
    let muted = app.user("muted").await;
    app.state
        .store
        .update_role(
            muted.id,
            store::RoleUpdate {
                is_muted: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = app.collection(&writer, "mailed_case").await;
    app.grant(c, reader.id, Access::Read).await;
    app.grant(c, muted.id, Access::Read).await;
    for user in [&reader, &muted] {
        app.post("/api/2/alerts")
            .auth(user)
            .json(&json!({"query": "rosatom"}))
            .send()
            .await
            .expect(StatusCode::OK);
    }
    app.bulk(
        &writer,
        c,
        &json!([
            company("r1", "Rosatom State Corporation"),
            company("x1", "Tesla")
        ]),
    )
    .await;
    assert_eq!(notifications(&app, &muted, "").await["total"], 1);

    let (mailer, sink) = mailer(&app).await;
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    // Nothing is sent twice.
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0);
    let messages = sink.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let mail = &messages[0];
    assert!(mail.contains("RCPT TO:<reader@example.org>"), "{mail}");
    assert!(!mail.contains("muted@example.org"), "{mail}");
    assert!(
        mail.contains("Subject: [Aleph test] Alert notification"),
        "{mail}"
    );
    assert!(mail.contains("Rosatom State Corporation"), "{mail}");
    assert!(mail.contains("rosatom"), "{mail}");
    assert!(!mail.contains("Tesla"), "{mail}");
}

/// The email of an upload burst says what its notification says: how many files, not
/// the first file's name.
#[tokio::test]
async fn a_folded_upload_is_emailed_with_its_count() {
    let app = TestApp::new().await;
    let (owner, member, c) = burst_case(&app, "burst_case").await;
    for name in ["a.txt", "b.txt", "c.txt"] {
        upload_text(&app, &member, c, name).await;
    }
    let (mailer, sink) = mailer(&app).await;
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    let messages = sink.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let mail = &messages[0];
    assert!(mail.contains("RCPT TO:<owner@example.org>"), "{mail}");
    assert!(
        mail.contains("member added 3 files to burst_case"),
        "{mail}"
    );
    assert!(
        mail.contains("Subject: [Aleph test] Files uploaded"),
        "{mail}"
    );
    assert!(!mail.contains("a.txt"), "{mail}");

    // A single upload keeps Aleph's wording.
    app.state
        .store
        .mark_notifications_read(owner.id, None)
        .await
        .unwrap();
    upload_text(&app, &member, c, "d.txt").await;
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    let mail = sink.lock().unwrap()[1].clone();
    assert!(
        mail.contains("Subject: [Aleph test] Upload a document"),
        "{mail}"
    );
    assert!(mail.contains("member added d.txt to burst_case"), "{mail}");
}

/// Files that fold into a burst after its email went out get one follow-up email when
/// the burst's window closes ("N more files"); the notification itself just counts them,
/// and a file after the window starts a new burst with its own email.
#[tokio::test]
async fn files_folded_in_after_the_email_get_one_follow_up_when_the_burst_ends() {
    let burst = std::time::Duration::from_secs(2);
    let app = TestApp::with(|s| s.upload_burst = burst).await;
    let (owner, member, c) = burst_case(&app, "follow_up").await;
    let upload = |name| upload_text(&app, &member, c, name);
    let (mailer, sink) = mailer(&app).await;
    upload("a.txt").await;
    let started = std::time::Instant::now();
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    for name in ["b.txt", "c.txt", "d.txt"] {
        upload(name).await;
    }
    // Held until the burst ends, and the list shows one notification of four files
    // without the email bookkeeping.
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0);
    let listing = notifications(&app, &owner, "").await;
    assert_eq!(listing["total"], 1, "{listing}");
    let params = &listing["results"][0]["params"];
    assert_eq!(params["count"], 4, "{params}");
    assert!(params.get("emailed_count").is_none(), "{params}");
    assert!(params.get("email_after").is_none(), "{params}");

    // Held to the second (the outbox compares Unix seconds): wait for the window and one.
    tokio::time::sleep(
        (burst + std::time::Duration::from_secs(1)).saturating_sub(started.elapsed()),
    )
    .await;
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0);
    let messages = sink.lock().unwrap().clone();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("member added a.txt to follow_up"),
        "{}",
        messages[0]
    );
    let follow_up = &messages[1];
    assert!(
        follow_up.contains("RCPT TO:<owner@example.org>"),
        "{follow_up}"
    );
    assert!(
        follow_up.contains("Subject: [Aleph test] More files uploaded"),
        "{follow_up}"
    );
    assert!(
        follow_up.contains("member added 3 more files to follow_up"),
        "{follow_up}"
    );

    // After the window, a new burst: its own notification and email.
    upload("e.txt").await;
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    let mail = sink.lock().unwrap()[2].clone();
    assert!(mail.contains("member added e.txt to follow_up"), "{mail}");
    assert_eq!(notifications(&app, &owner, "").await["total"], 2);
}

/// A reader who opened the burst's notification before its window closed gets no
/// follow-up email: the list already told them.
#[tokio::test]
async fn a_burst_read_before_its_window_closes_gets_no_follow_up() {
    let burst = std::time::Duration::from_secs(1);
    let app = TestApp::with(|s| s.upload_burst = burst).await;
    let (owner, member, c) = burst_case(&app, "read_first").await;
    let (mailer, sink) = mailer(&app).await;
    upload_text(&app, &member, c, "a.txt").await;
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    upload_text(&app, &member, c, "b.txt").await;
    app.state
        .store
        .mark_notifications_read(owner.id, None)
        .await
        .unwrap();
    tokio::time::sleep(burst + std::time::Duration::from_secs(1)).await;
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0);
    assert_eq!(sink.lock().unwrap().len(), 1);
}
