//! Bad input: a clear error naming file, line and column, exit code 2, no panic, nothing written.

mod common;

use common::{run, stderr};

fn check_refused(name: &str, bytes: &[u8], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(format!("{name}.xml"));
    std::fs::write(&input, bytes).unwrap();
    let out_dir = dir.path().join("out");
    for args in [
        vec!["check", input.to_str().unwrap()],
        vec!["ingest", input.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "--year", "2026"],
    ] {
        let out = run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name} ({}): {err}", args[0]);
        assert!(err.contains(needle), "{name}: expected `{needle}` in:\n{err}");
        assert!(err.contains(&format!("{name}.xml")), "{name}: file named:\n{err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let left: Vec<_> = std::fs::read_dir(&out_dir).map(|d| d.filter_map(Result::ok).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{name}: output left behind: {left:?}");
}

#[test]
fn not_well_formed() {
    check_refused("mismatched", b"<Message>\n<Children>\n</Child>\n</Message>", ":3:");
}

#[test]
fn wrong_root() {
    check_refused("wrongroot", b"<CLAReturn><Children/></CLAReturn>", "root element is <CLAReturn>");
}

#[test]
fn truncated() {
    check_refused("truncated", b"<Message>\n<Children>\n<Child><ChildIdentifiers><LAchildID>A", "truncated");
}

#[test]
fn empty() {
    check_refused("empty", b"", "empty");
}

#[test]
fn non_utf8() {
    check_refused("latin1", b"<Message>\n<Children>\xe9</Children></Message>", "not valid UTF-8");
}

#[test]
fn utf16() {
    let text: Vec<u8> = [0xFF, 0xFE].into_iter().chain("<Message/>".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    check_refused("utf16", &text, "UTF-16");
}

#[test]
fn dtd_and_entities_are_refused() {
    check_refused("dtd", b"<?xml version=\"1.0\"?>\n<!DOCTYPE Message [<!ENTITY boom \"boom\">]>\n<Message/>", "DOCTYPE");
    check_refused("entity", b"<Message><Header><CollectionDetails><Year>&boom;</Year></CollectionDetails></Header></Message>", "never expands entities");
}

#[test]
fn huge_text_node() {
    let mut text = b"<Message><Children><Child><ChildIdentifiers><LAchildID>".to_vec();
    text.extend(std::iter::repeat_n(b'A', 100 * 1024 * 1024));
    text.extend_from_slice(b"</LAchildID></ChildIdentifiers></Child></Children></Message>");
    check_refused("huge", &text, "at most");
}

#[test]
fn deeply_nested_junk() {
    let text = format!("<Message>{}{}</Message>", "<junk>".repeat(200_000), "</junk>".repeat(200_000));
    check_refused("deep", text.as_bytes(), "nested more than");
}

#[test]
fn bom_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bom.xml");
    let sample = std::fs::read(common::repo().join("sample-data/sample-2025-26-la201.xml")).unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(sample);
    std::fs::write(&input, bytes).unwrap();
    let out = run(&["check", input.to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn missing_file_and_missing_reference_date() {
    let out = run(&["check", "does-not-exist.xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does-not-exist.xml"));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("nodate.xml");
    std::fs::write(&input, "<Message><Children/></Message>").unwrap();
    let out = run(&["check", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no usable ReferenceDate"), "{}", stderr(&out));
    let out = run(&["check", input.to_str().unwrap(), "--year", "2026", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
