//! Decisions about pairs and the profiles they make, kept as Aleph keeps them: as entity
//! sets of type `profile`.
//!
//! A profile set lives in the collection of the entity that was judged; its items are the
//! entities judged against it (positive: the same, negative: not, unsure). Judging a pair
//! through `/profiles/_pairwise` and judging an item of a profile set through
//! `/entitysets/{id}/items` write the same data: the set's items, and the pair decisions
//! the xref runner and listing read (a negative pair is never stored as a match again;
//! the listing shows every pair's judgement). A profile's id is its set's id.

use std::collections::{BTreeSet, HashMap};

use ftm::Entity;
use serde_json::{Map, Value, json};
use store::{
    EntitySet, EntitySetItem, EntitySetType, Judgement, NewDecision, NewEntitySet,
    NewEntitySetItem, PairJudgement,
};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::serialize::{EntityView, Serializer};
use crate::services::entitysets::all_items;
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

/// An entity in a collection.
type Member = (i64, String);

/// The profile set (of one of `collections`) that holds an entity positively; the most
/// recently changed one should there be several. A store lookup by the entity, so a
/// decision does not read every profile set of the collections.
async fn profile_set_of(
    state: &AppState,
    collections: &[i64],
    member: &Member,
) -> ApiResult<Option<EntitySet>> {
    let sets = state
        .store
        .entitysets_holding(
            member.0,
            &member.1,
            EntitySetType::Profile,
            Judgement::Positive,
        )
        .await?;
    Ok(sets
        .into_iter()
        .filter(|s| collections.contains(&s.collection_id))
        .max_by_key(|s| (s.updated_at, s.id)))
}

/// The profile ids of some entities (those in a profile set of `collections`).
pub(super) async fn profile_ids(
    state: &AppState,
    collections: &[i64],
    members: Vec<Member>,
) -> ApiResult<HashMap<Member, i64>> {
    let mut out = HashMap::new();
    for member in members {
        if out.contains_key(&member) {
            continue;
        }
        if let Some(set) = profile_set_of(state, collections, &member).await? {
            out.insert(member, set.id);
        }
    }
    Ok(out)
}

/// The profile set (among those of `collections`) that holds an entity positively, with
/// its items.
async fn profile_of(
    state: &AppState,
    collections: &[i64],
    member: &Member,
) -> ApiResult<Option<(EntitySet, Vec<EntitySetItem>)>> {
    let Some(set) = profile_set_of(state, collections, member).await? else {
        return Ok(None);
    };
    let items = all_items(state, set.id).await?;
    Ok(Some((set, items)))
}

fn set_judgement(j: Option<PairJudgement>) -> Judgement {
    match j {
        Some(PairJudgement::Positive) => Judgement::Positive,
        Some(PairJudgement::Negative) => Judgement::Negative,
        Some(PairJudgement::Unsure) => Judgement::Unsure,
        None => Judgement::NoJudgement,
    }
}

fn pair_judgement(j: Judgement) -> Option<PairJudgement> {
    match j {
        Judgement::Positive => Some(PairJudgement::Positive),
        Judgement::Negative => Some(PairJudgement::Negative),
        Judgement::Unsure => Some(PairJudgement::Unsure),
        Judgement::NoJudgement => None,
    }
}

async fn judge_item(
    state: &AppState,
    set_id: i64,
    member: &Member,
    judgement: Judgement,
    compared_to: Option<&str>,
    role_id: Option<i64>,
) -> ApiResult<()> {
    state
        .store
        .judge_entityset_item(
            set_id,
            NewEntitySetItem {
                entity_id: member.1.clone(),
                collection_id: member.0,
                judgement,
                compared_to_entity_id: compared_to.map(str::to_string),
                added_by_id: role_id,
            },
        )
        .await?;
    Ok(())
}

/// `POST /profiles/_pairwise`: judge a pair `{entity_id, match_id, judgement}`. WRITE
/// on the entity's collection, READ on the match's. The entity's profile set (made in
/// its collection when it has none) gets the match as an item with the judgement; a
/// positive pair joins the match's own profile into it. A negative pair is never
/// proposed again.
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
    let a: Member = (collection_id, entity_id.to_string());
    let b: Member = (match_collection_id, match_id.to_string());
    if a == b {
        return Err(ApiError::bad_request(
            "an entity cannot be judged against itself",
        ));
    }
    // The pair decision first: it validates the pair for the store.
    state
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
    let collections: Vec<i64> = BTreeSet::from([a.0, b.0]).into_iter().collect();
    let profile = match profile_of(state, &collections, &a).await? {
        Some((set, _)) => Some(set),
        None if judgement.is_some() => {
            let label = state
                .store
                .entity(a.0, &a.1)
                .await?
                .map(|e| e.entity.caption().to_string())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "profile".to_string());
            let mut new = NewEntitySet::new(a.0, EntitySetType::Profile, label);
            new.role_id = Some(user.id);
            let set = state.store.create_entityset(new).await?;
            judge_item(state, set.id, &a, Judgement::Positive, None, Some(user.id)).await?;
            Some(set)
        }
        None => None,
    };
    let Some(profile) = profile else {
        return Ok(json!({"status": "ok", "profile_id": null}));
    };
    if judgement == Some(PairJudgement::Positive)
        && let Some((other, items)) = profile_of(state, &collections, &b).await?
        && other.id != profile.id
    {
        // Two profiles joined by this pair become one: the match's moves in.
        for item in items {
            let member = (item.collection_id, item.entity_id.clone());
            judge_item(
                state,
                profile.id,
                &member,
                item.judgement,
                item.compared_to_entity_id.as_deref(),
                item.added_by_id,
            )
            .await?;
        }
        state.store.delete_entityset(other.id).await?;
    }
    judge_item(
        state,
        profile.id,
        &b,
        set_judgement(judgement),
        Some(&a.1),
        Some(user.id),
    )
    .await?;
    Ok(json!({"status": "ok", "profile_id": profile.id.to_string()}))
}

/// An item of a profile set was judged through `/entitysets/{id}/items`: record the pairs
/// it makes with the set's other members (and the entity it was compared to) as pair
/// decisions, so that the xref listing and runner see what the set says. Members the
/// caller cannot read are left alone.
pub async fn profile_item_judged(
    state: &AppState,
    actor: &Actor,
    set: &EntitySet,
    collection_id: i64,
    entity_id: &str,
    judgement: Judgement,
    compared_to: Option<&str>,
) -> ApiResult<()> {
    if set.kind != EntitySetType::Profile {
        return Ok(());
    }
    // The pairs: every member, and the entity it was compared to whatever its judgement.
    let others: BTreeSet<Member> = all_items(state, set.id)
        .await?
        .into_iter()
        .filter(|i| i.judgement == Judgement::Positive || Some(i.entity_id.as_str()) == compared_to)
        .map(|i| (i.collection_id, i.entity_id))
        .collect();
    for (other_collection, other_id) in others {
        if other_collection == collection_id && other_id == entity_id {
            continue;
        }
        if !actor.can_read(other_collection) {
            continue;
        }
        state
            .store
            .decide(&NewDecision {
                collection_id,
                entity_id: entity_id.to_string(),
                match_collection_id: other_collection,
                match_id: other_id,
                judgement: pair_judgement(judgement),
                role_id: actor.id(),
            })
            .await?;
    }
    Ok(())
}

/// A profile set the caller can read, or a 404 (also for sets of other types, and for
/// profiles in collections the caller cannot read: their existence is not revealed).
async fn readable_profile(
    state: &AppState,
    actor: &Actor,
    profile_id: &str,
) -> ApiResult<EntitySet> {
    let id = profile_id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found())?;
    let set = match state.store.entityset(id).await {
        Ok(set) => set,
        Err(store::StoreError::NotFound { .. }) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if set.kind != EntitySetType::Profile || !actor.can_read(set.collection_id) {
        return Err(ApiError::not_found());
    }
    Ok(set)
}

/// The members of a profile (positive items) the caller can read, merged into one
/// entity with the profile's id; `None` when none is left.
async fn merged_profile(
    state: &AppState,
    actor: &Actor,
    set: &EntitySet,
    items: &[EntitySetItem],
) -> ApiResult<Option<(Entity, Vec<String>)>> {
    let mut members: Vec<Member> = items
        .iter()
        .filter(|i| i.judgement == Judgement::Positive && actor.can_read(i.collection_id))
        .map(|i| (i.collection_id, i.entity_id.clone()))
        .collect();
    members.sort();
    members.dedup();
    let mut merged: Option<Entity> = None;
    let mut ids = Vec::new();
    for (collection_id, entity_id) in &members {
        let Some(stored) = state.store.entity(*collection_id, entity_id).await? else {
            continue;
        };
        ids.push(entity_id.clone());
        merged = Some(match merged {
            None => stored.entity,
            Some(mut m) => {
                // Schemata that cannot be merged keep the first entity's view.
                let _ = m.merge(&stored.entity);
                m
            }
        });
    }
    Ok(merged.map(|mut m| {
        m.set_id(Some(set.id.to_string()));
        (m, ids)
    }))
}

/// `GET /profiles/{id}`: the entities judged the same, merged, as far as the caller can
/// read them: `{id, collection, merged, entities, writeable}`.
pub async fn profile(state: &AppState, actor: &Actor, profile_id: &str) -> ApiResult<Value> {
    let set = readable_profile(state, actor, profile_id).await?;
    let items = all_items(state, set.id).await?;
    let Some((merged, ids)) = merged_profile(state, actor, &set, &items).await? else {
        return Err(ApiError::not_found());
    };
    let mut ser = Serializer::new(state, actor).await?;
    let collection = ser.collection_by_id(set.collection_id).await;
    Ok(json!({
        "id": set.id.to_string(),
        "collection": collection,
        "merged": merged.to_json(),
        "entities": ids,
        "writeable": actor.can_write(set.collection_id),
    }))
}

/// `GET /profiles/{id}/similar`: entities like the merged profile that are not judged
/// against it yet, from collections the caller can read, best first:
/// `{entity, score, judgement, collection_id, explanation}`.
pub async fn similar(
    state: &AppState,
    actor: &Actor,
    profile_id: &str,
    params: &Params,
) -> ApiResult<Map<String, Value>> {
    let set = readable_profile(state, actor, profile_id).await?;
    let page = PageRequest::from_params(params)?;
    let items = all_items(state, set.id).await?;
    let judged: BTreeSet<&str> = items.iter().map(|i| i.entity_id.as_str()).collect();
    let Some((merged, _)) = merged_profile(state, actor, &set, &items).await? else {
        return Err(ApiError::not_found());
    };
    let hits = super::api::candidate_hits(state, &actor.scope(), &merged).await?;
    let (positions, candidates): (Vec<usize>, Vec<Entity>) = hits
        .iter()
        .enumerate()
        .filter(|(_, h)| !judged.contains(h.id.as_str()))
        .filter_map(|(i, h)| Some((i, Entity::from_json(h.entity.clone(), true).ok()?)))
        .unzip();
    let scored = super::match_example(&merged, &candidates, super::SCORE_CUTOFF);
    let total = scored.len() as u64;
    let mut ser = Serializer::new(state, actor).await?;
    let empty = HashMap::new();
    let mut results = Vec::new();
    for (index, m) in scored.into_iter().skip(page.offset).take(page.limit) {
        let Some(hit) = positions.get(index).and_then(|&i| hits.get(i)) else {
            continue;
        };
        let collection_id = hit.collection_id;
        let entity = ser.entity(&EntityView::from_hit(hit.clone()), &empty).await;
        results.push(json!({
            "entity": entity,
            "score": m.score,
            "judgement": "no_judgement",
            "collection_id": collection_id.to_string(),
            "explanation": serde_json::to_value(&m).unwrap_or(Value::Null),
        }));
    }
    let path = format!("api/2/profiles/{}/similar", set.id);
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

/// `GET /profiles/{id}/expand`: the neighbourhood of every member the caller can read
/// (see [`crate::services::neighbours::expand`]), joined by property; links between the
/// members themselves are left out, as are repeats.
pub async fn expand(
    state: &AppState,
    actor: &Actor,
    profile_id: &str,
    params: &Params,
) -> ApiResult<Value> {
    let set = readable_profile(state, actor, profile_id).await?;
    let members: Vec<Member> = all_items(state, set.id)
        .await?
        .into_iter()
        .filter(|i| i.judgement == Judgement::Positive && actor.can_read(i.collection_id))
        .map(|i| (i.collection_id, i.entity_id))
        .collect();
    if members.is_empty() {
        return Err(ApiError::not_found());
    }
    let member_ids: BTreeSet<&str> = members.iter().map(|(_, e)| e.as_str()).collect();
    // Property → (count, entities, their ids).
    let mut groups: std::collections::BTreeMap<String, (u64, Vec<Value>, BTreeSet<String>)> =
        std::collections::BTreeMap::new();
    for (collection_id, entity_id) in &members {
        let collection = state.store.collection(*collection_id).await?;
        let found =
            match crate::services::neighbours::expand(state, actor, &collection, entity_id, params)
                .await
            {
                Ok(found) => found,
                // A member deleted since it was judged has no neighbours.
                Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => continue,
                Err(e) => return Err(e),
            };
        for group in found["results"].as_array().into_iter().flatten() {
            let Some(property) = group["property"].as_str() else {
                continue;
            };
            let entry = groups.entry(property.to_string()).or_default();
            for entity in group["entities"].as_array().into_iter().flatten() {
                let Some(id) = entity["id"].as_str() else {
                    continue;
                };
                if member_ids.contains(id) || !entry.2.insert(id.to_string()) {
                    continue;
                }
                entry.0 += 1;
                entry.1.push(entity.clone());
            }
        }
    }
    let results: Vec<Value> = groups
        .into_iter()
        .filter(|(_, (count, _, _))| *count > 0)
        .map(|(property, (count, entities, _))| {
            json!({"property": property, "count": count, "entities": entities})
        })
        .collect();
    Ok(json!({"status": "ok", "total": results.len(), "results": results}))
}
