//! The lookup tables in `data/types/`, embedded in the binary and parsed on first use.
//!
//! `tools/gen_types.py` writes them from the reference Python packages. Every file is
//! UTF-8, tab-separated, one record a line, and `-` stands for "none". Parsing cannot fail
//! at run time in a way a user could cause: the files are part of the build, and the unit
//! tests below parse every one of them.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const TERRITORIES: &str = include_str!("../../data/types/territories.tsv");
const TERRITORY_IDS: &str = include_str!("../../data/types/territory_ids.tsv");
const TERRITORY_NAMES: &str = include_str!("../../data/types/territory_names.tsv");
const TERRITORY_NATIVE: &str = include_str!("../../data/types/territory_native.tsv");
const LANGUAGES: &str = include_str!("../../data/types/languages.tsv");
const LANGUAGE_KEYS: &str = include_str!("../../data/types/language_keys.tsv");
const TOPICS: &str = include_str!("../../data/types/topics.tsv");
const GENDERS: &str = include_str!("../../data/types/genders.tsv");
const MIMETYPES: &str = include_str!("../../data/types/mimetypes.tsv");
const IDS: &str = include_str!("../../data/types/ids.tsv");
const IDNA: &str = include_str!("../../data/types/idna.tsv");
const TRANSLIT: &str = include_str!("../../data/types/translit.tsv");

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
}

fn opt(field: &'static str) -> Option<&'static str> {
    if field == "-" { None } else { Some(field) }
}

fn field(row: &[&'static str], i: usize) -> &'static str {
    row.get(i).copied().unwrap_or("-")
}

/// One territory of rigour's database (a country, a sub-national or historic entity).
#[derive(Debug)]
pub(crate) struct Territory {
    pub code: &'static str,
    pub name: &'static str,
    /// The FtM country code this territory cleans to.
    pub ftm: Option<&'static str>,
    /// The libphonenumber region a national number is dialled in, given this territory.
    pub dial_region: Option<&'static str>,
}

pub(crate) struct Territories {
    pub all: Vec<Territory>,
    /// rigour's `get_territory` index: own code, alpha-3 and other codes.
    pub index: HashMap<&'static str, usize>,
    /// rigour's `lookup_by_identifier` index: the above plus lowercased Wikidata QIDs.
    pub identifiers: HashMap<&'static str, usize>,
    /// rigour's name index, keyed by its own normalised form, in its insertion order
    /// (the order matters for the fuzzy search, which keeps the first best match).
    pub names: Vec<(&'static str, Option<&'static str>)>,
    pub name_index: HashMap<&'static str, usize>,
    /// Names in transliterated scripts, keyed by our own normaliser (see `country.rs`).
    pub native: HashMap<String, Option<&'static str>>,
    /// The native names as written, with FtM's result, for the tests.
    #[cfg(test)]
    pub native_rows: Vec<(&'static str, Option<&'static str>)>,
}

pub(crate) static TERRITORY_DB: LazyLock<Territories> = LazyLock::new(|| {
    let mut all = Vec::new();
    let mut index = HashMap::new();
    for row in rows(TERRITORIES) {
        // code, name, ftm country, alpha-3, other codes, phone region
        let i = all.len();
        all.push(Territory {
            code: field(&row, 0),
            name: field(&row, 1),
            ftm: opt(field(&row, 2)),
            dial_region: opt(field(&row, 5)),
        });
        index.insert(field(&row, 0), i);
    }
    // Aliases go in after every own code, as rigour's index does.
    for (i, row) in rows(TERRITORIES).enumerate() {
        if let Some(alpha3) = opt(field(&row, 3)) {
            index.insert(alpha3, i);
        }
        if let Some(others) = opt(field(&row, 4)) {
            for other in others.split(',') {
                index.insert(other, i);
            }
        }
    }
    let by_code: HashMap<&'static str, usize> =
        all.iter().enumerate().map(|(i, t)| (t.code, i)).collect();
    let mut identifiers = by_code.clone();
    for row in rows(TERRITORY_IDS) {
        // alias, territory code
        if let Some(&i) = by_code.get(field(&row, 1)) {
            identifiers.insert(field(&row, 0), i);
        }
    }
    let mut names = Vec::new();
    let mut name_index = HashMap::new();
    for row in rows(TERRITORY_NAMES) {
        // rigour's name key, FtM country
        name_index.insert(field(&row, 0), names.len());
        names.push((field(&row, 0), opt(field(&row, 1))));
    }
    let mut native = HashMap::new();
    #[cfg(test)]
    let mut native_rows = Vec::new();
    for row in rows(TERRITORY_NATIVE) {
        // name as written, FtM country
        let result = opt(field(&row, 1));
        #[cfg(test)]
        native_rows.push((field(&row, 0), result));
        let key = super::country::normalize_territory_name(field(&row, 0));
        native.entry(key).or_insert(result);
    }
    Territories {
        all,
        index,
        identifiers,
        names,
        name_index,
        native,
        #[cfg(test)]
        native_rows,
    }
});

pub(crate) struct Languages {
    /// FtM's language codes in their declared order, with English labels.
    pub labels: Vec<(&'static str, &'static str)>,
    pub label_index: HashMap<&'static str, &'static str>,
    /// rigour ISO 639 keys: `Some(code)` for an FtM language, `None` for a key that
    /// names a language FtM does not support.
    pub keys: HashMap<&'static str, Option<&'static str>>,
}

pub(crate) static LANGUAGE_DB: LazyLock<Languages> = LazyLock::new(|| {
    let labels: Vec<_> = rows(LANGUAGES)
        .map(|r| (field(&r, 0), field(&r, 1)))
        .collect();
    let label_index = labels.iter().copied().collect();
    let keys = rows(LANGUAGE_KEYS)
        .map(|r| (field(&r, 0), opt(field(&r, 1))))
        .collect();
    Languages {
        labels,
        label_index,
        keys,
    }
});

/// Topic codes and labels, in FtM's order.
pub(crate) static TOPIC_DB: LazyLock<Vec<(&'static str, &'static str)>> =
    LazyLock::new(|| rows(TOPICS).map(|r| (field(&r, 0), field(&r, 1))).collect());

pub(crate) static TOPIC_INDEX: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| TOPIC_DB.iter().copied().collect());

pub(crate) struct Genders {
    pub labels: Vec<(&'static str, &'static str)>,
    pub aliases: HashMap<&'static str, &'static str>,
}

pub(crate) static GENDER_DB: LazyLock<Genders> = LazyLock::new(|| {
    let mut labels = Vec::new();
    let mut aliases = HashMap::new();
    for row in rows(GENDERS) {
        match field(&row, 0) {
            "=" => labels.push((field(&row, 1), field(&row, 2))),
            _ => {
                aliases.insert(field(&row, 1), field(&row, 2));
            }
        }
    }
    Genders { labels, aliases }
});

pub(crate) struct MimeTypes {
    pub replace: HashMap<&'static str, &'static str>,
    pub labels: HashMap<&'static str, &'static str>,
}

pub(crate) static MIME_DB: LazyLock<MimeTypes> = LazyLock::new(|| {
    let mut replace = HashMap::new();
    let mut labels = HashMap::new();
    for row in rows(MIMETYPES) {
        let target = if field(&row, 0) == ">" {
            &mut replace
        } else {
            &mut labels
        };
        target.insert(field(&row, 1), field(&row, 2));
    }
    MimeTypes { replace, labels }
});

pub(crate) struct IdTables {
    /// IBAN country code to BBAN structure (`4!n4!n12!c`).
    pub iban: HashMap<&'static str, &'static str>,
    pub isin_countries: HashSet<&'static str>,
    pub bic_countries: HashSet<&'static str>,
    pub be_banks: HashSet<&'static str>,
    /// python-stdnum's folding of look-alike characters (dashes, dots, digits…).
    pub chars: HashMap<char, char>,
}

pub(crate) static ID_DB: LazyLock<IdTables> = LazyLock::new(|| {
    let mut t = IdTables {
        iban: HashMap::new(),
        isin_countries: HashSet::new(),
        bic_countries: HashSet::new(),
        be_banks: HashSet::new(),
        chars: HashMap::new(),
    };
    for row in rows(IDS) {
        match field(&row, 0) {
            "iban" => {
                t.iban.insert(field(&row, 1), field(&row, 2));
            }
            "isin" => {
                t.isin_countries.insert(field(&row, 1));
            }
            "bic" => {
                t.bic_countries.insert(field(&row, 1));
            }
            "bebank" => {
                t.be_banks.insert(field(&row, 1));
            }
            "char" => {
                let from = u32::from_str_radix(field(&row, 1), 16)
                    .ok()
                    .and_then(char::from_u32);
                let to = field(&row, 2).chars().next();
                if let (Some(from), Some(to)) = (from, to) {
                    t.chars.insert(from, to);
                }
            }
            _ => {}
        }
    }
    t
});

/// rigour's transliteration of single characters to ASCII (the output may be empty).
pub(crate) static TRANSLIT_DB: LazyLock<HashMap<char, &'static str>> = LazyLock::new(|| {
    rows(TRANSLIT)
        .filter_map(|row| {
            let c = u32::from_str_radix(field(&row, 0), 16)
                .ok()
                .and_then(char::from_u32)?;
            Some((c, row.get(1).copied().unwrap_or("")))
        })
        .collect()
});

/// IDNA 2008 code point classes (RFC 5892) as sorted, inclusive ranges, plus the script
/// and joining-type ranges the contextual rules consult.
pub(crate) struct IdnaTables {
    pub pvalid: Vec<(u32, u32)>,
    pub contextj: Vec<(u32, u32)>,
    pub contexto: Vec<(u32, u32)>,
    pub scripts: HashMap<&'static str, Vec<(u32, u32)>>,
    pub joining: HashMap<&'static str, Vec<(u32, u32)>>,
}

pub(crate) static IDNA_DB: LazyLock<IdnaTables> = LazyLock::new(|| {
    let mut t = IdnaTables {
        pvalid: Vec::new(),
        contextj: Vec::new(),
        contexto: Vec::new(),
        scripts: HashMap::new(),
        joining: HashMap::new(),
    };
    for row in rows(IDNA) {
        // kind, name, first code point, last code point (hex)
        let range = (
            u32::from_str_radix(field(&row, 2), 16).unwrap_or(u32::MAX),
            u32::from_str_radix(field(&row, 3), 16).unwrap_or(0),
        );
        match (field(&row, 0), field(&row, 1)) {
            ("class", "PVALID") => t.pvalid.push(range),
            ("class", "CONTEXTJ") => t.contextj.push(range),
            ("class", "CONTEXTO") => t.contexto.push(range),
            ("script", name) => t.scripts.entry(name).or_default().push(range),
            ("joining", name) => t.joining.entry(name).or_default().push(range),
            _ => {}
        }
    }
    t
});

/// Whether a code point falls in one of the sorted, non-overlapping ranges.
pub(crate) fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_parses() {
        assert_eq!(TERRITORY_DB.all.len(), 619);
        assert!(
            TERRITORY_DB
                .all
                .iter()
                .filter(|t| t.ftm == Some(t.code))
                .count()
                >= 281
        );
        assert!(TERRITORY_DB.names.len() > 20_000);
        assert!(!TERRITORY_DB.native.is_empty());
        assert_eq!(LANGUAGE_DB.labels.len(), 74);
        assert_eq!(TOPIC_DB.len(), 75);
        assert_eq!(GENDER_DB.labels.len(), 3);
        assert!(MIME_DB.replace.len() > 10 && !MIME_DB.labels.is_empty());
        assert!(ID_DB.iban.len() > 80 && ID_DB.isin_countries.contains("XS"));
        assert!(ID_DB.be_banks.contains("000"));
        assert_eq!(TRANSLIT_DB.get(&'ŋ').copied(), Some("n"));
        assert_eq!(TRANSLIT_DB.get(&'\u{301}').copied(), Some(""));
        assert!(IDNA_DB.pvalid.len() > 1000);
        assert!(IDNA_DB.pvalid.windows(2).all(|w| w[0].1 < w[1].0));
    }

    #[test]
    fn range_lookup() {
        let ranges = [(0x30, 0x39), (0x61, 0x7A)];
        assert!(in_ranges(&ranges, 'a') && in_ranges(&ranges, '9'));
        assert!(!in_ranges(&ranges, 'A') && !in_ranges(&ranges, '{'));
    }
}
