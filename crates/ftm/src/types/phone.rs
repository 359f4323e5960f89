//! Phone numbers in E.164 form, via the Rust port of libphonenumber.
//!
//! A number must be valid (not merely possible) for its country's numbering plan. It is
//! read as an international number first; only if that fails and the property gives a
//! country as `format` is it read as dialled in that country. FtM 4 uses no other hint,
//! so a national number without a country is refused.

use phonenumber::{Mode, PhoneNumber, country};

use super::country::get_territory;

/// The libphonenumber region for a territory code (`gb-eng` dials as `GB`), as FtM's
/// `_dialing_region`. FtM raises for a territory without a dialling plan (`eu`, `zz`);
/// here the value is refused instead.
fn dialing_region(format: &str) -> Option<country::Id> {
    let region = get_territory(format)?.dial_region?;
    region.parse().ok()
}

fn parse_valid(text: &str, region: Option<country::Id>) -> Option<PhoneNumber> {
    // The parser indexes into the input and may panic on pathological strings; a
    // refused value is the right answer for those too.
    let parsed = std::panic::catch_unwind(|| phonenumber::parse(region, text))
        .ok()?
        .ok()?;
    phonenumber::is_valid(&parsed).then_some(parsed)
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
    }

    #[test]
    fn captions() {
        assert_eq!(caption("+49301234567").as_deref(), Some("+49 30 1234567"));
    }
}
