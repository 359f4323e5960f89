//! People: given names, titles, initials, particles, patronymics and regnal numbers.

use super::super::NameKind;
use super::super::gazetteer::{PlaceKind, gazetteer};
use super::super::lexicon::lexicon;
use super::super::tokens::{Shape, Token};
use super::{Class, MAX_PERSON_TAIL, Pass, is_org_or_form};
use crate::fold::is_cyrillic;

impl Pass<'_> {
    pub(super) fn people(&mut self, start: usize, end: usize) {
        let mut i = start;
        while i < end {
            let next = self.person_at(i, end).unwrap_or(i + 1);
            i = next.max(i + 1);
        }
    }

    /// Try the person rules at token `i`; the index after the person if one was found.
    pub(super) fn person_at(&mut self, i: usize, end: usize) -> Option<usize> {
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
                let strong = gaz.is_surname(surname.folded)
                    || is_russian_surname_shape(surname, self.text)
                    || initials >= 2;
                let known_place = gaz.is_place_name(surname.folded);
                (strong && !known_place && self.emit(i, j, NameKind::Person)).then_some(j + 1)
            }
            Class::Name if t.shape == Shape::Capitalized && !is_org_or_form(t) => {
                let next = i + 1;
                // `Путин В. В.`, `Smith J.`: a surname, then initials.
                if self.is(next, Class::Dotted) && self.tokens[next].is_initials(self.text) {
                    let surname_like =
                        is_russian_surname_shape(t, self.text) || gaz.is_surname(t.folded);
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
                    && (gaz.is_surname(t.folded) || gaz.is_given_name(t.folded))
                    && !gaz.is_place_name(t.folded)
                {
                    let mut n = next;
                    while self.is(n, Class::Connector)
                        && lex.is_person_particle(self.tokens[n].folded)
                    {
                        n += 1;
                    }
                    let last_ok = n > next
                        && n < end
                        && self.is(n, Class::Name)
                        && !is_org_or_form(&self.tokens[n])
                        && !gaz.is_place_name(self.tokens[n].folded);
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
                if gaz.is_surname(t.folded) && gaz.is_given_name(self.tokens[next].folded) {
                    return self.emit(i, next, NameKind::Person).then_some(next + 1);
                }
                // An unknown first name before a known surname, closing the run.
                let closes = !self.is(after, Class::Name) || after >= end;
                let plain_first = !gaz.is_place_name(t.folded)
                    && !lex.is_stopword(t.folded)
                    && !lex.is_title(t.folded);
                let surname = &self.tokens[next];
                if closes
                    && plain_first
                    && surname.shape == Shape::Capitalized
                    && gaz.is_surname(surname.folded)
                    && !gaz.is_place_name(surname.folded)
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
    pub(super) fn person_tail(&self, j: usize, end: usize, have: usize) -> Option<usize> {
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
                saw_surname |= gaz.is_surname(t.folded) && !gaz.is_given_name(t.folded);
                // A German genitive (`Angela Merkels Sprecher`) ends the name: the
                // capitalised word after it is a noun.
                if words >= 2 && self.is_genitive_before_noun(k) {
                    break;
                }
            } else if self.is(k, Class::Dotted) && t.is_initials(self.text) {
                // A middle initial counts only with a name after it.
            } else if self.is(k, Class::Connector) && lex.is_person_particle(t.folded) {
                // `von der Leyen`: particles count only with a name after them, and not
                // after a surname (`Markus Braun von Wirecard` is Braun of Wirecard).
                let mut n = k + 1;
                while self.is(n, Class::Connector) && lex.is_person_particle(self.tokens[n].folded)
                {
                    n += 1;
                }
                // `Santiago de Chile`; a small town's name is no obstacle (`Le Pen`).
                let place_after = self.is(n, Class::Name)
                    && !gaz.is_surname(self.tokens[n].folded)
                    && gaz
                        .place(self.tokens[n].folded)
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

    /// `Merkels` in `Angela Merkels Sprecher`: an unknown word in `s` followed by an
    /// unknown capitalised word (a German noun). Known names in `s` (`Ramos`, `Andreas`)
    /// or a known name after it keep the name going.
    fn is_genitive_before_noun(&self, k: usize) -> bool {
        let gaz = gazetteer();
        let known = |f: &str| gaz.is_surname(f) || gaz.is_given_name(f);
        let t = &self.tokens[k];
        let next = k + 1;
        t.folded.len() > 4
            && t.folded.ends_with('s')
            && !known(t.folded)
            && self.is(next, Class::Name)
            && !self.tokens[next].newline_before
            && !known(self.tokens[next].folded)
    }

    /// A given name at token `i`, Russian case endings allowed (`Михаила`, `Дональдом`).
    pub(super) fn is_given_name_at(&self, i: usize) -> bool {
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
    pub(super) fn starts_person(&self, i: usize) -> bool {
        self.is_given_name_at(i) && self.is(i + 1, Class::Name)
    }
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

#[cfg(test)]
mod tests {
    use super::super::super::NameKind;
    use super::super::tests::{has, names};

    #[test]
    fn identifiers_are_not_names() {
        for text in [
            "Konto IBAN DE89 3704 0044 0532 0130 00 bei der Bank",
            "IBAN GB82 WEST 1234 5698 7654 32",
            "счёт LV80 BANK 0000 4351 9500 1 в Риге",
        ] {
            let found = names(text);
            assert!(
                found.iter().all(|(k, _)| *k != NameKind::Person),
                "{text}: {found:?}"
            );
            assert!(
                found
                    .iter()
                    .all(|(_, n)| !n.contains("IBAN") && !n.contains("80"))
            );
        }
    }

    #[test]
    fn a_german_genitive_ends_the_name() {
        assert_eq!(
            names("Angela Merkels Sprecher bestätigte das Treffen."),
            [(NameKind::Person, "Angela Merkels".to_owned())]
        );
        // Known names that end in `s` are no genitive.
        assert!(has(
            "Ayer Carlos Santos Rivera firmó.",
            NameKind::Person,
            "Carlos Santos Rivera"
        ));
        assert!(has(
            "Jonas Andreas Müller kam.",
            NameKind::Person,
            "Jonas Andreas Müller"
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
}
