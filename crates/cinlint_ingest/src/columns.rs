//! Reading a column of a canonical table: the typed values with their `_raw` companion.
//!
//! A date, boolean or integer that did not parse is NULL in its typed column and keeps its text
//! in `<col>_raw` ([`schema::raw_name`]). [`Column`] reads the two together, so a row is seen as
//! a value, as text that did not parse, or as absent.

use crate::values::days_to_date;
use arrow::array::{Array, AsArray, BooleanArray, Date32Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Date32Type, Int32Type, Int64Type};
use cinlint_model::schema::{self, ColumnKind};
use std::borrow::Cow;

/// One column of a canonical table, typed, with its `_raw` companion when the batch has one.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    Text(&'a StringArray),
    Date(&'a Date32Array, Option<&'a StringArray>),
    Bool(&'a BooleanArray, Option<&'a StringArray>),
    Int(&'a Int64Array, Option<&'a StringArray>),
    Ordinal(&'a Int32Array),
}

/// A column (or its `_raw` companion) whose Arrow type is none a canonical table uses there.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("column `{column}` has an unexpected type {data_type}")]
pub struct UnexpectedType {
    /// The column with the wrong type: the one asked for, or its `_raw` companion.
    pub column: String,
    pub data_type: DataType,
}

impl<'a> Column<'a> {
    /// The column `name` of `batch` and its `_raw` companion; `None` when the batch has no such
    /// column. The variant follows the column's Arrow type.
    pub fn of(batch: &'a RecordBatch, name: &str) -> Result<Option<Self>, UnexpectedType> {
        let Some(array) = batch.column_by_name(name) else { return Ok(None) };
        let column = match array.data_type() {
            DataType::Utf8 => Column::Text(array.as_string()),
            DataType::Date32 => Column::Date(array.as_primitive::<Date32Type>(), raw_companion(batch, name)?),
            DataType::Boolean => Column::Bool(array.as_boolean(), raw_companion(batch, name)?),
            DataType::Int64 => Column::Int(array.as_primitive::<Int64Type>(), raw_companion(batch, name)?),
            DataType::Int32 => Column::Ordinal(array.as_primitive::<Int32Type>()),
            other => return Err(UnexpectedType { column: name.to_string(), data_type: other.clone() }),
        };
        Ok(Some(column))
    }

    /// The kind of census field this column holds.
    pub fn kind(&self) -> ColumnKind {
        match self {
            Column::Text(_) => ColumnKind::Text,
            Column::Date(..) => ColumnKind::Date,
            Column::Bool(..) => ColumnKind::Bool,
            Column::Int(..) => ColumnKind::Int,
            Column::Ordinal(_) => ColumnKind::Ordinal,
        }
    }

    /// Whether the row holds a value (for a text column: any text, blank or not).
    pub fn has_value(&self, row: usize) -> bool {
        match self {
            Column::Text(a) => a.is_valid(row),
            Column::Date(a, _) => a.is_valid(row),
            Column::Bool(a, _) => a.is_valid(row),
            Column::Int(a, _) => a.is_valid(row),
            Column::Ordinal(a) => a.is_valid(row),
        }
    }

    /// The text that was written where the row has no value because it did not parse.
    pub fn unparsed(&self, row: usize) -> Option<&'a str> {
        match self {
            Column::Date(_, raw) | Column::Bool(_, raw) | Column::Int(_, raw) if !self.has_value(row) => {
                raw.filter(|r| r.is_valid(row)).map(|r| r.value(row))
            }
            _ => None,
        }
    }

    /// Whether the row holds something: a value, or text that did not parse.
    pub fn has_value_or_unparsed(&self, row: usize) -> bool {
        self.has_value(row) || self.unparsed(row).is_some()
    }

    /// The row's text, verbatim, when this is a text column and the row has some.
    pub fn text(&self, row: usize) -> Option<&'a str> {
        match self {
            Column::Text(a) if a.is_valid(row) => Some(a.value(row)),
            _ => None,
        }
    }

    /// The row as a census XML return holds it: dates `YYYY-MM-DD`, booleans `true`/`false`,
    /// integers in base 10, text verbatim, and text that did not parse as it was written.
    /// `None` when the row holds nothing (or a date outside the calendar).
    pub fn census_text(&self, row: usize) -> Option<Cow<'a, str>> {
        if !self.has_value(row) {
            return self.unparsed(row).map(Cow::Borrowed);
        }
        match self {
            Column::Text(a) => Some(Cow::Borrowed(a.value(row))),
            Column::Date(a, _) => days_to_date(a.value(row)).map(|d| Cow::Owned(d.format("%Y-%m-%d").to_string())),
            Column::Bool(a, _) => Some(Cow::Borrowed(if a.value(row) { "true" } else { "false" })),
            Column::Int(a, _) => Some(Cow::Owned(a.value(row).to_string())),
            Column::Ordinal(a) => Some(Cow::Owned(a.value(row).to_string())),
        }
    }
}

/// The `_raw` companion of column `name`, when the batch has one.
fn raw_companion<'a>(batch: &'a RecordBatch, name: &str) -> Result<Option<&'a StringArray>, UnexpectedType> {
    let raw = schema::raw_name(name);
    match batch.column_by_name(&raw) {
        None => Ok(None),
        Some(array) => array.as_string_opt().map(Some).ok_or_else(|| UnexpectedType { column: raw, data_type: array.data_type().clone() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::date_to_days;
    use arrow::array::{ArrayRef, Float64Array};
    use chrono::NaiveDate;
    use std::sync::Arc;

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn strings(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn day(y: i32, m: u32, d: u32) -> i32 {
        date_to_days(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    /// Each row's (has a value, unparsed text, census text).
    fn rows<'a>(column: &Column<'a>, count: usize) -> Vec<(bool, Option<&'a str>, Option<String>)> {
        (0..count).map(|row| (column.has_value(row), column.unparsed(row), column.census_text(row).map(Cow::into_owned))).collect()
    }

    #[test]
    fn a_date_is_its_value_its_unparsed_text_or_absent() {
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![Some(day(2025, 5, 1)), None, None]));
        let b = batch(vec![("D", dates), ("D_raw", strings(&[None, Some("2015-02-30"), None]))]);
        let column = Column::of(&b, "D").unwrap().unwrap();
        assert_eq!(column.kind(), ColumnKind::Date);
        assert_eq!(
            rows(&column, 3),
            [(true, None, Some("2025-05-01".into())), (false, Some("2015-02-30"), Some("2015-02-30".into())), (false, None, None)]
        );
        assert_eq!((0..3).map(|r| column.has_value_or_unparsed(r)).collect::<Vec<_>>(), [true, true, false]);
        assert_eq!(column.text(0), None, "a date column has no text");
    }

    #[test]
    fn booleans_and_integers_read_as_census_text() {
        let b = batch(vec![
            ("B", Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])) as ArrayRef),
            ("B_raw", strings(&[None, None, Some("yes")])),
            ("N", Arc::new(Int64Array::from(vec![Some(-3), None, Some(12)])) as ArrayRef),
        ]);
        let flag = Column::of(&b, "B").unwrap().unwrap();
        assert_eq!(rows(&flag, 3), [(true, None, Some("true".into())), (true, None, Some("false".into())), (false, Some("yes"), Some("yes".into()))]);
        let number = Column::of(&b, "N").unwrap().unwrap();
        assert_eq!(number.kind(), ColumnKind::Int);
        assert_eq!(rows(&number, 3), [(true, None, Some("-3".into())), (false, None, None), (true, None, Some("12".into()))]);
    }

    #[test]
    fn text_and_ordinals_have_no_unparsed_text() {
        let b = batch(vec![
            ("T", strings(&[Some(" A&B "), Some(""), None])),
            ("T_raw", strings(&[None, None, Some("ignored")])),
            ("K", Arc::new(Int32Array::from(vec![Some(1), Some(2), None])) as ArrayRef),
        ]);
        let text = Column::of(&b, "T").unwrap().unwrap();
        assert_eq!(text.kind(), ColumnKind::Text);
        assert_eq!(rows(&text, 3), [(true, None, Some(" A&B ".into())), (true, None, Some(String::new())), (false, None, None)]);
        assert_eq!(text.text(0), Some(" A&B "));
        let key = Column::of(&b, "K").unwrap().unwrap();
        assert_eq!(key.kind(), ColumnKind::Ordinal);
        assert_eq!(rows(&key, 3), [(true, None, Some("1".into())), (true, None, Some("2".into())), (false, None, None)]);
    }

    #[test]
    fn a_date_outside_the_calendar_has_no_census_text() {
        let b = batch(vec![("D", Arc::new(Date32Array::from(vec![i32::MAX])) as ArrayRef)]);
        let column = Column::of(&b, "D").unwrap().unwrap();
        assert!(column.has_value(0));
        assert_eq!(column.census_text(0), None);
    }

    #[test]
    fn missing_columns_are_none_and_other_types_are_refused() {
        let b = batch(vec![
            ("F", Arc::new(Float64Array::from(vec![1.5])) as ArrayRef),
            ("D", Arc::new(Date32Array::from(vec![0])) as ArrayRef),
            ("D_raw", Arc::new(Int64Array::from(vec![0])) as ArrayRef),
            ("N", Arc::new(Int64Array::from(vec![0])) as ArrayRef),
        ]);
        assert!(Column::of(&b, "absent").unwrap().is_none());
        assert!(matches!(Column::of(&b, "N"), Ok(Some(Column::Int(_, None)))), "no companion is fine");
        assert_eq!(Column::of(&b, "F").unwrap_err(), UnexpectedType { column: "F".into(), data_type: DataType::Float64 });
        let raw = Column::of(&b, "D").unwrap_err();
        assert_eq!(raw, UnexpectedType { column: "D_raw".into(), data_type: DataType::Int64 });
        assert_eq!(raw.to_string(), "column `D_raw` has an unexpected type Int64");
    }
}
