//! Database values written as `ftm map` writes them. FtM reads rows through SQLAlchemy, so
//! a `DATETIME` column arrives as a Python `datetime` and is written with `isoformat()`
//! (`2020-01-02T10:11:12`), a `NUMERIC` column as a `Decimal` with ten decimals, a boolean
//! as `True`; these functions give the same text.

/// `datetime.fromisoformat(text).isoformat()` for `YYYY-MM-DD[ T]HH[:MM[:SS[.f]]][tz]` and a
/// bare date (midnight); `None` for other text.
pub fn iso_datetime(text: &str) -> Option<String> {
    let text = text.trim();
    let date = iso_date(text.get(..10)?)?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(format!("{date}T00:00:00"));
    }
    // Any single character separates date and time.
    let mut chars = rest.chars();
    chars.next()?;
    let time = iso_time(chars.as_str())?;
    Some(format!("{date}T{time}"))
}

/// `date.fromisoformat(text).isoformat()` for `YYYY-MM-DD`.
pub fn iso_date(text: &str) -> Option<String> {
    let b = text.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).filter(|s| s.iter().all(u8::is_ascii_digit));
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let month = (m[0] - b'0') * 10 + (m[1] - b'0');
    let day = (d[0] - b'0') * 10 + (d[1] - b'0');
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(format!(
        "{}-{month:02}-{day:02}",
        std::str::from_utf8(y).ok()?
    ))
}

/// `time.fromisoformat(text).isoformat()` for `HH[:MM[:SS[.fraction]]]` with an optional
/// time zone (`Z`, `+HH`, `+HH:MM`): seconds always written, microseconds when not zero.
pub fn iso_time(text: &str) -> Option<String> {
    let text = text.trim();
    let tz_at = text.find(['+', '-', 'Z', 'z']).unwrap_or(text.len());
    let (clock, zone) = text.split_at(tz_at);
    let mut parts = clock.splitn(3, ':');
    let number = |s: &str, max: u32| -> Option<u32> {
        (s.len() == 2 && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
            .filter(|v| *v <= max)
    };
    let hour = number(parts.next()?, 23)?;
    let minute = match parts.next() {
        Some(m) => number(m, 59)?,
        None => 0,
    };
    let (second, micros) = match parts.next() {
        Some(s) => {
            let (whole, fraction) = s.split_once(['.', ',']).unwrap_or((s, ""));
            if !fraction.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let mut f: String = fraction.chars().take(6).collect();
            while f.len() < 6 {
                f.push('0');
            }
            (number(whole, 59)?, f.parse::<u32>().ok()?)
        }
        None => (0, 0),
    };
    let mut out = format!("{hour:02}:{minute:02}:{second:02}");
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out.push_str(&iso_zone(zone)?);
    Some(out)
}

/// A time zone suffix as Python writes it: `+HH:MM` (with `:SS` if needed).
fn iso_zone(zone: &str) -> Option<String> {
    if zone.is_empty() {
        return Some(String::new());
    }
    if zone.eq_ignore_ascii_case("z") {
        return Some("+00:00".into());
    }
    let sign = &zone[..1];
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4 | 6) {
        return None;
    }
    let mut out = format!(
        "{sign}{}:{}",
        &digits[..2],
        digits.get(2..4).unwrap_or("00")
    );
    if let Some(seconds) = digits.get(4..6).filter(|s| *s != "00") {
        out.push(':');
        out.push_str(seconds);
    }
    Some(out)
}

/// A number with `scale` decimals, as SQLAlchemy's `Numeric` gives a `Decimal` for a
/// floating point value read from SQLite (`%.{scale}f`).
pub fn fixed_decimal(value: f64, scale: usize) -> String {
    format!("{value:.scale$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_like_python_isoformat() {
        for (input, expected) in [
            ("2020-01-02 10:11:12", Some("2020-01-02T10:11:12")),
            ("2020-01-02T10:11:12.5", Some("2020-01-02T10:11:12.500000")),
            ("2020-01-02 10:11:12.000000", Some("2020-01-02T10:11:12")),
            ("2020-01-02", Some("2020-01-02T00:00:00")),
            ("2020-01-02 10:11", Some("2020-01-02T10:11:00")),
            ("2020-01-02 10:11:12+01", Some("2020-01-02T10:11:12+01:00")),
            ("2020-01-02 10:11:12Z", Some("2020-01-02T10:11:12+00:00")),
            (
                "2020-01-02 10:11:12-05:30",
                Some("2020-01-02T10:11:12-05:30"),
            ),
            ("02/01/2020", None),
            ("2020-13-02", None),
            ("2020-01-02 25:00", None),
        ] {
            assert_eq!(iso_datetime(input).as_deref(), expected, "{input}");
        }
        assert_eq!(iso_time("10:11:12.25").as_deref(), Some("10:11:12.250000"));
        assert_eq!(iso_date("2020-01-02").as_deref(), Some("2020-01-02"));
        assert_eq!(fixed_decimal(2.25, 10), "2.2500000000");
        assert_eq!(fixed_decimal(5.0, 2), "5.00");
    }
}
