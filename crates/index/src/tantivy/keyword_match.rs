//! Wildcard, regular-expression and fuzzy matching over the values of a keyword field or of
//! one path of the `properties` JSON field.
//!
//! Tantivy's automaton queries work on whole terms of a plain field; for a JSON path the
//! terms carry the path as a prefix. This query walks the term dictionary of one field (or
//! the range of one path), tests each value with an ordinary matcher and unites the postings.

use std::fmt;
use std::sync::Arc;

use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TantivyError};

use crate::highlight::within_edits;

/// How a value is tested.
pub enum Matcher {
    /// A regular expression that must match the whole value.
    Regex(regex::Regex),
    /// At most `edits` edits away from `word`.
    Fuzzy { word: String, edits: usize },
}

impl Matcher {
    pub(crate) fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Regex(re) => re.is_match(value),
            Matcher::Fuzzy { word, edits } => within_edits(word, value, *edits),
        }
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Regex(re) => write!(f, "Regex({})", re.as_str()),
            Matcher::Fuzzy { word, edits } => write!(f, "Fuzzy({word}~{edits})"),
        }
    }
}

/// Documents with a value of `field` (after the byte `prefix`, for a JSON path) that the
/// matcher accepts.
#[derive(Clone, Debug)]
pub struct KeywordMatchQuery {
    field: Field,
    prefix: Vec<u8>,
    matcher: Arc<Matcher>,
}

impl KeywordMatchQuery {
    pub fn new(field: Field, prefix: Vec<u8>, matcher: Arc<Matcher>) -> KeywordMatchQuery {
        KeywordMatchQuery {
            field,
            prefix,
            matcher,
        }
    }
}

impl Query for KeywordMatchQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(KeywordMatchWeight {
            query: self.clone(),
        }))
    }
}

struct KeywordMatchWeight {
    query: KeywordMatchQuery,
}

/// The smallest byte string greater than every string that starts with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl Weight for KeywordMatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let q = &self.query;
        let mut docs = BitSet::with_max_value(reader.max_doc());
        let inverted = reader.inverted_index(q.field)?;
        let dict = inverted.terms();
        let mut builder = dict.range();
        if !q.prefix.is_empty() {
            builder = builder.ge(&q.prefix);
            if let Some(end) = prefix_end(&q.prefix) {
                builder = builder.lt(end);
            }
        }
        let mut stream = builder.into_stream()?;
        while stream.advance() {
            let Some(value) = stream.key().get(q.prefix.len()..) else {
                continue;
            };
            let Ok(value) = std::str::from_utf8(value) else {
                continue;
            };
            if !q.matcher.matches(value) {
                continue;
            }
            let mut postings = inverted
                .read_block_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?;
            loop {
                let block = postings.docs();
                if block.is_empty() {
                    break;
                }
                for &doc in block {
                    docs.insert(doc);
                }
                postings.advance();
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("KeywordMatch", 1.0))
        } else {
            Err(TantivyError::InvalidArgument(
                "the document does not match".to_string(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 255]), Some(vec![2]));
        assert_eq!(prefix_end(&[255, 255]), None);
    }
}
