//! The one-line summary: children, findings by severity.

use cinlint_model::{Finding, Severity};

pub fn counts(findings: &[Finding]) -> [(Severity, usize); 4] {
    Severity::ALL.map(|s| (s, findings.iter().filter(|f| f.severity == s).count()))
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "query") => format!("{n} queries"),
        _ => format!("{n} {word}s"),
    }
}

/// `"12 errors, 3 queries, 5 warnings, 0 info"`.
pub fn severity_counts(findings: &[Finding]) -> String {
    counts(findings)
        .iter()
        .map(|(s, n)| if *s == Severity::Info { format!("{n} info") } else { plural(*n, s.as_str()) })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Children with at least one finding.
pub fn children_flagged(findings: &[Finding]) -> usize {
    let mut keys: Vec<u32> = findings.iter().filter_map(|f| f.child_key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording() {
        assert_eq!(severity_counts(&[]), "0 errors, 0 queries, 0 warnings, 0 info");
    }
}
