//! Which collections a search may see.

use std::collections::BTreeSet;

/// The collections a caller may read. Every search, count, facet and stream takes one, so
/// no read can forget permissions: the scope is applied inside the query, and an entity
/// outside it cannot show up in hits, totals or facet counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadScope {
    /// Every collection (administrators, internal jobs).
    All,
    /// Only these collections; an empty set matches nothing.
    Collections(BTreeSet<i64>),
}

impl ReadScope {
    /// A scope of the given collections.
    pub fn collections(ids: impl IntoIterator<Item = i64>) -> ReadScope {
        ReadScope::Collections(ids.into_iter().collect())
    }

    /// Whether entities of `collection_id` are visible.
    pub fn can_read(&self, collection_id: i64) -> bool {
        match self {
            ReadScope::All => true,
            ReadScope::Collections(ids) => ids.contains(&collection_id),
        }
    }

    /// Whether nothing at all is visible.
    pub fn is_empty(&self) -> bool {
        matches!(self, ReadScope::Collections(ids) if ids.is_empty())
    }
}
