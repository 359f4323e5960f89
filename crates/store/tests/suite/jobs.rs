use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use store::{
    Completion, DeleteMode, Job, JobFilter, JobOutcome, JobState, LEASE_EXPIRED, NewJob, Stage,
    Store, StoreError, now,
};

use super::collection;
use crate::common::Harness;

const LONG: Duration = Duration::from_secs(600);
/// A lease short enough to have run out after `EXPIRY_WAIT`.
const SHORT: Duration = Duration::from_millis(1);
const EXPIRY_WAIT: Duration = Duration::from_millis(50);

fn ok(version: &str) -> JobOutcome {
    JobOutcome::Succeeded {
        processor_version: Some(version.into()),
    }
}

fn failure(class: &str, retry: bool) -> JobOutcome {
    JobOutcome::Failed {
        class: class.into(),
        message: format!("{class} happened"),
        retry,
        processor_version: Some("1.0".into()),
    }
}

fn ingest(c: i64, entity: &str) -> NewJob {
    NewJob::new(c, Stage::INGEST)
        .entity(entity)
        .path(format!("folder/{entity}.pdf"))
}

/// Claim the one job with this id (and no other) for `worker`.
async fn claim_one(store: &dyn Store, worker: &str, lease: Duration) -> Job {
    let mut got = store.claim(worker, &["ingest"], 1, lease).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    got.remove(0)
}

pub async fn enqueue_claim_complete<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "jobs").await;
    let before = now();
    let ids = store
        .enqueue(&[
            ingest(c, "low").payload(json!({"mime": "application/pdf"})),
            ingest(c, "high").priority(5),
            NewJob::new(c, Stage::ANALYZE).entity("low"),
            ingest(c, "mid").priority(1),
        ])
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 4);

    let job = store.job(ids[0]).await.unwrap();
    assert_eq!(job.collection_id, c);
    assert_eq!(job.stage, Stage::INGEST);
    assert_eq!(job.entity_id.as_deref(), Some("low"));
    assert_eq!(job.path.as_deref(), Some("folder/low.pdf"));
    assert_eq!(job.payload, json!({"mime": "application/pdf"}));
    assert_eq!(
        (job.state, job.priority, job.attempts),
        (JobState::Queued, 0, 0)
    );
    assert_eq!(job.max_attempts, store::DEFAULT_MAX_ATTEMPTS);
    assert!(job.created_at >= before && job.run_after >= before);
    assert_eq!(job.lease_owner, None);
    assert_eq!((job.started_at, job.finished_at), (None, None));

    // Only the stages asked for, highest priority first.
    let claimed = store.claim("w1", &["ingest"], 10, LONG).await.unwrap();
    let order: Vec<i64> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(order, [ids[1], ids[3], ids[0]]);
    for j in &claimed {
        assert_eq!(j.state, JobState::Running);
        assert_eq!(j.lease_owner.as_deref(), Some("w1"));
        assert_eq!(j.attempts, 1);
        let started = j.started_at.unwrap();
        assert!(started >= before);
        assert!(j.lease_expires_at.unwrap() > started + chrono::Duration::seconds(590));
        assert_eq!(j.heartbeat_at, Some(started));
    }
    assert!(
        store
            .claim("w2", &["ingest"], 10, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.claim("w2", &[], 10, LONG).await.unwrap().is_empty());
    assert!(
        store
            .claim("w2", &["analyze"], 0, LONG)
            .await
            .unwrap()
            .is_empty()
    );

    // Only the holder completes; the row stays as the ledger.
    assert_eq!(
        store.complete("w2", ids[1], ok("2.0")).await.unwrap(),
        Completion::NotHeld
    );
    assert_eq!(
        store.complete("w1", ids[1], ok("2.0")).await.unwrap(),
        Completion::Recorded(JobState::Succeeded)
    );
    let done = store.job(ids[1]).await.unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.processor_version.as_deref(), Some("2.0"));
    assert!(done.finished_at.unwrap() >= done.started_at.unwrap());
    assert_eq!(done.lease_expires_at, None);
    assert_eq!(done.lease_owner.as_deref(), Some("w1"));
    assert_eq!(
        store.complete("w1", ids[1], ok("2.0")).await.unwrap(),
        Completion::NotHeld
    );
    assert_eq!(
        store.complete("w1", 999_999, ok("2.0")).await.unwrap(),
        Completion::NotHeld
    );

    // Several stages at once.
    let claimed = store
        .claim("w3", &["analyze", "index"], 10, LONG)
        .await
        .unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[2]]);

    // Bad input is refused before anything happens.
    for bad in [
        store.claim("w1", &["Not A Stage"], 1, LONG).await,
        store.claim("", &["ingest"], 1, LONG).await,
        store.claim("w1", &["ingest"], 1, Duration::ZERO).await,
    ] {
        assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
    }
    assert!(matches!(
        store.enqueue(&[ingest(999_999, "x")]).await,
        Err(StoreError::NotFound { .. })
    ));
    let huge = ingest(c, "huge").payload(json!({"text": "x".repeat(store::MAX_PAYLOAD_LEN)}));
    assert!(matches!(
        store.enqueue(&[ingest(c, "fine"), huge]).await,
        Err(StoreError::Invalid(_))
    ));
    // Nothing of a refused batch was queued.
    let f = JobFilter {
        entity_id: Some("fine".into()),
        ..JobFilter::collection(c)
    };
    assert_eq!(store.list_jobs(&f).await.unwrap().total, 0);
    assert!(matches!(
        store.job(999_999).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.enqueue(&[]).await.unwrap().is_empty());
}

pub async fn concurrent_claimers_never_share_a_job<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "many").await;
    let mut jobs = Vec::new();
    for i in 0..300 {
        let stage = if i % 3 == 0 {
            Stage::ANALYZE
        } else {
            Stage::INGEST
        };
        jobs.push(
            NewJob::new(c, stage)
                .entity(format!("e{i}"))
                .priority(i % 4),
        );
    }
    let all: HashSet<i64> = store.enqueue(&jobs).await.unwrap().into_iter().collect();
    assert_eq!(all.len(), 300);

    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim(&worker, &["ingest", "analyze"], 7, LONG)
                    .await
                    .unwrap();
                if got.is_empty() {
                    // Rows another claimer had locked but did not take are free again
                    // once it commits: stop only when nothing is queued.
                    let queued = JobFilter {
                        states: vec![JobState::Queued],
                        ..JobFilter::collection(c)
                    };
                    if store.list_jobs(&queued).await.unwrap().total == 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
                for job in got {
                    assert_eq!(job.lease_owner.as_deref(), Some(worker.as_str()));
                    let done = store.complete(&worker, job.id, ok("1")).await.unwrap();
                    assert_eq!(done, Completion::Recorded(JobState::Succeeded));
                    mine.push(job.id);
                }
            }
            mine
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for t in tasks {
        let mine = t.await.unwrap();
        total += mine.len();
        seen.extend(mine);
    }
    assert_eq!(total, 300, "a job was claimed twice");
    assert_eq!(seen, all);
    let counts = store.job_counts(Some(c)).await.unwrap();
    assert_eq!(counts.iter().map(|s| s.succeeded).sum::<u64>(), 300);
    assert!(counts.iter().all(|s| s.unfinished() == 0));
}

pub async fn expired_leases_return_jobs_to_the_queue<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "leases").await;
    let id = store.enqueue(&[ingest(c, "a")]).await.unwrap()[0];
    let first = claim_one(&*store, "w1", SHORT).await;
    assert_eq!(first.id, id);
    tokio::time::sleep(EXPIRY_WAIT).await;

    let recovered = store.recover_expired().await.unwrap();
    assert_eq!((recovered.requeued, recovered.dead), (1, 0));
    let job = store.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.lease_owner, None);
    assert_eq!(job.lease_expires_at, None);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.error_class.as_deref(), Some(LEASE_EXPIRED));
    assert!(job.error_message.unwrap().contains("w1"));
    assert_eq!(store.recover_expired().await.unwrap().requeued, 0);

    // Someone else takes it; the first worker's late report is ignored.
    let second = claim_one(&*store, "w2", LONG).await;
    assert_eq!((second.id, second.attempts), (id, 2));
    assert_eq!(
        store.complete("w1", id, ok("1")).await.unwrap(),
        Completion::NotHeld
    );
    assert!(store.heartbeat("w1", &[id], LONG).await.unwrap().is_empty());
    let job = store.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Running);
    assert_eq!(job.lease_owner.as_deref(), Some("w2"));

    // The holder's heartbeat extends its lease.
    let before = job.lease_expires_at.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store
            .heartbeat("w2", &[id, 999_999], Duration::from_secs(1200))
            .await
            .unwrap(),
        [id]
    );
    let job = store.job(id).await.unwrap();
    assert!(job.lease_expires_at.unwrap() > before);
    assert!(job.heartbeat_at.unwrap() > job.started_at.unwrap());
    assert_eq!(
        store.complete("w2", id, ok("1")).await.unwrap(),
        Completion::Recorded(JobState::Succeeded)
    );
    let job = store.job(id).await.unwrap();
    assert_eq!((job.error_class, job.error_message), (None, None));

    // Claiming recovers expired leases by itself.
    let id = store.enqueue(&[ingest(c, "b")]).await.unwrap()[0];
    claim_one(&*store, "w3", SHORT).await;
    tokio::time::sleep(EXPIRY_WAIT).await;
    let again = claim_one(&*store, "w4", LONG).await;
    assert_eq!((again.id, again.attempts), (id, 2));
    assert_eq!(
        store.complete("w3", id, failure("x", false)).await.unwrap(),
        Completion::NotHeld
    );
}

pub async fn jobs_that_outlive_their_workers_end_dead<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "poison").await;
    let id = store
        .enqueue(&[ingest(c, "bomb").max_attempts(2)])
        .await
        .unwrap()[0];
    let other = store.enqueue(&[ingest(c, "fine")]).await.unwrap()[0];
    assert_eq!(claim_one(&*store, "w1", SHORT).await.id, id);
    tokio::time::sleep(EXPIRY_WAIT).await;
    // Back in the queue, the job waits behind work that has been ready longer, so a file
    // that kills workers does not hold up the others.
    let next = claim_one(&*store, "w2", LONG).await;
    assert_eq!(next.id, other);
    store.complete("w2", other, ok("1")).await.unwrap();
    let second = claim_one(&*store, "w2", SHORT).await;
    assert_eq!((second.id, second.attempts), (id, 2));
    tokio::time::sleep(EXPIRY_WAIT).await;

    let recovered = store.recover_expired().await.unwrap();
    assert_eq!((recovered.requeued, recovered.dead), (0, 1));
    let job = store.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Dead);
    assert_eq!(job.error_class.as_deref(), Some(LEASE_EXPIRED));
    assert!(job.error_message.as_deref().unwrap().contains("w2"));
    assert!(job.finished_at.is_some());
    assert_eq!(job.attempts, 2);
    // It does not come back.
    assert!(
        store
            .claim("w3", &["ingest"], 5, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.job(other).await.unwrap().state, JobState::Succeeded);
}

pub async fn failures_retry_with_backoff_until_attempts_run_out<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "failing").await;
    let ids = store
        .enqueue(&[
            ingest(c, "flaky").max_attempts(2),
            ingest(c, "once").max_attempts(1),
            ingest(c, "broken"),
        ])
        .await
        .unwrap();

    // A retryable failure with attempts left waits out its backoff in the queue.
    claim_one(&*store, "w1", LONG).await;
    let at = now();
    assert_eq!(
        store
            .complete("w1", ids[0], failure("timeout", true))
            .await
            .unwrap(),
        Completion::Recorded(JobState::Queued)
    );
    let job = store.job(ids[0]).await.unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.error_class.as_deref(), Some("timeout"));
    assert_eq!(job.error_message.as_deref(), Some("timeout happened"));
    assert_eq!(job.lease_owner, None);
    assert_eq!(job.finished_at, None);
    // 30 s for the first retry (the upper bound leaves room for a slow machine, and
    // excludes the next step of the backoff, 60 s).
    let wait = job.run_after - at;
    assert!(
        wait >= chrono::Duration::seconds(30) && wait < chrono::Duration::seconds(45),
        "{wait:?}"
    );

    // While it waits, other work is claimed and it is not.
    let next = claim_one(&*store, "w1", LONG).await;
    assert_eq!(next.id, ids[1]);
    // Without attempts left a retryable failure is dead.
    assert_eq!(
        store
            .complete("w1", ids[1], failure("timeout", true))
            .await
            .unwrap(),
        Completion::Recorded(JobState::Dead)
    );
    // A failure that is not retryable is final whatever the attempts.
    let next = claim_one(&*store, "w1", LONG).await;
    assert_eq!(next.id, ids[2]);
    assert_eq!(
        store
            .complete("w1", ids[2], failure("unsupported_format", false))
            .await
            .unwrap(),
        Completion::Recorded(JobState::Failed)
    );
    assert!(
        store
            .claim("w1", &["ingest"], 5, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = store.job(ids[1]).await.unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert!(dead.finished_at.is_some());
    let failed = store.job(ids[2]).await.unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.processor_version.as_deref(), Some("1.0"));

    // run_after decides: a job due later is not claimable, one due already is.
    let later = store
        .enqueue(&[ingest(c, "later").run_after(now() + chrono::Duration::hours(1))])
        .await
        .unwrap()[0];
    assert!(
        store
            .claim("w1", &["ingest"], 5, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store
        .enqueue(&[ingest(c, "due").run_after(now() - chrono::Duration::seconds(1))])
        .await
        .unwrap()[0];
    let got = store.claim("w1", &["ingest"], 5, LONG).await.unwrap();
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), [due]);
    assert_eq!(store.job(later).await.unwrap().state, JobState::Queued);

    // An invalid outcome is refused and changes nothing.
    let bad = JobOutcome::Failed {
        class: " ".into(),
        message: "x".into(),
        retry: false,
        processor_version: None,
    };
    assert!(matches!(
        store.complete("w1", due, bad).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.job(due).await.unwrap().state, JobState::Running);
}

pub async fn cancelling_stops_queued_and_running_jobs<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "cancel").await;
    let other = collection(&*store, "keep").await;
    let ids = store
        .enqueue(&[
            ingest(c, "a"),
            ingest(c, "b"),
            ingest(c, "c"),
            NewJob::new(c, Stage::ANALYZE).entity("a"),
            ingest(other, "a"),
        ])
        .await
        .unwrap();
    let running = store.claim("w1", &["ingest"], 1, LONG).await.unwrap();
    assert_eq!(running[0].id, ids[0]);
    store.complete("w1", ids[0], ok("1")).await.unwrap();
    let running = claim_one(&*store, "w1", LONG).await;

    assert_eq!(store.cancel_jobs(c, Some("ingest")).await.unwrap(), 2);
    let job = store.job(running.id).await.unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    assert!(job.finished_at.is_some());
    // The worker finds out at its next heartbeat; its report is ignored.
    assert!(
        store
            .heartbeat("w1", &[running.id], LONG)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.complete("w1", running.id, ok("1")).await.unwrap(),
        Completion::NotHeld
    );
    // Finished jobs keep their state.
    assert_eq!(store.job(ids[0]).await.unwrap().state, JobState::Succeeded);
    assert_eq!(store.job(ids[3]).await.unwrap().state, JobState::Queued);

    assert_eq!(store.cancel_jobs(c, None).await.unwrap(), 1);
    assert_eq!(store.job(ids[3]).await.unwrap().state, JobState::Cancelled);
    assert_eq!(store.cancel_jobs(c, None).await.unwrap(), 0);
    assert_eq!(store.job(ids[4]).await.unwrap().state, JobState::Queued);
    assert!(matches!(
        store.cancel_jobs(c, Some("BAD")).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn counts_per_collection_and_stage<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "counted").await;
    let other = collection(&*store, "counted_too").await;
    assert!(store.job_counts(Some(c)).await.unwrap().is_empty());
    let ids = store
        .enqueue(&[
            ingest(c, "s"),
            ingest(c, "f"),
            ingest(c, "d").max_attempts(1),
            ingest(c, "x"),
            ingest(c, "r"),
            ingest(c, "q1"),
            ingest(c, "q2"),
            NewJob::new(c, Stage::ANALYZE).entity("s"),
            ingest(other, "o"),
        ])
        .await
        .unwrap();
    let oldest_queued = store.job(ids[5]).await.unwrap().created_at;
    // Claim the first five ingest jobs of `c` (in id order, all priorities equal).
    let claimed = store.claim("w", &["ingest"], 5, LONG).await.unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        ids[..5].to_vec()
    );
    store.complete("w", ids[0], ok("1")).await.unwrap();
    store
        .complete("w", ids[1], failure("broken", false))
        .await
        .unwrap();
    store
        .complete("w", ids[2], failure("timeout", true))
        .await
        .unwrap();
    store.cancel_jobs(c, None).await.unwrap();
    // Cancelling took the queued ones too; queue two more and claim one (and the other
    // collection's older job).
    let more = store
        .enqueue(&[ingest(c, "q3"), ingest(c, "q4")])
        .await
        .unwrap();
    let claimed = store.claim("w", &["ingest"], 2, LONG).await.unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[8], more[0]]
    );
    let q4 = store.job(more[1]).await.unwrap();

    let counts = store.job_counts(Some(c)).await.unwrap();
    let stages: Vec<&str> = counts.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(stages, ["analyze", "ingest"]);
    let analyze = &counts[0];
    assert_eq!(analyze.collection_id, c);
    assert_eq!((analyze.queued, analyze.cancelled), (0, 1));
    assert_eq!(analyze.oldest_unfinished_at, None);
    let ing = &counts[1];
    assert_eq!(
        (
            ing.queued,
            ing.running,
            ing.succeeded,
            ing.failed,
            ing.dead,
            ing.cancelled
        ),
        (1, 1, 1, 1, 1, 4)
    );
    assert_eq!(ing.count(JobState::Cancelled), 4);
    assert_eq!((ing.unfinished(), ing.finished()), (2, 7));
    assert_eq!(
        ing.finished_recently, 3,
        "cancelled jobs are not throughput"
    );
    let q3 = store.job(more[0]).await.unwrap();
    assert_eq!(ing.oldest_unfinished_at, Some(q3.created_at));
    assert!(ing.oldest_unfinished_at.unwrap() >= oldest_queued);
    assert_eq!(ing.last_updated_at, q3.updated_at.max(q4.updated_at));

    let everywhere = store.job_counts(None).await.unwrap();
    assert_eq!(everywhere.len(), 3);
    assert_eq!(&everywhere[..2], &counts[..]);
    assert_eq!(everywhere[2].collection_id, other);
    assert_eq!((everywhere[2].queued, everywhere[2].running), (0, 1));
}

pub async fn failure_list_and_retry_filters<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "report").await;
    let other = collection(&*store, "report2").await;
    let mut new = Vec::new();
    for e in ["t1", "t2", "p1", "u1", "ok_old", "ok_new", "ok_unknown"] {
        new.push(ingest(c, e).max_attempts(1));
    }
    new.push(NewJob::new(c, Stage::INDEX).entity("t1").max_attempts(1));
    new.push(ingest(other, "t1").max_attempts(1));
    let ids = store.enqueue(&new).await.unwrap();
    let claimed = store
        .claim("w", &["ingest", "index"], 20, LONG)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 9);
    let outcomes = [
        failure("timeout", true),
        failure("timeout", true),
        failure("password", false),
        failure("unsupported_format", false),
        ok("1.9"),
        ok("1.10"),
        JobOutcome::Succeeded {
            processor_version: None,
        },
        failure("timeout", false),
        failure("timeout", true),
    ];
    for (id, outcome) in ids.iter().zip(outcomes) {
        store.complete("w", *id, outcome).await.unwrap();
    }

    // The failure report of a collection.
    let failures = JobFilter {
        states: vec![JobState::Failed, JobState::Dead],
        ..JobFilter::collection(c)
    };
    let page = store.list_jobs(&failures).await.unwrap();
    assert_eq!(page.total, 5);
    let listed: Vec<i64> = page.items.iter().map(|j| j.id).collect();
    assert_eq!(listed, [ids[0], ids[1], ids[2], ids[3], ids[7]]);
    let first = &page.items[0];
    assert_eq!(first.path.as_deref(), Some("folder/t1.pdf"));
    assert_eq!(first.state, JobState::Dead);
    assert_eq!(first.error_class.as_deref(), Some("timeout"));
    assert_eq!(first.error_message.as_deref(), Some("timeout happened"));
    assert_eq!(first.attempts, 1);
    assert_eq!(first.processor_version.as_deref(), Some("1.0"));
    let paged = JobFilter {
        limit: 2,
        offset: 3,
        ..failures.clone()
    };
    let page = store.list_jobs(&paged).await.unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(
        page.items.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[3], ids[7]]
    );
    let by_class = JobFilter {
        error_class: Some("timeout".into()),
        stages: vec![Stage::INGEST],
        ..failures.clone()
    };
    let page = store.list_jobs(&by_class).await.unwrap();
    assert_eq!(
        page.items.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[0], ids[1]]
    );
    let everywhere = JobFilter {
        error_class: Some("timeout".into()),
        ..JobFilter::default()
    };
    assert_eq!(store.list_jobs(&everywhere).await.unwrap().total, 4);
    let history = JobFilter {
        entity_id: Some("t1".into()),
        ..JobFilter::collection(c)
    };
    assert_eq!(store.list_jobs(&history).await.unwrap().total, 2);

    // Retry by class and stage: only those go back, reset.
    assert_eq!(store.retry_jobs(&by_class).await.unwrap(), 2);
    for id in &ids[..2] {
        let job = store.job(*id).await.unwrap();
        assert_eq!(job.state, JobState::Queued);
        assert_eq!(
            (job.attempts, job.error_class, job.error_message),
            (0, None, None)
        );
        assert_eq!(
            (job.lease_owner, job.finished_at, job.started_at),
            (None, None, None)
        );
    }
    assert_eq!(store.job(ids[7]).await.unwrap().state, JobState::Failed);
    // Retrying again finds nothing more of that kind (they are queued now).
    assert_eq!(store.retry_jobs(&by_class).await.unwrap(), 0);

    // Retry everything failed or dead in the collection (the default states).
    assert_eq!(
        store.retry_jobs(&JobFilter::collection(c)).await.unwrap(),
        3
    );
    assert_eq!(store.job(ids[8]).await.unwrap().state, JobState::Dead);
    // Queued or running jobs are never "retried".
    let queued_only = JobFilter {
        states: vec![JobState::Queued, JobState::Running],
        ..JobFilter::collection(c)
    };
    assert_eq!(store.retry_jobs(&queued_only).await.unwrap(), 0);

    // Reprocess what an older version handled: 1.9 and the unknown version, not 1.10.
    let old = JobFilter {
        processor_version_before: Some("1.10".into()),
        ..JobFilter::collection(c)
    };
    let listed = JobFilter {
        states: vec![JobState::Succeeded],
        ..old.clone()
    };
    let page = store.list_jobs(&listed).await.unwrap();
    assert_eq!(
        page.items.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[4], ids[6]]
    );
    assert_eq!(store.retry_jobs(&old).await.unwrap(), 2);
    assert_eq!(store.job(ids[4]).await.unwrap().state, JobState::Queued);
    assert_eq!(store.job(ids[5]).await.unwrap().state, JobState::Succeeded);
    assert_eq!(store.job(ids[6]).await.unwrap().state, JobState::Queued);
}

/// An upload's document and its first job: written together or not at all.
pub async fn fragments_and_their_jobs_are_written_together<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "upload").await;
    let doc = super::person("doc1", "Ann Upload");
    let job = NewJob::new(c, Stage::PROCESS)
        .entity("doc1")
        .path("a/doc1.txt");
    let ids = store
        .put_fragments_and_enqueue(c, "upload", &[doc], &[job.clone(), job])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "a queued duplicate is enqueued once");
    let stored = store.entity(c, "doc1").await.unwrap().unwrap();
    assert_eq!(stored.origins, ["upload"]);
    let queued = store.job(ids[0]).await.unwrap();
    assert_eq!(queued.state, JobState::Queued);
    assert_eq!(queued.entity_id.as_deref(), Some("doc1"));
    assert_eq!(queued.path.as_deref(), Some("a/doc1.txt"));

    // A job the store refuses (its collection does not exist) takes the fragments with it.
    let doc2 = super::person("doc2", "Bo Upload");
    let stray = NewJob::new(c + 1000, Stage::PROCESS).entity("doc2");
    let err = store
        .put_fragments_and_enqueue(c, "upload", &[doc2], &[stray])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(store.entity(c, "doc2").await.unwrap().is_none());
    // And fragments the store refuses (their collection does not exist) queue nothing.
    let doc3 = super::person("doc3", "Cy Upload");
    let job3 = NewJob::new(c, Stage::PROCESS).entity("doc3");
    assert!(
        store
            .put_fragments_and_enqueue(c + 1000, "upload", &[doc3], &[job3])
            .await
            .is_err()
    );
    let all = store.list_jobs(&JobFilter::default()).await.unwrap();
    assert_eq!(all.total, 1, "{:?}", all.items);
}

pub async fn a_completion_writes_its_fragments_only_for_the_holder<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "complete-replacing").await;
    store
        .put_fragments(c, "ingest:doc", &[super::person("doc", "Old Name")])
        .await
        .unwrap();
    let id = store.enqueue(&[ingest(c, "doc")]).await.unwrap()[0];
    let origins = [
        (
            "ingest:doc".to_string(),
            vec![super::person("doc", "New Name")],
        ),
        (
            "analyze:doc".to_string(),
            vec![super::person("mention", "Ann")],
        ),
    ];
    let index = [NewJob::new(c, Stage::INDEX).entity("doc")];
    let name = |store: Arc<dyn Store>, id: &'static str| async move {
        store
            .entity(c, id)
            .await
            .unwrap()
            .map(|s| s.entity.get("name").to_vec())
    };

    // The first attempt loses its lease: its late completion writes nothing.
    claim_one(&*store, "w1", SHORT).await;
    tokio::time::sleep(EXPIRY_WAIT).await;
    claim_one(&*store, "w2", LONG).await;
    assert_eq!(
        store
            .complete_replacing("w1", id, ok("1"), &index, c, &origins)
            .await
            .unwrap(),
        Completion::NotHeld
    );
    assert_eq!(name(store.clone(), "doc").await.unwrap(), ["Old Name"]);
    assert!(name(store.clone(), "mention").await.is_none());
    assert_eq!(ledger_rows(&*store, c).await, 1);

    // A write the store refuses (a collection that does not exist) leaves the job held.
    let err = store
        .complete_replacing("w2", id, ok("1"), &index, c + 1000, &origins)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let job = store.job(id).await.unwrap();
    assert_eq!(
        (job.state, job.lease_owner.as_deref()),
        (JobState::Running, Some("w2"))
    );
    assert_eq!(ledger_rows(&*store, c).await, 1);

    // The holder's completion replaces each origin, ends the job and hands over.
    assert_eq!(
        store
            .complete_replacing("w2", id, ok("1"), &index, c, &origins)
            .await
            .unwrap(),
        Completion::Recorded(JobState::Succeeded)
    );
    assert_eq!(name(store.clone(), "doc").await.unwrap(), ["New Name"]);
    assert_eq!(name(store.clone(), "mention").await.unwrap(), ["Ann"]);
    assert_eq!(
        store.origin_entity_ids(c, "analyze:doc").await.unwrap(),
        ["mention"]
    );
    assert_eq!(ledger_rows(&*store, c).await, 2);
    // A failure to be retried still writes (what the attempt found is the file's state).
    let again = store.enqueue(&[ingest(c, "doc2")]).await.unwrap()[0];
    claim_one(&*store, "w3", LONG).await;
    let empty = [("ingest:doc".to_string(), Vec::new())];
    assert_eq!(
        store
            .complete_replacing("w3", again, failure("io", true), &[], c, &empty)
            .await
            .unwrap(),
        Completion::Recorded(JobState::Queued)
    );
    assert!(name(store.clone(), "doc").await.is_none());
}

pub async fn queued_duplicates_are_enqueued_once<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "dedup").await;
    let other = collection(&*store, "dedup2").await;
    let first = store.enqueue(&[ingest(c, "file")]).await.unwrap()[0];
    // Re-uploading quickly: same job, which keeps the higher priority.
    let again = store
        .enqueue(&[ingest(c, "file").priority(3)])
        .await
        .unwrap();
    assert_eq!(again, [first]);
    assert_eq!(store.job(first).await.unwrap().priority, 3);
    let batch = store
        .enqueue(&[
            ingest(c, "file"),
            NewJob::new(c, Stage::ANALYZE).entity("file"),
            ingest(other, "file"),
            ingest(c, "twice"),
            ingest(c, "twice"),
            NewJob::new(c, Stage::INGEST),
            NewJob::new(c, Stage::INGEST),
        ])
        .await
        .unwrap();
    assert_eq!(batch[0], first);
    assert_eq!(batch[3], batch[4]);
    let distinct: HashSet<i64> = batch.iter().copied().collect();
    assert_eq!(distinct.len(), 6);
    let queued = JobFilter {
        states: vec![JobState::Queued],
        ..JobFilter::collection(c)
    };
    assert_eq!(store.list_jobs(&queued).await.unwrap().total, 5);

    // An earlier run_after is taken over by the job that waits.
    let wait = store
        .enqueue(&[ingest(c, "wait").run_after(now() + chrono::Duration::hours(1))])
        .await
        .unwrap()[0];
    let soon = now();
    store.enqueue(&[ingest(c, "wait")]).await.unwrap();
    assert!(store.job(wait).await.unwrap().run_after <= soon + chrono::Duration::minutes(1));

    // Once it runs, a new upload queues a new job.
    let running = store.claim("w", &["ingest"], 1, LONG).await.unwrap();
    assert_eq!(running[0].id, first);
    let fresh = store.enqueue(&[ingest(c, "file")]).await.unwrap()[0];
    assert_ne!(fresh, first);
    // The running one's retry is superseded by the queued one.
    assert_eq!(
        store
            .complete("w", first, failure("timeout", true))
            .await
            .unwrap(),
        Completion::Recorded(JobState::Cancelled)
    );
    let job = store.job(first).await.unwrap();
    assert_eq!(job.error_class.as_deref(), Some("timeout"));
    // And a retry of a finished one is not queued while the new one waits.
    let retry = JobFilter {
        states: vec![JobState::Cancelled],
        entity_id: Some("file".into()),
        ..JobFilter::collection(c)
    };
    assert_eq!(store.retry_jobs(&retry).await.unwrap(), 0);
    assert_eq!(store.job(first).await.unwrap().state, JobState::Cancelled);

    // An expired lease does the same.
    let second_claim = store.claim("w2", &["ingest"], 10, SHORT).await.unwrap();
    assert!(second_claim.iter().any(|j| j.id == fresh));
    let newest = store.enqueue(&[ingest(c, "file")]).await.unwrap()[0];
    tokio::time::sleep(EXPIRY_WAIT).await;
    let recovered = store.recover_expired().await.unwrap();
    assert!(recovered.superseded >= 1, "{recovered:?}");
    assert_eq!(store.job(fresh).await.unwrap().state, JobState::Cancelled);
    assert_eq!(store.job(newest).await.unwrap().state, JobState::Queued);
}

pub async fn deleting_a_collection_removes_its_documents_and_jobs<H: Harness>() {
    let (store, _h) = H::fresh().await;
    for mode in [DeleteMode::Contents, DeleteMode::Soft, DeleteMode::Hard] {
        let c = collection(&*store, &format!("gone_{mode:?}").to_lowercase()).await;
        let keep = collection(&*store, &format!("kept_{mode:?}").to_lowercase()).await;
        let (root, _) = store
            .upsert_document(c, None, Some("dir"), None)
            .await
            .unwrap();
        store
            .upsert_document(c, Some(root), Some("dir/a.pdf"), Some("h"))
            .await
            .unwrap();
        let (kept_doc, _) = store
            .upsert_document(keep, None, Some("dir"), None)
            .await
            .unwrap();
        let ids = store
            .enqueue(&[ingest(c, "a"), ingest(c, "b"), ingest(keep, "a")])
            .await
            .unwrap();
        store.claim("w", &["ingest"], 1, LONG).await.unwrap();

        let removed = store.delete_collection(c, mode).await.unwrap();
        assert_eq!((removed.documents, removed.jobs), (2, 2), "{mode:?}");
        assert_eq!(store.document(c, root).await.unwrap(), None);
        assert!(matches!(
            store.job(ids[0]).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(store.job_counts(Some(c)).await.unwrap().is_empty());
        // The worker that held a job of it learns it is gone.
        assert_eq!(
            store.complete("w", ids[0], ok("1")).await.unwrap(),
            Completion::NotHeld
        );
        assert!(store.document(keep, kept_doc).await.unwrap().is_some());
        assert_eq!(store.job(ids[2]).await.unwrap().state, JobState::Queued);
        store.cancel_jobs(keep, None).await.unwrap();
    }
}

/// How many jobs of a collection are in the ledger, of any stage and state.
async fn ledger_rows(store: &dyn Store, c: i64) -> u64 {
    store
        .list_jobs(&JobFilter::collection(c))
        .await
        .unwrap()
        .total
}

pub async fn completing_hands_over_next_jobs_atomically<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "handover").await;
    let zip = store.enqueue(&[ingest(c, "zip")]).await.unwrap()[0];
    let next = [
        NewJob::new(c, Stage::ANALYZE).entity("zip"),
        ingest(c, "a"),
        ingest(c, "b"),
        ingest(c, "a"),
    ];

    // The first attempt loses its lease; its late hand-over queues nothing.
    claim_one(&*store, "w1", SHORT).await;
    tokio::time::sleep(EXPIRY_WAIT).await;
    let retry = claim_one(&*store, "w2", LONG).await;
    assert_eq!((retry.id, retry.attempts), (zip, 2));
    // A member already queued by someone else is merged into, not added twice.
    let member_b = store.enqueue(&[ingest(c, "b")]).await.unwrap()[0];
    assert_eq!(
        store
            .complete_with("w1", zip, ok("1"), &next)
            .await
            .unwrap(),
        Completion::NotHeld
    );
    assert_eq!(ledger_rows(&*store, c).await, 2);
    assert_eq!(store.job(zip).await.unwrap().state, JobState::Running);

    // Next jobs that cannot be queued leave the job as it was: all or nothing.
    let gone = [ingest(c, "c"), ingest(999_999, "d")];
    let err = store
        .complete_with("w2", zip, ok("1"), &gone)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(ledger_rows(&*store, c).await, 2);
    let job = store.job(zip).await.unwrap();
    assert_eq!(
        (job.state, job.lease_owner.as_deref()),
        (JobState::Running, Some("w2"))
    );

    // The holder hands over once: each next job queued exactly once.
    assert_eq!(
        store
            .complete_with("w2", zip, ok("1"), &next)
            .await
            .unwrap(),
        Completion::Recorded(JobState::Succeeded)
    );
    assert_eq!(store.job(zip).await.unwrap().state, JobState::Succeeded);
    let queued = JobFilter {
        states: vec![JobState::Queued],
        ..JobFilter::collection(c)
    };
    let rows = store.list_jobs(&queued).await.unwrap().items;
    let mut keys: Vec<(String, String)> = rows
        .iter()
        .map(|j| (j.stage.to_string(), j.entity_id.clone().unwrap()))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("analyze".to_string(), "zip".to_string()),
            ("ingest".to_string(), "a".to_string()),
            ("ingest".to_string(), "b".to_string()),
        ]
    );
    assert!(rows.iter().any(|j| j.id == member_b));
    // A repeated report changes nothing and queues nothing.
    assert_eq!(
        store
            .complete_with("w2", zip, ok("1"), &next)
            .await
            .unwrap(),
        Completion::NotHeld
    );
    assert_eq!(ledger_rows(&*store, c).await, 4);

    // A failure hands over too (a failed file is still indexed).
    let member = claim_one(&*store, "w3", LONG).await;
    let index_it = NewJob::new(c, Stage::INDEX).entity(member.entity_id.clone().unwrap());
    assert_eq!(
        store
            .complete_with("w3", member.id, failure("broken", false), &[index_it])
            .await
            .unwrap(),
        Completion::Recorded(JobState::Failed)
    );
    let index = JobFilter {
        stages: vec![Stage::INDEX],
        ..JobFilter::collection(c)
    };
    assert_eq!(store.list_jobs(&index).await.unwrap().total, 1);

    // An attempt that will be retried hands nothing over; one that ends the job does,
    // even when it ends dead.
    let ids = store
        .enqueue(&[
            ingest(c, "flaky").max_attempts(2),
            ingest(c, "doomed").max_attempts(1),
        ])
        .await
        .unwrap();
    let (flaky, doomed) = (ids[0], ids[1]);
    let index_of = |e: &str| [NewJob::new(c, Stage::INDEX).entity(e)];
    let held = store.claim("w4", &["ingest"], 10, LONG).await.unwrap();
    assert!(held.iter().any(|j| j.id == flaky) && held.iter().any(|j| j.id == doomed));
    assert_eq!(
        store
            .complete_with("w4", flaky, failure("io", true), &index_of("flaky"))
            .await
            .unwrap(),
        Completion::Recorded(JobState::Queued)
    );
    assert_eq!(store.list_jobs(&index).await.unwrap().total, 1);
    assert_eq!(
        store
            .complete_with("w4", doomed, failure("io", true), &index_of("doomed"))
            .await
            .unwrap(),
        Completion::Recorded(JobState::Dead)
    );
    let indexed = store.list_jobs(&index).await.unwrap().items;
    let entities: Vec<&str> = indexed
        .iter()
        .filter_map(|j| j.entity_id.as_deref())
        .collect();
    assert_eq!(entities, [member.entity_id.as_deref().unwrap(), "doomed"]);
}

pub async fn many_completions_in_one_call<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "batch").await;
    let index = |e: &str| NewJob::new(c, Stage::INDEX).entity(e);
    let ids = store
        .enqueue(&[index("a"), index("b"), index("c"), index("d")])
        .await
        .unwrap();
    let mine = store.claim("w", &["index"], 3, LONG).await.unwrap();
    assert_eq!(mine.len(), 3);
    let theirs = store.claim("other", &["index"], 1, LONG).await.unwrap();
    assert_eq!(theirs[0].id, ids[3]);
    assert!(store.complete_many("w", &[]).await.unwrap().is_empty());
    let done = store
        .complete_many(
            "w",
            &[
                (ids[0], ok("2")),
                (ids[1], failure("timeout", true)),
                (ids[2], failure("broken", false)),
                (ids[0], ok("2")),
                (ids[3], ok("2")),
                (999_999, ok("2")),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        done,
        [
            Completion::Recorded(JobState::Succeeded),
            Completion::Recorded(JobState::Queued),
            Completion::Recorded(JobState::Failed),
            Completion::NotHeld,
            Completion::NotHeld,
            Completion::NotHeld,
        ]
    );
    let a = store.job(ids[0]).await.unwrap();
    assert_eq!(
        (a.state, a.processor_version.as_deref()),
        (JobState::Succeeded, Some("2"))
    );
    let b = store.job(ids[1]).await.unwrap();
    assert_eq!((b.state, b.attempts), (JobState::Queued, 1));
    assert!(b.run_after > b.started_at.unwrap());
    let d = store.job(ids[3]).await.unwrap();
    assert_eq!(
        (d.state, d.lease_owner.as_deref()),
        (JobState::Running, Some("other"))
    );
}
