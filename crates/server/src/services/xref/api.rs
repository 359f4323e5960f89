//! Queueing a run and query by example.

use std::collections::HashMap;

use ftm::Entity;
use serde_json::{Map, Value, json};

use super::KEEP_ABOVE;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::serialize::{EntityView, Serializer};
use crate::state::AppState;

use super::results::int_values;

/// `POST /collections/{id}/xref`: queue a run (WRITE). The body may name the
/// collections to match against (`against_collection_ids`) and ask to start over
/// (`full`).
pub async fn trigger(
    state: &AppState,
    actor: &Actor,
    collection_id: i64,
    body: &Value,
) -> ApiResult<Value> {
    actor.check_write(collection_id)?;
    let against = match body.get("against_collection_ids") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut ids = Vec::new();
            for v in items {
                let id = v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| {
                        ApiError::invalid("against_collection_ids", "not a collection id")
                    })?;
                // Matching against what one cannot read would leak through scores.
                actor.check_read(id)?;
                ids.push(id);
            }
            Some(ids)
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "against_collection_ids",
                "a list of collection ids",
            ));
        }
    };
    let full = body.get("full").and_then(Value::as_bool).unwrap_or(false);
    super::enqueue(&state.store, collection_id, against, full).await?;
    Ok(json!({"status": "accepted"}))
}

/// `POST /match`: score an example entity against candidates from the index, within
/// what the caller can read (and `collection_ids`, if given): a paging envelope of
/// entities, best first, each with its `score` and `explanation`.
pub async fn match_entity(
    state: &AppState,
    actor: &Actor,
    params: &Params,
    body: &Value,
) -> ApiResult<Map<String, Value>> {
    let mut json_entity = body.clone();
    if let Some(obj) = json_entity.as_object_mut() {
        obj.entry("id").or_insert(Value::Null);
    }
    let example = Entity::from_json(json_entity, false)
        .map_err(|e| ApiError::bad_request(format!("not an entity: {e}")))?;
    let page = PageRequest::from_params(params)?;
    let wanted = int_values(params, "collection_ids")?;
    let scope = if wanted.is_empty() {
        actor.scope()
    } else {
        index::ReadScope::collections(wanted.into_iter().filter(|c| actor.can_read(*c)))
    };
    let hits = candidate_hits(state, &scope, &example).await?;
    let (positions, candidates): (Vec<usize>, Vec<Entity>) = hits
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, Entity::from_json(h.entity.clone(), true).ok()?)))
        .unzip();
    let scored = super::match_example(&example, &candidates, KEEP_ABOVE);
    let total = scored.len() as u64;
    let mut ser = Serializer::new(state, actor).await?;
    let empty = HashMap::new();
    let mut results = Vec::new();
    for (index, m) in scored.into_iter().skip(page.offset).take(page.limit) {
        let Some(hit) = positions.get(index).and_then(|&i| hits.get(i)) else {
            continue;
        };
        let view = EntityView::from_hit(hit.clone());
        let mut value = ser.entity(&view, &empty).await;
        value["score"] = json!(m.score);
        value["explanation"] = serde_json::to_value(&m).unwrap_or(Value::Null);
        results.push(value);
    }
    Ok(Envelope {
        results,
        total,
        page,
        path: "api/2/match",
        params,
        ui_url: &state.settings.ui_url,
    }
    .into_json())
}

/// Candidates for an example entity: the index's best hits for each of its names and
/// identifiers within `scope`, in the schemata it can match, without repeats.
pub(super) async fn candidate_hits(
    state: &AppState,
    scope: &index::ReadScope,
    example: &Entity,
) -> ApiResult<Vec<index::Hit>> {
    // Candidates: the index's best hits for each name and identifier.
    let mut terms: Vec<String> = example
        .type_values(ftm::PropertyType::Name, true)
        .into_iter()
        .map(str::to_string)
        .collect();
    terms.extend(
        example
            .type_values(ftm::PropertyType::Identifier, true)
            .into_iter()
            .map(|v| format!("\"{}\"", v.replace('"', ""))),
    );
    let mut hits: Vec<index::Hit> = Vec::new();
    for term in terms.iter().take(20) {
        let cleaned: String = term
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '"' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        if cleaned.trim().is_empty() {
            continue;
        }
        let mut q = vec![
            ("q".to_string(), cleaned),
            ("limit".to_string(), "50".to_string()),
        ];
        for schema in example.schema().matchable_schemata() {
            q.push(("filter:schemata".to_string(), schema.name().to_string()));
        }
        let query = index::SearchQuery::from_params(&q)?;
        let found = state.index.search(scope, &query).await?;
        for hit in found.hits {
            if !hits.iter().any(|h| h.entity["id"] == hit.entity["id"]) {
                hits.push(hit);
            }
        }
    }
    Ok(hits)
}
