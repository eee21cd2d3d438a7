//! The export reader's own findings (family `SSD`), documented in `rules/cinlint/SSD*.toml`.

use cinlint_ingest::reader_findings::pending;
use cinlint_ingest::tables::PendingFinding;
use cinlint_ingest::Pos;
use cinlint_model::Severity;

/// An optional table was not supplied (info).
pub const NOT_SUPPLIED: &str = "SSD001";
/// A column that is not part of the table was ignored (warning).
pub const UNKNOWN_COLUMN: &str = "SSD002";
/// A JSON column does not parse (warning; flags recovered leniently).
pub const MALFORMED_JSON: &str = "SSD003";
/// A value does not parse as its type (date, flag) or needed cleaning.
pub const BAD_VALUE: &str = "SSD004";
/// A file in the export folder is not an SSD table and was ignored (info).
pub const IGNORED_FILE: &str = "SSD005";
/// A row's key is blank or repeated; the row is skipped (error).
pub const DUPLICATE_KEY: &str = "SSD006";
/// A record cannot be linked (unknown person, unscoped episode, link by date).
pub const UNLINKED: &str = "SSD007";
/// A census value derived from the export needs attention (both UPN and reason, unmapped code…).
pub const MAPPING: &str = "SSD008";

/// Findings collected while reading, with the person each is about (resolved to a child later).
#[derive(Default)]
pub struct Findings {
    pub items: Vec<(PendingFinding, Option<String>)>,
}

impl Findings {
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        code: &str,
        severity: Severity,
        message: String,
        help: &str,
        pos: Pos,
        table: &'static str,
        field: Option<&str>,
        person: Option<&str>,
    ) {
        let p = pending(code, severity, message, help, pos, table, None, field, None);
        self.items.push((p, person.map(str::to_string)));
    }
}
