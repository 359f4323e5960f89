//! Entity sets and their items in SQLite.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::paging::{self, Listing};
use super::{collections, ids_json, time};
use crate::entitysets::{judgement_from_text, kind_from_text, layout_from_text, layout_to_text};
use crate::time::to_micros;
use crate::{
    EntitySet, EntitySetItem, EntitySetQuery, EntitySetType, EntitySetUpdate, Judgement,
    NewEntitySet, NewEntitySetItem, Page, Result, StoreError, Timestamp,
};

const COLUMNS: &str = "s.id, s.collection_id, s.role_id, s.kind, s.label, s.summary, s.layout, s.created_at, \
     s.updated_at";
/// Sets of live collections only.
const FROM: &str =
    "entitysets s JOIN collections c ON c.id = s.collection_id AND c.deleted_at IS NULL";

fn read(row: &Row<'_>) -> Result<EntitySet> {
    let kind: String = row.get(3)?;
    let layout: String = row.get(6)?;
    Ok(EntitySet {
        id: row.get(0)?,
        collection_id: row.get(1)?,
        role_id: row.get(2)?,
        kind: kind_from_text(&kind)?,
        label: row.get(4)?,
        summary: row.get(5)?,
        layout: layout_from_text(&layout)?,
        created_at: time(row.get(7)?)?,
        updated_at: time(row.get(8)?)?,
    })
}

pub(super) fn get(conn: &Connection, id: i64) -> Result<EntitySet> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => read(row),
        None => Err(StoreError::not_found("entity set", id)),
    }
}

pub(super) fn create(conn: &Connection, new: NewEntitySet, now: Timestamp) -> Result<EntitySet> {
    collections::get(conn, new.collection_id, false)?;
    if let Some(role) = new.role_id {
        collections::role_kind(conn, role)?;
    }
    conn.prepare_cached(
        "INSERT INTO entitysets (collection_id, role_id, kind, label, summary, layout,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        new.collection_id,
        new.role_id,
        new.kind.as_str(),
        new.label,
        new.summary,
        layout_to_text(&new.layout),
        to_micros(now),
    ])?;
    get(conn, conn.last_insert_rowid())
}

pub(super) fn list(conn: &Connection, q: &EntitySetQuery) -> Result<Page<EntitySet>> {
    let mut filter = String::from(" WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(ids) = &q.collections {
        args.push(Value::Text(ids_json(ids)));
        filter.push_str(&format!(
            " AND s.collection_id IN (SELECT value FROM json_each(?{}))",
            args.len()
        ));
    }
    if !q.kinds.is_empty() {
        let kinds: Vec<&str> = q.kinds.iter().map(|k| k.as_str()).collect();
        args.push(Value::Text(
            serde_json::to_string(&kinds).unwrap_or_else(|_| "[]".into()),
        ));
        filter.push_str(&format!(
            " AND s.kind IN (SELECT value FROM json_each(?{}))",
            args.len()
        ));
    }
    if let Some(prefix) = &q.label_prefix {
        // Compared in Rust-lowered form on both sides; LIKE would treat `%` in the prefix
        // as a wildcard.
        args.push(Value::Text(prefix.to_lowercase()));
        filter.push_str(&format!(
            " AND substr(lower(s.label), 1, length(?{n})) = ?{n}",
            n = args.len()
        ));
    }
    paging::page(
        conn,
        Listing {
            columns: COLUMNS,
            from: &format!("{FROM}{filter}"),
            order: "s.updated_at DESC, s.id DESC",
        },
        args,
        q.limit,
        q.offset,
        read,
    )
}

/// Sets of `kind` holding an entity with a judgement, oldest first.
pub(super) fn holding(
    conn: &Connection,
    collection_id: i64,
    entity_id: &str,
    kind: EntitySetType,
    judgement: Judgement,
) -> Result<Vec<EntitySet>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE s.kind = ?1 AND s.id IN (
             SELECT i.entityset_id FROM entityset_items i
             WHERE i.entity_id = ?2 AND i.collection_id = ?3 AND i.judgement = ?4)
         ORDER BY s.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![
        kind.as_str(),
        entity_id,
        collection_id,
        judgement.as_str()
    ])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}

pub(super) fn update(
    conn: &Connection,
    id: i64,
    update: EntitySetUpdate,
    now: Timestamp,
) -> Result<EntitySet> {
    let set = update.apply(get(conn, id)?)?;
    conn.prepare_cached(
        "UPDATE entitysets SET label = ?2, summary = ?3, layout = ?4, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        set.label,
        set.summary,
        layout_to_text(&set.layout),
        to_micros(now)
    ])?;
    get(conn, id)
}

pub(super) fn delete(conn: &Connection, id: i64) -> Result<()> {
    get(conn, id)?;
    conn.execute("DELETE FROM entityset_items WHERE entityset_id = ?1", [id])?;
    conn.execute("DELETE FROM entitysets WHERE id = ?1", [id])?;
    Ok(())
}

const ITEM_COLUMNS: &str = "entityset_id, entity_id, collection_id, judgement, \
     compared_to_entity_id, added_by_id, created_at, updated_at";

fn read_item(row: &Row<'_>) -> Result<EntitySetItem> {
    let judgement: String = row.get(3)?;
    Ok(EntitySetItem {
        entityset_id: row.get(0)?,
        entity_id: row.get(1)?,
        collection_id: row.get(2)?,
        judgement: judgement_from_text(&judgement)?,
        compared_to_entity_id: row.get(4)?,
        added_by_id: row.get(5)?,
        created_at: time(row.get(6)?)?,
        updated_at: time(row.get(7)?)?,
    })
}

pub(super) fn items(
    conn: &Connection,
    id: i64,
    limit: u32,
    offset: u64,
) -> Result<Page<EntitySetItem>> {
    get(conn, id)?;
    paging::page(
        conn,
        Listing {
            columns: ITEM_COLUMNS,
            from: "entityset_items WHERE entityset_id = ?1",
            order: "created_at, entity_id",
        },
        vec![Value::Integer(id)],
        limit,
        offset,
        read_item,
    )
}

pub(super) fn judge(
    conn: &Connection,
    id: i64,
    item: NewEntitySetItem,
    now: Timestamp,
) -> Result<Option<EntitySetItem>> {
    get(conn, id)?;
    let ts = to_micros(now);
    conn.prepare_cached("UPDATE entitysets SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, ts])?;
    if item.judgement == Judgement::NoJudgement {
        conn.prepare_cached(
            "DELETE FROM entityset_items WHERE entityset_id = ?1 AND entity_id = ?2",
        )?
        .execute(params![id, item.entity_id])?;
        return Ok(None);
    }
    collections::get(conn, item.collection_id, false)?;
    conn.prepare_cached(
        "INSERT INTO entityset_items (entityset_id, entity_id, collection_id, judgement,
             compared_to_entity_id, added_by_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (entityset_id, entity_id) DO UPDATE SET
             collection_id = excluded.collection_id,
             judgement = excluded.judgement,
             compared_to_entity_id = excluded.compared_to_entity_id,
             updated_at = excluded.updated_at",
    )?
    .execute(params![
        id,
        item.entity_id,
        item.collection_id,
        item.judgement.as_str(),
        item.compared_to_entity_id,
        item.added_by_id,
        ts
    ])?;
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM entityset_items WHERE entityset_id = ?1 AND entity_id = ?2"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![id, item.entity_id], |r| Ok(read_item(r)))
        .optional()?
        .transpose()
}
