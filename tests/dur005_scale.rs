//! DUR005 (CIN plan length outlier) at the scale where an earlier median()/MAD formulation made
//! DataFusion 55 panic ("partition not used yet"): 100,000 children. The engine turns a panic
//! into exit 2 naming the rule, so exit 0 here proves the query runs.

mod common;

use common::{json_lines, run, stderr, stdout};

#[test]
fn dur005_runs_on_100k_children() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("la-100k.xml");
    let generated = run(&["generate", "--children", "100000", "--seed", "7", "--out", file.to_str().unwrap()]);
    assert_eq!(generated.status.code(), Some(0), "{}", stderr(&generated));
    let out = run(&["check", file.to_str().unwrap(), "--select", "DUR005", "--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "DUR005 failed at 100k children: {}", stderr(&out));
    let findings = json_lines(&stdout(&out));
    assert!(findings.iter().all(|f| f["code"] == "DUR005"), "only DUR005 findings expected");
    // Each finding names the LA median length in its detail.
    assert!(findings.iter().all(|f| f["message"].as_str().is_some_and(|m| m.contains("median CIN plan"))));
}
