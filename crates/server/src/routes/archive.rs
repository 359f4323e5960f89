//! `GET /api/2/archive?token=…`: a file download authorised by its token alone.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use tokio_util::io::ReaderStream;

use store::{AuditAction, NewAuditEntry};

use crate::audit::ClientAddress;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;
use crate::tokens;

pub async fn download(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    params: Params,
) -> ApiResult<Response> {
    let token = params
        .get("token")
        .ok_or_else(|| ApiError::unauthorized("A download token is required."))?;
    let claims = tokens::verify(
        &state.settings.secret_key,
        token,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|e| ApiError::unauthorized(format!("Invalid download token: {e}.")))?;
    let size = state.archive.size(&claims.c).await?;
    let reader = state.archive.open(&claims.c).await?;
    let mut entry = NewAuditEntry::new(AuditAction::Download, claims.r)
        .target(claims.c.clone())
        .address(address);
    if let Some(name) = &claims.f {
        entry = entry.detail(serde_json::json!({"file_name": name}));
    }
    state.audit.record(entry);
    // The type comes from entity data a user can write; one a header cannot carry is dropped.
    let mime = claims
        .m
        .as_deref()
        .and_then(|m| header::HeaderValue::from_str(m).ok())
        .unwrap_or(header::HeaderValue::from_static("application/octet-stream"));
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::CONTENT_LENGTH, size);
    if let Some(name) = &claims.f {
        response = response.header(header::CONTENT_DISPOSITION, content_disposition(name));
    }
    response
        .body(Body::from_stream(ReaderStream::new(reader)))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `attachment; filename="…"; filename*=UTF-8''…` — an ASCII fallback and the exact name
/// (a header value must be visible ASCII; names come from users and may be anything).
pub(crate) fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}
