//! Alerts (a user's saved searches) and notifications (what a user is told about: new
//! entities matching an alert, events on collections they work in).
//!
//! A notification may carry an email to send; the mailer takes those from an outbox
//! ([`crate::Store::pending_emails`]) so that writing entities never waits on SMTP.

use serde_json::{Map, Value};

use crate::{Result, StoreError, Timestamp};

/// The longest alert query, in bytes.
pub const MAX_ALERT_QUERY: usize = 4096;

/// The notification parameter (Unix seconds) before which its email is held back
/// ([`crate::Store::rearm_notification_email`]).
pub const EMAIL_AFTER: &str = "email_after";
/// The longest event name, in bytes.
pub const MAX_EVENT_LEN: usize = 100;

/// A saved search of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: i64,
    pub role_id: i64,
    /// The search text (`q`).
    pub query: String,
    /// When this alert last produced a notification.
    pub notified_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The trimmed query of a new alert, or why it cannot be one.
pub(crate) fn alert_query(raw: &str) -> Result<String> {
    let q = raw.trim();
    if q.is_empty() {
        return Err(StoreError::invalid("an alert needs a query"));
    }
    if q.len() > MAX_ALERT_QUERY {
        return Err(StoreError::invalid("alert query is too long"));
    }
    Ok(q.to_string())
}

/// Something a user is told about.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    /// Who is told.
    pub role_id: i64,
    /// Who did it, if a user did.
    pub actor_id: Option<i64>,
    /// The event name (`alert_match`, `ingest_document`, `processing_finished`,
    /// `grant_collection`…).
    pub event: String,
    /// The collection it is about: a reader who lost access no longer sees it.
    pub collection_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub entity_id: Option<String>,
    /// What the message shows (counts, labels…).
    pub params: Map<String, Value>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    /// Whether an email is still to be sent.
    pub email_pending: bool,
}

/// A notification to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub role_id: i64,
    pub actor_id: Option<i64>,
    pub event: String,
    pub collection_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub entity_id: Option<String>,
    pub params: Map<String, Value>,
    /// Queue an email for it.
    pub email: bool,
}

impl NewNotification {
    pub fn new(role_id: i64, event: impl Into<String>) -> NewNotification {
        NewNotification {
            role_id,
            actor_id: None,
            event: event.into(),
            collection_id: None,
            alert_id: None,
            entity_id: None,
            params: Map::new(),
            email: false,
        }
    }

    pub(crate) fn validated(self) -> Result<NewNotification> {
        if self.event.is_empty() || self.event.len() > MAX_EVENT_LEN {
            return Err(StoreError::invalid("bad notification event name"));
        }
        Ok(self)
    }
}

/// Which notifications of one user a listing returns, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationQuery {
    pub role_id: i64,
    /// Only those about these collections (or about none); `None` for all (admins).
    pub readable: Option<Vec<i64>>,
    pub unread_only: bool,
    pub limit: u32,
    pub offset: u64,
}

impl NotificationQuery {
    pub fn new(role_id: i64, readable: Option<Vec<i64>>) -> NotificationQuery {
        NotificationQuery {
            role_id,
            readable,
            unread_only: false,
            limit: 20,
            offset: 0,
        }
    }
}

pub(crate) fn params_from_text(text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(StoreError::Corrupt(format!(
            "notification params are not a JSON object: {text:.40}"
        ))),
    }
}

pub(crate) fn params_to_text(params: &Map<String, Value>) -> String {
    serde_json::to_string(params).unwrap_or_else(|_| "{}".into())
}
