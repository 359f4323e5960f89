//! Names of people, organisations and places in text.
//!
//! [`Recognizer`] is the seam: the analyzer asks a recogniser for [`NameSpan`]s and does
//! not care how they were found. [`RuleRecognizer`] is the built-in, fast default: rules
//! over capitalised words, a lexicon of titles, legal forms and organisation words in five
//! languages, and gazetteers of given names, surnames and places (see `gazetteer`). A
//! statistical model (for instance an ONNX token classifier) can be plugged in through
//! the same trait.

mod gazetteer;
mod lexicon;
mod rules;
mod tokens;

pub use rules::RuleRecognizer;

pub(crate) use gazetteer::gazetteer;

/// What a recognised name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    Person,
    /// A company: a legal form or a commercial word (bank, group, holding) says so.
    Company,
    /// Another organisation: a ministry, a university, a foundation, a party…
    Organization,
    Location,
}

/// A name found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSpan {
    /// Byte range of the name in the text given to the recogniser.
    pub start: usize,
    pub end: usize,
    /// The name as written, white space collapsed.
    pub name: String,
    pub kind: NameKind,
}

/// Finds names in a piece of text.
pub trait Recognizer: Send + Sync {
    /// The names in `text`, in order. `languages` are the ISO 639-3 codes detected for
    /// the document (most likely first); a recogniser may use them to pick a model.
    fn recognize(&self, text: &str, languages: &[String]) -> Vec<NameSpan>;
}

/// The country a place name denotes, from the built-in gazetteer (FtM country code).
pub fn place_country(name: &str) -> Option<&'static str> {
    let key = crate::fold::fold(name);
    gazetteer().place(&key).map(|p| p.country)
}
