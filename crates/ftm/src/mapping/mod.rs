//! Mappings: structured data (CSV files, SQL tables) into entities, with the semantics of
//! FtM's mapping YAML and `ftm map`.
//!
//! - [`config`]: reading the YAML into typed settings;
//! - [`QueryMapping`]: one query compiled against the model, mapping a [`Record`] to
//!   entities (ids exactly as FtM computes them);
//! - [`record`]: records and the [`RecordSource`] trait that sources implement;
//! - [`csv`]: the CSV file source; [`sql`]: composing the SQL of a database query.
//!
//! This crate does no network or database I/O: URLs and databases are read by the
//! `aleph` command, which hands records to [`QueryMapping::map`].

pub mod config;
pub mod csv;
mod entity;
mod property;
mod query;
pub mod record;
pub mod sql;

use std::fmt;
use std::path::PathBuf;

pub use config::{MappingFile, QueryConfig, SourceSpec};
pub use query::QueryMapping;
pub use record::{Columns, Record, RecordSource, SourceError};

/// A mapping that cannot be loaded or compiled.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid YAML in {path}: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("invalid mapping: {0}")]
    Invalid(String),
}

impl MappingError {
    /// Say where in the mapping the problem is.
    pub(crate) fn context(self, place: &str) -> MappingError {
        match self {
            MappingError::Invalid(message) => MappingError::Invalid(format!("{place}: {message}")),
            other => other,
        }
    }
}

/// Something a mapping dropped while mapping a record (FtM logs the same warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapWarning {
    /// A value that the property's type refused.
    Discarded {
        entity: String,
        property: String,
        value: String,
    },
    /// Every key (or the id column) was empty: the entity was skipped.
    NoId {
        entity: String,
        id_column: Option<String>,
    },
    /// A property marked `required` got no value: the entity was skipped.
    RequiredMissing { entity: String, property: String },
}

impl fmt::Display for MapWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapWarning::Discarded {
                entity,
                property,
                value,
            } => write!(
                f,
                "[{entity}] Discarding unclean value {value:?} for property {property:?}."
            ),
            MapWarning::NoId {
                entity,
                id_column: Some(column),
            } => write!(
                f,
                "[{entity}] Skipping entity because no ID could be computed: the {column:?} \
                 column is empty."
            ),
            MapWarning::NoId { entity, .. } => write!(
                f,
                "[{entity}] Skipping entity because no ID could be computed: every key \
                 column is empty."
            ),
            MapWarning::RequiredMissing { entity, property } => write!(
                f,
                "[{entity}] Skipping entity because required property {property:?} is empty."
            ),
        }
    }
}

#[cfg(test)]
mod tests;
