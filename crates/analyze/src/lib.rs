//! The `analyze` stage of the ingest pipeline: an entity in, the same entity with what its
//! text mentions, plus `Mention` entities out. Pure: no database, no network, and nothing
//! is downloaded at run time (every list and profile is compiled in).
//!
//! For an entity whose schema has `detectedLanguage` (every `Analyzable`, and `Page`):
//!
//! - [`language`]: the languages of its text (`detectedLanguage`, FtM's ISO 639-3 codes),
//!   per window so that mixed documents report each language; `language` too when the
//!   collection declares none. A document's languages are judged once, on a sample of its
//!   text; its pages take that verdict when it names one language, and are judged each
//!   on its own only when it names several ([`Analyzer::analyze_each`]);
//!
//! and for `Analyzable` entities other than tables:
//!
//! - [`patterns`]: e-mail addresses, phone numbers (E.164, national numbers resolved with
//!   the document's and the collection's countries), IBANs, IP addresses, URLs, BICs,
//!   LEIs, IMO numbers and crypto-currency addresses, each checked by FtM's cleaner or its
//!   checksum; the first four fill `emailMentioned`, `phoneMentioned`, `ibanMentioned` and
//!   `ipMentioned` (FtM has no property for the others; they are returned as findings);
//! - [`names`]: people and organisations (`peopleMentioned`, `companiesMentioned`, and
//!   both in `namesMentioned`), places (`locationMentioned`) and the countries of places,
//!   phone numbers and IBANs (`detectedCountry`, which feeds the `countries` facet);
//! - one `Mention` entity per distinct person or organisation name in a `Document`, with
//!   Aleph's ids and properties, so cross-referencing can match mentions to entities.
//!
//! - [`known`]: the instance's own people and organisations (a loaded watchlist), found by
//!   name in the text across scripts and spellings; their mentions resolve to them.
//!
//! The text read per entity is capped ([`DEFAULT_MAX_TEXT_CHARS`]) so that analysis time
//! is bounded. Analysing an analysed entity again changes nothing.

mod analyzer;
mod fold;
pub mod known;
pub mod language;
pub mod names;
pub mod patterns;
mod text;

/// The analyzer's version, which the job ledger records beside the extractor's so that
/// `aleph retry --before-version` finds what an older analyzer handled. It follows the
/// workspace's version: a release that changes what analysis finds bumps it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use analyzer::{
    Analysis, AnalyzeError, Analyzer, Context, DEFAULT_MAX_TEXT_CHARS, MAX_CONTEXT_VALUES, MAX_TAGS,
};
