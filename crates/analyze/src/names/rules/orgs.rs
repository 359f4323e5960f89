//! Organisations: legal forms before or after a name, organisation words, and the
//! lowercase words French, Spanish and Russian put inside institution names.

use super::super::NameKind;
use super::super::gazetteer::gazetteer;
use super::super::lexicon::{OrgKind, lexicon};
use super::super::tokens::{Kind, Shape};
use super::{Class, MAX_ORG_TOKENS, Pass, is_conjunction, is_legal_form};
use crate::fold::is_cyrillic;

impl Pass<'_> {
    /// `ООО «Ромашка»`, `ПАО Сбербанк`: a legal form, then a quoted or capitalised name.
    pub(super) fn prefix_orgs(&mut self) {
        let lex = lexicon();
        for k in 0..self.tokens.len() {
            let t = &self.tokens[k];
            let capitals = t.shape == Shape::Upper;
            if self.used[k] || !t.is_word() || !lex.is_prefix_form(t.folded, capitals) {
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
    pub(super) fn russian_orgs(&mut self) {
        let lex = lexicon();
        for i in 0..self.tokens.len() {
            let t = &self.tokens[i];
            if self.used[i]
                || t.shape != Shape::Capitalized
                || !is_cyrillic(self.word(i))
                || !is_russian_adjective(t.folded)
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
                if let Some(org) = lex.org_word_inflected(tk.folded) {
                    let last = self.org_tail(k, true);
                    let kind = match org {
                        OrgKind::Company => NameKind::Company,
                        OrgKind::Organization => NameKind::Organization,
                    };
                    self.emit(i, last, kind);
                    break;
                }
                if !is_russian_adjective(tk.folded) {
                    break;
                }
                k += 1;
            }
        }
    }

    /// `Siemens AG`, `Müller & Söhne GmbH & Co. KG`, `Acme Holdings Ltd.`
    pub(super) fn suffix_orgs(&mut self, start: usize, end: usize) {
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
                        !lexicon().is_introducer(self.tokens[prev].folded)
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
    pub(super) fn connector_joins_org(&self, c: usize) -> bool {
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
        if is_conjunction(t.folded) {
            !gaz.is_given_name(left) && !gaz.is_surname(left) && !self.sentence_start(before)
        } else {
            let romance = matches!(t.folded, "de" | "du" | "des" | "del" | "d");
            lex.org_word(left).is_some() || (romance && !self.sentence_start(before))
        }
    }

    /// `Deutsche Bank`, `Ministry of Finance`, `Banco de España`, `Сбербанк России`,
    /// `Banque centrale européenne`, `Министерство финансов России`.
    pub(super) fn keyword_orgs(&mut self, start: usize, end: usize) {
        let lex = lexicon();
        for k in start..end {
            if !self.is(k, Class::Name) || lex.is_introducer(self.tokens[k].folded) {
                continue;
            }
            let Some(org) = self.org_word_at(k) else {
                continue;
            };
            let mut first = k;
            while first > start && k - first < 5 {
                let prev = first - 1;
                let joins = if self.is(prev, Class::Name) {
                    !lex.is_introducer(self.tokens[prev].folded)
                } else {
                    // `Securities and Exchange Commission`
                    self.is(prev, Class::Connector)
                        && is_conjunction(self.tokens[prev].folded)
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
    pub(super) fn org_word_at(&self, k: usize) -> Option<OrgKind> {
        let t = &self.tokens[k];
        if is_cyrillic(self.word(k)) {
            lexicon().org_word_inflected(t.folded)
        } else {
            lexicon().org_word(t.folded)
        }
    }

    /// The last token of an organisation's name whose organisation word is at `k`: to
    /// the right, connectors followed by names (`of the United Kingdom`); after a leading
    /// French or Spanish organisation word, lowercase adjectives (`centrale européenne`);
    /// after a leading Russian one, lowercase genitives when a name follows
    /// (`финансов России`).
    pub(super) fn org_tail(&self, k: usize, leads: bool) -> usize {
        let lex = lexicon();
        let romance = leads && lex.is_romance_org_word(self.tokens[k].folded);
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
                && matches!(t.folded, "de" | "des" | "du" | "del" | "d")
                && self.tokens.get(j + 1).is_some_and(|n| {
                    n.shape == Shape::Lower
                        && n.is_word()
                        && !lex.is_stopword(n.folded)
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
            if t.shape == Shape::Lower && t.is_word() && !lex.is_stopword(t.folded) {
                let word = self.word(j);
                let adjective =
                    romance && !is_cyrillic(word) && is_romance_adjective(&word.to_lowercase());
                let genitive = russian && is_cyrillic(word) && is_russian_attribute(t.folded);
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
                let conj = is_conjunction(self.tokens[n].folded) || self.tokens[n].is_punct('&');
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
    use super::super::super::NameKind;
    use super::super::tests::has;

    #[test]
    fn spanish_courts() {
        assert!(has(
            "declaró en la Audiencia Nacional ayer",
            NameKind::Organization,
            "Audiencia Nacional"
        ));
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
}
