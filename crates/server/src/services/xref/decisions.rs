//! Decisions about pairs and the profiles they make.

use ftm::Entity;
use serde_json::{Value, json};
use store::{NewDecision, PairJudgement};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::serialize::Serializer;
use crate::state::AppState;

fn body_str<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn body_id(body: &Value, key: &str) -> ApiResult<Option<i64>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(Some)
            .ok_or_else(|| ApiError::invalid(key, "not a collection id")),
    }
}

/// The collection an entity lives in: given, or found through the index.
async fn entity_collection(
    state: &AppState,
    actor: &Actor,
    entity_id: &str,
    given: Option<i64>,
) -> ApiResult<i64> {
    let collection_id = match given {
        Some(c) => c,
        None => {
            // Found through the index, as Aleph does.
            let query = index::SearchQuery::from_params(&[
                ("filter:id".to_string(), entity_id.to_string()),
                ("limit".to_string(), "1".to_string()),
            ])?;
            let found = state.index.search(&actor.scope(), &query).await?;
            found
                .hits
                .first()
                .map(|h| h.collection_id)
                .ok_or_else(ApiError::not_found)?
        }
    };
    actor.check_read(collection_id)?;
    if state
        .store
        .entity(collection_id, entity_id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found());
    }
    Ok(collection_id)
}

/// `POST /profiles/_pairwise`: judge a pair `{entity_id, match_id, judgement}`. WRITE
/// on the entity's collection, READ on the match's. A negative pair is never proposed
/// again; positive pairs join a profile.
pub async fn decide(state: &AppState, actor: &Actor, body: &Value) -> ApiResult<Value> {
    let user = actor.user()?;
    let entity_id =
        body_str(body, "entity_id").ok_or_else(|| ApiError::invalid("entity_id", "required"))?;
    let match_id =
        body_str(body, "match_id").ok_or_else(|| ApiError::invalid("match_id", "required"))?;
    let judgement = body_str(body, "judgement").unwrap_or("no_judgement");
    let judgement = PairJudgement::parse(judgement)
        .map_err(|e| ApiError::invalid("judgement", e.to_string()))?;
    let collection_id =
        entity_collection(state, actor, entity_id, body_id(body, "collection_id")?).await?;
    actor.check_write(collection_id)?;
    let match_collection_id = entity_collection(
        state,
        actor,
        match_id,
        body_id(body, "match_collection_id")?,
    )
    .await?;
    let decision = state
        .store
        .decide(&NewDecision {
            collection_id,
            entity_id: entity_id.to_string(),
            match_collection_id,
            match_id: match_id.to_string(),
            judgement,
            role_id: Some(user.id),
        })
        .await?;
    Ok(json!({
        "status": "ok",
        "profile_id": decision.and_then(|d| d.profile_id),
    }))
}

/// `GET /profiles/{id}`: the entities judged the same, merged, as far as the caller
/// can read them: `{id, merged, entities, writeable}`.
pub async fn profile(state: &AppState, actor: &Actor, profile_id: &str) -> ApiResult<Value> {
    let decisions = state.store.profile_decisions(profile_id).await?;
    let mut members: Vec<(i64, String)> = decisions
        .iter()
        .map(|d| (d.collection_id, d.entity_id.clone()))
        .filter(|(c, _)| actor.can_read(*c))
        .collect();
    members.sort();
    members.dedup();
    if members.is_empty() {
        return Err(ApiError::not_found());
    }
    let mut merged: Option<Entity> = None;
    let mut collection = None;
    let mut ids = Vec::new();
    for (collection_id, entity_id) in &members {
        let Some(stored) = state.store.entity(*collection_id, entity_id).await? else {
            continue;
        };
        ids.push(entity_id.clone());
        collection.get_or_insert(*collection_id);
        merged = Some(match merged {
            None => stored.entity,
            Some(mut m) => {
                // Schemata that cannot be merged keep the first entity's view.
                let _ = m.merge(&stored.entity);
                m
            }
        });
    }
    let (Some(mut merged), Some(collection_id)) = (merged, collection) else {
        return Err(ApiError::not_found());
    };
    merged.set_id(Some(profile_id.to_string()));
    let mut ser = Serializer::new(state, actor).await?;
    let collection = ser.collection_by_id(collection_id).await;
    Ok(json!({
        "id": profile_id,
        "collection": collection,
        "merged": merged.to_json(),
        "entities": ids,
        "writeable": actor.can_write(collection_id),
    }))
}
