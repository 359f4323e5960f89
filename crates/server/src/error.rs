//! API errors: every failure is JSON `{"status": "error", "message": …}` with the right
//! HTTP status, never an HTML page and never a 500 for bad input.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Per-field validation messages (`{"dotted.path": "msg"}`), for 400s.
    pub errors: Option<Map<String, Value>>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            errors: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    /// A 400 that names the offending field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        let mut errors = Map::new();
        errors.insert(field.to_string(), Value::String(message.clone()));
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message,
            errors: Some(errors),
        }
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "You are not authorized to do this.")
    }
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "This path does not exist.")
    }
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, message = %self.message, "request failed");
        }
        let mut body = json!({"status": "error", "message": self.message});
        if let Some(errors) = self.errors {
            body["errors"] = Value::Object(errors);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<store::StoreError> for ApiError {
    fn from(err: store::StoreError) -> ApiError {
        use store::StoreError as E;
        match err {
            E::NotFound { .. } => ApiError::not_found(),
            conflict @ E::Conflict { .. } => ApiError::bad_request(conflict.to_string()),
            E::Invalid(msg) => ApiError::bad_request(msg),
            E::Unavailable(msg) => {
                ApiError::unavailable(format!("The database is not available: {msg}"))
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<index::IndexError> for ApiError {
    fn from(err: index::IndexError) -> ApiError {
        match err {
            // Refused only when the backend compiles the query (a pattern Tantivy's regular
            // expressions cannot run, a presence test on the full text, a query OpenSearch
            // answers with a 400): the caller's fault all the same.
            index::IndexError::Query(e) => ApiError::from(e),
            invalid @ index::IndexError::InvalidDocument { .. } => {
                ApiError::bad_request(invalid.to_string())
            }
            other => ApiError::internal(format!("search index error: {other}")),
        }
    }
}

impl From<index::QueryError> for ApiError {
    fn from(err: index::QueryError) -> ApiError {
        ApiError::bad_request(err.to_string())
    }
}

impl From<archive::ArchiveError> for ApiError {
    fn from(err: archive::ArchiveError) -> ApiError {
        match err {
            archive::ArchiveError::NotFound(_) => ApiError::not_found(),
            archive::ArchiveError::InvalidHash(h) => {
                ApiError::bad_request(format!("invalid content hash: {h}"))
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// Axum answers some bad requests itself, before a handler runs: a wrong method (405, empty
/// body), a body over the size limit (413), a path segment that is not UTF-8 (400), all in
/// plain text. Give them the API's JSON error shape, keeping the status and headers
/// (`Allow`).
pub async fn json_rejections(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Rejection texts are short; anything longer is cut, not buffered whole.
    let bytes = axum::body::to_bytes(body, 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_string()
    } else {
        text
    };
    let json = ApiError::new(status, message).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, json.into_body())
}

/// The 404 for any path we do not serve.
pub async fn fallback() -> ApiError {
    ApiError::not_found()
}
