//! `cinlint score`: the completeness score of an input (docs/completeness-score.md), and the
//! `--min-score` gate `cinlint check` shares.

use crate::cli::{Format, ScoreArgs};
use crate::exit;
use cinlint_check::config::Config;
use cinlint_ingest::CensusData;
use cinlint_score::{Report, ScoreConfig};
use miette::Report as Diagnostic;
use std::io::Write;
use std::path::Path;

pub fn run(args: ScoreArgs) -> Result<u8, Diagnostic> {
    check_min_score(args.min_score)?;
    let config = crate::settings::load(args.read.config.config.as_deref())?;
    let definition = definition(&config)?;
    let profile = profile_for(&definition, args.profile.as_deref(), &args.input)?;
    let data = crate::input::read(&args.input, &crate::input::ReadOptions::new(&args.read.export, args.read.la.as_deref(), &config))?;
    if let Some(year) = args.year.year.as_deref() {
        year.parse::<cinlint_model::CollectionYear>().map_err(|e| miette::miette!(code = "cinlint::usage::year", "{e}"))?;
    }
    let report = compute(&data, &definition, &profile)?;
    let rendered = match args.format {
        Format::Json => report.to_json(),
        Format::Text => report.to_text(if args.no_lowest { 0 } else { cinlint_score::LOWEST_CAP }),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(rendered.as_bytes()).map_err(|e| miette::miette!("cannot write output: {e}"))?;
    out.flush().ok();
    Ok(gate(&report, args.min_score))
}

/// For `cinlint check --min-score N`: scores the input, prints the score on stderr and tells
/// whether it is below N.
pub fn below_min(data: &CensusData, config: &Config, profile: Option<&str>, input: &Path, min: f64) -> Result<bool, Diagnostic> {
    check_min_score(Some(min))?;
    let definition = definition(config)?;
    let profile = profile_for(&definition, profile, input)?;
    let report = compute(data, &definition, &profile)?;
    let shown = report.score.map_or("n/a".to_string(), |s| format!("{s:.2}"));
    let below = report.below(min);
    eprintln!(
        "completeness score {shown} (profile {profile}){}",
        if below { format!(": below --min-score {min}") } else { String::new() }
    );
    if !report.not_supplied.is_empty() {
        eprintln!("note: completeness score leaves out tables the input did not supply: {}", report.not_supplied.join(", "));
    }
    Ok(below)
}

fn check_min_score(min: Option<f64>) -> Result<(), Diagnostic> {
    match min {
        Some(n) if !n.is_finite() || n < 0.0 => {
            Err(miette::miette!(code = "cinlint::usage::min-score", "--min-score {n}: give a number on the 0–100 scale"))
        }
        _ => Ok(()),
    }
}

/// The `[score]` definition (the settings already hold the user's keys merged over the built-in ones).
fn definition(config: &Config) -> Result<ScoreConfig, Diagnostic> {
    ScoreConfig::from_table(&config.score).map_err(|e| {
        miette::miette!(
            code = "cinlint::config::score",
            help = "The score's definition is the [score] section of rules/cinlint.toml; docs/completeness-score.md describes each key.",
            "{e}"
        )
    })
}

/// `--profile`, else `extended` for an LA export and `census` for census XML.
fn profile_for(definition: &ScoreConfig, asked: Option<&str>, input: &Path) -> Result<String, Diagnostic> {
    let name = asked.map(str::to_string).unwrap_or_else(|| if crate::input::is_export(input) { "extended" } else { "census" }.to_string());
    if definition.profile(&name).is_none() {
        return Err(miette::miette!(
            code = "cinlint::usage::profile",
            "--profile {name}: no such profile (profiles: {})",
            definition.profile_names().join(", ")
        ));
    }
    Ok(name)
}

fn compute(data: &CensusData, definition: &ScoreConfig, profile: &str) -> Result<Report, Diagnostic> {
    cinlint_score::score(data, definition, profile).map_err(|e| miette::miette!(code = "cinlint::score", "{}: {e}", data.input.path))
}

fn gate(report: &Report, min: Option<f64>) -> u8 {
    match min {
        Some(n) if report.below(n) => {
            let shown = report.score.map_or("n/a".to_string(), |s| format!("{s:.2}"));
            eprintln!("completeness score {shown} is below --min-score {n}");
            exit::FINDINGS
        }
        _ => exit::CLEAN,
    }
}
