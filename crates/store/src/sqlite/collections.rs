//! Collections and permissions in SQLite.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::paging::{self, Listing};
use super::{ids_json, opt_time, time};
use crate::collections::{label_key, like_escape};
use crate::time::to_micros;
use crate::{
    Access, AccessSets, Category, Collection, CollectionQuery, CollectionRemoval, CollectionScope,
    CollectionSort, CollectionUpdate, DeleteMode, Frequency, NewCollection, Page, Permission,
    Result, RoleKind, StoreError, Timestamp,
};

const COLUMNS: &str = "id, foreign_id, label, summary, category, countries, languages, \
    frequency, publisher, publisher_url, info_url, data_url, creator_id, restricted, xref, \
    created_at, updated_at, data_updated_at, deleted_at";

fn read(row: &Row<'_>) -> Result<Collection> {
    let list = |i: usize| -> Result<Vec<String>> {
        let text: String = row.get(i)?;
        serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("collection list column: {e}")))
    };
    Ok(Collection {
        id: row.get(0)?,
        foreign_id: row.get(1)?,
        label: row.get(2)?,
        summary: row.get(3)?,
        category: Category::parse(&row.get::<_, String>(4)?),
        countries: list(5)?,
        languages: list(6)?,
        frequency: Frequency::parse(&row.get::<_, String>(7)?),
        publisher: row.get(8)?,
        publisher_url: row.get(9)?,
        info_url: row.get(10)?,
        data_url: row.get(11)?,
        creator_id: row.get(12)?,
        restricted: row.get(13)?,
        xref: row.get(14)?,
        created_at: time(row.get(15)?)?,
        updated_at: time(row.get(16)?)?,
        data_updated_at: opt_time(row.get(17)?)?,
        deleted_at: opt_time(row.get(18)?)?,
    })
}

fn list_json(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

/// A collection by id, soft-deleted ones only if asked.
pub(super) fn get(conn: &Connection, id: i64, include_deleted: bool) -> Result<Collection> {
    let sql = format!("SELECT {COLUMNS} FROM collections WHERE id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => {
            let c = read(row)?;
            if c.is_deleted() && !include_deleted {
                return Err(StoreError::not_found("collection", id));
            }
            Ok(c)
        }
        None => Err(StoreError::not_found("collection", id)),
    }
}

pub(super) fn by_foreign_id(conn: &Connection, foreign_id: &str) -> Result<Collection> {
    let sql =
        format!("SELECT {COLUMNS} FROM collections WHERE foreign_id = ?1 AND deleted_at IS NULL");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([foreign_id])?;
    match rows.next()? {
        Some(row) => read(row),
        None => Err(StoreError::not_found("collection", foreign_id)),
    }
}

pub(super) fn role_kind(conn: &Connection, id: i64) -> Result<RoleKind> {
    let kind: Option<String> = conn
        .prepare_cached("SELECT kind FROM roles WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    match kind {
        Some(k) => RoleKind::parse(&k),
        None => Err(StoreError::not_found("role", id)),
    }
}

pub(super) fn create(conn: &Connection, new: NewCollection, now: Timestamp) -> Result<Collection> {
    if by_foreign_id(conn, &new.foreign_id).is_ok() {
        return Err(StoreError::conflict("collection", &new.foreign_id));
    }
    if let Some(creator) = new.creator_id {
        role_kind(conn, creator)?;
    }
    let ts = to_micros(now);
    conn.prepare_cached(
        "INSERT INTO collections (foreign_id, label, label_key, summary, category, countries,
             languages, frequency, publisher, publisher_url, info_url, data_url, creator_id,
             restricted, xref, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)",
    )?
    .execute(params![
        new.foreign_id,
        new.label,
        label_key(&new.label),
        new.summary,
        new.category.as_str(),
        list_json(&new.countries),
        list_json(&new.languages),
        new.frequency.as_str(),
        new.publisher,
        new.publisher_url,
        new.info_url,
        new.data_url,
        new.creator_id,
        new.restricted,
        new.xref,
        ts,
    ])?;
    let id = conn.last_insert_rowid();
    if let Some(creator) = new.creator_id {
        set_permission(conn, id, creator, Access::Write, now)?;
    }
    get(conn, id, false)
}

pub(super) fn list(conn: &Connection, q: &CollectionQuery) -> Result<Page<Collection>> {
    let mut filter = String::from(" WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if !q.include_deleted {
        filter.push_str(" AND deleted_at IS NULL");
    }
    if let CollectionScope::Only(ids) = &q.scope {
        args.push(Value::Text(ids_json(ids)));
        filter.push_str(&format!(
            " AND id IN (SELECT value FROM json_each(?{}))",
            args.len()
        ));
    }
    let mut like = |pattern: String, filter: &mut String| {
        args.push(Value::Text(pattern));
        filter.push_str(&format!(" AND label_key LIKE ?{} ESCAPE '\\'", args.len()));
    };
    if let Some(p) = &q.label_prefix {
        like(format!("{}%", like_escape(p)), &mut filter);
    }
    if let Some(p) = &q.label_contains {
        like(format!("%{}%", like_escape(p)), &mut filter);
    }
    if let Some(fid) = &q.foreign_id {
        args.push(Value::Text(fid.clone()));
        filter.push_str(&format!(" AND foreign_id = ?{}", args.len()));
    }
    if let Some(creator) = q.creator_id {
        args.push(Value::Integer(creator));
        filter.push_str(&format!(" AND creator_id = ?{}", args.len()));
    }
    if let Some(category) = q.category {
        args.push(Value::Text(category.as_str().into()));
        filter.push_str(&format!(" AND category = ?{}", args.len()));
    }
    let order = match q.sort {
        CollectionSort::LabelAsc => "label_key ASC, id ASC",
        CollectionSort::LabelDesc => "label_key DESC, id DESC",
        CollectionSort::CreatedAsc => "created_at ASC, id ASC",
        CollectionSort::CreatedDesc => "created_at DESC, id DESC",
        CollectionSort::UpdatedDesc => "updated_at DESC, id DESC",
    };
    paging::page(
        conn,
        Listing {
            columns: COLUMNS,
            from: &format!("collections{filter}"),
            order,
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
    update: CollectionUpdate,
    now: Timestamp,
) -> Result<Collection> {
    let old = get(conn, id, false)?;
    let new = update.apply(old.clone())?;
    if let Some(creator) = new.creator_id
        && new.creator_id != old.creator_id
    {
        role_kind(conn, creator)?;
    }
    conn.prepare_cached(
        "UPDATE collections SET label = ?2, label_key = ?3, summary = ?4, category = ?5,
             countries = ?6, languages = ?7, frequency = ?8, publisher = ?9,
             publisher_url = ?10, info_url = ?11, data_url = ?12, creator_id = ?13,
             restricted = ?14, xref = ?15, updated_at = ?16
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        new.label,
        label_key(&new.label),
        new.summary,
        new.category.as_str(),
        list_json(&new.countries),
        list_json(&new.languages),
        new.frequency.as_str(),
        new.publisher,
        new.publisher_url,
        new.info_url,
        new.data_url,
        new.creator_id,
        new.restricted,
        new.xref,
        to_micros(now),
    ])?;
    get(conn, id, false)
}

pub(super) fn touch(conn: &Connection, id: i64, now: Timestamp) -> Result<()> {
    let n = conn
        .prepare_cached(
            "UPDATE collections SET data_updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
        )?
        .execute(params![id, to_micros(now)])?;
    if n == 0 {
        return Err(StoreError::not_found("collection", id));
    }
    Ok(())
}

pub(super) fn delete(
    conn: &Connection,
    id: i64,
    mode: DeleteMode,
    now: Timestamp,
) -> Result<CollectionRemoval> {
    get(conn, id, mode == DeleteMode::Hard)?;
    let mut removed = CollectionRemoval {
        fragments: conn.execute("DELETE FROM fragments WHERE collection_id = ?1", [id])? as u64,
        documents: conn.execute("DELETE FROM documents WHERE collection_id = ?1", [id])? as u64,
        jobs: conn.execute("DELETE FROM jobs WHERE collection_id = ?1", [id])? as u64,
        ..CollectionRemoval::default()
    };
    let ts = to_micros(now);
    match mode {
        DeleteMode::Contents => {
            conn.execute(
                "UPDATE collections SET data_updated_at = ?2 WHERE id = ?1",
                params![id, ts],
            )?;
        }
        DeleteMode::Soft => {
            removed.permissions =
                conn.execute("DELETE FROM permissions WHERE collection_id = ?1", [id])? as u64;
            conn.execute(
                "UPDATE collections SET deleted_at = ?2, updated_at = ?2, data_updated_at = ?2
                 WHERE id = ?1",
                params![id, ts],
            )?;
        }
        DeleteMode::Hard => {
            removed.permissions =
                conn.execute("DELETE FROM permissions WHERE collection_id = ?1", [id])? as u64;
            removed.unreferenced = super::purge::release_all(conn, id, now)?;
            conn.execute("DELETE FROM collections WHERE id = ?1", [id])?;
            removed.row_removed = true;
        }
    }
    Ok(removed)
}

pub(super) fn set_permission(
    conn: &Connection,
    collection_id: i64,
    role_id: i64,
    access: Access,
    now: Timestamp,
) -> Result<()> {
    get(conn, collection_id, false)?;
    let kind = role_kind(conn, role_id)?;
    if access.write() && kind == RoleKind::System {
        return Err(StoreError::invalid("system roles cannot get write access"));
    }
    if access == Access::None {
        conn.prepare_cached("DELETE FROM permissions WHERE collection_id = ?1 AND role_id = ?2")?
            .execute(params![collection_id, role_id])?;
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO permissions (collection_id, role_id, read, write, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (collection_id, role_id) DO UPDATE
         SET read = excluded.read, write = excluded.write, updated_at = excluded.updated_at",
    )?
    .execute(params![
        collection_id,
        role_id,
        access.read(),
        access.write(),
        to_micros(now)
    ])?;
    Ok(())
}

pub(super) fn permissions(conn: &Connection, collection_id: i64) -> Result<Vec<Permission>> {
    let mut stmt = conn.prepare_cached(
        "SELECT collection_id, role_id, read, write, created_at, updated_at
         FROM permissions WHERE collection_id = ?1 ORDER BY role_id",
    )?;
    let mut rows = stmt.query([collection_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(Permission {
            collection_id: row.get(0)?,
            role_id: row.get(1)?,
            access: Access::from_flags(row.get::<_, bool>(2)?, row.get::<_, bool>(3)?),
            created_at: time(row.get(4)?)?,
            updated_at: time(row.get(5)?)?,
        });
    }
    Ok(out)
}

pub(super) fn access_sets(conn: &Connection, role_ids: &[i64]) -> Result<AccessSets> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.collection_id, MAX(p.write)
         FROM permissions p JOIN collections c ON c.id = p.collection_id
         WHERE c.deleted_at IS NULL AND p.read = 1
           AND p.role_id IN (SELECT value FROM json_each(?1))
         GROUP BY p.collection_id",
    )?;
    let mut rows = stmt.query([ids_json(role_ids)])?;
    let mut sets = AccessSets::default();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        sets.readable.insert(id);
        if row.get::<_, bool>(1)? {
            sets.writable.insert(id);
        }
    }
    Ok(sets)
}
