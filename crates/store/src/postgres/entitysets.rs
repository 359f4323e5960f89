//! Entity sets and their items in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::paging::{self, Listing};
use super::{collections, query};
use crate::entitysets::{judgement_from_text, kind_from_text, layout_from_text, layout_to_text};
use crate::{
    EntitySet, EntitySetItem, EntitySetQuery, EntitySetType, EntitySetUpdate, Judgement,
    NewEntitySet, NewEntitySetItem, Page, Result, StoreError, Timestamp,
};

const COLUMNS: &str = "s.id, s.collection_id, s.role_id, s.kind, s.label, s.summary, s.layout, s.created_at, \
     s.updated_at";
/// Sets of live collections only.
const FROM: &str =
    "entitysets s JOIN collections c ON c.id = s.collection_id AND c.deleted_at IS NULL";

fn read(row: &Row) -> Result<EntitySet> {
    let kind: &str = row.try_get(3)?;
    let layout: &str = row.try_get(6)?;
    Ok(EntitySet {
        id: row.try_get(0)?,
        collection_id: row.try_get(1)?,
        role_id: row.try_get(2)?,
        kind: kind_from_text(kind)?,
        label: row.try_get(4)?,
        summary: row.try_get(5)?,
        layout: layout_from_text(layout)?,
        created_at: row.try_get(7)?,
        updated_at: row.try_get(8)?,
    })
}

pub(super) async fn get<C: GenericClient>(c: &C, id: i64) -> Result<EntitySet> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1");
    match query(c, &sql, &[&id]).await?.first() {
        Some(row) => read(row),
        None => Err(StoreError::not_found("entity set", id)),
    }
}

/// The set, its row locked against a concurrent delete (`FOR UPDATE` of the set only).
async fn get_locked<C: GenericClient>(c: &C, id: i64) -> Result<EntitySet> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1 FOR UPDATE OF s");
    match query(c, &sql, &[&id]).await?.first() {
        Some(row) => read(row),
        None => Err(StoreError::not_found("entity set", id)),
    }
}

pub(super) async fn create<C: GenericClient>(
    c: &C,
    new: NewEntitySet,
    now: Timestamp,
) -> Result<EntitySet> {
    collections::lock_live_keys(c, &[new.collection_id]).await?;
    if let Some(role) = new.role_id {
        collections::role_kind(c, role).await?;
    }
    let layout = layout_to_text(&new.layout);
    let rows = query(
        c,
        "INSERT INTO entitysets (collection_id, role_id, kind, label, summary, layout,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         RETURNING id",
        &[
            &new.collection_id,
            &new.role_id,
            &new.kind.as_str(),
            &new.label,
            &new.summary,
            &layout,
            &now,
        ],
    )
    .await?;
    let id: i64 = rows
        .first()
        .ok_or_else(|| StoreError::Backend("insert returned no id".into()))?
        .try_get(0)?;
    get(c, id).await
}

pub(super) async fn list<C: GenericClient>(c: &C, q: &EntitySetQuery) -> Result<Page<EntitySet>> {
    let mut filter = String::from(" WHERE TRUE");
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    if let Some(ids) = &q.collections {
        args.push(Box::new(ids.clone()));
        filter.push_str(&format!(" AND s.collection_id = ANY(${})", args.len()));
    }
    if !q.kinds.is_empty() {
        let kinds: Vec<String> = q.kinds.iter().map(|k| k.as_str().to_string()).collect();
        args.push(Box::new(kinds));
        filter.push_str(&format!(" AND s.kind = ANY(${})", args.len()));
    }
    if let Some(prefix) = &q.label_prefix {
        args.push(Box::new(prefix.to_lowercase()));
        filter.push_str(&format!(
            " AND left(lower(s.label), length(${n})) = ${n}",
            n = args.len()
        ));
    }
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    paging::page(
        c,
        Listing {
            columns: COLUMNS,
            from: &format!("{FROM}{filter}"),
            order: "s.updated_at DESC, s.id DESC",
        },
        &refs,
        q.limit,
        q.offset,
        read,
    )
    .await
}

/// Sets of `kind` holding an entity with a judgement, oldest first.
pub(super) async fn holding<C: GenericClient>(
    c: &C,
    collection_id: i64,
    entity_id: &str,
    kind: EntitySetType,
    judgement: Judgement,
) -> Result<Vec<EntitySet>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE s.kind = $1 AND s.id IN (
             SELECT i.entityset_id FROM entityset_items i
             WHERE i.entity_id = $2 AND i.collection_id = $3 AND i.judgement = $4)
         ORDER BY s.id"
    );
    query(
        c,
        &sql,
        &[
            &kind.as_str(),
            &entity_id,
            &collection_id,
            &judgement.as_str(),
        ],
    )
    .await?
    .iter()
    .map(read)
    .collect()
}

pub(super) async fn update<C: GenericClient>(
    c: &C,
    id: i64,
    update: EntitySetUpdate,
    now: Timestamp,
) -> Result<EntitySet> {
    let set = update.apply(get_locked(c, id).await?)?;
    let layout = layout_to_text(&set.layout);
    query(
        c,
        "UPDATE entitysets SET label = $2, summary = $3, layout = $4, updated_at = $5
         WHERE id = $1",
        &[&id, &set.label, &set.summary, &layout, &now],
    )
    .await?;
    get(c, id).await
}

pub(super) async fn delete<C: GenericClient>(c: &C, id: i64) -> Result<()> {
    get_locked(c, id).await?;
    query(c, "DELETE FROM entitysets WHERE id = $1", &[&id]).await?;
    Ok(())
}

const ITEM_COLUMNS: &str = "entityset_id, entity_id, collection_id, judgement, \
     compared_to_entity_id, added_by_id, created_at, updated_at";

fn read_item(row: &Row) -> Result<EntitySetItem> {
    let judgement: &str = row.try_get(3)?;
    Ok(EntitySetItem {
        entityset_id: row.try_get(0)?,
        entity_id: row.try_get(1)?,
        collection_id: row.try_get(2)?,
        judgement: judgement_from_text(judgement)?,
        compared_to_entity_id: row.try_get(4)?,
        added_by_id: row.try_get(5)?,
        created_at: row.try_get(6)?,
        updated_at: row.try_get(7)?,
    })
}

pub(super) async fn items<C: GenericClient>(
    c: &C,
    id: i64,
    limit: u32,
    offset: u64,
) -> Result<Page<EntitySetItem>> {
    get(c, id).await?;
    paging::page(
        c,
        Listing {
            columns: ITEM_COLUMNS,
            from: "entityset_items WHERE entityset_id = $1",
            order: "created_at, entity_id",
        },
        &[&id],
        limit,
        offset,
        read_item,
    )
    .await
}

pub(super) async fn judge<C: GenericClient>(
    c: &C,
    id: i64,
    item: NewEntitySetItem,
    now: Timestamp,
) -> Result<Option<EntitySetItem>> {
    get_locked(c, id).await?;
    query(
        c,
        "UPDATE entitysets SET updated_at = $2 WHERE id = $1",
        &[&id, &now],
    )
    .await?;
    if item.judgement == Judgement::NoJudgement {
        query(
            c,
            "DELETE FROM entityset_items WHERE entityset_id = $1 AND entity_id = $2",
            &[&id, &item.entity_id],
        )
        .await?;
        return Ok(None);
    }
    collections::lock_live_keys(c, &[item.collection_id]).await?;
    let sql = format!(
        "INSERT INTO entityset_items (entityset_id, entity_id, collection_id, judgement,
             compared_to_entity_id, added_by_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (entityset_id, entity_id) DO UPDATE SET
             collection_id = EXCLUDED.collection_id,
             judgement = EXCLUDED.judgement,
             compared_to_entity_id = EXCLUDED.compared_to_entity_id,
             updated_at = EXCLUDED.updated_at
         RETURNING {ITEM_COLUMNS}"
    );
    query(
        c,
        &sql,
        &[
            &id,
            &item.entity_id,
            &item.collection_id,
            &item.judgement.as_str(),
            &item.compared_to_entity_id,
            &item.added_by_id,
            &now,
        ],
    )
    .await?
    .first()
    .map(read_item)
    .transpose()
}
