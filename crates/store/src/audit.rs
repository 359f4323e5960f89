//! The audit log: who did what, to which collection, entity or file, from where.
//!
//! Entries outlive what they are about: a deleted user or collection keeps its entries
//! (the ids are plain numbers, not foreign keys), because "who read this leak before it
//! was removed" is exactly the question an administrator asks afterwards.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::{Result, StoreError, Timestamp};

/// Longest target (entity id, content hash, file name) kept; longer ones are cut.
pub const MAX_AUDIT_TARGET_LEN: usize = 1024;
/// Longest client address kept (an IPv6 address with a zone fits easily).
pub const MAX_AUDIT_ADDRESS_LEN: usize = 128;
/// Largest `detail` document kept, in bytes of JSON; larger ones are replaced by a note.
pub const MAX_AUDIT_DETAIL_LEN: usize = 16 * 1024;
/// Most entries written in one call.
pub const MAX_AUDIT_BATCH: usize = 10_000;

/// What a user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    Login,
    Logout,
    Search,
    /// Looked at an entity.
    View,
    /// Downloaded a file from the archive.
    Download,
    /// Streamed or exported entities in bulk.
    Export,
    /// Changed who may read or write a collection.
    Permission,
    CreateCollection,
    DeleteCollection,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::Login,
        AuditAction::Logout,
        AuditAction::Search,
        AuditAction::View,
        AuditAction::Download,
        AuditAction::Export,
        AuditAction::Permission,
        AuditAction::CreateCollection,
        AuditAction::DeleteCollection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::Search => "search",
            AuditAction::View => "view",
            AuditAction::Download => "download",
            AuditAction::Export => "export",
            AuditAction::Permission => "permission",
            AuditAction::CreateCollection => "create_collection",
            AuditAction::DeleteCollection => "delete_collection",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<AuditAction> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| StoreError::invalid(format!("unknown audit action: {s:?}")))
    }
}

/// An entry to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at: Timestamp,
    /// The user; `None` for an anonymous visitor.
    pub role_id: Option<i64>,
    pub action: AuditAction,
    pub collection_id: Option<i64>,
    /// The entity id, file content hash or other thing acted on.
    pub target: Option<String>,
    /// Action-specific facts: a search's query and filters, a permission's new access.
    pub detail: Value,
    /// The client's address.
    pub address: Option<String>,
}

impl NewAuditEntry {
    pub fn new(action: AuditAction, role_id: Option<i64>) -> NewAuditEntry {
        NewAuditEntry {
            at: crate::now(),
            role_id,
            action,
            collection_id: None,
            target: None,
            detail: Value::Object(Default::default()),
            address: None,
        }
    }

    pub fn collection(mut self, id: i64) -> Self {
        self.collection_id = Some(id);
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    pub fn address(mut self, address: Option<String>) -> Self {
        self.address = address;
        self
    }

    /// The entry as stored: long fields cut (the log must never refuse an entry for its
    /// size, since the request it records already happened) and `detail` as JSON text.
    pub(crate) fn prepared(&self) -> PreparedAudit {
        let detail = self.detail.to_string();
        let detail = if detail.len() > MAX_AUDIT_DETAIL_LEN {
            serde_json::json!({"truncated": true, "bytes": detail.len()}).to_string()
        } else {
            detail
        };
        PreparedAudit {
            target: self.target.as_deref().map(|t| cut(t, MAX_AUDIT_TARGET_LEN)),
            address: self
                .address
                .as_deref()
                .map(|a| cut(a, MAX_AUDIT_ADDRESS_LEN)),
            detail,
        }
    }
}

pub(crate) struct PreparedAudit {
    pub target: Option<String>,
    pub address: Option<String>,
    pub detail: String,
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

pub(crate) fn check_batch(entries: &[NewAuditEntry]) -> Result<()> {
    if entries.len() > MAX_AUDIT_BATCH {
        return Err(StoreError::invalid(format!(
            "at most {MAX_AUDIT_BATCH} audit entries at once"
        )));
    }
    Ok(())
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub role_id: Option<i64>,
    pub action: AuditAction,
    pub collection_id: Option<i64>,
    pub target: Option<String>,
    pub detail: Value,
    pub address: Option<String>,
}

pub(crate) fn parse_detail(text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("audit entry detail is not JSON: {e}")))
}

/// Which entries to list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditQuery {
    pub role_id: Option<i64>,
    pub action: Option<AuditAction>,
    pub collection_id: Option<i64>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
    pub limit: u32,
    pub offset: u64,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            role_id: None,
            action: None,
            collection_id: None,
            since: None,
            until: None,
            limit: 50,
            offset: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_their_names() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>().unwrap(), a);
        }
        assert!("delete".parse::<AuditAction>().is_err());
    }

    #[test]
    fn oversized_fields_are_cut_not_refused() {
        let long = "é".repeat(MAX_AUDIT_TARGET_LEN);
        let entry = NewAuditEntry::new(AuditAction::View, Some(1))
            .target(long.clone())
            .detail(serde_json::json!({"q": "x".repeat(MAX_AUDIT_DETAIL_LEN)}));
        let p = entry.prepared();
        let target = p.target.unwrap();
        assert!(target.len() <= MAX_AUDIT_TARGET_LEN);
        assert!(long.starts_with(&target));
        let detail: Value = serde_json::from_str(&p.detail).unwrap();
        assert_eq!(detail["truncated"], true);
    }
}
