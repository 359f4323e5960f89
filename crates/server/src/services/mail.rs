//! Emails for notifications, sent over SMTP from the store's outbox.
//!
//! Notifications are written with an "email pending" flag; a loop in `aleph serve` takes
//! them from the store and sends them, so a slow or broken mail server never holds up the
//! write that caused them. Without SMTP settings nothing is sent. A pending email older
//! than [`MAX_AGE`] is dropped rather than sent late (for example when SMTP is configured
//! on an instance that has been collecting notifications for months).
//!
//! Settings: `ALEPH_SMTP_HOST` (or Aleph's `ALEPH_MAIL_HOST`), `ALEPH_SMTP_PORT`,
//! `ALEPH_SMTP_USERNAME`, `ALEPH_SMTP_PASSWORD`, `ALEPH_SMTP_TLS` (`none`, `starttls` or
//! `tls`; by default `tls` on port 465, `none` on port 25, else `starttls`) and
//! `ALEPH_SMTP_FROM`.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{Map, Value, json};
use store::{Notification, Store};

use crate::services::notifications::{
    EMAILED_COUNT, Event, MORE_UPLOADS, MORE_UPLOADS_TITLE, render_template, render_text, title_of,
};

/// Pending emails older than this are not sent.
pub const MAX_AGE: chrono::TimeDelta = chrono::TimeDelta::days(1);
/// Emails taken from the outbox per round.
const BATCH: u32 = 100;
/// How long the loop waits between rounds.
const INTERVAL: Duration = Duration::from_secs(30);

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    None,
    StartTls,
    Tls,
}

/// Where and how to send mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub credentials: Option<(String, String)>,
    pub from: String,
}

/// Why mail could not be configured or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail setting {0}: {1}")]
    Setting(&'static str, String),
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot build the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl SmtpConfig {
    /// The settings from the environment, `None` when no mail host is set.
    pub fn from_env() -> Result<Option<SmtpConfig>, MailError> {
        SmtpConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from any lookup of variable names (the environment, a test's map).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<SmtpConfig>, MailError> {
        let get = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()))
        };
        let Some(host) = get(&["ALEPH_SMTP_HOST", "ALEPH_MAIL_HOST"]) else {
            return Ok(None);
        };
        let port = match get(&["ALEPH_SMTP_PORT", "ALEPH_MAIL_PORT"]) {
            Some(p) => p
                .trim()
                .parse::<u16>()
                .map_err(|_| MailError::Setting("ALEPH_SMTP_PORT", p))?,
            None => 587,
        };
        let security = match get(&["ALEPH_SMTP_TLS"]).map(|s| s.trim().to_lowercase()) {
            None => match port {
                465 => SmtpSecurity::Tls,
                25 => SmtpSecurity::None,
                _ => SmtpSecurity::StartTls,
            },
            Some(s) => match s.as_str() {
                "none" | "false" | "off" | "0" => SmtpSecurity::None,
                "starttls" => SmtpSecurity::StartTls,
                "tls" | "ssl" | "true" | "on" | "1" => SmtpSecurity::Tls,
                _ => return Err(MailError::Setting("ALEPH_SMTP_TLS", s)),
            },
        };
        let credentials = match (
            get(&["ALEPH_SMTP_USERNAME", "ALEPH_MAIL_USERNAME"]),
            get(&["ALEPH_SMTP_PASSWORD", "ALEPH_MAIL_PASSWORD"]),
        ) {
            (Some(user), Some(password)) => Some((user, password)),
            (Some(user), None) => Some((user, String::new())),
            _ => None,
        };
        let from = get(&["ALEPH_SMTP_FROM", "ALEPH_MAIL_FROM"])
            .unwrap_or_else(|| format!("aleph@{}", host.trim()));
        from.parse::<Mailbox>()
            .map_err(|_| MailError::Setting("ALEPH_SMTP_FROM", from.clone()))?;
        Ok(Some(SmtpConfig {
            host: host.trim().to_string(),
            port,
            security,
            credentials,
            from,
        }))
    }
}

/// Sends the store's pending notification emails.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    store: Arc<dyn Store>,
    /// Links in emails point here (`ALEPH_UI_URL`).
    ui_url: String,
    app_title: String,
}

impl Mailer {
    pub fn new(
        config: &SmtpConfig,
        store: Arc<dyn Store>,
        ui_url: &str,
        app_title: &str,
    ) -> Result<Mailer, MailError> {
        type Transport = AsyncSmtpTransport<Tokio1Executor>;
        let builder = match config.security {
            SmtpSecurity::None => Transport::builder_dangerous(&config.host),
            SmtpSecurity::StartTls => Transport::starttls_relay(&config.host)?,
            SmtpSecurity::Tls => Transport::relay(&config.host)?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(20)));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|_| MailError::Address(config.from.clone()))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
            store,
            ui_url: ui_url.to_string(),
            app_title: app_title.to_string(),
        })
    }

    /// Send what is pending now; returns how many emails went out. A notification whose
    /// email fails stays pending for the next round, unless its address is unusable.
    pub async fn deliver_pending(&self) -> Result<u64, MailError> {
        let pending = self.store.pending_emails(BATCH).await?;
        let mut sent = 0;
        let mut done = Vec::with_capacity(pending.len());
        let mut failure = None;
        for n in &pending {
            match self.deliver(n).await {
                Ok(delivered) => {
                    sent += u64::from(delivered);
                    done.push(n.id);
                }
                Err(MailError::Address(a)) => {
                    tracing::warn!("not mailing notification {}: bad address {a:?}", n.id);
                    done.push(n.id);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        self.store.emails_done(&done).await?;
        match failure {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }

    /// Send one notification's email; `false` when it is not to be sent after all (too
    /// old, the user is gone, muted or can no longer read the collection).
    async fn deliver(&self, n: &Notification) -> Result<bool, MailError> {
        if store::now() - n.created_at > MAX_AGE {
            return Ok(false);
        }
        // A burst's follow-up is news only to a reader who has not opened it meanwhile.
        if n.params.contains_key(EMAILED_COUNT) && n.read_at.is_some() {
            return Ok(false);
        }
        let role = match self.store.role(n.role_id).await {
            Ok(role) => role,
            Err(store::StoreError::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let Some(address) = role
            .email
            .clone()
            .filter(|_| !role.is_muted && !role.is_blocked)
        else {
            return Ok(false);
        };
        if let Some(cid) = n.collection_id
            && !role.is_admin
            && !self
                .store
                .access_sets(&self.store.role_set(role.id).await?)
                .await?
                .readable
                .contains(&cid)
        {
            return Ok(false);
        }
        let to = address
            .parse::<Mailbox>()
            .map_err(|_| MailError::Address(address.clone()))?;
        let (subject, body) = self.compose(n).await;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        self.transport.send(message).await?;
        Ok(true)
    }

    async fn compose(&self, n: &Notification) -> (String, String) {
        let event = Event::parse(&n.event);
        // The subject and the line follow the notification's own template, so a folded
        // upload reads "… added N files …" here as it does in the notification list.
        let emailed = n.params.get(EMAILED_COUNT).and_then(Value::as_u64);
        let title: &str = match (event, emailed) {
            (Some(_), Some(_)) => MORE_UPLOADS_TITLE,
            (Some(e), None) => title_of(e, &n.params),
            (None, _) => &n.event,
        };
        let mut labels: Map<String, Value> = n.params.clone();
        if let Some(emailed) = emailed {
            let count = n.params.get("count").and_then(Value::as_u64).unwrap_or(1);
            labels.insert("more".into(), json!(count.saturating_sub(emailed)));
        }
        if let Some(actor) = n.actor_id
            && let Ok(role) = self.store.role(actor).await
        {
            labels.insert("actor".into(), json!(role.name));
        }
        if let Some(cid) = n.collection_id
            && let Ok(c) = self.store.collection(cid).await
        {
            labels.insert("collection".into(), json!(c.label));
            for (name, kind) in event.map(Event::params).unwrap_or_default() {
                if *kind == "entity"
                    && let Some(id) = n.params.get(*name).and_then(Value::as_str)
                    && let Ok(Some(stored)) = self.store.entity(cid, id).await
                {
                    labels.insert((*name).into(), json!(stored.entity.caption()));
                }
            }
        }
        if let Some(q) = n.params.get("query") {
            labels.insert("alert".into(), q.clone());
        }
        if let Some(role_id) = n.params.get("role").and_then(Value::as_i64)
            && let Ok(role) = self.store.role(role_id).await
        {
            labels.insert("role".into(), json!(role.name));
        }
        let line = match event {
            Some(_) if emailed.is_some() => render_template(MORE_UPLOADS, &labels),
            Some(e) => render_text(e, &labels),
            None => n.event.clone(),
        };
        let subject = format!("[{}] {title}", self.app_title);
        let body = format!(
            "{line}\n\nSee your notifications: {}notifications\n",
            self.ui_url
        );
        (subject, body)
    }

    /// Deliver pending emails every [`INTERVAL`] until the process ends.
    pub async fn run(self) {
        loop {
            match self.deliver_pending().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("sent {n} notification emails"),
                Err(e) => tracing::warn!("sending notification emails failed: {e}"),
            }
            tokio::time::sleep(INTERVAL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Option<SmtpConfig>, MailError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SmtpConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn mail_is_off_without_a_host() {
        assert_eq!(config(&[]).unwrap(), None);
        assert_eq!(config(&[("ALEPH_SMTP_HOST", " ")]).unwrap(), None);
    }

    #[test]
    fn settings_and_their_defaults() {
        let c = config(&[("ALEPH_SMTP_HOST", "mail.example.org")])
            .unwrap()
            .unwrap();
        assert_eq!(c.port, 587);
        assert_eq!(c.security, SmtpSecurity::StartTls);
        assert_eq!(c.credentials, None);
        assert_eq!(c.from, "aleph@mail.example.org");
        let c = config(&[
            ("ALEPH_MAIL_HOST", "mail.example.org"),
            ("ALEPH_MAIL_PORT", "465"),
            ("ALEPH_SMTP_USERNAME", "u"),
            ("ALEPH_SMTP_PASSWORD", "p"),
            ("ALEPH_SMTP_FROM", "Aleph <noreply@example.org>"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((c.port, c.security), (465, SmtpSecurity::Tls));
        assert_eq!(c.credentials, Some(("u".into(), "p".into())));
        let c = config(&[
            ("ALEPH_SMTP_HOST", "127.0.0.1"),
            ("ALEPH_SMTP_PORT", "2525"),
            ("ALEPH_SMTP_TLS", "none"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.security, SmtpSecurity::None);
        assert!(config(&[("ALEPH_SMTP_HOST", "h"), ("ALEPH_SMTP_PORT", "x")]).is_err());
        assert!(config(&[("ALEPH_SMTP_HOST", "h"), ("ALEPH_SMTP_TLS", "maybe")]).is_err());
        assert!(
            config(&[
                ("ALEPH_SMTP_HOST", "h"),
                ("ALEPH_SMTP_FROM", "not an address")
            ])
            .is_err()
        );
    }
}
