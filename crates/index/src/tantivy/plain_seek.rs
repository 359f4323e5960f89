//! A wrapper that keeps Tantivy's phrase scorers off the `seek_danger` path.
//!
//! Tantivy 0.27's phrase scorer asserts (in debug builds) that a `seek_danger` target is
//! not behind its current document, but an exclusion (`-"a b"`, or `-1-1`, which is the
//! phrase "1 1") asks it about earlier documents once it has run to its end: debug builds
//! panicked on such a query as soon as a document held the words. The wrapped scorer
//! answers `seek_danger` with the trait's default (seek only forwards, then compare),
//! which is also what every scorer without a shortcut does; release results are the same.

use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::Term;
use tantivy::{DocId, DocSet, Score, SegmentReader};

/// `inner`, searched without the phrase scorers' `seek_danger` shortcut.
#[derive(Debug, Clone)]
pub struct PlainSeekQuery(Arc<dyn Query>);

impl PlainSeekQuery {
    pub fn new(inner: impl Query) -> PlainSeekQuery {
        PlainSeekQuery(Arc::new(inner))
    }
}

impl Query for PlainSeekQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PlainSeekWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor)
    }
}

struct PlainSeekWeight(Box<dyn Weight>);

impl Weight for PlainSeekWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(PlainSeekScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.0.count(reader)
    }
}

/// Forwards everything but `seek_danger`, which stays the trait's default.
struct PlainSeekScorer(Box<dyn Scorer>);

impl DocSet for PlainSeekScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for PlainSeekScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
