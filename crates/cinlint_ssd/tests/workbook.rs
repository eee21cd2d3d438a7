//! The single-workbook form (la-export.md §5.2): a sheet per table, cells located as sheet!A1.

use arrow::array::{Array, Date32Array, StringArray};
use chrono::NaiveDate;
use cinlint_ssd::{read_export, ExportOptions};
use std::io::Write;

/// A cell: text (inline string) or a number.
enum C<'a> {
    T(&'a str),
    N(f64),
    E,
}

fn sheet_xml(rows: &[Vec<C>]) -> String {
    let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#);
    for (r, row) in rows.iter().enumerate() {
        xml.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let reference = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            match cell {
                C::T(t) => xml.push_str(&format!(r#"<c r="{reference}" t="inlineStr"><is><t>{t}</t></is></c>"#)),
                C::N(n) => xml.push_str(&format!(r#"<c r="{reference}"><v>{n}</v></c>"#)),
                C::E => {}
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

fn workbook(path: &std::path::Path, sheets: &[(&str, Vec<Vec<C>>)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut types = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#);
    let mut book = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#);
    let mut rels = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#);
    for (i, (name, rows)) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        book.push_str(&format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#));
        rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
        zip.start_file(format!("xl/worksheets/sheet{n}.xml"), options).unwrap();
        zip.write_all(sheet_xml(rows).as_bytes()).unwrap();
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(types.as_bytes()).unwrap();
    zip.start_file("_rels/.rels", options).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).unwrap();
    zip.start_file("xl/workbook.xml", options).unwrap();
    zip.write_all(book.as_bytes()).unwrap();
    zip.start_file("xl/_rels/workbook.xml.rels", options).unwrap();
    zip.write_all(rels.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn workbook_sheets_are_tables_with_cell_locations() {
    use C::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    workbook(
        &path,
        &[
            (
                "SSD_Person",
                vec![
                    vec![T("pers_person_id"), T("pers_sex"), T("pers_dob"), T("pers_upn_unknown")],
                    vec![N(10000001.0), T("F"), N(42005.0), T("UN1")],
                    vec![T("P2"), T("M"), T("02/02/2016"), T("UN2")],
                ],
            ),
            (
                "ssd_cin_episodes",
                vec![
                    vec![T("cine_referral_id"), T("cine_person_id"), T("cine_referral_date"), T("cine_referral_nfa")],
                    vec![T("R1"), N(10000001.0), N(45778.0), T("N")],
                    vec![T("R2"), T("P2"), T("not a date"), T("Y")],
                    vec![E, E, E, E],
                ],
            ),
            ("Notes", vec![vec![T("hello")]]),
        ],
    );
    let data = read_export(&path, &ExportOptions { reference_date: NaiveDate::from_ymd_opt(2026, 3, 31), ..Default::default() }).unwrap();
    // Numeric ids become text without decimals; Excel serial dates become dates.
    let ids = data.table("ChildIdentifiers").unwrap();
    let la = ids.batch.column_by_name("LAchildID").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(la.value(0), "10000001");
    assert_eq!(data.children, 1, "R2's referral date is unreadable, so it cannot be scoped");
    let dob = ids.batch.column_by_name("PersonBirthDate").unwrap().as_any().downcast_ref::<Date32Array>().unwrap();
    assert_eq!(cinlint_ingest::values::days_to_date(dob.value(0)), NaiveDate::from_ymd_opt(2015, 1, 1));
    let cin = data.table("CINdetails").unwrap();
    let referral = cin.batch.column_by_name("CINreferralDate").unwrap().as_any().downcast_ref::<Date32Array>().unwrap();
    assert_eq!(cinlint_ingest::values::days_to_date(referral.value(0)), NaiveDate::from_ymd_opt(2025, 5, 1));
    // Locations are sheet cells.
    let r = data.sources.resolve(ids.positions.fields[0][0]).unwrap();
    assert_eq!(r.cell.as_deref(), Some("SSD_Person!A2"));
    let bad = data.reader_findings.iter().find(|f| f.finding.code == "SSD004").expect("bad date reported");
    assert_eq!(data.sources.resolve(bad.pos).unwrap().cell.as_deref(), Some("ssd_cin_episodes!C3"));
    assert!(data.reader_findings.iter().any(|f| f.finding.code == "SSD005" && f.finding.message.contains("Notes")));
}

#[test]
fn workbook_missing_required_column_names_sheet_and_column() {
    use C::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    workbook(
        &path,
        &[
            ("ssd_person", vec![vec![T("pers_person_id")], vec![T("P1")]]),
            ("ssd_cin_episodes", vec![vec![T("cine_referral_id"), T("cine_person_id")], vec![T("R1"), T("P1")]]),
        ],
    );
    let err = read_export(&path, &ExportOptions::default()).unwrap_err();
    assert_eq!(err.kind, "missing-column");
    assert!(err.message.contains("ssd_cin_episodes") && err.message.contains("cine_referral_date"), "{}", err.message);
    assert_eq!(err.line, 1);
}
