//! Lenient parsing of field text into typed values.

use chrono::NaiveDate;

/// Days from 0001-01-01 (CE day 1) to 1970-01-01, for Arrow's Date32.
const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

pub fn date_to_days(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

/// The date `days` after 1970-01-01; `None` outside chrono's calendar (never an overflow).
pub fn days_to_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(UNIX_EPOCH_CE_DAYS)?)
}

/// `text` without surrounding white space; as `str::trim`, with a fast path for the usual value
/// that starts and ends with a visible ASCII character.
pub fn trimmed(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// `YYYY-MM-DD` with surrounding whitespace ignored; anything else (including impossible dates
/// such as `2023-02-30`) is `None`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = trimmed(text).as_bytes();
    if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        t[range].iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
    };
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

/// The census yes/no type: `true`/`TRUE`/`1` and `false`/`FALSE`/`0` (whitespace ignored).
pub fn parse_bool(text: &str) -> Option<bool> {
    match trimmed(text) {
        "true" | "TRUE" | "1" => Some(true),
        "false" | "FALSE" | "0" => Some(false),
        _ => None,
    }
}

pub fn parse_int(text: &str) -> Option<i64> {
    let t = trimmed(text);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_outside_the_calendar_are_none() {
        assert_eq!(days_to_date(i32::MAX), None);
        assert_eq!(days_to_date(i32::MIN), None);
        assert_eq!(days_to_date(0), NaiveDate::from_ymd_opt(1970, 1, 1));
    }

    #[test]
    fn trimming() {
        for text in ["", " ", "a", " a ", "\u{a0}a\u{a0}", "\ta\n", "a b", "é", " é"] {
            assert_eq!(trimmed(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-03-31"), NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(parse_date(" 2026-03-31\n"), NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(parse_date("2023-02-30"), None);
        assert_eq!(parse_date("2025-5-1"), None);
        assert_eq!(parse_date("01/05/2025"), None);
        assert_eq!(parse_date("2025-05-01T00:00:00"), None);
        let d = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap();
        assert_eq!(date_to_days(d), 1);
        assert_eq!(days_to_date(1), Some(d));
    }

    #[test]
    fn booleans_and_ints() {
        for t in ["true", "TRUE", "1", " true "] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for t in ["false", "FALSE", "0"] {
            assert_eq!(parse_bool(t), Some(false));
        }
        assert_eq!(parse_bool("True"), None);
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_int(" 10 "), Some(10));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int(""), None);
    }
}
