//! The audit log on PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::query;
use crate::audit::{AuditEntry, AuditQuery, NewAuditEntry, parse_detail};
use crate::{Page, Result, StoreError, Timestamp};

const COLUMNS: &str = "id, at, role_id, action, collection_id, target, detail, address";

/// One statement for the whole batch, whatever its size.
pub(super) async fn record<C: GenericClient>(c: &C, entries: &[NewAuditEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut at: Vec<Timestamp> = Vec::with_capacity(entries.len());
    let mut role: Vec<Option<i64>> = Vec::with_capacity(entries.len());
    let mut action: Vec<&str> = Vec::with_capacity(entries.len());
    let mut collection: Vec<Option<i64>> = Vec::with_capacity(entries.len());
    let mut target: Vec<Option<String>> = Vec::with_capacity(entries.len());
    let mut detail: Vec<String> = Vec::with_capacity(entries.len());
    let mut address: Vec<Option<String>> = Vec::with_capacity(entries.len());
    for e in entries {
        let p = e.prepared();
        at.push(e.at);
        role.push(e.role_id);
        action.push(e.action.as_str());
        collection.push(e.collection_id);
        target.push(p.target);
        detail.push(p.detail);
        address.push(p.address);
    }
    query(
        c,
        "INSERT INTO audit_log (at, role_id, action, collection_id, target, detail, address)
         SELECT * FROM UNNEST($1::timestamptz[], $2::bigint[], $3::text[], $4::bigint[],
             $5::text[], $6::text[], $7::text[])",
        &[&at, &role, &action, &collection, &target, &detail, &address],
    )
    .await?;
    Ok(())
}

pub(super) async fn list<C: GenericClient>(c: &C, q: &AuditQuery) -> Result<Page<AuditEntry>> {
    let mut filter = String::from(" WHERE TRUE");
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let mut add = |args: &mut Vec<Box<dyn ToSql + Sync + Send>>,
                   clause: &str,
                   v: Box<dyn ToSql + Sync + Send>| {
        args.push(v);
        filter.push_str(&format!(" AND {clause} ${}", args.len()));
    };
    if let Some(role) = q.role_id {
        add(&mut args, "role_id =", Box::new(role));
    }
    if let Some(action) = q.action {
        add(&mut args, "action =", Box::new(action.as_str()));
    }
    if let Some(collection) = q.collection_id {
        add(&mut args, "collection_id =", Box::new(collection));
    }
    if let Some(since) = q.since {
        add(&mut args, "at >=", Box::new(since));
    }
    if let Some(until) = q.until {
        add(&mut args, "at <", Box::new(until));
    }
    let mut refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    let total: i64 = query(c, &format!("SELECT COUNT(*) FROM audit_log{filter}"), &refs)
        .await?
        .first()
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let limit = i64::from(q.limit);
    let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
    refs.push(&limit);
    refs.push(&offset);
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log{filter} ORDER BY at DESC, id DESC LIMIT ${} OFFSET ${}",
        refs.len() - 1,
        refs.len()
    );
    let mut items = Vec::new();
    for r in query(c, &sql, &refs).await? {
        let action: String = r.try_get(3)?;
        let detail: String = r.try_get(6)?;
        items.push(AuditEntry {
            id: r.try_get(0)?,
            at: r.try_get(1)?,
            role_id: r.try_get(2)?,
            action: action
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("unknown audit action {action:?}")))?,
            collection_id: r.try_get(4)?,
            target: r.try_get(5)?,
            detail: parse_detail(&detail)?,
            address: r.try_get(7)?,
        });
    }
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub(super) async fn prune<C: GenericClient>(c: &C, before: Timestamp) -> Result<u64> {
    Ok(c.execute("DELETE FROM audit_log WHERE at < $1", &[&before])
        .await?)
}
