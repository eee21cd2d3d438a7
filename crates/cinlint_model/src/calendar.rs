//! Collection years (census periods) and England & Wales working-day arithmetic.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use std::fmt;
use std::str::FromStr;

/// England & Wales bank holidays (gov.uk `bank-holidays.json`, division `england-and-wales`).
/// One table for every supported year; extend it when gov.uk publishes a new year.
pub const BANK_HOLIDAYS: &[&str] = &[
    "2018-01-01", "2018-03-30", "2018-04-02", "2018-05-07", "2018-05-28", "2018-08-27", "2018-12-25", "2018-12-26",
    "2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26", "2019-12-25", "2019-12-26",
    "2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28",
    "2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28",
    "2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27",
    "2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26",
    "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25", "2024-12-26",
    "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26",
    "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
    "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
    "2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26",
];

/// A census collection year, spelled as DfE does: `2025-26` runs 1 April 2025 – 31 March 2026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CollectionYear {
    /// The calendar year holding the reference date (31 March): 2026 for `2025-26`.
    pub end_year: i32,
}

impl CollectionYear {
    pub fn new(end_year: i32) -> Self {
        Self { end_year }
    }

    /// Reference date R: 31 March of the end year.
    pub fn reference_date(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.end_year, 3, 31).expect("31 March exists")
    }

    /// Census period start S = R − 1 year + 1 day (1 April of the previous year).
    pub fn period_start(self) -> NaiveDate {
        period_start_for(self.reference_date())
    }

    /// The census year whose 31 March is the first on or after `date`.
    pub fn containing(date: NaiveDate) -> Self {
        let march31 = NaiveDate::from_ymd_opt(date.year(), 3, 31).expect("31 March exists");
        if date <= march31 {
            Self::new(date.year())
        } else {
            Self::new(date.year() + 1)
        }
    }

    /// The most recent 31 March on or before `date` (the last completed census year).
    pub fn last_completed(date: NaiveDate) -> Self {
        let march31 = NaiveDate::from_ymd_opt(date.year(), 3, 31).expect("31 March exists");
        if date >= march31 {
            Self::new(date.year())
        } else {
            Self::new(date.year() - 1)
        }
    }
}

/// S = R − 1 year + 1 day, as DfE and the reference validator compute it from any R.
pub fn period_start_for(reference: NaiveDate) -> NaiveDate {
    reference
        .checked_sub_months(Months::new(12))
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(reference)
}

impl fmt::Display for CollectionYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.end_year - 1, self.end_year.rem_euclid(100))
    }
}

/// Error for a collection year that is neither `2025-26` nor `2026`.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{0}` is not a collection year: write it as 2025-26 or as its ending year 2026")]
pub struct BadYear(pub String);

impl FromStr for CollectionYear {
    type Err = BadYear;
    fn from_str(text: &str) -> Result<Self, BadYear> {
        let bad = || BadYear(text.to_string());
        let text = text.trim();
        if let Some((start, end)) = text.split_once('-') {
            let start: i32 = start.parse().map_err(|_| bad())?;
            let end: i32 = end.parse().map_err(|_| bad())?;
            if start < 1900 || end != (start + 1) % 100 || end > 99 {
                return Err(bad());
            }
            Ok(Self::new(start + 1))
        } else {
            let year: i32 = text.parse().map_err(|_| bad())?;
            if !(1900..=2999).contains(&year) {
                return Err(bad());
            }
            Ok(Self::new(year))
        }
    }
}

/// Working days: Monday to Friday, except England & Wales bank holidays.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    holidays: Vec<NaiveDate>,
}

impl Default for WorkingCalendar {
    fn default() -> Self {
        Self::england()
    }
}

impl WorkingCalendar {
    /// The calendar built from [`BANK_HOLIDAYS`].
    pub fn england() -> Self {
        let mut holidays: Vec<NaiveDate> = BANK_HOLIDAYS
            .iter()
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("bank holiday table is valid"))
            .collect();
        holidays.sort();
        Self { holidays }
    }

    pub fn is_weekend(date: NaiveDate) -> bool {
        matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    pub fn is_bank_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.binary_search(&date).is_ok()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !Self::is_weekend(date) && !self.is_bank_holiday(date)
    }

    /// The first working day on or after `date`.
    pub fn roll_forward(&self, mut date: NaiveDate) -> NaiveDate {
        while !self.is_working_day(date) {
            date = date.succ_opt().expect("date in range");
        }
        date
    }

    /// DfE's "D minus N working days": roll D forward to a working day D′, then step back
    /// N − 1 working days. The result T is the first day of a run of exactly N working days
    /// ending on D′; rules flag dates strictly before T.
    pub fn working_days_before(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = self.roll_forward(date);
        for _ in 1..n.max(1) {
            day = day.pred_opt().expect("date in range");
            while !self.is_working_day(day) {
                day = day.pred_opt().expect("date in range");
            }
        }
        day
    }

    /// Working days in the half-open range (from, to]: 0 when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.succ_opt().expect("date in range");
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }
}

/// Whole years of age on `at` for someone born on `birth`.
pub fn age_in_years(birth: NaiveDate, at: NaiveDate) -> i32 {
    let mut age = at.year() - birth.year();
    if (at.month(), at.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn year_spellings() {
        assert_eq!("2025-26".parse::<CollectionYear>().unwrap(), CollectionYear::new(2026));
        assert_eq!("2026".parse::<CollectionYear>().unwrap(), CollectionYear::new(2026));
        assert_eq!("1999-00".parse::<CollectionYear>().unwrap(), CollectionYear::new(2000));
        assert!("2025-27".parse::<CollectionYear>().is_err());
        assert!("twenty".parse::<CollectionYear>().is_err());
        assert_eq!(CollectionYear::new(2026).to_string(), "2025-26");
        assert_eq!(CollectionYear::new(2000).to_string(), "1999-00");
    }

    #[test]
    fn period_bounds() {
        let y = CollectionYear::new(2026);
        assert_eq!(y.reference_date(), d("2026-03-31"));
        assert_eq!(y.period_start(), d("2025-04-01"));
        assert_eq!(CollectionYear::containing(d("2026-03-31")), y);
        assert_eq!(CollectionYear::containing(d("2025-04-01")), y);
        assert_eq!(CollectionYear::containing(d("2025-03-31")), CollectionYear::new(2025));
        assert_eq!(CollectionYear::last_completed(d("2026-11-02")), y);
        assert_eq!(CollectionYear::last_completed(d("2026-03-30")), CollectionYear::new(2025));
        // Peer quirk kept: S from any R, e.g. a header date of 2022-07-21.
        assert_eq!(period_start_for(d("2022-07-21")), d("2021-07-22"));
    }

    /// Thresholds verified against the reference validator (data-model §5).
    #[test]
    fn working_day_thresholds() {
        let cal = WorkingCalendar::england();
        let cases = [
            ("2022-03-31", "2021-04-01", "2022-01-28", "2022-03-11"),
            ("2023-03-31", "2022-04-01", "2023-01-30", "2023-03-13"),
            ("2024-03-31", "2023-04-03", "2024-01-29", "2024-03-11"),
            ("2025-03-31", "2024-04-02", "2025-01-28", "2025-03-11"),
            ("2026-03-31", "2025-04-01", "2026-01-28", "2026-03-11"),
            ("2027-03-31", "2026-04-01", "2027-01-26", "2027-03-09"),
        ];
        for (r, t1, t45, t15) in cases {
            let r = d(r);
            assert_eq!(cal.working_days_before(period_start_for(r), 1), d(t1), "8569Q {r}");
            assert_eq!(cal.working_days_before(r, 45), d(t45), "8670Q {r}");
            assert_eq!(cal.working_days_before(r, 15), d(t15), "8675Q {r}");
        }
    }

    #[test]
    fn weekends_holidays_and_counting() {
        let cal = WorkingCalendar::england();
        assert!(WorkingCalendar::is_weekend(d("2026-03-28")));
        assert!(!WorkingCalendar::is_weekend(d("2026-03-27")));
        assert!(cal.is_bank_holiday(d("2025-12-25")));
        assert!(!cal.is_working_day(d("2026-04-03")));
        assert_eq!(cal.roll_forward(d("2026-04-03")), d("2026-04-07"));
        // Mon 2 Mar → Fri 6 Mar: 4 working days after the Monday.
        assert_eq!(cal.working_days_between(d("2026-03-02"), d("2026-03-06")), 4);
        assert_eq!(cal.working_days_between(d("2026-03-06"), d("2026-03-02")), 0);
        // Bank holidays are sorted and unique.
        let mut sorted = BANK_HOLIDAYS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), BANK_HOLIDAYS.len());
    }

    #[test]
    fn ages() {
        assert_eq!(age_in_years(d("2010-03-31"), d("2026-03-30")), 15);
        assert_eq!(age_in_years(d("2010-03-31"), d("2026-03-31")), 16);
        assert_eq!(age_in_years(d("2008-02-29"), d("2026-02-28")), 17);
    }
}
