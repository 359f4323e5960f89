//! Words that are not the name: legal forms, honorifics, generic business words, particles.
//!
//! Our own tables, written for the spellings that turn up in registries and leaks: a
//! legal form is recognised as a sequence of ASCII tokens (after transliteration), so
//! "ООО", "OOO", "o.o.o." and "Obshchestvo s ogranichennoy otvetstvennostyu" are one form.

use serde::Serialize;

/// The kind of company a legal form declares. Spellings of one kind compare equal;
/// a conflict between two kinds is weak evidence against a match (registries disagree,
/// companies convert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    /// Private company with limited liability: Ltd, LLC, ООО, GmbH, SARL, BV, sp. z o.o.
    Llc,
    /// Joint-stock or public company: PLC, AG, S.A., N.V., АО/ПАО, JSC, S.p.A.
    Jsc,
    /// US-style corporation: Inc., Corp.
    Inc,
    /// Partnerships: LP, LLP, KG, GmbH & Co. KG, OHG.
    Partnership,
    /// Cooperatives.
    Cooperative,
    /// Foundations.
    Foundation,
    /// Sole traders: ИП, ФОП, e.K.
    SoleTrader,
}

impl LegalForm {
    /// The canonical token, as it appears in fingerprints and explanations.
    pub fn canonical(self) -> &'static str {
        match self {
            LegalForm::Llc => "llc",
            LegalForm::Jsc => "jsc",
            LegalForm::Inc => "inc",
            LegalForm::Partnership => "lp",
            LegalForm::Cooperative => "coop",
            LegalForm::Foundation => "foundation",
            LegalForm::SoleTrader => "sole",
        }
    }
}

/// Where a legal-form phrase may stand. Short forms that are also ordinary words or
/// initials ("sa", "as", "ab", "ag") count only at the start or end of a name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Anywhere,
    Edge,
}

use LegalForm::*;
use Position::*;

/// Legal-form phrases, as ASCII tokens separated by spaces.
const LEGAL_FORMS: &[(&str, LegalForm, Position)] = &[
    // Private limited companies.
    ("ltd", Llc, Anywhere),
    ("limited", Llc, Edge),
    ("llc", Llc, Anywhere),
    ("l l c", Llc, Edge),
    ("l t d", Llc, Edge),
    ("limited liability company", Llc, Anywhere),
    ("limited liability co", Llc, Anywhere),
    ("limited company", Llc, Edge),
    ("company limited", Llc, Edge),
    ("co ltd", Llc, Anywhere),
    ("ltd co", Llc, Anywhere),
    ("pty ltd", Llc, Anywhere),
    ("pvt ltd", Llc, Anywhere),
    ("private limited", Llc, Edge),
    ("pte ltd", Llc, Anywhere),
    ("pte", Llc, Edge),
    ("ooo", Llc, Anywhere),
    ("o o o", Llc, Edge),
    (
        "obshchestvo s ogranichennoy otvetstvennostyu",
        Llc,
        Anywhere,
    ),
    (
        "obshchestvo s ogranichennoi otvetstvennostiu",
        Llc,
        Anywhere,
    ),
    ("tov", Llc, Edge),
    ("t o v", Llc, Edge),
    ("tovaristvo z obmezhenoyu vidpovidalnistyu", Llc, Anywhere),
    ("too", Llc, Edge),
    ("gmbh", Llc, Anywhere),
    ("g m b h", Llc, Edge),
    ("gesellschaft mit beschrankter haftung", Llc, Anywhere),
    ("sarl", Llc, Anywhere),
    ("s a r l", Llc, Edge),
    ("srl", Llc, Edge),
    ("s r l", Llc, Edge),
    ("sro", Llc, Edge),
    ("s r o", Llc, Edge),
    ("bv", Llc, Edge),
    ("b v", Llc, Edge),
    ("besloten vennootschap", Llc, Anywhere),
    ("sp z o o", Llc, Edge),
    ("spolka z ograniczona odpowiedzialnoscia", Llc, Anywhere),
    ("kft", Llc, Edge),
    ("doo", Llc, Edge),
    ("d o o", Llc, Edge),
    ("ood", Llc, Edge),
    ("eood", Llc, Edge),
    ("ltda", Llc, Edge),
    ("sociedad limitada", Llc, Anywhere),
    ("sociedad de responsabilidad limitada", Llc, Anywhere),
    ("societe a responsabilite limitee", Llc, Anywhere),
    ("sl", Llc, Edge),
    ("s l", Llc, Edge),
    ("co limited", Llc, Edge),
    // Free-zone companies of the Emirates.
    ("fz llc", Llc, Anywhere),
    ("fze", Llc, Edge),
    ("fzco", Llc, Edge),
    ("fzc", Llc, Edge),
    ("limitada", Llc, Edge),
    ("aps", Llc, Edge),
    ("sdn bhd", Llc, Anywhere),
    ("bhd", Llc, Edge),
    // Joint-stock and public companies.
    ("plc", Jsc, Anywhere),
    ("p l c", Jsc, Edge),
    ("public limited company", Jsc, Anywhere),
    ("ag", Jsc, Edge),
    ("a g", Jsc, Edge),
    ("aktiengesellschaft", Jsc, Anywhere),
    ("sa", Jsc, Edge),
    ("s a", Jsc, Edge),
    ("societe anonyme", Jsc, Anywhere),
    ("sociedad anonima", Jsc, Anywhere),
    ("sa de cv", Jsc, Edge),
    ("s a de c v", Jsc, Edge),
    ("sas", Jsc, Edge),
    ("s a s", Jsc, Edge),
    ("spa", Jsc, Edge),
    ("s p a", Jsc, Edge),
    ("nv", Jsc, Edge),
    ("n v", Jsc, Edge),
    ("naamloze vennootschap", Jsc, Anywhere),
    ("ao", Jsc, Edge),
    ("zao", Jsc, Edge),
    ("oao", Jsc, Edge),
    ("pao", Jsc, Edge),
    ("jsc", Jsc, Anywhere),
    ("ojsc", Jsc, Anywhere),
    ("cjsc", Jsc, Anywhere),
    ("pjsc", Jsc, Anywhere),
    ("joint stock company", Jsc, Anywhere),
    ("joint stock co", Jsc, Anywhere),
    ("aktsionernoe obshchestvo", Jsc, Anywhere),
    ("publichnoe aktsionernoe obshchestvo", Jsc, Anywhere),
    ("zakrytoe aktsionernoe obshchestvo", Jsc, Anywhere),
    ("otkrytoe aktsionernoe obshchestvo", Jsc, Anywhere),
    ("at", Jsc, Edge),
    ("pat", Jsc, Edge),
    ("prat", Jsc, Edge),
    ("as", Jsc, Edge),
    ("a s", Jsc, Edge),
    ("asa", Jsc, Edge),
    ("ab", Jsc, Edge),
    ("oyj", Jsc, Edge),
    ("kk", Jsc, Edge),
    ("kabushiki kaisha", Jsc, Anywhere),
    // US corporations.
    ("inc", Inc, Anywhere),
    ("incorporated", Inc, Edge),
    ("corp", Inc, Edge),
    ("corporation", Inc, Edge),
    // Partnerships.
    ("lp", Partnership, Edge),
    ("l p", Partnership, Edge),
    ("llp", Partnership, Anywhere),
    ("l l p", Partnership, Edge),
    ("limited partnership", Partnership, Edge),
    ("limited liability partnership", Partnership, Anywhere),
    ("kg", Partnership, Edge),
    ("gmbh co kg", Partnership, Anywhere),
    ("gmbh und co kg", Partnership, Anywhere),
    ("ohg", Partnership, Edge),
    ("gbr", Partnership, Edge),
    ("snc", Partnership, Edge),
    // Cooperatives, foundations, sole traders.
    ("coop", Cooperative, Edge),
    ("co op", Cooperative, Edge),
    ("cooperative", Cooperative, Edge),
    ("eg", Cooperative, Edge),
    ("foundation", Foundation, Edge),
    ("stiftung", Foundation, Edge),
    ("fondation", Foundation, Edge),
    ("fundacion", Foundation, Edge),
    ("ip", SoleTrader, Edge),
    ("individualnyy predprinimatel", SoleTrader, Anywhere),
    ("individualnyi predprinimatel", SoleTrader, Anywhere),
    ("fop", SoleTrader, Edge),
    ("sole trader", SoleTrader, Edge),
    ("sole proprietorship", SoleTrader, Edge),
    ("e k", SoleTrader, Edge),
];

/// Remove legal-form phrases from an organisation's tokens, returning the forms found.
/// The longest phrase wins; a name is never stripped to nothing.
pub(crate) fn strip_legal_forms(tokens: &mut Vec<String>) -> Vec<LegalForm> {
    let mut forms = Vec::new();
    loop {
        let mut best: Option<(usize, usize, LegalForm)> = None;
        for start in 0..tokens.len() {
            for &(phrase, form, position) in LEGAL_FORMS {
                let len = phrase_matches(phrase, &tokens[start..]);
                if len == 0 || len >= tokens.len() {
                    continue;
                }
                let at_edge = start == 0 || start + len == tokens.len();
                if position == Edge && !at_edge {
                    continue;
                }
                if best.is_none_or(|(_, l, _)| len > l) {
                    best = Some((start, len, form));
                }
            }
        }
        let Some((start, len, form)) = best else {
            break;
        };
        tokens.drain(start..start + len);
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// How many tokens the phrase covers at the start of `tokens` (0: no match).
fn phrase_matches(phrase: &str, tokens: &[String]) -> usize {
    let mut count = 0;
    for word in phrase.split(' ') {
        match tokens.get(count) {
            Some(t) if t == word => count += 1,
            _ => return 0,
        }
    }
    count
}

/// Titles and suffixes that say nothing about which person is meant.
const HONORIFICS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lord", "lady", "rev", "hon",
    "mme", "mlle", "herr", "frau", "sheikh", "shaikh", "sheik", "haji", "hajji", "gen", "col",
    "maj", "capt", "lt", "sgt", "jr", "sr", "phd", "esq", "dipl", "ing",
];

/// Remove honorifics from a person's tokens, unless nothing else would be left.
pub(crate) fn strip_honorifics(tokens: &mut Vec<String>) {
    let keep = tokens
        .iter()
        .filter(|t| !HONORIFICS.contains(&t.as_str()))
        .count();
    if keep > 0 {
        tokens.retain(|t| !HONORIFICS.contains(&t.as_str()));
    }
}

/// Words too common in organisation names to identify one ("Acme Trading" and "Zenith
/// Trading" share nothing that matters).
const GENERIC_ORG_WORDS: &[&str] = &[
    "trading",
    "trade",
    "group",
    "holding",
    "holdings",
    "international",
    "intl",
    "company",
    "co",
    "services",
    "service",
    "investments",
    "investment",
    "invest",
    "management",
    "consulting",
    "global",
    "capital",
    "industries",
    "industrial",
    "enterprises",
    "enterprise",
    "partners",
    "solutions",
    "systems",
    "technologies",
    "technology",
    "development",
    "construction",
    "energy",
    "import",
    "export",
    "logistics",
    "finance",
    "financial",
    "resources",
    "ventures",
    "properties",
    "property",
    "bank",
    "shipping",
    "media",
    "pharma",
    "pharmaceuticals",
    "foods",
    "food",
    "motors",
    "transport",
    "engineering",
    "firma",
    "kompaniya",
    "gruppa",
    "tsentr",
    "center",
    "centre",
    "associates",
    "agency",
    "limited",
    "corporation",
    "corp",
];

/// Connecting words in organisation names.
const STOP_WORDS: &[&str] = &[
    "the", "and", "of", "for", "und", "et", "y", "i", "a", "an", "in", "on", "at", "to", "by",
];

/// Surname particles that do not identify a family on their own.
const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "da", "di", "du", "la", "le", "dos", "das", "del", "della",
    "ten", "ter", "zu",
];

/// Arabic particles that are written both joined and apart ("Al-Rashid", "Alrashid",
/// "Abdul Rahman", "Abdulrahman"); we always join them to the next word.
const JOINED_PARTICLES: &[&str] = &["al", "el", "ul", "abd", "abdul", "abdel", "abu", "bou"];

pub(crate) fn is_generic_org_word(token: &str) -> bool {
    GENERIC_ORG_WORDS.contains(&token)
}

pub(crate) fn is_stop_word(token: &str) -> bool {
    STOP_WORDS.contains(&token)
}

pub(crate) fn is_particle(token: &str) -> bool {
    PARTICLES.contains(&token)
}

/// Join Arabic particles to the word that follows them; a particle followed by another
/// ("Abd al-Rahman") joins both to the word after.
pub(crate) fn join_particles(tokens: &mut Vec<String>) {
    let mut i = 0;
    while i + 1 < tokens.len() {
        if JOINED_PARTICLES.contains(&tokens[i].as_str()) {
            let next = tokens.remove(i + 1);
            let next_is_particle = JOINED_PARTICLES.contains(&next.as_str());
            tokens[i].push_str(&next);
            if next_is_particle && i + 1 < tokens.len() {
                let after = tokens.remove(i + 1);
                tokens[i].push_str(&after);
            }
        }
        i += 1;
    }
}

/// Whether a token looks like an East Slavic or Turkic patronymic ("Vladimirovich",
/// "Ivanovna", "Ogly"): present in one record of a person and absent in another.
pub(crate) fn is_patronymic(token: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "ovich", "evich", "ovych", "evych", "ovitch", "evitch", "ovic", "evic", "ovna", "evna",
        "ivna", "ichna", "yevich", "yevna", "owitsch", "ewitsch", "owna", "ewna",
    ];
    token.len() > 6 && ENDINGS.iter().any(|e| token.ends_with(e))
        || matches!(token, "ogly" | "oglu" | "kyzy" | "qizi" | "gizi")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(raw: &str) -> (Vec<String>, Vec<LegalForm>) {
        let mut tokens = crate::normalize::tokenize(raw);
        let forms = strip_legal_forms(&mut tokens);
        (tokens, forms)
    }

    #[test]
    fn legal_forms_in_many_spellings() {
        assert_eq!(strip("ACME Ltd"), (vec!["acme".into()], vec![Llc]));
        assert_eq!(strip("Acme Limited"), (vec!["acme".into()], vec![Llc]));
        assert_eq!(strip("ООО Акме"), (vec!["akme".into()], vec![Llc]));
        assert_eq!(strip("OOO «Акме»"), (vec!["akme".into()], vec![Llc]));
        assert_eq!(
            strip("Общество с ограниченной ответственностью «Ромашка»"),
            (vec!["romashka".into()], vec![Llc])
        );
        assert_eq!(strip("Siemens AG"), (vec!["siemens".into()], vec![Jsc]));
        assert_eq!(strip("Nestlé S.A."), (vec!["nestle".into()], vec![Jsc]));
        assert_eq!(
            strip("Müller GmbH & Co. KG"),
            (vec!["muller".into()], vec![Partnership])
        );
        assert_eq!(strip("Apple Inc."), (vec!["apple".into()], vec![Inc]));
        assert_eq!(
            strip("Varri Sociedad Limitada"),
            (vec!["varri".into()], vec![Llc])
        );
        assert_eq!(strip("Varri, S.L."), (vec!["varri".into()], vec![Llc]));
        assert_eq!(
            strip("Meridian FZ-LLC"),
            (vec!["meridian".into()], vec![Llc])
        );
        assert_eq!(strip("Meridian FZE"), (vec!["meridian".into()], vec![Llc]));
        assert_eq!(strip("Acme Co., Limited"), (vec!["acme".into()], vec![Llc]));
    }

    #[test]
    fn ambiguous_short_forms_only_at_the_edges() {
        // "as" in the middle is a word, at the end a Norwegian/Czech legal form.
        let (tokens, forms) = strip("Such As Acme");
        assert_eq!(tokens, ["such", "as", "acme"]);
        assert!(forms.is_empty());
        assert_eq!(strip("Equinor ASA").1, vec![Jsc]);
        // A name that is only a legal form keeps it.
        assert_eq!(strip("Limited").0, ["limited"]);
    }

    #[test]
    fn particles_and_patronymics() {
        let mut tokens = crate::normalize::tokenize("Omar Al-Rashid");
        join_particles(&mut tokens);
        assert_eq!(tokens, ["omar", "alrashid"]);
        let mut tokens = crate::normalize::tokenize("Abd al-Rahman Othman");
        join_particles(&mut tokens);
        assert_eq!(tokens, ["abdalrahman", "othman"]);
        assert!(is_patronymic("vladimirovich"));
        assert!(is_patronymic("ivanovna"));
        // German transliterations of the feminine forms.
        assert!(is_patronymic("alekseewna"));
        assert!(is_patronymic("iwanowna"));
        assert!(!is_patronymic("ivanov"));
        let mut tokens = crate::normalize::tokenize("Dr. John Smith Jr.");
        strip_honorifics(&mut tokens);
        assert_eq!(tokens, ["john", "smith"]);
    }
}
