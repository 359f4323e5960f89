//! Uploaded documents in SQLite.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{collections, time};
use crate::documents::{DocumentKey, document_key};
use crate::time::to_micros;
use crate::{DocumentRow, Result, StoreError, Timestamp};

const COLUMNS: &str =
    "id, collection_id, parent_id, foreign_id, content_hash, created_at, updated_at";

fn read(row: &Row<'_>) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: row.get(0)?,
        collection_id: row.get(1)?,
        parent_id: row.get(2)?,
        foreign_id: row.get(3)?,
        content_hash: row.get(4)?,
        created_at: time(row.get(5)?)?,
        updated_at: time(row.get(6)?)?,
    })
}

pub(super) fn get(conn: &Connection, collection_id: i64, id: i64) -> Result<Option<DocumentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM documents WHERE id = ?1 AND collection_id = ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![id, collection_id])?;
    rows.next()?.map(read).transpose()
}

/// The single writer makes look-up-then-insert atomic here.
pub(super) fn upsert(
    conn: &Connection,
    collection_id: i64,
    parent_id: Option<i64>,
    foreign_id: Option<&str>,
    content_hash: Option<&str>,
    now: Timestamp,
) -> Result<(i64, bool)> {
    let (key, hash) = document_key(foreign_id, content_hash)?;
    collections::get(conn, collection_id, false)?;
    if let Some(parent) = parent_id
        && get(conn, collection_id, parent)?.is_none()
    {
        return Err(StoreError::not_found("document", parent));
    }
    let existing: Option<i64> = match &key {
        DocumentKey::ForeignId(fid) => conn
            .prepare_cached(
                "SELECT id FROM documents WHERE collection_id = ?1
                 AND COALESCE(parent_id, 0) = COALESCE(?2, 0) AND foreign_id = ?3",
            )?
            .query_row(params![collection_id, parent_id, fid], |r| r.get(0))
            .optional()?,
        DocumentKey::ContentHash(h) => conn
            .prepare_cached(
                "SELECT id FROM documents WHERE collection_id = ?1
                 AND COALESCE(parent_id, 0) = COALESCE(?2, 0)
                 AND foreign_id IS NULL AND content_hash = ?3",
            )?
            .query_row(params![collection_id, parent_id, h], |r| r.get(0))
            .optional()?,
    };
    let ts = to_micros(now);
    if let Some(h) = &hash {
        super::purge::add_refs(conn, collection_id, std::slice::from_ref(h))?;
    }
    if let Some(id) = existing {
        conn.prepare_cached(
            "UPDATE documents SET content_hash = COALESCE(?2, content_hash), updated_at = ?3
             WHERE id = ?1",
        )?
        .execute(params![id, hash, ts])?;
        return Ok((id, false));
    }
    let fid = match &key {
        DocumentKey::ForeignId(fid) => Some(fid.as_str()),
        DocumentKey::ContentHash(_) => None,
    };
    conn.prepare_cached(
        "INSERT INTO documents (collection_id, parent_id, foreign_id, content_hash, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![collection_id, parent_id, fid, hash, ts])?;
    Ok((conn.last_insert_rowid(), true))
}
