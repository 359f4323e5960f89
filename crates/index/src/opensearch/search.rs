//! Search request bodies, and reading their responses back into [`SearchResult`]s.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::compile::{Compiled, Location, column, locate, range};
use crate::error::IndexError;
use crate::highlight::Highlighter;
use crate::query::field::Field;
use crate::query::request::{FacetRequest, Order, RangeBounds, SortKey};
use crate::query::values::format_timestamp;
use crate::query::{Node, SearchQuery};
use crate::result::{FacetResult, Hit};
use crate::tantivy::collect::FacetCounts;
use crate::tantivy::search::{facet_result, numeric_bounds};

/// Distinct counts are exact below this many values (OpenSearch's HyperLogLog limit).
const PRECISION_THRESHOLD: u64 = 40_000;

/// The `_source` fields a hit needs.
const SOURCE_FIELDS: &[&str] = &[
    "id",
    "collection_id",
    "role_id",
    "mutable",
    "created_at",
    "updated_at",
    "origin",
    "stored.entity",
];

/// Whether the query has text to score.
pub fn is_scored(query: &SearchQuery) -> bool {
    query.query != Node::All || query.prefix.is_some()
}

/// The sort: the user's keys, then relevance (unless placed or unscored), then the id.
pub fn sort(query: &SearchQuery) -> Vec<Value> {
    let scored = is_scored(query);
    let mut keys = Vec::new();
    let mut has_score = !scored;
    for s in &query.sort {
        let order = if s.order == Order::Desc {
            "desc"
        } else {
            "asc"
        };
        match s.key {
            SortKey::Score if !scored => {}
            SortKey::Score => {
                has_score = true;
                keys.push(json!({"_score": {"order": order}}));
            }
            SortKey::Field(field) => {
                let path = if field == Field::Caption {
                    Some("caption_sort".to_string())
                } else {
                    column(field.sort_field())
                };
                if let Some(path) = path {
                    // As Tantivy: `dates` sorts by the earliest date whatever the direction.
                    let mode = if s.order == Order::Desc && field != Field::Group("dates") {
                        "max"
                    } else {
                        "min"
                    };
                    // A property no entity has yet is not in the mapping; sorting on it must
                    // still work (everything is missing), as with Tantivy.
                    keys.push(json!({path: {
                        "order": order,
                        "mode": mode,
                        "missing": "_last",
                        "unmapped_type": "keyword",
                    }}));
                }
            }
        }
    }
    if !has_score {
        keys.push(json!({"_score": {"order": "desc"}}));
    }
    keys.push(json!({"id": {"order": "asc"}}));
    keys
}

fn facet_agg(query: &SearchQuery, compiled: &Compiled, request: &FacetRequest) -> Value {
    let mut aggs = Map::new();
    if (request.values || request.total)
        && let Some(path) = column(request.field)
    {
        aggs.insert(
            "values".into(),
            json!({"terms": {
                "field": path,
                "size": request.size.max(1),
                "shard_size": (request.size.max(1) * 2).max(100),
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }}),
        );
        let active = query.filter_text(request.field);
        if !active.is_empty() {
            let filters: Map<String, Value> = active
                .iter()
                .map(|v| (v.clone(), json!({"term": {path.clone(): v}})))
                .collect();
            aggs.insert("active".into(), json!({"filters": {"filters": filters}}));
        }
        if request.total {
            aggs.insert(
                "distinct".into(),
                json!({"cardinality": {"field": path, "precision_threshold": PRECISION_THRESHOLD}}),
            );
        }
    }
    if let Some(unit) = request.interval {
        let target = request.field.range_field();
        if let Some(path) = column(target) {
            let (lower, upper) = numeric_bounds(query, target);
            let bounds = RangeBounds::Numeric {
                lower: lower.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
                upper: upper.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
            };
            aggs.insert(
                "intervals".into(),
                json!({
                    "filter": range(target, &bounds),
                    "aggs": {"h": {"date_histogram": {
                        "field": path,
                        "calendar_interval": unit.name(),
                        "min_doc_count": 1,
                    }}},
                }),
            );
        }
    }
    let filter = compiled
        .post_filter(Some(request.field))
        .unwrap_or_else(|| json!({"match_all": {}}));
    json!({"filter": filter, "aggs": aggs})
}

/// The body of `_search` for a page of hits (or only facets when `hits` is false).
pub fn body(query: &SearchQuery, compiled: &Compiled, hits: bool) -> Value {
    let page = query.page;
    let want_hits = hits && page.limit > 0;
    let mut body = Map::new();
    body.insert("query".into(), compiled.base());
    if let Some(post) = compiled.post_filter(None) {
        body.insert("post_filter".into(), post);
    }
    body.insert("track_total_hits".into(), json!(true));
    if want_hits {
        body.insert("from".into(), json!(page.offset));
        body.insert("size".into(), json!(page.limit));
        body.insert("sort".into(), json!(sort(query)));
        body.insert("track_scores".into(), json!(is_scored(query)));
        // `indexText` (the pages of a document) travels only when it is highlighted.
        let mut source: Vec<&str> = SOURCE_FIELDS.to_vec();
        if query.highlight.is_some() {
            source.push("stored.index_text");
        }
        body.insert("_source".into(), json!(source));
    } else {
        body.insert("size".into(), json!(0));
    }
    let aggs: Map<String, Value> = query
        .facets
        .iter()
        .enumerate()
        .map(|(i, f)| (format!("f{i}"), facet_agg(query, compiled, f)))
        .collect();
    if !aggs.is_empty() {
        body.insert("aggs".into(), Value::Object(aggs));
    }
    Value::Object(body)
}

/// How a field's bucket keys are written, as the Tantivy backend writes them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyStyle {
    Plain,
    /// `created_at`, `updated_at`: `2024-01-01T12:00:00`.
    Timestamp,
    /// Dates kept as numbers (`numeric.<date>`): seconds since the epoch.
    Seconds,
}

fn key_style(field: Field) -> KeyStyle {
    match locate(field) {
        Location::Timestamp(_) => KeyStyle::Timestamp,
        Location::Date(_) => KeyStyle::Seconds,
        _ => KeyStyle::Plain,
    }
}

/// A bucket key as the facet reports it.
fn key_string(bucket: &Value, style: KeyStyle) -> String {
    if style != KeyStyle::Plain
        && let Some(millis) = bucket["key"].as_i64()
    {
        let seconds = millis.div_euclid(1000);
        return match style {
            KeyStyle::Timestamp => format_timestamp(seconds),
            _ => (seconds as f64).to_string(),
        };
    }
    if let Some(s) = bucket["key_as_string"].as_str() {
        return s.to_string();
    }
    match &bucket["key"] {
        Value::String(s) => s.clone(),
        // Integers as integers; doubles as Rust prints them (`1500`, `0.5`), as Tantivy does.
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn facet_counts(agg: &Value, style: KeyStyle) -> FacetCounts {
    let mut counts = FacetCounts {
        exact: true,
        ..FacetCounts::default()
    };
    if let Some(buckets) = agg["values"]["buckets"].as_array() {
        counts.values = buckets
            .iter()
            .map(|b| (key_string(b, style), b["doc_count"].as_u64().unwrap_or(0)))
            .collect();
    }
    // Ties in the order of the value's text, whatever the field's type.
    counts
        .values
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if let Some(active) = agg["active"]["buckets"].as_object() {
        for (value, bucket) in active {
            let n = bucket["doc_count"].as_u64().unwrap_or(0);
            // Values with no match are added by the facet itself; others go after the top.
            if n > 0 && !counts.values.iter().any(|(v, _)| v == value) {
                counts.values.push((value.clone(), n));
            }
        }
    }
    counts.distinct = agg["distinct"]["value"].as_u64().unwrap_or(0);
    if let Some(buckets) = agg["intervals"]["h"]["buckets"].as_array() {
        counts.buckets = buckets
            .iter()
            .filter_map(|b| {
                let millis = b["key"].as_i64()?;
                Some((
                    millis.div_euclid(1000),
                    b["doc_count"].as_u64().unwrap_or(0),
                ))
            })
            .collect();
    }
    counts
}

/// The facets of a `_search` response.
pub fn facets(query: &SearchQuery, response: &Value) -> BTreeMap<String, FacetResult> {
    query
        .facets
        .iter()
        .enumerate()
        .map(|(i, request)| {
            let counts = facet_counts(
                &response["aggregations"][format!("f{i}")],
                key_style(request.field),
            );
            (request.name.clone(), facet_result(query, request, &counts))
        })
        .collect()
}

fn timestamp(v: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    match v {
        Value::Number(n) => chrono::DateTime::from_timestamp(n.as_i64()?, 0),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc)),
        _ => None,
    }
}

/// The texts a hit is highlighted in: its property values (not entity references), then
/// its `indexText` (the same order as the Tantivy backend).
fn highlight_sources(entity: &Value, index_text: &Value) -> Vec<String> {
    let schema = entity["schema"].as_str().and_then(|s| ftm::model().get(s));
    let mut texts = Vec::new();
    if let Some(props) = entity["properties"].as_object() {
        for (name, values) in props {
            let is_ref = schema
                .and_then(|s| s.property(name))
                .is_some_and(|p| p.type_() == ftm::PropertyType::Entity);
            if is_ref {
                continue;
            }
            if let Some(values) = values.as_array() {
                texts.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
        }
    }
    if let Some(values) = index_text.as_array() {
        texts.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
    }
    texts
}

/// The hits of a `_search` response.
pub fn hits(query: &SearchQuery, response: &Value) -> Result<Vec<Hit>, IndexError> {
    let highlighter = query.highlight.as_ref().map(|h| match &h.text {
        Some(text) => Highlighter::for_text(text),
        None => Highlighter::new(&query.query, query.prefix.as_deref()),
    });
    let scored = is_scored(query);
    let empty = Vec::new();
    let raw = response["hits"]["hits"].as_array().unwrap_or(&empty);
    let mut hits = Vec::with_capacity(raw.len());
    for h in raw {
        let source = &h["_source"];
        let id = source["id"]
            .as_str()
            .or_else(|| h["_id"].as_str())
            .unwrap_or_default()
            .to_string();
        let entity = source["stored"]["entity"].clone();
        if entity.is_null() {
            return Err(IndexError::Corrupt(format!("no entity stored for {id}")));
        }
        let mut hit = Hit {
            collection_id: source["collection_id"].as_i64().unwrap_or_default(),
            role_id: source["role_id"].as_i64(),
            mutable: source["mutable"].as_bool().unwrap_or(false),
            created_at: timestamp(&source["created_at"]),
            updated_at: timestamp(&source["updated_at"]),
            origin: source["origin"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            score: if scored {
                h["_score"].as_f64().unwrap_or(0.0) as f32
            } else {
                0.0
            },
            id,
            entity,
            highlight: Vec::new(),
        };
        if let (Some(hl), Some(opts)) = (&highlighter, &query.highlight)
            && !hl.is_empty()
        {
            let texts = highlight_sources(&hit.entity, &source["stored"]["index_text"]);
            hit.highlight = hl.fragments(texts.iter().map(String::as_str), opts.length, opts.count);
        }
        hits.push(hit);
    }
    Ok(hits)
}

/// The exact total of a `_search` response.
pub fn total(response: &Value) -> u64 {
    response["hits"]["total"]["value"].as_u64().unwrap_or(0)
}
