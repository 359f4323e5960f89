//! `GET /api/2/archive?token=` (Aleph's `test_archive_api.py`): the token alone
//! authorises a download, so missing, forged and expired ones are refused.

use axum::http::StatusCode;
use serde_json::json;
use server::tokens::{ArchiveClaims, sign};

use crate::common::{TestApp, UI_URL};

fn token(secret: &str, hash: &str, exp: i64) -> String {
    let claims = ArchiveClaims {
        c: hash.to_string(),
        f: Some("report «2024».txt".to_string()),
        m: Some("text/plain".to_string()),
        exp,
        r: None,
    };
    sign(secret, &claims)
}

#[tokio::test]
async fn archive_tokens() {
    let app = TestApp::new().await;
    let mut bytes: &[u8] = b"hello archive";
    let (hash, size) = app.state.archive.put_stream(&mut bytes).await.unwrap();
    assert_eq!(size, 13);
    let now = chrono::Utc::now().timestamp();

    app.get("/api/2/archive")
        .send()
        .await
        .expect(StatusCode::UNAUTHORIZED);
    app.get("/api/2/archive?token=")
        .send()
        .await
        .expect(StatusCode::UNAUTHORIZED);
    app.get("/api/2/archive?token=garbage")
        .send()
        .await
        .expect(StatusCode::UNAUTHORIZED);
    let forged = token("not-the-secret", &hash, now + 60);
    app.get(&format!("/api/2/archive?token={forged}"))
        .send()
        .await
        .expect(StatusCode::UNAUTHORIZED);
    let expired = token("test-secret", &hash, now - 60);
    app.get(&format!("/api/2/archive?token={expired}"))
        .send()
        .await
        .expect(StatusCode::UNAUTHORIZED);
    let missing = token(
        "test-secret",
        "0000000000000000000000000000000000000000",
        now + 60,
    );
    app.get(&format!("/api/2/archive?token={missing}"))
        .send()
        .await
        .expect(StatusCode::NOT_FOUND);
    let not_a_hash = token("test-secret", "../../etc/passwd", now + 60);
    let resp = app
        .get(&format!("/api/2/archive?token={not_a_hash}"))
        .send()
        .await;
    assert!(resp.status.is_client_error(), "{}", resp.status);

    let good = token("test-secret", &hash, now + 60);
    // No API key needed: the token is the authorisation.
    let resp = app
        .get(&format!("/api/2/archive?token={good}"))
        .send()
        .await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.body, b"hello archive");
    assert_eq!(resp.headers["content-type"], "text/plain");
    assert_eq!(resp.headers["content-length"], "13");
    let disposition = resp.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"report _2024_.txt\""),
        "{disposition}"
    );
    assert!(disposition.contains("filename*=UTF-8''report%20%C2%AB2024%C2%BB.txt"));

    // A type from entity data that no header can carry falls back to a generic one.
    let odd = sign(
        "test-secret",
        &ArchiveClaims {
            c: hash.clone(),
            f: None,
            m: Some("text/plain\u{7f}\n".to_string()),
            exp: now + 60,
            r: None,
        },
    );
    let resp = app.get(&format!("/api/2/archive?token={odd}")).send().await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.headers["content-type"], "application/octet-stream");
    assert!(resp.headers.get("content-disposition").is_none());
}

#[tokio::test]
async fn document_file_links_download() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "docs").await;
    let mut bytes: &[u8] = b"%PDF-1.4 fake";
    let (hash, _) = app.state.archive.put_stream(&mut bytes).await.unwrap();
    let doc = json!([{"id": "doc1", "schema": "Pages",
                      "properties": {"fileName": ["a.pdf"], "mimeType": ["application/pdf"],
                                     "contentHash": [hash]}}]);
    // Admins may keep checksums (safe=false); the link then points at the blob.
    app.post(&format!("/api/2/collections/{cid}/_bulk?safe=false"))
        .auth(&app.admin)
        .json(&doc)
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);
    let found = app
        .get("/api/2/entities?filter:schemata=Document")
        .auth(&app.admin)
        .send()
        .await
        .json();
    let link = found["results"][0]["links"]["file"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/{}", link.strip_prefix(UI_URL).unwrap());
    let resp = app.get(&path).send().await;
    resp.expect(StatusCode::OK);
    assert_eq!(resp.body, b"%PDF-1.4 fake");
    assert_eq!(resp.headers["content-type"], "application/pdf");
}
