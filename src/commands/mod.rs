//! One module per subcommand.

mod check;
mod export_census;
mod cohort;
mod generate;
mod ingest;
mod rules;
mod score;

use crate::cli::{Cli, Command};
use miette::Report;

pub fn run(cli: Cli) -> Result<u8, Report> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Ingest(args) => ingest::run(args),
        Command::Generate(args) => generate::run(args),
        Command::ExportCensus(args) => export_census::run(args),
        Command::Rules(args) => rules::list(args),
        Command::Rule(args) => rules::show(args),
        Command::Score(args) => score::run(args),
        Command::Cohort(args) => cohort::run(args),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), Report> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| miette::miette!("{}: cannot write: {e}", path.display()))?;
    tmp.write_all(bytes).map_err(|e| miette::miette!("{}: cannot write: {e}", path.display()))?;
    tmp.persist(path).map_err(|e| miette::miette!("{}: cannot write: {e}", path.display()))?;
    Ok(())
}
