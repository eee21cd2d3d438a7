//! The score of one input: what `cinlint score` prints as a table or as JSON.

use crate::config::{FieldDef, ModuleDef};
use crate::round2;
use serde::Serialize;

/// Whether a field or module has a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Scored: at least one applicable row.
    Scored,
    /// No applicable row (shown as n/a, left out of the roll-up).
    NotApplicable,
    /// The input did not supply the field's table (left out of the roll-up; never blank).
    NotSupplied,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Scored => "scored",
            Status::NotApplicable => "n/a",
            Status::NotSupplied => "not supplied",
        }
    }
}

/// The score of one input under one profile. Serialised as the JSON output (stable key order,
/// no timings, no child identifiers).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub profile: String,
    pub unknown_credit: f64,
    /// The LA score, 0–100, rounded to 2 decimals; `null` when nothing applied.
    pub score: Option<f64>,
    pub children: ChildDistribution,
    /// Tables the profile needs that the input did not supply.
    pub not_supplied: Vec<String>,
    pub modules: Vec<ModuleScore>,
    /// The LA score unrounded.
    #[serde(skip)]
    pub exact: Option<f64>,
    /// The least complete children (LAchildID, unrounded score), lowest first, at most 10, only
    /// those below 100. Text output only: identifiers never go into JSON.
    #[serde(skip)]
    pub lowest: Vec<(String, f64)>,
    /// Each child's unrounded score, indexed by child_key (`None`: no field applied).
    #[serde(skip)]
    pub child_scores: Vec<Option<f64>>,
    /// Each child's (field id, unrounded field score), indexed by child_key; filled only by
    /// [`crate::compute::score_with_child_detail`].
    #[serde(skip)]
    pub child_fields: Vec<Vec<(String, f64)>>,
}

/// How child scores are spread (each rounded to 2 decimals).
#[derive(Debug, Clone, Serialize)]
pub struct ChildDistribution {
    /// Children in the input.
    pub total: usize,
    /// Children with at least one applicable field.
    pub scored: usize,
    pub min: Option<f64>,
    pub p10: Option<f64>,
    pub median: Option<f64>,
    pub mean: Option<f64>,
}

impl ChildDistribution {
    /// From the child scores sorted ascending; percentiles by nearest rank.
    pub(crate) fn of(total: usize, sorted: &[f64]) -> Self {
        let n = sorted.len();
        let rank = |p: f64| (n > 0).then(|| round2(sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1]));
        ChildDistribution {
            total,
            scored: n,
            min: sorted.first().copied().map(round2),
            p10: rank(0.10),
            median: rank(0.50),
            mean: (n > 0).then(|| round2(sorted.iter().sum::<f64>() / n as f64)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleScore {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub status: Status,
    /// Weighted mean of its scored fields, rounded to 2 decimals.
    pub score: Option<f64>,
    pub fields: Vec<FieldScore>,
    #[serde(skip)]
    pub exact: Option<f64>,
}

/// The weighted mean of the scored items (`(weight, score)`); `None` when none is scored or
/// their weights sum to 0.
pub(crate) fn weighted_mean(items: impl IntoIterator<Item = (f64, Option<f64>)>) -> Option<f64> {
    let mut weighted = 0.0;
    let mut weights = 0.0;
    for (weight, score) in items {
        if let Some(s) = score {
            weighted += weight * s;
            weights += weight;
        }
    }
    (weights > 0.0).then(|| weighted / weights)
}

impl ModuleScore {
    pub(crate) fn new(module: &ModuleDef, fields: Vec<FieldScore>) -> Self {
        let exact = weighted_mean(fields.iter().map(|f| (f.weight, f.exact)));
        let status = if exact.is_some() {
            Status::Scored
        } else if !fields.is_empty() && fields.iter().all(|f| f.status == Status::NotSupplied) {
            Status::NotSupplied
        } else {
            Status::NotApplicable
        };
        ModuleScore { id: module.id.clone(), title: module.title.clone(), weight: module.weight, status, score: exact.map(round2), fields, exact }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldScore {
    pub id: String,
    pub title: String,
    pub table: String,
    pub column: String,
    /// Where the field applies, in words.
    pub applies_to: String,
    pub weight: f64,
    pub status: Status,
    pub applicable: u64,
    pub valid: u64,
    pub unknown: u64,
    pub blank: u64,
    pub invalid: u64,
    /// (valid + unknown_credit × unknown) / applicable × 100, rounded to 2 decimals.
    pub score: Option<f64>,
    #[serde(skip)]
    pub exact: Option<f64>,
}

impl FieldScore {
    pub(crate) fn new(field: &FieldDef, status: Status, counts: [u64; 5], exact: Option<f64>) -> Self {
        let [applicable, valid, unknown, blank, invalid] = counts;
        FieldScore {
            id: field.id.clone(),
            title: field.title.clone(),
            table: field.value_table().name.to_string(),
            column: field.column.clone(),
            applies_to: crate::applies_to(field),
            weight: field.weight,
            status,
            applicable,
            valid,
            unknown,
            blank,
            invalid,
            score: exact.map(round2),
            exact,
        }
    }
}

impl Report {
    /// Whether the score is below `min` (compared as shown, rounded to 2 decimals; no score
    /// at all is below any minimum).
    pub fn below(&self, min: f64) -> bool {
        self.score.is_none_or(|s| s < min)
    }

    /// The JSON output: one object, keys in a fixed order.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises") + "\n"
    }

    /// The text output: the field table, module scores, the LA score and the child spread;
    /// `lowest` (at most 10) least complete children by LAchildID.
    pub fn to_text(&self, lowest: usize) -> String {
        use std::fmt::Write as _;
        let show = |s: Option<f64>| s.map_or("n/a".to_string(), |s| format!("{s:.2}"));
        let mut out = String::new();
        let _ = writeln!(out, "Completeness score (profile {}, unknown values count {})", self.profile, self.unknown_credit);
        let _ = writeln!(out);
        let mw = self.modules.iter().map(|m| m.id.len()).max().unwrap_or(6).max(6);
        let fw = self.modules.iter().flat_map(|m| &m.fields).map(|f| f.id.len()).max().unwrap_or(5).max(5);
        let _ = writeln!(
            out,
            "{:<mw$}  {:<fw$}  {:>10}  {:>7}  {:>7}  {:>7}  {:>7}  {:>12}",
            "module", "field", "applicable", "valid", "unknown", "blank", "invalid", "score"
        );
        for m in &self.modules {
            for f in &m.fields {
                let score = match f.status {
                    Status::Scored => show(f.score),
                    other => other.word().to_string(),
                };
                if f.status == Status::NotSupplied {
                    let _ = writeln!(out, "{:<mw$}  {:<fw$}  {:>10}  {:>7}  {:>7}  {:>7}  {:>7}  {:>12}", m.id, f.id, "-", "-", "-", "-", "-", score);
                } else {
                    let _ = writeln!(
                        out,
                        "{:<mw$}  {:<fw$}  {:>10}  {:>7}  {:>7}  {:>7}  {:>7}  {:>12}",
                        m.id, f.id, f.applicable, f.valid, f.unknown, f.blank, f.invalid, score
                    );
                }
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Modules (weighted mean of their fields):");
        for m in &self.modules {
            let score = match m.status {
                Status::Scored => show(m.score),
                other => other.word().to_string(),
            };
            let _ = writeln!(out, "  {:<mw$}  weight {:<5}  {:>12}  {}", m.id, trim_float(m.weight), score, m.title);
        }
        let _ = writeln!(out);
        let scored = self.modules.iter().filter(|m| m.status == Status::Scored).count();
        let _ = writeln!(out, "LA score: {} (weighted mean of {scored} module(s))", show(self.score));
        let c = &self.children;
        let _ = writeln!(
            out,
            "Children: {} scored of {}; min {}, p10 {}, median {}, mean {}",
            c.scored,
            c.total,
            show(c.min),
            show(c.p10),
            show(c.median),
            show(c.mean)
        );
        if !self.not_supplied.is_empty() {
            let _ = writeln!(
                out,
                "Not supplied: {} (their fields are left out of every score, not counted as blank)",
                self.not_supplied.join(", ")
            );
        }
        let lowest = lowest.min(crate::LOWEST_CAP);
        if lowest > 0 && !self.lowest.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "Least complete children (LAchildID, score):");
            for (id, s) in self.lowest.iter().take(lowest) {
                let _ = writeln!(out, "  {id:<20}  {:>6.2}", s);
            }
        }
        out
    }
}

fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}
