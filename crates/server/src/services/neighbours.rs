//! An entity's neighbourhood: `GET /entities/{id}/expand` (the entities it refers to and
//! those that refer to it, grouped by property) and `GET /entities/{id}/similar` (candidates
//! from the index scored by the xref matcher). Both only ever show what the caller can read.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ftm::PropertyType;
use index::SearchQuery;
use serde_json::{Map, Value, json};
use store::Collection;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::routes::entities::nested_entities;
use crate::serialize::{EntityView, Serializer};
use crate::state::AppState;

/// Aleph caps `limit` (entities per property) at 200.
pub const MAX_EXPAND_LIMIT: usize = 200;
const DEFAULT_EXPAND_LIMIT: usize = 20;
/// How many referring entities one expand reads from the index; the per-property counts
/// are exact below this and a floor above it.
const MAX_REFERRERS: usize = 5000;

/// `{status, total, results: [{property, count, entities}]}`, properties by name.
pub async fn expand(
    state: &AppState,
    actor: &Actor,
    collection: &Collection,
    id: &str,
    params: &Params,
) -> ApiResult<Value> {
    let stored = state
        .store
        .entity(collection.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let limit = match params.get("limit") {
        None => DEFAULT_EXPAND_LIMIT,
        Some(raw) => raw
            .trim()
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("limit", format!("not an integer: {raw:?}")))?
            .min(MAX_EXPAND_LIMIT),
    };
    let wanted: BTreeSet<&str> = params.all("filter:property").into_iter().collect();
    let keep = |name: &str| wanted.is_empty() || wanted.contains(name);

    // Property name → the ids of the entities on its other side, in order, once each.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut views: HashMap<String, EntityView> = HashMap::new();

    // Outgoing: the entity's own entity-typed properties.
    let mut outgoing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (prop, values) in stored.entity.properties() {
        if prop.type_() != PropertyType::Entity || !keep(prop.name()) {
            continue;
        }
        let list = outgoing.entry(prop.name().to_string()).or_default();
        for v in values {
            if v != id && !list.contains(v) {
                list.push(v.clone());
            }
        }
    }
    let targets: Vec<String> = outgoing
        .values()
        .flatten()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in targets.chunks(500) {
        let mut q: Vec<(String, String)> = chunk
            .iter()
            .map(|t| ("filter:id".to_string(), t.clone()))
            .collect();
        q.push(("limit".into(), chunk.len().to_string()));
        let found = state
            .index
            .search(&actor.scope(), &SearchQuery::from_params(&q)?)
            .await?;
        for hit in found.hits {
            let view = EntityView::from_hit(hit);
            views.insert(view.id().to_string(), view);
        }
    }
    for (name, ids) in outgoing {
        // Unreadable or missing targets are not counted: the caller cannot see them.
        let readable: Vec<String> = ids.into_iter().filter(|i| views.contains_key(i)).collect();
        if !readable.is_empty() {
            groups.entry(name).or_default().extend(readable);
        }
    }

    // Incoming: entities whose entity-typed properties name this one, under the reverse
    // property (an Ownership's `owner` is the owner's `ownershipOwner`).
    let q = vec![
        ("filter:entities".to_string(), id.to_string()),
        ("limit".to_string(), MAX_REFERRERS.to_string()),
    ];
    let found = state
        .index
        .search(&actor.scope(), &SearchQuery::from_params(&q)?)
        .await?;
    for hit in found.hits {
        let view = EntityView::from_hit(hit);
        let other = view.id().to_string();
        if other == id {
            continue;
        }
        let Some(schema) = view.entity["schema"]
            .as_str()
            .and_then(|s| ftm::model().get(s))
        else {
            continue;
        };
        let Some(props) = view.entity["properties"].as_object() else {
            continue;
        };
        let mut matched = false;
        for (name, values) in props {
            let Some(prop) = schema.property(name) else {
                continue;
            };
            if prop.type_() != PropertyType::Entity {
                continue;
            }
            let points_here = values
                .as_array()
                .is_some_and(|vs| vs.iter().any(|v| v.as_str() == Some(id)));
            if !points_here {
                continue;
            }
            let group = prop.reverse().map_or(prop.name(), |r| r.name());
            if keep(group) {
                let list = groups.entry(group.to_string()).or_default();
                if !list.contains(&other) {
                    list.push(other.clone());
                }
                matched = true;
            }
        }
        if matched {
            views.entry(other).or_insert(view);
        }
    }

    // Serialise the entities shown, with their own references nested so that a
    // relationship names its other end.
    let mut shown: Vec<(String, usize, Vec<String>)> = Vec::new();
    for (name, ids) in groups {
        let count = ids.len();
        shown.push((name, count, ids.into_iter().take(limit).collect()));
    }
    let shown_views: Vec<EntityView> = shown
        .iter()
        .flat_map(|(_, _, ids)| ids.iter())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|i| views.get(i).cloned())
        .collect();
    let nested = nested_entities(state, actor, &shown_views).await?;
    let mut ser = Serializer::new(state, actor).await?;
    let mut serialised: HashMap<String, Value> = HashMap::new();
    for view in &shown_views {
        serialised.insert(view.id().to_string(), ser.entity(view, &nested).await);
    }
    let results: Vec<Value> = shown
        .into_iter()
        .map(|(property, count, ids)| {
            let entities: Vec<Value> = ids
                .iter()
                .filter_map(|i| serialised.get(i).cloned())
                .collect();
            json!({"property": property, "count": count, "entities": entities})
        })
        .collect();
    Ok(json!({"status": "ok", "total": results.len(), "results": results}))
}

/// A paging envelope of `{score, judgement, entity, writeable}`, best first: the
/// entities of readable collections that the xref matcher scores as this one, the
/// entity itself left out, with the decisions already taken about each pair.
pub async fn similar(
    state: &AppState,
    actor: &Actor,
    collection: &Collection,
    id: &str,
    params: &Params,
) -> ApiResult<Map<String, Value>> {
    let stored = state
        .store
        .entity(collection.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let page = PageRequest::from_params(params)?;
    // Ask the matcher for everything up to the end of this page plus one, since the
    // entity matches itself and is dropped here.
    let mut match_params = Params(
        params
            .0
            .iter()
            .filter(|(k, _)| k == "collection_ids")
            .cloned()
            .collect(),
    );
    match_params.push("offset", "0");
    match_params.push("limit", &(page.offset + page.limit + 1).to_string());
    let matched =
        crate::services::xref::match_entity(state, actor, &match_params, &stored.entity.to_json())
            .await?;
    let mut total = matched.get("total").and_then(Value::as_u64).unwrap_or(0);
    let mut candidates: Vec<Value> = match matched.get("results") {
        Some(Value::Array(list)) => list.clone(),
        _ => Vec::new(),
    };
    let before = candidates.len();
    candidates.retain(|c| c["id"].as_str() != Some(id));
    if candidates.len() < before {
        total = total.saturating_sub(1);
    }
    let decisions: HashMap<String, &'static str> = state
        .store
        .decisions(collection.id, id)
        .await?
        .into_iter()
        .map(|d| (d.match_id, d.judgement.as_str()))
        .collect();
    let writeable = actor.can_write(collection.id);
    let results: Vec<Value> = candidates
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .map(|mut entity| {
            let score = entity
                .as_object_mut()
                .and_then(|o| o.remove("score"))
                .unwrap_or(Value::Null);
            let judgement = entity["id"]
                .as_str()
                .and_then(|m| decisions.get(m).copied())
                .unwrap_or("no_judgement");
            json!({
                "score": score,
                "judgement": judgement,
                "entity": entity,
                "writeable": writeable,
            })
        })
        .collect();
    let path = format!("api/2/entities/{id}/similar");
    Ok(Envelope {
        results,
        total,
        page,
        path: &path,
        params,
        ui_url: &state.settings.ui_url,
    }
    .into_json())
}
