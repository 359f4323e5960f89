//! Mappings in SQLite.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params};

use super::paging::{self, Listing};
use super::{collections, entitysets, time};
use crate::mappings::{query_from_text, query_to_text, report_from_text, status_from_text};
use crate::time::to_micros;
use crate::{Mapping, MappingQuery, MappingRun, NewMapping, Page, Result, StoreError, Timestamp};

const COLUMNS: &str = "m.id, m.collection_id, m.role_id, m.table_id, m.entityset_id, m.query, \
     m.last_run_status, m.last_run_err_msg, m.last_run_report, m.created_at, m.updated_at";
/// Mappings of live collections only.
const FROM: &str =
    "mappings m JOIN collections c ON c.id = m.collection_id AND c.deleted_at IS NULL";

fn read(row: &Row<'_>) -> Result<Mapping> {
    let query: String = row.get(5)?;
    let status: Option<String> = row.get(6)?;
    let report: Option<String> = row.get(8)?;
    Ok(Mapping {
        id: row.get(0)?,
        collection_id: row.get(1)?,
        role_id: row.get(2)?,
        table_id: row.get(3)?,
        entityset_id: row.get(4)?,
        query: query_from_text(&query)?,
        last_run_status: status_from_text(status.as_deref())?,
        last_run_err_msg: row.get(7)?,
        last_run_report: report_from_text(report.as_deref())?,
        created_at: time(row.get(9)?)?,
        updated_at: time(row.get(10)?)?,
    })
}

pub(super) fn get(conn: &Connection, id: i64) -> Result<Mapping> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE m.id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => read(row),
        None => Err(StoreError::not_found("mapping", id)),
    }
}

/// The entity set must be one of the mapping's collection.
fn check_entityset(conn: &Connection, collection_id: i64, entityset_id: Option<i64>) -> Result<()> {
    if let Some(set) = entityset_id
        && entitysets::get(conn, set)?.collection_id != collection_id
    {
        return Err(StoreError::invalid(
            "the entity set belongs to another collection",
        ));
    }
    Ok(())
}

pub(super) fn create(conn: &Connection, new: NewMapping, now: Timestamp) -> Result<Mapping> {
    collections::get(conn, new.collection_id, false)?;
    if let Some(role) = new.role_id {
        collections::role_kind(conn, role)?;
    }
    check_entityset(conn, new.collection_id, new.entityset_id)?;
    conn.prepare_cached(
        "INSERT INTO mappings (collection_id, role_id, table_id, entityset_id, query,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![
        new.collection_id,
        new.role_id,
        new.table_id,
        new.entityset_id,
        query_to_text(&new.query),
        to_micros(now),
    ])?;
    get(conn, conn.last_insert_rowid())
}

pub(super) fn list(conn: &Connection, q: &MappingQuery) -> Result<Page<Mapping>> {
    let mut args: Vec<Value> = vec![Value::Integer(q.collection_id)];
    let mut filter = String::from(" WHERE m.collection_id = ?1");
    if let Some(table) = &q.table_id {
        args.push(Value::Text(table.clone()));
        filter.push_str(" AND m.table_id = ?2");
    }
    paging::page(
        conn,
        Listing {
            columns: COLUMNS,
            from: &format!("{FROM}{filter}"),
            order: "m.id",
        },
        args,
        q.limit,
        q.offset,
        read,
    )
}

pub(super) fn update(
    conn: &Connection,
    id: i64,
    change: NewMapping,
    now: Timestamp,
) -> Result<Mapping> {
    let current = get(conn, id)?;
    check_entityset(conn, current.collection_id, change.entityset_id)?;
    conn.prepare_cached(
        "UPDATE mappings SET table_id = ?2, entityset_id = ?3, query = ?4, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        change.table_id,
        change.entityset_id,
        query_to_text(&change.query),
        to_micros(now)
    ])?;
    get(conn, id)
}

pub(super) fn delete(conn: &Connection, id: i64) -> Result<()> {
    get(conn, id)?;
    conn.execute("DELETE FROM mappings WHERE id = ?1", [id])?;
    Ok(())
}

pub(super) fn set_run(conn: &Connection, id: i64, run: &MappingRun, now: Timestamp) -> Result<()> {
    get(conn, id)?;
    conn.prepare_cached(
        "UPDATE mappings SET last_run_status = ?2, last_run_err_msg = ?3,
             last_run_report = ?4, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        run.status.as_str(),
        run.err_msg,
        run.report_text(),
        to_micros(now)
    ])?;
    Ok(())
}
