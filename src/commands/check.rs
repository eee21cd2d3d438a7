//! `cinlint check`.

use crate::cli::{CheckArgs, FailOn, Format};
use crate::exit;
use cinlint_check::{CheckOptions, Engine, RuleBook, Selection};
use cinlint_ingest::source::SourceKind;
use cinlint_model::Severity;
use cinlint_report::{json, summary, text, SourceTexts};
use miette::Report;
use std::io::Write;
use std::time::Instant;

pub fn run(args: CheckArgs) -> Result<u8, Report> {
    let started = Instant::now();
    let book = RuleBook::embedded().map_err(|e| miette::miette!("built-in rules are broken: {e}"))?;
    let (config, data) = crate::input::read_with_settings(&args.input, &args.read)?;
    let read_took = started.elapsed();
    let (year, warning) = crate::input::pack_year(&book, &data, args.year.year.as_deref())?;
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    let pack = book.pack(year).configured(&config).map_err(|e| miette::miette!("{e}"))?;
    let engine = Engine::new().map_err(|e| miette::miette!("{e}"))?;
    let options = CheckOptions { selection: Selection::new(&args.select, &args.ignore), concurrency: 0 };
    let run = engine.check(&data, &pack, &options).map_err(|e| miette::miette!("{e}"))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => json::write_jsonl(&run.findings, &mut out).map_err(|e| miette::miette!("cannot write output: {e}"))?,
        Format::Text => {
            let mut sources = SourceTexts::default();
            for file in &data.sources.files {
                if let SourceKind::Text { text, .. } = &file.kind {
                    sources.insert(file.name.clone(), text.clone());
                }
            }
            let options = text::TextOptions { color: args.color, width: 100, max_snippets: args.max_snippets };
            // Checks that did not run are said once, in the note on stderr, not once per check.
            let shown: Vec<_> = run.findings.iter().filter(|f| !run.skipped.iter().any(|(code, _)| *code == f.code && f.child.is_none())).cloned().collect();
            let rendered = text::render(&shown, &sources, &options);
            out.write_all(rendered.as_bytes()).map_err(|e| miette::miette!("cannot write output: {e}"))?;
        }
    }
    out.flush().ok();
    eprintln!(
        "{}: {} children, pack {} (census period {} to {}), {} rules: {} ({} children flagged) in {:.2}s (read {:.2}s)",
        data.input.path,
        data.children,
        year,
        run.period_start,
        run.reference_date,
        run.rules_run,
        summary::severity_counts(&run.findings),
        summary::children_flagged(&run.findings),
        started.elapsed().as_secs_f64(),
        read_took.as_secs_f64(),
    );
    if args.timings {
        let mut timings = run.timings.clone();
        timings.sort_by_key(|(_, took)| std::cmp::Reverse(*took));
        let total: f64 = timings.iter().map(|(_, t)| t.as_secs_f64()).sum();
        eprintln!("rule times (several run at once; sum {total:.2}s), slowest first:");
        for (code, took) in timings.iter().take(15) {
            eprintln!("  {code:<8} {:>8.3}s", took.as_secs_f64());
        }
    }
    if !run.skipped.is_empty() {
        let codes: Vec<&str> = run.skipped.iter().map(|(c, _)| c.as_str()).collect();
        let mut tables: Vec<&str> = run.skipped.iter().flat_map(|(_, t)| t.iter().copied()).collect();
        tables.sort();
        tables.dedup();
        eprintln!("note: {} check(s) not run, the input has no {}: {}", codes.len(), tables.join(", "), codes.join(", "));
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Query => Some(Severity::Query),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    let below_score = match args.min_score {
        Some(min) => super::score::below_min(&data, &config, args.profile.as_deref(), &args.input, min)?,
        None => false,
    };
    let failed = below_score || threshold.is_some_and(|t| run.findings.iter().any(|f| f.severity >= t));
    Ok(if failed { exit::FINDINGS } else { exit::CLEAN })
}
