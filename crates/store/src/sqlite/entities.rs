//! Entity fragments in SQLite.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::collections;
use super::time;
use crate::fragments::{FragmentInput, FragmentRow, assemble};
use crate::time::to_micros;
use crate::{
    EntityBatch, EntityFilter, EntityKey, EntityPage, EntityScope, Result, StoreError, Timestamp,
};

const COLUMNS: &str = "collection_id, entity_id, origin, schema, data, created_at, updated_at";

/// One origin's fragments go through the origin index. Without statistics SQLite takes
/// `collection_id = ?` on the primary key for just as selective and walks the whole
/// collection instead, comparing every row in full (a fragment holds a document's text):
/// ingesting got slower with every document already stored.
const DELETE_ORIGIN: &str =
    "DELETE FROM fragments INDEXED BY fragments_origin WHERE collection_id = ?1 AND origin = ?2";
/// The index holds the ids in order: no sort, and no walk over the collection either.
const ORIGIN_IDS: &str = "SELECT entity_id FROM fragments INDEXED BY fragments_origin
     WHERE collection_id = ?1 AND origin = ?2 ORDER BY entity_id";

fn fetch(conn: &Connection, sql: &str, args: &[Value]) -> Result<Vec<FragmentRow>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(FragmentRow {
            collection_id: row.get(0)?,
            entity_id: row.get(1)?,
            origin: row.get(2)?,
            schema: row.get(3)?,
            data: row.get(4)?,
            created_at: time(row.get(5)?)?,
            updated_at: time(row.get(6)?)?,
        });
    }
    Ok(out)
}

pub(super) fn put(
    conn: &Connection,
    collection_id: i64,
    origin: &str,
    rows: &[FragmentInput],
    now: Timestamp,
) -> Result<usize> {
    collections::touch(conn, collection_id, now)?;
    let ts = to_micros(now);
    let mut stmt = conn.prepare_cached(
        "INSERT INTO fragments (collection_id, entity_id, origin, schema, data, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (collection_id, entity_id, origin) DO UPDATE
         SET schema = excluded.schema, data = excluded.data, updated_at = excluded.updated_at",
    )?;
    for row in rows {
        stmt.execute(params![
            collection_id,
            row.entity_id,
            origin,
            row.schema,
            row.data,
            ts
        ])?;
    }
    let hashes = crate::purge::batch_file_hashes(rows.iter().map(|r| r.data.as_str()));
    super::purge::add_refs(conn, collection_id, &hashes)?;
    Ok(rows.len())
}

pub(super) fn get_many(
    conn: &Connection,
    collection_id: i64,
    ids: &[String],
) -> Result<EntityBatch> {
    let ids_json =
        serde_json::to_string(ids).map_err(|e| StoreError::invalid(format!("entity ids: {e}")))?;
    let sql = format!(
        "SELECT {COLUMNS} FROM fragments WHERE collection_id = ?1
         AND entity_id IN (SELECT value FROM json_each(?2))
         ORDER BY entity_id, origin"
    );
    let rows = fetch(
        conn,
        &sql,
        &[Value::Integer(collection_id), Value::Text(ids_json)],
    )?;
    Ok(assemble(rows))
}

pub(super) fn get_one(conn: &Connection, collection_id: i64, id: &str) -> Result<EntityBatch> {
    let sql = format!(
        "SELECT {COLUMNS} FROM fragments WHERE collection_id = ?1 AND entity_id = ?2
         ORDER BY origin"
    );
    let rows = fetch(
        conn,
        &sql,
        &[Value::Integer(collection_id), Value::Text(id.into())],
    )?;
    Ok(assemble(rows))
}

pub(super) fn delete_entity(
    conn: &Connection,
    collection_id: i64,
    id: &str,
    now: Timestamp,
) -> Result<u64> {
    collections::get(conn, collection_id, false)?;
    let n = conn
        .prepare_cached("DELETE FROM fragments WHERE collection_id = ?1 AND entity_id = ?2")?
        .execute(params![collection_id, id])? as u64;
    if n > 0 {
        collections::touch(conn, collection_id, now)?;
    }
    Ok(n)
}

pub(super) fn delete_origin(
    conn: &Connection,
    collection_id: i64,
    origin: &str,
    now: Timestamp,
) -> Result<u64> {
    collections::get(conn, collection_id, false)?;
    let n = conn
        .prepare_cached(DELETE_ORIGIN)?
        .execute(params![collection_id, origin])? as u64;
    if n > 0 {
        collections::touch(conn, collection_id, now)?;
    }
    Ok(n)
}

pub(super) fn count(conn: &Connection, collection_id: i64) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT DISTINCT entity_id FROM fragments WHERE collection_id = ?1)",
        )?
        .query_row([collection_id], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(super) fn page(
    conn: &Connection,
    filter: EntityFilter,
    after: Option<&EntityKey>,
    limit: u32,
) -> Result<EntityPage> {
    let mut cond = String::from("1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let EntityScope::Collection(id) = filter.scope {
        args.push(Value::Integer(id));
        cond.push_str(&format!(" AND collection_id = ?{}", args.len()));
    }
    if let Some(since) = filter.updated_since {
        args.push(Value::Integer(to_micros(since)));
        cond.push_str(&format!(" AND updated_at >= ?{}", args.len()));
    }
    match (filter.scope, after) {
        (_, None) => {}
        // With the collection fixed, `entity_id > ?` lets SQLite start the range scan at
        // the cursor; a row-value comparison would scan from the collection's start.
        (EntityScope::Collection(id), Some(key)) => {
            if key.collection_id > id {
                return Ok(EntityPage::default());
            }
            if key.collection_id == id {
                args.push(Value::Text(key.entity_id.clone()));
                cond.push_str(&format!(" AND entity_id > ?{}", args.len()));
            }
        }
        (EntityScope::All, Some(key)) => {
            args.push(Value::Integer(key.collection_id));
            args.push(Value::Text(key.entity_id.clone()));
            cond.push_str(&format!(
                " AND (collection_id, entity_id) > (?{}, ?{})",
                args.len() - 1,
                args.len()
            ));
        }
    }
    args.push(Value::Integer(i64::from(limit)));
    let sql = format!(
        "WITH page AS (
             SELECT DISTINCT collection_id, entity_id FROM fragments WHERE {cond}
             ORDER BY collection_id, entity_id LIMIT ?{limit})
         SELECT f.collection_id, f.entity_id, f.origin, f.schema, f.data, f.created_at, f.updated_at
         FROM page JOIN fragments f
           ON f.collection_id = page.collection_id AND f.entity_id = page.entity_id
         ORDER BY f.collection_id, f.entity_id, f.origin",
        limit = args.len()
    );
    let rows = fetch(conn, &sql, &args)?;
    Ok(crate::fragments::into_page(assemble(rows), limit))
}

pub(super) fn replace_origin(
    conn: &Connection,
    collection_id: i64,
    origin: &str,
    rows: &[FragmentInput],
    now: Timestamp,
) -> Result<usize> {
    collections::get(conn, collection_id, false)?;
    conn.prepare_cached(DELETE_ORIGIN)?
        .execute(params![collection_id, origin])?;
    put(conn, collection_id, origin, rows, now)
}

pub(super) fn origin_entity_ids(
    conn: &Connection,
    collection_id: i64,
    origin: &str,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(ORIGIN_IDS)?;
    let ids = stmt
        .query_map(params![collection_id, origin], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite's planner does with `sql` and made-up parameters.
    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(params![1, "ingest:x"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[tokio::test]
    async fn one_origin_is_read_through_the_origin_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::SqliteStore::open(dir.path().join("t.db"))
            .await
            .unwrap();
        let conn = Connection::open(store.path()).unwrap();
        for sql in [DELETE_ORIGIN, ORIGIN_IDS] {
            let plan = plan(&conn, sql);
            assert!(
                plan.iter()
                    .any(|step| step.contains("INDEX fragments_origin")),
                "{sql}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{sql}: {plan:?}"
            );
        }
    }
}
