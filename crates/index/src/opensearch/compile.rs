//! Turning a [`SearchQuery`] and a [`ReadScope`] into OpenSearch query DSL.
//!
//! The split is the one the Tantivy backend makes (and Aleph makes in its Elasticsearch
//! body): a *base* query (text, permission scope, ranges, exclusions, ids, schemata and the
//! filters on fields that are not faceted) and *post filters* on faceted fields. Hits use
//! base and every post filter (`post_filter`); the aggregation of facet `f` is wrapped in a
//! filter with every post filter except the one on `f`, so that choosing a value does not
//! hide the others. Words are folded in Rust, as the index was, and searched as terms.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde_json::{Value, json};

use super::document::iso;
use super::mapping::numeric_is_date;
use crate::analysis;
use crate::query::field::{PropertyKind, numeric_names, property_kind, type_groups};
use crate::query::parser::{Leaf, Node, Value as QValue, WildcardPart};
use crate::query::request::{self, FilterValue, QueryError, RangeBounds, range_bounds};
use crate::query::{Field, SearchQuery};
use crate::scope::ReadScope;
use crate::tantivy::compile::{compile_regex, query_terms, wildcard_pattern};

/// How much more a match in a name counts than a match elsewhere (as for Tantivy).
const NAME_BOOST: f32 = 3.0;

/// Where a field's values live in the OpenSearch layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Keyword(String),
    Analyzed(&'static str),
    Integer(&'static str),
    Bool(&'static str),
    Timestamp(&'static str),
    Number(String),
    /// `numeric.<name>` holding dates.
    Date(String),
    Nowhere,
}

/// The location of `field`.
pub fn locate(field: Field) -> Location {
    match field {
        Field::Id => Location::Keyword("id".into()),
        Field::CollectionId => Location::Integer("collection_id"),
        Field::RoleId => Location::Integer("role_id"),
        Field::Mutable => Location::Bool("mutable"),
        Field::CreatedAt => Location::Timestamp("created_at"),
        Field::UpdatedAt => Location::Timestamp("updated_at"),
        Field::Schema => Location::Keyword("schema".into()),
        Field::Schemata => Location::Keyword("schemata".into()),
        Field::Caption => Location::Keyword("caption".into()),
        Field::Origin => Location::Keyword("origin".into()),
        Field::NameKeys => Location::Keyword("name_keys".into()),
        Field::Text => Location::Analyzed("text"),
        Field::Group(g) if type_groups().any(|t| t == g) => Location::Keyword(g.to_string()),
        Field::Group(_) => Location::Nowhere,
        Field::Property(p) => match property_kind(p) {
            Some(PropertyKind::Text) => Location::Analyzed("text"),
            Some(_) => Location::Keyword(format!("properties.{p}")),
            None => Location::Nowhere,
        },
        Field::Numeric(n) if numeric_names().any(|m| m == n) => {
            if numeric_is_date(n) {
                Location::Date(format!("numeric.{n}"))
            } else {
                Location::Number(format!("numeric.{n}"))
            }
        }
        Field::Numeric(_) => Location::Nowhere,
    }
}

/// The path of a field that can be aggregated or sorted on, if any.
pub fn column(field: Field) -> Option<String> {
    if matches!(field, Field::Caption | Field::NameKeys) {
        return None;
    }
    match locate(field) {
        Location::Keyword(p) | Location::Number(p) | Location::Date(p) => Some(p),
        Location::Integer(p) | Location::Bool(p) | Location::Timestamp(p) => Some(p.to_string()),
        Location::Analyzed(_) | Location::Nowhere => None,
    }
}

fn match_all() -> Value {
    json!({"match_all": {}})
}

fn nothing() -> Value {
    json!({"match_none": {}})
}

fn term(path: &str, value: impl Into<Value>) -> Value {
    json!({"term": {path: {"value": value.into()}}})
}

fn terms(path: &str, values: Vec<Value>) -> Value {
    if values.is_empty() {
        nothing()
    } else {
        json!({"terms": {path: values}})
    }
}

fn any_of(mut queries: Vec<Value>) -> Value {
    match queries.len() {
        0 => nothing(),
        1 => queries.remove(0),
        _ => json!({"bool": {"should": queries, "minimum_should_match": 1}}),
    }
}

fn phrase(path: &str, words: &[String], slop: u32) -> Value {
    json!({"match_phrase": {path: {"query": words.join(" "), "slop": slop, "analyzer": super::mapping::ANALYZER}}})
}

/// The compiled parts of a search.
#[derive(Debug, Clone)]
pub struct Compiled {
    must: Vec<Value>,
    filter: Vec<Value>,
    must_not: Vec<Value>,
    post: BTreeMap<Field, Value>,
}

impl Compiled {
    /// The base query (what aggregations run on).
    pub fn base(&self) -> Value {
        json!({"bool": {"must": self.must, "filter": self.filter, "must_not": self.must_not}})
    }

    /// The post filters except the one on `except`, as one filter (`None` when there are none).
    pub fn post_filter(&self, except: Option<Field>) -> Option<Value> {
        let filters: Vec<&Value> = self
            .post
            .iter()
            .filter(|(f, _)| Some(**f) != except)
            .map(|(_, q)| q)
            .collect();
        (!filters.is_empty()).then(|| json!({"bool": {"filter": filters}}))
    }

    /// Base and every post filter in one query (counts, streams).
    pub fn hits(&self) -> Value {
        let mut filter = self.filter.clone();
        filter.extend(self.post.values().cloned());
        json!({"bool": {"must": self.must, "filter": filter, "must_not": self.must_not}})
    }
}

/// Compiles a request. An empty scope is answered without searching by the caller.
pub fn compile(scope: &ReadScope, query: &SearchQuery) -> Result<Compiled, QueryError> {
    let mut must = Vec::new();
    let mut filter = Vec::new();
    let mut must_not = Vec::new();

    let text = match &query.query {
        Node::All => None,
        node => Some(self::node(node)?.unwrap_or_else(nothing)),
    };
    let prefix = query.prefix.as_deref().and_then(prefix);
    must.extend(text);
    must.extend(prefix);
    if must.is_empty() {
        must.push(match_all());
    }

    if let ReadScope::Collections(ids) = scope {
        filter.push(terms(
            "collection_id",
            ids.iter().map(|id| json!(id)).collect(),
        ));
    }
    if !query.schema.is_empty() {
        filter.push(terms(
            "schema",
            query.schema.iter().map(|s| json!(s.name())).collect(),
        ));
    } else if !query.schemata.is_empty() {
        filter.push(schemata_terms(&query.schemata));
    }
    if !query.ids.is_empty() {
        filter.push(terms("id", query.ids.iter().map(|i| json!(i)).collect()));
    }
    for (field, bounds) in &query.ranges {
        filter.push(range(*field, bounds));
    }
    for (field, values) in &query.excludes {
        must_not.push(filter_values(*field, values));
    }
    for field in &query.empties {
        must_not.push(exists(*field)?);
    }

    let faceted: Vec<Field> = query.facets.iter().map(|f| f.field).collect();
    let mut post = BTreeMap::new();
    for (field, values) in &query.filters {
        let q = filter_values(*field, values);
        if faceted.contains(field) {
            post.insert(*field, q);
        } else {
            filter.push(q);
        }
    }
    Ok(Compiled {
        must,
        filter,
        must_not,
        post,
    })
}

/// A query node; `None` when nothing searchable is left (only punctuation).
fn node(node: &Node) -> Result<Option<Value>, QueryError> {
    Ok(match node {
        Node::All => Some(match_all()),
        Node::Leaf(l) => leaf(l)?,
        Node::Boost(inner, b) => {
            self::node(inner)?.map(|q| json!({"bool": {"must": [q], "boost": b}}))
        }
        Node::Not(inner) => {
            self::node(inner)?.map(|q| json!({"bool": {"must": [match_all()], "must_not": [q]}}))
        }
        Node::And(items) => {
            let mut must = Vec::new();
            let mut must_not = Vec::new();
            for item in items {
                match item {
                    Node::Not(inner) => must_not.extend(self::node(inner)?),
                    other => must.extend(self::node(other)?),
                }
            }
            if must.is_empty() && must_not.is_empty() {
                return Ok(None);
            }
            if must.is_empty() {
                must.push(match_all());
            }
            Some(json!({"bool": {"must": must, "must_not": must_not}}))
        }
        Node::Or(items) => {
            let mut should = Vec::new();
            for item in items {
                should.extend(self::node(item)?);
            }
            if should.is_empty() {
                return Ok(None);
            }
            Some(json!({"bool": {"should": should, "minimum_should_match": 1}}))
        }
    })
}

fn as_str(bound: &Bound<String>) -> Bound<&str> {
    match bound {
        Bound::Included(v) => Bound::Included(v.as_str()),
        Bound::Excluded(v) => Bound::Excluded(v.as_str()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn leaf(leaf: &Leaf) -> Result<Option<Value>, QueryError> {
    let Some(field) = leaf.field.filter(|f| *f != Field::Text) else {
        let name = analyzed("name_text", &leaf.value)?;
        let text = analyzed("text", &leaf.value)?;
        return Ok(match (name, text) {
            (Some(n), Some(t)) => Some(json!({"dis_max": {"queries": [
                {"bool": {"must": [n], "boost": NAME_BOOST}},
                t,
            ]}})),
            (n, t) => n.or(t),
        });
    };
    if field == Field::Group("names") {
        return names_leaf(&leaf.value).map(Some);
    }
    let value = &leaf.value;
    if field == Field::Schemata && !matches!(value, QValue::Exists | QValue::Range { .. }) {
        return schemata(value).map(Some);
    }
    if let QValue::Exists = value {
        return exists(field).map(Some);
    }
    if let QValue::Range { lower, upper } = value {
        let target = field.range_field();
        return Ok(Some(
            match range_bounds(target, as_str(lower), as_str(upper)) {
                Ok(bounds) => range(target, &bounds),
                Err(_) => nothing(),
            },
        ));
    }
    Ok(match locate(field) {
        Location::Analyzed(path) => analyzed(path, value)?,
        Location::Keyword(_) => Some(keyword(field, value)?),
        Location::Nowhere => Some(nothing()),
        Location::Integer(_)
        | Location::Bool(_)
        | Location::Timestamp(_)
        | Location::Number(_)
        | Location::Date(_) => Some(match value {
            QValue::Term(t) | QValue::Phrase { text: t, .. } | QValue::Fuzzy { text: t, .. } => {
                match request::filter_value("q", field, t) {
                    Ok(v) => self::filter_value(field, &v),
                    Err(_) => nothing(),
                }
            }
            _ => nothing(),
        }),
    })
}

/// `schemata:` matches entities whose schema is a matching schema or descends from one.
fn schemata(value: &QValue) -> Result<Value, QueryError> {
    let matcher: Box<dyn Fn(&str) -> bool> = match value {
        QValue::Term(t) | QValue::Phrase { text: t, .. } => {
            let t = t.clone();
            Box::new(move |name| name == t)
        }
        QValue::Fuzzy { text, fuzziness } => {
            let edits = usize::from(fuzziness.edits(text.chars().count()));
            let text = text.clone();
            Box::new(move |name| crate::highlight::within_edits(&text, name, edits))
        }
        QValue::Wildcard(parts) => {
            let re = compile_regex(&wildcard_pattern(parts))?;
            Box::new(move |name| re.is_match(name))
        }
        QValue::Regex(pattern) => {
            let re = compile_regex(&format!("^(?:{pattern})$"))?;
            Box::new(move |name| re.is_match(name))
        }
        QValue::Range { .. } | QValue::Exists => return Ok(match_all()),
    };
    let matching: Vec<&'static ftm::Schema> = ftm::model()
        .schemata()
        .filter(|s| matcher(s.name()))
        .collect();
    Ok(schemata_terms(&matching))
}

/// Entities of the given schemata or their descendants.
fn schemata_terms(schemata: &[&'static ftm::Schema]) -> Value {
    let mut names: Vec<&str> = schemata
        .iter()
        .flat_map(|s| std::iter::once(*s).chain(s.descendants()))
        .map(|s| s.name())
        .collect();
    names.sort_unstable();
    names.dedup();
    terms("schema", names.into_iter().map(|n| json!(n)).collect())
}

/// `names:` searches the raw names, their normalised keys and the words of names.
fn names_leaf(value: &QValue) -> Result<Value, QueryError> {
    let (QValue::Term(text) | QValue::Phrase { text, .. }) = value else {
        return keyword(Field::Group("names"), value);
    };
    let mut options = vec![term("names", text.as_str())];
    let keys: Vec<Value> = analysis::name_keys(text)
        .into_iter()
        .map(Value::String)
        .collect();
    if !keys.is_empty() {
        options.push(terms("name_keys", keys));
    }
    if let Some(words) = analyzed(
        "name_text",
        &QValue::Phrase {
            text: text.clone(),
            slop: 0,
        },
    )? {
        options.push(words);
    }
    Ok(any_of(options))
}

/// A Lucene wildcard pattern (literals escaped).
fn lucene_wildcard(parts: &[WildcardPart], fold: bool) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            WildcardPart::Literal(t) => {
                let t = if fold { analysis::fold(t) } else { t.clone() };
                for c in t.chars() {
                    if matches!(c, '*' | '?' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            WildcardPart::AnyChars => out.push('*'),
            WildcardPart::AnyChar => out.push('?'),
        }
    }
    out
}

/// A value against an analyzed field; `None` when the value has no words.
fn analyzed(path: &str, value: &QValue) -> Result<Option<Value>, QueryError> {
    Ok(match value {
        QValue::Term(text) => {
            let words = query_terms(text);
            match words.as_slice() {
                [] => None,
                [(word, variant)] => {
                    let mut options = vec![term(path, word.as_str())];
                    if let Some(v) = variant {
                        options.push(term(path, v.as_str()));
                    }
                    Some(any_of(options))
                }
                many => {
                    let words: Vec<String> = many.iter().map(|(w, _)| w.clone()).collect();
                    Some(phrase(path, &words, 0))
                }
            }
        }
        QValue::Phrase { text, slop } => {
            let words = analysis::query_words(text);
            match words.as_slice() {
                [] => None,
                [word] => Some(term(path, word.as_str())),
                many => Some(phrase(path, many, *slop)),
            }
        }
        QValue::Fuzzy { text, fuzziness } => {
            let words = analysis::query_words(text);
            match words.as_slice() {
                [] => None,
                [word] => {
                    let edits = fuzziness.edits(word.chars().count());
                    Some(if edits == 0 {
                        term(path, word.as_str())
                    } else {
                        json!({"fuzzy": {path: {"value": word, "fuzziness": edits, "transpositions": true, "prefix_length": 0, "max_expansions": 1000}}})
                    })
                }
                many => Some(phrase(path, many, 0)),
            }
        }
        QValue::Wildcard(parts) => {
            if parts.iter().all(|p| *p == WildcardPart::AnyChars) {
                Some(match_all())
            } else {
                Some(json!({"wildcard": {path: {"value": lucene_wildcard(parts, true)}}}))
            }
        }
        QValue::Regex(pattern) => {
            compile_regex(pattern)?;
            Some(json!({"regexp": {path: {"value": pattern, "flags": "NONE"}}}))
        }
        QValue::Range { lower, upper } => {
            let fold = |b: &Bound<String>| b.as_ref().map(|v| analysis::fold(v));
            Some(range_json(
                path,
                fold(lower).map(Value::String),
                fold(upper).map(Value::String),
            ))
        }
        QValue::Exists => Some(match_all()),
    })
}

/// The exact value of a keyword field, lower-cased where the field is.
fn keyword_value(field: Field, value: &str) -> String {
    if field.lowercase_values() {
        value.to_lowercase()
    } else {
        value.to_string()
    }
}

fn keyword(field: Field, value: &QValue) -> Result<Value, QueryError> {
    let Location::Keyword(path) = locate(field) else {
        return Ok(nothing());
    };
    Ok(match value {
        QValue::Term(text) | QValue::Phrase { text, .. } => term(&path, keyword_value(field, text)),
        QValue::Fuzzy { text, fuzziness } => {
            let edits = fuzziness.edits(text.chars().count());
            if edits == 0 {
                term(&path, keyword_value(field, text))
            } else {
                json!({"fuzzy": {path: {"value": text, "fuzziness": edits, "transpositions": true, "prefix_length": 0, "max_expansions": 10000}}})
            }
        }
        QValue::Wildcard(parts) => {
            json!({"wildcard": {path: {"value": lucene_wildcard(parts, false)}}})
        }
        QValue::Regex(pattern) => {
            compile_regex(pattern)?;
            json!({"regexp": {path: {"value": pattern, "flags": "NONE"}}})
        }
        QValue::Exists => exists(field)?,
        QValue::Range { .. } => nothing(),
    })
}

/// Documents where `field` has a value.
fn exists(field: Field) -> Result<Value, QueryError> {
    Ok(match locate(field) {
        Location::Analyzed(_) => {
            let Field::Property(p) = field else {
                return Err(QueryError::InvalidParam {
                    param: field.to_string(),
                    message: "the full text cannot be tested for presence".to_string(),
                });
            };
            term("has_property", p)
        }
        Location::Nowhere => nothing(),
        _ if matches!(field, Field::Caption | Field::Schemata) => match_all(),
        _ if field == Field::NameKeys => return exists(Field::Group("names")),
        _ => match column(field) {
            Some(path) => json!({"exists": {"field": path}}),
            None => nothing(),
        },
    })
}

/// Documents with any of `values` in `field` (a filter; values already checked).
fn filter_values(field: Field, values: &[FilterValue]) -> Value {
    let mut exact: Vec<Value> = Vec::new();
    let mut key_terms: Vec<Value> = Vec::new();
    let mut others = Vec::new();
    for v in values {
        match (field, v) {
            (Field::Schemata, FilterValue::Keyword(name)) => {
                let schemata: Vec<&'static ftm::Schema> =
                    ftm::model().get(name).into_iter().collect();
                others.push(schemata_terms(&schemata));
            }
            (Field::Group("names"), FilterValue::Keyword(name)) => {
                key_terms.extend(analysis::name_keys(name).into_iter().map(Value::String));
            }
            (_, FilterValue::Keyword(k)) if matches!(locate(field), Location::Keyword(_)) => {
                exact.push(Value::String(keyword_value(field, k)));
            }
            _ => others.push(filter_value(field, v)),
        }
    }
    if !exact.is_empty()
        && let Location::Keyword(path) = locate(field)
    {
        others.push(terms(&path, exact));
    }
    if !key_terms.is_empty() {
        others.push(terms("name_keys", key_terms));
    }
    any_of(others)
}

fn filter_value(field: Field, value: &FilterValue) -> Value {
    match (locate(field), value) {
        (Location::Integer(p), FilterValue::Integer(n)) => term(p, *n),
        (Location::Bool(p), FilterValue::Bool(b)) => term(p, *b),
        (
            Location::Timestamp(_) | Location::Number(_) | Location::Date(_),
            FilterValue::Span(s),
        ) => range(
            field,
            &RangeBounds::Numeric {
                lower: Bound::Included(s.start as f64),
                upper: Bound::Excluded(s.end as f64),
            },
        ),
        (Location::Number(_), FilterValue::Number(n)) => range(
            field,
            &RangeBounds::Numeric {
                lower: Bound::Included(*n),
                upper: Bound::Included(*n),
            },
        ),
        (Location::Analyzed(p), FilterValue::Text(t) | FilterValue::Keyword(t)) => {
            let words = analysis::query_words(t);
            match words.as_slice() {
                [] => nothing(),
                [w] => term(p, w.as_str()),
                many => phrase(p, many, 0),
            }
        }
        (Location::Keyword(p), FilterValue::Keyword(k)) => term(&p, keyword_value(field, k)),
        _ => nothing(),
    }
}

/// A `range` query, or everything when both bounds are open.
fn range_json(path: &str, lower: Bound<Value>, upper: Bound<Value>) -> Value {
    let mut spec = serde_json::Map::new();
    match lower {
        Bound::Included(v) => {
            spec.insert("gte".into(), v);
        }
        Bound::Excluded(v) => {
            spec.insert("gt".into(), v);
        }
        Bound::Unbounded => {}
    }
    match upper {
        Bound::Included(v) => {
            spec.insert("lte".into(), v);
        }
        Bound::Excluded(v) => {
            spec.insert("lt".into(), v);
        }
        Bound::Unbounded => {}
    }
    if spec.is_empty() {
        return match_all();
    }
    json!({"range": {path: spec}})
}

fn date_value(seconds: f64) -> Value {
    // Out-of-range instants clamp to what a date field can hold.
    let s = seconds
        .clamp(-8_000_000_000_000.0, 8_000_000_000_000.0)
        .floor() as i64;
    iso(s).map_or_else(|| json!(s), Value::String)
}

/// Documents with a value of `field` within `bounds`.
pub fn range(field: Field, bounds: &RangeBounds) -> Value {
    match (locate(field), bounds) {
        (Location::Number(p), RangeBounds::Numeric { lower, upper }) => {
            range_json(&p, lower.map(|v| json!(v)), upper.map(|v| json!(v)))
        }
        (Location::Integer(p), RangeBounds::Numeric { lower, upper }) => {
            let lower = match lower {
                Bound::Included(v) => Bound::Included(v.ceil()),
                Bound::Excluded(v) => Bound::Included(v.floor() + 1.0),
                Bound::Unbounded => Bound::Unbounded,
            };
            let upper = match upper {
                Bound::Included(v) => Bound::Included(v.floor()),
                Bound::Excluded(v) => Bound::Included(v.ceil() - 1.0),
                Bound::Unbounded => Bound::Unbounded,
            };
            range_json(
                p,
                lower.map(|v| json!(v as i64)),
                upper.map(|v| json!(v as i64)),
            )
        }
        (Location::Timestamp(p), RangeBounds::Numeric { lower, upper }) => {
            range_json(p, lower.map(date_value), upper.map(date_value))
        }
        (Location::Date(p), RangeBounds::Numeric { lower, upper }) => {
            range_json(&p, lower.map(date_value), upper.map(date_value))
        }
        (Location::Keyword(p), RangeBounds::Keyword { lower, upper }) => {
            let v = |s: String| Value::String(keyword_value(field, &s));
            range_json(&p, lower.clone().map(v), upper.clone().map(v))
        }
        (Location::Analyzed(p), RangeBounds::Keyword { lower, upper }) => {
            let v = |s: String| Value::String(analysis::fold(&s));
            range_json(p, lower.clone().map(v), upper.clone().map(v))
        }
        _ => nothing(),
    }
}

/// `prefix=`: the words of names, the last one as a prefix.
fn prefix(prefix: &str) -> Option<Value> {
    let words = analysis::query_words(prefix);
    if words.is_empty() {
        return None;
    }
    Some(json!({"match_phrase_prefix": {"name_text": {
        "query": words.join(" "),
        "max_expansions": 1000,
        "analyzer": super::mapping::ANALYZER,
    }}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(pairs: &[(&str, &str)]) -> Compiled {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        compile(
            &ReadScope::collections([1, 2]),
            &SearchQuery::from_params(&pairs).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn wildcards_escape_literals() {
        let parts = [
            WildcardPart::Literal("a*b?".to_string()),
            WildcardPart::AnyChars,
            WildcardPart::AnyChar,
        ];
        assert_eq!(lucene_wildcard(&parts, false), r"a\*b\?*?");
        // Over analyzed text the literal is folded like the indexed words.
        let parts = [
            WildcardPart::Literal("Мü".to_string()),
            WildcardPart::AnyChars,
        ];
        assert_eq!(lucene_wildcard(&parts, true), "mu*");
    }

    #[test]
    fn the_scope_is_always_a_filter() {
        let c = compiled(&[("q", "putin")]);
        let hits = c.hits();
        assert_eq!(
            hits["bool"]["filter"][0],
            json!({"terms": {"collection_id": [1, 2]}})
        );
    }

    #[test]
    fn faceted_filters_become_post_filters() {
        let c = compiled(&[
            ("filter:countries", "RU"),
            ("filter:schema", "Person"),
            ("facet", "countries"),
        ]);
        let base = c.base().to_string();
        assert!(!base.contains("countries"), "{base}");
        assert!(c.post_filter(None).unwrap().to_string().contains("\"ru\""));
        // The facet on countries does not see its own filter.
        assert!(c.post_filter(Some(Field::Group("countries"))).is_none());
    }

    #[test]
    fn date_ranges_are_iso_instants() {
        let c = compiled(&[("filter:gte:dates", "2010"), ("filter:lt:dates", "2011")]);
        let text = c.base().to_string();
        assert!(text.contains("\"gte\":\"2010-01-01T00:00:00Z\""), "{text}");
        assert!(text.contains("\"lt\":\"2011-01-01T00:00:00Z\""), "{text}");
    }
}
