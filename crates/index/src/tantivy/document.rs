//! Turning an [`IndexDoc`] into a Tantivy document (the layout is in [`super::schema`]).

use std::collections::{BTreeMap, BTreeSet};

use ftm::PropertyType;
use tantivy::schema::OwnedValue;
use tantivy::{DateTime, TantivyDocument};

use super::schema::Fields;
use crate::analysis;
use crate::doc::IndexDoc;
use crate::error::IndexError;
use crate::query::field::{DATES_GROUP, PropertyKind, property_kind};
use crate::query::values::{parse_date, parse_number};

/// The property whose values are searchable but not returned (Aleph pops it out of the
/// entity for the same reason: it repeats the text of all pages of a document).
pub const INDEX_TEXT: &str = "indexText";

/// The Tantivy document for `doc`, or why it cannot be indexed.
pub fn build(fields: &Fields, doc: &IndexDoc) -> Result<TantivyDocument, IndexError> {
    let entity = &doc.entity;
    let Some(id) = entity.id() else {
        return Err(IndexError::InvalidDocument {
            id: String::new(),
            reason: "the entity has no id".to_string(),
        });
    };
    let schema = entity.schema();
    if schema.is_abstract() {
        return Err(IndexError::InvalidDocument {
            id: id.to_string(),
            reason: format!("{} is an abstract schema", schema.name()),
        });
    }
    let mut d = TantivyDocument::new();
    d.add_text(fields.id, id);
    d.add_i64(fields.collection_id, doc.collection_id);
    if let Some(role) = doc.role_id {
        d.add_i64(fields.role_id, role);
    }
    d.add_bool(fields.mutable, doc.mutable);
    d.add_date(
        fields.created_at,
        DateTime::from_timestamp_secs(doc.created_at.timestamp()),
    );
    d.add_date(
        fields.updated_at,
        DateTime::from_timestamp_secs(doc.updated_at.timestamp()),
    );
    for origin in &doc.origin {
        d.add_text(fields.origin, origin);
    }
    d.add_text(fields.schema_name, schema.name());
    for s in schema.schemata() {
        d.add_text(fields.schemata, s.name());
    }
    let caption = entity.caption();
    d.add_text(
        fields.caption_sort,
        any_ascii::any_ascii(&caption).to_lowercase(),
    );
    d.add_text(fields.caption, caption);

    let mut name_keys = BTreeSet::new();
    for (group, values) in entity.type_groups(false) {
        let Some(field) = fields.groups.get(group) else {
            continue;
        };
        for value in values {
            d.add_text(*field, value);
            if group == "names" {
                d.add_text(fields.name_text, value);
                name_keys.extend(analysis::name_keys(value));
            }
        }
    }
    for key in name_keys {
        d.add_text(fields.name_keys, key);
    }

    let mut properties: BTreeMap<String, OwnedValue> = BTreeMap::new();
    let mut numbers: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for (prop, values) in entity.properties() {
        let name = prop.name();
        d.add_text(fields.has_property, name);
        let kind = property_kind(name).unwrap_or(PropertyKind::Keyword);
        let prop_type = prop.type_();
        for value in values {
            if prop_type != PropertyType::Entity {
                d.add_text(fields.text, value);
            }
            if name == INDEX_TEXT {
                d.add_text(fields.index_text, value);
            }
        }
        if kind == PropertyKind::Text {
            continue;
        }
        properties.insert(
            name.to_string(),
            OwnedValue::Array(values.iter().map(|v| OwnedValue::Str(v.clone())).collect()),
        );
        if prop_type == PropertyType::Date || kind == PropertyKind::Date {
            let stamps = values
                .iter()
                .filter_map(|v| parse_date(v))
                .map(|s| s.start as f64);
            let stamps: Vec<f64> = stamps.collect();
            numbers.entry(DATES_GROUP).or_default().extend(&stamps);
            if kind == PropertyKind::Date {
                numbers.entry(prop.name()).or_default().extend(stamps);
            }
        } else if kind == PropertyKind::Number {
            numbers
                .entry(prop.name())
                .or_default()
                .extend(values.iter().filter_map(|v| parse_number(v)));
        }
    }
    if !properties.is_empty() {
        d.add_object(fields.properties, properties);
    }
    for (name, values) in numbers {
        if let Some(field) = fields.numeric.get(name) {
            for v in values {
                d.add_f64(*field, v);
            }
        }
    }

    let mut json = entity.to_json();
    if let Some(props) = json.get_mut("properties").and_then(|p| p.as_object_mut()) {
        props.remove(INDEX_TEXT);
    }
    d.add_text(fields.entity_json, json.to_string());
    Ok(d)
}
