//! `cinlint score` and `cinlint check --min-score`, run as the real binary; and the `[score]`
//! definition a user's settings give, through the settings merge every command uses.

mod common;

use cinlint_check::config::Config;
use cinlint_score::ScoreConfig;
use common::{repo, run, stderr, stdout};

fn sample() -> String {
    repo().join("sample-data/sample-2025-26-la201.xml").display().to_string()
}

fn ssd_export() -> String {
    let dir = repo().join("../shared/conformance/ssd/s3001_la919_n400");
    assert!(dir.is_dir(), "the shared SSD export is expected at {}", dir.display());
    dir.display().to_string()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("one JSON object")
}

fn field<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["modules"].as_array().unwrap().iter().flat_map(|m| m["fields"].as_array().unwrap()).find(|f| f["id"] == id).unwrap_or_else(|| panic!("no field {id}"))
}

fn check_shape(report: &serde_json::Value) {
    let mut keys: Vec<&str> = report.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["children", "modules", "not_supplied", "profile", "score", "unknown_credit"]);
    let score = report["score"].as_f64().expect("a score");
    assert!((0.0..=100.0).contains(&score));
    for key in ["total", "scored", "min", "p10", "median", "mean"] {
        assert!(report["children"].get(key).is_some(), "children.{key}");
    }
    for m in report["modules"].as_array().unwrap() {
        for f in m["fields"].as_array().unwrap() {
            let n = |k: &str| f[k].as_u64().unwrap();
            assert_eq!(n("applicable"), n("valid") + n("unknown") + n("blank") + n("invalid"), "{f}");
            if let Some(s) = f["score"].as_f64() {
                assert!((0.0..=100.0).contains(&s));
            }
        }
    }
    // No child identifiers in JSON.
    assert!(!report.to_string().contains("LAchildID"));
}

#[test]
fn census_xml_scores_with_the_census_profile() {
    let report = json(&["score", &sample(), "--format", "json"]);
    check_shape(&report);
    assert_eq!(report["profile"], "census");
    assert_eq!(report["children"]["total"], 200);
    let modules: Vec<&str> = report["modules"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(modules, ["child", "episodes", "assessments", "section47", "protection_plans"]);
    assert_eq!(field(&report, "sex")["applicable"].as_u64().unwrap() + 7, 200, "the sample's 7 unborn children are left out");
    // Keys in a fixed order (the output is written, not re-sorted).
    let text = stdout(&run(&["score", &sample(), "--format", "json"]));
    let top: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("  \"")).map(|l| l.split('"').next().unwrap()).collect();
    assert_eq!(top, ["profile", "unknown_credit", "score", "children", "not_supplied", "modules"]);
    // Same input, same bytes (no timings).
    assert_eq!(run(&["score", &sample(), "--format", "json"]).stdout, run(&["score", &sample(), "--format", "json"]).stdout);
}

#[test]
fn extended_profile_on_census_xml_reports_export_tables_as_not_supplied() {
    let report = json(&["score", &sample(), "--format", "json", "--profile", "extended"]);
    assert_eq!(report["not_supplied"], serde_json::json!(["Household", "CinReviews", "CinVisits"]));
    assert_eq!(field(&report, "benefits")["status"], "not-supplied");
    assert!(field(&report, "benefits")["score"].is_null());
    let census = json(&["score", &sample(), "--format", "json"]);
    assert_eq!(report["score"], census["score"], "not supplied is left out, never counted blank");
    let text = stdout(&run(&["score", &sample(), "--profile", "extended"]));
    assert!(text.contains("Not supplied: Household, CinReviews, CinVisits"), "{text}");
}

#[test]
fn ssd_export_scores_with_the_extended_profile() {
    let report = json(&["score", &ssd_export(), "--format", "json", "--ref-date", "2026-03-31"]);
    check_shape(&report);
    assert_eq!(report["profile"], "extended");
    assert_eq!(report["not_supplied"], serde_json::json!([]));
    // Some children on a CIN plan have no ext_household row: blank, so below 100.
    for id in ["benefits", "housing_tenure", "nrpf"] {
        let f = field(&report, id);
        assert!(f["blank"].as_u64().unwrap() > 0, "{id}: {f}");
        assert!(f["score"].as_f64().unwrap() < 100.0, "{id}: {f}");
    }
    for id in ["review_held", "visit_seen"] {
        assert!(field(&report, id)["applicable"].as_u64().unwrap() > 0, "{id}");
    }
}

#[test]
fn text_output_is_a_table_with_module_and_la_scores() {
    let out = run(&["score", &sample()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let header = text.lines().find(|l| l.starts_with("module")).expect("a table header");
    for column in ["field", "applicable", "valid", "unknown", "blank", "invalid", "score"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(text.contains("LA score: "), "{text}");
    assert!(text.contains("Modules (weighted mean"), "{text}");
    assert!(text.contains("Children: "), "{text}");
    let hidden = stdout(&run(&["score", &sample(), "--no-lowest"]));
    assert!(!hidden.contains("Least complete children"));
}

#[test]
fn min_score_gates_the_exit_code() {
    let out = run(&["score", &sample(), "--min-score", "101"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("below --min-score 101"));
    assert_eq!(run(&["score", &sample(), "--min-score", "0"]).status.code(), Some(0));
    assert_eq!(run(&["score", &ssd_export(), "--min-score", "101", "--format", "json"]).status.code(), Some(1));
    assert_eq!(run(&["score", &ssd_export(), "--min-score", "0"]).status.code(), Some(0));
}

#[test]
fn check_min_score_fails_below_and_prints_the_score() {
    let out = run(&["check", &sample(), "--fail-on", "never", "--min-score", "101", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("completeness score "), "{}", stderr(&out));
    let out = run(&["check", &sample(), "--fail-on", "never", "--min-score", "0", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&["check", &sample(), "--fail-on", "never", "--min-score", "50", "--profile", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn bad_profile_and_bad_config_exit_2() {
    let out = run(&["score", &sample(), "--profile", "everything"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such profile"), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cinlint.toml");
    common::write(&config, "[score.fields.sex]\ncolumn = \"Gender\"\n");
    let out = run(&["score", &sample(), "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("score.fields.sex.column"), "{}", stderr(&out));
    common::write(&config, "[score]\nunknown_credit = 0\n[score.modules.child]\nweight = 5\n");
    let low = json(&["score", &sample(), "--format", "json", "--config", config.to_str().unwrap()]);
    assert_eq!(low["unknown_credit"], 0.0);
    assert_eq!(low["modules"][0]["weight"], 5.0);
    assert_eq!(run(&["score", "no-such-file.xml"]).status.code(), Some(2));
}

/// The score definition with a user's `cinlint.toml` merged over the built-in settings, as every
/// command loads it.
fn with_user(user: &str) -> Result<ScoreConfig, String> {
    let user = Config::parse("cinlint.toml", user).map_err(|e| e.to_string())?;
    let merged = Config::defaults().overridden_by(&user).map_err(|e| e.to_string())?;
    ScoreConfig::from_table(&merged.score).map_err(|e| e.to_string())
}

#[test]
fn user_keys_merge_over_the_defaults() {
    let config = with_user("[score]\nunknown_credit = 0.25\n[score.fields.sex]\nweight = 2\n").unwrap();
    assert_eq!(config.unknown_credit, 0.25);
    let fields: Vec<_> = config.modules.iter().flat_map(|m| &m.fields).collect();
    assert_eq!(fields.iter().find(|f| f.id == "sex").unwrap().weight, 2.0);
    assert_eq!(fields.iter().find(|f| f.id == "sex").unwrap().column, "Sex", "other keys of the field stay");
    assert!(fields.len() > 20, "other fields stay");
}

#[test]
fn mistakes_name_their_key() {
    let cases = [
        ("[score.fields.sex]\ntable = \"ChildIdentifers\"\n", "[score.fields.sex.table] no canonical table named `ChildIdentifers`"),
        ("[score.fields.sex]\ncolumn = \"Gender\"\n", "[score.fields.sex.column] table `ChildIdentifiers` has no column `Gender`"),
        ("[score.fields.sex]\nwieght = 1\n", "[score.fields.sex.wieght] is not a setting here"),
        ("[score.fields.sex]\ncode_list = \"sexes\"\n", "[score.fields.sex.code_list] no code list `sexes`"),
        ("[score.fields.closure_reason]\napplies_when = { present = \"ClosureDate\" }\n", "[score.fields.closure_reason.applies_when.present] table `CINdetails` has no column `ClosureDate`"),
        ("[score.fields.primary_need]\napplies_when = { equals = { column = \"ReferralNFA\", value = \"yes\" } }\n", "is a Bool column"),
        ("[score.profiles]\ncensus = [\"child\", \"kids\"]\n", "[score.profiles.census] no module `kids`"),
        ("[score.modules.child]\nfields = [\"upn\"]\n", "is in no module"),
        ("[score.fields.new]\ntitle = \"x\"\ntable = \"Household\"\ncolumn = \"hous_benefits\"\nweight = 1\n", "[score.fields.new] is in no module"),
        ("[score]\nunknown_credit = 2\n", "[score.unknown_credit] must lie between 0 and 1"),
        ("[score.modules.child]\nweight = -1\n", "[score.modules.child.weight] must not be negative"),
        ("[score.fields.review_held]\napplies_when = { in_period = \"cinr_review_outcome\" }\n", "is not a date column"),
    ];
    for (user, expected) in cases {
        let err = with_user(&format!("[score]\n{user}").replace("[score]\n[score", "[score")).expect_err(user);
        assert!(err.contains(expected), "{user}: {err}");
    }
}

#[test]
fn a_user_condition_replaces_the_default_one() {
    let config = with_user("[score.fields.primary_need]\napplies_when = { present = \"ReferralNFA\" }\n").unwrap();
    let field = config.modules.iter().flat_map(|m| &m.fields).find(|f| f.id == "primary_need").unwrap();
    assert_eq!(field.applies_when.as_ref().unwrap().describe(), "ReferralNFA present");
    assert_eq!(field.column, "PrimaryNeedCode", "the field's other keys stay");
}
