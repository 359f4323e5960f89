//! The job table: the work queue *and* the per-file ledger.
//!
//! A job is one stage of work on one thing (usually a document entity) in a collection. It
//! moves through [`JobState`]s: `queued` → `running` (claimed by a worker with a lease) →
//! `succeeded`, `failed` (will not work: broken or unsupported input), `dead` (kept failing
//! or kept killing its worker) or `cancelled`. A failure worth retrying goes back to
//! `queued` with a backoff; a worker that stops renewing its lease loses the job back to
//! the queue. Finished rows stay: they are the ledger the status pages and the failure
//! report are computed from.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fragments::check_entity_id;
use crate::{Result, StoreError, Timestamp};

/// The longest stage name accepted, in bytes.
pub const MAX_STAGE_LEN: usize = 32;
/// The largest job payload accepted, serialised, in bytes. Payloads carry ids and options;
/// document text belongs in the store or the archive, not in the queue.
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024;
/// The longest file path kept on a job, in bytes.
pub const MAX_PATH_LEN: usize = 4096;
/// The longest worker name, error class or processor version accepted, in bytes.
pub const MAX_LABEL_LEN: usize = 255;
/// Error messages are cut to this many bytes (at a character boundary).
pub const MAX_ERROR_MESSAGE_LEN: usize = 8 * 1024;
/// Attempts a job gets unless its [`NewJob`] says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The window [`StageCounts::finished_recently`] counts over.
pub const RECENT_WINDOW: Duration = Duration::from_secs(10 * 60);
/// The error class of a job whose worker stopped renewing its lease.
pub const LEASE_EXPIRED: &str = "lease_expired";

const BACKOFF_BASE: Duration = Duration::from_secs(30);
const BACKOFF_CAP: Duration = Duration::from_secs(60 * 60);

/// A pipeline stage: a lowercase name (`[a-z][a-z0-9_]*`, at most [`MAX_STAGE_LEN`]
/// bytes). The set is open so new stages need no schema change; the usual ones are
/// constants.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Stage(Cow<'static, str>);

impl Stage {
    /// A file's extraction and analysis in one job (the pipeline's first stage).
    pub const PROCESS: Stage = Stage(Cow::Borrowed("process"));
    /// Extraction alone: the first stage before `process` replaced it. Kept so that jobs
    /// queued before an upgrade still run.
    pub const INGEST: Stage = Stage(Cow::Borrowed("ingest"));
    /// Analysis of what was extracted earlier: queued on demand (re-analysis with a new
    /// analyzer or gazetteer), and by ledgers from before `process`.
    pub const ANALYZE: Stage = Stage(Cow::Borrowed("analyze"));
    pub const INDEX: Stage = Stage(Cow::Borrowed("index"));
    pub const XREF: Stage = Stage(Cow::Borrowed("xref"));
    pub const EXPORT: Stage = Stage(Cow::Borrowed("export"));
    pub const REINDEX: Stage = Stage(Cow::Borrowed("reindex"));

    /// A stage name, checked.
    pub fn new(name: impl Into<String>) -> Result<Stage> {
        let name = name.into();
        check_stage(&name)?;
        Ok(Stage(Cow::Owned(name)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A name read back from the database, where only checked names were written.
    pub(crate) fn stored(name: String) -> Result<Stage> {
        Stage::new(name).map_err(|e| StoreError::Corrupt(format!("job stage: {e}")))
    }
}

pub(crate) fn check_stage(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_STAGE_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(StoreError::invalid(format!(
            "stage must be a lowercase name of at most {MAX_STAGE_LEN} bytes: {name:?}"
        )));
    }
    Ok(())
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Stage {
    type Error = StoreError;
    fn try_from(name: String) -> Result<Stage> {
        Stage::new(name)
    }
}

impl From<Stage> for String {
    fn from(stage: Stage) -> String {
        stage.0.into_owned()
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker (possibly until `run_after`).
    Queued,
    /// Claimed by a worker whose lease has not been given up.
    Running,
    Succeeded,
    /// Failed for good: the input is broken or unsupported; retrying will not help.
    Failed,
    /// Used up its attempts (failing, or killing its workers).
    Dead,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Dead,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    pub(crate) fn parse(name: &str) -> Result<JobState> {
        JobState::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown job state {name:?}")))
    }

    /// Whether the job will not change again unless someone retries it.
    pub fn is_finished(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job to enqueue. `NewJob::new` gives the defaults: empty payload, priority 0,
/// [`DEFAULT_MAX_ATTEMPTS`], runnable now.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub collection_id: i64,
    pub stage: Stage,
    /// The entity the job works on; jobs with one are deduplicated while queued.
    pub entity_id: Option<String>,
    /// The file's path for people (`folder/a.pdf`), shown in failure reports.
    pub path: Option<String>,
    /// Ids and options, at most [`MAX_PAYLOAD_LEN`] bytes serialised.
    pub payload: serde_json::Value,
    /// Higher runs first.
    pub priority: i32,
    pub max_attempts: u32,
    /// Not claimable before this time.
    pub run_after: Option<Timestamp>,
}

impl NewJob {
    pub fn new(collection_id: i64, stage: Stage) -> NewJob {
        NewJob {
            collection_id,
            stage,
            entity_id: None,
            path: None,
            payload: serde_json::Value::Object(serde_json::Map::new()),
            priority: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_after: None,
        }
    }

    pub fn entity(mut self, entity_id: impl Into<String>) -> NewJob {
        self.entity_id = Some(entity_id.into());
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> NewJob {
        self.path = Some(path.into());
        self
    }

    pub fn payload(mut self, payload: serde_json::Value) -> NewJob {
        self.payload = payload;
        self
    }

    pub fn priority(mut self, priority: i32) -> NewJob {
        self.priority = priority;
        self
    }

    pub fn max_attempts(mut self, max_attempts: u32) -> NewJob {
        self.max_attempts = max_attempts;
        self
    }

    pub fn run_after(mut self, at: Timestamp) -> NewJob {
        self.run_after = Some(at);
        self
    }

    pub(crate) fn prepared(&self) -> Result<PreparedJob> {
        if let Some(id) = &self.entity_id {
            check_entity_id(id).map_err(StoreError::Invalid)?;
        }
        if let Some(path) = &self.path
            && (path.len() > MAX_PATH_LEN || path.contains('\0'))
        {
            return Err(StoreError::invalid(format!(
                "job path must be at most {MAX_PATH_LEN} bytes without NUL characters"
            )));
        }
        let payload = serde_json::to_string(&self.payload)
            .map_err(|e| StoreError::invalid(format!("job payload: {e}")))?;
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(StoreError::invalid(format!(
                "job payload is {} bytes, more than {MAX_PAYLOAD_LEN}: pass ids, not content",
                payload.len()
            )));
        }
        if self.max_attempts == 0 || i32::try_from(self.max_attempts).is_err() {
            return Err(StoreError::invalid("max_attempts must be at least 1"));
        }
        Ok(PreparedJob {
            collection_id: self.collection_id,
            stage: self.stage.as_str().to_string(),
            entity_id: self.entity_id.clone(),
            path: self.path.clone(),
            payload,
            priority: self.priority,
            max_attempts: self.max_attempts as i32,
            run_after: self.run_after,
        })
    }
}

/// A checked job, ready for the database.
#[derive(Debug, Clone)]
pub(crate) struct PreparedJob {
    pub collection_id: i64,
    pub stage: String,
    pub entity_id: Option<String>,
    pub path: Option<String>,
    pub payload: String,
    pub priority: i32,
    pub max_attempts: i32,
    pub run_after: Option<Timestamp>,
}

impl PreparedJob {
    /// The dedup key, for jobs that have one.
    pub fn key(&self) -> Option<(i64, &str, &str)> {
        self.entity_id
            .as_deref()
            .map(|e| (self.collection_id, self.stage.as_str(), e))
    }
}

/// Check and prepare a batch of jobs, folded by [`dedup_batch`]: the distinct jobs and,
/// for each input, the index of the job it became.
pub(crate) fn prepare_jobs(jobs: &[NewJob]) -> Result<(Vec<PreparedJob>, Vec<usize>)> {
    let prepared = jobs
        .iter()
        .map(NewJob::prepared)
        .collect::<Result<Vec<_>>>()?;
    Ok(dedup_batch(prepared))
}

/// Fold jobs of one batch that share a dedup key into the first, as enqueueing them one
/// after the other would: the highest priority and the earliest `run_after` win. Returns
/// the distinct jobs and, for each input, the index of the job it became.
pub(crate) fn dedup_batch(jobs: Vec<PreparedJob>) -> (Vec<PreparedJob>, Vec<usize>) {
    let mut distinct: Vec<PreparedJob> = Vec::with_capacity(jobs.len());
    let mut slots = Vec::with_capacity(jobs.len());
    let mut seen: std::collections::HashMap<(i64, String, String), usize> =
        std::collections::HashMap::new();
    for job in jobs {
        let key = job.key().map(|(c, s, e)| (c, s.to_string(), e.to_string()));
        match key.as_ref().and_then(|k| seen.get(k)) {
            Some(&i) => {
                let first = &mut distinct[i];
                first.priority = first.priority.max(job.priority);
                first.run_after = match (first.run_after, job.run_after) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                };
                slots.push(i);
            }
            None => {
                if let Some(k) = key {
                    seen.insert(k, distinct.len());
                }
                slots.push(distinct.len());
                distinct.push(job);
            }
        }
    }
    (distinct, slots)
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub collection_id: i64,
    pub stage: Stage,
    pub entity_id: Option<String>,
    pub path: Option<String>,
    pub payload: serde_json::Value,
    pub state: JobState,
    pub priority: i32,
    /// Attempts started so far (claims), reset by a retry.
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_after: Timestamp,
    /// The worker running the job, or the last one that did.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Timestamp>,
    pub heartbeat_at: Option<Timestamp>,
    /// The last error, kept while a job waits for its retry.
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    /// The version of the code that last finished the job.
    pub processor_version: Option<String>,
    pub created_at: Timestamp,
    /// When the latest attempt started.
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

pub(crate) fn parse_payload(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("job payload: {e}")))
}

pub(crate) fn stored_count(n: i32, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("job {what} is negative: {n}")))
}

/// How an attempt ended, as its worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded {
        processor_version: Option<String>,
    },
    Failed {
        /// A short machine-readable kind (`unsupported_format`, `timeout`, `password`…)
        /// the failure report groups and retries by.
        class: String,
        message: String,
        /// Whether another attempt may succeed (a timeout, a crash) as opposed to a
        /// broken or unsupported file.
        retry: bool,
        processor_version: Option<String>,
    },
}

/// What [`crate::Store::complete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The outcome was recorded and the job is now in this state: `queued` again for a
    /// retry, `cancelled` when a newer queued job for the same entity supersedes the retry.
    Recorded(JobState),
    /// The worker no longer holds the job (its lease expired and someone else took it, it
    /// was cancelled, or its collection was deleted): nothing was recorded.
    NotHeld,
}

/// What [`crate::Store::recover_expired`] did with jobs whose lease expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Back in the queue.
    pub requeued: u64,
    /// Out of attempts.
    pub dead: u64,
    /// Cancelled because a newer job for the same entity was already queued.
    pub superseded: u64,
}

/// The jobs of one stage in one collection, by state, for status pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCounts {
    pub collection_id: i64,
    pub stage: Stage,
    pub queued: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub dead: u64,
    pub cancelled: u64,
    /// When the oldest queued or running job was created.
    pub oldest_unfinished_at: Option<Timestamp>,
    /// The latest change to any of these jobs.
    pub last_updated_at: Timestamp,
    /// Jobs that succeeded, failed or died within the last [`RECENT_WINDOW`]: the recent
    /// throughput, for an ETA.
    pub finished_recently: u64,
}

impl StageCounts {
    pub fn count(&self, state: JobState) -> u64 {
        match state {
            JobState::Queued => self.queued,
            JobState::Running => self.running,
            JobState::Succeeded => self.succeeded,
            JobState::Failed => self.failed,
            JobState::Dead => self.dead,
            JobState::Cancelled => self.cancelled,
        }
    }

    /// Queued and running.
    pub fn unfinished(&self) -> u64 {
        self.queued + self.running
    }

    /// Everything else.
    pub fn finished(&self) -> u64 {
        self.succeeded + self.failed + self.dead + self.cancelled
    }
}

/// Selects jobs to list or retry. Empty lists mean "any". `Default` lists 50 jobs of
/// every collection, stage and state.
#[derive(Debug, Clone, PartialEq)]
pub struct JobFilter {
    pub collection_id: Option<i64>,
    pub stages: Vec<Stage>,
    pub states: Vec<JobState>,
    pub entity_id: Option<String>,
    pub error_class: Option<String>,
    /// Only jobs last finished by a processor version older than this one, or by an
    /// unknown version. Versions compare in natural order: digit runs as numbers
    /// (`1.9 < 1.10`), everything else bytewise.
    pub processor_version_before: Option<String>,
    /// Paging of [`crate::Store::list_jobs`]; retrying ignores it.
    pub limit: u32,
    pub offset: u64,
}

impl Default for JobFilter {
    fn default() -> JobFilter {
        JobFilter {
            collection_id: None,
            stages: Vec::new(),
            states: Vec::new(),
            entity_id: None,
            error_class: None,
            processor_version_before: None,
            limit: 50,
            offset: 0,
        }
    }
}

impl JobFilter {
    pub fn collection(collection_id: i64) -> JobFilter {
        JobFilter {
            collection_id: Some(collection_id),
            ..JobFilter::default()
        }
    }

    /// The states a retry applies to: the finished ones asked for, by default failed and
    /// dead, and with `processor_version_before` also succeeded.
    pub fn retry_states(&self) -> Vec<JobState> {
        if self.states.is_empty() {
            let mut states = vec![JobState::Failed, JobState::Dead];
            if self.processor_version_before.is_some() {
                states.push(JobState::Succeeded);
            }
            return states;
        }
        self.states
            .iter()
            .copied()
            .filter(|s| s.is_finished())
            .collect()
    }
}

/// The wait before retry number `attempts` (1-based): 30 s doubling per attempt, at most
/// an hour.
pub fn retry_backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    BACKOFF_BASE
        .saturating_mul(1u32 << doublings)
        .min(BACKOFF_CAP)
}

pub(crate) fn check_worker(worker: &str) -> Result<()> {
    if worker.trim().is_empty() || worker.len() > MAX_LABEL_LEN || worker.contains('\0') {
        return Err(StoreError::invalid(format!(
            "worker name must be 1 to {MAX_LABEL_LEN} bytes without NUL characters"
        )));
    }
    Ok(())
}

/// A lease in microseconds, refusing nonsense.
pub(crate) fn lease_micros(lease: Duration) -> Result<i64> {
    if lease < Duration::from_millis(1) {
        return Err(StoreError::invalid(
            "a lease must last at least a millisecond",
        ));
    }
    i64::try_from(lease.as_micros())
        .ok()
        .filter(|&us| us <= 10 * 365 * 86_400 * 1_000_000)
        .ok_or_else(|| StoreError::invalid("a lease must be shorter than ten years"))
}

pub(crate) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The change a finished attempt or an expired lease makes to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transition {
    pub state: JobState,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    /// `Some` replaces the processor version (and its sort key); `None` keeps it.
    pub processor_version: Option<Option<String>>,
    /// For a job going back to the queue: how long until it may run again.
    pub retry_in: Option<Duration>,
}

impl Transition {
    /// A retry cannot be queued because a newer job for the same entity already is: that
    /// one does the work, this one ends as cancelled with its error kept.
    pub fn superseded(mut self) -> Transition {
        self.state = JobState::Cancelled;
        self.retry_in = None;
        self
    }

    pub fn version_key(&self) -> Option<Option<String>> {
        self.processor_version
            .as_ref()
            .map(|v| v.as_deref().map(version_key))
    }
}

/// What a reported outcome does to a job that has started `attempts` of `max_attempts`.
pub(crate) fn settle(attempts: u32, max_attempts: u32, outcome: &JobOutcome) -> Result<Transition> {
    let version = |v: &Option<String>| -> Result<Option<String>> {
        match v {
            Some(v) => Ok(Some(label("processor version", v)?)),
            None => Ok(None),
        }
    };
    match outcome {
        JobOutcome::Succeeded { processor_version } => Ok(Transition {
            state: JobState::Succeeded,
            error_class: None,
            error_message: None,
            processor_version: Some(version(processor_version)?),
            retry_in: None,
        }),
        JobOutcome::Failed {
            class,
            message,
            retry,
            processor_version,
        } => {
            let (state, retry_in) = if !retry {
                (JobState::Failed, None)
            } else if attempts < max_attempts {
                (JobState::Queued, Some(retry_backoff(attempts)))
            } else {
                (JobState::Dead, None)
            };
            Ok(Transition {
                state,
                error_class: Some(label("error class", class)?),
                error_message: Some(truncate(message, MAX_ERROR_MESSAGE_LEN)),
                processor_version: Some(version(processor_version)?),
                retry_in,
            })
        }
    }
}

/// Whether a completion queues the job's next jobs: only when this attempt was its last
/// (it succeeded, or failed for good). An attempt that goes back to the queue, or whose
/// retry a newer queued job supersedes, leaves the hand-over to the attempt that ends it,
/// so that retries never queue a stage twice.
pub(crate) fn hands_over(t: &Transition) -> bool {
    matches!(
        t.state,
        JobState::Succeeded | JobState::Failed | JobState::Dead
    )
}

/// The transition of an outcome that does not depend on the attempts made (a success,
/// a final failure), so a backend can record it in one statement without reading the
/// job first; `None` for a retryable failure.
pub(crate) fn settle_final(outcome: &JobOutcome) -> Option<Result<Transition>> {
    match outcome {
        JobOutcome::Failed { retry: true, .. } => None,
        _ => Some(settle(1, 1, outcome)),
    }
}

/// What happens to a running job whose lease expired: its worker died or hung.
pub(crate) fn expire(attempts: u32, max_attempts: u32, owner: Option<&str>) -> Transition {
    let owner = owner.unwrap_or("unknown");
    let (state, message) = if attempts >= max_attempts {
        (
            JobState::Dead,
            format!(
                "the worker {owner} stopped before finishing (its lease expired) on attempt \
                 {attempts} of {max_attempts}; giving up"
            ),
        )
    } else {
        (
            JobState::Queued,
            format!(
                "the worker {owner} stopped before finishing (its lease expired) on attempt \
                 {attempts} of {max_attempts}; queued again"
            ),
        )
    };
    Transition {
        state,
        error_class: Some(LEASE_EXPIRED.to_string()),
        error_message: Some(truncate(&message, MAX_ERROR_MESSAGE_LEN)),
        processor_version: None,
        retry_in: (state == JobState::Queued).then_some(Duration::ZERO),
    }
}

fn label(what: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.len() > MAX_LABEL_LEN || v.contains('\0') {
        return Err(StoreError::invalid(format!(
            "{what} must be 1 to {MAX_LABEL_LEN} bytes without NUL characters"
        )));
    }
    Ok(v.to_string())
}

fn truncate(text: &str, max: usize) -> String {
    let text = text.replace('\0', "");
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// A key that sorts versions naturally as bytes: each run of digits becomes its length
/// (two digits) followed by the digits without leading zeros, so `1.10` sorts after
/// `1.9`; everything else is kept.
pub(crate) fn version_key(version: &str) -> String {
    let mut out = String::with_capacity(version.len() + 8);
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.is_empty() {
            return;
        }
        let trimmed = digits.trim_start_matches('0');
        let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
        out.push_str(&format!("{:02}", trimmed.len().min(99)));
        out.push_str(trimmed);
        digits.clear();
    };
    for ch in version.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            flush(&mut digits, &mut out);
            out.push(ch);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// A value bound into a job query, for either dialect.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
    Texts(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A WHERE condition over `jobs` and its arguments, numbered from 1.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    dialect: Dialect,
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Condition {
    pub fn new(dialect: Dialect) -> Condition {
        Condition {
            dialect,
            sql: String::from("1 = 1"),
            args: Vec::new(),
        }
    }

    /// Bind a value and return its placeholder.
    pub fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.args.len()),
            Dialect::Postgres => format!("${}", self.args.len()),
        }
    }

    fn equals(&mut self, column: &str, arg: Arg) {
        let p = self.bind(arg);
        self.sql.push_str(&format!(" AND {column} = {p}"));
    }

    fn any_of(&mut self, column: &str, values: Vec<String>) {
        match self.dialect {
            Dialect::Sqlite => {
                let json = serde_json::to_string(&values).unwrap_or_else(|_| "[]".into());
                let p = self.bind(Arg::Text(json));
                self.sql.push_str(&format!(
                    " AND {column} IN (SELECT value FROM json_each({p}))"
                ));
            }
            Dialect::Postgres => {
                let p = self.bind(Arg::Texts(values));
                self.sql.push_str(&format!(" AND {column} = ANY({p})"));
            }
        }
    }

    /// The condition selecting `filter`'s jobs, with `states` instead of the filter's own.
    pub fn jobs(dialect: Dialect, filter: &JobFilter, states: &[JobState]) -> Condition {
        let mut c = Condition::new(dialect);
        if let Some(id) = filter.collection_id {
            c.equals("collection_id", Arg::Int(id));
        }
        if !filter.stages.is_empty() {
            let stages = filter.stages.iter().map(|s| s.as_str().to_string());
            c.any_of("stage", stages.collect());
        }
        if !states.is_empty() {
            let states = states.iter().map(|s| s.as_str().to_string());
            c.any_of("state", states.collect());
        }
        if let Some(entity) = &filter.entity_id {
            c.equals("entity_id", Arg::Text(entity.clone()));
        }
        if let Some(class) = &filter.error_class {
            c.equals("error_class", Arg::Text(class.clone()));
        }
        if let Some(version) = &filter.processor_version_before {
            let p = c.bind(Arg::Text(version_key(version)));
            c.sql.push_str(&format!(
                " AND (processor_version_key IS NULL OR processor_version_key < {p})"
            ));
        }
        c
    }
}

/// Stage names asked for by a worker, checked.
pub(crate) fn stage_names(stages: &[&str]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(stages.len());
    for s in stages {
        check_stage(s)?;
        if !out.iter().any(|o| o == s) {
            out.push((*s).to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_lowercase_names() {
        assert_eq!(Stage::new("ingest").unwrap(), Stage::INGEST);
        assert!(Stage::new("load_mapping2").is_ok());
        for bad in ["", "Ingest", "2x", "a-b", "a b", &"x".repeat(33)] {
            assert!(Stage::new(bad).is_err(), "{bad:?}");
        }
        let s: Stage = serde_json::from_str("\"xref\"").unwrap();
        assert_eq!(s, Stage::XREF);
        assert!(serde_json::from_str::<Stage>("\"X\"").is_err());
        assert_eq!(serde_json::to_string(&Stage::INDEX).unwrap(), "\"index\"");
    }

    #[test]
    fn states_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()).unwrap(), s);
        }
        assert!(JobState::parse("pending").is_err());
        let finished: Vec<_> = JobState::ALL
            .into_iter()
            .filter(|s| s.is_finished())
            .collect();
        assert_eq!(
            finished,
            [
                JobState::Succeeded,
                JobState::Failed,
                JobState::Dead,
                JobState::Cancelled
            ]
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_backoff(1), Duration::from_secs(30));
        assert_eq!(retry_backoff(2), Duration::from_secs(60));
        assert_eq!(retry_backoff(4), Duration::from_secs(240));
        assert_eq!(retry_backoff(8), Duration::from_secs(3600));
        assert_eq!(retry_backoff(u32::MAX), Duration::from_secs(3600));
        assert_eq!(retry_backoff(0), Duration::from_secs(30));
    }

    fn failed(retry: bool) -> JobOutcome {
        JobOutcome::Failed {
            class: " timeout ".into(),
            message: "took too long".into(),
            retry,
            processor_version: Some("1.2".into()),
        }
    }

    #[test]
    fn outcomes_settle_by_attempts_left() {
        let t = settle(1, 3, &failed(true)).unwrap();
        assert_eq!(t.state, JobState::Queued);
        assert_eq!(t.retry_in, Some(Duration::from_secs(30)));
        assert_eq!(t.error_class.as_deref(), Some("timeout"));
        let t = settle(3, 3, &failed(true)).unwrap();
        assert_eq!((t.state, t.retry_in), (JobState::Dead, None));
        let t = settle(1, 3, &failed(false)).unwrap();
        assert_eq!(t.state, JobState::Failed);
        assert_eq!(t.version_key(), Some(Some(version_key("1.2"))));
        let ok = JobOutcome::Succeeded {
            processor_version: None,
        };
        let t = settle(1, 3, &ok).unwrap();
        assert_eq!((t.state, t.error_class), (JobState::Succeeded, None));
        assert_eq!(t.processor_version, Some(None));
        let bad = JobOutcome::Failed {
            class: "  ".into(),
            message: String::new(),
            retry: true,
            processor_version: None,
        };
        assert!(settle(1, 3, &bad).is_err());
        assert!(settle_final(&failed(true)).is_none());
        for outcome in [failed(false), ok] {
            let fixed = settle_final(&outcome).unwrap().unwrap();
            assert_eq!(fixed, settle(1, 5, &outcome).unwrap());
            assert_eq!(fixed, settle(5, 5, &outcome).unwrap());
        }
        let t = settle(1, 3, &failed(true)).unwrap().superseded();
        assert_eq!((t.state, t.retry_in), (JobState::Cancelled, None));
    }

    #[test]
    fn expired_leases_requeue_until_attempts_run_out() {
        let t = expire(1, 2, Some("w1"));
        assert_eq!(t.state, JobState::Queued);
        assert_eq!(t.error_class.as_deref(), Some(LEASE_EXPIRED));
        assert!(t.error_message.unwrap().contains("w1"));
        assert_eq!(t.processor_version, None);
        let t = expire(2, 2, Some("w1"));
        assert_eq!(t.state, JobState::Dead);
        assert!(t.error_message.unwrap().contains("giving up"));
    }

    #[test]
    fn long_messages_are_cut_at_a_character() {
        let long = "é".repeat(MAX_ERROR_MESSAGE_LEN);
        let t = settle(
            1,
            1,
            &JobOutcome::Failed {
                class: "x".into(),
                message: long,
                retry: false,
                processor_version: None,
            },
        )
        .unwrap();
        let m = t.error_message.unwrap();
        assert!(m.len() <= MAX_ERROR_MESSAGE_LEN && m.len() >= MAX_ERROR_MESSAGE_LEN - 1);
    }

    #[test]
    fn versions_sort_naturally() {
        let mut v = vec!["1.10.0", "1.9.2", "1.9", "0.1", "1.09.3", "2", "1.9.10"];
        v.sort_by_key(|s| version_key(s));
        assert_eq!(
            v,
            ["0.1", "1.9", "1.9.2", "1.09.3", "1.9.10", "1.10.0", "2"]
        );
        assert!(version_key("ingest-4.1.6") < version_key("ingest-4.10.0"));
    }

    #[test]
    fn payloads_are_small_and_attempts_positive() {
        let job = NewJob::new(1, Stage::INGEST).entity("e1").path("a/b.pdf");
        assert!(job.prepared().is_ok());
        let big = job
            .clone()
            .payload(serde_json::json!({"text": "x".repeat(MAX_PAYLOAD_LEN)}));
        assert!(matches!(big.prepared(), Err(StoreError::Invalid(_))));
        assert!(job.clone().max_attempts(0).prepared().is_err());
        assert!(NewJob::new(1, Stage::INGEST).entity("").prepared().is_err());
    }

    #[test]
    fn batch_duplicates_fold_into_the_first() {
        let a = NewJob::new(1, Stage::INGEST).entity("e").priority(1);
        let b = NewJob::new(1, Stage::INGEST).entity("e").priority(5);
        let c = NewJob::new(1, Stage::INGEST);
        let d = NewJob::new(1, Stage::INGEST);
        let e = NewJob::new(1, Stage::ANALYZE).entity("e");
        let jobs = [a, c, b, d, e]
            .iter()
            .map(|j| j.prepared().unwrap())
            .collect();
        let (distinct, slots) = dedup_batch(jobs);
        assert_eq!(distinct.len(), 4);
        assert_eq!(slots, [0, 1, 0, 2, 3]);
        assert_eq!(distinct[0].priority, 5);
    }

    #[test]
    fn retry_states_default_to_failures() {
        let f = JobFilter::default();
        assert_eq!(f.retry_states(), [JobState::Failed, JobState::Dead]);
        let f = JobFilter {
            processor_version_before: Some("2".into()),
            ..JobFilter::default()
        };
        assert!(f.retry_states().contains(&JobState::Succeeded));
        let f = JobFilter {
            states: vec![JobState::Queued, JobState::Cancelled],
            ..JobFilter::default()
        };
        assert_eq!(f.retry_states(), [JobState::Cancelled]);
    }

    #[test]
    fn conditions_number_their_placeholders() {
        let f = JobFilter {
            collection_id: Some(3),
            stages: vec![Stage::INGEST],
            error_class: Some("timeout".into()),
            ..JobFilter::default()
        };
        let c = Condition::jobs(Dialect::Postgres, &f, &[JobState::Failed]);
        assert_eq!(
            c.sql,
            "1 = 1 AND collection_id = $1 AND stage = ANY($2) AND state = ANY($3) \
             AND error_class = $4"
        );
        let c = Condition::jobs(Dialect::Sqlite, &f, &[]);
        assert!(c.sql.contains("stage IN (SELECT value FROM json_each(?2))"));
        assert_eq!(c.args.len(), 3);
    }
}
