//! Embeds every rule file under the repository's `rules/` folder into the binary, so the
//! binary works anywhere and rules are discovered from the folder (no hand-kept registry).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            let relative = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            out.push((relative, path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("../../rules").canonicalize().expect("the rules/ folder exists");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    let mut code = String::from("/// Every rule file: (path under rules/, contents).\npub static RULE_FILES: &[(&str, &str)] = &[\n");
    let config = root.join("cinlint.toml");
    files.retain(|(relative, _)| relative != "cinlint.toml");
    for (relative, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(code, "    ({relative:?}, include_str!({:?})),", path.display().to_string()).expect("write to string");
    }
    // Folders too, so adding a file re-runs this script.
    fn dirs(dir: &Path) {
        println!("cargo:rerun-if-changed={}", dir.display());
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.filter_map(Result::ok) {
                if e.path().is_dir() {
                    dirs(&e.path());
                }
            }
        }
    }
    dirs(&root);
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded_rules.rs");
    std::fs::write(out, code).expect("write embedded_rules.rs");
    println!("cargo:rerun-if-changed={}", config.display());
    let config_code = format!(
        "/// The default cinlint.toml (rules/cinlint.toml).\npub static DEFAULT_CONFIG: &str = include_str!({:?});\n",
        config.display().to_string()
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded_config.rs");
    std::fs::write(out, config_code).expect("write embedded_config.rs");
}
