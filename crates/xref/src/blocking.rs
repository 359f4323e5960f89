//! Candidate generation: which pairs are worth scoring.
//!
//! Each prepared entity yields [`Key`]s (name tokens, phonetic keys, fingerprints,
//! identifiers, e-mails, phones). The in-memory [`Blocker`] is an inverted index over
//! those keys; an entity's candidates are the entities sharing keys with it, ranked by
//! the summed rarity (inverse document frequency) of the shared keys, cut at a cap per
//! entity. Keys carried by too many entities ("john", "trading") are stop keys: they
//! would make every query scan a large part of the index while saying little.
//!
//! The keys are plain strings so that a search index can store them in a keyword field
//! and answer the same question for collections that do not fit in memory.

use std::collections::HashMap;
use std::fmt;

use ftm::Schema;
use serde::Serialize;

use crate::Prepared;

/// What a key is made of; the prefix of its string form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// `n:` a name token.
    Token,
    /// `p:` a phonetic key of a name token.
    Phonetic,
    /// `f:` a whole name's sorted tokens.
    Fingerprint,
    /// `i:` a normalised identifier.
    Identifier,
    /// `e:` an e-mail address.
    Email,
    /// `t:` a phone number (digits).
    Phone,
}

impl KeyKind {
    fn prefix(self) -> &'static str {
        match self {
            KeyKind::Token => "n:",
            KeyKind::Phonetic => "p:",
            KeyKind::Fingerprint => "f:",
            KeyKind::Identifier => "i:",
            KeyKind::Email => "e:",
            KeyKind::Phone => "t:",
        }
    }

    /// How much sharing a key of this kind counts, before its rarity.
    fn boost(self) -> f64 {
        match self {
            KeyKind::Token => 1.0,
            KeyKind::Phonetic => 0.6,
            KeyKind::Fingerprint => 2.0,
            KeyKind::Identifier | KeyKind::Email => 3.0,
            KeyKind::Phone => 2.0,
        }
    }

    const ALL: [KeyKind; 6] = [
        KeyKind::Token,
        KeyKind::Phonetic,
        KeyKind::Fingerprint,
        KeyKind::Identifier,
        KeyKind::Email,
        KeyKind::Phone,
    ];
}

/// A blocking key such as `n:vladimir`, `p:flttmr`, `i:529900T8BM49AURSDO55`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Key(String);

impl Key {
    pub fn new(kind: KeyKind, value: &str) -> Key {
        let prefix = kind.prefix();
        let mut key = String::with_capacity(prefix.len() + value.len());
        key.push_str(prefix);
        key.push_str(value);
        Key(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> KeyKind {
        KeyKind::ALL
            .into_iter()
            .find(|k| self.0.starts_with(k.prefix()))
            .unwrap_or(KeyKind::Token)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Limits of the in-memory blocker.
#[derive(Debug, Clone, Copy)]
pub struct BlockerConfig {
    /// At most this many candidates per entity, the best ranked first.
    pub max_candidates: usize,
    /// A key carried by more than this share of the entities is a stop key…
    pub stop_ratio: f64,
    /// …provided it is carried by more than this many (small collections have no stop
    /// keys).
    pub stop_min: usize,
}

impl Default for BlockerConfig {
    fn default() -> Self {
        BlockerConfig {
            max_candidates: 30,
            stop_ratio: 0.01,
            stop_min: 100,
        }
    }
}

/// A candidate pair: indices of two entities in the order they were added to the
/// [`Blocker`] (`left < right` in [`Blocker::pairs`]), and the ranking score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Candidate {
    pub left: usize,
    pub right: usize,
    pub score: f64,
}

struct Entry {
    schema: &'static Schema,
    keys: Vec<u32>,
}

/// An in-memory inverted index of blocking keys.
pub struct Blocker {
    config: BlockerConfig,
    key_ids: HashMap<Key, u32>,
    key_kinds: Vec<KeyKind>,
    postings: Vec<Vec<u32>>,
    entries: Vec<Entry>,
}

impl Blocker {
    pub fn new(config: BlockerConfig) -> Blocker {
        Blocker {
            config,
            key_ids: HashMap::new(),
            key_kinds: Vec::new(),
            postings: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Index an entity; returns its index.
    pub fn add(&mut self, entity: &Prepared) -> usize {
        let index = self.entries.len();
        let index_u32 = u32::try_from(index).unwrap_or(u32::MAX);
        let mut keys = Vec::new();
        for key in entity.blocking_keys() {
            let kind = key.kind();
            let next = u32::try_from(self.postings.len()).unwrap_or(u32::MAX);
            let id = *self.key_ids.entry(key).or_insert(next);
            if id == next {
                self.postings.push(Vec::new());
                self.key_kinds.push(kind);
            }
            self.postings[id as usize].push(index_u32);
            keys.push(id);
        }
        self.entries.push(Entry {
            schema: entity.schema(),
            keys,
        });
        index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The largest document frequency a key may have and still be used.
    fn max_frequency(&self) -> usize {
        let ratio = (self.config.stop_ratio * self.entries.len() as f64).ceil() as usize;
        ratio.max(self.config.stop_min)
    }

    /// Keys carried by too many entities to be used, with their frequencies, most
    /// frequent first.
    pub fn stop_keys(&self) -> Vec<(&Key, usize)> {
        let max = self.max_frequency();
        let mut stops: Vec<(&Key, usize)> = self
            .key_ids
            .iter()
            .map(|(k, &id)| (k, self.postings[id as usize].len()))
            .filter(|(_, df)| *df > max)
            .collect();
        stops.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        stops
    }

    /// The weight of a shared key: its kind's boost times its rarity; 0 for stop keys.
    fn key_weight(&self, id: u32, max: usize) -> f64 {
        let df = self.postings[id as usize].len();
        if df > max || df == 0 {
            return 0.0;
        }
        let n = self.entries.len().max(2) as f64;
        self.key_kinds[id as usize].boost() * (n / df as f64).ln().max(0.1)
    }

    /// Rank the entities sharing keys with a query.
    fn rank(
        &self,
        keys: impl Iterator<Item = u32>,
        schema: &Schema,
        exclude: Option<usize>,
        scores: &mut [f64],
        touched: &mut Vec<u32>,
    ) -> Vec<(usize, f64)> {
        let max = self.max_frequency();
        for id in keys {
            let weight = self.key_weight(id, max);
            if weight <= 0.0 {
                continue;
            }
            for &other in &self.postings[id as usize] {
                let slot = &mut scores[other as usize];
                if *slot == 0.0 {
                    touched.push(other);
                }
                *slot += weight;
            }
        }
        let mut ranked: Vec<(usize, f64)> = touched
            .drain(..)
            .map(|i| {
                let i = i as usize;
                let score = std::mem::take(&mut scores[i]);
                (i, score)
            })
            .filter(|&(i, _)| Some(i) != exclude && schema.can_match(self.entries[i].schema))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(self.config.max_candidates);
        ranked
    }

    /// The candidates of an indexed entity among the other indexed entities, best first.
    pub fn candidates_for(&self, index: usize) -> Vec<(usize, f64)> {
        let Some(entry) = self.entries.get(index) else {
            return Vec::new();
        };
        let mut scores = vec![0.0; self.entries.len()];
        let mut touched = Vec::new();
        self.rank(
            entry.keys.iter().copied(),
            entry.schema,
            Some(index),
            &mut scores,
            &mut touched,
        )
    }

    /// The candidates of an entity that is not in the index (another collection, or a
    /// new entity in incremental runs), best first.
    pub fn query(&self, entity: &Prepared) -> Vec<(usize, f64)> {
        let ids: Vec<u32> = entity
            .blocking_keys()
            .iter()
            .filter_map(|k| self.key_ids.get(k).copied())
            .collect();
        let mut scores = vec![0.0; self.entries.len()];
        let mut touched = Vec::new();
        self.rank(
            ids.into_iter(),
            entity.schema(),
            None,
            &mut scores,
            &mut touched,
        )
    }

    /// Every candidate pair within the index once (`left < right`), in order of `left`
    /// then `right`. A pair is kept when either side ranks the other among its best
    /// [`BlockerConfig::max_candidates`].
    pub fn pairs(&self) -> Vec<Candidate> {
        let mut scores = vec![0.0; self.entries.len()];
        let mut touched = Vec::new();
        let mut pairs: HashMap<(usize, usize), f64> = HashMap::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let ranked = self.rank(
                entry.keys.iter().copied(),
                entry.schema,
                Some(index),
                &mut scores,
                &mut touched,
            );
            for (other, score) in ranked {
                let key = (index.min(other), index.max(other));
                pairs.entry(key).or_insert(score);
            }
        }
        let mut pairs: Vec<Candidate> = pairs
            .into_iter()
            .map(|((left, right), score)| Candidate { left, right, score })
            .collect();
        pairs.sort_by_key(|c| (c.left, c.right));
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftm::Entity;

    fn person(id: &str, name: &str) -> Prepared {
        let mut e = Entity::with_id("Person", id).unwrap();
        e.add("name", name).unwrap();
        Prepared::new(&e)
    }

    #[test]
    fn keys_are_prefixed_strings() {
        let p = person("a", "Vladimir Putin");
        let keys: Vec<String> = p.blocking_keys().iter().map(|k| k.to_string()).collect();
        assert!(keys.contains(&"n:vladimir".to_string()));
        assert!(keys.contains(&"f:putin vladimir".to_string()));
        assert!(keys.iter().any(|k| k.starts_with("p:")));
        assert_eq!(Key::new(KeyKind::Email, "a@b.org").kind(), KeyKind::Email);
    }

    #[test]
    fn finds_variants_and_skips_strangers() {
        let entities = [
            person("a", "Vladimir Putin"),
            person("b", "Владимир Путин"),
            person("c", "Angela Merkel"),
            person("d", "PUTIN, Vladimir Vladimirovich"),
        ];
        let mut blocker = Blocker::new(BlockerConfig::default());
        for e in &entities {
            blocker.add(e);
        }
        let pairs: Vec<(usize, usize)> =
            blocker.pairs().iter().map(|c| (c.left, c.right)).collect();
        assert_eq!(pairs, vec![(0, 1), (0, 3), (1, 3)]);
        let query = person("x", "Putin");
        let found: Vec<usize> = blocker.query(&query).iter().map(|c| c.0).collect();
        assert_eq!(found.len(), 3);
        assert!(!found.contains(&2));
    }

    #[test]
    fn frequent_keys_become_stop_keys() {
        let mut blocker = Blocker::new(BlockerConfig {
            max_candidates: 10,
            stop_ratio: 0.0,
            stop_min: 3,
        });
        for (i, first) in ["Anna", "Boris", "Clara", "Dmitri", "Elena"]
            .iter()
            .enumerate()
        {
            blocker.add(&person(&i.to_string(), &format!("{first} Ivanov")));
        }
        let stops: Vec<String> = blocker
            .stop_keys()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert!(stops.contains(&"n:ivanov".to_string()));
        // Sharing only the frequent family name makes no candidates.
        assert!(blocker.pairs().is_empty());
    }

    #[test]
    fn schemata_that_cannot_match_are_not_candidates() {
        let mut company = Entity::with_id("Company", "c").unwrap();
        company.add("name", "Putin Vladimir").unwrap();
        let mut blocker = Blocker::new(BlockerConfig::default());
        blocker.add(&person("p", "Vladimir Putin"));
        blocker.add(&Prepared::new(&company));
        assert!(blocker.pairs().is_empty());
    }
}
