//! LA exports (SSD folders) through the real binary: DfE rules run on the mapped tables, findings
//! are located in the CSV files, and ingest writes the same dataset layout as for XML.

mod common;

use common::{json_lines, run, stderr, stdout};

fn sample() -> String {
    common::conformance_dir().join("ssd/s3001_la919_n400").display().to_string()
}

#[test]
fn check_runs_dfe_rules_on_an_export_with_located_findings() {
    let out = run(&["check", &sample(), "--format", "json", "--fail-on", "never", "--la", "919"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("census period 2025-04-01 to 2026-03-31"), "{}", stderr(&out));
    let findings = json_lines(&stdout(&out));
    assert!(findings.iter().any(|f| f["code"].as_str().unwrap().chars().all(|c| c.is_ascii_digit())), "DfE rules fire");
    for f in findings.iter().filter(|f| f["child"].is_string()) {
        let file = f["file"].as_str().unwrap_or_default();
        assert!(file.ends_with(".csv") && f["line"].as_u64().is_some(), "located in a CSV: {f}");
    }
    let text = run(&["check", &sample(), "--fail-on", "never"]);
    assert!(!stdout(&text).contains("no concerns"), "free text from case notes is never echoed");
}

#[test]
fn reference_date_flag_and_ingest() {
    let out = run(&["check", &sample(), "--ref-date", "2025-03-31", "--format", "json", "--fail-on", "never"]);
    assert!(stderr(&out).contains("census period 2024-04-01 to 2025-03-31"), "{}", stderr(&out));
    let out = run(&["check", &sample(), "--ref-date", "31/03/2025"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["ingest", &sample(), "--out", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let partition = dir.path().join("la=unknown/year=2025-26");
    assert!(partition.join("CINdetails.parquet").exists());
    assert!(partition.join("CinPlans.parquet").exists(), "export tables are written too");
}
