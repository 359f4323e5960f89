//! Turning an [`IndexDoc`] into an OpenSearch `_source` (the layout is in
//! [`super::mapping`]). What is searchable is the same as in the Tantivy layout.

use std::collections::{BTreeMap, BTreeSet};

use ftm::PropertyType;
use serde_json::{Map, Value, json};

use crate::analysis;
use crate::doc::IndexDoc;
use crate::error::IndexError;
use crate::query::field::{DATES_GROUP, PropertyKind, property_kind};
use crate::query::values::{parse_date, parse_number};
use crate::tantivy::document::{INDEX_TEXT, check};

/// A text as the `aleph` analyzer expects it: folded words separated by spaces, the
/// alternative spellings of a word joined to it by `|`.
pub fn pretokenize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_position = None;
    analysis::index_tokens(text, |t| {
        match last_position {
            Some(p) if p == t.position => out.push('|'),
            Some(_) => out.push(' '),
            None => {}
        }
        out.push_str(&t.text);
        last_position = Some(t.position);
    });
    out
}

/// An ISO-8601 UTC time for a number of seconds since the epoch.
pub fn iso(seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The id and `_source` of `doc`, or why it cannot be indexed.
pub fn build(doc: &IndexDoc) -> Result<(String, Value), IndexError> {
    check(doc)?;
    let entity = &doc.entity;
    let id = entity.id().unwrap_or_default().to_string();
    let schema = entity.schema();
    let caption = entity.caption();

    let mut groups: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    let mut name_keys = BTreeSet::new();
    let mut properties = Map::new();
    let mut numbers: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let mut text = Vec::new();
    let mut has_property = Vec::new();
    let mut index_text = Vec::new();
    for (prop, values) in entity.properties() {
        let name = prop.name();
        let kind = property_kind(name).unwrap_or(PropertyKind::Keyword);
        let prop_type = prop.type_();
        if let Some(group) = prop_type.group() {
            let slot = groups.entry(group).or_default();
            for value in values {
                if !slot.contains(&value.as_str()) {
                    slot.push(value);
                }
            }
        }
        for value in values {
            if !matches!(prop_type, PropertyType::Entity | PropertyType::Name) {
                let tokens = pretokenize(value);
                if !tokens.is_empty() {
                    text.push(Value::String(tokens));
                }
            }
            if name == INDEX_TEXT {
                index_text.push(Value::String(value.clone()));
            }
        }
        if kind == PropertyKind::Text {
            has_property.push(name);
            continue;
        }
        properties.insert(name.to_string(), json!(values));
        if prop_type == PropertyType::Date || kind == PropertyKind::Date {
            let stamps: Vec<Value> = values
                .iter()
                .filter_map(|v| parse_date(v))
                .filter_map(|s| iso(s.start))
                .map(Value::String)
                .collect();
            numbers
                .entry(DATES_GROUP)
                .or_default()
                .extend(stamps.clone());
            if kind == PropertyKind::Date {
                numbers.entry(name).or_default().extend(stamps);
            }
        } else if kind == PropertyKind::Number {
            numbers.entry(name).or_default().extend(
                values
                    .iter()
                    .filter_map(|v| parse_number(v))
                    .filter(|n| n.is_finite())
                    .map(|n| json!(n)),
            );
        }
    }

    let mut source = Map::new();
    let mut name_text = Vec::new();
    for (group, values) in &groups {
        if *group == "names" {
            for value in values {
                let tokens = pretokenize(value);
                if !tokens.is_empty() {
                    name_text.push(Value::String(tokens));
                }
                name_keys.extend(analysis::name_keys(value));
            }
        }
        source.insert(group.to_string(), json!(values));
    }
    let numeric: Map<String, Value> = numbers
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), Value::Array(v)))
        .collect();

    let mut entity_json = entity.to_json();
    if let Some(props) = entity_json
        .get_mut("properties")
        .and_then(|p| p.as_object_mut())
    {
        props.remove(INDEX_TEXT);
    }

    source.insert("id".into(), json!(id));
    source.insert("collection_id".into(), json!(doc.collection_id));
    if let Some(role) = doc.role_id {
        source.insert("role_id".into(), json!(role));
    }
    source.insert("mutable".into(), json!(doc.mutable));
    source.insert("created_at".into(), json!(doc.created_at.timestamp()));
    source.insert("updated_at".into(), json!(doc.updated_at.timestamp()));
    source.insert("origin".into(), json!(doc.origin));
    source.insert("schema".into(), json!(schema.name()));
    source.insert(
        "schemata".into(),
        json!(schema.schemata().map(|s| s.name()).collect::<Vec<_>>()),
    );
    source.insert(
        "caption_sort".into(),
        json!(any_ascii::any_ascii(&caption).to_lowercase()),
    );
    source.insert("caption".into(), json!(caption));
    source.insert("name_keys".into(), json!(name_keys));
    source.insert("name_text".into(), Value::Array(name_text));
    source.insert("text".into(), Value::Array(text));
    source.insert("has_property".into(), json!(has_property));
    source.insert("properties".into(), Value::Object(properties));
    source.insert("numeric".into(), Value::Object(numeric));
    source.insert(
        "stored".into(),
        json!({"entity": entity_json, "index_text": index_text}),
    );
    Ok((id, Value::Object(source)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_share_a_position() {
        assert_eq!(
            pretokenize("Jürgen Müller, GmbH"),
            "jurgen|juergen muller|mueller gmbh"
        );
        assert_eq!(pretokenize("Владимир Путин"), "vladimir putin");
        assert_eq!(pretokenize("..."), "");
    }

    #[test]
    fn sources_carry_keys_and_numbers() {
        let mut e = ftm::Entity::with_id("Person", "p1").unwrap();
        e.add("name", "Jürgen Müller").unwrap();
        e.add("birthDate", "1952-10-07").unwrap();
        let (id, source) = build(&IndexDoc::new(e, 7)).unwrap();
        assert_eq!(id, "p1");
        assert_eq!(source["collection_id"], 7);
        assert_eq!(
            source["name_keys"],
            json!(["juergen mueller", "jurgen muller"])
        );
        assert_eq!(
            source["numeric"]["birthDate"],
            json!(["1952-10-07T00:00:00Z"])
        );
        assert_eq!(source["names"], json!(["Jürgen Müller"]));
        assert!(
            source["schemata"]
                .as_array()
                .unwrap()
                .contains(&json!("LegalEntity"))
        );
    }
}
