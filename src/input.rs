//! Reading an input and choosing its pack, with clear errors (exit 2).

use cinlint_check::config::{Config, ConfigError};
use cinlint_check::RuleBook;
use cinlint_ingest::{CensusData, IngestError};
use cinlint_model::CollectionYear;
use cinlint_ssd::mapping::{Mapping, MappingError};
use cinlint_ssd::ExportError;
use miette::{Diagnostic, LabeledSpan, Report};
use std::path::Path;

/// An ingest error as a miette report with the offending line shown.
pub fn ingest_report(err: IngestError) -> Report {
    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("{message}")]
    #[diagnostic(code(cinlint::ingest::input))]
    struct InputError {
        message: String,
        #[help]
        help: Option<String>,
        #[source_code]
        src: Option<cinlint_report::source::Window>,
        #[label(collection)]
        labels: Vec<LabeledSpan>,
    }
    let location = if err.line > 0 { format!("{}:{}:{}", err.file, err.line, err.column) } else { err.file.clone() };
    let mut source = None;
    let mut labels = Vec::new();
    if let (Some(offset), Ok(bytes)) = (err.offset, std::fs::read(&err.file)) {
        let window = cinlint_report::source::Window::around(&err.file, &bytes, offset, offset, 1, (err.line, err.column));
        labels.push(LabeledSpan::new_with_span(Some(err.kind.to_string()), window.span(offset, 1)));
        source = Some(window);
    }
    Report::new(InputError { message: format!("{location}: {}", err.message), help: err.help, src: source, labels })
}

/// How to read an LA export (ignored for census XML).
#[derive(Debug)]
pub struct ReadOptions<'a> {
    pub ref_date: Option<&'a str>,
    pub as_of: Option<&'a str>,
    pub la: Option<&'a str>,
    /// The run's settings (`--config` or `./cinlint.toml`); its `[mapping]` wins over one in the
    /// export folder's own `cinlint.toml`.
    pub config: &'a Config,
}

impl<'a> ReadOptions<'a> {
    pub fn new(export: &'a crate::cli::ExportArgs, la: Option<&'a str>, config: &'a Config) -> Self {
        Self { ref_date: export.ref_date.as_deref(), as_of: export.as_of.as_deref(), la, config }
    }
}

/// Loads the run's settings, then reads the input with them (an export's mapping among them).
pub fn read_with_settings(input: &Path, args: &crate::cli::ReadArgs) -> Result<(Config, CensusData), Report> {
    let config = crate::settings::load(args.config.config.as_deref())?;
    let data = read(input, &ReadOptions::new(&args.export, args.la.as_deref(), &config))?;
    Ok((config, data))
}

/// A mapping mistake as a settings diagnostic on its line of the mapping file.
fn mapping_report(err: MappingError, text: &str) -> Report {
    crate::settings::config_report(ConfigError { file: err.file, message: err.message, span: err.span, help: err.help }, text)
}

/// The export mapping of a run: the `[mapping]` of the run's settings file, else that of a
/// `cinlint.toml` inside the export folder (so a layout's mapping travels with its exports).
fn export_mapping(path: &Path, config: &Config) -> Result<Option<Mapping>, Report> {
    if let Some((file, text)) = config.mapping.as_ref().and(config.source.as_ref()) {
        return Mapping::parse(file, text).map_err(|e| mapping_report(e, text));
    }
    let inside = path.join(cinlint_ssd::MAPPING_FILE);
    if !path.is_dir() || !inside.is_file() {
        return Ok(None);
    }
    let name = inside.display().to_string();
    let text = std::fs::read_to_string(&inside)
        .map_err(|e| miette::miette!(code = "cinlint::config::unreadable", "{name}: cannot read the export's mapping: {e}"))?;
    Mapping::parse(&name, &text).map_err(|e| mapping_report(e, &text))
}

fn parse_date_arg(flag: &str, text: Option<&str>) -> Result<Option<chrono::NaiveDate>, Report> {
    text.map(|t| {
        chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map_err(|_| miette::miette!(code = "cinlint::usage::date", "--{flag} `{t}` is not a date written YYYY-MM-DD"))
    })
    .transpose()
}

/// Whether `path` is an LA export: a folder, or an `.xlsx` workbook.
pub fn is_export(path: &Path) -> bool {
    path.is_dir() || path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// Reads census XML, or an LA export (a folder or an `.xlsx` workbook).
pub fn read(path: &Path, options: &ReadOptions<'_>) -> Result<CensusData, Report> {
    if is_export(path) {
        let export = cinlint_ssd::ExportOptions {
            reference_date: parse_date_arg("ref-date", options.ref_date)?,
            as_of: parse_date_arg("as-of", options.as_of)?,
            la: options.la.map(str::to_string),
        };
        let mapping = export_mapping(path, options.config)?;
        return cinlint_ssd::read_export_mapped(path, &export, mapping.as_ref()).map_err(|e| match e {
            ExportError::Input(e) => ingest_report(e),
            ExportError::Mapping(e) => mapping_report(e, &mapping.as_ref().expect("a mapping error comes from a mapping").text),
        });
    }
    cinlint_ingest::read_census_xml(path).map_err(ingest_report)
}

/// The pack year for an input: `--year`, else the census year of the header's ReferenceDate;
/// the nearest pack when there is none for that year (with a warning).
pub fn pack_year(book: &RuleBook, data: &CensusData, year: Option<&str>) -> Result<(CollectionYear, Option<String>), Report> {
    let wanted = match year {
        Some(text) => text.parse::<CollectionYear>().map_err(|e| miette::miette!(code = "cinlint::usage::year", "{e}"))?,
        None => match data.reference_date() {
            Some(r) => CollectionYear::containing(r),
            None => {
                return Err(miette::miette!(
                    code = "cinlint::input::reference-date",
                    help = "Fix Header/CollectionDetails/ReferenceDate (31 March of the census year), or pass --year 2025-26.",
                    "{}: the header has no usable ReferenceDate, so the collection year is unknown",
                    data.input.path
                ))
            }
        },
    };
    let chosen = book.nearest_year(wanted).ok_or_else(|| miette::miette!("no rule packs are built in"))?;
    let warning = (chosen != wanted).then(|| format!("warning: no rule pack for {wanted}; using the nearest pack, {chosen}"));
    Ok((chosen, warning))
}
