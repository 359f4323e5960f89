//! One entity of a query: its schema, how its id is made, and its properties.

use sha1::{Digest, Sha1};

use super::config::{EntityConfig, py_strip};
use super::property::PropertyMapping;
use super::{MapWarning, MappingError, Record};
use crate::entity::Entity;
use crate::{PropertyType, Schema, model};

/// How an entity gets its id.
#[derive(Debug)]
enum IdSource {
    /// SHA-1 of the seed (dataset name, key literal) and the sorted non-empty key values.
    Keys { seed: Sha1, keys: Vec<String> },
    /// The value of a column, taken as it is.
    Column(String),
}

#[derive(Debug)]
pub(super) struct EntityMapping {
    pub(super) name: String,
    pub(super) schema: &'static Schema,
    id: IdSource,
    /// Country properties first: FtM maps them before the others.
    pub(super) properties: Vec<PropertyMapping>,
    pub(super) dependencies: Vec<String>,
    dataset: Option<String>,
}

impl EntityMapping {
    pub(super) fn new(
        config: &EntityConfig,
        key_prefix: Option<&str>,
        dataset: Option<&str>,
    ) -> Result<EntityMapping, MappingError> {
        let name = &config.name;
        let id = match (&config.id_column, config.keys.is_empty()) {
            (None, true) => {
                return Err(MappingError::Invalid(format!("No keys or ID: {name:?}")));
            }
            (Some(_), false) => {
                return Err(MappingError::Invalid(format!(
                    "Please use only keys or id_column, not both: {name:?}"
                )));
            }
            (Some(column), true) => IdSource::Column(column.clone()),
            (None, false) => {
                let mut seed = Sha1::new();
                if let Some(prefix) = key_prefix {
                    seed.update(py_strip(prefix).as_bytes());
                }
                if let Some(literal) = &config.key_literal {
                    seed.update(literal.as_bytes());
                }
                IdSource::Keys {
                    seed,
                    keys: config.keys.clone(),
                }
            }
        };
        let schema_name = config
            .schema
            .as_deref()
            .ok_or_else(|| MappingError::Invalid(format!("No schema: {name}")))?;
        let schema = model()
            .get(schema_name)
            .ok_or_else(|| MappingError::Invalid(format!("Invalid schema: {schema_name}")))?;
        let mut countries = Vec::new();
        let mut others = Vec::new();
        let mut dependencies = Vec::new();
        for (prop_name, pconfig) in &config.properties {
            let prop = schema.property(prop_name).ok_or_else(|| {
                MappingError::Invalid(format!("Invalid property: {prop_name} ({name:?})"))
            })?;
            let mapping = PropertyMapping::new(prop, pconfig);
            if let Some(dep) = &mapping.entity
                && !dependencies.contains(dep)
            {
                dependencies.push(dep.clone());
            }
            if prop.type_() == PropertyType::Country {
                countries.push(mapping);
            } else {
                others.push(mapping);
            }
        }
        countries.extend(others);
        Ok(EntityMapping {
            name: name.clone(),
            schema,
            id,
            properties: countries,
            dependencies,
            dataset: dataset.map(str::to_string),
        })
    }

    /// Every column the entity reads: keys or id column, then its properties' columns.
    pub(super) fn refs(&self) -> impl Iterator<Item = &String> + '_ {
        let ids: &[String] = match &self.id {
            IdSource::Keys { keys, .. } => keys,
            IdSource::Column(column) => std::slice::from_ref(column),
        };
        ids.iter()
            .chain(self.properties.iter().flat_map(|p| p.refs()))
    }

    /// The id for a record, or `None` when every key is empty.
    fn compute_key(&self, record: &Record) -> Option<String> {
        match &self.id {
            IdSource::Column(column) => record.get(column).map(str::to_string),
            IdSource::Keys { seed, keys } => {
                let mut values: Vec<&str> = keys
                    .iter()
                    .map(|k| py_strip(record.get(k).unwrap_or("")))
                    .filter(|v| !v.is_empty())
                    .collect();
                if values.is_empty() {
                    return None;
                }
                values.sort_unstable();
                let mut digest = seed.clone();
                for value in values {
                    digest.update(value.as_bytes());
                }
                Some(hex::encode(digest.finalize()))
            }
        }
    }

    /// The entity for one record, or `None` when it has no id or misses a required value.
    pub(super) fn map(
        &self,
        record: &Record,
        mapped: &[Option<Entity>],
        warn: &mut dyn FnMut(MapWarning),
    ) -> Option<Entity> {
        let mut entity = Entity::new(self.schema);
        if let Some(dataset) = &self.dataset {
            entity.datasets.push(dataset.clone());
        }
        for prop in &self.properties {
            prop.map(&mut entity, record, mapped, &self.name, warn);
        }
        // The id comes last, as in FtM, so that no value is checked against it as a
        // self-reference.
        let Some(id) = self.compute_key(record) else {
            warn(MapWarning::NoId {
                entity: self.name.clone(),
                id_column: match &self.id {
                    IdSource::Column(c) => Some(c.clone()),
                    IdSource::Keys { .. } => None,
                },
            });
            return None;
        };
        entity.set_id(Some(id));
        for prop in &self.properties {
            if prop.required && !entity.has(prop.prop.name()) {
                warn(MapWarning::RequiredMissing {
                    entity: self.name.clone(),
                    property: prop.prop.name().to_string(),
                });
                return None;
            }
        }
        Some(entity)
    }
}
