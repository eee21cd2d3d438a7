//! Completeness score of the canonical tables: how fully each field is recorded, rolled up
//! field → module → child → LA on a 0–100 scale, as defined in `docs/completeness-score.md`.
//!
//! The definition (fields, where each applies, unknown values with reasons, weights, profiles)
//! is the `[score]` section of `rules/cinlint.toml`; see [`ScoreConfig`].

pub mod compute;
pub mod config;
pub mod report;

pub use compute::{score, score_with_child_detail};
pub use config::{Condition, FieldDef, ModuleDef, ScoreConfig, UnknownValue};
pub use report::{ChildDistribution, FieldScore, ModuleScore, Report, Status};

/// At most this many least-complete children are listed (identifiers are sensitive).
pub const LOWEST_CAP: usize = 10;

/// Why a score could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// A mistake in the `[score]` definition, naming its key.
    #[error("[{key}] {message}")]
    Config { key: String, message: String },
    #[error("no profile `{profile}` (profiles: {known})")]
    UnknownProfile { profile: String, known: String },
    #[error("the input has no usable reference date, which the census-period conditions need (pass --ref-date or fix the header)")]
    NoReferenceDate,
    #[error("{0}")]
    Input(String),
}

/// Rounds to 2 decimals (how every score is shown).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Where a field applies, in words.
pub fn applies_to(field: &FieldDef) -> String {
    let rows = if field.table.name == cinlint_model::schema::CHILD_IDENTIFIERS.name {
        "every child".to_string()
    } else {
        format!("every {} row", field.table.name)
    };
    match &field.applies_when {
        Some(c) => format!("{rows} where {}", c.describe()),
        None => rows,
    }
}

/// The fields of a definition as a Markdown table (module, field, column, applies to, valid
/// values, unknown values with reasons, weight), for `docs/completeness-score.md`.
pub fn fields_markdown(config: &ScoreConfig) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("| module (weight) | field (weight) | column | applies to | valid when | recorded as unknown |\n|---|---|---|---|---|---|\n");
    // Profile order (census modules first), then any module no profile lists.
    let mut order: Vec<&ModuleDef> = Vec::new();
    for (name, _) in &config.profiles {
        for m in config.profile(name).unwrap_or_default() {
            if !order.iter().any(|o| o.id == m.id) {
                order.push(m);
            }
        }
    }
    for m in &config.modules {
        if !order.iter().any(|o| o.id == m.id) {
            order.push(m);
        }
    }
    for module in order {
        for f in &module.fields {
            let column = match f.from {
                Some(t) => format!("`{}.{}`", t.name, f.column),
                None => format!("`{}.{}`", f.table.name, f.column),
            };
            let kind = f.value_table().column(&f.column).map(|c| c.kind);
            let valid = if !f.code_lists.is_empty() {
                let names: Vec<String> = f.code_lists.iter().map(|l| format!("code list `{}`", l.name)).collect();
                format!("in {}", names.join(" or "))
            } else if !f.values.is_empty() {
                format!("one of {}", f.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "))
            } else if f.format.is_some() {
                "a UPN: 13 characters, LA code, correct check letter".to_string()
            } else {
                match kind {
                    Some(cinlint_model::ColumnKind::Text) | None => "any text".to_string(),
                    Some(k) => format!("parses as {}", format!("{k:?}").to_lowercase()),
                }
            };
            let unknown = if f.unknown.is_empty() {
                "—".to_string()
            } else {
                let prefix = f.unknown_column.as_ref().map(|c| format!("field blank and `{c}` = ")).unwrap_or_default();
                let items: Vec<String> = f.unknown.iter().map(|u| format!("`{}`: {}", u.value, u.reason)).collect();
                format!("{prefix}{}", items.join("; "))
            };
            let _ = writeln!(
                out,
                "| `{}` ({}) | `{}` {} ({}) | {column} | {} | {valid} | {unknown} |",
                module.id,
                module.weight,
                f.id,
                f.title,
                f.weight,
                applies_to(f),
            );
        }
    }
    out
}
