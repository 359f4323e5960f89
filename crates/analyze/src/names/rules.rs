//! The rule-based recogniser.
//!
//! Text is cut into *runs*: stretches of capitalised words, initials and the small words
//! that may sit inside a name (`von`, `of`, `&`), bounded by anything else (a lowercase
//! word, punctuation, a line break). Within each run, in this order:
//!
//! 1. organisations — a legal form after a name (`Siemens AG`, `Acme Ltd.`) or before it
//!    (`ООО «Ромашка»`, `ПАО Сбербанк`), or an organisation word (`Deutsche Bank`,
//!    `Ministry of Finance`, `Bundesministerium der Finanzen`);
//! 2. people — a known given name followed by more names (`Angela Merkel`), a title
//!    followed by two names or more (`Dr. Kwame Nkrumah`), initials with a surname
//!    (`J. K. Rowling`, `Путин В. В.`), a Russian patronymic (`Иван Петрович Сидоров`),
//!    or an unknown capitalised word before a known surname (`Volodymyr Zelensky`);
//!
//! and then, over all words not taken yet, 3. places from the gazetteer, the longest name
//! first, with care for place names that are also ordinary words or people's names.
//!
//! The rules prefer missing a name to inventing one: a name must have two words or more
//! (as Aleph requires), and a lone capitalised word is never a person.

use super::gazetteer::gazetteer;
use super::lexicon::{OrgKind, lexicon};
use super::tokens::{Kind, Shape, Token, tokenize};
use super::{NameKind, NameSpan, Recognizer};
use crate::fold::is_cyrillic;

/// The most words a person's name may have after its first.
const MAX_PERSON_TAIL: usize = 4;
/// The most tokens an organisation's name may have.
const MAX_ORG_TOKENS: usize = 10;

/// The built-in recogniser; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleRecognizer;

impl Recognizer for RuleRecognizer {
    fn recognize(&self, text: &str, _languages: &[String]) -> Vec<NameSpan> {
        let tokens = tokenize(text);
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
        Kind::Word if t.is_capitalized() => {
            if lex.is_title(&t.folded) {
                Class::Title
            } else if lex.is_stopword(&t.folded) && !is_legal_form(t) {
                Class::Stop
            } else {
                Class::Name
            }
        }
        Kind::Word if lex.is_person_particle(&t.folded) || lex.is_org_connector(&t.folded) => {
            Class::Connector
        }
        Kind::Dotted => Class::Dotted,
        Kind::Punct('&') => Class::Connector,
        Kind::Punct('.') if i > 0 => {
            let prev = &tokens[i - 1];
            let attached = prev.end == t.start;
            let short = text[prev.start..prev.end].chars().count() <= 4;
            let abbreviation = lex.is_title(&prev.folded) || is_legal_form(prev) || short;
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
    let compact = t.folded.replace(' ', "");
    let capitals = t.shape == Shape::Upper || t.kind == Kind::Dotted;
    lexicon().is_suffix_form(&compact, capitals)
}

/// A Russian patronymic (`Петрович`, `Ивановна`), folded.
fn is_patronymic(t: &Token, text: &str) -> bool {
    let word = &text[t.start..t.end];
    is_cyrillic(word)
        && ["ovich", "evich", "ovna", "evna", "ichna", "inichna"]
            .iter()
            .any(|end| t.folded.ends_with(end) && t.folded.len() > end.len() + 1)
}

/// A word shaped like a Russian surname (`Иванов`, `Петровская`).
fn is_russian_surname_shape(t: &Token, text: &str) -> bool {
    is_cyrillic(&text[t.start..t.end])
        && [
            "ov", "ev", "in", "ova", "eva", "ina", "skii", "skiy", "skaia", "enko", "uk",
        ]
        .iter()
        .any(|end| t.folded.ends_with(end) && t.folded.len() > end.len() + 2)
}

struct Pass<'t> {
    text: &'t str,
    tokens: Vec<Token>,
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

    /// `ООО «Ромашка»`, `ПАО Сбербанк`: a legal form, then a quoted or capitalised name.
    fn prefix_orgs(&mut self) {
        let lex = lexicon();
        for k in 0..self.tokens.len() {
            let t = &self.tokens[k];
            let capitals = t.shape == Shape::Upper;
            if self.used[k] || !t.is_word() || !lex.is_prefix_form(&t.folded, capitals) {
                continue;
            }
            let Some(next) = self.tokens.get(k + 1) else {
                continue;
            };
            if let Kind::Punct(open) = next.kind
                && let Some(close) = closing_quote(open)
            {
                let end = (k + 2..self.tokens.len().min(k + 2 + MAX_ORG_TOKENS))
                    .take_while(|&j| !self.tokens[j].newline_before)
                    .find(|&j| self.tokens[j].kind == Kind::Punct(close) && j > k + 2);
                if let Some(end) = end {
                    self.emit(k, end, NameKind::Company);
                }
                continue;
            }
            let mut last = k;
            while last + 1 < self.tokens.len()
                && last - k < 3
                && self.is(last + 1, Class::Name)
                && !self.tokens[last + 1].newline_before
            {
                last += 1;
            }
            if last > k {
                self.emit(k, last, NameKind::Company);
            }
        }
    }

    /// `Siemens AG`, `Müller & Söhne GmbH & Co. KG`, `Acme Holdings Ltd.`
    fn suffix_orgs(&mut self, start: usize, end: usize) {
        let mut k = start + 1;
        while k < end {
            if self.used[k] || !is_legal_form(&self.tokens[k]) {
                k += 1;
                continue;
            }
            // More legal forms may follow (`GmbH & Co. KG`).
            let mut last = k;
            let mut j = k + 1;
            while j < end {
                let t = &self.tokens[j];
                if self.classes[j] == Class::SoftDot || t.is_punct('&') || t.folded == "co" {
                    j += 1;
                } else if is_legal_form(t) {
                    last = j;
                    j += 1;
                } else {
                    break;
                }
            }
            let mut first = k;
            while first > start && !self.used[first - 1] && k - first < MAX_ORG_TOKENS {
                let prev = first - 1;
                let joins = match self.classes[prev] {
                    Class::Name | Class::Dotted => true,
                    // `Bank of America Corp.`: a connector only after an organisation word.
                    Class::Connector => {
                        self.tokens[prev].is_punct('&')
                            || prev > start
                                && !is_conjunction(&self.tokens[prev].folded)
                                && lexicon().org_word(&self.tokens[prev - 1].folded).is_some()
                    }
                    _ => false,
                };
                if !joins {
                    break;
                }
                first = prev;
            }
            while first < k && self.classes[first] != Class::Name {
                first += 1;
            }
            if first < k {
                self.emit(first, last, NameKind::Company);
            }
            k = last + 1;
        }
    }

    /// `Deutsche Bank`, `Ministry of Finance`, `Banco de España`, `Сбербанк России`.
    fn keyword_orgs(&mut self, start: usize, end: usize) {
        let lex = lexicon();
        for k in start..end {
            if !self.is(k, Class::Name) {
                continue;
            }
            let Some(org) = lex.org_word(&self.tokens[k].folded) else {
                continue;
            };
            let mut first = k;
            while first > start && self.is(first - 1, Class::Name) && k - first < 4 {
                first -= 1;
            }
            // To the right: connectors followed by names (`of the United Kingdom`).
            let mut last = k;
            let mut j = k + 1;
            while j < end && j - first < MAX_ORG_TOKENS {
                let mut n = j;
                while n < end && self.is(n, Class::Connector) {
                    let conj =
                        is_conjunction(&self.tokens[n].folded) || self.tokens[n].is_punct('&');
                    if conj && first != k {
                        break;
                    }
                    n += 1;
                }
                if n < end && self.is(n, Class::Name) {
                    last = n;
                    j = n + 1;
                } else {
                    break;
                }
            }
            let kind = match org {
                OrgKind::Company => NameKind::Company,
                OrgKind::Organization => NameKind::Organization,
            };
            self.emit(first, last, kind);
        }
    }

    fn people(&mut self, start: usize, end: usize) {
        let mut i = start;
        while i < end {
            let next = self.person_at(i, end).unwrap_or(i + 1);
            i = next.max(i + 1);
        }
    }

    /// Try the person rules at token `i`; the index after the person if one was found.
    fn person_at(&mut self, i: usize, end: usize) -> Option<usize> {
        if self.used[i] {
            return None;
        }
        let lex = lexicon();
        let gaz = gazetteer();
        let t = &self.tokens[i];
        match self.classes[i] {
            Class::Title => {
                let mut j = i + 1;
                if self.is(j, Class::SoftDot) {
                    j += 1;
                }
                let last = self.person_tail(j, end, 0)?;
                self.used[i] = true;
                (last > j && self.emit(j, last, NameKind::Person)).then_some(last + 1)
            }
            Class::Name if gaz.is_given_name(&t.folded) && !is_org_or_form(t) => {
                let last = self.person_tail(i + 1, end, 1)?;
                self.emit(i, last, NameKind::Person).then_some(last + 1)
            }
            Class::Dotted if t.is_initials(self.text) => {
                // `J. K. Rowling`, `В. В. Путин`.
                let mut j = i + 1;
                let mut initials = t.folded.split(' ').count();
                while self.is(j, Class::Dotted) && self.tokens[j].is_initials(self.text) {
                    initials += self.tokens[j].folded.split(' ').count();
                    j += 1;
                }
                if !self.is(j, Class::Name) || is_org_or_form(&self.tokens[j]) {
                    return None;
                }
                let surname = &self.tokens[j];
                let strong = gaz.is_surname(&surname.folded)
                    || is_russian_surname_shape(surname, self.text)
                    || initials >= 2;
                let known_place = gaz.is_place_name(&surname.folded);
                (strong && !known_place && self.emit(i, j, NameKind::Person)).then_some(j + 1)
            }
            Class::Name if t.shape == Shape::Capitalized && !is_org_or_form(t) => {
                let next = i + 1;
                // `Путин В. В.`, `Smith J.`: a surname, then initials.
                if self.is(next, Class::Dotted) && self.tokens[next].is_initials(self.text) {
                    let surname_like =
                        is_russian_surname_shape(t, self.text) || gaz.is_surname(&t.folded);
                    if surname_like {
                        let mut last = next;
                        while self.is(last + 1, Class::Dotted)
                            && self.tokens[last + 1].is_initials(self.text)
                        {
                            last += 1;
                        }
                        return self.emit(i, last, NameKind::Person).then_some(last + 1);
                    }
                    return None;
                }
                if !self.is(next, Class::Name) || is_org_or_form(&self.tokens[next]) {
                    return None;
                }
                // Russian order and patronymics: `Сидоров Иван Петрович`, `Иван Петрович`.
                let after = next + 1;
                let third = self.is(after, Class::Name) && next + 1 < end;
                if third && is_patronymic(&self.tokens[after], self.text) {
                    return self.emit(i, after, NameKind::Person).then_some(after + 1);
                }
                if is_patronymic(&self.tokens[next], self.text) {
                    let last = if third && is_cyrillic(self.word(after)) {
                        after
                    } else {
                        next
                    };
                    return self.emit(i, last, NameKind::Person).then_some(last + 1);
                }
                if gaz.is_surname(&t.folded) && gaz.is_given_name(&self.tokens[next].folded) {
                    return self.emit(i, next, NameKind::Person).then_some(next + 1);
                }
                // An unknown first name before a known surname, closing the run.
                let closes = !self.is(after, Class::Name) || after >= end;
                let plain_first = !gaz.is_place_name(&t.folded)
                    && !lex.is_stopword(&t.folded)
                    && !lex.is_title(&t.folded);
                let surname = &self.tokens[next];
                if closes
                    && plain_first
                    && surname.shape == Shape::Capitalized
                    && gaz.is_surname(&surname.folded)
                    && !gaz.is_place_name(&surname.folded)
                {
                    return self.emit(i, next, NameKind::Person).then_some(next + 1);
                }
                None
            }
            _ => None,
        }
    }

    /// The last token of a person's name whose remaining words start at `j`: names,
    /// middle initials and particles followed by a name. `have` is the number of name
    /// words already taken; a person needs two. `None` if there is no name word at `j`.
    fn person_tail(&self, j: usize, end: usize, have: usize) -> Option<usize> {
        let lex = lexicon();
        let mut last = None;
        let mut words = have;
        let mut k = j;
        while k < end && k - j < MAX_PERSON_TAIL + 2 {
            let t = &self.tokens[k];
            if self.is(k, Class::Name) && !is_org_or_form(t) && t.shape != Shape::Other {
                words += 1;
                last = Some(k);
            } else if self.is(k, Class::Dotted) && t.is_initials(self.text) {
                // A middle initial counts only with a name after it.
            } else if self.is(k, Class::Connector) && lex.is_person_particle(&t.folded) {
                // `von der Leyen`: particles count only with a name after them.
                let mut n = k + 1;
                while self.is(n, Class::Connector) && lex.is_person_particle(&self.tokens[n].folded)
                {
                    n += 1;
                }
                if !self.is(n, Class::Name) {
                    break;
                }
            } else {
                break;
            }
            if words > MAX_PERSON_TAIL + have {
                break;
            }
            k += 1;
        }
        let last = last?;
        (words >= 2).then_some(last)
    }

    /// Places from the gazetteer, over every word not taken by a person or organisation.
    fn places(&mut self) {
        let gaz = gazetteer();
        let lex = lexicon();
        let mut i = 0;
        while i < self.tokens.len() {
            let t = &self.tokens[i];
            if self.used[i] || !matches!(t.kind, Kind::Word | Kind::Dotted) || !t.is_capitalized() {
                i += 1;
                continue;
            }
            let mut matched = None;
            let mut key = String::new();
            let mut words = Vec::new();
            for j in i..self.tokens.len().min(i + gaz.max_place_words + 2) {
                let tj = &self.tokens[j];
                if self.used[j]
                    || !matches!(tj.kind, Kind::Word | Kind::Dotted)
                    || (j > i && tj.newline_before)
                {
                    break;
                }
                if !key.is_empty() {
                    key.push(' ');
                }
                key.push_str(&tj.folded);
                words.push(j);
                if tj.is_capitalized() && gaz.place(&key).is_some() {
                    matched = Some(j);
                }
            }
            let Some(last) = matched else {
                if let Some(place) = self.inflected_place(i) {
                    self.push_place(i, i, place);
                }
                i += 1;
                continue;
            };
            let single = last == i;
            let prev = i.checked_sub(1).map(|p| &self.tokens[p]);
            let after_locative = prev.is_some_and(|p| p.is_word() && lex.is_locative(&p.folded));
            let plausible = if single {
                let person_word = gaz.is_given_name(&t.folded) || gaz.is_surname(&t.folded);
                let weak = lex.is_weak_place(&t.folded) || lex.is_stopword(&t.folded);
                let short_caps = t.shape == Shape::Upper
                    && t.folded.len() < 3
                    && gaz
                        .place(&t.folded)
                        .is_none_or(|p| p.kind != super::gazetteer::PlaceKind::Country);
                // A capitalised place name followed by another name is likely part of a
                // longer name the gazetteer lacks (`Berlin Brandenburg Airport`).
                let in_name = self.tokens.get(i + 1).is_some_and(|n| {
                    n.shape == Shape::Capitalized && n.is_word() && !n.newline_before
                });
                after_locative || !(person_word || weak || short_caps || in_name)
            } else {
                true
            };
            if plausible {
                let key: Vec<&str> = words[..=last - i]
                    .iter()
                    .map(|&j| self.tokens[j].folded.as_str())
                    .collect();
                if gaz.place(&key.join(" ")).is_some() {
                    let written = self.text[t.start..self.tokens[last].end].to_owned();
                    self.push_place(i, last, written);
                }
                i = last + 1;
            } else {
                i += 1;
            }
        }
    }

    /// A Russian place name in another case (`в Москве`, `из Берлина`): the nominative is
    /// tried by swapping common endings. Only after a preposition, as the guess is loose.
    fn inflected_place(&self, i: usize) -> Option<String> {
        let t = &self.tokens[i];
        let word = self.word(i);
        if !is_cyrillic(word) || i == 0 || t.shape != Shape::Capitalized {
            return None;
        }
        let prev = &self.tokens[i - 1];
        if !(prev.is_word() && lexicon().is_locative(&prev.folded)) {
            return None;
        }
        let gaz = gazetteer();
        let chars: Vec<char> = word.chars().collect();
        for (ending, replacements) in [
            ("е", &["а", "", "я", "ь"][..]),
            ("и", &["ь", "я", "а"][..]),
            ("у", &["", "а"][..]),
            ("а", &["", "ь"][..]),
            ("ы", &["а"][..]),
            ("ой", &["а"][..]),
            ("ом", &[""][..]),
            ("ю", &["ь", "я"][..]),
        ] {
            let n = ending.chars().count();
            if chars.len() <= n + 2 || !word.ends_with(ending) {
                continue;
            }
            let stem: String = chars[..chars.len() - n].iter().collect();
            for r in replacements {
                let nominative = format!("{stem}{r}");
                if gaz.place(&crate::fold::fold(&nominative)).is_some() {
                    return Some(nominative);
                }
            }
        }
        None
    }

    fn push_place(&mut self, first: usize, last: usize, name: String) {
        for used in &mut self.used[first..=last] {
            *used = true;
        }
        self.found.push(NameSpan {
            start: self.tokens[first].start,
            end: self.tokens[last].end,
            name,
            kind: NameKind::Location,
        });
    }
}

fn is_org_or_form(t: &Token) -> bool {
    is_legal_form(t) || lexicon().org_word(&t.folded).is_some()
}

fn is_conjunction(folded: &str) -> bool {
    matches!(folded, "and" | "und" | "et" | "y" | "e")
}

fn closing_quote(open: char) -> Option<char> {
    match open {
        '«' => Some('»'),
        '"' => Some('"'),
        '“' => Some('”'),
        '„' => Some('“'),
        '‹' => Some('›'),
        '\'' => Some('\''),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(NameKind, String)> {
        RuleRecognizer
            .recognize(text, &[])
            .into_iter()
            .map(|s| (s.kind, s.name))
            .collect()
    }

    fn has(text: &str, kind: NameKind, name: &str) -> bool {
        names(text).iter().any(|(k, n)| *k == kind && n == name)
    }

    #[test]
    fn organisations() {
        assert!(has(
            "Shares of Siemens AG rose.",
            NameKind::Company,
            "Siemens AG"
        ));
        assert!(has(
            "He sold Acme Holdings Ltd. last year",
            NameKind::Company,
            "Acme Holdings Ltd"
        ));
        assert!(has(
            "Die Müller & Söhne GmbH & Co. KG zahlte.",
            NameKind::Company,
            "Müller & Söhne GmbH & Co. KG"
        ));
        assert!(has(
            "ООО «Ромашка» заключило договор",
            NameKind::Company,
            "ООО «Ромашка»"
        ));
        assert!(has(
            "ПАО Сбербанк сообщило",
            NameKind::Company,
            "ПАО Сбербанк"
        ));
        assert!(has(
            "a loan from Deutsche Bank in",
            NameKind::Company,
            "Deutsche Bank"
        ));
        assert!(has(
            "the Ministry of Finance said",
            NameKind::Organization,
            "Ministry of Finance"
        ));
        assert!(has(
            "CEO of Acme Bank, said",
            NameKind::Company,
            "Acme Bank"
        ));
    }

    #[test]
    fn people() {
        assert!(has(
            "Yesterday Angela Merkel met him.",
            NameKind::Person,
            "Angela Merkel"
        ));
        assert!(has(
            "Dr. Kwame Nkrumah spoke",
            NameKind::Person,
            "Kwame Nkrumah"
        ));
        assert!(has(
            "written by J. K. Rowling in",
            NameKind::Person,
            "J. K. Rowling"
        ));
        assert!(has(
            "Президент В. В. Путин заявил",
            NameKind::Person,
            "В. В. Путин"
        ));
        assert!(has(
            "подписал Путин В.В. вчера",
            NameKind::Person,
            "Путин В.В."
        ));
        assert!(has(
            "Иван Петрович Сидоров пришёл",
            NameKind::Person,
            "Иван Петрович Сидоров"
        ));
        assert!(has(
            "Ursula von der Leyen said",
            NameKind::Person,
            "Ursula von der Leyen"
        ));
        assert!(
            !names("The Annual Report of the Board")
                .iter()
                .any(|(k, _)| *k == NameKind::Person)
        );
    }

    #[test]
    fn places() {
        assert!(has(
            "He flew to Berlin on Monday.",
            NameKind::Location,
            "Berlin"
        ));
        assert!(has("Он живёт в Москве.", NameKind::Location, "Москва"));
        assert!(has(
            "Shares of Siemens AG rose.",
            NameKind::Company,
            "Siemens AG"
        ));
        // A place that is a person's name.
        assert!(has(
            "Paris Hilton arrived",
            NameKind::Person,
            "Paris Hilton"
        ));
    }
}
