//! Helpers shared by the integration tests: run the real binary, find the shared corpus.
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
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
