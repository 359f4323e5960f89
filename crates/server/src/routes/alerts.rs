//! `/api/2/alerts` (a user's saved searches) and `/api/2/notifications`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use store::{Alert, NotificationQuery};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::routes::collections::body_object;
use crate::serialize::{clean, datetime};
use crate::services::notifications::notifications_json;
use crate::state::AppState;

fn alert_json(state: &AppState, alert: &Alert) -> Value {
    let id = alert.id.to_string();
    clean(json!({
        "id": id,
        "query": alert.query,
        "role_id": alert.role_id.to_string(),
        "notified_at": alert.notified_at.as_ref().map(datetime),
        "created_at": datetime(&alert.created_at),
        "updated_at": datetime(&alert.updated_at),
        "links": {"self": state.settings.url(&format!("api/2/alerts/{id}"))},
        "writeable": true,
    }))
}

/// The caller's own alert; someone else's is a 404, as in Aleph.
async fn own_alert(state: &AppState, actor: &Actor, raw_id: &str) -> ApiResult<Alert> {
    let user = actor.logged_in_user()?;
    let id = raw_id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    let alert = state.store.alert(id).await?;
    if alert.role_id != user.id {
        return Err(ApiError::not_found());
    }
    Ok(alert)
}

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let user = actor.logged_in_user()?;
    let page = PageRequest::from_params(&params)?;
    let listing = state
        .store
        .list_alerts(Some(user.id), page.limit as u32, page.offset as u64)
        .await?;
    let results = listing
        .items
        .iter()
        .map(|a| alert_json(&state, a))
        .collect();
    Ok(Json(
        Envelope {
            results,
            total: listing.total,
            page,
            path: "api/2/alerts",
            params: &params,
            ui_url: &state.settings.ui_url,
        }
        .into_json(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let user = actor.user()?;
    let body = body_object(&headers, &body)?;
    let query = match body.get("query").or_else(|| body.get("q")) {
        Some(Value::String(q)) if !q.trim().is_empty() => q.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ApiError::invalid("query", "A query is required."));
        }
        Some(_) => return Err(ApiError::invalid("query", "must be a string")),
    };
    // An alert that can never run is refused now rather than ignored later.
    index::SearchQuery::from_params(&[("q".to_string(), query.clone())])
        .map_err(|e| ApiError::invalid("query", e.to_string()))?;
    let alert = state.store.create_alert(user.id, &query).await?;
    Ok(Json(alert_json(&state, &alert)))
}

pub async fn view(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let alert = own_alert(&state, &actor, &id).await?;
    Ok(Json(alert_json(&state, &alert)))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    actor.user()?;
    let alert = own_alert(&state, &actor, &id).await?;
    state.store.delete_alert(alert.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /notifications`: the caller's notifications, newest first, only those about
/// collections they can read now. `filter:read=false` gives the unread ones.
pub async fn notifications(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    let user = actor.logged_in_user()?;
    let page = PageRequest::from_params(&params)?;
    let readable = (!actor.is_admin).then(|| actor.readable.iter().copied().collect());
    let mut query = NotificationQuery::new(user.id, readable.clone());
    query.unread_only = !params.bool("filter:read", true)?;
    query.limit = page.limit as u32;
    query.offset = page.offset as u64;
    let listing = state.store.list_notifications(&query).await?;
    let results = notifications_json(&state, &actor, &listing.items).await?;
    let mut unread_query = NotificationQuery::new(user.id, readable);
    unread_query.unread_only = true;
    unread_query.limit = 0;
    let unread = state.store.list_notifications(&unread_query).await?.total;
    let mut body = Envelope {
        results,
        total: listing.total,
        page,
        path: "api/2/notifications",
        params: &params,
        ui_url: &state.settings.ui_url,
    }
    .into_json();
    body.insert("unread".into(), json!(unread));
    Ok(Json(body))
}

/// `POST /notifications/mark_read`: `{ids: [...]}` marks those, no ids marks all.
pub async fn mark_read(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let user = actor.logged_in_user()?;
    let body = body_object(&headers, &body)?;
    let ids = match body.get("ids") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    Value::Number(n) => n.as_i64(),
                    _ => None,
                })
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| ApiError::invalid("ids", "not a list of notification ids"))?,
        ),
        Some(Value::String(s)) => Some(
            s.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| ApiError::invalid("ids", "not a list of notification ids"))?,
        ),
        Some(_) => return Err(ApiError::invalid("ids", "not a list of notification ids")),
    };
    let count = state
        .store
        .mark_notifications_read(user.id, ids.as_deref())
        .await?;
    Ok(Json(json!({"status": "ok", "count": count})))
}
