//! cinlint's own checks against the defects injected into the shared SSD sample (`truth.jsonl`,
//! written by the generator that injected them, not by any validator): each kind of defect is
//! found by its check, and those checks flag no other child.

mod common;

use common::{json_lines, run, stderr, stdout};
use std::collections::{BTreeMap, BTreeSet};

/// Defect kind → the check that must find it (issue 6).
const KIND_TO_CHECK: &[(&str, &str)] = &[
    ("ses_missing", "SES001"),
    ("ses_unknown", "SES002"),
    ("review_absent", "REV001"),
    ("review_no_paperwork", "REV002"),
    ("review_overdue", "REV003"),
    ("visit_gap", "REV005"),
    ("cin_cp_overlap", "PLN001"),
    ("cin_cla_overlap", "PLN002"),
    ("plan_on_nfa_referral", "PLN003"),
    ("duration_negative", "DUR001"),
    ("duration_extreme", "DUR002"),
    ("duration_exceeds_age", "DUR004"),
];

#[test]
fn each_injected_defect_is_found_by_its_check_and_nothing_else_is() {
    let sample = common::conformance_dir().join("ssd/s3001_la919_n400");
    let truth_text = std::fs::read_to_string(sample.join("truth.jsonl")).expect("truth.jsonl");
    let mut truth: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for line in json_lines(&truth_text) {
        let kind = line["kind"].as_str().expect("kind").to_string();
        let check = KIND_TO_CHECK.iter().find(|(k, _)| *k == kind).unwrap_or_else(|| panic!("truth kind {kind} has no check")).1;
        truth.entry(check).or_default().insert(line["person_id"].as_str().expect("person_id").to_string());
    }
    let checks: Vec<&str> = KIND_TO_CHECK.iter().map(|(_, c)| *c).collect();
    let out = run(&["check", sample.to_str().unwrap(), "--select", &checks.join(","), "--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in json_lines(&stdout(&out)) {
        if let Some(child) = f["child"].as_str() {
            found.entry(f["code"].as_str().unwrap().to_string()).or_default().insert(child.to_string());
        }
    }
    let mut problems = Vec::new();
    for (kind, check) in KIND_TO_CHECK {
        let expected = truth.get(check).cloned().unwrap_or_default();
        let got = found.get(*check).cloned().unwrap_or_default();
        let missed: Vec<_> = expected.difference(&got).collect();
        let extra: Vec<_> = got.difference(&expected).collect();
        println!("{check} ({kind}): {} injected, {} found, {} missed, {} extra", expected.len(), got.len(), missed.len(), extra.len());
        if !missed.is_empty() {
            problems.push(format!("{check} missed {kind} for {missed:?}"));
        }
        if !extra.is_empty() {
            problems.push(format!("{check} flagged children with no {kind}: {extra:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
