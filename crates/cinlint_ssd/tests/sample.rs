//! The conformance sample export (shared/conformance/ssd/s3001_la919_n400).

use arrow::array::{Array, StringArray};
use chrono::NaiveDate;
use cinlint_ingest::CensusData;
use cinlint_ssd::{read_export, ExportOptions};
use std::path::PathBuf;

fn sample() -> PathBuf {
    std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../../../shared/conformance/ssd/s3001_la919_n400")
}

fn load() -> CensusData {
    read_export(&sample(), &ExportOptions { la: Some("919".into()), ..Default::default() }).expect("sample reads")
}

/// The text of the source line a position resolves to, and the resolved line/column.
fn source_line(data: &CensusData, pos: cinlint_ingest::Pos) -> (String, u32, u32, String) {
    let r = data.sources.resolve(pos).expect("located");
    let text = data.sources.text(pos.file()).unwrap();
    let line = String::from_utf8_lossy(text).lines().nth(r.line.unwrap() as usize - 1).unwrap().to_string();
    let file = std::path::Path::new(&r.file).file_name().unwrap().to_string_lossy().to_string();
    (file, r.line.unwrap(), r.column.unwrap(), line)
}

#[test]
fn reference_date_is_inferred_and_header_filled() {
    let data = load();
    assert_eq!(data.reference_date(), NaiveDate::from_ymd_opt(2026, 3, 31));
    assert_eq!(data.header_text("LEA").as_deref(), Some("919"));
    assert_eq!(data.header_text("Collection").as_deref(), Some("CIN"));
}

#[test]
fn row_counts_are_sane() {
    let data = load();
    let n = data.children;
    assert!(n > 200 && n <= 400, "{n} census children");
    assert_eq!(data.row_count("ChildIdentifiers"), n);
    assert_eq!(data.row_count("ChildCharacteristics"), n);
    let episodes = data.row_count("CINdetails");
    assert!(episodes >= n && episodes <= 508, "{episodes}");
    assert!(data.row_count("Assessments") <= 490);
    assert!(data.row_count("CINplanDates") > 0 && data.row_count("CINplanDates") <= 254);
    assert!(data.row_count("Section47") <= 61);
    assert!(data.row_count("ChildProtectionPlans") <= 36);
    // Export-only tables carry every row of their SSD table.
    for (table, rows) in [
        ("CinPlans", 254),
        ("CinVisits", 2531),
        ("ClaEpisodes", 53),
        ("LegalStatus", 43),
        ("Addresses", 469),
        ("ImmigrationStatus", 0),
        ("Involvements", 576),
        ("CinReviews", 1067),
        ("Household", 326),
    ] {
        assert_eq!(data.row_count(table), rows, "{table}");
    }
    // Census tables come first, in TABLES order, then the export tables.
    let names: Vec<&str> = data.tables.iter().map(|t| t.def.name).collect();
    assert_eq!(&names[..cinlint_model::TABLES.len()], cinlint_model::TABLES.iter().map(|t| t.name).collect::<Vec<_>>().as_slice());
    // Every visit was linked to a plan (none of the sample's visits lie outside a plan).
    let visits = data.table("CinVisits").unwrap();
    let plan = visits.batch.column_by_name("cinv_cin_plan_id").unwrap();
    assert!(plan.null_count() < visits.batch.num_rows() / 10, "{} unlinked visits", plan.null_count());
    // Only the malformed assessment JSON is reported as a problem with the data's structure.
    for f in &data.reader_findings {
        assert!(["SSD001", "SSD003", "SSD005", "SSD008"].contains(&f.finding.code.as_str()), "{:?}", f.finding);
    }
    assert!(data.reader_findings.iter().any(|f| f.finding.code == "SSD003"));
}

#[test]
fn locations_resolve_to_csv_lines() {
    let data = load();
    let ids = data.table("ChildIdentifiers").unwrap();
    let la = ids.batch.column_by_name("LAchildID").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    for row in [0usize, 5, ids.batch.num_rows() - 1] {
        let (file, _, column, line) = source_line(&data, ids.positions.fields[0][row]);
        assert_eq!(file, "ssd_person.csv");
        assert_eq!(column, 1);
        assert!(line.starts_with(&format!("{},", la.value(row))), "{line}");
    }
    // A row from a file with a BOM: the address rows, located at their own lines.
    let addresses = data.table("Addresses").unwrap();
    let (file, line_no, column, line) = source_line(&data, addresses.positions.rows[0]);
    assert_eq!((file.as_str(), column), ("ssd_address.csv", 1));
    assert!(line_no >= 2);
    assert!(line.starts_with("7000"), "{line}");
    // A dd/mm/yyyy date field in ssd_cin_plans.
    let plans = data.table("CinPlans").unwrap();
    let start = plans.def.column_index("cinp_cin_plan_start_date").unwrap();
    let (file, _, column, line) = source_line(&data, plans.positions.fields[start][0]);
    assert_eq!(file, "ssd_cin_plans.csv");
    let tail: String = line.chars().skip(column as usize - 1).take(10).collect();
    assert_eq!(tail.len(), 10);
    assert_eq!(&tail[2..3], "/", "{tail}");
}
