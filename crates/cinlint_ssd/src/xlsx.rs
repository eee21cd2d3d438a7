//! The single-workbook form of an export (`la-export.md` §5.2): one sheet per table.

use crate::findings::{Findings, BAD_VALUE, IGNORED_FILE};
use crate::read::{build_table, Field, RawTable, Record};
use crate::spec::{self, Ty};
use calamine::{Data, Reader};
use chrono::NaiveDate;
use cinlint_ingest::{IngestError, Pos, SourceFile, SourceMap};
use cinlint_model::Severity;
use std::collections::HashMap;
use std::path::Path;

fn cell_error(file: &str, pos: Pos, kind: &'static str, message: String) -> IngestError {
    let (row, column) = ((pos.local() >> 16) as u32, (pos.local() & 0xffff) as u32);
    IngestError { file: file.to_string(), line: row + 1, column: column + 1, offset: None, message, help: None, kind }
}

/// An Excel serial day number (1900 date system) as a date.
pub fn excel_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let mut days = serial.floor() as i64;
    if days < 61 {
        // Excel counts a 29 February 1900 that never was.
        days += 1;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(days))
}

/// Reads every table sheet of a workbook.
pub fn read_workbook(
    path: &Path,
    sources: &mut SourceMap,
    findings: &mut Findings,
) -> Result<HashMap<&'static str, RawTable>, IngestError> {
    let display = path.display().to_string();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(path)
        .map_err(|e| IngestError::whole_file(path, "bad-workbook", format!("cannot read the workbook: {e}")))?;
    let mut tables: HashMap<&'static str, RawTable> = HashMap::new();
    for name in workbook.sheet_names() {
        let Some(spec) = spec::table(name.trim()) else {
            findings.push(
                IGNORED_FILE,
                Severity::Info,
                format!("sheet `{name}` is not an SSD table and was ignored"),
                "Tables are read from sheets named after the table, e.g. ssd_person (la-export.md §5.2).",
                Pos::NONE,
                cinlint_model::schema::HEADER.name,
                None,
                None,
            );
            continue;
        };
        if tables.contains_key(spec.name) {
            return Err(IngestError::whole_file(path, "duplicate-table", format!("{} is supplied twice (sheet `{name}`)", spec.name))
                .with_help("Keep one sheet per table."));
        }
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| IngestError::whole_file(path, "bad-workbook", format!("cannot read sheet `{name}`: {e}")))?;
        let file = sources.add(SourceFile::sheet(display.clone(), name.clone()));
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut types: Vec<Option<Ty>> = Vec::new();
        let mut records = Vec::new();
        for (ri, row) in range.rows().enumerate() {
            let r = row0 + ri as u32;
            if ri > 0 && row.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            let mut fields = Vec::with_capacity(row.len());
            for (ci, cell) in row.iter().enumerate() {
                let pos = Pos::cell(file, r, col0 + ci as u32);
                let ty = types.get(ci).copied().flatten();
                let (text, quoted) = match cell {
                    Data::Empty => (String::new(), false),
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => (s.clone(), true),
                    Data::Int(i) => (i.to_string(), false),
                    Data::Bool(b) => ((if *b { "Y" } else { "N" }).to_string(), false),
                    Data::DateTime(dt) => (number_text(dt.as_f64(), Some(Ty::Date)), false),
                    Data::Float(f) => {
                        if ty == Some(Ty::Id) && f.fract() != 0.0 {
                            findings.push(
                                BAD_VALUE,
                                Severity::Warning,
                                format!("{}: the numeric id {f} has a fractional part", spec.name),
                                "Store identifiers as text cells.",
                                pos,
                                spec.name,
                                None,
                                None,
                            );
                        }
                        (number_text(*f, ty), false)
                    }
                    Data::Error(e) => (format!("#{e:?}"), false),
                };
                fields.push(Field { text, pos, quoted });
            }
            if ri == 0 {
                types = fields.iter().map(|f| spec.lookup(&f.text).map(|c| spec.columns[c].ty)).collect();
            }
            records.push(Record { pos: Pos::cell(file, r, col0), fields });
        }
        let error_at = |pos: Pos, kind: &'static str, message: String| cell_error(&format!("{display} [{name}]"), pos, kind, message);
        let table = build_table(spec, records, Pos::cell(file, row0, col0), &error_at, sources, findings)?;
        tables.insert(spec.name, table);
    }
    Ok(tables)
}

/// A number cell as text: an Excel date in date columns, an integer without decimals otherwise.
fn number_text(value: f64, ty: Option<Ty>) -> String {
    if ty == Some(Ty::Date) {
        if let Some(d) = excel_date(value) {
            return d.format("%Y-%m-%d").to_string();
        }
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials() {
        assert_eq!(excel_date(1.0), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(excel_date(61.0), NaiveDate::from_ymd_opt(1900, 3, 1));
        assert_eq!(excel_date(45748.0), NaiveDate::from_ymd_opt(2025, 4, 1));
        assert_eq!(excel_date(45748.75), NaiveDate::from_ymd_opt(2025, 4, 1));
        assert_eq!(number_text(10000001.0, Some(Ty::Id)), "10000001");
        assert_eq!(number_text(1.5, None), "1.5");
    }
}
