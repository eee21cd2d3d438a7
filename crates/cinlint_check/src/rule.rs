//! One rule file: metadata, docs, the check (SQL or a native reference) and its examples.

use cinlint_model::Severity;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Return,
    Child,
    Episode,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Return => "return",
            Level::Child => "child",
            Level::Episode => "episode",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExampleKind {
    Invalid,
    Valid,
}

/// An input the rule must flag (`invalid`) or must not flag (`valid`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub kind: ExampleKind,
    /// `<Child>` elements; wrapped in a `<Message>` with the pack's header.
    #[serde(default)]
    pub xml: String,
    /// Replaces the generated `<Header>`.
    pub header: Option<String>,
    /// An LA export instead of census XML: file name (`ssd_person.csv`) → CSV text.
    /// `ssd_person` and `ssd_cin_episodes` are required; other tables are optional.
    #[serde(default)]
    pub export: std::collections::BTreeMap<String, String>,
    /// For an export example: the reference date (default: the pack year's 31 March).
    pub ref_date: Option<String>,
    /// For invalid examples: exactly these LAchildIDs are flagged (`""` = a return-level finding).
    pub expect_children: Option<Vec<String>>,
    /// Optional description shown when the example fails.
    pub description: Option<String>,
}

/// A rule file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub code: String,
    #[serde(default)]
    pub removed: bool,
    pub reason: Option<String>,
    #[serde(default)]
    pub name: String,
    pub severity: Option<Severity>,
    pub level: Option<Level>,
    #[serde(default)]
    pub module: String,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub help: String,
    pub upstream: Option<String>,
    #[serde(default)]
    pub preview: bool,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub fix: String,
    pub notes: Option<String>,
    pub sql: Option<String>,
    /// A check done in Rust (e.g. `reader` for the XML reader's structural findings).
    pub native: Option<String>,
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Where the file lives under `rules/` (set when loaded).
    #[serde(skip)]
    pub path: String,
    /// First collection year this version applies to (set when loaded; None for families).
    #[serde(skip)]
    pub since: Option<cinlint_model::CollectionYear>,
}

impl Rule {
    pub fn parse(path: &str, text: &str) -> Result<Rule, String> {
        let mut rule: Rule = toml::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        rule.path = path.to_string();
        rule.message = rule.message.trim().to_string();
        Ok(rule)
    }

    pub fn severity(&self) -> Severity {
        self.severity.unwrap_or(Severity::Error)
    }

    /// Family prefix: the code's leading letters (`XML`, `SES`) or `DfE` for numeric codes.
    pub fn family(&self) -> &str {
        let letters = self.code.len() - self.code.trim_start_matches(|c: char| c.is_ascii_alphabetic()).len();
        if letters == 0 {
            "DfE"
        } else {
            &self.code[..letters]
        }
    }

    /// The export-only tables the check reads (`CinVisits`, `Household`, …): it is skipped on an
    /// input that does not supply one of them.
    pub fn requires(&self) -> Vec<&'static str> {
        let Some(sql) = &self.sql else { return Vec::new() };
        let words: std::collections::HashSet<&str> = sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect();
        cinlint_model::schema::EXPORT_TABLES.iter().map(|t| t.name).filter(|name| words.contains(name)).collect()
    }

    pub fn is_dfe(&self) -> bool {
        self.family() == "DfE"
    }

    /// The rule's fields that live in `table` (column names).
    pub fn fields_in<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter_map(move |f| f.split_once('.').filter(|(t, _)| *t == table).map(|(_, c)| c))
    }

    /// The docs as shown by `cinlint rule CODE`.
    pub fn docs(&self) -> String {
        let mut out = format!(
            "{} {} ({}{})\n\n{}\n\nSeverity: {}   Level: {}   Module: {}\nFields: {}\nMessage: {}\n",
            self.code,
            self.name,
            if self.is_dfe() { "DfE rule" } else { "cinlint check" },
            if self.preview { ", preview" } else { "" },
            self.summary.trim(),
            self.severity(),
            self.level.map_or("-", Level::as_str),
            self.module,
            self.fields.join(", "),
            self.message,
        );
        for (title, body) in [("Why it matters", &self.why), ("How to fix", &self.fix)] {
            if !body.trim().is_empty() {
                out.push_str(&format!("\n## {title}\n{}\n", body.trim()));
            }
        }
        if let Some(notes) = self.notes.as_deref().filter(|n| !n.trim().is_empty()) {
            out.push_str(&format!("\n## Notes\n{}\n", notes.trim()));
        }
        if let Some(sql) = &self.sql {
            out.push_str(&format!("\n## Check\n```sql\n{}\n```\n", sql.trim()));
        }
        for example in &self.examples {
            let title = match example.kind {
                ExampleKind::Invalid => "Invalid",
                ExampleKind::Valid => "Valid",
            };
            if example.export.is_empty() {
                out.push_str(&format!("\n## {title} example\n```xml\n{}\n```\n", example.xml.trim()));
            } else {
                out.push_str(&format!("\n## {title} example (LA export)\n"));
                for (file, csv) in &example.export {
                    out.push_str(&format!("\n{file}\n```csv\n{}\n```\n", csv.trim()));
                }
            }
        }
        out
    }
}
