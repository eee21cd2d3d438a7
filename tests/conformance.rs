//! Conformance: cinlint against the reference validator's findings on the shared corpus, and
//! against the defects injected into the synthetic files. Every difference must be recorded
//! with its reason in `tests/conformance/deviations.toml`; a recorded deviation that no longer
//! occurs fails too, so the file stays true.

mod common;

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Deserialize)]
struct ManifestEntry {
    file: String,
    ruleset: String,
    #[serde(default)]
    crashed_rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Deviations {
    #[serde(default)]
    deviation: Vec<Deviation>,
}

/// A recorded difference. `file`/`child` may be `*`. `kind`: `extra` (we report it, the
/// reference does not), `missing` (the reference reports it, we do not), `truth-miss` (an
/// injected defect we do not report on its child).
#[derive(Debug, Deserialize)]
struct Deviation {
    rule: String,
    kind: String,
    #[serde(default = "any")]
    file: String,
    #[serde(default = "any")]
    child: String,
    reason: String,
}

fn any() -> String {
    "*".to_string()
}

type Pair = (String, Option<String>);

fn pack_of(ruleset: &str) -> String {
    // cin2024_25 → 2024-25
    let digits = ruleset.trim_start_matches("cin");
    digits.replace('_', "-")
}

fn ours(file: &std::path::Path, pack: &str) -> BTreeSet<Pair> {
    let out = common::run(&["check", file.to_str().unwrap(), "--year", pack, "--format", "json", "--select", "DFE", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}: {}", file.display(), common::stderr(&out));
    common::json_lines(&common::stdout(&out))
        .into_iter()
        .map(|v| (v["code"].as_str().unwrap().to_string(), v["child"].as_str().map(str::to_string)))
        .collect()
}

fn read_pairs(path: &std::path::Path) -> BTreeSet<Pair> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    common::json_lines(&text)
        .into_iter()
        .map(|v| (v["rule"].as_str().unwrap().to_string(), v["child"].as_str().map(str::to_string)))
        .collect()
}

fn matches(d: &Deviation, kind: &str, file: &str, pair: &Pair) -> bool {
    d.kind == kind
        && d.rule == pair.0
        && (d.file == "*" || d.file == file)
        && (d.child == "*" || Some(d.child.as_str()) == pair.1.as_deref())
}

#[test]
fn conformance_with_reference_and_injected_defects() {
    let dir = common::conformance_dir();
    let manifest: Vec<ManifestEntry> = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let deviations: Deviations =
        toml::from_str(&std::fs::read_to_string(common::repo().join("tests/conformance/deviations.toml")).unwrap()).expect("deviations.toml parses");
    for d in &deviations.deviation {
        assert!(["extra", "missing", "truth-miss"].contains(&d.kind.as_str()), "unknown deviation kind {}", d.kind);
        assert!(d.reason.trim().len() > 20, "deviation for {} needs a reason", d.rule);
    }
    let mut used = vec![false; deviations.deviation.len()];
    let mut unexplained = Vec::new();
    // rule → (reference pairs, ours, agreed)
    let mut agreement: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for entry in &manifest {
        let xml = dir.join(&entry.file);
        let stem = entry.file.trim_end_matches(".xml");
        let expected: BTreeSet<Pair> =
            read_pairs(&dir.join(format!("{stem}.expected.jsonl"))).into_iter().filter(|p| !entry.crashed_rules.contains(&p.0)).collect();
        let got: BTreeSet<Pair> = ours(&xml, &pack_of(&entry.ruleset)).into_iter().filter(|p| !entry.crashed_rules.contains(&p.0)).collect();
        for p in expected.union(&got) {
            let a = agreement.entry(p.0.clone()).or_default();
            a.0 += usize::from(expected.contains(p));
            a.1 += usize::from(got.contains(p));
            a.2 += usize::from(expected.contains(p) && got.contains(p));
        }
        let mut check = |kind: &str, pair: &Pair| {
            match deviations.deviation.iter().position(|d| matches(d, kind, &entry.file, pair)) {
                Some(i) => used[i] = true,
                None => unexplained.push(format!("{} {kind}: rule {} child {:?}", entry.file, pair.0, pair.1)),
            }
        };
        for pair in got.difference(&expected) {
            check("extra", pair);
        }
        for pair in expected.difference(&got) {
            check("missing", pair);
        }
        // Injected defects (truth no validator wrote): each must be reported on its child.
        let truth_path = dir.join("defects").join(format!("{stem}.truth.jsonl"));
        if truth_path.exists() {
            let all: BTreeSet<Pair> = ours(&xml, &pack_of(&entry.ruleset));
            for pair in read_pairs(&truth_path) {
                if !all.contains(&pair) {
                    check("truth-miss", &pair);
                }
            }
        }
    }
    println!("rule     reference  cinlint  agreed");
    for (rule, (reference, ours, agreed)) in &agreement {
        println!("{rule:<8} {reference:>9} {ours:>8} {agreed:>7}");
    }
    let stale: Vec<String> = deviations
        .deviation
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(d, _)| format!("{} {} file={} child={}", d.rule, d.kind, d.file, d.child))
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "{} unexplained difference(s):\n{}\n\n{} recorded deviation(s) that no longer occur:\n{}",
        unexplained.len(),
        unexplained.join("\n"),
        stale.len(),
        stale.join("\n")
    );
}
