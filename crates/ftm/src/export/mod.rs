//! Exports of entity streams: tables (CSV, Excel), graphs (Cypher, Neo4j bulk CSV, GEXF)
//! and RDF, following FtM's `ftm export-*` commands.
//!
//! Every exporter takes entities one at a time ([`Exporter::write`]) and keeps no more
//! than a few open files and small per-schema state, so memory stays flat on any input.
//! The Cypher exporter remembers which entity nodes it wrote (8 bytes per entity, as FtM
//! does with a set of ids) unless told that ids are unique; GEXF, which needs its
//! attribute lists before the first node, writes nodes and edges to temporary files and
//! sorts them on disk.

pub mod csv;
pub mod cypher;
#[cfg(feature = "excel")]
pub mod excel;
pub mod extsort;
pub mod gexf;
pub mod graph;
pub mod neo4j;
pub mod pytext;
pub mod rdf;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::{Entity, Property, PropertyType, Schema};

pub use graph::{EdgeTypes, EntityGraph};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] ::csv::Error),
    #[error("excel: {0}")]
    Excel(String),
}

/// An export format: entities in, one at a time, then `finish`.
pub trait Exporter {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError>;

    /// Write whatever must come last and flush. Call once, after the last entity.
    fn finish(&mut self) -> Result<(), ExportError>;
}

/// Which properties a schema's rows or nodes carry, in FtM's display order (caption, then
/// featured properties, then by label); computed once per schema.
#[derive(Default)]
pub struct PropertyColumns {
    export_all: bool,
    cache: HashMap<&'static str, Arc<[&'static Property]>>,
}

impl PropertyColumns {
    /// `export_all` keeps hidden, entity-typed and reverse properties (FtM's CSV export);
    /// otherwise they are left out (graph and Excel exports).
    pub fn new(export_all: bool) -> PropertyColumns {
        PropertyColumns {
            export_all,
            cache: HashMap::new(),
        }
    }

    pub fn of(&mut self, schema: &'static Schema) -> Arc<[&'static Property]> {
        let export_all = self.export_all;
        self.cache
            .entry(schema.name())
            .or_insert_with(|| {
                schema
                    .display_properties()
                    .into_iter()
                    .filter(|p| export_all || !(p.hidden() || p.type_() == PropertyType::Entity))
                    .collect()
            })
            .clone()
    }
}

/// The values of a property as one cell: `"; "`-joined, or a JSON array for JSON values
/// (FtM's `PropertyType.join`).
pub fn join_values(t: PropertyType, values: &[String]) -> String {
    if t != PropertyType::Json {
        return values.join("; ");
    }
    let items: Vec<serde_json::Value> = values
        .iter()
        .map(|v| serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.clone())))
        .collect();
    let mut out = String::new();
    pytext::json_dumps(&serde_json::Value::Array(items), &mut out);
    out
}

/// FtM's `const_case`: upper case, spaces as underscores (`OWNERSHIP`, `REGISTRATIONNUMBER`).
pub fn const_case(text: &str) -> String {
    text.to_uppercase().replace(' ', "_")
}

/// A set of strings kept as 64-bit hashes: 8 bytes a member however long the string. Two
/// strings share a hash with odds of about n²/2⁶⁵ (one in 36 million for a million ids).
#[derive(Default)]
pub struct SeenSet(std::collections::HashSet<u64>);

impl SeenSet {
    fn key(text: &str) -> u64 {
        // SipHash with fixed keys: the same string always gives the same hash.
        let mut hasher = std::hash::DefaultHasher::new();
        text.hash(&mut hasher);
        hasher.finish()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.0.contains(&SeenSet::key(text))
    }

    /// Add a member; `false` if it was there already.
    pub fn insert(&mut self, text: &str) -> bool {
        self.0.insert(SeenSet::key(text))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;

    #[test]
    fn columns_leave_out_hidden_and_entity_properties_unless_all() {
        let person = model().schema("Person").unwrap();
        let mut graph = PropertyColumns::new(false);
        let mut all = PropertyColumns::new(true);
        let some = graph.of(person);
        let every = all.of(person);
        assert_eq!(some[0].name(), "name");
        assert!(!some.iter().any(|p| p.name() == "addressEntity"));
        assert!(every.iter().any(|p| p.name() == "addressEntity"));
        assert!(every.iter().any(|p| p.name() == "ownershipOwner"));
        assert_eq!(every.len(), person.properties().len());
    }

    #[test]
    fn joins_and_cases() {
        assert_eq!(
            join_values(PropertyType::Name, &["a".into(), "b".into()]),
            "a; b"
        );
        assert_eq!(
            join_values(PropertyType::Json, &["{\"a\":1}".into(), "x".into()]),
            "[{\"a\": 1}, \"x\"]"
        );
        assert_eq!(const_case("registration number"), "REGISTRATION_NUMBER");
        let mut seen = SeenSet::default();
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        assert!(seen.contains("a") && !seen.contains("b"));
    }
}
