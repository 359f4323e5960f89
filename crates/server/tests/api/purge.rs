//! Deleting a collection: hidden at once, then purged from the index, the archive and the
//! store by a background job that resumes when its worker dies.

use std::time::Duration;

use axum::http::StatusCode;
use index::{ReadScope, SearchQuery};
use serde_json::{Value, json};
use server::services::purge::{
    PurgeOptions, PurgeProgress, STAGE, blob_survives, delete_marked, purge_collection,
    purge_index, run_job,
};
use store::Access;

use crate::common::{TestApp, User, person};

async fn indexed(app: &TestApp, collection_id: i64) -> u64 {
    app.state
        .index
        .count(
            &ReadScope::collections([collection_id]),
            &SearchQuery::default(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn purge_goes_batch_by_batch_and_spares_other_collections() {
    let app = TestApp::new().await;
    let doomed = app.collection(&app.admin, "doomed").await;
    let kept = app.collection(&app.admin, "kept").await;
    let people: Vec<Value> = (0..23)
        .map(|i| person(&format!("d{i}"), &format!("Doomed {i}")))
        .collect();
    app.bulk(&app.admin, doomed, &Value::Array(people)).await;
    app.bulk(&app.admin, kept, &json!([person("k1", "Kept One")]))
        .await;
    assert_eq!(indexed(&app, doomed).await, 23);

    let mut reports = Vec::new();
    let options = PurgeOptions {
        batch: 10,
        pause: Duration::from_millis(1),
        ..PurgeOptions::default()
    };
    let done = purge_collection(&*app.state.index, doomed, &options, |p| reports.push(p))
        .await
        .unwrap();
    assert_eq!(
        done,
        PurgeProgress {
            removed: 23,
            total: 23
        }
    );
    let removed: Vec<u64> = reports.iter().map(|p| p.removed).collect();
    assert_eq!(removed, [10, 20, 23]);
    assert!(reports.iter().all(|p| p.total == 23));
    assert_eq!(indexed(&app, doomed).await, 0);
    assert_eq!(indexed(&app, kept).await, 1);

    // Nothing left: one final sweep, no batches.
    let mut calls = 0;
    let again = purge_collection(&*app.state.index, doomed, &options, |_| calls += 1)
        .await
        .unwrap();
    assert_eq!((again.total, calls), (0, 0));
}

async fn blob(app: &TestApp, bytes: &'static [u8]) -> String {
    let mut reader = bytes;
    app.state.archive.put_stream(&mut reader).await.unwrap().0
}

/// A blob of `bytes` that only a deleted collection referred to, found unreferenced by
/// that collection's purge (so marked, not yet deleted), and a live collection to write
/// into: `(hash, the purge's release step, target collection)`.
async fn marked_blob(app: &TestApp, bytes: &'static [u8]) -> (String, store::BlobRelease, i64) {
    let store = &*app.state.store;
    let doomed = app.collection(&app.admin, "doomed").await;
    let target = app.collection(&app.admin, "target").await;
    let hash = blob(app, bytes).await;
    store
        .upsert_document(doomed, None, Some("a.txt"), Some(&hash))
        .await
        .unwrap();
    store.retire_collection(doomed, None).await.unwrap();
    // The purge: nothing else refers to the blob, so it is marked.
    let step = store.release_collection_blobs(doomed, 10).await.unwrap();
    assert_eq!(step.unreferenced, std::slice::from_ref(&hash));
    (hash, step, target)
}

fn document(id: &str, content_hash: &str) -> Value {
    json!({"id": id, "schema": "Document",
           "properties": {"fileName": [format!("{id}.txt")], "contentHash": [content_hash]}})
}

async fn status(app: &TestApp, user: &User) -> Vec<Value> {
    let body = app.get("/api/2/status").auth(user).send().await.json();
    body["results"].as_array().unwrap().clone()
}

fn deletion_of(results: &[Value], cid: i64) -> Option<Value> {
    results
        .iter()
        .find(|r| r["deletion"]["collection_id"] == json!(cid.to_string()))
        .map(|r| r["deletion"].clone())
}

#[tokio::test]
async fn deleting_a_collection_hides_it_at_once_and_a_worker_purges_it() {
    let app = TestApp::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cid = app.collection(&alice, "gone").await;
    let kept = app.collection(&alice, "kept").await;
    app.grant(cid, bob.id, Access::Read).await;
    let only_here = blob(&app, b"only in the deleted collection").await;
    let shared = blob(&app, b"in both collections").await;
    let mut entities: Vec<Value> = (0..12)
        .map(|i| person(&format!("b{i}"), &format!("Gone {i}")))
        .collect();
    entities.push(document("f1", &only_here));
    entities.push(document("f2", &shared));
    app.bulk(&alice, cid, &Value::Array(entities)).await;
    app.bulk(&alice, kept, &json!([document("k1", &shared)]))
        .await;
    app.state
        .store
        .upsert_document(cid, None, Some("upload"), Some(&only_here))
        .await
        .unwrap();
    assert_eq!(indexed(&app, cid).await, 14);

    app.delete(&format!("/api/2/collections/{cid}"))
        .auth(&alice)
        .send()
        .await
        .expect(StatusCode::NO_CONTENT);

    // Gone from every read in the same request, though the index still holds it.
    assert_eq!(indexed(&app, cid).await, 14);
    let search = format!("/api/2/entities?filter:schemata=Thing&filter:collection_id={cid}");
    for user in [&app.admin, &alice, &bob] {
        let body = app.get(&search).auth(user).send().await.json();
        assert_eq!(body["total"], 0, "{body}");
        app.get(&format!("/api/2/collections/{cid}"))
            .auth(user)
            .send()
            .await
            .expect(StatusCode::NOT_FOUND);
    }
    let again = app.collection(&alice, "gone").await;
    assert_ne!(again, cid);

    // Progress: for administrators and the deleter, not for other readers.
    let mine = deletion_of(&status(&app, &alice).await, cid).expect("the deleter sees it");
    assert_eq!(mine["foreign_id"], "gone");
    assert_eq!(mine["entities_left"], 14);
    assert_eq!(mine["index_documents_left"], 14);
    assert!(deletion_of(&status(&app, &app.admin).await, cid).is_some());
    assert!(deletion_of(&status(&app, &bob).await, cid).is_none());

    // A worker takes the purge and dies part way: the index is done, some rows are gone.
    let store = &app.state.store;
    let lease = Duration::from_millis(1);
    let first = store.claim("dies", &[STAGE], 1, lease).await.unwrap();
    assert_eq!(first.len(), 1);
    let job = &first[0];
    assert_eq!(job.collection_id, cid);
    purge_index(&*app.state.index, cid, &PurgeOptions::default())
        .await
        .unwrap();
    // It released the references (the lone blob is marked) and stopped before deleting.
    let mut marked = Vec::new();
    loop {
        let step = store.release_collection_blobs(cid, 1).await.unwrap();
        if step.released == 0 {
            break;
        }
        marked.extend(step.unreferenced);
    }
    assert_eq!(marked, std::slice::from_ref(&only_here));
    for _ in 0..2 {
        store.purge_collection_batch(cid, job.id, 1).await.unwrap();
    }
    assert_eq!(indexed(&app, cid).await, 0);
    tokio::time::sleep(Duration::from_millis(20)).await;

    // Its lease runs out; the next worker gets the job again and finishes it.
    let second = store
        .claim("lives", &[STAGE], 1, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(second.iter().map(|j| j.id).collect::<Vec<_>>(), [job.id]);
    assert!(run_job(&app.state, &second[0]).await.is_none());

    assert_eq!(indexed(&app, cid).await, 0);
    assert_eq!(store.count_entities(cid).await.unwrap(), 0);
    assert!(store.deleted_collection_ids().await.unwrap().is_empty());
    assert!(
        store.job(job.id).await.is_err(),
        "the job went with the collection"
    );
    assert!(!app.state.archive.exists(&only_here).await.unwrap());
    assert!(app.state.archive.exists(&shared).await.unwrap());
    assert_eq!(indexed(&app, kept).await, 1);
    assert!(deletion_of(&status(&app, &alice).await, cid).is_none());
    let gauge = server::metrics::global().encode().unwrap();
    assert!(
        !gauge.contains(&format!(
            "aleph_index_purge_remaining{{collection_id=\"{cid}\"}}"
        )),
        "the progress gauge goes when the purge ends"
    );
    // A malformed flag is refused before anything is deleted.
    app.delete(&format!("/api/2/collections/{kept}?sync=maybe"))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::BAD_REQUEST);
    app.get(&format!("/api/2/collections/{kept}"))
        .auth(&app.admin)
        .send()
        .await
        .expect(StatusCode::OK);
}

/// A file uploaded into another collection while a purge deletes the same bytes, the two
/// sides driven step by step: the upload's store is a no-op (the blob is there), its
/// document commits after the purge marked the blob, and the purge deletes it. The
/// upload waits for the mark, finds the blob gone and stores it again; from then on its
/// reference keeps the blob.
#[tokio::test]
async fn an_upload_racing_a_purge_keeps_its_file() {
    let app = TestApp::new().await;
    let (store, archive) = (&*app.state.store, &*app.state.archive);
    let bytes: &[u8] = b"the same file in two collections";
    let (hash, step, target) = marked_blob(&app, bytes).await;
    // The upload: stores the bytes (nothing written) and commits its document.
    assert_eq!(blob(&app, bytes).await, hash);
    store
        .upsert_document(target, None, Some("b.txt"), Some(&hash))
        .await
        .unwrap();
    let writer = tokio::spawn({
        let state = app.state.clone();
        let hash = hash.clone();
        async move {
            blob_survives(&*state.store, &*state.archive, &hash)
                .await
                .unwrap()
        }
    });
    // The writer cannot get past the mark, however long it is given.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished());
    // The purge deletes the blob and drops the mark; the writer sees the blob gone.
    delete_marked(store, archive, &step.unreferenced)
        .await
        .unwrap();
    assert!(!archive.exists(&hash).await.unwrap());
    assert!(!writer.await.unwrap());
    assert_eq!(blob(&app, bytes).await, hash);
    // A writer that comes after finds its blob without waiting.
    assert!(blob_survives(store, archive, &hash).await.unwrap());

    // The purge goes on to the end; the upload's reference keeps the blob.
    let jobs = store
        .claim("w", &[STAGE], 1, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert!(run_job(&app.state, &jobs[0]).await.is_none());
    assert!(store.deleted_collection_ids().await.unwrap().is_empty());
    assert!(archive.exists(&hash).await.unwrap());
}

/// A zip holding `name` with `bytes`, stored (not deflated).
fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(name, options).unwrap();
    zip.write_all(bytes).unwrap();
    zip.finish().unwrap().into_inner()
}

/// The process stage's half of the blob rule: a file unpacked from an archive is stored
/// before its reference commits, so a purge of another collection that found the same
/// blob unreferenced can delete it in between; the stage waits for the purge's mark and
/// stores the blob again from the file it still has.
#[tokio::test]
async fn a_zip_member_racing_a_purge_keeps_its_file() {
    let app = TestApp::new().await;
    let (store, archive) = (&*app.state.store, &*app.state.archive);
    let member: &[u8] = b"a member that is also a file of a doomed collection";
    let (hash, step, target) = marked_blob(&app, member).await;

    let resp = crate::common::upload_file(
        &app,
        &app.admin,
        target,
        &json!({"file_name": "bundle.zip"}),
        "bundle.zip",
        &zip_of("inner.txt", member),
    )
    .await;
    resp.expect(StatusCode::CREATED);
    let zip_id = resp.json()["id"].as_str().unwrap().to_string();
    let jobs = store
        .claim("w", &["process"], 1, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let work = tempfile::tempdir().unwrap();
    let config = server::services::pipeline::PipelineConfig {
        isolation: server::worker::sandbox::Isolation::InProcess,
        limits: ingest::Limits::default(),
        ocr: None,
        libreoffice: None,
        work_root: work.path().to_path_buf(),
    };
    let ingest = tokio::spawn({
        let state = app.state.clone();
        let job = jobs[0].clone();
        async move {
            let analysis = server::services::pipeline::Analysis::default();
            server::services::pipeline::run_process_observed(&state, &config, &analysis, &job)
                .await
                .0
        }
    });
    // The member's blob is in the archive (the doomed collection's copy) and the zip's
    // entities are committed: the stage now waits for the mark.
    let mut committed = false;
    for _ in 0..600 {
        if let Some(stored) = store.entity(target, &zip_id).await.unwrap()
            && stored
                .entity
                .get("processingStatus")
                .iter()
                .any(|s| s == "success")
        {
            committed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(committed, "the zip's ingest never committed");
    // Without the stage's check it would be done by now, the blob about to go.
    assert!(!ingest.is_finished());
    // The purge deletes the blob and drops its mark.
    delete_marked(store, archive, &step.unreferenced)
        .await
        .unwrap();
    let end = ingest.await.unwrap();
    assert!(
        matches!(end.outcome, store::JobOutcome::Succeeded { .. }),
        "{end:?}"
    );
    assert!(
        archive.exists(&hash).await.unwrap(),
        "the member's blob was lost"
    );
}
