//! Extraction, the first half of the `process` stage: read one file in the sandbox and
//! make what it held (the file's own entity, pages, folders, children to process), written
//! by the stage under `ingest:<id>` together with their analysis.

use ftm::Entity;
use ingest::remote::Request;
use ingest::{ErrorClass, IngestError};
use serde_json::json;
use store::{Job, NewJob, Stage};

use super::{
    PipelineConfig, StageEnd, Writes, analyze_origin, failed, index_job, ingest_origin, succeeded,
    wants_index,
};
use crate::state::AppState;
use crate::worker::sandbox::{self, Extraction};

/// What the metrics want to know about an ingested file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestFacts {
    /// The format the extractor recognised (`pdf`, `email`…), when it got that far.
    pub ingestor: Option<String>,
    /// The file's size, when known.
    pub bytes: Option<u64>,
}

/// What an extraction left for the stage to write.
pub(super) struct Extract {
    /// The file's own entity first, then what was found in it, for `ingest:<id>`.
    pub written: Vec<Entity>,
    /// The `process` jobs of the files found inside (archive members, attachments).
    pub children: Vec<NewJob>,
    /// Derived files stored in the archive (members, converted PDFs, table CSVs).
    pub derived: Vec<(std::path::PathBuf, String)>,
}

/// How an extraction ended.
pub(super) enum Extracted {
    /// The file was read: what it held is to be analysed and written.
    Read(Extract),
    /// Nothing is left to analyse: the document is gone, or its failure was recorded.
    Done(StageEnd),
}

/// Extract a job's file in `work_dir`.
pub(super) async fn extract(
    state: &AppState,
    config: &PipelineConfig,
    job: &Job,
    entity_id: &str,
    work_dir: &std::path::Path,
    facts: &mut IngestFacts,
) -> anyhow::Result<Extracted> {
    let collection_id = job.collection_id;
    let Some(stored) = state.store.entity(collection_id, entity_id).await? else {
        // Deleted since it was queued: nothing left to do.
        return Ok(Extracted::Done(StageEnd::alone(succeeded())));
    };
    let document = stored.entity;
    facts.bytes = document.first("fileSize").and_then(|s| s.parse().ok());
    let Some(hash) = document.first("contentHash").map(str::to_string) else {
        let outcome = record_failure(
            job,
            &document,
            &IngestError::new(ErrorClass::Internal, "the document has no file"),
        )?;
        return Ok(Extracted::Done(outcome));
    };
    let path = match state.archive.local_path(&hash).await {
        Ok(p) => p,
        Err(archive::ArchiveError::NotFound(_)) => {
            let err =
                IngestError::new(ErrorClass::Io, format!("file {hash} is not in the archive"));
            let end = record_failure(job, &document, &err)?;
            return Ok(Extracted::Done(end));
        }
        Err(e) => return Err(e.into()),
    };
    let depth = container_depth(state, collection_id, document.get("ancestors")).await?;
    let info = ingest::FileInfo {
        file_name: document.first("fileName").map(str::to_string),
        mime_type: document.first("mimeType").map(str::to_string),
    };
    // The extractor starts from the stored document, which holds the last analysis's
    // results too: they are not the file's facts, and `analyze:<id>` gets them afresh.
    let request = Request {
        entity: super::analyze::without_analysis(document.clone()).to_json(),
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
            gather(state, job, &document, extraction).await
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
            let end = record_failure_as(job, &document, &err, detected)?;
            Ok(Extracted::Done(end))
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

/// Store the derived files and make the entities of a file that was read: the file's
/// own first, stamped, with its ancestors' lineage on what was found inside.
async fn gather(
    state: &AppState,
    job: &Job,
    document: &Entity,
    extraction: Extraction,
) -> anyhow::Result<Extracted> {
    let collection_id = job.collection_id;
    let entity_id = document.id().unwrap_or_default().to_string();
    let Some(mut entity) = extraction.entity else {
        return Ok(Extracted::Done(StageEnd::alone(failed(
            ErrorClass::Internal,
            "the extractor returned no entity",
        ))));
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
            NewJob::new(collection_id, Stage::PROCESS)
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
    Ok(Extracted::Read(Extract {
        written,
        children: children_jobs,
        derived,
    }))
}

/// A purge of another collection may have found these blobs unreferenced between their
/// storing and the references the stage just committed (see `services::purge`): the files
/// are still here, so a blob that went is stored again.
pub(super) async fn keep_derived(
    state: &AppState,
    derived: &[(std::path::PathBuf, String)],
) -> anyhow::Result<()> {
    for (path, hash) in derived {
        if !crate::services::purge::blob_survives(&*state.store, &*state.archive, hash).await? {
            tracing::warn!("blob {hash} was purged while this file referred to it: stored again");
            state.archive.put_file(path).await?;
        }
    }
    Ok(())
}

fn record_failure(job: &Job, document: &Entity, err: &IngestError) -> anyhow::Result<StageEnd> {
    record_failure_as(job, document, err, None)
}

/// Record a failure (written with the job's completion); `detected` is the file's format
/// and MIME type, when known.
fn record_failure_as(
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
    // A failed file is still shown, with its reason.
    let next = if wants_index(job) {
        vec![index_job(collection_id, &entity_id, job.path.as_deref())]
    } else {
        Vec::new()
    };
    Ok(StageEnd {
        outcome: failed(err.class, err.message.clone()),
        next,
        // What an earlier run's analysis found in the file is stale now: it goes with it.
        writes: Some(Writes {
            collection_id,
            origins: vec![
                (ingest_origin(&entity_id), vec![entity]),
                (analyze_origin(&entity_id), Vec::new()),
            ],
        }),
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
