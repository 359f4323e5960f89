//! Dates as ISO 8601 prefixes whose length is their precision (`2021`, `2021-02`,
//! `2021-02-16T21:48`…), after prefixdate, the parser FtM uses.
//!
//! Without a format, the value is read from its start as year, month, day, hour, minute
//! and second; the first missing or zero part sets the precision; an offset (only read
//! after the seconds) converts the time to UTC and is then dropped. With a format, the
//! value must match it completely, as Python's `datetime.strptime` requires; the
//! precision is the finest field the format mentions.

use std::sync::LazyLock;

use regex::Regex;

use super::strptime;
use super::text::parse_digits;

/// The number of leading characters of `YYYY-MM-DDTHH:MM:SS` a precision keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Precision {
    Empty = 0,
    Year = 4,
    Month = 7,
    Day = 10,
    Hour = 13,
    Minute = 16,
    Second = 19,
}

/// A calendar date and time; `offset` is the UTC offset in seconds, if one was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub offset: Option<i64>,
}

impl DateTime {
    /// Python's `datetime(...)` constructor checks.
    pub fn is_valid(&self) -> bool {
        (1..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && self.offset.is_none_or(|o| o.abs() < 86_400)
    }

    /// The same instant in UTC, without an offset (`astimezone(UTC)`); `None` when the
    /// result leaves the years 1–9999.
    pub fn to_utc(self) -> Option<DateTime> {
        let Some(offset) = self.offset else {
            return Some(self);
        };
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - offset;
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        let dt = DateTime {
            year,
            month,
            day,
            hour: u32::try_from(rem / 3600).ok()?,
            minute: u32::try_from(rem % 3600 / 60).ok()?,
            second: u32::try_from(rem % 60).ok()?,
            offset: None,
        };
        (1..=9999).contains(&year).then_some(dt)
    }

    /// The ISO form cut to the precision, as `isoformat()[:precision]`.
    pub fn prefix(&self, precision: Precision) -> Option<String> {
        if precision == Precision::Empty {
            return None;
        }
        use std::fmt::Write;
        let mut full = String::with_capacity(19);
        // Writing to a string cannot fail.
        let _ = write!(
            full,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        full.truncate(precision as usize);
        Some(full)
    }
}

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^\s*(?:(?P<year>[12]\d{3}\b)",
        r"(?:-(?P<month>\d{1,2}\b)",
        r"(?:-(?P<day>\d{1,2})",
        r"(?:[T ]",
        r"(?:(?P<hour>\d{1,2}\b)",
        r"(?::(?P<minute>\d{1,2}\b)",
        r"(?::(?P<second>\d{1,2}\b)",
        r"(?:\.\d{4,6}\b)?",
        r"(?:Z|(?P<tzsign>[-+])(?P<tzhour>\d{2})(?::?(?P<tzminute>\d{2}\b))?)?",
        r")?)?)?)?)?)?)?",
    ))
    .unwrap_or_else(|e| panic!("{e}"))
});

/// Whether the text is already what cleaning makes of a date: an ISO prefix
/// (`2021`, `2021-02`, … `2021-02-16T21:48:52`) of valid fields, without an offset.
/// Most stored dates are; they are their own clean form, and reading them through the
/// regular expression was most of the cost of cleaning them.
fn is_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    if !matches!(b.len(), 4 | 7 | 10 | 13 | 16 | 19) || !matches!(b[0], b'1' | b'2') {
        return false;
    }
    let layout = b.iter().enumerate().all(|(i, &c)| match i {
        4 | 7 => c == b'-',
        10 => c == b'T',
        13 | 16 => c == b':',
        _ => c.is_ascii_digit(),
    });
    if !layout {
        return false;
    }
    let field = |start: usize, len: usize, absent: u32| -> u32 {
        b.get(start..start + len).map_or(absent, |digits| {
            digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
        })
    };
    DateTime {
        year: i64::from(field(0, 4, 0)),
        month: field(5, 2, 1),
        day: field(8, 2, 1),
        hour: field(11, 2, 0),
        minute: field(14, 2, 0),
        second: field(17, 2, 0),
        offset: None,
    }
    .is_valid()
}

/// prefixdate's `parse(text).text`.
pub(crate) fn parse_prefix(text: &str) -> Option<String> {
    if is_canonical(text) {
        return Some(text.to_owned());
    }
    let caps = PREFIX.captures(text)?;
    let mut precision = Precision::Second;
    let mut extract = |name: &str, lowest: u64, fail: Precision| -> u64 {
        match caps.name(name).and_then(|m| parse_digits(m.as_str())) {
            Some(v) if v >= lowest => v,
            _ => {
                precision = precision.min(fail);
                lowest
            }
        }
    };
    let year = extract("year", 1000, Precision::Empty);
    let month = extract("month", 1, Precision::Year);
    let day = extract("day", 1, Precision::Month);
    let hour = extract("hour", 0, Precision::Day);
    let minute = extract("minute", 0, Precision::Hour);
    let second = extract("second", 0, Precision::Minute);
    let offset = (|| {
        let sign = if caps.name("tzsign")?.as_str() == "-" {
            -1
        } else {
            1
        };
        let hours = i64::try_from(parse_digits(caps.name("tzhour")?.as_str())?).ok()?;
        let minutes = i64::try_from(parse_digits(caps.name("tzminute")?.as_str())?).ok()?;
        let offset = sign * (hours * 3600 + minutes * 60);
        // Python's `timezone()` refuses offsets of a day or more; prefixdate then
        // carries on without one.
        (offset.abs() < 86_400).then_some(offset)
    })();
    let dt = DateTime {
        year: i64::try_from(year).ok()?,
        month: u32::try_from(month).ok()?,
        day: u32::try_from(day).ok()?,
        hour: u32::try_from(hour).ok()?,
        minute: u32::try_from(minute).ok()?,
        second: u32::try_from(second).ok()?,
        offset: offset.filter(|&o| o != 0),
    };
    if !dt.is_valid() || precision == Precision::Empty {
        return None;
    }
    dt.to_utc()?.prefix(precision)
}

/// prefixdate's `format_precision`: the finest field a strptime format mentions.
pub(crate) fn format_precision(format: &str) -> Precision {
    let any = |directives: &[&str]| directives.iter().any(|d| format.contains(d));
    if !any(&["%b", "%B", "%m", "%c", "%x"]) {
        Precision::Year
    } else if !any(&["%d", "%w", "%c", "%x"]) {
        Precision::Month
    } else if !any(&["%H", "%I", "%c", "%X"]) {
        Precision::Day
    } else if !any(&["%M", "%c", "%X"]) {
        Precision::Hour
    } else if !any(&["%S", "%c", "%X"]) {
        Precision::Minute
    } else {
        Precision::Second
    }
}

/// Clean a date, strictly by `format` when one is given.
pub(crate) fn clean(text: &str, format: Option<&str>) -> Option<String> {
    match format {
        Some(format) => {
            let dt = strptime::strptime(text, format)?;
            dt.to_utc()?.prefix(format_precision(format))
        }
        None => parse_prefix(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Option<String> {
        parse_prefix(text)
    }

    #[test]
    fn canonical_dates_are_their_own_clean_form() {
        for text in [
            "2021",
            "2021-02",
            "2020-02-29",
            "2021-02-16T21",
            "2021-02-16T21:48",
            "1999-12-31T23:59:59",
        ] {
            assert!(is_canonical(text), "{text}");
            assert_eq!(p(text).as_deref(), Some(text));
        }
        // Not canonical: these go through the full parser, which cuts or refuses them.
        for text in [
            "2021-00",
            "2021-02-30",
            "2021-02-16T24",
            "0999",
            "3021",
            "2021-2",
            "2021/02",
        ] {
            assert!(!is_canonical(text), "{text}");
        }
        assert_eq!(p("2021-00").as_deref(), Some("2021"));
        assert_eq!(p("2021-02-30"), None);
    }

    #[test]
    fn prefixes_keep_their_precision() {
        assert_eq!(p("2021").as_deref(), Some("2021"));
        assert_eq!(p("2021-2").as_deref(), Some("2021-02"));
        assert_eq!(p("2021-02-16").as_deref(), Some("2021-02-16"));
        assert_eq!(p("2021-02-16T21").as_deref(), Some("2021-02-16T21"));
        assert_eq!(
            p("2021-02-16 21:48:52").as_deref(),
            Some("2021-02-16T21:48:52")
        );
        assert_eq!(p("2021-00-16").as_deref(), Some("2021"));
        assert_eq!(
            p("2021-02-16T21:48:52.123456").as_deref(),
            Some("2021-02-16T21:48:52")
        );
    }

    #[test]
    fn offsets_convert_to_utc() {
        assert_eq!(
            p("2021-02-16 21:48:52+02:00").as_deref(),
            Some("2021-02-16T19:48:52")
        );
        assert_eq!(
            p("2021-12-31T23:30:00-01:00").as_deref(),
            Some("2022-01-01T00:30:00")
        );
        // Offsets are only read after seconds, and need minutes.
        assert_eq!(
            p("2021-02-16T21:48+02:00").as_deref(),
            Some("2021-02-16T21:48")
        );
        assert_eq!(
            p("2021-02-16T21:48:52+02").as_deref(),
            Some("2021-02-16T21:48:52")
        );
        // A three-digit fraction stops the parse before the offset.
        assert_eq!(
            p("2021-02-16T21:48:52.123+02:00").as_deref(),
            Some("2021-02-16T21:48:52")
        );
    }

    #[test]
    fn invalid_dates_are_refused() {
        assert_eq!(p("2021-13-01"), None);
        assert_eq!(p("2021-02-30"), None);
        assert_eq!(p("16.02.2021"), None);
        assert_eq!(p("Feb 2021"), None);
        assert_eq!(p("0999"), None);
        assert_eq!(p("20210216"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(
            clean("16.02.2021", Some("%d.%m.%Y")).as_deref(),
            Some("2021-02-16")
        );
        assert_eq!(clean("2021-02-16", Some("%d.%m.%Y")), None);
        assert_eq!(clean("Feb 2021", Some("%b %Y")).as_deref(), Some("2021-02"));
        assert_eq!(format_precision("%Y"), Precision::Year);
        assert_eq!(format_precision("%d/%m/%Y %H:%M"), Precision::Minute);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 59, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
