//! One pass over the matching documents: the exact total, the top of the requested order
//! and facet counts, all in a single collector.
//!
//! **Order.** Sort keys are read from fast columns as order-preserving `u64`s (Tantivy's
//! monotonic mapping), encoded so that a smaller key is always earlier whatever the
//! direction, and missing values sort last in both directions. String columns give per-segment
//! ordinals, which are turned into strings only for the documents that survive a segment's
//! top-k. The last key is always the entity id, so equal scores are ordered the same way on
//! every request and paging never repeats or skips a hit.
//!
//! **Facets.** Values of string columns are counted by column ordinal (a dense array for
//! dictionaries up to a few million terms); the segments' counts are added up by global
//! ordinal ([`ordinals`]) and only the requested top values are named, so counts are exact
//! whatever the number of distinct values. Other columns are counted by raw value and
//! named per segment; there, like Elasticsearch's `shard_size`, a segment with more than
//! [`EXACT_DISTINCT`] distinct matching values only passes on its most frequent ones.
//!
//! **Histograms.** Dates are counted per UTC day (per hour for hourly buckets) in an array
//! over the column's range, and the days are put into calendar periods once per segment.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{
    Column, ColumnIndex, ColumnType, ColumnValues, MonotonicallyMappableToU64, StrColumn,
};
use tantivy::index::SegmentId;
use tantivy::{DateTime, DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::query::values::{DateUnit, format_timestamp};

mod ordinals;

/// Per segment, the most distinct facet values that are named exactly.
pub const EXACT_DISTINCT: usize = 100_000;
/// The most keys a sort may have (user keys, score, id).
pub const MAX_KEYS: usize = 8;

/// Where a sort key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    Score,
    /// A fast column, by its name.
    Column(String),
}

#[derive(Debug, Clone)]
pub struct KeyPlan {
    pub source: KeySource,
    pub desc: bool,
    /// For multi-valued columns: sort by the largest value instead of the smallest.
    pub take_max: bool,
}

/// The order of hits and how many to keep.
#[derive(Debug, Clone)]
pub struct TopSpec {
    /// User keys then score; the id is added as the last key.
    pub keys: Vec<KeyPlan>,
    /// `offset + limit`.
    pub k: usize,
}

/// A facet to count in this pass.
#[derive(Debug, Clone)]
pub enum FacetSpec {
    /// Counts per value of a column: the `size` most frequent, and those of `include`
    /// (values that must be counted even outside the top, such as active filters).
    Values {
        column: String,
        size: usize,
        include: Vec<String>,
    },
    /// Counts per calendar period of a date column (`num.*` seconds or a date field), only
    /// for values within `[lower, upper)` seconds.
    Intervals {
        column: String,
        unit: DateUnit,
        lower: Option<f64>,
        upper: Option<f64>,
    },
}

/// What one pass asks for.
#[derive(Debug, Clone)]
pub struct PassCollector {
    pub top: Option<TopSpec>,
    pub facets: Vec<FacetSpec>,
    pub id_column: String,
}

/// A global sort key element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobalKey {
    /// Encoded so that smaller is earlier (see [`encode`]).
    Num(u128),
    Str {
        value: Option<String>,
        desc: bool,
    },
}

impl Ord for GlobalKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (GlobalKey::Num(a), GlobalKey::Num(b)) => a.cmp(b),
            (GlobalKey::Str { value: a, desc }, GlobalKey::Str { value: b, .. }) => match (a, b) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) if *desc => b.cmp(a),
                (Some(a), Some(b)) => a.cmp(b),
            },
            // A segment without the column at all reads every document's key as a missing
            // number; it must still sort with the missing strings of the other segments.
            (GlobalKey::Num(a), GlobalKey::Str { value: b, .. }) => match (*a == u128::MAX, b) {
                (true, None) => Ordering::Equal,
                (true, Some(_)) => Ordering::Greater,
                (false, _) => Ordering::Less,
            },
            (GlobalKey::Str { .. }, GlobalKey::Num(_)) => other.cmp(self).reverse(),
        }
    }
}

impl PartialOrd for GlobalKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One ranked document.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub keys: Vec<GlobalKey>,
    pub id: String,
    pub address: DocAddress,
    pub score: Score,
}

/// Counts of one facet after merging segments.
#[derive(Debug, Clone, Default)]
pub struct FacetCounts {
    /// Value and count, most frequent first, ties by value.
    pub values: Vec<(String, u64)>,
    /// Number of distinct values (exact when `exact`).
    pub distinct: u64,
    pub exact: bool,
    /// Period start (seconds) and count, in time order.
    pub buckets: Vec<(i64, u64)>,
}

/// The result of one pass.
#[derive(Debug, Default)]
pub struct PassFruit {
    pub total: u64,
    pub top: Vec<Ranked>,
    pub facets: Vec<FacetCounts>,
}

/// Encodes a column value (or its absence) so that smaller means earlier.
fn encode(value: Option<u64>, desc: bool) -> u128 {
    match value {
        None => u128::MAX,
        Some(v) if desc => u128::from(u64::MAX - v),
        Some(v) => u128::from(v),
    }
}

fn score_to_u64(score: Score) -> u64 {
    f64::from(score).to_u64()
}

/// Reads the values of one column of a segment, with a shortcut for columns that have
/// exactly one value per document.
#[derive(Clone)]
enum Values {
    Full(Arc<dyn ColumnValues<u64>>),
    Any(Column<u64>),
}

impl Values {
    fn new(column: Column<u64>) -> Values {
        match column.index {
            ColumnIndex::Full => Values::Full(column.values),
            _ => Values::Any(column),
        }
    }

    #[inline]
    fn for_each(&self, doc: DocId, mut f: impl FnMut(u64)) {
        match self {
            Values::Full(values) => f(values.get_val(doc)),
            Values::Any(column) => column.values_for_doc(doc).for_each(f),
        }
    }

    #[inline]
    fn min_or_max(&self, doc: DocId, max: bool) -> Option<u64> {
        match self {
            Values::Full(values) => Some(values.get_val(doc)),
            Values::Any(column) => {
                let values = column.values_for_doc(doc);
                if max { values.max() } else { values.min() }
            }
        }
    }

    fn min_value(&self) -> u64 {
        match self {
            Values::Full(values) => values.min_value(),
            Values::Any(column) => column.min_value(),
        }
    }

    fn max_value(&self) -> u64 {
        match self {
            Values::Full(values) => values.max_value(),
            Values::Any(column) => column.max_value(),
        }
    }
}

/// A multiply-rotate hasher for `u64` keys: facet counting hashes once per value of
/// every matching document, where SipHash's resistance to hostile keys is not needed.
#[derive(Default, Clone, Copy)]
struct U64Hasher(u64);

impl std::hash::Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        // The table picks buckets by the low bits, which the multiply leaves zero for keys
        // with zero low bits (dates as `f64` or microseconds): fold the high bits down.
        let h = self.0 ^ (self.0 >> 29);
        (h ^ (h >> 32)).wrapping_mul(0x94_d0_49_bb_13_31_11_eb)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type U64Map<V> = HashMap<u64, V, BuildHasherDefault<U64Hasher>>;

/// Reads one sort key of a segment's documents.
struct KeyReader {
    /// `None` for the score (or a column the segment lacks, when `score` is false).
    column: Option<Values>,
    score: bool,
    desc: bool,
    take_max: bool,
    /// The dictionary, when the column holds strings (its values are ordinals).
    dict: Option<StrColumn>,
}

impl KeyReader {
    #[inline]
    fn read(&self, doc: DocId, score: Score) -> u128 {
        if self.score {
            return encode(Some(score_to_u64(score)), self.desc);
        }
        let value = self
            .column
            .as_ref()
            .and_then(|c| c.min_or_max(doc, self.take_max));
        encode(value, self.desc)
    }
}

#[derive(Clone, Copy)]
struct Entry {
    keys: [u128; MAX_KEYS],
    doc: DocId,
    score: Score,
}

struct SegTop {
    readers: Vec<KeyReader>,
    id: Option<StrColumn>,
    k: usize,
    entries: Vec<Entry>,
    threshold: Option<[u128; MAX_KEYS]>,
}

impl SegTop {
    fn nkeys(&self) -> usize {
        self.readers.len() + 1
    }

    #[inline]
    fn id_ord(&self, doc: DocId) -> u128 {
        encode(self.id.as_ref().and_then(|c| c.ords().first(doc)), false)
    }

    #[inline]
    fn read(&self, i: usize, doc: DocId, score: Score) -> u128 {
        match self.readers.get(i) {
            Some(r) => r.read(doc, score),
            None => self.id_ord(doc),
        }
    }

    #[inline]
    fn collect(&mut self, doc: DocId, score: Score) {
        let n = self.nkeys();
        let first = self.read(0, doc, score);
        if let Some(threshold) = &self.threshold
            && first > threshold[0]
        {
            return;
        }
        let mut keys = [0u128; MAX_KEYS];
        keys[0] = first;
        if let Some(threshold) = self.threshold {
            // Read keys one at a time and stop as soon as the document is worse.
            let mut decided = first < threshold[0];
            for i in 1..n {
                keys[i] = self.read(i, doc, score);
                if decided {
                    continue;
                }
                match keys[i].cmp(&threshold[i]) {
                    Ordering::Greater => return,
                    Ordering::Less => decided = true,
                    Ordering::Equal => {}
                }
            }
            if !decided {
                return;
            }
        } else {
            for (i, key) in keys.iter_mut().enumerate().take(n).skip(1) {
                *key = self.read(i, doc, score);
            }
        }
        self.entries.push(Entry { keys, doc, score });
        if self.entries.len() >= self.k.saturating_mul(2).max(64) {
            self.truncate();
        }
    }

    /// Ranks a block of unscored documents. When the id is the only key (no query text, no
    /// sort), the ids' ordinals are read for the whole block at once and most documents are
    /// dropped by one comparison.
    fn collect_block(&mut self, docs: &[DocId], ids: &mut Vec<u64>) {
        let full_ids = match (&self.id, self.readers.is_empty()) {
            (Some(column), true) => match &column.ords().index {
                ColumnIndex::Full => Some(column.ords().values.clone()),
                _ => None,
            },
            _ => None,
        };
        let Some(values) = full_ids else {
            for &doc in docs {
                self.collect(doc, 0.0);
            }
            return;
        };
        ids.resize(docs.len(), 0);
        values.get_vals(docs, ids);
        for (&doc, &ord) in docs.iter().zip(ids.iter()) {
            let key = encode(Some(ord), false);
            if self.threshold.is_some_and(|t| key >= t[0]) {
                continue;
            }
            let mut keys = [0u128; MAX_KEYS];
            keys[0] = key;
            self.entries.push(Entry {
                keys,
                doc,
                score: 0.0,
            });
            if self.entries.len() >= self.k.saturating_mul(2).max(64) {
                self.truncate();
            }
        }
    }

    fn truncate(&mut self) {
        let k = self.k;
        if self.entries.len() > k {
            self.entries
                .select_nth_unstable_by(k - 1, |a, b| a.keys.cmp(&b.keys));
            self.entries.truncate(k);
            self.threshold = self.entries.iter().map(|e| e.keys).max();
        }
    }

    fn harvest(mut self, segment: SegmentOrdinal) -> Vec<Ranked> {
        self.truncate();
        // Name the string keys and the ids of the survivors.
        let n = self.nkeys();
        let mut names: Vec<HashMap<u64, String>> = Vec::with_capacity(n);
        for i in 0..n {
            let (dict, desc) = match self.readers.get(i) {
                Some(r) => (r.dict.as_ref(), r.desc),
                None => (self.id.as_ref(), false),
            };
            let mut map = HashMap::new();
            if let Some(dict) = dict {
                let mut ords: Vec<u64> = self
                    .entries
                    .iter()
                    .filter(|e| e.keys[i] != u128::MAX)
                    .map(|e| decode_ord(e.keys[i], desc))
                    .collect();
                ords.sort_unstable();
                ords.dedup();
                let mut iter = ords.iter();
                let _ = dict.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                    if let Some(ord) = iter.next() {
                        map.insert(*ord, String::from_utf8_lossy(bytes).into_owned());
                    }
                });
            }
            names.push(map);
        }
        self.entries
            .iter()
            .map(|e| {
                let keys = self
                    .readers
                    .iter()
                    .zip(&names)
                    .zip(e.keys)
                    .map(|((reader, names), key)| {
                        if reader.dict.is_none() {
                            return GlobalKey::Num(key);
                        }
                        GlobalKey::Str {
                            value: (key != u128::MAX)
                                .then(|| names.get(&decode_ord(key, reader.desc)).cloned())
                                .flatten(),
                            desc: reader.desc,
                        }
                    })
                    .collect();
                let id = names[n - 1]
                    .get(&decode_ord(e.keys[n - 1], false))
                    .cloned()
                    .unwrap_or_default();
                Ranked {
                    keys,
                    id,
                    address: DocAddress::new(segment, e.doc),
                    score: e.score,
                }
            })
            .collect()
    }
}

fn decode_ord(encoded: u128, desc: bool) -> u64 {
    let v = encoded as u64;
    if desc { u64::MAX - v } else { v }
}

/// Orders ranked documents across segments.
pub fn compare_ranked(a: &Ranked, b: &Ranked) -> Ordering {
    a.keys.cmp(&b.keys).then_with(|| a.id.cmp(&b.id))
}

/// Counts by raw column value: an array over a small range of values (dictionary
/// ordinals, collection ids), a hash map otherwise.
enum Counts {
    Dense { counts: Vec<u32>, offset: u64 },
    Sparse(U64Map<u32>),
}

/// The widest value range counted in an array.
const DENSE_RANGE: u64 = 4_000_000;

impl Counts {
    fn for_range(min: u64, max: u64) -> Counts {
        match max.checked_sub(min) {
            Some(width) if width < DENSE_RANGE => Counts::Dense {
                counts: vec![0; width as usize + 1],
                offset: min,
            },
            _ => Counts::Sparse(U64Map::default()),
        }
    }

    #[inline]
    fn add(&mut self, v: u64) {
        match self {
            Counts::Dense { counts, offset } => {
                if let Some(slot) = v
                    .checked_sub(*offset)
                    .and_then(|i| counts.get_mut(i as usize))
                {
                    *slot += 1;
                }
            }
            Counts::Sparse(m) => *m.entry(v).or_insert(0) += 1,
        }
    }

    fn for_each_nonzero(&self, mut f: impl FnMut(u64, u32)) {
        match self {
            Counts::Dense { counts, offset } => {
                for (i, &n) in counts.iter().enumerate() {
                    if n > 0 {
                        f(i as u64 + offset, n);
                    }
                }
            }
            Counts::Sparse(m) => m.iter().for_each(|(&v, &n)| f(v, n)),
        }
    }

    fn get(&self, v: u64) -> u32 {
        match self {
            Counts::Dense { counts, offset } => v
                .checked_sub(*offset)
                .and_then(|i| counts.get(i as usize))
                .copied()
                .unwrap_or(0),
            Counts::Sparse(m) => m.get(&v).copied().unwrap_or(0),
        }
    }

    fn nonzero(self) -> Vec<(u64, u32)> {
        match self {
            Counts::Dense { counts, offset } => counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(i, n)| (i as u64 + offset, n))
                .collect(),
            Counts::Sparse(m) => m.into_iter().collect(),
        }
    }
}

/// Turns raw values of a date column into the UTC day (or hour) they fall in, leaving out
/// values outside the histogram's bounds. Every calendar period of a histogram starts at
/// the start of a UTC day (of an hour for hourly ones), so counting by day loses nothing.
#[derive(Clone, Copy)]
struct Quantizer {
    kind: ColumnType,
    step: i64,
    lower: Option<f64>,
    upper: Option<f64>,
}

impl Quantizer {
    fn new(kind: ColumnType, unit: DateUnit, lower: Option<f64>, upper: Option<f64>) -> Self {
        let step = match unit {
            DateUnit::Hour => 3600,
            DateUnit::Day | DateUnit::Week | DateUnit::Month | DateUnit::Year => 86_400,
        };
        Quantizer {
            kind,
            step,
            lower,
            upper,
        }
    }

    /// The period index of a raw value, encoded order-preserving as `u64`.
    #[inline]
    fn key(&self, raw: u64) -> Option<u64> {
        let t = seconds(self.kind, raw)?;
        let tf = t as f64;
        if self.lower.is_some_and(|l| tf < l) || self.upper.is_some_and(|u| tf >= u) {
            return None;
        }
        Some(t.div_euclid(self.step).to_u64())
    }

    /// The key of a column bound, ignoring the histogram's bounds.
    fn bound_key(&self, raw: u64) -> Option<u64> {
        seconds(self.kind, raw).map(|t| t.div_euclid(self.step).to_u64())
    }

    /// The start (seconds) of a period index.
    fn start(&self, key: u64) -> Option<i64> {
        i64::from_u64(key).checked_mul(self.step)
    }
}

struct SegFacet {
    spec: FacetSpec,
    column: Option<Values>,
    kind: ColumnType,
    dict: Option<StrColumn>,
    quantizer: Option<Quantizer>,
    /// The histogram's calendar unit (days for value facets, where it is unused).
    unit: DateUnit,
    /// One document's histogram keys (reused between documents).
    doc_keys: Vec<u64>,
    counts: Counts,
    segment: SegmentId,
}

/// Counts one document in each histogram period its values fall in, once per period
/// whatever the number of its values there (a histogram counts documents, as
/// OpenSearch's does: an entity with two dates in one month is one entity that month).
/// `keys` are the document's day (or hour) keys; the first key of each period stands for
/// the period, which the harvest finds again from the key.
#[inline]
fn add_document_keys(counts: &mut Counts, q: &Quantizer, unit: DateUnit, keys: &mut Vec<u64>) {
    if keys.len() > 1 {
        keys.sort_unstable();
        keys.dedup();
        if keys.len() > 1 {
            let period = |key: u64| q.start(key).and_then(|t| unit.span_of(t)).map(|s| s.start);
            // Keys are sorted and periods follow time, so a period's keys are one run.
            keys.dedup_by(|later, earlier| period(*later) == period(*earlier));
        }
    }
    for &key in keys.iter() {
        counts.add(key);
    }
}

/// Facet counts of one segment.
enum SegFacetFruit {
    Values {
        values: Vec<(String, u64)>,
        exact: bool,
        distinct: u64,
    },
    /// Counts by ordinal of a string column, named when the segments are merged.
    Ordinals {
        counts: Counts,
        column: StrColumn,
        segment: SegmentId,
    },
    Buckets(Vec<(i64, u64)>),
}

impl SegFacet {
    fn open(spec: &FacetSpec, reader: &SegmentReader) -> tantivy::Result<SegFacet> {
        let column_name = match spec {
            FacetSpec::Values { column, .. } | FacetSpec::Intervals { column, .. } => column,
        };
        let fast = reader.fast_fields();
        let (column, kind, dict) = match fast.str(column_name)? {
            Some(str_col) => (Some(str_col.ords().clone()), ColumnType::Str, Some(str_col)),
            None => match fast.u64_lenient(column_name)? {
                Some((col, kind)) => (Some(col), kind, None),
                None => (None, ColumnType::U64, None),
            },
        };
        let column = column.map(Values::new);
        let (quantizer, unit) = match spec {
            FacetSpec::Intervals {
                unit, lower, upper, ..
            } => (Some(Quantizer::new(kind, *unit, *lower, *upper)), *unit),
            FacetSpec::Values { .. } => (None, DateUnit::Day),
        };
        let counts = match (&dict, &column, &quantizer) {
            (Some(d), _, _) => Counts::for_range(0, d.num_terms().saturating_sub(1) as u64),
            (None, Some(c), Some(q)) => {
                match (q.bound_key(c.min_value()), q.bound_key(c.max_value())) {
                    (Some(min), Some(max)) => Counts::for_range(min, max),
                    _ => Counts::Sparse(U64Map::default()),
                }
            }
            (None, Some(c), None) => Counts::for_range(c.min_value(), c.max_value()),
            (None, None, _) => Counts::Sparse(U64Map::default()),
        };
        Ok(SegFacet {
            spec: spec.clone(),
            column,
            kind,
            dict,
            quantizer,
            unit,
            doc_keys: Vec::new(),
            counts,
            segment: reader.segment_id(),
        })
    }

    #[inline]
    fn collect(&mut self, doc: DocId) {
        if let Some(column) = &self.column {
            let counts = &mut self.counts;
            match &self.quantizer {
                None => column.for_each(doc, |v| counts.add(v)),
                Some(q) => {
                    let keys = &mut self.doc_keys;
                    keys.clear();
                    column.for_each(doc, |v| keys.extend(q.key(v)));
                    add_document_keys(counts, q, self.unit, keys);
                }
            }
        }
    }

    /// Counts a block of documents: row ids and values are read a block at a time, which
    /// saves a dynamic call and an index lookup per value.
    fn collect_block(&mut self, docs: &[DocId], scratch: &mut Scratch) {
        let Some(column) = &self.column else {
            return;
        };
        let values = &mut scratch.values;
        let multi = match column {
            Values::Full(column_values) => {
                values.resize(docs.len(), 0);
                column_values.get_vals(docs, values);
                false
            }
            Values::Any(column) => {
                scratch.docs.clear();
                scratch.rows.clear();
                column
                    .index
                    .docids_to_rowids(docs, &mut scratch.docs, &mut scratch.rows);
                values.resize(scratch.rows.len(), 0);
                column.values.get_vals(&scratch.rows, values);
                true
            }
        };
        let counts = &mut self.counts;
        match &self.quantizer {
            None => values.iter().for_each(|&v| counts.add(v)),
            Some(q) if !multi => values.iter().for_each(|&v| {
                if let Some(key) = q.key(v) {
                    counts.add(key);
                }
            }),
            Some(q) => {
                // `scratch.docs` names the document of each value, in document order: a
                // document's values are one run.
                let keys = &mut self.doc_keys;
                let mut start = 0;
                while start < values.len() {
                    let doc = scratch.docs[start];
                    let end = scratch.docs[start..]
                        .iter()
                        .position(|&d| d != doc)
                        .map_or(values.len(), |n| start + n);
                    keys.clear();
                    keys.extend(values[start..end].iter().filter_map(|&v| q.key(v)));
                    add_document_keys(counts, q, self.unit, keys);
                    start = end;
                }
            }
        }
    }

    fn harvest(self) -> SegFacetFruit {
        let SegFacet {
            spec,
            kind,
            dict,
            quantizer,
            counts,
            segment,
            ..
        } = self;
        match spec {
            FacetSpec::Intervals { unit, .. } => {
                let mut buckets: HashMap<i64, u64> = HashMap::new();
                let Some(q) = quantizer else {
                    return SegFacetFruit::Buckets(Vec::new());
                };
                counts.for_each_nonzero(|key, n| {
                    if let Some(span) = q.start(key).and_then(|t| unit.span_of(t)) {
                        *buckets.entry(span.start).or_insert(0) += u64::from(n);
                    }
                });
                let mut buckets: Vec<(i64, u64)> = buckets.into_iter().collect();
                buckets.sort_unstable();
                SegFacetFruit::Buckets(buckets)
            }
            FacetSpec::Values { .. } if dict.is_some() => match dict {
                Some(column) => SegFacetFruit::Ordinals {
                    counts,
                    column,
                    segment,
                },
                None => SegFacetFruit::Buckets(Vec::new()),
            },
            FacetSpec::Values { size, .. } => {
                let mut nonzero = counts.nonzero();
                let distinct = nonzero.len() as u64;
                let exact = nonzero.len() <= EXACT_DISTINCT;
                if !exact {
                    let keep = size.saturating_mul(10).max(1000).min(nonzero.len());
                    if keep > 0 {
                        nonzero.select_nth_unstable_by(keep - 1, |a, b| {
                            b.1.cmp(&a.1).then(a.0.cmp(&b.0))
                        });
                    }
                    nonzero.truncate(keep);
                }
                let values = nonzero
                    .into_iter()
                    .map(|(raw, n)| (value_name(kind, raw), u64::from(n)))
                    .collect();
                SegFacetFruit::Values {
                    values,
                    exact,
                    distinct,
                }
            }
        }
    }
}

/// Names every counted ordinal of a segment (when its counts must be merged by value).
fn name_all(counts: &Counts, column: &StrColumn) -> Vec<(String, u64)> {
    let mut nonzero: Vec<(u64, u32)> = Vec::new();
    counts.for_each_nonzero(|ord, n| nonzero.push((ord, n)));
    nonzero.sort_unstable_by_key(|(ord, _)| *ord);
    let ords: Vec<u64> = nonzero.iter().map(|(o, _)| *o).collect();
    let mut out = Vec::with_capacity(ords.len());
    let mut iter = nonzero.iter();
    let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
        if let Some((_, n)) = iter.next() {
            out.push((String::from_utf8_lossy(bytes).into_owned(), u64::from(*n)));
        }
    });
    out
}

/// The `size` most frequent of a stream of (ordinal, count), ties by the smaller ordinal
/// (ordinals follow value order, so that is the smaller value), and how many were offered.
struct Best {
    size: usize,
    /// The worst kept value on top.
    heap: BinaryHeap<(Reverse<u64>, u32)>,
    seen: u64,
}

impl Best {
    fn new(size: usize) -> Best {
        Best {
            size,
            heap: BinaryHeap::with_capacity(size.min(1024)),
            seen: 0,
        }
    }

    #[inline]
    fn offer(&mut self, ord: u32, count: u64) {
        self.seen += 1;
        let key = (Reverse(count), ord);
        if self.heap.len() < self.size {
            self.heap.push(key);
        } else if let Some(mut worst) = self.heap.peek_mut()
            && key < *worst
        {
            *worst = key;
        }
    }

    fn into_vec(self) -> Vec<(u32, u64)> {
        self.heap
            .into_iter()
            .map(|(Reverse(count), ord)| (ord, count))
            .collect()
    }
}

/// One segment's counts by ordinal of a string column.
struct OrdinalPart {
    counts: Counts,
    column: StrColumn,
    segment: SegmentId,
}

/// Adds up the segments' counts of a string column by global ordinal and names the `size`
/// most frequent values (ties by value) and the values of `include`.
fn merge_ordinals(
    column_name: &str,
    parts: &[OrdinalPart],
    size: usize,
    include: &[String],
) -> std::io::Result<FacetCounts> {
    let mut best = Best::new(size);
    let global = match parts {
        [] => None,
        [one] => {
            one.counts.for_each_nonzero(|ord, n| {
                if let Ok(ord) = u32::try_from(ord) {
                    best.offer(ord, u64::from(n));
                }
            });
            None
        }
        many => {
            let segments: Vec<(SegmentId, &StrColumn)> =
                many.iter().map(|p| (p.segment, &p.column)).collect();
            let global = ordinals::global_ords(column_name, &segments)?;
            let mut totals = vec![0u64; global.len()];
            for (i, part) in many.iter().enumerate() {
                part.counts.for_each_nonzero(|ord, n| {
                    if let Some(slot) = global
                        .global(i, ord as usize)
                        .and_then(|g| totals.get_mut(g as usize))
                    {
                        *slot += u64::from(n);
                    }
                });
            }
            for (g, &n) in totals.iter().enumerate() {
                if n > 0 {
                    best.offer(g as u32, n);
                }
            }
            Some(global)
        }
    };
    let distinct = best.seen;
    let nonzero = best.into_vec();
    // Name the survivors, segment by segment in ordinal order.
    let mut wanted: Vec<Vec<(u64, u64)>> = vec![Vec::new(); parts.len()];
    for &(g, n) in &nonzero {
        let (segment, ord) = match &global {
            Some(global) => match global.owner(g) {
                Some(owner) => owner,
                None => continue,
            },
            None => (0, u64::from(g)),
        };
        if let Some(list) = wanted.get_mut(segment) {
            list.push((ord, n));
        }
    }
    let mut values: Vec<(String, u64)> = Vec::with_capacity(nonzero.len() + include.len());
    for (part, mut list) in parts.iter().zip(wanted) {
        list.sort_unstable();
        let ords: Vec<u64> = list.iter().map(|(o, _)| *o).collect();
        let mut iter = list.iter();
        part.column
            .dictionary()
            .sorted_ords_to_term_cb(&ords, |bytes| {
                if let Some((_, n)) = iter.next() {
                    values.push((String::from_utf8_lossy(bytes).into_owned(), *n));
                }
            })?;
    }
    for value in include {
        if values.iter().any(|(v, _)| v == value) {
            continue;
        }
        let mut n = 0u64;
        for part in parts {
            if let Some(ord) = part.column.dictionary().term_ord(value.as_bytes())? {
                n += u64::from(part.counts.get(ord));
            }
        }
        if n > 0 {
            values.push((value.clone(), n));
        }
    }
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(FacetCounts {
        values,
        distinct,
        exact: true,
        buckets: Vec::new(),
    })
}

/// Seconds since the epoch of a raw value of a date-holding column.
fn seconds(kind: ColumnType, raw: u64) -> Option<i64> {
    match kind {
        ColumnType::F64 => {
            let f = f64::from_u64(raw);
            f.is_finite().then_some(f as i64)
        }
        ColumnType::DateTime => Some(DateTime::from_u64(raw).into_timestamp_secs()),
        ColumnType::I64 => Some(i64::from_u64(raw)),
        _ => None,
    }
}

/// The facet value id of a raw value of a non-string column.
fn value_name(kind: ColumnType, raw: u64) -> String {
    match kind {
        ColumnType::I64 => i64::from_u64(raw).to_string(),
        ColumnType::F64 => format_number(f64::from_u64(raw)),
        ColumnType::Bool => bool::from_u64(raw).to_string(),
        ColumnType::DateTime => format_timestamp(DateTime::from_u64(raw).into_timestamp_secs()),
        _ => raw.to_string(),
    }
}

fn format_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Buffers reused from block to block.
#[derive(Default)]
struct Scratch {
    docs: Vec<DocId>,
    rows: Vec<u32>,
    values: Vec<u64>,
}

pub struct PassSegment {
    scratch: Scratch,
    total: u64,
    top: Option<SegTop>,
    facets: Vec<SegFacet>,
    segment: SegmentOrdinal,
}

/// The per-segment results of a pass.
pub struct PassSegmentFruit {
    total: u64,
    top: Vec<Ranked>,
    facets: Vec<SegFacetFruit>,
}

impl Collector for PassCollector {
    type Fruit = PassFruit;
    type Child = PassSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<PassSegment> {
        let fast = reader.fast_fields();
        let top = match &self.top {
            Some(spec) if spec.k > 0 => {
                let mut readers = Vec::with_capacity(spec.keys.len());
                for key in spec.keys.iter().take(MAX_KEYS - 1) {
                    let (column, dict) = match &key.source {
                        KeySource::Score => (None, None),
                        KeySource::Column(name) => match fast.str(name)? {
                            Some(str_col) => {
                                (Some(Values::new(str_col.ords().clone())), Some(str_col))
                            }
                            None => (fast.u64_lenient(name)?.map(|(c, _)| Values::new(c)), None),
                        },
                    };
                    readers.push(KeyReader {
                        column,
                        score: matches!(key.source, KeySource::Score),
                        desc: key.desc,
                        take_max: key.take_max,
                        dict,
                    });
                }
                Some(SegTop {
                    readers,
                    id: fast.str(&self.id_column)?,
                    k: spec.k,
                    entries: Vec::new(),
                    threshold: None,
                })
            }
            _ => None,
        };
        let facets = self
            .facets
            .iter()
            .map(|spec| SegFacet::open(spec, reader))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(PassSegment {
            scratch: Scratch::default(),
            total: 0,
            top,
            facets,
            segment,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.top
            .as_ref()
            .is_some_and(|t| t.k > 0 && t.keys.iter().any(|k| matches!(k.source, KeySource::Score)))
    }

    fn merge_fruits(&self, fruits: Vec<PassSegmentFruit>) -> tantivy::Result<PassFruit> {
        let mut total = 0;
        let mut top = Vec::new();
        let mut merged: Vec<(HashMap<String, u64>, bool, u64)> =
            vec![(HashMap::new(), true, 0); self.facets.len()];
        let mut buckets: Vec<HashMap<i64, u64>> = vec![HashMap::new(); self.facets.len()];
        let mut ordinal_parts: Vec<Vec<OrdinalPart>> =
            (0..self.facets.len()).map(|_| Vec::new()).collect();
        // Facets where some segment's column is not a string column: merged by value.
        let mut by_value = vec![false; self.facets.len()];
        for fruit in fruits {
            total += fruit.total;
            top.extend(fruit.top);
            for (i, facet) in fruit.facets.into_iter().enumerate() {
                match facet {
                    SegFacetFruit::Values {
                        values,
                        exact,
                        distinct,
                    } => {
                        by_value[i] = true;
                        let (map, all_exact, max_distinct) = &mut merged[i];
                        *all_exact &= exact;
                        *max_distinct = (*max_distinct).max(distinct);
                        for (v, n) in values {
                            *map.entry(v).or_insert(0) += n;
                        }
                    }
                    SegFacetFruit::Ordinals {
                        counts,
                        column,
                        segment,
                    } => ordinal_parts[i].push(OrdinalPart {
                        counts,
                        column,
                        segment,
                    }),
                    SegFacetFruit::Buckets(b) => {
                        for (start, n) in b {
                            *buckets[i].entry(start).or_insert(0) += n;
                        }
                    }
                }
            }
        }
        let k = self.top.as_ref().map_or(0, |t| t.k);
        top.sort_by(compare_ranked);
        top.truncate(k);
        let mut facets = Vec::with_capacity(self.facets.len());
        for (i, ((mut map, exact, max_distinct), b)) in merged.into_iter().zip(buckets).enumerate()
        {
            let parts = std::mem::take(&mut ordinal_parts[i]);
            if let (
                false,
                FacetSpec::Values {
                    column,
                    size,
                    include,
                },
            ) = (by_value[i], &self.facets[i])
            {
                facets.push(merge_ordinals(column, &parts, *size, include)?);
                continue;
            }
            for part in &parts {
                for (v, n) in name_all(&part.counts, &part.column) {
                    *map.entry(v).or_insert(0) += n;
                }
            }
            let distinct = if exact {
                map.len() as u64
            } else {
                max_distinct.max(map.len() as u64)
            };
            let mut values: Vec<(String, u64)> = map.into_iter().collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut buckets: Vec<(i64, u64)> = b.into_iter().collect();
            buckets.sort_unstable();
            facets.push(FacetCounts {
                values,
                distinct,
                exact,
                buckets,
            });
        }
        Ok(PassFruit { total, top, facets })
    }
}

impl SegmentCollector for PassSegment {
    type Fruit = PassSegmentFruit;

    #[inline]
    fn collect(&mut self, doc: DocId, score: Score) {
        self.total += 1;
        if let Some(top) = &mut self.top {
            top.collect(doc, score);
        }
        for facet in &mut self.facets {
            facet.collect(doc);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.total += docs.len() as u64;
        if let Some(top) = &mut self.top {
            top.collect_block(docs, &mut self.scratch.values);
        }
        for facet in &mut self.facets {
            facet.collect_block(docs, &mut self.scratch);
        }
    }

    fn harvest(self) -> PassSegmentFruit {
        let segment = self.segment;
        PassSegmentFruit {
            total: self.total,
            top: self.top.map(|t| t.harvest(segment)).unwrap_or_default(),
            facets: self.facets.into_iter().map(SegFacet::harvest).collect(),
        }
    }
}
