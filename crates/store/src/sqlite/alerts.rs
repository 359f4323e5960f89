//! Alerts and notifications in SQLite.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params};

use super::paging::{self, Listing};
use super::{collections, ids_json, opt_time, time};
use crate::alerts::{EMAIL_AFTER, params_from_text, params_to_text};
use crate::time::to_micros;
use crate::{
    Alert, NewNotification, Notification, NotificationQuery, Page, Result, StoreError, Timestamp,
};

const ALERT_COLUMNS: &str = "id, role_id, query, notified_at, created_at, updated_at";

fn read_alert(row: &Row<'_>) -> Result<Alert> {
    Ok(Alert {
        id: row.get(0)?,
        role_id: row.get(1)?,
        query: row.get(2)?,
        notified_at: opt_time(row.get(3)?)?,
        created_at: time(row.get(4)?)?,
        updated_at: time(row.get(5)?)?,
    })
}

pub(super) fn get(conn: &Connection, id: i64) -> Result<Alert> {
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => read_alert(row),
        None => Err(StoreError::not_found("alert", id)),
    }
}

pub(super) fn create(
    conn: &Connection,
    role_id: i64,
    query: &str,
    now: Timestamp,
) -> Result<Alert> {
    collections::role_kind(conn, role_id)?;
    conn.prepare_cached(
        "INSERT INTO alerts (role_id, query, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![role_id, query, to_micros(now)])?;
    get(conn, conn.last_insert_rowid())
}

pub(super) fn list(
    conn: &Connection,
    role_id: Option<i64>,
    limit: u32,
    offset: u64,
) -> Result<Page<Alert>> {
    paging::page(
        conn,
        Listing {
            columns: ALERT_COLUMNS,
            from: "alerts WHERE ?1 IS NULL OR role_id = ?1",
            order: "id",
        },
        vec![role_id.map_or(Value::Null, Value::Integer)],
        limit,
        offset,
        read_alert,
    )
}

pub(super) fn delete(conn: &Connection, id: i64) -> Result<()> {
    if conn.execute("DELETE FROM alerts WHERE id = ?1", [id])? == 0 {
        return Err(StoreError::not_found("alert", id));
    }
    Ok(())
}

pub(super) fn notify(conn: &Connection, items: &[NewNotification], now: Timestamp) -> Result<u64> {
    let ts = to_micros(now);
    let mut created = 0;
    let mut insert = conn.prepare_cached(
        "INSERT INTO notifications (role_id, actor_id, event, collection_id, alert_id,
             entity_id, params, created_at, email_pending)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT DO NOTHING",
    )?;
    let mut touch =
        conn.prepare_cached("UPDATE alerts SET notified_at = ?2, updated_at = ?2 WHERE id = ?1")?;
    for n in items {
        let added = insert.execute(params![
            n.role_id,
            n.actor_id,
            n.event,
            n.collection_id,
            n.alert_id,
            n.entity_id,
            params_to_text(&n.params),
            ts,
            n.email,
        ])?;
        if added > 0
            && let Some(alert) = n.alert_id
        {
            touch.execute(params![alert, ts])?;
        }
        created += added as u64;
    }
    Ok(created)
}

const COLUMNS: &str = "id, role_id, actor_id, event, collection_id, alert_id, entity_id, \
     params, created_at, read_at, email_pending";

fn read(row: &Row<'_>) -> Result<Notification> {
    let params: String = row.get(7)?;
    Ok(Notification {
        id: row.get(0)?,
        role_id: row.get(1)?,
        actor_id: row.get(2)?,
        event: row.get(3)?,
        collection_id: row.get(4)?,
        alert_id: row.get(5)?,
        entity_id: row.get(6)?,
        params: params_from_text(&params)?,
        created_at: time(row.get(8)?)?,
        read_at: opt_time(row.get(9)?)?,
        email_pending: row.get(10)?,
    })
}

pub(super) fn list_notifications(
    conn: &Connection,
    q: &NotificationQuery,
) -> Result<Page<Notification>> {
    let mut args: Vec<Value> = vec![Value::Integer(q.role_id)];
    let mut filter = String::from(" WHERE role_id = ?1");
    if let Some(ids) = &q.readable {
        args.push(Value::Text(ids_json(ids)));
        filter.push_str(&format!(
            " AND (collection_id IS NULL OR collection_id IN (SELECT value FROM json_each(?{})))",
            args.len()
        ));
    }
    if q.unread_only {
        filter.push_str(" AND read_at IS NULL");
    }
    paging::page(
        conn,
        Listing {
            columns: COLUMNS,
            from: &format!("notifications{filter}"),
            order: "id DESC",
        },
        args,
        q.limit,
        q.offset,
        read,
    )
}

pub(super) fn fold(conn: &Connection, id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE notifications
             SET params = json_set(params, '$.count', COALESCE(json_extract(params, '$.count'), 1) + 1)
             WHERE id = ?1 AND read_at IS NULL",
        )?
        .execute([id])?;
    Ok(n > 0)
}

pub(super) fn mark_read(
    conn: &Connection,
    role_id: i64,
    ids: Option<&[i64]>,
    now: Timestamp,
) -> Result<u64> {
    let ts = to_micros(now);
    let n = match ids {
        None => conn
            .prepare_cached(
                "UPDATE notifications SET read_at = ?2 WHERE role_id = ?1 AND read_at IS NULL",
            )?
            .execute(params![role_id, ts])?,
        Some(ids) => conn
            .prepare_cached(
                "UPDATE notifications SET read_at = ?2 WHERE role_id = ?1 AND read_at IS NULL
                 AND id IN (SELECT value FROM json_each(?3))",
            )?
            .execute(params![role_id, ts, ids_json(ids)])?,
    };
    Ok(n as u64)
}

/// See [`crate::Store::rearm_notification_email`]: the time it is held until is the
/// `email_after` parameter (Unix seconds), which [`pending_emails`] honours.
pub(super) fn rearm_email(
    conn: &Connection,
    id: i64,
    mut params: serde_json::Map<String, serde_json::Value>,
    not_before: Timestamp,
) -> Result<bool> {
    params.insert(EMAIL_AFTER.into(), not_before.timestamp().into());
    let n = conn
        .prepare_cached(
            "UPDATE notifications SET params = json_patch(params, ?2), email_pending = 1
             WHERE id = ?1 AND read_at IS NULL AND email_pending = 0",
        )?
        .execute(params![id, serde_json::Value::Object(params).to_string()])?;
    Ok(n > 0)
}

pub(super) fn pending_emails(conn: &Connection, limit: u32) -> Result<Vec<Notification>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE email_pending = 1
         AND COALESCE(json_extract(params, '$.{EMAIL_AFTER}'), 0) <= CAST(strftime('%s', 'now') AS INTEGER)
         ORDER BY id LIMIT ?1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([i64::from(limit)])?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(read(row)?);
    }
    Ok(items)
}

pub(super) fn emails_done(conn: &Connection, ids: &[i64]) -> Result<()> {
    conn.prepare_cached(
        "UPDATE notifications SET email_pending = 0
         WHERE email_pending = 1 AND id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([ids_json(ids)])?;
    Ok(())
}
