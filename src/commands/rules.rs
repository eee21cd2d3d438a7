//! `cinlint rules` and `cinlint rule CODE`.

use crate::cli::{Format, RuleArgs, RulesArgs};
use crate::exit;
use cinlint_check::RuleBook;
use cinlint_model::CollectionYear;
use miette::Report;

fn book() -> Result<RuleBook, Report> {
    RuleBook::embedded().map_err(|e| miette::miette!("built-in rules are broken: {e}"))
}

fn year(book: &RuleBook, text: Option<&str>) -> Result<CollectionYear, Report> {
    match text {
        Some(t) => {
            let wanted: CollectionYear = t.parse().map_err(|e| miette::miette!(code = "cinlint::usage::year", "{e}"))?;
            book.nearest_year(wanted).ok_or_else(|| miette::miette!("no packs"))
        }
        None => book.pack_years().last().copied().ok_or_else(|| miette::miette!("no packs")),
    }
}

pub fn list(args: RulesArgs) -> Result<u8, Report> {
    let book = book()?;
    let year = year(&book, args.year.year.as_deref())?;
    let pack = book.pack(year);
    match args.format {
        Format::Json => {
            for rule in &pack.rules {
                let versions = book.versions(&rule.code);
                let first = versions.first().and_then(|r| r.since).map(|y| y.to_string());
                let line = serde_json::json!({
                    "code": rule.code,
                    "name": rule.name,
                    "severity": rule.severity().as_str(),
                    "module": rule.module,
                    "level": rule.level.map(|l| l.as_str()),
                    "since": first,
                    "version_since": rule.since.map(|y| y.to_string()),
                    "until": serde_json::Value::Null,
                });
                println!("{line}");
            }
        }
        Format::Text => {
            println!("{} rules in the {year} pack\n", pack.rules.len());
            println!("{:<8} {:<8} {:<22} NAME", "CODE", "SEVERITY", "MODULE");
            for rule in &pack.rules {
                println!("{:<8} {:<8} {:<22} {}", rule.code, rule.severity().as_str(), rule.module, rule.name);
            }
        }
    }
    Ok(exit::CLEAN)
}

pub fn show(args: RuleArgs) -> Result<u8, Report> {
    let book = book()?;
    let year = year(&book, args.year.year.as_deref())?;
    let pack = book.pack(year);
    let rule = pack.rule(&args.code).cloned().or_else(|| book.versions(&args.code).pop());
    match rule {
        Some(rule) => {
            print!("{}", rule.docs());
            if let Some(settings) = cinlint_check::Config::defaults().checks.get(&rule.code).filter(|s| !s.params.is_empty()) {
                println!("\n## Settings (defaults; change them under [checks.{}] in cinlint.toml)", rule.code);
                for (name, value) in &settings.params {
                    println!("{name} = {value}");
                }
            }
            Ok(exit::CLEAN)
        }
        None => Err(miette::miette!(
            code = "cinlint::usage::rule",
            help = "`cinlint rules` lists every code.",
            "no rule with code `{}`",
            args.code
        )),
    }
}
