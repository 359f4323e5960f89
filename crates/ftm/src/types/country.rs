//! Countries: rigour's territory lookup by code, alias or name, reduced to FtM's codes.
//!
//! rigour keys its name index with a normaliser that transliterates Latin, Cyrillic,
//! Greek, Armenian, Georgian and Hangul text to ASCII using language-aware rules we do not
//! reproduce exactly. The generated index keeps rigour's own keys, so a name typed in ASCII
//! (or in a script rigour leaves alone) resolves exactly as in Python; names written in
//! the transliterated scripts are also indexed under our own normalisation of the name
//! as written, so that typing one of them verbatim finds it too.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use unicode_script::{Script, UnicodeScript};

use super::data::{TERRITORY_DB, Territory};
use super::text::{ascii_text, py_isalnum, squash_spaces};

/// Clean a country value to an FtM country code (`gb`, `suhh`, `gb-sct`…).
pub(crate) fn clean(text: &str, fuzzy: bool) -> Option<String> {
    lookup_ftm(text, fuzzy).map(str::to_owned)
}

fn lookup_ftm(text: &str, fuzzy: bool) -> Option<&'static str> {
    let db = &*TERRITORY_DB;
    let code = clean_code(text);
    if let Some(&i) = db.identifiers.get(code.as_str()) {
        return db.all[i].ftm;
    }
    let key = normalize_territory_name(text);
    if let Some(&i) = db.name_index.get(key.as_str()) {
        return db.names[i].1;
    }
    if let Some(&result) = db.native.get(&key) {
        return result;
    }
    if fuzzy {
        return fuzzy_search(&key);
    }
    None
}

/// rigour's `clean_code`: lowercase, underscores as hyphens, stripped.
fn clean_code(code: &str) -> String {
    super::text::py_strip(&code.to_lowercase().replace('_', "-")).to_owned()
}

/// A territory by one of its codes (`gb`, `gbr`, `gb-eng`), as rigour's `get_territory`.
pub(crate) fn get_territory(code: &str) -> Option<&'static Territory> {
    let db = &*TERRITORY_DB;
    db.index.get(clean_code(code).as_str()).map(|&i| &db.all[i])
}

/// Whether a value is one of FtM's country codes (FtM's enum validation).
pub(crate) fn is_code(value: &str) -> bool {
    let code = super::text::py_strip(&value.to_lowercase()).to_owned();
    let db = &*TERRITORY_DB;
    db.index
        .get(code.as_str())
        .is_some_and(|&i| db.all[i].ftm == Some(db.all[i].code) && db.all[i].code == code)
}

/// The display name of a country code (`de` → `Germany`).
pub(crate) fn caption(value: &str) -> Option<&'static str> {
    get_territory(value).map(|t| t.name)
}

const SKIP_CHARACTERS: &[char] = &[
    '.', '(', ')', '[', ']', ',', ';', ':', '_', '-', '/', 'ʻ', '\'', '’',
];

/// rigour's `normalize_territory_name`: transliterate when every script in the name can
/// be, fold case, drop punctuation that joins words, turn other non-letters into spaces.
pub(crate) fn normalize_territory_name(name: &str) -> String {
    let latin: String;
    let name = if can_latinize(name) {
        latin = ascii_text(name);
        latin.as_str()
    } else {
        name
    };
    let folded = casefold(&name.nfkc().collect::<String>());
    let mut filtered = String::with_capacity(folded.len());
    for c in folded.chars() {
        if SKIP_CHARACTERS.contains(&c) {
            continue;
        }
        if !py_isalnum(c) && c.general_category_group() != GeneralCategoryGroup::Mark {
            filtered.push(' ');
        } else {
            filtered.push(c);
        }
    }
    squash_spaces(&filtered)
}

/// Python's `str.casefold()` for the characters that matter here: lowercase, plus the
/// full foldings that lowercase does not do. Cherokee folds to its upper case.
fn casefold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{13A0}'..='\u{13F5}' => out.push(c),
            '\u{AB70}'..='\u{ABBF}' => out.extend(char::from_u32(c as u32 - 0xAB70 + 0x13A0)),
            '\u{13F8}'..='\u{13FD}' => out.extend(char::from_u32(c as u32 - 8)),
            _ => c.to_lowercase().for_each(|l| push_folded(&mut out, l)),
        }
    }
    out
}

/// The full case foldings that `to_lowercase` does not do.
fn push_folded(out: &mut String, c: char) {
    match c {
        'ß' => out.push_str("ss"),
        'ς' => out.push('σ'),
        'ſ' => out.push('s'),
        'ﬀ' => out.push_str("ff"),
        'ﬁ' => out.push_str("fi"),
        'ﬂ' => out.push_str("fl"),
        _ => out.push(c),
    }
}

/// rigour's `can_latinize`: every letter or number belongs to a script rigour
/// transliterates (Latin, Cyrillic, Greek, Armenian, Georgian, Hangul).
pub(crate) fn can_latinize(text: &str) -> bool {
    if text.is_ascii() {
        return true;
    }
    text.chars().all(|c| match c.script() {
        Script::Common | Script::Inherited | Script::Unknown => true,
        Script::Latin
        | Script::Cyrillic
        | Script::Greek
        | Script::Armenian
        | Script::Georgian
        | Script::Hangul => true,
        _ => !py_isalnum(c),
    })
}

/// rigour's fuzzy territory search: the name with the smallest edit distance, within
/// 30 % of the query's length, among names longer than four characters; ties go to the
/// name that comes first in the index.
fn fuzzy_search(key: &str) -> Option<&'static str> {
    let db = &*TERRITORY_DB;
    let query: Vec<char> = key.chars().collect();
    let cutoff = query.len() * 3 / 10;
    let mut best: Option<(usize, Option<&'static str>)> = None;
    for &(candidate, result) in &db.names {
        let cand: Vec<char> = candidate.chars().collect();
        if cand.len() <= 4 {
            continue;
        }
        let limit = best.map_or(cutoff, |(d, _)| d.saturating_sub(1).min(cutoff));
        if best.is_some_and(|(d, _)| d == 0) {
            break;
        }
        if let Some(distance) = levenshtein_within(&query, &cand, limit)
            && best.is_none_or(|(d, _)| distance < d)
        {
            best = Some((distance, result));
        }
    }
    best.and_then(|(_, result)| result)
}

/// Levenshtein distance if it is at most `limit`.
fn levenshtein_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(text: &str) -> Option<String> {
        clean(text, false)
    }

    #[test]
    fn codes_names_and_aliases() {
        assert_eq!(c("GB").as_deref(), Some("gb"));
        assert_eq!(c("gbr").as_deref(), Some("gb"));
        assert_eq!(c("United Kingdom").as_deref(), Some("gb"));
        assert_eq!(c("Soviet Union").as_deref(), Some("suhh"));
        assert_eq!(c("gb-sct").as_deref(), Some("gb-sct"));
        assert_eq!(c("GB_SCT").as_deref(), Some("gb-sct"));
        assert_eq!(c("Kosovo").as_deref(), Some("xk"));
        assert_eq!(c("zz").as_deref(), Some("zz"));
        assert_eq!(c("Deutschland").as_deref(), Some("de"));
        assert_eq!(c("Côte d’Ivoire").as_deref(), Some("ci"));
        assert_eq!(c("Atlantis"), None);
    }

    #[test]
    fn fuzzy_lookup() {
        assert_eq!(c("Untied Kingdom"), None);
        assert_eq!(clean("Untied Kingdom", true).as_deref(), Some("gb"));
        assert_eq!(clean("Qwertyuiop", true), None);
    }

    #[test]
    fn every_native_name_resolves_as_in_ftm() {
        let db = &*TERRITORY_DB;
        let wrong: Vec<_> = db
            .native_rows
            .iter()
            .filter(|(name, expected)| lookup_ftm(name, false) != *expected)
            .collect();
        assert!(
            wrong.is_empty(),
            "{} of {} differ, e.g. {:?}",
            wrong.len(),
            db.native_rows.len(),
            &wrong[..wrong.len().min(10)]
        );
    }

    #[test]
    fn normaliser_agrees_with_rigour_outside_transliteration() {
        // The fixture holds every non-ASCII territory name and rigour's key for it. Where
        // no transliteration is involved (scripts rigour keeps, and Latin), the keys must
        // be identical.
        let fixture = include_str!("../../tests/data/territory_keys.tsv");
        let mut total = 0;
        let mut differ = Vec::new();
        for line in fixture.lines() {
            let Some((name, key)) = line.split_once('\t') else {
                continue;
            };
            let transliterated = name.chars().any(|c| {
                matches!(
                    c.script(),
                    Script::Cyrillic
                        | Script::Greek
                        | Script::Armenian
                        | Script::Georgian
                        | Script::Hangul
                )
            });
            if transliterated && can_latinize(name) {
                continue;
            }
            total += 1;
            let ours = normalize_territory_name(name);
            if ours != key {
                differ.push((name.to_owned(), key.to_owned(), ours));
            }
        }
        assert!(total > 5000);
        assert!(
            differ.is_empty(),
            "{} of {total} differ: {:?}",
            differ.len(),
            &differ[..differ.len().min(20)]
        );
    }

    #[test]
    fn captions() {
        assert_eq!(caption("de"), Some("Germany"));
        assert_eq!(caption("suhh"), Some("Soviet Union"));
        assert_eq!(caption("nowhere"), None);
    }
}
