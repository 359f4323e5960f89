//! The `ingest` stage: extract one file in the sandbox and keep what it held under
//! `ingest:<id>`, queueing its children and the `analyze` stage.

use ftm::Entity;
use ingest::remote::Request;
use ingest::{ErrorClass, IngestError};
use serde_json::json;
use store::{Job, NewJob, Stage};

use super::{
    PipelineConfig, StageEnd, failed, index_job, infrastructure, ingest_origin, next_job,
    succeeded, wants_index,
};
use crate::state::AppState;
use crate::worker::sandbox::{self, Extraction};

/// Run an `ingest` job.
pub async fn run_ingest(state: &AppState, config: &PipelineConfig, job: &Job) -> StageEnd {
    run_ingest_observed(state, config, job).await.0
}

/// What the metrics want to know about an ingested file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestFacts {
    /// The format the extractor recognised (`pdf`, `email`…), when it got that far.
    pub ingestor: Option<String>,
    /// The file's size, when known.
    pub bytes: Option<u64>,
}

/// [`run_ingest`], also telling which ingestor handled the file and how big it was.
pub async fn run_ingest_observed(
    state: &AppState,
    config: &PipelineConfig,
    job: &Job,
) -> (StageEnd, IngestFacts) {
    let mut facts = IngestFacts::default();
    let Some(entity_id) = job.entity_id.clone() else {
        return (
            StageEnd::alone(failed(ErrorClass::Internal, "ingest job without an entity")),
            facts,
        );
    };
    let work_dir = config.work_root.join(format!("job-{}", job.id));
    let outcome = ingest_document(state, config, job, &entity_id, &work_dir, &mut facts).await;
    if let Err(e) = tokio::fs::remove_dir_all(&work_dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove {}: {e}", work_dir.display());
    }
    let end = match outcome {
        Ok(end) => end,
        Err(e) => StageEnd::alone(infrastructure(e)),
    };
    (end, facts)
}

async fn ingest_document(
    state: &AppState,
    config: &PipelineConfig,
    job: &Job,
    entity_id: &str,
    work_dir: &std::path::Path,
    facts: &mut IngestFacts,
) -> anyhow::Result<StageEnd> {
    let collection_id = job.collection_id;
    let Some(stored) = state.store.entity(collection_id, entity_id).await? else {
        // Deleted since it was queued: nothing left to do.
        return Ok(StageEnd::alone(succeeded()));
    };
    let document = stored.entity;
    facts.bytes = document.first("fileSize").and_then(|s| s.parse().ok());
    let Some(hash) = document.first("contentHash").map(str::to_string) else {
        let outcome = record_failure(
            state,
            job,
            &document,
            &IngestError::new(ErrorClass::Internal, "the document has no file"),
        )
        .await?;
        return Ok(outcome);
    };
    let path = match state.archive.local_path(&hash).await {
        Ok(p) => p,
        Err(archive::ArchiveError::NotFound(_)) => {
            let err =
                IngestError::new(ErrorClass::Io, format!("file {hash} is not in the archive"));
            return record_failure(state, job, &document, &err).await;
        }
        Err(e) => return Err(e.into()),
    };
    tokio::fs::create_dir_all(work_dir).await?;
    let depth = container_depth(state, collection_id, document.get("ancestors")).await?;
    let info = ingest::FileInfo {
        file_name: document.first("fileName").map(str::to_string),
        mime_type: document.first("mimeType").map(str::to_string),
    };
    let request = Request {
        entity: document.to_json(),
        path: path.clone(),
        file_name: info.file_name.clone(),
        mime_type: info.mime_type.clone(),
        work_dir: work_dir.to_path_buf(),
        depth,
        limits: config.limits.clone(),
        ocr: config.ocr.clone(),
        libreoffice: config.libreoffice.clone(),
        memory_limit: None,
    };
    match sandbox::extract(&config.isolation, request).await {
        Ok(extraction) => {
            facts.ingestor = Some(extraction.format.clone());
            record_success(state, job, &document, extraction).await
        }
        Err(err) => {
            // What the file is, even though it could not be read: a locked PDF is still a
            // Pages entity with its MIME type (the header is all this reads).
            let detected = tokio::task::spawn_blocking(move || {
                let format = ingest::detect(&path, &info).ok()?;
                Some((format, ingest::detect::mime_type_of(&path, format)))
            })
            .await
            .ok()
            .flatten();
            record_failure_as(state, job, &document, &err, detected).await
        }
    }
}

/// How many containers (archives, emails…) a file sits in: its ancestors that are not
/// plain folders. Folders of a crawled tree cost nothing against the nesting limit.
async fn container_depth(
    state: &AppState,
    collection_id: i64,
    ancestors: &[String],
) -> anyhow::Result<u32> {
    if ancestors.is_empty() {
        return Ok(0);
    }
    let found = state.store.entities(collection_id, ancestors).await?;
    let folders = found
        .entities
        .iter()
        .filter(|e| e.entity.schema().name() == "Folder")
        .count();
    Ok(ancestors.len().saturating_sub(folders) as u32)
}

/// The properties every processed file gets, success or not.
pub(crate) fn stamp(entity: &mut Entity, status: &str) -> Result<(), ftm::EntityError> {
    entity.pop("processingStatus");
    entity.pop("processedAt");
    entity.pop("processingAgent");
    entity.add_cleaned("processingStatus", status)?;
    entity.add_cleaned("processingAgent", ingest::AGENT)?;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    entity.add_cleaned("processedAt", now)?;
    Ok(())
}

async fn record_success(
    state: &AppState,
    job: &Job,
    document: &Entity,
    extraction: Extraction,
) -> anyhow::Result<StageEnd> {
    let collection_id = job.collection_id;
    let entity_id = document.id().unwrap_or_default().to_string();
    let Some(mut entity) = extraction.entity else {
        return Ok(StageEnd::alone(failed(
            ErrorClass::Internal,
            "the extractor returned no entity",
        )));
    };
    for (path, hash) in &extraction.blobs {
        let stored = state.archive.put_file(path).await?;
        anyhow::ensure!(
            &stored == hash,
            "derived file {} changed while stored",
            path.display()
        );
    }
    stamp(&mut entity, "success")?;
    // The file's own facts, whatever the extractor did.
    for key in ["contentHash", "fileSize"] {
        for v in document.get(key) {
            entity.add_cleaned(key, v.clone())?;
        }
    }
    let mut ancestors: Vec<String> = document.get("ancestors").to_vec();
    ancestors.push(entity_id.clone());
    let lineage = Lineage::new(&entity_id, ancestors, &extraction.entities);
    let mut children_jobs = Vec::new();
    let mut written = vec![entity];
    for mut e in extraction.entities {
        if e.schema().name() == "Folder" {
            for a in lineage.of(&e) {
                e.add_cleaned("ancestors", a)?;
            }
        }
        written.push(e);
    }
    let mut derived: Vec<(std::path::PathBuf, String)> = extraction.blobs.clone();
    for (path, mut child) in extraction.children {
        let hash = state.archive.put_file(&path).await?;
        derived.push((path.clone(), hash.clone()));
        let size = tokio::fs::metadata(&path).await?.len();
        child.add_cleaned("contentHash", hash)?;
        child.add_cleaned("fileSize", size.to_string())?;
        for a in lineage.of(&child) {
            child.add_cleaned("ancestors", a)?;
        }
        let child_id = child.id().unwrap_or_default().to_string();
        let name = child.first("fileName").unwrap_or("file").to_string();
        let child_path = format!("{}/{}", job.path.as_deref().unwrap_or(&entity_id), name);
        children_jobs.push(
            NewJob::new(collection_id, Stage::INGEST)
                .entity(child_id)
                .path(child_path)
                .payload(json!({"index": wants_index(job)})),
        );
        written.push(child);
    }
    // Folders inside containers have no file to process: they are done when written.
    for e in written.iter_mut().skip(1) {
        if e.schema().is_a_name("Folder") && !e.has("contentHash") && !e.has("processingStatus") {
            stamp(e, "success")?;
        }
    }
    let origin = ingest_origin(&entity_id);
    state
        .store
        .replace_origin(collection_id, &origin, &written)
        .await?;
    // A purge of another collection may have found these blobs unreferenced between their
    // storing above and the references just committed (see `services::purge`): the files
    // are still here, so a blob that went is stored again.
    for (path, hash) in &derived {
        if !crate::services::purge::blob_survives(&*state.store, &*state.archive, hash).await? {
            tracing::warn!("blob {hash} was purged while this file referred to it: stored again");
            state.archive.put_file(path).await?;
        }
    }
    let mut next = children_jobs;
    next.push(next_job(Stage::ANALYZE, job, &entity_id));
    Ok(StageEnd {
        outcome: succeeded(),
        next,
    })
}

async fn record_failure(
    state: &AppState,
    job: &Job,
    document: &Entity,
    err: &IngestError,
) -> anyhow::Result<StageEnd> {
    record_failure_as(state, job, document, err, None).await
}

/// Record a failure; `detected` is the file's format and MIME type, when known.
async fn record_failure_as(
    state: &AppState,
    job: &Job,
    document: &Entity,
    err: &IngestError,
    detected: Option<(ingest::Format, String)>,
) -> anyhow::Result<StageEnd> {
    let collection_id = job.collection_id;
    let entity_id = document.id().unwrap_or_default().to_string();
    let schema = detected
        .as_ref()
        .and_then(|(format, _)| ftm::model().get(format.schema()))
        .filter(|s| s.is_a(document.schema()))
        .unwrap_or(document.schema());
    let mut entity = Entity::new(schema);
    entity.set_id(Some(entity_id.clone()));
    if let Some((_, mime)) = detected.filter(|_| !document.has("mimeType")) {
        entity.add_cleaned("mimeType", mime)?;
    }
    stamp(&mut entity, "failure")?;
    entity.add_cleaned("processingError", err.message.clone())?;
    let origin = ingest_origin(&entity_id);
    state
        .store
        .replace_origin(collection_id, &origin, std::slice::from_ref(&entity))
        .await?;
    // A failed file is still shown, with its reason.
    let next = if wants_index(job) {
        vec![index_job(collection_id, &entity_id, job.path.as_deref())]
    } else {
        Vec::new()
    };
    Ok(StageEnd {
        outcome: failed(err.class, err.message.clone()),
        next,
    })
}

/// The `ancestors` of what a container holds: the container's own chain, then every
/// folder between it and the member (archives keep their folder tree).
struct Lineage {
    root: String,
    root_chain: Vec<String>,
    /// Folder id → its parent id, for the folders found inside.
    parents: std::collections::HashMap<String, String>,
}

impl Lineage {
    fn new(root: &str, root_chain: Vec<String>, found: &[Entity]) -> Lineage {
        let parents = found
            .iter()
            .filter(|e| e.schema().name() == "Folder")
            .filter_map(|e| Some((e.id()?.to_string(), e.first("parent")?.to_string())))
            .collect();
        Lineage {
            root: root.to_string(),
            root_chain,
            parents,
        }
    }

    /// The ancestors of `entity`, outermost first.
    fn of(&self, entity: &Entity) -> Vec<String> {
        let mut between: Vec<String> = Vec::new();
        let mut parent = entity.first("parent").map(str::to_string);
        while let Some(p) = parent {
            if p == self.root || between.len() > self.parents.len() {
                break;
            }
            parent = self.parents.get(&p).cloned();
            between.push(p);
        }
        let mut chain = self.root_chain.clone();
        chain.extend(between.into_iter().rev());
        chain
    }
}
