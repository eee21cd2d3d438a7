//! The reader's own structural findings (family `XML`): documented like any rule in
//! `rules/cinlint/XML*.toml`. Required fields and code lists are left to the DfE rules.

use crate::source::Pos;
use crate::tables::PendingFinding;
use cinlint_model::{Finding, Severity};

pub const UNKNOWN_ELEMENT: &str = "XML001";
pub const BAD_VALUE: &str = "XML002";
pub const REPEATED_ELEMENT: &str = "XML003";
pub const OUT_OF_ORDER: &str = "XML004";

/// How many findings of one kind (code) a reader lists for one input; the rest are counted in
/// one closing finding. High enough never to hide a real return's findings (a national return
/// of 700,000 children has a few thousand of any kind), low enough that a damaged or junk-filled
/// file cannot exhaust memory listing the same problem (3 million unknown elements in a 21 MB
/// file took 3.7 GB and 30 s before this limit).
pub const LISTED_PER_KIND: usize = 100_000;

/// Counts a reader's findings per kind and says which are listed.
#[derive(Debug, Clone)]
pub struct Limit {
    per_kind: usize,
    kinds: Vec<Kind>,
}

#[derive(Debug, Clone)]
struct Kind {
    code: String,
    listed: usize,
    unlisted: usize,
    severity: Severity,
    /// Where the first finding not listed is, and its table.
    first_unlisted: Option<(Pos, &'static str)>,
}

impl Default for Limit {
    fn default() -> Self {
        Self::new(LISTED_PER_KIND)
    }
}

impl Limit {
    pub fn new(per_kind: usize) -> Self {
        Self { per_kind, kinds: Vec::new() }
    }

    fn kind(&mut self, code: &str) -> &mut Kind {
        match self.kinds.iter().position(|k| k.code == code) {
            Some(i) => &mut self.kinds[i],
            None => {
                self.kinds.push(Kind { code: code.to_string(), listed: 0, unlisted: 0, severity: Severity::Info, first_unlisted: None });
                self.kinds.last_mut().expect("just pushed")
            }
        }
    }

    /// Counts a finding; whether it is to be listed.
    pub fn admit(&mut self, finding: &PendingFinding) -> bool {
        let per_kind = self.per_kind;
        let kind = self.kind(&finding.finding.code);
        if kind.listed < per_kind {
            kind.listed += 1;
            return true;
        }
        kind.unlisted += 1;
        kind.severity = kind.severity.max(finding.finding.severity);
        kind.first_unlisted.get_or_insert((finding.pos, finding.table));
        false
    }

    /// Adds the findings a later part of the same input did not list (after its listed ones
    /// went through [`Limit::admit`]), so parts read at once count as one pass would.
    pub fn add_unlisted(&mut self, later: &Limit) {
        for theirs in later.kinds.iter().filter(|k| k.unlisted > 0) {
            let mine = self.kind(&theirs.code);
            mine.unlisted += theirs.unlisted;
            mine.severity = mine.severity.max(theirs.severity);
            if mine.first_unlisted.is_none() {
                mine.first_unlisted = theirs.first_unlisted;
            }
        }
    }

    /// One finding per kind that had findings not listed, saying how many.
    pub fn closing_findings(&self) -> Vec<PendingFinding> {
        self.kinds
            .iter()
            .filter_map(|k| {
                let (pos, table) = k.first_unlisted?;
                let plural = if k.unlisted == 1 { "" } else { "s" };
                Some(pending(
                    &k.code,
                    k.severity,
                    format!("{} more {} finding{plural} not listed, from here on: cinlint lists the first {} of each kind in an input", k.unlisted, k.code, self.per_kind),
                    "The listed findings show the pattern; fix their cause (often one setting of the export) and check again.",
                    pos,
                    table,
                    None,
                    None,
                    None,
                ))
            })
            .collect()
    }
}

/// A reader's findings: listed up to the [`Limit`], the rest counted.
#[derive(Debug, Default)]
pub struct Listing {
    pub listed: Vec<PendingFinding>,
    pub limit: Limit,
}

impl Listing {
    pub fn push(&mut self, finding: PendingFinding) {
        if self.limit.admit(&finding) {
            self.listed.push(finding);
        }
    }

    /// These findings followed by those of a later part of the same input.
    pub fn append(&mut self, later: Listing) {
        for finding in later.listed {
            self.push(finding);
        }
        self.limit.add_unlisted(&later.limit);
    }

    /// The listed findings, then one per kind saying how many were not listed.
    pub fn finish(mut self) -> Vec<PendingFinding> {
        self.listed.extend(self.limit.closing_findings());
        self.listed
    }
}

/// Builds a reader finding; `child` is filled in when the child's LAchildID is known.
#[allow(clippy::too_many_arguments)]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: &str, at: u64) -> PendingFinding {
        pending(code, Severity::Warning, format!("{code} at {at}"), "", Pos::new(0, at), "Header", None, None, None)
    }

    fn listing(items: &[(&str, u64)], per_kind: usize) -> Listing {
        let mut listing = Listing { listed: Vec::new(), limit: Limit::new(per_kind) };
        for (code, at) in items {
            listing.push(finding(code, *at));
        }
        listing
    }

    #[test]
    fn a_kind_is_listed_up_to_the_limit_then_counted_once() {
        let items: Vec<(&str, u64)> = (0..5).map(|i| ("XML001", i)).chain([("XML002", 9)]).collect();
        let out = listing(&items, 2).finish();
        let codes: Vec<(&str, u64)> = out.iter().map(|p| (p.finding.code.as_str(), p.pos.local())).collect();
        assert_eq!(codes, vec![("XML001", 0), ("XML001", 1), ("XML002", 9), ("XML001", 2)]);
        assert!(out[3].finding.message.starts_with("3 more XML001 findings not listed"), "{}", out[3].finding.message);
    }

    /// Parts read at once list and count exactly as one pass over the whole input.
    #[test]
    fn parts_appended_count_as_one_pass() {
        let items: Vec<(&str, u64)> = (0..12).map(|i| (if i % 3 == 0 { "XML002" } else { "XML001" }, i)).collect();
        let whole = listing(&items, 3).finish();
        for cut in [0, 2, 5, 9, 12] {
            for second_cut in [cut, (cut + 4).min(12)] {
                let mut parts = listing(&items[..cut], 3);
                parts.append(listing(&items[cut..second_cut], 3));
                parts.append(listing(&items[second_cut..], 3));
                let parts = parts.finish();
                assert_eq!(format!("{parts:?}"), format!("{whole:?}"), "cut at {cut} and {second_cut}");
            }
        }
    }
}
