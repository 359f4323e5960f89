//! Numbers are stored as given; only their caption reads them, as FtM's `NumberType.parse`
//! does: one number with `,` or space thousands grouping, `.` decimals and an optional
//! unit, nothing ambiguous (ranges, decimal commas) accepted.

use std::sync::LazyLock;

use regex::Regex;

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<number>[+-]?\s?(?:\d{1,3}(?:[,\s]\d{2,3})+|\d+)(?:\.\d+)?)\s*(?P<unit>[^\s\d]+)?\s*$")
        .unwrap_or_else(|e| panic!("{e}"))
});

/// The number (without grouping) and the unit of a value, if it is one number.
pub(crate) fn parse(value: &str) -> Option<(String, Option<String>)> {
    let caps = NUMBER.captures(super::text::py_strip(value))?;
    let number: String = caps
        .name("number")?
        .as_str()
        .chars()
        .filter(|c| *c != ',' && !super::text::py_isspace(*c))
        .collect();
    let unit = caps.name("unit").map(|u| u.as_str().to_owned());
    (!number.is_empty()).then_some((number, unit))
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1234567.5` → `1,234,567.50`; integers without decimals; the unit kept.
pub(crate) fn caption(value: &str) -> Option<String> {
    let (number, unit) = parse(value)?;
    let float: f64 = number.parse().ok()?;
    if !float.is_finite() {
        return None;
    }
    let sign = if float < 0.0 { "-" } else { "" };
    let abs = float.abs();
    let text = if abs.fract() == 0.0 && abs < 1e18 {
        format!("{sign}{}", group_thousands(&format!("{abs:.0}")))
    } else {
        let fixed = format!("{abs:.2}");
        let (int, frac) = fixed.split_once('.')?;
        format!("{sign}{}.{frac}", group_thousands(int))
    };
    Some(match unit {
        Some(unit) => format!("{text} {unit}"),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!(
            parse("1,000.5 kg"),
            Some(("1000.5".into(), Some("kg".into())))
        );
        assert_eq!(parse("12 000"), Some(("12000".into(), None)));
        assert_eq!(parse("1,5"), None);
        assert_eq!(parse("10-20"), None);
    }

    #[test]
    fn captions() {
        assert_eq!(caption("1234567.5").as_deref(), Some("1,234,567.50"));
        assert_eq!(caption("-1000 EUR").as_deref(), Some("-1,000 EUR"));
        assert_eq!(caption("abc"), None);
    }
}
