//! Dates as day numbers (days since 1970-01-01): cheap to compare, shift and format.

use chrono::{Datelike, NaiveDate};

pub(crate) type Day = i32;

/// No value: the element is left out.
pub(crate) const NONE: Day = i32::MIN;
/// Written as an empty element (`<X/>`): a present but blank value.
pub(crate) const EMPTY: Day = i32::MIN + 1;
/// Written as a date-shaped text that is no date (30 February).
pub(crate) const BAD: Day = i32::MIN + 2;

/// A real date (not one of the sentinels).
pub(crate) fn is_date(d: Day) -> bool {
    d > BAD
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn from_ymd(y: i32, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

pub(crate) fn to_ymd(z: Day) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(crate) fn from_naive(d: NaiveDate) -> Day {
    from_ymd(d.year(), d.month(), d.day())
}

/// 0 = Monday … 6 = Sunday.
pub(crate) fn weekday(d: Day) -> u32 {
    // 1970-01-01 was a Thursday.
    (d + 3).rem_euclid(7) as u32
}

pub(crate) fn is_weekend(d: Day) -> bool {
    weekday(d) >= 5
}

/// Appends `YYYY-MM-DD` (years 0..=9999).
pub(crate) fn push_date(buf: &mut Vec<u8>, d: Day) {
    let (y, m, dd) = to_ymd(d);
    let y = y.clamp(0, 9999) as u32;
    buf.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (dd / 10) as u8,
        b'0' + (dd % 10) as u8,
    ]);
}

/// `dd/mm/yyyy` (UK order), used by some SSD tables.
pub(crate) fn push_date_uk(buf: &mut Vec<u8>, d: Day) {
    let (y, m, dd) = to_ymd(d);
    let y = y.clamp(0, 9999) as u32;
    buf.extend_from_slice(&[
        b'0' + (dd / 10) as u8,
        b'0' + (dd % 10) as u8,
        b'/',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'/',
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
    ]);
}

/// The same calendar day `years` later (29 February → 28 February).
pub(crate) fn add_years(d: Day, years: i32) -> Day {
    let (y, m, dd) = to_ymd(d);
    let y2 = y + years;
    let dd = if m == 2 && dd == 29 && !is_leap(y2) {
        28
    } else {
        dd
    };
    from_ymd(y2, m, dd)
}

pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_weekday() {
        for z in -800_000..800_000 {
            if z % 97 != 0 {
                continue;
            }
            let (y, m, d) = to_ymd(z);
            assert_eq!(from_ymd(y, m, d), z);
        }
        assert_eq!(from_ymd(1970, 1, 1), 0);
        assert_eq!(
            from_ymd(2026, 3, 31),
            from_naive(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())
        );
        assert_eq!(weekday(from_ymd(2026, 3, 31)), 1); // Tuesday
        let mut b = Vec::new();
        push_date(&mut b, from_ymd(2025, 4, 1));
        b.push(b' ');
        push_date_uk(&mut b, from_ymd(2025, 4, 1));
        assert_eq!(b, b"2025-04-01 01/04/2025");
        assert_eq!(to_ymd(add_years(from_ymd(2024, 2, 29), 1)), (2025, 2, 28));
    }
}
