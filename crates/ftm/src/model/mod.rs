//! The FollowTheMoney schemata, loaded once from `data/model.json`.
//!
//! The data file holds the facts of `followthemoney`'s model (names, labels, types, ranges,
//! reverse properties, flags, edges) with each schema listing only its own properties. Loading
//! resolves inheritance the way FtM does: a schema gets every property of its parents that it
//! does not define itself, taking the first parent's definition first.
//!
//! The model is a process-wide constant: [`model()`] returns a `&'static Model`, and schemata
//! and properties are handed out as `&'static` references, so that entities can carry a
//! schema pointer at no cost.

mod data;
mod dump;
mod property;
mod schema;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use property::Property;
pub use schema::{Edge, Schema};

use crate::PropertyType;

/// Errors found in the model itself or when naming a schema that does not exist.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("unknown schema: {0}")]
    UnknownSchema(String),
    #[error("no common schema: {0} and {1}")]
    NoCommonSchema(String, String),
}

/// The whole model: every schema and every property definition.
pub struct Model {
    version: String,
    schemata: Vec<Schema>,
    properties: Vec<Property>,
    by_name: HashMap<String, usize>,
    type_labels: HashMap<PropertyType, data::TypeData>,
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    data::load(include_str!("../../data/model.json"))
        // The data file is part of the crate and checked by its tests: failing here is a
        // build defect, not a runtime condition.
        .expect("crates/ftm/data/model.json is a valid model")
});

/// The FollowTheMoney model, loaded on first use.
pub fn model() -> &'static Model {
    &MODEL
}

impl Model {
    /// The `followthemoney` version whose facts this model reproduces.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// All schemata, sorted by name.
    pub fn schemata(&'static self) -> impl ExactSizeIterator<Item = &'static Schema> {
        self.schemata.iter()
    }

    /// A schema by name, or `None`.
    pub fn get(&'static self, name: &str) -> Option<&'static Schema> {
        self.by_name.get(name).map(|&i| &self.schemata[i])
    }

    /// A schema by name, or an error naming it.
    pub fn schema(&'static self, name: &str) -> Result<&'static Schema, ModelError> {
        self.get(name)
            .ok_or_else(|| ModelError::UnknownSchema(name.to_string()))
    }

    /// The more specific of two schemata, when one is a kind of the other (FtM's
    /// `common_schema`): `Person` and `LegalEntity` give `Person`; `Person` and `Company`
    /// have none.
    pub fn common_schema(
        &'static self,
        left: &'static Schema,
        right: &'static Schema,
    ) -> Result<&'static Schema, ModelError> {
        if left.is_a(right) {
            Ok(left)
        } else if right.is_a(left) {
            Ok(right)
        } else {
            Err(ModelError::NoCommonSchema(
                left.name().to_string(),
                right.name().to_string(),
            ))
        }
    }

    /// The label and plural of a property type, and its values if it is an enumeration.
    pub fn type_label(&self, t: PropertyType) -> (&str, &str) {
        match self.type_labels.get(&t) {
            Some(d) => (d.label.as_str(), d.plural.as_str()),
            None => (t.name(), t.name()),
        }
    }

    /// The labelled values of an enumerated type (countries, languages, topics, genders).
    pub fn type_values(&self, t: PropertyType) -> Option<&[(String, String)]> {
        self.type_labels.get(&t).and_then(|d| d.values.as_deref())
    }

    /// Every type group name (`names`, `countries`…), the fields of the inverted index.
    pub fn type_groups(&self) -> impl Iterator<Item = (&'static str, PropertyType)> {
        PropertyType::ALL
            .into_iter()
            .filter_map(|t| t.group().map(|g| (g, t)))
    }

    fn schema_at(&'static self, index: usize) -> &'static Schema {
        &self.schemata[index]
    }

    fn property_at(&'static self, index: usize) -> &'static Property {
        &self.properties[index]
    }
}

#[cfg(test)]
mod tests;
