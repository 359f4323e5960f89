//! Phone numbers, in E.164 form.
//!
//! A number written with its international prefix (`+49 30 …`, `0049 30 …`) is cleaned
//! as it is. A national number (`030 1234567`, `(202) 555-0143`) says nothing about its
//! country, so it is tried in each of the caller's regions in turn (the document's
//! countries, then the collection's) and kept in the first where it is a valid number.
//! Countries without a trunk `0` (Spain, Italy, Portugal…) write national numbers
//! without it (`912 345 678`): there a grouped number is tried as it stands. Russia's
//! trunk prefix is `8` (`8 (812) 555-12-34`). Dates, amounts, bare digit strings and
//! numbers introduced as an order, invoice or file number are not numbers to dial.

use std::sync::LazyLock;

use ftm::{CleanOptions, PropertyType};
use regex::Regex;

use super::{Finding, PatternKind, char_at, char_before, taken};

/// An optional international prefix, then 6 to 17 digits with at most two separator
/// characters between any two of them.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+|(?-u:\b)00)?\(?[0-9](?:[ \u{a0}().\-/]{0,2}[0-9]){5,16}")
        .expect("valid regex")
});
static DATE_OR_AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[0-9]{1,4}[./\-][0-9]{1,2}[./\-][0-9]{1,4}|[0-9]{1,3}(?:[.,  ][0-9]{3})+|[0-9]{4}-[0-9]{2}-[0-9]{2}.*)$",
    )
    .expect("valid regex")
});
/// North American numbers have no trunk prefix, only this shape.
static NANP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\(?[0-9]{3}\)?[ .\-][0-9]{3}[ .\-][0-9]{4}$").expect("valid regex")
});

/// Countries whose national numbers have no trunk prefix.
const NO_TRUNK_PREFIX: [&str; 9] = ["es", "it", "pt", "gr", "dk", "no", "lu", "mt", "cy"];
/// Countries whose trunk prefix is `8`.
const TRUNK_EIGHT: [&str; 3] = ["ru", "by", "kz"];
/// Words that introduce a reference number rather than a phone number, checked in the
/// few words before a national number (lowercase).
const REFERENCE_CUES: [&str; 15] = [
    "order",
    "invoice",
    "reference",
    "commande",
    "facture",
    "référence",
    "bestellung",
    "rechnung",
    "aktenzeichen",
    "pedido",
    "factura",
    "expediente",
    "заказ",
    "счет-фактур",
    "счёт-фактур",
];
/// How far back (bytes) a reference cue is looked for.
const CUE_WINDOW: usize = 30;

const MIN_DIGITS: usize = 7;
const MAX_DIGITS: usize = 15;

pub(super) fn phones(text: &str, regions: &[String], out: &mut Vec<Finding>) {
    let mut pos = 0;
    while let Some(m) = PHONE.find_at(text, pos) {
        pos = m.end();
        let bounded = !char_before(text, m.start())
            .is_some_and(|c| c.is_alphanumeric() || c == '+')
            && !char_at(text, m.end()).is_some_and(|c| c.is_alphanumeric());
        if !bounded || taken(out, &m.range()) {
            continue;
        }
        // The longest reading that is a valid number, cutting at separators.
        let raw = m.as_str();
        let mut cuts: Vec<usize> = raw
            .char_indices()
            .filter(|(i, c)| {
                !c.is_ascii_digit() && raw[..*i].ends_with(|d: char| d.is_ascii_digit())
            })
            .map(|(i, _)| i)
            .collect();
        cuts.push(raw.len());
        for cut in cuts.into_iter().rev() {
            let candidate = raw[..cut].trim_end();
            let cued = || reference_cue(text, m.start());
            if let Some((value, country)) = clean_phone(candidate, regions, cued) {
                out.push(Finding {
                    kind: PatternKind::Phone,
                    value,
                    span: m.start()..m.start() + candidate.len(),
                    country,
                });
                pos = m.start() + candidate.len();
                break;
            }
        }
    }
}

/// The E.164 form of a candidate and the country it belongs to.
fn clean_phone(
    candidate: &str,
    regions: &[String],
    reference_cued: impl Fn() -> bool,
) -> Option<(String, Option<String>)> {
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        return None;
    }
    // `912 345 678` is grouped like an amount, and is how Spain writes its numbers.
    let nine_digit_national = digits == 9 && candidate.starts_with(['6', '7', '8', '9']);
    let amount_shape = DATE_OR_AMOUNT.is_match(candidate);
    if amount_shape && !nine_digit_national {
        return None;
    }
    let international = candidate
        .strip_prefix('+')
        .or_else(|| candidate.strip_prefix("00"));
    if let Some(rest) = international {
        let value = PropertyType::Phone.clean(&format!("+{rest}"), CleanOptions::default())?;
        let country = country_of(&value);
        return Some((value, country));
    }
    let national =
        candidate.starts_with('0') || candidate.starts_with('(') || NANP.is_match(candidate);
    let grouped = candidate.contains([' ', '-', '.', '\u{a0}']);
    let fits = |region: &str| {
        (national && !amount_shape)
            || (grouped && NO_TRUNK_PREFIX.contains(&region))
            || (candidate.starts_with('8') && TRUNK_EIGHT.contains(&region))
    };
    if !regions.iter().any(|r| fits(r)) || reference_cued() {
        return None;
    }
    regions.iter().filter(|r| fits(r)).find_map(|region| {
        let opts = CleanOptions {
            format: Some(region),
            fuzzy: false,
        };
        let value = PropertyType::Phone.clean(candidate, opts)?;
        Some((value, Some(region.to_ascii_lowercase())))
    })
}

/// Whether the words just before byte `at` introduce a reference number.
fn reference_cue(text: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(CUE_WINDOW);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = text[from..at].to_lowercase();
    // Only the current line counts.
    let before = before.rsplit('\n').next().unwrap_or_default();
    REFERENCE_CUES.iter().any(|cue| before.contains(cue))
}

/// The country of an E.164 number, as FtM's phone type hints it.
fn country_of(e164: &str) -> Option<String> {
    let parsed = std::panic::catch_unwind(|| phonenumber::parse(None, e164))
        .ok()?
        .ok()?;
    let id = parsed.country().id()?;
    Some(id.as_ref().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::super::find_patterns;
    use super::*;

    fn phones_in(text: &str, regions: &[&str]) -> Vec<(String, Option<String>)> {
        let regions: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
        find_patterns(text, &regions)
            .into_iter()
            .filter(|f| f.kind == PatternKind::Phone)
            .map(|f| (f.value, f.country))
            .collect()
    }

    #[test]
    fn international_numbers_need_no_hint() {
        assert_eq!(
            phones_in("Tel. +49 30 1234567, fax 0044 20 7946 0018.", &[]),
            [
                ("+49301234567".to_owned(), Some("de".to_owned())),
                ("+442079460018".to_owned(), Some("gb".to_owned()))
            ]
        );
    }

    #[test]
    fn national_numbers_use_the_hints_in_order() {
        assert!(phones_in("Tel. 030 1234567", &[]).is_empty());
        assert_eq!(
            phones_in("Tel. 030 1234567", &["de"]),
            [("+49301234567".to_owned(), Some("de".to_owned()))]
        );
        // Not a valid number in Great Britain: the next hint is tried.
        assert_eq!(
            phones_in("Tel. 030 1234567", &["gb", "de"]),
            [("+49301234567".to_owned(), Some("de".to_owned()))]
        );
        // It is a valid French number too: the first hint that fits wins.
        assert_eq!(
            phones_in("Tel. 030 1234567", &["fr", "de"]),
            [("+33301234567".to_owned(), Some("fr".to_owned()))]
        );
        assert_eq!(
            phones_in("call (202) 555-0143 today", &["us"]),
            [("+12025550143".to_owned(), Some("us".to_owned()))]
        );
    }

    #[test]
    fn dates_amounts_and_identifiers_are_not_phones() {
        let text = "On 2021-02-16 we paid 1.000.000 EUR, order 12345678, date 16.02.2021, \
                    IBAN DE89 3704 0044 0532 0130 00";
        assert!(phones_in(text, &["de"]).is_empty());
    }

    #[test]
    fn national_numbers_without_a_trunk_zero() {
        assert_eq!(
            phones_in("llame al 912 345 678 hoy", &["es"]),
            [("+34912345678".to_owned(), Some("es".to_owned()))]
        );
        // Not grouped, or not in a country without a trunk prefix: not a phone.
        assert!(phones_in("pedimos 912345678 unidades", &["es"]).is_empty());
        assert!(phones_in("call 912 345 678", &["gb"]).is_empty());
        assert_eq!(
            phones_in("Звоните 8 (812) 555-12-34 днём", &["ru"]),
            [("+78125551234".to_owned(), Some("ru".to_owned()))]
        );
        assert!(phones_in("call 8 (812) 555-12-34", &["de"]).is_empty());
    }

    #[test]
    fn reference_numbers_are_not_phones() {
        assert!(phones_in("Numéro de commande 06 2021 4478, montant", &["fr"]).is_empty());
        assert!(phones_in("Rechnung 030 1234567 vom Mai", &["de"]).is_empty());
        // The cue must be on the same line and close by.
        assert_eq!(
            phones_in("Rechnung anbei.\nTel. 030 1234567", &["de"]).len(),
            1
        );
        assert_eq!(
            phones_in("Portable : 06 12 34 56 78", &["fr"]),
            [("+33612345678".to_owned(), Some("fr".to_owned()))]
        );
    }

    #[test]
    fn two_numbers_in_a_row() {
        assert_eq!(phones_in("+49 30 1234567 +49 40 7654321", &[]).len(), 2,);
    }
}
