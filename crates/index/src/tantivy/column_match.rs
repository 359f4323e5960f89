//! Documents whose values in a fast string column pass a test: the half of a grouped
//! property's match that says which property a group value came from (the group field's
//! postings are the other half, see [`super::schema`]).
//!
//! The accepted ordinals are found in the column's dictionary once per segment (looked up
//! for exact values, a walk of the dictionary for patterns and ranges). Documents are then
//! checked lazily: as the follower of an intersection only the candidates the other
//! clauses propose are looked at; alone the query scans the segment.

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::query::{ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{
    BitSet, DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, TantivyError,
};

use super::keyword_match::Matcher;

/// What a column value must be.
pub enum ValueTest {
    /// One of these values exactly.
    OneOf(Vec<String>),
    /// A value passing the matcher.
    Match(Arc<Matcher>),
    /// A value within the bounds (byte order, as the column's dictionary is sorted).
    Range(Bound<String>, Bound<String>),
}

impl ValueTest {
    fn accepts(&self, value: &[u8]) -> bool {
        match self {
            ValueTest::OneOf(values) => values.iter().any(|v| v.as_bytes() == value),
            ValueTest::Match(m) => std::str::from_utf8(value).is_ok_and(|v| m.matches(v)),
            ValueTest::Range(lower, upper) => {
                let above = match lower {
                    Bound::Included(l) => value >= l.as_bytes(),
                    Bound::Excluded(l) => value > l.as_bytes(),
                    Bound::Unbounded => true,
                };
                let below = match upper {
                    Bound::Included(u) => value <= u.as_bytes(),
                    Bound::Excluded(u) => value < u.as_bytes(),
                    Bound::Unbounded => true,
                };
                above && below
            }
        }
    }
}

impl fmt::Debug for ValueTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueTest::OneOf(values) => write!(f, "OneOf({values:?})"),
            ValueTest::Match(m) => write!(f, "{m:?}"),
            ValueTest::Range(l, u) => write!(f, "Range({l:?}, {u:?})"),
        }
    }
}

/// Documents with a value of the fast string column `column` (its full name, such as
/// `grouped_properties.email`) that `test` accepts.
#[derive(Clone, Debug)]
pub struct ColumnMatchQuery {
    column: String,
    test: Arc<ValueTest>,
}

impl ColumnMatchQuery {
    pub fn new(column: String, test: ValueTest) -> ColumnMatchQuery {
        ColumnMatchQuery {
            column,
            test: Arc::new(test),
        }
    }
}

impl Query for ColumnMatchQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ColumnMatchWeight {
            query: self.clone(),
        }))
    }
}

struct ColumnMatchWeight {
    query: ColumnMatchQuery,
}

impl Weight for ColumnMatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(column) = reader.fast_fields().str(&self.query.column)? else {
            return Ok(Box::new(EmptyScorer));
        };
        let dict = column.dictionary();
        let terms = u32::try_from(dict.num_terms()).unwrap_or(u32::MAX);
        let mut accepted = BitSet::with_max_value(terms.max(1));
        let mut any = false;
        if let ValueTest::OneOf(values) = self.query.test.as_ref() {
            for value in values {
                if let Some(ord) = dict.term_ord(value.as_bytes())?
                    && let Ok(ord) = u32::try_from(ord)
                    && ord < terms
                {
                    accepted.insert(ord);
                    any = true;
                }
            }
        } else {
            let mut stream = dict.stream()?;
            let mut ord: u32 = 0;
            while stream.advance() && ord < terms {
                if self.query.test.accepts(stream.key()) {
                    accepted.insert(ord);
                    any = true;
                }
                ord += 1;
            }
        }
        if !any {
            return Ok(Box::new(EmptyScorer));
        }
        let mut check = ColumnCheck {
            ords: column.ords().clone(),
            accepted,
            terms,
            doc: 0,
            max_doc: reader.max_doc(),
        };
        check.doc = check.next_match(0);
        Ok(Box::new(ConstScorer::new(check, boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("ColumnMatch", 1.0))
        } else {
            Err(TantivyError::InvalidArgument(
                "the document does not match".to_string(),
            ))
        }
    }
}

/// The documents of one segment whose column ordinals include an accepted one, found by
/// checking document after document.
struct ColumnCheck {
    ords: Column<u64>,
    accepted: BitSet,
    terms: u32,
    doc: DocId,
    max_doc: DocId,
}

impl ColumnCheck {
    fn matches(&self, doc: DocId) -> bool {
        self.ords
            .values_for_doc(doc)
            .any(|o| u32::try_from(o).is_ok_and(|o| o < self.terms && self.accepted.contains(o)))
    }

    /// The first matching document from `from` on.
    fn next_match(&self, from: DocId) -> DocId {
        (from..self.max_doc)
            .find(|&d| self.matches(d))
            .unwrap_or(TERMINATED)
    }
}

impl DocSet for ColumnCheck {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.next_match(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc != TERMINATED && target > self.doc {
            self.doc = self.next_match(target);
        }
        self.doc
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target >= self.max_doc {
            self.doc = TERMINATED;
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        if self.matches(target) {
            self.doc = target;
            SeekDangerResult::Found
        } else {
            SeekDangerResult::SeekLowerBound(target + 1)
        }
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    /// Unknown without a scan: as large as the segment, so that an intersection lets the
    /// other clauses lead.
    fn size_hint(&self) -> u32 {
        self.max_doc
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;

    use super::ValueTest;

    #[test]
    fn range_tests_bytes() {
        let t = ValueTest::Range(Bound::Included("b".into()), Bound::Excluded("d".into()));
        assert!(!t.accepts(b"a"));
        assert!(t.accepts(b"b"));
        assert!(t.accepts(b"cz"));
        assert!(!t.accepts(b"d"));
        let one = ValueTest::OneOf(vec!["x".into(), "y".into()]);
        assert!(one.accepts(b"y"));
        assert!(!one.accepts(b"z"));
    }
}
