//! Hand-written word lists for English, German, French, Spanish and Russian: the small,
//! closed classes of words that decide whether a run of capitalised words is a person,
//! an organisation or nothing (function words, titles, legal forms, organisation words).
//! Open classes (given names, surnames, places) come from the gazetteer.
//!
//! Entries are written as people write them and folded when the lexicon is built.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::fold::fold;

/// Function words and other words that start sentences or headings with a capital but
/// never begin or continue a name.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    // English
    "a", "an", "the", "this", "that", "these", "those", "i", "we", "you", "he", "she", "it",
    "they", "me", "him", "her", "us", "them", "my", "our", "your", "his", "its", "their",
    "in", "on", "at", "by", "for", "from", "to", "of", "with", "without", "about", "after",
    "before", "since", "until", "during", "under", "over", "between", "into", "through",
    "and", "or", "but", "nor", "if", "when", "while", "where", "who", "whom", "whose", "which",
    "what", "why", "how", "as", "than", "then", "there", "here", "is", "are", "was", "were",
    "be", "been", "has", "have", "had", "do", "does", "did", "will", "would", "shall",
    "should", "can", "could", "may", "might", "must", "not", "no", "yes", "all", "any",
    "each", "every", "some", "many", "most", "more", "other", "such", "also", "however",
    "yesterday", "today", "tomorrow", "dear", "regards", "sincerely", "hello", "hi",
    "thanks", "thank", "please", "according", "mr", "mrs", "ms", "dr", "prof", "sir",
    "january", "february", "march", "april", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "page", "section", "chapter", "article", "annex",
    "table", "figure", "note", "subject", "re", "fw", "fwd", "cc", "bcc", "sent",
    "street", "road", "avenue", "said",
    // German
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem",
    "einen", "und", "oder", "aber", "auch", "im", "ins", "am", "an", "auf", "aus", "bei",
    "mit", "nach", "seit", "von", "vom", "zu", "zum", "zur", "für", "über", "unter", "vor",
    "hinter", "neben", "zwischen", "durch", "gegen", "ohne", "um", "ich", "du", "er", "sie",
    "es", "wir", "ihr", "sein", "seine", "ihre", "unser", "dieser", "diese", "dieses",
    "jener", "welche", "welcher", "ist", "sind", "war", "waren", "wird", "werden", "wurde",
    "wurden", "hat", "haben", "hatte", "kann", "können", "muss", "soll", "nicht", "kein",
    "keine", "wenn", "als", "wie", "wo", "was", "wer", "warum", "dass", "laut", "gestern",
    "heute", "morgen", "sehr", "geehrte", "geehrter", "herr", "frau", "herrn", "januar",
    "februar", "märz", "mai", "juni", "juli", "oktober", "dezember", "montag", "dienstag",
    "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "seite", "straße", "strasse",
    // French
    "le", "la", "les", "un", "une", "du", "des", "de", "et", "ou", "mais", "dans", "en",
    "sur", "sous", "avec", "sans", "pour", "par", "chez", "vers", "je", "tu", "il", "elle",
    "nous", "vous", "ils", "elles", "ce", "cet", "cette", "ces", "son", "sa", "ses", "leur",
    "leurs", "qui", "que", "quoi", "dont", "où", "est", "sont", "était", "été", "être",
    "avoir", "a", "ont", "avait", "selon", "hier", "aujourd", "demain", "monsieur", "madame",
    "mademoiselle", "mme", "mlle", "cher", "chère", "janvier", "février", "mars", "avril",
    "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre", "lundi",
    "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "rue",
    // Spanish
    "el", "los", "las", "una", "unos", "unas", "del", "al", "y", "o", "pero", "en", "con",
    "sin", "por", "para", "desde", "hasta", "entre", "sobre", "yo", "él", "ella",
    "nosotros", "ellos", "ellas", "su", "sus", "este", "esta", "estos", "estas", "ese",
    "esa", "que", "quien", "cuando", "donde", "como", "es", "son", "fue", "era", "ser",
    "ha", "han", "había", "según", "ayer", "hoy", "mañana", "señor", "señora", "sr", "sra",
    "don", "doña", "estimado", "estimada", "enero", "febrero", "marzo", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre", "lunes", "martes",
    "miércoles", "jueves", "viernes", "sábado", "domingo", "calle",
    // Russian
    "и", "в", "во", "на", "с", "со", "к", "ко", "по", "из", "от", "до", "за", "для", "о",
    "об", "при", "про", "без", "под", "над", "у", "а", "но", "или", "что", "как", "это",
    "этот", "эта", "эти", "тот", "та", "те", "он", "она", "оно", "они", "мы", "вы", "я",
    "его", "ее", "её", "их", "который", "которая", "которые", "где", "когда", "также",
    "был", "была", "были", "было", "будет", "есть", "не", "нет", "да", "согласно",
    "вчера", "сегодня", "завтра", "уважаемый", "уважаемая", "господин", "госпожа",
    "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
    "октября", "ноября", "декабря", "улица",
];

/// Particles that may sit inside a person's name (`Ursula von der Leyen`, `Le Pen`).
#[rustfmt::skip]
const PERSON_PARTICLES: &[&str] = &[
    "von", "van", "der", "den", "de", "del", "della", "di", "da", "do", "dos", "das", "du",
    "des", "la", "le", "bin", "ibn", "al", "el", "ter", "zu", "y", "e",
];

/// Lowercase words that may sit inside an organisation's name (`Bank of America`).
#[rustfmt::skip]
const ORG_CONNECTORS: &[&str] = &[
    "of", "for", "the", "de", "del", "des", "du", "la", "le", "les", "los", "las", "der",
    "die", "das", "für", "und", "and", "et", "y", "&", "d", "l", "zu", "zur",
];

/// Words before a person's name that are not part of it.
#[rustfmt::skip]
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "president", "senator", "minister", "judge", "herr", "frau", "präsident", "präsidentin",
    "ministerin", "kanzler", "kanzlerin", "bundeskanzler", "bundeskanzlerin", "m", "mme",
    "mlle", "monsieur", "madame", "président", "présidente", "maître", "juge", "sr", "sra",
    "srta", "señor", "señora", "don", "doña", "presidente", "ministro", "ministra", "rey",
    "reina", "г н", "г жа", "господин", "госпожа", "президент", "министр", "гражданин",
    "гражданка",
];

/// Legal forms written after a company's name (`Siemens AG`, `Acme Ltd.`).
#[rustfmt::skip]
const SUFFIX_LEGAL_FORMS: &[&str] = &[
    "ltd", "limited", "llc", "l l c", "llp", "lp", "inc", "incorporated", "corp", "plc",
    "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "se", "e v", "ev", "eg", "sa",
    "s a", "sas", "s a s", "sasu", "sarl", "s a r l", "sàrl", "eurl", "snc", "sca", "sl",
    "s l", "slu", "sau", "s a u", "srl", "s r l", "spa", "s p a", "sapa", "bv", "b v", "nv",
    "n v", "ab", "asa", "oy", "oyj", "aps", "kft", "zrt", "sro", "s r o", "doo", "d o o",
    "pte", "pty", "bhd", "fzco", "fze", "fzc", "lda", "ltda", "sae", "jsc", "ojsc", "cjsc",
    "pjsc", "aktiengesellschaft",
];

/// Legal forms written before a company's name, mostly in quotes (`ООО «Ромашка»`).
#[rustfmt::skip]
const PREFIX_LEGAL_FORMS: &[&str] = &[
    "ооо", "оао", "зао", "пао", "ао", "нао", "нко", "ано", "гуп", "муп", "фгуп", "тоо", "тов",
    "пат", "прат", "чп", "ип",
];

/// Legal forms that are also ordinary words or prefixes of a person (`ИП` is a sole
/// trader: a person, not a company); they count only when written in capitals.
const CAPITALS_ONLY_FORMS: &[&str] = &["se", "ab", "ag", "sa", "sl", "as", "eg", "ao", "ип"];

/// Words that make a name a company.
#[rustfmt::skip]
const COMPANY_WORDS: &[&str] = &[
    "bank", "group", "holding", "holdings", "company", "corporation", "industries",
    "enterprises", "investments", "partners", "airlines", "airways", "motors",
    "technologies", "insurance", "trading",
    "gruppe", "konzern", "gesellschaft", "versicherung", "sparkasse", "werke",
    "banque", "groupe", "société", "compagnie", "assurances", "crédit",
    "banco", "grupo", "sociedad", "compañía", "corporación", "caja", "inversiones",
    "банк", "группа", "холдинг", "компания", "корпорация",
];

/// Words that make a name an organisation other than a company.
#[rustfmt::skip]
const ORGANIZATION_WORDS: &[&str] = &[
    "foundation", "institute", "university", "college", "association", "agency",
    "authority", "ministry", "department", "council", "committee", "commission", "party",
    "trust", "fund", "federation", "union", "court", "police", "society", "academy",
    "organization", "organisation", "bureau", "office", "hospital", "church", "reserve",
    "stiftung", "verein", "verband", "institut", "universität", "hochschule", "ministerium",
    "behörde", "amt", "partei", "gericht", "kammer", "kommission", "polizei", "agentur",
    "akademie", "staatsanwaltschaft", "bundesamt", "landesamt", "finanzamt", "zollamt",
    "fondation", "université", "agence", "ministère", "conseil", "parti", "tribunal",
    "cour", "fédération", "syndicat", "autorité", "fonds", "parquet",
    "fundación", "instituto", "universidad", "asociación", "agencia", "ministerio",
    "consejo", "comisión", "partido", "federación", "sindicato", "autoridad", "fondo",
    "fiscalía", "tribunal", "policía", "audiencia",
    "фонд", "институт", "университет", "ассоциация", "агентство", "министерство", "совет",
    "комиссия", "партия", "суд", "федерация", "служба", "комитет", "академия", "биржа",
    "прокуратура", "полиция",
];

/// French and Spanish organisation words, after which lowercase adjectives belong to
/// the name (`Banque centrale européenne`, `Partido socialista`).
#[rustfmt::skip]
const ROMANCE_ORG_WORDS: &[&str] = &[
    "banque", "groupe", "société", "compagnie", "crédit", "fondation", "université",
    "agence", "ministère", "conseil", "parti", "tribunal", "cour", "fédération", "syndicat",
    "autorité", "fonds", "parquet", "banco", "grupo", "sociedad", "compañía", "corporación",
    "caja", "fundación", "instituto", "universidad", "asociación", "agencia", "ministerio",
    "consejo", "comisión", "partido", "federación", "sindicato", "autoridad", "fondo",
    "fiscalía", "audiencia",
];

/// Organisation words that also end compound words (`Commerzbank`, `Bundesministerium`).
#[rustfmt::skip]
const COMPOUND_ORG_ENDINGS: &[(&str, OrgKind)] = &[
    ("bank", OrgKind::Company), ("gesellschaft", OrgKind::Company),
    ("versicherung", OrgKind::Company), ("werke", OrgKind::Company),
    ("gruppe", OrgKind::Company), ("kasse", OrgKind::Company), ("банк", OrgKind::Company),
    ("ministerium", OrgKind::Organization), ("stiftung", OrgKind::Organization),
    ("verband", OrgKind::Organization), ("institut", OrgKind::Organization),
    ("gericht", OrgKind::Organization), ("behörde", OrgKind::Organization),
    ("partei", OrgKind::Organization), ("anwaltschaft", OrgKind::Organization),
];

/// Russian case endings, folded, tried off an organisation word (`банке` → `банк`).
/// (Folded as `any_ascii` writes Cyrillic: `й` is `y`, `я` is `ya`, `ю` is `yu`.)
const RUSSIAN_ENDINGS: &[&str] = &[
    "ami", "akh", "om", "oy", "ey", "em", "yu", "ya", "e", "a", "u", "y", "i",
];

/// Capitalised words that introduce a company's name without being part of it (`die
/// Firma X`, `der Verein X`, `Компания X` at the start of a sentence). French and
/// Spanish write theirs in lowercase (`la société X`), where they end a name anyway, and
/// capitalise them only inside names (`Société Générale`).
#[rustfmt::skip]
const INTRODUCERS: &[&str] = &[
    "firma", "unternehmen", "verein", "фирма", "компания", "компании", "компанией",
];

/// Words after which a single capitalised word is most likely a place (`in Berlin`).
#[rustfmt::skip]
const LOCATIVES: &[&str] = &[
    "in", "at", "from", "to", "near", "of", "aus", "nach", "bei", "von", "à", "au", "en",
    "de", "depuis", "vers", "a", "desde", "hacia", "cerca", "в", "во", "из", "на", "под",
    "до", "около", "через",
];

/// Place names that are more often ordinary words or people's names in running text.
#[rustfmt::skip]
const WEAK_PLACES: &[&str] = &[
    "essen", "halle", "hof", "mobile", "reading", "bath", "split", "nice", "deal", "of",
    "union", "independence", "university", "mark", "bergen", "worms", "march", "york",
    "jersey", "china", "turkey", "chad", "niger", "georgia", "jordan", "florence",
    "lincoln", "austin", "charlotte", "regina", "santiago", "sofia", "alexandria", "orlando",
    "kingston", "richmond", "hamilton", "victoria", "wellington", "norman", "eugene",
    "ответ", "мир", "орёл", "орел",
];

/// Whether an organisation word signals a company or some other organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrgKind {
    Company,
    Organization,
}

/// The folded word lists.
pub(crate) struct Lexicon {
    stopwords: HashSet<String>,
    person_particles: HashSet<String>,
    org_connectors: HashSet<String>,
    titles: HashSet<String>,
    suffix_forms: HashSet<String>,
    prefix_forms: HashSet<String>,
    capitals_only: HashSet<String>,
    org_words: HashMap<String, OrgKind>,
    introducers: HashSet<String>,
    romance_org_words: HashSet<String>,
    compound_endings: Vec<(String, OrgKind)>,
    locatives: HashSet<String>,
    weak_places: HashSet<String>,
}

fn folded(words: &[&str]) -> HashSet<String> {
    words
        .iter()
        .map(|w| fold(w))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The lexicon, built on first use.
pub(crate) fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| Lexicon {
        stopwords: folded(STOPWORDS),
        person_particles: folded(PERSON_PARTICLES),
        org_connectors: ORG_CONNECTORS
            .iter()
            .map(|w| if *w == "&" { "&".to_owned() } else { fold(w) })
            .collect(),
        titles: folded(TITLES),
        suffix_forms: folded(SUFFIX_LEGAL_FORMS)
            .into_iter()
            .map(|f| f.replace(' ', ""))
            .collect(),
        prefix_forms: folded(PREFIX_LEGAL_FORMS),
        capitals_only: folded(CAPITALS_ONLY_FORMS),
        org_words: COMPANY_WORDS
            .iter()
            .map(|w| (fold(w), OrgKind::Company))
            .chain(
                ORGANIZATION_WORDS
                    .iter()
                    .map(|w| (fold(w), OrgKind::Organization)),
            )
            .collect(),
        introducers: folded(INTRODUCERS),
        romance_org_words: folded(ROMANCE_ORG_WORDS),
        compound_endings: COMPOUND_ORG_ENDINGS
            .iter()
            .map(|(w, k)| (fold(w), *k))
            .collect(),
        locatives: folded(LOCATIVES),
        weak_places: folded(WEAK_PLACES),
    })
}

impl Lexicon {
    pub(crate) fn is_stopword(&self, folded: &str) -> bool {
        self.stopwords.contains(folded)
    }

    pub(crate) fn is_person_particle(&self, folded: &str) -> bool {
        self.person_particles.contains(folded)
    }

    pub(crate) fn is_org_connector(&self, folded: &str) -> bool {
        self.org_connectors.contains(folded)
    }

    pub(crate) fn is_title(&self, folded: &str) -> bool {
        self.titles.contains(folded)
    }

    /// A suffix legal form; `compact` is the folded word without spaces (`s a` → `sa`).
    pub(crate) fn is_suffix_form(&self, compact: &str, all_capitals: bool) -> bool {
        self.suffix_forms.contains(compact)
            && (all_capitals || !self.capitals_only.contains(compact))
    }

    pub(crate) fn is_prefix_form(&self, folded: &str, all_capitals: bool) -> bool {
        self.prefix_forms.contains(folded)
            && folded != "ip"
            && (all_capitals || !self.capitals_only.contains(folded))
    }

    /// The organisation word a token is or ends with (German and Russian compounds).
    pub(crate) fn org_word(&self, folded: &str) -> Option<OrgKind> {
        if let Some(kind) = self.org_words.get(folded) {
            return Some(*kind);
        }
        self.compound_endings
            .iter()
            .find(|(end, _)| folded.len() >= end.len() + 3 && folded.ends_with(end.as_str()))
            .map(|(_, kind)| *kind)
    }

    /// [`Lexicon::org_word`] for a Russian word in any case (`банке`, `министерства`).
    pub(crate) fn org_word_inflected(&self, folded: &str) -> Option<OrgKind> {
        self.org_word(folded).or_else(|| {
            RUSSIAN_ENDINGS.iter().find_map(|end| {
                let stem = folded.strip_suffix(end)?;
                if stem.len() < 3 {
                    return None;
                }
                self.org_word(stem)
                    .or_else(|| self.org_word(&format!("{stem}o")))
                    .or_else(|| self.org_word(&format!("{stem}a")))
                    .or_else(|| self.org_word(&format!("{stem}ya")))
            })
        })
    }

    /// A French or Spanish organisation word (see [`ROMANCE_ORG_WORDS`]).
    pub(crate) fn is_romance_org_word(&self, folded: &str) -> bool {
        self.romance_org_words.contains(folded)
    }

    /// A word that introduces a company's name without being part of it.
    pub(crate) fn is_introducer(&self, folded: &str) -> bool {
        self.introducers.contains(folded)
    }

    pub(crate) fn is_locative(&self, folded: &str) -> bool {
        self.locatives.contains(folded)
    }

    pub(crate) fn is_weak_place(&self, folded: &str) -> bool {
        self.weak_places.contains(folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_fold_their_input_forms() {
        let lex = lexicon();
        assert!(lex.is_stopword("der"));
        assert!(lex.is_stopword(&fold("Über")));
        assert!(lex.is_suffix_form("gmbh", false));
        assert!(lex.is_suffix_form("sa", true));
        assert!(!lex.is_suffix_form("sa", false));
        assert!(lex.is_prefix_form(&fold("ООО"), true));
        assert!(!lex.is_prefix_form(&fold("ИП"), true));
        assert_eq!(lex.org_word("bank"), Some(OrgKind::Company));
        assert_eq!(
            lex.org_word(&fold("Bundesministerium")),
            Some(OrgKind::Organization)
        );
        assert_eq!(lex.org_word(&fold("Сбербанк")), Some(OrgKind::Company));
        assert_eq!(lex.org_word("amt"), Some(OrgKind::Organization));
        assert_eq!(lex.org_word("insgesamt"), None);
        assert!(lex.is_title(&fold("г-н")));
        assert_eq!(
            lex.org_word(&fold("Staatsanwaltschaft")),
            Some(OrgKind::Organization)
        );
        assert_eq!(
            lex.org_word_inflected(&fold("банке")),
            Some(OrgKind::Company)
        );
        assert_eq!(
            lex.org_word_inflected(&fold("министерства")),
            Some(OrgKind::Organization)
        );
        assert_eq!(
            lex.org_word_inflected(&fold("компании")),
            Some(OrgKind::Company)
        );
        assert!(lex.is_introducer("firma"));
    }
}
