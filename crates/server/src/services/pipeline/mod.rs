//! The pipeline stages a worker runs on a job: `process` (extract a file, then find
//! languages and mentions in what it held), then `index` (make it all searchable).
//! `analyze` runs analysis again on what the store holds, on demand; `ingest`, the first
//! stage before `process`, is still run (as `process`) for jobs queued before it existed.
//!
//! Each document's results are written under origins of their own (`ingest:<entity id>`
//! for what extraction found, `analyze:<entity id>` for what analysis added), replaced as
//! a whole when the document is processed again, so that re-ingesting never leaves stale
//! pages behind and never shows readers a half-written document. Job payloads carry ids
//! and options only; everything else is read from the store and the archive.

mod analyze;
mod index;
mod ingest;
mod process;

use std::path::PathBuf;

use ::ingest::{ErrorClass, Limits, OcrConfig};
use serde_json::{Value, json};
use store::{Job, JobFilter, JobOutcome, NewJob, Stage, Store};

use crate::worker::sandbox::Isolation;

pub use analyze::run_analyze;
pub use index::{IndexCadence, run_index};
pub use ingest::IngestFacts;
pub(crate) use ingest::stamp;
pub use process::{Analysis, run_process_observed};

/// The processor version the ledger records for the pipeline's stages: the extractor's
/// and the analyzer's, so that `aleph retry --before-version` finds files that an older
/// version of either handled (`aleph-rs ingest 0.1.0 + analyze 0.1.0` sorts after the
/// `aleph-rs ingest 0.1.0` of ledgers from before, and before a newer analyzer's).
pub fn processor_version() -> String {
    format!("{} + analyze {}", ::ingest::AGENT, ::analyze::VERSION)
}

/// The origin under which a document's ingest results are kept.
pub fn ingest_origin(entity_id: &str) -> String {
    format!("ingest:{entity_id}")
}

/// The origin under which a document's analysis results are kept.
pub fn analyze_origin(entity_id: &str) -> String {
    format!("analyze:{entity_id}")
}

/// The job that processes an uploaded document (a `process` job). `index == false` ends
/// its pipeline before indexing (Aleph's `index=false` upload flag).
pub fn ingest_job(collection_id: i64, entity_id: &str, path: &str, index: bool) -> NewJob {
    NewJob::new(collection_id, Stage::PROCESS)
        .entity(entity_id)
        .path(path)
        .payload(json!({"index": index}))
}

/// Queue again what a filter selects ([`Store::retry_jobs`]), and with the `analyze` stage
/// also re-analyse: a file that a matching `process` row (or an `ingest` row of a ledger
/// from before it) handled and that has no `analyze` row of its own gets an `analyze`
/// job, which analyses what the store holds and queues the `index` stage. A file that
/// has `analyze` rows is left to those (the retry of the rows that match). `aleph retry
/// --stage analyze --before-version "<extractor> + analyze <new version>"` re-analyses
/// what an older analyzer handled. Returns how many jobs were queued.
pub async fn retry(store: &dyn Store, filter: &JobFilter) -> store::Result<u64> {
    let mut queued = store.retry_jobs(filter).await?;
    if filter.stages.contains(&Stage::ANALYZE) {
        queued += reanalyze(store, filter).await?;
    }
    Ok(queued)
}

async fn reanalyze(store: &dyn Store, filter: &JobFilter) -> store::Result<u64> {
    const PAGE: u32 = 1000;
    let mut analysed = std::collections::HashSet::new();
    let mut rows = JobFilter {
        collection_id: filter.collection_id,
        stages: vec![Stage::ANALYZE],
        entity_id: filter.entity_id.clone(),
        limit: PAGE,
        ..JobFilter::default()
    };
    loop {
        let page = store.list_jobs(&rows).await?;
        let n = page.items.len();
        analysed.extend(page.items.into_iter().filter_map(|j| j.entity_id));
        if n < PAGE as usize {
            break;
        }
        rows.offset += u64::from(PAGE);
    }
    let mut rows = JobFilter {
        stages: vec![Stage::PROCESS, Stage::INGEST],
        states: filter.retry_states(),
        limit: PAGE,
        offset: 0,
        ..filter.clone()
    };
    let mut queued = 0u64;
    loop {
        let page = store.list_jobs(&rows).await?;
        let n = page.items.len();
        let jobs: Vec<NewJob> = page
            .items
            .iter()
            .filter_map(|job| {
                let entity_id = job.entity_id.as_deref()?;
                analysed
                    .insert(entity_id.to_string())
                    .then(|| next_job(Stage::ANALYZE, job, entity_id))
            })
            .collect();
        if !jobs.is_empty() {
            queued += store.enqueue(&jobs).await?.len() as u64;
        }
        if n < PAGE as usize {
            break;
        }
        rows.offset += u64::from(PAGE);
    }
    Ok(queued)
}

fn wants_index(job: &Job) -> bool {
    job.payload
        .get("index")
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// Everything the stages need besides the shared state.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub isolation: Isolation,
    pub limits: Limits,
    pub ocr: Option<OcrConfig>,
    pub libreoffice: Option<PathBuf>,
    /// Where each job gets a scratch directory, removed when the job ends.
    pub work_root: PathBuf,
}

impl PipelineConfig {
    /// Sensible defaults: a child process per file with a memory cap and a time limit, OCR
    /// and LibreOffice if they are installed.
    pub fn detect(work_root: PathBuf) -> std::io::Result<PipelineConfig> {
        let timeout = std::env::var("ALEPH_INGEST_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(std::time::Duration::from_secs)
            .unwrap_or(std::time::Duration::from_secs(3600));
        let memory = std::env::var("ALEPH_INGEST_MEMORY_MB")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(4096)
            * 1024
            * 1024;
        let languages = std::env::var("ALEPH_OCR_LANGUAGES")
            .unwrap_or_else(|_| "eng".to_string())
            .split(['+', ','])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let ocr = find_program("tesseract").map(|tesseract| OcrConfig {
            tesseract,
            languages,
        });
        let libreoffice = find_program("soffice").or_else(|| find_program("libreoffice"));
        Ok(PipelineConfig {
            isolation: Isolation::subprocess(Some(memory), timeout)?,
            limits: Limits::default(),
            ocr,
            libreoffice,
            work_root,
        })
    }
}

/// An executable on `PATH`.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn failed(class: ErrorClass, message: impl Into<String>) -> JobOutcome {
    JobOutcome::Failed {
        class: class.as_str().to_string(),
        message: message.into(),
        // Only local I/O trouble is worth trying again by itself; a broken or unsupported
        // file stays failed until someone retries it on purpose.
        retry: class == ErrorClass::Io,
        processor_version: Some(processor_version()),
    }
}

fn succeeded() -> JobOutcome {
    JobOutcome::Succeeded {
        processor_version: Some(processor_version()),
    }
}

/// How a stage's attempt at a job ended: the outcome to record and the jobs that follow
/// it. The worker hands both to the store in one transaction
/// ([`store::Store::complete_with`]), so an attempt killed before that queues nothing and
/// its retry queues everything once: no file gets two rows of one stage in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEnd {
    pub outcome: JobOutcome,
    pub next: Vec<NewJob>,
    /// Fragments to write with the completion, origin by origin, replacing what each
    /// origin held ([`Store::complete_replacing`]): a file's results and its job's end
    /// are one commit, and an attempt that lost its lease writes nothing.
    pub writes: Option<Writes>,
}

/// What a stage writes into one collection when its job is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Writes {
    pub collection_id: i64,
    pub origins: Vec<(String, Vec<ftm::Entity>)>,
}

impl StageEnd {
    /// An end with nothing to follow.
    pub fn alone(outcome: JobOutcome) -> StageEnd {
        StageEnd {
            outcome,
            next: Vec::new(),
            writes: None,
        }
    }

    /// Record the end of `worker`'s attempt at `job_id`: the outcome, the jobs that follow
    /// and the writes, in one transaction. If the writes cannot be made (a store error),
    /// the attempt is recorded as a failure to try again, without them.
    pub async fn record(
        self,
        store: &dyn Store,
        worker: &str,
        job_id: i64,
    ) -> store::Result<store::Completion> {
        let Some(writes) = self.writes else {
            return store
                .complete_with(worker, job_id, self.outcome, &self.next)
                .await;
        };
        match store
            .complete_replacing(
                worker,
                job_id,
                self.outcome,
                &self.next,
                writes.collection_id,
                &writes.origins,
            )
            .await
        {
            Ok(done) => Ok(done),
            Err(e) => {
                tracing::warn!("cannot write the results of job {job_id}: {e}");
                store.complete(worker, job_id, infrastructure(e)).await
            }
        }
    }
}

/// A store or archive error during a stage: transient, so the job is retried.
fn infrastructure(message: impl std::fmt::Display) -> JobOutcome {
    JobOutcome::Failed {
        class: ErrorClass::Io.as_str().to_string(),
        message: message.to_string(),
        retry: true,
        processor_version: Some(processor_version()),
    }
}

fn index_job(collection_id: i64, entity_id: &str, path: Option<&str>) -> NewJob {
    let mut job = NewJob::new(collection_id, Stage::INDEX).entity(entity_id);
    if let Some(p) = path {
        job = job.path(p);
    }
    job
}

/// The job of the next stage for the same document, carrying the same options.
fn next_job(stage: Stage, job: &Job, entity_id: &str) -> NewJob {
    let mut next = NewJob::new(job.collection_id, stage)
        .entity(entity_id)
        .payload(job.payload.clone());
    if let Some(p) = &job.path {
        next = next.path(p.clone());
    }
    next
}
