//! Alerts and notifications in PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::paging::{self, Listing};
use super::{collections, query};
use crate::alerts::{EMAIL_AFTER, params_from_text, params_to_text};
use crate::{
    Alert, NewNotification, Notification, NotificationQuery, Page, Result, StoreError, Timestamp,
};

const ALERT_COLUMNS: &str = "id, role_id, query, notified_at, created_at, updated_at";

fn read_alert(row: &Row) -> Result<Alert> {
    Ok(Alert {
        id: row.try_get(0)?,
        role_id: row.try_get(1)?,
        query: row.try_get(2)?,
        notified_at: row.try_get(3)?,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
    })
}

pub(super) async fn get<C: GenericClient>(c: &C, id: i64) -> Result<Alert> {
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1");
    match query(c, &sql, &[&id]).await?.first() {
        Some(row) => read_alert(row),
        None => Err(StoreError::not_found("alert", id)),
    }
}

pub(super) async fn create<C: GenericClient>(
    c: &C,
    role_id: i64,
    q: &str,
    now: Timestamp,
) -> Result<Alert> {
    collections::role_kind(c, role_id).await?;
    let sql = format!(
        "INSERT INTO alerts (role_id, query, created_at, updated_at) VALUES ($1, $2, $3, $3)
         RETURNING {ALERT_COLUMNS}"
    );
    query(c, &sql, &[&role_id, &q, &now])
        .await?
        .first()
        .map(read_alert)
        .ok_or_else(|| StoreError::Backend("insert returned no row".into()))?
}

pub(super) async fn list<C: GenericClient>(
    c: &C,
    role_id: Option<i64>,
    limit: u32,
    offset: u64,
) -> Result<Page<Alert>> {
    paging::page(
        c,
        Listing {
            columns: ALERT_COLUMNS,
            from: "alerts WHERE $1::BIGINT IS NULL OR role_id = $1",
            order: "id",
        },
        &[&role_id],
        limit,
        offset,
        read_alert,
    )
    .await
}

pub(super) async fn delete<C: GenericClient>(c: &C, id: i64) -> Result<()> {
    let rows = query(c, "DELETE FROM alerts WHERE id = $1 RETURNING id", &[&id]).await?;
    if rows.is_empty() {
        return Err(StoreError::not_found("alert", id));
    }
    Ok(())
}

pub(super) async fn notify<C: GenericClient>(
    c: &C,
    items: &[NewNotification],
    now: Timestamp,
) -> Result<u64> {
    let mut created = 0;
    for n in items {
        let params = params_to_text(&n.params);
        let rows = query(
            c,
            "INSERT INTO notifications (role_id, actor_id, event, collection_id, alert_id,
                 entity_id, params, created_at, email_pending)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT DO NOTHING
             RETURNING id",
            &[
                &n.role_id,
                &n.actor_id,
                &n.event,
                &n.collection_id,
                &n.alert_id,
                &n.entity_id,
                &params,
                &now,
                &n.email,
            ],
        )
        .await?;
        if !rows.is_empty() {
            created += 1;
            if let Some(alert) = n.alert_id {
                query(
                    c,
                    "UPDATE alerts SET notified_at = $2, updated_at = $2 WHERE id = $1",
                    &[&alert, &now],
                )
                .await?;
            }
        }
    }
    Ok(created)
}

const COLUMNS: &str = "id, role_id, actor_id, event, collection_id, alert_id, entity_id, \
     params, created_at, read_at, email_pending";

fn read(row: &Row) -> Result<Notification> {
    let params: &str = row.try_get(7)?;
    Ok(Notification {
        id: row.try_get(0)?,
        role_id: row.try_get(1)?,
        actor_id: row.try_get(2)?,
        event: row.try_get(3)?,
        collection_id: row.try_get(4)?,
        alert_id: row.try_get(5)?,
        entity_id: row.try_get(6)?,
        params: params_from_text(params)?,
        created_at: row.try_get(8)?,
        read_at: row.try_get(9)?,
        email_pending: row.try_get(10)?,
    })
}

pub(super) async fn list_notifications<C: GenericClient>(
    c: &C,
    q: &NotificationQuery,
) -> Result<Page<Notification>> {
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(q.role_id)];
    let mut filter = String::from(" WHERE role_id = $1");
    if let Some(ids) = &q.readable {
        args.push(Box::new(ids.clone()));
        filter.push_str(&format!(
            " AND (collection_id IS NULL OR collection_id = ANY(${}))",
            args.len()
        ));
    }
    if q.unread_only {
        filter.push_str(" AND read_at IS NULL");
    }
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    paging::page(
        c,
        Listing {
            columns: COLUMNS,
            from: &format!("notifications{filter}"),
            order: "id DESC",
        },
        &refs,
        q.limit,
        q.offset,
        read,
    )
    .await
}

pub(super) async fn fold<C: GenericClient>(c: &C, id: i64) -> Result<bool> {
    // One statement: concurrent folds into the same notification each count.
    let n = c
        .execute(
            "UPDATE notifications
             SET params = jsonb_set(params::jsonb, '{count}',
                 to_jsonb(COALESCE((params::jsonb ->> 'count')::bigint, 1) + 1))::text
             WHERE id = $1 AND read_at IS NULL",
            &[&id],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn mark_read<C: GenericClient>(
    c: &C,
    role_id: i64,
    ids: Option<&[i64]>,
    now: Timestamp,
) -> Result<u64> {
    let rows = match ids {
        None => {
            query(
                c,
                "UPDATE notifications SET read_at = $2 WHERE role_id = $1 AND read_at IS NULL
                 RETURNING id",
                &[&role_id, &now],
            )
            .await?
        }
        Some(ids) => {
            let ids = ids.to_vec();
            query(
                c,
                "UPDATE notifications SET read_at = $2 WHERE role_id = $1 AND read_at IS NULL
                 AND id = ANY($3) RETURNING id",
                &[&role_id, &now, &ids],
            )
            .await?
        }
    };
    Ok(rows.len() as u64)
}

/// See [`crate::Store::rearm_notification_email`]: the time it is held until is the
/// `email_after` parameter (Unix seconds), which [`pending_emails`] honours.
pub(super) async fn rearm_email<C: GenericClient>(
    c: &C,
    id: i64,
    mut params: serde_json::Map<String, serde_json::Value>,
    not_before: Timestamp,
) -> Result<bool> {
    params.insert(EMAIL_AFTER.into(), not_before.timestamp().into());
    let patch = serde_json::Value::Object(params).to_string();
    let n = c
        .execute(
            "UPDATE notifications SET params = (params::jsonb || ($2::text)::jsonb)::text,
                 email_pending = TRUE
             WHERE id = $1 AND read_at IS NULL AND NOT email_pending",
            &[&id, &patch],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn pending_emails<C: GenericClient>(
    c: &C,
    limit: u32,
) -> Result<Vec<Notification>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE email_pending
         AND COALESCE((params::jsonb ->> '{EMAIL_AFTER}')::bigint, 0)
             <= extract(epoch from now())::bigint
         ORDER BY id LIMIT $1"
    );
    let limit = i64::from(limit);
    query(c, &sql, &[&limit]).await?.iter().map(read).collect()
}

pub(super) async fn emails_done<C: GenericClient>(c: &C, ids: &[i64]) -> Result<()> {
    let ids = ids.to_vec();
    query(
        c,
        "UPDATE notifications SET email_pending = FALSE WHERE email_pending AND id = ANY($1)",
        &[&ids],
    )
    .await?;
    Ok(())
}
