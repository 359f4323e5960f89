//! The PostgreSQL backend: a `deadpool` pool of `tokio-postgres` connections.
//!
//! Every change runs in one transaction. Writes that depend on a collection or role
//! lock its row first (`FOR SHARE` to write into it, `FOR UPDATE` to delete it), so a
//! delete and a concurrent write are serialised instead of ending in a foreign-key error.

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

use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use ftm::Entity;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::fragments::prepare_batch;
use crate::jobs::{check_stage, check_worker, lease_micros, prepare_jobs, stage_names};
use crate::time::now;
use crate::{
    Access, AccessSets, ApiKey, AuditEntry, AuditQuery, Backend, Collection, CollectionQuery,
    CollectionRemoval, CollectionUpdate, Completion, DeleteMode, DocumentRow, EntityBatch,
    EntityFilter, EntityKey, EntityPage, Job, JobFilter, JobOutcome, Migration, NewAuditEntry,
    NewCollection, NewJob, NewRole, Page, Permission, Recovery, Result, Role, RoleQuery,
    RoleRemoval, RoleUpdate, SessionToken, StageCounts, Store, StoreError, StoredEntity,
    SystemRoles, Timestamp,
};
use crate::{Decision, NewDecision, XrefItem, XrefMatch, XrefQuery, XrefRun};

type Client = deadpool_postgres::Client;

/// Connections per process. PostgreSQL's default limit is 100; several API and worker
/// processes share it.
const POOL_SIZE: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The PostgreSQL store. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    target: String,
    system: Arc<OnceLock<SystemRoles>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish()
    }
}

impl PgStore {
    /// Connect to `postgresql://user@host:port/db` and migrate to the latest schema.
    pub async fn open(uri: &str) -> Result<PgStore> {
        let store = PgStore::connect(uri, None).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connect without migrating. With `schema`, every connection works in that schema
    /// (created if missing) instead of the user's default: tests use one schema each, and
    /// several installations can share a database.
    pub async fn connect(uri: &str, schema: Option<&str>) -> Result<PgStore> {
        let mut config = tokio_postgres::Config::from_str(uri)
            .map_err(|e| StoreError::invalid(format!("bad PostgreSQL URI: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if let Some(schema) = schema {
            check_schema_name(schema)?;
            let options = match config.get_options() {
                Some(o) if !o.is_empty() => format!("{o} -c search_path={schema}"),
                _ => format!("-c search_path={schema}"),
            };
            config.options(options);
        }
        let target = format!(
            "{}/{}",
            config
                .get_hosts()
                .first()
                .map(|h| format!("{h:?}"))
                .unwrap_or_default(),
            config.get_dbname().unwrap_or_default()
        );
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot build the connection pool: {e}")))?;
        let store = PgStore {
            pool,
            target,
            system: Arc::new(OnceLock::new()),
        };
        if let Some(schema) = schema {
            let client = store.client().await?;
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await?;
        }
        Ok(store)
    }

    async fn client(&self) -> Result<Client> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(format!("no database connection: {e}")))
    }
}

/// Schema names go into SQL text, so only plain identifiers are accepted.
fn check_schema_name(schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(StoreError::invalid(format!(
            "schema name must be a lowercase identifier: {schema:?}"
        )));
    }
    Ok(())
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            let constraint = db.constraint().unwrap_or_default().to_string();
            if *code == SqlState::UNIQUE_VIOLATION {
                return StoreError::Conflict {
                    what: "row",
                    key: constraint,
                };
            }
            if *code == SqlState::FOREIGN_KEY_VIOLATION {
                // A referenced row vanished under a concurrent delete.
                return StoreError::NotFound {
                    what: "referenced row",
                    key: constraint,
                };
            }
            let class = &code.code()[..2];
            if class == "22" {
                // A data exception: a value PostgreSQL cannot hold (a NUL character in
                // text, a number out of range) came with the request; SQLite takes it.
                return StoreError::Invalid(format!(
                    "the database cannot store a value: {}",
                    db.message()
                ));
            }
            let transient = matches!(class, "08" | "53" | "57")
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED;
            if transient {
                return StoreError::Unavailable(db.to_string());
            }
            return StoreError::Backend(db.to_string());
        }
        if e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>())
        {
            return StoreError::Unavailable(e.to_string());
        }
        StoreError::Backend(e.to_string())
    }
}

pub(crate) fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Conflict { what: "row", .. })
}

/// Run a statement through the connection's statement cache.
pub(crate) async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query(&stmt, args).await?)
}

/// Run `$body` with `$tx` bound to a new transaction, committing on success.
macro_rules! in_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut client = $store.client().await?;
        let $tx = client.transaction().await?;
        let out = $body;
        $tx.commit().await?;
        Ok(out)
    }};
}

/// Run a job transaction again when it lost a race to the one-queued-job-per-entity rule:
/// a job enqueued between our check for a queued twin and our requeue. The next run sees
/// the twin and supersedes instead.
macro_rules! retrying_conflicts {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut tries = 0;
        loop {
            let result: Result<_> = async { in_tx!($store, |$tx| $body) }.await;
            match result {
                Err(e) if is_unique_violation(&e) && tries < CONFLICT_RETRIES => tries += 1,
                other => break other,
            }
        }
    }};
}

/// How often a job transaction is run again after losing a race (see `retrying_conflicts`).
const CONFLICT_RETRIES: u32 = 3;

/// Run `$body` with `$tx` bound to a read-only snapshot, so that several queries (a page
/// and its total) agree with each other.
macro_rules! in_snapshot {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut client = $store.client().await?;
        let $tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let out = $body;
        $tx.commit().await?;
        Ok(out)
    }};
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn schema_version(&self) -> Result<u32> {
        schema::version(&self.client().await?).await
    }

    async fn migrate_to(&self, version: u32) -> Result<Migration> {
        let mut client = self.client().await?;
        schema::migrate_to(&mut client, version).await
    }

    async fn system_roles(&self) -> Result<SystemRoles> {
        if let Some(s) = self.system.get() {
            return Ok(*s);
        }
        let s = schema::system_roles(&self.client().await?).await?;
        Ok(*self.system.get_or_init(|| s))
    }

    async fn create_collection(&self, new: NewCollection) -> Result<Collection> {
        let new = new.validated()?;
        in_tx!(self, |tx| collections::create(&tx, new, now()).await?)
    }

    async fn collection(&self, id: i64) -> Result<Collection> {
        collections::get(&self.client().await?, id, false).await
    }

    async fn collection_by_foreign_id(&self, foreign_id: &str) -> Result<Collection> {
        collections::by_foreign_id(&self.client().await?, foreign_id).await
    }

    async fn list_collections(&self, query: &CollectionQuery) -> Result<Page<Collection>> {
        in_snapshot!(self, |tx| collections::list(&tx, query).await?)
    }

    async fn update_collection(&self, id: i64, update: CollectionUpdate) -> Result<Collection> {
        in_tx!(self, |tx| collections::update(&tx, id, update, now())
            .await?)
    }

    async fn touch_collection(&self, id: i64) -> Result<Collection> {
        in_tx!(self, |tx| {
            collections::touch(&tx, id, now()).await?;
            collections::get(&tx, id, false).await?
        })
    }

    async fn delete_collection(&self, id: i64, mode: DeleteMode) -> Result<CollectionRemoval> {
        in_tx!(self, |tx| collections::delete(&tx, id, mode, now()).await?)
    }

    async fn retire_collection(&self, id: i64, deleted_by: Option<i64>) -> Result<i64> {
        in_tx!(self, |tx| purge::retire(&tx, id, deleted_by, now()).await?)
    }

    async fn purge_collection_batch(
        &self,
        id: i64,
        purge_job: i64,
        limit: u32,
    ) -> Result<crate::PurgeStep> {
        in_tx!(self, |tx| purge::batch(&tx, id, purge_job, limit).await?)
    }

    async fn deleted_collection_ids(&self) -> Result<Vec<i64>> {
        purge::collection_ids(&self.client().await?, true).await
    }

    async fn live_collection_ids(&self) -> Result<Vec<i64>> {
        purge::collection_ids(&self.client().await?, false).await
    }

    async fn release_collection_blobs(&self, id: i64, limit: u32) -> Result<crate::BlobRelease> {
        in_tx!(self, |tx| purge::release(&tx, id, limit, now()).await?)
    }

    async fn release_export(&self, id: i64) -> Result<Option<String>> {
        in_tx!(self, |tx| purge::release_export(&tx, id, now()).await?)
    }

    async fn blob_deletions(&self, scope: crate::MarkScope, limit: u32) -> Result<Vec<String>> {
        purge::marks(&self.client().await?, scope, limit).await
    }

    async fn confirm_blob_deletions(&self, hashes: &[String]) -> Result<Vec<String>> {
        in_tx!(self, |tx| purge::confirm(&tx, hashes).await?)
    }

    async fn forget_blob_deletions(&self, hashes: &[String]) -> Result<()> {
        in_tx!(self, |tx| purge::forget(&tx, hashes).await?)
    }

    async fn blob_deletion_pending(&self, hash: &str) -> Result<bool> {
        purge::marked(&self.client().await?, hash).await
    }

    async fn create_role(&self, new: NewRole) -> Result<Role> {
        let new = new.validated()?;
        in_tx!(self, |tx| roles::create(&tx, new, now()).await?)
    }

    async fn role(&self, id: i64) -> Result<Role> {
        roles::get(&self.client().await?, id).await
    }

    async fn role_by_foreign_id(&self, foreign_id: &str) -> Result<Role> {
        roles::by_foreign_id(&self.client().await?, foreign_id).await
    }

    async fn role_by_email(&self, email: &str) -> Result<Role> {
        roles::by_email(&self.client().await?, email).await
    }

    async fn role_by_api_key(&self, api_key: &str) -> Result<Option<Role>> {
        roles::by_api_key(&self.client().await?, api_key, now()).await
    }

    async fn list_roles(&self, query: &RoleQuery) -> Result<Page<Role>> {
        in_snapshot!(self, |tx| roles::list(&tx, query).await?)
    }

    async fn update_role(&self, id: i64, update: RoleUpdate) -> Result<Role> {
        in_tx!(self, |tx| roles::update(&tx, id, update, now()).await?)
    }

    async fn set_role_blocked(&self, id: i64, blocked: bool) -> Result<Role> {
        in_tx!(self, |tx| roles::set_blocked(&tx, id, blocked, now())
            .await?)
    }

    async fn record_login(&self, id: i64) -> Result<()> {
        roles::record_login(&self.client().await?, id, now()).await
    }

    async fn reset_api_key(&self, id: i64, expires_at: Option<Timestamp>) -> Result<ApiKey> {
        let key = ApiKey::generate()?;
        in_tx!(self, |tx| {
            roles::set_api_key(&tx, id, Some(&key), expires_at, now()).await?;
            key
        })
    }

    async fn revoke_api_key(&self, id: i64) -> Result<()> {
        in_tx!(self, |tx| roles::set_api_key(&tx, id, None, None, now())
            .await?)
    }

    async fn delete_role(&self, id: i64) -> Result<RoleRemoval> {
        in_tx!(self, |tx| roles::delete(&tx, id).await?)
    }

    async fn add_member(&self, group_id: i64, member_id: i64) -> Result<()> {
        in_tx!(self, |tx| roles::add_member(
            &tx,
            group_id,
            member_id,
            now()
        )
        .await?)
    }

    async fn remove_member(&self, group_id: i64, member_id: i64) -> Result<bool> {
        roles::remove_member(&self.client().await?, group_id, member_id).await
    }

    async fn groups_of(&self, member_id: i64) -> Result<Vec<Role>> {
        roles::groups_of(&self.client().await?, member_id).await
    }

    async fn members_of(&self, group_id: i64) -> Result<Vec<Role>> {
        roles::members_of(&self.client().await?, group_id).await
    }

    async fn set_permission(&self, collection_id: i64, role_id: i64, access: Access) -> Result<()> {
        in_tx!(self, |tx| collections::set_permission(
            &tx,
            collection_id,
            role_id,
            access,
            now()
        )
        .await?)
    }

    async fn permissions(&self, collection_id: i64) -> Result<Vec<Permission>> {
        collections::permissions(&self.client().await?, collection_id).await
    }

    async fn access_sets(&self, role_ids: &[i64]) -> Result<AccessSets> {
        collections::access_sets(&self.client().await?, role_ids).await
    }

    async fn create_session(&self, role_id: i64, expires_at: Timestamp) -> Result<SessionToken> {
        in_tx!(self, |tx| roles::create_session(
            &tx,
            role_id,
            expires_at,
            now()
        )
        .await?)
    }

    async fn resolve_session(&self, token: &str) -> Result<Option<Role>> {
        roles::resolve_session(&self.client().await?, token, now()).await
    }

    async fn delete_session(&self, token: &str) -> Result<bool> {
        roles::delete_session(&self.client().await?, token).await
    }

    async fn delete_expired_sessions(&self) -> Result<u64> {
        roles::delete_expired_sessions(&self.client().await?, now()).await
    }

    async fn put_fragments(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
    ) -> Result<usize> {
        let rows = prepare_batch(origin, entities)?;
        in_tx!(self, |tx| entities::put(
            &tx,
            collection_id,
            origin,
            &rows,
            now()
        )
        .await?)
    }

    async fn entity(&self, collection_id: i64, entity_id: &str) -> Result<Option<StoredEntity>> {
        let batch = entities::get_one(&self.client().await?, collection_id, entity_id).await?;
        crate::fragments::single(batch)
    }

    async fn entities(&self, collection_id: i64, entity_ids: &[String]) -> Result<EntityBatch> {
        entities::get_many(&self.client().await?, collection_id, entity_ids).await
    }

    async fn delete_entity(&self, collection_id: i64, entity_id: &str) -> Result<u64> {
        in_tx!(self, |tx| entities::delete_entity(
            &tx,
            collection_id,
            entity_id,
            now()
        )
        .await?)
    }

    async fn delete_origin(&self, collection_id: i64, origin: &str) -> Result<u64> {
        in_tx!(self, |tx| entities::delete_origin(
            &tx,
            collection_id,
            origin,
            now()
        )
        .await?)
    }

    async fn count_entities(&self, collection_id: i64) -> Result<u64> {
        entities::count(&self.client().await?, collection_id).await
    }

    async fn entity_page(
        &self,
        filter: EntityFilter,
        after: Option<&EntityKey>,
        limit: u32,
    ) -> Result<EntityPage> {
        entities::page(&self.client().await?, filter, after, limit).await
    }

    async fn replace_origin(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
    ) -> Result<usize> {
        let rows = prepare_batch(origin, entities)?;
        in_tx!(self, |tx| entities::replace_origin(
            &tx,
            collection_id,
            origin,
            &rows,
            now()
        )
        .await?)
    }

    async fn replace_origins(
        &self,
        collection_id: i64,
        origins: &[(String, Vec<Entity>)],
    ) -> Result<usize> {
        let batches = crate::fragments::prepare_origins(origins)?;
        let now = now();
        in_tx!(self, |tx| {
            let mut written = 0;
            for (origin, rows) in &batches {
                written += entities::replace_origin(&tx, collection_id, origin, rows, now).await?;
            }
            written
        })
    }

    async fn origin_entity_ids(&self, collection_id: i64, origin: &str) -> Result<Vec<String>> {
        entities::origin_entity_ids(&self.client().await?, collection_id, origin).await
    }

    async fn upsert_document(
        &self,
        collection_id: i64,
        parent_id: Option<i64>,
        foreign_id: Option<&str>,
        content_hash: Option<&str>,
    ) -> Result<(i64, bool)> {
        in_tx!(self, |tx| documents::upsert(
            &tx,
            collection_id,
            parent_id,
            foreign_id,
            content_hash,
            now()
        )
        .await?)
    }

    async fn document(&self, collection_id: i64, id: i64) -> Result<Option<DocumentRow>> {
        documents::get(&self.client().await?, collection_id, id).await
    }

    async fn create_entityset(&self, new: crate::NewEntitySet) -> Result<crate::EntitySet> {
        let new = new.validated()?;
        in_tx!(self, |tx| entitysets::create(&tx, new, now()).await?)
    }

    async fn entityset(&self, id: i64) -> Result<crate::EntitySet> {
        entitysets::get(&self.client().await?, id).await
    }

    async fn list_entitysets(
        &self,
        query: &crate::EntitySetQuery,
    ) -> Result<Page<crate::EntitySet>> {
        in_snapshot!(self, |tx| entitysets::list(&tx, query).await?)
    }

    async fn update_entityset(
        &self,
        id: i64,
        update: crate::EntitySetUpdate,
    ) -> Result<crate::EntitySet> {
        in_tx!(self, |tx| entitysets::update(&tx, id, update, now())
            .await?)
    }

    async fn delete_entityset(&self, id: i64) -> Result<()> {
        in_tx!(self, |tx| entitysets::delete(&tx, id).await?)
    }

    async fn entityset_items(
        &self,
        id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::EntitySetItem>> {
        in_snapshot!(self, |tx| entitysets::items(&tx, id, limit, offset).await?)
    }

    async fn entitysets_holding(
        &self,
        collection_id: i64,
        entity_id: &str,
        kind: crate::EntitySetType,
        judgement: crate::Judgement,
    ) -> Result<Vec<crate::EntitySet>> {
        entitysets::holding(
            &self.client().await?,
            collection_id,
            entity_id,
            kind,
            judgement,
        )
        .await
    }

    async fn judge_entityset_item(
        &self,
        id: i64,
        item: crate::NewEntitySetItem,
    ) -> Result<Option<crate::EntitySetItem>> {
        let item = item.validated()?;
        in_tx!(self, |tx| entitysets::judge(&tx, id, item, now()).await?)
    }

    async fn create_mapping(&self, new: crate::NewMapping) -> Result<crate::Mapping> {
        let new = new.validated()?;
        in_tx!(self, |tx| mappings::create(&tx, new, now()).await?)
    }

    async fn mapping(&self, id: i64) -> Result<crate::Mapping> {
        mappings::get(&self.client().await?, id).await
    }

    async fn list_mappings(&self, query: &crate::MappingQuery) -> Result<Page<crate::Mapping>> {
        in_snapshot!(self, |tx| mappings::list(&tx, query).await?)
    }

    async fn update_mapping(&self, id: i64, change: crate::NewMapping) -> Result<crate::Mapping> {
        let change = change.validated()?;
        in_tx!(self, |tx| mappings::update(&tx, id, change, now()).await?)
    }

    async fn delete_mapping(&self, id: i64) -> Result<()> {
        in_tx!(self, |tx| mappings::delete(&tx, id).await?)
    }

    async fn set_mapping_run(&self, id: i64, run: crate::MappingRun) -> Result<()> {
        let run = run.validated()?;
        in_tx!(self, |tx| mappings::set_run(&tx, id, &run, now()).await?)
    }

    async fn create_alert(&self, role_id: i64, query: &str) -> Result<crate::Alert> {
        let query = crate::alerts::alert_query(query)?;
        in_tx!(self, |tx| alerts::create(&tx, role_id, &query, now())
            .await?)
    }

    async fn alert(&self, id: i64) -> Result<crate::Alert> {
        alerts::get(&self.client().await?, id).await
    }

    async fn list_alerts(
        &self,
        role_id: Option<i64>,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::Alert>> {
        in_snapshot!(self, |tx| alerts::list(&tx, role_id, limit, offset).await?)
    }

    async fn delete_alert(&self, id: i64) -> Result<()> {
        in_tx!(self, |tx| alerts::delete(&tx, id).await?)
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
        in_tx!(self, |tx| alerts::notify(&tx, &items, now()).await?)
    }

    async fn list_notifications(
        &self,
        query: &crate::NotificationQuery,
    ) -> Result<Page<crate::Notification>> {
        in_snapshot!(self, |tx| alerts::list_notifications(&tx, query).await?)
    }

    async fn mark_notifications_read(&self, role_id: i64, ids: Option<&[i64]>) -> Result<u64> {
        in_tx!(self, |tx| alerts::mark_read(&tx, role_id, ids, now())
            .await?)
    }

    async fn fold_notification(&self, id: i64) -> Result<bool> {
        alerts::fold(&self.client().await?, id).await
    }

    async fn rearm_notification_email(
        &self,
        id: i64,
        params: serde_json::Map<String, serde_json::Value>,
        not_before: Timestamp,
    ) -> Result<bool> {
        alerts::rearm_email(&self.client().await?, id, params, not_before).await
    }

    async fn pending_emails(&self, limit: u32) -> Result<Vec<crate::Notification>> {
        alerts::pending_emails(&self.client().await?, limit).await
    }

    async fn emails_done(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        alerts::emails_done(&self.client().await?, ids).await
    }

    async fn create_export(&self, new: crate::NewExport) -> Result<crate::Export> {
        let new = new.validated()?;
        in_tx!(self, |tx| exports::create(&tx, &new, now()).await?)
    }

    async fn export(&self, id: i64) -> Result<crate::Export> {
        exports::get(&self.client().await?, id).await
    }

    async fn list_exports(
        &self,
        creator_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::Export>> {
        in_snapshot!(self, |tx| exports::list(&tx, creator_id, limit, offset)
            .await?)
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
        in_tx!(self, |tx| exports::claim(
            &tx,
            worker,
            limit,
            lease_us,
            now()
        )
        .await?)
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
        exports::heartbeat(&self.client().await?, worker, ids, lease_us, now()).await
    }

    async fn finish_export(
        &self,
        worker: &str,
        id: i64,
        outcome: crate::ExportOutcome,
    ) -> Result<Option<crate::Export>> {
        in_tx!(self, |tx| exports::finish(&tx, worker, id, &outcome, now())
            .await?)
    }

    async fn expired_exports(&self, at: Timestamp, limit: u32) -> Result<Vec<crate::Export>> {
        exports::expired(&self.client().await?, at, limit).await
    }

    async fn delete_export(&self, id: i64) -> Result<bool> {
        in_tx!(self, |tx| exports::delete(&tx, id, now()).await?)
    }

    async fn export_counts(&self, collection_id: i64) -> Result<(u64, u64)> {
        exports::counts(&self.client().await?, collection_id, now()).await
    }

    async fn enqueue(&self, jobs: &[NewJob]) -> Result<Vec<i64>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        // `ON CONFLICT DO UPDATE` cannot touch one row twice in a statement, so jobs of
        // the batch that share a dedup key are folded first.
        let (distinct, slots) = prepare_jobs(jobs)?;
        let ids: Result<Vec<i64>> =
            async { in_tx!(self, |tx| jobs::enqueue(&tx, &distinct).await?) }.await;
        let ids = ids?;
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
        let ids: Result<Vec<i64>> = async {
            in_tx!(self, |tx| {
                entities::put(&tx, collection_id, origin, &rows, now()).await?;
                jobs::enqueue(&tx, &distinct).await?
            })
        }
        .await;
        let ids = ids?;
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
        if jobs::any_expired(&self.client().await?).await? {
            self.recover_expired().await?;
        }
        if stages.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        jobs::claim(&self.client().await?, worker, &stages, limit, lease_us).await
    }

    async fn recover_expired(&self) -> Result<Recovery> {
        retrying_conflicts!(self, |tx| jobs::recover(&tx).await?)
    }

    async fn heartbeat(&self, worker: &str, job_ids: &[i64], lease: Duration) -> Result<Vec<i64>> {
        check_worker(worker)?;
        let lease_us = lease_micros(lease)?;
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        jobs::heartbeat(&self.client().await?, worker, job_ids, lease_us).await
    }

    async fn complete(&self, worker: &str, job_id: i64, outcome: JobOutcome) -> Result<Completion> {
        check_worker(worker)?;
        let client = self.client().await?;
        if let Some(done) = jobs::complete_final(&client, worker, job_id, &outcome).await {
            return done;
        }
        drop(client);
        retrying_conflicts!(self, |tx| jobs::complete(
            &tx,
            worker,
            job_id,
            &outcome,
            &[]
        )
        .await?)
    }

    async fn complete_with(
        &self,
        worker: &str,
        job_id: i64,
        outcome: JobOutcome,
        next: &[NewJob],
    ) -> Result<Completion> {
        if next.is_empty() {
            return self.complete(worker, job_id, outcome).await;
        }
        check_worker(worker)?;
        // As in `enqueue`: one statement cannot touch a row twice.
        let (distinct, _) = prepare_jobs(next)?;
        retrying_conflicts!(self, |tx| jobs::complete(
            &tx, worker, job_id, &outcome, &distinct
        )
        .await?)
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
        let now = now();
        retrying_conflicts!(self, |tx| {
            // The collection's write lock before the job's row, the order every fragment
            // write and a collection's retirement take them in: no deadlock with either.
            // A collection that is gone fails the writes below if the job is still held.
            match collections::lock_for_write(&tx, collection_id).await {
                Ok(()) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
            let done = jobs::complete(&tx, worker, job_id, &outcome, &distinct).await?;
            if matches!(done, Completion::Recorded(_)) {
                for (origin, rows) in &batches {
                    entities::replace_origin(&tx, collection_id, origin, rows, now).await?;
                }
            }
            done
        })
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
        retrying_conflicts!(self, |tx| {
            let mut done = Vec::with_capacity(outcomes.len());
            for (id, outcome) in outcomes {
                let completion = match jobs::complete_final(&tx, worker, *id, outcome).await {
                    Some(final_state) => final_state?,
                    None => jobs::complete(&tx, worker, *id, outcome, &[]).await?,
                };
                done.push(completion);
            }
            done
        })
    }

    async fn cancel_jobs(&self, collection_id: i64, stage: Option<&str>) -> Result<u64> {
        if let Some(stage) = stage {
            check_stage(stage)?;
        }
        jobs::cancel(&self.client().await?, collection_id, stage).await
    }

    async fn job_counts(&self, collection_id: Option<i64>) -> Result<Vec<StageCounts>> {
        jobs::counts(&self.client().await?, collection_id).await
    }

    async fn list_jobs(&self, filter: &JobFilter) -> Result<Page<Job>> {
        in_snapshot!(self, |tx| jobs::list(&tx, filter).await?)
    }

    async fn retry_jobs(&self, filter: &JobFilter) -> Result<u64> {
        retrying_conflicts!(self, |tx| jobs::retry(&tx, filter).await?)
    }

    async fn job(&self, id: i64) -> Result<Job> {
        jobs::get(&self.client().await?, id).await
    }

    async fn begin_xref_run(&self, run: &XrefRun, clear: bool) -> Result<u64> {
        in_tx!(self, |tx| xref::begin_run(&tx, run, clear).await?)
    }

    async fn save_xref_batch(&self, run: &XrefRun, matches: &[XrefMatch]) -> Result<u64> {
        in_tx!(self, |tx| xref::save_batch(&tx, run, matches).await?)
    }

    async fn xref_run(&self, collection_id: i64) -> Result<Option<XrefRun>> {
        xref::run(&self.client().await?, collection_id).await
    }

    async fn xref_matches(&self, query: &XrefQuery) -> Result<Page<XrefItem>> {
        xref::list(&self.client().await?, query).await
    }

    async fn decide(&self, decision: &NewDecision) -> Result<Option<Decision>> {
        in_tx!(self, |tx| xref::decide(&tx, decision, now()).await?)
    }

    async fn decisions(&self, collection_id: i64, entity_id: &str) -> Result<Vec<Decision>> {
        xref::decisions(&self.client().await?, collection_id, entity_id).await
    }

    async fn profile_decisions(&self, profile_id: &str) -> Result<Vec<Decision>> {
        xref::profile(&self.client().await?, profile_id).await
    }

    async fn record_audit(&self, entries: &[NewAuditEntry]) -> Result<()> {
        crate::audit::check_batch(entries)?;
        audit::record(&self.client().await?, entries).await
    }

    async fn audit_log(&self, query: &AuditQuery) -> Result<Page<AuditEntry>> {
        in_snapshot!(self, |tx| audit::list(&tx, query).await?)
    }

    async fn prune_audit(&self, before: Timestamp) -> Result<u64> {
        audit::prune(&self.client().await?, before).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(check_schema_name("t_12ab").is_ok());
        assert!(check_schema_name("public").is_ok());
        assert!(check_schema_name("x; DROP TABLE roles").is_err());
        assert!(check_schema_name("Upper").is_err());
        assert!(check_schema_name("").is_err());
    }
}
