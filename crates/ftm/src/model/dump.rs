//! The model as JSON in the shape of `ftm dump-model` (and of Aleph's `/api/2/metadata`
//! `model` key), without the prose descriptions, which we do not carry.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Model, Property, Schema};
use crate::PropertyType;

impl Model {
    /// `{"version", "schemata": {name: schema}, "types": {name: type}}`, keys sorted.
    pub fn to_json(&'static self) -> Value {
        let schemata: BTreeMap<&str, Value> =
            self.schemata().map(|s| (s.name(), s.to_json())).collect();
        let types: BTreeMap<&str, Value> = PropertyType::ALL
            .into_iter()
            .map(|t| (t.name(), self.type_json(t)))
            .collect();
        sorted(json!({
            "version": self.version(),
            "schemata": schemata,
            "types": types,
        }))
    }

    fn type_json(&self, t: PropertyType) -> Value {
        let (label, plural) = self.type_label(t);
        let mut data = json!({"label": label, "plural": plural, "maxLength": t.max_length()});
        if let Some(group) = t.group() {
            data["group"] = json!(group);
        }
        if t.matchable() {
            data["matchable"] = json!(true);
        }
        if t.pivot() {
            data["pivot"] = json!(true);
        }
        if let Some(values) = self.type_values(t) {
            let values: BTreeMap<&str, &str> = values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            data["values"] = json!(values);
        }
        data
    }
}

impl Schema {
    /// This schema as `ftm dump-model` prints it: own properties only.
    pub fn to_json(&self) -> Value {
        let mut extends: Vec<&str> = self.extends().map(|s| s.name()).collect();
        extends.sort_unstable();
        let schemata: Vec<&str> = self.schemata().map(|s| s.name()).collect();
        let mut data = json!({
            "label": self.label(),
            "plural": self.plural(),
            "schemata": schemata,
            "extends": extends,
        });
        if let Some(edge) = self.edge() {
            data["edge"] = json!({
                "source": edge.source,
                "target": edge.target,
                "caption": edge.caption,
                "label": edge.label,
                "directed": edge.directed,
            });
        }
        if !self.temporal_start().is_empty() || !self.temporal_end().is_empty() {
            data["temporalExtent"] =
                json!({"start": self.temporal_start(), "end": self.temporal_end()});
        }
        for (key, list) in [
            ("featured", self.featured()),
            ("required", self.required()),
            ("caption", self.caption()),
        ] {
            if !list.is_empty() {
                data[key] = json!(list);
            }
        }
        for (key, flag) in [
            ("abstract", self.is_abstract()),
            ("hidden", self.hidden()),
            ("generated", self.generated()),
            ("matchable", self.matchable()),
            ("deprecated", self.deprecated()),
        ] {
            if flag {
                data[key] = json!(true);
            }
        }
        let properties: BTreeMap<&str, Value> = self
            .own_properties()
            .map(|p| (p.name(), p.to_json()))
            .collect();
        data["properties"] = json!(properties);
        data
    }
}

impl Property {
    pub fn to_json(&self) -> Value {
        let mut data = json!({
            "name": self.name(),
            "qname": self.qname(),
            "label": self.label(),
            "type": self.type_().name(),
            "maxLength": self.max_length(),
        });
        for (key, flag) in [
            ("stub", self.stub()),
            ("matchable", self.matchable()),
            ("hidden", self.hidden()),
            ("deprecated", self.deprecated()),
        ] {
            if flag {
                data[key] = json!(true);
            }
        }
        if let Some(range) = self.range() {
            data["range"] = json!(range.name());
        }
        if let Some(reverse) = self.reverse_name() {
            data["reverse"] = json!(reverse);
        }
        if let Some(format) = self.format() {
            data["format"] = json!(format);
        }
        data
    }
}

/// Rebuild every object with its keys in sorted order (orjson's `OPT_SORT_KEYS`).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
