//! Rule metadata and SQL: every rule is complete, consistent with DfE's list, and plans.

use cinlint_check::{Engine, ExampleKind, Rule, RuleBook};
use cinlint_model::schema::{table, TABLES};
use cinlint_model::{CollectionYear, Severity};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn book() -> RuleBook {
    RuleBook::embedded().expect("rule files load")
}

fn all_rules(book: &RuleBook) -> Vec<Arc<Rule>> {
    book.years.iter().flat_map(|y| y.rules.iter()).chain(book.families.iter()).filter(|r| !r.removed).cloned().collect()
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty() && name.split('-').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

fn field_exists(field: &str) -> bool {
    match field.split_once('.') {
        None => table(field).is_some(),
        Some((t, c)) => table(t).is_some_and(|t| {
            t.column(c).is_some() || t.keys.iter().any(|k| k.name == c) || c == "LAchildID" || c == "child_key"
        }),
    }
}

#[test]
fn every_rule_is_complete() {
    let book = book();
    let mut problems = Vec::new();
    for rule in all_rules(&book) {
        let p = &rule.path;
        if !is_kebab(&rule.name) {
            problems.push(format!("{p}: name `{}` is not kebab-case", rule.name));
        }
        if rule.severity.is_none() || rule.level.is_none() {
            problems.push(format!("{p}: severity and level are required"));
        }
        for (what, text) in [("message", &rule.message), ("help", &rule.help), ("summary", &rule.summary), ("why", &rule.why), ("fix", &rule.fix)] {
            if text.trim().is_empty() {
                problems.push(format!("{p}: `{what}` is empty"));
            }
        }
        if rule.sql.is_none() && rule.native.is_none() {
            problems.push(format!("{p}: needs `sql` or `native`"));
        }
        if table(&rule.module).is_none() && rule.family() != "SSD" {
            problems.push(format!("{p}: module `{}` is not a canonical table", rule.module));
        }
        for field in &rule.fields {
            if !field_exists(field) {
                problems.push(format!("{p}: field `{field}` does not exist"));
            }
        }
        if rule.code.ends_with('Q') != (rule.severity() == Severity::Query) && rule.is_dfe() {
            problems.push(format!("{p}: codes ending in Q are queries, and only they"));
        }
        let kinds: BTreeSet<_> = rule.examples.iter().map(|e| e.kind == ExampleKind::Invalid).collect();
        if rule.family() != "SSD" && kinds.len() < 2 {
            problems.push(format!("{p}: needs at least one invalid and one valid example"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn names_are_unique_within_each_pack() {
    let book = book();
    for year in book.pack_years() {
        let pack = book.pack(year);
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for rule in &pack.rules {
            if let Some(other) = seen.insert(rule.name.as_str(), rule.code.as_str()) {
                panic!("{year}: rules {other} and {} share the name {}", rule.code, rule.name);
            }
        }
    }
}

/// Every code in DfE's list has a rule file with its severity, module and message.
#[test]
fn every_dfe_code_has_a_rule_file() {
    let tsv_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/dfe-rules.tsv");
    let tsv = std::fs::read_to_string(tsv_path).expect("dfe-rules.tsv beside the repository");
    let book = book();
    let pack = book.pack(CollectionYear::new(2026));
    let mut problems = Vec::new();
    let mut codes = 0;
    for line in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (code, severity, module, message) = (cols[0], cols[1], cols[3], cols[5]);
        codes += 1;
        match pack.rule(code) {
            None => problems.push(format!("{code}: no rule file in the 2025-26 pack")),
            Some(rule) => {
                if rule.severity().as_str() != severity {
                    problems.push(format!("{code}: severity {} but DfE says {severity}", rule.severity()));
                }
                if rule.module != module {
                    problems.push(format!("{code}: module {} but DfE's list says {module}", rule.module));
                }
                if rule.message != message.trim() {
                    problems.push(format!("{code}: message differs from DfE's:\n  ours: {}\n  DfE:  {}", rule.message, message.trim()));
                }
            }
        }
    }
    assert_eq!(codes, 109);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let dfe = |y| book.pack(CollectionYear::new(y)).rules.iter().filter(|r| r.is_dfe()).count();
    assert_eq!((dfe(2024), dfe(2025), dfe(2026)), (105, 109, 109));
}

/// Every SQL check plans against the canonical schemas (no data needed), in every pack.
#[test]
fn every_rule_plans_against_the_schemas() {
    let book = book();
    let engine = Engine::new().unwrap();
    let empty = cinlint_ingest::xml::read_census_xml_bytes("empty.xml", b"<Message><Children/></Message>".to_vec()).unwrap();
    assert_eq!(empty.tables.len(), TABLES.len());
    let mut problems = Vec::new();
    for rule in all_rules(&book) {
        if let Err(e) = engine.plan(&rule, &empty) {
            problems.push(format!("{}: {e}", rule.path));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
