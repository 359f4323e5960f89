//! Who is asking, and what they may read and write.
//!
//! Credentials are resolved as Aleph does: the `Authorization` header first (`Token T` is a
//! session and an unknown one is a 401; any other value is an API key: the part after the
//! first space, or the whole value), then `?api_key=`. An invalid API key is not an error:
//! the request goes on as anonymous and meets 403s where it needs rights.

use std::collections::BTreeSet;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use index::ReadScope;
use store::{Role, RoleKind};

use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

/// The caller of a request: a user or anonymous, with their readable and writable
/// collections resolved once per request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub role: Option<Role>,
    /// Every role the caller acts as (guest, authenticated, own id, groups).
    pub roles: Vec<i64>,
    pub is_admin: bool,
    pub readable: BTreeSet<i64>,
    pub writable: BTreeSet<i64>,
    /// For an administrator while collections are being purged: the live collections,
    /// which are all they may see (the index still holds some of the deleted ones).
    /// `None`: everything.
    pub admin_view: Option<BTreeSet<i64>>,
    /// Maintenance mode: every write check fails.
    pub read_only: bool,
    /// The session token used, if the caller logged in with one.
    pub session: Option<String>,
    /// Where the request came from, for the audit log.
    pub address: Option<String>,
}

impl Actor {
    /// The search scope of this caller: everything for admins, else the readable set.
    pub fn scope(&self) -> ReadScope {
        if self.is_admin {
            match &self.admin_view {
                None => ReadScope::All,
                Some(live) => ReadScope::collections(live.iter().copied()),
            }
        } else {
            ReadScope::collections(self.readable.iter().copied())
        }
    }

    pub fn is_logged_in(&self) -> bool {
        self.role.is_some()
    }

    pub fn id(&self) -> Option<i64> {
        self.role.as_ref().map(|r| r.id)
    }

    pub fn can_read(&self, collection_id: i64) -> bool {
        self.sees_as_admin(collection_id) || self.readable.contains(&collection_id)
    }

    pub fn can_write(&self, collection_id: i64) -> bool {
        !self.read_only
            && (self.sees_as_admin(collection_id) || self.writable.contains(&collection_id))
    }

    fn sees_as_admin(&self, collection_id: i64) -> bool {
        self.is_admin
            && self
                .admin_view
                .as_ref()
                .is_none_or(|live| live.contains(&collection_id))
    }

    pub fn check_read(&self, collection_id: i64) -> Result<(), ApiError> {
        if self.can_read(collection_id) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    pub fn check_write(&self, collection_id: i64) -> Result<(), ApiError> {
        if self.can_write(collection_id) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// The logged-in user, or a 403, for reads that need a login: maintenance mode does
    /// not stop them.
    pub fn logged_in_user(&self) -> Result<&Role, ApiError> {
        self.role.as_ref().ok_or_else(ApiError::forbidden)
    }

    /// The logged-in user, or a 403, for writes: in maintenance mode only admins get one.
    pub fn user(&self) -> Result<&Role, ApiError> {
        match &self.role {
            Some(role) if !self.read_only || self.is_admin => Ok(role),
            Some(_) => Err(ApiError::forbidden()),
            None => Err(ApiError::forbidden()),
        }
    }

    /// An audit entry for something this caller did.
    pub fn audit(&self, action: store::AuditAction) -> store::NewAuditEntry {
        store::NewAuditEntry::new(action, self.id()).address(self.address.clone())
    }

    pub fn check_admin(&self) -> Result<(), ApiError> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The credential a request carries.
enum Credential {
    None,
    ApiKey(String),
    Session(String),
}

fn credential(parts: &Parts) -> Credential {
    if let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        return match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("token") => {
                Credential::Session(token.trim().to_string())
            }
            Some((_, key)) => Credential::ApiKey(key.trim().to_string()),
            None => Credential::ApiKey(value.to_string()),
        };
    }
    let params = Params::parse(parts.uri.query().unwrap_or_default());
    match params.get("api_key") {
        Some(key) => Credential::ApiKey(key.to_string()),
        None => Credential::None,
    }
}

impl Actor {
    /// Resolve the caller of a request.
    pub async fn resolve(state: &AppState, parts: &Parts) -> Result<Actor, ApiError> {
        let (role, session) = match credential(parts) {
            Credential::None => (None, None),
            Credential::ApiKey(key) => (state.store.role_by_api_key(&key).await?, None),
            Credential::Session(token) => match state.store.resolve_session(&token).await? {
                Some(role) => (Some(role), Some(token)),
                None => return Err(ApiError::unauthorized("Invalid or expired session token.")),
            },
        };
        let role = role.filter(|r| r.kind == RoleKind::User && !r.is_blocked);
        let roles = match &role {
            Some(r) => state.store.role_set(r.id).await?,
            None => vec![state.system_roles.guest],
        };
        let is_admin = role.as_ref().is_some_and(|r| r.is_admin);
        let access = state.store.access_sets(&roles).await?;
        Ok(Actor {
            role,
            roles,
            is_admin,
            readable: access.readable,
            writable: access.writable,
            admin_view: admin_view(&*state.store, is_admin).await?,
            read_only: state.settings.maintenance,
            session,
            address: crate::audit::client_address(parts, state.settings.behind_proxy),
        })
    }
}

/// What an administrator may see: `None` (everything) unless collections are being
/// purged, then every live collection, so that a deleted collection's entities never show
/// while the index purge runs.
pub async fn admin_view(
    store: &dyn store::Store,
    is_admin: bool,
) -> store::Result<Option<BTreeSet<i64>>> {
    if !is_admin || store.deleted_collection_ids().await?.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        store.live_collection_ids().await?.into_iter().collect(),
    ))
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let actor = Actor::resolve(state, parts).await?;
        if state.settings.require_logged_in && !actor.is_logged_in() {
            return Err(ApiError::forbidden());
        }
        Ok(actor)
    }
}

/// The caller, for the few endpoints that anonymous visitors may use even when the
/// instance requires a login (`/metadata`, `/sessions/login`).
pub struct AnyActor(pub Actor);

impl FromRequestParts<AppState> for AnyActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(AnyActor(Actor::resolve(state, parts).await?))
    }
}
