//! The pipeline stages a worker runs on a job: `ingest` (extract a file), `analyze`
//! (languages and mentions in its text), then `index` (make it all searchable).
//!
//! Each document's results are written under an origin of their own (`ingest:<entity id>`),
//! replaced as a whole when the document is processed again, so that re-ingesting never
//! leaves stale pages behind and never shows readers a half-written document. Job payloads
//! carry ids and options only; everything else is read from the store and the archive.

use std::path::PathBuf;
use std::sync::Arc;

use ftm::Entity;
use ingest::remote::Request;
use ingest::{ErrorClass, IngestError, Limits, OcrConfig};
use serde_json::{Value, json};
use store::{Job, JobOutcome, NewJob, Stage, Store};

use crate::error::ApiError;
use crate::services::entities::sync_index;
use crate::state::AppState;
use crate::worker::sandbox::{self, Extraction, Isolation};

/// The origin under which a document's ingest results are kept.
pub fn ingest_origin(entity_id: &str) -> String {
    format!("ingest:{entity_id}")
}

/// The origin under which a document's analysis results are kept.
pub fn analyze_origin(entity_id: &str) -> String {
    format!("analyze:{entity_id}")
}

/// Queue a document for ingestion. `index == false` ends its pipeline before indexing
/// (Aleph's `index=false` upload flag).
pub async fn enqueue_ingest(
    store: &Arc<dyn Store>,
    collection_id: i64,
    entity_id: &str,
    path: &str,
    index: bool,
) -> Result<i64, ApiError> {
    let job = NewJob::new(collection_id, Stage::INGEST)
        .entity(entity_id)
        .path(path)
        .payload(json!({"index": index}));
    let ids = store.enqueue(&[job]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| ApiError::internal("the job was not queued"))
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
        processor_version: Some(ingest::AGENT.to_string()),
    }
}

fn succeeded() -> JobOutcome {
    JobOutcome::Succeeded {
        processor_version: Some(ingest::AGENT.to_string()),
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
}

impl StageEnd {
    /// An end with nothing to follow.
    pub fn alone(outcome: JobOutcome) -> StageEnd {
        StageEnd {
            outcome,
            next: Vec::new(),
        }
    }
}

/// A store or archive error during a stage: transient, so the job is retried.
fn infrastructure(message: impl std::fmt::Display) -> JobOutcome {
    JobOutcome::Failed {
        class: ErrorClass::Io.as_str().to_string(),
        message: message.to_string(),
        retry: true,
        processor_version: Some(ingest::AGENT.to_string()),
    }
}

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

/// Run an `analyze` job: detect languages and mentions in what ingest extracted from one
/// document, keep the results under `analyze:<id>`, then queue the `index` stage.
pub async fn run_analyze(
    state: &AppState,
    analyzer: &Arc<analyze::Analyzer>,
    known: Arc<analyze::known::KnownNames>,
    job: &Job,
) -> StageEnd {
    match analyze_document(state, analyzer, known, job).await {
        Ok(end) => end,
        Err(e) => StageEnd::alone(infrastructure(e)),
    }
}

async fn analyze_document(
    state: &AppState,
    analyzer: &Arc<analyze::Analyzer>,
    known: Arc<analyze::known::KnownNames>,
    job: &Job,
) -> anyhow::Result<StageEnd> {
    let Some(entity_id) = job.entity_id.clone() else {
        return Ok(StageEnd::alone(failed(
            ErrorClass::Internal,
            "analyze job without an entity",
        )));
    };
    let collection = match state.store.collection(job.collection_id).await {
        Ok(c) => c,
        Err(store::StoreError::NotFound { .. }) => return Ok(StageEnd::alone(succeeded())),
        Err(e) => return Err(e.into()),
    };
    let mut ids = state
        .store
        .origin_entity_ids(collection.id, &ingest_origin(&entity_id))
        .await?;
    if !ids.contains(&entity_id) {
        ids.push(entity_id.clone());
    }
    let batch = state.store.entities(collection.id, &ids).await?;
    let context = analyze::Context {
        collection_countries: collection.countries.clone(),
        collection_languages: collection.languages.clone(),
        known: (!known.is_empty()).then_some(known),
        ..analyze::Context::default()
    };
    let analyzer = analyzer.clone();
    let namespace = ftm::Namespace::new(&collection.foreign_id);
    let entities: Vec<Entity> = batch.entities.into_iter().map(|s| s.entity).collect();
    // Pure CPU work: off the async threads.
    let results = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        // Together, so that a document of pages is judged from its pages' verdicts.
        analyzer.analyze_each(&entities, &context, |entity, analysis| {
            if let Some(fragment) = additions(entity, &analysis.entity)? {
                out.push(fragment);
            }
            // Mentions are new entities of this collection: their ids are signed like
            // every other id in it.
            for mention in &analysis.mentions {
                out.push(sign_mention(&namespace, mention)?);
            }
            Ok::<_, anyhow::Error>(())
        })?;
        Ok::<_, anyhow::Error>(out)
    })
    .await?;
    let written = match results {
        Ok(w) => w,
        Err(e) => {
            return Ok(StageEnd::alone(failed(ErrorClass::Internal, e.to_string())));
        }
    };
    state
        .store
        .replace_origin(collection.id, &analyze_origin(&entity_id), &written)
        .await?;
    let next = if wants_index(job) {
        vec![next_job(Stage::INDEX, job, &entity_id)]
    } else {
        Vec::new()
    };
    Ok(StageEnd {
        outcome: succeeded(),
        next,
    })
}

/// Sign a mention's ids with its collection's namespace, except a `resolved` link to a
/// known entity of the gazetteer: that id is already signed by the entity's own
/// collection (hash-resolved names are bare hex and never contain a dot).
fn sign_mention(namespace: &ftm::Namespace, mention: &Entity) -> Result<Entity, ftm::EntityError> {
    let known: Vec<String> = mention
        .get("resolved")
        .iter()
        .filter(|r| r.contains('.'))
        .cloned()
        .collect();
    let mut signed = namespace.apply(mention)?;
    if !known.is_empty() {
        signed.pop("resolved");
        signed.add_all("resolved", &known)?;
    }
    Ok(signed)
}

/// A fragment with only the values analysis added to `before` (so the store does not keep
/// a second copy of the text), or `None` if it added nothing.
fn additions(before: &Entity, after: &Entity) -> Result<Option<Entity>, ftm::EntityError> {
    let mut fragment = Entity::new(after.schema());
    fragment.set_id(after.id().map(str::to_string));
    for (prop, values) in after.properties() {
        let old = before.get(prop.name());
        for v in values {
            if !old.contains(v) {
                fragment.add_cleaned(prop.name(), v.clone())?;
            }
        }
    }
    Ok((!fragment.is_empty()).then_some(fragment))
}

/// Run a batch of `index` jobs with one index commit. Returns each job's outcome.
/// Once committed, the alerts run on what the batch indexed.
pub async fn run_index(state: &AppState, jobs: &[Job]) -> Vec<JobOutcome> {
    let mut outcomes: Vec<Option<JobOutcome>> = vec![None; jobs.len()];
    let mut indexed: std::collections::BTreeMap<i64, Indexed> = Default::default();
    // Entities whose index update was deferred (written while the index was down) have
    // no document tree to follow: they are synced together, collection by collection.
    let mut deferred: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, job) in jobs.iter().enumerate() {
        if crate::services::entities::is_deferred_index_job(job) {
            deferred.entry(job.collection_id).or_default().push(i);
        }
    }
    for (collection_id, positions) in &deferred {
        let ids: Vec<String> = positions
            .iter()
            .filter_map(|&i| jobs[i].entity_id.clone())
            .collect();
        let outcome = match sync_index(&state.store, &state.index, *collection_id, &ids).await {
            Ok(()) => {
                indexed.entry(*collection_id).or_default().ids.extend(ids);
                succeeded()
            }
            Err(e) => infrastructure(e.message),
        };
        for &i in positions {
            outcomes[i] = Some(outcome.clone());
        }
    }
    for (job, slot) in jobs.iter().zip(outcomes.iter_mut()) {
        if slot.is_some() {
            continue;
        }
        *slot = Some(match index_one(state, job).await {
            Ok(ids) => {
                let batch = indexed.entry(job.collection_id).or_default();
                if let Some(entity_id) = &job.entity_id {
                    batch.origins.push(ingest_origin(entity_id));
                    batch.origins.push(analyze_origin(entity_id));
                }
                batch.ids.extend(ids);
                succeeded()
            }
            Err(e) => infrastructure(e),
        });
    }
    let mut outcomes: Vec<JobOutcome> = outcomes.into_iter().flatten().collect();
    // One search per collection and batch, not one per document: the stale check costs
    // a query, and most batches have nothing stale at all.
    for (collection_id, batch) in &indexed {
        if let Err(e) = drop_stale(state, *collection_id, batch).await {
            let message = format!("cannot remove what an earlier run indexed: {e}");
            for (job, outcome) in jobs.iter().zip(outcomes.iter_mut()) {
                if job.collection_id == *collection_id {
                    *outcome = infrastructure(&message);
                }
            }
        }
    }
    if let Err(e) = state.index.commit().await {
        let message = format!("index commit failed: {e}");
        return jobs.iter().map(|_| infrastructure(&message)).collect();
    }
    for (collection_id, batch) in indexed {
        let ids: Vec<String> = batch.ids.into_iter().collect();
        crate::services::alerts::after_index(&state.store, &state.index, collection_id, &ids).await;
    }
    outcomes
}

/// What a batch indexed in one collection: the documents' origins and every id written.
#[derive(Default)]
struct Indexed {
    origins: Vec<String>,
    ids: std::collections::BTreeSet<String>,
}

/// What an earlier run of these documents produced and this one did not (pages of a
/// longer version of the file) is still in the index: find it by origin and drop it.
async fn drop_stale(state: &AppState, collection_id: i64, batch: &Indexed) -> anyhow::Result<()> {
    if batch.origins.is_empty() {
        return Ok(());
    }
    let params: Vec<(String, String)> = batch
        .origins
        .iter()
        .map(|o| ("filter:origin".to_string(), o.clone()))
        .collect();
    let query = index::SearchQuery::from_params(&params)?;
    let scope = index::ReadScope::collections([collection_id]);
    let found = state
        .index
        .stream_ids(&scope, &query)
        .await?
        .collect_all()
        .await?;
    let stale: Vec<String> = found
        .into_iter()
        .filter(|id| !batch.ids.contains(id))
        .collect();
    if !stale.is_empty() {
        state.index.delete_entities(stale).await?;
    }
    Ok(())
}

/// Index a document and what was extracted from it; returns the ids indexed.
async fn index_one(state: &AppState, job: &Job) -> anyhow::Result<Vec<String>> {
    let Some(entity_id) = &job.entity_id else {
        return Ok(Vec::new());
    };
    let mut ids: Vec<String> = vec![entity_id.clone()];
    for origin in [ingest_origin(entity_id), analyze_origin(entity_id)] {
        ids.extend(
            state
                .store
                .origin_entity_ids(job.collection_id, &origin)
                .await?,
        );
    }
    ids.sort();
    ids.dedup();
    sync_index(&state.store, &state.index, job.collection_id, &ids)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    Ok(ids)
}
