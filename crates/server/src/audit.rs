//! Writing the audit log without slowing requests down, and reading where a request
//! came from.
//!
//! Handlers hand entries to [`AuditLog::record`], which only puts them on a bounded
//! channel; one background task writes them to the store in batches. When the database
//! cannot keep up, the channel fills and further entries are dropped with a warning
//! rather than making users wait: the log is evidence, not a transaction.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use store::{NewAuditEntry, Store, Timestamp};
use tokio::sync::{mpsc, oneshot};

use crate::state::AppState;

/// Entries waiting for the writer at most; beyond that new ones are dropped.
const QUEUE: usize = 10_000;
/// Entries written with one store call at most.
const BATCH: usize = 500;
/// How often old entries are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

enum Message {
    Entry(Box<NewAuditEntry>),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The handle handlers use. Cheap to clone; the writer task starts with the first entry.
#[derive(Clone)]
pub struct AuditLog {
    store: Arc<dyn Store>,
    sender: Arc<OnceLock<mpsc::Sender<Message>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    pub fn new(store: Arc<dyn Store>) -> AuditLog {
        AuditLog {
            store,
            sender: Arc::new(OnceLock::new()),
        }
    }

    fn sender(&self) -> &mpsc::Sender<Message> {
        self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write_loop(self.store.clone(), rx));
            tx
        })
    }

    /// Queue an entry; never waits.
    pub fn record(&self, entry: NewAuditEntry) {
        match self.sender().try_send(Message::Entry(Box::new(entry))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                crate::metrics::global().audit_dropped.inc();
                tracing::warn!("audit log queue full: an entry was dropped");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!("audit log writer stopped: an entry was dropped");
            }
        }
    }

    /// Wait until every entry queued so far is in the store (or failed to get there).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.sender().send(Message::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

async fn write_loop(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Message>) {
    let mut messages = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut messages, BATCH).await > 0 {
        let mut entries = Vec::with_capacity(messages.len());
        let mut flushes = Vec::new();
        for m in messages.drain(..) {
            match m {
                Message::Entry(e) => entries.push(*e),
                Message::Flush(done) => flushes.push(done),
            }
        }
        if !entries.is_empty()
            && let Err(e) = store.record_audit(&entries).await
        {
            tracing::warn!("cannot write {} audit entries: {e}", entries.len());
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Delete entries older than `retention_days` now and then, until the process ends.
/// Zero days keeps everything.
pub fn spawn_pruner(
    store: Arc<dyn Store>,
    retention_days: u32,
) -> Option<tokio::task::JoinHandle<()>> {
    if retention_days == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(PRUNE_EVERY);
        loop {
            ticker.tick().await;
            let before = store::now() - chrono::Duration::days(i64::from(retention_days));
            match store.prune_audit(before).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!("pruned {n} audit entries older than {retention_days} days")
                }
                Err(e) => tracing::warn!("cannot prune the audit log: {e}"),
            }
        }
    }))
}

/// An RFC 3339 time, or a date meaning its midnight (UTC).
pub fn parse_time(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The client's address, for handlers that have no [`crate::auth::Actor`] (logins,
/// downloads authorised by a token).
pub struct ClientAddress(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(
            parts,
            state.settings.behind_proxy,
        )))
    }
}

/// The client's address: the peer of the connection, or, when the server is configured to
/// sit behind a proxy, the first address of `X-Forwarded-For` (the proxy appends the peer
/// it saw, so the left-most entry is the original client). Without that setting the header
/// is ignored, since any client can send it.
pub fn client_address(parts: &Parts, behind_proxy: bool) -> Option<String> {
    if behind_proxy
        && let Some(forwarded) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(first) = forwarded.split(',').next()
        && let Ok(ip) = first.trim().parse::<IpAddr>()
    {
        return Some(ip.to_string());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(forwarded: Option<&str>, peer: Option<&str>) -> Parts {
        let mut req = Request::builder().uri("/");
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        if let Some(p) = peer {
            parts
                .extensions
                .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(
            parse_time("2026-11-28").unwrap().to_rfc3339(),
            "2026-11-28T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-28T10:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-28T09:00:00+00:00"
        );
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_proxy() {
        let p = parts(Some("198.51.100.4, 10.0.0.2"), Some("10.0.0.2:5000"));
        assert_eq!(client_address(&p, false).as_deref(), Some("10.0.0.2"));
        assert_eq!(client_address(&p, true).as_deref(), Some("198.51.100.4"));
        // A forged header that is no address falls back to the peer.
        let p = parts(Some("<script>"), Some("[::1]:80"));
        assert_eq!(client_address(&p, true).as_deref(), Some("::1"));
        assert_eq!(client_address(&parts(None, None), true), None);
    }
}
