//! Dates as formats write them (PDF `D:` strings, EXIF, iCalendar/vCard basic format),
//! rewritten as ISO 8601 for FtM's date cleaning, which validates them and converts
//! offsets to UTC.

/// FtM's date cleaning reads `…T10:00:00Z` only to the minute but `…T10:00:00+00:00` to
/// the second: write UTC as an offset.
pub(crate) fn utc_offset(date: &str) -> String {
    let date = date.trim();
    match date.strip_suffix(['Z', 'z']) {
        Some(rest) if rest.contains('T') => format!("{rest}+00:00"),
        _ => date.to_string(),
    }
}

/// Leading ASCII digits of `s`, at most `n` of them.
fn digits(s: &str, n: usize) -> &str {
    let end = s.bytes().take(n).take_while(u8::is_ascii_digit).count();
    &s[..end]
}

/// Build `YYYY[-MM[-DD[THH[:MM[:SS]]]]]` from a run of digits `YYYYMMDDHHMMSS`, as far as
/// it goes; `None` without a full year.
fn from_compact(d: &str) -> Option<String> {
    if d.len() < 4 {
        return None;
    }
    let mut out = d[..4].to_string();
    let seps = ["-", "-", "T", ":", ":"];
    for (i, sep) in seps.iter().enumerate() {
        let start = 4 + i * 2;
        match d.get(start..start + 2) {
            Some(part) => {
                out.push_str(sep);
                out.push_str(part);
            }
            None => break,
        }
    }
    Some(out)
}

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year optional).
pub(crate) fn pdf_date(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s.strip_prefix("D:").unwrap_or(s);
    let d = digits(s, 14);
    let mut out = from_compact(d)?;
    let rest = &s[d.len()..];
    // The offset only means something after a full time.
    if d.len() == 14 {
        match rest.chars().next() {
            Some('Z') => out.push_str("+00:00"),
            Some(sign @ ('+' | '-')) => {
                let tail = &rest[1..];
                let hh = digits(tail, 2);
                let mm = tail[hh.len()..].trim_start_matches('\'');
                let mm = digits(mm, 2);
                if hh.len() == 2 {
                    out.push(sign);
                    out.push_str(hh);
                    out.push(':');
                    out.push_str(if mm.len() == 2 { mm } else { "00" });
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// An EXIF date (`YYYY:MM:DD HH:MM:SS`).
pub(crate) fn exif_date(raw: &str) -> Option<String> {
    let d: String = raw
        .trim()
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    // EXIF writes unknown parts as blanks or zeros ("0000:00:00 00:00:00").
    from_compact(&d).filter(|s| !s.starts_with("0000"))
}

/// iCalendar and vCard dates: basic (`20240102T100000Z`, `19700101`) or extended
/// (`2024-01-02T10:00:00Z`, `1970-01-01`) format. A vCard date without a year
/// (`--0415`) is no date for FtM.
pub(crate) fn ical_date(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.starts_with("--") {
        return None;
    }
    let utc = s.ends_with('Z') || s.ends_with('z');
    let d: String = s
        .chars()
        .take_while(|c| !matches!(c, '+' | 'Z' | 'z'))
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let mut out = from_compact(&d)?;
    if utc && d.len() >= 12 {
        out.push_str("+00:00");
    }
    Some(out)
}

/// A date from its parts (RTF's `\yr \mo \dy \hr \min \sec`).
pub(crate) fn from_parts(parts: &[Option<u32>; 6]) -> Option<String> {
    let year = parts[0]?;
    let mut d = format!("{year:04}");
    for p in &parts[1..] {
        match p {
            Some(v) => d.push_str(&format!("{v:02}")),
            None => break,
        }
    }
    from_compact(&d)
}

/// Seconds since 1970-01-01 UTC as an ISO 8601 time.
pub(crate) fn from_unix(secs: i64) -> Option<String> {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from a day count (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(1..=9999).contains(&year) {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        assert_eq!(
            pdf_date("D:20230102150405+01'00'").as_deref(),
            Some("2023-01-02T15:04:05+01:00")
        );
        assert_eq!(
            pdf_date("D:20230102150405Z").as_deref(),
            Some("2023-01-02T15:04:05+00:00")
        );
        assert_eq!(pdf_date("D:2023").as_deref(), Some("2023"));
        assert_eq!(pdf_date("D:202301").as_deref(), Some("2023-01"));
        assert_eq!(pdf_date("garbage"), None);
    }

    #[test]
    fn unix_times() {
        assert_eq!(from_unix(0).as_deref(), Some("1970-01-01T00:00:00+00:00"));
        assert_eq!(
            from_unix(951_782_400).as_deref(),
            Some("2000-02-29T00:00:00+00:00")
        );
        assert_eq!(
            from_unix(1_700_000_000).as_deref(),
            Some("2023-11-14T22:13:20+00:00")
        );
    }

    #[test]
    fn exif_and_ical_dates() {
        assert_eq!(
            exif_date("2021:06:30 12:34:56").as_deref(),
            Some("2021-06-30T12:34:56")
        );
        assert_eq!(exif_date("0000:00:00 00:00:00"), None);
        assert_eq!(
            ical_date("20240102T100000Z").as_deref(),
            Some("2024-01-02T10:00:00+00:00")
        );
        assert_eq!(
            utc_offset("2021-05-06T07:08:09Z"),
            "2021-05-06T07:08:09+00:00"
        );
        assert_eq!(utc_offset("2021-05-06"), "2021-05-06");
        assert_eq!(ical_date("20240102").as_deref(), Some("2024-01-02"));
        assert_eq!(ical_date("1970-04-15").as_deref(), Some("1970-04-15"));
        assert_eq!(ical_date("--0415"), None);
        assert_eq!(
            from_parts(&[Some(2020), Some(3), Some(4), Some(5), Some(6), None]).as_deref(),
            Some("2020-03-04T05:06")
        );
    }
}
