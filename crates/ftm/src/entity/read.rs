//! The JSON form of an entity as it is read, before cleaning: the own keys picked out,
//! the rest kept as context in the order it came.
//!
//! Reading a line straight into this shape, rather than into a `serde_json::Value` first,
//! skips building (and hashing into) a map for the entity and one for its properties,
//! which was a fifth of the cost of `aleph ftm validate`.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// An entity's JSON object, split into its own keys and its context.
#[derive(Default)]
pub(super) struct RawEntity {
    pub id: Option<Value>,
    pub schema: Option<Value>,
    /// `None` when the key is missing or not an object.
    pub properties: Option<Vec<(String, Value)>>,
    pub caption: Option<Value>,
    pub datasets: Option<Value>,
    pub referents: Option<Value>,
    pub first_seen: Option<Value>,
    pub last_seen: Option<Value>,
    pub last_change: Option<Value>,
    pub context: Map<String, Value>,
    /// How many context keys came before `schema`: FtM writes `schema` back in its place
    /// among them.
    pub context_before_schema: usize,
}

impl RawEntity {
    /// Take one key of the object. A repeated key replaces the earlier value, as in a map.
    fn accept(&mut self, key: String, value: Value) {
        match key.as_str() {
            "properties" => self.properties = properties_of(value),
            _ => self.accept_scalar(key, value),
        }
    }

    /// Take one key other than `properties`.
    fn accept_scalar(&mut self, key: String, value: Value) {
        match key.as_str() {
            "id" => self.id = Some(value),
            "schema" => {
                self.schema = Some(value);
                self.context_before_schema = self.context.len();
            }
            "caption" => self.caption = Some(value),
            "datasets" => self.datasets = Some(value),
            "referents" => self.referents = Some(value),
            "first_seen" => self.first_seen = Some(value),
            "last_seen" => self.last_seen = Some(value),
            "last_change" => self.last_change = Some(value),
            // Per-value provenance is not kept on a plain entity.
            "statements" => {}
            _ => {
                self.context.insert(key, value);
            }
        }
    }

    /// From an already parsed object.
    pub fn from_map(map: Map<String, Value>) -> RawEntity {
        let mut raw = RawEntity::default();
        for (key, value) in map {
            raw.accept(key, value);
        }
        raw
    }
}

fn properties_of(value: Value) -> Option<Vec<(String, Value)>> {
    match value {
        Value::Object(props) => Some(props.into_iter().collect()),
        _ => None,
    }
}

impl<'de> Deserialize<'de> for RawEntity {
    /// Only a JSON object is accepted; the caller falls back to a full parse to say what
    /// else the line was.
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntityVisitor)
    }
}

struct EntityVisitor;

impl<'de> Visitor<'de> for EntityVisitor {
    type Value = RawEntity;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an entity object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEntity, A::Error> {
        let mut raw = RawEntity::default();
        while let Some(key) = map.next_key::<String>()? {
            if key == "properties" {
                raw.properties = map.next_value_seed(PropertiesSeed)?;
            } else {
                let value: Value = map.next_value()?;
                raw.accept_scalar(key, value);
            }
        }
        Ok(raw)
    }
}

/// Properties looked up by scanning before a map of positions is built.
const SCAN_LIMIT: usize = 32;

/// The `properties` object as (name, values) pairs in order; anything but an object
/// is read and dropped.
struct PropertiesSeed;

impl<'de> DeserializeSeed<'de> for PropertiesSeed {
    type Value = Option<Vec<(String, Value)>>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(PropertiesVisitor)
    }
}

struct PropertiesVisitor;

impl<'de> Visitor<'de> for PropertiesVisitor {
    type Value = Option<Vec<(String, Value)>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a properties object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut props: Vec<(String, Value)> = Vec::new();
        // A repeated name replaces the earlier values, as in a map. Entities have a few
        // properties, found by a scan; past [`SCAN_LIMIT`] a map of positions keeps a
        // line with very many names linear.
        let mut positions: Option<HashMap<String, usize>> = None;
        while let Some((name, values)) = map.next_entry::<String, Value>()? {
            let found = match &positions {
                Some(positions) => positions.get(&name).copied(),
                None => props.iter().position(|(n, _)| *n == name),
            };
            match found {
                Some(at) => props[at].1 = values,
                None => {
                    if let Some(positions) = &mut positions {
                        positions.insert(name.clone(), props.len());
                    }
                    props.push((name, values));
                    if positions.is_none() && props.len() > SCAN_LIMIT {
                        positions = Some(
                            props
                                .iter()
                                .enumerate()
                                .map(|(i, (n, _))| (n.clone(), i))
                                .collect(),
                        );
                    }
                }
            }
        }
        Ok(Some(props))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}
