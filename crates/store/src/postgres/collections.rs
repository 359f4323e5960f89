//! Collections and permissions in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::paging::{self, Listing};
use super::{is_unique_violation, query};
use crate::collections::{label_key, like_escape};
use crate::{
    Access, AccessSets, Category, Collection, CollectionQuery, CollectionRemoval, CollectionScope,
    CollectionSort, CollectionUpdate, DeleteMode, Frequency, NewCollection, Page, Permission,
    Result, RoleKind, StoreError, Timestamp,
};

const COLUMNS: &str = "id, foreign_id, label, summary, category, countries, languages, \
    frequency, publisher, publisher_url, info_url, data_url, creator_id, restricted, xref, \
    created_at, updated_at, data_updated_at, deleted_at";

fn read(row: &Row) -> Result<Collection> {
    Ok(Collection {
        id: row.try_get(0)?,
        foreign_id: row.try_get(1)?,
        label: row.try_get(2)?,
        summary: row.try_get(3)?,
        category: Category::parse(row.try_get(4)?),
        countries: row.try_get(5)?,
        languages: row.try_get(6)?,
        frequency: Frequency::parse(row.try_get(7)?),
        publisher: row.try_get(8)?,
        publisher_url: row.try_get(9)?,
        info_url: row.try_get(10)?,
        data_url: row.try_get(11)?,
        creator_id: row.try_get(12)?,
        restricted: row.try_get(13)?,
        xref: row.try_get(14)?,
        created_at: row.try_get(15)?,
        updated_at: row.try_get(16)?,
        data_updated_at: row.try_get(17)?,
        deleted_at: row.try_get(18)?,
    })
}

pub(super) async fn get<C: GenericClient>(
    c: &C,
    id: i64,
    include_deleted: bool,
) -> Result<Collection> {
    let sql = format!("SELECT {COLUMNS} FROM collections WHERE id = $1");
    let rows = query(c, &sql, &[&id]).await?;
    match rows.first() {
        Some(row) => {
            let col = read(row)?;
            if col.is_deleted() && !include_deleted {
                return Err(StoreError::not_found("collection", id));
            }
            Ok(col)
        }
        None => Err(StoreError::not_found("collection", id)),
    }
}

/// Lock a live collection against deletion until the transaction ends; other permission
/// changes may go on meanwhile.
pub(super) async fn lock_live<C: GenericClient>(c: &C, id: i64) -> Result<()> {
    let rows = query(
        c,
        "SELECT id FROM collections WHERE id = $1 AND deleted_at IS NULL FOR SHARE",
        &[&id],
    )
    .await?;
    if rows.is_empty() {
        return Err(StoreError::not_found("collection", id));
    }
    Ok(())
}

/// Lock a live collection before changing its fragments. Every fragment write takes this
/// lock first and takes no other lock on the row later, so writers to one collection
/// queue here instead of deadlocking on each other's fragment rows or on the
/// `data_updated_at` update at the end.
pub(super) async fn lock_for_write<C: GenericClient>(c: &C, id: i64) -> Result<()> {
    let rows = query(
        c,
        "SELECT id FROM collections WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE",
        &[&id],
    )
    .await?;
    if rows.is_empty() {
        return Err(StoreError::not_found("collection", id));
    }
    Ok(())
}

/// Make sure live collections stay until the transaction ends, before adding rows that
/// point at them. `FOR KEY SHARE` only conflicts with deleting (which locks `FOR UPDATE`),
/// so fragment writers and other enqueuers go on meanwhile.
pub(super) async fn lock_live_keys<C: GenericClient>(c: &C, ids: &[i64]) -> Result<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows = query(
        c,
        "SELECT id FROM collections WHERE id = ANY($1) AND deleted_at IS NULL
         ORDER BY id FOR KEY SHARE",
        &[&ids],
    )
    .await?;
    if rows.len() < ids.len() {
        let found: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let missing = ids.iter().find(|id| !found.contains(id)).copied();
        return Err(StoreError::not_found(
            "collection",
            missing.unwrap_or_default(),
        ));
    }
    Ok(())
}

pub(super) async fn by_foreign_id<C: GenericClient>(c: &C, foreign_id: &str) -> Result<Collection> {
    let sql =
        format!("SELECT {COLUMNS} FROM collections WHERE foreign_id = $1 AND deleted_at IS NULL");
    match query(c, &sql, &[&foreign_id]).await?.first() {
        Some(row) => read(row),
        None => Err(StoreError::not_found("collection", foreign_id)),
    }
}

pub(super) async fn role_kind<C: GenericClient>(c: &C, id: i64) -> Result<RoleKind> {
    match query(c, "SELECT kind FROM roles WHERE id = $1", &[&id])
        .await?
        .first()
    {
        Some(row) => RoleKind::parse(row.try_get(0)?),
        None => Err(StoreError::not_found("role", id)),
    }
}

pub(super) async fn create<C: GenericClient>(
    c: &C,
    new: NewCollection,
    now: Timestamp,
) -> Result<Collection> {
    if by_foreign_id(c, &new.foreign_id).await.is_ok() {
        return Err(StoreError::conflict("collection", &new.foreign_id));
    }
    if let Some(creator) = new.creator_id {
        role_kind(c, creator).await?;
    }
    let key = label_key(&new.label);
    let rows = query(
        c,
        "INSERT INTO collections (foreign_id, label, label_key, summary, category, countries,
             languages, frequency, publisher, publisher_url, info_url, data_url, creator_id,
             restricted, xref, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
         RETURNING id",
        &[
            &new.foreign_id,
            &new.label,
            &key,
            &new.summary,
            &new.category.as_str(),
            &new.countries,
            &new.languages,
            &new.frequency.as_str(),
            &new.publisher,
            &new.publisher_url,
            &new.info_url,
            &new.data_url,
            &new.creator_id,
            &new.restricted,
            &new.xref,
            &now,
        ],
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::conflict("collection", &new.foreign_id)
        } else {
            e
        }
    })?;
    let id: i64 = rows
        .first()
        .ok_or_else(|| StoreError::Backend("insert returned no id".into()))?
        .try_get(0)?;
    if let Some(creator) = new.creator_id {
        set_permission(c, id, creator, Access::Write, now).await?;
    }
    get(c, id, false).await
}

pub(super) async fn list<C: GenericClient>(c: &C, q: &CollectionQuery) -> Result<Page<Collection>> {
    let mut filter = String::from(" WHERE TRUE");
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    if !q.include_deleted {
        filter.push_str(" AND deleted_at IS NULL");
    }
    if let CollectionScope::Only(ids) = &q.scope {
        args.push(Box::new(ids.clone()));
        filter.push_str(&format!(" AND id = ANY(${})", args.len()));
    }
    for pattern in [
        q.label_prefix
            .as_ref()
            .map(|p| format!("{}%", like_escape(p))),
        q.label_contains
            .as_ref()
            .map(|p| format!("%{}%", like_escape(p))),
    ]
    .into_iter()
    .flatten()
    {
        args.push(Box::new(pattern));
        filter.push_str(&format!(" AND label_key LIKE ${} ESCAPE '\\'", args.len()));
    }
    if let Some(fid) = &q.foreign_id {
        args.push(Box::new(fid.clone()));
        filter.push_str(&format!(" AND foreign_id = ${}", args.len()));
    }
    if let Some(creator) = q.creator_id {
        args.push(Box::new(creator));
        filter.push_str(&format!(" AND creator_id = ${}", args.len()));
    }
    if let Some(category) = q.category {
        args.push(Box::new(category.as_str()));
        filter.push_str(&format!(" AND category = ${}", args.len()));
    }
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    let order = match q.sort {
        CollectionSort::LabelAsc => "label_key ASC, id ASC",
        CollectionSort::LabelDesc => "label_key DESC, id DESC",
        CollectionSort::CreatedAsc => "created_at ASC, id ASC",
        CollectionSort::CreatedDesc => "created_at DESC, id DESC",
        CollectionSort::UpdatedDesc => "updated_at DESC, id DESC",
    };
    paging::page(
        c,
        Listing {
            columns: COLUMNS,
            from: &format!("collections{filter}"),
            order,
        },
        &refs,
        q.limit,
        q.offset,
        read,
    )
    .await
}

pub(super) async fn update<C: GenericClient>(
    c: &C,
    id: i64,
    update: CollectionUpdate,
    now: Timestamp,
) -> Result<Collection> {
    let old = get(c, id, false).await?;
    let new = update.apply(old.clone())?;
    if let Some(creator) = new.creator_id
        && new.creator_id != old.creator_id
    {
        role_kind(c, creator).await?;
    }
    let key = label_key(&new.label);
    query(
        c,
        "UPDATE collections SET label = $2, label_key = $3, summary = $4, category = $5,
             countries = $6, languages = $7, frequency = $8, publisher = $9,
             publisher_url = $10, info_url = $11, data_url = $12, creator_id = $13,
             restricted = $14, xref = $15, updated_at = $16
         WHERE id = $1",
        &[
            &id,
            &new.label,
            &key,
            &new.summary,
            &new.category.as_str(),
            &new.countries,
            &new.languages,
            &new.frequency.as_str(),
            &new.publisher,
            &new.publisher_url,
            &new.info_url,
            &new.data_url,
            &new.creator_id,
            &new.restricted,
            &new.xref,
            &now,
        ],
    )
    .await?;
    get(c, id, false).await
}

pub(super) async fn touch<C: GenericClient>(c: &C, id: i64, now: Timestamp) -> Result<()> {
    let stmt = c
        .prepare_cached(
            "UPDATE collections SET data_updated_at = $2 WHERE id = $1 AND deleted_at IS NULL",
        )
        .await?;
    if c.execute(&stmt, &[&id, &now]).await? == 0 {
        return Err(StoreError::not_found("collection", id));
    }
    Ok(())
}

pub(super) async fn delete<C: GenericClient>(
    c: &C,
    id: i64,
    mode: DeleteMode,
    now: Timestamp,
) -> Result<CollectionRemoval> {
    // Lock the row first so concurrent writers to this collection wait for us.
    let locked = query(
        c,
        "SELECT id FROM collections WHERE id = $1 FOR UPDATE",
        &[&id],
    )
    .await?;
    if locked.is_empty() {
        return Err(StoreError::not_found("collection", id));
    }
    get(c, id, mode == DeleteMode::Hard).await?;
    let mut removed = CollectionRemoval {
        fragments: c
            .execute("DELETE FROM fragments WHERE collection_id = $1", &[&id])
            .await?,
        documents: c
            .execute("DELETE FROM documents WHERE collection_id = $1", &[&id])
            .await?,
        jobs: c
            .execute("DELETE FROM jobs WHERE collection_id = $1", &[&id])
            .await?,
        ..CollectionRemoval::default()
    };
    match mode {
        DeleteMode::Contents => {
            c.execute(
                "UPDATE collections SET data_updated_at = $2 WHERE id = $1",
                &[&id, &now],
            )
            .await?;
        }
        DeleteMode::Soft => {
            removed.permissions = c
                .execute("DELETE FROM permissions WHERE collection_id = $1", &[&id])
                .await?;
            c.execute(
                "UPDATE collections SET deleted_at = $2, updated_at = $2, data_updated_at = $2
                 WHERE id = $1",
                &[&id, &now],
            )
            .await?;
        }
        DeleteMode::Hard => {
            removed.permissions = c
                .execute("DELETE FROM permissions WHERE collection_id = $1", &[&id])
                .await?;
            removed.unreferenced = super::purge::release_all(c, id, now).await?;
            c.execute("DELETE FROM collections WHERE id = $1", &[&id])
                .await?;
            removed.row_removed = true;
        }
    }
    Ok(removed)
}

pub(super) async fn set_permission<C: GenericClient>(
    c: &C,
    collection_id: i64,
    role_id: i64,
    access: Access,
    now: Timestamp,
) -> Result<()> {
    lock_live(c, collection_id).await?;
    let kind = role_kind(c, role_id).await?;
    if access.write() && kind == RoleKind::System {
        return Err(StoreError::invalid("system roles cannot get write access"));
    }
    if access == Access::None {
        query(
            c,
            "DELETE FROM permissions WHERE collection_id = $1 AND role_id = $2",
            &[&collection_id, &role_id],
        )
        .await?;
        return Ok(());
    }
    query(
        c,
        "INSERT INTO permissions (collection_id, role_id, read, write, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (collection_id, role_id) DO UPDATE
         SET read = EXCLUDED.read, write = EXCLUDED.write, updated_at = EXCLUDED.updated_at",
        &[
            &collection_id,
            &role_id,
            &access.read(),
            &access.write(),
            &now,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn permissions<C: GenericClient>(
    c: &C,
    collection_id: i64,
) -> Result<Vec<Permission>> {
    let rows = query(
        c,
        "SELECT collection_id, role_id, read, write, created_at, updated_at
         FROM permissions WHERE collection_id = $1 ORDER BY role_id",
        &[&collection_id],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Permission {
                collection_id: row.try_get(0)?,
                role_id: row.try_get(1)?,
                access: Access::from_flags(row.try_get(2)?, row.try_get(3)?),
                created_at: row.try_get(4)?,
                updated_at: row.try_get(5)?,
            })
        })
        .collect()
}

pub(super) async fn access_sets<C: GenericClient>(c: &C, role_ids: &[i64]) -> Result<AccessSets> {
    let rows = query(
        c,
        "SELECT p.collection_id, bool_or(p.write)
         FROM permissions p JOIN collections c ON c.id = p.collection_id
         WHERE c.deleted_at IS NULL AND p.read AND p.role_id = ANY($1)
         GROUP BY p.collection_id",
        &[&role_ids],
    )
    .await?;
    let mut sets = AccessSets::default();
    for row in rows {
        let id: i64 = row.try_get(0)?;
        sets.readable.insert(id);
        if row.try_get::<_, bool>(1)? {
            sets.writable.insert(id);
        }
    }
    Ok(sets)
}
