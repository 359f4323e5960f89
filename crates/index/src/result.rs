//! What a search returns.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::query::Page;

/// One page of results with its total and facets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResult {
    /// Every matching entity, counted exactly.
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Facets by the name they were asked for.
    pub facets: BTreeMap<String, FacetResult>,
    /// The page that was returned (after Aleph's caps).
    pub page: Page,
}

/// One matching entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: String,
    pub collection_id: i64,
    /// Relevance; 0 when the query has no text to score.
    pub score: f32,
    /// The entity in FtM JSON form (`id`, `schema`, `properties`…), without `indexText`,
    /// which is only searchable (as in Aleph).
    pub entity: serde_json::Value,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub mutable: bool,
    pub role_id: Option<i64>,
    pub origin: Vec<String>,
    /// Fragments with `<em>` around matched words, when highlighting was asked for.
    pub highlight: Vec<String>,
}

/// Counts of one facet.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FacetResult {
    /// The values this field is filtered on.
    pub filters: Vec<String>,
    /// The most frequent values (most first; ties by value), with active filter values
    /// first even when they have no matches. `None` when values were not asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<FacetValue>>,
    /// The number of distinct values, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Date histogram buckets in time order, when an interval was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<Vec<FacetValue>>,
}

/// One value of a facet. Labels (collection names, country names…) are the API's job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    pub id: String,
    pub count: u64,
    /// Whether a filter on this value is in effect.
    pub active: bool,
}
