//! The workers: take jobs from the job table and run pipeline stages on them.
//!
//! A worker claims jobs under a lease and keeps the lease alive with heartbeats while it
//! works. If the worker dies, the lease runs out and the job goes back to the queue by
//! itself (the store does that when anyone claims). File jobs (`process`: extraction and
//! analysis) run several at a time, each extraction in its own child process; index jobs
//! are taken in batches so that one index commit covers many documents, and none are
//! taken while the index is unreachable (a batch that
//! failed for the index's sake makes the worker probe it before claiming again), so an
//! outage of the search cluster leaves the jobs queued instead of using up their attempts;
//! cross-referencing runs one collection at a time. Any number of
//! workers, in the server or in `aleph worker` processes on other machines, can share one
//! store.

pub mod sandbox;

use std::sync::Arc;
use std::time::{Duration, Instant};

use store::{Job, JobOutcome, NewJob, Stage};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::metrics::{self, IngestorLabels, OutcomeLabels, StageLabels, WorkerLabels};
use crate::services::pipeline::{self, IngestFacts, PipelineConfig};
use crate::state::AppState;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Written as the lease owner: host, process and a counter.
    pub name: String,
    /// Files processed at once (process and analyze jobs); 0 for none.
    pub concurrency: usize,
    /// Whether this worker runs index jobs. With the embedded index only the process that
    /// owns the index writer (the server) may.
    pub index: bool,
    /// Whether this worker runs cross-referencing jobs.
    pub xref: bool,
    /// How long a claimed job is ours without a heartbeat.
    pub lease: Duration,
    /// How long to wait before asking for work again when there was none.
    pub idle_poll: Duration,
    /// Most index jobs handled with one commit.
    pub index_batch: u32,
    /// The least time between the starts of two index batches. While documents stream
    /// in, each batch would otherwise hold the one or two that finished meanwhile, and
    /// every commit writes, syncs and later merges a new segment (half of the server's
    /// time on a PDF corpus); waiting gathers them. An idle index starts at once.
    pub index_pause: Duration,
    /// While index batches follow one another, the pause between their starts doubles up
    /// to this: the longest a finished document waits to be searchable during a stream,
    /// besides its batch's own time. See [`pipeline::IndexCadence`].
    pub index_pause_max: Duration,
    /// How often an index worker compares the index with the store and queues what
    /// differs (`None`: never). See [`crate::services::reconcile`].
    pub reconcile_every: Option<Duration>,
    pub pipeline: PipelineConfig,
    pub analyzer: Arc<analyze::Analyzer>,
    /// The instance's known people and organisations, looked for in documents.
    pub gazetteer: Arc<crate::services::gazetteer::Gazetteer>,
}

impl WorkerOptions {
    pub fn new(concurrency: usize, pipeline: PipelineConfig) -> WorkerOptions {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".to_string());
        WorkerOptions {
            name: format!("{host}:{}:{}", std::process::id(), rand::random::<u32>()),
            concurrency,
            index: true,
            xref: true,
            lease: Duration::from_secs(120),
            idle_poll: Duration::from_millis(500),
            index_batch: 500,
            index_pause: Duration::from_secs(1),
            index_pause_max: Duration::from_secs(5),
            reconcile_every: Some(Duration::from_secs(1800)),
            pipeline,
            analyzer: Arc::new(analyze::Analyzer::default()),
            gazetteer: Arc::default(),
        }
    }
}

/// Run until `shutdown` turns true; jobs in progress are finished first.
pub async fn run(state: AppState, options: WorkerOptions, mut shutdown: watch::Receiver<bool>) {
    let options = Arc::new(options);
    let slots = Arc::new(Semaphore::new(options.concurrency));
    let file_stages: &[&str] = if options.concurrency > 0 {
        // `ingest` jobs are those of ledgers from before `process`: run as `process`.
        &[
            Stage::PROCESS.as_str(),
            Stage::ANALYZE.as_str(),
            Stage::INGEST.as_str(),
        ]
    } else {
        &[]
    };
    let mut tasks = JoinSet::new();
    let mut index_running = false;
    let mut index_cadence = pipeline::IndexCadence::new(
        options.index_pause,
        options.index_pause_max,
        options.index_batch,
    );
    // Set when an index batch failed for the system's sake; cleared by a probe that works.
    let mut index_down = false;
    let mut xref_running = false;
    let mut mapping_running = false;
    let mut purge_running = false;
    let mut reconcile_running = false;
    // The first pass waits a whole period: at start-up the queue is still draining.
    let mut last_reconcile = Instant::now();
    // Cross-referencing, mapping and purge jobs are rare. Asking for them on every turn
    // of the loop cost a write transaction (and a hand-over to the blocking pool) each
    // time a file job was handed out or finished, more than one per file; they are asked
    // for at most once per idle poll instead, and at once when one of theirs ended.
    let mut rare_at = Instant::now();
    tracing::info!(worker = %options.name, slots = options.concurrency, "worker started");
    // Exports run beside the stages, one at a time, under their own lease.
    let exports = tokio::spawn(crate::services::exports::work(
        state.clone(),
        options.name.clone(),
        options.idle_poll,
        shutdown.clone(),
    ));
    let liveness = WorkerLabels {
        worker: options.name.clone(),
    };
    let m = metrics::global();
    m.worker_up.get_or_create(&liveness).set(1);
    loop {
        if *shutdown.borrow() {
            break;
        }
        m.worker_last_poll
            .get_or_create(&liveness)
            .set(chrono::Utc::now().timestamp_micros() as f64 / 1e6);
        m.worker_busy
            .get_or_create(&liveness)
            .set(i64::try_from(options.concurrency - slots.available_permits()).unwrap_or(0));
        while let Some(done) = tasks.try_join_next() {
            match done {
                Ok(TaskKind::Index { failed }) => {
                    index_running = false;
                    index_down |= failed;
                }
                Ok(TaskKind::Xref) => (xref_running, rare_at) = (false, Instant::now()),
                Ok(TaskKind::Mapping) => (mapping_running, rare_at) = (false, Instant::now()),
                Ok(TaskKind::Purge) => (purge_running, rare_at) = (false, Instant::now()),
                Ok(TaskKind::Reconcile) => reconcile_running = false,
                _ => {}
            }
        }
        let rare_due = Instant::now() >= rare_at;
        if rare_due {
            rare_at = Instant::now() + options.idle_poll;
        }
        let mut claimed_any = false;
        // File work: as many as there are free slots.
        let free = slots.available_permits() as u32;
        if free > 0 && !file_stages.is_empty() {
            match state
                .store
                .claim(&options.name, file_stages, free, options.lease)
                .await
            {
                Ok(jobs) => {
                    tracing::debug!(claimed = jobs.len(), free, "file jobs claimed");
                    for job in jobs {
                        claimed_any = true;
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            break;
                        };
                        let (state, options) = (state.clone(), options.clone());
                        tasks.spawn(async move {
                            let started = Instant::now();
                            let (end, facts) = with_heartbeat(&state, &options, &[job.id], async {
                                if job.stage == Stage::ANALYZE {
                                    let known = options.gazetteer.current(&state).await;
                                    let end = pipeline::run_analyze(
                                        &state,
                                        &options.analyzer,
                                        known,
                                        &job,
                                    )
                                    .await;
                                    (end, None)
                                } else {
                                    let analysis = pipeline::Analysis {
                                        analyzer: options.analyzer.clone(),
                                        known: options.gazetteer.current(&state).await,
                                    };
                                    let (end, facts) = pipeline::run_process_observed(
                                        &state,
                                        &options.pipeline,
                                        &analysis,
                                        &job,
                                    )
                                    .await;
                                    (end, Some(facts))
                                }
                            })
                            .await;
                            let elapsed = started.elapsed();
                            let done = Done {
                                elapsed,
                                facts: facts.as_ref(),
                            };
                            finish_stage(&state, &options, &job, end, done).await;
                            drop(permit);
                            TaskKind::File
                        });
                    }
                }
                Err(e) => tracing::warn!("cannot claim file jobs: {e}"),
            }
        }
        // Index work: one batch at a time, and only while the index answers.
        if options.index && !index_running && index_down {
            match index_answers(&state).await {
                Ok(()) => {
                    tracing::info!("the index answers again; indexing resumes");
                    index_down = false;
                }
                Err(e) => tracing::debug!("index still unreachable: {e}"),
            }
        }
        let index_due = index_cadence.due(Instant::now());
        if options.index && !index_running && !index_down && index_due {
            match state
                .store
                .claim(
                    &options.name,
                    &[Stage::INDEX.as_str()],
                    options.index_batch,
                    options.lease,
                )
                .await
            {
                Ok(jobs) if !jobs.is_empty() => {
                    index_cadence.claimed(jobs.len(), Instant::now());
                    claimed_any = true;
                    index_running = true;
                    let (state, options) = (state.clone(), options.clone());
                    tasks.spawn(async move {
                        let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
                        let started = Instant::now();
                        let outcomes = with_heartbeat(&state, &options, &ids, async {
                            pipeline::run_index(&state, &jobs).await
                        })
                        .await;
                        // One commit serves the batch: each job gets its share of the time.
                        let share =
                            started.elapsed() / u32::try_from(jobs.len()).unwrap_or(1).max(1);
                        let failed = outcomes
                            .iter()
                            .any(|o| matches!(o, JobOutcome::Failed { retry: true, .. }));
                        finish_batch(&state, &options, &jobs, outcomes, share).await;
                        TaskKind::Index { failed }
                    });
                }
                Ok(_) => index_cadence.claimed(0, Instant::now()),
                Err(e) => tracing::warn!("cannot claim index jobs: {e}"),
            }
        }
        // Reconciliation: now and then, while the index answers, one pass at a time.
        if let Some(every) = options.reconcile_every
            && options.index
            && !index_down
            && !reconcile_running
            // A rebuilding index differs from the store by design until it ends.
            && state.index_rebuild.current().is_none()
            && last_reconcile.elapsed() >= every
        {
            last_reconcile = Instant::now();
            reconcile_running = true;
            let state = state.clone();
            tasks.spawn(async move {
                if let Err(e) = crate::services::reconcile::run(&state.store, &state.index).await {
                    tracing::warn!(
                        "reconciliation of the index with the store failed: {}",
                        e.message
                    );
                }
                TaskKind::Reconcile
            });
        }
        // Cross-referencing: one run at a time, checkpointed batch by batch, so a run
        // whose worker dies is picked up where it stopped.
        if rare_due && options.xref && !xref_running {
            match state
                .store
                .claim(&options.name, &[Stage::XREF.as_str()], 1, options.lease)
                .await
            {
                Ok(jobs) => {
                    for job in jobs {
                        claimed_any = true;
                        xref_running = true;
                        let (state, options) = (state.clone(), options.clone());
                        tasks.spawn(async move {
                            let started = std::time::Instant::now();
                            let outcome = with_heartbeat(&state, &options, &[job.id], async {
                                crate::services::xref::run_job_with(
                                    &state.store,
                                    Some(state.index.clone()),
                                    &job,
                                )
                                .await
                            })
                            .await;
                            let elapsed = started.elapsed();
                            finish(&state, &options, &job, Some(outcome), elapsed, None).await;
                            TaskKind::Xref
                        });
                    }
                }
                Err(e) => tracing::warn!("cannot claim xref jobs: {e}"),
            }
        }
        // Mapping runs and flushes write the index: only where the index writer is, one at
        // a time.
        if rare_due && options.index && !mapping_running {
            let stages = [
                crate::services::table_mappings::LOAD_STAGE,
                crate::services::table_mappings::FLUSH_STAGE,
            ];
            match state
                .store
                .claim(&options.name, &stages, 1, options.lease)
                .await
            {
                Ok(jobs) => {
                    for job in jobs {
                        claimed_any = true;
                        mapping_running = true;
                        let (state, options) = (state.clone(), options.clone());
                        tasks.spawn(async move {
                            let started = Instant::now();
                            let outcome = with_heartbeat(&state, &options, &[job.id], async {
                                crate::services::table_mappings::run_job(&state, &job).await
                            })
                            .await;
                            let elapsed = started.elapsed();
                            finish(&state, &options, &job, Some(outcome), elapsed, None).await;
                            TaskKind::Mapping
                        });
                    }
                }
                Err(e) => tracing::warn!("cannot claim mapping jobs: {e}"),
            }
        }
        // Deleted collections: one purge at a time, where the index writer is. A purge
        // that finished took its job row with it, so there is nothing to record then.
        if rare_due && options.index && !purge_running {
            match state
                .store
                .claim(
                    &options.name,
                    &[crate::services::purge::STAGE],
                    1,
                    options.lease,
                )
                .await
            {
                Ok(jobs) => {
                    for job in jobs {
                        claimed_any = true;
                        purge_running = true;
                        let (state, options) = (state.clone(), options.clone());
                        tasks.spawn(async move {
                            let started = Instant::now();
                            let outcome = with_heartbeat(&state, &options, &[job.id], async {
                                crate::services::purge::run_job(&state, &job).await
                            })
                            .await;
                            let elapsed = started.elapsed();
                            finish(&state, &options, &job, outcome, elapsed, None).await;
                            TaskKind::Purge
                        });
                    }
                }
                Err(e) => tracing::warn!("cannot claim purge jobs: {e}"),
            }
        }
        if !claimed_any {
            tokio::select! {
                _ = tokio::time::sleep(options.idle_poll) => {}
                _ = shutdown.changed() => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    match done {
                        Ok(TaskKind::Index { failed }) => {
                            index_running = false;
                            index_down |= failed;
                        }
                        Ok(TaskKind::Xref) => (xref_running, rare_at) = (false, Instant::now()),
                        Ok(TaskKind::Mapping) => {
                            (mapping_running, rare_at) = (false, Instant::now());
                        }
                        Ok(TaskKind::Purge) => (purge_running, rare_at) = (false, Instant::now()),
                        Ok(TaskKind::Reconcile) => reconcile_running = false,
                        _ => {}
                    }
                }
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    options.pipeline.isolation.shut_down().await;
    if let Err(e) = exports.await {
        tracing::warn!("the export loop ended abnormally: {e}");
    }
    m.worker_up.get_or_create(&liveness).set(0);
    m.worker_busy.get_or_create(&liveness).set(0);
}

enum TaskKind {
    File,
    /// `failed`: some job of the batch failed in a way worth retrying (the index).
    Index {
        failed: bool,
    },
    Xref,
    Mapping,
    Purge,
    Reconcile,
}

/// Whether the index takes requests again: a refresh and a search both work. A cluster
/// that is back but has not recovered its shards yet answers the refresh but fails the
/// search at once, where a write would wait for the shards.
async fn index_answers(state: &AppState) -> Result<(), index::IndexError> {
    state.index.commit().await?;
    let probe = index::ReadScope::collections([0]);
    state
        .index
        .count(&probe, &index::SearchQuery::default())
        .await?;
    Ok(())
}

/// Run `work` while renewing the lease of `job_ids` every third of the lease time.
async fn with_heartbeat<T>(
    state: &AppState,
    options: &WorkerOptions,
    job_ids: &[i64],
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut ticker = tokio::time::interval(options.lease / 3);
    ticker.tick().await;
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = ticker.tick() => {
                if let Err(e) = state.store.heartbeat(&options.name, job_ids, options.lease).await {
                    tracing::warn!("heartbeat failed: {e}");
                }
            }
        }
    }
}

/// What the metrics learn from a finished attempt besides its outcome.
struct Done<'a> {
    elapsed: Duration,
    facts: Option<&'a IngestFacts>,
}

/// Record a job's outcome; `None` (a purge that took its job row with it) records nothing.
async fn finish(
    state: &AppState,
    options: &WorkerOptions,
    job: &Job,
    outcome: Option<JobOutcome>,
    elapsed: Duration,
    facts: Option<&IngestFacts>,
) {
    let Some(outcome) = outcome else {
        return;
    };
    finish_with(state, options, job, outcome, &[], Done { elapsed, facts }).await;
}

/// Record a job's outcome and queue the jobs that follow it, in one transaction.
async fn finish_with(
    state: &AppState,
    options: &WorkerOptions,
    job: &Job,
    outcome: JobOutcome,
    next: &[NewJob],
    done: Done<'_>,
) {
    let succeeded = matches!(outcome, JobOutcome::Succeeded { .. });
    let completion = state
        .store
        .complete_with(&options.name, job.id, outcome, next)
        .await;
    recorded(job, succeeded, completion, &done);
}

/// Record the end of a file stage: its outcome, the jobs that follow it and its writes,
/// in one transaction.
async fn finish_stage(
    state: &AppState,
    options: &WorkerOptions,
    job: &Job,
    end: pipeline::StageEnd,
    done: Done<'_>,
) {
    let succeeded = matches!(end.outcome, JobOutcome::Succeeded { .. });
    let completion = end.record(&*state.store, &options.name, job.id).await;
    recorded(job, succeeded, completion, &done);
}

/// Record a batch's outcomes in one transaction; each job took `share` of the time.
async fn finish_batch(
    state: &AppState,
    options: &WorkerOptions,
    jobs: &[Job],
    outcomes: Vec<JobOutcome>,
    share: Duration,
) {
    let succeeded: Vec<bool> = outcomes
        .iter()
        .map(|o| matches!(o, JobOutcome::Succeeded { .. }))
        .collect();
    let pairs: Vec<(i64, JobOutcome)> = jobs.iter().map(|j| j.id).zip(outcomes).collect();
    let done = Done {
        elapsed: share,
        facts: None,
    };
    match state.store.complete_many(&options.name, &pairs).await {
        Ok(completions) => {
            for ((job, ok), completion) in jobs.iter().zip(succeeded).zip(completions) {
                recorded(job, ok, Ok(completion), &done);
            }
        }
        Err(e) => tracing::warn!("cannot record the end of {} index jobs: {e}", jobs.len()),
    }
}

fn recorded(
    job: &Job,
    succeeded: bool,
    completion: store::Result<store::Completion>,
    done: &Done<'_>,
) {
    match completion {
        Ok(store::Completion::NotHeld) => {
            tracing::warn!(
                "job {} was taken over by another worker; result dropped",
                job.id
            );
        }
        Ok(store::Completion::Recorded(now)) => {
            observe(job, succeeded, now, done.elapsed, done.facts);
        }
        Err(e) => tracing::warn!("cannot record the end of job {}: {e}", job.id),
    }
}

/// Record a finished attempt in the metrics. Files are counted once, when their job
/// ends for good: an attempt that goes back to the queue for a retry is timed but not
/// counted, so the file counters add up to the files processed.
fn observe(
    job: &Job,
    succeeded: bool,
    now: store::JobState,
    elapsed: Duration,
    facts: Option<&IngestFacts>,
) {
    let m = metrics::global();
    let outcome = if succeeded { "succeeded" } else { "failed" };
    let seconds = elapsed.as_secs_f64();
    m.job_duration
        .get_or_create(&StageLabels {
            stage: job.stage.as_str().to_string(),
            outcome: outcome.to_string(),
        })
        .observe(seconds);
    let Some(facts) = facts else {
        return;
    };
    if now == store::JobState::Queued {
        return;
    }
    m.files_ingested
        .get_or_create(&OutcomeLabels {
            outcome: outcome.to_string(),
        })
        .inc();
    if let Some(bytes) = facts.bytes {
        m.bytes_ingested.inc_by(bytes);
    }
    m.ingest_duration
        .get_or_create(&IngestorLabels {
            ingestor: facts.ingestor.clone().unwrap_or_else(|| "none".to_string()),
        })
        .observe(seconds);
}
