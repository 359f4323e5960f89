//! Adding a file or a folder to a collection, under a parent, with metadata: what
//! `POST /api/2/collections/{id}/ingest` and `aleph crawldir` share.
//!
//! A file is first streamed into the archive ([`archive_reader`], [`archive_file`]); then
//! [`add`] (or [`add_under`], with a parent already resolved) gives it a stable integer id
//! through a document row (upserted by parent + foreign id, so adding the same path again
//! updates the same document), writes its `Document` entity and queues an `ingest` job.
//! A folder has nothing to process: it is written and indexed at once.

use ftm::{CleanOptions, Entity, Namespace, PropertyType};
use serde_json::{Map, Value};
use store::Collection;
use tokio::io::AsyncRead;

use crate::error::{ApiError, ApiResult};
use crate::services::entities as write;
use crate::services::pipeline;
use crate::state::AppState;

/// The origin of the fragment an upload writes (the file's metadata as uploaded).
pub const ORIGIN_UPLOAD: &str = "upload";

/// An upload's metadata, checked. The parent is not part of it: it is resolved apart
/// (see [`UploadMeta`] and [`Parent`]).
#[derive(Debug, Default, Clone)]
pub struct Meta {
    pub file_name: Option<String>,
    pub foreign_id: Option<String>,
    pub mime_type: Option<String>,
    /// Entity properties taken from `meta` (title, author, languages…), already cleaned.
    pub properties: Vec<(&'static str, String)>,
}

impl Meta {
    /// What a crawl knows about a path: its foreign id (the path relative to the crawl
    /// root) and its base name.
    pub fn for_path(foreign_id: impl Into<String>, file_name: impl Into<String>) -> Meta {
        Meta {
            foreign_id: Some(foreign_id.into()),
            file_name: Some(file_name.into()),
            ..Meta::default()
        }
    }
}

/// The `meta` JSON of an upload request: the metadata and the parent it names, if any
/// (`parent_id`, or `parent: {id}`), signed or not.
#[derive(Debug, Default, Clone)]
pub struct UploadMeta {
    pub meta: Meta,
    pub parent_id: Option<String>,
}

/// `meta` keys that become entity properties, with the property they fill.
const TEXT_KEYS: [(&str, &str); 8] = [
    ("title", "title"),
    ("summary", "summary"),
    ("author", "author"),
    ("publisher", "publisher"),
    ("crawler", "crawler"),
    ("generator", "generator"),
    ("source_url", "sourceUrl"),
    ("keywords", "keywords"),
];
const DATE_KEYS: [(&str, &str); 5] = [
    ("date", "date"),
    ("authored_at", "authoredAt"),
    ("modified_at", "modifiedAt"),
    ("published_at", "publishedAt"),
    ("retrieved_at", "retrievedAt"),
];

fn string_or_none(meta: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    match meta.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(_) => Err(ApiError::invalid(
            &format!("meta.{key}"),
            "must be a string",
        )),
    }
}

fn strings(meta: &Map<String, Value>, key: &str) -> ApiResult<Vec<String>> {
    let invalid = || ApiError::invalid(&format!("meta.{key}"), "must be a list of strings");
    match meta.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(invalid()),
            })
            .collect(),
        Some(_) => Err(invalid()),
    }
}

impl UploadMeta {
    /// Parse and check the `meta` field of a request; absent or blank means empty.
    pub fn parse(raw: Option<&str>) -> ApiResult<UploadMeta> {
        let object = match raw.map(str::trim).filter(|r| !r.is_empty()) {
            None => Map::new(),
            Some(raw) => match serde_json::from_str::<Value>(raw) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(ApiError::invalid("meta", "must be a JSON object")),
                Err(e) => return Err(ApiError::invalid("meta", format!("invalid JSON: {e}"))),
            },
        };
        let mut meta = Meta {
            file_name: string_or_none(&object, "file_name")?,
            foreign_id: string_or_none(&object, "foreign_id")?,
            mime_type: string_or_none(&object, "mime_type")?,
            properties: Vec::new(),
        };
        let mut parent_id = match object.get("parent_id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => string_or_none(&object, "parent_id")?,
        };
        if parent_id.is_none() {
            parent_id = match object.get("parent").and_then(|p| p.get("id")) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(_) => return Err(ApiError::invalid("meta.parent.id", "must be a string")),
            };
        }
        for (key, prop) in TEXT_KEYS {
            let values = if key == "keywords" {
                strings(&object, key)?
            } else {
                string_or_none(&object, key)?.into_iter().collect()
            };
            for v in values {
                meta.properties.push((prop, v));
            }
        }
        for (key, prop) in DATE_KEYS {
            if let Some(raw) = string_or_none(&object, key)? {
                let clean = PropertyType::Date
                    .clean(&raw, CleanOptions::default())
                    .ok_or_else(|| ApiError::invalid(&format!("meta.{key}"), "not a date"))?;
                meta.properties.push((prop, clean));
            }
        }
        for (key, prop, t) in [
            ("languages", "language", PropertyType::Language),
            ("countries", "country", PropertyType::Country),
        ] {
            for raw in strings(&object, key)? {
                let clean = t.clean(&raw, CleanOptions::default()).ok_or_else(|| {
                    ApiError::invalid(&format!("meta.{key}"), format!("invalid value: {raw:?}"))
                })?;
                meta.properties.push((prop, clean));
            }
        }
        Ok(UploadMeta { meta, parent_id })
    }
}

/// A file whose bytes are in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedFile {
    /// Hex SHA-1 of the bytes.
    pub content_hash: String,
    pub size: u64,
    /// The file name the uploader declared (the multipart part's `filename`), used when
    /// `meta` names none.
    pub declared_name: Option<String>,
}

/// What is added: a file (already archived) or a folder.
#[derive(Debug, Clone)]
pub enum Content {
    File(ArchivedFile),
    Folder,
}

/// Stream everything `reader` yields into the archive, never holding it in memory.
pub async fn archive_reader(
    state: &AppState,
    reader: &mut (dyn AsyncRead + Send + Unpin),
    declared_name: Option<String>,
) -> Result<ArchivedFile, archive::ArchiveError> {
    let (content_hash, size) = state.archive.put_stream(reader).await?;
    Ok(ArchivedFile {
        content_hash,
        size,
        declared_name,
    })
}

/// Stream a local file into the archive.
pub async fn archive_file(
    state: &AppState,
    path: &std::path::Path,
) -> Result<ArchivedFile, archive::ArchiveError> {
    let (content_hash, size) = state.archive.put_path(path).await?;
    Ok(ArchivedFile {
        content_hash,
        size,
        declared_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
    })
}

/// A document of the collection that new files and folders go under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    row_id: i64,
    entity_id: String,
    /// The parent's own ancestors, root first.
    ancestors: Vec<String>,
}

impl Parent {
    /// The parent's (signed) entity id.
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }
}

/// What [`add`] made or updated.
#[derive(Debug, Clone)]
pub struct Added {
    /// The document row id.
    pub row_id: i64,
    /// The signed entity id that the API returns (`<row id>.<signature>`).
    pub entity_id: String,
    /// Whether the document is new (not an update of the same path or content).
    pub created: bool,
    ancestors: Vec<String>,
}

impl Added {
    /// This document as the parent of further uploads (a crawl's folder).
    pub fn as_parent(&self) -> Parent {
        Parent {
            row_id: self.row_id,
            entity_id: self.entity_id.clone(),
            ancestors: self.ancestors.clone(),
        }
    }
}

/// The parent document named by `raw` (signed or not): 400 "Cannot load parent document"
/// when it is not a document of this collection.
pub async fn resolve_parent(
    state: &AppState,
    collection: &Collection,
    raw: &str,
) -> ApiResult<Parent> {
    let missing = || ApiError::bad_request("Cannot load parent document");
    let plain = Namespace::strip(raw).ok_or_else(missing)?;
    let row_id: i64 = plain.parse().map_err(|_| missing())?;
    if state.store.document(collection.id, row_id).await?.is_none() {
        return Err(missing());
    }
    let entity_id = Namespace::new(&collection.foreign_id)
        .sign(plain)
        .ok_or_else(missing)?;
    let ancestors = match state.store.entity(collection.id, &entity_id).await? {
        Some(stored) => stored.entity.get("ancestors").to_vec(),
        None => Vec::new(),
    };
    Ok(Parent {
        row_id,
        entity_id,
        ancestors,
    })
}

/// A folder needs a foreign id: without a file there is nothing else to key it by.
fn check_folder(meta: &Meta, content: &Content) -> ApiResult<()> {
    if matches!(content, Content::Folder) && meta.foreign_id.is_none() {
        return Err(ApiError::bad_request(
            "Directories need to have a foreign_id",
        ));
    }
    Ok(())
}

/// Add a file or folder under the parent that `upload.parent_id` names (the API's way).
/// `index == false` ends the file's pipeline before indexing.
pub async fn add(
    state: &AppState,
    collection: &Collection,
    upload: &UploadMeta,
    content: Content,
    index: bool,
) -> ApiResult<Added> {
    check_folder(&upload.meta, &content)?;
    let parent = match upload.parent_id.as_deref() {
        Some(raw) => Some(resolve_parent(state, collection, raw).await?),
        None => None,
    };
    add_under(
        state,
        collection,
        parent.as_ref(),
        &upload.meta,
        content,
        index,
    )
    .await
}

/// The bytes of an upload whose document row just referred to them are still in the
/// archive (a purge of another collection holding the same file may have been deleting
/// them: see `services::purge::blob_survives`). The stream is spent, so a lost blob is a
/// 409 asking for the upload again, which stores it anew.
async fn blob_kept(state: &AppState, hash: &str) -> ApiResult<()> {
    match crate::services::purge::blob_survives(&*state.store, &*state.archive, hash).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "The file was deleted with another collection while it was uploaded: upload it again",
        )),
        Err(e) => Err(ApiError::unavailable(e.to_string())),
    }
}

/// Add a file or folder under a resolved parent (or at the top of the collection).
pub async fn add_under(
    state: &AppState,
    collection: &Collection,
    parent: Option<&Parent>,
    meta: &Meta,
    content: Content,
    index: bool,
) -> ApiResult<Added> {
    check_folder(meta, &content)?;
    let file = match &content {
        Content::File(file) => Some(file),
        Content::Folder => None,
    };
    let (row_id, created) = state
        .store
        .upsert_document(
            collection.id,
            parent.map(|p| p.row_id),
            meta.foreign_id.as_deref(),
            file.map(|f| f.content_hash.as_str()),
        )
        .await?;
    if let Some(f) = file {
        blob_kept(state, &f.content_hash).await?;
    }
    let entity_id = Namespace::new(&collection.foreign_id)
        .sign(&row_id.to_string())
        .ok_or_else(|| ApiError::internal("cannot sign the document id"))?;
    let schema = if file.is_some() { "Document" } else { "Folder" };
    let mut entity = Entity::with_id(schema, entity_id.clone())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let file_name = meta
        .file_name
        .clone()
        .or_else(|| file.and_then(|f| f.declared_name.clone()))
        .or_else(|| {
            meta.foreign_id
                .as_deref()
                .map(|f| f.rsplit('/').next().unwrap_or(f).to_string())
        });
    let set = |entity: &mut Entity, prop: &str, value: &str| {
        entity
            .add(prop, value)
            .map_err(|e| ApiError::internal(e.to_string()))
    };
    if let Some(name) = &file_name {
        set(&mut entity, "fileName", name)?;
    }
    if let Some(mime) = &meta.mime_type {
        set(&mut entity, "mimeType", mime)?;
    }
    for (prop, value) in &meta.properties {
        set(&mut entity, prop, value)?;
    }
    let mut ancestors = Vec::new();
    if let Some(parent) = parent {
        ancestors.extend(parent.ancestors.iter().cloned());
        ancestors.push(parent.entity_id.clone());
        set(&mut entity, "parent", &parent.entity_id)?;
        for a in &ancestors {
            set(&mut entity, "ancestors", a)?;
        }
    }
    match file {
        Some(file) => {
            if !created {
                forget_stale_extraction(state, collection, &entity_id, &file.content_hash).await?;
            }
            entity
                .add_cleaned("contentHash", file.content_hash.clone())
                .and_then(|_| entity.add_cleaned("fileSize", file.size.to_string()))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let path = meta
                .foreign_id
                .clone()
                .or(file_name)
                .unwrap_or_else(|| entity_id.clone());
            let job = pipeline::ingest_job(collection.id, &entity_id, &path, index);
            // The document and its job in one commit: none without the other after a crash.
            state
                .store
                .put_fragments_and_enqueue(
                    collection.id,
                    ORIGIN_UPLOAD,
                    std::slice::from_ref(&entity),
                    std::slice::from_ref(&job),
                )
                .await?;
        }
        None => {
            // A folder's listing is its children, added one by one: it is processed as
            // soon as it exists.
            pipeline::stamp(&mut entity, "success")
                .map_err(|e| ApiError::internal(e.to_string()))?;
            write::write(
                &state.store,
                &state.index,
                collection.id,
                ORIGIN_UPLOAD,
                &[entity],
            )
            .await?;
        }
    }
    // Writing the fragments marked the collection's data as changed (`data_updated_at`).
    Ok(Added {
        row_id,
        entity_id,
        created,
        ancestors,
    })
}

/// When a document gets a file with other content, what was extracted from the old file
/// must not stay merged into it: the old `contentHash` would sit beside the new one (and
/// processing could pick the old file), the old text beside the new. The document's own
/// fragment under its ingest origin is emptied; the rest of that origin (pages, children)
/// stays until the new file is processed, which replaces the origin as a whole.
async fn forget_stale_extraction(
    state: &AppState,
    collection: &Collection,
    entity_id: &str,
    content_hash: &str,
) -> ApiResult<()> {
    let Some(stored) = state.store.entity(collection.id, entity_id).await? else {
        return Ok(());
    };
    if stored
        .entity
        .get("contentHash")
        .iter()
        .all(|h| h == content_hash)
    {
        return Ok(());
    }
    let origin = pipeline::ingest_origin(entity_id);
    if !stored.origins.iter().any(|o| o == &origin) {
        return Ok(());
    }
    let blank = Entity::with_id("Document", entity_id.to_string())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    state
        .store
        .put_fragments(collection.id, &origin, &[blank])
        .await?;
    Ok(())
}
