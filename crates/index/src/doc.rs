//! What is indexed for one entity.

use chrono::{DateTime, Utc};

/// An entity with the facts Aleph keeps beside it in the index.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub entity: ftm::Entity,
    pub collection_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the entity was made in the UI or API (editable) rather than ingested.
    pub mutable: bool,
    /// Which processes produced the entity's fragments (`ingest`, `analyze`…).
    pub origin: Vec<String>,
    pub role_id: Option<i64>,
}

impl IndexDoc {
    /// A document for `entity` in `collection_id`, created and updated now, not mutable.
    pub fn new(entity: ftm::Entity, collection_id: i64) -> IndexDoc {
        let now = Utc::now();
        IndexDoc {
            entity,
            collection_id,
            created_at: now,
            updated_at: now,
            mutable: false,
            origin: Vec::new(),
            role_id: None,
        }
    }
}
