//! Birth and incorporation dates: agreement at the precision both sides have.
//!
//! FtM dates are ISO prefixes ("1975", "1975-03", "1975-03-02…"). A year-only date agrees
//! with any full date in that year; a day and month written the other way round
//! ("1975-03-02" and "1975-02-03") is a common data-entry slip and still points to the same
//! person; a different year is strong evidence of a different person.

use serde::Serialize;

/// A date with the precision it was given at (0 = unknown month or day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartialDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl PartialDate {
    /// Parse the ISO prefix of an FtM date value.
    pub fn parse(value: &str) -> Option<PartialDate> {
        let b = value.as_bytes();
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let digits = b.get(range)?;
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(digits).ok()?.parse().ok()
        };
        let year = number(0..4)?;
        let month = if b.get(4) == Some(&b'-') {
            number(5..7).unwrap_or(0)
        } else {
            0
        };
        let day = if month > 0 && b.get(7) == Some(&b'-') {
            number(8..10).unwrap_or(0)
        } else {
            0
        };
        let month = u8::try_from(month).ok().filter(|m| *m <= 12)?;
        let day = u8::try_from(day).ok().filter(|d| *d <= 31)?;
        Some(PartialDate { year, month, day })
    }
}

/// How two sets of dates relate, from most to least favourable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateRelation {
    /// The years are more than one apart.
    YearConflict,
    /// The years are one apart (a rounding or off-by-one slip, or a different person).
    NearYear,
    /// The same year, but the months or days disagree.
    DayConflict,
    /// The same year, one side gives only the year.
    SameYear,
    /// The same date with day and month swapped.
    Swapped,
    /// The same year and month, one side without the day.
    SameMonth,
    /// The same full date.
    Exact,
}

fn relate(a: PartialDate, b: PartialDate) -> DateRelation {
    if a.year != b.year {
        return if a.year.abs_diff(b.year) == 1 {
            DateRelation::NearYear
        } else {
            DateRelation::YearConflict
        };
    }
    if a.month == 0 || b.month == 0 {
        return DateRelation::SameYear;
    }
    if a.month == b.month {
        return if a.day == 0 || b.day == 0 {
            DateRelation::SameMonth
        } else if a.day == b.day {
            DateRelation::Exact
        } else {
            DateRelation::DayConflict
        };
    }
    if a.day != 0 && a.month == b.day && a.day == b.month {
        return DateRelation::Swapped;
    }
    DateRelation::DayConflict
}

/// The most favourable relation between any two dates of the sets, if both have some.
pub(crate) fn compare_dates(left: &[PartialDate], right: &[PartialDate]) -> Option<DateRelation> {
    let mut best = None;
    for &a in left {
        for &b in right {
            let r = relate(a, b);
            if best.is_none_or(|x| r > x) {
                best = Some(r);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: &str, b: &str) -> DateRelation {
        let a = PartialDate::parse(a).unwrap();
        let b = PartialDate::parse(b).unwrap();
        compare_dates(&[a], &[b]).unwrap()
    }

    #[test]
    fn precision_aware_relations() {
        assert_eq!(rel("1975-03-02", "1975-03-02"), DateRelation::Exact);
        assert_eq!(
            rel("1975-03-02T10:00:00", "1975-03-02"),
            DateRelation::Exact
        );
        assert_eq!(rel("1975", "1975-03-02"), DateRelation::SameYear);
        assert_eq!(rel("1975-03", "1975-03-02"), DateRelation::SameMonth);
        assert_eq!(rel("1975-03-02", "1975-02-03"), DateRelation::Swapped);
        assert_eq!(rel("1975-03-02", "1975-03-09"), DateRelation::DayConflict);
        assert_eq!(rel("1975-03-02", "1976-03-02"), DateRelation::NearYear);
        assert_eq!(rel("1975", "1981"), DateRelation::YearConflict);
    }

    #[test]
    fn best_pair_wins_and_garbage_is_refused() {
        let left = [
            PartialDate::parse("1960").unwrap(),
            PartialDate::parse("1975-03-02").unwrap(),
        ];
        let right = [PartialDate::parse("1975-03-02").unwrap()];
        assert_eq!(compare_dates(&left, &right), Some(DateRelation::Exact));
        assert_eq!(compare_dates(&left, &[]), None);
        assert_eq!(PartialDate::parse("19x5"), None);
        assert_eq!(PartialDate::parse("1975-13-01"), None);
    }
}
