//! libphonenumber's rules for finding the national significant number, where the Rust
//! port departs from them.
//!
//! The port strips a national prefix (`8` in Russia, `1` in the NANP) or a leading
//! country code without libphonenumber's safeguards: libphonenumber keeps the digits as
//! they are when they already form a plausible national number and stripping would not,
//! and only strips when what remains has a possible length. So `+7 800 123-45-67` (a
//! Russian toll-free number) lost its `8` in the port and became invalid. For plain
//! numbers (digits, spaces and punctuation, no letters or extension) we redo the split
//! here and validate the result with the same checks as everywhere else.

use phonenumber::metadata::{DATABASE, Metadata};
use regex::Regex;

use super::pattern_cache::StaticPatterns;
use super::phone::{full_match, main_meta};

/// A number as calling code and national significant number.
pub(crate) struct Split {
    pub code: u16,
    pub national: String,
}

/// The digits of a plain number and whether it was written with a leading `+`; `None`
/// for anything else (letters, extensions, several numbers), which we leave to the port.
fn plain_digits(text: &str) -> Option<(bool, String)> {
    let body = text.trim();
    let (plus, rest) = match body.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => return None,
        }
    }
    (digits.len() >= 2 && digits.len() <= 17).then_some((plus, digits))
}

static PATTERNS: StaticPatterns = StaticPatterns::new();
/// National prefixes without a parsing pattern, matched literally.
static PREFIXES: StaticPatterns = StaticPatterns::new();

/// A metadata pattern compiled to match at the start of the text (Java's `lookingAt`).
fn anchored(pattern: &'static str) -> Option<&'static Regex> {
    PATTERNS.get(pattern, || Regex::new(&format!("(?x)^(?:{pattern})")).ok())
}

/// The general description's full pattern: is this a plausible national number?
fn viable(meta: &'static Metadata, national: &str) -> bool {
    full_match(
        meta.descriptors().general().national_number().as_str(),
        national,
    )
}

#[derive(PartialEq, Eq)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// `testNumberLength` for an unknown number type: the lengths of all the region's types.
fn test_length(meta: &'static Metadata, national: &str) -> Length {
    let d = meta.descriptors();
    let mut possible: Vec<u16> = Vec::new();
    let mut local: Vec<u16> = Vec::new();
    for desc in [
        Some(d.general()),
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    {
        possible.extend(desc.possible_length());
        local.extend(desc.possible_local_length());
    }
    possible.sort_unstable();
    possible.dedup();
    // As in libphonenumber's general description: lengths possible only locally are
    // those that are not possible in full for any type.
    local.retain(|l| !possible.contains(l));
    let len = u16::try_from(national.len()).unwrap_or(u16::MAX);
    let (Some(&min), Some(&max)) = (possible.first(), possible.last()) else {
        return Length::Invalid;
    };
    if local.contains(&len) {
        Length::LocalOnly
    } else if len == min {
        Length::Possible
    } else if len < min {
        Length::TooShort
    } else if len > max {
        Length::TooLong
    } else if possible.contains(&len) {
        Length::Possible
    } else {
        Length::Invalid
    }
}

/// `maybeStripNationalPrefixAndCarrierCode`: the number without its national prefix,
/// unless stripping would turn a plausible number into an implausible one.
fn strip_national_prefix(meta: &'static Metadata, number: &str) -> Option<String> {
    let re = match meta.national_prefix_for_parsing() {
        Some(p) => anchored(p.as_str())?,
        None => {
            let prefix = meta.national_prefix()?;
            PREFIXES.get(prefix, || {
                Regex::new(&format!("^(?:{})", regex::escape(prefix))).ok()
            })?
        }
    };
    let caps = re.captures(number)?;
    let end = caps.get(0)?.end();
    let viable_original = viable(meta, number);
    let last_group = caps
        .len()
        .checked_sub(1)
        .and_then(|i| if i == 0 { None } else { caps.get(i) });
    let stripped = match (meta.national_prefix_transform_rule(), last_group) {
        (Some(rule), Some(_)) if !rule.is_empty() => {
            let mut out = String::new();
            caps.expand(rule, &mut out);
            out.push_str(&number[end..]);
            out
        }
        _ => number[end..].to_owned(),
    };
    if viable_original && !viable(meta, &stripped) {
        return None;
    }
    Some(stripped)
}

/// Strip the national prefix only if what remains could be a number of the region.
fn national_number(meta: &'static Metadata, number: &str) -> String {
    match strip_national_prefix(meta, number) {
        Some(stripped)
            if !matches!(
                test_length(meta, &stripped),
                Length::TooShort | Length::LocalOnly | Length::Invalid
            ) =>
        {
            stripped
        }
        _ => number.to_owned(),
    }
}

/// libphonenumber's split of a plain number into calling code and national number:
/// after a `+`, the calling code is read from the number; otherwise the number is dialled
/// in `region` (and may still start with that region's own calling code).
pub(crate) fn split(text: &str, region: Option<&str>) -> Option<Split> {
    let (plus, digits) = plain_digits(text)?;
    if plus {
        let (code, rest) = (1..=3).filter(|&n| n < digits.len()).find_map(|n| {
            let code: u16 = digits[..n].parse().ok()?;
            (digits.as_bytes()[0] != b'0' && DATABASE.region(&code).is_some())
                .then(|| (code, &digits[n..]))
        })?;
        let meta = main_meta(code)?;
        return Some(Split {
            code,
            national: national_number(meta, rest),
        });
    }
    let meta = DATABASE.by_id(region?)?;
    let code = meta.country_code();
    if digits.starts_with("00") || digits.starts_with("011") {
        // An international dialling prefix: the port reads these well enough.
        return None;
    }
    let code_str = code.to_string();
    let mut number = digits.clone();
    if let Some(potential) = digits.strip_prefix(&code_str) {
        let potential =
            strip_national_prefix(meta, potential).unwrap_or_else(|| potential.to_owned());
        if (!viable(meta, &digits) && viable(meta, &potential))
            || test_length(meta, &digits) == Length::TooLong
        {
            number = potential;
        }
    }
    Some(Split {
        code,
        national: national_number(meta, &number),
    })
}

/// Whether the split number is valid (see `phone::is_valid_parts`).
pub(crate) fn is_valid(split: &Split) -> bool {
    super::phone::is_valid_parts(split.code, &split.national)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(text: &str, region: Option<&str>) -> Option<String> {
        split(text, region)
            .filter(is_valid)
            .map(|s| format!("+{}{}", s.code, s.national))
    }

    #[test]
    fn national_prefixes_are_kept_when_stripping_would_break_the_number() {
        assert_eq!(
            e164("+7 800 123-45-67", None).as_deref(),
            Some("+78001234567")
        );
        assert_eq!(
            e164("8 (800) 123-45-67", Some("RU")).as_deref(),
            Some("+78001234567")
        );
        assert_eq!(
            e164("+1 15795748465", None).as_deref(),
            Some("+15795748465")
        );
        assert_eq!(
            e164("9121810473", Some("IN")).as_deref(),
            Some("+919121810473")
        );
        assert_eq!(
            e164("030 1234567", Some("DE")).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(e164("+44 001393446755", None), None);
    }

    #[test]
    fn only_plain_numbers() {
        assert!(split("+49 30 1234567 ext. 12", None).is_none());
        assert!(split("+1 800 FLOWERS", None).is_none());
        assert!(split("hello", Some("DE")).is_none());
    }
}
