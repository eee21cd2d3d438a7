//! The reader's own structural findings (family `XML`): documented like any rule in
//! `rules/cinlint/XML*.toml`. Required fields and code lists are left to the DfE rules.

use crate::source::Pos;
use crate::tables::PendingFinding;
use cinlint_model::{Finding, Severity};

pub const UNKNOWN_ELEMENT: &str = "XML001";
pub const BAD_VALUE: &str = "XML002";
pub const REPEATED_ELEMENT: &str = "XML003";
pub const OUT_OF_ORDER: &str = "XML004";

/// Builds a reader finding; `child` is filled in when the child's LAchildID is known.
pub fn pending(
    code: &str,
    severity: Severity,
    message: String,
    help: &str,
    pos: Pos,
    table: &'static str,
    row: Option<u32>,
    field: Option<&str>,
    child_key: Option<u32>,
) -> PendingFinding {
    PendingFinding {
        finding: Finding {
            code: code.to_string(),
            severity,
            message,
            help: Some(help.to_string()),
            child: None,
            child_key,
            module: table.to_string(),
            locations: Vec::new(),
        },
        pos,
        table,
        row,
        field: field.map(str::to_string),
    }
}
