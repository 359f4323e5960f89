//! `/api/2/entities` and `/api/2/search`: search, view, create, update, delete.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ftm::{Namespace, PropertyType};
use index::{FacetResult, ReadScope, SearchQuery};
use serde_json::{Map, Value, json};
use store::{AuditAction, Collection};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::routes::collections::body_object;
use crate::serialize::{EntityView, Serializer};
use crate::services::entities::{self as write, ORIGIN_API, WriteOptions};
use crate::state::AppState;

/// Parameters that belong to HTTP or to the paging envelope, not to the search.
const NOT_SEARCH: [&str; 4] = ["api_key", "_", "offset", "limit"];

pub async fn search(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    run_search(&state, &actor, params, "api/2/entities")
        .await
        .map(Json)
}

/// `POST /api/2/search`: form fields count as query arguments.
pub async fn search_post(
    State(state): State<AppState>,
    actor: Actor,
    mut params: Params,
    body: Bytes,
) -> ApiResult<Json<Map<String, Value>>> {
    for (k, v) in form_urlencoded::parse(&body) {
        params.push(&k, &v);
    }
    run_search(&state, &actor, params, "api/2/search")
        .await
        .map(Json)
}

async fn run_search(
    state: &AppState,
    actor: &Actor,
    params: Params,
    path: &str,
) -> ApiResult<Map<String, Value>> {
    if params.get("filter:schema").is_none() && params.get("filter:schemata").is_none() {
        return Err(ApiError::bad_request(
            "No schema is specified for the query.",
        ));
    }
    let page = PageRequest::from_params(&params)?;
    // The index gets the page after the caps, so that it never sees a value the envelope
    // has already clamped (a negative offset, a limit past the window).
    let mut search_params = params.without(&NOT_SEARCH);
    search_params.push("offset", &page.offset.to_string());
    search_params.push("limit", &page.limit.to_string());
    let query = SearchQuery::from_params(&search_params.0)?;
    let started = std::time::Instant::now();
    let result = state.index.search(&actor.scope(), &query).await?;
    crate::metrics::global()
        .search_duration
        .observe(started.elapsed().as_secs_f64());
    state.audit.record(
        actor
            .audit(AuditAction::Search)
            .detail(search_detail(&params)),
    );
    let views: Vec<EntityView> = result.hits.into_iter().map(EntityView::from_hit).collect();
    let nested = nested_entities(state, actor, &views).await?;
    let mut ser = Serializer::new(state, actor).await?;
    let mut results = Vec::with_capacity(views.len());
    for view in &views {
        results.push(ser.entity(view, &nested).await);
    }
    let facets = facet_json(state, actor, &result.facets).await;
    let total = result.total;
    let mut body = Envelope {
        results,
        total,
        page,
        path,
        params: &params,
        ui_url: &state.settings.ui_url,
    }
    .into_json();
    body.insert("facets".into(), facets);
    body.insert(
        "query_text".into(),
        json!(params.get("q").unwrap_or_default()),
    );
    // Searches during a rebuild of the index see only what it has reached: the total is
    // a lower bound, and the answer says why.
    if let Some(rebuild) = crate::services::status::index_rebuild(state, actor.is_admin) {
        body.insert("total_type".into(), json!("gte"));
        body.insert("index_rebuilding".into(), rebuild);
    }
    Ok(body)
}

/// What the audit log keeps of a search: the text and every filter.
fn search_detail(params: &Params) -> Value {
    let mut filters = Map::new();
    for (k, v) in &params.0 {
        if let Some(name) = k.strip_prefix("filter:")
            && !v.is_empty()
        {
            let values = filters
                .entry(name.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = values {
                list.push(json!(v));
            }
        }
    }
    json!({"q": params.get("q").unwrap_or_default(), "filters": filters})
}

/// Ids looked up per index search when expanding references.
const NESTED_CHUNK: usize = 500;
/// Pages read per chunk at most: an id has more than one hit only when it is in several
/// readable collections, so a few pages always suffice in practice.
const NESTED_MAX_PAGES: usize = 4;

/// The entities referenced by entity-typed properties of `views`, serialised shallowly,
/// so that `properties.parent[0]` is an object as in Aleph. Unreadable references stay ids.
pub async fn nested_entities(
    state: &AppState,
    actor: &Actor,
    views: &[EntityView],
) -> ApiResult<HashMap<String, Value>> {
    let mut ids = BTreeSet::new();
    for view in views {
        let Some(schema) = view.entity["schema"]
            .as_str()
            .and_then(|s| ftm::model().get(s))
        else {
            continue;
        };
        let Some(props) = view.entity["properties"].as_object() else {
            continue;
        };
        for (name, values) in props {
            let is_ref = schema
                .property(name)
                .is_some_and(|p| p.type_() == PropertyType::Entity);
            if is_ref {
                for v in values.as_array().into_iter().flatten() {
                    if let Some(id) = v.as_str() {
                        ids.insert(id.to_string());
                    }
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    let ids: Vec<String> = ids.into_iter().collect();
    let mut ser = Serializer::new(state, actor).await?;
    let empty = HashMap::new();
    for chunk in ids.chunks(NESTED_CHUNK) {
        // One page usually holds every id of the chunk; more pages are read only when an
        // id has several hits (the same id in two readable collections), so that no
        // reference goes unexpanded because another id's copies took its place.
        for page in 0..NESTED_MAX_PAGES {
            let mut params: Vec<(String, String)> = chunk
                .iter()
                .map(|id| ("filter:id".to_string(), id.clone()))
                .collect();
            params.push(("limit".into(), chunk.len().to_string()));
            params.push(("offset".into(), (page * chunk.len()).to_string()));
            let query = SearchQuery::from_params(&params)?;
            let found = state.index.search(&actor.scope(), &query).await?;
            let full_page = found.hits.len() == chunk.len();
            for hit in found.hits {
                let view = EntityView::from_hit(hit);
                if let Entry::Vacant(slot) = out.entry(view.id().to_string()) {
                    slot.insert(ser.entity(&view, &empty).await);
                }
            }
            if !full_page || chunk.iter().all(|id| out.contains_key(id)) {
                break;
            }
        }
    }
    Ok(out)
}

/// Facets in Aleph's shape, with labels for schemata, countries, languages and
/// collections.
pub(crate) async fn facet_json(
    state: &AppState,
    actor: &Actor,
    facets: &std::collections::BTreeMap<String, FacetResult>,
) -> Value {
    let mut out = Map::new();
    for (name, facet) in facets {
        let mut value = Map::new();
        value.insert("filters".into(), json!(facet.filters));
        let mut labelled = Vec::new();
        for v in facet.values.iter().flatten() {
            labelled.push(json!({
                "id": v.id,
                "label": facet_label(state, actor, name, &v.id).await,
                "count": v.count,
                "active": v.active,
            }));
        }
        if facet.values.is_some() {
            value.insert("values".into(), Value::Array(labelled));
        }
        if let Some(total) = facet.total {
            value.insert("total".into(), json!(total));
        }
        if let Some(intervals) = &facet.intervals {
            let items: Vec<Value> = intervals
                .iter()
                .map(|v| json!({"id": v.id, "label": v.id, "count": v.count, "active": v.active}))
                .collect();
            value.insert("intervals".into(), Value::Array(items));
        }
        out.insert(name.clone(), Value::Object(value));
    }
    Value::Object(out)
}

async fn facet_label(state: &AppState, actor: &Actor, field: &str, id: &str) -> String {
    let model = ftm::model();
    match field {
        "schema" | "schemata" => model
            .get(id)
            .map(|s| s.plural().to_string())
            .unwrap_or_else(|| id.to_string()),
        "countries" | "languages" => {
            let t = if field == "countries" {
                PropertyType::Country
            } else {
                PropertyType::Language
            };
            model
                .type_values(t)
                .and_then(|values| values.iter().find(|(code, _)| code == id))
                .map(|(_, label)| label.clone())
                .unwrap_or_else(|| id.to_string())
        }
        // An active filter value is echoed even for a collection the caller cannot read:
        // its label must not be.
        "collection_id" => match id.parse::<i64>() {
            Ok(cid) if actor.can_read(cid) => state
                .store
                .collection(cid)
                .await
                .map(|c| c.label)
                .unwrap_or_else(|_| id.to_string()),
            _ => id.to_string(),
        },
        _ => id.to_string(),
    }
}

/// Find an entity's collection through the index, then check that the caller may read it.
/// 404 when it is not indexed, 403 when it is not readable.
pub async fn locate(state: &AppState, actor: &Actor, id: &str) -> ApiResult<Collection> {
    let query = SearchQuery::from_params(&[
        ("filter:id".to_string(), id.to_string()),
        ("limit".to_string(), "1".to_string()),
    ])?;
    let found = state.index.search(&ReadScope::All, &query).await?;
    let Some(hit) = found.hits.first() else {
        // While the index is rebuilt it may not have reached the entity: the store knows.
        if state.index_rebuild.current().is_some()
            && let Some(collection) = locate_in_store(state, actor, id, false).await?
        {
            return Ok(collection);
        }
        return Err(ApiError::not_found());
    };
    actor.check_read(hit.collection_id)?;
    Ok(state.store.collection(hit.collection_id).await?)
}

/// The full entity view of `GET /entities/{id}`.
async fn full_entity(
    state: &AppState,
    actor: &Actor,
    collection: &Collection,
    id: &str,
) -> ApiResult<Value> {
    let stored = state
        .store
        .entity(collection.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let view = EntityView::from_stored(&stored);
    let nested = nested_entities(state, actor, std::slice::from_ref(&view)).await?;
    let mut ser = Serializer::new(state, actor).await?;
    let mut value = ser.entity(&view, &nested).await;
    let entity = &stored.entity;
    let schemata: Vec<&str> = entity.schema().schemata().map(|s| s.name()).collect();
    value["schemata"] = json!(schemata);
    value["caption"] = json!(entity.caption());
    for (group, values) in entity.type_groups(false) {
        value[group] = json!(values);
    }
    if !stored.origins.is_empty() {
        value["origin"] = json!(stored.origins);
    }
    value["shallow"] = json!(false);
    Ok(crate::serialize::clean(value))
}

pub async fn view(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let collection = locate(&state, &actor, &id).await?;
    let body = full_entity(&state, &actor, &collection, &id).await?;
    state.audit.record(
        actor
            .audit(AuditAction::View)
            .collection(collection.id)
            .target(id),
    );
    Ok(Json(body))
}

/// The collection named in an entity body (`collection_id` or `collection.id`).
fn body_collection_id(body: &Map<String, Value>) -> ApiResult<Option<i64>> {
    let raw = body
        .get("collection_id")
        .or_else(|| body.get("collection").and_then(|c| c.get("id")));
    match raw {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid("collection_id", "not a collection id")),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid("collection_id", "not a collection id")),
        Some(_) => Err(ApiError::invalid("collection_id", "not a collection id")),
    }
}

/// Write one entity through the API (origin `api`: editable) and return its full view.
async fn write_one(
    state: &AppState,
    actor: &Actor,
    collection: &Collection,
    mut body: Map<String, Value>,
    id: String,
    params: &Params,
) -> ApiResult<Value> {
    body.insert("id".into(), json!(id));
    let opts = WriteOptions {
        origin: ORIGIN_API,
        clean: params.bool("validate", true)? || !actor.is_admin,
        safe: !actor.is_admin,
        sign_references: params.bool("sign", false)?,
    };
    let entity = write::prepare(collection, Value::Object(body), &opts, 0)?;
    let ids = write::write(
        &state.store,
        &state.index,
        collection.id,
        ORIGIN_API,
        &[entity],
    )
    .await?;
    let id = ids
        .first()
        .cloned()
        .ok_or_else(|| ApiError::internal("entity was not written"))?;
    full_entity(state, actor, collection, &id).await
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_object(&headers, &body)?;
    let collection_id = body_collection_id(&body)?
        .ok_or_else(|| ApiError::invalid("collection_id", "A collection is required."))?;
    let collection = state.store.collection(collection_id).await?;
    actor.check_write(collection.id)?;
    // Aleph ignores the id in the body; a foreign_id gives a stable one.
    let id = match body.get("foreign_id").and_then(Value::as_str) {
        Some(fid) if !fid.trim().is_empty() => {
            ftm::make_id(None, &[collection.foreign_id.as_str(), fid]).unwrap_or_default()
        }
        _ => hex::encode(rand::random::<[u8; 20]>()),
    };
    Ok(Json(
        write_one(&state, &actor, &collection, body, id, &params).await?,
    ))
}

pub async fn upsert(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_object(&headers, &body)?;
    let collection = match locate(&state, &actor, &id).await {
        Ok(c) => c,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            let cid = body_collection_id(&body)?
                .ok_or_else(|| ApiError::invalid("collection_id", "A collection is required."))?;
            state.store.collection(cid).await?
        }
        Err(e) => return Err(e),
    };
    actor.check_write(collection.id)?;
    let plain =
        Namespace::strip(&id).ok_or_else(|| ApiError::invalid("id", "Invalid entity ID"))?;
    Ok(Json(
        write_one(
            &state,
            &actor,
            &collection,
            body,
            plain.to_string(),
            &params,
        )
        .await?,
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let collection = match locate(&state, &actor, &id).await {
        Ok(collection) => collection,
        // The index is down: the store still knows the entity, and its signed id names
        // the collection.
        Err(e) if e.status.is_server_error() => {
            locate_in_store(&state, &actor, &id, true).await?.ok_or(e)?
        }
        Err(e) => return Err(e),
    };
    actor.check_write(collection.id)?;
    state.store.delete_entity(collection.id, &id).await?;
    let removed = match state.index.delete_entities(vec![id.clone()]).await {
        Ok(()) => state.index.commit().await.map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    if let Err(e) = removed {
        // Deleted in the store, which is what counts; the index follows when it returns.
        write::defer_index(&state.store, collection.id, &[id], e).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The writable (or readable) collection holding an entity, found through the store
/// alone: the collections whose namespace signed the id and that have the entity.
async fn locate_in_store(
    state: &AppState,
    actor: &Actor,
    id: &str,
    writable: bool,
) -> ApiResult<Option<Collection>> {
    let candidates: Vec<Collection> = if actor.is_admin {
        let mut query = store::CollectionQuery::new(store::CollectionScope::All);
        query.limit = 10_000;
        state.store.list_collections(&query).await?.items
    } else {
        let mut found = Vec::new();
        let ids = if writable {
            &actor.writable
        } else {
            &actor.readable
        };
        for collection_id in ids {
            found.push(state.store.collection(*collection_id).await?);
        }
        found
    };
    for collection in candidates {
        if Namespace::new(&collection.foreign_id).verify(id)
            && state.store.entity(collection.id, id).await?.is_some()
        {
            return Ok(Some(collection));
        }
    }
    Ok(None)
}

/// `GET /entities/{id}/expand`: the entities on the other side of each entity-typed
/// property, both directions, as far as the caller can read them.
pub async fn expand(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let collection = locate(&state, &actor, &id).await?;
    Ok(Json(
        crate::services::neighbours::expand(&state, &actor, &collection, &id, &params).await?,
    ))
}

/// `GET /entities/{id}/similar`: candidates scored by the xref matcher.
pub async fn similar(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let collection = locate(&state, &actor, &id).await?;
    Ok(Json(
        crate::services::neighbours::similar(&state, &actor, &collection, &id, &params).await?,
    ))
}

/// `GET /entities/{id}/rows`: a page of a Table's stored CSV, filtered by column.
pub async fn rows(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    // The index document carries `csvHash` without the Table's `indexText` (up to several
    // MB), so a page does not pay for loading the whole entity from the store.
    let query = SearchQuery::from_params(&[
        ("filter:id".to_string(), id.clone()),
        ("limit".to_string(), "1".to_string()),
    ])?;
    let found = state.index.search(&ReadScope::All, &query).await?;
    let hit = found.hits.first().ok_or_else(ApiError::not_found)?;
    actor.check_read(hit.collection_id)?;
    let collection = state.store.collection(hit.collection_id).await?;
    let indexed = hit.entity["properties"]["csvHash"][0]
        .as_str()
        .map(str::to_string);
    let hash = match indexed {
        Some(hash) => hash,
        // Not (yet) in the index document: the store has the last word.
        None => state
            .store
            .entity(collection.id, &id)
            .await?
            .ok_or_else(ApiError::not_found)?
            .entity
            .first("csvHash")
            .map(str::to_string)
            .ok_or_else(|| ApiError::bad_request("This entity has no stored table."))?,
    };
    Ok(Json(
        crate::services::table_rows::rows(&state, &hash, &params).await?,
    ))
}
