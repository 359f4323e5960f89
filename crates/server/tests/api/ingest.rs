//! `POST /collections/{id}/ingest`: files as multipart, folders as a form with `meta`, as
//! alephclient's `ingest_upload` sends them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, User, upload_file};

async fn make_folder(app: &TestApp, user: &User, cid: i64, meta: &Value) -> crate::common::Resp {
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("meta", &meta.to_string())
        .finish();
    app.post(&format!("/api/2/collections/{cid}/ingest"))
        .auth(user)
        .body("application/x-www-form-urlencoded", form)
        .send()
        .await
}

async fn stored(app: &TestApp, cid: i64, id: &str) -> ftm::Entity {
    app.state
        .store
        .entity(cid, id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{id} is not stored"))
        .entity
}

#[tokio::test]
async fn a_file_is_archived_stored_and_queued() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "uploads").await;
    let meta = json!({"foreign_id": "jan/a.txt", "file_name": "a.txt", "title": "Report",
                      "languages": ["en"], "countries": ["usa"]});
    let resp = upload_file(&app, &app.admin, cid, &meta, "a.txt", b"hello world").await;
    resp.expect(StatusCode::CREATED);
    let id = resp.json()["id"].as_str().unwrap().to_string();
    let (row, signature) = id.split_once('.').unwrap();
    assert!(row.parse::<i64>().is_ok(), "{id}");
    assert_eq!(signature.len(), 40, "{id}");

    let entity = stored(&app, cid, &id).await;
    assert_eq!(entity.schema().name(), "Document");
    assert_eq!(entity.get("fileName"), ["a.txt"]);
    assert_eq!(entity.get("title"), ["Report"]);
    assert_eq!(entity.get("language"), ["eng"]);
    assert_eq!(entity.get("country"), ["us"]);
    // SHA-1 of "hello world".
    let hash = "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed";
    assert_eq!(entity.get("contentHash"), [hash]);
    assert_eq!(entity.get("fileSize"), ["11"]);
    assert!(app.state.archive.exists(hash).await.unwrap());

    let counts = app.state.store.job_counts(Some(cid)).await.unwrap();
    let queued: u64 = counts
        .iter()
        .filter(|c| c.stage.as_str() == "process")
        .map(|c| c.queued)
        .sum();
    assert_eq!(queued, 1);

    // The same path again updates the same document, with the new content.
    let again = upload_file(&app, &app.admin, cid, &meta, "a.txt", b"changed").await;
    again.expect(StatusCode::CREATED);
    assert_eq!(again.json()["id"], json!(id));
    let entity = stored(&app, cid, &id).await;
    assert_eq!(entity.get("fileSize"), ["7"]);
    assert_ne!(entity.get("contentHash"), [hash]);
}

#[tokio::test]
async fn folders_nest_and_children_get_ancestors() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "tree").await;
    let top = make_folder(&app, &app.admin, cid, &json!({"foreign_id": "jan"})).await;
    top.expect(StatusCode::CREATED);
    let top_id = top.json()["id"].as_str().unwrap().to_string();
    let folder = stored(&app, cid, &top_id).await;
    assert_eq!(folder.schema().name(), "Folder");
    // The name defaults to the last segment of the foreign id.
    assert_eq!(folder.get("fileName"), ["jan"]);
    assert_eq!(folder.get("processingStatus"), ["success"]);

    let sub = make_folder(
        &app,
        &app.admin,
        cid,
        &json!({"foreign_id": "jan/week1", "file_name": "week1", "parent_id": top_id}),
    )
    .await;
    sub.expect(StatusCode::CREATED);
    let sub_id = sub.json()["id"].as_str().unwrap().to_string();

    // An unsigned parent id works too.
    let plain_sub = sub_id.split_once('.').unwrap().0;
    let meta = json!({"foreign_id": "jan/week1/1.txt", "parent": {"id": plain_sub}});
    let file = upload_file(&app, &app.admin, cid, &meta, "1.txt", b"one").await;
    file.expect(StatusCode::CREATED);
    let doc = stored(&app, cid, file.json()["id"].as_str().unwrap()).await;
    assert_eq!(doc.get("parent"), std::slice::from_ref(&sub_id));
    let mut ancestors = doc.get("ancestors").to_vec();
    ancestors.sort();
    let mut expected = vec![top_id.clone(), sub_id.clone()];
    expected.sort();
    assert_eq!(ancestors, expected);
    // The declared file name is used when meta has none.
    assert_eq!(doc.get("fileName"), ["1.txt"]);

    // The folder is searchable at once.
    let found = app
        .get(&format!(
            "/api/2/entities?filter:collection_id={cid}&filter:schemata=Folder"
        ))
        .auth(&app.admin)
        .send()
        .await;
    found.expect(StatusCode::OK);
    assert_eq!(found.json()["total"], json!(2));
}

#[tokio::test]
async fn bad_uploads_are_refused() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "refusals").await;

    let no_fid = make_folder(&app, &app.admin, cid, &json!({"file_name": "x"})).await;
    no_fid.expect(StatusCode::BAD_REQUEST);
    assert_eq!(
        no_fid.json()["message"],
        "Directories need to have a foreign_id"
    );

    let meta = json!({"foreign_id": "a.txt", "parent_id": "999999"});
    let orphan = upload_file(&app, &app.admin, cid, &meta, "a.txt", b"x").await;
    orphan.expect(StatusCode::BAD_REQUEST);
    assert_eq!(orphan.json()["message"], "Cannot load parent document");

    let meta = json!({"foreign_id": "a.txt", "title": 3});
    let typed = upload_file(&app, &app.admin, cid, &meta, "a.txt", b"x").await;
    typed.expect(StatusCode::BAD_REQUEST);
    assert!(typed.json()["errors"]["meta.title"].is_string());

    // A parent from another collection is not a parent here.
    let other = app.collection(&app.admin, "elsewhere").await;
    let folder = make_folder(&app, &app.admin, other, &json!({"foreign_id": "d"})).await;
    folder.expect(StatusCode::CREATED);
    let meta = json!({"foreign_id": "b.txt", "parent_id": folder.json()["id"]});
    let foreign = upload_file(&app, &app.admin, cid, &meta, "b.txt", b"y").await;
    foreign.expect(StatusCode::BAD_REQUEST);

    // Anonymous callers and readers cannot upload.
    let anon = app
        .post(&format!("/api/2/collections/{cid}/ingest"))
        .body(
            "application/x-www-form-urlencoded",
            "meta=%7B%22foreign_id%22%3A%22x%22%7D",
        )
        .send()
        .await;
    anon.expect(StatusCode::FORBIDDEN);
    let reader = app.user("reader").await;
    app.grant(cid, reader.id, store::Access::Read).await;
    let read_only = make_folder(&app, &reader, cid, &json!({"foreign_id": "x"})).await;
    read_only.expect(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn new_content_drops_what_was_extracted_from_the_old_file() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "versions").await;
    let meta = json!({"foreign_id": "a.txt"});
    let first = upload_file(&app, &app.admin, cid, &meta, "a.txt", b"old text").await;
    first.expect(StatusCode::CREATED);
    let id = first.json()["id"].as_str().unwrap().to_string();
    let old_hash = stored(&app, cid, &id).await.get("contentHash")[0].clone();
    // What processing wrote for the old file (as the ingest stage does).
    let mut extracted = ftm::Entity::with_id("PlainText", id.clone()).unwrap();
    extracted
        .add_cleaned("contentHash", old_hash.clone())
        .unwrap();
    extracted.add("bodyText", "old text").unwrap();
    extracted
        .add_cleaned("processingStatus", "success")
        .unwrap();
    let origin = server::services::pipeline::ingest_origin(&id);
    app.state
        .store
        .put_fragments(cid, &origin, &[extracted])
        .await
        .unwrap();

    // The same content again keeps the extraction.
    let same = upload_file(&app, &app.admin, cid, &meta, "a.txt", b"old text").await;
    same.expect(StatusCode::CREATED);
    assert_eq!(stored(&app, cid, &id).await.get("bodyText"), ["old text"]);

    let second = upload_file(&app, &app.admin, cid, &meta, "a.txt", b"new text").await;
    second.expect(StatusCode::CREATED);
    let entity = stored(&app, cid, &id).await;
    let hashes = entity.get("contentHash");
    assert_eq!(hashes.len(), 1, "{hashes:?}");
    assert_ne!(hashes[0], old_hash);
    assert!(entity.get("bodyText").is_empty());
    assert!(entity.get("processingStatus").is_empty());
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413() {
    let app = TestApp::with(|s| s.max_upload_bytes = 4096).await;
    let cid = app.collection(&app.admin, "limited").await;
    let meta = json!({"foreign_id": "big.txt"});
    let big = vec![b'x'; 64 * 1024];
    let resp = upload_file(&app, &app.admin, cid, &meta, "big.txt", &big).await;
    resp.expect(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.json()["message"], "The upload is too large.");
    let small = upload_file(&app, &app.admin, cid, &meta, "big.txt", b"fits").await;
    small.expect(StatusCode::CREATED);
}

/// Index one document's jobs through the index stage, as the server's worker does.
async fn index_stage(app: &TestApp, cid: i64, id: &str) {
    let job = store::NewJob::new(cid, store::Stage::INDEX).entity(id);
    app.state.store.enqueue(&[job]).await.unwrap();
    let jobs = app
        .state
        .store
        .claim(
            "test",
            &[store::Stage::INDEX.as_str()],
            10,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let outcomes = server::services::pipeline::run_index(&app.state, &jobs).await;
    assert!(
        matches!(outcomes[..], [store::JobOutcome::Succeeded { .. }]),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn indexing_a_shorter_version_drops_the_pages_it_no_longer_has() {
    let app = TestApp::new().await;
    let cid = app.collection(&app.admin, "pages").await;
    let doc = "doc-pages";
    let origin = server::services::pipeline::ingest_origin(doc);
    let pages = |n: usize| -> Vec<ftm::Entity> {
        let mut out = vec![ftm::Entity::with_id("Pages", doc).unwrap()];
        for i in 1..=n {
            let mut page = ftm::Entity::with_id("Page", format!("{doc}-p{i}")).unwrap();
            page.add_cleaned("document", doc).unwrap();
            page.add_cleaned("index", i.to_string()).unwrap();
            page.add("bodyText", &format!("okapi page {i}")).unwrap();
            out.push(page);
        }
        out
    };
    let indexed = |app: &TestApp| {
        let query =
            index::SearchQuery::from_params(&[("filter:origin".to_string(), origin.clone())])
                .unwrap();
        let index = app.state.index.clone();
        async move {
            let mut ids = index
                .stream_ids(&index::ReadScope::collections([cid]), &query)
                .await
                .unwrap()
                .collect_all()
                .await
                .unwrap();
            ids.sort();
            ids
        }
    };
    app.state
        .store
        .replace_origin(cid, &origin, &pages(3))
        .await
        .unwrap();
    index_stage(&app, cid, doc).await;
    assert_eq!(
        indexed(&app).await,
        ["doc-pages", "doc-pages-p1", "doc-pages-p2", "doc-pages-p3"]
    );
    // The file was replaced by a one-page version and processed again.
    app.state
        .store
        .replace_origin(cid, &origin, &pages(1))
        .await
        .unwrap();
    index_stage(&app, cid, doc).await;
    assert_eq!(indexed(&app).await, ["doc-pages", "doc-pages-p1"]);
}
