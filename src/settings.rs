//! Loading `cinlint.toml` over the built-in defaults; mistakes are diagnostics on its lines.

use cinlint_check::config::{Config, ConfigError};
use miette::{Diagnostic, LabeledSpan, NamedSource, Report};
use std::path::{Path, PathBuf};

/// The file a run reads its settings from: `--config`, else `./cinlint.toml` when present.
fn settings_file(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(|| Some(PathBuf::from("cinlint.toml")).filter(|p| p.is_file()))
}

/// The built-in defaults overridden by the user's settings file, if any.
pub fn load(explicit: Option<&Path>) -> Result<Config, Report> {
    let defaults = Config::defaults();
    let Some(path) = settings_file(explicit) else { return Ok(defaults) };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| miette::miette!(code = "cinlint::config::unreadable", "{name}: cannot read the settings file: {e}"))?;
    let user = Config::parse(&name, &text).map_err(|e| config_report(e, &text))?;
    defaults.overridden_by(&user).map_err(|e| config_report(e, &text))
}

/// A config mistake as a miette report labelling its place in the file.
pub fn config_report(err: ConfigError, text: &str) -> Report {
    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("{message}")]
    #[diagnostic(code(cinlint::config))]
    struct SettingsError {
        message: String,
        #[help]
        help: Option<String>,
        #[source_code]
        src: NamedSource<String>,
        #[label(collection)]
        labels: Vec<LabeledSpan>,
    }
    let line = err.span.as_ref().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let labels = err
        .span
        .clone()
        .map(|s| vec![LabeledSpan::new_with_span(Some("here".into()), miette::SourceSpan::new(s.start.into(), s.end.saturating_sub(s.start)))])
        .unwrap_or_default();
    let message = match line {
        Some(line) => format!("{}:{line}: {}", err.file, err.message),
        None => format!("{}: {}", err.file, err.message),
    };
    Report::new(SettingsError { message, help: err.help, src: NamedSource::new(err.file, text.to_string()), labels })
}
