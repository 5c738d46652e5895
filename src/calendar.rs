//! Calendar months: the simulation clock.
//!
//! A run ticks once a month. `YearMonth` names a month, `Date` a day (the
//! reference histories are dated to the day). Month indices count from a
//! scenario's start month, which is month 0. Nothing here knows about
//! scenarios or files; parsing errors are plain strings the caller places.

use std::fmt;

/// A calendar month, e.g. 1995-07.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// Months since year 0, January: `year * 12 + (month - 1)`.
    ordinal: i32,
}

impl YearMonth {
    /// Builds a month; `month` is 1..=12.
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        if !(1..=12).contains(&month) || !(1..=9999).contains(&year) {
            return None;
        }
        Some(YearMonth { ordinal: year * 12 + month as i32 - 1 })
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.ordinal.div_euclid(12)
    }

    /// The month of the year, 1..=12.
    pub fn month(self) -> u32 {
        self.ordinal.rem_euclid(12) as u32 + 1
    }

    /// This month shifted by `months` (may be negative).
    pub fn plus(self, months: i32) -> YearMonth {
        YearMonth { ordinal: self.ordinal + months }
    }

    /// Whole months from `earlier` to `self` (negative if `self` is earlier).
    pub fn months_since(self, earlier: YearMonth) -> i32 {
        self.ordinal - earlier.ordinal
    }

    /// The first day of this month as an ISO date, `YYYY-MM-01`.
    pub fn first_day(self) -> Date {
        Date { month: self, day: 1 }
    }

    /// Parses `YYYY-MM`; `YYYY-MM-DD` is accepted and truncated to its month.
    pub fn parse(text: &str) -> Result<YearMonth, String> {
        let date = Date::parse_lenient(text)?;
        Ok(date.month)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// A calendar day, e.g. 1995-07-11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    month: YearMonth,
    day: u32,
}

impl Date {
    /// Builds a date, checking the day against the month's length.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let ym = YearMonth::new(year, month)?;
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { month: ym, day })
    }

    /// The month this day falls in.
    pub fn year_month(self) -> YearMonth {
        self.month
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u32 {
        self.day
    }

    /// Parses a strict ISO date `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, String> {
        let parts: Vec<&str> = text.trim().split('-').collect();
        if parts.len() != 3 {
            return Err(format!("expected a date YYYY-MM-DD, got {text:?}"));
        }
        Self::from_parts(text, &parts)
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM` (the first of the month).
    pub fn parse_lenient(text: &str) -> Result<Date, String> {
        let parts: Vec<&str> = text.trim().split('-').collect();
        match parts.len() {
            2 => Self::from_parts(text, &[parts[0], parts[1], "01"]),
            3 => Self::from_parts(text, &parts),
            _ => Err(format!("expected a month YYYY-MM or a date YYYY-MM-DD, got {text:?}")),
        }
    }

    fn from_parts(text: &str, parts: &[&str]) -> Result<Date, String> {
        let bad = || format!("expected a date YYYY-MM-DD (or YYYY-MM), got {text:?}");
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(parts[0], 4) || !digits(parts[1], 2) || !digits(parts[2], 2) {
            return Err(bad());
        }
        let year: i32 = parts[0].parse().map_err(|_| bad())?;
        let month: u32 = parts[1].parse().map_err(|_| bad())?;
        let day: u32 = parts[2].parse().map_err(|_| bad())?;
        Date::new(year, month, day).ok_or_else(|| format!("{text:?} is not a calendar date"))
    }

    /// Fractional months from `origin` (a month's first day) to this day,
    /// counting a day as 1/days-in-month of its month.
    pub fn months_after(self, origin: YearMonth) -> f64 {
        let whole = self.month.months_since(origin) as f64;
        let len = days_in_month(self.month.year(), self.month.month()) as f64;
        whole + (self.day - 1) as f64 / len
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.month, self.day)
    }
}

/// A calendar cut-off for "reached by": a year (`2030`), a month
/// (`2030-06`) or a day (`2030-06-15`). Every command means the same by it:
/// a stage is reached by the cut-off when the first day of the month it was
/// first reached in (its `stage_<s>_date` in `runs.csv`) is on or before the
/// cut-off's last day, a year standing for its 31 December and a month for
/// its last day. The simulation counts whole months, so "by 2030-06-15" and
/// "by 2030-06" count the same months: through June 2030.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct By {
    label: String,
    last: YearMonth,
}

impl By {
    /// The end of calendar year `year`.
    pub fn year(year: i32) -> Option<By> {
        Some(By { label: format!("{year:04}"), last: YearMonth::new(year, 12)? })
    }

    /// The end of month `month`.
    pub fn month(month: YearMonth) -> By {
        By { label: month.to_string(), last: month }
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<By, String> {
        let t = text.trim();
        let bad = || format!("expected a year YYYY, a month YYYY-MM or a date YYYY-MM-DD, got {text:?}");
        match t.split('-').count() {
            1 => {
                if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                By::year(t.parse().map_err(|_| bad())?).ok_or_else(bad)
            }
            2 => Ok(By { label: t.to_string(), last: Date::parse_lenient(t)?.year_month() }),
            3 => Ok(By { label: t.to_string(), last: Date::parse(t)?.year_month() }),
            _ => Err(bad()),
        }
    }

    /// The cut-off as given, canonical: `2030`, `2030-06` or `2030-06-15`;
    /// it names the `p_by` columns.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The last month that counts.
    pub fn last_month(&self) -> YearMonth {
        self.last
    }

    /// The cut-off in words: "the end of 2030", "the end of 2030-06", "2030-06-15".
    pub fn words(&self) -> String {
        if self.label.len() == 10 {
            self.label.clone()
        } else {
            format!("the end of {}", self.label)
        }
    }

    /// The last month index that counts for a clock starting at `start`
    /// and simulated up to month `horizon`: None when the cut-off falls
    /// before the start or after the horizon (the runs do not cover it).
    pub fn month_index(&self, start: YearMonth, horizon: u32) -> Option<u32> {
        let m = self.last.months_since(start);
        (0..=horizon as i32).contains(&m).then_some(m as u32)
    }
}

impl fmt::Display for By {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_years() {
        let m = YearMonth::new(1975, 5).unwrap();
        assert_eq!(m.plus(8).to_string(), "1976-01");
        assert_eq!(m.plus(-5).to_string(), "1974-12");
        assert_eq!(YearMonth::new(1995, 7).unwrap().months_since(m), 242);
    }

    #[test]
    fn parses_months_and_dates() {
        assert_eq!(YearMonth::parse("2021-09").unwrap().to_string(), "2021-09");
        assert_eq!(YearMonth::parse("2021-09-15").unwrap().to_string(), "2021-09");
        assert_eq!(Date::parse("1995-07-11").unwrap().to_string(), "1995-07-11");
        assert!(Date::parse("1995-02-29").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("1995-7-11").is_err());
        assert!(YearMonth::parse("1995-13").is_err());
        assert!(YearMonth::parse("soon").is_err());
        assert!(Date::parse("1995-07").is_err());
    }

    #[test]
    fn by_a_year_a_month_or_a_day() {
        let start = YearMonth::new(2021, 9).unwrap();
        let year = By::parse("2030").unwrap();
        assert_eq!((year.label(), year.month_index(start, 400)), ("2030", Some(111)));
        assert_eq!(year.words(), "the end of 2030");
        assert_eq!(By::parse("2030-06").unwrap().month_index(start, 400), Some(105));
        assert_eq!(By::parse("2030-06-15").unwrap().month_index(start, 400), Some(105));
        assert_eq!(By::parse("2030-06-15").unwrap().words(), "2030-06-15");
        assert_eq!(year.month_index(start, 110), None, "December 2030 is beyond the horizon");
        assert_eq!(By::parse("2020").unwrap().month_index(start, 400), None, "before the start");
        for bad in ["30", "2030-13", "2030-02-30", "soon", "2030-06-15-1", "20300"] {
            assert!(By::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fractional_months() {
        let origin = YearMonth::new(1975, 4).unwrap();
        let d = Date::parse("1975-04-30").unwrap();
        assert!((d.months_after(origin) - 29.0 / 30.0).abs() < 1e-12);
        assert_eq!(YearMonth::new(1975, 4).unwrap().first_day().months_after(origin), 0.0);
    }
}
