//! Alerts: after new entities are indexed and committed, each saved search is run once,
//! restricted to the new ids of the batch, for the users who can read the collection; every
//! match becomes a notification (the store keeps one per alert and entity).
//!
//! This runs on the write path, so it is kept cheap: one query for the alerts, then one
//! search per alert whose owner can read the collection, each limited to the batch's ids.
//! A failure here is logged and never fails the write that triggered it.

use std::collections::HashMap;
use std::sync::Arc;

use index::{ReadScope, SearchIndex, SearchQuery};
use serde_json::json;
use store::{Alert, NewNotification, RoleKind, Store};

use crate::error::ApiResult;
use crate::services::notifications::{Event, wants_email};

/// Alerts read from the store per page.
const ALERT_PAGE: u32 = 1000;
/// New ids per alert search.
const ID_CHUNK: usize = 1000;

/// Notify the owners of alerts that match entities just indexed into a collection.
/// Returns how many notifications were created. Errors are logged, not returned.
pub async fn after_index(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection_id: i64,
    ids: &[String],
) -> u64 {
    if ids.is_empty() {
        return 0;
    }
    match match_alerts(store, index, collection_id, ids).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(collection_id, "alert matching failed: {}", e.message);
            0
        }
    }
}

async fn match_alerts(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection_id: i64,
    ids: &[String],
) -> ApiResult<u64> {
    let mut readers: HashMap<i64, Option<bool>> = HashMap::new();
    let scope = ReadScope::collections([collection_id]);
    let mut created = 0;
    let mut offset = 0u64;
    loop {
        let page = store.list_alerts(None, ALERT_PAGE, offset).await?;
        let n = page.items.len();
        let mut batch = Vec::new();
        for alert in &page.items {
            let can_read = match readers.get(&alert.role_id) {
                Some(known) => *known,
                None => {
                    let known = reader(store, alert.role_id, collection_id).await?;
                    readers.insert(alert.role_id, known);
                    known
                }
            };
            let Some(email) = can_read else {
                continue;
            };
            for entity_id in matches(index, &scope, alert, ids).await {
                batch.push(notification(alert, collection_id, entity_id, email));
            }
        }
        created += store.notify(&batch).await?;
        offset += n as u64;
        if n < ALERT_PAGE as usize || offset >= page.total {
            return Ok(created);
        }
    }
}

/// Whether a user may read a collection: `None` if not (or not an active user), else
/// whether they want email.
async fn reader(
    store: &Arc<dyn Store>,
    role_id: i64,
    collection_id: i64,
) -> ApiResult<Option<bool>> {
    let role = match store.role(role_id).await {
        Ok(role) => role,
        Err(store::StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if role.kind != RoleKind::User || role.is_blocked {
        return Ok(None);
    }
    let readable = role.is_admin
        || store
            .access_sets(&store.role_set(role.id).await?)
            .await?
            .readable
            .contains(&collection_id);
    Ok(readable.then(|| wants_email(&role)))
}

/// The ids among `ids` that the alert's query matches. A query that no longer parses (the
/// query language changed since it was saved) matches nothing.
async fn matches(
    index: &Arc<dyn SearchIndex>,
    scope: &ReadScope,
    alert: &Alert,
    ids: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let mut params = vec![
            ("q".to_string(), alert.query.clone()),
            ("limit".to_string(), chunk.len().to_string()),
        ];
        params.extend(chunk.iter().map(|id| ("filter:id".to_string(), id.clone())));
        let query = match SearchQuery::from_params(&params) {
            Ok(q) => q,
            Err(e) => {
                tracing::debug!(alert = alert.id, "alert query does not parse: {e}");
                return out;
            }
        };
        match index.search(scope, &query).await {
            Ok(result) => out.extend(result.hits.into_iter().map(|h| h.id)),
            Err(e) => tracing::warn!(alert = alert.id, "alert search failed: {e}"),
        }
    }
    out
}

fn notification(
    alert: &Alert,
    collection_id: i64,
    entity_id: String,
    email: bool,
) -> NewNotification {
    let mut n = NewNotification::new(alert.role_id, Event::MatchAlert.name());
    n.collection_id = Some(collection_id);
    n.alert_id = Some(alert.id);
    n.params = json!({"alert": alert.id, "query": alert.query, "entity": entity_id})
        .as_object()
        .cloned()
        .unwrap_or_default();
    n.entity_id = Some(entity_id);
    n.email = email;
    n
}
