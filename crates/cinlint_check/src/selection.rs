//! `--select` / `--ignore` by code or prefix, like ruff.

/// Which rules run. An empty `select` selects everything.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    /// Splits comma-separated lists into codes/prefixes.
    pub fn new(select: &[String], ignore: &[String]) -> Self {
        let split = |items: &[String]| -> Vec<String> {
            items.iter().flat_map(|s| s.split(',')).map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()).collect()
        };
        Self { select: split(select), ignore: split(ignore) }
    }

    /// The longest matching prefix wins; a tie goes to `ignore`.
    pub fn includes(&self, code: &str) -> bool {
        let code = code.to_uppercase();
        // Group names (ALL, DFE) are the least specific; then longer prefixes are more specific.
        let specificity = |p: &String| if p == "ALL" || p == "DFE" { 0 } else { p.len() };
        let best = |list: &[String]| list.iter().filter(|p| matches(&code, p)).map(specificity).max();
        let selected = if self.select.is_empty() { Some(0) } else { best(&self.select) };
        match (selected, best(&self.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(i)) => s > i,
        }
    }
}

fn matches(code: &str, prefix: &str) -> bool {
    prefix == "ALL" || code.starts_with(prefix) || (prefix == "DFE" && code.starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_and_ignore() {
        let all = Selection::default();
        assert!(all.includes("8840"));
        let s = Selection::new(&["88".into()], &["8840".into()]);
        assert!(s.includes("8841"));
        assert!(!s.includes("8840"));
        assert!(!s.includes("1103"));
        let s = Selection::new(&["SES,REV".into()], &[]);
        assert!(s.includes("SES001") && s.includes("rev002") && !s.includes("PLN001"));
        let s = Selection::new(&["DFE".into()], &["XML".into()]);
        assert!(s.includes("2886Q") && !s.includes("XML001"));
        let s = Selection::new(&["DFE".into()], &["8".into()]);
        assert!(s.includes("1103") && !s.includes("8840"));
        let s = Selection::new(&[], &["DUR".into()]);
        assert!(s.includes("SES001") && !s.includes("DUR002"));
    }
}
