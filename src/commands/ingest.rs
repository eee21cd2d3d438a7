//! `cinlint ingest`.

use crate::cli::IngestArgs;
use crate::exit;
use cinlint_check::RuleBook;
use miette::Report;
use std::time::Instant;

pub fn run(args: IngestArgs) -> Result<u8, Report> {
    let started = Instant::now();
    let book = RuleBook::embedded().map_err(|e| miette::miette!("built-in rules are broken: {e}"))?;
    // Validated here too, so a broken settings file never goes unnoticed.
    let config = crate::settings::load(args.config.config.as_deref())?;
    let data = crate::input::read(&args.input, &crate::input::ReadOptions::new(&args.export, args.la.as_deref(), &config))?;
    let year = match args.year.year.as_deref() {
        Some(y) => y.parse().map_err(|e| miette::miette!(code = "cinlint::usage::year", "{e}"))?,
        None => crate::input::pack_year(&book, &data, None)?.0,
    };
    let la = args
        .la
        .clone()
        .or_else(|| data.header_text("LEA").map(|l| l.trim().to_string()).filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric())))
        .unwrap_or_else(|| "unknown".to_string());
    let written_at = humantime_now();
    let dir = cinlint_ingest::dataset::write_dataset(&data, &args.out, &la, year, &written_at).map_err(crate::input::ingest_report)?;
    let rows: usize = data.tables.iter().map(|t| t.batch.num_rows()).sum();
    eprintln!(
        "{}: {} children, {} rows in {} tables → {} in {:.2}s",
        data.input.path,
        data.children,
        rows,
        data.tables.len(),
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(exit::CLEAN)
}

/// Seconds since the Unix epoch as RFC 3339 UTC, without a date-time dependency.
fn humantime_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(719_163 + days as i32).unwrap_or_default();
    let rem = secs % 86_400;
    format!("{date}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}
