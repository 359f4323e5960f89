//! Entity fragments: each entity is kept as one fragment per origin (the `_bulk` call, the
//! ingest stage, the mapping… that wrote it) and merged when read, like Aleph's FtM store.

use std::collections::HashMap;

use ftm::Entity;
use serde_json::Value;

use crate::{Result, StoreError, Timestamp};

/// The longest entity id accepted, in bytes.
pub const MAX_ENTITY_ID_LEN: usize = 1024;
/// The longest origin accepted, in bytes.
pub const MAX_ORIGIN_LEN: usize = 255;

/// Where an entity lives: its collection and its id. Streams are ordered by this key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityKey {
    pub collection_id: i64,
    pub entity_id: String,
}

/// An entity merged over all its fragments.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntity {
    pub collection_id: i64,
    pub entity: Entity,
    /// The origins that contributed, in order.
    pub origins: Vec<String>,
    /// The earliest fragment's creation time.
    pub created_at: Timestamp,
    /// The latest fragment's update time.
    pub updated_at: Timestamp,
    /// Fragments that could not be merged in (conflicting schema, unreadable JSON).
    pub skipped: Vec<SkippedFragment>,
}

impl StoredEntity {
    pub fn key(&self) -> EntityKey {
        EntityKey {
            collection_id: self.collection_id,
            entity_id: self.entity.id().unwrap_or_default().to_string(),
        }
    }
}

/// A fragment left out of a merged entity, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedFragment {
    pub origin: String,
    pub schema: String,
    pub reason: String,
}

/// An entity none of whose fragments could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokenEntity {
    pub key: EntityKey,
    pub fragments: Vec<SkippedFragment>,
}

impl BrokenEntity {
    /// The error a caller gets for this entity.
    pub fn to_error(&self) -> StoreError {
        let reasons: Vec<String> = self
            .fragments
            .iter()
            .map(|f| format!("{} ({}): {}", f.origin, f.schema, f.reason))
            .collect();
        StoreError::Corrupt(format!(
            "entity {} in collection {}: {}",
            self.key.entity_id,
            self.key.collection_id,
            reasons.join("; ")
        ))
    }
}

/// Entities read together: those that merged, and those that could not be read at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityBatch {
    pub entities: Vec<StoredEntity>,
    pub broken: Vec<BrokenEntity>,
}

/// Which entities a page or stream covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityScope {
    All,
    Collection(i64),
}

/// Selects entities to page through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityFilter {
    pub scope: EntityScope,
    /// Only entities with a fragment written at or after this time (index catch-up).
    /// Clocks of several writers may differ and a transaction may commit after a later
    /// one; subtract a safety margin from the time of the last catch-up.
    pub updated_since: Option<Timestamp>,
}

impl EntityFilter {
    pub fn collection(collection_id: i64) -> EntityFilter {
        EntityFilter {
            scope: EntityScope::Collection(collection_id),
            updated_since: None,
        }
    }

    pub fn all() -> EntityFilter {
        EntityFilter {
            scope: EntityScope::All,
            updated_since: None,
        }
    }

    pub fn updated_since(mut self, since: Timestamp) -> EntityFilter {
        self.updated_since = Some(since);
        self
    }
}

/// One page of entities in key order; `next` is the key to continue after, if the page
/// was full.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityPage {
    pub batch: EntityBatch,
    pub next: Option<EntityKey>,
}

/// A fragment ready to write: its id, schema name and JSON, serialised once.
#[derive(Debug)]
pub(crate) struct FragmentInput {
    pub entity_id: String,
    pub schema: &'static str,
    pub data: String,
}

/// [`prepare_batch`] for each of several origins; an origin named twice is invalid (its
/// second batch would silently replace the first within one transaction).
pub(crate) fn prepare_origins(
    origins: &[(String, Vec<Entity>)],
) -> Result<Vec<(String, Vec<FragmentInput>)>> {
    let mut out: Vec<(String, Vec<FragmentInput>)> = Vec::with_capacity(origins.len());
    for (origin, entities) in origins {
        if out.iter().any(|(o, _)| o == origin) {
            return Err(StoreError::invalid(format!(
                "origin {origin} is named twice in one replacement"
            )));
        }
        out.push((origin.clone(), prepare_batch(origin, entities)?));
    }
    Ok(out)
}

/// Check and serialise a batch before anything is written, so that one bad entity
/// rejects the whole batch. A later entity with the same id replaces an earlier one.
pub(crate) fn prepare_batch(origin: &str, entities: &[Entity]) -> Result<Vec<FragmentInput>> {
    check_origin(origin)?;
    let mut rows: Vec<FragmentInput> = Vec::with_capacity(entities.len());
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(entities.len());
    for (i, entity) in entities.iter().enumerate() {
        let id = match entity.id() {
            Some(id) => id,
            None => {
                return Err(StoreError::invalid(format!(
                    "entity #{i} in the batch has no id"
                )));
            }
        };
        check_entity_id(id).map_err(|e| StoreError::invalid(format!("entity #{i}: {e}")))?;
        let data = serde_json::to_string(entity)
            .map_err(|e| StoreError::invalid(format!("entity {id} cannot be serialised: {e}")))?;
        let row = FragmentInput {
            entity_id: id.to_string(),
            schema: entity.schema().name(),
            data,
        };
        match seen.get(id) {
            Some(&pos) => rows[pos] = row,
            None => {
                seen.insert(id, rows.len());
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

pub(crate) fn check_entity_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Err("entity id is empty".into());
    }
    if id.len() > MAX_ENTITY_ID_LEN {
        return Err(format!("entity id longer than {MAX_ENTITY_ID_LEN} bytes"));
    }
    if id.contains('\0') {
        return Err("entity id contains a NUL character".into());
    }
    Ok(())
}

pub(crate) fn check_origin(origin: &str) -> Result<()> {
    if origin.is_empty() || origin.len() > MAX_ORIGIN_LEN || origin.contains('\0') {
        return Err(StoreError::invalid(format!(
            "origin must be 1 to {MAX_ORIGIN_LEN} bytes without NUL characters"
        )));
    }
    Ok(())
}

/// A fragment as read from either backend.
#[derive(Debug)]
pub(crate) struct FragmentRow {
    pub collection_id: i64,
    pub entity_id: String,
    pub origin: String,
    pub schema: String,
    pub data: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Merge fragment rows, sorted by (collection, entity, origin), into entities.
pub(crate) fn assemble(rows: Vec<FragmentRow>) -> EntityBatch {
    let mut batch = EntityBatch::default();
    let mut group: Vec<FragmentRow> = Vec::new();
    for row in rows {
        let same = group
            .last()
            .is_some_and(|g| g.collection_id == row.collection_id && g.entity_id == row.entity_id);
        if !same && !group.is_empty() {
            merge_group(std::mem::take(&mut group), &mut batch);
        }
        group.push(row);
    }
    if !group.is_empty() {
        merge_group(group, &mut batch);
    }
    batch
}

/// The one entity of a single-entity read, or why it cannot be read.
pub(crate) fn single(batch: EntityBatch) -> Result<Option<StoredEntity>> {
    if let Some(broken) = batch.broken.first() {
        return Err(broken.to_error());
    }
    Ok(batch.entities.into_iter().next())
}

/// A page from one query's worth of entities: when `limit` entities came back there may be
/// more, after the greatest key seen.
pub(crate) fn into_page(batch: EntityBatch, limit: u32) -> EntityPage {
    let seen = batch.entities.len() + batch.broken.len();
    let next = if seen >= limit as usize {
        let last_ok = batch.entities.last().map(StoredEntity::key);
        let last_broken = batch.broken.last().map(|b| b.key.clone());
        last_ok.max(last_broken)
    } else {
        None
    };
    EntityPage { batch, next }
}

fn merge_group(group: Vec<FragmentRow>, batch: &mut EntityBatch) {
    let Some(first) = group.first() else {
        return;
    };
    let key = EntityKey {
        collection_id: first.collection_id,
        entity_id: first.entity_id.clone(),
    };
    let mut merged: Option<StoredEntity> = None;
    let mut skipped = Vec::new();
    for row in group {
        let skip = |reason: String| SkippedFragment {
            origin: row.origin.clone(),
            schema: row.schema.clone(),
            reason,
        };
        let fragment = match parse_fragment(&row.data, &key.entity_id) {
            Ok(f) => f,
            Err(reason) => {
                skipped.push(skip(reason));
                continue;
            }
        };
        match merged.as_mut() {
            None => {
                merged = Some(StoredEntity {
                    collection_id: key.collection_id,
                    entity: fragment,
                    origins: vec![row.origin],
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                    skipped: Vec::new(),
                });
            }
            Some(m) => match m.entity.merge(&fragment) {
                Ok(()) => {
                    m.origins.push(row.origin);
                    m.created_at = m.created_at.min(row.created_at);
                    m.updated_at = m.updated_at.max(row.updated_at);
                }
                Err(e) => skipped.push(skip(e.to_string())),
            },
        }
    }
    match merged {
        Some(mut m) => {
            m.skipped = skipped;
            batch.entities.push(m);
        }
        None => batch.broken.push(BrokenEntity {
            key,
            fragments: skipped,
        }),
    }
}

fn parse_fragment(data: &str, entity_id: &str) -> std::result::Result<Entity, String> {
    let mut value: Value = serde_json::from_str(data).map_err(|e| format!("bad JSON: {e}"))?;
    if let Value::Object(map) = &mut value {
        // The key is the truth about the id, whatever the JSON says.
        map.insert("id".into(), Value::String(entity_id.to_string()));
    }
    Entity::from_json(value, true).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::time::now;

    fn entity(v: Value) -> Entity {
        Entity::from_json(v, false).unwrap()
    }

    fn row(origin: &str, e: &Entity) -> FragmentRow {
        FragmentRow {
            collection_id: 1,
            entity_id: e.id().unwrap().to_string(),
            origin: origin.into(),
            schema: e.schema().name().into(),
            data: serde_json::to_string(e).unwrap(),
            created_at: now(),
            updated_at: now(),
        }
    }

    #[test]
    fn batches_reject_missing_ids_and_keep_the_last_duplicate() {
        let a = entity(json!({"id": "a", "schema": "Person", "properties": {"name": ["A"]}}));
        let a2 = entity(json!({"id": "a", "schema": "Person", "properties": {"name": ["A2"]}}));
        let b = entity(json!({"schema": "Person", "properties": {"name": ["B"]}}));
        let rows = prepare_batch("o", &[a.clone(), a2]).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].data.contains("A2"));
        assert!(matches!(
            prepare_batch("o", &[a.clone(), b]),
            Err(StoreError::Invalid(_))
        ));
        assert!(prepare_batch("", &[a]).is_err());
    }

    #[test]
    fn conflicting_schema_is_skipped_not_fatal() {
        let person = entity(json!({"id": "x", "schema": "Person", "properties": {"name": ["P"]}}));
        let legal = entity(
            json!({"id": "x", "schema": "LegalEntity", "properties": {"email": ["a@b.org"]}}),
        );
        let company =
            entity(json!({"id": "x", "schema": "Company", "properties": {"name": ["C"]}}));
        let rows = vec![row("a", &legal), row("b", &person), row("c", &company)];
        let batch = assemble(rows);
        assert!(batch.broken.is_empty());
        let e = &batch.entities[0];
        assert_eq!(e.entity.schema().name(), "Person");
        assert_eq!(e.entity.get("name"), ["P"]);
        assert_eq!(e.entity.get("email"), ["a@b.org"]);
        assert_eq!(e.origins, ["a", "b"]);
        assert_eq!(e.skipped.len(), 1);
        assert_eq!(e.skipped[0].origin, "c");
    }

    #[test]
    fn unreadable_fragments_are_reported() {
        let person = entity(json!({"id": "x", "schema": "Person"}));
        let mut bad = row("a", &person);
        bad.data = "{not json".into();
        let batch = assemble(vec![bad]);
        assert!(batch.entities.is_empty());
        assert_eq!(batch.broken.len(), 1);
        assert_eq!(batch.broken[0].key.entity_id, "x");
    }
}
