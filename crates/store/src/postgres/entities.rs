//! Entity fragments in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::{collections, query};
use crate::fragments::{FragmentInput, FragmentRow, assemble, into_page};
use crate::{EntityBatch, EntityFilter, EntityKey, EntityPage, EntityScope, Result, Timestamp};

const COLUMNS: &str = "collection_id, entity_id, origin, schema, data, created_at, updated_at";

async fn fetch<C: GenericClient>(
    c: &C,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<FragmentRow>> {
    query(c, sql, args)
        .await?
        .iter()
        .map(|row| {
            Ok(FragmentRow {
                collection_id: row.try_get(0)?,
                entity_id: row.try_get(1)?,
                origin: row.try_get(2)?,
                schema: row.try_get(3)?,
                data: row.try_get(4)?,
                created_at: row.try_get(5)?,
                updated_at: row.try_get(6)?,
            })
        })
        .collect()
}

/// One statement for the whole batch: the rows travel as three arrays and are unnested
/// server-side, which is far faster than a round trip per row. The batch has no duplicate
/// ids (see `prepare_batch`), as `ON CONFLICT DO UPDATE` cannot touch a row twice.
pub(super) async fn put<C: GenericClient>(
    c: &C,
    collection_id: i64,
    origin: &str,
    rows: &[FragmentInput],
    now: Timestamp,
) -> Result<usize> {
    collections::lock_for_write(c, collection_id).await?;
    let ids: Vec<&str> = rows.iter().map(|r| r.entity_id.as_str()).collect();
    let schemata: Vec<&str> = rows.iter().map(|r| r.schema).collect();
    let data: Vec<&str> = rows.iter().map(|r| r.data.as_str()).collect();
    query(
        c,
        "INSERT INTO fragments (collection_id, entity_id, origin, schema, data, created_at, updated_at)
         SELECT $1, u.entity_id, $2, u.schema, u.data, $3, $3
         FROM UNNEST($4::text[], $5::text[], $6::text[]) AS u (entity_id, schema, data)
         ON CONFLICT (collection_id, entity_id, origin) DO UPDATE
         SET schema = EXCLUDED.schema, data = EXCLUDED.data, updated_at = EXCLUDED.updated_at",
        &[&collection_id, &origin, &now, &ids, &schemata, &data],
    )
    .await?;
    let hashes = crate::purge::batch_file_hashes(data.iter().copied());
    super::purge::add_refs(c, collection_id, &hashes).await?;
    collections::touch(c, collection_id, now).await?;
    Ok(rows.len())
}

pub(super) async fn get_many<C: GenericClient>(
    c: &C,
    collection_id: i64,
    ids: &[String],
) -> Result<EntityBatch> {
    let sql = format!(
        "SELECT {COLUMNS} FROM fragments WHERE collection_id = $1 AND entity_id = ANY($2)
         ORDER BY entity_id, origin"
    );
    Ok(assemble(fetch(c, &sql, &[&collection_id, &ids]).await?))
}

pub(super) async fn get_one<C: GenericClient>(
    c: &C,
    collection_id: i64,
    id: &str,
) -> Result<EntityBatch> {
    let sql = format!(
        "SELECT {COLUMNS} FROM fragments WHERE collection_id = $1 AND entity_id = $2
         ORDER BY origin"
    );
    Ok(assemble(fetch(c, &sql, &[&collection_id, &id]).await?))
}

pub(super) async fn delete_entity<C: GenericClient>(
    c: &C,
    collection_id: i64,
    id: &str,
    now: Timestamp,
) -> Result<u64> {
    collections::lock_for_write(c, collection_id).await?;
    let n = c
        .execute(
            "DELETE FROM fragments WHERE collection_id = $1 AND entity_id = $2",
            &[&collection_id, &id],
        )
        .await?;
    if n > 0 {
        collections::touch(c, collection_id, now).await?;
    }
    Ok(n)
}

pub(super) async fn delete_origin<C: GenericClient>(
    c: &C,
    collection_id: i64,
    origin: &str,
    now: Timestamp,
) -> Result<u64> {
    collections::lock_for_write(c, collection_id).await?;
    let n = c
        .execute(
            "DELETE FROM fragments WHERE collection_id = $1 AND origin = $2",
            &[&collection_id, &origin],
        )
        .await?;
    if n > 0 {
        collections::touch(c, collection_id, now).await?;
    }
    Ok(n)
}

pub(super) async fn count<C: GenericClient>(c: &C, collection_id: i64) -> Result<u64> {
    let n: i64 = query(
        c,
        "SELECT COUNT(DISTINCT entity_id) FROM fragments WHERE collection_id = $1",
        &[&collection_id],
    )
    .await?
    .first()
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(super) async fn page<C: GenericClient>(
    c: &C,
    filter: EntityFilter,
    after: Option<&EntityKey>,
    limit: u32,
) -> Result<EntityPage> {
    let mut cond = String::from("TRUE");
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    if let EntityScope::Collection(id) = filter.scope {
        args.push(Box::new(id));
        cond.push_str(&format!(" AND collection_id = ${}", args.len()));
    }
    if let Some(since) = filter.updated_since {
        args.push(Box::new(since));
        cond.push_str(&format!(" AND updated_at >= ${}", args.len()));
    }
    match (filter.scope, after) {
        (_, None) => {}
        (EntityScope::Collection(id), Some(key)) => {
            if key.collection_id > id {
                return Ok(EntityPage::default());
            }
            if key.collection_id == id {
                args.push(Box::new(key.entity_id.clone()));
                cond.push_str(&format!(" AND entity_id > ${}", args.len()));
            }
        }
        (EntityScope::All, Some(key)) => {
            args.push(Box::new(key.collection_id));
            args.push(Box::new(key.entity_id.clone()));
            cond.push_str(&format!(
                " AND (collection_id, entity_id) > (${}, ${})",
                args.len() - 1,
                args.len()
            ));
        }
    }
    args.push(Box::new(i64::from(limit)));
    let sql = format!(
        "WITH page AS (
             SELECT DISTINCT collection_id, entity_id FROM fragments WHERE {cond}
             ORDER BY collection_id, entity_id LIMIT ${limit})
         SELECT f.collection_id, f.entity_id, f.origin, f.schema, f.data, f.created_at, f.updated_at
         FROM page JOIN fragments f
           ON f.collection_id = page.collection_id AND f.entity_id = page.entity_id
         ORDER BY f.collection_id, f.entity_id, f.origin",
        limit = args.len()
    );
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    Ok(into_page(assemble(fetch(c, &sql, &refs).await?), limit))
}

pub(super) async fn replace_origin<C: GenericClient>(
    c: &C,
    collection_id: i64,
    origin: &str,
    rows: &[FragmentInput],
    now: Timestamp,
) -> Result<usize> {
    collections::lock_for_write(c, collection_id).await?;
    c.execute(
        "DELETE FROM fragments WHERE collection_id = $1 AND origin = $2",
        &[&collection_id, &origin],
    )
    .await?;
    put(c, collection_id, origin, rows, now).await
}

pub(super) async fn origin_entity_ids<C: GenericClient>(
    c: &C,
    collection_id: i64,
    origin: &str,
) -> Result<Vec<String>> {
    query(
        c,
        "SELECT entity_id FROM fragments WHERE collection_id = $1 AND origin = $2
         ORDER BY entity_id",
        &[&collection_id, &origin],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}
