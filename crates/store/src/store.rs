//! The `Store` trait: everything the rest of the system may ask of the source of truth.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ftm::Entity;
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::{
    Access, AccessSets, ApiKey, AuditEntry, AuditQuery, Collection, CollectionQuery,
    CollectionRemoval, CollectionUpdate, Completion, DeleteMode, DocumentRow, EntityBatch,
    EntityFilter, EntityKey, EntityPage, Job, JobFilter, JobOutcome, Migration, NewAuditEntry,
    NewCollection, NewJob, NewRole, Permission, Recovery, Result, Role, RoleQuery, RoleRemoval,
    RoleUpdate, SessionToken, StageCounts, StoredEntity, SystemRoles, Timestamp,
};
use crate::{Decision, NewDecision, XrefItem, XrefMatch, XrefQuery, XrefRun};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One page of a listing and the total number of matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// The source of truth. Implemented by [`crate::SqliteStore`] and [`crate::PgStore`], used
/// as `Arc<dyn Store>`.
///
/// Getters of a single thing return [`StoreError::NotFound`] when it does not exist;
/// soft-deleted collections count as not existing except where a method says otherwise.
/// Every method that changes several rows does so in one transaction.
///
/// [`StoreError::NotFound`]: crate::StoreError::NotFound
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug + 'static {
    fn backend(&self) -> Backend;

    // --- schema ---------------------------------------------------------------------------

    /// The schema version of the database (0 for an empty one).
    async fn schema_version(&self) -> Result<u32>;
    /// Migrate to the latest version (`aleph upgrade`); does nothing when up to date.
    async fn migrate(&self) -> Result<Migration> {
        self.migrate_to(crate::LATEST_VERSION).await
    }
    /// Migrate forward to `version`.
    async fn migrate_to(&self, version: u32) -> Result<Migration>;
    /// The ids of the `guest` and `authenticated` roles.
    async fn system_roles(&self) -> Result<SystemRoles>;

    // --- collections ----------------------------------------------------------------------

    /// Create a collection. [`StoreError::Conflict`] if a live one has the foreign id.
    ///
    /// [`StoreError::Conflict`]: crate::StoreError::Conflict
    async fn create_collection(&self, new: NewCollection) -> Result<Collection>;
    /// A live collection.
    async fn collection(&self, id: i64) -> Result<Collection>;
    /// The live collection with this foreign id.
    async fn collection_by_foreign_id(&self, foreign_id: &str) -> Result<Collection>;
    async fn list_collections(&self, query: &CollectionQuery) -> Result<Page<Collection>>;
    async fn update_collection(&self, id: i64, update: CollectionUpdate) -> Result<Collection>;
    /// Mark the collection's data as changed now (`data_updated_at`).
    async fn touch_collection(&self, id: i64) -> Result<Collection>;
    /// Delete a collection's contents, soft-delete it, or remove it entirely. `Hard` also
    /// applies to soft-deleted collections.
    async fn delete_collection(&self, id: i64, mode: DeleteMode) -> Result<CollectionRemoval>;

    // --- deleting collections in the background -------------------------------------------

    /// Mark a live collection deleted and queue its purge, in one transaction: it leaves
    /// every listing and readable set and its foreign id is free at once; its permissions
    /// go, its queued and running jobs are cancelled, and a [`crate::PURGE_STAGE`] job
    /// (payload `{"deleted_by": role}`) is queued. Returns the purge job's id.
    async fn retire_collection(&self, id: i64, deleted_by: Option<i64>) -> Result<i64>;
    /// Remove up to `limit` rows of a deleted collection, from the first
    /// [`crate::PurgeTable`] that still has some, in one transaction; when none has any,
    /// remove the collection row (which takes `purge_job` with it). A collection that is
    /// not deleted is refused with [`StoreError::Invalid`].
    ///
    /// [`StoreError::Invalid`]: crate::StoreError::Invalid
    async fn purge_collection_batch(
        &self,
        id: i64,
        purge_job: i64,
        limit: u32,
    ) -> Result<crate::PurgeStep>;
    /// The ids of the collections that are deleted but not yet purged.
    async fn deleted_collection_ids(&self) -> Result<Vec<i64>>;
    /// The ids of every live collection.
    async fn live_collection_ids(&self) -> Result<Vec<i64>>;
    /// Remove up to `limit` of a deleted collection's blob references (its live exports
    /// are marked deleted first, then its `file_refs` rows go), and mark the blobs left
    /// without any reference for deletion, in one transaction serialized with every other
    /// release (see `crate::purge`). A live collection is refused with
    /// [`StoreError::Invalid`].
    ///
    /// [`StoreError::Invalid`]: crate::StoreError::Invalid
    async fn release_collection_blobs(&self, id: i64, limit: u32) -> Result<crate::BlobRelease>;
    /// Mark an export deleted and release its content: the hash when nothing else refers
    /// to the blob (it is then marked for deletion). `None` also when the export was
    /// deleted already.
    async fn release_export(&self, id: i64) -> Result<Option<String>>;
    /// Up to `limit` blobs marked for deletion, oldest first: a collection's purge's, or
    /// the ones marked before a moment (old marks were left by a purge that stopped
    /// between marking and forgetting them).
    async fn blob_deletions(&self, scope: crate::MarkScope, limit: u32) -> Result<Vec<String>>;
    /// Decide marked blobs again, for marks whose purge stopped: the ones something
    /// refers to now lose their mark (a writer that gave up waiting for it stored the blob
    /// again); the others, returned, stay marked and may be removed from the archive.
    /// Not for a running purge's marks: its deletion would go on after the mark is gone.
    async fn confirm_blob_deletions(&self, hashes: &[String]) -> Result<Vec<String>>;
    /// The blobs are out of the archive: drop their marks.
    async fn forget_blob_deletions(&self, hashes: &[String]) -> Result<()>;
    /// Whether a blob is marked for deletion. A writer that has just committed a
    /// reference to it waits until it is not, then stores the blob again if it is gone.
    async fn blob_deletion_pending(&self, hash: &str) -> Result<bool>;

    // --- roles ----------------------------------------------------------------------------

    /// Create a user or group. [`StoreError::Conflict`] on a taken foreign id or user email.
    ///
    /// [`StoreError::Conflict`]: crate::StoreError::Conflict
    async fn create_role(&self, new: NewRole) -> Result<Role>;
    async fn role(&self, id: i64) -> Result<Role>;
    async fn role_by_foreign_id(&self, foreign_id: &str) -> Result<Role>;
    /// The user with this email, compared case-insensitively.
    async fn role_by_email(&self, email: &str) -> Result<Role>;
    /// The unblocked user whose unexpired API key this is.
    async fn role_by_api_key(&self, api_key: &str) -> Result<Option<Role>>;
    async fn list_roles(&self, query: &RoleQuery) -> Result<Page<Role>>;
    async fn update_role(&self, id: i64, update: RoleUpdate) -> Result<Role>;
    /// Block or unblock a user; blocking also ends their sessions.
    async fn set_role_blocked(&self, id: i64, blocked: bool) -> Result<Role>;
    async fn record_login(&self, id: i64) -> Result<()>;
    /// Give a user a new API key; the old one stops working. The plaintext is only here.
    async fn reset_api_key(&self, id: i64, expires_at: Option<Timestamp>) -> Result<ApiKey>;
    async fn revoke_api_key(&self, id: i64) -> Result<()>;
    /// Delete a user or group and everything that hangs on it. System roles stay.
    async fn delete_role(&self, id: i64) -> Result<RoleRemoval>;

    // --- groups ---------------------------------------------------------------------------

    /// Make a user a member of a group (no error if already one).
    async fn add_member(&self, group_id: i64, member_id: i64) -> Result<()>;
    /// Whether there was a membership to remove.
    async fn remove_member(&self, group_id: i64, member_id: i64) -> Result<bool>;
    /// The groups a role is a member of, by name.
    async fn groups_of(&self, member_id: i64) -> Result<Vec<Role>>;
    /// The members of a group, by name.
    async fn members_of(&self, group_id: i64) -> Result<Vec<Role>>;

    /// The roles a logged-in user acts as: guest, authenticated, their own and their groups.
    async fn role_set(&self, user_id: i64) -> Result<Vec<i64>> {
        let system = self.system_roles().await?;
        let mut ids = vec![system.guest, system.authenticated, user_id];
        ids.extend(self.groups_of(user_id).await?.into_iter().map(|g| g.id));
        Ok(ids)
    }

    // --- permissions ----------------------------------------------------------------------

    /// Set a role's access to a live collection; `Access::None` revokes. System roles can
    /// never get write access.
    async fn set_permission(&self, collection_id: i64, role_id: i64, access: Access) -> Result<()>;
    /// Every permission on a collection.
    async fn permissions(&self, collection_id: i64) -> Result<Vec<Permission>>;
    /// The live collections any of `role_ids` can read and write.
    async fn access_sets(&self, role_ids: &[i64]) -> Result<AccessSets>;

    /// Whether the guest role can read the collection (Aleph's "not secret").
    async fn is_public(&self, collection_id: i64) -> Result<bool> {
        let guest = self.system_roles().await?.guest;
        Ok(self
            .access_sets(&[guest])
            .await?
            .readable
            .contains(&collection_id))
    }

    // --- sessions -------------------------------------------------------------------------

    async fn create_session(&self, role_id: i64, expires_at: Timestamp) -> Result<SessionToken>;
    /// The unblocked role of an unexpired session.
    async fn resolve_session(&self, token: &str) -> Result<Option<Role>>;
    /// Whether there was such a session.
    async fn delete_session(&self, token: &str) -> Result<bool>;
    async fn delete_expired_sessions(&self) -> Result<u64>;

    // --- entities -------------------------------------------------------------------------

    /// Write one fragment per entity for `origin`, replacing fragments with the same key,
    /// all in one transaction: if any entity is invalid nothing is written. Returns the
    /// number of fragments written (duplicates in the batch count once; the last wins).
    async fn put_fragments(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
    ) -> Result<usize>;
    /// An entity merged over its origins, if it has any fragment.
    async fn entity(&self, collection_id: i64, entity_id: &str) -> Result<Option<StoredEntity>>;
    /// Several entities of a collection, in id order; missing ids are left out.
    async fn entities(&self, collection_id: i64, entity_ids: &[String]) -> Result<EntityBatch>;
    /// Delete all fragments of an entity; returns how many there were.
    async fn delete_entity(&self, collection_id: i64, entity_id: &str) -> Result<u64>;
    /// Delete every fragment one origin wrote into a collection.
    async fn delete_origin(&self, collection_id: i64, origin: &str) -> Result<u64>;
    /// The number of distinct entities in a collection.
    async fn count_entities(&self, collection_id: i64) -> Result<u64>;
    /// Up to `limit` entities after `after`, in key order. Use [`stream_entities`] to walk
    /// a whole collection.
    async fn entity_page(
        &self,
        filter: EntityFilter,
        after: Option<&EntityKey>,
        limit: u32,
    ) -> Result<EntityPage>;
    /// Replace everything `origin` wrote into a collection with `entities`, in one
    /// transaction: readers see the old fragments or the new ones, never neither. Ingest
    /// uses it to re-ingest a document (`ingest:<entity id>`) so that results the new run
    /// no longer produces (pages of a shorter PDF) go. Returns the number written.
    async fn replace_origin(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
    ) -> Result<usize>;
    /// [`Store::replace_origin`] for several origins of one collection in one
    /// transaction: readers see all the old fragments or all the new ones. The pipeline's
    /// `process` stage writes a file's extraction (`ingest:<id>`) and its analysis
    /// (`analyze:<id>`) with it. An origin named twice is an error. Returns the number
    /// written.
    async fn replace_origins(
        &self,
        collection_id: i64,
        origins: &[(String, Vec<Entity>)],
    ) -> Result<usize>;
    /// The ids of the entities `origin` wrote into a collection, in id order.
    async fn origin_entity_ids(&self, collection_id: i64, origin: &str) -> Result<Vec<String>>;

    // --- documents ------------------------------------------------------------------------

    /// Find or create the uploaded document with this key in a live collection: the
    /// foreign id under `parent_id` when one is given, else the content hash under
    /// `parent_id` (no parent is a parent of its own). A found document gets the new
    /// content hash, if one is given. Racing uploads of one key get the same id. Returns
    /// the id and whether the row was created. [`StoreError::NotFound`] when the
    /// collection or the parent (in that collection) does not exist;
    /// [`StoreError::Invalid`] without a foreign id or content hash.
    ///
    /// [`StoreError::Invalid`]: crate::StoreError::Invalid
    /// [`StoreError::NotFound`]: crate::StoreError::NotFound
    async fn upsert_document(
        &self,
        collection_id: i64,
        parent_id: Option<i64>,
        foreign_id: Option<&str>,
        content_hash: Option<&str>,
    ) -> Result<(i64, bool)>;
    /// A document of a collection.
    async fn document(&self, collection_id: i64, id: i64) -> Result<Option<DocumentRow>>;

    // --- entity sets ----------------------------------------------------------------------

    /// Create an entity set in a live collection.
    async fn create_entityset(&self, new: crate::NewEntitySet) -> Result<crate::EntitySet>;
    /// An entity set of a live collection.
    async fn entityset(&self, id: i64) -> Result<crate::EntitySet>;
    /// Entity sets of live collections, newest `updated_at` first, with the total.
    async fn list_entitysets(
        &self,
        query: &crate::EntitySetQuery,
    ) -> Result<Page<crate::EntitySet>>;
    async fn update_entityset(
        &self,
        id: i64,
        update: crate::EntitySetUpdate,
    ) -> Result<crate::EntitySet>;
    /// Delete a set and its items.
    async fn delete_entityset(&self, id: i64) -> Result<()>;
    /// A page of a set's items (every judgement), in the order they were added.
    async fn entityset_items(
        &self,
        id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::EntitySetItem>>;
    /// The sets of `kind` (in live collections) that hold an entity of `collection_id`
    /// with `judgement`, oldest first: a profile lookup without reading every set.
    async fn entitysets_holding(
        &self,
        collection_id: i64,
        entity_id: &str,
        kind: crate::EntitySetType,
        judgement: crate::Judgement,
    ) -> Result<Vec<crate::EntitySet>>;
    /// Add an item or judge it again (the first `created_at` and `added_by_id` stay);
    /// [`crate::Judgement::NoJudgement`] removes it. The set's `updated_at` moves. Returns
    /// the item as stored, `None` when removed.
    async fn judge_entityset_item(
        &self,
        id: i64,
        item: crate::NewEntitySetItem,
    ) -> Result<Option<crate::EntitySetItem>>;

    // --- mappings -------------------------------------------------------------------------

    /// Create a mapping in a live collection; its entity set, if any, must be one of that
    /// collection.
    async fn create_mapping(&self, new: crate::NewMapping) -> Result<crate::Mapping>;
    /// A mapping of a live collection.
    async fn mapping(&self, id: i64) -> Result<crate::Mapping>;
    /// A collection's mappings (of one table, if asked), oldest first, with the total.
    async fn list_mappings(&self, query: &crate::MappingQuery) -> Result<Page<crate::Mapping>>;
    /// Replace a mapping's table, entity set and query (its collection and creator stay).
    async fn update_mapping(&self, id: i64, change: crate::NewMapping) -> Result<crate::Mapping>;
    async fn delete_mapping(&self, id: i64) -> Result<()>;
    /// Record the start or the outcome of a run.
    async fn set_mapping_run(&self, id: i64, run: crate::MappingRun) -> Result<()>;

    // --- alerts and notifications ---------------------------------------------------------

    async fn create_alert(&self, role_id: i64, query: &str) -> Result<crate::Alert>;
    async fn alert(&self, id: i64) -> Result<crate::Alert>;
    /// One user's alerts (everyone's with `None`), oldest first, with the total.
    async fn list_alerts(
        &self,
        role_id: Option<i64>,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::Alert>>;
    /// Delete an alert; its notifications stay.
    async fn delete_alert(&self, id: i64) -> Result<()>;
    /// Create notifications in one transaction. An alert tells about an entity once: a
    /// repeat is skipped. Alerts that notified get `notified_at`. Returns how many were
    /// created.
    async fn notify(&self, notifications: &[crate::NewNotification]) -> Result<u64>;
    /// A user's notifications, newest first, with the total.
    async fn list_notifications(
        &self,
        query: &crate::NotificationQuery,
    ) -> Result<Page<crate::Notification>>;
    /// Mark a user's notifications read: these ids, or all with `None`. Returns how many
    /// were unread.
    async fn mark_notifications_read(&self, role_id: i64, ids: Option<&[i64]>) -> Result<u64>;
    /// Count one more event into an unread notification (an upload folded into the one
    /// its burst made): its `count` parameter (1 when absent) goes up by one. False when
    /// the notification is read or gone.
    async fn fold_notification(&self, id: i64) -> Result<bool>;
    /// Put an unread notification's email back in the outbox after it went out, held
    /// until `not_before` (a folded upload's one follow-up, "N more files", at the end of
    /// its burst), merging `params` into its parameters. False when the notification is
    /// read, gone, or its email is still pending.
    async fn rearm_notification_email(
        &self,
        id: i64,
        params: serde_json::Map<String, serde_json::Value>,
        not_before: Timestamp,
    ) -> Result<bool>;
    /// Up to `limit` notifications whose email is still to be sent, oldest first.
    async fn pending_emails(&self, limit: u32) -> Result<Vec<crate::Notification>>;
    /// Take notifications out of the email outbox (sent, or given up on).
    async fn emails_done(&self, ids: &[i64]) -> Result<()>;

    // --- exports --------------------------------------------------------------------------

    /// Create a pending export for a user (and a live collection, if given).
    async fn create_export(&self, new: crate::NewExport) -> Result<crate::Export>;
    /// One export, deleted or not.
    async fn export(&self, id: i64) -> Result<crate::Export>;
    /// A user's exports that are not deleted, newest first, with the total.
    async fn list_exports(
        &self,
        creator_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Page<crate::Export>>;
    /// Take up to `limit` pending exports, oldest first, whose lease is free or ran out:
    /// each is leased to `worker` with one more attempt. A pending export whose lease ran
    /// out with no attempts left becomes failed first. Many workers never take the same one.
    async fn claim_exports(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<crate::Export>>;
    /// Extend the lease of the exports `worker` still holds; returns those ids.
    async fn heartbeat_exports(
        &self,
        worker: &str,
        ids: &[i64],
        lease: Duration,
    ) -> Result<Vec<i64>>;
    /// Record how `worker`'s attempt ended; `None` when the worker no longer holds the
    /// export (nothing changes), else the export as it is now.
    async fn finish_export(
        &self,
        worker: &str,
        id: i64,
        outcome: crate::ExportOutcome,
    ) -> Result<Option<crate::Export>>;
    /// Up to `limit` exports that are not deleted and whose `expires_at` has passed.
    async fn expired_exports(&self, now: Timestamp, limit: u32) -> Result<Vec<crate::Export>>;
    /// Mark an export deleted (its content was removed); true if it was not already.
    async fn delete_export(&self, id: i64) -> Result<bool>;
    /// A collection's pending exports: how many wait for a worker and how many a worker
    /// holds (its lease running), for the collection's status.
    async fn export_counts(&self, collection_id: i64) -> Result<(u64, u64)>;

    // --- jobs -----------------------------------------------------------------------------

    /// Queue jobs in live collections, all or none; returns their ids in order. A job for
    /// an entity that already has a queued (not yet running) job of the same stage in the
    /// collection is not added twice: its id is that job's, which keeps the higher
    /// priority and the earlier `run_after` of the two.
    async fn enqueue(&self, jobs: &[NewJob]) -> Result<Vec<i64>>;
    /// [`Store::put_fragments`] and [`Store::enqueue`] in one transaction: an uploaded
    /// file's document and its first job are written together (one commit per file
    /// instead of two, and no file left without its job by a crash in between). Returns
    /// the job ids as `enqueue` does.
    async fn put_fragments_and_enqueue(
        &self,
        collection_id: i64,
        origin: &str,
        entities: &[Entity],
        jobs: &[NewJob],
    ) -> Result<Vec<i64>>;
    /// Take up to `limit` queued jobs of these stages whose `run_after` has come, highest
    /// priority first, then the one ready longest: each becomes `running` under `worker`'s
    /// lease with one more attempt. Many workers on many machines never take the same job.
    /// Expired leases are recovered first ([`Store::recover_expired`]). No stages, no jobs.
    async fn claim(
        &self,
        worker: &str,
        stages: &[&str],
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>>;
    /// Running jobs whose lease expired (their worker died or hung) go back to the queue,
    /// or become `dead` with error class [`crate::LEASE_EXPIRED`] once they have used
    /// their attempts, so a file that kills workers ends dead instead of looping.
    async fn recover_expired(&self) -> Result<Recovery>;
    /// Extend the lease of the jobs `worker` still holds; returns those ids. A job missing
    /// from the answer was lost (lease expired and taken, cancelled, or deleted): stop it.
    async fn heartbeat(&self, worker: &str, job_ids: &[i64], lease: Duration) -> Result<Vec<i64>>;
    /// Record how `worker`'s attempt at a job ended. Only the holder of the lease may:
    /// anyone else gets [`Completion::NotHeld`] and nothing changes. A retryable failure
    /// with attempts left is queued again after [`crate::retry_backoff`]; without attempts
    /// left it is `dead`; a failure that is not retryable is `failed`.
    async fn complete(&self, worker: &str, job_id: i64, outcome: JobOutcome) -> Result<Completion>;
    /// [`Store::complete`] and [`Store::enqueue`] of the jobs that follow it, in one
    /// transaction. The jobs are queued only if `worker` still holds the job and the job
    /// ends with this attempt (succeeded, failed or dead; not queued again for a retry):
    /// an attempt that dies, loses its lease or will be retried hands nothing over, and
    /// the one that ends the job hands everything over exactly once. Next jobs in a
    /// collection that is gone are an error, and then nothing changes.
    async fn complete_with(
        &self,
        worker: &str,
        job_id: i64,
        outcome: JobOutcome,
        next: &[NewJob],
    ) -> Result<Completion>;
    /// [`Store::complete_with`] and [`Store::replace_origins`] of `collection_id` in one
    /// transaction: a worker's results for a job are written with its completion (one
    /// commit per file instead of two). The fragments are written only if `worker` still
    /// holds the job (whatever the outcome), so an attempt that lost its lease writes
    /// nothing; errors are those of either method, and then nothing changes.
    async fn complete_replacing(
        &self,
        worker: &str,
        job_id: i64,
        outcome: JobOutcome,
        next: &[NewJob],
        collection_id: i64,
        origins: &[(String, Vec<Entity>)],
    ) -> Result<Completion>;
    /// Record many of `worker`'s outcomes in one transaction (a batch of index jobs),
    /// each as [`Store::complete`] would; returns the completions in order. A job
    /// listed twice is completed once: the second gets [`Completion::NotHeld`].
    async fn complete_many(
        &self,
        worker: &str,
        outcomes: &[(i64, JobOutcome)],
    ) -> Result<Vec<Completion>>;
    /// Cancel the queued and running jobs of a collection (of one stage, if given);
    /// returns how many.
    async fn cancel_jobs(&self, collection_id: i64, stage: Option<&str>) -> Result<u64>;
    /// Job counts per collection and stage (of one collection, if given), ordered by
    /// collection and stage.
    async fn job_counts(&self, collection_id: Option<i64>) -> Result<Vec<StageCounts>>;
    /// Jobs matching a filter, in id order, with the total.
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Page<Job>>;
    /// Queue matching finished jobs again, attempts reset and errors cleared. The states
    /// are the filter's finished ones, by default failed and dead (and, with
    /// `processor_version_before`, succeeded); paging is ignored. Of several matching jobs
    /// for one entity and stage only the newest is queued, and none when one is queued
    /// already. Returns how many were queued.
    async fn retry_jobs(&self, filter: &JobFilter) -> Result<u64>;
    /// One job.
    async fn job(&self, id: i64) -> Result<Job>;

    // --- cross-referencing ----------------------------------------------------------------

    /// Start or restart a collection's xref run: write its run row and, with `clear`,
    /// remove the collection's earlier matches, in one transaction. Returns how many
    /// matches were removed.
    async fn begin_xref_run(&self, run: &XrefRun, clear: bool) -> Result<u64>;
    /// Save a finished batch and the run's checkpoint in one transaction: a pair keeps
    /// its best score (or the newer method's), a pair judged negative is skipped.
    /// Returns how many matches were written.
    async fn save_xref_batch(&self, run: &XrefRun, matches: &[XrefMatch]) -> Result<u64>;
    /// A collection's run, if it ever had one.
    async fn xref_run(&self, collection_id: i64) -> Result<Option<XrefRun>>;
    /// A collection's matches, best first, with their decisions.
    async fn xref_matches(&self, query: &XrefQuery) -> Result<Page<XrefItem>>;
    /// Record (or, with no judgement, remove) a decision about a pair, for both
    /// directions. Positive pairs share a profile (joining the profiles either side had);
    /// a negative one removes the pair's matches. Returns the decision as seen from the
    /// first entity.
    async fn decide(&self, decision: &NewDecision) -> Result<Option<Decision>>;
    /// The decisions about one entity, by match.
    async fn decisions(&self, collection_id: i64, entity_id: &str) -> Result<Vec<Decision>>;
    /// The decisions whose pairs make up a profile (both directions of each).
    async fn profile_decisions(&self, profile_id: &str) -> Result<Vec<Decision>>;

    // --- audit log ------------------------------------------------------------------------

    /// Append entries to the audit log, all or none (at most [`crate::MAX_AUDIT_BATCH`]).
    /// Oversized fields are cut rather than refused.
    async fn record_audit(&self, entries: &[NewAuditEntry]) -> Result<()>;
    /// Audit entries matching a query, newest first, with the total.
    async fn audit_log(&self, query: &AuditQuery) -> Result<Page<AuditEntry>>;
    /// Delete the entries older than `before`; returns how many.
    async fn prune_audit(&self, before: Timestamp) -> Result<u64>;
}

/// Every entity `filter` selects, merged, in key order, fetched `page_size` entities at a
/// time so a collection is never held in memory. An entity that cannot be read yields an
/// `Err(StoreError::Corrupt)` and the stream goes on; a database error ends it.
pub fn stream_entities(
    store: Arc<dyn Store>,
    filter: EntityFilter,
    page_size: u32,
) -> BoxStream<'static, Result<StoredEntity>> {
    struct State {
        store: Arc<dyn Store>,
        buffer: VecDeque<Result<StoredEntity>>,
        next: Option<Option<EntityKey>>,
    }
    let page_size = page_size.max(1);
    let start = State {
        store,
        buffer: VecDeque::new(),
        next: Some(None),
    };
    stream::unfold(start, move |mut state| async move {
        loop {
            if let Some(item) = state.buffer.pop_front() {
                return Some((item, state));
            }
            let after = state.next.take()?;
            match state
                .store
                .entity_page(filter, after.as_ref(), page_size)
                .await
            {
                Ok(page) => {
                    state.next = page.next.map(Some);
                    state.buffer = in_key_order(page.batch);
                }
                Err(e) => state.buffer.push_back(Err(e)),
            }
        }
    })
    .boxed()
}

fn in_key_order(batch: EntityBatch) -> VecDeque<Result<StoredEntity>> {
    let mut items: Vec<(EntityKey, Result<StoredEntity>)> = batch
        .entities
        .into_iter()
        .map(|e| (e.key(), Ok(e)))
        .collect();
    for broken in batch.broken {
        let err = broken.to_error();
        items.push((broken.key, Err(err)));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.into_iter().map(|(_, item)| item).collect()
}
