//! The `process` stage: one job per file that extracts it in the sandbox, analyses what
//! came out in memory, writes both (`ingest:<id>` and `analyze:<id>`) in one store
//! transaction, and hands over the children's `process` jobs and the file's `index` job.
//!
//! Before this stage a file took an `ingest` job and then an `analyze` job that read back
//! and decoded what ingest had just written, with a second claim and completion. An
//! `ingest` job still in a ledger from before is run as a `process` job (same work, same
//! results); an `analyze` job runs the `analyze` stage.

use std::sync::Arc;

use ingest::ErrorClass;
use store::{Job, JobOutcome, Stage};

use super::analyze::{AnalysisFailed, analyze_entities};
use super::ingest::{Extracted, IngestFacts, extract, keep_derived};
use super::{
    PipelineConfig, StageEnd, Writes, analyze_origin, failed, infrastructure, ingest_origin,
    next_job, processor_version, succeeded, wants_index,
};
use crate::state::AppState;

/// What analysis needs besides the document: the analyzer and the instance's known
/// people and organisations (the gazetteer as it is now). The default analyses with the
/// built-in lists and no gazetteer.
#[derive(Clone, Default)]
pub struct Analysis {
    pub analyzer: Arc<analyze::Analyzer>,
    pub known: Arc<analyze::known::KnownNames>,
}

/// Run a `process` job (or an `ingest` job queued before `process` existed), also telling
/// which ingestor handled the file and how big it was.
pub async fn run_process_observed(
    state: &AppState,
    config: &PipelineConfig,
    analysis: &Analysis,
    job: &Job,
) -> (StageEnd, IngestFacts) {
    let mut facts = IngestFacts::default();
    let Some(entity_id) = job.entity_id.clone() else {
        let message = format!("{} job without an entity", job.stage);
        return (
            StageEnd::alone(failed(ErrorClass::Internal, message)),
            facts,
        );
    };
    let work_dir = config.work_root.join(format!("job-{}", job.id));
    let end = process_file(
        state, config, analysis, job, &entity_id, &work_dir, &mut facts,
    )
    .await;
    // The extractor makes the directory only when a file needs one (archives, converted
    // documents): most files leave nothing, and a look costs less than a blocking task.
    if std::fs::symlink_metadata(&work_dir).is_ok()
        && let Err(e) = tokio::fs::remove_dir_all(&work_dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove {}: {e}", work_dir.display());
    }
    let end = match end {
        Ok(end) => end,
        Err(e) => StageEnd::alone(infrastructure(e)),
    };
    (end, facts)
}

async fn process_file(
    state: &AppState,
    config: &PipelineConfig,
    analysis: &Analysis,
    job: &Job,
    entity_id: &str,
    work_dir: &std::path::Path,
    facts: &mut IngestFacts,
) -> anyhow::Result<StageEnd> {
    let read = match extract(state, config, job, entity_id, work_dir, facts).await? {
        Extracted::Read(read) => read,
        Extracted::Done(end) => return Ok(end),
    };
    let collection = match state.store.collection(job.collection_id).await {
        Ok(c) => c,
        // Deleted meanwhile: nothing to write.
        Err(store::StoreError::NotFound { .. }) => return Ok(StageEnd::alone(succeeded())),
        Err(e) => return Err(e.into()),
    };
    let (written, analysed) = analyze_entities(
        &analysis.analyzer,
        analysis.known.clone(),
        &collection,
        read.written,
    )
    .await;
    let (written, outcome, added) = match analysed {
        Ok(added) => (written, succeeded(), added),
        // The task was cancelled and took the extraction with it: try again later.
        Err(AnalysisFailed(message)) if written.is_empty() => {
            return Ok(StageEnd::alone(infrastructure(message)));
        }
        Err(AnalysisFailed(message)) => {
            // The extraction is good and is kept (the file is shown and searchable, its
            // children processed); the job fails with the analysis's reason, for good:
            // `aleph retry --stage process` or `--stage analyze` runs it again on purpose.
            let outcome = JobOutcome::Failed {
                class: ErrorClass::Internal.as_str().to_string(),
                message,
                retry: false,
                processor_version: Some(processor_version()),
            };
            (written, outcome, Vec::new())
        }
    };
    let origins = vec![
        (ingest_origin(entity_id), written),
        (analyze_origin(entity_id), added),
    ];
    let mut next = read.children;
    if wants_index(job) {
        next.push(next_job(Stage::INDEX, job, entity_id));
    }
    let writes = Writes {
        collection_id: collection.id,
        origins,
    };
    if read.derived.is_empty() {
        // Written with the job's completion, in its transaction.
        return Ok(StageEnd {
            outcome,
            next,
            writes: Some(writes),
        });
    }
    // Derived blobs must be referenced by committed fragments before `keep_derived` can
    // tell whether a purge took them meanwhile: these writes go first, on their own.
    state
        .store
        .replace_origins(writes.collection_id, &writes.origins)
        .await?;
    keep_derived(state, &read.derived).await?;
    Ok(StageEnd {
        outcome,
        next,
        writes: None,
    })
}
