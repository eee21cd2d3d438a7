//! Every rule's Invalid/Valid examples, run through the real reader and engine.
//! `CINLINT_RULES=8840,8841` limits the run to some codes.

use cinlint_check::examples::{example_year, run_example};
use cinlint_check::{Engine, ExampleKind, RuleBook};
use cinlint_model::CollectionYear;

#[test]
fn every_example_behaves_as_documented() {
    let book = RuleBook::embedded().expect("rule files load");
    let engine = Engine::new().expect("engine");
    let only: Option<Vec<String>> = std::env::var("CINLINT_RULES")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()).collect());
    let latest = *book.pack_years().last().expect("a pack");
    let rules = book.years.iter().flat_map(|y| y.rules.iter()).chain(book.families.iter());
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in rules.filter(|r| !r.removed) {
        if only.as_ref().is_some_and(|o| !o.contains(&rule.code.to_uppercase())) {
            continue;
        }
        let year: CollectionYear = example_year(rule, latest);
        for (n, example) in rule.examples.iter().enumerate() {
            checked += 1;
            let label = format!("{} ({}) example {} [{:?}]", rule.code, rule.path, n + 1, example.kind);
            match run_example(&engine, rule, example, year) {
                Err(e) => failures.push(format!("{label}: {e}")),
                Ok(findings) => {
                    let mut children: Vec<String> = findings.iter().map(|f| f.child.clone().unwrap_or_default()).collect();
                    children.sort();
                    children.dedup();
                    match example.kind {
                        ExampleKind::Valid if !findings.is_empty() => {
                            failures.push(format!("{label}: expected no finding, got {} for children {children:?}", findings.len()))
                        }
                        ExampleKind::Invalid if findings.is_empty() => failures.push(format!("{label}: expected a finding, got none")),
                        ExampleKind::Invalid => {
                            if let Some(expected) = &example.expect_children {
                                let mut expected = expected.clone();
                                expected.sort();
                                expected.dedup();
                                if expected != children {
                                    failures.push(format!("{label}: expected children {expected:?}, got {children:?}"));
                                }
                            }
                        }
                        ExampleKind::Valid => {}
                    }
                }
            }
        }
    }
    println!("{checked} examples checked");
    assert!(failures.is_empty(), "{} example(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// A plan naming another child's referral is reported without that child's identifier
/// (children's data is sensitive: a finding names only what the reader needs to fix it).
#[test]
fn pln004_does_not_name_the_other_child() {
    let book = RuleBook::embedded().expect("rule files load");
    let engine = Engine::new().expect("engine");
    let rule = book.families.iter().find(|r| r.code == "PLN004").expect("PLN004");
    let example = rule.examples.iter().find(|e| e.kind == ExampleKind::Invalid).expect("an invalid example");
    let year = example_year(rule, *book.pack_years().last().expect("a pack"));
    let findings = run_example(&engine, rule, example, year).expect("the example runs");
    let p3 = findings.iter().find(|f| f.child.as_deref() == Some("P3")).expect("P3's plan names P4's referral");
    assert!(p3.message.ends_with("(referral R4B is another child's referral)"), "{}", p3.message);
    assert!(findings.iter().all(|f| !f.message.contains("P4")), "{findings:?}");
}
