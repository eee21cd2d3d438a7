//! Date functions: working days (England & Wales), weekends, ages and calendar arithmetic.

use super::RowUdf;
use arrow::array::{Array, ArrayRef, BooleanArray, Date32Array, Int64Array};
use arrow::datatypes::DataType;
use chrono::{Days, Months, NaiveDate};
use cinlint_model::calendar::{age_in_years, WorkingCalendar};
use cinlint_ingest::values::{date_to_days, days_to_date};
use datafusion::error::Result;
use std::sync::{Arc, OnceLock};

fn calendar() -> &'static WorkingCalendar {
    static CALENDAR: OnceLock<WorkingCalendar> = OnceLock::new();
    CALENDAR.get_or_init(WorkingCalendar::england)
}

fn dates(a: &ArrayRef) -> &Date32Array {
    a.as_any().downcast_ref().expect("cast to Date32")
}

fn ints(a: &ArrayRef) -> &Int64Array {
    a.as_any().downcast_ref().expect("cast to Int64")
}

/// Maps (date, n) → date, NULL in → NULL out.
fn date_int_to_date(args: &[ArrayRef], f: impl Fn(NaiveDate, i64) -> Option<NaiveDate>) -> Result<ArrayRef> {
    let (d, n) = (dates(&args[0]), ints(&args[1]));
    let out: Date32Array = (0..d.len())
        .map(|i| {
            if d.is_null(i) || n.is_null(i) {
                return None;
            }
            days_to_date(d.value(i)).and_then(|date| f(date, n.value(i))).map(date_to_days)
        })
        .collect();
    Ok(Arc::new(out))
}

/// `working_days_before(date, n)`: roll forward to a working day, then back n − 1 working days.
pub fn working_days_before() -> RowUdf {
    RowUdf::new("working_days_before", vec![DataType::Date32, DataType::Int64], DataType::Date32, |args| {
        date_int_to_date(args, |d, n| Some(calendar().working_days_before(d, n.clamp(1, 10_000) as u32)))
    })
}

/// `is_weekend(date)`: Saturday or Sunday (bank holidays are not weekends).
pub fn is_weekend() -> RowUdf {
    RowUdf::new("is_weekend", vec![DataType::Date32], DataType::Boolean, |args| {
        let d = dates(&args[0]);
        let out: BooleanArray = d.iter().map(|v| v.and_then(days_to_date).map(WorkingCalendar::is_weekend)).collect();
        Ok(Arc::new(out))
    })
}

/// `age_at(birth, date)`: whole years of age.
pub fn age_at() -> RowUdf {
    RowUdf::new("age_at", vec![DataType::Date32, DataType::Date32], DataType::Int64, |args| {
        let (b, d) = (dates(&args[0]), dates(&args[1]));
        let out: Int64Array = (0..b.len())
            .map(|i| {
                let birth = b.is_valid(i).then(|| days_to_date(b.value(i))).flatten()?;
                let at = d.is_valid(i).then(|| days_to_date(d.value(i))).flatten()?;
                Some(i64::from(age_in_years(birth, at)))
            })
            .collect();
        Ok(Arc::new(out))
    })
}

pub fn add_days() -> RowUdf {
    RowUdf::new("add_days", vec![DataType::Date32, DataType::Int64], DataType::Date32, |args| {
        date_int_to_date(args, |d, n| {
            if n >= 0 {
                d.checked_add_days(Days::new(n as u64))
            } else {
                d.checked_sub_days(Days::new(n.unsigned_abs()))
            }
        })
    })
}

fn shift_months(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    let months = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
    if n >= 0 {
        d.checked_add_months(months)
    } else {
        d.checked_sub_months(months)
    }
}

/// `add_months(date, n)`: calendar months, clamped to the month's end (31 Jan + 1 → 28/29 Feb).
pub fn add_months() -> RowUdf {
    RowUdf::new("add_months", vec![DataType::Date32, DataType::Int64], DataType::Date32, |args| {
        date_int_to_date(args, shift_months)
    })
}

/// `add_years(date, n)`: calendar years (29 Feb + 1 → 28 Feb).
pub fn add_years() -> RowUdf {
    RowUdf::new("add_years", vec![DataType::Date32, DataType::Int64], DataType::Date32, |args| {
        date_int_to_date(args, |d, n| shift_months(d, n.checked_mul(12)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i32 {
        date_to_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    fn date_col(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(v.iter().map(|s| s.map(day)).collect::<Date32Array>())
    }

    fn int_col(v: &[i64]) -> ArrayRef {
        Arc::new(Int64Array::from(v.to_vec()))
    }

    fn as_days(a: ArrayRef) -> Vec<Option<i32>> {
        a.as_any().downcast_ref::<Date32Array>().unwrap().iter().collect()
    }

    #[test]
    fn working_days() {
        let out = working_days_before().call(&[date_col(&[Some("2026-03-31"), None]), int_col(&[45, 45])]).unwrap();
        assert_eq!(as_days(out), vec![Some(day("2026-01-28")), None]);
    }

    #[test]
    fn weekends() {
        let out = is_weekend().call(&[date_col(&[Some("2026-03-28"), Some("2026-04-03"), None])]).unwrap();
        let out: Vec<_> = out.as_any().downcast_ref::<BooleanArray>().unwrap().iter().collect();
        assert_eq!(out, vec![Some(true), Some(false), None]);
    }

    #[test]
    fn ages_and_arithmetic() {
        let out = age_at().call(&[date_col(&[Some("2010-04-01")]), date_col(&[Some("2026-03-31")])]).unwrap();
        assert_eq!(out.as_any().downcast_ref::<Int64Array>().unwrap().value(0), 15);
        let out = add_months().call(&[date_col(&[Some("2026-01-31")]), int_col(&[1])]).unwrap();
        assert_eq!(as_days(out), vec![Some(day("2026-02-28"))]);
        let out = add_years().call(&[date_col(&[Some("2024-02-29")]), int_col(&[-1])]).unwrap();
        assert_eq!(as_days(out), vec![Some(day("2023-02-28"))]);
        let out = add_days().call(&[date_col(&[Some("2026-03-31")]), int_col(&[-30])]).unwrap();
        assert_eq!(as_days(out), vec![Some(day("2026-03-01"))]);
    }
}
