//! Notifications: the events users are told about, who is told, and the JSON shape of
//! `GET /api/2/notifications`.
//!
//! Collection events go to the users who work in the collection: those granted access
//! directly or through a group. Public access (the guest and logged-in system roles) does
//! not subscribe the whole instance. The user who caused an event is not told about it.
//! Every notification names its collection, so a reader who loses access stops seeing it.
//!
//! Uploads come in bursts (a folder crawled by alephclient is one request per file), so a
//! reader is told about the first file of a burst only: while they have an unread
//! `ingest_document` notification from the same uploader about the same collection made
//! within [`UPLOAD_BURST`], further files are folded into it ([`upload_event`]): its
//! `count` parameter counts the files, and it reads "… added N files to …"
//! ([`FOLDED_UPLOADS`]). When its email went out before further files folded in, the
//! first such file puts the email back in the outbox, held until the burst's window
//! closes: one follow-up per burst, "… added N more files to …" ([`MORE_UPLOADS`]),
//! unless the reader has read the notification by then.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use store::{Access, NewNotification, Notification, Role, RoleKind, Store};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::serialize::{Serializer, clean, datetime};
use crate::services::entitysets::find_entities;
use crate::state::AppState;

/// What a notification is about. The names and templates follow Aleph's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// New entities match a saved search.
    MatchAlert,
    /// Someone uploaded a document into a collection.
    IngestDocument,
    /// A collection's processing queue ran empty (with how many files failed).
    ProcessingFinished,
    /// Cross-referencing of a collection finished.
    XrefFinished,
    /// Someone was given access to a collection.
    GrantCollection,
    /// An export a user asked for is ready to download.
    CompleteExport,
}

impl Event {
    pub const ALL: [Event; 6] = [
        Event::MatchAlert,
        Event::IngestDocument,
        Event::ProcessingFinished,
        Event::XrefFinished,
        Event::GrantCollection,
        Event::CompleteExport,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::MatchAlert => "match_alert",
            Event::IngestDocument => "ingest_document",
            Event::ProcessingFinished => "processing_finished",
            Event::XrefFinished => "xref_finished",
            Event::GrantCollection => "grant_collection",
            Event::CompleteExport => "complete_export",
        }
    }

    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.name() == name)
    }

    pub fn title(self) -> &'static str {
        match self {
            Event::MatchAlert => "Alert notification",
            Event::IngestDocument => "Upload a document",
            Event::ProcessingFinished => "Processing finished",
            Event::XrefFinished => "Cross-referencing finished",
            Event::GrantCollection => "Grant access to investigation",
            Event::CompleteExport => "Export completed",
        }
    }

    pub fn template(self) -> &'static str {
        match self {
            Event::MatchAlert => "{{entity}} matches your alert for {{alert}}",
            Event::IngestDocument => "{{actor}} added {{document}} to {{collection}}",
            Event::ProcessingFinished => {
                "Processing of {{collection}} finished: {{processed}} files, {{failed}} failed"
            }
            Event::XrefFinished => {
                "Cross-referencing of {{collection}} finished: {{matches}} matches you can see"
            }
            Event::GrantCollection => "{{actor}} gave {{role}} access to {{collection}}",
            Event::CompleteExport => "{{export}} is ready for download",
        }
    }

    /// The object-valued parameters and their types; other parameters are plain values.
    pub fn params(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Event::MatchAlert => &[
                ("entity", "entity"),
                ("alert", "alert"),
                ("collection", "collection"),
            ],
            Event::IngestDocument => &[("document", "entity"), ("collection", "collection")],
            Event::ProcessingFinished | Event::XrefFinished => &[("collection", "collection")],
            Event::GrantCollection => &[("collection", "collection"), ("role", "role")],
            // The export is stored as its object (label, file name…); the download link
            // is in `GET /exports`, where it is signed afresh.
            Event::CompleteExport => &[("export", "export")],
        }
    }
}

/// The template of an upload notification that more files were folded into (`count`
/// above 1); Aleph has no such event, so its UI shows the count as any other parameter.
pub const FOLDED_UPLOADS: &str = "{{actor}} added {{count}} files to {{collection}}";

/// An event's template for one notification: a folded upload names its count.
pub fn template_of(event: Event, params: &Map<String, Value>) -> &'static str {
    match (event, params.get("count").and_then(Value::as_u64)) {
        (Event::IngestDocument, Some(n)) if n > 1 => FOLDED_UPLOADS,
        _ => event.template(),
    }
}

/// The title of an upload notification that more files were folded into (its email's
/// subject).
pub const FOLDED_UPLOADS_TITLE: &str = "Files uploaded";

/// An event's title for one notification: a folded upload is about several files.
pub fn title_of(event: Event, params: &Map<String, Value>) -> &'static str {
    if template_of(event, params) == FOLDED_UPLOADS {
        FOLDED_UPLOADS_TITLE
    } else {
        event.title()
    }
}

/// Whether a user gets notifications by email as well.
pub fn wants_email(role: &Role) -> bool {
    role.email.is_some() && !role.is_muted
}

/// The active users among these roles (groups stand for their members).
async fn users_of(store: &Arc<dyn Store>, role_ids: &[i64]) -> ApiResult<Vec<Role>> {
    let mut seen = BTreeSet::new();
    let mut users = Vec::new();
    for &role_id in role_ids {
        let role = match store.role(role_id).await {
            Ok(role) => role,
            Err(store::StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let members = match role.kind {
            RoleKind::User => vec![role],
            RoleKind::Group => store.members_of(role.id).await?,
            RoleKind::System => Vec::new(),
        };
        for member in members {
            if member.kind == RoleKind::User && !member.is_blocked && seen.insert(member.id) {
                users.push(member);
            }
        }
    }
    Ok(users)
}

/// Tell `role_ids` (users, or groups for their members) about an event on a collection,
/// except the actor. Returns how many were told.
pub async fn notify_roles(
    store: &Arc<dyn Store>,
    role_ids: &[i64],
    collection_id: i64,
    actor_id: Option<i64>,
    event: Event,
    params: Map<String, Value>,
) -> ApiResult<u64> {
    let users = users_of(store, role_ids).await?;
    let batch: Vec<NewNotification> = users
        .iter()
        .filter(|u| Some(u.id) != actor_id)
        .map(|u| {
            let mut n = NewNotification::new(u.id, event.name());
            n.actor_id = actor_id;
            n.collection_id = Some(collection_id);
            n.params = params.clone();
            n.email = wants_email(u);
            n
        })
        .collect();
    Ok(store.notify(&batch).await?)
}

/// The template of a burst's follow-up email: the files folded in after its first email.
pub const MORE_UPLOADS: &str = "{{actor}} added {{more}} more files to {{collection}}";

/// The subject of a burst's follow-up email.
pub const MORE_UPLOADS_TITLE: &str = "More files uploaded";

/// The notification parameter of a burst whose follow-up email is due: the count its
/// first email told. Internal, like [`store::EMAIL_AFTER`]: not shown by the API.
pub const EMAILED_COUNT: &str = "emailed_count";

/// Whether a notification parameter is bookkeeping for emails rather than content.
pub fn internal_param(name: &str) -> bool {
    name == EMAILED_COUNT || name == store::EMAIL_AFTER
}

/// The default for how long after telling a reader about an upload further uploads by
/// the same user into the same collection count as the same burst (while that
/// notification is unread; `ALEPH_UPLOAD_BURST_SECONDS`).
pub const UPLOAD_BURST: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Tell the users who work in a collection that `actor_id` uploaded a file, unless this
/// file belongs to a burst they were already told about (see the module doc). Returns how
/// many were told.
pub async fn upload_event(
    store: &Arc<dyn Store>,
    collection_id: i64,
    actor_id: Option<i64>,
    params: Map<String, Value>,
    burst: std::time::Duration,
) -> ApiResult<u64> {
    let roles = collection_roles(store, collection_id).await?;
    let burst = chrono::Duration::from_std(burst).unwrap_or_else(|_| chrono::Duration::zero());
    let since = store::now() - burst;
    let event = Event::IngestDocument;
    let mut batch = Vec::new();
    for user in users_of(store, &roles).await? {
        if Some(user.id) == actor_id {
            continue;
        }
        let mut query = store::NotificationQuery::new(user.id, Some(vec![collection_id]));
        query.unread_only = true;
        query.limit = 50;
        let recent = store.list_notifications(&query).await?;
        let told = recent.items.iter().find(|n| {
            n.event == event.name()
                && n.collection_id == Some(collection_id)
                && n.actor_id == actor_id
                && n.created_at >= since
        });
        if let Some(told) = told {
            store.fold_notification(told.id).await?;
            // Told by email already, before this file: one follow-up when the burst ends.
            // (A concurrent fold that also gets here finds it pending and changes nothing.)
            if !told.email_pending && wants_email(&user) && !told.params.contains_key(EMAILED_COUNT)
            {
                let emailed = told.params.get("count").and_then(Value::as_u64);
                let mut more = Map::new();
                more.insert(EMAILED_COUNT.into(), json!(emailed.unwrap_or(1)));
                store
                    .rearm_notification_email(told.id, more, told.created_at + burst)
                    .await?;
            }
            continue;
        }
        let mut n = NewNotification::new(user.id, event.name());
        n.actor_id = actor_id;
        n.collection_id = Some(collection_id);
        n.params = params.clone();
        n.email = wants_email(&user);
        batch.push(n);
    }
    Ok(store.notify(&batch).await?)
}

/// The roles granted access to a collection (directly; groups stand for their members).
async fn collection_roles(store: &Arc<dyn Store>, collection_id: i64) -> ApiResult<Vec<i64>> {
    Ok(store
        .permissions(collection_id)
        .await?
        .into_iter()
        .filter(|p| p.access != Access::None)
        .map(|p| p.role_id)
        .collect())
}

/// Tell everyone who works in a collection about an event, except the actor.
pub async fn collection_event(
    store: &Arc<dyn Store>,
    collection_id: i64,
    actor_id: Option<i64>,
    event: Event,
    params: Map<String, Value>,
) -> ApiResult<u64> {
    let roles = collection_roles(store, collection_id).await?;
    notify_roles(store, &roles, collection_id, actor_id, event, params).await
}

/// [`collection_event`] for callers that must not fail because of it: errors are logged.
pub async fn collection_event_logged(
    store: &Arc<dyn Store>,
    collection_id: i64,
    actor_id: Option<i64>,
    event: Event,
    params: Map<String, Value>,
) {
    if let Err(e) = collection_event(store, collection_id, actor_id, event, params).await {
        tracing::warn!(
            collection_id,
            "cannot notify about {}: {}",
            event.name(),
            e.message
        );
    }
}

/// Notifications in Aleph's shape: `{id, event: {name, title, template, params}, params:
/// {actor, <name>: object}, read, created_at}`, with the referenced objects resolved as the
/// caller may see them (an entity the caller cannot read stays a bare id).
pub async fn notifications_json(
    state: &AppState,
    actor: &Actor,
    items: &[Notification],
) -> ApiResult<Vec<Value>> {
    let entity_ids: Vec<String> = items
        .iter()
        .flat_map(|n| {
            let event = Event::parse(&n.event);
            event
                .map(|e| e.params())
                .unwrap_or_default()
                .iter()
                .filter(|(_, kind)| *kind == "entity")
                .filter_map(|(name, _)| n.params.get(*name).and_then(Value::as_str))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let entities = find_entities(state, &actor.scope(), &entity_ids).await?;
    let mut ser = Serializer::new(state, actor).await?;
    let mut roles: HashMap<i64, Option<Value>> = HashMap::new();
    let empty = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for n in items {
        let event = Event::parse(&n.event);
        let mut params = Map::new();
        if let Some(actor_id) = n.actor_id {
            params.insert(
                "actor".into(),
                role_json(state, &ser, &mut roles, actor_id).await,
            );
        }
        for (name, value) in n.params.iter().filter(|(name, _)| !internal_param(name)) {
            let kind = event.and_then(|e| {
                e.params()
                    .iter()
                    .find(|(p, _)| p == name)
                    .map(|(_, kind)| *kind)
            });
            let resolved = match kind {
                Some("entity") => match value.as_str().and_then(|id| entities.get(id)) {
                    Some(view) => ser.entity(view, &empty).await,
                    None => value.clone(),
                },
                Some("collection") => match n.collection_id {
                    Some(cid) => ser.collection_by_id(cid).await.unwrap_or(Value::Null),
                    None => value.clone(),
                },
                Some("role") => match value.as_i64() {
                    Some(role_id) => role_json(state, &ser, &mut roles, role_id).await,
                    None => value.clone(),
                },
                Some("alert") => json!({
                    "id": value.as_i64().map(|id| id.to_string()),
                    "query": n.params.get("query"),
                }),
                _ => value.clone(),
            };
            params.insert(name.clone(), resolved);
        }
        if let (Some(cid), false) = (n.collection_id, params.contains_key("collection")) {
            params.insert(
                "collection".into(),
                ser.collection_by_id(cid).await.unwrap_or(Value::Null),
            );
        }
        let event_json = match event {
            Some(e) => json!({
                "name": e.name(),
                "title": e.title(),
                "template": template_of(e, &n.params),
                "params": e.params().iter().map(|(p, k)| (p.to_string(), json!(k))).collect::<Map<_, _>>(),
            }),
            None => json!({"name": n.event}),
        };
        out.push(clean(json!({
            "id": n.id.to_string(),
            "event": event_json,
            "params": Value::Object(params),
            "read": n.read_at.is_some(),
            "created_at": datetime(&n.created_at),
        })));
    }
    Ok(out)
}

async fn role_json(
    state: &AppState,
    ser: &Serializer<'_>,
    cache: &mut HashMap<i64, Option<Value>>,
    role_id: i64,
) -> Value {
    if let Some(found) = cache.get(&role_id) {
        return found.clone().unwrap_or(Value::Null);
    }
    let value = state
        .store
        .role(role_id)
        .await
        .ok()
        .map(|r| ser.role_nested(&r));
    cache.insert(role_id, value.clone());
    value.unwrap_or(Value::Null)
}

/// The plain-text line of a notification for an email, with labels in place of objects.
pub fn render_text(event: Event, labels: &Map<String, Value>) -> String {
    render_template(template_of(event, labels), labels)
}

/// A template with its `{{name}}` placeholders replaced by the labels.
pub fn render_template(template: &str, labels: &Map<String, Value>) -> String {
    let mut text = template.to_string();
    for (name, value) in labels {
        let label = match value {
            Value::String(s) => s.clone(),
            // An object parameter (an export) reads as its label.
            Value::Object(o) if o.get("label").is_some_and(Value::is_string) => {
                o["label"].as_str().unwrap_or_default().to_string()
            }
            other => other.to_string(),
        };
        text = text.replace(&format!("{{{{{name}}}}}"), &label);
    }
    text
}

/// Watches the job ledger and tells a collection's users when its processing queue runs
/// empty, with how many files were processed and how many failed. Run by one process
/// (`aleph serve`); the ledger is read every `interval`.
pub async fn watch_processing(store: Arc<dyn Store>, interval: std::time::Duration) {
    let mut busy: BTreeSet<i64> = BTreeSet::new();
    loop {
        match store.job_counts(None).await {
            Ok(counts) => {
                for (collection_id, processed, failed) in finished_collections(&counts, &mut busy) {
                    let params = json!({"processed": processed, "failed": failed})
                        .as_object()
                        .cloned()
                        .unwrap_or_default();
                    collection_event_logged(
                        &store,
                        collection_id,
                        None,
                        Event::ProcessingFinished,
                        params,
                    )
                    .await;
                }
            }
            Err(e) => tracing::warn!("cannot read job counts: {e}"),
        }
        tokio::time::sleep(interval).await;
    }
}

/// The collections that were busy and now have nothing queued or running, with their
/// processed and failed file counts (the `process` stage's, and `ingest`'s of ledgers from
/// before it); `busy` is updated.
pub fn finished_collections(
    counts: &[store::StageCounts],
    busy: &mut BTreeSet<i64>,
) -> Vec<(i64, u64, u64)> {
    let mut unfinished: HashMap<i64, u64> = HashMap::new();
    let mut files: HashMap<i64, (u64, u64)> = HashMap::new();
    for c in counts {
        *unfinished.entry(c.collection_id).or_default() += c.queued + c.running;
        if c.stage == store::Stage::PROCESS || c.stage == store::Stage::INGEST {
            let entry = files.entry(c.collection_id).or_default();
            entry.0 += c.succeeded;
            entry.1 += c.failed + c.dead;
        }
    }
    let mut done = Vec::new();
    for (&collection_id, &open) in &unfinished {
        if open > 0 {
            busy.insert(collection_id);
        } else if busy.remove(&collection_id) {
            let (ok, failed) = files.get(&collection_id).copied().unwrap_or_default();
            done.push((collection_id, ok + failed, failed));
        }
    }
    // A collection whose jobs were all deleted is no longer busy either.
    busy.retain(|id| unfinished.contains_key(id));
    done.sort_unstable();
    done
}

/// How often the job ledger is read for finished processing.
pub const PROCESSING_WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Start what `aleph serve` runs beside the API for notifications: the processing watcher
/// and, when SMTP is configured, the mailer. Bad mail settings stop the start.
pub fn start_background(state: &AppState) -> anyhow::Result<()> {
    tokio::spawn(watch_processing(
        state.store.clone(),
        PROCESSING_WATCH_INTERVAL,
    ));
    if let Some(config) = crate::services::mail::SmtpConfig::from_env()? {
        let mailer = crate::services::mail::Mailer::new(
            &config,
            state.store.clone(),
            &state.settings.ui_url,
            &state.settings.app_title,
        )?;
        tracing::info!(
            "notification emails go through {}:{}",
            config.host,
            config.port
        );
        tokio::spawn(mailer.run());
    }
    Ok(())
}
