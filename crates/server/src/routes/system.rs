//! `/healthz`, `/api/2/metadata`, `/api/2/statistics`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use index::{ReadScope, SearchQuery};
use serde_json::{Value, json};
use store::{Category, Frequency};

use crate::auth::{Actor, AnyActor};
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
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
    let collections = match &scope {
        ReadScope::All => state.index.collection_counts(&scope).await?.len() as u64,
        _ => actor.readable.len() as u64,
    };
    Ok(Json(json!({
        "collections": collections,
        "schemata": facet("schema"),
        "countries": facet("countries"),
        "things": result.total,
    })))
}
