//! The `[score]` definition: the built-in one is valid, a user's keys merge over it, and
//! mistakes name their key.

use cinlint_score::{merge_over_defaults, ScoreConfig};

fn defaults() -> toml::Table {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/cinlint.toml")).unwrap();
    let all: toml::Table = toml::from_str(&text).unwrap();
    all["score"].as_table().unwrap().clone()
}

/// The defaults with a user's `[score]` applied the way `Config::overridden_by` does (top-level
/// keys replaced), then merged back over the defaults.
fn with_user(user: &str) -> Result<ScoreConfig, String> {
    let user: toml::Table = toml::from_str(user).unwrap();
    let mut shallow = defaults();
    for (k, v) in user["score"].as_table().unwrap() {
        shallow.insert(k.clone(), v.clone());
    }
    ScoreConfig::from_table(&merge_over_defaults(&defaults(), &shallow)).map_err(|e| e.to_string())
}

#[test]
fn built_in_definition_is_valid_and_complete() {
    let config = ScoreConfig::from_table(&defaults()).unwrap();
    assert_eq!(config.unknown_credit, 0.5);
    let census: Vec<&str> = config.profile("census").unwrap().iter().map(|m| m.id.as_str()).collect();
    let extended: Vec<&str> = config.profile("extended").unwrap().iter().map(|m| m.id.as_str()).collect();
    assert!(extended.starts_with(&census));
    assert_eq!(&extended[census.len()..], ["household", "cin_reviews", "cin_visits"]);
    for module in config.profile("census").unwrap() {
        for f in &module.fields {
            assert!(cinlint_model::schema::table(f.value_table().name).is_some(), "census field {} reads an export table", f.id);
        }
    }
    let field = |id: &str| config.modules.iter().flat_map(|m| &m.fields).find(|f| f.id == id).unwrap().clone();
    let unknown = |id: &str| field(id).unknown.iter().map(|u| u.value.clone()).collect::<Vec<_>>();
    assert_eq!(unknown("sex"), ["U"]);
    assert_eq!(unknown("ethnicity"), ["NOBT", "REFU"]);
    assert_eq!(unknown("upn"), (1..=10).map(|i| format!("UN{i}")).collect::<Vec<_>>());
    assert_eq!(unknown("benefits"), ["U"]);
    assert!(config.modules.iter().flat_map(|m| &m.fields).flat_map(|f| &f.unknown).all(|u| !u.reason.trim().is_empty()));
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
