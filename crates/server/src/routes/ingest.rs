//! `POST /api/2/collections/{id}/ingest`: upload a file (multipart) or create a folder
//! (form with `meta` only), as alephclient's `crawldir` does.
//!
//! The handler reads the request: the file part is streamed into the archive (never held in
//! memory) as it arrives. Everything else (the document row, the entity, the `ingest` job)
//! is [`services::upload`](crate::services::upload), shared with `aleph crawldir`.

use std::sync::Mutex;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::routes::collections::writable;
use crate::services::upload::{self, ArchivedFile, Content, UploadMeta};
use crate::state::AppState;

pub use crate::services::upload::ORIGIN_UPLOAD;

/// What the request carried.
struct Upload {
    meta: UploadMeta,
    /// The file, already in the archive, if there was one.
    file: Option<ArchivedFile>,
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
            // A body cut off or over the size limit fails inside the archive write, as an
            // I/O error; the multipart error itself is kept aside, so that the answer is
            // the client's 400 or 413 and not an archive failure.
            let body_error: Mutex<Option<ApiError>> = Mutex::new(None);
            let stream = field.map_err(|e| {
                let text = e.body_text();
                if let Ok(mut slot) = body_error.lock() {
                    slot.get_or_insert(multipart_error(e));
                }
                std::io::Error::other(text)
            });
            let mut reader = tokio_util::io::StreamReader::new(stream);
            let archived = upload::archive_reader(state, &mut reader, declared).await;
            drop(reader);
            let client_fault = body_error.into_inner().ok().flatten();
            let archived = match (archived, client_fault) {
                (Ok(archived), _) => archived,
                (Err(_), Some(fault)) => return Err(fault),
                (Err(e), None) => return Err(ApiError::from(e)),
            };
            // Only the last file part is kept, as in Aleph.
            file = Some(archived);
        }
        return Ok(Upload {
            meta: UploadMeta::parse(meta_raw.as_deref())?,
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
        meta: UploadMeta::parse(meta_raw.as_deref())?,
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
    let Upload { meta, file } = read_upload(&state, request).await?;
    let is_file = file.is_some();
    let content = file.map_or(Content::Folder, Content::File);
    let added = upload::add(&state, &collection, &meta, content, index).await?;
    if is_file {
        let params = json!({"document": added.entity_id})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let told = crate::services::notifications::upload_event(
            &state.store,
            collection.id,
            actor.id(),
            params,
            state.settings.upload_burst,
        )
        .await;
        if let Err(e) = told {
            tracing::warn!(
                collection.id,
                "cannot notify about an upload: {}",
                e.message
            );
        }
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({"status": "ok", "id": added.entity_id})),
    )
        .into_response())
}
