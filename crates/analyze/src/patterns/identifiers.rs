//! Bank and registry identifiers: IBAN, BIC (SWIFT code), LEI and IMO numbers, each
//! validated by FtM's identifier cleaner (which checks the check digits).

use std::sync::LazyLock;

use ftm::{CleanOptions, PropertyType};
use regex::Regex;

use super::{Finding, PatternKind, taken};

/// Country code, check digits, then 11 to 30 letters or digits, optionally in groups.
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{2}[0-9]{2}(?:[ \u{a0}]?[A-Z0-9]){11,30}(?-u:\b)")
        .expect("valid regex")
});
static BIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?-u:\b)").expect("valid regex")
});
/// The words that announce a BIC: without one, eight capitals are too often a word.
static BIC_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:bic|swift|s\.w\.i\.f\.t\.?)(?:[ -]?code)?(?-u:\b)")
        .expect("valid regex")
});
static LEI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)[A-Z0-9]{18}[0-9]{2}(?-u:\b)").expect("valid regex"));
static IMO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)IMO(?:[ \t]*(?:No\.?|number|Nr\.?|#))?[ \t]*[:.#]?[ \t]*([0-9]{7})(?-u:\b)",
    )
    .expect("valid regex")
});

fn clean(raw: &str, format: &str) -> Option<String> {
    PropertyType::Identifier.clean(
        raw,
        CleanOptions {
            format: Some(format),
            fuzzy: false,
        },
    )
}

/// IBANs with valid check digits. A match may run into the next word (`… 0130 00 EUR`),
/// so shorter readings that end at a group boundary are tried, longest first.
pub(super) fn ibans(text: &str, out: &mut Vec<Finding>) {
    for m in IBAN.find_iter(text) {
        let raw = m.as_str();
        let mut ends: Vec<usize> = raw
            .char_indices()
            .filter(|(_, c)| *c == ' ' || *c == '\u{a0}')
            .map(|(i, _)| i)
            .collect();
        ends.push(raw.len());
        for end in ends.into_iter().rev() {
            let candidate = &raw[..end];
            let compact_len = candidate
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .count();
            if compact_len < 15 {
                break;
            }
            if let Some(value) = clean(candidate, "iban") {
                let country = Some(value[..2].to_ascii_lowercase());
                out.push(Finding {
                    kind: PatternKind::Iban,
                    value,
                    span: m.start()..m.start() + end,
                    country,
                });
                break;
            }
        }
    }
}

/// BICs announced by `BIC` or `SWIFT` earlier on the same line.
pub(super) fn bics(text: &str, out: &mut Vec<Finding>) {
    for m in BIC.find_iter(text) {
        let line_start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
        let window_start = floor_boundary(text, m.start().saturating_sub(40).max(line_start));
        if !BIC_CUE.is_match(&text[window_start..m.start()]) || taken(out, &m.range()) {
            continue;
        }
        if let Some(value) = clean(m.as_str(), "bic") {
            out.push(Finding {
                kind: PatternKind::Bic,
                value,
                span: m.range(),
                country: None,
            });
        }
    }
}

/// Legal Entity Identifiers (ISO 17442): 20 characters with ISO 7064 check digits.
pub(super) fn leis(text: &str, out: &mut Vec<Finding>) {
    for m in LEI.find_iter(text) {
        let body = &m.as_str()[..18];
        let mixed = body.chars().any(|c| c.is_ascii_uppercase())
            && body.chars().any(|c| c.is_ascii_digit());
        if !mixed || taken(out, &m.range()) {
            continue;
        }
        if let Some(value) = clean(m.as_str(), "lei") {
            out.push(Finding {
                kind: PatternKind::Lei,
                value,
                span: m.range(),
                country: None,
            });
        }
    }
}

/// IMO ship and company numbers, written after `IMO` (`IMO 9074729`, `IMO No. 9074729`).
pub(super) fn imos(text: &str, out: &mut Vec<Finding>) {
    for caps in IMO.captures_iter(text) {
        let (Some(all), Some(digits)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        if let Some(value) = clean(&format!("IMO{}", digits.as_str()), "imo") {
            out.push(Finding {
                kind: PatternKind::Imo,
                value,
                span: all.range(),
                country: None,
            });
        }
    }
}

/// The largest char boundary at or before `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::super::find_patterns;
    use super::*;

    fn values(text: &str, kind: PatternKind) -> Vec<String> {
        find_patterns(text, &[])
            .into_iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.value)
            .collect()
    }

    #[test]
    fn ibans_need_valid_check_digits() {
        assert_eq!(
            values(
                "IBAN: DE89 3704 0044 0532 0130 00 EUR 100",
                PatternKind::Iban
            ),
            ["DE89370400440532013000"]
        );
        assert_eq!(
            values("pay GB29NWBK60161331926819 now", PatternKind::Iban),
            ["GB29NWBK60161331926819"]
        );
        // Bad check digits (88 instead of 89), and a plain order number.
        assert!(values("DE88 3704 0044 0532 0130 00", PatternKind::Iban).is_empty());
        assert!(values("Order AB12 3456 7890 1234 56", PatternKind::Iban).is_empty());
        let found = find_patterns("DE89370400440532013000", &[]);
        assert_eq!(found[0].country.as_deref(), Some("de"));
    }

    #[test]
    fn bics_need_a_cue() {
        // FtM keeps the institution, country and location codes, not the branch.
        assert_eq!(values("BIC: DEUTDEFF500", PatternKind::Bic), ["DEUTDEFF"]);
        assert_eq!(
            values("SWIFT code COBADEFFXXX.", PatternKind::Bic),
            ["COBADEFF"]
        );
        // Eight capitals without a cue are a shouted word, not a bank.
        assert!(values("BUSINESS AS USUAL", PatternKind::Bic).is_empty());
    }

    #[test]
    fn leis_and_imos() {
        assert_eq!(
            values("LEI 5493001KJTIIGC8Y1R12 registered", PatternKind::Lei),
            ["5493001KJTIIGC8Y1R12"]
        );
        assert!(values("LEI 5493001KJTIIGC8Y1R13", PatternKind::Lei).is_empty());
        assert_eq!(
            values("vessel IMO No. 9074729", PatternKind::Imo),
            ["IMO9074729"]
        );
        assert!(values("IMO 9074728", PatternKind::Imo).is_empty());
    }
}
