//! `cinlint export-census` through the real binary: the written return is well formed, reads back
//! as the tables the export maps to, and `check` finds the same DfE findings in it as in the
//! export; failed runs leave nothing behind. Also: the same export as one `.xlsx` workbook gives
//! the same findings as the folder, located as `sheet!cell`.

mod common;

use cinlint_ssd::xlsx::testing::{write_workbook, Cell};
use common::{json_lines, parse_csv_lines, run, stderr, stdout};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const REF_DATE: &str = "2026-03-31";
const LA: &str = "919";

fn sample() -> PathBuf {
    common::conformance_dir().join("ssd/s3001_la919_n400")
}

fn check_json(input: &Path) -> Vec<serde_json::Value> {
    let input = input.to_str().unwrap();
    let out = run(&["check", input, "--format", "json", "--fail-on", "never", "--ref-date", REF_DATE, "--la", LA]);
    assert_eq!(out.status.code(), Some(0), "check {input}: {}", stderr(&out));
    json_lines(&stdout(&out))
}

/// A DfE code: all digits, or digits then `Q`.
fn is_dfe(code: &str) -> bool {
    let digits = code.strip_suffix('Q').unwrap_or(code);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// DfE findings as a multiset of (code, child).
fn dfe_findings(findings: &[serde_json::Value]) -> BTreeMap<(String, String), usize> {
    let mut set = BTreeMap::new();
    for f in findings {
        let code = f["code"].as_str().unwrap();
        if is_dfe(code) {
            let child = f["child"].as_str().unwrap_or("").to_string();
            *set.entry((code.to_string(), child)).or_insert(0) += 1;
        }
    }
    set
}

/// DfE rules allowed to differ between an export and the return written from it, with why.
/// None so far: the header cinlint writes (LEA from --la, ReferenceDate and Year from R) is the
/// header the export maps to, and its software fields are read by no DfE rule.
const EXPECTED_DIFFERENCES: &[(&str, &str)] = &[];

/// A diagnostic's words on one line (miette wraps long messages behind a `|` gutter).
fn flat(text: &str) -> String {
    text.split_whitespace().filter(|w| *w != "|").collect::<Vec<_>>().join(" ")
}

fn export_census(out: &Path) -> std::process::Output {
    run(&["export-census", sample().to_str().unwrap(), "--out", out.to_str().unwrap(), "--ref-date", REF_DATE, "--la", LA])
}

/// Writes the sample's return into a new temporary folder: the folder, the return, the run.
fn write_return() -> (tempfile::TempDir, PathBuf, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("return.xml");
    let out = export_census(&xml);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (dir, xml, out)
}

#[test]
fn written_return_gives_the_same_dfe_findings_as_the_export() {
    let (dir, xml, out) = write_return();
    assert!(stderr(&out).contains("children") && stderr(&out).contains("episodes"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the return is left in the folder");

    let from_export = dfe_findings(&check_json(&sample()));
    let from_return = dfe_findings(&check_json(&xml));
    assert!(from_export.len() > 10, "the sample has DfE findings to compare: {from_export:?}");
    let allowed = |code: &str| EXPECTED_DIFFERENCES.iter().any(|(c, _)| *c == code);
    let mut differences = Vec::new();
    for key in from_export.keys().chain(from_return.keys()) {
        let (a, b) = (from_export.get(key).copied().unwrap_or(0), from_return.get(key).copied().unwrap_or(0));
        if a != b && !allowed(&key.0) && !differences.iter().any(|(k, _, _)| k == key) {
            differences.push((key.clone(), a, b));
        }
    }
    assert!(differences.is_empty(), "(code, child): findings on the export vs on the written return:\n{differences:#?}");
}

#[test]
fn written_return_is_well_formed_and_reads_back_as_the_mapped_tables() {
    let (_dir, xml, _) = write_return();
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message>"));
    assert!(text.contains("<LEA>919</LEA>") && text.contains("<ReferenceDate>2026-03-31</ReferenceDate>") && text.contains("<Year>2026</Year>"));
    assert!(text.contains("<DateTime>"), "the time of writing is in the header");

    let back = cinlint_ingest::read_census_xml(&xml).expect("the written return is well-formed census XML");
    let messages: Vec<&str> = back.reader_findings.iter().map(|f| f.finding.message.as_str()).collect();
    assert!(messages.is_empty(), "no unknown, repeated or out-of-order elements and no bad values: {messages:?}");
    let options = cinlint_ssd::ExportOptions {
        reference_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 31),
        as_of: None,
        la: Some(LA.to_string()),
    };
    let mapped = cinlint_ssd::read_export(&sample(), &options).unwrap();
    assert_eq!(back.children, mapped.children);
    for def in cinlint_model::schema::TABLES {
        let (a, b) = (mapped.table(def.name).unwrap(), back.table(def.name).unwrap());
        assert_eq!(a.batch.num_rows(), b.batch.num_rows(), "{} rows", def.name);
        // Every value, key and raw text is the same (the header's DateTime is added on writing).
        for (i, field) in a.batch.schema().fields().iter().enumerate() {
            if def.name == "Header" && field.name() == "DateTime" {
                continue;
            }
            assert_eq!(a.batch.column(i).as_ref(), b.batch.column(i).as_ref(), "{}.{}", def.name, field.name());
        }
    }
    assert!(back.row_count("CINdetails") > 100 && back.row_count("Reviews") > 0 && back.row_count("AssessmentFactorsList") > 0);
}

#[test]
fn failed_runs_leave_nothing_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // --out into a folder that does not exist.
    let missing = dir.path().join("no/such/folder/return.xml");
    let out = export_census(&missing);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(flat(&stderr(&out)).contains("does not exist"), "{}", stderr(&out));
    assert!(!dir.path().join("no").exists());

    // Census XML is not an export.
    let target = dir.path().join("return.xml");
    let census = common::repo().join("sample-data/sample-2025-26-la201.xml");
    let out = run(&["export-census", census.to_str().unwrap(), "--out", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(flat(&stderr(&out)).contains("this is census XML already"), "{}", stderr(&out));

    // An unreadable export (a folder without the required tables): no file, no temporary file.
    let empty = dir.path().join("empty-export");
    std::fs::create_dir(&empty).unwrap();
    let out = run(&["export-census", empty.to_str().unwrap(), "--out", target.to_str().unwrap(), "--ref-date", REF_DATE]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Neither is a file that is not an export, nor --out naming a folder.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "hello").unwrap();
    let out = run(&["export-census", notes.to_str().unwrap(), "--out", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(flat(&stderr(&out)).contains("not an LA export"), "{}", stderr(&out));
    let out = run(&["export-census", sample().to_str().unwrap(), "--out", empty.to_str().unwrap(), "--ref-date", REF_DATE]);
    assert_eq!(out.status.code(), Some(2));

    let mut left: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["empty-export", "notes.txt"], "no output and no temporary file is left behind");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Folder vs workbook.

#[test]
fn export_as_one_workbook_gives_the_same_findings_all_located() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("export.xlsx");
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(sample()).unwrap().map(|e| e.unwrap().path()).collect();
    csvs.retain(|p| p.extension().is_some_and(|e| e == "csv"));
    csvs.sort();
    let mut sheets: Vec<(String, Vec<Vec<Cell>>)> = Vec::new();
    // Per table, the CSV line each record starts on (a quoted field may hold a line break, so
    // records and lines part ways; a sheet row is a record).
    let mut record_lines: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for p in &csvs {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let (rows, starts) = parse_csv_lines(&std::fs::read_to_string(p).unwrap());
        // Every value an inline string (dates stay text); an empty field is no cell.
        let rows = rows.iter().map(|row| row.iter().map(|v| if v.is_empty() { Cell::Empty } else { Cell::from(v.as_str()) }).collect()).collect();
        sheets.push((name.clone(), rows));
        record_lines.insert(name, starts);
    }
    write_workbook(&book, &sheets);

    let folder = check_json(&sample());
    let workbook = check_json(&book);
    // Files of the folder that are not tables are named (and ignored) by the folder read only.
    let others: Vec<String> = std::fs::read_dir(sample())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".csv"))
        .collect();
    let from_folder = |f: &&serde_json::Value| !others.iter().any(|o| f["message"].as_str().unwrap().contains(o.as_str()));
    let key = |f: &serde_json::Value| {
        (f["code"].as_str().unwrap().to_string(), f["child"].as_str().map(str::to_string), f["message"].as_str().unwrap().to_string())
    };
    // Same findings; the order within a child may differ, as findings are ordered by byte offset
    // in the source and a cell has none.
    let mut folder_keys: Vec<_> = folder.iter().filter(from_folder).map(key).collect();
    let mut workbook_keys: Vec<_> = workbook.iter().map(key).collect();
    folder_keys.sort();
    workbook_keys.sort();
    if folder_keys != workbook_keys {
        let only_folder: Vec<_> = folder_keys.iter().filter(|k| !workbook_keys.contains(k)).collect();
        let only_book: Vec<_> = workbook_keys.iter().filter(|k| !folder_keys.contains(k)).collect();
        panic!("findings differ ({} vs {}):\nonly on the folder: {only_folder:#?}\nonly on the workbook: {only_book:#?}", folder_keys.len(), workbook_keys.len());
    }
    assert!(workbook.len() > 100, "the sample has findings to compare");

    // Located: every finding about a child points at a cell of the workbook (`sheet!A1`), and the
    // cells of each finding are the CSV records the folder run points at.
    let mut in_folder: BTreeMap<_, Vec<(String, u64)>> = BTreeMap::new();
    for f in folder.iter().filter(from_folder).filter(|f| f["child"].is_string()) {
        let file = f["file"].as_str().unwrap_or_else(|| panic!("the folder finding is not located: {f}"));
        let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
        let line = f["line"].as_u64().unwrap_or_else(|| panic!("{f}"));
        let row = record_lines[&stem].partition_point(|start| *start <= line) as u64;
        in_folder.entry(key(f)).or_default().push((stem, row));
    }
    let mut in_book: BTreeMap<_, Vec<(String, u64)>> = BTreeMap::new();
    for g in workbook.iter().filter(|g| g["child"].is_string()) {
        let cell = g["cell"].as_str().unwrap_or_else(|| panic!("a child's finding without a cell: {g}"));
        let (sheet, reference) = cell.split_once('!').unwrap_or_else(|| panic!("not sheet!cell: {cell}"));
        assert!(g["file"].as_str().is_some_and(|f| f.ends_with("export.xlsx")), "{g}");
        let column = reference.trim_end_matches(|c: char| c.is_ascii_digit());
        assert!(!column.is_empty() && column.chars().all(|c| c.is_ascii_uppercase()), "{cell}");
        let row: u64 = reference[column.len()..].parse().unwrap_or_else(|_| panic!("{cell}"));
        in_book.entry(key(g)).or_default().push((sheet.to_string(), row));
    }
    for places in in_folder.values_mut().chain(in_book.values_mut()) {
        places.sort();
    }
    assert!(in_book.values().map(Vec::len).sum::<usize>() > 100, "located findings about children");
    let keys: std::collections::BTreeSet<_> = in_folder.keys().chain(in_book.keys()).collect();
    let differing: Vec<_> = keys.into_iter().filter(|k| in_folder.get(*k) != in_book.get(*k)).map(|k| (k, in_folder.get(k), in_book.get(k))).collect();
    assert!(differing.is_empty(), "the same places (CSV file and record = sheet and row); (finding, folder, workbook):\n{differing:#?}");
}

#[test]
fn helpers() {
    let (rows, starts) = parse_csv_lines("a,\"b,\"\"c\"\"\"\r\n,\"x\ny\"\nz\n");
    assert_eq!(rows, vec![vec!["a".to_string(), "b,\"c\"".to_string()], vec![String::new(), "x\ny".to_string()], vec!["z".to_string()]]);
    assert_eq!(starts, vec![1, 2, 4]);
}
