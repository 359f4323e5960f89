//! Deleting a collection in the background, on PostgreSQL (see `crate::purge`).
//!
//! Blob releases take an exclusive transaction-scoped advisory lock on [`BLOB_LOCK`];
//! writers adding references take it shared. So releases run one at a time, and each
//! sees every reference committed before it, while writers do not wait for each other.

use std::collections::BTreeSet;

use deadpool_postgres::GenericClient;

use super::{collections, exports, jobs, query};
use crate::purge::{
    BlobRelease, MarkScope, PURGE_MAX_ATTEMPTS, PURGE_STAGE, PurgeStep, PurgeTable, purgeable, sql,
    unreleased,
};
use crate::{Result, StoreError, Timestamp};

/// The advisory lock key of blob references ("aleph-blobs" folded into 64 bits; any
/// constant no other code uses would do).
const BLOB_LOCK: i64 = 0x616c_6570_685f_626c;

/// A statement written with SQLite's `?N` parameters, in PostgreSQL's `$N`.
fn dollar(sql: &str) -> String {
    sql.replace('?', "$")
}

/// Hold the blob lock exclusively until the transaction ends.
async fn lock_blobs<C: GenericClient>(c: &C) -> Result<()> {
    query(c, "SELECT pg_advisory_xact_lock($1)", &[&BLOB_LOCK]).await?;
    Ok(())
}

/// Hold the blob lock shared until the transaction ends: a release waits for us, and we
/// for a release. Taken before the first reference row the transaction writes.
pub(super) async fn share_blob_lock<C: GenericClient>(c: &C) -> Result<()> {
    query(c, "SELECT pg_advisory_xact_lock_shared($1)", &[&BLOB_LOCK]).await?;
    Ok(())
}

pub(super) async fn retire<C: GenericClient>(
    c: &C,
    id: i64,
    deleted_by: Option<i64>,
    now: Timestamp,
) -> Result<i64> {
    // Lock the row first so concurrent writers to this collection wait for us.
    let locked = query(
        c,
        "SELECT id FROM collections WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        &[&id],
    )
    .await?;
    if locked.is_empty() {
        return Err(StoreError::not_found("collection", id));
    }
    c.execute("DELETE FROM permissions WHERE collection_id = $1", &[&id])
        .await?;
    jobs::cancel(c, id, None).await?;
    c.execute(
        "UPDATE collections SET deleted_at = $2, updated_at = $2, data_updated_at = $2
         WHERE id = $1",
        &[&id, &now],
    )
    .await?;
    let payload = serde_json::json!({ "deleted_by": deleted_by }).to_string();
    let attempts = PURGE_MAX_ATTEMPTS as i32;
    let rows = query(
        c,
        "INSERT INTO jobs (collection_id, stage, payload, state, priority, attempts,
             max_attempts, run_after, created_at, updated_at)
         VALUES ($1, $2, $3, 'queued', 0, 0, $4, now(), now(), now())
         RETURNING id",
        &[&id, &PURGE_STAGE, &payload, &attempts],
    )
    .await?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Backend("the purge job was not written".into()))?;
    Ok(row.try_get(0)?)
}

pub(super) async fn batch<C: GenericClient>(
    c: &C,
    id: i64,
    purge_job: i64,
    limit: u32,
) -> Result<PurgeStep> {
    if !purgeable(collections::get(c, id, true).await, id)? {
        return Ok(PurgeStep::Finished);
    }
    if flag(c, sql::HAS_REFS, &id).await? {
        return Err(unreleased(id));
    }
    let limit = i64::from(limit.max(1));
    for table in PurgeTable::ALL {
        let sql = dollar(&table.delete_sql());
        let stmt = c.prepare_cached(&sql).await?;
        let rows = if table == PurgeTable::Jobs {
            c.execute(&stmt, &[&id, &limit, &purge_job]).await?
        } else {
            c.execute(&stmt, &[&id, &limit]).await?
        };
        if rows > 0 {
            return Ok(PurgeStep::Removed { table, rows });
        }
    }
    c.execute(
        "DELETE FROM collections WHERE id = $1 AND deleted_at IS NOT NULL",
        &[&id],
    )
    .await?;
    Ok(PurgeStep::Finished)
}

pub(super) async fn collection_ids<C: GenericClient>(c: &C, deleted: bool) -> Result<Vec<i64>> {
    let sql = if deleted {
        "SELECT id FROM collections WHERE deleted_at IS NOT NULL ORDER BY id"
    } else {
        "SELECT id FROM collections WHERE deleted_at IS NULL ORDER BY id"
    };
    let rows = query(c, sql, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?)
}

/// A one-row, one-column boolean query of a shared statement.
async fn flag<C: GenericClient>(
    c: &C,
    statement: &str,
    arg: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<bool> {
    let rows = query(c, &dollar(statement), &[arg]).await?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Backend("a boolean query returned no row".into()))?;
    Ok(row.try_get(0)?)
}

/// The hashes a releasing statement returned (exports without content give none).
fn returned(rows: &[tokio_postgres::Row]) -> Result<(u64, BTreeSet<String>)> {
    let mut hashes = BTreeSet::new();
    for r in rows {
        if let Some(h) = r.try_get::<_, Option<String>>(0)? {
            hashes.insert(h);
        }
    }
    Ok((rows.len() as u64, hashes))
}

/// Mark the blobs among `hashes` that nothing refers to any more; returns them.
async fn mark_unreferenced<C: GenericClient>(
    c: &C,
    hashes: BTreeSet<String>,
    collection_id: Option<i64>,
    now: Timestamp,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for hash in hashes {
        if !flag(c, sql::REFERENCED, &hash).await? {
            query(c, &dollar(sql::MARK), &[&hash, &now, &collection_id]).await?;
            out.push(hash);
        }
    }
    Ok(out)
}

pub(super) async fn release<C: GenericClient>(
    c: &C,
    id: i64,
    limit: u32,
    now: Timestamp,
) -> Result<BlobRelease> {
    lock_blobs(c).await?;
    if !purgeable(collections::get(c, id, true).await, id)? {
        return Ok(BlobRelease::default());
    }
    let limit = i64::from(limit.max(1));
    let rows = query(c, &dollar(sql::RELEASE_EXPORTS), &[&id, &limit, &now]).await?;
    let (mut released, mut hashes) = returned(&rows)?;
    if released == 0 {
        let rows = query(c, &dollar(sql::RELEASE_REFS), &[&id, &limit]).await?;
        (released, hashes) = returned(&rows)?;
    }
    Ok(BlobRelease {
        released,
        unreferenced: mark_unreferenced(c, hashes, Some(id), now).await?,
    })
}

/// Remove all of a collection's references at once (a hard delete, in its transaction)
/// and mark the blobs left without any, as no purge's. Takes the blob lock exclusively,
/// after the caller's lock on the collection row (the order writers take them in).
pub(super) async fn release_all<C: GenericClient>(
    c: &C,
    id: i64,
    now: Timestamp,
) -> Result<Vec<String>> {
    lock_blobs(c).await?;
    let rows = query(c, &dollar(sql::RELEASE_ALL_REFS), &[&id]).await?;
    let (_, hashes) = returned(&rows)?;
    mark_unreferenced(c, hashes, None, now).await
}

pub(super) async fn release_export<C: GenericClient>(
    c: &C,
    id: i64,
    now: Timestamp,
) -> Result<Option<String>> {
    lock_blobs(c).await?;
    exports::get(c, id).await?;
    let rows = query(c, &dollar(sql::RELEASE_EXPORT), &[&id, &now]).await?;
    let (_, hashes) = returned(&rows)?;
    Ok(mark_unreferenced(c, hashes, None, now).await?.pop())
}

pub(super) async fn marks<C: GenericClient>(
    c: &C,
    scope: MarkScope,
    limit: u32,
) -> Result<Vec<String>> {
    let limit = i64::from(limit.max(1));
    let rows = match scope {
        MarkScope::Collection(id) => query(c, &dollar(sql::MARKS_OF), &[&id, &limit]).await?,
        MarkScope::Before(at) => query(c, &dollar(sql::MARKS_BEFORE), &[&at, &limit]).await?,
    };
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?)
}

pub(super) async fn confirm<C: GenericClient>(c: &C, hashes: &[String]) -> Result<Vec<String>> {
    lock_blobs(c).await?;
    let mut out = Vec::new();
    for hash in hashes {
        if !flag(c, sql::MARKED, hash).await? {
            continue;
        }
        if flag(c, sql::REFERENCED, hash).await? {
            query(c, &dollar(sql::UNMARK), &[hash]).await?;
        } else {
            out.push(hash.clone());
        }
    }
    Ok(out)
}

pub(super) async fn forget<C: GenericClient>(c: &C, hashes: &[String]) -> Result<()> {
    for hash in hashes {
        query(c, &dollar(sql::UNMARK), &[hash]).await?;
    }
    Ok(())
}

pub(super) async fn marked<C: GenericClient>(c: &C, hash: &str) -> Result<bool> {
    flag(c, sql::MARKED, &hash).await
}

/// Record that `collection_id` refers to every one of `hashes`; part of the transaction
/// that writes the referring rows.
pub(super) async fn add_refs<C: GenericClient>(
    c: &C,
    collection_id: i64,
    hashes: &[String],
) -> Result<()> {
    if hashes.is_empty() {
        return Ok(());
    }
    share_blob_lock(c).await?;
    query(
        c,
        "INSERT INTO file_refs (content_hash, collection_id)
         SELECT h, $2 FROM UNNEST($1::text[]) AS h
         ON CONFLICT (content_hash, collection_id) DO NOTHING",
        &[&hashes, &collection_id],
    )
    .await?;
    Ok(())
}
