//! Cypher statements for Neo4j, one per line, as `ftm export-cypher` writes them:
//! `MERGE` for nodes (with `SET` of properties and labels), `MATCH … MERGE` for edges.

use std::io::Write;

use super::graph::{EdgeTypes, EntityGraph};
use super::pytext::{float_repr, json_string};
use super::{ExportError, Exporter, PropertyColumns, SeenSet, const_case, join_values};
use crate::Entity;

/// Writes each entity's nodes and edges as soon as it is read.
pub struct CypherExporter<W: Write> {
    out: W,
    edge_types: EdgeTypes,
    columns: PropertyColumns,
    /// Entity nodes already written, so that a later fragment or stub of the same entity
    /// does not overwrite them; `None` when the input promises unique ids.
    written: Option<SeenSet>,
    line: String,
}

impl<W: Write> CypherExporter<W> {
    /// `unique_ids`: every entity id occurs once in the input (e.g. after `aggregate`), so
    /// the exporter need not remember the ids it wrote; memory is then constant. Stub
    /// nodes are then written with `ON CREATE SET`, so that they never overwrite the
    /// entity they stand for.
    pub fn new(out: W, edge_types: EdgeTypes, unique_ids: bool) -> Self {
        CypherExporter {
            out,
            edge_types,
            columns: PropertyColumns::new(false),
            written: (!unique_ids).then(SeenSet::default),
            line: String::with_capacity(1024),
        }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// `key: "value"` pairs, skipping empty values (FtM's `_to_map`).
fn push_map<'a>(line: &mut String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let mut first = true;
    for (key, value) in pairs {
        if value.is_empty() {
            continue;
        }
        if !first {
            line.push_str(", ");
        }
        first = false;
        line.push_str(key);
        line.push_str(": ");
        json_string(value, line);
    }
}

impl<W: Write> Exporter for CypherExporter<W> {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError> {
        let graph = EntityGraph::of(entity, &self.edge_types);
        let line = &mut self.line;
        for node in &graph.nodes {
            if let Some(written) = &mut self.written {
                if written.contains(&node.value) {
                    continue;
                }
                if node.entity.is_some() {
                    written.insert(&node.value);
                }
            }
            let mut attributes: Vec<(&str, String)> = Vec::new();
            if let Some(e) = node.entity {
                for prop in self.columns.of(e.schema()).iter() {
                    attributes.push((prop.name(), join_values(prop.type_(), e.get(prop.name()))));
                }
            }
            let caption = node.caption();
            // Without the record of written nodes, a stub may come after its entity: it
            // must then not overwrite the entity's caption, so it only sets on creation.
            let on_create = self.written.is_none() && node.is_entity() && node.entity.is_none();
            line.clear();
            line.push_str("MERGE (p { ");
            push_map(line, [("id", node.id.as_str())]);
            line.push_str(if on_create {
                " }) ON CREATE SET p += { "
            } else {
                " }) SET p += { "
            });
            push_map(
                line,
                attributes
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .chain([("id", node.id.as_str()), ("caption", caption.as_str())]),
            );
            line.push_str(if on_create { " }, p :" } else { " } SET p :" });
            line.push_str(&node.labels().join(":"));
            line.push_str(";\n");
            self.out.write_all(line.as_bytes())?;
        }
        for edge in &graph.edges {
            let mut attributes: Vec<(&str, String)> = Vec::new();
            if let Some(e) = edge.entity {
                for prop in self.columns.of(e.schema()).iter() {
                    attributes.push((prop.name(), join_values(prop.type_(), e.get(prop.name()))));
                }
            }
            let weight = float_repr(edge.weight);
            line.clear();
            line.push_str("MATCH (s { ");
            push_map(line, [("id", edge.source.as_str())]);
            line.push_str(" }), (t { ");
            push_map(line, [("id", edge.target.as_str())]);
            line.push_str(" }) MERGE (s)-[:");
            line.push_str(&const_case(edge.type_name()));
            line.push_str(" { ");
            push_map(
                line,
                attributes
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .chain([("id", edge.id.as_str()), ("weight", weight.as_str())]),
            );
            line.push_str(" }]->(t);\n");
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        self.out.flush()?;
        Ok(())
    }
}
