//! Cross-referencing results, run state and decisions: what the xref runner writes and
//! the xref API reads.
//!
//! A match is seen from one collection (`collection_id`, `entity_id`) towards another
//! (`match_collection_id`, `match_id`); the runner writes both views when both sides
//! are xref'ed. A run keeps one row per collection with an opaque cursor that the
//! runner saves with every finished batch, in the same transaction as the batch's
//! matches, so a crash never loses or repeats a batch. Decisions are kept once per
//! direction so either side finds them with a key look-up; a negative one removes the
//! pair's matches and keeps them from being written again.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::{Result, StoreError, Timestamp};

/// Longest entity id kept in xref rows (as fragments).
pub const MAX_XREF_ID_LEN: usize = crate::MAX_ENTITY_ID_LEN;

/// One proposed pair.
#[derive(Debug, Clone, PartialEq)]
pub struct XrefMatch {
    pub collection_id: i64,
    pub entity_id: String,
    pub match_collection_id: i64,
    pub match_id: String,
    /// In [0, 1].
    pub score: f64,
    /// The match's schema.
    pub schema: String,
    /// Countries of either side, for filtering.
    pub countries: Vec<String>,
    pub method: String,
    /// The matcher's explanation.
    pub explanation: Value,
    pub created_at: Timestamp,
}

impl XrefMatch {
    pub(crate) fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.score) {
            return Err(StoreError::invalid(format!(
                "xref score out of [0, 1]: {}",
                self.score
            )));
        }
        for id in [&self.entity_id, &self.match_id] {
            if id.is_empty() || id.len() > MAX_XREF_ID_LEN {
                return Err(StoreError::invalid(format!(
                    "bad entity id in xref: {id:?}"
                )));
            }
        }
        Ok(())
    }

    /// Countries as stored: `,de,ru,`, so that a `LIKE '%,de,%'` finds one.
    pub(crate) fn countries_key(&self) -> String {
        countries_key(&self.countries)
    }
}

pub(crate) fn countries_key(countries: &[String]) -> String {
    let mut out = String::from(",");
    for c in countries {
        out.push_str(&c.to_ascii_lowercase());
        out.push(',');
    }
    out
}

pub(crate) fn countries_from_key(key: &str) -> Vec<String> {
    key.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// A match as listed, with the decision about it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct XrefItem {
    pub matched: XrefMatch,
    pub judgement: Option<PairJudgement>,
    pub profile_id: Option<String>,
}

/// How matches are listed: always best first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct XrefQuery {
    pub collection_id: i64,
    /// Only matches into these collections (`None`: any). This is where read
    /// permissions apply: a caller's readable collections, narrowed by any filter.
    pub match_collections: Option<Vec<i64>>,
    /// Only matches of these schemata (any of them); empty for all.
    pub schemata: Vec<String>,
    /// Only matches where either side has one of these countries; empty for all.
    pub countries: Vec<String>,
    /// Only scores above this (Aleph hides `score <= 0.5`).
    pub min_score: Option<f64>,
    /// Only scores at or below this.
    pub max_score: Option<f64>,
    /// Only matches of these entities of the collection; empty for all.
    pub entity_ids: Vec<String>,
    pub offset: u64,
    pub limit: u64,
}

impl XrefQuery {
    pub fn collection(collection_id: i64) -> XrefQuery {
        XrefQuery {
            collection_id,
            limit: 20,
            ..XrefQuery::default()
        }
    }
}

/// A value bound into an xref query.
#[derive(Debug, Clone)]
pub(crate) enum XrefArg {
    Int(i64),
    Float(f64),
    Text(String),
}

/// The WHERE clause (over `m`, the matches) and arguments of a query, with placeholders
/// numbered from 1 in the dialect's style.
pub(crate) fn xref_condition(query: &XrefQuery, postgres: bool) -> (String, Vec<XrefArg>) {
    let mut args = Vec::new();
    let mut bind = |arg: XrefArg| -> String {
        args.push(arg);
        if postgres {
            format!("${}", args.len())
        } else {
            format!("?{}", args.len())
        }
    };
    let mut sql = format!(
        "m.collection_id = {}",
        bind(XrefArg::Int(query.collection_id))
    );
    if let Some(ids) = &query.match_collections {
        // Integers only: safe to write into the SQL, however many there are.
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        if list.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            sql.push_str(&format!(
                " AND m.match_collection_id IN ({})",
                list.join(",")
            ));
        }
    }
    if !query.schemata.is_empty() {
        let ors: Vec<String> = query
            .schemata
            .iter()
            .map(|s| format!("m.schema = {}", bind(XrefArg::Text(s.clone()))))
            .collect();
        sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
    }
    if !query.countries.is_empty() {
        let ors: Vec<String> = query
            .countries
            .iter()
            .map(|c| {
                let pattern = format!("%,{},%", c.to_ascii_lowercase().replace(['%', '_'], ""));
                format!("m.countries LIKE {}", bind(XrefArg::Text(pattern)))
            })
            .collect();
        sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
    }
    if let Some(min) = query.min_score {
        sql.push_str(&format!(" AND m.score > {}", bind(XrefArg::Float(min))));
    }
    if let Some(max) = query.max_score {
        sql.push_str(&format!(" AND m.score <= {}", bind(XrefArg::Float(max))));
    }
    if !query.entity_ids.is_empty() {
        let ors: Vec<String> = query
            .entity_ids
            .iter()
            .map(|e| format!("m.entity_id = {}", bind(XrefArg::Text(e.clone()))))
            .collect();
        sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
    }
    (sql, args)
}

/// Whether a run is still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefRunState {
    Running,
    Completed,
}

impl XrefRunState {
    pub fn as_str(self) -> &'static str {
        match self {
            XrefRunState::Running => "running",
            XrefRunState::Completed => "completed",
        }
    }
}

impl FromStr for XrefRunState {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "running" => Ok(XrefRunState::Running),
            "completed" => Ok(XrefRunState::Completed),
            other => Err(StoreError::Corrupt(format!(
                "unknown xref run state {other}"
            ))),
        }
    }
}

/// A collection's xref run: its checkpoint and progress.
#[derive(Debug, Clone, PartialEq)]
pub struct XrefRun {
    pub collection_id: i64,
    pub state: XrefRunState,
    /// The collections matched against.
    pub against: Vec<i64>,
    /// Where the runner stands; only the runner reads it.
    pub cursor: Value,
    /// Entities handled so far, of `total`.
    pub processed: u64,
    pub total: u64,
    /// Matches written by this run.
    pub matches: u64,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// When the last completed run started: entities changed since are new to xref.
    pub watermark: Option<Timestamp>,
}

/// A user's judgement of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairJudgement {
    Positive,
    Negative,
    Unsure,
}

impl PairJudgement {
    pub fn as_str(self) -> &'static str {
        match self {
            PairJudgement::Positive => "positive",
            PairJudgement::Negative => "negative",
            PairJudgement::Unsure => "unsure",
        }
    }

    /// Aleph's wire form; `no_judgement` is `None` (no decision).
    pub fn parse(s: &str) -> Result<Option<PairJudgement>> {
        match s {
            "positive" => Ok(Some(PairJudgement::Positive)),
            "negative" => Ok(Some(PairJudgement::Negative)),
            "unsure" => Ok(Some(PairJudgement::Unsure)),
            "no_judgement" => Ok(None),
            other => Err(StoreError::invalid(format!("unknown judgement {other:?}"))),
        }
    }
}

impl fmt::Display for PairJudgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decision to record. `judgement: None` removes the pair's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub collection_id: i64,
    pub entity_id: String,
    pub match_collection_id: i64,
    pub match_id: String,
    pub judgement: Option<PairJudgement>,
    pub role_id: Option<i64>,
}

/// A recorded decision, seen from `collection_id`/`entity_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub collection_id: i64,
    pub entity_id: String,
    pub match_collection_id: i64,
    pub match_id: String,
    pub judgement: PairJudgement,
    pub role_id: Option<i64>,
    /// Set for positive decisions: every entity judged the same as another shares it.
    pub profile_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The profile id a new positive pair gets when neither side has one: derived from the
/// pair, so that two stores (or a retried request) agree on it.
pub(crate) fn new_profile_id(a: (i64, &str), b: (i64, &str)) -> String {
    use sha2::{Digest, Sha256};
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "{}\u{0}{}\u{0}{}\u{0}{}",
        first.0, first.1, second.0, second.1
    ));
    format!("profile-{}", &hex::encode(hasher.finalize())[..32])
}

pub(crate) fn parse_judgement(s: &str) -> Result<PairJudgement> {
    PairJudgement::parse(s)?.ok_or_else(|| StoreError::Corrupt("stored no_judgement".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_round_trip_through_their_key() {
        let key = countries_key(&["DE".into(), "ru".into()]);
        assert_eq!(key, ",de,ru,");
        assert_eq!(countries_from_key(&key), ["de", "ru"]);
        assert!(countries_from_key(",").is_empty());
    }

    #[test]
    fn profile_ids_do_not_depend_on_the_order_of_the_pair() {
        let a = new_profile_id((1, "x"), (2, "y"));
        assert_eq!(a, new_profile_id((2, "y"), (1, "x")));
        assert_ne!(a, new_profile_id((1, "x"), (2, "z")));
    }

    #[test]
    fn conditions_number_placeholders_per_dialect() {
        let q = XrefQuery {
            collection_id: 3,
            match_collections: Some(vec![4, 5]),
            schemata: vec!["Person".into()],
            countries: vec!["de".into()],
            min_score: Some(0.5),
            ..XrefQuery::default()
        };
        let (sql, args) = xref_condition(&q, true);
        assert!(sql.contains("$4") && !sql.contains("$5"), "{sql}");
        assert!(sql.contains("IN (4,5)"));
        assert_eq!(args.len(), 4);
        let (sql, _) = xref_condition(&q, false);
        assert!(sql.contains("?4"));
        let none = XrefQuery {
            match_collections: Some(vec![]),
            ..q
        };
        assert!(xref_condition(&none, false).0.contains("1 = 0"));
    }
}
