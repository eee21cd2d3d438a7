//! The single-workbook form of an export (`la-export.md` §5.2): one sheet per table.

use crate::findings::{Findings, BAD_VALUE, IGNORED_FILE};
use crate::mapping::{Form, Mapping};
use crate::read::{build_table_with, Field, RawTable, ReadSettings, Record};
use crate::spec::{self, Ty};
use crate::ExportError;
use calamine::{Data, Reader};
use chrono::NaiveDate;
use cinlint_ingest::{IngestError, Pos, SourceFile, SourceMap};
use cinlint_model::Severity;
use std::collections::{HashMap, HashSet};
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


/// Reads the tables of a workbook, through `mapping` when given: it places tables on sheets,
/// types the user's headers (for converting number cells) and renames headers and values before
/// the SSD reader. Without one, each sheet named after an SSD table is that table.
pub(crate) fn read_workbook_mapped(
    path: &Path,
    bytes: &[u8],
    mapping: Option<&Mapping>,
    sources: &mut SourceMap,
    findings: &mut Findings,
) -> Result<HashMap<&'static str, RawTable>, ExportError> {
    let display = path.display().to_string();
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| IngestError::whole_file(path, "bad-workbook", format!("cannot read the workbook: {e}")))?;
    let mut tables: HashMap<&'static str, RawTable> = HashMap::new();
    let mut mapped: HashSet<&'static str> = HashSet::new();
    let sheet_names = workbook.sheet_names();
    for name in &sheet_names {
        let targets = match mapping {
            Some(m) => m.tables_in(name, Form::Workbook),
            None => spec::table(name.trim()).map(|spec| (spec, None)).into_iter().collect(),
        };
        if targets.is_empty() {
            findings.push(
                IGNORED_FILE,
                Severity::Info,
                format!("sheet `{name}` is not an SSD table and was ignored"),
                match mapping {
                    Some(_) => "Tables are read from sheets named after the table, e.g. ssd_person (la-export.md §5.2), or placed by the mapping's `sheet`.",
                    None => "Tables are read from sheets named after the table, e.g. ssd_person (la-export.md §5.2).",
                },
                Pos::NONE,
                cinlint_model::schema::HEADER.name,
                None,
                None,
            );
            continue;
        }
        // The tables on one sheet are distinct: a table is supplied twice only by an earlier sheet.
        if let Some((spec, _)) = targets.iter().find(|(spec, _)| tables.contains_key(spec.name)) {
            let help = match mapping {
                Some(_) => "Keep one sheet per table; a table the mapping places on another sheet must not also have a sheet of its own name.",
                None => "Keep one sheet per table.",
            };
            return Err(IngestError::whole_file(path, "duplicate-table", format!("{} is supplied twice (sheet `{name}`)", spec.name))
                .with_help(help)
                .into());
        }
        let range = workbook
            .worksheet_range(name)
            .map_err(|e| IngestError::whole_file(path, "bad-workbook", format!("cannot read sheet `{name}`: {e}")))?;
        let file = sources.add(SourceFile::sheet(display.clone(), name.clone()));
        let (row0, col0) = range.start().unwrap_or((0, 0));
        // One sheet may hold several tables: each reads the cells, typed by its own header.
        for (spec, table_mapping) in targets {
            let type_of_header = |header: &str| match table_mapping {
                Some(m) => m.type_of_header(header),
                None => spec.lookup(header).map(|c| spec.columns[c].ty),
            };
            let mut types: Vec<Option<Ty>> = Vec::new();
            let mut records = Vec::new();
            for (ri, row) in range.rows().enumerate() {
                let r = row0 + ri as u32;
                if ri > 0 && row.iter().all(|c| matches!(c, Data::Empty)) {
                    continue;
                }
                let fields: Vec<Field> = row
                    .iter()
                    .enumerate()
                    .map(|(ci, cell)| cell_field(cell, Pos::cell(file, r, col0 + ci as u32), types.get(ci).copied().flatten(), spec.name, findings))
                    .collect();
                if ri == 0 {
                    types = fields.iter().map(|f| type_of_header(&f.text)).collect();
                }
                records.push(Record { pos: Pos::cell(file, r, col0), fields });
            }
            let settings = match (mapping, table_mapping) {
                (Some(m), Some(t)) => {
                    mapped.insert(spec.name);
                    t.apply(m, Form::Workbook, &format!("sheet `{name}`"), &mut records, findings)?
                }
                _ => ReadSettings::default(),
            };
            let error_at = |pos: Pos, kind: &'static str, message: String| cell_error(&format!("{display} [{name}]"), pos, kind, message);
            let table = build_table_with(spec, records, Pos::cell(file, row0, col0), &error_at, &settings, sources, findings)?;
            tables.insert(spec.name, table);
        }
    }
    if let Some(m) = mapping {
        if let Some(missing) = m.tables.iter().find(|t| !mapped.contains(t.spec.name)) {
            return Err(m.not_found(missing, Form::Workbook, &display, &sheet_names).into());
        }
    }
    Ok(tables)
}

/// A cell as a field: text cells are quoted; numbers are dates in date columns (`ty`), ids
/// without decimals (a fractional numeric id of `table` is reported) and plain numbers otherwise.
fn cell_field(cell: &Data, pos: Pos, ty: Option<Ty>, table: &'static str, findings: &mut Findings) -> Field {
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
                    format!("{table}: the numeric id {f} has a fractional part"),
                    "Store identifiers as text cells.",
                    pos,
                    table,
                    None,
                    None,
                );
            }
            (number_text(*f, ty), false)
        }
        Data::Error(e) => (format!("#{e:?}"), false),
    };
    Field { text: text.into(), pos, quoted }
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

/// Writing small `.xlsx` workbooks for tests (of this crate and of the binary), with no
/// dependency: inline-string and number cells in uncompressed ("stored") zip entries.
#[doc(hidden)]
pub mod testing {
    use cinlint_ingest::source::column_letters;
    use std::path::Path;

    /// A cell of a test workbook.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Cell {
        /// An inline-string (text) cell.
        Text(String),
        /// A number cell (an Excel date is its serial day number).
        Number(f64),
        /// No cell at all.
        Empty,
    }

    impl From<&str> for Cell {
        fn from(text: &str) -> Self {
            Cell::Text(text.to_string())
        }
    }

    impl From<f64> for Cell {
        fn from(value: f64) -> Self {
            Cell::Number(value)
        }
    }

    /// Writes a workbook with the given sheets (name, rows of cells) in order.
    pub fn write_workbook<S: AsRef<str>>(path: &Path, sheets: &[(S, Vec<Vec<Cell>>)]) {
        std::fs::write(path, workbook_bytes(sheets)).expect("write the test workbook");
    }

    /// The bytes of a workbook with the given sheets (name, rows of cells) in order.
    pub fn workbook_bytes<S: AsRef<str>>(sheets: &[(S, Vec<Vec<Cell>>)]) -> Vec<u8> {
        const XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut types = format!(
            r#"{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        );
        let mut book = format!(
            r#"{XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#
        );
        let mut rels = format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#);
        for (i, (name, rows)) in sheets.iter().enumerate() {
            let (n, name) = (i + 1, escape(name.as_ref()));
            types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
            book.push_str(&format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#));
            rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
            let mut sheet = format!(r#"{XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#);
            for (r, row) in rows.iter().enumerate() {
                sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
                for (c, cell) in row.iter().enumerate() {
                    let reference = format!("{}{}", column_letters(c as u32), r + 1);
                    match cell {
                        Cell::Text(text) => {
                            sheet.push_str(&format!(r#"<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#, escape(text)))
                        }
                        Cell::Number(value) => sheet.push_str(&format!(r#"<c r="{reference}"><v>{value}</v></c>"#)),
                        Cell::Empty => {}
                    }
                }
                sheet.push_str("</row>");
            }
            sheet.push_str("</sheetData></worksheet>");
            files.push((format!("xl/worksheets/sheet{n}.xml"), sheet.into_bytes()));
        }
        types.push_str("</Types>");
        book.push_str("</sheets></workbook>");
        rels.push_str("</Relationships>");
        files.push(("[Content_Types].xml".into(), types.into_bytes()));
        let root = format!(
            r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        );
        files.push(("_rels/.rels".into(), root.into_bytes()));
        files.push(("xl/workbook.xml".into(), book.into_bytes()));
        files.push(("xl/_rels/workbook.xml.rels".into(), rels.into_bytes()));
        stored_zip(&files)
    }

    fn escape(text: &str) -> String {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
    }

    pub(super) fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A zip archive of uncompressed ("stored") entries: enough for an .xlsx.
    fn stored_zip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for (name, data) in files {
            let (crc, size, offset) = (crc32(data), data.len() as u32, out.len() as u32);
            // Shared fields: version 2.0, no flags, stored, 1980-01-01 00:00.
            let common = |v: &mut Vec<u8>| {
                for x in [20u16, 0, 0, 0, 0x21] {
                    v.extend_from_slice(&x.to_le_bytes());
                }
                for x in [crc, size, size] {
                    v.extend_from_slice(&x.to_le_bytes());
                }
                v.extend_from_slice(&(name.len() as u16).to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes());
            };
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            common(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes());
            common(&mut central);
            for x in [0u16, 0, 0] {
                central.extend_from_slice(&x.to_le_bytes()); // comment length, disk, internal attributes
            }
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let (cd_offset, cd_size) = (out.len() as u32, central.len() as u32);
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for x in [0u16, 0, files.len() as u16, files.len() as u16] {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
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

    #[test]
    fn test_workbook_crc32() {
        assert_eq!(testing::crc32(b"123456789"), 0xCBF4_3926);
    }
}
