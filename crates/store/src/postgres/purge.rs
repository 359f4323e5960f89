//! Deleting a collection in the background, on PostgreSQL (see `crate::purge`).

use std::collections::BTreeSet;

use deadpool_postgres::GenericClient;

use super::{collections, jobs, query};
use crate::purge::{
    BlobReference, FragmentCursor, FragmentHashes, FragmentScope, PURGE_MAX_ATTEMPTS, PURGE_STAGE,
    PurgeStep, PurgeTable, content_hashes,
};
use crate::{Result, StoreError, Timestamp};

/// A statement written with SQLite's `?N` parameters, in PostgreSQL's `$N`.
fn dollar(sql: &str) -> String {
    sql.replace('?', "$")
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
    match collections::get(c, id, true).await {
        Ok(col) if !col.is_deleted() => {
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
        let sql = dollar(table.delete_sql());
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

pub(super) async fn file_hashes<C: GenericClient>(c: &C, id: i64) -> Result<Vec<String>> {
    let rows = query(
        c,
        "SELECT content_hash FROM documents WHERE collection_id = $1 AND content_hash IS NOT NULL
         UNION
         SELECT content_hash FROM exports WHERE collection_id = $1 AND content_hash IS NOT NULL",
        &[&id],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?)
}

pub(super) async fn references<C: GenericClient>(
    c: &C,
    hashes: &[String],
) -> Result<Vec<BlobReference>> {
    let rows = query(
        c,
        "SELECT content_hash, collection_id FROM documents WHERE content_hash = ANY($1)
         UNION
         SELECT content_hash, collection_id FROM exports
         WHERE NOT deleted AND content_hash = ANY($1)",
        &[&hashes],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(BlobReference {
            content_hash: r.try_get(0)?,
            collection_id: r.try_get(1)?,
        });
    }
    Ok(out)
}

pub(super) async fn fragment_hashes<C: GenericClient>(
    c: &C,
    scope: FragmentScope,
    after: Option<&FragmentCursor>,
    limit: u32,
) -> Result<FragmentHashes> {
    let (collection, entity, origin) = match after {
        Some(c) => (c.collection_id, c.entity_id.as_str(), c.origin.as_str()),
        None => (i64::MIN, "", ""),
    };
    let limit = limit.max(1);
    let n = i64::from(limit);
    let rows = match scope {
        FragmentScope::Only(id) => {
            query(
                c,
                "SELECT collection_id, entity_id, origin, data FROM fragments
                 WHERE collection_id = $1 AND (entity_id, origin) > ($2, $3)
                 ORDER BY collection_id, entity_id, origin LIMIT $4",
                &[&id, &entity, &origin, &n],
            )
            .await?
        }
        FragmentScope::AllBut(id) => {
            query(
                c,
                "SELECT collection_id, entity_id, origin, data FROM fragments
                 WHERE collection_id <> $1 AND (collection_id, entity_id, origin) > ($2, $3, $4)
                 ORDER BY collection_id, entity_id, origin LIMIT $5",
                &[&id, &collection, &entity, &origin, &n],
            )
            .await?
        }
    };
    let mut hashes = BTreeSet::new();
    for r in &rows {
        let data: &str = r.try_get(3)?;
        content_hashes(data, &mut hashes);
    }
    let next = match rows.last() {
        Some(r) if rows.len() == limit as usize => Some(FragmentCursor {
            collection_id: r.try_get(0)?,
            entity_id: r.try_get(1)?,
            origin: r.try_get(2)?,
        }),
        _ => None,
    };
    Ok(FragmentHashes { hashes, next })
}
