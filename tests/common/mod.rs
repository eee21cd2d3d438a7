//! Helpers shared by the integration tests: run the real binary, find the shared corpus, read CSV.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn cinlint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cinlint"))
}

pub fn run(args: &[&str]) -> Output {
    cinlint().args(args).output().expect("cinlint runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn repo() -> PathBuf {
    std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo"))
}

/// The shared conformance corpus beside the repository.
pub fn conformance_dir() -> PathBuf {
    let dir = repo().join("../shared/conformance");
    assert!(
        dir.join("manifest.json").exists(),
        "the conformance corpus is expected at {} (beside the repository)",
        dir.display()
    );
    dir
}

pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write test input");
}

/// RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks): the records, and the
/// line (1-based) each starts on.
pub fn parse_csv_lines(text: &str) -> (Vec<Vec<String>>, Vec<u64>) {
    let (mut rows, mut starts) = (Vec::new(), vec![1]);
    let (mut row, mut field, mut line) = (Vec::new(), String::new(), 1);
    let (mut quoted, mut chars) = (false, text.trim_start_matches('\u{feff}').chars().peekable());
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                starts.push(line);
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    starts.truncate(rows.len());
    (rows, starts)
}

/// RFC 4180 CSV records (quoted fields may hold commas, quotes and line breaks).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    parse_csv_lines(text).0
}
