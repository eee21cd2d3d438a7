//! The single-workbook form (la-export.md §5.2): a sheet per table, cells located as sheet!A1.

use arrow::array::{Array, Date32Array, StringArray};
use chrono::NaiveDate;
use cinlint_ssd::xlsx::testing::write_workbook as workbook;
use cinlint_ssd::xlsx::testing::Cell::{self, Empty as E, Number as N};
use cinlint_ssd::{read_export, ExportOptions};

/// A text (inline string) cell.
fn t(text: &str) -> Cell {
    Cell::from(text)
}

#[test]
fn workbook_sheets_are_tables_with_cell_locations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    workbook(
        &path,
        &[
            (
                "SSD_Person",
                vec![
                    vec![t("pers_person_id"), t("pers_sex"), t("pers_dob"), t("pers_upn_unknown")],
                    vec![N(10000001.0), t("F"), N(42005.0), t("UN1")],
                    vec![t("P2"), t("M"), t("02/02/2016"), t("UN2")],
                ],
            ),
            (
                "ssd_cin_episodes",
                vec![
                    vec![t("cine_referral_id"), t("cine_person_id"), t("cine_referral_date"), t("cine_referral_nfa")],
                    vec![t("R1"), N(10000001.0), N(45778.0), t("N")],
                    vec![t("R2"), t("P2"), t("not a date"), t("Y")],
                    vec![E, E, E, E],
                ],
            ),
            ("Notes", vec![vec![t("hello")]]),
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    workbook(
        &path,
        &[
            ("ssd_person", vec![vec![t("pers_person_id")], vec![t("P1")]]),
            ("ssd_cin_episodes", vec![vec![t("cine_referral_id"), t("cine_person_id")], vec![t("R1"), t("P1")]]),
        ],
    );
    let err = read_export(&path, &ExportOptions::default()).unwrap_err();
    assert_eq!(err.kind, "missing-column");
    assert!(err.message.contains("ssd_cin_episodes") && err.message.contains("cine_referral_date"), "{}", err.message);
    assert_eq!(err.line, 1);
}
