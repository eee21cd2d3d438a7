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

    /// Sort key: file order of the primary location, then code.
    pub fn sort_key(&self) -> (u32, u64, String) {
        let offset = self.primary().and_then(|l| l.offset).unwrap_or(0);
        (self.child_key.map(|k| k + 1).unwrap_or(0), offset, self.code.clone())
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
}
