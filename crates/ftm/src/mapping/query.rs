//! A query: the entity mappings applied to every record of one source.

use super::config::{Filter, FilterValue, QueryConfig, SourceSpec};
use super::entity::EntityMapping;
use super::{MapWarning, MappingError, Record};
use crate::entity::Entity;

/// A compiled query: entity mappings checked against the model and ordered so that every
/// entity comes after the entities it refers to.
#[derive(Debug)]
pub struct QueryMapping {
    source: SourceSpec,
    filters: Vec<Filter>,
    entities: Vec<EntityMapping>,
    refs: Vec<String>,
}

impl QueryMapping {
    /// Compile a query. `key_prefix` salts every key hash and `dataset` is written on every
    /// entity; `ftm map` passes the dataset name for both.
    pub fn new(
        config: &QueryConfig,
        key_prefix: Option<&str>,
        dataset: Option<&str>,
    ) -> Result<QueryMapping, MappingError> {
        let mut entities = config
            .entities
            .iter()
            .map(|e| EntityMapping::new(e, key_prefix, dataset))
            .collect::<Result<Vec<_>, _>>()?;
        if entities.is_empty() {
            return Err(MappingError::Invalid(
                "No entity mappings are defined.".to_string(),
            ));
        }
        let names: Vec<(String, &'static crate::Schema)> = entities
            .iter()
            .map(|e| (e.name.clone(), e.schema))
            .collect();
        for entity in &entities {
            for prop in &entity.properties {
                prop.bind(&names)?;
            }
        }

        // The first entity whose references are all resolved goes next, as in FtM; when
        // none can go, the references form a cycle.
        let mut ordered: Vec<EntityMapping> = Vec::with_capacity(entities.len());
        while !entities.is_empty() {
            let next = entities.iter().position(|e| {
                e.dependencies
                    .iter()
                    .all(|d| ordered.iter().any(|o| o.name == *d))
            });
            match next {
                Some(i) => ordered.push(entities.remove(i)),
                None => {
                    let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
                    return Err(MappingError::Invalid(format!(
                        "Circular entity dependency detected: {}",
                        names.join(", ")
                    )));
                }
            }
        }
        let positions: Vec<String> = ordered.iter().map(|e| e.name.clone()).collect();
        for entity in &mut ordered {
            for prop in &mut entity.properties {
                if let Some(target) = &prop.entity {
                    prop.entity_index = positions.iter().position(|n| n == target);
                }
            }
        }

        let mut refs: Vec<String> = Vec::new();
        for entity in &ordered {
            for r in entity.refs() {
                if !refs.contains(r) {
                    refs.push(r.clone());
                }
            }
        }
        Ok(QueryMapping {
            source: config.source.clone(),
            filters: config.filters.clone(),
            entities: ordered,
            refs,
        })
    }

    pub fn source(&self) -> &SourceSpec {
        &self.source
    }

    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// Every column the query reads, in order of first use.
    pub fn refs(&self) -> &[String] {
        &self.refs
    }

    /// Whether a CSV record passes `filters` and `filters_not`. A cell only equals a text
    /// filter value (a number in the YAML never matches, as in FtM); a `null` filter value
    /// matches an empty cell. SQL sources filter in the query instead.
    pub fn check_filters(&self, record: &Record) -> bool {
        self.filters.iter().all(|f| {
            let cell = record.get(&f.column);
            let hit = f.values.iter().any(|v| match (v, cell) {
                (FilterValue::Text(t), Some(c)) => t == c,
                (FilterValue::Null, None) => true,
                _ => false,
            });
            hit != f.negate
        })
    }

    /// The entities made from one record, in dependency order. Problems that only drop a
    /// value or an entity are reported to `warn`.
    pub fn map(&self, record: &Record, warn: &mut dyn FnMut(MapWarning)) -> Vec<Entity> {
        let mut mapped: Vec<Option<Entity>> = Vec::with_capacity(self.entities.len());
        for entity in &self.entities {
            let made = entity.map(record, &mapped, warn);
            mapped.push(made);
        }
        mapped.into_iter().flatten().collect()
    }
}
