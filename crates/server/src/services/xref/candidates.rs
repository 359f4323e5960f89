//! Candidates through the search index, for collections too large to hold in memory.
//!
//! The in-memory route keeps every source of the collection in a [`xref::Blocker`]; its
//! memory grows with the collection. The index route keeps one page at a time: each
//! streamed entity asks the index for the entities that share a name word (a one-edit
//! fuzzy term for long words, so typos still meet) or an identifier, within the
//! collections on the other side, and only those hits are scored.
//!
//! Mentions are not assumed to be in the index, so a pass streams every side that may
//! hold them: the collection's own entities and mentions query the targets, and the
//! targets' mentions query the collection (see [`streams`]).

use std::collections::BTreeSet;

use ftm::{Entity, PropertyType};
use index::SearchQuery;
use serde::{Deserialize, Serialize};

/// Index hits asked for per streamed entity: the best by relevance.
pub const CANDIDATES_PER_ENTITY: usize = 50;
/// Name words used per entity (the first ones of its names).
const MAX_WORDS: usize = 16;
/// Names whose normalised form is looked up whole.
const MAX_NAMES: usize = 8;
/// Boost of an equal identifier, e-mail or phone: above any combination of names.
const EXACT_BOOST: u32 = 20;
/// Boost of an equal normalised name.
const NAME_KEY_BOOST: u32 = 5;
/// Identifiers used per entity.
const MAX_IDENTIFIERS: usize = 8;
/// Words at least this long are looked up with one edit allowed.
const FUZZY_FROM: usize = 6;

/// How a run finds candidate pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// The collection's sources in memory, targets streamed through them.
    #[default]
    Memory,
    /// One page at a time, candidates from the search index.
    Index,
}

impl Route {
    pub fn parse(s: &str) -> Option<Route> {
        match s {
            "memory" => Some(Route::Memory),
            "index" => Some(Route::Index),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Memory => "memory",
            Route::Index => "index",
        }
    }
}

/// One stream of an index-route pass: entities of `collection` (changed since `since`,
/// only mentions if `mentions_only`) each query the index in `query`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub collection: i64,
    pub since: Option<i64>,
    pub mentions_only: bool,
    pub query: Vec<i64>,
    /// Whether the streamed entities are the collection's own (else the hits are).
    pub streams_own: bool,
}

/// The streams of a pass of collection `own` against `targets`. Without `targets_since`:
/// own sources (since `sources_since`) query the targets, and the targets' mentions query
/// the collection. With it: the targets' changed entities query the collection, and the
/// collection's mentions query the targets (a superset of what changed; pairs already
/// stored keep their best score).
pub fn streams(
    own: i64,
    sources_since: Option<i64>,
    targets: &[i64],
    targets_since: Option<i64>,
) -> Vec<Stream> {
    let mut out = Vec::new();
    match targets_since {
        None => {
            out.push(Stream {
                collection: own,
                since: sources_since,
                mentions_only: false,
                query: targets.to_vec(),
                streams_own: true,
            });
            for &t in targets {
                out.push(Stream {
                    collection: t,
                    since: None,
                    mentions_only: true,
                    query: vec![own],
                    streams_own: false,
                });
            }
        }
        Some(since) => {
            for &t in targets {
                out.push(Stream {
                    collection: t,
                    since: Some(since),
                    mentions_only: false,
                    query: vec![own],
                    streams_own: false,
                });
            }
            out.push(Stream {
                collection: own,
                since: None,
                mentions_only: true,
                query: targets.to_vec(),
                streams_own: true,
            });
        }
    }
    out
}

/// The schemata a candidate of this entity may have: its matchable schemata, or for a
/// mention those of the schemata it was detected as.
fn candidate_schemata(entity: &Entity, mention: bool) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    if mention {
        for name in entity.get("detectedSchema") {
            if let Some(schema) = ftm::model().get(name) {
                out.extend(schema.matchable_schemata().map(|s| s.name()));
            }
        }
        if out.is_empty()
            && let Some(schema) = ftm::model().get("LegalEntity")
        {
            out.extend(schema.matchable_schemata().map(|s| s.name()));
        }
    } else {
        out.extend(entity.schema().matchable_schemata().map(|s| s.name()));
    }
    out
}

/// The index query for an entity's candidates; `None` when it has no name or identifier.
pub fn candidate_query(entity: &Entity, mention: bool) -> Option<SearchQuery> {
    SearchQuery::from_params(&candidate_params(entity, mention)?).ok()
}

/// The search parameters of [`candidate_query`], in the schemata the entity can match.
///
/// Clauses are kept apart so that relevance ranks what matters: an equal identifier,
/// e-mail or phone first (boosted far above any name), then the whole normalised name,
/// then each name word exactly, weighed by its rarity in the index (a rare surname counts
/// many times a legal form or a common word), and last each long word with one edit, at a
/// flat low weight. A fuzzy term scores the same whatever its rarity, so mixing rare words
/// into fuzzy clauses alone (as this did before) let entities that share two common words
/// ("Finance", "OOO") outrank the one that shares the rare name.
fn candidate_params(entity: &Entity, mention: bool) -> Option<Vec<(String, String)>> {
    let mut clauses = Vec::new();
    let mut seen = BTreeSet::new();
    for (group, kind) in [
        ("identifiers", PropertyType::Identifier),
        ("emails", PropertyType::Email),
        ("phones", PropertyType::Phone),
    ] {
        for value in entity
            .type_values(kind, true)
            .into_iter()
            .take(MAX_IDENTIFIERS)
        {
            if seen.insert((group, value.to_string())) {
                clauses.push(format!("{group}:\"{}\"^{EXACT_BOOST}", quoted(value)));
            }
            // Identifiers written with other punctuation still meet on their words.
            if kind == PropertyType::Identifier {
                let words: Vec<String> = index::analysis::query_words(value)
                    .into_iter()
                    .filter(|w| w.chars().all(char::is_alphanumeric))
                    .collect();
                if !words.is_empty() && seen.insert(("words", words.join(" "))) {
                    clauses.push(format!("\"{}\"^{EXACT_BOOST}", words.join(" ")));
                }
            }
        }
    }
    let names = entity.type_values(PropertyType::Name, true);
    for name in names.iter().take(MAX_NAMES) {
        for key in index::analysis::name_keys(name) {
            if seen.insert(("key", key.clone())) {
                clauses.push(format!(
                    "fingerprints:\"{}\"^{NAME_KEY_BOOST}",
                    quoted(&key)
                ));
            }
        }
    }
    let mut words = 0;
    for name in &names {
        for word in index::analysis::query_words(name) {
            if words >= MAX_WORDS {
                break;
            }
            // Letters and digits only: nothing the query parser would read as syntax.
            if word.chars().count() < 2 || !word.chars().all(char::is_alphanumeric) {
                continue;
            }
            if seen.insert(("word", word.clone())) {
                words += 1;
                clauses.push(format!("names:{word}"));
                if word.chars().count() >= FUZZY_FROM {
                    clauses.push(format!("{word}~1"));
                }
            }
        }
    }
    if clauses.is_empty() {
        return None;
    }
    let mut params = vec![
        ("q".to_string(), clauses.join(" OR ")),
        ("limit".to_string(), CANDIDATES_PER_ENTITY.to_string()),
    ];
    for schema in candidate_schemata(entity, mention) {
        params.push(("filter:schemata".to_string(), schema.to_string()));
    }
    Some(params)
}

/// A value inside a quoted phrase of the query syntax.
fn quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entity(value: serde_json::Value) -> Entity {
        Entity::from_json(value, false).unwrap()
    }

    #[test]
    fn queries_take_name_words_and_identifiers() {
        let e = entity(json!({"id": "c", "schema": "Company", "properties": {
            "name": ["ACME Trading (Cyprus) Ltd"], "registrationNumber": ["HE-12345"]}}));
        let params = candidate_params(&e, false).unwrap();
        let q = &params[0].1;
        assert_eq!(
            q,
            "identifiers:\"HE-12345\"^20 OR \"he 12345\"^20 \
             OR fingerprints:\"acme trading cyprus ltd\"^5 \
             OR names:acme OR names:trading OR trading~1 OR names:cyprus OR cyprus~1 \
             OR names:ltd"
        );
        assert!(params.contains(&("filter:schemata".into(), "Company".into())));
        assert!(!params.iter().any(|(_, v)| v == "Mention"));
        assert!(candidate_query(&e, false).is_some());
        // Quotes and backslashes in a value cannot break out of its phrase.
        let odd = entity(json!({"id": "o", "schema": "Person", "properties": {
            "name": ["O\"Brien \\ Sons"], "email": ["a\"b@example.org"]}}));
        assert!(candidate_query(&odd, false).is_some());
        let nameless = entity(json!({"id": "x", "schema": "Person", "properties": {
            "nationality": ["ru"]}}));
        assert!(candidate_query(&nameless, false).is_none());
    }

    #[test]
    fn a_pass_streams_both_sides_for_mentions() {
        let full = streams(1, None, &[2, 3], None);
        assert_eq!(full.len(), 3);
        assert!(full[0].streams_own && !full[0].mentions_only && full[0].query == [2, 3]);
        assert!(full[1..].iter().all(|s| s.mentions_only && s.query == [1]));
        let changed = streams(1, None, &[2], Some(5));
        assert_eq!(changed[0].since, Some(5));
        assert!(!changed[0].streams_own && !changed[0].mentions_only);
        assert!(changed[1].streams_own && changed[1].mentions_only);
    }
}
