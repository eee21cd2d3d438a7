//! Speed: scoring is one pass per column (`CINLINT_SCORE_BENCH=path.xml cargo test -p cinlint_score --test speed -- --nocapture`).

#[test]
fn scores_a_large_input_quickly() {
    let Some(path) = std::env::var_os("CINLINT_SCORE_BENCH") else { return };
    let data = cinlint_ingest::read_census_xml(std::path::Path::new(&path)).expect("reads");
    let text = std::fs::read_to_string(std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../../rules/cinlint.toml")).unwrap();
    let all: toml::Table = toml::from_str(&text).unwrap();
    let config = cinlint_score::ScoreConfig::from_table(all["score"].as_table().unwrap()).unwrap();
    let started = std::time::Instant::now();
    let report = cinlint_score::score(&data, &config, "census").unwrap();
    let took = started.elapsed();
    eprintln!("{} children scored {:?} in {:.3}s", data.children, report.score, took.as_secs_f64());
}

