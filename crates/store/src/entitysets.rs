//! Entity sets: lists, network diagrams (with their layout), timelines, bookmarks and
//! profiles — named groups of entities inside a collection — and their items with a
//! judgement (how xref decisions and profile merges are recorded).

use serde_json::{Map, Value};

use crate::{Result, StoreError, Timestamp};

/// The longest label or summary a set may have, in bytes.
pub const MAX_ENTITYSET_TEXT: usize = 65_536;

/// What an entity set is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntitySetType {
    List,
    Diagram,
    Timeline,
    Bookmark,
    Profile,
}

impl EntitySetType {
    pub const ALL: [EntitySetType; 5] = [
        EntitySetType::List,
        EntitySetType::Diagram,
        EntitySetType::Timeline,
        EntitySetType::Bookmark,
        EntitySetType::Profile,
    ];

    /// The name Aleph uses.
    pub fn as_str(self) -> &'static str {
        match self {
            EntitySetType::List => "list",
            EntitySetType::Diagram => "diagram",
            EntitySetType::Timeline => "timeline",
            EntitySetType::Bookmark => "bookmark",
            EntitySetType::Profile => "profile",
        }
    }

    pub fn parse(s: &str) -> Option<EntitySetType> {
        EntitySetType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A decision about an item: whether the entity belongs to the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Judgement {
    Positive,
    Negative,
    Unsure,
    /// Not stored: judging an item `NoJudgement` removes it.
    NoJudgement,
}

impl Judgement {
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Positive => "positive",
            Judgement::Negative => "negative",
            Judgement::Unsure => "unsure",
            Judgement::NoJudgement => "no_judgement",
        }
    }

    pub fn parse(s: &str) -> Option<Judgement> {
        [
            Judgement::Positive,
            Judgement::Negative,
            Judgement::Unsure,
            Judgement::NoJudgement,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }
}

/// A stored entity set.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySet {
    pub id: i64,
    pub collection_id: i64,
    /// Who made it (gone if that role was deleted).
    pub role_id: Option<i64>,
    pub kind: EntitySetType,
    pub label: String,
    pub summary: Option<String>,
    /// A diagram's layout (node positions, edges, viewport) as the UI saves it; `{}` else.
    pub layout: Map<String, Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A set to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntitySet {
    pub collection_id: i64,
    pub role_id: Option<i64>,
    pub kind: EntitySetType,
    pub label: String,
    pub summary: Option<String>,
    pub layout: Map<String, Value>,
}

impl NewEntitySet {
    pub fn new(collection_id: i64, kind: EntitySetType, label: impl Into<String>) -> NewEntitySet {
        NewEntitySet {
            collection_id,
            role_id: None,
            kind,
            label: label.into(),
            summary: None,
            layout: Map::new(),
        }
    }

    pub(crate) fn validated(mut self) -> Result<NewEntitySet> {
        self.label = label(&self.label)?;
        self.summary = summary(self.summary.take())?;
        Ok(self)
    }
}

/// A change to a set: `None` keeps a field; `summary: Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntitySetUpdate {
    pub label: Option<String>,
    pub summary: Option<Option<String>>,
    pub layout: Option<Map<String, Value>>,
}

impl EntitySetUpdate {
    pub(crate) fn apply(self, mut set: EntitySet) -> Result<EntitySet> {
        if let Some(l) = self.label {
            set.label = label(&l)?;
        }
        if let Some(s) = self.summary {
            set.summary = summary(s)?;
        }
        if let Some(layout) = self.layout {
            set.layout = layout;
        }
        Ok(set)
    }
}

fn label(raw: &str) -> Result<String> {
    let l = raw.trim();
    if l.is_empty() {
        return Err(StoreError::invalid("an entity set needs a label"));
    }
    if l.len() > MAX_ENTITYSET_TEXT {
        return Err(StoreError::invalid("entity set label is too long"));
    }
    Ok(l.to_string())
}

fn summary(raw: Option<String>) -> Result<Option<String>> {
    match raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > MAX_ENTITYSET_TEXT => {
            Err(StoreError::invalid("entity set summary is too long"))
        }
        other => Ok(other),
    }
}

/// Which sets a listing returns, newest `updated_at` first.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySetQuery {
    /// Only sets in these collections; `None` for every live collection (admins).
    pub collections: Option<Vec<i64>>,
    /// Only these types; empty for all.
    pub kinds: Vec<EntitySetType>,
    /// Labels starting with this, case-insensitively.
    pub label_prefix: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

impl EntitySetQuery {
    pub fn new(collections: Option<Vec<i64>>) -> EntitySetQuery {
        EntitySetQuery {
            collections,
            kinds: Vec::new(),
            label_prefix: None,
            limit: 20,
            offset: 0,
        }
    }
}

/// One entity in a set.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySetItem {
    pub entityset_id: i64,
    pub entity_id: String,
    /// The collection the entity lives in (may differ from the set's).
    pub collection_id: i64,
    pub judgement: Judgement,
    pub compared_to_entity_id: Option<String>,
    pub added_by_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An item to add, or to judge again.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntitySetItem {
    pub entity_id: String,
    pub collection_id: i64,
    pub judgement: Judgement,
    pub compared_to_entity_id: Option<String>,
    pub added_by_id: Option<i64>,
}

impl NewEntitySetItem {
    pub(crate) fn validated(self) -> Result<NewEntitySetItem> {
        if self.entity_id.trim().is_empty() || self.entity_id.len() > crate::MAX_ENTITY_ID_LEN {
            return Err(StoreError::invalid("bad entity id for an entity set item"));
        }
        Ok(self)
    }
}

/// A layout map from its stored JSON text.
pub(crate) fn layout_from_text(text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(StoreError::Corrupt(format!(
            "entity set layout is not a JSON object: {text:.40}"
        ))),
    }
}

pub(crate) fn layout_to_text(layout: &Map<String, Value>) -> String {
    serde_json::to_string(layout).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn kind_from_text(text: &str) -> Result<EntitySetType> {
    EntitySetType::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown entity set type: {text}")))
}

pub(crate) fn judgement_from_text(text: &str) -> Result<Judgement> {
    match Judgement::parse(text) {
        Some(Judgement::NoJudgement) | None => {
            Err(StoreError::Corrupt(format!("bad stored judgement: {text}")))
        }
        Some(j) => Ok(j),
    }
}
