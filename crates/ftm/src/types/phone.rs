//! Phone numbers in E.164 form, via the Rust port of libphonenumber.
//!
//! A number must be valid (not merely possible) for its country's numbering plan. It is
//! read as an international number first; only if that fails and the property gives a
//! country as `format` is it read as dialled in that country. FtM 4 uses no other hint,
//! so a national number without a country is refused.

use std::borrow::Cow;
use std::sync::LazyLock;

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use phonenumber::{Mode, PhoneNumber, country};
use regex::Regex;
use rustc_hash::FxHashMap;

use super::country::get_territory;
use super::pattern_cache::StaticPatterns;
use super::phone_parse;
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
    is_valid(&parsed).then_some(parsed)
}

/// libphonenumber's `isValidNumber`. The port's own check lets a number pass when a
/// pattern matches only its beginning (so a number with a digit too many is "valid");
/// libphonenumber requires the whole national number to match a number type's pattern
/// and one of its possible lengths.
fn is_valid(number: &PhoneNumber) -> bool {
    is_valid_parts(number.code().value(), &number.national().to_string())
}

/// The metadata of the regions sharing a calling code, main region first as listed.
pub(crate) fn region_metas(code: u16) -> &'static [&'static Metadata] {
    REGION_METAS.get(&code).map_or(&[], Vec::as_slice)
}

/// [`region_metas`] for every calling code, gathered once: the database answers with a
/// new vector of region names per question, to be looked up again by name.
static REGION_METAS: LazyLock<FxHashMap<u16, Vec<&'static Metadata>>> = LazyLock::new(|| {
    let mut codes: Vec<u16> = DATABASE.iter().map(Metadata::country_code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .map(|code| (code, lookup_region_metas(code)))
        .collect()
});

fn lookup_region_metas(code: u16) -> Vec<&'static Metadata> {
    let Some(regions) = DATABASE.region(&code) else {
        return Vec::new();
    };
    if regions.len() == 1 && regions[0] == "001" {
        DATABASE.by_code(&code).unwrap_or_default()
    } else {
        regions.iter().filter_map(|r| DATABASE.by_id(*r)).collect()
    }
}

/// [`is_valid`] for a calling code and national significant number: the number must be of
/// a known type in the region it belongs to among those sharing its calling code (the only
/// one, or the first whose leading digits start the number or else whose types match it).
pub(crate) fn is_valid_parts(code: u16, national: &str) -> bool {
    let metas = region_metas(code);
    if let [only] = metas {
        return has_type(only, national);
    }
    for meta in metas {
        match meta.leading_digits() {
            Some(leading) => {
                if leading.find(national).is_some_and(|m| m.start() == 0) {
                    return has_type(meta, national);
                }
            }
            None => {
                if has_type(meta, national) {
                    return true;
                }
            }
        }
    }
    false
}

/// The main region of a calling code (GB for +44, US for +1), whose formats apply to
/// every number with that code.
pub(crate) fn main_meta(code: u16) -> Option<&'static Metadata> {
    let metas = region_metas(code);
    metas
        .iter()
        .copied()
        .find(|m| m.is_main_country_for_code())
        .or_else(|| metas.first().copied())
}

/// libphonenumber's international format (`+7 800 123-45-67`): the first format of the
/// calling code's main region whose leading digits and pattern fit the number.
fn format_international(code: u16, national: &str) -> String {
    let formatted = main_meta(code).and_then(|meta| {
        let formats = if meta.international_formats().is_empty() {
            meta.formats()
        } else {
            meta.international_formats()
        };
        formats.iter().find_map(|format| {
            if let Some(leading) = format.leading_digits().last()
                && leading.find(national).is_none_or(|m| m.start() != 0)
            {
                return None;
            }
            let pattern = format.pattern().as_str();
            let re =
                FULL_PATTERNS.get(pattern, || Regex::new(&format!("(?x)^(?:{pattern})$")).ok())?;
            if !re.is_match(national) {
                return None;
            }
            let template = DOLLAR_GROUP.replace_all(format.format(), "$${$1}");
            Some(re.replace(national, template.as_ref()).into_owned())
        })
    });
    format!(
        "+{code} {}",
        formatted.unwrap_or_else(|| national.to_owned())
    )
}

static DOLLAR_GROUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$(\d)").unwrap_or_else(|e| panic!("{e}")));

/// Whether the national number is of some known type in the region (`getNumberType`
/// is not `UNKNOWN`).
fn has_type(meta: &'static Metadata, national: &str) -> bool {
    let d = meta.descriptors();
    let general = d.general();
    if !matches_desc(general, general, national) {
        return false;
    }
    [
        d.premium_rate(),
        d.toll_free(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
        d.fixed_line(),
        d.mobile(),
    ]
    .into_iter()
    .flatten()
    .any(|desc| matches_desc(desc, general, national))
}

fn matches_desc(desc: &'static Descriptor, general: &Descriptor, national: &str) -> bool {
    let lengths = if desc.possible_length().is_empty() {
        general.possible_length()
    } else {
        desc.possible_length()
    };
    let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
    if !lengths.is_empty() && !lengths.contains(&length) {
        return false;
    }
    full_match(desc.national_number().as_str(), national)
}

static FULL_PATTERNS: StaticPatterns = StaticPatterns::new();

/// Whether a metadata pattern matches the whole text (libphonenumber's `matches()`).
/// Metadata patterns are written in verbose mode (with white space).
pub(crate) fn full_match(pattern: &'static str, text: &str) -> bool {
    FULL_PATTERNS
        .get(pattern, || Regex::new(&format!("(?x)^(?:{pattern})$")).ok())
        .is_some_and(|r| r.is_match(text))
}

fn parse_valid(text: &str, region: Option<country::Id>) -> Option<PhoneNumber> {
    let text = fold_digits(text);
    parse_once(&text, region).or_else(|| {
        // The port misses RFC 3966 extensions written into a plain number.
        let (number, ext) = text.split_once(";ext=")?;
        parse_once(&format!("{number} ext. {ext}"), region)
    })
}

/// A valid number in E.164 form, as dialled in `region` (or international without).
fn e164(text: &str, region: Option<country::Id>) -> Option<String> {
    let folded = fold_digits(text);
    if let Some(split) = phone_parse::split(&folded, region.as_ref().map(AsRef::as_ref)) {
        return phone_parse::is_valid(&split).then(|| format!("+{}{}", split.code, split.national));
    }
    let parsed = parse_valid(text, region)?;
    Some(parsed.format().mode(Mode::E164).to_string())
}

pub(crate) fn clean(text: &str, format: Option<&str>) -> Option<String> {
    let region = match format {
        Some(f) => Some(dialing_region(f)?),
        None => None,
    };
    // Without a region only an international number (one with a plus sign) can be read:
    // libphonenumber refuses anything else, so the region-less attempt is skipped for it.
    let international = text.contains(['+', '\u{FF0B}']);
    international
        .then(|| e164(text, None))
        .flatten()
        .or_else(|| region.and_then(|r| e164(text, Some(r))))
}

/// A readable form of a stored number (`+49 30 1234567`).
pub(crate) fn caption(value: &str) -> Option<String> {
    if let Some(split) = phone_parse::split(&fold_digits(value), None) {
        return Some(format_international(split.code, &split.national));
    }
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
        assert_eq!(clean("49 30 1234567", None), None);
        assert_eq!(clean("0049 30 1234567", None), None);
        assert_eq!(
            clean("0049 30 1234567", Some("de")).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            clean("tel:+49-30-1234567", Some("gb")).as_deref(),
            Some("+49301234567")
        );
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
        assert_eq!(caption("+78001234567").as_deref(), Some("+7 800 123-45-67"));
        assert_eq!(caption("+12025550143").as_deref(), Some("+1 202-555-0143"));
        assert_eq!(caption("+999").as_deref(), None);
        // Guernsey's number, formatted by the main region of +44.
        assert_eq!(caption("+447911123456").as_deref(), Some("+44 7911 123456"));
    }
}
