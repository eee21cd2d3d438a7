//! `cinlint cohort`: children by status on the reference date.

use crate::cli::{CohortArgs, Format};
use crate::exit;
use cinlint_check::cohort::{cohort, Cohort};
use cinlint_check::{Engine, RuleBook};
use miette::Report;
use std::io::Write;

pub fn run(args: CohortArgs) -> Result<u8, Report> {
    let book = RuleBook::embedded().map_err(|e| miette::miette!("built-in rules are broken: {e}"))?;
    let (_config, data) = crate::input::read_with_settings(&args.input, &args.read)?;
    let (year, warning) = crate::input::pack_year(&book, &data, args.year.year.as_deref())?;
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    let reference = data.reference_date().unwrap_or_else(|| year.reference_date());
    let engine = Engine::new().map_err(|e| miette::miette!("{e}"))?;
    let summary = cohort(&engine, &data, reference).map_err(|e| miette::miette!("{e}"))?;
    let text = match args.format {
        Format::Json => {
            let mut value = serde_json::to_value(&summary).map_err(|e| miette::miette!("{e}"))?;
            if let Some(object) = value.as_object_mut() {
                object.insert("input".into(), serde_json::Value::String(data.input.path.clone()));
            }
            format!("{value}\n")
        }
        Format::Text => render(&summary, &data.input.path),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes()).map_err(|e| miette::miette!("cannot write output: {e}"))?;
    out.flush().ok();
    Ok(exit::CLEAN)
}

fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / total as f64)
    }
}

/// A small aligned table, then how to read it.
fn render(summary: &Cohort, input: &str) -> String {
    let groups = summary.groups();
    let width = groups.iter().map(|g| g.label.len()).max().unwrap_or(0).max("total".len());
    let mut out = format!("{input}: {} children, status on {} (reference date)\n\n", summary.children, summary.reference_date);
    out.push_str(&format!("  {:<width$}  {:>8}  {:>7}\n", "group", "children", "share"));
    for g in &groups {
        match g.count {
            Some(n) => out.push_str(&format!("  {:<width$}  {:>8}  {:>7}\n", g.label, n, percent(n, summary.children))),
            None => out.push_str(&format!("  {:<width$}  {:>8}  {:>7}\n", g.label, "-", "-")),
        }
    }
    out.push_str(&format!("  {:<width$}  {:>8}  {:>7}\n\n", "total", summary.children, percent(summary.children, summary.children)));
    out.push_str(
        "The CIN-plan group is shown on its own, as research on CIN plans asks: children on a section 17 CIN plan,\n\
         apart from children on a child protection plan, looked-after children and children in need without a plan.\n\
         Each child is counted once, in the first group that applies: CP plan > looked after > CIN plan > other CIN > closed.\n",
    );
    if summary.looked_after.is_none() {
        out.push_str("Looked-after status is not known for this input (no looked-after episodes): those children are counted in the other groups.\n");
    }
    out
}
