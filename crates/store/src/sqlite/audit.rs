//! The audit log on SQLite.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::time;
use crate::audit::{AuditEntry, AuditQuery, NewAuditEntry, parse_detail};
use crate::time::to_micros;
use crate::{Page, Result, StoreError, Timestamp};

const COLUMNS: &str = "id, at, role_id, action, collection_id, target, detail, address";

pub(super) fn record(conn: &Connection, entries: &[NewAuditEntry]) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO audit_log (at, role_id, action, collection_id, target, detail, address)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in entries {
        let p = e.prepared();
        insert.execute(params![
            to_micros(e.at),
            e.role_id,
            e.action.as_str(),
            e.collection_id,
            p.target,
            p.detail,
            p.address,
        ])?;
    }
    Ok(())
}

pub(super) fn list(conn: &Connection, q: &AuditQuery) -> Result<Page<AuditEntry>> {
    let mut filter = String::from(" WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    let mut add = |args: &mut Vec<Value>, clause: &str, v: Value| {
        args.push(v);
        filter.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(role) = q.role_id {
        add(&mut args, "role_id =", Value::Integer(role));
    }
    if let Some(action) = q.action {
        add(&mut args, "action =", Value::Text(action.as_str().into()));
    }
    if let Some(c) = q.collection_id {
        add(&mut args, "collection_id =", Value::Integer(c));
    }
    if let Some(since) = q.since {
        add(&mut args, "at >=", Value::Integer(to_micros(since)));
    }
    if let Some(until) = q.until {
        add(&mut args, "at <", Value::Integer(to_micros(until)));
    }
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM audit_log{filter}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    args.push(Value::Integer(i64::from(q.limit)));
    args.push(Value::Integer(i64::try_from(q.offset).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log{filter} ORDER BY at DESC, id DESC LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut items = Vec::new();
    while let Some(r) = rows.next()? {
        let action: String = r.get(3)?;
        let detail: String = r.get(6)?;
        items.push(AuditEntry {
            id: r.get(0)?,
            at: time(r.get(1)?)?,
            role_id: r.get(2)?,
            action: action
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("unknown audit action {action:?}")))?,
            collection_id: r.get(4)?,
            target: r.get(5)?,
            detail: parse_detail(&detail)?,
            address: r.get(7)?,
        });
    }

    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub(super) fn prune(conn: &Connection, before: Timestamp) -> Result<u64> {
    let n = conn
        .prepare_cached("DELETE FROM audit_log WHERE at < ?1")?
        .execute([to_micros(before)])?;
    Ok(n as u64)
}
