//! JSON Lines: one finding per line, stable keys, no timings (same input → same bytes).

use cinlint_model::{Finding, Location};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Line<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    child: Option<&'a str>,
    module: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<&'a str>,
    help: Option<&'a str>,
    locations: &'a [Location],
}

pub fn write_jsonl(findings: &[Finding], out: &mut impl Write) -> std::io::Result<()> {
    for f in findings {
        let primary = f.primary();
        let line = Line {
            code: &f.code,
            severity: f.severity.as_str(),
            message: &f.message,
            child: f.child.as_deref(),
            module: &f.module,
            file: primary.and_then(|l| l.file.as_deref()),
            line: primary.and_then(|l| l.line),
            column: primary.and_then(|l| l.column),
            cell: primary.and_then(|l| l.cell.as_deref()),
            help: f.help.as_deref(),
            locations: &f.locations,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinlint_model::Severity;

    #[test]
    fn one_object_per_line_with_required_keys() {
        let f = Finding {
            code: "8840".into(),
            severity: Severity::Error,
            message: "m".into(),
            help: None,
            child: Some("C1".into()),
            child_key: Some(0),
            module: "ChildProtectionPlans".into(),
            locations: vec![Location {
                table: "ChildProtectionPlans".into(),
                row: Some(0),
                field: Some("CPPendDate".into()),
                file: Some("a.xml".into()),
                line: Some(12),
                column: Some(7),
                offset: Some(99),
                len: None,
                cell: None,
            }],
        };
        let mut out = Vec::new();
        write_jsonl(&[f.clone(), f], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 2);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        for key in ["code", "severity", "message", "child", "module", "file", "line", "column"] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["line"], 12);
        assert_eq!(v["severity"], "error");
    }
}
