//! `cinlint.toml`: the settings of cinlint's own checks (thresholds and severities), the
//! completeness score's weights, and an export's column mapping.
//!
//! The defaults are one documented file, `rules/cinlint.toml`, embedded in the binary. A user's
//! `cinlint.toml` overrides any of its values (see [`Config::overridden_by`] for how each section
//! merges); a check setting the defaults do not have is a mistake and is reported with its place
//! in the file.

use crate::rule::Rule;
use cinlint_model::Severity;
use std::collections::BTreeMap;
use std::ops::Range;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_config.rs"));
}

/// A mistake in a config file, with the byte range it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    pub message: String,
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// One check's settings: an optional severity and its named parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckSettings {
    pub severity: Option<Severity>,
    pub params: BTreeMap<String, toml::Value>,
}

/// A parsed config file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `[checks.CODE]` sections.
    pub checks: BTreeMap<String, CheckSettings>,
    /// `[score]`, read by the completeness score. After [`Config::overridden_by`] it is the
    /// whole definition: the user's keys merged over the built-in ones.
    pub score: toml::Table,
    /// `[mapping]`, read by the export reader for non-SSD layouts.
    pub mapping: Option<toml::Table>,
    /// The text it was parsed from (for diagnostics on later stages), and its name.
    pub source: Option<(String, String)>,
}

type SpannedTable = BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>;

impl Config {
    /// The embedded defaults (`rules/cinlint.toml`).
    /// Parsed once per process: every rule example and every command starts from it.
    pub fn defaults() -> Config {
        static DEFAULTS: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
        DEFAULTS
            .get_or_init(|| Config::parse("rules/cinlint.toml", embedded::DEFAULT_CONFIG).expect("the embedded rules/cinlint.toml is valid (tested)"))
            .clone()
    }

    /// Parses a config file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let error = |message: String, span: Option<Range<usize>>| ConfigError { file: file.to_string(), message, span, help: None };
        let top: SpannedTable = toml::from_str(text).map_err(|e| error(e.message().to_string(), e.span()))?;
        let mut config = Config { source: Some((file.to_string(), text.to_string())), ..Config::default() };
        for (key, value) in top {
            match key.get_ref().as_str() {
                "checks" => {
                    let checks = value
                        .get_ref()
                        .as_table()
                        .ok_or_else(|| error("[checks] must be a table of [checks.CODE] sections".into(), Some(value.span())))?;
                    for (code, section) in checks {
                        let settings = parse_check(file, text, code, section)?;
                        config.checks.insert(code.clone(), settings);
                    }
                }
                "score" => {
                    config.score = value.get_ref().as_table().cloned().ok_or_else(|| error("[score] must be a table".into(), Some(value.span())))?;
                }
                "mapping" => {
                    config.mapping =
                        Some(value.get_ref().as_table().cloned().ok_or_else(|| error("[mapping] must be a table".into(), Some(value.span())))?);
                }
                other => {
                    return Err(ConfigError {
                        help: Some("A cinlint.toml has [checks.CODE], [score] and [mapping] sections.".into()),
                        ..error(format!("unknown section `{other}`"), Some(key.span()))
                    })
                }
            }
        }
        Ok(config)
    }

    /// These defaults overridden by `user`, each section at its own depth:
    /// - `[checks.CODE]`: key by key (`severity` and each parameter); every check and key `user`
    ///   sets must exist in the defaults, with a value of the default's type;
    /// - `[score]`: merged deep (`merge_deep`): a table key by key, recursively, while an array,
    ///   a scalar or a field's `applies_when` condition replaces the default whole; new keys (a
    ///   field, a module, a profile) are added, and the score definition validates the result;
    /// - `[mapping]`: replaced whole (a mapping describes one export layout; mappings are never
    ///   merged, docs/export-mapping.md).
    pub fn overridden_by(&self, user: &Config) -> Result<Config, ConfigError> {
        let (file, text) = user.source.clone().unwrap_or_default();
        let mut merged = self.clone();
        for (code, settings) in &user.checks {
            let Some(base) = merged.checks.get_mut(code) else {
                let known: Vec<&str> = self.checks.keys().map(String::as_str).collect();
                return Err(ConfigError {
                    file,
                    message: format!("[checks.{code}]: no check with settings has this code"),
                    span: find_span(&text, &format!("checks.{code}")),
                    help: Some(format!("Checks with settings: {}.", known.join(", "))),
                });
            };
            if settings.severity.is_some() {
                base.severity = settings.severity;
            }
            for (name, value) in &settings.params {
                let Some(default) = base.params.get(name) else {
                    let known: Vec<&str> = base.params.keys().map(String::as_str).collect();
                    return Err(ConfigError {
                        file,
                        message: format!("[checks.{code}]: `{name}` is not a setting of {code}"),
                        span: find_key_span(&text, code, name),
                        help: Some(if known.is_empty() {
                            format!("{code} only takes `severity`.")
                        } else {
                            format!("{code} takes `severity` and {}.", known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))
                        }),
                    });
                };
                if std::mem::discriminant(default) != std::mem::discriminant(value) && !(default.is_float() && value.is_integer()) {
                    return Err(ConfigError {
                        file,
                        message: format!("[checks.{code}]: `{name}` must be of type {} like its default ({default})", default.type_str()),
                        span: find_key_span(&text, code, name),
                        help: None,
                    });
                }
                base.params.insert(name.clone(), value.clone());
            }
        }
        merge_deep(&mut merged.score, &user.score);
        if user.mapping.is_some() {
            merged.mapping = user.mapping.clone();
        }
        merged.source = user.source.clone().or(merged.source);
        Ok(merged)
    }

    /// The rule with this config applied: its SQL's `${name}` placeholders replaced by the
    /// check's parameters, and its severity overridden when set.
    pub fn apply(&self, rule: &Rule) -> Result<Rule, String> {
        let settings = self.checks.get(&rule.code);
        let mut rule = rule.clone();
        if let Some(severity) = settings.and_then(|s| s.severity) {
            rule.severity = Some(severity);
        }
        if let Some(sql) = &rule.sql {
            rule.sql = Some(substitute(sql, |name| settings.and_then(|s| s.params.get(name)).map(sql_literal)).map_err(|name| {
                format!("rules/{}: `${{{name}}}` has no value: add `{name}` to [checks.{}] in rules/cinlint.toml", rule.path, rule.code)
            })?);
        }
        Ok(rule)
    }
}

/// Keys whose table is one value rather than a section of settings, so a user's table replaces
/// the default's whole: a score field's `applies_when` is one condition (`{ present = "COL" }`,
/// `{ not = C }`, …), and merging two would give a condition with two operators.
const WHOLE_TABLES: &[&str] = &["applies_when"];

/// `over` merged into `base`: where both hold a table under a key (not one of [`WHOLE_TABLES`]),
/// the two merge key by key, recursively; any other value of `over` (an array, a scalar, a table
/// over a value that is not one) replaces `base`'s whole. Keys only `over` has are added.
fn merge_deep(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(base)), toml::Value::Table(over)) if !WHOLE_TABLES.contains(&key.as_str()) => merge_deep(base, over),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

fn parse_check(file: &str, text: &str, code: &str, section: &toml::Value) -> Result<CheckSettings, ConfigError> {
    let error = |message: String, span: Option<Range<usize>>| ConfigError { file: file.to_string(), message, span, help: None };
    let header = find_span(text, &format!("checks.{code}"));
    let table = section.as_table().ok_or_else(|| error(format!("[checks.{code}] must be a table"), header.clone()))?;
    let mut settings = CheckSettings::default();
    for (name, value) in table {
        if name == "severity" {
            let word = value.as_str().unwrap_or_default();
            let severity = word
                .parse::<Severity>()
                .map_err(|e| error(format!("[checks.{code}]: {e}"), find_key_span(text, code, "severity")))?;
            settings.severity = Some(severity);
        } else {
            settings.params.insert(name.clone(), value.clone());
        }
    }
    Ok(settings)
}

/// Where key `name` of section `[checks.CODE]` is written (the section header if the key is
/// not found, e.g. when written as an inline table).
fn find_key_span(text: &str, code: &str, name: &str) -> Option<Range<usize>> {
    let header = find_span(text, &format!("checks.{code}"))?;
    let section_end = text[header.end..].find("\n[").map_or(text.len(), |i| header.end + i);
    find_span(&text[header.end..section_end], name).map(|r| r.start + header.end..r.end + header.end).or(Some(header))
}

/// The first place `needle` is written as a key or header in `text` (for labelling errors).
fn find_span(text: &str, needle: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if !trimmed.starts_with('#') {
            if let Some(at) = trimmed.find(needle) {
                let before = &trimmed[..at];
                let after = trimmed[at + needle.len()..].trim_start();
                if (before.is_empty() || before.ends_with('[') || before.ends_with('.')) && (after.starts_with('=') || after.starts_with(']')) {
                    let start = offset + indent + at;
                    return Some(start..start + needle.len());
                }
            }
        }
        offset += line.len();
    }
    None
}

/// A TOML value as a SQL literal.
fn sql_literal(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        toml::Value::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        toml::Value::Float(f) => format!("{f:?}"),
        other => other.to_string(),
    }
}

/// Replaces every `${name}` in `sql`; the error is the first name `lookup` has no value for.
pub fn substitute(sql: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = after[..end].trim();
        out.push_str(&lookup(name).ok_or_else(|| name.to_string())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The `${name}` placeholders a SQL text uses.
pub fn placeholders(sql: &str) -> Vec<String> {
    let names = std::cell::RefCell::new(Vec::new());
    let _ = substitute(sql, |name| {
        names.borrow_mut().push(name.to_string());
        Some(String::new())
    });
    names.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_parameters_as_literals() {
        let sql = "WHERE d > add_days(s, 7 * ${weeks}) AND x = ${name} AND ${on}";
        let out = substitute(sql, |n| match n {
            "weeks" => Some(sql_literal(&toml::Value::Integer(13))),
            "name" => Some(sql_literal(&toml::Value::String("it's".into()))),
            "on" => Some(sql_literal(&toml::Value::Boolean(true))),
            _ => None,
        })
        .unwrap();
        assert_eq!(out, "WHERE d > add_days(s, 7 * 13) AND x = 'it''s' AND TRUE");
        assert_eq!(substitute("${missing}", |_| None), Err("missing".to_string()));
        assert_eq!(placeholders(sql), ["weeks", "name", "on"]);
    }

    #[test]
    fn defaults_parse_and_user_values_override_them() {
        let defaults = Config::defaults();
        let weeks = &defaults.checks["REV001"].params["review_interval_weeks"];
        assert_eq!(weeks.as_integer(), Some(13));
        let user = Config::parse("cinlint.toml", "[checks.REV001]\nreview_interval_weeks = 6\nseverity = \"query\"\n").unwrap();
        let merged = defaults.overridden_by(&user).unwrap();
        assert_eq!(merged.checks["REV001"].params["review_interval_weeks"].as_integer(), Some(6));
        assert_eq!(merged.checks["REV001"].severity, Some(Severity::Query));
    }

    #[test]
    fn a_nested_score_override_keeps_the_sibling_defaults() {
        let defaults = Config::defaults();
        let text = "[score.fields.sex]\nweight = 2\n[score.profiles]\ncensus = [\"child\"]\n";
        let merged = defaults.overridden_by(&Config::parse("cinlint.toml", text).unwrap()).unwrap();
        let at = |config: &Config, path: &str| path.split('.').fold(toml::Value::Table(config.score.clone()), |v, k| v[k].clone());
        assert_eq!(at(&merged, "fields.sex.weight").as_integer(), Some(2));
        for sibling in ["fields.sex.column", "fields.sex.unknown", "fields.ethnicity", "modules", "unknown_credit", "profiles.extended"] {
            assert_eq!(at(&merged, sibling), at(&defaults, sibling), "{sibling} keeps its default");
        }
        assert_eq!(at(&merged, "profiles.census"), toml::Value::Array(vec!["child".into()]), "an array is replaced whole");
    }

    #[test]
    fn a_condition_and_a_mapping_are_replaced_whole() {
        let defaults = Config::defaults();
        let text = "[score.fields.primary_need]\napplies_when = { present = \"ReferralNFA\" }\n[mapping.ssd_person]\nfile = \"children.csv\"\n";
        let merged = defaults.overridden_by(&Config::parse("cinlint.toml", text).unwrap()).unwrap();
        let field = merged.score["fields"]["primary_need"].as_table().unwrap();
        let condition: toml::Table = toml::from_str("present = \"ReferralNFA\"").unwrap();
        assert_eq!(field["applies_when"], toml::Value::Table(condition), "not merged with the default `not` condition");
        assert_eq!(field["title"], defaults.score["fields"]["primary_need"]["title"]);
        assert_eq!(merged.mapping.unwrap()["ssd_person"]["file"].as_str(), Some("children.csv"));
    }

    #[test]
    fn mistakes_point_at_their_line() {
        let defaults = Config::defaults();
        let text = "# mine\n[checks.REV001]\nreview_intervall_weeks = 6\n";
        let err = defaults.overridden_by(&Config::parse("cinlint.toml", text).unwrap()).unwrap_err();
        assert!(err.message.contains("review_intervall_weeks"), "{err}");
        let span = err.span.unwrap();
        assert_eq!(&text[span], "review_intervall_weeks");
        assert!(err.help.unwrap().contains("review_interval_weeks"));

        let text = "[checks.ZZZ999]\nseverity = \"error\"\n";
        let err = defaults.overridden_by(&Config::parse("cinlint.toml", text).unwrap()).unwrap_err();
        assert_eq!(&text[err.span.unwrap()], "checks.ZZZ999");

        let text = "[checks.REV001]\nseverity = \"fatal\"\n";
        let err = Config::parse("cinlint.toml", text).unwrap_err();
        assert!(err.message.contains("`fatal` is not a severity"), "{err}");
        assert_eq!(&text[err.span.unwrap()], "severity");

        let text = "[checks.REV001]\nreview_interval_weeks = \"13\"\n";
        let err = defaults.overridden_by(&Config::parse("cinlint.toml", text).unwrap()).unwrap_err();
        assert!(err.message.contains("must be of type integer"), "{err}");

        let err = Config::parse("cinlint.toml", "[checks\n").unwrap_err();
        assert!(err.span.is_some());
        let err = Config::parse("cinlint.toml", "[colour]\n").unwrap_err();
        assert!(err.message.contains("unknown section `colour`"));
    }
}
