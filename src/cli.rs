//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "cinlint", version, about = "Fast, offline data-quality linter for England's Children in Need census", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a census XML return: every DfE rule plus cinlint's own checks, with located diagnostics.
    Check(CheckArgs),
    /// Read a return into the canonical tables and write them as a Parquet dataset.
    Ingest(IngestArgs),
    /// Write a deterministic synthetic census return (for tests, demos and benchmarks).
    Generate(GenerateArgs),
    /// Write the DfE census XML return built from an LA export (folder of SSD CSV files or .xlsx).
    ExportCensus(ExportCensusArgs),
    /// List the rules of a collection year's pack.
    Rules(RulesArgs),
    /// Show one rule's documentation and examples.
    Rule(RuleArgs),
    /// Count the children by status on the reference date (CP plan, looked after, CIN plan, other CIN, closed).
    Cohort(CohortArgs),
    /// Completeness score (0–100) of a return or export, per field, module and LA.
    Score(ScoreArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Query,
    Warning,
    Never,
}

#[derive(Debug, Args)]
pub struct YearArgs {
    /// Collection year (2025-26 or 2026); default: from the header's ReferenceDate.
    #[arg(long)]
    pub year: Option<String>,
}

/// Options for LA exports (SSD folders); ignored for census XML.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Census reference date for an export (31 March ending the census year); default: the
    /// most recent 31 March on or before the export's latest activity date.
    #[arg(long = "ref-date", alias = "reference-date", value_name = "YYYY-MM-DD")]
    pub ref_date: Option<String>,
    /// The date elapsed-time checks measure up to (default: the export's latest activity date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
}

/// Where settings come from.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Settings file (thresholds, severities, score weights, export mapping); default:
    /// `cinlint.toml` in the current folder when there is one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// How `check` and `score` read their input: settings (with any export mapping), export
/// options and the export's LA code.
#[derive(Debug, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    /// LA code for an export (exports carry none).
    #[arg(long)]
    pub la: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Census XML file, or an LA export (folder of SSD CSV files, or one .xlsx workbook).
    pub input: PathBuf,
    #[command(flatten)]
    pub year: YearArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Only these codes or prefixes (comma-separated; e.g. 88,SES,XML002).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these codes or prefixes.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Output format: text (diagnostics) or json (JSON Lines, one finding per line).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Show source snippets for at most this many findings (0 = all).
    #[arg(long, default_value_t = 200)]
    pub max_snippets: usize,
    /// Colour the text output.
    #[arg(long)]
    pub color: bool,
    /// Print on stderr how long each of the slowest rules took (for profiling).
    #[arg(long)]
    pub timings: bool,
    /// Also fail (exit 1) when the completeness score is below N (0–100); the score goes to stderr.
    #[arg(long, value_name = "N")]
    pub min_score: Option<f64>,
    /// Completeness score profile for --min-score (census | extended; default by input kind).
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Census XML file, or an LA export (folder of SSD CSV files, or one .xlsx workbook).
    pub input: PathBuf,
    /// Fields to score: census (census fields; default for XML) or extended (adds household,
    /// CIN reviews and visits; default for LA exports).
    #[arg(long)]
    pub profile: Option<String>,
    /// Output format: text (a table) or json (one object).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when the LA score is below N (0–100).
    #[arg(long, value_name = "N")]
    pub min_score: Option<f64>,
    /// Do not list the least complete children (by LAchildID) in the text output.
    #[arg(long)]
    pub no_lowest: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Accepted as by `check` (checked for form); the score does not depend on the year.
    #[command(flatten)]
    pub year: YearArgs,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Census XML file, or an LA export (folder of SSD CSV files, or one .xlsx workbook).
    pub input: PathBuf,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    /// Output folder for the Parquet dataset.
    #[arg(long)]
    pub out: PathBuf,
    /// LA code for the partition (default: the header's LEA).
    #[arg(long)]
    pub la: Option<String>,
    #[command(flatten)]
    pub year: YearArgs,
}

#[derive(Debug, Args)]
pub struct ExportCensusArgs {
    /// An LA export: a folder of SSD CSV files, or one .xlsx workbook.
    pub input: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    /// The census XML file to write (replaced atomically; nothing is written on error).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 100)]
    pub children: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value = "201")]
    pub la: String,
    /// Collection year (2025-26 or its ending year 2026).
    #[arg(long, default_value = "2026")]
    pub year: String,
    /// Share of children given an injected defect (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub defect_rate: f64,
    /// Output file (default: standard output); with --ssd, the export folder to create.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write an LA case-management export (SSD CSV folder) instead of census XML.
    #[arg(long, requires = "out")]
    pub ssd: bool,
    /// Also write the injected defects as JSON Lines to this file.
    #[arg(long)]
    pub truth: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub year: YearArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule code, e.g. 8840 or 2886Q.
    pub code: String,
    #[command(flatten)]
    pub year: YearArgs,
}

#[derive(Debug, Args)]
pub struct CohortArgs {
    /// Census XML file, or an LA export (folder of SSD CSV files, or one .xlsx workbook).
    pub input: PathBuf,
    #[command(flatten)]
    pub year: YearArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Output format: text (a table) or json (one object).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}
