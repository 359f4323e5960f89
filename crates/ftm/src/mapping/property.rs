//! One property of a mapped entity: where its values come from and how they are cleaned.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::config::{PropertyConfig, py_strip};
use super::{MapWarning, MappingError, Record};
use crate::entity::{AddOptions, Entity};
use crate::{CleanOptions, Property, PropertyType, Schema};

/// `{{column}}` in a template. The column name may not contain `(`, `)` or `}`: FtM's
/// pattern, kept so that the same templates find the same columns.
static TEMPLATE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{([^(})]*)\}\}").expect("a valid pattern"));

/// A template and its placeholders (`{{col}}` → `col`), in order of first appearance.
#[derive(Debug)]
struct Template {
    text: String,
    replacements: Vec<(String, String)>,
}

#[derive(Debug)]
pub(super) struct PropertyMapping {
    pub(super) prop: &'static Property,
    columns: Vec<String>,
    literals: Vec<String>,
    join: Option<String>,
    split: Option<String>,
    template: Option<Template>,
    /// The local name of the referenced entity mapping.
    pub(super) entity: Option<String>,
    /// Its position in the query's (dependency-ordered) entity list, set when ordering.
    pub(super) entity_index: Option<usize>,
    format: Option<String>,
    fuzzy: bool,
    pub(super) required: bool,
}

impl PropertyMapping {
    pub(super) fn new(prop: &'static Property, config: &PropertyConfig) -> PropertyMapping {
        let mut columns = config.columns.clone();
        let template = config.template.as_ref().map(|text| {
            let mut replacements: Vec<(String, String)> = Vec::new();
            for cap in TEMPLATE_REF.captures_iter(text) {
                let column = cap[1].to_string();
                columns.push(column.clone());
                let placeholder = format!("{{{{{column}}}}}");
                if !replacements.iter().any(|(p, _)| *p == placeholder) {
                    replacements.push((placeholder, column));
                }
            }
            Template {
                text: text.clone(),
                replacements,
            }
        });
        PropertyMapping {
            prop,
            columns,
            literals: config.literals.clone(),
            join: config.join.clone(),
            split: config.split.clone(),
            template,
            entity: config.entity.clone(),
            entity_index: None,
            format: config.format.clone(),
            fuzzy: config.fuzzy,
            required: config.required,
        }
    }

    /// Every column this property reads (a SQL query selects them).
    pub(super) fn refs(&self) -> &[String] {
        &self.columns
    }

    /// Check the property against the query's entity mappings: a stub cannot be set, and
    /// a referenced entity must exist and fit the property's range.
    pub(super) fn bind(&self, entities: &[(String, &'static Schema)]) -> Result<(), MappingError> {
        if self.prop.stub() {
            return Err(MappingError::Invalid(format!(
                "Property for [{}] is a stub",
                self.prop.qname()
            )));
        }
        let Some(target) = &self.entity else {
            return Ok(());
        };
        let Some((_, schema)) = entities.iter().find(|(name, _)| name == target) else {
            return Err(MappingError::Invalid(format!(
                "No entity [{target}] for property [{}]",
                self.prop.qname()
            )));
        };
        match self.prop.range() {
            Some(range) if schema.is_a(range) => Ok(()),
            range => Err(MappingError::Invalid(format!(
                "The entity [{}] must be a {} (not {})",
                self.prop.qname(),
                range.map_or("None", |r| r.name()),
                schema.name()
            ))),
        }
    }

    /// The raw values for this record: the template, or the literals then the columns
    /// (borrowed from the mapping and the record: most values are cleaned and dropped).
    fn record_values<'a>(&'a self, record: &'a Record) -> Vec<Cow<'a, str>> {
        if let Some(template) = &self.template {
            let mut value = template.text.clone();
            for (placeholder, column) in &template.replacements {
                value = value.replace(placeholder, record.get(column).unwrap_or(""));
            }
            return vec![Cow::Owned(py_strip(&value).to_string())];
        }
        let mut values: Vec<Cow<'a, str>> =
            Vec::with_capacity(self.literals.len() + self.columns.len());
        values.extend(self.literals.iter().map(|l| Cow::Borrowed(l.as_str())));
        values.extend(
            self.columns
                .iter()
                .filter_map(|c| record.get(c).map(Cow::Borrowed)),
        );
        values
    }

    /// Add this property's values for `record` to `entity`. `mapped` holds the entities
    /// already made from this record, by position in the query.
    pub(super) fn map(
        &self,
        entity: &mut Entity,
        record: &Record,
        mapped: &[Option<Entity>],
        entity_name: &str,
        warn: &mut dyn FnMut(MapWarning),
    ) {
        if self.entity.is_some() {
            if let Some(Some(target)) = self.entity_index.map(|i| &mapped[i])
                && let Some(id) = target.id()
            {
                // Bound and checked against the range at load time; ids are not stub values.
                let _ = entity.add_clean_value(self.prop, id.to_string());
                inline_names(entity, target);
            }
            return;
        }
        let mut values = self.record_values(record);
        if let Some(sep) = &self.join {
            values = vec![Cow::Owned(values.join(sep))];
        }
        if let Some(sep) = &self.split {
            values = values
                .iter()
                .flat_map(|v| v.split(sep.as_str()).map(|p| Cow::Owned(p.to_string())))
                .collect();
        }
        let opts = CleanOptions {
            format: self.format.as_deref().or(self.prop.format()),
            fuzzy: self.fuzzy,
        };
        for value in values {
            // FtM hands mapped values straight to the type's cleaning, without the generic
            // sanitising step: cells were sanitised when read, literals are taken as written.
            let added = match self.prop.type_().clean_text(&value, opts) {
                // An empty string passes some types' cleaning and is kept, as in FtM.
                Some(clean) if clean.is_empty() => {
                    entity.add_cleaned(self.prop.name(), clean).is_ok()
                }
                Some(clean) => matches!(entity.add_clean_value(self.prop, clean), Ok(true)),
                None => false,
            };
            if !added {
                warn(MapWarning::Discarded {
                    entity: entity_name.to_string(),
                    property: self.prop.qname().to_string(),
                    value: value.into_owned(),
                });
            }
        }
    }
}

/// FtM's `inline_names`: a relationship also carries the names of the entities it links,
/// so that searching for a party's name finds the payment or directorship too.
fn inline_names(entity: &mut Entity, related: &Entity) {
    let Some(prop) = entity.schema().property("namesMentioned") else {
        return;
    };
    let names: Vec<String> = related
        .type_values(PropertyType::Name, false)
        .into_iter()
        .map(str::to_string)
        .collect();
    for name in names {
        let _ = entity.add_value(prop, &name, AddOptions::default());
    }
}
