//! Sessions, roles, groups and collection permissions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use store::{Access, PasswordHash, RoleKind, RoleQuery, RoleUpdate};

use crate::audit::ClientAddress;
use crate::auth::{Actor, AnyActor};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::routes::collections::{body_object, readable, writable};
use crate::serialize::Serializer;
use crate::state::AppState;

/// How long a login session lasts.
const SESSION_DAYS: i64 = 7;

fn text<'a>(body: &'a serde_json::Map<String, Value>, key: &str) -> ApiResult<Option<&'a str>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::invalid(key, "must be a string")),
    }
}

/// Hash on a blocking thread: argon2 costs tens of milliseconds on purpose.
async fn hash_password(password: String) -> ApiResult<PasswordHash> {
    tokio::task::spawn_blocking(move || PasswordHash::new(&password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::from)
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    // Failed attempts are logged too: they are what an administrator looks for.
    let audit = |role: Option<i64>, detail: Value| {
        state.audit.record(
            store::NewAuditEntry::new(store::AuditAction::Login, role)
                .address(address.clone())
                .detail(detail),
        );
    };
    let body = body_object(&headers, &body)?;
    let email = text(&body, "email")?.unwrap_or_default().trim().to_string();
    let password = text(&body, "password")?.unwrap_or_default().to_string();
    if email.is_empty() || password.is_empty() {
        return Err(ApiError::bad_request("Invalid user or password."));
    }
    let role = match state.store.role_by_email(&email).await {
        Ok(role) => role,
        Err(store::StoreError::NotFound { .. }) => {
            audit(None, json!({"ok": false, "email": email}));
            return Err(ApiError::bad_request("Invalid user or password."));
        }
        Err(e) => return Err(e.into()),
    };
    if role.is_blocked {
        audit(Some(role.id), json!({"ok": false, "blocked": true}));
        return Err(ApiError::forbidden());
    }
    let check = role.clone();
    let ok = tokio::task::spawn_blocking(move || check.check_password(&password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if !ok {
        audit(Some(role.id), json!({"ok": false}));
        return Err(ApiError::bad_request("Invalid user or password."));
    }
    let expires = store::now() + chrono::Duration::days(SESSION_DAYS);
    let token = state.store.create_session(role.id, expires).await?;
    state.store.record_login(role.id).await?;
    audit(Some(role.id), json!({"ok": true}));
    Ok(Json(json!({"status": "ok", "token": token.as_str()})))
}

pub async fn logout(
    State(state): State<AppState>,
    AnyActor(actor): AnyActor,
) -> ApiResult<Json<Value>> {
    if let Some(token) = &actor.session {
        state.store.delete_session(token).await?;
        state.audit.record(actor.audit(store::AuditAction::Logout));
    }
    Ok(Json(
        json!({"status": "ok", "redirect": state.settings.ui_url}),
    ))
}

fn role_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// A role the caller may see: themselves, their groups, or anyone for admins.
fn check_visible(actor: &Actor, id: i64) -> ApiResult<()> {
    if actor.is_admin || actor.roles.contains(&id) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

pub async fn view(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = role_id(&id)?;
    actor.logged_in_user()?;
    check_visible(&actor, id)?;
    let role = state.store.role(id).await?;
    let ser = Serializer::new(&state, &actor).await?;
    Ok(Json(ser.role_full(&role)))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let id = role_id(&id)?;
    let me = actor.user()?.clone();
    if !actor.is_admin && me.id != id {
        return Err(ApiError::forbidden());
    }
    let body = body_object(&headers, &body)?;
    let role = state.store.role(id).await?;
    let mut update = RoleUpdate {
        name: text(&body, "name")?.map(str::to_string),
        locale: text(&body, "locale")?.map(str::to_string),
        ..RoleUpdate::default()
    };
    update.is_muted = flag(&body, "is_muted")?;
    update.is_tester = flag(&body, "is_tester")?;
    let blocked = flag(&body, "is_blocked")?.filter(|b| *b != role.is_blocked);
    if blocked.is_some() {
        // Only an admin blocks, and never themselves: that would lock the last admin out.
        if !actor.is_admin {
            return Err(ApiError::forbidden());
        }
        if me.id == id {
            return Err(ApiError::invalid(
                "is_blocked",
                "You cannot block yourself.",
            ));
        }
        if role.kind != RoleKind::User {
            return Err(ApiError::invalid(
                "is_blocked",
                "Only users can be blocked.",
            ));
        }
    }
    if let Some(password) = text(&body, "password")? {
        if password.len() < 6 {
            return Err(ApiError::invalid("password", "The password is too short."));
        }
        // Changing one's own password needs the current one (admins reset others').
        if me.id == id {
            let current = text(&body, "current_password")?
                .unwrap_or_default()
                .to_string();
            let check = role.clone();
            let ok = tokio::task::spawn_blocking(move || {
                check.password.is_none() || check.check_password(&current)
            })
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
            if !ok {
                return Err(ApiError::invalid(
                    "current_password",
                    "The current password is wrong.",
                ));
            }
        }
        update.password = Some(hash_password(password.to_string()).await?);
    }
    let mut role = state.store.update_role(id, update).await?;
    if let Some(blocked) = blocked {
        // Blocking also ends the user's sessions; their API key stops resolving.
        role = state.store.set_role_blocked(id, blocked).await?;
        tracing::info!(admin = me.id, role = id, blocked, "role block changed");
    }
    let ser = Serializer::new(&state, &actor).await?;
    Ok(Json(ser.role_full(&role)))
}

/// An optional boolean field; a form body carries booleans as text.
fn flag(body: &serde_json::Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => index::query::request::parse_bool(s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(key, "must be a boolean")),
        Some(_) => Err(ApiError::invalid(key, "must be a boolean")),
    }
}

pub async fn generate_api_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = role_id(&id)?;
    let me = actor.user()?;
    if !actor.is_admin && me.id != id {
        return Err(ApiError::forbidden());
    }
    let key = state.store.reset_api_key(id, None).await?;
    let role = state.store.role(id).await?;
    let ser = Serializer::new(&state, &actor).await?;
    let mut value = ser.role_full(&role);
    // Shown this once; only a digest is kept.
    value["api_key"] = json!(key.as_str());
    Ok(Json(value))
}

/// `GET /roles/_suggest?prefix=`: the prefix must be a whole email address (at least six
/// characters), so the endpoint cannot be used to enumerate users.
pub async fn suggest(
    State(state): State<AppState>,
    actor: Actor,
    params: Params,
) -> ApiResult<Json<Value>> {
    actor.logged_in_user()?;
    let prefix = params
        .get("prefix")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let excluded: Vec<i64> = params
        .all("exclude:id")
        .into_iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let mut results = Vec::new();
    if prefix.len() >= 6
        && let Ok(role) = state.store.role_by_email(&prefix).await
        && role.kind == RoleKind::User
        && !role.is_blocked
        && !excluded.contains(&role.id)
    {
        let ser = Serializer::new(&state, &actor).await?;
        results.push(ser.role_nested(&role));
    }
    Ok(Json(json!({
        "status": "ok", "results": results, "total": results.len(),
        "limit": 10, "offset": 0, "page": 1, "pages": 1, "next": null, "previous": null,
        "total_type": "eq",
    })))
}

/// `GET /groups`: the caller's groups (all groups for admins).
pub async fn groups(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    let me = actor.logged_in_user()?;
    let groups = if actor.is_admin {
        let query = RoleQuery {
            kind: Some(RoleKind::Group),
            name_prefix: None,
            email: None,
            ids: None,
            limit: 10_000,
            offset: 0,
        };
        state.store.list_roles(&query).await?.items
    } else {
        state.store.groups_of(me.id).await?
    };
    let ser = Serializer::new(&state, &actor).await?;
    let results: Vec<Value> = groups.iter().map(|g| ser.role_nested(g)).collect();
    Ok(Json(
        json!({"status": "ok", "total": results.len(), "results": results}),
    ))
}

/// `GET /collections/{id}/permissions`: every role's access, plus the system roles (as
/// Aleph lists them, without access when none was given), so that a client can offer to
/// share with everyone.
pub async fn permissions(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let collection = readable(&state, &actor, &id).await?;
    actor.check_write(collection.id)?;
    let mut perms: Vec<(i64, Access)> = state
        .store
        .permissions(collection.id)
        .await?
        .into_iter()
        .map(|p| (p.role_id, p.access))
        .collect();
    let system = state.system_roles;
    for role_id in [system.guest, system.authenticated] {
        if !perms.iter().any(|(id, _)| *id == role_id) {
            perms.push((role_id, Access::None));
        }
    }
    let ser = Serializer::new(&state, &actor).await?;
    let mut results = Vec::new();
    for (role_id, access) in perms {
        let Ok(role) = state.store.role(role_id).await else {
            continue;
        };
        results.push(json!({
            "role": ser.role_nested(&role),
            "read": access.read(),
            "write": access.write(),
            "collection_id": collection.id.to_string(),
        }));
    }
    Ok(Json(
        json!({"status": "ok", "total": results.len(), "results": results}),
    ))
}

/// `POST/PUT /collections/{id}/permissions`: a list of `{role_id|role: {id}, read, write}`.
pub async fn set_permissions(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let collection = writable(&state, &actor, &id).await?;
    let items = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        Ok(obj @ Value::Object(_)) => vec![obj],
        _ => return Err(ApiError::bad_request("Expected a list of permissions.")),
    };
    let mut changes = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let role_id = item
            .get("role_id")
            .or_else(|| item.get("role").and_then(|r| r.get("id")))
            .and_then(|v| {
                v.as_str()
                    .and_then(|s| s.parse().ok())
                    .or_else(|| v.as_i64())
            })
            .ok_or_else(|| ApiError::invalid(&format!("{i}.role_id"), "a role is required"))?;
        let flag = |k: &str| item.get(k).and_then(Value::as_bool).unwrap_or(false);
        let access = Access::from_flags(flag("read"), flag("write"));
        // A missing role is a fault of the body, not a missing path.
        let role = match state.store.role(role_id).await {
            Ok(role) => role,
            Err(store::StoreError::NotFound { .. }) => {
                return Err(ApiError::invalid(&format!("{i}.role_id"), "no such role"));
            }
            Err(e) => return Err(e.into()),
        };
        if role.kind == RoleKind::System && access.write() {
            return Err(ApiError::invalid(
                &format!("{i}.write"),
                "public roles cannot write",
            ));
        }
        if role.kind == RoleKind::System
            && access.read()
            && collection.casefile()
            && !actor.is_admin
        {
            return Err(ApiError::invalid(
                &format!("{i}.read"),
                "a casefile cannot be made public",
            ));
        }
        changes.push((role_id, access));
    }
    let before = state.store.permissions(collection.id).await?;
    for &(role_id, access) in &changes {
        state
            .store
            .set_permission(collection.id, role_id, access)
            .await?;
        state.audit.record(
            actor
                .audit(store::AuditAction::Permission)
                .collection(collection.id)
                .target(role_id.to_string())
                .detail(
                    json!({"role_id": role_id, "read": access.read(), "write": access.write()}),
                ),
        );
    }
    // Tell those who could not read the collection before that they now can.
    let granted: Vec<i64> = changes
        .iter()
        .filter(|(role_id, access)| {
            *access != Access::None
                && !before
                    .iter()
                    .any(|p| p.role_id == *role_id && p.access != Access::None)
        })
        .map(|(role_id, _)| *role_id)
        .collect();
    for role_id in granted {
        let params = json!({"role": role_id})
            .as_object()
            .cloned()
            .unwrap_or_default();
        if let Err(e) = crate::services::notifications::notify_roles(
            &state.store,
            &[role_id],
            collection.id,
            actor.id(),
            crate::services::notifications::Event::GrantCollection,
            params,
        )
        .await
        {
            tracing::warn!("cannot notify about a permission grant: {}", e.message);
        }
    }
    Ok((StatusCode::OK, Json(json!({"status": "ok"}))).into_response())
}
