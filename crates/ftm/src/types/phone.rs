//! Phone numbers in E.164 form, via the Rust port of libphonenumber.
//!
//! A number must be valid (not merely possible) for its country's numbering plan. It is
//! read as an international number first; only if that fails and the property gives a
//! country as `format` is it read as dialled in that country. FtM 4 uses no other hint,
//! so a national number without a country is refused.

use std::borrow::Cow;

use phonenumber::{Mode, PhoneNumber, country};

use super::country::get_territory;
use super::text::digit_value;

/// The libphonenumber region for a territory code (`gb-eng` dials as `GB`), as FtM's
/// `_dialing_region`. FtM raises for a territory without a dialling plan (`eu`, `zz`);
/// here the value is refused instead.
fn dialing_region(format: &str) -> Option<country::Id> {
    let region = get_territory(format)?.dial_region?;
    region.parse().ok()
}

/// libphonenumber reads digits of any script and the fullwidth plus; the Rust port only
/// ASCII, so fold them first.
fn fold_digits(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\u{FF0B}' => '+',
            _ => digit_value(c)
                .and_then(|d| char::from_digit(d, 10))
                .unwrap_or(c),
        })
        .collect()
}

fn parse_once(text: &str, region: Option<country::Id>) -> Option<PhoneNumber> {
    // The parser indexes into the input and may panic on pathological strings; a
    // refused value is the right answer for those too.
    let parsed = std::panic::catch_unwind(|| phonenumber::parse(region, text))
        .ok()?
        .ok()?;
    phonenumber::is_valid(&parsed).then_some(parsed)
}

fn parse_valid(text: &str, region: Option<country::Id>) -> Option<PhoneNumber> {
    let text = fold_digits(text);
    parse_once(&text, region).or_else(|| {
        // The port misses RFC 3966 extensions written into a plain number.
        let (number, ext) = text.split_once(";ext=")?;
        parse_once(&format!("{number} ext. {ext}"), region)
    })
}

pub(crate) fn clean(text: &str, format: Option<&str>) -> Option<String> {
    let region = match format {
        Some(f) => Some(dialing_region(f)?),
        None => None,
    };
    let parsed =
        parse_valid(text, None).or_else(|| region.and_then(|r| parse_valid(text, Some(r))))?;
    Some(parsed.format().mode(Mode::E164).to_string())
}

/// A readable form of a stored number (`+49 30 1234567`).
pub(crate) fn caption(value: &str) -> Option<String> {
    let parsed = std::panic::catch_unwind(|| phonenumber::parse(None, value))
        .ok()?
        .ok()?;
    Some(parsed.format().mode(Mode::International).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_and_national() {
        assert_eq!(
            clean("+1 (202) 555-0143", None).as_deref(),
            Some("+12025550143")
        );
        assert_eq!(
            clean("+49 30 1234567", None).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(clean("030 1234567", None), None);
        assert_eq!(
            clean("030 1234567", Some("de")).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            clean("030 1234567", Some("deu")).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            clean("020 7946 0018", Some("gb-eng")).as_deref(),
            Some("+442079460018")
        );
        assert_eq!(clean("+49 30 1234567", Some("eu")), None);
        assert_eq!(clean("+49 1", None), None);
        assert_eq!(clean("hello", Some("de")), None);
        assert_eq!(
            clean("+４９ ３０ １２３４５６７", None).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            clean("+49 30 1234567;ext=12", None).as_deref(),
            Some("+49301234567")
        );
    }

    #[test]
    fn captions() {
        assert_eq!(caption("+49301234567").as_deref(), Some("+49 30 1234567"));
    }
}
