//! Deleting a collection in the background, on SQLite (see `crate::purge`).

use std::collections::BTreeSet;

use rusqlite::{Connection, params};

use super::{collections, jobs};
use crate::purge::{
    BlobReference, FragmentCursor, FragmentHashes, FragmentScope, PURGE_MAX_ATTEMPTS, PURGE_STAGE,
    PurgeStep, PurgeTable, content_hashes,
};
use crate::time::to_micros;
use crate::{Result, StoreError, Timestamp};

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
    match collections::get(conn, id, true) {
        Ok(c) if !c.is_deleted() => {
            return Err(StoreError::invalid(format!(
                "collection {id} is not deleted: refusing to purge it"
            )));
        }
        Ok(_) => {}
        Err(StoreError::NotFound { .. }) => return Ok(PurgeStep::Finished),
        Err(e) => return Err(e),
    }
    let limit = i64::from(limit.max(1));
    for table in PurgeTable::ALL {
        let mut stmt = conn.prepare_cached(table.delete_sql())?;
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

pub(super) fn file_hashes(conn: &Connection, id: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT content_hash FROM documents WHERE collection_id = ?1 AND content_hash IS NOT NULL
         UNION
         SELECT content_hash FROM exports WHERE collection_id = ?1 AND content_hash IS NOT NULL",
    )?;
    let hashes = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<std::result::Result<Vec<String>, _>>()?;
    Ok(hashes)
}

pub(super) fn references(conn: &Connection, hashes: &[String]) -> Result<Vec<BlobReference>> {
    let list = serde_json::to_string(hashes).map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut stmt = conn.prepare_cached(
        "SELECT content_hash, collection_id FROM documents
         WHERE content_hash IN (SELECT value FROM json_each(?1))
         UNION
         SELECT content_hash, collection_id FROM exports
         WHERE deleted = 0 AND content_hash IN (SELECT value FROM json_each(?1))",
    )?;
    let refs = stmt
        .query_map([list], |r| {
            Ok(BlobReference {
                content_hash: r.get(0)?,
                collection_id: r.get(1)?,
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(refs)
}

pub(super) fn fragment_hashes(
    conn: &Connection,
    scope: FragmentScope,
    after: Option<&FragmentCursor>,
    limit: u32,
) -> Result<FragmentHashes> {
    let (collection, entity, origin) = match after {
        Some(c) => (c.collection_id, c.entity_id.as_str(), c.origin.as_str()),
        None => (i64::MIN, "", ""),
    };
    let limit = limit.max(1);
    let (sql, id) = match scope {
        FragmentScope::Only(id) => (
            "SELECT collection_id, entity_id, origin, data FROM fragments
             WHERE collection_id = ?1 AND (entity_id, origin) > (?3, ?4)
             ORDER BY collection_id, entity_id, origin LIMIT ?5",
            id,
        ),
        FragmentScope::AllBut(id) => (
            "SELECT collection_id, entity_id, origin, data FROM fragments
             WHERE collection_id <> ?1 AND (collection_id, entity_id, origin) > (?2, ?3, ?4)
             ORDER BY collection_id, entity_id, origin LIMIT ?5",
            id,
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params![id, collection, entity, origin, limit])?;
    let mut out = FragmentHashes::default();
    let mut hashes = BTreeSet::new();
    let mut seen = 0u32;
    let mut last = None;
    while let Some(row) = rows.next()? {
        let data: String = row.get(3)?;
        content_hashes(&data, &mut hashes);
        last = Some(FragmentCursor {
            collection_id: row.get(0)?,
            entity_id: row.get(1)?,
            origin: row.get(2)?,
        });
        seen += 1;
    }
    out.hashes = hashes;
    if seen == limit {
        out.next = last;
    }
    Ok(out)
}
