//! Running a search on a Tantivy searcher (blocking; called on the blocking pool).

use std::collections::BTreeMap;
use std::ops::Bound;

use tantivy::collector::Count;
use tantivy::query::{EnableScoring, Query};
use tantivy::schema::Value as _;
use tantivy::{Searcher, TantivyDocument};
use tokio::sync::mpsc;

use super::collect::{FacetCounts, FacetSpec, KeyPlan, KeySource, PassCollector, TopSpec};
use super::compile::{Compiled, compile};
use super::schema::Fields;
use crate::error::IndexError;
use crate::highlight::Highlighter;
use crate::query::field::Field;
use crate::query::request::{FacetRequest, Order, RangeBounds, SortKey};
use crate::query::values::format_timestamp;
use crate::query::{Node, SearchQuery};
use crate::result::{FacetResult, FacetValue, Hit, SearchResult};
use crate::scope::ReadScope;

/// How much of a search to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    FacetsOnly,
}

/// Runs a search: hits, total and facets.
pub fn search(
    searcher: &Searcher,
    fields: &Fields,
    scope: &ReadScope,
    query: &SearchQuery,
    mode: Mode,
) -> Result<SearchResult, IndexError> {
    let page = query.page;
    if scope.is_empty() {
        return Ok(SearchResult {
            total: 0,
            hits: Vec::new(),
            facets: query
                .facets
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        facet_result(query, f, &FacetCounts::default()),
                    )
                })
                .collect(),
            page,
        });
    }
    let compiled = compile(fields, scope, query)?;
    let hits_query = compiled.hits();

    // Facets on post-filtered fields need a pass of their own; the rest ride along.
    let mut main_specs = Vec::new();
    let mut main_slots = Vec::new();
    let mut own_passes = Vec::new();
    for (i, request) in query.facets.iter().enumerate() {
        let specs = facet_specs(fields, query, request);
        if compiled.has_post_filter(request.field) {
            own_passes.push((i, specs));
        } else {
            main_slots.push((i, specs.len()));
            main_specs.extend(specs);
        }
    }

    let want_hits = mode == Mode::Full && page.limit > 0;
    let collector = PassCollector {
        top: want_hits.then(|| TopSpec {
            keys: sort_plan(fields, query),
            k: page.offset + page.limit,
        }),
        facets: main_specs,
        id_column: "id".to_string(),
    };
    let fruit = searcher.search(hits_query.as_ref(), &collector)?;

    let mut counts: Vec<Vec<FacetCounts>> = vec![Vec::new(); query.facets.len()];
    let mut produced = fruit.facets.into_iter();
    for (i, n) in main_slots {
        counts[i] = produced.by_ref().take(n).collect();
    }
    for (i, specs) in own_passes {
        counts[i] = facet_pass(searcher, &compiled, query.facets[i].field, specs)?;
    }
    let facets = query
        .facets
        .iter()
        .zip(counts)
        .map(|(request, counts)| {
            let merged = merge_counts(counts);
            (request.name.clone(), facet_result(query, request, &merged))
        })
        .collect();

    let mut hits = Vec::new();
    if want_hits {
        let highlighter = query.highlight.as_ref().map(|h| match &h.text {
            Some(text) => Highlighter::for_text(text),
            None => Highlighter::new(&query.query, query.prefix.as_deref()),
        });
        for ranked in fruit.top.iter().skip(page.offset).take(page.limit) {
            let doc: TantivyDocument = searcher.doc(ranked.address)?;
            let mut hit = load_hit(fields, &doc, ranked.id.clone(), ranked.score)?;
            if let (Some(h), Some(opts)) = (&highlighter, &query.highlight)
                && !h.is_empty()
            {
                hit.highlight = h.fragments(
                    highlight_sources(fields, &doc, &hit.entity)
                        .iter()
                        .map(String::as_str),
                    opts.length,
                    opts.count,
                );
            }
            hits.push(hit);
        }
    }
    Ok(SearchResult {
        total: fruit.total,
        hits,
        facets,
        page,
    })
}

/// The exact number of matches.
pub fn count(
    searcher: &Searcher,
    fields: &Fields,
    scope: &ReadScope,
    query: &SearchQuery,
) -> Result<u64, IndexError> {
    if scope.is_empty() {
        return Ok(0);
    }
    let compiled = compile(fields, scope, query)?;
    Ok(searcher.search(compiled.hits().as_ref(), &Count)? as u64)
}

fn facet_pass(
    searcher: &Searcher,
    compiled: &Compiled,
    field: Field,
    specs: Vec<FacetSpec>,
) -> Result<Vec<FacetCounts>, IndexError> {
    let collector = PassCollector {
        top: None,
        facets: specs,
        id_column: "id".to_string(),
    };
    Ok(searcher
        .search(compiled.facet(field).as_ref(), &collector)?
        .facets)
}

/// The columns to count for a facet request: its values and/or its date histogram.
fn facet_specs(fields: &Fields, query: &SearchQuery, request: &FacetRequest) -> Vec<FacetSpec> {
    let mut specs = Vec::new();
    if (request.values || request.total)
        && let Some(column) = fields.column_name(request.field)
    {
        specs.push(FacetSpec::Values {
            column,
            size: request.size,
            include: query.filter_text(request.field).to_vec(),
        });
    }
    if let Some(unit) = request.interval {
        let target = request.field.range_field();
        if let Some(column) = fields.column_name(target) {
            let (lower, upper) = numeric_bounds(query, target);
            specs.push(FacetSpec::Intervals {
                column,
                unit,
                lower,
                upper,
            });
        }
    }
    specs
}

/// The tightest numeric bounds the request's ranges put on `field`, for histogram edges.
pub(crate) fn numeric_bounds(query: &SearchQuery, field: Field) -> (Option<f64>, Option<f64>) {
    let mut lower: Option<f64> = None;
    let mut upper: Option<f64> = None;
    for (f, bounds) in &query.ranges {
        if *f != field {
            continue;
        }
        if let RangeBounds::Numeric { lower: l, upper: u } = bounds {
            if let Bound::Included(v) | Bound::Excluded(v) = l {
                lower = Some(lower.map_or(*v, |x| x.max(*v)));
            }
            match u {
                Bound::Excluded(v) => upper = Some(upper.map_or(*v, |x| x.min(*v))),
                Bound::Included(v) => {
                    let v = v + 1.0;
                    upper = Some(upper.map_or(v, |x| x.min(v)));
                }
                Bound::Unbounded => {}
            }
        }
    }
    (lower, upper)
}

/// Merges the value counts and the buckets of one facet's specs into one record.
fn merge_counts(counts: Vec<FacetCounts>) -> FacetCounts {
    let mut merged = FacetCounts {
        exact: true,
        ..FacetCounts::default()
    };
    for c in counts {
        if !c.buckets.is_empty() {
            merged.buckets = c.buckets;
        } else {
            merged.values = c.values;
            merged.distinct = c.distinct;
            merged.exact = c.exact;
        }
    }
    merged
}

pub(crate) fn facet_result(
    query: &SearchQuery,
    request: &FacetRequest,
    counts: &FacetCounts,
) -> FacetResult {
    let active = query.filter_text(request.field);
    let values = request.values.then(|| {
        let mut values: Vec<FacetValue> = Vec::new();
        // Active values first, with their count (0 when nothing matches them).
        for a in active {
            if values.iter().any(|v| &v.id == a) {
                continue;
            }
            let count = counts
                .values
                .iter()
                .find(|(v, _)| v == a)
                .map_or(0, |(_, n)| *n);
            if !counts.values.iter().take(request.size).any(|(v, _)| v == a) {
                values.push(FacetValue {
                    id: a.clone(),
                    count,
                    active: true,
                });
            }
        }
        for (value, count) in counts.values.iter().take(request.size) {
            values.push(FacetValue {
                id: value.clone(),
                count: *count,
                active: active.contains(value),
            });
        }
        values
    });
    let intervals = request.interval.map(|unit| {
        let (lower, upper) = numeric_bounds(query, request.field.range_field());
        counts
            .buckets
            .iter()
            .map(|(start, count)| {
                let end = unit.span_of(*start).map_or(*start, |s| s.end);
                let active = (lower.is_some() || upper.is_some())
                    && lower.is_none_or(|l| *start as f64 >= l)
                    && upper.is_none_or(|u| end as f64 <= u);
                FacetValue {
                    id: format_timestamp(*start),
                    count: *count,
                    active,
                }
            })
            .collect()
    });
    FacetResult {
        filters: active.to_vec(),
        values,
        total: request.total.then_some(counts.distinct),
        intervals,
    }
}

/// The sort keys: the user's, then relevance (unless the user placed it), then the id.
/// Without query text every match scores the same, so relevance is left out (and not
/// computed): the order is then the user's keys and the id.
fn sort_plan(fields: &Fields, query: &SearchQuery) -> Vec<KeyPlan> {
    let scored = query.query != Node::All || query.prefix.is_some();
    let mut keys = Vec::new();
    let mut has_score = !scored;
    for sort in &query.sort {
        let desc = sort.order == Order::Desc;
        match sort.key {
            SortKey::Score if !scored => {}
            SortKey::Score => {
                has_score = true;
                keys.push(KeyPlan {
                    source: KeySource::Score,
                    desc,
                    take_max: false,
                });
            }
            SortKey::Field(field) => {
                let column = if field == Field::Caption {
                    Some("caption_sort".to_string())
                } else {
                    fields.column_name(field.sort_field())
                };
                if let Some(column) = column {
                    // Aleph sorts `dates` by the earliest date whatever the direction;
                    // otherwise, as Elasticsearch: ascending by the least value, descending
                    // by the greatest.
                    let take_max = desc && field != Field::Group("dates");
                    keys.push(KeyPlan {
                        source: KeySource::Column(column),
                        desc,
                        take_max,
                    });
                }
            }
        }
    }
    if !has_score {
        keys.push(KeyPlan {
            source: KeySource::Score,
            desc: true,
            take_max: false,
        });
    }
    keys
}

fn load_hit(
    fields: &Fields,
    doc: &TantivyDocument,
    id: String,
    score: f32,
) -> Result<Hit, IndexError> {
    let json = doc
        .get_first(fields.entity_json)
        .and_then(|v| v.as_str())
        .ok_or_else(|| IndexError::Corrupt(format!("no entity stored for {id}")))?;
    let entity: serde_json::Value =
        serde_json::from_str(json).map_err(|e| IndexError::Corrupt(format!("{id}: {e}")))?;
    let int = |f| doc.get_first(f).and_then(|v| v.as_i64());
    let date = |f| {
        doc.get_first(f)
            .and_then(|v| v.as_datetime())
            .and_then(|d| chrono::DateTime::from_timestamp(d.into_timestamp_secs(), 0))
    };
    Ok(Hit {
        collection_id: int(fields.collection_id).unwrap_or_default(),
        role_id: int(fields.role_id),
        mutable: doc
            .get_first(fields.mutable)
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        created_at: date(fields.created_at),
        updated_at: date(fields.updated_at),
        origin: doc
            .get_all(fields.origin)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        id,
        score,
        entity,
        highlight: Vec::new(),
    })
}

/// The texts a hit is highlighted in: its property values (not entity references), then
/// its `indexText`.
fn highlight_sources(
    fields: &Fields,
    doc: &TantivyDocument,
    entity: &serde_json::Value,
) -> Vec<String> {
    let schema = entity
        .get("schema")
        .and_then(|s| s.as_str())
        .and_then(|s| ftm::model().get(s));
    let mut texts = Vec::new();
    if let Some(props) = entity.get("properties").and_then(|p| p.as_object()) {
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
    texts.extend(
        doc.get_all(fields.index_text)
            .filter_map(|v| v.as_str().map(str::to_string)),
    );
    texts
}

/// Streams the ids of every match to `sender` in batches of up to `batch` ids.
pub fn stream_ids(
    searcher: &Searcher,
    fields: &Fields,
    scope: &ReadScope,
    query: &SearchQuery,
    batch: usize,
    sender: &mpsc::Sender<Result<Vec<String>, IndexError>>,
) -> Result<(), IndexError> {
    if scope.is_empty() {
        return Ok(());
    }
    let compiled = compile(fields, scope, query)?;
    let q = compiled.hits();
    let weight = q.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut closed = false;
    for reader in searcher.segment_readers() {
        if closed {
            break;
        }
        let Some(ids) = reader.fast_fields().str("id")? else {
            continue;
        };
        let alive = reader.alive_bitset();
        let mut ords: Vec<u64> = Vec::with_capacity(batch);
        let flush = |ords: &mut Vec<u64>, closed: &mut bool| {
            if ords.is_empty() || *closed {
                ords.clear();
                return;
            }
            ords.sort_unstable();
            let mut out = Vec::with_capacity(ords.len());
            let _ = ids.dictionary().sorted_ords_to_term_cb(ords, |bytes| {
                out.push(String::from_utf8_lossy(bytes).into_owned());
            });
            ords.clear();
            if sender.blocking_send(Ok(out)).is_err() {
                *closed = true;
            }
        };
        weight.for_each_no_score(reader, &mut |docs| {
            if closed {
                return;
            }
            for &doc in docs {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                if let Some(ord) = ids.ords().first(doc) {
                    ords.push(ord);
                }
            }
            if ords.len() >= batch {
                flush(&mut ords, &mut closed);
            }
        })?;
        flush(&mut ords, &mut closed);
    }
    Ok(())
}

/// Entity counts per visible collection.
pub fn collection_counts(
    searcher: &Searcher,
    fields: &Fields,
    scope: &ReadScope,
) -> Result<BTreeMap<i64, u64>, IndexError> {
    if scope.is_empty() {
        return Ok(BTreeMap::new());
    }
    let compiled = compile(fields, scope, &SearchQuery::match_all())?;
    let collector = PassCollector {
        top: None,
        facets: vec![FacetSpec::Values {
            column: "collection_id".to_string(),
            size: usize::MAX,
            include: Vec::new(),
        }],
        id_column: "id".to_string(),
    };
    let fruit = searcher.search(compiled.hits().as_ref(), &collector)?;
    let mut counts = BTreeMap::new();
    for facet in fruit.facets {
        for (id, n) in facet.values {
            if let Ok(id) = id.parse::<i64>() {
                counts.insert(id, n);
            }
        }
    }
    Ok(counts)
}
