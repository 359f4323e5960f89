//! Uploaded documents in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{collections, query};
use crate::documents::{DocumentKey, document_key};
use crate::{DocumentRow, Result, StoreError, Timestamp};

const COLUMNS: &str =
    "id, collection_id, parent_id, foreign_id, content_hash, created_at, updated_at";

fn read(row: &Row) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: row.try_get(0)?,
        collection_id: row.try_get(1)?,
        parent_id: row.try_get(2)?,
        foreign_id: row.try_get(3)?,
        content_hash: row.try_get(4)?,
        created_at: row.try_get(5)?,
        updated_at: row.try_get(6)?,
    })
}

pub(super) async fn get<C: GenericClient>(
    c: &C,
    collection_id: i64,
    id: i64,
) -> Result<Option<DocumentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM documents WHERE id = $1 AND collection_id = $2");
    query(c, &sql, &[&id, &collection_id])
        .await?
        .first()
        .map(read)
        .transpose()
}

/// One `INSERT … ON CONFLICT DO UPDATE` per key, so racing uploads of the same key end
/// on one row. `xmax = 0` in `RETURNING` is PostgreSQL's tell that the row was inserted
/// rather than updated (an updated row carries the updating transaction's id).
pub(super) async fn upsert<C: GenericClient>(
    c: &C,
    collection_id: i64,
    parent_id: Option<i64>,
    foreign_id: Option<&str>,
    content_hash: Option<&str>,
    now: Timestamp,
) -> Result<(i64, bool)> {
    let (key, hash) = document_key(foreign_id, content_hash)?;
    collections::lock_live_keys(c, &[collection_id]).await?;
    if let Some(parent) = parent_id
        && get(c, collection_id, parent).await?.is_none()
    {
        return Err(StoreError::not_found("document", parent));
    }
    if let Some(h) = &hash {
        super::purge::add_refs(c, collection_id, std::slice::from_ref(h)).await?;
    }
    let rows = match &key {
        DocumentKey::ForeignId(fid) => {
            query(
                c,
                "INSERT INTO documents (collection_id, parent_id, foreign_id, content_hash,
                     created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5)
                 ON CONFLICT (collection_id, COALESCE(parent_id, 0), foreign_id)
                     WHERE foreign_id IS NOT NULL
                 DO UPDATE SET content_hash = COALESCE(EXCLUDED.content_hash, documents.content_hash),
                     updated_at = EXCLUDED.updated_at
                 RETURNING id, xmax = 0",
                &[&collection_id, &parent_id, fid, &hash, &now],
            )
            .await?
        }
        DocumentKey::ContentHash(h) => {
            query(
                c,
                "INSERT INTO documents (collection_id, parent_id, foreign_id, content_hash,
                     created_at, updated_at)
                 VALUES ($1, $2, NULL, $3, $4, $4)
                 ON CONFLICT (collection_id, COALESCE(parent_id, 0), content_hash)
                     WHERE foreign_id IS NULL AND content_hash IS NOT NULL
                 DO UPDATE SET updated_at = EXCLUDED.updated_at
                 RETURNING id, xmax = 0",
                &[&collection_id, &parent_id, h, &now],
            )
            .await?
        }
    };
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Backend("document upsert returned no row".into()))?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
