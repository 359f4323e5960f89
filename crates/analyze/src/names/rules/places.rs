//! Places from the gazetteer, with care for names that are also words or people's
//! names, and Russian place names in oblique cases.

use super::super::gazetteer::{PlaceKind, gazetteer};
use super::super::lexicon::lexicon;
use super::super::tokens::{Kind, Shape};
use super::super::{NameKind, NameSpan};
use super::{Class, Pass, is_conjunction};
use crate::fold::is_cyrillic;

impl Pass<'_> {
    /// Places from the gazetteer, over every word not taken by a person or organisation.
    pub(super) fn places(&mut self) {
        let gaz = gazetteer();
        let mut i = 0;
        let mut last_place = None::<usize>;
        // One buffer for the candidate names of the whole text.
        let mut key = String::new();
        while i < self.tokens.len() {
            let t = &self.tokens[i];
            if self.used[i] || !matches!(t.kind, Kind::Word | Kind::Dotted) || !t.is_capitalized() {
                i += 1;
                continue;
            }
            let locative = self.after_locative(i, last_place);
            // Longest match first.
            key.clear();
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
                key.push_str(tj.folded);
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
    pub(super) fn after_locative(&self, i: usize, last_place: Option<usize>) -> bool {
        let lex = lexicon();
        let Some(prev) = i.checked_sub(1).map(|p| &self.tokens[p]) else {
            return false;
        };
        if !prev.is_word() {
            return false;
        }
        lex.is_locative(prev.folded)
            || (is_conjunction(prev.folded)
                || matches!(prev.folded, "i" | "ili" | "or" | "ou" | "o"))
                && i >= 2
                && last_place == Some(i - 2)
    }

    /// A one-word place name is taken only when it is unlikely to be something else: not
    /// a person's name or a common word (unless after a preposition of place), not a
    /// short all-capitals word, and not next to another capitalised name (`Wells Fargo`,
    /// `Berlin Brandenburg Airport`).
    pub(super) fn plausible_single_place(&self, i: usize, locative: bool) -> bool {
        if locative {
            return true;
        }
        let gaz = gazetteer();
        let lex = lexicon();
        let t = &self.tokens[i];
        let Some(place) = gaz.place(t.folded) else {
            return false;
        };
        let national = matches!(place.kind, PlaceKind::Country | PlaceKind::Capital);
        let person_word = gaz.is_given_name(t.folded) || gaz.is_surname(t.folded);
        let weak = lex.is_weak_place(t.folded) || lex.is_stopword(t.folded);
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
    pub(super) fn inflected_place(&self, i: usize) -> Option<String> {
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

    pub(super) fn push_place(&mut self, first: usize, last: usize, name: String) {
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

#[cfg(test)]
mod tests {
    use super::super::super::NameKind;
    use super::super::tests::{has, names};

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
