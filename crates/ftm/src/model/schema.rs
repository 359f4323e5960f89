//! A schema: a kind of entity (`Person`, `Ownership`, `Pages`…) and its properties.

use std::collections::HashMap;
use std::fmt;

use super::{Property, model};

/// A relationship schema's edge definition: which properties hold its two ends.
#[derive(Debug, Clone)]
pub struct Edge {
    pub source: String,
    pub target: String,
    pub label: String,
    pub directed: bool,
    pub caption: Vec<String>,
}

/// One FtM schema with its inherited properties resolved.
pub struct Schema {
    pub(super) index: usize,
    pub(super) name: &'static str,
    pub(super) label: String,
    pub(super) plural: String,
    pub(super) extends: Vec<usize>,
    /// Bit `i` is set when schema `i` is this schema or one of its ancestors.
    pub(super) ancestry: u128,
    pub(super) descendants: Vec<usize>,
    pub(super) is_abstract: bool,
    pub(super) matchable: bool,
    pub(super) generated: bool,
    pub(super) hidden: bool,
    pub(super) deprecated: bool,
    pub(super) featured: Vec<String>,
    pub(super) required: Vec<String>,
    pub(super) caption: Vec<String>,
    pub(super) edge: Option<Edge>,
    pub(super) temporal_start: Vec<String>,
    pub(super) temporal_end: Vec<String>,
    pub(super) own_properties: Vec<usize>,
    pub(super) properties: HashMap<String, usize>,
    pub(super) sorted_properties: Vec<usize>,
    pub(super) matchable_schemata: Vec<usize>,
}

impl Schema {
    pub fn name(&self) -> &'static str {
        self.name
    }
    pub fn label(&self) -> &str {
        &self.label
    }
    pub fn plural(&self) -> &str {
        &self.plural
    }
    pub fn is_abstract(&self) -> bool {
        self.is_abstract
    }
    pub fn matchable(&self) -> bool {
        self.matchable
    }
    pub fn generated(&self) -> bool {
        self.generated
    }
    pub fn hidden(&self) -> bool {
        self.hidden
    }
    pub fn deprecated(&self) -> bool {
        self.deprecated
    }
    /// Properties shown first in a user interface.
    pub fn featured(&self) -> &[String] {
        &self.featured
    }
    /// Properties an entity of this schema should have (a UI hint; not enforced).
    pub fn required(&self) -> &[String] {
        &self.required
    }
    /// Properties whose first value names an entity, in order of preference.
    pub fn caption(&self) -> &[String] {
        &self.caption
    }
    pub fn edge(&self) -> Option<&Edge> {
        self.edge.as_ref()
    }
    /// Properties that date the start of the entity on a timeline (inherited if unset).
    pub fn temporal_start(&self) -> &[String] {
        &self.temporal_start
    }
    pub fn temporal_end(&self) -> &[String] {
        &self.temporal_end
    }

    /// Direct parents, in declaration order.
    pub fn extends(&self) -> impl Iterator<Item = &'static Schema> + '_ {
        self.extends.iter().map(|&i| model().schema_at(i))
    }

    /// This schema and all its ancestors (FtM's `schemata`), sorted by name.
    pub fn schemata(&self) -> impl Iterator<Item = &'static Schema> + '_ {
        let bits = self.ancestry;
        model()
            .schemata()
            .filter(move |s| bits & (1u128 << s.index) != 0)
    }

    /// Every schema that inherits from this one, excluding itself, sorted by name.
    pub fn descendants(&self) -> impl Iterator<Item = &'static Schema> + '_ {
        self.descendants.iter().map(|&i| model().schema_at(i))
    }

    /// Whether this schema is `other` or inherits from it.
    pub fn is_a(&self, other: &Schema) -> bool {
        self.ancestry & (1u128 << other.index) != 0
    }

    /// Whether this schema is the schema named `name` or inherits from it.
    pub fn is_a_name(&self, name: &str) -> bool {
        model().get(name).is_some_and(|o| self.is_a(o))
    }

    /// Schemata that entities of this schema may be matched against (FtM's
    /// `matchable_schemata`): matchable ancestors and descendants; empty if this schema is
    /// not matchable.
    pub fn matchable_schemata(&self) -> impl Iterator<Item = &'static Schema> + '_ {
        self.matchable_schemata
            .iter()
            .map(|&i| model().schema_at(i))
    }

    pub fn can_match(&self, other: &Schema) -> bool {
        self.matchable_schemata.contains(&other.index)
    }

    /// A property of this schema (own or inherited) by name.
    pub fn property(&self, name: &str) -> Option<&'static Property> {
        self.properties.get(name).map(|&i| model().property_at(i))
    }

    /// All properties, own and inherited, sorted by name.
    pub fn properties(&self) -> impl ExactSizeIterator<Item = &'static Property> + '_ {
        self.sorted_properties
            .iter()
            .map(|&i| model().property_at(i))
    }

    /// Properties defined by this schema itself (including stub reverse properties).
    pub fn own_properties(&self) -> impl ExactSizeIterator<Item = &'static Property> + '_ {
        self.own_properties.iter().map(|&i| model().property_at(i))
    }

    /// Properties in display order: caption properties, then featured ones, then by label.
    pub fn display_properties(&self) -> Vec<&'static Property> {
        let mut props: Vec<&'static Property> = self.properties().collect();
        props.sort_by(|a, b| {
            let key = |p: &Property| {
                (
                    !self.caption.iter().any(|c| c == p.name()),
                    !self.featured.iter().any(|f| f == p.name()),
                )
            };
            key(a).cmp(&key(b)).then_with(|| a.label().cmp(b.label()))
        });
        props
    }

    /// The edge's source and target properties, if this schema is a relationship.
    pub fn edge_properties(&self) -> Option<(&'static Property, &'static Property)> {
        let edge = self.edge.as_ref()?;
        Some((self.property(&edge.source)?, self.property(&edge.target)?))
    }
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}
impl Eq for Schema {}

impl std::hash::Hash for Schema {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.index.hash(state)
    }
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schema({})", self.name)
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
