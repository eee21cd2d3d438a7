//! The real binary: exit codes, formats, located diagnostics, rule docs.

mod common;

use common::{json_lines, run, stderr, stdout};

const SAMPLE: &str = "sample-data/sample-2025-26-la201.xml";

fn sample() -> String {
    common::repo().join(SAMPLE).display().to_string()
}

#[test]
fn check_prints_located_diagnostics_and_a_summary() {
    let out = run(&["check", &sample()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("── child "), "grouped per child");
    assert!(text.contains("error["), "errors shown");
    assert!(text.contains("query["), "queries shown distinctly");
    assert!(text.contains("sample-2025-26-la201.xml:"), "source location shown");
    let summary = stderr(&out);
    assert!(summary.contains("children, pack 2025-26"), "{summary}");
    assert!(summary.contains("errors") && summary.contains("queries"), "{summary}");
}

#[test]
fn json_lines_have_the_stable_keys_and_are_deterministic() {
    let a = run(&["check", &sample(), "--format", "json"]);
    let b = run(&["check", &sample(), "--format", "json"]);
    assert_eq!(a.stdout, b.stdout, "same input, same bytes");
    let lines = json_lines(&stdout(&a));
    assert!(!lines.is_empty());
    for v in &lines {
        for key in ["code", "severity", "message", "child", "module", "file", "line", "column"] {
            assert!(v.get(key).is_some(), "missing {key} in {v}");
        }
        assert!(["error", "query", "warning", "info"].contains(&v["severity"].as_str().unwrap()));
        assert!(v["code"].is_string());
    }
    assert!(lines.iter().any(|v| v["line"].as_u64().is_some()), "located findings");
}

#[test]
fn select_ignore_and_fail_on() {
    let out = run(&["check", &sample(), "--format", "json", "--select", "XML"]);
    assert!(json_lines(&stdout(&out)).iter().all(|v| v["code"].as_str().unwrap().starts_with("XML")));
    let out = run(&["check", &sample(), "--format", "json", "--select", "DFE", "--ignore", "8"]);
    assert!(json_lines(&stdout(&out)).iter().all(|v| !v["code"].as_str().unwrap().starts_with('8')));
    let out = run(&["check", &sample(), "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn clean_return_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clean.xml");
    let out = run(&["generate", "--children", "40", "--seed", "3", "--la", "873", "--year", "2025", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&["check", file.to_str().unwrap(), "--fail-on", "query"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn rules_and_rule_docs() {
    let out = run(&["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let rules = json_lines(&stdout(&out));
    assert!(rules.len() >= 109, "{} rules", rules.len());
    for r in &rules {
        for key in ["code", "name", "severity", "module", "level"] {
            assert!(r.get(key).is_some(), "{key}");
        }
    }
    for r in &rules {
        let code = r["code"].as_str().unwrap();
        let out = run(&["rule", code]);
        assert_eq!(out.status.code(), Some(0), "rule {code}");
        let text = stdout(&out);
        assert!(text.starts_with(code) && text.contains("## Why it matters"), "rule {code}:\n{text}");
        // Export reader findings (SSD…) are documented without XML examples.
        if !code.starts_with("SSD") {
            assert!(text.contains("Invalid example") && text.contains("Valid example"), "rule {code}:\n{text}");
        }
    }
    let out = run(&["rule", "9999Z"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn year_comes_from_header_or_flag() {
    let out = run(&["check", &sample(), "--year", "2024-25", "--format", "json", "--fail-on", "never"]);
    assert!(stderr(&out).contains("pack 2024-25"), "{}", stderr(&out));
    let out = run(&["check", &sample(), "--year", "2031", "--fail-on", "never"]);
    assert!(stderr(&out).contains("no rule pack for 2030-31; using the nearest pack, 2025-26"), "{}", stderr(&out));
    let out = run(&["check", &sample(), "--year", "soon"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A settings file changes a check's threshold and severity; a mistake in it is exit 2 with its
/// line; checks the input cannot run are noted once on stderr, not per check in the text output.
#[test]
fn settings_file_thresholds_severities_and_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("cinlint.toml");
    let count = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.code().is_some_and(|c| c < 2), "{}", stderr(&out));
        json_lines(&stdout(&out)).into_iter().filter(|f| f["code"] == "DUR003").map(|f| f["severity"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let default = count(&["check", &sample(), "--select", "DUR003", "--format", "json"]);
    assert!(default.iter().all(|s| s == "warning"));
    common::write(&settings, "[checks.DUR003]\nlong_running_years = 1\nseverity = \"query\"\n");
    let changed = count(&["check", &sample(), "--select", "DUR003", "--format", "json", "--config", settings.to_str().unwrap()]);
    assert!(changed.len() > default.len(), "a 1-year threshold flags more plans ({} vs {})", changed.len(), default.len());
    assert!(changed.iter().all(|s| s == "query"));

    common::write(&settings, "# mine\n[checks.DUR003]\nlong_running_yeers = 1\n");
    let out = run(&["check", &sample(), "--config", settings.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cinlint.toml:3") && err.contains("long_running_yeers") && err.contains("long_running_years"), "{err}");

    let out = run(&["check", &sample()]);
    assert!(stderr(&out).contains("check(s) not run, the input has no CinPlans"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("not run: it needs"), "not repeated per check in the text output");
}

/// Some systems write a return as one line. Every finding is still located (same findings,
/// columns along the line) and shown with a short cut of the line, never the whole of it; this
/// once panicked inside the renderer and took time growing with the square of the file.
#[test]
fn a_return_written_as_one_line_is_checked_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample()).unwrap();
    let one_line: String = text.lines().map(str::trim).collect();
    let path = dir.path().join("one-line.xml");
    std::fs::write(&path, &one_line).unwrap();
    let path = path.display().to_string();
    let json = |p: &str| {
        let out = run(&["check", p, "--format", "json"]);
        json_lines(&stdout(&out))
    };
    let (original, flat) = (json(&sample()), json(&path));
    assert_eq!(original.len(), flat.len());
    for (a, b) in original.iter().zip(&flat) {
        assert_eq!((&a["code"], &a["child"]), (&b["code"], &b["child"]));
        if b["line"].is_u64() {
            assert_eq!(b["line"], 1, "{b}");
        }
    }
    let out = run(&["check", &path, "--max-snippets", "0"]);
    let shown = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(shown.contains("one-line.xml:1:"), "located on line 1");
    assert!(shown.lines().all(|l| l.chars().count() < 1200), "no line shown whole");
}
