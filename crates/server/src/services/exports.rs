//! Exports: a search's results as a zip (a workbook, the original files of the documents
//! and a manifest) or a collection's cross-reference as a workbook, made by a worker and
//! kept in the archive for the user who asked, until they expire.
//!
//! A request only records the export (`pending`) and answers 202. Workers claim pending
//! exports under a lease ([`store::Store::claim_exports`]) and renew it while they work:
//! a worker that dies leaves the export pending for another one; an export that cannot
//! be made is marked failed with the reason. The export runs with the rights its creator
//! has *when it runs*: the search is scoped by the readable collections at that moment.
//!
//! The zip is written entity by entity to temporary files (the workbook's sheets, the
//! manifest, the zip itself), so memory stays flat whatever the number of results; the
//! finished zip is streamed into the archive. Its creator is notified when it is ready.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ftm::Entity;
use ftm::export::Exporter;
use ftm::export::excel::ExcelExporter;
use index::SearchQuery;
use serde_json::{Map, Value, json};
use store::{
    AuditAction, Export, ExportContent, ExportOperation, ExportOutcome, NewExport, NewNotification,
    StoreError,
};
use tokio::sync::watch;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::serialize::{clean, datetime};
use crate::services::notifications::{Event, wants_email};
use crate::state::AppState;
use crate::tokens::{self, ArchiveClaims};

/// The most results a search export holds (the search window: Aleph's `MAX_PAGE`).
pub const MAX_RESULTS: usize = index::query::request::MAX_WINDOW;
/// Results fetched from the index at once.
const PAGE: usize = 500;
/// How long exports are kept unless `ALEPH_EXPORT_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;
/// Attempts an export gets (a worker dying counts as one).
const MAX_ATTEMPTS: u32 = 3;
/// How long a claimed export is a worker's without a heartbeat.
pub const LEASE: Duration = Duration::from_secs(120);
/// How often a worker looks for expired exports.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// How long download links stay valid.
const LINK_LIFETIME_SECS: i64 = 24 * 3600;

pub const ZIP_MIME: &str = "application/zip";
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Parameters that belong to HTTP or paging, not to the exported search.
const NOT_SEARCH: [&str; 4] = ["api_key", "_", "offset", "limit"];

/// How long exports are kept: `ALEPH_EXPORT_RETENTION_DAYS` (at least one day).
pub fn retention() -> chrono::Duration {
    let days = std::env::var("ALEPH_EXPORT_RETENTION_DAYS")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|d| *d > 0)
        .unwrap_or(DEFAULT_RETENTION_DAYS);
    chrono::Duration::days(days)
}

// --- requests -------------------------------------------------------------------------------

/// `POST /api/2/search/export`: record a search export for the caller.
pub async fn request_search(state: &AppState, actor: &Actor, params: &Params) -> ApiResult<Export> {
    let user = actor.logged_in_user()?.clone();
    if params.get("filter:schema").is_none() && params.get("filter:schemata").is_none() {
        return Err(ApiError::bad_request(
            "No schema is specified for the query.",
        ));
    }
    let search = params.without(&NOT_SEARCH);
    // A broken query is the caller's mistake: refuse it now rather than fail later.
    SearchQuery::from_params(&search.0)?;
    let q = search.get("q").unwrap_or_default().trim().to_string();
    let label = if q.is_empty() {
        "Search results".to_string()
    } else {
        format!(
            "Search results: {}",
            q.chars().take(200).collect::<String>()
        )
    };
    let pairs: Vec<Value> = search.0.iter().map(|(k, v)| json!([k, v])).collect();
    let mut query = Map::new();
    query.insert("query".into(), Value::Array(pairs));
    let new = NewExport {
        operation: ExportOperation::Search,
        label,
        creator_id: user.id,
        collection_id: None,
        params: query,
        meta: Map::new(),
        file_name: "search_export.zip".into(),
        mime_type: ZIP_MIME.into(),
        expires_at: store::now() + retention(),
        max_attempts: MAX_ATTEMPTS,
    };
    let export = state.store.create_export(new).await?;
    audit_request(state, actor, &export);
    Ok(export)
}

/// `POST /api/2/collections/{id}/xref.xlsx`: record a cross-reference export.
pub async fn request_xref(
    state: &AppState,
    actor: &Actor,
    collection_id: i64,
    params: &Params,
) -> ApiResult<Export> {
    let user = actor.logged_in_user()?.clone();
    actor.check_read(collection_id)?;
    let collection = state.store.collection(collection_id).await?;
    let filters = params.without(&NOT_SEARCH);
    let pairs: Vec<Value> = filters.0.iter().map(|(k, v)| json!([k, v])).collect();
    let mut query = Map::new();
    query.insert("query".into(), Value::Array(pairs));
    let new = NewExport {
        operation: ExportOperation::Xref,
        label: format!("Cross-reference: {}", collection.label),
        creator_id: user.id,
        collection_id: Some(collection_id),
        params: query,
        meta: Map::new(),
        file_name: format!("xref-{collection_id}.xlsx"),
        mime_type: XLSX_MIME.into(),
        expires_at: store::now() + retention(),
        max_attempts: MAX_ATTEMPTS,
    };
    let export = state.store.create_export(new).await?;
    audit_request(state, actor, &export);
    Ok(export)
}

fn audit_request(state: &AppState, actor: &Actor, export: &Export) {
    let mut entry = actor
        .audit(AuditAction::Export)
        .target(format!("export:{}", export.id))
        .detail(json!({
            "operation": export.operation.as_str(),
            "params": export.params,
        }));
    if let Some(collection_id) = export.collection_id {
        entry = entry.collection(collection_id);
    }
    state.audit.record(entry);
}

/// The stored query of an export as request parameters.
fn stored_params(export: &Export) -> Params {
    let pairs = export
        .params
        .get("query")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|pair| {
                    let k = pair.get(0)?.as_str()?;
                    let v = pair.get(1)?.as_str()?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    Params(pairs)
}

// --- serialising ----------------------------------------------------------------------------

/// The API object of an export; `links.download` only while its file exists.
pub fn export_json(state: &AppState, export: &Export) -> Value {
    let content = export.content.as_ref().filter(|_| !export.deleted);
    let mut links = Map::new();
    if let Some(content) = content {
        let claims = ArchiveClaims {
            c: content.content_hash.clone(),
            f: Some(export.file_name.clone()),
            m: Some(export.mime_type.clone()),
            exp: chrono::Utc::now().timestamp() + LINK_LIFETIME_SECS,
            r: Some(export.creator_id),
        };
        let token = tokens::sign(&state.settings.secret_key, &claims);
        links.insert(
            "download".into(),
            json!(state.settings.url(&format!("api/2/archive?token={token}"))),
        );
    }
    let mut value = json!({
        "id": export.id.to_string(),
        "label": export.label,
        "operation": export.operation.as_str(),
        "creator_id": export.creator_id.to_string(),
        "collection_id": export.collection_id.map(|c| c.to_string()),
        "expires_at": datetime(&export.expires_at),
        "deleted": export.deleted,
        "status": export.status.as_str(),
        "content_hash": content.map(|c| c.content_hash.clone()),
        "file_size": content.map(|c| c.file_size),
        "file_name": export.file_name,
        "mime_type": export.mime_type,
        "meta": export.meta,
        "created_at": datetime(&export.created_at),
        "updated_at": datetime(&export.updated_at),
        "links": links,
    });
    if let Some(error) = &export.error
        && export.status == store::ExportStatus::Failed
    {
        value["error"] = json!(error);
    }
    // `deleted: false` and an empty `meta` stay: clients read them.
    let deleted = value["deleted"].clone();
    let meta = value["meta"].clone();
    let mut value = clean(value);
    value["deleted"] = deleted;
    value["meta"] = meta;
    value
}

// --- the work -------------------------------------------------------------------------------

/// Run pending exports until none is left; returns how many ran. Workers call this in a
/// loop; tests call it to run the queue once.
pub async fn run_pending(state: &AppState, worker: &str, lease: Duration) -> store::Result<usize> {
    let mut ran = 0;
    loop {
        let claimed = state.store.claim_exports(worker, 1, lease).await?;
        let Some(export) = claimed.into_iter().next() else {
            return Ok(ran);
        };
        ran += 1;
        let outcome =
            with_heartbeat(state, worker, export.id, lease, run_export(state, &export)).await;
        match state.store.finish_export(worker, export.id, outcome).await {
            Ok(Some(done)) if done.status != store::ExportStatus::Pending => {
                announce(state, &done).await;
            }
            Ok(Some(_)) => {}
            Ok(None) => tracing::warn!(
                "export {} was taken over by another worker; result dropped",
                export.id
            ),
            Err(e) => tracing::warn!("cannot record the end of export {}: {e}", export.id),
        }
    }
}

/// The worker's export loop: run pending exports, purge expired ones now and then, until
/// `shutdown` turns true.
pub async fn work(
    state: AppState,
    worker: String,
    idle: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last_purge: Option<std::time::Instant> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            last_purge = Some(std::time::Instant::now());
            match purge_expired(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("purged {n} expired exports"),
                Err(e) => tracing::warn!("cannot purge expired exports: {e}"),
            }
        }
        let ran = match run_pending(&state, &worker, LEASE).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("cannot claim exports: {e}");
                0
            }
        };
        if ran == 0 {
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                changed = shutdown.changed() => {
                    // No sender left: nobody can ask us to stop, nor keep us going.
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

async fn with_heartbeat<T>(
    state: &AppState,
    worker: &str,
    id: i64,
    lease: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut ticker = tokio::time::interval(lease / 3);
    ticker.tick().await;
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = ticker.tick() => {
                if let Err(e) = state.store.heartbeat_exports(worker, &[id], lease).await {
                    tracing::warn!("export heartbeat failed: {e}");
                }
            }
        }
    }
}

/// Why an attempt did not produce a file.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    /// Will not work however often it is tried.
    #[error("{0}")]
    Permanent(String),
    /// Might work later (the store, index or archive were unreachable…).
    #[error("{0}")]
    Passing(String),
}

impl From<ApiError> for ExportError {
    fn from(e: ApiError) -> ExportError {
        if e.status.is_client_error() {
            ExportError::Permanent(e.message)
        } else {
            ExportError::Passing(e.message)
        }
    }
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> ExportError {
        ExportError::from(ApiError::from(e))
    }
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> ExportError {
        ExportError::Passing(format!("i/o: {e}"))
    }
}

impl From<archive::ArchiveError> for ExportError {
    fn from(e: archive::ArchiveError) -> ExportError {
        ExportError::Passing(format!("archive: {e}"))
    }
}

impl From<index::IndexError> for ExportError {
    fn from(e: index::IndexError) -> ExportError {
        ExportError::from(ApiError::from(e))
    }
}

impl From<zip::result::ZipError> for ExportError {
    fn from(e: zip::result::ZipError) -> ExportError {
        ExportError::Passing(format!("zip: {e}"))
    }
}

impl From<ftm::export::ExportError> for ExportError {
    fn from(e: ftm::export::ExportError) -> ExportError {
        ExportError::Passing(format!("workbook: {e}"))
    }
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> ExportError {
        ExportError::Passing(format!("manifest: {e}"))
    }
}

impl From<tokio::task::JoinError> for ExportError {
    fn from(e: tokio::task::JoinError) -> ExportError {
        ExportError::Passing(format!("export task: {e}"))
    }
}

/// One attempt at an export: make the file, put it in the archive.
async fn run_export(state: &AppState, export: &Export) -> ExportOutcome {
    match make(state, export).await {
        Ok(content) => ExportOutcome::Succeeded(content),
        Err(ExportError::Permanent(why)) => ExportOutcome::Failed(why),
        Err(ExportError::Passing(why)) => ExportOutcome::Retry(why),
    }
}

async fn make(state: &AppState, export: &Export) -> Result<ExportContent, ExportError> {
    let actor = creator(state, export.creator_id).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("export");
    match export.operation {
        ExportOperation::Search => {
            let meta = search_zip(state, &actor, &stored_params(export), dir.path(), &path).await?;
            tracing::info!(export = export.id, ?meta, "search export written");
        }
        ExportOperation::Xref => {
            let collection_id = export
                .collection_id
                .ok_or_else(|| ExportError::Permanent("the collection no longer exists".into()))?;
            crate::services::xref::export_xlsx(
                state,
                &actor,
                collection_id,
                &stored_params(export),
                &path,
            )
            .await?;
        }
    }
    let mut file = tokio::fs::File::open(&path).await?;
    let (content_hash, file_size) = state.archive.put_stream(&mut file).await?;
    Ok(ExportContent {
        content_hash,
        file_size,
    })
}

/// The export's creator with the rights they have now.
async fn creator(state: &AppState, role_id: i64) -> Result<Actor, ExportError> {
    let role = match state.store.role(role_id).await {
        Ok(role) => role,
        Err(StoreError::NotFound { .. }) => {
            return Err(ExportError::Permanent("the user no longer exists".into()));
        }
        Err(e) => return Err(e.into()),
    };
    if role.is_blocked {
        return Err(ExportError::Permanent("the user is blocked".into()));
    }
    let roles = state.store.role_set(role.id).await?;
    let access = state.store.access_sets(&roles).await?;
    Ok(Actor {
        is_admin: role.is_admin,
        admin_view: crate::auth::admin_view(&*state.store, role.is_admin).await?,
        role: Some(role),
        roles,
        readable: access.readable,
        writable: access.writable,
        read_only: true,
        session: None,
        address: None,
    })
}

/// What a search export holds.
#[derive(Debug, Default, Clone, Copy)]
pub struct ZipStats {
    /// Entities listed in the workbook and the manifest.
    pub results: usize,
    /// Original files put in the zip.
    pub files: usize,
    /// Documents whose original file the archive does not have.
    pub missing_files: usize,
}

/// The export zip of a search within one collection, as `POST /api/2/search/export` makes
/// it, written to `out` (for `aleph export zip`). `params` is the search (`q`,
/// `filter:schema`…); the collection filter is added here. It is read as a guest who may
/// also read that collection, so nothing outside it can slip in.
pub async fn write_collection_zip(
    state: &AppState,
    collection_id: i64,
    params: &Params,
    out: &Path,
) -> Result<ZipStats, String> {
    let (parts, ()) = axum::http::Request::new(()).into_parts();
    let mut actor = Actor::resolve(state, &parts).await.map_err(|e| e.message)?;
    actor.readable = [collection_id].into();
    actor.writable.clear();
    actor.read_only = true;
    let mut params = Params(
        params
            .0
            .iter()
            .filter(|(k, _)| !NOT_SEARCH.contains(&k.as_str()) && k != "filter:collection_id")
            .cloned()
            .collect(),
    );
    params.push("filter:collection_id", &collection_id.to_string());
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    search_zip(state, &actor, &params, dir.path(), out)
        .await
        .map_err(|e| e.to_string())
}

/// The zip's parts while it is written. Moved into blocking tasks page by page.
struct ZipParts {
    zip: zip::ZipWriter<BufWriter<File>>,
    workbook: ExcelExporter,
    workbook_path: PathBuf,
    manifest: csv::Writer<BufWriter<File>>,
    manifest_path: PathBuf,
    stats: ZipStats,
}

/// One result on its way into the zip: the entity and its original file, if any.
struct Item {
    entity: Entity,
    collection_id: i64,
    file: Option<(String, PathBuf)>,
}

fn file_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true)
}

/// A name safe as one path segment in a zip.
fn segment(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .take(200)
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    if trimmed.is_empty() {
        "file".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Write a search's results into a zip at `out`: `export.xlsx` (one sheet per schema),
/// `files/<entity id>/<file name>` for documents with an original file, and
/// `manifest.csv` listing every result.
async fn search_zip(
    state: &AppState,
    actor: &Actor,
    params: &Params,
    tmp: &Path,
    out: &Path,
) -> Result<ZipStats, ExportError> {
    let scope = actor.scope();
    let workbook_path = tmp.join("export.xlsx");
    let manifest_path = tmp.join("manifest.csv");
    let mut manifest = csv::Writer::from_writer(BufWriter::new(File::create(&manifest_path)?));
    manifest.write_record([
        "entity_id",
        "schema",
        "caption",
        "collection_id",
        "file_path",
        "content_hash",
    ])?;
    let mut parts = ZipParts {
        zip: zip::ZipWriter::new(BufWriter::new(File::create(out)?)),
        workbook: ExcelExporter::new(&workbook_path, Some(tmp))?,
        workbook_path,
        manifest,
        manifest_path,
        stats: ZipStats::default(),
    };
    let mut offset = 0;
    while offset < MAX_RESULTS {
        let limit = PAGE.min(MAX_RESULTS - offset);
        let mut page = params.clone();
        page.push("offset", &offset.to_string());
        page.push("limit", &limit.to_string());
        let query = SearchQuery::from_params(&page.0).map_err(ApiError::from)?;
        let result = state.index.search(&scope, &query).await?;
        let n = result.hits.len();
        let mut items = Vec::with_capacity(n);
        for hit in result.hits {
            // The index is derived from the store and scoped by the query; a hit outside
            // the caller's collections would be a bug, and is left out all the same.
            if !actor.can_read(hit.collection_id) {
                continue;
            }
            let entity = match Entity::from_json(hit.entity, false) {
                Ok(entity) => entity,
                Err(e) => {
                    tracing::warn!("export skips unreadable entity {}: {e}", hit.id);
                    continue;
                }
            };
            let file = original_file(state, &entity, &mut parts.stats).await?;
            items.push(Item {
                entity,
                collection_id: hit.collection_id,
                file,
            });
        }
        parts = tokio::task::spawn_blocking(move || write_items(parts, items)).await??;
        offset += n;
        if n < limit || offset as u64 >= result.total {
            break;
        }
    }
    let stats = tokio::task::spawn_blocking(move || finish_zip(parts)).await??;
    Ok(stats)
}

/// The original file of a document result: its content hash and a local copy.
async fn original_file(
    state: &AppState,
    entity: &Entity,
    stats: &mut ZipStats,
) -> Result<Option<(String, PathBuf)>, ExportError> {
    if !entity.schema().is_a_name("Document") {
        return Ok(None);
    }
    let Some(hash) = entity.first("contentHash") else {
        return Ok(None);
    };
    if !state.archive.exists(hash).await? {
        stats.missing_files += 1;
        return Ok(None);
    }
    let path = state.archive.local_path(hash).await?;
    Ok(Some((hash.to_string(), path)))
}

fn write_items(mut parts: ZipParts, items: Vec<Item>) -> Result<ZipParts, ExportError> {
    for item in items {
        let entity = &item.entity;
        let id = entity.id().unwrap_or_default().to_string();
        parts.workbook.write(entity)?;
        let mut file_path = String::new();
        let mut hash = String::new();
        if let Some((content_hash, local)) = &item.file {
            let name = entity
                .first("fileName")
                .map(segment)
                .unwrap_or_else(|| content_hash.clone());
            file_path = format!("files/{}/{name}", segment(&id));
            parts.zip.start_file(file_path.as_str(), file_options())?;
            let mut source = File::open(local)?;
            std::io::copy(&mut source, &mut parts.zip)?;
            hash = content_hash.clone();
            parts.stats.files += 1;
        }
        parts.manifest.write_record([
            id.as_str(),
            entity.schema().name(),
            entity.caption().as_str(),
            item.collection_id.to_string().as_str(),
            file_path.as_str(),
            hash.as_str(),
        ])?;
        parts.stats.results += 1;
    }
    Ok(parts)
}

fn finish_zip(mut parts: ZipParts) -> Result<ZipStats, ExportError> {
    parts.workbook.finish()?;
    parts.manifest.flush()?;
    drop(parts.manifest);
    for (name, path) in [
        ("export.xlsx", &parts.workbook_path),
        ("manifest.csv", &parts.manifest_path),
    ] {
        parts.zip.start_file(name, file_options())?;
        let mut source = File::open(path)?;
        std::io::copy(&mut source, &mut parts.zip)?;
    }
    let mut out = parts.zip.finish()?;
    out.flush()?;
    Ok(parts.stats)
}

// --- afterwards -----------------------------------------------------------------------------

/// Tell the creator that their export is ready (Aleph's `complete_export`); a failed
/// export shows its reason in `GET /exports`.
async fn announce(state: &AppState, export: &Export) {
    if export.status != store::ExportStatus::Successful {
        return;
    }
    let mut n = NewNotification::new(export.creator_id, Event::CompleteExport.name());
    n.collection_id = export.collection_id;
    let object = json!({
        "id": export.id.to_string(),
        "label": export.label,
        "operation": export.operation.as_str(),
        "file_name": export.file_name,
        "mime_type": export.mime_type,
        "status": export.status.as_str(),
    });
    n.params.insert("export".into(), object);
    n.email = match state.store.role(export.creator_id).await {
        Ok(role) => wants_email(&role),
        Err(_) => false,
    };
    if let Err(e) = state.store.notify(&[n]).await {
        tracing::warn!("cannot notify about export {}: {e}", export.id);
    }
}

/// Mark expired exports deleted and remove their content when nothing else refers to it
/// (the rule of `store::purge`: a live export or any collection keeps the blob); returns
/// how many exports were deleted.
pub async fn purge_expired(state: &AppState) -> store::Result<u64> {
    purge_expired_with(&state.store, state.archive.as_ref()).await
}

async fn purge_expired_with(
    store: &Arc<dyn store::Store>,
    archive: &dyn archive::Archive,
) -> store::Result<u64> {
    if let Err(e) = crate::services::purge::settle_stale_marks(&**store, archive).await {
        tracing::warn!("cannot settle the blobs stopped purges left: {e}");
    }
    let mut purged = 0;
    loop {
        let batch = store.expired_exports(store::now(), 100).await?;
        if batch.is_empty() {
            return Ok(purged);
        }
        for export in batch {
            let unreferenced = store.release_export(export.id).await?;
            purged += 1;
            let Some(hash) = unreferenced else {
                continue;
            };
            let removed = crate::services::purge::delete_marked(&**store, archive, &[hash]).await;
            if let Err(e) = removed {
                // The mark stays: the next purge settles it once it is stale.
                tracing::warn!("cannot remove the file of export {}: {e}", export.id);
                return Ok(purged);
            }
        }
    }
}
