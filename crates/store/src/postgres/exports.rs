//! Exports in PostgreSQL. Claims lock the rows they take (`FOR UPDATE SKIP LOCKED`), so
//! workers in several processes never lease the same export.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{collections, query};
use crate::exports::{COLUMNS, ExportRow, map_to_text, reason};
use crate::{
    EXPORT_LEASE_EXPIRED, Export, ExportOutcome, NewExport, Page, Result, StoreError, Timestamp,
};

fn read(row: &Row) -> Result<Export> {
    ExportRow {
        id: row.try_get(0)?,
        operation: row.try_get(1)?,
        label: row.try_get(2)?,
        creator_id: row.try_get(3)?,
        collection_id: row.try_get(4)?,
        params: row.try_get(5)?,
        meta: row.try_get(6)?,
        file_name: row.try_get(7)?,
        mime_type: row.try_get(8)?,
        status: row.try_get(9)?,
        error: row.try_get(10)?,
        content_hash: row.try_get(11)?,
        file_size: row.try_get(12)?,
        deleted: row.try_get(13)?,
        attempts: i64::from(row.try_get::<_, i32>(14)?),
        max_attempts: i64::from(row.try_get::<_, i32>(15)?),
        expires_at: row.try_get(16)?,
        created_at: row.try_get(17)?,
        updated_at: row.try_get(18)?,
    }
    .into_export()
}

fn read_all(rows: &[Row]) -> Result<Vec<Export>> {
    rows.iter().map(read).collect()
}

pub(super) async fn get<C: GenericClient>(c: &C, id: i64) -> Result<Export> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE id = $1");
    match query(c, &sql, &[&id]).await?.first() {
        Some(row) => read(row),
        None => Err(StoreError::not_found("export", id)),
    }
}

pub(super) async fn create<C: GenericClient>(
    c: &C,
    new: &NewExport,
    now: Timestamp,
) -> Result<Export> {
    collections::role_kind(c, new.creator_id).await?;
    if let Some(collection_id) = new.collection_id {
        collections::get(c, collection_id, false).await?;
    }
    let sql = format!(
        "INSERT INTO exports (operation, label, creator_id, collection_id, params, meta,
             file_name, mime_type, max_attempts, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         RETURNING {COLUMNS}"
    );
    let max_attempts = i32::try_from(new.max_attempts).unwrap_or(i32::MAX);
    let rows = query(
        c,
        &sql,
        &[
            &new.operation.as_str(),
            &new.label,
            &new.creator_id,
            &new.collection_id,
            &map_to_text(&new.params),
            &map_to_text(&new.meta),
            &new.file_name,
            &new.mime_type,
            &max_attempts,
            &new.expires_at,
            &now,
        ],
    )
    .await?;
    rows.first()
        .map(read)
        .ok_or_else(|| StoreError::Backend("insert returned no row".into()))?
}

pub(super) async fn list<C: GenericClient>(
    c: &C,
    creator_id: i64,
    limit: u32,
    offset: u64,
) -> Result<Page<Export>> {
    let total: i64 = query(
        c,
        "SELECT COUNT(*) FROM exports WHERE creator_id = $1 AND NOT deleted",
        &[&creator_id],
    )
    .await?
    .first()
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    let sql = format!(
        "SELECT {COLUMNS} FROM exports WHERE creator_id = $1 AND NOT deleted
         ORDER BY id DESC LIMIT $2 OFFSET $3"
    );
    let limit = i64::from(limit);
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let items = read_all(&query(c, &sql, &[&creator_id, &limit, &offset]).await?)?;
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub(super) async fn claim<C: GenericClient>(
    c: &C,
    worker: &str,
    limit: u32,
    lease_us: i64,
    now: Timestamp,
) -> Result<Vec<Export>> {
    // Exports whose workers kept dying end failed rather than loop.
    query(
        c,
        "UPDATE exports SET status = 'failed', error = $2, lease_owner = NULL,
             lease_expires_at = NULL, updated_at = $1
         WHERE status = 'pending' AND NOT deleted AND lease_expires_at < $1
           AND attempts >= max_attempts
         RETURNING id",
        &[&now, &EXPORT_LEASE_EXPIRED],
    )
    .await?;
    let lease_end = now + chrono::Duration::microseconds(lease_us);
    let limit = i64::from(limit);
    let sql = format!(
        "WITH free AS (
             SELECT id FROM exports
             WHERE status = 'pending' AND NOT deleted AND attempts < max_attempts
               AND (lease_expires_at IS NULL OR lease_expires_at < $1)
             ORDER BY id LIMIT $2
             FOR UPDATE SKIP LOCKED)
         UPDATE exports e SET lease_owner = $3, lease_expires_at = $4,
             attempts = e.attempts + 1, updated_at = $1
         FROM free WHERE e.id = free.id
         RETURNING {}",
        prefixed("e.")
    );
    let mut items = read_all(&query(c, &sql, &[&now, &limit, &worker, &lease_end]).await?)?;
    items.sort_by_key(|e| e.id);
    Ok(items)
}

/// The column list with a table prefix, for statements that join.
fn prefixed(prefix: &str) -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("{prefix}{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn heartbeat<C: GenericClient>(
    c: &C,
    worker: &str,
    ids: &[i64],
    lease_us: i64,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let lease_end = now + chrono::Duration::microseconds(lease_us);
    let rows = query(
        c,
        "UPDATE exports SET lease_expires_at = $3, updated_at = $4
         WHERE id = ANY($1) AND lease_owner = $2 AND status = 'pending' AND NOT deleted
         RETURNING id",
        &[&ids, &worker, &lease_end, &now],
    )
    .await?;
    let mut held = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<Vec<i64>, _>>()?;
    held.sort_unstable();
    Ok(held)
}

pub(super) async fn finish<C: GenericClient>(
    c: &C,
    worker: &str,
    id: i64,
    outcome: &ExportOutcome,
    now: Timestamp,
) -> Result<Option<Export>> {
    if matches!(outcome, ExportOutcome::Succeeded(_)) {
        // The content becomes a reference to its blob (see `crate::purge`); the lock comes
        // before the row lock, as a release takes them in that order too.
        super::purge::share_blob_lock(c).await?;
    }
    let rows = query(
        c,
        "SELECT attempts, max_attempts FROM exports
         WHERE id = $1 AND lease_owner = $2 AND status = 'pending'
         FOR UPDATE",
        &[&id, &worker],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let (attempts, max_attempts): (i32, i32) = (row.try_get(0)?, row.try_get(1)?);
    match outcome {
        ExportOutcome::Succeeded(content) => {
            let size = i64::try_from(content.file_size).unwrap_or(i64::MAX);
            query(
                c,
                "UPDATE exports SET status = 'successful', content_hash = $2, file_size = $3,
                     error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $4
                 WHERE id = $1 RETURNING id",
                &[&id, &content.content_hash, &size, &now],
            )
            .await?;
        }
        ExportOutcome::Retry(why) if attempts < max_attempts => {
            query(
                c,
                "UPDATE exports SET error = $2, lease_owner = NULL, lease_expires_at = NULL,
                     updated_at = $3
                 WHERE id = $1 RETURNING id",
                &[&id, &reason(why), &now],
            )
            .await?;
        }
        ExportOutcome::Failed(why) | ExportOutcome::Retry(why) => {
            query(
                c,
                "UPDATE exports SET status = 'failed', error = $2, lease_owner = NULL,
                     lease_expires_at = NULL, updated_at = $3
                 WHERE id = $1 RETURNING id",
                &[&id, &reason(why), &now],
            )
            .await?;
        }
    }
    get(c, id).await.map(Some)
}

pub(super) async fn expired<C: GenericClient>(
    c: &C,
    at: Timestamp,
    limit: u32,
) -> Result<Vec<Export>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exports WHERE NOT deleted AND expires_at <= $1
         ORDER BY expires_at, id LIMIT $2"
    );
    let limit = i64::from(limit);
    read_all(&query(c, &sql, &[&at, &limit]).await?)
}

pub(super) async fn delete<C: GenericClient>(c: &C, id: i64, now: Timestamp) -> Result<bool> {
    get(c, id).await?;
    let rows = query(
        c,
        "UPDATE exports SET deleted = TRUE, lease_owner = NULL, lease_expires_at = NULL,
             updated_at = $2
         WHERE id = $1 AND NOT deleted
         RETURNING id",
        &[&id, &now],
    )
    .await?;
    Ok(!rows.is_empty())
}

pub(super) async fn counts<C: GenericClient>(
    c: &C,
    collection_id: i64,
    now: Timestamp,
) -> Result<(u64, u64)> {
    let rows = query(
        c,
        "SELECT COUNT(*) FILTER (WHERE lease_expires_at IS NULL OR lease_expires_at < $2),
                COUNT(*) FILTER (WHERE lease_expires_at >= $2)
         FROM exports
         WHERE collection_id = $1 AND status = 'pending' AND NOT deleted",
        &[&collection_id, &now],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok((0, 0));
    };
    let (waiting, held): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    Ok((
        u64::try_from(waiting).unwrap_or(0),
        u64::try_from(held).unwrap_or(0),
    ))
}
