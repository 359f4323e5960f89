//! Exports: a search's results or a collection's cross-reference written to a file that
//! its creator downloads later.
//!
//! The export row is also the work item. A search export belongs to no collection, and
//! the job table needs one, so pending exports are claimed from this table under a lease
//! as jobs are: a worker that dies leaves its export pending and another worker takes it
//! once the lease ends; an export whose workers keep dying ends `failed`.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::{Result, StoreError, Timestamp};

/// The longest export label, file name or MIME type accepted, in bytes.
pub const MAX_EXPORT_TEXT: usize = 1024;
/// The error class recorded when an export's workers kept losing their lease.
pub const EXPORT_LEASE_EXPIRED: &str = "the export's worker stopped before it finished";

/// What is exported; the names are Aleph's operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportOperation {
    /// The results of a search, as a zip.
    Search,
    /// A collection's cross-reference matches, as a workbook.
    Xref,
}

impl ExportOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportOperation::Search => "exportsearch",
            ExportOperation::Xref => "exportxref",
        }
    }

    pub(crate) fn parse(name: &str) -> Result<ExportOperation> {
        match name {
            "exportsearch" => Ok(ExportOperation::Search),
            "exportxref" => Ok(ExportOperation::Xref),
            other => Err(StoreError::Corrupt(format!(
                "unknown export operation {other:?}"
            ))),
        }
    }
}

impl fmt::Display for ExportOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an export is; Aleph's status labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportStatus {
    Pending,
    Successful,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Pending => "pending",
            ExportStatus::Successful => "successful",
            ExportStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(name: &str) -> Result<ExportStatus> {
        match name {
            "pending" => Ok(ExportStatus::Pending),
            "successful" => Ok(ExportStatus::Successful),
            "failed" => Ok(ExportStatus::Failed),
            other => Err(StoreError::Corrupt(format!(
                "unknown export status {other:?}"
            ))),
        }
    }
}

/// The file a successful export produced, kept in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportContent {
    pub content_hash: String,
    pub file_size: u64,
}

/// An export as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub id: i64,
    pub operation: ExportOperation,
    pub label: String,
    pub creator_id: i64,
    /// The collection exported (cross-reference exports); `None` for searches, and once
    /// the collection is deleted.
    pub collection_id: Option<i64>,
    /// What the worker needs to redo the export (the search's parameters…).
    pub params: Map<String, Value>,
    /// What the API shows about it (counts, whether the results were cut…).
    pub meta: Map<String, Value>,
    pub file_name: String,
    pub mime_type: String,
    pub status: ExportStatus,
    /// Why a failed export failed.
    pub error: Option<String>,
    /// Set exactly when the export is successful.
    pub content: Option<ExportContent>,
    /// Expired and purged: the content is gone.
    pub deleted: bool,
    pub attempts: u32,
    pub max_attempts: u32,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An export to create (pending).
#[derive(Debug, Clone, PartialEq)]
pub struct NewExport {
    pub operation: ExportOperation,
    pub label: String,
    pub creator_id: i64,
    pub collection_id: Option<i64>,
    pub params: Map<String, Value>,
    pub meta: Map<String, Value>,
    pub file_name: String,
    pub mime_type: String,
    pub expires_at: Timestamp,
    pub max_attempts: u32,
}

impl NewExport {
    pub(crate) fn validated(self) -> Result<NewExport> {
        for (what, text) in [
            ("label", &self.label),
            ("file name", &self.file_name),
            ("MIME type", &self.mime_type),
        ] {
            if text.trim().is_empty() || text.len() > MAX_EXPORT_TEXT || text.contains('\0') {
                return Err(StoreError::invalid(format!(
                    "an export's {what} must be 1 to {MAX_EXPORT_TEXT} bytes"
                )));
            }
        }
        if self.max_attempts == 0 {
            return Err(StoreError::invalid("an export needs at least one attempt"));
        }
        let payload = map_to_text(&self.params).len() + map_to_text(&self.meta).len();
        if payload > crate::MAX_PAYLOAD_LEN {
            return Err(StoreError::invalid("export parameters are too large"));
        }
        Ok(self)
    }
}

/// How a worker's attempt at an export ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportOutcome {
    /// The file is in the archive.
    Succeeded(ExportContent),
    /// It will not work (the collection is gone, the query is broken…).
    Failed(String),
    /// Something passing went wrong: pending again, unless the attempts are used up.
    Retry(String),
}

/// Cut a failure reason to the ledger's limit, at a character boundary.
pub(crate) fn reason(text: &str) -> String {
    let max = crate::MAX_ERROR_MESSAGE_LEN;
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_string()
}

pub(crate) fn check_lease(worker: &str, lease: Duration) -> Result<i64> {
    crate::jobs::check_worker(worker)?;
    crate::jobs::lease_micros(lease)
}

pub(crate) fn map_from_text(text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(StoreError::Corrupt(format!(
            "export params are not a JSON object: {text:.40}"
        ))),
    }
}

pub(crate) fn map_to_text(map: &Map<String, Value>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

/// An export's stored columns, read by either backend.
pub(crate) struct ExportRow {
    pub id: i64,
    pub operation: String,
    pub label: String,
    pub creator_id: i64,
    pub collection_id: Option<i64>,
    pub params: String,
    pub meta: String,
    pub file_name: String,
    pub mime_type: String,
    pub status: String,
    pub error: Option<String>,
    pub content_hash: Option<String>,
    pub file_size: Option<i64>,
    pub deleted: bool,
    pub attempts: i64,
    pub max_attempts: i64,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ExportRow {
    /// The export, checking that a successful one has content.
    pub(crate) fn into_export(self) -> Result<Export> {
        let status = ExportStatus::parse(&self.status)?;
        let content = match (status, self.content_hash) {
            (ExportStatus::Successful, Some(content_hash)) => Some(ExportContent {
                content_hash,
                file_size: u64::try_from(self.file_size.unwrap_or(0)).unwrap_or(0),
            }),
            (ExportStatus::Successful, None) => {
                return Err(StoreError::Corrupt(format!(
                    "successful export {} has no content",
                    self.id
                )));
            }
            _ => None,
        };
        Ok(Export {
            id: self.id,
            operation: ExportOperation::parse(&self.operation)?,
            label: self.label,
            creator_id: self.creator_id,
            collection_id: self.collection_id,
            params: map_from_text(&self.params)?,
            meta: map_from_text(&self.meta)?,
            file_name: self.file_name,
            mime_type: self.mime_type,
            status,
            error: self.error,
            content,
            deleted: self.deleted,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            max_attempts: u32::try_from(self.max_attempts).unwrap_or(1),
            expires_at: self.expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) const COLUMNS: &str = "id, operation, label, creator_id, collection_id, params, meta, \
     file_name, mime_type, status, error, content_hash, file_size, deleted, attempts, \
     max_attempts, expires_at, created_at, updated_at";
