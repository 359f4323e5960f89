//! Name similarity that survives transliteration, word order, initials, typos, legal
//! forms and extra middle names.
//!
//! A name is prepared once ([`NameForm`]): transliterated tokens with a class (word,
//! initial, number, generic business word, patronymic), a weight and a phonetic key.
//! Two names are compared by aligning their tokens one to one (best pairs first, in any
//! order), then measuring how much of each name the aligned pairs cover. Coverage of
//! the *shorter* name counts most, so a record that adds a patronymic or a middle name
//! still matches; coverage of the longer name keeps "Smith" from equalling
//! "John Smith".

use crate::distance::osa_distance;
use crate::normalize::{is_number, tokenize};
use crate::phonetic::{loose_form, phonetic_key};
use crate::vocabulary::{
    LegalForm, is_generic_org_word, is_particle, is_patronymic, is_stop_word, join_particles,
    strip_honorifics, strip_legal_forms,
};

/// At most this many tokens of a name take part in the comparison.
const MAX_TOKENS: usize = 12;

/// What kind of name a schema carries, which decides which words are noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameStyle {
    /// Honorifics are dropped and patronymics recognised.
    pub person: bool,
    /// Legal forms are taken out and generic business words weigh little.
    pub organization: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenClass {
    Word,
    Initial,
    Number,
    /// Words common to many organisation names, and surname particles.
    Generic,
    Patronymic,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub text: String,
    /// See [`loose_form`]: what edit distances are measured on.
    pub loose: String,
    pub key: String,
    pub class: TokenClass,
    pub weight: f32,
    /// Hashes of `text`, `loose` and `key`: most token pairs differ, and comparing two
    /// numbers tells so without reading the strings.
    text_hash: u64,
    loose_hash: u64,
    key_hash: u64,
}

/// FNV-1a: short strings, hashed once when an entity is prepared.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Token {
    fn new(text: String, style: NameStyle) -> Token {
        let class = if is_number(&text) {
            TokenClass::Number
        } else if text.len() == 1 {
            TokenClass::Initial
        } else if style.person && is_patronymic(&text) {
            TokenClass::Patronymic
        } else if (style.organization && is_generic_org_word(&text)) || is_particle(&text) {
            TokenClass::Generic
        } else {
            TokenClass::Word
        };
        let weight = match class {
            TokenClass::Number => 1.0,
            TokenClass::Initial => 0.35,
            TokenClass::Patronymic => 0.4,
            TokenClass::Generic => 0.35,
            TokenClass::Word if text.len() == 2 => 0.6,
            TokenClass::Word => 1.0,
        };
        let key = match class {
            TokenClass::Word | TokenClass::Generic | TokenClass::Patronymic => phonetic_key(&text),
            TokenClass::Initial | TokenClass::Number => String::new(),
        };
        let loose = match class {
            TokenClass::Initial | TokenClass::Number => text.clone(),
            _ => loose_form(&text),
        };
        Token {
            text_hash: hash(&text),
            loose_hash: hash(&loose),
            key_hash: hash(&key),
            text,
            loose,
            key,
            class,
            weight,
        }
    }
}

/// One name of an entity, prepared for comparison.
#[derive(Debug, Clone)]
pub(crate) struct NameForm {
    /// The name as the entity has it, for explanations.
    pub original: String,
    pub tokens: Vec<Token>,
    /// Token texts sorted and joined by spaces: equal fingerprints are the same name.
    pub fingerprint: String,
    /// Token texts joined without spaces in their original order ("Mc Donald" and
    /// "McDonald" agree here).
    pub compact: String,
    pub legal_forms: Vec<LegalForm>,
    pub total_weight: f32,
    fingerprint_hash: u64,
    compact_hash: u64,
}

impl NameForm {
    /// Prepare a name; `None` if nothing comparable is left (punctuation only).
    pub fn new(raw: &str, style: NameStyle) -> Option<NameForm> {
        let mut words = tokenize(raw);
        if style.person {
            strip_honorifics(&mut words);
        }
        let legal_forms = if style.organization {
            strip_legal_forms(&mut words)
        } else {
            Vec::new()
        };
        // In a person's name a single letter is an initial ("A. Green", "Golubeva Y."),
        // not the article or conjunction it spells elsewhere.
        let noise = |w: &str| is_stop_word(w) && !(style.person && w.len() == 1);
        if words.iter().any(|w| !noise(w)) {
            words.retain(|w| !noise(w));
        }
        join_particles(&mut words);
        words.truncate(MAX_TOKENS);
        if words.is_empty() {
            return None;
        }
        let compact = words.concat();
        let mut sorted: Vec<&str> = words.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let fingerprint = sorted.join(" ");
        let tokens: Vec<Token> = words.into_iter().map(|w| Token::new(w, style)).collect();
        let total_weight = tokens.iter().map(|t| t.weight).sum();
        Some(NameForm {
            original: raw.to_owned(),
            tokens,
            fingerprint_hash: hash(&fingerprint),
            compact_hash: hash(&compact),
            fingerprint,
            compact,
            legal_forms,
            total_weight,
        })
    }
}

/// The outcome of comparing two names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NameScore {
    /// Similarity in [0, 1].
    pub similarity: f64,
    /// How much the aligned tokens say: the summed length of the matched tokens of the
    /// shorter name (a match on "Li" says less than one on "Vladimir Putin").
    pub matched_chars: usize,
}

/// Similarity of two tokens in [0, 1] and the weight their pairing carries.
fn token_similarity(a: &Token, b: &Token) -> (f32, f32) {
    use TokenClass::*;
    let pair_weight = (a.weight + b.weight) / 2.0;
    match (a.class, b.class) {
        (Number, Number) => return (if a.text == b.text { 1.0 } else { 0.0 }, 1.0),
        (Number, _) | (_, Number) => return (0.0, 0.0),
        (Initial, Initial) => {
            return (if a.text == b.text { 1.0 } else { 0.0 }, a.weight);
        }
        (Initial, _) | (_, Initial) => {
            let (initial, word) = if a.class == Initial { (a, b) } else { (b, a) };
            let hit = word.text.as_bytes().first() == initial.text.as_bytes().first();
            return (if hit { 0.9 } else { 0.0 }, initial.weight.min(word.weight));
        }
        _ => {}
    }
    if a.text_hash == b.text_hash && a.text == b.text {
        return (1.0, pair_weight);
    }
    if a.loose_hash == b.loose_hash && a.loose == b.loose {
        return (0.95, pair_weight);
    }
    let (la, lb) = (a.loose.len(), b.loose.len());
    let shorter = la.min(lb);
    let longer = la.max(lb);
    let typo_limit = match shorter {
        0..=2 => 0,
        3..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let phonetic = !a.key.is_empty() && a.key_hash == b.key_hash && a.key == b.key;
    // A shared phonetic key lets transliteration variants differ by more than typos
    // ("Tschajkowskaja" and "Chaykovskaya"); the distance only guards against
    // unrelated words that happen to share consonants.
    let limit = if phonetic {
        typo_limit.max(longer.div_ceil(2))
    } else {
        typo_limit
    };
    if limit == 0 {
        return (0.0, pair_weight);
    }
    // Folding spellings can move a typo's letters apart ("Sophie" and "Sohpie" are one
    // transposition apart, "sofie" and "sohpie" two edits), so the written form gets a
    // second chance at the typo limit, if they start alike (most pairs of tokens do not,
    // and this is the inner loop of every comparison).
    let d = osa_distance(a.loose.as_bytes(), b.loose.as_bytes(), limit).or_else(|| {
        (typo_limit > 0 && a.text.as_bytes().first() == b.text.as_bytes().first())
            .then(|| osa_distance(a.text.as_bytes(), b.text.as_bytes(), typo_limit))
            .flatten()
    });
    let Some(d) = d else {
        return (0.0, pair_weight);
    };
    let edit_similarity = 1.0 - 0.8 * d as f32 / longer as f32;
    let similarity = if phonetic {
        let floor = if a.key.len() >= 3 { 0.95 } else { 0.85 };
        edit_similarity.max(floor)
    } else if d <= typo_limit {
        edit_similarity
    } else {
        0.0
    };
    (similarity, pair_weight)
}

/// Compare two prepared names.
pub(crate) fn compare_names(a: &NameForm, b: &NameForm) -> NameScore {
    if a.fingerprint_hash == b.fingerprint_hash && a.fingerprint == b.fingerprint {
        return NameScore {
            similarity: 1.0,
            matched_chars: a.tokens.iter().map(|t| t.text.len()).sum(),
        };
    }
    let (n, m) = (a.tokens.len(), b.tokens.len());
    let mut similarity = [0f32; MAX_TOKENS * MAX_TOKENS];
    let mut weight = [0f32; MAX_TOKENS * MAX_TOKENS];
    for (i, ta) in a.tokens.iter().enumerate() {
        for (j, tb) in b.tokens.iter().enumerate() {
            let (s, w) = token_similarity(ta, tb);
            similarity[i * MAX_TOKENS + j] = s;
            weight[i * MAX_TOKENS + j] = w;
        }
    }
    // Greedy one-to-one alignment: the most similar pair first (ties: the weightier pair,
    // then the earliest, so that the result is deterministic).
    let mut used_a = [false; MAX_TOKENS];
    let mut used_b = [false; MAX_TOKENS];
    let mut matched = 0f32;
    let mut matched_chars_a = 0usize;
    let mut matched_chars_b = 0usize;
    let (mut spelled_out_a, mut spelled_out_b) = (0f32, 0f32);
    loop {
        let mut best: Option<(usize, usize)> = None;
        for i in (0..n).filter(|&i| !used_a[i]) {
            for j in (0..m).filter(|&j| !used_b[j]) {
                let k = i * MAX_TOKENS + j;
                if similarity[k] <= 0.0 {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((bi, bj)) => {
                        let bk = bi * MAX_TOKENS + bj;
                        similarity[k] > similarity[bk]
                            || (similarity[k] == similarity[bk] && weight[k] > weight[bk])
                    }
                };
                if better {
                    best = Some((i, j));
                }
            }
        }
        let Some((i, j)) = best else { break };
        used_a[i] = true;
        used_b[j] = true;
        let k = i * MAX_TOKENS + j;
        matched += similarity[k] * weight[k];
        matched_chars_a += a.tokens[i].text.len();
        matched_chars_b += b.tokens[j].text.len();
        // A word written out where the other name has its initial is half missing, not
        // wholly: "H. Howard" says less than "Hanna Howard", but it does not lack a name.
        let (wa, wb) = (a.tokens[i].weight, b.tokens[j].weight);
        match (a.tokens[i].class, b.tokens[j].class) {
            (TokenClass::Initial, c) if c != TokenClass::Initial => {
                spelled_out_b += (wb - wa).max(0.0) / 2.0;
            }
            (c, TokenClass::Initial) if c != TokenClass::Initial => {
                spelled_out_a += (wa - wb).max(0.0) / 2.0;
            }
            _ => {}
        }
    }
    let (ta, tb) = (
        a.total_weight - spelled_out_a,
        b.total_weight - spelled_out_b,
    );
    let dice = 2.0 * matched / (ta + tb);
    let covered = matched / ta.min(tb);
    // A one-word name inside a longer one ("Smith" in "John Smith") is not a subset
    // match worth trusting: only the symmetric measure counts then.
    let (small, large) = if ta <= tb { (n, m) } else { (m, n) };
    let similarity = if small <= 1 && large > 1 {
        dice
    } else {
        0.6 * covered + 0.4 * dice
    };
    let mut similarity = f64::from(similarity.clamp(0.0, 1.0));
    if a.compact_hash == b.compact_hash && a.compact == b.compact {
        similarity = similarity.max(0.97);
    }
    NameScore {
        similarity,
        matched_chars: matched_chars_a.min(matched_chars_b),
    }
}

/// The best-matching pair among two entities' names: the score and the indices.
pub(crate) fn best_name_pair(a: &[NameForm], b: &[NameForm]) -> Option<(NameScore, usize, usize)> {
    let mut best: Option<(NameScore, usize, usize)> = None;
    for (i, na) in a.iter().enumerate() {
        for (j, nb) in b.iter().enumerate() {
            let score = compare_names(na, nb);
            let better = best.is_none_or(|(s, _, _)| {
                score.similarity > s.similarity
                    || (score.similarity == s.similarity && score.matched_chars > s.matched_chars)
            });
            if better {
                best = Some((score, i, j));
            }
            if score.similarity >= 1.0 && score.matched_chars >= 10 {
                return best;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSON: NameStyle = NameStyle {
        person: true,
        organization: false,
    };
    const ORG: NameStyle = NameStyle {
        person: false,
        organization: true,
    };

    fn sim(a: &str, b: &str, style: NameStyle) -> f64 {
        let a = NameForm::new(a, style).unwrap();
        let b = NameForm::new(b, style).unwrap();
        let forward = compare_names(&a, &b).similarity;
        assert_eq!(forward, compare_names(&b, &a).similarity, "symmetry");
        forward
    }

    #[test]
    fn transliteration() {
        assert!(sim("Jurij Jakowlew", "Yury Yakovlev", PERSON) >= 0.9);
        assert!(sim("Layla Hamdan", "Leila Hamdan", PERSON) >= 0.9);
        assert!(sim("Людмила Чайковская", "Ljudmila Tschajkowskaja", PERSON) >= 0.9);
        assert_eq!(sim("Владимир Путин", "Vladimir Putin", PERSON), 1.0);
        assert!(sim("Александр Смирнов", "Alexander Smirnoff", PERSON) >= 0.9);
        assert!(sim("Oleksandr Shevchenko", "Aleksandr Shevchenko", PERSON) >= 0.9);
    }

    #[test]
    fn word_order() {
        assert_eq!(sim("PUTIN, Vladimir", "Vladimir Putin", PERSON), 1.0);
        assert_eq!(sim("Trading Acme", "Acme Trading", ORG), 1.0);
    }

    #[test]
    fn initials() {
        let s = sim("J. Smith", "John Smith", PERSON);
        assert!((0.85..1.0).contains(&s), "{s}");
        // Initials that are stop words elsewhere ("a", "i", "y") are still initials.
        for (short, full) in [
            ("A. Green", "Anthony Green"),
            ("Silva A.", "Ana Silva"),
            ("Chevtchenko I.", "Igor Chevtchenko"),
            ("Y Golubeva", "Yulia Golubeva"),
        ] {
            assert_eq!(
                sim(short, full, PERSON),
                s,
                "{short} ~ {full} scores as J. Smith ~ John Smith"
            );
        }
        // An initial for a written-out first name, beside a middle name the other
        // record lacks: weaker than the full first name, but not a missing name.
        let initial = sim("H. Howard", "Hanna Thomas Howard", PERSON);
        assert!(initial > 0.84, "{initial}");
        assert!(initial < sim("Hanna Howard", "Hanna Thomas Howard", PERSON));
        // In an organisation's name they stay noise.
        assert_eq!(sim("Bread and Butter", "Bread Butter", ORG), 1.0);
        // An initial that disagrees is no help.
        assert!(sim("K. Smith", "John Smith", PERSON) < 0.8);
    }

    #[test]
    fn patronymics_and_middle_names() {
        assert!(sim("Vladimir Vladimirovich Putin", "Vladimir Putin", PERSON) >= 0.95);
        assert!(sim("John Michael Smith", "John Smith", PERSON) >= 0.9);
        // But a lone family name is not the person.
        assert!(sim("Smith", "John Smith", PERSON) < 0.7);
    }

    #[test]
    fn typos() {
        assert!(sim("Jonh Smith", "John Smith", PERSON) >= 0.85);
        // A transposition across a folded spelling ("ph" read as "f").
        assert!(sim("Sohpie Gray", "Sophie Gray", PERSON) >= 0.85);
        assert!(sim("Catherine Zeta", "Katherine Zeta", PERSON) >= 0.85);
        // Different first names share the family name only.
        let s = sim("Jane Smith", "John Smith", PERSON);
        assert!(s <= 0.55, "{s}");
    }

    #[test]
    fn legal_forms_are_not_the_name() {
        assert_eq!(sim("ACME Ltd", "Acme Limited", ORG), 1.0);
        assert!(sim("ACME Ltd", "ООО Акме", ORG) >= 0.85);
        assert!(sim("Acme Trading GmbH", "Zenith Trading GmbH", ORG) < 0.4);
    }

    #[test]
    fn numbers_must_agree() {
        assert!(sim("Acme 1 Ltd", "Acme 2 Ltd", ORG) <= 0.5);
    }

    #[test]
    fn joined_spellings() {
        assert_eq!(sim("Omar Al-Rashid", "Omar Alrashid", PERSON), 1.0);
        assert!(sim("Mc Donald Farms", "McDonald Farms", ORG) >= 0.97);
    }
}
