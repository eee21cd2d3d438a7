//! The worked example of `docs/completeness-score.md`: the test reads the example input from the
//! doc, scores it with the built-in definition (`rules/cinlint.toml`), and checks that the doc's
//! counts, arithmetic and scores are exactly what the code computes, so the two can never
//! disagree. `CINLINT_UPDATE=1` rewrites the generated parts of the doc (review the diff).

use cinlint_score::{FieldScore, Report, ScoreConfig, Status};
use std::fmt::Write as _;
use std::path::PathBuf;

fn repo() -> PathBuf {
    std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../..")
}

fn definition() -> ScoreConfig {
    let text = std::fs::read_to_string(repo().join("rules/cinlint.toml")).expect("rules/cinlint.toml");
    let all: toml::Table = toml::from_str(&text).expect("rules/cinlint.toml parses");
    ScoreConfig::from_table(all["score"].as_table().expect("[score]")).expect("the built-in [score] is valid")
}

/// The text between `<!-- BEGIN name -->` and `<!-- END name -->`.
fn section<'a>(doc: &'a str, name: &str) -> (usize, usize, &'a str) {
    let begin = format!("<!-- BEGIN {name} -->\n");
    let end = format!("<!-- END {name} -->");
    let start = doc.find(&begin).unwrap_or_else(|| panic!("no {begin:?} in the doc")) + begin.len();
    let stop = start + doc[start..].find(&end).unwrap_or_else(|| panic!("no {end:?} in the doc"));
    (start, stop, &doc[start..stop])
}

fn example_xml(doc: &str) -> String {
    let from = doc.find("## Worked example").expect("a Worked example section");
    let rest = &doc[from..];
    let start = rest.find("```xml\n").expect("an xml block in the worked example") + "```xml\n".len();
    let stop = start + rest[start..].find("```").expect("the xml block ends");
    rest[start..stop].to_string()
}

fn n(x: f64) -> String {
    format!("{x:.2}")
}

fn weight(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

fn field_arithmetic(f: &FieldScore, credit: f64) -> String {
    match f.status {
        Status::Scored => format!("({} + {} × {}) / {} × 100", f.valid, credit, f.unknown, f.applicable),
        Status::NotApplicable => "no applicable row".into(),
        Status::NotSupplied => "table not supplied".into(),
    }
}

/// The generated part of the worked example: every count, the arithmetic and the scores.
fn explain(report: &Report, ids: &[Option<String>]) -> String {
    let mut out = String::new();
    let credit = report.unknown_credit;
    out.push_str("Field counts and scores:\n\n");
    out.push_str("| module | field | applicable | valid | unknown | blank | invalid | arithmetic | score |\n");
    out.push_str("|---|---|--:|--:|--:|--:|--:|---|--:|\n");
    for m in &report.modules {
        for f in &m.fields {
            let score = f.exact.map_or("n/a".into(), n);
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} | {} | {} | {} | {} | {} |",
                m.id,
                f.id,
                f.applicable,
                f.valid,
                f.unknown,
                f.blank,
                f.invalid,
                field_arithmetic(f, credit),
                score
            );
        }
    }
    out.push_str("\nModule scores (weighted mean of the scored fields):\n\n");
    out.push_str("| module | weight | arithmetic | score |\n|---|--:|---|--:|\n");
    for m in &report.modules {
        let scored: Vec<&FieldScore> = m.fields.iter().filter(|f| f.exact.is_some()).collect();
        let arithmetic = if scored.is_empty() {
            "no scored field".to_string()
        } else {
            let terms: Vec<String> = scored.iter().map(|f| format!("{} × {}", weight(f.weight), n(f.exact.unwrap()))).collect();
            let total: f64 = scored.iter().map(|f| f.weight).sum();
            format!("({}) / {}", terms.join(" + "), weight(total))
        };
        let _ = writeln!(out, "| `{}` | {} | {} | {} |", m.id, weight(m.weight), arithmetic, m.exact.map_or("n/a".into(), n));
    }
    let scored: Vec<_> = report.modules.iter().filter(|m| m.exact.is_some()).collect();
    let terms: Vec<String> = scored.iter().map(|m| format!("{} × {}", weight(m.weight), n(m.exact.unwrap()))).collect();
    let total: f64 = scored.iter().map(|m| m.weight).sum();
    let _ = writeln!(
        out,
        "\nLA score = ({}) / {} = **{}**\n",
        terms.join(" + "),
        weight(total),
        report.score.map_or("n/a".into(), n)
    );
    out.push_str("Child scores (every field weighs 1, so each is the plain mean of the child's field scores):\n\n");
    out.push_str("| child | fields applying | its field scores below 100 | arithmetic | score |\n|---|--:|---|---|--:|\n");
    for (key, fields) in report.child_fields.iter().enumerate() {
        let id = ids[key].clone().unwrap_or_default();
        let below: Vec<String> = fields.iter().filter(|(_, s)| *s < 100.0).map(|(f, s)| format!("`{f}` {}", n(*s))).collect();
        let mut groups: Vec<(String, usize)> = Vec::new();
        let mut sorted: Vec<f64> = fields.iter().map(|(_, s)| *s).collect();
        sorted.sort_by(|a, b| b.total_cmp(a));
        for s in sorted {
            match groups.last_mut() {
                Some((last, count)) if *last == n(s) => *count += 1,
                _ => groups.push((n(s), 1)),
            }
        }
        let terms: Vec<String> = groups.iter().map(|(s, c)| format!("{c} × {s}")).collect();
        let _ = writeln!(
            out,
            "| `{id}` | {} | {} | ({}) / {} | {} |",
            fields.len(),
            if below.is_empty() { "—".to_string() } else { below.join(", ") },
            terms.join(" + "),
            fields.len(),
            report.child_scores[key].map_or("n/a".into(), n)
        );
    }
    let c = &report.children;
    let show = |x: Option<f64>| x.map_or("n/a".into(), n);
    let _ = writeln!(
        out,
        "\nChildren: {} scored of {}; min {}, p10 {}, median {}, mean {} (by nearest rank: of {} sorted scores p10 is number ⌈{:.1}⌉, the median number ⌈{:.1}⌉).",
        c.scored,
        c.total,
        show(c.min),
        show(c.p10),
        show(c.median),
        show(c.mean),
        c.scored,
        c.scored as f64 * 0.1,
        c.scored as f64 * 0.5
    );
    out
}

#[test]
fn the_worked_example_in_the_docs_is_what_the_code_computes() {
    let path = repo().join("docs/completeness-score.md");
    let doc = std::fs::read_to_string(&path).expect("docs/completeness-score.md");
    let config = definition();
    assert!(config.modules.iter().flat_map(|m| &m.fields).all(|f| f.weight == 1.0), "the explanation assumes field weights of 1");
    let data = cinlint_ingest::xml::read_census_xml_bytes("worked-example.xml", example_xml(&doc).into_bytes()).expect("the example reads");
    assert_eq!(data.children, 3);
    let report = cinlint_score::score_with_child_detail(&data, &config, "census").expect("scores");

    // The formula, recomputed independently of the code's own roll-up.
    let credit = report.unknown_credit;
    assert_eq!(credit, 0.5);
    let mut la = (0.0, 0.0);
    for m in &report.modules {
        let mut module = (0.0, 0.0);
        for f in &m.fields {
            assert_eq!(f.applicable, f.valid + f.unknown + f.blank + f.invalid, "{}", f.id);
            if f.applicable == 0 {
                assert!(f.exact.is_none());
                continue;
            }
            let expected = (f.valid as f64 + credit * f.unknown as f64) / f.applicable as f64 * 100.0;
            assert!((f.exact.unwrap() - expected).abs() < 1e-9, "{}", f.id);
            module.0 += f.weight * expected;
            module.1 += f.weight;
        }
        if module.1 > 0.0 {
            let expected = module.0 / module.1;
            assert!((m.exact.unwrap() - expected).abs() < 1e-9, "{}", m.id);
            la.0 += m.weight * expected;
            la.1 += m.weight;
        }
    }
    assert!((report.exact.unwrap() - la.0 / la.1).abs() < 1e-9);
    for (key, fields) in report.child_fields.iter().enumerate() {
        let mean = fields.iter().map(|(_, s)| s).sum::<f64>() / fields.len() as f64;
        assert!((report.child_scores[key].unwrap() - mean).abs() < 1e-9);
    }

    // Hand-checked against the input (see the doc's description of the three children).
    let field = |id: &str| report.modules.iter().flat_map(|m| &m.fields).find(|f| f.id == id).unwrap();
    let counts = |id: &str| {
        let f = field(id);
        [f.applicable, f.valid, f.unknown, f.blank, f.invalid]
    };
    assert_eq!(counts("upn"), [3, 1, 1, 0, 1]); // W201000000017 valid, UN5 unknown, X123 invalid
    assert_eq!(counts("birth_date"), [3, 2, 0, 0, 1]); // 2019-02-30 does not exist
    assert_eq!(counts("sex"), [3, 1, 1, 1, 0]);
    assert_eq!(counts("ethnicity"), [3, 1, 1, 0, 1]);
    assert_eq!(counts("disability"), [3, 1, 0, 1, 1]); // B2 has no Disabilities
    assert_eq!(counts("referral_date"), [4, 3, 0, 0, 1]); // 31/03/2026 does not parse
    assert_eq!(counts("referral_source"), [4, 2, 1, 1, 0]);
    assert_eq!(counts("primary_need"), [3, 1, 1, 1, 0]); // C3's NFA referral: n/a
    assert_eq!(counts("referral_nfa"), [4, 3, 0, 1, 0]);
    assert_eq!(counts("closure_reason"), [2, 1, 0, 1, 0]);
    assert_eq!(counts("assessment_factors"), [2, 1, 0, 1, 0]); // B2's open assessment: n/a
    assert_eq!(counts("icpc_target"), [1, 1, 0, 0, 0]); // C3's ICPCnotRequired true: n/a
    assert_eq!(counts("cpp_start"), [1, 1, 0, 0, 0]);

    let ids = data.child_ids();
    let mut updated = doc.clone();
    for (name, generated) in [("fields", cinlint_score::fields_markdown(&config)), ("worked-example", explain(&report, &ids))] {
        let (start, stop, current) = section(&updated, name);
        if current != generated {
            if std::env::var_os("CINLINT_UPDATE").is_some() {
                updated.replace_range(start..stop, &generated);
            } else {
                panic!(
                    "docs/completeness-score.md section `{name}` is out of date (CINLINT_UPDATE=1 cargo test -p cinlint_score rewrites it).\n--- doc\n{current}\n--- computed\n{generated}"
                );
            }
        }
    }
    if updated != doc {
        std::fs::write(&path, updated).expect("rewrite the doc");
    }
}
