//! Entities: an id, a schema, ordered de-duplicated multi-valued properties, and context.
//!
//! This mirrors FtM's `ValueEntity` (the default entity class since FtM 4): besides `id`,
//! `schema` and `properties` it carries `datasets`, `referents`, a precomputed `caption`,
//! `first_seen`/`last_seen`/`last_change`, and any other top-level JSON keys as opaque
//! context that survives a round trip (Aleph keeps `collection_id`, `origin`… there).

use std::collections::{BTreeMap, HashSet};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::{CleanOptions, ModelError, Property, PropertyType, Schema, model};

mod read;

/// The most text (in code points, over all values) that text and HTML properties may add
/// to one entity; further values are refused, as FtM does to protect the search index.
pub const TOTAL_TEXT_SIZE: usize = 30 * 1024 * 1024;

/// Keys of the JSON form that are not context.
const OWN_KEYS: [&str; 10] = [
    "id",
    "schema",
    "properties",
    "caption",
    "datasets",
    "referents",
    "first_seen",
    "last_seen",
    "last_change",
    "statements",
];

/// What can be wrong with an entity or a change to it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EntityError {
    #[error("entity is not a JSON object")]
    NotAnObject,
    #[error("no schema for entity")]
    MissingSchema,
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("unknown property ({schema}): {property}")]
    UnknownProperty { schema: String, property: String },
    #[error("stub property ({schema}): {property}")]
    StubProperty { schema: String, property: String },
    #[error("self-relationship ({schema}): {id}")]
    SelfRelationship { schema: String, id: String },
    #[error("cannot merge entities with id {id}: {source}")]
    Merge { id: String, source: ModelError },
}

/// How a value is added to an entity.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddOptions<'a> {
    /// The value is already clean (read from our own store or index): skip cleaning.
    pub cleaned: bool,
    /// Fuzzy cleaning, see [`CleanOptions::fuzzy`].
    pub fuzzy: bool,
    /// Overrides the property's own `format`.
    pub format: Option<&'a str>,
}

impl AddOptions<'static> {
    pub const CLEANED: AddOptions<'static> = AddOptions {
        cleaned: true,
        fuzzy: false,
        format: None,
    };
}

/// A FollowTheMoney entity.
#[derive(Clone)]
pub struct Entity {
    id: Option<String>,
    schema: &'static Schema,
    /// In insertion order, like FtM's dict; entities rarely set more than a few dozen
    /// properties, so a vector beats a map.
    properties: Vec<(&'static Property, Vec<String>)>,
    size: usize,
    /// Other top-level keys of the JSON form, kept as they came.
    pub context: Map<String, Value>,
    pub datasets: Vec<String>,
    pub referents: Vec<String>,
    /// A caption computed elsewhere (FtM's `ValueEntity.caption`), passed through.
    pub precomputed_caption: Option<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub last_change: Option<String>,
    /// How many context keys are written before `schema`, as they came (FtM keeps the
    /// order of the keys it was given).
    context_before_schema: usize,
}

/// Why bytes could not be read as an entity.
#[derive(Debug, thiserror::Error)]
pub enum EntityJsonError {
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    #[error(transparent)]
    Entity(EntityError),
}

impl Entity {
    /// An empty entity of the given schema, without an id.
    pub fn new(schema: &'static Schema) -> Entity {
        Entity {
            id: None,
            schema,
            properties: Vec::new(),
            size: 0,
            context: Map::new(),
            datasets: Vec::new(),
            referents: Vec::new(),
            precomputed_caption: None,
            first_seen: None,
            last_seen: None,
            last_change: None,
            context_before_schema: 0,
        }
    }

    /// An empty entity of the schema named `schema`, with an id.
    pub fn with_id(schema: &str, id: impl Into<String>) -> Result<Entity, EntityError> {
        let mut entity = Entity::new(model().schema(schema)?);
        entity.id = Some(id.into());
        Ok(entity)
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn set_id(&mut self, id: Option<String>) {
        self.id = id;
    }

    /// Set the id to FtM's `make_id` of the parts (see [`crate::ids::make_id`]).
    pub fn make_id<S: AsRef<str>>(&mut self, parts: &[S]) -> Option<&str> {
        self.id = crate::ids::make_id(None, parts);
        self.id.as_deref()
    }

    pub fn schema(&self) -> &'static Schema {
        self.schema
    }

    /// Change the schema, keeping only the values the new schema has properties for (an
    /// ingestor turning a `Document` into `Pages` keeps all of them).
    pub fn set_schema(&mut self, schema: &'static Schema) {
        self.schema = schema;
        self.properties = std::mem::take(&mut self.properties)
            .into_iter()
            .filter_map(|(p, values)| schema.property(p.name()).map(|p| (p, values)))
            .collect();
    }

    fn resolve(&self, prop: &str) -> Result<&'static Property, EntityError> {
        self.schema
            .property(prop)
            .ok_or_else(|| EntityError::UnknownProperty {
                schema: self.schema.name().to_string(),
                property: prop.to_string(),
            })
    }

    /// All values of a property; empty for an unknown or unset property.
    pub fn get(&self, prop: &str) -> &[String] {
        self.properties
            .iter()
            .find(|(p, _)| p.name() == prop)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The first value of a property.
    pub fn first(&self, prop: &str) -> Option<&str> {
        self.get(prop).first().map(String::as_str)
    }

    pub fn has(&self, prop: &str) -> bool {
        !self.get(prop).is_empty()
    }

    /// Clean a raw value for `prop` and add it; unknown properties are an error.
    pub fn add(&mut self, prop: &str, value: &str) -> Result<(), EntityError> {
        let prop = self.resolve(prop)?;
        self.add_value(prop, value, AddOptions::default())
            .map(|_| ())
    }

    /// Add an already clean value (no cleaning, only de-duplication).
    pub fn add_cleaned(&mut self, prop: &str, value: impl Into<String>) -> Result<(), EntityError> {
        let prop = self.resolve(prop)?;
        self.push(prop, value.into());
        Ok(())
    }

    /// Add several raw values, cleaning each.
    pub fn add_all<I, S>(&mut self, prop: &str, values: I) -> Result<(), EntityError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let prop = self.resolve(prop)?;
        for v in values {
            self.add_value(prop, v.as_ref(), AddOptions::default())?;
        }
        Ok(())
    }

    /// Replace the values of `prop` with the given raw values, cleaning each.
    pub fn set<I, S>(&mut self, prop: &str, values: I) -> Result<(), EntityError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.pop(prop);
        self.add_all(prop, values)
    }

    /// Add one value to a property: FtM's `add`. Returns the value as stored, or `None` if
    /// cleaning refused it or the entity's text budget is spent.
    pub fn add_value(
        &mut self,
        prop: &'static Property,
        raw: &str,
        opts: AddOptions<'_>,
    ) -> Result<Option<String>, EntityError> {
        if prop.stub() {
            return Err(EntityError::StubProperty {
                schema: self.schema.name().to_string(),
                property: prop.name().to_string(),
            });
        }
        let value = if opts.cleaned {
            if raw.is_empty() {
                return Ok(None);
            }
            raw.to_string()
        } else {
            let clean = CleanOptions {
                format: opts.format.or(prop.format()),
                fuzzy: opts.fuzzy,
            };
            let Some(value) = prop.type_().clean(raw, clean) else {
                return Ok(None);
            };
            if prop.type_() == PropertyType::Entity && self.id.as_deref() == Some(value.as_str()) {
                return Err(EntityError::SelfRelationship {
                    schema: self.schema.name().to_string(),
                    id: value,
                });
            }
            value
        };
        let stored = value.clone();
        Ok(self.push(prop, value).then_some(stored))
    }

    /// Add a value that is already clean and owned, without copying it: `add_value` with
    /// [`AddOptions::CLEANED`] for callers that do not need the stored value back. Returns
    /// whether the value is kept (an empty value or a spent text budget is not).
    pub fn add_clean_value(
        &mut self,
        prop: &'static Property,
        value: String,
    ) -> Result<bool, EntityError> {
        if prop.stub() {
            return Err(EntityError::StubProperty {
                schema: self.schema.name().to_string(),
                property: prop.name().to_string(),
            });
        }
        Ok(!value.is_empty() && self.push(prop, value))
    }

    /// Replace every value of the entity-typed properties with `rewrite(value)`, dropping
    /// those it refuses. The rewritten properties move after the others, as FtM's
    /// pop-then-add leaves them (a signing namespace relies on this order).
    pub fn rewrite_references(&mut self, mut rewrite: impl FnMut(&str) -> Option<String>) {
        if !self
            .properties
            .iter()
            .any(|(p, _)| p.type_() == PropertyType::Entity)
        {
            return;
        }
        let (refs, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.properties)
            .into_iter()
            .partition(|(p, _)| p.type_() == PropertyType::Entity);
        self.properties = others;
        for (prop, values) in refs {
            for value in values {
                if let Some(new) = rewrite(&value) {
                    self.push(prop, new);
                }
            }
        }
    }

    /// Store a clean value, applying de-duplication and FtM's text budget. Returns whether
    /// the value is stored (or was already).
    fn push(&mut self, prop: &'static Property, value: String) -> bool {
        let length = value.chars().count();
        if prop.type_().is_text() && self.size + length > TOTAL_TEXT_SIZE {
            return false;
        }
        self.size += length;
        let values = match self.properties.iter_mut().position(|(p, _)| *p == prop) {
            Some(i) => &mut self.properties[i].1,
            None => {
                self.properties.push((prop, Vec::new()));
                &mut self.properties.last_mut().expect("just pushed").1
            }
        };
        if !values.contains(&value) {
            values.push(value);
        }
        true
    }

    /// Clean every value once more, as `ftm validate` does (it reads with cleaning, then sets
    /// every property again with cleaning). Cleaning is not idempotent for every value — a
    /// name quoted twice loses one pair of quotes per pass — so matching FtM's output takes
    /// both passes.
    ///
    /// Values of types whose cleaner gives its own output back unchanged (codes, dates,
    /// phone numbers, e-mail and IP addresses in printable ASCII) are kept as they are:
    /// the second pass could not change them, and it was a third of the cost of
    /// `aleph ftm validate`.
    pub fn clean_again(&mut self) -> Result<(), EntityError> {
        let properties = std::mem::take(&mut self.properties);
        self.size = 0;
        for (prop, values) in properties {
            if prop.format().is_none()
                && prop.type_().cleans_to_fixed_point()
                && values.iter().all(|v| crate::types::is_printable_ascii(v))
            {
                // Printable ASCII: one code point per byte, as `push` counts them.
                self.size += values.iter().map(String::len).sum::<usize>();
                self.properties.push((prop, values));
                continue;
            }
            for value in values {
                self.add_value(prop, &value, AddOptions::default())?;
            }
        }
        Ok(())
    }

    /// Remove and return all values of a property.
    pub fn pop(&mut self, prop: &str) -> Vec<String> {
        match self.properties.iter().position(|(p, _)| p.name() == prop) {
            Some(i) => self.properties.remove(i).1,
            None => Vec::new(),
        }
    }

    /// Remove one value of a property, if present.
    pub fn remove(&mut self, prop: &str, value: &str) {
        if let Some(i) = self.properties.iter().position(|(p, _)| p.name() == prop) {
            self.properties[i].1.retain(|v| v != value);
            if self.properties[i].1.is_empty() {
                self.properties.remove(i);
            }
        }
    }

    /// The set properties and their values, in the order they were first set.
    pub fn properties(&self) -> impl Iterator<Item = (&'static Property, &[String])> + '_ {
        self.properties.iter().map(|(p, v)| (*p, v.as_slice()))
    }

    /// Every (property, value) pair.
    pub fn values(&self) -> impl Iterator<Item = (&'static Property, &str)> + '_ {
        self.properties
            .iter()
            .flat_map(|(p, vs)| vs.iter().map(move |v| (*p, v.as_str())))
    }

    /// Whether no property has a value.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// All distinct values of a type, over every property of that type (FtM's
    /// `get_type_values`), in first-seen order.
    pub fn type_values(&self, t: PropertyType, matchable_only: bool) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.values()
            .filter(|(p, _)| p.type_() == t && (!matchable_only || p.matchable()))
            .map(|(_, v)| v)
            .filter(|v| seen.insert(*v))
            .collect()
    }

    /// All name-typed values.
    pub fn names(&self) -> Vec<&str> {
        self.type_values(PropertyType::Name, false)
    }

    /// All values of matchable country-typed properties.
    pub fn countries(&self) -> Vec<&str> {
        self.type_values(PropertyType::Country, true)
    }

    /// The values arranged by type group (`names`, `countries`…): the index document shape
    /// (FtM's `get_type_inverted`).
    pub fn type_groups(&self, matchable_only: bool) -> BTreeMap<&'static str, Vec<&str>> {
        let mut groups = BTreeMap::new();
        for (group, t) in model().type_groups() {
            let values = self.type_values(t, matchable_only);
            if !values.is_empty() {
                groups.insert(group, values);
            }
        }
        groups
    }

    /// The label to show for this entity: the first value of the schema's caption
    /// properties (the best of several names), else the schema label.
    pub fn caption(&self) -> String {
        for prop in self.schema.caption() {
            let values = self.get(prop);
            let is_name = self
                .schema
                .property(prop)
                .is_some_and(|p| p.type_() == PropertyType::Name);
            if is_name && values.len() > 1 {
                if let Some(name) = crate::names::pick_name(values) {
                    return name.to_string();
                }
            } else if let Some(first) = values.first() {
                return first.clone();
            }
        }
        self.schema.label().to_string()
    }

    /// The earliest of the schema's start dates, for timelines.
    pub fn temporal_start(&self) -> Option<(&'static Property, &str)> {
        self.temporal(self.schema.temporal_start())
            .min_by(|a, b| a.1.cmp(b.1))
    }

    /// The latest of the schema's end dates.
    pub fn temporal_end(&self) -> Option<(&'static Property, &str)> {
        self.temporal(self.schema.temporal_end())
            .max_by(|a, b| a.1.cmp(b.1))
    }

    fn temporal<'a>(
        &'a self,
        names: &'a [String],
    ) -> impl Iterator<Item = (&'static Property, &'a str)> + 'a {
        names.iter().flat_map(move |name| {
            let prop = self.schema.property(name);
            self.get(name)
                .iter()
                .filter_map(move |v| prop.map(|p| (p, v.as_str())))
        })
    }

    /// For relationship schemata, every (source, target) id pair.
    pub fn edge_pairs(&self) -> Vec<(&str, &str)> {
        let Some(edge) = self.schema.edge() else {
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for s in self.get(&edge.source) {
            for t in self.get(&edge.target) {
                pairs.push((s.as_str(), t.as_str()));
            }
        }
        pairs
    }

    /// Merge another fragment of the same entity into this one (FtM's `merge`): the schema
    /// becomes the more specific of the two, values are appended, context keys are combined.
    pub fn merge(&mut self, other: &Entity) -> Result<(), EntityError> {
        if self.id.is_none() {
            self.id = other.id.clone();
        }
        self.schema = model()
            .common_schema(self.schema, other.schema)
            .map_err(|source| EntityError::Merge {
                id: self.id.clone().unwrap_or_default(),
                source,
            })?;
        merge_context(&mut self.context, &other.context);
        for (prop, values) in &other.properties {
            for v in values {
                self.push(prop, v.clone());
            }
        }
        if let Some(picked) = match (&self.precomputed_caption, &other.precomputed_caption) {
            (Some(a), Some(b)) => {
                crate::names::pick_name(&[a.clone(), b.clone()]).map(str::to_string)
            }
            (a, b) => a.clone().or_else(|| b.clone()),
        } {
            self.precomputed_caption = Some(picked);
        }
        union_into(&mut self.referents, &other.referents);
        union_into(&mut self.datasets, &other.datasets);
        self.first_seen = min_opt(self.first_seen.take(), other.first_seen.clone());
        self.last_seen = max_opt(self.last_seen.take(), other.last_seen.clone());
        self.last_change = max_opt(self.last_change.take(), other.last_change.clone());
        Ok(())
    }

    /// FtM's change-detection checksum: SHA-1 over id, schema, and sorted properties and
    /// values, then sorted datasets and referents and `last_change`.
    pub fn checksum(&self) -> String {
        use sha1::{Digest, Sha1};
        let mut digest = Sha1::new();
        if let Some(id) = &self.id {
            digest.update(id.as_bytes());
        }
        digest.update(self.schema.name().as_bytes());
        let mut props: Vec<&(&'static Property, Vec<String>)> = self.properties.iter().collect();
        props.sort_by_key(|(p, _)| p.name());
        for (prop, values) in props {
            digest.update(prop.name().as_bytes());
            let mut values: Vec<&String> = values.iter().collect();
            values.sort();
            for v in values {
                digest.update(v.as_bytes());
                digest.update([0x1e]);
            }
            digest.update([0x1f]);
        }
        for list in [&self.datasets, &self.referents] {
            let mut sorted: Vec<&String> = list.iter().collect();
            sorted.sort();
            for v in sorted {
                digest.update(v.as_bytes());
                digest.update([0x1e]);
            }
        }
        if let Some(change) = &self.last_change {
            digest.update(change.as_bytes());
        }
        hex::encode(digest.finalize())
    }

    /// Read an entity from its JSON form. With `cleaned == false` every value is cleaned by
    /// its property type (FtM's `from_dict(..., cleaned=False)`); unknown properties are
    /// ignored, as FtM does.
    pub fn from_json(value: Value, cleaned: bool) -> Result<Entity, EntityError> {
        let Value::Object(data) = value else {
            return Err(EntityError::NotAnObject);
        };
        Entity::from_raw(read::RawEntity::from_map(data), cleaned)
    }

    /// [`Entity::from_json`] from the bytes of a JSON object, without building a
    /// `serde_json::Value` of the whole entity first.
    pub fn from_json_slice(bytes: &[u8], cleaned: bool) -> Result<Entity, EntityJsonError> {
        match serde_json::from_slice::<read::RawEntity>(bytes) {
            Ok(raw) => Entity::from_raw(raw, cleaned).map_err(EntityJsonError::Entity),
            // Not an object, or not JSON: the full parse says which, as it always has.
            Err(_) => {
                let value: Value = serde_json::from_slice(bytes).map_err(EntityJsonError::Json)?;
                Entity::from_json(value, cleaned).map_err(EntityJsonError::Entity)
            }
        }
    }

    fn from_raw(raw: read::RawEntity, cleaned: bool) -> Result<Entity, EntityError> {
        let schema_name = match &raw.schema {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            _ => return Err(EntityError::MissingSchema),
        };
        let schema = model().schema(schema_name)?;
        let mut entity = Entity::new(schema);
        entity.id = match raw.id {
            Some(Value::String(s)) if !s.is_empty() => {
                if cleaned {
                    Some(s)
                } else {
                    // The `string` type's cleaning is FtM's `sanitize_text` alone.
                    PropertyType::String.clean(&s, CleanOptions::default())
                }
            }
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        entity.precomputed_caption = into_string(raw.caption);
        entity.first_seen = into_string(raw.first_seen);
        entity.last_seen = into_string(raw.last_seen);
        entity.last_change = into_string(raw.last_change);
        entity.datasets = distinct_strings(raw.datasets);
        entity.referents = distinct_strings(raw.referents);
        entity.context = raw.context;
        entity.context_before_schema = raw.context_before_schema;
        if let Some(props) = raw.properties {
            for (name, values) in props {
                let Some(prop) = schema.property(&name) else {
                    continue;
                };
                let mut raw = Vec::new();
                string_list_owned(values, &mut raw);
                for v in raw {
                    if cleaned {
                        entity.push(prop, v);
                    } else if !prop.stub() {
                        entity.add_value(prop, &v, AddOptions::default())?;
                    }
                }
            }
        }
        Ok(entity)
    }

    /// The JSON form, as FtM's `ValueEntity.to_dict`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The JSON form plus the inverted type groups (FtM's `to_full_dict`).
    pub fn to_full_json(&self, matchable_only: bool) -> Value {
        let mut value = self.to_json();
        if let Value::Object(map) = &mut value {
            for (group, values) in self.type_groups(matchable_only) {
                map.insert(group.to_string(), Value::from(values));
            }
        }
        value
    }
}

impl std::fmt::Debug for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Entity({:?}, {}, {:?})",
            self.id,
            self.schema.name(),
            self.caption()
        )
    }
}

impl PartialEq for Entity {
    /// Same id, schema, context and the same values per property (in the same order).
    fn eq(&self, other: &Self) -> bool {
        fn props(e: &Entity) -> Vec<(&'static str, &[String])> {
            let mut v: Vec<(&'static str, &[String])> = e
                .properties
                .iter()
                .map(|(p, v)| (p.name(), v.as_slice()))
                .collect();
            v.sort_by_key(|(n, _)| *n);
            v
        }
        self.id == other.id
            && self.schema == other.schema
            && self.context == other.context
            && props(self) == props(other)
    }
}

impl Serialize for Entity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        let before = self.context_before_schema.min(self.context.len());
        for (i, (k, v)) in self.context.iter().enumerate() {
            if i == before {
                map.serialize_entry("schema", self.schema.name())?;
            }
            if !OWN_KEYS.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        if before == self.context.len() {
            map.serialize_entry("schema", self.schema.name())?;
        }
        map.serialize_entry("properties", &PropertiesJson(&self.properties))?;
        map.serialize_entry("referents", &self.referents)?;
        map.serialize_entry("datasets", &self.datasets)?;
        if let Some(c) = &self.precomputed_caption {
            map.serialize_entry("caption", c)?;
        }
        for (key, value) in [
            ("first_seen", &self.first_seen),
            ("last_seen", &self.last_seen),
            ("last_change", &self.last_change),
        ] {
            if let Some(v) = value {
                map.serialize_entry(key, v)?;
            }
        }
        map.end()
    }
}

struct PropertiesJson<'a>(&'a [(&'static Property, Vec<String>)]);

impl Serialize for PropertiesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (prop, values) in self.0 {
            map.serialize_entry(prop.name(), values)?;
        }
        map.end()
    }
}

/// FtM's `string_list`: the strings in a JSON value (a string, a number, a boolean, an
/// entity object with an `id`, or a list of these).
fn string_list(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::String(s) => {
            if !s.is_empty() {
                out.push(s.clone());
            }
        }
        Value::Bool(b) => out.push(if *b { "true" } else { "false" }.to_string()),
        Value::Number(n) => {
            if n.is_f64() {
                out.push(format!("{:.2}", n.as_f64().unwrap_or_default()));
            } else {
                out.push(n.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| string_list(i, out)),
        Value::Object(obj) => {
            if let Some(id) = obj.get("id") {
                string_list(id, out);
            }
        }
    }
}

/// [`string_list`] for a value that is no longer needed: strings are moved, not copied.
fn string_list_owned(value: Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if !s.is_empty() {
                out.push(s);
            }
        }
        Value::Array(items) => items.into_iter().for_each(|i| string_list_owned(i, out)),
        other => string_list(&other, out),
    }
}

fn into_string(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn distinct_strings(value: Option<Value>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = value {
        string_list_owned(v, &mut out);
    }
    let mut seen = HashSet::new();
    out.retain(|v| seen.insert(v.clone()));
    out
}

/// FtM's `merge_context`: every key becomes the list of both sides' distinct values.
fn merge_context(left: &mut Map<String, Value>, right: &Map<String, Value>) {
    let mut keys: Vec<String> = left.keys().cloned().collect();
    keys.extend(right.keys().filter(|k| !left.contains_key(*k)).cloned());
    for key in keys {
        if key == "caption" {
            continue;
        }
        let mut combined: Vec<Value> = Vec::new();
        for side in [left.get(&key), right.get(&key)] {
            let items = match side {
                Some(Value::Array(items)) => items.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(v) => vec![v.clone()],
            };
            for item in items {
                if !item.is_null() && !combined.contains(&item) {
                    combined.push(item);
                }
            }
        }
        left.insert(key, Value::Array(combined));
    }
}

fn union_into(into: &mut Vec<String>, from: &[String]) {
    for v in from {
        if !into.contains(v) {
            into.push(v.clone());
        }
    }
}

fn min_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests;
