//! Exports in SQLite. Claims need no row locks: every write goes through the one writer
//! connection in an immediate transaction, so two claimers never see the same free row.

use rusqlite::{Connection, Row, params};

use super::{collections, ids_json, time};
use crate::exports::{COLUMNS, ExportRow, map_to_text, reason};
use crate::time::to_micros;
use crate::{
    EXPORT_LEASE_EXPIRED, Export, ExportOutcome, NewExport, Page, Result, StoreError, Timestamp,
};

fn read(row: &Row<'_>) -> Result<Export> {
    ExportRow {
        id: row.get(0)?,
        operation: row.get(1)?,
        label: row.get(2)?,
        creator_id: row.get(3)?,
        collection_id: row.get(4)?,
        params: row.get(5)?,
        meta: row.get(6)?,
        file_name: row.get(7)?,
        mime_type: row.get(8)?,
        status: row.get(9)?,
        error: row.get(10)?,
        content_hash: row.get(11)?,
        file_size: row.get(12)?,
        deleted: row.get(13)?,
        attempts: row.get(14)?,
        max_attempts: row.get(15)?,
        expires_at: time(row.get(16)?)?,
        created_at: time(row.get(17)?)?,
        updated_at: time(row.get(18)?)?,
    }
    .into_export()
}

fn select(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Export>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}

pub(super) fn get(conn: &Connection, id: i64) -> Result<Export> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE id = ?1");
    select(conn, &sql, [id])?
        .pop()
        .ok_or_else(|| StoreError::not_found("export", id))
}

pub(super) fn create(conn: &Connection, new: &NewExport, now: Timestamp) -> Result<Export> {
    collections::role_kind(conn, new.creator_id)?;
    if let Some(collection_id) = new.collection_id {
        collections::get(conn, collection_id, false)?;
    }
    conn.prepare_cached(
        "INSERT INTO exports (operation, label, creator_id, collection_id, params, meta,
             file_name, mime_type, max_attempts, expires_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
        new.operation.as_str(),
        new.label,
        new.creator_id,
        new.collection_id,
        map_to_text(&new.params),
        map_to_text(&new.meta),
        new.file_name,
        new.mime_type,
        i64::from(new.max_attempts),
        to_micros(new.expires_at),
        to_micros(now),
    ])?;
    get(conn, conn.last_insert_rowid())
}

pub(super) fn list(
    conn: &Connection,
    creator_id: i64,
    limit: u32,
    offset: u64,
) -> Result<Page<Export>> {
    let total: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM exports WHERE creator_id = ?1 AND deleted = 0")?
        .query_row([creator_id], |r| r.get(0))?;
    let sql = format!(
        "SELECT {COLUMNS} FROM exports WHERE creator_id = ?1 AND deleted = 0
         ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    );
    let items = select(
        conn,
        &sql,
        params![
            creator_id,
            i64::from(limit),
            i64::try_from(offset).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub(super) fn claim(
    conn: &Connection,
    worker: &str,
    limit: u32,
    lease_us: i64,
    now: Timestamp,
) -> Result<Vec<Export>> {
    let ts = to_micros(now);
    // Exports whose workers kept dying end failed rather than loop.
    conn.prepare_cached(
        "UPDATE exports SET status = 'failed', error = ?2, lease_owner = NULL,
             lease_expires_at = NULL, updated_at = ?1
         WHERE status = 'pending' AND deleted = 0 AND lease_expires_at < ?1
           AND attempts >= max_attempts",
    )?
    .execute(params![ts, EXPORT_LEASE_EXPIRED])?;
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM exports
             WHERE status = 'pending' AND deleted = 0 AND attempts < max_attempts
               AND (lease_expires_at IS NULL OR lease_expires_at < ?1)
             ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![ts, i64::from(limit)], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    conn.prepare_cached(
        "UPDATE exports SET lease_owner = ?2, lease_expires_at = ?3, attempts = attempts + 1,
             updated_at = ?4
         WHERE id IN (SELECT value FROM json_each(?1))",
    )?
    .execute(params![ids_json(&ids), worker, ts + lease_us, ts])?;
    let sql = format!(
        "SELECT {COLUMNS} FROM exports WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id"
    );
    select(conn, &sql, [ids_json(&ids)])
}

pub(super) fn heartbeat(
    conn: &Connection,
    worker: &str,
    ids: &[i64],
    lease_us: i64,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let ts = to_micros(now);
    let mut stmt = conn.prepare_cached(
        "UPDATE exports SET lease_expires_at = ?3, updated_at = ?4
         WHERE id IN (SELECT value FROM json_each(?1)) AND lease_owner = ?2
           AND status = 'pending' AND deleted = 0
         RETURNING id",
    )?;
    let rows = stmt.query_map(params![ids_json(ids), worker, ts + lease_us, ts], |r| {
        r.get(0)
    })?;
    let mut held: Vec<i64> = rows.collect::<rusqlite::Result<_>>()?;
    held.sort_unstable();
    Ok(held)
}

pub(super) fn finish(
    conn: &Connection,
    worker: &str,
    id: i64,
    outcome: &ExportOutcome,
    now: Timestamp,
) -> Result<Option<Export>> {
    let ts = to_micros(now);
    let held: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT attempts, max_attempts FROM exports
             WHERE id = ?1 AND lease_owner = ?2 AND status = 'pending'",
        )?
        .query_row(params![id, worker], |r| Ok((r.get(0)?, r.get(1)?)))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let Some((attempts, max_attempts)) = held else {
        return Ok(None);
    };
    match outcome {
        ExportOutcome::Succeeded(content) => {
            conn.prepare_cached(
                "UPDATE exports SET status = 'successful', content_hash = ?2, file_size = ?3,
                     error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?4
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                content.content_hash,
                i64::try_from(content.file_size).unwrap_or(i64::MAX),
                ts
            ])?;
        }
        ExportOutcome::Retry(why) if attempts < max_attempts => {
            conn.prepare_cached(
                "UPDATE exports SET error = ?2, lease_owner = NULL, lease_expires_at = NULL,
                     updated_at = ?3
                 WHERE id = ?1",
            )?
            .execute(params![id, reason(why), ts])?;
        }
        ExportOutcome::Failed(why) | ExportOutcome::Retry(why) => {
            conn.prepare_cached(
                "UPDATE exports SET status = 'failed', error = ?2, lease_owner = NULL,
                     lease_expires_at = NULL, updated_at = ?3
                 WHERE id = ?1",
            )?
            .execute(params![id, reason(why), ts])?;
        }
    }
    get(conn, id).map(Some)
}

pub(super) fn expired(conn: &Connection, now: Timestamp, limit: u32) -> Result<Vec<Export>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exports WHERE deleted = 0 AND expires_at <= ?1
         ORDER BY expires_at, id LIMIT ?2"
    );
    select(conn, &sql, params![to_micros(now), i64::from(limit)])
}

pub(super) fn delete(conn: &Connection, id: i64, now: Timestamp) -> Result<bool> {
    get(conn, id)?;
    let changed = conn
        .prepare_cached(
            "UPDATE exports SET deleted = 1, lease_owner = NULL, lease_expires_at = NULL,
                 updated_at = ?2
             WHERE id = ?1 AND deleted = 0",
        )?
        .execute(params![id, to_micros(now)])?;
    Ok(changed > 0)
}

pub(super) fn counts(conn: &Connection, collection_id: i64, now: Timestamp) -> Result<(u64, u64)> {
    let (waiting, held): (i64, i64) = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(lease_expires_at IS NULL OR lease_expires_at < ?2), 0),
                    COALESCE(SUM(lease_expires_at >= ?2), 0)
             FROM exports
             WHERE collection_id = ?1 AND status = 'pending' AND deleted = 0",
        )?
        .query_row(params![collection_id, to_micros(now)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok((
        u64::try_from(waiting).unwrap_or(0),
        u64::try_from(held).unwrap_or(0),
    ))
}
