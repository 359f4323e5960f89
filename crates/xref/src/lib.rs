//! Cross-referencing: which entities are the same, how sure we are, and why.
//!
//! The crate is pure: it takes FtM entities and returns scored, explained matches. It
//! never touches a database or an index, so the same pieces serve a whole-collection
//! run, an incremental run after an upload, and a single entity edited by a user.
//!
//! - [`Prepared`]: an entity reduced once to what matching looks at (transliterated name
//!   tokens with phonetic keys and legal forms taken out, identifiers by kind, e-mails,
//!   phones, countries, dates, gender), so that scoring a pair costs about a
//!   microsecond instead of re-normalising names for every pair, as FtM's `compare`
//!   does.
//! - [`Matcher`]: the pairwise score in [0, 1], a logistic sum of named features, each
//!   reported with its value, weight and contribution ([`Match::explain`]);
//!   [`Matcher::score_value`] is the same number without building the explanation, for
//!   the many candidates a run discards.
//! - [`Prepared::blocking_keys`] and [`Blocker`]: candidate generation. The keys are
//!   plain strings (`n:putin`, `p:ptn`, `i:529900T8BM49AURSDO55`), good for the in-memory
//!   inverted index here or a keyword field of the search index.
//! - [`fold_mentions`]: names found in documents, folded per resolved id into
//!   pseudo-entities that can be matched against entities in both directions.
//!
//! Scoring is deterministic and symmetric: `score(a, b) == score(b, a)`.

mod blocking;
mod dates;
mod distance;
mod identifiers;
mod matcher;
mod mentions;
mod names;
mod normalize;
mod phonetic;
mod prepared;
mod vocabulary;

pub use blocking::{Blocker, BlockerConfig, Candidate, Key, KeyKind};
pub use dates::DateRelation;
pub use identifiers::Strength;
pub use matcher::{Feature, METHOD, Match, Matcher, Weights};
pub use mentions::{MentionError, MentionGroup, fold_mentions, reify};
pub use prepared::{PrepareOptions, Prepared};
pub use vocabulary::LegalForm;

#[cfg(test)]
mod tests;
