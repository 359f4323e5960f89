//! `/api/2/exports` (a user's exports), `POST /api/2/search/export` and
//! `POST /api/2/collections/{id}/xref.xlsx`: requests answer 202 at once with the pending
//! export; the work is in [`crate::services::exports`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::collections::parse_id;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::services::exports;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let user = actor.logged_in_user()?;
    let page = PageRequest::from_params(&params)?;
    let listing = state
        .store
        .list_exports(user.id, page.limit as u32, page.offset as u64)
        .await?;
    let results = listing
        .items
        .iter()
        .map(|e| exports::export_json(&state, e))
        .collect();
    Ok(Json(
        Envelope {
            results,
            total: listing.total,
            page,
            path: "api/2/exports",
            params: &params,
            ui_url: &state.settings.ui_url,
        }
        .into_json(),
    ))
}

/// `POST /api/2/search/export`: the search's parameters in the query string or as form
/// fields, as for `POST /api/2/search`.
pub async fn search_export(
    State(state): State<AppState>,
    actor: Actor,
    mut params: Params,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    for (k, v) in form_urlencoded::parse(&body) {
        params.push(&k, &v);
    }
    let export = exports::request_search(&state, &actor, &params).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(exports::export_json(&state, &export)),
    ))
}

pub async fn xref_export(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = state.store.collection(parse_id(&id)?).await?.id;
    let export = exports::request_xref(&state, &actor, id, &params).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(exports::export_json(&state, &export)),
    ))
}
