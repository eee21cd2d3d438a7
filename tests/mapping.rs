//! An export in a case-management system's own layout, read through the `[mapping]` of its
//! `cinlint.toml` (docs/export-mapping.md), through the real binary.
//!
//! The worked example `sample-data/other-layout-la201` was made from children of
//! `sample-data/ssd-export-la201`: renamed files and columns, descriptions instead of codes,
//! other date formats. Its findings must be the SSD export's findings for the same children and
//! the same data, located in the example's own files.

mod common;

use common::{json_lines, parse_csv, run, stderr, stdout};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    common::repo().join("sample-data/other-layout-la201")
}

fn ssd_sample() -> PathBuf {
    common::repo().join("sample-data/ssd-export-la201")
}

fn write_csv(path: &Path, records: &[Vec<String>]) {
    let quote = |f: &String| if f.contains([',', '"', '\n', '\r']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.clone() };
    let text: String = records.iter().map(|r| r.iter().map(quote).collect::<Vec<_>>().join(",") + "\n").collect();
    std::fs::write(path, text).unwrap();
}

/// The example's mapping: SSD table → (file, SSD column → user column).
fn mapping() -> BTreeMap<String, (String, BTreeMap<String, String>)> {
    let text = std::fs::read_to_string(example().join("cinlint.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut out = BTreeMap::new();
    for (table, section) in doc["mapping"].as_table().unwrap() {
        let Some(section) = section.as_table() else { continue };
        let columns = section["columns"].as_table().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
        out.insert(table.clone(), (section["file"].as_str().unwrap().to_string(), columns));
    }
    out
}

/// The SSD sample cut down to what the example holds: the same children, the tables and the
/// SSD columns the mapping supplies. Built without the mapping code, so the comparison is a
/// real check of it.
fn equivalent_ssd_export(dir: &Path) {
    let mapping = mapping();
    let children_file = &mapping["ssd_person"].0;
    let children = parse_csv(&std::fs::read_to_string(example().join(children_file)).unwrap());
    let id_at = children[0].iter().position(|h| h == &mapping["ssd_person"].1["pers_person_id"]).unwrap();
    let ids: HashSet<String> = children[1..].iter().map(|r| r[id_at].clone()).collect();
    assert!(ids.len() >= 40, "the example holds a realistic number of children");
    let mut assessments: HashSet<String> = HashSet::new();
    // Assessments before their factors, which are kept by assessment.
    let mut tables: Vec<&String> = mapping.keys().collect();
    tables.sort_by_key(|t| *t == "ssd_assessment_factors");
    for table in tables {
        let columns = &mapping[table].1;
        let records = parse_csv(&std::fs::read_to_string(ssd_sample().join(format!("{table}.csv"))).unwrap());
        let keep: Vec<usize> = (0..records[0].len()).filter(|&i| columns.contains_key(&records[0][i])).collect();
        assert_eq!(keep.len(), columns.len(), "{table}: every mapped column is in the SSD sample");
        let at = |name: &str| records[0].iter().position(|h| h == name);
        let person = records[0].iter().position(|h| h.ends_with("_person_id") && !h.starts_with("moth"));
        let mut out = vec![keep.iter().map(|&i| records[0][i].clone()).collect::<Vec<_>>()];
        for record in &records[1..] {
            let wanted = match (table.as_str(), person) {
                ("ssd_assessment_factors", _) => assessments.contains(&record[at("cinf_assessment_id").unwrap()]),
                (_, Some(p)) => ids.contains(&record[p]),
                _ => unreachable!("{table} has a person column"),
            };
            if wanted {
                if table == "ssd_cin_assessments" {
                    assessments.insert(record[at("cina_assessment_id").unwrap()].clone());
                }
                out.push(keep.iter().map(|&i| record[i].clone()).collect());
            }
        }
        write_csv(&dir.join(format!("{table}.csv")), &out);
    }
}

/// Findings other than the export reader's own (family SSD), as (code, child) with counts.
fn census_findings(findings: &[serde_json::Value]) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for f in findings {
        let code = f["code"].as_str().unwrap().to_string();
        if !code.starts_with("SSD") {
            *out.entry((code, f["child"].as_str().unwrap_or("-").to_string())).or_default() += 1;
        }
    }
    out
}

#[test]
fn other_layout_gives_the_ssd_findings_located_in_its_own_files() {
    let dir = tempfile::tempdir().unwrap();
    equivalent_ssd_export(dir.path());
    let ssd = run(&["check", dir.path().to_str().unwrap(), "--format", "json", "--fail-on", "never"]);
    assert_eq!(ssd.status.code(), Some(0), "{}", stderr(&ssd));
    let mapped = run(&["check", example().to_str().unwrap(), "--format", "json", "--fail-on", "never"]);
    assert_eq!(mapped.status.code(), Some(0), "{}", stderr(&mapped));
    let (ssd_findings, mapped_findings) = (json_lines(&stdout(&ssd)), json_lines(&stdout(&mapped)));

    let expected = census_findings(&ssd_findings);
    let dfe = expected.keys().filter(|(code, _)| code.starts_with(|c: char| c.is_ascii_digit())).count();
    assert!(dfe >= 10, "the example exercises DfE rules: {expected:?}");
    assert_eq!(census_findings(&mapped_findings), expected, "same findings (code, child) as the equivalent SSD export");
    let period = |o: &std::process::Output| stderr(o).split("census period").nth(1).map(|s| s[..25].to_string());
    assert_eq!(period(&mapped), period(&ssd), "same census period inferred");

    // Located in the example's own files, on the child's own record, at the user's own values.
    let user_files: BTreeSet<String> = mapping().values().map(|(file, _)| file.clone()).collect();
    let (mut located, mut dated) = (0, 0);
    for f in &mapped_findings {
        for location in f["locations"].as_array().unwrap() {
            let (Some(file), Some(line)) = (location["file"].as_str(), location["line"].as_u64()) else { continue };
            let name = Path::new(file).file_name().unwrap().to_string_lossy().to_string();
            assert!(user_files.contains(&name), "located in a file of the example: {f}");
            let text = std::fs::read_to_string(file).unwrap();
            let line = line as usize;
            let column = location["column"].as_u64().unwrap_or(1) as usize;
            let at_line = text.split('\n').nth(line - 1).unwrap_or_else(|| panic!("line {line} exists in {file}: {f}"));
            assert!(column <= at_line.len(), "{file}:{line}:{column} is inside the line: {f}");
            if let Some(child) = f["child"].as_str() {
                assert!(at_line.contains(child), "{file}:{line} is a record of {child}: {f}");
                located += 1;
            }
            let value = &at_line[column - 1..];
            let field = location["field"].as_str().unwrap_or_default();
            let day_first = value.len() > 3 && value.as_bytes()[..2].iter().all(u8::is_ascii_digit) && !value.as_bytes()[2].is_ascii_digit();
            if field.ends_with("Date") && day_first {
                // The census reads yyyy-mm-dd; the position is still that of the user's own
                // `21.10.2009` or `29 Jul 2025`.
                dated += 1;
            }
        }
    }
    assert!(located >= 10 && dated > 0, "findings point at children's records ({located}) and at dates ({dated})");
    let mapping_file_noted = mapped_findings.iter().any(|f| f["message"].as_str().unwrap().contains("cinlint.toml"));
    assert!(!mapping_file_noted, "the export's cinlint.toml is not an ignored file");
    assert!(!mapped_findings.iter().any(|f| f["code"] == "SSD002"), "every column of the example is mapped or ignored");
}

#[test]
fn value_maps_and_formats_are_applied() {
    // Sex, ethnicity and dates are read through the mapping: no finding says they are unreadable.
    let out = run(&["check", example().to_str().unwrap(), "--format", "json", "--fail-on", "never"]);
    let findings = json_lines(&stdout(&out));
    assert!(!findings.is_empty());
    for f in &findings {
        let message = f["message"].as_str().unwrap();
        assert!(!message.contains("not a date"), "every date fits its table's format: {f}");
        for user_value in ["Male", "Female", "Not known", "White - ", "Black or Black British"] {
            assert!(!message.contains(user_value), "values are mapped before the checks: {f}");
        }
    }
}

/// A copy of the example whose `cinlint.toml` has `from` replaced by `to`.
fn broken_example(from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(example()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let toml = dir.path().join("cinlint.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains(from));
    std::fs::write(&toml, text.replacen(from, to, 1)).unwrap();
    dir
}

/// stderr with miette's wrapped lines joined (`  | ` continuation prefixes removed).
fn flat_stderr(out: &std::process::Output) -> String {
    stderr(out).lines().map(|l| l.trim().trim_start_matches('|').trim()).collect::<Vec<_>>().join(" ")
}

fn line_of(dir: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(dir.join("cinlint.toml")).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_column_missing_from_the_file_is_a_diagnostic_on_its_line() {
    let dir = broken_example("pers_dob = \"Date of Birth\"", "pers_dob = \"Date of Brith\"");
    let out = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = flat_stderr(&out);
    let line = line_of(dir.path(), "Date of Brith");
    assert!(err.contains(&format!("cinlint.toml:{line}: [mapping.ssd_person.columns]: children.csv has no column `Date of Brith`")), "{err}");
    assert!(err.contains("pers_dob = \"Date of Brith\""), "the offending line is shown: {err}");
    assert!(err.contains("Did you mean `Date of Birth`?"), "{err}");
}

#[test]
fn an_unknown_ssd_column_is_a_diagnostic_on_its_line() {
    let dir = broken_example("pers_dob = ", "pers_dobb = ");
    let out = run(&["ingest", dir.path().to_str().unwrap(), "--out", dir.path().join("out").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = flat_stderr(&out);
    let line = line_of(dir.path(), "pers_dobb");
    assert!(err.contains(&format!("cinlint.toml:{line}: [mapping.ssd_person.columns]: `pers_dobb` is not a column of ssd_person")), "{err}");
    assert!(err.contains("pers_dobb = \"Date of Birth\""), "the offending line is shown: {err}");
    assert!(err.contains("Did you mean `pers_dob`?"), "{err}");
}

#[test]
fn a_missing_file_and_the_settings_file_winning_over_the_folder() {
    let dir = broken_example("file = \"plans.csv\"", "file = \"cin_plans.csv\"");
    let out = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let line = line_of(dir.path(), "cin_plans.csv");
    let err = flat_stderr(&out);
    assert!(err.contains(&format!("cinlint.toml:{line}: [mapping.ssd_cin_plans]: ")), "{err}");
    assert!(err.contains("has no file `cin_plans.csv`") && err.contains("Did you mean `plans.csv`?"), "{err}");

    // --config's [mapping] wins: the folder's broken one is not read.
    let settings = dir.path().join("settings.toml");
    std::fs::copy(example().join("cinlint.toml"), &settings).unwrap();
    let out = run(&["check", dir.path().to_str().unwrap(), "--config", settings.to_str().unwrap(), "--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // …and its own mistakes are reported against it.
    std::fs::write(&settings, "[mapping.ssd_person]\nfiles = \"children.csv\"\n").unwrap();
    let out = run(&["check", dir.path().to_str().unwrap(), "--config", settings.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(flat_stderr(&out).contains("settings.toml:2: [mapping.ssd_person]: unknown key `files`"), "{}", stderr(&out));
}

#[test]
fn ingest_reads_through_the_mapping() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(&["ingest", example().to_str().unwrap(), "--out", out_dir.path().to_str().unwrap(), "--la", "201"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let la = out_dir.path().join("la=201");
    let year = std::fs::read_dir(&la).unwrap().next().unwrap().unwrap().path();
    assert!(year.join("CINdetails.parquet").exists() && year.join("CinPlans.parquet").exists(), "{}", year.display());
}
