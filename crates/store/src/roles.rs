//! Roles (users, groups and the two system roles), memberships, permissions and sessions.

use std::collections::BTreeSet;

use crate::collections::{optional_text, required_text};
use crate::{PasswordHash, Result, StoreError, Timestamp};

/// Foreign id of the role every visitor has.
pub const GUEST_FOREIGN_ID: &str = "system:guest";
/// Foreign id of the role every logged-in user has.
pub const AUTHENTICATED_FOREIGN_ID: &str = "system:authenticated";

/// The three kinds of role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleKind {
    User,
    Group,
    System,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::User => "user",
            RoleKind::Group => "group",
            RoleKind::System => "system",
        }
    }

    pub(crate) fn parse(name: &str) -> Result<RoleKind> {
        match name {
            "user" => Ok(RoleKind::User),
            "group" => Ok(RoleKind::Group),
            "system" => Ok(RoleKind::System),
            other => Err(StoreError::Corrupt(format!("unknown role type {other:?}"))),
        }
    }
}

/// A role as stored. The API key itself is never kept, only whether there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: i64,
    pub kind: RoleKind,
    pub foreign_id: String,
    pub name: String,
    pub email: Option<String>,
    pub password: Option<PasswordHash>,
    pub has_api_key: bool,
    pub api_key_expires_at: Option<Timestamp>,
    pub is_admin: bool,
    pub is_blocked: bool,
    pub is_muted: bool,
    pub is_tester: bool,
    pub locale: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
}

impl Role {
    /// Whether `password` logs this role in: it must be an unblocked user with a password.
    pub fn check_password(&self, password: &str) -> bool {
        self.kind == RoleKind::User
            && !self.is_blocked
            && self.password.as_ref().is_some_and(|h| h.verify(password))
    }
}

/// A user or group to create. System roles come only from migrations.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRole {
    kind: RoleKind,
    pub foreign_id: String,
    pub name: String,
    pub email: Option<String>,
    pub password: Option<PasswordHash>,
    pub is_admin: bool,
    pub locale: Option<String>,
}

impl NewRole {
    /// A user; `foreign_id` is the identity provider's id (Aleph uses `password:<email>`).
    pub fn user(
        foreign_id: impl Into<String>,
        name: impl Into<String>,
        email: impl Into<String>,
    ) -> NewRole {
        NewRole {
            kind: RoleKind::User,
            foreign_id: foreign_id.into(),
            name: name.into(),
            email: Some(email.into()),
            password: None,
            is_admin: false,
            locale: None,
        }
    }

    /// A group.
    pub fn group(foreign_id: impl Into<String>, name: impl Into<String>) -> NewRole {
        NewRole {
            kind: RoleKind::Group,
            foreign_id: foreign_id.into(),
            name: name.into(),
            email: None,
            password: None,
            is_admin: false,
            locale: None,
        }
    }

    pub fn kind(&self) -> RoleKind {
        self.kind
    }

    pub(crate) fn validated(mut self) -> Result<NewRole> {
        self.foreign_id = required_text("role foreign_id", &self.foreign_id)?;
        self.name = required_text("role name", &self.name)?;
        self.email = optional_text(self.email.take());
        self.locale = optional_text(self.locale.take());
        if self.kind == RoleKind::Group && (self.email.is_some() || self.password.is_some()) {
            return Err(StoreError::invalid("a group has no email or password"));
        }
        Ok(self)
    }
}

/// A change to a role: `None` keeps a field. `Some("")` clears email or locale.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleUpdate {
    pub name: Option<String>,
    pub email: Option<String>,
    pub locale: Option<String>,
    pub password: Option<PasswordHash>,
    pub is_admin: Option<bool>,
    pub is_muted: Option<bool>,
    pub is_tester: Option<bool>,
}

impl RoleUpdate {
    pub(crate) fn apply(self, mut r: Role) -> Result<Role> {
        if let Some(name) = self.name {
            r.name = required_text("role name", &name)?;
        }
        if let Some(email) = self.email {
            if r.kind != RoleKind::User && !email.trim().is_empty() {
                return Err(StoreError::invalid("only users have an email"));
            }
            r.email = optional_text(Some(email));
        }
        if let Some(locale) = self.locale {
            r.locale = optional_text(Some(locale));
        }
        if let Some(p) = self.password {
            if r.kind != RoleKind::User {
                return Err(StoreError::invalid("only users have a password"));
            }
            r.password = Some(p);
        }
        if let Some(v) = self.is_admin {
            r.is_admin = v;
        }
        if let Some(v) = self.is_muted {
            r.is_muted = v;
        }
        if let Some(v) = self.is_tester {
            r.is_tester = v;
        }
        Ok(r)
    }
}

/// A role listing request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleQuery {
    pub kind: Option<RoleKind>,
    /// Case-insensitive prefix of the name.
    pub name_prefix: Option<String>,
    /// Case-insensitive exact email.
    pub email: Option<String>,
    pub ids: Option<Vec<i64>>,
    pub limit: u32,
    pub offset: u64,
}

/// The ids of the two system roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemRoles {
    pub guest: i64,
    pub authenticated: i64,
}

impl SystemRoles {
    pub fn contains(&self, role_id: i64) -> bool {
        role_id == self.guest || role_id == self.authenticated
    }
}

/// What deleting a role removed. Collections it created stay, without a creator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleRemoval {
    pub memberships: u64,
    pub permissions: u64,
    pub sessions: u64,
    pub collections_orphaned: u64,
}

/// A role's access to a collection. Write implies read, so there is no write-only state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

impl Access {
    pub fn from_flags(read: bool, write: bool) -> Access {
        match (read, write) {
            (_, true) => Access::Write,
            (true, false) => Access::Read,
            (false, false) => Access::None,
        }
    }

    pub fn read(self) -> bool {
        self >= Access::Read
    }

    pub fn write(self) -> bool {
        self == Access::Write
    }
}

/// One role's access to one collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub collection_id: i64,
    pub role_id: i64,
    pub access: Access,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The live collections a set of roles can read and write (`writable ⊆ readable`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessSets {
    pub readable: BTreeSet<i64>,
    pub writable: BTreeSet<i64>,
}

/// A key for case-insensitive email comparison.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl RoleQuery {
    /// The name prefix to match, folded, when one is asked for (blank means none).
    pub(crate) fn folded_prefix(&self) -> Option<String> {
        self.name_prefix
            .as_deref()
            .map(fold_name)
            .filter(|p| !p.is_empty())
    }
}

/// Names are folded in Rust, not by the database, so that both backends agree on
/// non-ASCII names (SQLite's `lower()` only knows ASCII; PostgreSQL's depends on the locale).
fn fold_name(name: &str) -> String {
    name.trim_start().to_lowercase()
}

/// One page of the roles whose name starts with `prefix` (already folded), from the
/// `(id, name)` candidates in id order; returns the page's ids and the number of matches.
pub(crate) fn prefix_page(
    candidates: impl IntoIterator<Item = (i64, String)>,
    prefix: &str,
    limit: u32,
    offset: u64,
) -> (Vec<i64>, u64) {
    let matching: Vec<i64> = candidates
        .into_iter()
        .filter(|(_, name)| fold_name(name).starts_with(prefix))
        .map(|(id, _)| id)
        .collect();
    let total = matching.len() as u64;
    let page = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    (page, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_page_folds_case_and_pages_matches() {
        let names = [
            (1, "Émile Zola"),
            (2, "emma"),
            (3, "Bob"),
            (4, "ÉMILIE"),
            (5, "Em"),
        ];
        let candidates = names.iter().map(|(id, n)| (*id, n.to_string()));
        let q = RoleQuery {
            name_prefix: Some(" ÉMI".into()),
            ..RoleQuery::default()
        };
        let prefix = q.folded_prefix().unwrap();
        assert_eq!(
            prefix_page(candidates.clone(), &prefix, 10, 0),
            (vec![1, 4], 2)
        );
        assert_eq!(prefix_page(candidates.clone(), &prefix, 1, 1), (vec![4], 2));
        assert_eq!(prefix_page(candidates, "em", 10, 0), (vec![2, 5], 2));
        let blank = RoleQuery {
            name_prefix: Some("  ".into()),
            ..RoleQuery::default()
        };
        assert_eq!(blank.folded_prefix(), None);
    }

    #[test]
    fn write_implies_read() {
        assert_eq!(Access::from_flags(false, true), Access::Write);
        assert!(Access::Write.read());
        assert!(Access::Read.read() && !Access::Read.write());
        assert!(!Access::None.read());
    }

    #[test]
    fn groups_have_no_credentials() {
        let mut g = NewRole::group("g", "Group");
        g.email = Some("g@example.org".into());
        assert!(g.validated().is_err());
        let u = NewRole::user(" u ", "User", " ").validated().unwrap();
        assert_eq!(u.foreign_id, "u");
        assert_eq!(u.email, None);
    }
}
