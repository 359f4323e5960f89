//! Writing entities: validate, clean, sign, store, then index — the one path that `_bulk`,
//! `POST /entities`, `aleph load-entities` and the workers share.
//!
//! Everything is checked before anything is written, and the store write is one
//! transaction: a request writes all of its entities or none. The index is derived: it is
//! updated from the merged entities the store returns, after the store write. When the
//! index cannot take the update (the search cluster is down or restarting), the write
//! still stands: index jobs for the entities go into the queue, and the indexing worker
//! runs them once the index answers again.

use std::collections::HashSet;
use std::sync::Arc;

use ftm::{Entity, Namespace, PropertyType};
use index::{IndexDoc, SearchIndex};
use serde_json::Value;
use store::{Collection, Store, StoredEntity};

use crate::error::{ApiError, ApiResult};

/// Fragments written through `_bulk`.
pub const ORIGIN_BULK: &str = "bulk";
/// Fragments written by users through the API or UI: editable (`mutable`).
pub const ORIGIN_API: &str = "api";

/// How a batch of entities is written.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions<'a> {
    pub origin: &'a str,
    /// Clean every value by its property type (FtM `clean`); `false` trusts the input.
    pub clean: bool,
    /// Drop checksum-typed properties, so users cannot point at blobs they do not own.
    pub safe: bool,
    /// Sign entity-typed property values too, not only the entity's own id.
    pub sign_references: bool,
}

impl WriteOptions<'static> {
    /// What `_bulk` does by default.
    pub fn bulk() -> WriteOptions<'static> {
        WriteOptions {
            origin: ORIGIN_BULK,
            clean: true,
            safe: true,
            sign_references: true,
        }
    }
}

/// Parse and prepare one entity of a request. `position` names it in errors.
pub fn prepare(
    collection: &Collection,
    raw: Value,
    opts: &WriteOptions<'_>,
    position: usize,
) -> ApiResult<Entity> {
    let field = |name: &str| format!("{position}.{name}");
    let Value::Object(map) = &raw else {
        return Err(ApiError::invalid(
            &position.to_string(),
            "an entity must be a JSON object",
        ));
    };
    match map.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(Value::Number(_)) => {}
        _ => return Err(ApiError::invalid(&field("id"), "No ID for entity")),
    }
    // FtM would skip a `properties` that is not a mapping, silently losing the data.
    if !matches!(
        map.get("properties"),
        None | Some(Value::Null) | Some(Value::Object(_))
    ) {
        return Err(ApiError::invalid(
            &field("properties"),
            "properties must be an object",
        ));
    }
    let mut entity = Entity::from_json(raw, !opts.clean).map_err(|e| match e {
        ftm::EntityError::MissingSchema => {
            ApiError::invalid(&field("schema"), "No schema for entity.")
        }
        other => ApiError::invalid(&field("schema"), other.to_string()),
    })?;
    // The index refuses abstract schemata (Thing, Interval…); refusing them here keeps the
    // store from holding entities the index cannot.
    if entity.schema().is_abstract() {
        return Err(ApiError::invalid(
            &field("schema"),
            format!("{} is an abstract schema", entity.schema().name()),
        ));
    }
    if opts.safe {
        let checksums: Vec<&'static str> = entity
            .properties()
            .filter(|(p, _)| p.type_() == PropertyType::Checksum)
            .map(|(p, _)| p.name())
            .collect();
        for name in checksums {
            entity.pop(name);
        }
    }
    let namespace = Namespace::new(&collection.foreign_id);
    if opts.sign_references {
        entity = namespace
            .apply(&entity)
            .map_err(|e| ApiError::invalid(&field("properties"), e.to_string()))?;
    } else {
        let signed = entity.id().and_then(|id| namespace.sign(id));
        entity.set_id(signed);
    }
    if entity.id().is_none() {
        return Err(ApiError::invalid(&field("id"), "Invalid entity ID"));
    }
    // Collection-level context is ours to set, not the client's.
    for key in [
        "collection_id",
        "collection",
        "role_id",
        "mutable",
        "profile_id",
    ] {
        entity.context.remove(key);
    }
    Ok(entity)
}

/// Write prepared entities into a collection, index the merged result and commit the
/// index so they are searchable when this returns, then run the alerts on them. Returns
/// the ids.
pub async fn write(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection_id: i64,
    origin: &str,
    entities: &[Entity],
) -> ApiResult<Vec<String>> {
    let ids = write_stored(store, collection_id, origin, entities).await?;
    let indexed = match sync_index(store, index, collection_id, &ids).await {
        Ok(()) => index.commit().await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match indexed {
        Ok(()) => {
            crate::services::alerts::after_index(store, index, collection_id, &ids).await;
        }
        Err(e) => defer_index(store, collection_id, &ids, e).await?,
    }
    Ok(ids)
}

/// [`write`] without the index commit, for bulk loads that commit once at the end.
pub async fn write_uncommitted(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection_id: i64,
    origin: &str,
    entities: &[Entity],
) -> ApiResult<Vec<String>> {
    let ids = write_stored(store, collection_id, origin, entities).await?;
    if let Err(e) = sync_index(store, index, collection_id, &ids).await {
        defer_index(store, collection_id, &ids, e).await?;
    }
    Ok(ids)
}

/// The store half of a write; returns the distinct ids written.
async fn write_stored(
    store: &Arc<dyn Store>,
    collection_id: i64,
    origin: &str,
    entities: &[Entity],
) -> ApiResult<Vec<String>> {
    if entities.is_empty() {
        return Ok(Vec::new());
    }
    store.put_fragments(collection_id, origin, entities).await?;
    let mut seen = HashSet::new();
    Ok(entities
        .iter()
        .filter_map(|e| e.id().map(str::to_string))
        .filter(|id| seen.insert(id.clone()))
        .collect())
}

/// Attempts a deferred index job gets. The indexing worker does not claim while the index
/// is unreachable, so attempts are only spent by outages that start mid-batch.
const DEFERRED_INDEX_ATTEMPTS: u32 = 20;

/// The payload key that marks an index job made by [`defer_index`].
const DEFERRED: &str = "deferred";

/// Whether an index job was made by [`defer_index`]: it names one entity, to be synced
/// from the store, and no document whose extracted entities follow it.
pub fn is_deferred_index_job(job: &store::Job) -> bool {
    job.payload.get(DEFERRED).and_then(Value::as_bool) == Some(true)
}

/// The store has the entities but the index did not take them: queue one index job per
/// entity (deduplicated while queued) so that the index catches up by itself. A request
/// error of the index (a 4xx) is the caller's and is returned as it is, as is `error` when
/// even the queue cannot be written.
pub async fn defer_index(
    store: &Arc<dyn Store>,
    collection_id: i64,
    ids: &[String],
    error: ApiError,
) -> ApiResult<()> {
    if !error.status.is_server_error() {
        return Err(error);
    }
    if let Err(queue_error) = queue_index(store, collection_id, ids).await {
        tracing::error!(
            "cannot queue index jobs after an index failure: {}",
            queue_error.message
        );
        return Err(error);
    }
    tracing::warn!(
        collection_id,
        entities = ids.len(),
        "index unavailable ({}); the entities are stored and queued for indexing",
        error.message
    );
    Ok(())
}

/// Queue one deferred index job per entity (deduplicated while queued): the indexing
/// worker syncs each from the store, indexing it or removing it when the store has none.
pub async fn queue_index(
    store: &Arc<dyn Store>,
    collection_id: i64,
    ids: &[String],
) -> ApiResult<()> {
    let jobs: Vec<store::NewJob> = ids
        .iter()
        .map(|id| {
            let mut job = store::NewJob::new(collection_id, store::Stage::INDEX)
                .entity(id)
                .payload(serde_json::json!({ DEFERRED: true }));
            job.max_attempts = DEFERRED_INDEX_ATTEMPTS;
            job
        })
        .collect();
    for chunk in jobs.chunks(1000) {
        store.enqueue(chunk).await?;
    }
    Ok(())
}

/// Bring the index in line with the store for these entities of a collection: present ones
/// are (re)indexed from their merged fragments, missing ones are removed. Not committed.
pub async fn sync_index(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection_id: i64,
    ids: &[String],
) -> ApiResult<()> {
    for chunk in ids.chunks(2000) {
        let batch = store.entities(collection_id, chunk).await?;
        let found: HashSet<&str> = batch
            .entities
            .iter()
            .filter_map(|s| s.entity.id())
            .collect();
        let gone: Vec<String> = chunk
            .iter()
            .filter(|id| !found.contains(id.as_str()))
            .cloned()
            .collect();
        let docs: Vec<IndexDoc> = batch.entities.into_iter().map(index_doc).collect();
        if !docs.is_empty() {
            index.index(docs).await?;
        }
        if !gone.is_empty() {
            index.delete_entities(gone).await?;
        }
    }
    Ok(())
}

/// The index document of a stored entity.
pub fn index_doc(stored: StoredEntity) -> IndexDoc {
    let mutable = stored.origins.iter().any(|o| o == ORIGIN_API);
    IndexDoc {
        entity: stored.entity,
        collection_id: stored.collection_id,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
        mutable,
        origin: stored.origins,
        role_id: None,
    }
}
