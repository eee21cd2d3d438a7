//! Rule metadata and SQL: every rule is complete, consistent with DfE's list, and plans.

use cinlint_check::{Engine, ExampleKind, Rule, RuleBook};
use cinlint_check::config::{placeholders, Config};
use cinlint_model::schema::{export_table, TABLES};
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

fn table(name: &str) -> Option<&'static cinlint_model::TableDef> {
    cinlint_model::schema::table(name).or_else(|| export_table(name))
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
    let tsv_path = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../../../shared/reference/dfe-rules.tsv");
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
    let config = Config::defaults();
    for rule in all_rules(&book) {
        let rule = match config.apply(&rule) {
            Ok(rule) => rule,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if let Err(e) = engine.plan(&rule, &empty) {
            problems.push(format!("{}: {e}", rule.path));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `rules/cinlint.toml` has a section for every cinlint check and only for them, and every
/// setting in it is used by its check's SQL (and every `${name}` in a check has a setting).
#[test]
fn default_settings_match_the_checks() {
    let book = book();
    let config = Config::defaults();
    let mut problems = Vec::new();
    for rule in book.families.iter().filter(|r| r.native.is_none()) {
        let Some(settings) = config.checks.get(&rule.code) else {
            problems.push(format!("{}: no [checks.{}] section in rules/cinlint.toml", rule.path, rule.code));
            continue;
        };
        if settings.severity != rule.severity {
            problems.push(format!("{}: severity {:?} in the rule but {:?} in rules/cinlint.toml", rule.path, rule.severity, settings.severity));
        }
        let used = placeholders(rule.sql.as_deref().unwrap_or_default());
        for name in settings.params.keys() {
            if !used.contains(name) {
                problems.push(format!("rules/cinlint.toml: [checks.{}] {name} is not used by the check", rule.code));
            }
        }
    }
    for code in config.checks.keys() {
        if !book.families.iter().any(|r| &r.code == code) {
            problems.push(format!("rules/cinlint.toml: [checks.{code}] but there is no such check"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
