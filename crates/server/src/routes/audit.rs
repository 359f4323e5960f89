//! `GET /api/2/audit`: the audit log, for administrators.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};
use store::{AuditEntry, AuditQuery, Timestamp};

use crate::audit::parse_time;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::state::AppState;

/// Newest first, in the paging envelope; `user` (role id), `action`, `collection_id`,
/// `since` and `until` (RFC 3339 or a date) narrow it down.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    actor.check_admin()?;
    let page = PageRequest::from_params_with(&params, 50)?;
    let query = AuditQuery {
        role_id: params.int("user")?,
        action: params
            .get("action")
            .map(|a| a.parse())
            .transpose()
            .map_err(|_| ApiError::invalid("action", "unknown action"))?,
        collection_id: params.int("collection_id")?,
        since: time(&params, "since")?,
        until: time(&params, "until")?,
        limit: u32::try_from(page.limit).unwrap_or(u32::MAX),
        offset: page.offset as u64,
    };
    // What was just done (by this admin, too) is in the answer.
    state.audit.flush().await;
    let found = state.store.audit_log(&query).await?;
    let results = found.items.iter().map(entry_json).collect();
    Ok(Json(
        Envelope {
            results,
            total: found.total,
            page,
            path: "api/2/audit",
            params: &params,
            ui_url: &state.settings.ui_url,
        }
        .into_json(),
    ))
}

fn time(params: &Params, key: &str) -> ApiResult<Option<Timestamp>> {
    params
        .get(key)
        .map(|raw| {
            parse_time(raw).ok_or_else(|| {
                ApiError::invalid(key, format!("not a date or RFC 3339 time: {raw:?}"))
            })
        })
        .transpose()
}

fn entry_json(e: &AuditEntry) -> Value {
    json!({
        "id": e.id.to_string(),
        "created_at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "role_id": e.role_id.map(|r| r.to_string()),
        "action": e.action.as_str(),
        "collection_id": e.collection_id.map(|c| c.to_string()),
        "target": e.target,
        "detail": e.detail,
        "address": e.address,
    })
}
