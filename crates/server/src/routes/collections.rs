//! `/api/2/collections`: list, create, view, update, delete, touch, reindex.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ftm::{CleanOptions, PropertyType};
use index::{ReadScope, SearchQuery};
use serde_json::{Map, Value, json};
use store::{
    Access, Category, Collection, CollectionQuery, CollectionScope, CollectionSort,
    CollectionUpdate, DeleteMode, Frequency, NewCollection,
};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::serialize::Serializer;
use crate::services;
use crate::state::AppState;

/// Parse a collection id from the path; anything else is a 404, as Aleph answers.
pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| ApiError::not_found())
}

/// A live collection the caller can read (404 if missing, 403 if not readable).
pub async fn readable(state: &AppState, actor: &Actor, raw_id: &str) -> ApiResult<Collection> {
    let id = parse_id(raw_id)?;
    let collection = state.store.collection(id).await?;
    actor.check_read(collection.id)?;
    Ok(collection)
}

/// A live collection the caller can write.
pub async fn writable(state: &AppState, actor: &Actor, raw_id: &str) -> ApiResult<Collection> {
    let collection = readable(state, actor, raw_id).await?;
    actor.check_write(collection.id)?;
    Ok(collection)
}

/// Entity counts of `Thing`s per collection, from the index.
pub async fn thing_counts(
    state: &AppState,
    scope: &ReadScope,
    ids: &[i64],
) -> ApiResult<BTreeMap<i64, u64>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut params: Vec<(String, String)> = vec![
        ("filter:schemata".into(), "Thing".into()),
        ("facet".into(), "collection_id".into()),
        (
            "facet_size:collection_id".into(),
            ids.len().max(1).to_string(),
        ),
        ("limit".into(), "0".into()),
    ];
    params.extend(
        ids.iter()
            .map(|id| ("filter:collection_id".to_string(), id.to_string())),
    );
    let query = SearchQuery::from_params(&params)?;
    let facets = state.index.facets(scope, &query).await?;
    Ok(facets
        .get("collection_id")
        .and_then(|f| f.values.as_ref())
        .map(|values| {
            values
                .iter()
                .filter_map(|v| v.id.parse().ok().map(|id| (id, v.count)))
                .collect()
        })
        .unwrap_or_default())
}

/// What the index adds to a collection (its entity counts and statistics) when the index
/// can answer. The collection itself comes from the store, and clients find collections by
/// it (alephclient looks up a foreign id in the listing before every crawl), so an index
/// that cannot answer costs those figures (shown as empty), not the answer: the error is
/// logged. Counting from the store instead would read every fragment, too slow for a request.
fn without_index<T: Default>(what: &str, figures: ApiResult<T>) -> ApiResult<T> {
    match figures {
        Err(e) if e.status.is_server_error() => {
            tracing::warn!(
                "{what} without the index's figures: the index failed: {}",
                e.message
            );
            Ok(T::default())
        }
        other => other,
    }
}

/// The listing's entity counts (see [`without_index`]).
async fn listing_counts(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
) -> ApiResult<BTreeMap<i64, u64>> {
    without_index(
        "collection listing",
        thing_counts(state, &actor.scope(), ids).await,
    )
}

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let page = PageRequest::from_params(&params)?;
    let scope = if actor.is_admin {
        CollectionScope::All
    } else {
        CollectionScope::Only(actor.readable.iter().copied().collect())
    };
    let mut query = CollectionQuery::new(scope);
    query.limit = page.limit as u32;
    query.offset = page.offset as u64;
    query.foreign_id = params.get("filter:foreign_id").map(str::to_string);
    query.label_contains = params
        .get("q")
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty());
    query.label_prefix = params.get("prefix").map(str::to_string);
    if let Some(category) = params.get("filter:category") {
        query.category = Some(Category::parse(category));
    }
    if let Some(creator) = params.get("filter:creator_id") {
        query.creator_id = Some(
            creator
                .parse()
                .map_err(|_| ApiError::invalid("filter:creator_id", "not an integer"))?,
        );
    }
    query.sort = match params.get("sort") {
        None | Some("label") | Some("label:asc") | Some("score") => CollectionSort::LabelAsc,
        Some("label:desc") => CollectionSort::LabelDesc,
        Some("created_at") | Some("created_at:asc") => CollectionSort::CreatedAsc,
        Some("created_at:desc") => CollectionSort::CreatedDesc,
        Some("updated_at:desc") | Some("updated_at") => CollectionSort::UpdatedDesc,
        Some(other) => return Err(ApiError::invalid("sort", format!("cannot sort by {other}"))),
    };
    let listing = state.store.list_collections(&query).await?;
    let ids: Vec<i64> = listing.items.iter().map(|c| c.id).collect();
    let counts = listing_counts(&state, &actor, &ids).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    let mut results = Vec::with_capacity(listing.items.len());
    for c in &listing.items {
        results.push(ser.collection(c, counts.get(&c.id).copied()).await);
    }
    let mut body = Envelope {
        results,
        total: listing.total,
        page,
        path: "api/2/collections",
        params: &params,
        ui_url: &state.settings.ui_url,
    }
    .into_json();
    body.insert("facets".into(), json!({}));
    Ok(Json(body))
}

/// A request body as JSON, or as a form (Aleph accepts both for most writes).
pub fn body_object(headers: &HeaderMap, body: &Bytes) -> ApiResult<Map<String, Value>> {
    let is_form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let mut map = Map::new();
        for (k, v) in form_urlencoded::parse(body) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        return Ok(map);
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::bad_request(format!("Invalid JSON: {e}"))),
    }
}

fn text_field(body: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(ApiError::invalid(key, "must be a string")),
    }
}

fn bool_field(body: &Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => index::query::request::parse_bool(s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(key, "must be a boolean")),
        Some(_) => Err(ApiError::invalid(key, "must be a boolean")),
    }
}

/// A list of codes cleaned by an FtM type (`en` → `eng`, `usa` → `us`); unknown codes are
/// a validation error.
fn code_list(
    body: &Map<String, Value>,
    key: &str,
    t: PropertyType,
) -> ApiResult<Option<Vec<String>>> {
    let items: Vec<&Value> = match body.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v @ Value::String(_)) => vec![v],
        Some(_) => return Err(ApiError::invalid(key, "must be a list")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::String(raw) = item else {
            return Err(ApiError::invalid(key, "must be a list of strings"));
        };
        if raw.trim().is_empty() {
            continue;
        }
        let code = t
            .clean(raw, CleanOptions::default())
            .ok_or_else(|| ApiError::invalid(key, format!("invalid value: {raw:?}")))?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(Some(out))
}

fn category_field(body: &Map<String, Value>, actor: &Actor) -> ApiResult<Option<Category>> {
    let Some(raw) = text_field(body, "category")? else {
        return Ok(None);
    };
    if !Category::ALL.iter().any(|c| c.as_str() == raw) {
        return Err(ApiError::invalid(
            "category",
            format!("invalid category: {raw:?}"),
        ));
    }
    // Only admins choose a category; everyone else makes casefiles.
    Ok(Some(if actor.is_admin {
        Category::parse(&raw)
    } else {
        Category::Casefile
    }))
}

fn frequency_field(body: &Map<String, Value>) -> ApiResult<Option<Frequency>> {
    match text_field(body, "frequency")? {
        None => Ok(None),
        Some(raw) if Frequency::ALL.iter().any(|f| f.as_str() == raw) => {
            Ok(Some(Frequency::parse(&raw)))
        }
        Some(raw) => Err(ApiError::invalid(
            "frequency",
            format!("invalid frequency: {raw:?}"),
        )),
    }
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let user = actor.user()?.clone();
    let body = body_object(&headers, &body)?;
    let foreign_id = text_field(&body, "foreign_id")?
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| hex::encode(rand::random::<[u8; 16]>()));
    let label = text_field(&body, "label")?.unwrap_or_default();
    if label.is_empty() {
        return Err(ApiError::invalid("label", "A label is required."));
    }
    // `casefile` follows from the category; it is only checked, as Aleph's schema does.
    bool_field(&body, "casefile")?;
    let mut new = NewCollection::new(foreign_id, label);
    new.summary = text_field(&body, "summary")?;
    new.category = category_field(&body, &actor)?.unwrap_or(Category::Casefile);
    new.frequency = frequency_field(&body)?.unwrap_or_default();
    new.countries = code_list(&body, "countries", PropertyType::Country)?.unwrap_or_default();
    new.languages = code_list(&body, "languages", PropertyType::Language)?.unwrap_or_default();
    new.publisher = text_field(&body, "publisher")?;
    new.publisher_url = text_field(&body, "publisher_url")?;
    new.info_url = text_field(&body, "info_url")?;
    new.data_url = text_field(&body, "data_url")?;
    new.restricted = bool_field(&body, "restricted")?.unwrap_or(false);
    new.xref = bool_field(&body, "xref")?.unwrap_or(false);
    new.creator_id = Some(user.id);
    let collection = state.store.create_collection(new).await?;
    state.audit.record(
        actor
            .audit(store::AuditAction::CreateCollection)
            .collection(collection.id)
            .target(collection.foreign_id.clone()),
    );
    state
        .store
        .set_permission(collection.id, user.id, Access::Write)
        .await?;
    // The caller's rights changed: serialise with the new collection writable.
    let mut actor = actor;
    actor.readable.insert(collection.id);
    actor.writable.insert(collection.id);
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(deep(&state, &actor, &mut ser, &collection).await?))
}

/// The collection as `GET /collections/{id}` shows it: with statistics and status.
async fn deep(
    state: &AppState,
    actor: &Actor,
    ser: &mut Serializer<'_>,
    collection: &Collection,
) -> ApiResult<Value> {
    let scope = ReadScope::collections([collection.id]);
    let mut params: Vec<(String, String)> = vec![
        ("filter:collection_id".into(), collection.id.to_string()),
        ("limit".into(), "0".into()),
    ];
    for facet in [
        "schema",
        "countries",
        "languages",
        "names",
        "emails",
        "phones",
        "addresses",
    ] {
        params.push(("facet".into(), facet.into()));
        params.push((format!("facet_size:{facet}"), "50".into()));
        params.push((format!("facet_total:{facet}"), "true".into()));
    }
    let query = SearchQuery::from_params(&params)?;
    let facets = state
        .index
        .search(&scope, &query)
        .await
        .map(|result| result.facets)
        .map_err(ApiError::from);
    let facets = without_index("collection view", facets)?;
    let mut statistics = Map::new();
    for (name, facet) in &facets {
        let values: Map<String, Value> = facet
            .values
            .iter()
            .flatten()
            .map(|v| (v.id.clone(), json!(v.count)))
            .collect();
        statistics.insert(
            name.clone(),
            json!({"values": values, "total": facet.total.unwrap_or(values.len() as u64)}),
        );
    }
    let counts = without_index(
        "collection view",
        thing_counts(state, &actor.scope(), &[collection.id]).await,
    )?;
    let mut value = ser
        .collection(collection, counts.get(&collection.id).copied())
        .await;
    value["statistics"] = Value::Object(statistics);
    value["counts"] = json!({});
    value["status"] = services::status::collection_status(state, collection.id).await?;
    value["shallow"] = json!(false);
    Ok(value)
}

pub async fn view(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let collection = readable(&state, &actor, &id).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(deep(&state, &actor, &mut ser, &collection).await?))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let collection = writable(&state, &actor, &id).await?;
    let body = body_object(&headers, &body)?;
    let mut update = CollectionUpdate::default();
    if let Some(label) = text_field(&body, "label")? {
        if label.is_empty() {
            return Err(ApiError::invalid("label", "A label is required."));
        }
        update.label = Some(label);
    }
    update.summary = text_field(&body, "summary")?;
    bool_field(&body, "casefile")?;
    update.category = category_field(&body, &actor)?.filter(|_| actor.is_admin);
    update.frequency = frequency_field(&body)?;
    update.countries = code_list(&body, "countries", PropertyType::Country)?;
    update.languages = code_list(&body, "languages", PropertyType::Language)?;
    update.publisher = text_field(&body, "publisher")?;
    update.publisher_url = text_field(&body, "publisher_url")?;
    update.info_url = text_field(&body, "info_url")?;
    update.data_url = text_field(&body, "data_url")?;
    update.restricted = bool_field(&body, "restricted")?;
    update.xref = bool_field(&body, "xref")?;
    let collection = state.store.update_collection(collection.id, update).await?;
    let mut ser = Serializer::new(&state, &actor).await?;
    Ok(Json(deep(&state, &actor, &mut ser, &collection).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let collection = writable(&state, &actor, &id).await?;
    let keep_metadata = params.bool("keep_metadata", false)?;
    // Aleph's `sync` flag: the collection is gone from every read when we answer either
    // way, so the flag is only checked.
    params.bool("sync", false)?;
    let job = if keep_metadata {
        // Emptying a collection that stays: its contents go in this request.
        state
            .store
            .delete_collection(collection.id, DeleteMode::Contents)
            .await?;
        let purge = services::purge::PurgeOptions::from_env();
        services::purge::purge_index(&*state.index, collection.id, &purge).await?;
        None
    } else {
        // Retired at once; a worker purges the index, archive and store in the background.
        Some(
            state
                .store
                .retire_collection(collection.id, actor.id())
                .await?,
        )
    };
    state.audit.record(
        actor
            .audit(store::AuditAction::DeleteCollection)
            .collection(collection.id)
            .target(collection.foreign_id.clone())
            .detail(json!({"keep_metadata": keep_metadata, "purge_job": job})),
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn touch(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    actor.check_admin()?;
    let collection = readable(&state, &actor, &id).await?;
    state.store.touch_collection(collection.id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response())
}

pub async fn reindex(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let collection = writable(&state, &actor, &id).await?;
    let flush = params.bool("flush", false)?;
    services::reindex::collection(&state.store, &state.index, collection.id, flush).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response())
}
