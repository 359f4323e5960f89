//! Cross-referencing: results of a collection's xref, queueing a run, the spreadsheet
//! export, pair decisions, profiles and query by example. The work is in
//! [`crate::services::xref`].

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::collections::parse_id;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::services::xref;
use crate::state::AppState;

/// A JSON body; an empty one is `{}`.
fn json_body(body: &Bytes) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
}

/// A live collection's id, or a 404.
async fn live(state: &AppState, raw: &str) -> ApiResult<i64> {
    Ok(state.store.collection(parse_id(raw)?).await?.id)
}

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let id = live(&state, &id).await?;
    Ok(Json(xref::list(&state, &actor, id, &params).await?))
}

pub async fn trigger(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = live(&state, &id).await?;
    let body = json_body(&body)?;
    let accepted = xref::trigger(&state, &actor, id, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let id = live(&state, &id).await?;
    // The workbook is written to a temporary file and streamed from it: the file stays
    // readable through its open handle after the directory is removed.
    let io = |e: std::io::Error| ApiError::internal(format!("xref export: {e}"));
    let dir = tempfile::tempdir().map_err(io)?;
    let path = dir.path().join("xref.xlsx");
    xref::export_xlsx(&state, &actor, id, &params, &path).await?;
    let file = tokio::fs::File::open(&path).await.map_err(io)?;
    let size = file.metadata().await.map_err(io)?.len();
    drop(dir);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"xref-{id}.xlsx\""),
            ),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        body,
    )
        .into_response())
}

pub async fn pairwise(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&body)?;
    Ok(Json(xref::decide(&state, &actor, &body).await?))
}

pub async fn profile(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(xref::profile(&state, &actor, &id).await?))
}

pub async fn similar(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    Ok(Json(xref::similar(&state, &actor, &id, &params).await?))
}

pub async fn expand(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    Ok(Json(xref::expand(&state, &actor, &id, &params).await?))
}

pub async fn match_entity(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
    body: Bytes,
) -> ApiResult<Json<Map<String, Value>>> {
    let body = json_body(&body)?;
    Ok(Json(
        xref::match_entity(&state, &actor, &params, &body).await?,
    ))
}
