//! Mappings in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::paging::{self, Listing};
use super::{collections, entitysets, query};
use crate::mappings::{query_from_text, query_to_text, report_from_text, status_from_text};
use crate::{Mapping, MappingQuery, MappingRun, NewMapping, Page, Result, StoreError, Timestamp};

const COLUMNS: &str = "m.id, m.collection_id, m.role_id, m.table_id, m.entityset_id, m.query, \
     m.last_run_status, m.last_run_err_msg, m.last_run_report, m.created_at, m.updated_at";
/// Mappings of live collections only.
const FROM: &str =
    "mappings m JOIN collections c ON c.id = m.collection_id AND c.deleted_at IS NULL";

fn read(row: &Row) -> Result<Mapping> {
    let query: &str = row.try_get(5)?;
    let status: Option<&str> = row.try_get(6)?;
    let report: Option<&str> = row.try_get(8)?;
    Ok(Mapping {
        id: row.try_get(0)?,
        collection_id: row.try_get(1)?,
        role_id: row.try_get(2)?,
        table_id: row.try_get(3)?,
        entityset_id: row.try_get(4)?,
        query: query_from_text(query)?,
        last_run_status: status_from_text(status)?,
        last_run_err_msg: row.try_get(7)?,
        last_run_report: report_from_text(report)?,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
    })
}

pub(super) async fn get<C: GenericClient>(c: &C, id: i64) -> Result<Mapping> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE m.id = $1");
    match query(c, &sql, &[&id]).await?.first() {
        Some(row) => read(row),
        None => Err(StoreError::not_found("mapping", id)),
    }
}

/// The entity set must be one of the mapping's collection.
async fn check_entityset<C: GenericClient>(
    c: &C,
    collection_id: i64,
    entityset_id: Option<i64>,
) -> Result<()> {
    if let Some(set) = entityset_id
        && entitysets::get(c, set).await?.collection_id != collection_id
    {
        return Err(StoreError::invalid(
            "the entity set belongs to another collection",
        ));
    }
    Ok(())
}

pub(super) async fn create<C: GenericClient>(
    c: &C,
    new: NewMapping,
    now: Timestamp,
) -> Result<Mapping> {
    collections::lock_live_keys(c, &[new.collection_id]).await?;
    if let Some(role) = new.role_id {
        collections::role_kind(c, role).await?;
    }
    check_entityset(c, new.collection_id, new.entityset_id).await?;
    let text = query_to_text(&new.query);
    let rows = query(
        c,
        "INSERT INTO mappings (collection_id, role_id, table_id, entityset_id, query,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         RETURNING id",
        &[
            &new.collection_id,
            &new.role_id,
            &new.table_id,
            &new.entityset_id,
            &text,
            &now,
        ],
    )
    .await?;
    let id: i64 = rows
        .first()
        .ok_or_else(|| StoreError::Backend("insert returned no row".into()))?
        .try_get(0)?;
    get(c, id).await
}

pub(super) async fn list<C: GenericClient>(c: &C, q: &MappingQuery) -> Result<Page<Mapping>> {
    let filter = " WHERE m.collection_id = $1 AND ($2::TEXT IS NULL OR m.table_id = $2)";
    paging::page(
        c,
        Listing {
            columns: COLUMNS,
            from: &format!("{FROM}{filter}"),
            order: "m.id",
        },
        &[&q.collection_id, &q.table_id],
        q.limit,
        q.offset,
        read,
    )
    .await
}

pub(super) async fn update<C: GenericClient>(
    c: &C,
    id: i64,
    change: NewMapping,
    now: Timestamp,
) -> Result<Mapping> {
    let current = get(c, id).await?;
    check_entityset(c, current.collection_id, change.entityset_id).await?;
    let text = query_to_text(&change.query);
    query(
        c,
        "UPDATE mappings SET table_id = $2, entityset_id = $3, query = $4, updated_at = $5
         WHERE id = $1",
        &[&id, &change.table_id, &change.entityset_id, &text, &now],
    )
    .await?;
    get(c, id).await
}

pub(super) async fn delete<C: GenericClient>(c: &C, id: i64) -> Result<()> {
    get(c, id).await?;
    query(c, "DELETE FROM mappings WHERE id = $1", &[&id]).await?;
    Ok(())
}

pub(super) async fn set_run<C: GenericClient>(
    c: &C,
    id: i64,
    run: &MappingRun,
    now: Timestamp,
) -> Result<()> {
    get(c, id).await?;
    let report = run.report_text();
    query(
        c,
        "UPDATE mappings SET last_run_status = $2, last_run_err_msg = $3,
             last_run_report = $4, updated_at = $5
         WHERE id = $1",
        &[&id, &run.status.as_str(), &run.err_msg, &report, &now],
    )
    .await?;
    Ok(())
}
