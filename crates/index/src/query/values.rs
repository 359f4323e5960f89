//! Reading dates and numbers out of strings, for the numeric fields and for ranges.
//!
//! FtM dates are ISO-8601 prefixes of varying precision (`2010`, `2010-07`, `2010-07-01`,
//! `2010-07-01T12:30`…). A date names a period, and a range bound is read the way
//! Elasticsearch reads a partial date: a lower bound starts where the period starts, an upper
//! bound ends where it ends, so `lte: 2010` includes all of 2010 and `gt: 2010` starts in 2011.

use chrono::{
    DateTime, Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike,
};

/// A period of time in seconds since the Unix epoch: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateSpan {
    pub start: i64,
    pub end: i64,
}

/// A calendar unit for rounding dates and for date histograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DateUnit {
    Year,
    Month,
    Week,
    Day,
    Hour,
}

impl DateUnit {
    pub fn parse(s: &str) -> Option<DateUnit> {
        Some(match s {
            "year" | "y" | "1y" => DateUnit::Year,
            "month" | "M" | "1M" => DateUnit::Month,
            "week" | "w" | "1w" => DateUnit::Week,
            "day" | "d" | "1d" => DateUnit::Day,
            "hour" | "h" | "1h" => DateUnit::Hour,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DateUnit::Year => "year",
            DateUnit::Month => "month",
            DateUnit::Week => "week",
            DateUnit::Day => "day",
            DateUnit::Hour => "hour",
        }
    }

    /// The period of this unit that contains the instant `t` (seconds since the epoch).
    pub fn span_of(self, t: i64) -> Option<DateSpan> {
        let dt = DateTime::from_timestamp(t, 0)?.naive_utc();
        let date = dt.date();
        let (start, end) = match self {
            DateUnit::Year => {
                let s = NaiveDate::from_ymd_opt(date.year(), 1, 1)?;
                (
                    s.and_time(NaiveTime::MIN),
                    s.checked_add_months(Months::new(12))?
                        .and_time(NaiveTime::MIN),
                )
            }
            DateUnit::Month => {
                let s = NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?;
                (
                    s.and_time(NaiveTime::MIN),
                    s.checked_add_months(Months::new(1))?
                        .and_time(NaiveTime::MIN),
                )
            }
            DateUnit::Week => {
                let back = i64::from(date.weekday().num_days_from_monday());
                let s = date.checked_sub_signed(TimeDelta::days(back))?;
                (
                    s.and_time(NaiveTime::MIN),
                    s.checked_add_signed(TimeDelta::days(7))?
                        .and_time(NaiveTime::MIN),
                )
            }
            DateUnit::Day => {
                let s = date.and_time(NaiveTime::MIN);
                (s, s.checked_add_signed(TimeDelta::days(1))?)
            }
            DateUnit::Hour => {
                let s = date.and_hms_opt(dt.hour(), 0, 0)?;
                (s, s.checked_add_signed(TimeDelta::hours(1))?)
            }
        };
        Some(DateSpan {
            start: start.and_utc().timestamp(),
            end: end.and_utc().timestamp(),
        })
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The period an FtM-style date names: `2010` is the year 2010, `2010-07-01T12` one hour.
/// Accepts a trailing `Z` or UTC offset on full times. `None` for anything else.
pub fn parse_date(text: &str) -> Option<DateSpan> {
    let text = text.trim();
    if let Some((value, unit)) = text.split_once("||/") {
        // Elasticsearch date math rounding (`2010-05-17||/y`), which Aleph passes through.
        let unit = DateUnit::parse(unit)?;
        let span = parse_date(value)?;
        return unit.span_of(span.start);
    }
    let (date_part, time_part) = match text.find(['T', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date_part.split('-');
    let year = digits(parts.next()?, 4)? as i32;
    let month = match parts.next() {
        Some(p) => Some(digits(p, 2)?),
        None => None,
    };
    let day = match parts.next() {
        Some(p) => Some(digits(p, 2)?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    let start_date = NaiveDate::from_ymd_opt(year, month.unwrap_or(1), day.unwrap_or(1))?;
    let start = start_date.and_time(NaiveTime::MIN);
    let span = |s: NaiveDateTime, e: NaiveDateTime| DateSpan {
        start: s.and_utc().timestamp(),
        end: e.and_utc().timestamp(),
    };
    match (month, day, time_part) {
        (None, None, None) => Some(span(
            start,
            start_date
                .checked_add_months(Months::new(12))?
                .and_time(NaiveTime::MIN),
        )),
        (Some(_), None, None) => Some(span(
            start,
            start_date
                .checked_add_months(Months::new(1))?
                .and_time(NaiveTime::MIN),
        )),
        (Some(_), Some(_), None) => {
            Some(span(start, start.checked_add_signed(TimeDelta::days(1))?))
        }
        (Some(_), Some(_), Some(time)) => parse_time(start_date, time),
        _ => None,
    }
}

/// The period named by the time part of a date: an hour, a minute or a second.
fn parse_time(date: NaiveDate, time: &str) -> Option<DateSpan> {
    // Full timestamps with an offset or fractions are one instant, to the second.
    if let Ok(dt) = DateTime::parse_from_rfc3339(&format!("{}T{}", date.format("%Y-%m-%d"), time)) {
        let t = dt.timestamp();
        return Some(DateSpan {
            start: t,
            end: t + 1,
        });
    }
    let time = time.strip_suffix('Z').unwrap_or(time);
    let time = time.split('.').next().unwrap_or(time);
    let mut parts = time.split(':');
    let hour = digits(parts.next()?, 2)?;
    let minute = match parts.next() {
        Some(p) => Some(digits(p, 2)?),
        None => None,
    };
    let second = match parts.next() {
        Some(p) => Some(digits(p, 2)?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    let start = date.and_hms_opt(hour, minute.unwrap_or(0), second.unwrap_or(0))?;
    let length = match (minute, second) {
        (None, _) => TimeDelta::hours(1),
        (Some(_), None) => TimeDelta::minutes(1),
        (Some(_), Some(_)) => TimeDelta::seconds(1),
    };
    Some(DateSpan {
        start: start.and_utc().timestamp(),
        end: start.checked_add_signed(length)?.and_utc().timestamp(),
    })
}

/// A number as FtM writes them; thousands separators (`,`, `_`, spaces) are ignored.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' '))
        .collect();
    let n: f64 = cleaned.parse().ok()?;
    n.is_finite().then_some(n)
}

/// The ISO form (`2010-01-01T00:00:00`) of a timestamp, as Aleph shows dates.
pub fn format_timestamp(t: i64) -> String {
    match DateTime::from_timestamp(t, 0) {
        Some(dt) => dt.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp()
    }

    #[test]
    fn partial_dates_are_periods() {
        assert_eq!(
            parse_date("2010"),
            Some(DateSpan {
                start: ts("2010-01-01T00:00:00"),
                end: ts("2011-01-01T00:00:00")
            })
        );
        assert_eq!(
            parse_date("2010-12"),
            Some(DateSpan {
                start: ts("2010-12-01T00:00:00"),
                end: ts("2011-01-01T00:00:00")
            })
        );
        assert_eq!(
            parse_date("2010-07-01"),
            Some(DateSpan {
                start: ts("2010-07-01T00:00:00"),
                end: ts("2010-07-02T00:00:00")
            })
        );
        assert_eq!(
            parse_date("2010-07-01T12"),
            Some(DateSpan {
                start: ts("2010-07-01T12:00:00"),
                end: ts("2010-07-01T13:00:00")
            })
        );
        assert_eq!(
            parse_date("2010-07-01T12:30:05Z").map(|s| s.start),
            Some(ts("2010-07-01T12:30:05"))
        );
        assert_eq!(
            parse_date("2010-07-01T12:30:05+02:00").map(|s| s.start),
            Some(ts("2010-07-01T10:30:05"))
        );
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "",
            "10",
            "2010-13",
            "2010-02-30",
            "abc",
            "2010-1-1",
            "2010-01-01Tnoon",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_math_rounds() {
        assert_eq!(parse_date("2010-05-17||/y"), parse_date("2010"));
        assert_eq!(parse_date("2010-05-17||/M"), parse_date("2010-05"));
        assert_eq!(parse_date("2010-05-17||/x"), None);
    }

    #[test]
    fn units_contain_instants() {
        let t = ts("2021-03-17T15:20:00");
        assert_eq!(DateUnit::Year.span_of(t), parse_date("2021"));
        assert_eq!(DateUnit::Month.span_of(t), parse_date("2021-03"));
        assert_eq!(DateUnit::Day.span_of(t), parse_date("2021-03-17"));
        assert_eq!(DateUnit::Hour.span_of(t), parse_date("2021-03-17T15"));
        // 2021-03-17 is a Wednesday; its week starts on Monday the 15th.
        assert_eq!(
            DateUnit::Week.span_of(t).map(|s| s.start),
            Some(ts("2021-03-15T00:00:00"))
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("1,000.5"), Some(1000.5));
        assert_eq!(parse_number(" -3 "), Some(-3.0));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("ten"), None);
    }

    #[test]
    fn formats_like_aleph() {
        assert_eq!(
            format_timestamp(ts("2010-01-01T00:00:00")),
            "2010-01-01T00:00:00"
        );
    }
}
