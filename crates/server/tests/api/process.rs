//! The `process` stage: a file's extraction and analysis in one job, both origins written
//! together; `ingest` and `analyze` jobs of ledgers from before it still run; re-analysis
//! on demand through the retry; Aleph's status shows `process` as `ingest`.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use server::services::pipeline::{
    self, Analysis, PipelineConfig, analyze_origin, ingest_origin, processor_version,
};
use store::{JobFilter, JobOutcome, NewJob, Stage};

use crate::common::{TestApp, upload_file};

const TEXT: &[u8] = b"Write to jane.doe@example.org about the transfer.\n";
const LEASE: Duration = Duration::from_secs(60);

fn config(work: &std::path::Path) -> PipelineConfig {
    PipelineConfig {
        isolation: server::worker::sandbox::Isolation::InProcess,
        limits: ingest::Limits::default(),
        ocr: None,
        libreoffice: None,
        work_root: work.to_path_buf(),
    }
}

/// A collection holding one uploaded text file; returns its id and the file's.
async fn uploaded(app: &TestApp, name: &str) -> (i64, String) {
    let cid = app.collection(&app.admin, name).await;
    let meta = json!({"foreign_id": "note.txt", "file_name": "note.txt"});
    let resp = upload_file(app, &app.admin, cid, &meta, "note.txt", TEXT).await;
    resp.expect(StatusCode::CREATED);
    (cid, resp.json()["id"].as_str().unwrap().to_string())
}

/// Claim the one job of `stage` and run it as the worker would, its end recorded.
async fn run_one(app: &TestApp, stage: Stage) -> (store::Job, pipeline::StageEnd) {
    let (job, end) = run_unrecorded(app, stage).await;
    let done = end
        .clone()
        .record(&*app.state.store, "w", job.id)
        .await
        .unwrap();
    assert!(matches!(done, store::Completion::Recorded(_)), "{done:?}");
    (job, end)
}

/// Claim the one job of `stage` and run it, without recording its end.
async fn run_unrecorded(app: &TestApp, stage: Stage) -> (store::Job, pipeline::StageEnd) {
    let jobs = app
        .state
        .store
        .claim("w", &[stage.as_str()], 5, LEASE)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "{stage}: {jobs:?}");
    let job = jobs[0].clone();
    let work = tempfile::tempdir().unwrap();
    let analysis = Analysis::default();
    let end = if stage == Stage::ANALYZE {
        pipeline::run_analyze(&app.state, &analysis.analyzer, analysis.known, &job).await
    } else {
        pipeline::run_process_observed(&app.state, &config(work.path()), &analysis, &job)
            .await
            .0
    };
    (job, end)
}

/// Both origins of a processed text file: its extraction and the address analysis found.
async fn assert_processed(app: &TestApp, cid: i64, id: &str) {
    let store = &app.state.store;
    assert_eq!(
        store
            .origin_entity_ids(cid, &ingest_origin(id))
            .await
            .unwrap(),
        [id]
    );
    assert!(
        store
            .origin_entity_ids(cid, &analyze_origin(id))
            .await
            .unwrap()
            .iter()
            .any(|e| e == id)
    );
    let entity = store.entity(cid, id).await.unwrap().unwrap().entity;
    assert_eq!(entity.get("processingStatus"), ["success"]);
    assert_eq!(entity.get("emailMentioned"), ["jane.doe@example.org"]);
}

fn stages(next: &[NewJob]) -> Vec<&str> {
    next.iter().map(|j| j.stage.as_str()).collect()
}

#[tokio::test]
async fn one_process_job_extracts_analyses_and_hands_over_the_index() {
    let app = TestApp::new().await;
    let (cid, id) = uploaded(&app, "process").await;
    let (job, end) = run_one(&app, Stage::PROCESS).await;
    assert_eq!(
        end.outcome,
        JobOutcome::Succeeded {
            processor_version: Some(processor_version())
        }
    );
    assert!(processor_version().contains(" + analyze "));
    // No analyze job: the analysis is done. The index job follows.
    assert_eq!(stages(&end.next), ["index"]);
    assert_eq!(end.next[0].entity_id.as_deref(), Some(id.as_str()));
    assert_processed(&app, cid, &id).await;
    // The ledger recorded the hand-over once.
    let done = app.state.store.job(job.id).await.unwrap();
    assert_eq!(done.state, store::JobState::Succeeded);

    // The status shows Aleph's `ingest` for `process`.
    let status = app
        .get(&format!("/api/2/collections/{cid}/status"))
        .auth(&app.admin)
        .send()
        .await;
    status.expect(StatusCode::OK);
    let shown: Vec<String> = status.json()["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown, ["index"]);
}

#[tokio::test]
async fn a_file_is_written_with_its_completion_and_not_by_an_attempt_that_lost_its_job() {
    let app = TestApp::new().await;
    let (cid, id) = uploaded(&app, "one-commit").await;
    let store = &app.state.store;
    let (job, end) = run_unrecorded(&app, Stage::PROCESS).await;
    let unwritten = || async {
        assert!(
            store
                .origin_entity_ids(cid, &analyze_origin(&id))
                .await
                .unwrap()
                .is_empty()
        );
        let entity = store.entity(cid, &id).await.unwrap().unwrap().entity;
        assert!(entity.get("emailMentioned").is_empty(), "{entity:?}");
    };
    // Run but not recorded: nothing of it is in the store yet.
    unwritten().await;
    // A worker that does not hold the job (its lease went to another) writes nothing.
    let done = end
        .clone()
        .record(&**store, "another", job.id)
        .await
        .unwrap();
    assert!(matches!(done, store::Completion::NotHeld), "{done:?}");
    unwritten().await;
    assert_eq!(
        store.job(job.id).await.unwrap().state,
        store::JobState::Running
    );
    // The holder's record writes the results, ends the job and queues the index.
    let done = end.record(&**store, "w", job.id).await.unwrap();
    assert!(matches!(done, store::Completion::Recorded(_)), "{done:?}");
    assert_processed(&app, cid, &id).await;
    assert_eq!(
        store.job(job.id).await.unwrap().state,
        store::JobState::Succeeded
    );
}

#[tokio::test]
async fn jobs_queued_before_process_existed_still_run() {
    let app = TestApp::new().await;
    let (cid, id) = uploaded(&app, "upgraded").await;
    let store = &app.state.store;
    // A ledger from before the upgrade: the upload's job was an `ingest` job.
    assert_eq!(store.cancel_jobs(cid, Some("process")).await.unwrap(), 1);
    let old = NewJob::new(cid, Stage::INGEST)
        .entity(id.clone())
        .path("note.txt")
        .payload(json!({"index": true}));
    store.enqueue(&[old]).await.unwrap();
    let (_, end) = run_one(&app, Stage::INGEST).await;
    assert!(
        matches!(end.outcome, JobOutcome::Succeeded { .. }),
        "{end:?}"
    );
    // Run as `process`: both origins, then the index (no analyze job to come).
    assert_eq!(stages(&end.next), ["index"]);
    assert_processed(&app, cid, &id).await;

    // An `analyze` job queued by an old `ingest` that finished before the upgrade.
    store
        .replace_origin(cid, &analyze_origin(&id), &[])
        .await
        .unwrap();
    let old = NewJob::new(cid, Stage::ANALYZE)
        .entity(id.clone())
        .payload(json!({"index": true}));
    store.enqueue(&[old]).await.unwrap();
    let (_, end) = run_one(&app, Stage::ANALYZE).await;
    assert!(
        matches!(end.outcome, JobOutcome::Succeeded { .. }),
        "{end:?}"
    );
    assert_eq!(stages(&end.next), ["index"]);
    assert_processed(&app, cid, &id).await;
}

#[tokio::test]
async fn retrying_the_analyze_stage_reanalyses_what_an_older_analyzer_handled() {
    let app = TestApp::new().await;
    let (cid, id) = uploaded(&app, "reanalyse").await;
    let store = &app.state.store;
    run_one(&app, Stage::PROCESS).await;
    let analyze_before = |version: &str| JobFilter {
        stages: vec![Stage::ANALYZE],
        processor_version_before: Some(version.to_string()),
        ..JobFilter::collection(cid)
    };
    let queued_analyze = || async {
        store
            .list_jobs(&JobFilter {
                stages: vec![Stage::ANALYZE],
                states: vec![store::JobState::Queued],
                ..JobFilter::collection(cid)
            })
            .await
            .unwrap()
            .items
    };
    // Processed by this very analyzer: nothing to redo.
    let current = processor_version();
    assert_eq!(
        pipeline::retry(&**store, &analyze_before(&current))
            .await
            .unwrap(),
        0
    );
    // A newer analyzer: the file gets an analyze job, once.
    let newer = format!("{} + analyze 999", ingest::AGENT);
    assert_eq!(
        pipeline::retry(&**store, &analyze_before(&newer))
            .await
            .unwrap(),
        1
    );
    let queued = queued_analyze().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].entity_id.as_deref(), Some(id.as_str()));
    assert_eq!(queued[0].payload["index"], json!(true));
    assert_eq!(
        pipeline::retry(&**store, &analyze_before(&newer))
            .await
            .unwrap(),
        0
    );
    // Without the stage, a retry of failures leaves succeeded files alone.
    assert_eq!(
        pipeline::retry(&**store, &JobFilter::collection(cid))
            .await
            .unwrap(),
        0
    );
    // The re-analysis runs and hands over the index.
    let (_, end) = run_one(&app, Stage::ANALYZE).await;
    assert!(matches!(end.outcome, JobOutcome::Succeeded { .. }));
    assert_eq!(stages(&end.next), ["index"]);
    assert_processed(&app, cid, &id).await;
}

/// A recogniser that breaks on every text: the analysis fails after a good extraction.
struct Broken;

impl analyze::names::Recognizer for Broken {
    fn recognize(&self, _: &str, _: &[String]) -> Vec<analyze::names::NameSpan> {
        panic!("the recogniser broke")
    }
}

#[tokio::test]
async fn a_failed_analysis_keeps_the_extraction_and_fails_the_job_for_good() {
    let app = TestApp::new().await;
    let (cid, id) = uploaded(&app, "broken-analysis").await;
    let store = &app.state.store;
    let jobs = store
        .claim("w", &[Stage::PROCESS.as_str()], 5, LEASE)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let job = jobs[0].clone();
    let work = tempfile::tempdir().unwrap();
    let broken = Analysis {
        analyzer: std::sync::Arc::new(analyze::Analyzer::new(Box::new(Broken))),
        known: std::sync::Arc::default(),
    };
    let (end, _) =
        pipeline::run_process_observed(&app.state, &config(work.path()), &broken, &job).await;
    // The ledger records the failure, the index job and the extraction together.
    end.clone().record(&**store, "w", job.id).await.unwrap();
    // Failed for good, with the analysis's reason: another attempt would break the same way.
    let JobOutcome::Failed {
        class,
        message,
        retry,
        processor_version: version,
    } = &end.outcome
    else {
        panic!("{end:?}");
    };
    assert_eq!(class, "internal");
    assert!(
        message.starts_with("analysis failed") && message.contains("panicked"),
        "{message}"
    );
    assert!(!retry);
    assert_eq!(version.as_deref(), Some(processor_version().as_str()));
    // The extraction is kept and still indexed: the file is shown and searchable.
    assert_eq!(stages(&end.next), ["index"]);
    assert_eq!(
        store
            .origin_entity_ids(cid, &ingest_origin(&id))
            .await
            .unwrap(),
        [id.as_str()]
    );
    assert!(
        store
            .origin_entity_ids(cid, &analyze_origin(&id))
            .await
            .unwrap()
            .is_empty()
    );
    let entity = store.entity(cid, &id).await.unwrap().unwrap().entity;
    assert_eq!(entity.get("processingStatus"), ["success"]);
    assert!(entity.first("bodyText").unwrap().contains("the transfer"));
    assert!(entity.get("emailMentioned").is_empty());

    // The ledger says so: the process row failed with the reason, the index row queued.
    let rows = store
        .list_jobs(&JobFilter::collection(cid))
        .await
        .unwrap()
        .items;
    let row = |stage: Stage| rows.iter().find(|j| j.stage == stage).unwrap();
    let failed = row(Stage::PROCESS);
    assert_eq!(failed.state, store::JobState::Failed);
    assert_eq!(failed.error_class.as_deref(), Some("internal"));
    assert_eq!(failed.error_message.as_deref(), Some(message.as_str()));
    assert_eq!(failed.attempts, 1);
    assert_eq!(row(Stage::INDEX).state, store::JobState::Queued);
    assert_eq!(rows.len(), 2, "{rows:?}");

    // A retry of the failures runs the file again; with a working analyzer it succeeds.
    assert_eq!(
        pipeline::retry(&**store, &JobFilter::collection(cid))
            .await
            .unwrap(),
        1
    );
    let (_, end) = run_one(&app, Stage::PROCESS).await;
    assert!(
        matches!(end.outcome, JobOutcome::Succeeded { .. }),
        "{end:?}"
    );
    assert_processed(&app, cid, &id).await;
}

#[test]
fn a_drained_queue_counts_process_and_old_ingest_jobs_as_files() {
    use server::services::notifications::finished_collections;
    let counts = |stage: Stage, queued: u64, succeeded: u64, failed: u64| store::StageCounts {
        collection_id: 3,
        stage,
        queued,
        running: 0,
        succeeded,
        failed,
        dead: 0,
        cancelled: 0,
        oldest_unfinished_at: None,
        last_updated_at: store::now(),
        finished_recently: 0,
    };
    let mut busy = std::collections::BTreeSet::new();
    let busy_now = [
        counts(Stage::PROCESS, 2, 0, 0),
        counts(Stage::INDEX, 0, 0, 0),
    ];
    assert!(finished_collections(&busy_now, &mut busy).is_empty());
    // Files are the process rows plus an upgraded ledger's ingest rows, not index rows.
    let drained = [
        counts(Stage::INDEX, 0, 9, 0),
        counts(Stage::INGEST, 0, 2, 1),
        counts(Stage::PROCESS, 0, 5, 1),
    ];
    assert_eq!(finished_collections(&drained, &mut busy), [(3, 9, 2)]);
}

#[test]
fn aleph_status_shows_process_as_ingest() {
    use store::StageCounts;
    let counts = |stage: Stage, queued: u64, running: u64| StageCounts {
        collection_id: 1,
        stage,
        queued,
        running,
        succeeded: 4,
        failed: 1,
        dead: 0,
        cancelled: 0,
        oldest_unfinished_at: None,
        last_updated_at: store::now(),
        finished_recently: 0,
    };
    let all = [
        counts(Stage::INDEX, 2, 0),
        counts(Stage::INGEST, 1, 0),
        counts(Stage::PROCESS, 3, 2),
    ];
    let status = server::services::status::aleph_status(&all);
    assert_eq!(
        status["stages"],
        json!([
            {"job_id": "", "stage": "index", "pending": 2, "running": 0, "finished": 5},
            {"job_id": "", "stage": "ingest", "pending": 4, "running": 2, "finished": 10},
        ])
    );
    assert_eq!(status["pending"], json!(6));
    assert_eq!(status["running"], json!(2));
    // Our own report keeps the real stages.
    let report = server::services::status::processing_report(&all);
    let names: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["index", "ingest", "process"]);
}
