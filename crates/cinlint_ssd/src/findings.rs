//! The export reader's own findings (family `SSD`), documented in `rules/cinlint/SSD*.toml`.

use cinlint_ingest::reader_findings::{pending, Limit};
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
/// At most [`cinlint_ingest::reader_findings::LISTED_PER_KIND`] of one kind are listed; the rest
/// are counted (see [`Findings::closing`]), so a damaged export cannot exhaust memory.
#[derive(Default)]
pub struct Findings {
    pub items: Vec<(PendingFinding, Option<String>)>,
    limit: Limit,
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
        if self.limit.admit(&p) {
            self.items.push((p, person.map(str::to_string)));
        }
    }

    /// These findings followed by those of a later file or table of the same export (merged in
    /// a fixed order, so the listing does not depend on which core read what).
    pub fn append(&mut self, later: Findings) {
        for (p, person) in later.items {
            if self.limit.admit(&p) {
                self.items.push((p, person));
            }
        }
        self.limit.add_unlisted(&later.limit);
    }

    /// One finding per kind that had findings not listed, saying how many (no person).
    pub fn closing(&self) -> Vec<PendingFinding> {
        self.limit.closing_findings()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinlint_ingest::reader_findings::LISTED_PER_KIND;

    fn bad_dates(n: usize) -> Findings {
        let mut findings = Findings::default();
        for i in 0..n {
            findings.push(BAD_VALUE, Severity::Warning, format!("bad date {i}"), "", Pos::new(0, i as u64), "ssd_person", None, None);
        }
        findings
    }

    /// Files read on any core and merged in file order list and count as one reading would.
    #[test]
    fn one_kind_is_listed_up_to_the_limit_across_files() {
        let mut findings = bad_dates(LISTED_PER_KIND - 1);
        findings.append(bad_dates(5));
        findings.append(bad_dates(2));
        assert_eq!(findings.items.len(), LISTED_PER_KIND);
        let closing = findings.closing();
        assert_eq!(closing.len(), 1);
        assert!(closing[0].finding.message.starts_with("6 more SSD004 findings not listed"), "{}", closing[0].finding.message);
        assert_eq!(closing[0].pos, Pos::new(0, 1), "the first finding not listed is the second of the second file");
    }
}
