//! Administration of users and groups (admins only): the list of roles, new groups, and
//! group memberships. Aleph leaves these to its command line; the web interface needs them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use store::{NewRole, Role, RoleKind, RoleQuery};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::routes::collections::{body_object, parse_id};
use crate::serialize::Serializer;
use crate::state::AppState;

/// `GET /roles`: users or groups (`filter:type`), paged, optionally those whose name starts
/// with `prefix` (ignoring case).
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Map<String, Value>>> {
    actor.check_admin()?;
    let page = PageRequest::from_params(&params)?;
    let kind = match params.get("filter:type").map(str::trim) {
        None => None,
        Some("user") => Some(RoleKind::User),
        Some("group") => Some(RoleKind::Group),
        Some(other) => {
            return Err(ApiError::invalid(
                "filter:type",
                format!("not a role type: {other:?} (user or group)"),
            ));
        }
    };
    let query = RoleQuery {
        kind,
        name_prefix: params
            .get("prefix")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        email: None,
        ids: None,
        limit: u32::try_from(page.limit).unwrap_or(u32::MAX),
        offset: page.offset as u64,
    };
    let found = state.store.list_roles(&query).await?;
    let ser = Serializer::new(&state, &actor).await?;
    let results = found.items.iter().map(|r| ser.role_full(r)).collect();
    Ok(Json(
        Envelope {
            results,
            total: found.total,
            page,
            path: "api/2/roles",
            params: &params,
            ui_url: &state.settings.ui_url,
        }
        .into_json(),
    ))
}

/// `POST /groups`: `{name}` makes a new group.
pub async fn create_group(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    actor.check_admin()?;
    let body = body_object(&headers, &body)?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::invalid("name", "A name is required."))?;
    let foreign_id = format!("group:{}", hex::encode(rand::random::<[u8; 8]>()));
    let group = state
        .store
        .create_role(NewRole::group(foreign_id, name))
        .await?;
    let ser = Serializer::new(&state, &actor).await?;
    Ok(Json(ser.role_full(&group)))
}

/// A group by id, or 404 (a user's id is not a group).
async fn group(state: &AppState, raw: &str) -> ApiResult<Role> {
    let role = state.store.role(parse_id(raw)?).await?;
    if role.kind != RoleKind::Group {
        return Err(ApiError::not_found());
    }
    Ok(role)
}

/// `GET /groups/{id}/members`.
pub async fn members(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    actor.check_admin()?;
    let group = group(&state, &id).await?;
    let members = state.store.members_of(group.id).await?;
    let ser = Serializer::new(&state, &actor).await?;
    let results: Vec<Value> = members.iter().map(|r| ser.role_full(r)).collect();
    Ok(Json(json!({
        "status": "ok",
        "group": ser.role_full(&group),
        "total": results.len(),
        "results": results,
    })))
}

/// `POST /groups/{id}/members`: `{role_id}` joins the group (a user, never a group).
pub async fn add_member(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    actor.check_admin()?;
    let group = group(&state, &id).await?;
    let body = body_object(&headers, &body)?;
    let role_id = match body.get("role_id") {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
    .ok_or_else(|| ApiError::invalid("role_id", "A user id is required."))?;
    let member = state.store.role(role_id).await?;
    if member.kind != RoleKind::User {
        return Err(ApiError::invalid("role_id", "Only users can join a group."));
    }
    state.store.add_member(group.id, member.id).await?;
    let ser = Serializer::new(&state, &actor).await?;
    Ok(Json(ser.role_full(&member)))
}

/// `DELETE /groups/{id}/members/{role_id}`: 204, or 404 if it was no member.
pub async fn remove_member(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, role_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    actor.check_admin()?;
    let group = group(&state, &id).await?;
    let role_id = parse_id(&role_id)?;
    if state.store.remove_member(group.id, role_id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found())
    }
}
