//! Turning a [`SearchQuery`] and a [`ReadScope`] into Tantivy queries.
//!
//! The result is split the way Aleph splits its Elasticsearch body: a *base* query (the text,
//! the permission scope, ranges, exclusions, ids, schema selection and the filters on fields
//! that are not faceted) and *post filters* (exact filters on faceted fields). Hits use base
//! and every post filter; the counts of facet `f` use base and every post filter except the
//! one on `f`, so that choosing a value does not hide the others (drill-down).
//!
//! Values in `q` that a field cannot hold (`collection_id:abc`) match nothing instead of
//! failing, as with Elasticsearch's `lenient: true`.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use tantivy::DateTime;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery,
    ExistsQuery, FuzzyTermQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery,
    RegexQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field as TField, IndexRecordOption, Term};

use super::column_match::{ColumnMatchQuery, ValueTest};
use super::keyword_match::{KeywordMatchQuery, Matcher};
use super::plain_seek::PlainSeekQuery;
use super::schema::{Fields, Location};
use crate::analysis;
use crate::highlight::wildcard_regex;
use crate::query::parser::{Leaf, Node, Value, WildcardPart};
use crate::query::request::{FilterValue, QueryError, RangeBounds, filter_value, range_bounds};
use crate::query::{Field, SearchQuery};
use crate::scope::ReadScope;

/// How much more a match in a name counts than a match elsewhere (Aleph boosts its name
/// field 3 times).
const NAME_BOOST: f32 = 3.0;

type Q = Box<dyn Query>;

/// The compiled parts of a search.
pub struct Compiled {
    base: Vec<(Occur, Q)>,
    post: BTreeMap<Field, Q>,
}

impl Compiled {
    /// The query for hits and totals: base and every post filter.
    pub fn hits(&self) -> Q {
        self.assemble(None)
    }

    /// The query for the counts of a facet on `field`: base and the other post filters.
    pub fn facet(&self, field: Field) -> Q {
        self.assemble(Some(field))
    }

    /// Whether a facet on `field` needs its own query (its field is post-filtered).
    pub fn has_post_filter(&self, field: Field) -> bool {
        self.post.contains_key(&field)
    }

    fn assemble(&self, except: Option<Field>) -> Q {
        let mut clauses: Vec<(Occur, Q)> =
            self.base.iter().map(|(o, q)| (*o, q.box_clone())).collect();
        for (field, q) in &self.post {
            if Some(*field) != except {
                clauses.push((Occur::Must, filter(q.box_clone())));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// A clause that restricts without scoring.
fn filter(q: Q) -> Q {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn boolean(clauses: Vec<(Occur, Q)>) -> Q {
    Box::new(BooleanQuery::new(clauses))
}

fn any_of(mut queries: Vec<Q>) -> Q {
    match queries.len() {
        0 => Box::new(EmptyQuery),
        1 => queries.remove(0),
        _ => boolean(queries.into_iter().map(|q| (Occur::Should, q)).collect()),
    }
}

fn nothing() -> Q {
    Box::new(EmptyQuery)
}

/// Compiles a request. `scope` must not be empty (an empty scope is answered without
/// searching).
pub fn compile(
    fields: &Fields,
    scope: &ReadScope,
    query: &SearchQuery,
) -> Result<Compiled, QueryError> {
    let c = Compiler { fields };
    let mut base: Vec<(Occur, Q)> = Vec::new();

    let text = match &query.query {
        Node::All => None,
        node => Some(c.node(node)?.unwrap_or_else(nothing)),
    };
    let prefix = query.prefix.as_deref().and_then(|p| c.prefix(p));
    match (text, prefix) {
        (None, None) => base.push((Occur::Must, Box::new(AllQuery))),
        (t, p) => {
            base.extend(t.map(|q| (Occur::Must, q)));
            base.extend(p.map(|q| (Occur::Must, q)));
        }
    }

    if let ReadScope::Collections(ids) = scope {
        let terms = ids
            .iter()
            .map(|id| Term::from_field_i64(fields.collection_id, *id));
        base.push((Occur::Must, filter(Box::new(TermSetQuery::new(terms)))));
    }
    if !query.schema.is_empty() {
        let terms = query
            .schema
            .iter()
            .map(|s| Term::from_field_text(fields.schema_name, s.name()));
        base.push((Occur::Must, filter(Box::new(TermSetQuery::new(terms)))));
    } else if !query.schemata.is_empty() {
        base.push((Occur::Must, filter(c.schemata_terms(&query.schemata))));
    }
    if !query.ids.is_empty() {
        let terms = query
            .ids
            .iter()
            .map(|id| Term::from_field_text(fields.id, id));
        base.push((Occur::Must, filter(Box::new(TermSetQuery::new(terms)))));
    }
    for (field, bounds) in &query.ranges {
        base.push((Occur::Must, filter(c.range(*field, bounds))));
    }
    for (field, values) in &query.excludes {
        base.push((Occur::MustNot, c.filter_values(*field, values)));
    }
    for field in &query.empties {
        base.push((Occur::MustNot, c.exists(*field)?));
    }

    let faceted: Vec<Field> = query.facets.iter().map(|f| f.field).collect();
    let mut post = BTreeMap::new();
    for (field, values) in &query.filters {
        let q = c.filter_values(*field, values);
        if faceted.contains(field) {
            post.insert(*field, q);
        } else {
            base.push((Occur::Must, filter(q)));
        }
    }
    Ok(Compiled { base, post })
}

struct Compiler<'a> {
    fields: &'a Fields,
}

impl Compiler<'_> {
    /// A query node; `None` when nothing searchable is left (only punctuation).
    fn node(&self, node: &Node) -> Result<Option<Q>, QueryError> {
        Ok(match node {
            Node::All => Some(Box::new(AllQuery)),
            Node::Leaf(leaf) => self.leaf(leaf)?,
            Node::Boost(inner, b) => self
                .node(inner)?
                .map(|q| Box::new(BoostQuery::new(q, *b)) as Q),
            Node::Not(inner) => self
                .node(inner)?
                .map(|q| boolean(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, q)])),
            Node::And(items) => {
                let mut clauses = Vec::new();
                let mut positive = false;
                for item in items {
                    let (occur, inner) = match item {
                        Node::Not(inner) => (Occur::MustNot, inner.as_ref()),
                        other => (Occur::Must, other),
                    };
                    if let Some(q) = self.node(inner)? {
                        positive |= occur == Occur::Must;
                        clauses.push((occur, q));
                    }
                }
                if clauses.is_empty() {
                    return Ok(None);
                }
                if !positive {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Some(boolean(clauses))
            }
            Node::Or(items) => {
                let mut clauses = Vec::new();
                for item in items {
                    if let Some(q) = self.node(item)? {
                        clauses.push((Occur::Should, q));
                    }
                }
                if clauses.is_empty() {
                    return Ok(None);
                }
                Some(boolean(clauses))
            }
        })
    }

    fn leaf(&self, leaf: &Leaf) -> Result<Option<Q>, QueryError> {
        // `text:` is the catch-all; names live beside it in `name_text`.
        let Some(field) = leaf.field.filter(|f| *f != Field::Text) else {
            // The default fields: names (boosted) and the full text.
            let name = self.analyzed(self.fields.name_text, &leaf.value)?;
            let text = self.analyzed(self.fields.text, &leaf.value)?;
            return Ok(match (name, text) {
                (Some(n), Some(t)) => Some(Box::new(DisjunctionMaxQuery::new(vec![
                    Box::new(BoostQuery::new(n, NAME_BOOST)),
                    t,
                ]))),
                (n, t) => n.or(t),
            });
        };
        if field == Field::Group("names") {
            return self.names_leaf(&leaf.value);
        }
        if field == Field::Schemata && !matches!(leaf.value, Value::Exists | Value::Range { .. }) {
            return Ok(Some(self.schemata(&leaf.value)?));
        }
        let location = self.fields.locate(field);
        let value = &leaf.value;
        if let Value::Exists = value {
            return self.exists(field).map(Some);
        }
        if let Value::Range { lower, upper } = value {
            let target = field.range_field();
            return Ok(Some(
                match range_bounds(target, as_str(lower), as_str(upper)) {
                    Ok(bounds) => self.range(target, &bounds),
                    Err(_) => nothing(),
                },
            ));
        }
        Ok(match location {
            Location::Analyzed(f) => self.analyzed(f, value)?,
            Location::Keyword(_) | Location::Property(..) | Location::GroupedProperty { .. } => {
                Some(self.keyword(field, value)?)
            }
            Location::Nowhere => Some(nothing()),
            Location::Integer(_)
            | Location::Bool(_)
            | Location::Timestamp(_)
            | Location::Number(_) => Some(match value {
                Value::Term(t) | Value::Phrase { text: t, .. } | Value::Fuzzy { text: t, .. } => {
                    match filter_value("q", field, t) {
                        Ok(v) => self.filter_value(field, &v),
                        Err(_) => nothing(),
                    }
                }
                // Patterns cannot match numbers or dates.
                _ => nothing(),
            }),
        })
    }

    /// `schemata:` matches entities whose schema is a matching schema or descends from one
    /// (the model decides; the index only keeps each entity's own schema for searching).
    fn schemata(&self, value: &Value) -> Result<Q, QueryError> {
        let matcher: Box<dyn Fn(&str) -> bool> = match value {
            Value::Term(t) | Value::Phrase { text: t, .. } => {
                let t = t.clone();
                Box::new(move |name| name == t)
            }
            Value::Fuzzy { text, fuzziness } => {
                let edits = usize::from(fuzziness.edits(text.chars().count()));
                let text = text.clone();
                Box::new(move |name| crate::highlight::within_edits(&text, name, edits))
            }
            Value::Wildcard(parts) => {
                let re = compile_regex(&wildcard_pattern(parts))?;
                Box::new(move |name| re.is_match(name))
            }
            Value::Regex(pattern) => {
                let re = compile_regex(&format!("^(?:{pattern})$"))?;
                Box::new(move |name| re.is_match(name))
            }
            Value::Range { .. } | Value::Exists => return Ok(Box::new(AllQuery)),
        };
        let schemata: Vec<&'static ftm::Schema> = ftm::model()
            .schemata()
            .filter(|s| matcher(s.name()))
            .collect();
        Ok(self.schemata_terms(&schemata))
    }

    /// Entities of the given schemata or their descendants.
    fn schemata_terms(&self, schemata: &[&'static ftm::Schema]) -> Q {
        let terms: Vec<Term> = schemata
            .iter()
            .flat_map(|s| std::iter::once(*s).chain(s.descendants()))
            .map(|s| Term::from_field_text(self.fields.schema_name, s.name()))
            .collect();
        if terms.is_empty() {
            nothing()
        } else {
            Box::new(TermSetQuery::new(terms))
        }
    }

    /// `names:` searches the raw names, their normalised keys and the words of names.
    fn names_leaf(&self, value: &Value) -> Result<Option<Q>, QueryError> {
        let (Value::Term(text) | Value::Phrase { text, .. }) = value else {
            return Ok(Some(self.keyword(Field::Group("names"), value)?));
        };
        let mut options: Vec<Q> = vec![Box::new(TermQuery::new(
            Term::from_field_text(self.fields.groups["names"], text),
            IndexRecordOption::Basic,
        ))];
        let keys: Vec<Term> = analysis::name_keys(text)
            .iter()
            .map(|k| Term::from_field_text(self.fields.name_keys, k))
            .collect();
        if !keys.is_empty() {
            options.push(Box::new(TermSetQuery::new(keys)));
        }
        if let Some(words) = self.analyzed(
            self.fields.name_text,
            &Value::Phrase {
                text: text.clone(),
                slop: 0,
            },
        )? {
            options.push(words);
        }
        Ok(Some(any_of(options)))
    }

    /// A value against an analyzed field; `None` when the value has no words.
    fn analyzed(&self, field: TField, value: &Value) -> Result<Option<Q>, QueryError> {
        let term = |w: &str| Term::from_field_text(field, w);
        Ok(match value {
            Value::Term(text) => {
                let words = query_terms(text);
                match words.as_slice() {
                    [] => None,
                    [(word, variant)] => {
                        let mut options: Vec<Q> = vec![Box::new(TermQuery::new(
                            term(word),
                            IndexRecordOption::WithFreqs,
                        ))];
                        if let Some(v) = variant {
                            options.push(Box::new(TermQuery::new(
                                term(v),
                                IndexRecordOption::WithFreqs,
                            )));
                        }
                        Some(any_of(options))
                    }
                    many => Some(phrase(field, many.iter().map(|(w, _)| w.as_str()), 0)),
                }
            }
            Value::Phrase { text, slop } => {
                let words = analysis::query_words(text);
                match words.as_slice() {
                    [] => None,
                    [word] => Some(Box::new(TermQuery::new(
                        term(word),
                        IndexRecordOption::WithFreqs,
                    ))),
                    many => Some(phrase(field, many.iter().map(String::as_str), *slop)),
                }
            }
            Value::Fuzzy { text, fuzziness } => {
                let words = analysis::query_words(text);
                match words.as_slice() {
                    [] => None,
                    [word] => {
                        let edits = fuzziness.edits(word.chars().count());
                        Some(if edits == 0 {
                            Box::new(TermQuery::new(term(word), IndexRecordOption::WithFreqs))
                        } else {
                            Box::new(FuzzyTermQuery::new(term(word), edits, true))
                        })
                    }
                    many => Some(phrase(field, many.iter().map(String::as_str), 0)),
                }
            }
            Value::Wildcard(parts) => {
                if parts.iter().all(|p| *p == WildcardPart::AnyChars) {
                    // `text:*`: the analyzed fields keep no record of presence; nearly every
                    // entity has text, so this matches everything.
                    Some(Box::new(AllQuery))
                } else {
                    Some(regex_query(&wildcard_regex(parts), field)?)
                }
            }
            Value::Regex(pattern) => Some(regex_query(pattern, field)?),
            Value::Range { lower, upper } => {
                let fold = |b: &Bound<String>| match b {
                    Bound::Included(v) => Bound::Included(term(&analysis::fold(v))),
                    Bound::Excluded(v) => Bound::Excluded(term(&analysis::fold(v))),
                    Bound::Unbounded => Bound::Unbounded,
                };
                Some(range_or_all(fold(lower), fold(upper)))
            }
            Value::Exists => Some(Box::new(AllQuery)),
        })
    }

    /// The term for an exact value of a keyword field or property.
    fn keyword_term(&self, field: Field, value: &str) -> Option<Term> {
        let value = Self::keyword_value(field, value);
        match self.fields.locate(field) {
            Location::Keyword(f) => Some(Term::from_field_text(f, &value)),
            Location::Property(f, path) => {
                let mut t = Term::from_field_json_path(f, path, false);
                t.append_type_and_str(&value);
                Some(t)
            }
            _ => None,
        }
    }

    /// The value as a filter value of `field` (lower-cased where the field folds case).
    fn keyword_value(field: Field, value: &str) -> String {
        if field.lowercase_values() {
            value.to_lowercase()
        } else {
            value.to_string()
        }
    }

    /// Documents with any of `values` exactly in `field`: a term lookup, or for a grouped
    /// property the group's postings checked against the property's column.
    fn exact_values(&self, field: Field, values: &[&str]) -> Q {
        if let Location::GroupedProperty { group, .. } = self.fields.locate(field) {
            let values: Vec<String> = values
                .iter()
                .map(|v| Self::keyword_value(field, v))
                .collect();
            let Some(column) = self.fields.column_name(field) else {
                return nothing();
            };
            // Scored like a term of the property's own field used to be (one term: BM25
            // with the group's document frequency; several: constant).
            let mut terms: Vec<Term> = values
                .iter()
                .map(|v| Term::from_field_text(group, v))
                .collect();
            let postings: Q = if terms.len() == 1 {
                Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::Basic))
            } else {
                Box::new(TermSetQuery::new(terms))
            };
            return boolean(vec![
                (Occur::Must, postings),
                (
                    Occur::Must,
                    filter(Box::new(ColumnMatchQuery::new(
                        column,
                        ValueTest::OneOf(values),
                    ))),
                ),
            ]);
        }
        let mut terms: Vec<Term> = values
            .iter()
            .filter_map(|v| self.keyword_term(field, v))
            .collect();
        match terms.len() {
            0 => nothing(),
            1 => Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::Basic)),
            _ => Box::new(TermSetQuery::new(terms)),
        }
    }

    /// The byte prefix of the terms of a keyword field (empty) or of one property path.
    fn keyword_prefix(&self, field: Field) -> Option<(TField, Vec<u8>)> {
        match self.fields.locate(field) {
            Location::Keyword(f) => Some((f, Vec::new())),
            Location::Property(f, path) => {
                let mut t = Term::from_field_json_path(f, path, false);
                t.append_type_and_str("");
                Some((f, t.serialized_value_bytes().to_vec()))
            }
            _ => None,
        }
    }

    fn keyword(&self, field: Field, value: &Value) -> Result<Q, QueryError> {
        let exact = |text: &str| -> Q { self.exact_values(field, &[text]) };
        let matching = |matcher: Matcher| -> Q {
            let matcher = Arc::new(matcher);
            if let Location::GroupedProperty { group, .. } = self.fields.locate(field) {
                let Some(column) = self.fields.column_name(field) else {
                    return nothing();
                };
                return boolean(vec![
                    (
                        Occur::Must,
                        Box::new(KeywordMatchQuery::new(group, Vec::new(), matcher.clone())),
                    ),
                    (
                        Occur::Must,
                        filter(Box::new(ColumnMatchQuery::new(
                            column,
                            ValueTest::Match(matcher),
                        ))),
                    ),
                ]);
            }
            match self.keyword_prefix(field) {
                Some((f, prefix)) => Box::new(KeywordMatchQuery::new(f, prefix, matcher)),
                None => nothing(),
            }
        };
        Ok(match value {
            Value::Term(text) | Value::Phrase { text, .. } => exact(text),
            Value::Fuzzy { text, fuzziness } => {
                let edits = fuzziness.edits(text.chars().count());
                if edits == 0 {
                    exact(text)
                } else {
                    matching(Matcher::Fuzzy {
                        word: text.clone(),
                        edits: usize::from(edits),
                    })
                }
            }
            Value::Wildcard(parts) => {
                matching(Matcher::Regex(compile_regex(&wildcard_pattern(parts))?))
            }
            Value::Regex(pattern) => {
                matching(Matcher::Regex(compile_regex(&format!("^(?:{pattern})$"))?))
            }
            Value::Exists => self.exists(field)?,
            Value::Range { .. } => nothing(),
        })
    }

    /// Documents where `field` has a value.
    fn exists(&self, field: Field) -> Result<Q, QueryError> {
        let location = self.fields.locate(field);
        Ok(match location {
            // Text properties are only in the full text; their presence is recorded apart.
            Location::Analyzed(_) if matches!(field, Field::Property(_)) => {
                let Field::Property(p) = field else {
                    return Ok(nothing());
                };
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.has_property, p),
                    IndexRecordOption::Basic,
                ))
            }
            Location::Analyzed(_) => {
                return Err(QueryError::InvalidParam {
                    param: field.to_string(),
                    message: "the full text cannot be tested for presence".to_string(),
                });
            }
            Location::Nowhere => nothing(),
            // Every entity has a caption; names have keys exactly when they have names.
            _ if matches!(field, Field::Caption | Field::Schemata) => Box::new(AllQuery),
            _ if field == Field::NameKeys => return self.exists(Field::Group("names")),
            _ => match self.fields.column_name(field) {
                Some(name) => Box::new(ExistsQuery::new(name, false)),
                None => nothing(),
            },
        })
    }

    /// Documents with any of `values` in `field` (a filter; values already checked).
    fn filter_values(&self, field: Field, values: &[FilterValue]) -> Q {
        let mut terms = Vec::new();
        let mut others = Vec::new();
        let mut grouped: Vec<&str> = Vec::new();
        let is_grouped = matches!(self.fields.locate(field), Location::GroupedProperty { .. });
        for v in values {
            match (field, v) {
                (Field::Schemata, FilterValue::Keyword(name)) => {
                    let schemata: Vec<&'static ftm::Schema> =
                        ftm::model().get(name).into_iter().collect();
                    others.push(self.schemata_terms(&schemata));
                }
                (Field::Group("names"), FilterValue::Keyword(name)) => {
                    terms.extend(
                        analysis::name_keys(name)
                            .iter()
                            .map(|k| Term::from_field_text(self.fields.name_keys, k)),
                    );
                }
                (_, FilterValue::Keyword(k)) if is_grouped => grouped.push(k),
                (_, FilterValue::Keyword(k)) => match self.keyword_term(field, k) {
                    Some(t) => terms.push(t),
                    None => others.push(nothing()),
                },
                _ => others.push(self.filter_value(field, v)),
            }
        }
        if !grouped.is_empty() {
            others.push(self.exact_values(field, &grouped));
        }
        if !terms.is_empty() {
            others.push(Box::new(TermSetQuery::new(terms)));
        }
        any_of(others)
    }

    fn filter_value(&self, field: Field, value: &FilterValue) -> Q {
        let location = self.fields.locate(field);
        match (location, value) {
            (Location::Integer(f), FilterValue::Integer(n)) => Box::new(TermQuery::new(
                Term::from_field_i64(f, *n),
                IndexRecordOption::Basic,
            )),
            (Location::Bool(f), FilterValue::Bool(b)) => Box::new(TermQuery::new(
                Term::from_field_bool(f, *b),
                IndexRecordOption::Basic,
            )),
            (Location::Timestamp(_) | Location::Number(_), FilterValue::Span(span)) => self.range(
                field,
                &RangeBounds::Numeric {
                    lower: Bound::Included(span.start as f64),
                    upper: Bound::Excluded(span.end as f64),
                },
            ),
            (Location::Number(_), FilterValue::Number(n)) => self.range(
                field,
                &RangeBounds::Numeric {
                    lower: Bound::Included(*n),
                    upper: Bound::Included(*n),
                },
            ),
            (Location::Analyzed(f), FilterValue::Text(t) | FilterValue::Keyword(t)) => {
                let words = analysis::query_words(t);
                match words.as_slice() {
                    [] => nothing(),
                    [w] => Box::new(TermQuery::new(
                        Term::from_field_text(f, w),
                        IndexRecordOption::Basic,
                    )),
                    many => phrase(f, many.iter().map(String::as_str), 0),
                }
            }
            (_, FilterValue::Keyword(k)) => self.exact_values(field, &[k.as_str()]),
            _ => nothing(),
        }
    }

    /// Documents with a value of `field` within `bounds`.
    fn range(&self, field: Field, bounds: &RangeBounds) -> Q {
        let location = self.fields.locate(field);
        match (location, bounds) {
            (Location::Number(f), RangeBounds::Numeric { lower, upper }) => range_or_all(
                lower.map(|v| Term::from_field_f64(f, v)),
                upper.map(|v| Term::from_field_f64(f, v)),
            ),
            (Location::Integer(f), RangeBounds::Numeric { lower, upper }) => {
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
                range_or_all(
                    lower.map(|v| Term::from_field_i64(f, v as i64)),
                    upper.map(|v| Term::from_field_i64(f, v as i64)),
                )
            }
            (Location::Timestamp(f), RangeBounds::Numeric { lower, upper }) => {
                let date =
                    |v: f64| Term::from_field_date(f, DateTime::from_timestamp_secs(v as i64));
                range_or_all(lower.map(date), upper.map(date))
            }
            (Location::GroupedProperty { .. }, RangeBounds::Keyword { lower, upper }) => {
                let Some(column) = self.fields.column_name(field) else {
                    return nothing();
                };
                let value = |b: &Bound<String>| match b {
                    Bound::Included(v) => Bound::Included(Self::keyword_value(field, v)),
                    Bound::Excluded(v) => Bound::Excluded(Self::keyword_value(field, v)),
                    Bound::Unbounded => Bound::Unbounded,
                };
                match (lower, upper) {
                    (Bound::Unbounded, Bound::Unbounded) => Box::new(AllQuery),
                    _ => Box::new(ColumnMatchQuery::new(
                        column,
                        ValueTest::Range(value(lower), value(upper)),
                    )),
                }
            }
            (
                Location::Keyword(_) | Location::Property(..),
                RangeBounds::Keyword { lower, upper },
            ) => {
                let t = |v: &String| self.keyword_term(field, v);
                match (map_opt(lower, t), map_opt(upper, t)) {
                    (Some(l), Some(u)) => range_or_all(l, u),
                    _ => nothing(),
                }
            }
            (Location::Analyzed(f), RangeBounds::Keyword { lower, upper }) => {
                let t = |v: &String| Term::from_field_text(f, &analysis::fold(v));
                range_or_all(lower.as_ref().map(t), upper.as_ref().map(t))
            }
            _ => nothing(),
        }
    }

    /// `prefix=`: the words of names, the last one as a prefix.
    fn prefix(&self, prefix: &str) -> Option<Q> {
        let words = analysis::query_words(prefix);
        if words.is_empty() {
            return None;
        }
        let terms = words
            .iter()
            .map(|w| Term::from_field_text(self.fields.name_text, w))
            .collect();
        Some(Box::new(PlainSeekQuery::new(PhrasePrefixQuery::new(terms))))
    }
}

fn map_opt<T>(bound: &Bound<String>, f: impl Fn(&String) -> Option<T>) -> Option<Bound<T>> {
    Some(match bound {
        Bound::Included(v) => Bound::Included(f(v)?),
        Bound::Excluded(v) => Bound::Excluded(f(v)?),
        Bound::Unbounded => Bound::Unbounded,
    })
}

fn as_str(bound: &Bound<String>) -> Bound<&str> {
    match bound {
        Bound::Included(v) => Bound::Included(v.as_str()),
        Bound::Excluded(v) => Bound::Excluded(v.as_str()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// A range query, or everything when both bounds are open (Tantivy needs one bound).
fn range_or_all(lower: Bound<Term>, upper: Bound<Term>) -> Q {
    match (&lower, &upper) {
        (Bound::Unbounded, Bound::Unbounded) => Box::new(AllQuery),
        _ => Box::new(RangeQuery::new(lower, upper)),
    }
}

fn phrase<'a>(field: TField, words: impl Iterator<Item = &'a str>, slop: u32) -> Q {
    let terms = words
        .enumerate()
        .map(|(i, w)| (i, Term::from_field_text(field, w)))
        .collect();
    Box::new(PlainSeekQuery::new(PhraseQuery::new_with_offset_and_slop(
        terms, slop,
    )))
}

/// The folded words of a term, each with its umlaut spelling when it has one.
pub(crate) fn query_terms(text: &str) -> Vec<(String, Option<String>)> {
    analysis::words(text)
        .filter_map(|(from, to)| {
            let word = &text[from..to];
            let folded = analysis::fold(word);
            if folded.is_empty() || folded.len() > analysis::MAX_TOKEN_BYTES {
                return None;
            }
            let variant = analysis::umlaut_variant(word).filter(|v| *v != folded);
            Some((folded, variant))
        })
        .collect()
}

/// An anchored regular expression for a wildcard pattern over exact values.
pub(crate) fn wildcard_pattern(parts: &[WildcardPart]) -> String {
    let mut re = String::from("^(?:");
    for part in parts {
        match part {
            WildcardPart::Literal(t) => re.push_str(&regex::escape(t)),
            WildcardPart::AnyChars => re.push_str(".*"),
            WildcardPart::AnyChar => re.push('.'),
        }
    }
    re.push_str(")$");
    re
}

pub(crate) fn compile_regex(pattern: &str) -> Result<regex::Regex, QueryError> {
    regex::Regex::new(pattern).map_err(|e| QueryError::InvalidParam {
        param: "q".to_string(),
        message: format!("invalid pattern: {e}"),
    })
}

fn regex_query(pattern: &str, field: TField) -> Result<Q, QueryError> {
    RegexQuery::from_pattern(pattern, field)
        .map(|q| Box::new(q) as Q)
        .map_err(|e| QueryError::InvalidParam {
            param: "q".to_string(),
            message: format!("unsupported pattern: {e}"),
        })
}
