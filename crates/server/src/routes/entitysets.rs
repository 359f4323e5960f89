//! `/api/2/entitysets`: lists, diagrams, timelines, bookmarks and profiles; their items,
//! their entities as a search, and their export as FtM JSON lines.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use index::SearchQuery;
use serde_json::{Map, Value, json};
use store::{
    EntitySet, EntitySetQuery, EntitySetType, EntitySetUpdate, Judgement, NewEntitySet,
    NewEntitySetItem,
};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::routes::collections::body_object;
use crate::routes::entities::{facet_json, nested_entities};
use crate::serialize::{EntityView, Serializer};
use crate::services::entities::{self as write, ORIGIN_API, WriteOptions};
use crate::services::entitysets::{
    self as sets, find_entities, items_json, member_ids, readable, set_json, writable,
};
use crate::state::AppState;

/// Parameters that belong to HTTP or to the paging envelope, not to the search.
const NOT_SEARCH: [&str; 4] = ["api_key", "_", "offset", "limit"];

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let page = PageRequest::from_params(&params)?;
    let mut collections: Option<Vec<i64>> =
        (!actor.is_admin).then(|| actor.readable.iter().copied().collect());
    let wanted = params.all("filter:collection_id");
    if !wanted.is_empty() {
        let ids = wanted
            .iter()
            .map(|v| v.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::invalid("filter:collection_id", "not a collection id"))?;
        collections = Some(ids.into_iter().filter(|id| actor.can_read(*id)).collect());
    }
    let mut query = EntitySetQuery::new(collections);
    query.kinds = params
        .all("filter:type")
        .into_iter()
        .map(|t| {
            EntitySetType::parse(t.trim()).ok_or_else(|| {
                ApiError::invalid("filter:type", format!("unknown entity set type: {t}"))
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    query.label_prefix = params.get("prefix").map(str::to_string);
    query.limit = page.limit as u32;
    query.offset = page.offset as u64;
    let listing = state.store.list_entitysets(&query).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    let mut results = Vec::with_capacity(listing.items.len());
    for set in &listing.items {
        results.push(set_json(&state, &mut ser, &actor, set).await);
    }
    Ok(Json(
        Envelope {
            results,
            total: listing.total,
            page,
            path: "api/2/entitysets",
            params: &params,
            ui_url: &state.settings.ui_url,
        }
        .into_json(),
    ))
}

fn text(body: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(key, "must be a string")),
    }
}

fn id_field(body: &Map<String, Value>, key: &str) -> ApiResult<Option<i64>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(key, "not an id")),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid(key, "not an id")),
        Some(_) => Err(ApiError::invalid(key, "not an id")),
    }
}

/// A layout: a JSON object, or (from a form) a string holding one.
fn layout(body: &Map<String, Value>) -> ApiResult<Option<Map<String, Value>>> {
    match body.get("layout") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(Map::new())),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(ApiError::invalid("layout", "must be a JSON object")),
        },
        Some(_) => Err(ApiError::invalid("layout", "must be a JSON object")),
    }
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let user = actor.user()?.clone();
    let body = body_object(&headers, &body)?;
    let collection_id = id_field(&body, "collection_id")?
        .ok_or_else(|| ApiError::invalid("collection_id", "A collection is required."))?;
    let collection = state.store.collection(collection_id).await?;
    actor.check_read(collection.id)?;
    actor.check_write(collection.id)?;
    let kind = match text(&body, "type")? {
        Some(t) => EntitySetType::parse(t.trim())
            .ok_or_else(|| ApiError::invalid("type", format!("unknown entity set type: {t}")))?,
        None => return Err(ApiError::invalid("type", "A type is required.")),
    };
    let label = text(&body, "label")?
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("label", "A label is required."))?;
    let mut new = NewEntitySet::new(collection.id, kind, label);
    new.role_id = Some(user.id);
    new.summary = text(&body, "summary")?;
    new.layout = layout(&body)?.unwrap_or_default();
    let members = match body.get("entities") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(ApiError::invalid("entities", "must be a list")),
    };
    // Check the members before anything is written.
    let members = resolve_members(&state, &actor, &collection, members).await?;
    let set = state.store.create_entityset(new).await?;
    add_members(&state, &actor, &set, members).await?;
    let set = state.store.entityset(set.id).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    let value = set_json(&state, &mut ser, &actor, &set).await;
    Ok((StatusCode::OK, Json(value)).into_response())
}

/// The entities a request adds to a set: existing ones by id (in any collection the
/// caller can read), new or changed ones as FtM objects written into the set's collection.
enum Member {
    Existing { id: String, collection_id: i64 },
    New(Box<ftm::Entity>),
}

async fn resolve_members(
    state: &AppState,
    actor: &Actor,
    collection: &store::Collection,
    raw: Vec<Value>,
) -> ApiResult<Vec<Member>> {
    let mut members = Vec::with_capacity(raw.len());
    let mut lookups: Vec<(usize, String)> = Vec::new();
    for (i, value) in raw.into_iter().enumerate() {
        let id = match &value {
            Value::String(id) => Some(id.clone()),
            Value::Object(map) if !map.contains_key("schema") => {
                map.get("id").and_then(Value::as_str).map(str::to_string)
            }
            Value::Object(_) => None,
            _ => return Err(ApiError::invalid(&format!("entities.{i}"), "not an entity")),
        };
        match id {
            Some(id) => {
                lookups.push((members.len(), id.clone()));
                members.push(Member::Existing {
                    id,
                    collection_id: 0,
                });
            }
            None => {
                actor.check_write(collection.id)?;
                // A new entity drawn in a diagram may come without an id: give it one.
                let mut value = value;
                if let Value::Object(map) = &mut value
                    && map
                        .get("id")
                        .and_then(Value::as_str)
                        .is_none_or(|id| id.trim().is_empty())
                {
                    map.insert("id".into(), json!(hex::encode(rand::random::<[u8; 20]>())));
                }
                let opts = WriteOptions {
                    origin: ORIGIN_API,
                    clean: true,
                    safe: true,
                    sign_references: true,
                };
                members.push(Member::New(Box::new(write::prepare(
                    collection, value, &opts, i,
                )?)));
            }
        }
    }
    let ids: Vec<String> = lookups.iter().map(|(_, id)| id.clone()).collect();
    let found = find_entities(state, &actor.scope(), &ids).await?;
    for (slot, id) in lookups {
        let view = found
            .get(&id)
            .ok_or_else(|| ApiError::invalid("entities", format!("no such entity: {id}")))?;
        if let Some(Member::Existing { collection_id, .. }) = members.get_mut(slot) {
            *collection_id = view.collection_id;
        }
    }
    Ok(members)
}

async fn add_members(
    state: &AppState,
    actor: &Actor,
    set: &EntitySet,
    members: Vec<Member>,
) -> ApiResult<Vec<String>> {
    let mut new = Vec::new();
    let mut items = Vec::new();
    for member in members {
        match member {
            Member::Existing { id, collection_id } => items.push((id, collection_id)),
            Member::New(entity) => new.push(*entity),
        }
    }
    if !new.is_empty() {
        let ids = write::write(
            &state.store,
            &state.index,
            set.collection_id,
            ORIGIN_API,
            &new,
        )
        .await?;
        state.store.touch_collection(set.collection_id).await?;
        items.extend(ids.into_iter().map(|id| (id, set.collection_id)));
    }
    let mut added = Vec::with_capacity(items.len());
    for (entity_id, collection_id) in items {
        state
            .store
            .judge_entityset_item(
                set.id,
                NewEntitySetItem {
                    entity_id: entity_id.clone(),
                    collection_id,
                    judgement: Judgement::Positive,
                    compared_to_entity_id: None,
                    added_by_id: actor.id(),
                },
            )
            .await?;
        added.push(entity_id);
    }
    Ok(added)
}

pub async fn view(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let set = readable(&state, &actor, &id).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    let mut value = set_json(&state, &mut ser, &actor, &set).await;
    value["shallow"] = json!(false);
    Ok(Json(value))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let set = writable(&state, &actor, &id).await?;
    let body = body_object(&headers, &body)?;
    let update = EntitySetUpdate {
        label: text(&body, "label")?,
        summary: body
            .contains_key("summary")
            .then(|| text(&body, "summary"))
            .transpose()?,
        layout: layout(&body)?,
    };
    let set = state.store.update_entityset(set.id, update).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(set_json(&state, &mut ser, &actor, &set).await))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let set = writable(&state, &actor, &id).await?;
    state.store.delete_entityset(set.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /entitysets/{id}/entities`: a search restricted to the set's readable members.
pub async fn entities(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let set = readable(&state, &actor, &id).await?;
    let page = PageRequest::from_params(&params)?;
    let path = format!("api/2/entitysets/{}/entities", set.id);
    let ids = member_ids(&state, &actor, set.id).await?;
    let mut search_params = params.without(&NOT_SEARCH);
    search_params.push("offset", &page.offset.to_string());
    search_params.push("limit", &page.limit.to_string());
    for id in &ids {
        search_params.push("filter:id", id);
    }
    let (results, total, facets) = if ids.is_empty() {
        (Vec::new(), 0, json!({}))
    } else {
        let query = SearchQuery::from_params(&search_params.0)?;
        let result = state.index.search(&actor.scope(), &query).await?;
        let views: Vec<EntityView> = result.hits.into_iter().map(EntityView::from_hit).collect();
        let nested = nested_entities(&state, &actor, &views).await?;
        let mut ser = Serializer::new(&state, &actor).await?;
        let mut results = Vec::with_capacity(views.len());
        for view in &views {
            results.push(ser.entity(view, &nested).await);
        }
        let facets = facet_json(&state, &actor, &result.facets).await;
        (results, result.total, facets)
    };
    let mut body = Envelope {
        results,
        total,
        page,
        path: &path,
        params: &params,
        ui_url: &state.settings.ui_url,
    }
    .into_json();
    body.insert("facets".into(), facets);
    body.insert(
        "query_text".into(),
        json!(params.get("q").unwrap_or_default()),
    );
    Ok(Json(body))
}

/// `POST /entitysets/{id}/entities`: write an entity into the set's collection and add it.
pub async fn add_entity(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let set = writable(&state, &actor, &id).await?;
    let collection = state.store.collection(set.collection_id).await?;
    let body = body_object(&headers, &body)?;
    let member = resolve_members(&state, &actor, &collection, vec![Value::Object(body)]).await?;
    let added = add_members(&state, &actor, &set, member).await?;
    let entity_id = added
        .first()
        .ok_or_else(|| ApiError::internal("entity was not added"))?;
    let found = find_entities(&state, &actor.scope(), std::slice::from_ref(entity_id)).await?;
    let view = found.get(entity_id).ok_or_else(ApiError::not_found)?;
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(ser.entity(view, &HashMap::new()).await))
}

pub async fn items(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let set = readable(&state, &actor, &id).await?;
    let page = PageRequest::from_params(&params)?;
    // Items the caller cannot read count for nothing, in the total as in the page, so the
    // set is paged after filtering (sets are small next to collections).
    let visible: Vec<_> = sets::all_items(&state, set.id)
        .await?
        .into_iter()
        .filter(|i| actor.can_read(i.collection_id))
        .collect();
    let total = visible.len() as u64;
    let slice: Vec<_> = visible
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .collect();
    let results = items_json(&state, &actor, &set, &slice).await?;
    let path = format!("api/2/entitysets/{}/items", set.id);
    Ok(Json(
        Envelope {
            results,
            total,
            page,
            path: &path,
            params: &params,
            ui_url: &state.settings.ui_url,
        }
        .into_json(),
    ))
}

/// `POST /entitysets/{id}/items`: add an entity or judge it again; `no_judgement` removes
/// it (204).
pub async fn judge_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let set = writable(&state, &actor, &id).await?;
    let body = body_object(&headers, &body)?;
    let entity_id = text(&body, "entity_id")?
        .or_else(|| {
            body.get("entity")
                .and_then(|e| e.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("entity_id", "An entity is required."))?;
    let judgement = match text(&body, "judgement")? {
        None => Judgement::Positive,
        Some(j) => Judgement::parse(j.trim())
            .ok_or_else(|| ApiError::invalid("judgement", format!("unknown judgement: {j}")))?,
    };
    let compared_to_entity_id = text(&body, "compared_to_entity_id")?.filter(|s| !s.is_empty());
    let found = find_entities(&state, &actor.scope(), std::slice::from_ref(&entity_id)).await?;
    let collection_id = match (found.get(&entity_id), judgement) {
        (Some(view), _) => view.collection_id,
        // An entity gone from the index can still be taken out of the set.
        (None, Judgement::NoJudgement) => set.collection_id,
        (None, _) => return Err(ApiError::not_found()),
    };
    let judged_id = entity_id.clone();
    let compared_to = compared_to_entity_id.clone();
    let item = state
        .store
        .judge_entityset_item(
            set.id,
            NewEntitySetItem {
                entity_id,
                collection_id,
                judgement,
                compared_to_entity_id,
                added_by_id: actor.id(),
            },
        )
        .await?;
    // A profile's items are xref decisions too: the pairs they make are recorded.
    crate::services::xref::profile_item_judged(
        &state,
        &actor,
        &set,
        collection_id,
        &judged_id,
        judgement,
        compared_to.as_deref(),
    )
    .await?;
    match item {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(item) => {
            let mut values = items_json(&state, &actor, &set, std::slice::from_ref(&item)).await?;
            let value = values.pop().unwrap_or(Value::Null);
            Ok(Json(value).into_response())
        }
    }
}

/// `GET /entitysets/{id}/_stream`: the set's readable members as FtM JSON lines.
pub async fn stream(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let set = readable(&state, &actor, &id).await?;
    let body = sets::export_lines(&state, &actor, set.id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"entityset-{}.ftm.json\"", set.id),
            ),
        ],
        body,
    )
        .into_response())
}
