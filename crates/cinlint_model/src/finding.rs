//! Findings: plain serialisable records that every renderer turns into its own format.
//! A finding holds no source text, only where to find it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How serious a finding is. Ordered: `Info < Warning < Query < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context such as "table not supplied"; never fails a run.
    Info,
    /// A cinlint data-quality concern beyond the DfE rules.
    Warning,
    /// A DfE query: must be explained to DfE, or fixed.
    Query,
    /// A DfE error: must be fixed before DfE accepts the return.
    Error,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Error, Severity::Query, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Query => "query",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "query" => Ok(Severity::Query),
            "error" => Ok(Severity::Error),
            other => Err(format!("`{other}` is not a severity (error, query, warning, info)")),
        }
    }
}

/// Where a finding points: a field of a row of a canonical table, and its place in the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub table: String,
    /// Row within the canonical table (document order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// Column (census element) the label goes on; `None` labels the whole row element.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub file: Option<String>,
    /// 1-based line in the source file.
    pub line: Option<u32>,
    /// 1-based column (characters) in the source file.
    pub column: Option<u32>,
    /// Byte offset of the located text in the file (for renderers that show the source).
    #[serde(skip)]
    pub offset: Option<u64>,
    /// Length in bytes of the located text.
    #[serde(skip)]
    pub len: Option<u32>,
    /// Spreadsheet cell (`sheet!B12`) when the source is a workbook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
}

/// One problem found in one place (or one return-level problem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule code, verbatim: `8840`, `2886Q`, `XML001`, `SES001`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The child's `LAchildID`; `None` for a return-level finding.
    pub child: Option<String>,
    /// Position of the child in the input (stable ordering and grouping); not serialised.
    #[serde(skip)]
    pub child_key: Option<u32>,
    /// The canonical table the rule is about.
    pub module: String,
    /// Every place the rule names; the first is the primary location.
    pub locations: Vec<Location>,
}

impl Finding {
    pub fn primary(&self) -> Option<&Location> {
        self.locations.first()
    }

    /// The order findings are reported in: by child in file order, then the primary
    /// location's place in the file, then code, then message and the other locations, so a rule
    /// that finds two things at one place reports them in the same order on every run (rules
    /// run at once and their rows arrive in any order).
    pub fn report_order(&self, other: &Finding) -> std::cmp::Ordering {
        let offset = |f: &Finding| f.primary().and_then(|l| l.offset).unwrap_or(0);
        let offsets = |f: &Finding| f.locations.iter().map(|l| (l.offset, l.row)).collect::<Vec<_>>();
        (self.child_key.map(|k| k + 1).unwrap_or(0), offset(self), &self.code, &self.message)
            .cmp(&(other.child_key.map(|k| k + 1).unwrap_or(0), offset(other), &other.code, &other.message))
            .then_with(|| offsets(self).cmp(&offsets(other)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Error > Severity::Query);
        assert!(Severity::Query > Severity::Warning);
        assert!(Severity::Warning > Severity::Info);
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), s);
        }
        assert!("fatal".parse::<Severity>().is_err());
    }

    #[test]
    fn report_order_is_total_for_findings_at_one_place() {
        let finding = |code: &str, message: &str, child: Option<u32>, offset: u64| Finding {
            code: code.into(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
            child: None,
            child_key: child,
            module: "CINdetails".into(),
            locations: vec![Location {
                table: "CINdetails".into(),
                row: Some(1),
                field: None,
                file: None,
                line: None,
                column: None,
                offset: Some(offset),
                len: None,
                cell: None,
            }],
        };
        let mut a = vec![finding("2990", "b", Some(0), 10), finding("2990", "a", Some(0), 10), finding("1", "z", None, 99), finding("2990", "a", Some(0), 5)];
        let mut b = a.clone();
        b.reverse();
        a.sort_by(Finding::report_order);
        b.sort_by(Finding::report_order);
        assert_eq!(a, b);
        let order: Vec<_> = a.iter().map(|f| (f.child_key, f.message.as_str())).collect();
        assert_eq!(order, vec![(None, "z"), (Some(0), "a"), (Some(0), "a"), (Some(0), "b")]);
        assert_eq!(a[1].primary().unwrap().offset, Some(5));
    }
}
