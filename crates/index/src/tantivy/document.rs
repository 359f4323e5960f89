//! Turning an [`IndexDoc`] into a Tantivy document (the layout is in [`super::schema`]).

use std::collections::{BTreeMap, BTreeSet};

use ftm::PropertyType;
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf, Value};
use tantivy::{DateTime, TantivyDocument};

use super::schema::{Fields, property_group};
use crate::analysis;
use crate::doc::IndexDoc;
use crate::error::IndexError;
use crate::query::field::{DATES_GROUP, PropertyKind, property_kind};
use crate::query::values::{parse_date, parse_number};

/// The property whose values are searchable but not returned (Aleph pops it out of the
/// entity for the same reason: it repeats the text of all pages of a document).
pub const INDEX_TEXT: &str = "indexText";

/// Why `doc` cannot be indexed, if it cannot: [`build`] fails exactly when this does.
pub fn check(doc: &IndexDoc) -> Result<(), IndexError> {
    let Some(id) = doc.entity.id() else {
        return Err(IndexError::InvalidDocument {
            id: String::new(),
            reason: "the entity has no id".to_string(),
        });
    };
    let schema = doc.entity.schema();
    if schema.is_abstract() {
        return Err(IndexError::InvalidDocument {
            id: id.to_string(),
            reason: format!("{} is an abstract schema", schema.name()),
        });
    }
    Ok(())
}

/// The Tantivy document for `doc`, or why it cannot be indexed.
pub fn build(fields: &Fields, doc: &IndexDoc) -> Result<TantivyDocument, IndexError> {
    check(doc)?;
    let entity = &doc.entity;
    let id = entity.id().unwrap_or_default();
    let schema = entity.schema();
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

    // Values by type group, each value once per group (a country given as both `country`
    // and `nationality` counts once in the `countries` facet).
    let mut groups: Vec<(&'static str, Vec<&str>)> = Vec::new();
    let mut name_keys = BTreeSet::new();
    let mut properties: Vec<(&str, &[String])> = Vec::new();
    let mut grouped: Vec<(&str, &[String])> = Vec::new();
    let mut numbers: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut has_index_text = false;
    for (prop, values) in entity.properties() {
        let name = prop.name();
        let kind = property_kind(name).unwrap_or(PropertyKind::Keyword);
        let prop_type = prop.type_();
        if let Some(group) = prop_type.group() {
            let slot = match groups.iter().position(|(g, _)| *g == group) {
                Some(i) => &mut groups[i].1,
                None => {
                    groups.push((group, Vec::new()));
                    &mut groups.last_mut().expect("just pushed").1
                }
            };
            for value in values {
                if !slot.contains(&value.as_str()) {
                    slot.push(value);
                }
            }
        }
        for value in values {
            // Names are searched through `name_text` (the default query reads both fields);
            // entity references are ids, not text.
            if !matches!(prop_type, PropertyType::Entity | PropertyType::Name) {
                d.add_text(fields.text, value);
            }
            if name == INDEX_TEXT {
                d.add_text(fields.index_text, value);
                has_index_text = true;
            }
        }
        if kind == PropertyKind::Text {
            // Text is not kept per property, so remember which text properties are set.
            d.add_text(fields.has_property, name);
            continue;
        }
        // A grouped property's values are indexed in the group field only (see the
        // layout in `schema`).
        if property_group(name).is_some() {
            grouped.push((name, values));
        } else {
            properties.push((name, values));
        }
        if prop_type == PropertyType::Date || kind == PropertyKind::Date {
            let stamps: Vec<f64> = values
                .iter()
                .filter_map(|v| parse_date(v))
                .map(|s| s.start as f64)
                .collect();
            numbers.entry(DATES_GROUP).or_default().extend(&stamps);
            if kind == PropertyKind::Date {
                numbers.entry(name).or_default().extend(stamps);
            }
        } else if kind == PropertyKind::Number {
            numbers
                .entry(name)
                .or_default()
                .extend(values.iter().filter_map(|v| parse_number(v)));
        }
    }
    for (group, values) in groups {
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
    if !properties.is_empty() {
        d.add_field_value(fields.properties, PropertiesValue::Object(&properties));
    }
    if !grouped.is_empty() {
        d.add_field_value(fields.grouped_properties, PropertiesValue::Object(&grouped));
    }
    for (name, values) in numbers {
        if let Some(field) = fields.numeric.get(name) {
            for v in values {
                d.add_f64(*field, v);
            }
        }
    }

    let json = if has_index_text {
        let mut json = entity.to_json();
        if let Some(props) = json.get_mut("properties").and_then(|p| p.as_object_mut()) {
            props.remove(INDEX_TEXT);
        }
        json.to_string()
    } else {
        serde_json::to_string(entity).map_err(|e| IndexError::InvalidDocument {
            id: id.to_string(),
            reason: e.to_string(),
        })?
    };
    d.add_text(fields.entity_json, json);
    Ok(d)
}

/// The `properties` object as the entity holds it: the document copies the names and
/// values straight into its buffer, where an `OwnedValue` map would copy each value twice
/// and allocate a map node per property first.
#[derive(Debug, Clone, Copy)]
enum PropertiesValue<'a> {
    Object(&'a [(&'a str, &'a [String])]),
    Values(&'a [String]),
    Str(&'a str),
}

type Values<'a> =
    std::iter::Map<std::slice::Iter<'a, String>, fn(&'a String) -> PropertiesValue<'a>>;
type Entries<'a> = std::iter::Map<
    std::slice::Iter<'a, (&'a str, &'a [String])>,
    fn(&'a (&'a str, &'a [String])) -> (&'a str, PropertiesValue<'a>),
>;

#[allow(clippy::ptr_arg)] // the signature `slice::Iter<String>::map` needs
fn one_value(value: &String) -> PropertiesValue<'_> {
    PropertiesValue::Str(value)
}

fn entry<'a>((name, values): &'a (&'a str, &'a [String])) -> (&'a str, PropertiesValue<'a>) {
    (name, PropertiesValue::Values(values))
}

impl<'a> Value<'a> for PropertiesValue<'a> {
    type ArrayIter = Values<'a>;
    type ObjectIter = Entries<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match *self {
            PropertiesValue::Str(s) => ReferenceValue::Leaf(ReferenceValueLeaf::Str(s)),
            PropertiesValue::Values(values) => ReferenceValue::Array(
                values
                    .iter()
                    .map(one_value as fn(&'a String) -> PropertiesValue<'a>),
            ),
            PropertiesValue::Object(entries) => {
                ReferenceValue::Object(entries.iter().map(
                    entry as fn(&'a (&'a str, &'a [String])) -> (&'a str, PropertiesValue<'a>),
                ))
            }
        }
    }
}
