//! Mappings: saved mapping queries that turn the rows of an ingested table into entities
//! of the same collection (Aleph's `Mapping`), with the outcome of their last run.

use serde_json::{Map, Value};

use crate::{Result, StoreError, Timestamp};

/// The largest mapping query or run report, in bytes of JSON.
pub const MAX_MAPPING_JSON: usize = 1 << 20;

/// How the last run of a mapping went, with Aleph's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MappingStatus {
    /// Queued or running.
    Pending,
    Successful,
    Failed,
}

impl MappingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MappingStatus::Pending => "pending",
            MappingStatus::Successful => "successful",
            MappingStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MappingStatus> {
        [
            MappingStatus::Pending,
            MappingStatus::Successful,
            MappingStatus::Failed,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A stored mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub id: i64,
    pub collection_id: i64,
    /// Who made it (gone if that role was deleted).
    pub role_id: Option<i64>,
    /// The `Table` entity whose rows are mapped.
    pub table_id: String,
    /// The list the mapped entities are added to, if any.
    pub entityset_id: Option<i64>,
    /// The query as Aleph's mapping editor sends it (`entities`, `filters`…).
    pub query: Map<String, Value>,
    pub last_run_status: Option<MappingStatus>,
    pub last_run_err_msg: Option<String>,
    /// What the last run did (row count, entities, row errors), as the runner wrote it.
    pub last_run_report: Option<Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A mapping to create, or the new content of one ([`crate::Store::update_mapping`]
/// takes `table_id`, `entityset_id` and `query` from it).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMapping {
    pub collection_id: i64,
    pub role_id: Option<i64>,
    pub table_id: String,
    pub entityset_id: Option<i64>,
    pub query: Map<String, Value>,
}

impl NewMapping {
    pub(crate) fn validated(self) -> Result<NewMapping> {
        let table = self.table_id.trim();
        if table.is_empty() || table.len() > crate::MAX_ENTITY_ID_LEN {
            return Err(StoreError::invalid("a mapping needs a table id"));
        }
        if query_to_text(&self.query).len() > MAX_MAPPING_JSON {
            return Err(StoreError::invalid("the mapping query is too large"));
        }
        Ok(NewMapping {
            table_id: table.to_string(),
            ..self
        })
    }
}

/// The outcome of a run (or the start of one: [`MappingStatus::Pending`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MappingRun {
    pub status: MappingStatus,
    pub err_msg: Option<String>,
    pub report: Option<Value>,
}

/// Which mappings to list: those of one collection, of one table if given, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingQuery {
    pub collection_id: i64,
    pub table_id: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

pub(crate) fn query_to_text(query: &Map<String, Value>) -> String {
    serde_json::to_string(query).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn query_from_text(text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(StoreError::Corrupt(format!(
            "mapping query is not a JSON object: {text:.40}"
        ))),
    }
}

pub(crate) fn status_from_text(text: Option<&str>) -> Result<Option<MappingStatus>> {
    text.map(|t| {
        MappingStatus::parse(t)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown mapping status: {t}")))
    })
    .transpose()
}

pub(crate) fn report_from_text(text: Option<&str>) -> Result<Option<Value>> {
    text.map(|t| {
        serde_json::from_str(t)
            .map_err(|_| StoreError::Corrupt(format!("mapping report is not JSON: {t:.40}")))
    })
    .transpose()
}

impl MappingRun {
    pub(crate) fn validated(self) -> Result<MappingRun> {
        let report_len = self.report.as_ref().map_or(0, |r| r.to_string().len());
        if report_len > MAX_MAPPING_JSON {
            return Err(StoreError::invalid("the mapping report is too large"));
        }
        // Messages are for people; a runaway one is cut, not refused.
        let err_msg = self.err_msg.map(|m| {
            let mut end = m.len().min(crate::MAX_ERROR_MESSAGE_LEN);
            while !m.is_char_boundary(end) {
                end -= 1;
            }
            m[..end].to_string()
        });
        Ok(MappingRun { err_msg, ..self })
    }

    pub(crate) fn report_text(&self) -> Option<String> {
        self.report.as_ref().map(Value::to_string)
    }
}
