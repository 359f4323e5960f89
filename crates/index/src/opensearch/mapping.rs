//! The index layout in OpenSearch: settings, the analyzer and the field mapping.
//!
//! Text is analyzed in Rust ([`crate::analysis`]), exactly as for Tantivy, and sent already
//! tokenized: words separated by spaces, and the alternative spellings of one word joined by
//! `|` (`muller|mueller`). The `aleph` analyzer only splits on spaces and puts the `|`
//! alternatives at the same position, so no ICU plugin is needed and both backends find the
//! same words. Name keys are computed in Rust too.
//!
//! | field | type | holds |
//! |---|---|---|
//! | `id`, `schema`, `schemata`, `caption`, `origin`, `name_keys`, `has_property` | keyword | as in the Tantivy layout |
//! | `caption_sort` | keyword | lower-cased ASCII caption, for `sort=label` |
//! | `collection_id`, `role_id` | long | |
//! | `mutable` | boolean | |
//! | `created_at`, `updated_at` | date | |
//! | `names` … `urls` | keyword | one field per FtM type group |
//! | `name_text`, `text` | text (`aleph` analyzer) | pre-tokenized names and other values |
//! | `properties.<name>` | keyword (dynamic template) | every non-text property |
//! | `numeric.<name>` | double, or date for dates | numbers and dates for ranges, sorts, histograms |
//! | `stored` | not indexed | the entity JSON and `indexText`, for hits and highlights |

use serde_json::{Map, Value, json};

use crate::query::field::{DATES_GROUP, PropertyKind, numeric_names, property_kind, type_groups};

/// Bumped whenever the mapping or the tokens sent change; an index with another layout
/// must be rebuilt.
pub const LAYOUT_VERSION: u64 = 1;

/// The analyzer that reads pre-tokenized text.
pub const ANALYZER: &str = "aleph";

/// Keyword values longer than this are kept but not indexed (Lucene refuses terms over
/// 32 KiB, which would fail the whole document).
const IGNORE_ABOVE: u64 = 8000;

/// Whether `numeric.<name>` holds dates.
pub fn numeric_is_date(name: &str) -> bool {
    name == DATES_GROUP || property_kind(name) == Some(PropertyKind::Date)
}

/// The body of `PUT /<index>`.
pub fn index_body(shards: u32, replicas: &str) -> Value {
    let keyword = || json!({"type": "keyword", "ignore_above": IGNORE_ABOVE});
    let text = json!({"type": "text", "analyzer": ANALYZER});
    let date = json!({"type": "date", "format": "strict_date_optional_time||epoch_second"});
    let mut props = Map::new();
    for name in [
        "id",
        "schema",
        "schemata",
        "caption",
        "caption_sort",
        "origin",
        "name_keys",
        "has_property",
    ] {
        props.insert(name.to_string(), keyword());
    }
    props.insert("collection_id".into(), json!({"type": "long"}));
    props.insert("role_id".into(), json!({"type": "long"}));
    props.insert("mutable".into(), json!({"type": "boolean"}));
    props.insert("created_at".into(), date.clone());
    props.insert("updated_at".into(), date.clone());
    props.insert("name_text".into(), text.clone());
    props.insert("text".into(), text);
    for group in type_groups() {
        props.insert(group.to_string(), keyword());
    }
    let mut numeric = Map::new();
    for name in numeric_names() {
        let mapping = if numeric_is_date(name) {
            date.clone()
        } else {
            json!({"type": "double"})
        };
        numeric.insert(name.to_string(), mapping);
    }
    props.insert(
        "numeric".into(),
        json!({"type": "object", "properties": numeric}),
    );
    props.insert(
        "properties".into(),
        json!({"type": "object", "dynamic": true}),
    );
    props.insert("stored".into(), json!({"type": "object", "enabled": false}));
    let mut body = json!({
        "settings": {
            "index": {
                "number_of_shards": shards,
                // Writes become visible on commit (an explicit refresh), as with Tantivy.
                "refresh_interval": "-1",
                "max_result_window": 10000,
                "mapping.total_fields.limit": 5000,
            },
            "analysis": {
                "filter": {
                    "aleph_variants": {
                        "type": "pattern_capture",
                        "preserve_original": false,
                        "patterns": ["([^|]+)"],
                    }
                },
                "analyzer": {
                    ANALYZER: {
                        "type": "custom",
                        "tokenizer": "whitespace",
                        "filter": ["aleph_variants"],
                    }
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"aleph_layout": LAYOUT_VERSION},
            "dynamic_templates": [{
                "properties_as_keywords": {
                    "path_match": "properties.*",
                    "mapping": {"type": "keyword", "ignore_above": IGNORE_ABOVE},
                }
            }],
            "properties": props,
        },
    });
    // A fixed number of replicas, or a range the cluster follows as nodes come and go.
    body["settings"]["index"]["auto_expand_replicas"] = match replicas.parse::<u32>() {
        Ok(n) => {
            body["settings"]["index"]["number_of_replicas"] = json!(n);
            json!(false)
        }
        Err(_) => json!(replicas),
    };
    body
}

/// Whether `replicas` is a replica count or an `auto_expand_replicas` range (`0-1`,
/// `1-all`).
pub fn valid_replicas(replicas: &str) -> bool {
    let count = |s: &str| s.parse::<u32>().ok().filter(|n| *n <= 64);
    match replicas.split_once('-') {
        None => count(replicas).is_some(),
        Some((low, high)) => match (count(low), high) {
            (Some(_), "all") => true,
            (Some(low), high) => count(high).is_some_and(|high| low <= high),
            (None, _) => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_do_not_collide_with_fixed_fields() {
        let fixed = [
            "id",
            "schema",
            "schemata",
            "caption",
            "caption_sort",
            "origin",
            "name_keys",
            "has_property",
            "collection_id",
            "role_id",
            "mutable",
            "created_at",
            "updated_at",
            "name_text",
            "text",
            "numeric",
            "properties",
            "stored",
        ];
        for group in type_groups() {
            assert!(!fixed.contains(&group), "{group}");
        }
        let body = index_body(1, "0-1");
        assert_eq!(
            body["mappings"]["properties"]["numeric"]["properties"]["amount"]["type"],
            "double"
        );
        assert_eq!(
            body["mappings"]["properties"]["numeric"]["properties"]["birthDate"]["type"],
            "date"
        );
    }

    #[test]
    fn replicas_are_a_count_or_a_range() {
        let fixed = index_body(16, "1");
        assert_eq!(fixed["settings"]["index"]["number_of_shards"], 16);
        assert_eq!(fixed["settings"]["index"]["number_of_replicas"], 1);
        assert_eq!(fixed["settings"]["index"]["auto_expand_replicas"], false);
        let range = index_body(2, "0-all");
        assert_eq!(range["settings"]["index"]["auto_expand_replicas"], "0-all");
        assert!(
            range["settings"]["index"]
                .get("number_of_replicas")
                .is_none()
        );
        for ok in ["0", "2", "0-1", "1-all", "1-3"] {
            assert!(valid_replicas(ok), "{ok}");
        }
        for bad in ["", "-1", "two", "3-1", "0-", "all", "1-2-3", "0-many"] {
            assert!(!valid_replicas(bad), "{bad}");
        }
    }
}
