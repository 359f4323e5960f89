//! Deleting a collection in the background, on SQLite (see `crate::purge`). Every write
//! goes through the one writer connection, which is what serializes blob releases with
//! each other and with the writers adding references.

use std::collections::BTreeSet;

use rusqlite::{Connection, params};

use super::{collections, jobs};
use crate::purge::{
    BlobRelease, MarkScope, PURGE_MAX_ATTEMPTS, PURGE_STAGE, PurgeStep, PurgeTable, purgeable, sql,
    unreleased,
};
use crate::time::to_micros;
use crate::{Result, Timestamp};

pub(super) fn retire(
    conn: &Connection,
    id: i64,
    deleted_by: Option<i64>,
    now: Timestamp,
) -> Result<i64> {
    collections::get(conn, id, false)?;
    let ts = to_micros(now);
    conn.execute("DELETE FROM permissions WHERE collection_id = ?1", [id])?;
    jobs::cancel(conn, id, None, now)?;
    conn.execute(
        "UPDATE collections SET deleted_at = ?2, updated_at = ?2, data_updated_at = ?2
         WHERE id = ?1",
        params![id, ts],
    )?;
    let payload = serde_json::json!({ "deleted_by": deleted_by }).to_string();
    let job = conn.query_row(
        "INSERT INTO jobs (collection_id, stage, payload, state, priority, attempts,
             max_attempts, run_after, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'queued', 0, 0, ?4, ?5, ?5, ?5)
         RETURNING id",
        params![id, PURGE_STAGE, payload, PURGE_MAX_ATTEMPTS, ts],
        |r| r.get(0),
    )?;
    Ok(job)
}

pub(super) fn batch(conn: &Connection, id: i64, purge_job: i64, limit: u32) -> Result<PurgeStep> {
    if !purgeable(collections::get(conn, id, true), id)? {
        return Ok(PurgeStep::Finished);
    }
    if conn.query_row(sql::HAS_REFS, [id], |r| r.get::<_, bool>(0))? {
        return Err(unreleased(id));
    }
    let limit = i64::from(limit.max(1));
    for table in PurgeTable::ALL {
        let mut stmt = conn.prepare_cached(&table.delete_sql())?;
        let rows = if table == PurgeTable::Jobs {
            stmt.execute(params![id, limit, purge_job])?
        } else {
            stmt.execute(params![id, limit])?
        };
        if rows > 0 {
            return Ok(PurgeStep::Removed {
                table,
                rows: rows as u64,
            });
        }
    }
    conn.execute(
        "DELETE FROM collections WHERE id = ?1 AND deleted_at IS NOT NULL",
        [id],
    )?;
    Ok(PurgeStep::Finished)
}

pub(super) fn collection_ids(conn: &Connection, deleted: bool) -> Result<Vec<i64>> {
    let sql = if deleted {
        "SELECT id FROM collections WHERE deleted_at IS NOT NULL ORDER BY id"
    } else {
        "SELECT id FROM collections WHERE deleted_at IS NULL ORDER BY id"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// The hashes a releasing statement returned (exports without content give none).
fn returned(
    conn: &Connection,
    statement: &str,
    args: impl rusqlite::Params,
) -> Result<(u64, BTreeSet<String>)> {
    let mut stmt = conn.prepare_cached(statement)?;
    let mut rows = stmt.query(args)?;
    let mut count = 0;
    let mut hashes = BTreeSet::new();
    while let Some(row) = rows.next()? {
        count += 1;
        if let Some(h) = row.get::<_, Option<String>>(0)? {
            hashes.insert(h);
        }
    }
    Ok((count, hashes))
}

/// Mark the blobs among `hashes` that nothing refers to any more; returns them.
fn mark_unreferenced(
    conn: &Connection,
    hashes: BTreeSet<String>,
    collection_id: Option<i64>,
    now: Timestamp,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for hash in hashes {
        if !conn
            .prepare_cached(sql::REFERENCED)?
            .query_row([&hash], |r| r.get::<_, bool>(0))?
        {
            conn.prepare_cached(sql::MARK)?.execute(params![
                hash,
                to_micros(now),
                collection_id
            ])?;
            out.push(hash);
        }
    }
    Ok(out)
}

pub(super) fn release(
    conn: &Connection,
    id: i64,
    limit: u32,
    now: Timestamp,
) -> Result<BlobRelease> {
    if !purgeable(collections::get(conn, id, true), id)? {
        return Ok(BlobRelease::default());
    }
    let limit = i64::from(limit.max(1));
    let (mut released, mut hashes) = returned(
        conn,
        sql::RELEASE_EXPORTS,
        params![id, limit, to_micros(now)],
    )?;
    if released == 0 {
        (released, hashes) = returned(conn, sql::RELEASE_REFS, params![id, limit])?;
    }
    Ok(BlobRelease {
        released,
        unreferenced: mark_unreferenced(conn, hashes, Some(id), now)?,
    })
}

/// Remove all of a collection's references at once (a hard delete, in its transaction)
/// and mark the blobs left without any, as no purge's.
pub(super) fn release_all(conn: &Connection, id: i64, now: Timestamp) -> Result<Vec<String>> {
    let (_, hashes) = returned(conn, sql::RELEASE_ALL_REFS, [id])?;
    mark_unreferenced(conn, hashes, None, now)
}

pub(super) fn release_export(conn: &Connection, id: i64, now: Timestamp) -> Result<Option<String>> {
    super::exports::get(conn, id)?;
    let (_, hashes) = returned(conn, sql::RELEASE_EXPORT, params![id, to_micros(now)])?;
    Ok(mark_unreferenced(conn, hashes, None, now)?.pop())
}

pub(super) fn marks(conn: &Connection, scope: MarkScope, limit: u32) -> Result<Vec<String>> {
    let limit = i64::from(limit.max(1));
    let (statement, key) = match scope {
        MarkScope::Collection(id) => (sql::MARKS_OF, id),
        MarkScope::Before(at) => (sql::MARKS_BEFORE, to_micros(at)),
    };
    let mut stmt = conn.prepare_cached(statement)?;
    let hashes = stmt
        .query_map(params![key, limit], |r| r.get(0))?
        .collect::<std::result::Result<Vec<String>, _>>()?;
    Ok(hashes)
}

pub(super) fn confirm(conn: &Connection, hashes: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for hash in hashes {
        if !conn
            .prepare_cached(sql::MARKED)?
            .query_row([hash], |r| r.get::<_, bool>(0))?
        {
            continue;
        }
        if conn
            .prepare_cached(sql::REFERENCED)?
            .query_row([hash], |r| r.get::<_, bool>(0))?
        {
            conn.prepare_cached(sql::UNMARK)?.execute([hash])?;
        } else {
            out.push(hash.clone());
        }
    }
    Ok(out)
}

pub(super) fn forget(conn: &Connection, hashes: &[String]) -> Result<()> {
    for hash in hashes {
        conn.prepare_cached(sql::UNMARK)?.execute([hash])?;
    }
    Ok(())
}

pub(super) fn marked(conn: &Connection, hash: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(sql::MARKED)?
        .query_row([hash], |r| r.get(0))?)
}

/// Record that `collection_id` refers to every one of `hashes`; part of the transaction
/// that writes the referring rows.
pub(super) fn add_refs(conn: &Connection, collection_id: i64, hashes: &[String]) -> Result<()> {
    for hash in hashes {
        conn.prepare_cached(sql::ADD_REF)?
            .execute(params![hash, collection_id])?;
    }
    Ok(())
}
