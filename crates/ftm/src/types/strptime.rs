//! Python's `datetime.strptime` in the C locale, for dates with an explicit format.
//!
//! Like Python, the format is turned into a case-insensitive regular expression (white
//! space in the format matches any run of white space), which must match the whole
//! value; then the fields are combined and checked as `datetime` would. The ISO-week
//! directives `%G` and `%V` are not supported and refuse the value.

use regex::Regex;

use super::date::{DateTime, civil_from_days, days_from_civil, is_leap};
use super::pattern_cache::PatternCache;
use super::text::parse_digits;

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Alternatives sorted longest first, as Python's `__seqToRE` does.
fn alternatives(name: &str, values: &[String]) -> String {
    let mut values: Vec<&String> = values.iter().collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
    let alts: Vec<String> = values.iter().map(|v| regex::escape(v)).collect();
    format!("(?P<{name}>{})", alts.join("|"))
}

fn directive(c: char) -> Option<String> {
    let abbr =
        |names: &[&str]| -> Vec<String> { names.iter().map(|n| n[..3].to_owned()).collect() };
    let full = |names: &[&str]| -> Vec<String> { names.iter().map(|n| (*n).to_owned()).collect() };
    Some(match c {
        'd' => r"(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])".into(),
        'f' => r"(?P<f>[0-9]{1,6})".into(),
        'H' => r"(?P<H>2[0-3]|[0-1]\d|\d)".into(),
        'I' => r"(?P<I>1[0-2]|0[1-9]|[1-9])".into(),
        'G' => r"(?P<G>\d\d\d\d)".into(),
        'j' => r"(?P<j>36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])".into(),
        'm' => r"(?P<m>1[0-2]|0[1-9]|[1-9])".into(),
        'M' => r"(?P<M>[0-5]\d|\d)".into(),
        'S' => r"(?P<S>6[0-1]|[0-5]\d|\d)".into(),
        'U' => r"(?P<U>5[0-3]|[0-4]\d|\d)".into(),
        'W' => r"(?P<W>5[0-3]|[0-4]\d|\d)".into(),
        'w' => r"(?P<w>[0-6])".into(),
        'u' => r"(?P<u>[1-7])".into(),
        'V' => r"(?P<V>5[0-3]|0[1-9]|[1-4]\d|\d)".into(),
        'y' => r"(?P<y>\d\d)".into(),
        'Y' => r"(?P<Y>\d\d\d\d)".into(),
        'z' => r"(?P<z>[+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|(?-i:Z))".into(),
        'A' => alternatives("A", &full(&WEEKDAYS)),
        'a' => alternatives("a", &abbr(&WEEKDAYS)),
        'B' => alternatives("B", &full(&MONTHS)),
        'b' => alternatives("b", &abbr(&MONTHS)),
        'p' => alternatives("p", &["am".into(), "pm".into()]),
        'Z' => alternatives("Z", &["utc".into(), "gmt".into()]),
        '%' => "%".into(),
        'c' => pattern("%a %b %d %H:%M:%S %Y")?,
        'x' => pattern("%m/%d/%y")?,
        'X' => pattern("%H:%M:%S")?,
        _ => return None,
    })
}

/// `TimeRE.pattern`: escape regex syntax, let white space match any white space, and
/// replace directives. `None` for a bad directive or a stray `%` at the end.
fn pattern(format: &str) -> Option<String> {
    let mut escaped = String::with_capacity(format.len() * 2);
    let mut in_space = false;
    for c in format.chars() {
        if super::text::py_isspace(c) {
            if !in_space {
                escaped.push_str(r"\s+");
            }
            in_space = true;
            continue;
        }
        in_space = false;
        if "\\.^$*+?(){}[]|".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    let mut out = String::with_capacity(escaped.len() * 4);
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            out.push_str(&directive(chars.next()?)?);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

static CACHE: PatternCache = PatternCache::new();

fn compile(format: &str) -> Option<std::sync::Arc<Regex>> {
    // A format that names one field twice fails to compile, as in Python.
    CACHE.get(format, || {
        pattern(format).and_then(|p| Regex::new(&format!("(?i)^(?:{p})")).ok())
    })
}

/// The matched fields, looked up only when the format has the directive: a lookup by
/// group name hashes the name, and a format uses few of the dozen or more fields read.
struct Fields<'t> {
    caps: regex::Captures<'t>,
    present: u64,
}

impl<'t> Fields<'t> {
    fn name(&self, name: &str) -> Option<regex::Match<'t>> {
        let bit = directive_bit(*name.as_bytes().first()?)?;
        if self.present & bit == 0 {
            return None;
        }
        self.caps.name(name)
    }
}

/// The bit of a directive letter in a set of directives.
fn directive_bit(letter: u8) -> Option<u64> {
    match letter {
        b'a'..=b'z' => Some(1 << (letter - b'a')),
        b'A'..=b'Z' => Some(1 << (26 + letter - b'A')),
        _ => None,
    }
}

/// The directives a format uses, with those of `%c`, `%x` and `%X` spelled out (a
/// superset is harmless: a field that did not match is absent either way).
fn directives_of(format: &str) -> u64 {
    let mut set = 0;
    let mut bytes = format.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            continue;
        }
        let Some(letter) = bytes.next() else { break };
        let expanded: &[u8] = match letter {
            b'c' => b"abdHMSY",
            b'x' => b"mdy",
            b'X' => b"HMS",
            _ => b"",
        };
        for &l in expanded.iter().chain(std::iter::once(&letter)) {
            set |= directive_bit(l).unwrap_or(0);
        }
        if letter == b'I' {
            // `%p` is read with `%I` only.
            set |= directive_bit(b'p').unwrap_or(0);
        }
    }
    set
}

fn num(caps: &Fields<'_>, name: &str) -> Option<i64> {
    caps.name(name)
        .and_then(|m| parse_digits(m.as_str()))
        .and_then(|v| i64::try_from(v).ok())
}

/// Parse `text` strictly by `format`; `None` wherever Python raises `ValueError`.
pub(crate) fn strptime(text: &str, format: &str) -> Option<DateTime> {
    let re = compile(format)?;
    let caps = re.captures(text)?;
    if caps.get(0)?.end() != text.len() {
        return None;
    }
    let caps = Fields {
        caps,
        present: directives_of(format),
    };
    if caps.name("G").is_some() || caps.name("V").is_some() {
        return None;
    }
    let mut year: Option<i64> = None;
    if let Some(y) = num(&caps, "y") {
        year = Some(if y <= 68 { y + 2000 } else { y + 1900 });
    }
    if let Some(y) = num(&caps, "Y") {
        year = Some(y);
    }
    let lookup = |name: &str, names: &[&str], abbr: bool| -> Option<i64> {
        let found = caps.name(name)?.as_str().to_lowercase();
        names
            .iter()
            .position(|n| if abbr { n[..3] == found } else { *n == found })
            .and_then(|i| i64::try_from(i).ok())
    };
    let mut month = 1;
    if let Some(m) = num(&caps, "m") {
        month = m;
    }
    if let Some(m) = lookup("B", &MONTHS, false) {
        month = m + 1;
    }
    if let Some(m) = lookup("b", &MONTHS, true) {
        month = m + 1;
    }
    let day = num(&caps, "d").unwrap_or(1);
    let mut hour = num(&caps, "H").unwrap_or(0);
    if let Some(h) = num(&caps, "I") {
        let ampm = caps
            .name("p")
            .map(|m| m.as_str().to_lowercase())
            .unwrap_or_default();
        hour = match ampm.as_str() {
            "pm" if h != 12 => h + 12,
            "pm" => h,
            _ if h == 12 => 0,
            _ => h,
        };
    }
    let minute = num(&caps, "M").unwrap_or(0);
    let second = num(&caps, "S").unwrap_or(0);
    let mut weekday = lookup("A", &WEEKDAYS, false).or_else(|| lookup("a", &WEEKDAYS, true));
    if let Some(w) = num(&caps, "w") {
        weekday = Some(if w == 0 { 6 } else { w - 1 });
    }
    if let Some(u) = num(&caps, "u") {
        weekday = Some(u - 1);
    }
    let mut julian = num(&caps, "j");
    let week = num(&caps, "U")
        .map(|w| (w, false))
        .or_else(|| num(&caps, "W").map(|w| (w, true)));
    let offset = match caps.name("z").map(|m| m.as_str()) {
        None => None,
        Some("Z") => Some(0),
        Some(z) => Some(parse_offset(z)?),
    };

    let leap_year_fix = year.is_none() && month == 2 && day == 29;
    let mut year = year.unwrap_or(if leap_year_fix { 1904 } else { 1900 });
    if julian.is_none()
        && let (Some(weekday), Some((week, starts_monday))) = (weekday, week)
    {
        let mut j = julian_from_week(year, week, weekday, starts_monday);
        if j <= 0 {
            year -= 1;
            j += if is_leap(year) { 366 } else { 365 };
        }
        julian = Some(j);
    }
    let (year, month, day) = match julian {
        Some(j) => {
            let (y, m, d) = civil_from_days(days_from_civil(year, 1, 1) + j - 1);
            (y, i64::from(m), i64::from(d))
        }
        None => {
            // Python computes the day of the year here, which checks the date.
            let dt = DateTime {
                year,
                month: u32::try_from(month).ok()?,
                day: u32::try_from(day).ok()?,
                hour: 0,
                minute: 0,
                second: 0,
                offset: None,
            };
            if !dt.is_valid() {
                return None;
            }
            (year, month, day)
        }
    };
    let year = if leap_year_fix { 1900 } else { year };
    let dt = DateTime {
        year,
        month: u32::try_from(month).ok()?,
        day: u32::try_from(day).ok()?,
        hour: u32::try_from(hour).ok()?,
        minute: u32::try_from(minute).ok()?,
        second: u32::try_from(second).ok()?,
        offset: offset.filter(|&o| o != 0),
    };
    dt.is_valid().then_some(dt)
}

/// `%z`: `±HH[:]MM[[:]SS[.ffffff]]`, in seconds (the fraction is below our precision).
fn parse_offset(z: &str) -> Option<i64> {
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let mut body: String = z.chars().skip(1).collect();
    if body.chars().nth(2) == Some(':') {
        body.remove(2);
        if body.chars().count() > 4 {
            if body.chars().nth(4) != Some(':') {
                return None;
            }
            body.remove(4);
        }
    }
    let digits: Vec<char> = body.chars().collect();
    let part = |from: usize, to: usize| -> Option<i64> {
        let s: String = digits.get(from..to.min(digits.len()))?.iter().collect();
        if s.is_empty() {
            Some(0)
        } else {
            i64::try_from(parse_digits(&s)?).ok()
        }
    };
    let seconds = part(0, 2)? * 3600 + part(2, 4)? * 60 + part(4, 6)?;
    Some(sign * seconds)
}

/// `_calc_julian_from_U_or_W`: the day of the year from a week number and weekday
/// (Monday = 0).
fn julian_from_week(year: i64, week: i64, weekday: i64, starts_monday: bool) -> i64 {
    let jan1 = days_from_civil(year, 1, 1);
    let mut first_weekday = (jan1 + 3).rem_euclid(7);
    let mut day_of_week = weekday;
    if !starts_monday {
        first_weekday = (first_weekday + 1) % 7;
        day_of_week = (day_of_week + 1) % 7;
    }
    let week_0_length = (7 - first_weekday) % 7;
    if week == 0 {
        1 + day_of_week - first_weekday
    } else {
        1 + week_0_length + 7 * (week - 1) + day_of_week
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Fields = (i64, u32, u32, u32, u32, u32, Option<i64>);

    fn ymd(text: &str, format: &str) -> Option<Fields> {
        strptime(text, format)
            .map(|d| (d.year, d.month, d.day, d.hour, d.minute, d.second, d.offset))
    }

    #[test]
    fn fields() {
        assert_eq!(
            ymd("16.02.2021", "%d.%m.%Y"),
            Some((2021, 2, 16, 0, 0, 0, None))
        );
        assert_eq!(
            ymd("February 16, 21", "%B %d, %y"),
            Some((2021, 2, 16, 0, 0, 0, None))
        );
        assert_eq!(
            ymd("16 feb 1969", "%d %b %Y"),
            Some((1969, 2, 16, 0, 0, 0, None))
        );
        assert_eq!(
            ymd("3/4/70  9:05 PM", "%m/%d/%y %I:%M %p"),
            Some((1970, 3, 4, 21, 5, 0, None))
        );
        assert_eq!(
            ymd("2021-02-16T21:48:52+0130", "%Y-%m-%dT%H:%M:%S%z"),
            Some((2021, 2, 16, 21, 48, 52, Some(5400)))
        );
        assert_eq!(ymd("2021 047", "%Y %j"), Some((2021, 2, 16, 0, 0, 0, None)));
    }

    #[test]
    fn strictness() {
        assert_eq!(ymd("16.02.2021 extra", "%d.%m.%Y"), None);
        assert_eq!(ymd("30.02.2021", "%d.%m.%Y"), None);
        assert_eq!(ymd("29.02", "%d.%m"), None);
        assert_eq!(ymd("2021", "%Y %Q"), None);
        assert_eq!(ymd("2021", "%Y%"), None);
        assert_eq!(ymd("2021 2021", "%Y %Y"), None);
    }

    #[test]
    fn weeks() {
        // Monday of week 7 (Monday-based) of 2021.
        assert_eq!(
            ymd("2021 07 1", "%Y %W %w"),
            Some((2021, 2, 15, 0, 0, 0, None))
        );
    }
}
