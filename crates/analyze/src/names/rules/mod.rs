//! The rule-based recogniser.
//!
//! Text is cut into *runs*: stretches of capitalised words, initials and the small words
//! that may sit inside a name (`von`, `of`, `&`), bounded by anything else (a lowercase
//! word, punctuation, a line break). Within each run, in this order:
//!
//! 1. organisations — a legal form after a name (`Siemens AG`, `Acme Ltd.`) or before it
//!    (`ООО «Ромашка»`, `ПАО Сбербанк`), or an organisation word (`Deutsche Bank`,
//!    `Ministry of Finance`, `Bundesministerium der Finanzen`, `Banque centrale
//!    européenne`, `Федеральная налоговая служба`) — see `orgs`;
//! 2. people — a known given name followed by more names (`Angela Merkel`), a title
//!    followed by two names or more (`Dr. Kwame Nkrumah`), initials with a surname
//!    (`J. K. Rowling`, `Путин В. В.`), a Russian patronymic (`Иван Петрович Сидоров`),
//!    or an unknown capitalised word before a known surname (`Volodymyr Zelensky`) —
//!    see `people`;
//!
//! and then, over all words not taken yet, 3. places from the gazetteer, the longest name
//! first, with care for place names that are also ordinary words or people's names —
//! see `places`.
//!
//! The rules prefer missing a name to inventing one: a name must have two words or more
//! (as Aleph requires), and a lone capitalised word is never a person.

mod orgs;
mod people;
mod places;

use super::gazetteer::gazetteer;
use super::lexicon::lexicon;
use super::tokens::{Kind, Shape, Token, tokenize};
use super::{NameKind, NameSpan, Recognizer};

/// The most words a person's name may have after its first.
const MAX_PERSON_TAIL: usize = 4;
/// The most tokens an organisation's name may have.
const MAX_ORG_TOKENS: usize = 10;

/// The built-in recogniser; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleRecognizer;

impl Recognizer for RuleRecognizer {
    fn recognize(&self, text: &str, _languages: &[String]) -> Vec<NameSpan> {
        let mut folds = String::new();
        let tokens = tokenize(text, &mut folds);
        let mut pass = Pass {
            text,
            classes: tokens
                .iter()
                .enumerate()
                .map(|(i, _)| classify(text, &tokens, i))
                .collect(),
            tokens,
            used: Vec::new(),
            found: Vec::new(),
        };
        pass.used = vec![false; pass.tokens.len()];
        pass.prefix_orgs();
        pass.russian_orgs();
        for (start, end) in pass.runs() {
            pass.suffix_orgs(start, end);
            pass.keyword_orgs(start, end);
            pass.people(start, end);
        }
        pass.places();
        pass.found.sort_by_key(|s| (s.start, s.end));
        pass.found
    }
}

/// The part a token can play in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A capitalised word that is not a function word.
    Name,
    /// `Mr`, `Frau`, `господин`…
    Title,
    /// Initials or a dotted abbreviation (`J.`, `S.A.`).
    Dotted,
    /// A lowercase particle or connector, or `&`.
    Connector,
    /// A dot that ends an abbreviation (`Dr.`, `Inc.`) rather than a sentence.
    SoftDot,
    /// Anything that ends a run.
    Stop,
}

fn classify(text: &str, tokens: &[Token], i: usize) -> Class {
    let lex = lexicon();
    let t = &tokens[i];
    match t.kind {
        // Code-like words (`DE89`, `GB82`, `A4`) are parts of identifiers, never of names:
        // `IBAN DE89 3704…` is no person.
        Kind::Word if t.folded.bytes().any(|b| b.is_ascii_digit()) => Class::Stop,
        Kind::Word if t.is_capitalized() => {
            if lex.is_title(t.folded) {
                Class::Title
            } else if lex.is_person_particle(t.folded) && t.shape == Shape::Capitalized {
                // `Le Pen`, `Van Ruymbeke`; a sentence's `Der` or `La` harms no one here.
                Class::Connector
            } else if lex.is_stopword(t.folded) && !is_legal_form(t) {
                Class::Stop
            } else {
                Class::Name
            }
        }
        // `HSBC Holdings plc`: a legal form in lowercase still ends a company's name.
        Kind::Word if is_legal_form(t) => Class::Name,
        Kind::Word if lex.is_person_particle(t.folded) || lex.is_org_connector(t.folded) => {
            Class::Connector
        }
        // `M. Dupont`: a title, not an initial.
        Kind::Dotted if lex.is_title(t.folded) && !is_legal_form(t) => Class::Title,
        Kind::Dotted => Class::Dotted,
        Kind::Punct('&') => Class::Connector,
        Kind::Punct('.') if i > 0 => {
            let prev = &tokens[i - 1];
            let attached = prev.end == t.start;
            let short = text[prev.start..prev.end].chars().count() <= 4;
            let abbreviation = lex.is_title(prev.folded) || is_legal_form(prev) || short;
            let next_capital = tokens.get(i + 1).is_some_and(|n| n.is_capitalized());
            if attached && prev.is_word() && abbreviation && next_capital {
                Class::SoftDot
            } else {
                Class::Stop
            }
        }
        _ => Class::Stop,
    }
}

fn is_legal_form(t: &Token) -> bool {
    // Most tokens are one word: no copy for them.
    let compact = if t.folded.contains(' ') {
        std::borrow::Cow::Owned(t.folded.replace(' ', ""))
    } else {
        std::borrow::Cow::Borrowed(t.folded)
    };
    let capitals = t.shape == Shape::Upper || t.kind == Kind::Dotted;
    lexicon().is_suffix_form(&compact, capitals)
}

struct Pass<'t> {
    text: &'t str,
    tokens: Vec<Token<'t>>,
    classes: Vec<Class>,
    used: Vec<bool>,
    found: Vec<NameSpan>,
}

impl Pass<'_> {
    fn is(&self, i: usize, class: Class) -> bool {
        self.classes.get(i) == Some(&class) && !self.used[i]
    }

    fn word(&self, i: usize) -> &str {
        let t = &self.tokens[i];
        &self.text[t.start..t.end]
    }

    /// Record tokens `first..=last` as a name of `kind`, if it passes Aleph's rules for a
    /// name (two words or more, 5 to 100 characters).
    fn emit(&mut self, first: usize, last: usize, kind: NameKind) -> bool {
        let (start, end) = (self.tokens[first].start, self.tokens[last].end);
        let name = self.text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let length = name.chars().count();
        if !(5..=100).contains(&length) || !name.contains(' ') {
            return false;
        }
        // `Santiago de Chile` looks like a person and is a place.
        if kind == NameKind::Person && gazetteer().place(&crate::fold::fold(&name)).is_some() {
            return false;
        }
        for used in &mut self.used[first..=last] {
            *used = true;
        }
        self.found.push(NameSpan {
            start,
            end,
            name,
            kind,
        });
        true
    }

    /// Stretches of tokens that may hold names, as index ranges `start..end`.
    fn runs(&self) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut i = 0;
        while i < self.tokens.len() {
            if self.classes[i] == Class::Stop || self.used[i] {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < self.tokens.len()
                && self.classes[i] != Class::Stop
                && !self.used[i]
                && !self.tokens[i].newline_before
            {
                i += 1;
            }
            runs.push((start, i));
        }
        runs
    }

    /// Whether token `i` begins a sentence, a line or the text.
    fn sentence_start(&self, i: usize) -> bool {
        i == 0
            || self.tokens[i].newline_before
            || matches!(
                self.tokens[i - 1].kind,
                Kind::Punct('.' | '!' | '?' | ':' | ';')
            )
    }
}

fn is_org_or_form(t: &Token) -> bool {
    is_legal_form(t) || lexicon().org_word(t.folded).is_some()
}

fn is_conjunction(folded: &str) -> bool {
    matches!(folded, "and" | "und" | "et" | "y" | "e")
}

#[cfg(test)]
mod tests {
    //! Helpers for the tests of the rule modules.
    use super::*;

    pub(super) fn names(text: &str) -> Vec<(NameKind, String)> {
        RuleRecognizer
            .recognize(text, &[])
            .into_iter()
            .map(|s| (s.kind, s.name))
            .collect()
    }

    pub(super) fn has(text: &str, kind: NameKind, name: &str) -> bool {
        names(text).iter().any(|(k, n)| *k == kind && n == name)
    }
}
