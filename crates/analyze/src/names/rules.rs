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

use super::gazetteer::{PlaceKind, gazetteer};
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
        Kind::Word if t.is_capitalized() => {
            if lex.is_title(&t.folded) {
                Class::Title
            } else if lex.is_person_particle(&t.folded) && t.shape == Shape::Capitalized {
                // `Le Pen`, `Van Ruymbeke`; a sentence's `Der` or `La` harms no one here.
                Class::Connector
            } else if lex.is_stopword(&t.folded) && !is_legal_form(t) {
                Class::Stop
            } else {
                Class::Name
            }
        }
        // `HSBC Holdings plc`: a legal form in lowercase still ends a company's name.
        Kind::Word if is_legal_form(t) => Class::Name,
        Kind::Word if lex.is_person_particle(&t.folded) || lex.is_org_connector(&t.folded) => {
            Class::Connector
        }
        // `M. Dupont`: a title, not an initial.
        Kind::Dotted if lex.is_title(&t.folded) && !is_legal_form(t) => Class::Title,
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
            "ov", "ev", "in", "ova", "eva", "ina", "skiy", "skaya", "enko", "uk",
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
                && !(last > k && self.starts_person(last + 1))
            {
                last += 1;
            }
            if last > k {
                self.emit(k, last, NameKind::Company);
            }
        }
    }

    /// `Федеральная налоговая служба`, `Центральном банке России`: a capitalised Russian
    /// adjective, perhaps more adjectives in lowercase, then a lowercase organisation word
    /// in any case, and what follows it as for other organisations.
    fn russian_orgs(&mut self) {
        let lex = lexicon();
        for i in 0..self.tokens.len() {
            let t = &self.tokens[i];
            if self.used[i]
                || t.shape != Shape::Capitalized
                || !is_cyrillic(self.word(i))
                || !is_russian_adjective(&t.folded)
            {
                continue;
            }
            let mut k = i + 1;
            while k < self.tokens.len() && k - i <= 3 {
                let tk = &self.tokens[k];
                let lower = tk.is_word() && tk.shape == Shape::Lower && !tk.newline_before;
                if !lower || self.used[k] || !is_cyrillic(self.word(k)) {
                    break;
                }
                if let Some(org) = lex.org_word_inflected(&tk.folded) {
                    let last = self.org_tail(k, true);
                    let kind = match org {
                        OrgKind::Company => NameKind::Company,
                        OrgKind::Organization => NameKind::Organization,
                    };
                    self.emit(i, last, kind);
                    break;
                }
                if !is_russian_adjective(&tk.folded) {
                    break;
                }
                k += 1;
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
                    Class::Name | Class::Dotted => {
                        !lexicon().is_introducer(&self.tokens[prev].folded)
                    }
                    Class::Connector => prev > start && self.connector_joins_org(prev),
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

    /// Whether the connector at `c` joins the names on both sides into one organisation
    /// name, looking leftwards from a legal form or organisation word: `&` always;
    /// `of`, `der` after an organisation word (`Bank of America Corp.`); the French and
    /// Spanish `de`, `du`, `del` also after a name inside a sentence (`Immobilière du Lac
    /// SARL`, not `Shares of Siemens AG` nor German nouns: `Vertretern der Siemens AG`);
    /// `and`, `und`, `y` between names of no person (`Hafen und Logistik AG`, not
    /// `Peter Jones and Acme Ltd`).
    fn connector_joins_org(&self, c: usize) -> bool {
        let lex = lexicon();
        let gaz = gazetteer();
        let t = &self.tokens[c];
        if t.is_punct('&') {
            return true;
        }
        let before = c - 1;
        if !self.is(before, Class::Name) || !self.is(c + 1, Class::Name) {
            return false;
        }
        let left = &self.tokens[before].folded;
        if is_conjunction(&t.folded) {
            !gaz.is_given_name(left) && !gaz.is_surname(left) && !self.sentence_start(before)
        } else {
            let romance = matches!(t.folded.as_str(), "de" | "du" | "des" | "del" | "d");
            lex.org_word(left).is_some() || (romance && !self.sentence_start(before))
        }
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

    /// `Deutsche Bank`, `Ministry of Finance`, `Banco de España`, `Сбербанк России`,
    /// `Banque centrale européenne`, `Министерство финансов России`.
    fn keyword_orgs(&mut self, start: usize, end: usize) {
        let lex = lexicon();
        for k in start..end {
            if !self.is(k, Class::Name) || lex.is_introducer(&self.tokens[k].folded) {
                continue;
            }
            let Some(org) = self.org_word_at(k) else {
                continue;
            };
            let mut first = k;
            while first > start && k - first < 5 {
                let prev = first - 1;
                let joins = if self.is(prev, Class::Name) {
                    !lex.is_introducer(&self.tokens[prev].folded)
                } else {
                    // `Securities and Exchange Commission`
                    self.is(prev, Class::Connector)
                        && is_conjunction(&self.tokens[prev].folded)
                        && prev > start
                        && self.connector_joins_org(prev)
                };
                if !joins {
                    break;
                }
                first = prev;
            }
            let last = self.org_tail(k, first == k);
            let kind = match org {
                OrgKind::Company => NameKind::Company,
                OrgKind::Organization => NameKind::Organization,
            };
            self.emit(first, last, kind);
        }
    }

    /// The organisation word at token `k`, Russian case endings allowed.
    fn org_word_at(&self, k: usize) -> Option<OrgKind> {
        let t = &self.tokens[k];
        if is_cyrillic(self.word(k)) {
            lexicon().org_word_inflected(&t.folded)
        } else {
            lexicon().org_word(&t.folded)
        }
    }

    /// The last token of an organisation's name whose organisation word is at `k`: to
    /// the right, connectors followed by names (`of the United Kingdom`); after a leading
    /// French or Spanish organisation word, lowercase adjectives (`centrale européenne`);
    /// after a leading Russian one, lowercase genitives when a name follows
    /// (`финансов России`).
    fn org_tail(&self, k: usize, leads: bool) -> usize {
        let lex = lexicon();
        let romance = leads && lex.is_romance_org_word(&self.tokens[k].folded);
        let russian = leads && is_cyrillic(self.word(k));
        let mut last = k;
        let mut j = k + 1;
        let mut lowercase = 0;
        while j < self.tokens.len() && j - k < MAX_ORG_TOKENS {
            let t = &self.tokens[j];
            if t.newline_before || self.used[j] {
                break;
            }
            // `Cour des comptes`, `Conseil de surveillance`: after a leading French or
            // Spanish organisation word, `de` and a lowercase noun.
            if romance
                && lowercase == 0
                && self.is(j, Class::Connector)
                && matches!(t.folded.as_str(), "de" | "des" | "du" | "del" | "d")
                && self.tokens.get(j + 1).is_some_and(|n| {
                    n.shape == Shape::Lower
                        && n.is_word()
                        && !lex.is_stopword(&n.folded)
                        && n.folded.len() >= 4
                        && !n.newline_before
                })
                && !self.used[j + 1]
            {
                lowercase += 1;
                last = j + 1;
                j += 2;
                continue;
            }
            if t.shape == Shape::Lower && t.is_word() && !lex.is_stopword(&t.folded) {
                let word = self.word(j);
                let adjective =
                    romance && !is_cyrillic(word) && is_romance_adjective(&word.to_lowercase());
                let genitive = russian && is_cyrillic(word) && is_russian_attribute(&t.folded);
                if (adjective || genitive) && lowercase < 3 {
                    lowercase += 1;
                    if adjective {
                        last = j;
                    }
                    j += 1;
                    continue;
                }
                break;
            }
            // Connectors, then a name.
            let mut n = j;
            while self.is(n, Class::Connector) {
                let conj = is_conjunction(&self.tokens[n].folded) || self.tokens[n].is_punct('&');
                // `X y el Partido Y` starts a second organisation.
                let next_plain_name =
                    self.is(n + 1, Class::Name) && self.org_word_at(n + 1).is_none();
                if conj && (!leads || !next_plain_name) {
                    return last;
                }
                n += 1;
            }
            if self.is(n, Class::Name) {
                last = n;
                j = n + 1;
            } else {
                break;
            }
        }
        last
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
            Class::Name if self.is_given_name_at(i) && !is_org_or_form(t) => {
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
                // `Renaud Van Ruymbeke`: a known name, particles, a name that is no place.
                if self.is(next, Class::Connector)
                    && (gaz.is_surname(&t.folded) || gaz.is_given_name(&t.folded))
                    && !gaz.is_place_name(&t.folded)
                {
                    let mut n = next;
                    while self.is(n, Class::Connector)
                        && lex.is_person_particle(&self.tokens[n].folded)
                    {
                        n += 1;
                    }
                    let last_ok = n > next
                        && n < end
                        && self.is(n, Class::Name)
                        && !is_org_or_form(&self.tokens[n])
                        && !gaz.is_place_name(&self.tokens[n].folded);
                    return (last_ok && self.emit(i, n, NameKind::Person)).then_some(n + 1);
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
    /// middle initials, particles followed by a name, and a closing regnal number
    /// (`Felipe VI`). `have` is the number of name words already taken; a person needs
    /// two. `None` if there is no name word at `j`.
    fn person_tail(&self, j: usize, end: usize, have: usize) -> Option<usize> {
        let lex = lexicon();
        let gaz = gazetteer();
        let mut last = None;
        let mut words = have;
        let mut saw_surname = false;
        let mut k = j;
        while k < self.tokens.len() && k - j < MAX_PERSON_TAIL + 2 {
            let t = &self.tokens[k];
            // A regnal number may be a stop word (`I`), so it may lie past the run.
            if words >= 2 && is_roman_numeral(self.word(k)) && !self.used[k] {
                last = Some(k);
                break;
            }
            if k >= end {
                break;
            }
            if self.is(k, Class::Name) && !is_org_or_form(t) && t.shape != Shape::Other {
                words += 1;
                last = Some(k);
                saw_surname |= gaz.is_surname(&t.folded) && !gaz.is_given_name(&t.folded);
            } else if self.is(k, Class::Dotted) && t.is_initials(self.text) {
                // A middle initial counts only with a name after it.
            } else if self.is(k, Class::Connector) && lex.is_person_particle(&t.folded) {
                // `von der Leyen`: particles count only with a name after them, and not
                // after a surname (`Markus Braun von Wirecard` is Braun of Wirecard).
                let mut n = k + 1;
                while self.is(n, Class::Connector) && lex.is_person_particle(&self.tokens[n].folded)
                {
                    n += 1;
                }
                // `Santiago de Chile`; a small town's name is no obstacle (`Le Pen`).
                let place_after = self.is(n, Class::Name)
                    && !gaz.is_surname(&self.tokens[n].folded)
                    && gaz
                        .place(&self.tokens[n].folded)
                        .is_some_and(|p| p.kind >= PlaceKind::Region);
                if saw_surname || place_after || !self.is(n, Class::Name) {
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

    /// A given name at token `i`, Russian case endings allowed (`Михаила`, `Дональдом`).
    fn is_given_name_at(&self, i: usize) -> bool {
        let gaz = gazetteer();
        let folded = &self.tokens[i].folded;
        if gaz.is_given_name(folded) {
            return true;
        }
        if !is_cyrillic(self.word(i)) {
            return false;
        }
        // Folded endings (`any_ascii` writes `й` as `y`, `я` as `ya`, `ю` as `yu`).
        [
            "om", "em", "oy", "ey", "oyu", "eyu", "yu", "ya", "a", "u", "e", "y", "i",
        ]
        .iter()
        .filter_map(|end| folded.strip_suffix(end))
        .filter(|stem| stem.len() >= 3)
        .any(|stem| {
            ["", "a", "y", "ya"]
                .iter()
                .any(|tail| gaz.is_given_name(&format!("{stem}{tail}")))
        })
    }

    /// Whether a person's name (a given name, then another name) starts at token `i`.
    fn starts_person(&self, i: usize) -> bool {
        self.is_given_name_at(i) && self.is(i + 1, Class::Name)
    }

    /// Places from the gazetteer, over every word not taken by a person or organisation.
    fn places(&mut self) {
        let gaz = gazetteer();
        let mut i = 0;
        let mut last_place = None::<usize>;
        while i < self.tokens.len() {
            let t = &self.tokens[i];
            if self.used[i] || !matches!(t.kind, Kind::Word | Kind::Dotted) || !t.is_capitalized() {
                i += 1;
                continue;
            }
            let locative = self.after_locative(i, last_place);
            // Longest match first.
            let mut key = String::new();
            let mut matched = None;
            for j in i..self.tokens.len().min(i + gaz.max_place_words + 2) {
                let tj = &self.tokens[j];
                let joinable = matches!(tj.kind, Kind::Word | Kind::Dotted);
                if self.used[j] || !joinable || (j > i && tj.newline_before) {
                    break;
                }
                if !key.is_empty() {
                    key.push(' ');
                }
                key.push_str(&tj.folded);
                if tj.is_capitalized() && gaz.place(&key).is_some() {
                    matched = Some(j);
                }
            }
            // In Russian, a place after a preposition is in an oblique case; its
            // nominative, when the gazetteer has it, is the better name.
            if matched.is_none_or(|last| last == i)
                && locative
                && let Some(nominative) = self.inflected_place(i)
            {
                self.push_place(i, i, nominative);
                last_place = Some(i);
                i += 1;
                continue;
            }
            match matched {
                Some(last) if last > i || self.plausible_single_place(i, locative) => {
                    let written = self.text[t.start..self.tokens[last].end].to_owned();
                    self.push_place(i, last, written);
                    last_place = Some(last);
                    i = last + 1;
                }
                _ => i += 1,
            }
        }
    }

    /// Whether token `i` follows a preposition of place (`in`, `aus`, `в`), or a
    /// conjunction right after another place (`in Bogotá y Lima`).
    fn after_locative(&self, i: usize, last_place: Option<usize>) -> bool {
        let lex = lexicon();
        let Some(prev) = i.checked_sub(1).map(|p| &self.tokens[p]) else {
            return false;
        };
        if !prev.is_word() {
            return false;
        }
        lex.is_locative(&prev.folded)
            || (is_conjunction(&prev.folded)
                || matches!(prev.folded.as_str(), "i" | "ili" | "or" | "ou" | "o"))
                && i >= 2
                && last_place == Some(i - 2)
    }

    /// A one-word place name is taken only when it is unlikely to be something else: not
    /// a person's name or a common word (unless after a preposition of place), not a
    /// short all-capitals word, and not next to another capitalised name (`Wells Fargo`,
    /// `Berlin Brandenburg Airport`).
    fn plausible_single_place(&self, i: usize, locative: bool) -> bool {
        if locative {
            return true;
        }
        let gaz = gazetteer();
        let lex = lexicon();
        let t = &self.tokens[i];
        let Some(place) = gaz.place(&t.folded) else {
            return false;
        };
        let national = matches!(place.kind, PlaceKind::Country | PlaceKind::Capital);
        let person_word = gaz.is_given_name(&t.folded) || gaz.is_surname(&t.folded);
        let weak = lex.is_weak_place(&t.folded) || lex.is_stopword(&t.folded);
        let letters = self.word(i).chars().filter(|c| c.is_alphabetic()).count();
        let short = letters < 4 || (t.shape == Shape::Upper && letters < 3);
        let name_next = self
            .tokens
            .get(i + 1)
            .is_some_and(|n| n.shape == Shape::Capitalized && n.is_word() && !n.newline_before);
        let name_before = i > 0
            && self.classes[i - 1] == Class::Name
            && self.tokens[i - 1].is_word()
            && !self.tokens[i].newline_before;
        !(person_word || weak || (short && !national) || name_next || name_before)
    }

    /// A Russian place name in another case (`в Москве`, `из Берлина`): the nominative,
    /// guessed by swapping common endings, if the gazetteer knows it.
    fn inflected_place(&self, i: usize) -> Option<String> {
        let t = &self.tokens[i];
        let word = self.word(i);
        if !is_cyrillic(word) || t.shape != Shape::Capitalized {
            return None;
        }
        let gaz = gazetteer();
        let chars: Vec<char> = word.chars().collect();
        let mut best: Option<(PlaceKind, String)> = None;
        for (ending, replacements) in [
            ("ии", &["ия"][..]),
            ("ию", &["ия"][..]),
            ("ой", &["а", "ая"][..]),
            ("ом", &[""][..]),
            ("е", &["", "а", "я", "ь"][..]),
            ("и", &["ь", "я", "а"][..]),
            ("у", &["", "а"][..]),
            ("а", &["", "ь"][..]),
            ("ы", &["а"][..]),
            ("ю", &["я", "ь"][..]),
        ] {
            let n = ending.chars().count();
            if chars.len() <= n + 2 || !word.ends_with(ending) {
                continue;
            }
            let stem: String = chars[..chars.len() - n].iter().collect();
            for r in replacements {
                let nominative = format!("{stem}{r}");
                if let Some(place) = gaz.place(&crate::fold::fold(&nominative))
                    && best.as_ref().is_none_or(|(kind, _)| place.kind > *kind)
                {
                    best = Some((place.kind, nominative));
                }
            }
        }
        best.map(|(_, name)| name)
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

/// Roman numerals that end a monarch's or a pope's name.
fn is_roman_numeral(word: &str) -> bool {
    matches!(
        word,
        "I" | "II"
            | "III"
            | "IV"
            | "V"
            | "VI"
            | "VII"
            | "VIII"
            | "IX"
            | "X"
            | "XI"
            | "XII"
            | "XIII"
            | "XIV"
            | "XV"
            | "XVI"
    )
}

/// French and Spanish adjective endings (`centrale`, `monétaire`, `socialista`); the
/// accents matter (`publicó` is a verb).
fn is_romance_adjective(word: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "al", "ale", "ales", "aux", "ien", "ienne", "ais", "aise", "ain", "aine", "ique", "iques",
        "iste", "el", "elle", "if", "ive", "ier", "iers", "ière", "ières", "aire", "aires", "ois",
        "oise", "éen", "éenne", "ano", "ana", "anos", "anas", "ico", "ica", "icos", "icas", "ista",
        "ivo", "iva", "ero", "era", "ense", "ario", "aria", "ol", "ola",
    ];
    word.chars().count() >= 4 && ENDINGS.iter().any(|e| word.ends_with(e))
}

/// Russian adjective endings in any case, folded (`Федеральная`, `Центральном`).
fn is_russian_adjective(folded: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "yy", "iy", "oy", "aya", "oe", "ee", "ogo", "ego", "omu", "emu", "om", "em", "ykh", "ikh",
        "uyu", "yuyu",
    ];
    folded.len() >= 5 && ENDINGS.iter().any(|e| folded.ends_with(e))
}

/// Russian genitive and adjective endings, folded (`финансов`, `иностранных`).
fn is_russian_attribute(folded: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "ov", "ev", "ykh", "ikh", "oy", "ogo", "ego", "skiy", "skoy", "stva", "niya", "tsii",
    ];
    folded.len() >= 4 && ENDINGS.iter().any(|e| folded.ends_with(e))
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
            "La Banque centrale européenne a",
            NameKind::Company,
            "Banque centrale européenne"
        ));
        assert!(has(
            "El Ministerio de Justicia publicó",
            NameKind::Organization,
            "Ministerio de Justicia"
        ));
        assert!(has(
            "La Cour des comptes a publié",
            NameKind::Organization,
            "Cour des comptes"
        ));
        assert!(has(
            "Федеральная налоговая служба проверила",
            NameKind::Organization,
            "Федеральная налоговая служба"
        ));
        assert!(has(
            "работает в Центральном банке России.",
            NameKind::Company,
            "Центральном банке России"
        ));
        assert!(has(
            "La société Immobilière du Lac SARL a",
            NameKind::Company,
            "Immobilière du Lac SARL"
        ));
        assert!(has(
            "für die Hamburger Hafen und Logistik AG.",
            NameKind::Company,
            "Hamburger Hafen und Logistik AG"
        ));
        assert!(has(
            "at HSBC Holdings plc today",
            NameKind::Company,
            "HSBC Holdings plc"
        ));
        assert!(has(
            "Vertretern der Siemens AG",
            NameKind::Company,
            "Siemens AG"
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
        assert!(has(
            "Marine Le Pen a tenu un meeting",
            NameKind::Person,
            "Marine Le Pen"
        ));
        assert!(has(
            "M. François Fillon et Mme Penelope Fillon",
            NameKind::Person,
            "François Fillon"
        ));
        assert!(has(
            "Mme Penelope Fillon",
            NameKind::Person,
            "Penelope Fillon"
        ));
        assert!(has(
            "Juan Carlos I abdicó en 2014.",
            NameKind::Person,
            "Juan Carlos I"
        ));
        assert!(has(
            "Carmen Fernández López vive en Sevilla",
            NameKind::Person,
            "Carmen Fernández López"
        ));
        assert!(has(
            "a Михаила Ходорковского",
            NameKind::Person,
            "Михаила Ходорковского"
        ));
        // A place that reads like a person.
        assert!(
            !names("publicó la lista en Santiago de Chile.")
                .iter()
                .any(|(k, _)| *k == NameKind::Person)
        );
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
        assert!(has("ушли в Латвию и Италию", NameKind::Location, "Латвия"));
        assert!(has("ушли в Латвию и Италию", NameKind::Location, "Италия"));
        assert!(has(
            "зарегистрировано в Самаре.",
            NameKind::Location,
            "Самара"
        ));
        assert!(has(
            "pasaron por Bogotá y Lima.",
            NameKind::Location,
            "Lima"
        ));
        assert!(has(
            "Frankfurt am Main",
            NameKind::Location,
            "Frankfurt am Main"
        ));
        assert!(
            !names("criticised Wells Fargo at")
                .iter()
                .any(|(k, _)| *k == NameKind::Location)
        );
        // A place that is a person's name.
        assert!(has(
            "Paris Hilton arrived",
            NameKind::Person,
            "Paris Hilton"
        ));
    }
}
