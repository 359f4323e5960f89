//! `_bulk` (write many entities) and `_stream` (read all entities as NDJSON).

use std::collections::HashSet;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use store::EntityFilter;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::routes::collections::writable;
use crate::services::entities::{self as write, ORIGIN_API, WriteOptions};
use crate::state::AppState;

/// `POST /api/2/collections/{id}/_bulk`: a JSON array of entities (or one object), all
/// written or none. `clean=false` and `safe=false` are honoured for admins only.
pub async fn bulk(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
    body: Bytes,
) -> ApiResult<Response> {
    actor.user()?;
    let collection = writable(&state, &actor, &id).await?;
    let items = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        Ok(object @ Value::Object(_)) => vec![object],
        Ok(_) => return Err(ApiError::bad_request("Expected a list of entities.")),
        Err(e) => return Err(ApiError::bad_request(format!("Invalid JSON: {e}"))),
    };
    let mutable = params.bool("mutable", false)?;
    let mut opts = WriteOptions::bulk();
    if actor.is_admin {
        opts.clean = params.bool("clean", true)?;
        opts.safe = params.bool("safe", true)?;
    }
    if mutable {
        opts.origin = ORIGIN_API;
    }
    let entities = items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| write::prepare(&collection, raw, &opts, i))
        .collect::<ApiResult<Vec<_>>>()?;
    write::write(
        &state.store,
        &state.index,
        collection.id,
        opts.origin,
        &entities,
    )
    .await?;
    state.store.touch_collection(collection.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Which parts of each entity a stream writes (`include=id,schema,properties`).
struct StreamShape {
    include: Option<HashSet<String>>,
    schemata: Vec<&'static ftm::Schema>,
}

impl StreamShape {
    fn from_params(params: &Params) -> ApiResult<StreamShape> {
        // `include` may be repeated, comma-separated, or both.
        let fields: HashSet<String> = params
            .all("include")
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        let include = (!fields.is_empty()).then_some(fields);
        let schemata = params
            .all("schema")
            .into_iter()
            .map(|name| {
                ftm::model()
                    .get(name)
                    .ok_or_else(|| ApiError::invalid("schema", format!("unknown schema: {name}")))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(StreamShape { include, schemata })
    }

    /// The NDJSON line of one entity, or `None` if its schema is not wanted.
    fn line(&self, stored: &store::StoredEntity) -> Option<Vec<u8>> {
        let schema = stored.entity.schema();
        if !self.schemata.is_empty() && !self.schemata.iter().any(|s| schema.is_a(s)) {
            return None;
        }
        let Value::Object(mut map) = stored.entity.to_json() else {
            return None;
        };
        map.insert(
            "collection_id".into(),
            Value::String(stored.collection_id.to_string()),
        );
        // FtM bookkeeping that Aleph's stream does not carry.
        for key in ["referents", "datasets"] {
            if map
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|a| a.is_empty())
            {
                map.remove(key);
            }
        }
        if let Some(include) = &self.include {
            map = map
                .into_iter()
                .filter(|(k, _)| include.contains(k))
                .collect::<Map<String, Value>>();
        }
        let mut line = serde_json::to_vec(&Value::Object(map)).ok()?;
        line.push(b'\n');
        Some(line)
    }
}

fn ndjson(state: &AppState, filters: Vec<EntityFilter>, shape: StreamShape) -> Response {
    let store = state.store.clone();
    let stream = futures_util::stream::iter(filters)
        .flat_map(move |filter| store::stream_entities(store.clone(), filter, 1000))
        .filter_map(move |item| {
            let line = match item {
                Ok(stored) => shape
                    .line(&stored)
                    .map(|l| Ok::<_, std::io::Error>(Bytes::from(l))),
                Err(store::StoreError::Corrupt(msg)) => {
                    tracing::warn!("skipped in stream: {msg}");
                    None
                }
                Err(e) => Some(Err(std::io::Error::other(e.to_string()))),
            };
            async move { line }
        });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `GET /api/2/collections/{id}/_stream` (needs write access, as in Aleph).
pub async fn stream_collection(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    actor.user()?;
    let collection = writable(&state, &actor, &id).await?;
    let shape = StreamShape::from_params(&params)?;
    state.audit.record(
        actor
            .audit(store::AuditAction::Export)
            .collection(collection.id)
            .detail(serde_json::json!({"stream": "collection"})),
    );
    Ok(ndjson(
        &state,
        vec![EntityFilter::collection(collection.id)],
        shape,
    ))
}

/// `GET /api/2/entities/_stream`: every collection the caller can write.
pub async fn stream_all(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Response> {
    actor.user()?;
    let shape = StreamShape::from_params(&params)?;
    let filters = match (actor.is_admin, &actor.admin_view) {
        (true, None) => vec![EntityFilter::all()],
        // While collections are being purged, an administrator streams the live ones.
        (true, Some(live)) => live
            .iter()
            .map(|id| EntityFilter::collection(*id))
            .collect(),
        (false, _) => actor
            .writable
            .iter()
            .map(|id| EntityFilter::collection(*id))
            .collect(),
    };
    state.audit.record(
        actor
            .audit(store::AuditAction::Export)
            .detail(serde_json::json!({"stream": "all"})),
    );
    Ok(ndjson(&state, filters, shape))
}
