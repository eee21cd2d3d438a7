//! The built-in `[score]` definition is valid and complete. How a user's keys merge over it, and
//! how its mistakes are named, is tested through the settings merge in `tests/score.rs`.

use cinlint_score::ScoreConfig;

fn defaults() -> toml::Table {
    let text = std::fs::read_to_string(std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../../rules/cinlint.toml")).unwrap();
    let all: toml::Table = toml::from_str(&text).unwrap();
    all["score"].as_table().unwrap().clone()
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
