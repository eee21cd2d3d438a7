//! Text: miette diagnostics showing the source lines with a label on every located field,
//! grouped per child. Queries are shown as `query[CODE]`, distinct from `error[CODE]`.

use crate::source::{located_len, SourceTexts, Window};
use cinlint_model::{Finding, Severity};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};
use std::fmt;

/// How the text renderer looks.
#[derive(Debug, Clone)]
pub struct TextOptions {
    pub color: bool,
    pub width: usize,
    /// Show at most this many findings with source (the rest as one line each); 0 = all.
    pub max_snippets: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self { color: false, width: 100, max_snippets: 0 }
    }
}

struct FindingDiagnostic {
    title: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    window: Option<Window>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.window.as_ref().map(|w| w as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.window.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn diagnostic(finding: &Finding, sources: &SourceTexts, with_source: bool) -> FindingDiagnostic {
    let primary = finding.primary();
    let file = primary.and_then(|l| l.file.clone());
    // CSV exports carry free-text columns (case notes): never echo their lines, only locate them.
    let shows_source = file.as_ref().is_some_and(|f| !f.to_ascii_lowercase().ends_with(".csv"));
    let text = file.as_ref().filter(|_| shows_source).and_then(|f| sources.files.get(f));
    let mut window = None;
    let mut labels = Vec::new();
    let mut elsewhere = Vec::new();
    if let (Some(text), Some(file), true) = (text, &file, with_source) {
        let same_file: Vec<_> = finding.locations.iter().filter(|l| l.file.as_ref() == Some(file) && l.offset.is_some()).collect();
        if let (Some(min), Some(max)) = (same_file.iter().filter_map(|l| l.offset).min(), same_file.iter().filter_map(|l| l.offset).max()) {
            // Keep windows small: far-apart locations are listed instead of shown.
            let near: Vec<_> = same_file.iter().filter(|l| l.offset.unwrap_or(0) <= min + 4000).collect();
            let far_max = near.iter().filter_map(|l| l.offset).max().unwrap_or(max);
            let place = same_file.iter().find(|l| l.offset == Some(min)).map_or((1, 1), |l| (l.line.unwrap_or(1), l.column.unwrap_or(1)));
            let w = Window::around(file, text, min, far_max, 1, place);
            for l in &near {
                let offset = l.offset.unwrap_or(min);
                let len = located_len(text, offset);
                let label = l.field.clone().unwrap_or_else(|| l.table.clone());
                labels.push(LabeledSpan::new_with_span(Some(label), w.span(offset, len)));
            }
            window = Some(w);
            for l in same_file.iter().filter(|l| l.offset.unwrap_or(0) > min + 4000) {
                elsewhere.push(describe(l));
            }
        }
    }
    for l in finding.locations.iter().filter(|l| l.file != file || (window.is_none() && l.line.is_some())) {
        elsewhere.push(describe(l));
    }
    let mut help = finding.help.clone().unwrap_or_default();
    if !elsewhere.is_empty() {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&format!("at {}", elsewhere.join("; ")));
    }
    let child = finding.child.as_deref().map(|c| format!(" [child {c}]")).unwrap_or_default();
    FindingDiagnostic {
        title: format!("{}{}", finding.message, child),
        code: format!("{}[{}]", finding.severity.as_str(), finding.code),
        severity: match finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Query | Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help: Some(help).filter(|h| !h.is_empty()),
        window,
        labels,
    }
}

fn describe(l: &cinlint_model::Location) -> String {
    let place = match (&l.cell, &l.file, l.line, l.column) {
        (Some(cell), Some(file), _, _) => format!("{file} {cell}"),
        (_, Some(file), Some(line), Some(col)) => format!("{file}:{line}:{col}"),
        (_, Some(file), _, _) => file.clone(),
        _ => String::from("(no location)"),
    };
    match &l.field {
        Some(field) => format!("{place} ({}.{field})", l.table),
        None => format!("{place} ({})", l.table),
    }
}

/// One finding as a miette report.
pub fn render_finding(finding: &Finding, sources: &SourceTexts, options: &TextOptions, with_source: bool) -> String {
    let theme = if options.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(options.width).with_context_lines(1);
    let mut out = String::new();
    let diag = diagnostic(finding, sources, with_source);
    if handler.render_report(&mut out, &diag).is_err() {
        out = format!("{}: {}\n", diag.code, diag.title);
    }
    out
}

/// All findings, grouped per child (return-level findings first).
pub fn render(findings: &[Finding], sources: &SourceTexts, options: &TextOptions) -> String {
    let mut out = String::new();
    let mut current: Option<Option<&str>> = None;
    for (i, f) in findings.iter().enumerate() {
        let child = f.child.as_deref();
        if current != Some(child) {
            let count = findings[i..].iter().take_while(|g| g.child.as_deref() == child).count();
            let heading = match child {
                Some(c) => format!("── child {c} ({count} finding{}) ", if count == 1 { "" } else { "s" }),
                None => format!("── return ({count} finding{}) ", if count == 1 { "" } else { "s" }),
            };
            out.push_str(&format!("{heading:─<width$}\n", width = options.width.min(80)));
            current = Some(child);
        }
        let with_source = options.max_snippets == 0 || i < options.max_snippets;
        out.push_str(&render_finding(f, sources, options, with_source));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinlint_model::Location;
    use std::sync::Arc;

    #[test]
    fn snapshot_of_a_located_query() {
        let text = "<Message>\n  <Child>\n    <CPPstartDate>2025-05-01</CPPstartDate>\n    <CPPendDate>2025-04-01</CPPendDate>\n  </Child>\n</Message>\n";
        let mut sources = SourceTexts::default();
        sources.insert("r.xml", Arc::new(text.as_bytes().to_vec()));
        let at = |field: &str, needle: &str, line: u32| Location {
            table: "ChildProtectionPlans".into(),
            row: Some(0),
            field: Some(field.into()),
            file: Some("r.xml".into()),
            line: Some(line),
            column: Some(5),
            offset: Some(text.find(needle).unwrap() as u64),
            len: None,
            cell: None,
        };
        let f = Finding {
            code: "8840".into(),
            severity: Severity::Query,
            message: "The child protection plan start date cannot be after the end date".into(),
            help: Some("Correct the dates.".into()),
            child: Some("C1".into()),
            child_key: Some(0),
            module: "ChildProtectionPlans".into(),
            locations: vec![at("CPPstartDate", "<CPPstartDate>", 3), at("CPPendDate", "<CPPendDate>", 4)],
        };
        let out = render(&[f], &sources, &TextOptions::default());
        let expected = "── child C1 (1 finding) ────────────────────────────────────────────────────────
query[8840]

  ⚠ The child protection plan start date cannot be after the end date [child C1]
   ╭─[r.xml:3:5]
 2 │   <Child>
 3 │     <CPPstartDate>2025-05-01</CPPstartDate>
   ·     ───────────────────┬───────────────────
   ·                        ╰── CPPstartDate
 4 │     <CPPendDate>2025-04-01</CPPendDate>
   ·     ─────────────────┬─────────────────
   ·                      ╰── CPPendDate
 5 │   </Child>
   ╰────
  help: Correct the dates.
";
        if std::env::var("CINLINT_UPDATE").is_ok() {
            println!("{out}");
        }
        assert_eq!(out, expected, "\n{out}");
    }
}
