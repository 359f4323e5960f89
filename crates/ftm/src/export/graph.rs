//! FtM's property-graph reading of entities (`followthemoney.graph`), one entity at a time.
//!
//! Relationship schemata (those with an `edge`: Ownership, Directorship…) become edges
//! `entity:<source><<id>>entity:<target>`, one per (source, target) pair; every other entity
//! becomes a node `entity:<id>`. Values of the chosen edge types become value nodes
//! (`email:…`, `name:<slug>`…) linked from their entity by an edge `<node><><value node>`
//! weighted by the property's specificity (weight 0 means no edge). Entities referenced but
//! not (yet) seen appear as stub nodes, typed by the referencing property's range.

use crate::{Entity, Property, PropertyType, Schema};

/// The property types that can become value nodes (FtM's matchable types).
pub const EDGE_TYPE_CHOICES: [PropertyType; 11] = [
    PropertyType::Address,
    PropertyType::Checksum,
    PropertyType::Country,
    PropertyType::Date,
    PropertyType::Email,
    PropertyType::Entity,
    PropertyType::Identifier,
    PropertyType::Ip,
    PropertyType::Name,
    PropertyType::Phone,
    PropertyType::Url,
];

/// The types whose values become nodes; FtM's default is `entity` only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeTypes(Vec<PropertyType>);

impl Default for EdgeTypes {
    fn default() -> Self {
        EdgeTypes(vec![PropertyType::Entity])
    }
}

impl EdgeTypes {
    /// Edge types by name (`entity`, `email`…); unknown or unmatchable names are an error.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<EdgeTypes, String> {
        if names.is_empty() {
            return Ok(EdgeTypes::default());
        }
        let mut types = Vec::new();
        for name in names {
            let name = name.as_ref();
            let t = PropertyType::from_name(name)
                .filter(|t| EDGE_TYPE_CHOICES.contains(t))
                .ok_or_else(|| {
                    let choices: Vec<&str> = EDGE_TYPE_CHOICES.iter().map(|t| t.name()).collect();
                    format!(
                        "{name:?} is not an edge type (choose from {})",
                        choices.join(", ")
                    )
                })?;
            if !types.contains(&t) {
                types.push(t);
            }
        }
        Ok(EdgeTypes(types))
    }

    pub fn contains(&self, t: PropertyType) -> bool {
        self.0.contains(&t)
    }
}

/// A graph node: an entity, a stub for a referenced entity, or a value.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub id: String,
    pub type_: PropertyType,
    pub value: String,
    /// The entity itself, for entity nodes made from an entity of the stream.
    pub entity: Option<&'a Entity>,
    /// The entity's schema, or a stub's expected schema (the property's range).
    pub schema: Option<&'static Schema>,
}

impl Node<'_> {
    pub fn is_entity(&self) -> bool {
        self.type_ == PropertyType::Entity
    }

    /// The label to show: the entity caption, or the value's caption.
    pub fn caption(&self) -> String {
        match self.entity {
            Some(entity) if self.is_entity() => entity.caption(),
            _ => self.type_.caption(&self.value).into_owned(),
        }
    }

    /// Schema names for entity and stub nodes (FtM's `schema.names`), else the type name.
    pub fn labels(&self) -> Vec<&'static str> {
        match self.schema {
            Some(schema) => schema.schemata().map(|s| s.name()).collect(),
            None => vec![self.type_.name()],
        }
    }
}

/// A graph edge: a relationship entity, or an entity's link to a value or referenced entity.
#[derive(Debug, Clone)]
pub struct Edge<'a> {
    pub id: String,
    pub source: String,
    pub target: String,
    pub weight: f64,
    /// The property behind a value edge.
    pub prop: Option<&'static Property>,
    /// The relationship entity behind an entity edge.
    pub entity: Option<&'a Entity>,
}

impl Edge<'_> {
    /// The relationship's schema name, or the property name of a value edge.
    pub fn type_name(&self) -> &'static str {
        match (self.entity, self.prop) {
            (Some(entity), _) => entity.schema().name(),
            (None, Some(prop)) => prop.name(),
            (None, None) => "",
        }
    }
}

/// The nodes and edges of one entity, in FtM's order, each id once (a later edge with the
/// same id replaces the earlier one in place, as in FtM's dictionaries).
#[derive(Debug, Default)]
pub struct EntityGraph<'a> {
    pub nodes: Vec<Node<'a>>,
    pub edges: Vec<Edge<'a>>,
}

impl<'a> EntityGraph<'a> {
    /// The graph elements of `entity`; an entity without an id has none.
    pub fn of(entity: &'a Entity, edge_types: &EdgeTypes) -> EntityGraph<'a> {
        let mut graph = EntityGraph::default();
        let Some(id) = entity.id() else {
            return graph;
        };
        let schema = entity.schema();
        if let Some((source, target)) = schema.edge_properties() {
            for (s, t) in entity.edge_pairs() {
                let Some(src) = graph.stub(source, s) else {
                    continue;
                };
                let Some(tgt) = graph.stub(target, t) else {
                    continue;
                };
                graph.put_edge(Edge {
                    id: format!("{src}<{id}>{tgt}"),
                    source: src,
                    target: tgt,
                    weight: 1.0,
                    prop: None,
                    entity: Some(entity),
                });
            }
            return graph;
        }
        let node_id = format!("entity:{id}");
        graph.put_node(Node {
            id: node_id.clone(),
            type_: PropertyType::Entity,
            value: id.to_string(),
            entity: Some(entity),
            schema: Some(schema),
        });
        for (prop, value) in entity.values() {
            if !edge_types.contains(prop.type_()) {
                continue;
            }
            let Some(target) = graph.stub(prop, value) else {
                continue;
            };
            let weight = if prop.matchable() {
                prop.type_().specificity(value)
            } else {
                0.0
            };
            if weight > 0.0 {
                graph.put_edge(Edge {
                    id: format!("{node_id}<>{target}"),
                    source: node_id.clone(),
                    target,
                    weight,
                    prop: Some(prop),
                    entity: None,
                });
            }
        }
        graph
    }

    /// The node for a property value (added unless present); its id, if it has one.
    fn stub(&mut self, prop: &'static Property, value: &str) -> Option<String> {
        let id = prop.type_().node_id(value)?;
        if !self.nodes.iter().any(|n| n.id == id) {
            self.nodes.push(Node {
                id: id.clone(),
                type_: prop.type_(),
                value: value.to_string(),
                entity: None,
                schema: prop.range(),
            });
        }
        Some(id)
    }

    fn put_node(&mut self, node: Node<'a>) {
        match self.nodes.iter_mut().find(|n| n.id == node.id) {
            Some(existing) => *existing = node,
            None => self.nodes.push(node),
        }
    }

    fn put_edge(&mut self, edge: Edge<'a>) {
        match self.edges.iter_mut().find(|e| e.id == edge.id) {
            Some(existing) => *existing = edge,
            None => self.edges.push(edge),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(json: &str) -> Entity {
        Entity::from_json(serde_json::from_str(json).unwrap(), true).unwrap()
    }

    #[test]
    fn relationships_become_edges_with_stub_ends() {
        let e = entity(
            r#"{"id":"dir-1","schema":"Directorship","properties":{"director":["per-1","per-2"],"organization":["com-1"],"role":["CEO"]}}"#,
        );
        let g = EntityGraph::of(&e, &EdgeTypes::default());
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["entity:per-1", "entity:com-1", "entity:per-2"]);
        assert_eq!(g.nodes[0].schema.unwrap().name(), "LegalEntity");
        assert_eq!(g.nodes[1].schema.unwrap().name(), "Organization");
        assert_eq!(g.nodes[2].caption(), "per-2");
        let edges: Vec<&str> = g.edges.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            edges,
            [
                "entity:per-1<dir-1>entity:com-1",
                "entity:per-2<dir-1>entity:com-1"
            ]
        );
        assert_eq!(g.edges[0].type_name(), "Directorship");
    }

    #[test]
    fn values_become_nodes_for_chosen_types() {
        let e = entity(
            r#"{"id":"per-1","schema":"Person","properties":{"name":["John Smith","Jöhn Smith"],"email":["john@example.com"],"nationality":["gb"],"birthDate":["1970"],"weakAlias":["Johnny"]}}"#,
        );
        let types = EdgeTypes::from_names(&["name", "email", "country", "date"]).unwrap();
        let g = EntityGraph::of(&e, &types);
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        // Two names share a slug, so one node; weak aliases are not matchable (no edge, but
        // the node is still made, as in FtM); a bare year has no weight.
        assert_eq!(
            ids,
            [
                "entity:per-1",
                "name:john-smith",
                "email:john@example.com",
                "country:gb",
                "date:1970",
                "name:johnny"
            ]
        );
        let edges: Vec<(&str, f64)> = g.edges.iter().map(|e| (e.id.as_str(), e.weight)).collect();
        assert_eq!(
            edges,
            [
                ("entity:per-1<>name:john-smith", 7.0 / 47.0),
                ("entity:per-1<>email:john@example.com", 1.0),
                ("entity:per-1<>country:gb", 1.0),
            ]
        );
        assert_eq!(g.nodes[3].caption(), "United Kingdom");
        assert_eq!(g.nodes[3].labels(), ["country"]);
        let mut labels = g.nodes[0].labels();
        labels.sort();
        assert_eq!(labels, ["LegalEntity", "Person", "Thing"]);
        assert!(EdgeTypes::from_names(&["text"]).is_err());
    }
}
