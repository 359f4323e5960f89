//! The one error type of the store, classified by what a caller does about it.

/// What went wrong in the store. The API maps `NotFound` to 404, `Conflict` and `Invalid`
/// to 400, `Unavailable` to 503 and the rest to 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (or is soft-deleted).
    #[error("{what} not found: {key}")]
    NotFound { what: &'static str, key: String },
    /// A uniqueness rule refused the write (a live collection's foreign_id, a user's email).
    #[error("{what} already exists: {key}")]
    Conflict { what: &'static str, key: String },
    /// The request itself is wrong (an entity without id, write access for the guest role…).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database cannot be reached or is busy; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data cannot be read back (for example a fragment whose schema left the model).
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    /// Anything else the database reported.
    #[error("database error: {0}")]
    Backend(String),
}

/// Results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn not_found(what: &'static str, key: impl ToString) -> StoreError {
        StoreError::NotFound {
            what,
            key: key.to_string(),
        }
    }

    pub(crate) fn conflict(what: &'static str, key: impl ToString) -> StoreError {
        StoreError::Conflict {
            what,
            key: key.to_string(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> StoreError {
        StoreError::Invalid(message.into())
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<tokio::task::JoinError> for StoreError {
    fn from(e: tokio::task::JoinError) -> Self {
        StoreError::Backend(format!("database task failed: {e}"))
    }
}
