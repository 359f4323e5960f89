//! `GET /api/openapi.json`: the API described for clients and fuzzers. The document is
//! maintained by hand beside [`router`](super::router); a test checks that every route is in
//! it, so the two cannot drift apart.

use axum::http::header;
use axum::response::IntoResponse;

/// The OpenAPI document, embedded at build time.
pub const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
