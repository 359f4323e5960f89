//! Cross-referencing runs: a collection's entities and mentions against other
//! collections, as a job of the ledger, batch by batch.
//!
//! A run keeps the collection's matchable entities and its mentions (the *sources*) in an
//! in-memory [`xref::Blocker`], then streams each target collection through it in key
//! order, one page of entities per batch. Streaming the targets rather than indexing them
//! keeps memory proportional to the collection being xref'ed, however large the
//! watchlists it is matched against. Each batch's matches are saved together with the
//! run's cursor (the last target entity handled), so a run that dies resumes at the next
//! batch. A collection larger than [`MEMORY_CHUNK`] sources is held a chunk at a time,
//! the targets streamed once per chunk, so memory stays bounded without losing a pair.
//! When asked, a run takes the index route instead: it streams its own entities a page
//! at a time and asks the search index for each one's candidates ([`candidates`]); its
//! memory is flat too, but it finds fewer pairs on crowded names. The matcher's [`xref::METHOD`] is kept in the cursor: a run after the
//! method changed starts over and scores every pair again.
//!
//! Runs are incremental: once a run has completed, the next one only matches what changed
//! since it started (sources against every target, every source against changed
//! targets, and everything against collections that were not there before); `full`
//! starts over.
//!
//! Mentions go both ways: a mention in the collection is a source matched against the
//! targets' entities, and a mention in a target is matched against the collection's
//! entities. Two mentions are never paired (neither is a fact about anyone). When a run
//! completes, the collection's writers are notified with the number of matches each can
//! see.
//!
//! Decisions are profile entity sets, as in Aleph ([`decisions`]).
//!
//! The module is split by job: [`runner`] (runs, checkpoints, incremental passes),
//! [`candidates`] (the index route), [`matching`] (what is matched and how a pair is
//! scored), [`results`] (listing and export), [`decisions`] (pair judgements and
//! profiles) and [`api`] (queueing runs, query by example).

mod api;
mod candidates;
mod decisions;
mod matching;
mod results;
mod runner;

pub use api::{match_entity, trigger};
pub use candidates::Route;
pub use decisions::{decide, expand, profile, profile_item_judged, similar};
pub use matching::{countries, match_example};
pub use results::{export_xlsx, list};
pub use runner::{
    MEMORY_CHUNK, RunOptions, RunSummary, enqueue, progress, progress_json, run, run_job,
    run_job_with,
};

use crate::error::ApiError;

/// Aleph's `SCORE_CUTOFF`: listings hide matches at or below it unless asked.
pub const SCORE_CUTOFF: f64 = 0.5;
/// Matches at or below this are not stored at all.
pub const KEEP_ABOVE: f64 = 0.3;
/// The job entity of a collection's xref run: one queued run per collection.
pub const JOB_ENTITY: &str = "xref";
/// Target entities per batch (and checkpoint).
pub const DEFAULT_BATCH: u32 = 1000;
/// Entities written while a run was starting may carry a slightly earlier time: the next
/// incremental run looks back this far before the start.
const WATERMARK_MARGIN_SECONDS: i64 = 60;

/// What can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum XrefError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("scoring failed: {0}")]
    Task(String),
    #[error("index: {0}")]
    Index(#[from] index::IndexError),
}

impl From<XrefError> for ApiError {
    fn from(err: XrefError) -> ApiError {
        match err {
            XrefError::Store(e) => e.into(),
            XrefError::Invalid(msg) => ApiError::bad_request(msg),
            XrefError::Task(msg) => ApiError::internal(msg),
            XrefError::Index(e) => e.into(),
        }
    }
}
