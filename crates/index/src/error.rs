//! Errors of the search index.

use crate::query::QueryError;

/// What went wrong in the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The request itself is wrong (bad syntax, bad value): the caller's fault, a 400.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A document that cannot be indexed; nothing of its batch was written.
    #[error("cannot index entity {id}: {reason}")]
    InvalidDocument { id: String, reason: String },
    /// The index on disk was built with another field layout and must be rebuilt.
    #[error(
        "the index at {path} has an incompatible layout; `aleph upgrade` (or the next start of \
         `aleph serve`) rebuilds it from the store"
    )]
    IncompatibleLayout { path: String },
    /// The embedded index was written in an older on-disk format this build cannot read.
    #[error(
        "the index at {path} is in on-disk format {found}, this build reads format {current}; \
         `aleph upgrade` (or the next start of `aleph serve`) rebuilds it from the store"
    )]
    OutdatedFormat {
        path: String,
        found: String,
        current: u32,
    },
    #[error("search engine error: {0}")]
    Engine(String),
    #[error("stored document is unreadable: {0}")]
    Corrupt(String),
    #[error("index I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A setting of the index (shards, replicas) that cannot be used.
    #[error("invalid index setting: {0}")]
    Setting(String),
    /// A background task panicked or was cancelled.
    #[error("index task failed: {0}")]
    Task(String),
}

impl IndexError {
    /// Whether the error is the caller's (a 4xx) rather than the system's.
    pub fn is_client_error(&self) -> bool {
        matches!(self, IndexError::Query(_))
    }
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> IndexError {
        IndexError::Engine(e.to_string())
    }
}

impl From<tokio::task::JoinError> for IndexError {
    fn from(e: tokio::task::JoinError) -> IndexError {
        IndexError::Task(e.to_string())
    }
}
