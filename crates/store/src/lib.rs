//! The source of truth: collections, roles, group memberships, permissions, login
//! sessions, entity fragments, uploaded documents and the job queue/ledger, behind one
//! async trait with two backends.
//!
//! - [`Store`] is the trait the server, workers and CLI use, as `Arc<dyn Store>`;
//! - [`SqliteStore`] keeps everything in one SQLite file (WAL mode, one writer and a pool
//!   of readers on tokio's blocking pool): the embedded, one-machine mode;
//! - [`PgStore`] talks to PostgreSQL through `tokio-postgres` with a `deadpool` pool: the
//!   scaled-out mode, where several API and worker processes share the database. We use
//!   tokio-postgres rather than sqlx because we write our SQL by hand anyway (two dialects,
//!   checked by one test suite), its binary array parameters make the bulk `UNNEST` insert
//!   simple, and it keeps the build small;
//! - [`open`] picks the backend from a URI.
//!
//! What it keeps besides collections, roles and entities:
//! - uploaded documents get integer ids and upsert keys as in Aleph ([`DocumentRow`]);
//! - the job table is the work queue *and* the per-file ledger ([`Job`], [`JobState`]):
//!   workers claim jobs under leases (`FOR UPDATE SKIP LOCKED` on PostgreSQL), an expired
//!   lease returns the job to the queue, failures are kept with their class and message,
//!   and status pages are counted from the same rows ([`StageCounts`]). On PostgreSQL the
//!   queue's times come from the database clock, so workers on machines whose clocks
//!   disagree still agree on when a lease ends.
//!
//! Entities are stored as *fragments*: one JSON document per (collection, entity id,
//! origin), merged with [`ftm::Entity::merge`] when read. A writer (a `_bulk` call, an
//! ingest stage, a mapping) owns its origin and can replace or delete its own fragments
//! without touching what others wrote ([`Store::replace_origin`] swaps all of an origin's
//! fragments in one transaction, for re-ingesting a document). Streams walk the primary key in order with keyset
//! paging, so a collection is never held in memory.
//!
//! Exports ([`Export`]) are files made for a user from a search or a cross-reference;
//! the export row is its own work item, claimed by workers under a lease like a job.
//!
//! An append-only audit log ([`AuditEntry`]) records who read, searched, exported and
//! changed what, and is pruned by age.
//!
//! Entity sets ([`EntitySet`]: lists, diagrams, timelines, bookmarks, profiles) keep judged
//! items; alerts ([`Alert`]) are saved searches, and notifications ([`Notification`]) carry
//! an email outbox.
//!
//! Cross-referencing keeps its proposed pairs, each collection's run with its checkpoint,
//! and users' decisions about pairs ([`XrefMatch`], [`XrefRun`], [`Decision`]).
//!
//! Schema changes are versioned migrations per backend ([`LATEST_VERSION`]), applied on
//! open and by [`Store::migrate`]. Deletes that cascade (a collection, a role) run in one
//! transaction and report what they removed. A large collection is deleted in the
//! background instead: [`Store::retire_collection`] hides it and queues a purge job, and
//! [`Store::purge_collection_batch`] removes its rows a bounded transaction at a time.

mod alerts;
mod audit;
mod collections;
mod documents;
mod entitysets;
mod error;
mod exports;
mod fragments;
mod jobs;
mod mappings;
mod migrations;
mod postgres;
mod purge;
mod roles;
mod secrets;
mod sqlite;
mod store;
mod time;
mod xref;

pub use crate::alerts::{
    Alert, EMAIL_AFTER, MAX_ALERT_QUERY, MAX_EVENT_LEN, NewNotification, Notification,
    NotificationQuery,
};
pub use crate::audit::{
    AuditAction, AuditEntry, AuditQuery, MAX_AUDIT_ADDRESS_LEN, MAX_AUDIT_BATCH,
    MAX_AUDIT_DETAIL_LEN, MAX_AUDIT_TARGET_LEN, NewAuditEntry,
};
pub use crate::collections::{
    Category, Collection, CollectionQuery, CollectionRemoval, CollectionScope, CollectionSort,
    CollectionUpdate, DeleteMode, Frequency, NewCollection,
};
pub use crate::documents::{DocumentRow, MAX_DOCUMENT_KEY_LEN};
pub use crate::entitysets::{
    EntitySet, EntitySetItem, EntitySetQuery, EntitySetType, EntitySetUpdate, Judgement,
    MAX_ENTITYSET_TEXT, NewEntitySet, NewEntitySetItem,
};
pub use crate::error::{Result, StoreError};
pub use crate::exports::{
    EXPORT_LEASE_EXPIRED, Export, ExportContent, ExportOperation, ExportOutcome, ExportStatus,
    MAX_EXPORT_TEXT, NewExport,
};
pub use crate::fragments::{
    BrokenEntity, EntityBatch, EntityFilter, EntityKey, EntityPage, EntityScope, MAX_ENTITY_ID_LEN,
    MAX_ORIGIN_LEN, SkippedFragment, StoredEntity,
};
pub use crate::jobs::{
    Completion, DEFAULT_MAX_ATTEMPTS, Job, JobFilter, JobOutcome, JobState, LEASE_EXPIRED,
    MAX_ERROR_MESSAGE_LEN, MAX_LABEL_LEN, MAX_PATH_LEN, MAX_PAYLOAD_LEN, MAX_STAGE_LEN, NewJob,
    RECENT_WINDOW, Recovery, Stage, StageCounts, retry_backoff,
};
pub use crate::mappings::{
    MAX_MAPPING_JSON, Mapping, MappingQuery, MappingRun, MappingStatus, NewMapping,
};
pub use crate::migrations::{LATEST_VERSION, Migration, PendingMigration, pending};
pub use crate::postgres::PgStore;
pub use crate::purge::{
    BlobRelease, MarkScope, PURGE_MAX_ATTEMPTS, PURGE_STAGE, PurgeStep, PurgeTable, file_hashes,
};
pub use crate::roles::{
    AUTHENTICATED_FOREIGN_ID, Access, AccessSets, GUEST_FOREIGN_ID, NewRole, Permission, Role,
    RoleKind, RoleQuery, RoleRemoval, RoleUpdate, SystemRoles,
};
pub use crate::secrets::{ApiKey, PasswordHash, SessionToken};
pub use crate::sqlite::SqliteStore;
pub use crate::store::{Backend, Page, Store, stream_entities};
pub use crate::time::{Timestamp, now};
pub use crate::xref::{
    Decision, MAX_XREF_ID_LEN, NewDecision, PairJudgement, XrefItem, XrefMatch, XrefQuery, XrefRun,
    XrefRunState,
};

use std::sync::Arc;

/// Open the store a URI names, migrated to the latest schema:
/// `postgres://…` or `postgresql://…` for PostgreSQL; `sqlite:///abs/path.db`,
/// `sqlite://relative.db` or a plain path for SQLite (a directory gets `aleph.db` inside).
pub async fn open(uri: &str) -> Result<Arc<dyn Store>> {
    if uri.starts_with("postgres://") || uri.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::open(uri).await?));
    }
    Ok(Arc::new(SqliteStore::open(sqlite_path(uri)?).await?))
}

/// Open the store a URI names without migrating it, for `aleph upgrade --check`: `None`
/// when a SQLite file does not exist yet (nothing is created).
pub async fn open_unmigrated(uri: &str) -> Result<Option<Arc<dyn Store>>> {
    if uri.starts_with("postgres://") || uri.starts_with("postgresql://") {
        return Ok(Some(Arc::new(PgStore::connect(uri, None).await?)));
    }
    let path = sqlite_path(uri)?;
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(Arc::new(SqliteStore::open_unmigrated(path).await?)))
}

fn sqlite_path(uri: &str) -> Result<std::path::PathBuf> {
    let path = match uri.strip_prefix("sqlite://") {
        Some(rest) => rest,
        None if uri.contains("://") => {
            return Err(StoreError::invalid(format!(
                "unsupported database URI scheme: {uri}"
            )));
        }
        None => uri.strip_prefix("sqlite:").unwrap_or(uri),
    };
    if path.is_empty() {
        return Err(StoreError::invalid("empty database path"));
    }
    let path = std::path::PathBuf::from(path);
    if path.is_dir() {
        return Ok(path.join("aleph.db"));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn sqlite_uris_become_paths() {
        assert_eq!(
            sqlite_path("sqlite:///var/x/aleph.db").unwrap(),
            PathBuf::from("/var/x/aleph.db")
        );
        assert_eq!(
            sqlite_path("data/a.db").unwrap(),
            PathBuf::from("data/a.db")
        );
        assert_eq!(sqlite_path("sqlite://a.db").unwrap(), PathBuf::from("a.db"));
        assert!(sqlite_path("mysql://x").is_err());
        assert!(sqlite_path("").is_err());
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            sqlite_path(dir.path().to_str().unwrap()).unwrap(),
            dir.path().join("aleph.db")
        );
    }
}
