//! `/healthz`, `/readyz`, `/api/2/metadata`, `/api/2/statistics`.

use std::collections::BTreeMap;

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use index::{ReadScope, SearchQuery};
use serde_json::{Value, json};
use store::{Category, Frequency};

use crate::auth::{Actor, AnyActor};
use crate::error::ApiResult;
use crate::state::AppState;

/// Liveness: the process answers. Touches nothing, so it stays cheap under any load.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// How long a readiness check waits for the store or the index.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// Readiness, for load balancers and orchestrators: 503 when the store (the source of
/// truth) does not answer; 200 otherwise, `degraded` when the index does not answer
/// (writes still land in the store and queue their indexing; searches fail). The queue's
/// unfinished jobs and the age of the oldest tell how far behind the workers are.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = match tokio::time::timeout(READY_TIMEOUT, state.store.job_counts(None)).await {
        Ok(Ok(counts)) => Ok(counts),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".to_string()),
    };
    let probe = ReadScope::collections([0]);
    let index = match tokio::time::timeout(
        READY_TIMEOUT,
        state.index.count(&probe, &SearchQuery::default()),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".to_string()),
    };
    let now = chrono::Utc::now();
    let queue = store.as_ref().ok().map(|counts| {
        let mut stages: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let mut oldest = None;
        for c in counts {
            let entry = stages.entry(c.stage.as_str()).or_default();
            entry.0 += c.queued;
            entry.1 += c.running;
            oldest = match (oldest, c.oldest_unfinished_at) {
                (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
                (a, b) => a.or(b),
            };
        }
        let lag = oldest.map(|t: store::Timestamp| (now - t).num_seconds().max(0));
        let stages: serde_json::Map<String, Value> = stages
            .into_iter()
            .map(|(stage, (queued, running))| {
                (
                    stage.to_string(),
                    json!({"queued": queued, "running": running}),
                )
            })
            .collect();
        json!({"oldest_unfinished_seconds": lag, "stages": stages})
    });
    let rebuild = state.index_rebuild.current();
    let (status, verdict) = match (&store, &index) {
        (Err(_), _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (Ok(_), Err(_)) => (StatusCode::OK, "degraded"),
        // Searches answer, from part of the data.
        (Ok(_), Ok(())) if rebuild.is_some() => (StatusCode::OK, "degraded"),
        (Ok(_), Ok(())) => (StatusCode::OK, "ready"),
    };
    let check = |r: Result<(), &String>| match r {
        Ok(()) => json!({"status": "ok"}),
        Err(message) => json!({"status": "error", "message": message}),
    };
    let mut index = check(index.as_ref().copied());
    if let (Some(p), Some("ok")) = (rebuild, index["status"].as_str()) {
        index = json!({
            "status": "rebuilding",
            "message": format!(
                "search index rebuilding: {} of {} entities",
                p.indexed.min(p.total),
                p.total
            ),
            "indexed": p.indexed,
            "total": p.total,
        });
    }
    (
        status,
        Json(json!({
            "status": verdict,
            "store": check(store.as_ref().map(|_| ())),
            "index": index,
            "queue": queue,
        })),
    )
}

fn labels<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> BTreeMap<&'static str, String> {
    all.iter()
        .map(|v| {
            let code = name(*v);
            let mut label = code.to_string();
            if let Some(first) = label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            (code, label)
        })
        .collect()
}

pub async fn metadata(State(state): State<AppState>, AnyActor(actor): AnyActor) -> Json<Value> {
    let settings = &state.settings;
    Json(json!({
        "status": "ok",
        "maintenance": settings.maintenance,
        "app": {
            "title": settings.app_title,
            "version": env!("CARGO_PKG_VERSION"),
            "ftm_version": ftm::model().version(),
            "ui_uri": settings.ui_url,
            "publish": false,
            "locale": "en",
            "locales": {"en": "English"},
        },
        "categories": labels(&Category::ALL, Category::as_str),
        "frequencies": labels(&Frequency::ALL, Frequency::as_str),
        "pages": [],
        "token": Value::Null,
        "auth": {
            "oauth": false,
            "require_logged_in": settings.require_logged_in,
            "password_login_uri": settings.url("api/2/sessions/login"),
            "logged_in": actor.is_logged_in(),
        },
        "feature_flags": {},
        "model": ftm::model().to_json(),
    }))
}

/// Counts over what the caller can see: collections, schemata, countries, categories.
pub async fn statistics(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    let scope = actor.scope();
    let query = SearchQuery::from_params(&[
        ("filter:schemata".into(), "Thing".into()),
        ("facet".into(), "schema".into()),
        ("facet_size:schema".into(), "1000".into()),
        ("facet".into(), "countries".into()),
        ("facet_size:countries".into(), "1000".into()),
        ("limit".into(), "0".into()),
    ])?;
    let result = state.index.search(&scope, &query).await?;
    let facet = |name: &str| -> BTreeMap<String, u64> {
        result
            .facets
            .get(name)
            .and_then(|f| f.values.as_ref())
            .map(|vs| vs.iter().map(|v| (v.id.clone(), v.count)).collect())
            .unwrap_or_default()
    };
    let collections = if actor.is_admin {
        // All collections, or all live ones while some are being purged.
        state.index.collection_counts(&scope).await?.len() as u64
    } else {
        actor.readable.len() as u64
    };
    Ok(Json(json!({
        "collections": collections,
        "schemata": facet("schema"),
        "countries": facet("countries"),
        "things": result.total,
    })))
}
