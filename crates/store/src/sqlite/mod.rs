//! The SQLite backend: one database file, WAL mode, one writer connection and a small
//! pool of readers, all driven from tokio's blocking pool.
//!
//! Writes are serialised through the writer (SQLite allows one writer at a time anyway)
//! and run in `BEGIN IMMEDIATE` transactions, so several processes sharing the file queue
//! on the lock (with a busy timeout) instead of failing half-way. Readers see the last
//! committed state and are never blocked by a running write.

mod alerts;
mod audit;
mod collections;
mod documents;
mod entities;
mod entitysets;
mod exports;
mod jobs;
mod mappings;
mod paging;
mod purge;
mod roles;
mod schema;
mod xref;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use ftm::Entity;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use crate::fragments::prepare_batch;
use crate::jobs::{check_worker, lease_micros, prepare_jobs, stage_names};
use crate::time::{from_micros, now};
use crate::{
    Access, AccessSets, ApiKey, AuditEntry, AuditQuery, Backend, Collection, CollectionQuery,
    CollectionRemoval, CollectionUpdate, Completion, DeleteMode, DocumentRow, EntityBatch,
    EntityFilter, EntityKey, EntityPage, Job, JobFilter, JobOutcome, Migration, NewAuditEntry,
    NewCollection, NewJob, NewRole, Page, Permission, Recovery, Result, Role, RoleQuery,
    RoleRemoval, RoleUpdate, SessionToken, StageCounts, Store, StoreError, StoredEntity,
    SystemRoles, Timestamp,
};
use crate::{Decision, NewDecision, XrefItem, XrefMatch, XrefQuery, XrefRun};

/// Readers kept open between calls; more are opened when busy and closed afterwards.
const IDLE_READERS: usize = 4;
/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    system: OnceLock<SystemRoles>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl SqliteStore {
    /// Open (creating if needed) the database file and migrate it to the latest schema.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let store = SqliteStore::open_unmigrated(path).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Open the database file without migrating it, for upgrade tooling and tests of the
    /// migrations. Most methods need the latest schema.
    pub async fn open_unmigrated(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let inner = tokio::task::spawn_blocking(move || -> Result<Inner> {
            if let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let writer = open_writer(&path)?;
            Ok(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                system: OnceLock::new(),
            })
        })
        .await??;
        Ok(SqliteStore {
            inner: Arc::new(inner),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Run `f` on a reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let idle = lock(&inner.readers).pop();
            let conn = match idle {
                Some(c) => c,
                None => open_reader(&inner.path)?,
            };
            let out = f(&conn);
            let mut idle = lock(&inner.readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
            out
        })
        .await?
    }

    /// Run `f` in one immediate transaction on the writer, committing if it succeeds.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.writer);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await?
    }
}

/// A poisoned lock only means another call panicked; the connection inside is still
/// usable (its transaction was rolled back when dropped).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn open_writer(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    keep_plans(&conn)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -65536;",
    )?;
    map_file(&conn)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    keep_plans(&conn)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -16384;")?;
    map_file(&conn)?;
    Ok(conn)
}

/// Statements kept prepared per connection: more than the distinct statements one
/// connection runs (the claim, completion and fragment writes of a worker alone are about
/// twenty), so a cached statement is never evicted and compiled again.
const STATEMENT_CACHE: usize = 128;

/// Keep each cached statement's query plan. By default SQLite marks a statement for
/// recompilation whenever a parameter whose value its planner looked at is bound to a new
/// value (a bound `LIMIT`, a column compared with a partial index's condition), and every
/// statement once on its first binding: a claim, a fragment read and a completion were
/// parsed and planned again on nearly every call (`sqlite3Reprepare`, ~4 % of a worker's
/// CPU on small files). With the query planner stability guarantee the plan depends on
/// the SQL text alone; our statements spell the conditions their partial indexes need as
/// literals (`state = 'queued'`), so no plan gets worse.
fn keep_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Read the database file through a memory map. When another process (the server and
/// `aleph worker` share the file) has written, SQLite drops its page cache and reads
/// every page it needs again; with a map those reads are page-table lookups instead of
/// one `pread` system call per page (hundreds per ingested file without it).
fn map_file(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA mmap_size = 1073741824;")?;
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::CannotOpen
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure => StoreError::Unavailable(e.to_string()),
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    StoreError::Corrupt(e.to_string())
                }
                _ => StoreError::Backend(e.to_string()),
            },
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

pub(crate) fn time(us: i64) -> Result<Timestamp> {
    from_micros(us)
}

pub(crate) fn opt_time(us: Option<i64>) -> Result<Option<Timestamp>> {
    us.map(from_micros).transpose()
}

/// Id sets are passed to SQLite as one JSON array and read with `json_each`, which keeps
/// the statement the same (and cached) whatever the number of ids.
pub(crate) fn ids_json(ids: &[i64]) -> String {
    let mut s = String::with_capacity(ids.len() * 4 + 2);
    s.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn schema_version(&self) -> Result<u32> {
        self.read(schema::version).await
    }

    async fn migrate_to(&self, version: u32) -> Result<Migration> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || schema::migrate_to(&mut lock(&inner.writer), version))
            .await?
    }

    async fn system_roles(&self) -> Result<SystemRoles> {
        if let Some(s) = self.inner.system.get() {
            return Ok(*s);
        }
        let s = self.read(schema::system_roles).await?;
        Ok(*self.inner.system.get_or_init(|| s))
    }

    async fn create_collection(&self, new: NewCollection) -> Result<Collection> {
        let new = new.validated()?;
        self.write(move |c| collections::create(c, new, now()))
            .await
    }

    async fn collection(&self, id: i64) -> Result<Collection> {
        self.read(move |c| collections::get(c, id, false)).await
    }

    async fn collection_by_foreign_id(&self, foreign_id: &str) -> Result<Collection> {
        let fid = foreign_id.to_string();
        self.read(move |c| collections::by_foreign_id(c, &fid))
            .await
    }

    async fn list_collections(&self, query: &CollectionQuery) -> Result<Page<Collection>> {
        let q = query.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            collections::list(&tx, &q)
        })
        .await
    }

    async fn update_collection(&self, id: i64, update: CollectionUpdate) -> Result<Collection> {
        self.write(move |c| collections::update(c, id, update, now()))
            .await
    }

    async fn touch_collection(&self, id: i64) -> Result<Collection> {
        self.write(move |c| {
            collections::touch(c, id, now())?;
            collections::get(c, id, false)
        })
        .await
    }

    async fn delete_collection(&self, id: i64, mode: DeleteMode) -> Result<CollectionRemoval> {
        self.write(move |c| collections::delete(c, id, mode, now()))
            .await
    }

    async fn retire_collection(&self, id: i64, deleted_by: Option<i64>) -> Result<i64> {
        self.write(move |c| purge::retire(c, id, deleted_by, now()))
            .await
    }

    async fn purge_collection_batch(
        &self,
        id: i64,
        purge_job: i64,
        limit: u32,
    ) -> Result<crate::PurgeStep> {
        self.write(move |c| purge::batch(c, id, purge_job, limit))
            .await
    }

    async fn deleted_collection_ids(&self) -> Result<Vec<i64>> {
        self.read(|c| purge::collection_ids(c, true)).await
    }

    async fn live_collection_ids(&self) -> Result<Vec<i64>> {
        self.read(|c| purge::collection_ids(c, false)).await
    }

    async fn release_collection_blobs(&self, id: i64, limit: u32) -> Result<crate::BlobRelease> {
        self.write(move |c| purge::release(c, id, limit, now()))
            .await
    }

    async fn release_export(&self, id: i64) -> Result<Option<String>> {
        self.write(move |c| purge::release_export(c, id, now()))
            .await
    }

    async fn blob_deletions(&self, scope: crate::MarkScope, limit: u32) -> Result<Vec<String>> {
        self.read(move |c| purge::marks(c, scope, limit)).await
    }

    async fn confirm_blob_deletions(&self, hashes: &[String]) -> Result<Vec<String>> {
        let hashes = hashes.to_vec();
        self.write(move |c| purge::confirm(c, &hashes)).await
    }

    async fn forget_blob_deletions(&self, hashes: &[String]) -> Result<()> {
        let hashes = hashes.to_vec();
        self.write(move |c| purge::forget(c, &hashes)).await
    }

    async fn blob_deletion_pending(&self, hash: &str) -> Result<bool> {
        let hash = hash.to_string();
        self.read(move |c| purge::marked(c, &hash)).await
    }

    async fn create_role(&self, new: NewRole) -> Result<Role> {
        let new = new.validated()?;
        self.write(move |c| roles::create(c, new, now())).await
    }

    async fn role(&self, id: i64) -> Result<Role> {
        self.read(move |c| roles::get(c, id)).await
    }

    async fn role_by_foreign_id(&self, foreign_id: &str) -> Result<Role> {
        let fid = foreign_id.to_string();
        self.read(move |c| roles::by_foreign_id(c, &fid)).await
    }

    async fn role_by_email(&self, email: &str) -> Result<Role> {
        let email = email.to_string();
        self.read(move |c| roles::by_email(c, &email)).await
    }

    async fn role_by_api_key(&self, api_key: &str) -> Result<Option<Role>> {
        let key = api_key.to_string();
        self.read(move |c| roles::by_api_key(c, &key, now())).await
    }

    async fn list_roles(&self, query: &RoleQuery) -> Result<Page<Role>> {
        let q = query.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            roles::list(&tx, &q)
        })
        .await
    }

    async fn update_role(&self, id: i64, update: RoleUpdate) -> Result<Role> {
        self.write(move |c| roles::update(c, id, update, now()))
            .await
    }

    async fn set_role_blocked(&self, id: i64, blocked: bool) -> Result<Role> {
        self.write(move |c| roles::set_blocked(c, id, blocked, now()))
            .await
    }

    async fn record_login(&self, id: i64) -> Result<()> {
        self.write(move |c| roles::record_login(c, id, now())).await
    }

    async fn reset_api_key(&self, id: i64, expires_at: Option<Timestamp>) -> Result<ApiKey> {
        let key = ApiKey::generate()?;
        self.write(move |c| {
            roles::set_api_key(c, id, Some(&key), expires_at, now())?;
            Ok(key)
        })
        .await
    }

    async fn revoke_api_key(&self, id: i64) -> Result<()> {
        self.write(move |c| roles::set_api_key(c, id, None, None, now()))
            .await
    }

    async fn delete_role(&self, id: i64) -> Result<RoleRemoval> {
        self.write(move |c| roles::delete(c, id)).await
    }

    async fn add_member(&self, group_id: i64, member_id: i64) -> Result<()> {
        self.write(move |c| roles::add_member(c, group_id, member_id, now()))
            .await
    }

    async fn remove_member(&self, group_id: i64, member_id: i64) -> Result<bool> {
        self.write(move |c| roles::remove_member(c, group_id, member_id))
            .await
    }

    async fn groups_of(&self, member_id: i64) -> Result<Vec<Role>> {
        self.read(move |c| roles::groups_of(c, member_id)).await
    }

    async fn members_of(&self, group_id: i64) -> Result<Vec<Role>> {
        self.read(move |c| roles::members_of(c, group_id)).await
    }

    async fn set_permission(&self, collection_id: i64, role_id: i64, access: Access) -> Result<()> {
        self.write(move |c| collections::set_permission(c, collection_id, role_id, access, now()))
            .await
    }

    async fn permissions(&self, collection_id: i64) -> Result<Vec<Permission>> {
        self.read(move |c| collections::permissions(c, collection_id))
            .await
    }

    async fn access_sets(&self, role_ids: &[i64]) -> Result<AccessSets> {
        let ids = role_ids.to_vec();
        self.read(move |c| collections::access_sets(c, &ids)).await
    }

    async fn create_session(&self, role_id: i64, expires_at: Timestamp) -> Result<SessionToken> {
        self.write(move |c| roles::create_session(c, role_id, expires_at, now()))
            .await
    }

    async fn resolve_session(&self, token: &str) -> Result<Option<Role>> {
        let token = token.to_string();
        self.read(move |c| roles::resolve_session(c, &token, now()))
            .await
    }

    async fn delete_session(&self, token: &str) -> Result<bool> {
        let token = token.to_string();
        self.write(move |c| roles::delete_session(c, &token)).await
    }

    async fn delete_expired_sessions(&self) -> Result<u64> {
        self.write(|c| roles::delete_expired_sessions(c, now()))
            .await
    }

    async fn put_fragments(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
    ) -> Result<usize> {
        let rows = prepare_batch(origin, entities)?;
        let origin = origin.to_string();
        self.write(move |c| entities::put(c, collection_id, &origin, &rows, now()))
            .await
    }

    async fn entity(&self, collection_id: i64, entity_id: &str) -> Result<Option<StoredEntity>> {
        let id = entity_id.to_string();
        let batch = self
            .read(move |c| entities::get_one(c, collection_id, &id))
            .await?;
        crate::fragments::single(batch)
    }

    async fn entities(&self, collection_id: i64, entity_ids: &[String]) -> Result<EntityBatch> {
        let ids = entity_ids.to_vec();
        self.read(move |c| entities::get_many(c, collection_id, &ids))
            .await
    }

    async fn delete_entity(&self, collection_id: i64, entity_id: &str) -> Result<u64> {
        let id = entity_id.to_string();
        self.write(move |c| entities::delete_entity(c, collection_id, &id, now()))
            .await
    }

    async fn delete_origin(&self, collection_id: i64, origin: &str) -> Result<u64> {
        let origin = origin.to_string();
        self.write(move |c| entities::delete_origin(c, collection_id, &origin, now()))
            .await
    }

    async fn count_entities(&self, collection_id: i64) -> Result<u64> {
        self.read(move |c| entities::count(c, collection_id)).await
    }

    async fn entity_page(
        &self,
        filter: EntityFilter,
        after: Option<&EntityKey>,
        limit: u32,
    ) -> Result<EntityPage> {
        let after = after.cloned();
        self.read(move |c| entities::page(c, filter, after.as_ref(), limit))
            .await
    }

    async fn replace_origin(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
    ) -> Result<usize> {
        let rows = prepare_batch(origin, entities)?;
        let origin = origin.to_string();
        self.write(move |c| entities::replace_origin(c, collection_id, &origin, &rows, now()))
            .await
    }

    async fn replace_origins(
        &self,
        collection_id: i64,
        origins: &[(String, Vec<Entity>)],
    ) -> Result<usize> {
        let batches = crate::fragments::prepare_origins(origins)?;
        self.write(move |c| {
            let mut written = 0;
            let now = now();
            for (origin, rows) in &batches {
                written += entities::replace_origin(c, collection_id, origin, rows, now)?;
            }
            Ok(written)
        })
        .await
    }

    async fn origin_entity_ids(&self, collection_id: i64, origin: &str) -> Result<Vec<String>> {
        let origin = origin.to_string();
        self.read(move |c| entities::origin_entity_ids(c, collection_id, &origin))
            .await
    }

    async fn upsert_document(
        &self,
        collection_id: i64,
        parent_id: Option<i64>,
        foreign_id: Option<&str>,
        content_hash: Option<&str>,
    ) -> Result<(i64, bool)> {
        let fid = foreign_id.map(str::to_string);
        let hash = content_hash.map(str::to_string);
        self.write(move |c| {
            documents::upsert(
                c,
                collection_id,
                parent_id,
                fid.as_deref(),
                hash.as_deref(),
                now(),
            )
        })
        .await
    }

    async fn document(&self, collection_id: i64, id: i64) -> Result<Option<DocumentRow>> {
        self.read(move |c| documents::get(c, collection_id, id))
            .await
    }

    async fn create_entityset(&self, new: crate::NewEntitySet) -> Result<crate::EntitySet> {
        let new = new.validated()?;
        self.write(move |c| entitysets::create(c, new, now())).await
    }

    async fn entityset(&self, id: i64) -> Result<crate::EntitySet> {
        self.read(move |c| entitysets::get(c, id)).await
    }

    async fn list_entitysets(
        &self,
        query: &crate::EntitySetQuery,
    ) -> Result<Page<crate::EntitySet>> {
        let q = query.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            entitysets::list(&tx, &q)
        })
        .await
    }

    async fn update_entityset(
        &self,
        id: i64,
        update: crate::EntitySetUpdate,
    ) -> Result<crate::EntitySet> {
        self.write(move |c| entitysets::update(c, id, update, now()))
            .await
    }

    async fn delete_entityset(&self, id: i64) -> Result<()> {
        self.write(move |c| entitysets::delete(c, id)).await
    }

    async fn entityset_items(
        &self,
        id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::EntitySetItem>> {
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            entitysets::items(&tx, id, limit, offset)
        })
        .await
    }

    async fn entitysets_holding(
        &self,
        collection_id: i64,
        entity_id: &str,
        kind: crate::EntitySetType,
        judgement: crate::Judgement,
    ) -> Result<Vec<crate::EntitySet>> {
        let entity_id = entity_id.to_string();
        self.read(move |c| entitysets::holding(c, collection_id, &entity_id, kind, judgement))
            .await
    }

    async fn judge_entityset_item(
        &self,
        id: i64,
        item: crate::NewEntitySetItem,
    ) -> Result<Option<crate::EntitySetItem>> {
        let item = item.validated()?;
        self.write(move |c| entitysets::judge(c, id, item, now()))
            .await
    }

    async fn create_mapping(&self, new: crate::NewMapping) -> Result<crate::Mapping> {
        let new = new.validated()?;
        self.write(move |c| mappings::create(c, new, now())).await
    }

    async fn mapping(&self, id: i64) -> Result<crate::Mapping> {
        self.read(move |c| mappings::get(c, id)).await
    }

    async fn list_mappings(&self, query: &crate::MappingQuery) -> Result<Page<crate::Mapping>> {
        let query = query.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            mappings::list(&tx, &query)
        })
        .await
    }

    async fn update_mapping(&self, id: i64, change: crate::NewMapping) -> Result<crate::Mapping> {
        let change = change.validated()?;
        self.write(move |c| mappings::update(c, id, change, now()))
            .await
    }

    async fn delete_mapping(&self, id: i64) -> Result<()> {
        self.write(move |c| mappings::delete(c, id)).await
    }

    async fn set_mapping_run(&self, id: i64, run: crate::MappingRun) -> Result<()> {
        let run = run.validated()?;
        self.write(move |c| mappings::set_run(c, id, &run, now()))
            .await
    }

    async fn create_alert(&self, role_id: i64, query: &str) -> Result<crate::Alert> {
        let query = crate::alerts::alert_query(query)?;
        self.write(move |c| alerts::create(c, role_id, &query, now()))
            .await
    }

    async fn alert(&self, id: i64) -> Result<crate::Alert> {
        self.read(move |c| alerts::get(c, id)).await
    }

    async fn list_alerts(
        &self,
        role_id: Option<i64>,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::Alert>> {
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            alerts::list(&tx, role_id, limit, offset)
        })
        .await
    }

    async fn delete_alert(&self, id: i64) -> Result<()> {
        self.write(move |c| alerts::delete(c, id)).await
    }

    async fn notify(&self, notifications: &[crate::NewNotification]) -> Result<u64> {
        if notifications.is_empty() {
            return Ok(0);
        }
        let items = notifications
            .iter()
            .cloned()
            .map(crate::NewNotification::validated)
            .collect::<Result<Vec<_>>>()?;
        self.write(move |c| alerts::notify(c, &items, now())).await
    }

    async fn list_notifications(
        &self,
        query: &crate::NotificationQuery,
    ) -> Result<Page<crate::Notification>> {
        let q = query.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            alerts::list_notifications(&tx, &q)
        })
        .await
    }

    async fn mark_notifications_read(&self, role_id: i64, ids: Option<&[i64]>) -> Result<u64> {
        let ids = ids.map(<[i64]>::to_vec);
        self.write(move |c| alerts::mark_read(c, role_id, ids.as_deref(), now()))
            .await
    }

    async fn fold_notification(&self, id: i64) -> Result<bool> {
        self.write(move |c| alerts::fold(c, id)).await
    }

    async fn rearm_notification_email(
        &self,
        id: i64,
        params: serde_json::Map<String, serde_json::Value>,
        not_before: Timestamp,
    ) -> Result<bool> {
        self.write(move |c| alerts::rearm_email(c, id, params, not_before))
            .await
    }

    async fn pending_emails(&self, limit: u32) -> Result<Vec<crate::Notification>> {
        self.read(move |c| alerts::pending_emails(c, limit)).await
    }

    async fn emails_done(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids.to_vec();
        self.write(move |c| alerts::emails_done(c, &ids)).await
    }

    async fn create_export(&self, new: crate::NewExport) -> Result<crate::Export> {
        let new = new.validated()?;
        self.write(move |c| exports::create(c, &new, now())).await
    }

    async fn export(&self, id: i64) -> Result<crate::Export> {
        self.read(move |c| exports::get(c, id)).await
    }

    async fn list_exports(
        &self,
        creator_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::Export>> {
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            exports::list(&tx, creator_id, limit, offset)
        })
        .await
    }

    async fn claim_exports(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<crate::Export>> {
        let lease_us = crate::exports::check_lease(worker, lease)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let worker = worker.to_string();
        self.write(move |c| exports::claim(c, &worker, limit, lease_us, now()))
            .await
    }

    async fn heartbeat_exports(
        &self,
        worker: &str,
        ids: &[i64],
        lease: Duration,
    ) -> Result<Vec<i64>> {
        let lease_us = crate::exports::check_lease(worker, lease)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (worker, ids) = (worker.to_string(), ids.to_vec());
        self.write(move |c| exports::heartbeat(c, &worker, &ids, lease_us, now()))
            .await
    }

    async fn finish_export(
        &self,
        worker: &str,
        id: i64,
        outcome: crate::ExportOutcome,
    ) -> Result<Option<crate::Export>> {
        let worker = worker.to_string();
        self.write(move |c| exports::finish(c, &worker, id, &outcome, now()))
            .await
    }

    async fn expired_exports(&self, at: Timestamp, limit: u32) -> Result<Vec<crate::Export>> {
        self.read(move |c| exports::expired(c, at, limit)).await
    }

    async fn delete_export(&self, id: i64) -> Result<bool> {
        self.write(move |c| exports::delete(c, id, now())).await
    }

    async fn export_counts(&self, collection_id: i64) -> Result<(u64, u64)> {
        self.read(move |c| exports::counts(c, collection_id, now()))
            .await
    }

    async fn enqueue(&self, jobs: &[NewJob]) -> Result<Vec<i64>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        // Duplicates within the batch meet the dedup index one after the other, as
        // separate calls would; folding them first keeps the statement simple.
        let (distinct, slots) = prepare_jobs(jobs)?;
        let ids = self
            .write(move |c| jobs::enqueue(c, &distinct, now()))
            .await?;
        Ok(slots.into_iter().map(|i| ids[i]).collect())
    }

    async fn put_fragments_and_enqueue(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
        jobs: &[NewJob],
    ) -> Result<Vec<i64>> {
        let rows = prepare_batch(origin, entities)?;
        let (distinct, slots) = prepare_jobs(jobs)?;
        let origin = origin.to_string();
        let ids = self
            .write(move |c| {
                let now = now();
                entities::put(c, collection_id, &origin, &rows, now)?;
                jobs::enqueue(c, &distinct, now)
            })
            .await?;
        Ok(slots.into_iter().map(|i| ids[i]).collect())
    }

    async fn claim(
        &self,
        worker: &str,
        stages: &[&str],
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>> {
        check_worker(worker)?;
        let lease_us = lease_micros(lease)?;
        let stages = stage_names(stages)?;
        let worker = worker.to_string();
        self.write(move |c| {
            let now = now();
            jobs::recover(c, now)?;
            if stages.is_empty() || limit == 0 {
                return Ok(Vec::new());
            }
            jobs::claim(c, &worker, &stages, limit, lease_us, now)
        })
        .await
    }

    async fn recover_expired(&self) -> Result<Recovery> {
        self.write(|c| jobs::recover(c, now())).await
    }

    async fn heartbeat(&self, worker: &str, job_ids: &[i64], lease: Duration) -> Result<Vec<i64>> {
        check_worker(worker)?;
        let lease_us = lease_micros(lease)?;
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        let worker = worker.to_string();
        let ids = job_ids.to_vec();
        self.write(move |c| jobs::heartbeat(c, &worker, &ids, lease_us, now()))
            .await
    }

    async fn complete(&self, worker: &str, job_id: i64, outcome: JobOutcome) -> Result<Completion> {
        check_worker(worker)?;
        let worker = worker.to_string();
        self.write(move |c| jobs::complete(c, &worker, job_id, &outcome, &[], now()))
            .await
    }

    async fn complete_with(
        &self,
        worker: &str,
        job_id: i64,
        outcome: JobOutcome,
        next: &[NewJob],
    ) -> Result<Completion> {
        check_worker(worker)?;
        let (distinct, _) = prepare_jobs(next)?;
        let worker = worker.to_string();
        self.write(move |c| jobs::complete(c, &worker, job_id, &outcome, &distinct, now()))
            .await
    }

    async fn complete_replacing(
        &self,
        worker: &str,
        job_id: i64,
        outcome: JobOutcome,
        next: &[NewJob],
        collection_id: i64,
        origins: &[(String, Vec<Entity>)],
    ) -> Result<Completion> {
        check_worker(worker)?;
        let (distinct, _) = prepare_jobs(next)?;
        let batches = crate::fragments::prepare_origins(origins)?;
        let worker = worker.to_string();
        self.write(move |c| {
            let now = now();
            let done = jobs::complete(c, &worker, job_id, &outcome, &distinct, now)?;
            if matches!(done, Completion::Recorded(_)) {
                for (origin, rows) in &batches {
                    entities::replace_origin(c, collection_id, origin, rows, now)?;
                }
            }
            Ok(done)
        })
        .await
    }

    async fn complete_many(
        &self,
        worker: &str,
        outcomes: &[(i64, JobOutcome)],
    ) -> Result<Vec<Completion>> {
        check_worker(worker)?;
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let worker = worker.to_string();
        let outcomes = outcomes.to_vec();
        self.write(move |c| {
            let now = now();
            outcomes
                .iter()
                .map(|(id, outcome)| jobs::complete(c, &worker, *id, outcome, &[], now))
                .collect()
        })
        .await
    }

    async fn cancel_jobs(&self, collection_id: i64, stage: Option<&str>) -> Result<u64> {
        let stage = stage
            .map(|s| crate::jobs::check_stage(s).map(|()| s.to_string()))
            .transpose()?;
        self.write(move |c| jobs::cancel(c, collection_id, stage.as_deref(), now()))
            .await
    }

    async fn job_counts(&self, collection_id: Option<i64>) -> Result<Vec<StageCounts>> {
        self.read(move |c| jobs::counts(c, collection_id, now()))
            .await
    }

    async fn list_jobs(&self, filter: &JobFilter) -> Result<Page<Job>> {
        let filter = filter.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            jobs::list(&tx, &filter)
        })
        .await
    }

    async fn retry_jobs(&self, filter: &JobFilter) -> Result<u64> {
        let filter = filter.clone();
        self.write(move |c| jobs::retry(c, &filter, now())).await
    }

    async fn job(&self, id: i64) -> Result<Job> {
        self.read(move |c| jobs::get(c, id)).await
    }

    async fn begin_xref_run(&self, run: &XrefRun, clear: bool) -> Result<u64> {
        let run = run.clone();
        self.write(move |c| xref::begin_run(c, &run, clear)).await
    }

    async fn save_xref_batch(&self, run: &XrefRun, matches: &[XrefMatch]) -> Result<u64> {
        let (run, matches) = (run.clone(), matches.to_vec());
        self.write(move |c| xref::save_batch(c, &run, &matches))
            .await
    }

    async fn xref_run(&self, collection_id: i64) -> Result<Option<XrefRun>> {
        self.read(move |c| xref::run(c, collection_id)).await
    }

    async fn xref_matches(&self, query: &XrefQuery) -> Result<Page<XrefItem>> {
        let query = query.clone();
        self.read(move |c| xref::list(c, &query)).await
    }

    async fn decide(&self, decision: &NewDecision) -> Result<Option<Decision>> {
        let decision = decision.clone();
        self.write(move |c| xref::decide(c, &decision, now())).await
    }

    async fn decisions(&self, collection_id: i64, entity_id: &str) -> Result<Vec<Decision>> {
        let entity_id = entity_id.to_string();
        self.read(move |c| xref::decisions(c, collection_id, &entity_id))
            .await
    }

    async fn profile_decisions(&self, profile_id: &str) -> Result<Vec<Decision>> {
        let profile_id = profile_id.to_string();
        self.read(move |c| xref::profile(c, &profile_id)).await
    }

    async fn record_audit(&self, entries: &[NewAuditEntry]) -> Result<()> {
        crate::audit::check_batch(entries)?;
        if entries.is_empty() {
            return Ok(());
        }
        let entries = entries.to_vec();
        self.write(move |c| audit::record(c, &entries)).await
    }

    async fn audit_log(&self, query: &AuditQuery) -> Result<Page<AuditEntry>> {
        let q = query.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            audit::list(&tx, &q)
        })
        .await
    }

    async fn prune_audit(&self, before: Timestamp) -> Result<u64> {
        self.write(move |c| audit::prune(c, before)).await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{StatementStatus, params};

    use super::*;

    /// Runs the claim's candidate query with changing stages, times and limits and
    /// returns how often SQLite compiled it again, and its plan.
    fn claim_recompiles(conn: &Connection) -> Result<(i32, Vec<String>)> {
        let mut stmt = conn.prepare_cached(jobs::CLAIM_CANDIDATES)?;
        for (stage, ts, limit) in [("process", 5, 1), ("index", 6, 2), ("process", 7, 500)] {
            let mut rows = stmt.query(params![stage, ts, limit])?;
            while rows.next()?.is_some() {}
        }
        let recompiled = stmt.get_status(StatementStatus::RePrepare);
        let plan = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", jobs::CLAIM_CANDIDATES))?
            .query_map(params!["process", 5, 8], |r| r.get::<_, String>(3))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((recompiled, plan))
    }

    #[tokio::test]
    async fn statements_keep_their_plan_across_bindings() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("t.db")).await.unwrap();
        let on_writer = store.write(claim_recompiles).await.unwrap();
        let on_reader = store.read(claim_recompiles).await.unwrap();
        for (recompiled, plan) in [on_writer, on_reader] {
            assert_eq!(recompiled, 0, "{plan:?}");
            assert!(
                plan.iter().any(|step| step.contains("INDEX jobs_claim")),
                "{plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{plan:?}"
            );
        }
    }
}
