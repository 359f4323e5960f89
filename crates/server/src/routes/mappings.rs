//! A collection's mappings: saved mapping queries over its tables, their runs and the
//! removal of what they wrote. The work is in [`crate::services::table_mappings`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use store::MappingQuery;

use super::collections::{
    body_object, readable as readable_collection, writable as writable_collection,
};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::serialize::Serializer;
use crate::services::table_mappings::{self, mapping_json, readable, writable};
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let collection = readable_collection(&state, &actor, &id).await?;
    let page = PageRequest::from_params(&params)?;
    let query = MappingQuery {
        collection_id: collection.id,
        table_id: params
            .get("filter:table")
            .or_else(|| params.get("filter:table_id"))
            .map(|t| t.trim().to_string()),
        limit: page.limit as u32,
        offset: page.offset as u64,
    };
    let listing = state.store.list_mappings(&query).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    let mut results = Vec::with_capacity(listing.items.len());
    for mapping in &listing.items {
        results.push(mapping_json(&state, &mut ser, &actor, mapping).await);
    }
    let path = format!("api/2/collections/{}/mappings", collection.id);
    Ok(Json(
        Envelope {
            results,
            total: listing.total,
            page,
            path: &path,
            params: &params,
            ui_url: &state.settings.ui_url,
        }
        .into_json(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    actor.user()?;
    let collection = writable_collection(&state, &actor, &id).await?;
    let body = body_object(&headers, &body)?;
    let new = table_mappings::parse_create(&state, &collection, &actor, &body).await?;
    let mapping = state.store.create_mapping(new).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(mapping_json(&state, &mut ser, &actor, &mapping).await))
}

pub async fn view(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let collection = readable_collection(&state, &actor, &id).await?;
    let mapping = readable(&state, &actor, collection.id, &mid).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(mapping_json(&state, &mut ser, &actor, &mapping).await))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let collection = readable_collection(&state, &actor, &id).await?;
    let mapping = writable(&state, &actor, collection.id, &mid).await?;
    let body = body_object(&headers, &body)?;
    let change = table_mappings::parse_create(&state, &collection, &actor, &body).await?;
    let mapping = state.store.update_mapping(mapping.id, change).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(mapping_json(&state, &mut ser, &actor, &mapping).await))
}

/// Remove what the mapping wrote, then the mapping.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let collection = readable_collection(&state, &actor, &id).await?;
    let mapping = writable(&state, &actor, collection.id, &mid).await?;
    table_mappings::flush(&state, collection.id, mapping.id).await?;
    state.store.delete_mapping(mapping.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn trigger(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let collection = readable_collection(&state, &actor, &id).await?;
    let mapping = writable(&state, &actor, collection.id, &mid).await?;
    table_mappings::trigger(&state, &mapping).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

pub async fn flush(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let collection = readable_collection(&state, &actor, &id).await?;
    let mapping = writable(&state, &actor, collection.id, &mid).await?;
    table_mappings::queue_flush(&state, collection.id, mapping.id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
