//! `POST /api/2/collections/{id}/ingest`: upload a file (multipart) or create a folder
//! (form with `meta` only), as alephclient's `crawldir` does.
//!
//! The file is streamed into the archive (never held in memory), a document row gives it a
//! stable integer id (upserted by parent + foreign_id, so a re-upload updates the same
//! document), its `Document` entity is written, and an `ingest` job is queued. Folders have
//! nothing to process: they are written and indexed at once.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ftm::{CleanOptions, Entity, Namespace, PropertyType};
use futures_util::TryStreamExt;
use serde_json::{Map, Value, json};
use store::Collection;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::routes::collections::writable;
use crate::services::entities as write;
use crate::services::pipeline;
use crate::state::AppState;

/// The origin of the fragment an upload writes (the file's metadata as uploaded).
pub const ORIGIN_UPLOAD: &str = "upload";

/// The upload's `meta`, checked.
#[derive(Debug, Default)]
pub struct Meta {
    pub file_name: Option<String>,
    pub foreign_id: Option<String>,
    pub mime_type: Option<String>,
    pub parent_id: Option<String>,
    /// Entity properties taken from `meta` (title, author, languages…), already cleaned.
    pub properties: Vec<(&'static str, String)>,
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
    match meta.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ApiError::invalid(
                    &format!("meta.{key}"),
                    "must be a list of strings",
                )),
            })
            .collect(),
        Some(_) => Err(ApiError::invalid(
            &format!("meta.{key}"),
            "must be a list of strings",
        )),
    }
}

impl Meta {
    pub fn parse(raw: Option<&str>) -> ApiResult<Meta> {
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
            ..Meta::default()
        };
        meta.parent_id = match object.get("parent_id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => string_or_none(&object, "parent_id")?,
        };
        if meta.parent_id.is_none() {
            meta.parent_id = match object.get("parent").and_then(|p| p.get("id")) {
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
        Ok(meta)
    }
}

/// What the request carried.
struct Upload {
    meta: Meta,
    /// `(content hash, size)` of the file, if there was one.
    file: Option<(String, u64, Option<String>)>,
}

/// Read the request body: multipart with `meta` and file parts, or a form with `meta`.
async fn read_upload(state: &AppState, request: Request) -> ApiResult<Upload> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid multipart body: {e}")))?;
        let mut meta_raw: Option<String> = None;
        let mut file = None;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return Err(multipart_error(e)),
            };
            let is_meta = field.name() == Some("meta") && field.file_name().is_none();
            if is_meta {
                meta_raw = Some(field.text().await.map_err(multipart_error)?);
                continue;
            }
            if field.file_name().is_none() {
                // Neither meta nor a file: ignored, as in Aleph.
                continue;
            }
            let declared = field.file_name().map(str::to_string);
            let stream = field.map_err(|e| std::io::Error::other(e.to_string()));
            let mut reader = tokio_util::io::StreamReader::new(stream);
            let (hash, size) = state.archive.put_stream(&mut reader).await.map_err(|e| {
                // A body-limit error surfaces here while streaming.
                if e.to_string().contains("length limit") {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "The upload is too large.")
                } else {
                    ApiError::from(e)
                }
            })?;
            // Only the last file part is kept, as in Aleph.
            file = Some((hash, size, declared));
        }
        return Ok(Upload {
            meta: Meta::parse(meta_raw.as_deref())?,
            file,
        });
    }
    let bytes = axum::body::Bytes::from_request(request, state)
        .await
        .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    let meta_raw = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "meta")
        .map(|(_, v)| v.into_owned());
    Ok(Upload {
        meta: Meta::parse(meta_raw.as_deref())?,
        file: None,
    })
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "The upload is too large.")
    } else {
        ApiError::bad_request(format!("invalid multipart body: {}", e.body_text()))
    }
}

pub async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
    request: Request,
) -> ApiResult<Response> {
    actor.user()?;
    let collection = writable(&state, &actor, &id).await?;
    let index = params.bool("index", true)?;
    let upload = read_upload(&state, request).await?;
    let Upload { meta, file } = upload;
    if file.is_none() && meta.foreign_id.is_none() {
        return Err(ApiError::bad_request(
            "Directories need to have a foreign_id",
        ));
    }
    let namespace = Namespace::new(&collection.foreign_id);
    let parent = resolve_parent(&state, &collection, meta.parent_id.as_deref()).await?;
    let content_hash = file.as_ref().map(|(h, _, _)| h.as_str());
    let (doc_id, _created) = state
        .store
        .upsert_document(
            collection.id,
            parent.as_ref().map(|p| p.0),
            meta.foreign_id.as_deref(),
            content_hash,
        )
        .await?;
    let entity_id = namespace
        .sign(&doc_id.to_string())
        .ok_or_else(|| ApiError::internal("cannot sign the document id"))?;
    let schema = if file.is_some() { "Document" } else { "Folder" };
    let mut entity = Entity::with_id(schema, entity_id.clone())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let file_name = meta
        .file_name
        .clone()
        .or_else(|| file.as_ref().and_then(|(_, _, n)| n.clone()))
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
    if let Some((parent_entity_id, ancestors)) = parent.as_ref().map(|p| (&p.1, &p.2)) {
        set(&mut entity, "parent", parent_entity_id)?;
        for a in ancestors {
            set(&mut entity, "ancestors", a)?;
        }
        set(&mut entity, "ancestors", parent_entity_id)?;
    }
    match &file {
        Some((hash, size, _)) => {
            entity
                .add_cleaned("contentHash", hash.clone())
                .and_then(|_| entity.add_cleaned("fileSize", size.to_string()))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            state
                .store
                .put_fragments(collection.id, ORIGIN_UPLOAD, std::slice::from_ref(&entity))
                .await?;
            let path = meta
                .foreign_id
                .clone()
                .or(file_name.clone())
                .unwrap_or_else(|| entity_id.clone());
            pipeline::enqueue_ingest(&state.store, collection.id, &entity_id, &path, index).await?;
        }
        None => {
            // A folder's listing is its children, uploaded one by one: it is processed
            // as soon as it exists.
            entity
                .add_cleaned("processingStatus", "success")
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
    state.store.touch_collection(collection.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"status": "ok", "id": entity_id})),
    )
        .into_response())
}

/// The parent document named by `parent_id` (signed or not): its row id, entity id and
/// ancestors. 400 "Cannot load parent document" when it is not in this collection.
async fn resolve_parent(
    state: &AppState,
    collection: &Collection,
    raw: Option<&str>,
) -> ApiResult<Option<(i64, String, Vec<String>)>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
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
    Ok(Some((row_id, entity_id, ancestors)))
}
