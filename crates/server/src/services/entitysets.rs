//! Entity sets without HTTP: who may see and change a set, finding the entities its items
//! name, the JSON shapes of sets and items, and a set's entities as FtM JSON lines.
//!
//! A set follows its collection's permissions: read to view it and its items, write to
//! change it. Items may name entities of other collections (profiles, lists built from a
//! search); those the caller cannot read are left out of every answer.

use std::collections::{BTreeMap, HashMap};

use index::{ReadScope, SearchQuery};
use serde_json::{Value, json};
use store::{EntitySet, EntitySetItem, Judgement};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::serialize::{EntityView, Serializer, clean, datetime};
use crate::state::AppState;

/// Items read from the store per page when a whole set is walked.
const ITEM_PAGE: u32 = 1000;
/// The most ids one index look-up asks for.
const LOOKUP_CHUNK: usize = 500;

/// A set the caller can read (404 if missing, 403 if its collection is not readable).
pub async fn readable(state: &AppState, actor: &Actor, raw_id: &str) -> ApiResult<EntitySet> {
    let id = raw_id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    let set = state.store.entityset(id).await?;
    actor.check_read(set.collection_id)?;
    Ok(set)
}

/// A set the caller can change.
pub async fn writable(state: &AppState, actor: &Actor, raw_id: &str) -> ApiResult<EntitySet> {
    let set = readable(state, actor, raw_id).await?;
    actor.user()?;
    actor.check_write(set.collection_id)?;
    Ok(set)
}

/// The indexed entities with these ids that `scope` can see, by id.
pub async fn find_entities(
    state: &AppState,
    scope: &ReadScope,
    ids: &[String],
) -> ApiResult<HashMap<String, EntityView>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let mut params: Vec<(String, String)> = chunk
            .iter()
            .map(|id| ("filter:id".to_string(), id.clone()))
            .collect();
        params.push(("limit".into(), chunk.len().to_string()));
        let query = SearchQuery::from_params(&params)?;
        for hit in state.index.search(scope, &query).await?.hits {
            let view = EntityView::from_hit(hit);
            out.insert(view.id().to_string(), view);
        }
    }
    Ok(out)
}

/// Every item of a set, walking the store page by page.
pub async fn all_items(state: &AppState, set_id: i64) -> ApiResult<Vec<EntitySetItem>> {
    let mut items = Vec::new();
    let mut offset = 0u64;
    loop {
        let page = state
            .store
            .entityset_items(set_id, ITEM_PAGE, offset)
            .await?;
        let n = page.items.len();
        items.extend(page.items);
        offset += n as u64;
        if n < ITEM_PAGE as usize || offset >= page.total {
            return Ok(items);
        }
    }
}

/// The ids of a set's members (its positively judged items) that the caller can read.
pub async fn member_ids(state: &AppState, actor: &Actor, set_id: i64) -> ApiResult<Vec<String>> {
    Ok(all_items(state, set_id)
        .await?
        .into_iter()
        .filter(|i| i.judgement == Judgement::Positive && actor.can_read(i.collection_id))
        .map(|i| i.entity_id)
        .collect())
}

/// An entity set in Aleph's shape.
pub async fn set_json(
    state: &AppState,
    ser: &mut Serializer<'_>,
    actor: &Actor,
    set: &EntitySet,
) -> Value {
    let id = set.id.to_string();
    let collection = ser.collection_by_id(set.collection_id).await;
    let role = match set.role_id {
        Some(role_id) => state
            .store
            .role(role_id)
            .await
            .ok()
            .map(|r| ser.role_nested(&r)),
        None => None,
    };
    clean(json!({
        "id": id,
        "type": set.kind.as_str(),
        "label": set.label,
        "summary": set.summary,
        "layout": Value::Object(set.layout.clone()),
        "role_id": set.role_id.map(|r| r.to_string()),
        "role": role,
        "collection": collection,
        "links": {
            "self": state.settings.url(&format!("api/2/entitysets/{id}")),
            "ui": state.settings.url(&format!("{}s/{id}", set.kind.as_str())),
        },
        "writeable": actor.can_write(set.collection_id),
        "shallow": true,
        "created_at": datetime(&set.created_at),
        "updated_at": datetime(&set.updated_at),
    }))
}

/// Items in Aleph's shape, with their entities where the caller can read them; items
/// about unreadable collections are left out.
pub async fn items_json(
    state: &AppState,
    actor: &Actor,
    set: &EntitySet,
    items: &[EntitySetItem],
) -> ApiResult<Vec<Value>> {
    let visible: Vec<&EntitySetItem> = items
        .iter()
        .filter(|i| actor.can_read(i.collection_id))
        .collect();
    let ids: Vec<String> = visible.iter().map(|i| i.entity_id.clone()).collect();
    let found = find_entities(state, &actor.scope(), &ids).await?;
    let mut ser = Serializer::new(state, actor).await?;
    let empty = HashMap::new();
    let mut out = Vec::with_capacity(visible.len());
    for item in visible {
        let entity = match found.get(&item.entity_id) {
            Some(view) => Some(ser.entity(view, &empty).await),
            None => None,
        };
        let collection = ser.collection_by_id(item.collection_id).await;
        out.push(clean(json!({
            "id": format!("{}${}", set.id, item.entity_id),
            "entityset_id": set.id.to_string(),
            "entity_id": item.entity_id,
            "entity": entity,
            "collection": collection,
            "collection_id": item.collection_id.to_string(),
            "judgement": item.judgement.as_str(),
            "compared_to_entity_id": item.compared_to_entity_id,
            "added_by_id": item.added_by_id.map(|r| r.to_string()),
            "writeable": actor.can_write(set.collection_id),
            "created_at": datetime(&item.created_at),
            "updated_at": datetime(&item.updated_at),
        })));
    }
    Ok(out)
}

/// The set's readable members as FtM JSON lines, read from the store (the source of
/// truth), grouped by collection.
pub async fn export_lines(state: &AppState, actor: &Actor, set_id: i64) -> ApiResult<Vec<u8>> {
    let mut by_collection: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for item in all_items(state, set_id).await? {
        if item.judgement == Judgement::Positive && actor.can_read(item.collection_id) {
            by_collection
                .entry(item.collection_id)
                .or_default()
                .push(item.entity_id);
        }
    }
    let mut out = Vec::new();
    for (collection_id, ids) in by_collection {
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let batch = state.store.entities(collection_id, chunk).await?;
            for stored in batch.entities {
                let line = serde_json::to_vec(&stored.entity.to_json())
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                out.extend_from_slice(&line);
                out.push(b'\n');
            }
        }
    }
    Ok(out)
}
