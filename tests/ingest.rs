//! `cinlint ingest`: Parquet row counts match the XML for every conformance file, values read back.

mod common;

use common::{run, stderr};

fn count(xml: &str, element: &str) -> usize {
    xml.matches(&format!("<{element}>")).count() + xml.matches(&format!("<{element}/>")).count()
}

#[test]
fn parquet_row_counts_match_the_xml_for_every_conformance_file() {
    let dir = common::conformance_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    files.extend(std::fs::read_dir(dir.join("from-validator")).unwrap().filter_map(Result::ok).map(|e| e.path()));
    files.retain(|p| p.extension().is_some_and(|e| e == "xml"));
    assert!(files.len() >= 21);
    let out_dir = tempfile::tempdir().unwrap();
    for file in &files {
        let xml = std::fs::read_to_string(file).unwrap();
        let out = run(&["ingest", file.to_str().unwrap(), "--out", out_dir.path().to_str().unwrap(), "--la", "t", "--year", "2026"]);
        assert_eq!(out.status.code(), Some(0), "{}: {}", file.display(), stderr(&out));
        let partition = out_dir.path().join("la=t/year=2025-26");
        let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(partition.join("manifest.json")).unwrap()).unwrap();
        let rows: std::collections::HashMap<String, u64> = manifest["row_counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_u64().unwrap()))
            .collect();
        let expected = [
            ("ChildIdentifiers", count(&xml, "Child")),
            ("ChildCharacteristics", count(&xml, "Child")),
            ("Disabilities", count(&xml, "Disability")),
            ("CINdetails", count(&xml, "CINdetails")),
            ("Assessments", count(&xml, "Assessments")),
            ("AssessmentFactorsList", count(&xml, "AssessmentFactors")),
            ("CINplanDates", count(&xml, "CINPlanDates")),
            ("Section47", count(&xml, "Section47")),
            ("ChildProtectionPlans", count(&xml, "ChildProtectionPlans")),
            ("Reviews", count(&xml, "CPPreviewDate")),
            ("PreProceedingsandFGDM", count(&xml, "PreProceedingsandFGDM")),
        ];
        for (table, n) in expected {
            assert_eq!(rows[table] as usize, n, "{}: {table}", file.display());
            assert!(partition.join(format!("{table}.parquet")).exists());
        }
        assert_eq!(manifest["input_sha256"].as_str().unwrap().len(), 64);
    }
}
