//! The rule book: every embedded rule file, and the pack (overlaid rule set) for a collection year.

use crate::rule::Rule;
use cinlint_model::CollectionYear;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// `rules/dfe/<year>/pack.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackInfo {
    pub year: String,
    pub reference_date: String,
    #[serde(default)]
    pub summary: String,
}

/// One year's folder as written: its pack file and the rule files it adds, changes or removes.
#[derive(Debug, Clone)]
pub struct YearFolder {
    pub year: CollectionYear,
    pub info: PackInfo,
    pub rules: Vec<Arc<Rule>>,
}

/// All embedded rules.
#[derive(Debug, Clone)]
pub struct RuleBook {
    pub years: Vec<YearFolder>,
    /// cinlint's own families (`rules/cinlint/`), in force in every year.
    pub families: Vec<Arc<Rule>>,
}

/// The rules in force for one collection year.
#[derive(Debug, Clone)]
pub struct Pack {
    pub year: CollectionYear,
    /// DfE rules then cinlint families, sorted by code.
    pub rules: Vec<Arc<Rule>>,
}

impl RuleBook {
    /// Loads the rule files embedded at build time.
    pub fn embedded() -> Result<RuleBook, String> {
        Self::from_files(embedded::RULE_FILES.iter().map(|(p, t)| (*p, *t)))
    }

    pub fn from_files<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> Result<RuleBook, String> {
        let mut years: BTreeMap<CollectionYear, (Option<PackInfo>, Vec<Arc<Rule>>)> = BTreeMap::new();
        let mut families = Vec::new();
        let mut errors = Vec::new();
        for (path, text) in files {
            let parts: Vec<&str> = path.split('/').collect();
            match parts.as_slice() {
                ["dfe", year, file] => {
                    let Ok(year_value) = year.parse::<CollectionYear>() else {
                        errors.push(format!("rules/{path}: folder `{year}` is not a collection year like 2025-26"));
                        continue;
                    };
                    let entry = years.entry(year_value).or_default();
                    if *file == "pack.toml" {
                        match toml::from_str::<PackInfo>(text) {
                            Ok(info) => entry.0 = Some(info),
                            Err(e) => errors.push(format!("rules/{path}: {e}")),
                        }
                    } else {
                        match Rule::parse(path, text) {
                            Ok(mut rule) => {
                                rule.since = Some(year_value);
                                entry.1.push(Arc::new(rule));
                            }
                            Err(e) => errors.push(format!("rules/{e}")),
                        }
                    }
                }
                ["cinlint", _] => match Rule::parse(path, text) {
                    Ok(rule) => families.push(Arc::new(rule)),
                    Err(e) => errors.push(format!("rules/{e}")),
                },
                _ => errors.push(format!("rules/{path}: rule files live in rules/dfe/<year>/ or rules/cinlint/")),
            }
        }
        let mut folders = Vec::new();
        for (year, (info, rules)) in years {
            match info {
                Some(info) => folders.push(YearFolder { year, info, rules }),
                None => errors.push(format!("rules/dfe/{year}/ has no pack.toml")),
            }
        }
        if errors.is_empty() {
            Ok(RuleBook { years: folders, families })
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Years that have a pack.
    pub fn pack_years(&self) -> Vec<CollectionYear> {
        self.years.iter().map(|y| y.year).collect()
    }

    /// The pack year to use for `year`: itself when a pack exists, else the nearest one.
    pub fn nearest_year(&self, year: CollectionYear) -> Option<CollectionYear> {
        self.pack_years().into_iter().min_by_key(|y| ((y.end_year - year.end_year).abs(), -y.end_year))
    }

    /// The rules in force in `year` (which must have a pack): the earliest folder overlaid by
    /// each later folder up to `year`, plus cinlint's families.
    pub fn pack(&self, year: CollectionYear) -> Pack {
        let mut in_force: BTreeMap<String, Arc<Rule>> = BTreeMap::new();
        for folder in self.years.iter().filter(|f| f.year <= year) {
            for rule in &folder.rules {
                if rule.removed {
                    in_force.remove(&rule.code);
                } else {
                    in_force.insert(rule.code.clone(), rule.clone());
                }
            }
        }
        let mut rules: Vec<Arc<Rule>> = in_force.into_values().collect();
        rules.sort_by_key(|r| sort_key(&r.code));
        let mut families = self.families.clone();
        families.sort_by(|a, b| a.code.cmp(&b.code));
        rules.extend(families);
        Pack { year, rules }
    }

    /// Every version of a rule code, oldest first.
    pub fn versions(&self, code: &str) -> Vec<Arc<Rule>> {
        let code = code.to_uppercase();
        let mut found: Vec<Arc<Rule>> =
            self.years.iter().flat_map(|y| y.rules.iter()).filter(|r| r.code.to_uppercase() == code).cloned().collect();
        found.extend(self.families.iter().filter(|r| r.code.to_uppercase() == code).cloned());
        found
    }
}

/// DfE codes sort by number, then suffix.
pub fn sort_key(code: &str) -> (u32, String) {
    let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u32::MAX), code.to_string())
}

impl Pack {
    /// This pack with `config` applied to every rule (parameters substituted, severities set).
    pub fn configured(&self, config: &crate::config::Config) -> Result<Pack, String> {
        let rules = self.rules.iter().map(|r| config.apply(r).map(Arc::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(Pack { year: self.year, rules })
    }

    pub fn rule(&self, code: &str) -> Option<&Arc<Rule>> {
        self.rules.iter().find(|r| r.code.eq_ignore_ascii_case(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = "year = \"2023-24\"\nreference_date = \"2024-03-31\"\n";
    const PACK2: &str = "year = \"2024-25\"\nreference_date = \"2025-03-31\"\n";

    fn rule(code: &str, name: &str) -> String {
        format!("code = \"{code}\"\nname = \"{name}\"\nseverity = \"error\"\nmodule = \"Header\"\nmessage = \"m\"\nsql = \"SELECT 1\"\n")
    }

    #[test]
    fn overlays_add_change_and_remove() {
        let a = rule("100", "old");
        let b = rule("200", "kept");
        let c = rule("100", "new");
        let removed = "code = \"200\"\nremoved = true\nreason = \"gone\"\n";
        let d = rule("300", "added");
        let files = vec![
            ("dfe/2023-24/pack.toml", PACK),
            ("dfe/2023-24/100.toml", a.as_str()),
            ("dfe/2023-24/200.toml", b.as_str()),
            ("dfe/2024-25/pack.toml", PACK2),
            ("dfe/2024-25/100.toml", c.as_str()),
            ("dfe/2024-25/200.toml", removed),
            ("dfe/2024-25/300.toml", d.as_str()),
        ];
        let book = RuleBook::from_files(files.into_iter()).unwrap();
        let old = book.pack(CollectionYear::new(2024));
        assert_eq!(old.rules.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["old", "kept"]);
        let new = book.pack(CollectionYear::new(2026));
        assert_eq!(new.rules.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["new", "added"]);
        assert_eq!(book.nearest_year(CollectionYear::new(2027)), Some(CollectionYear::new(2025)));
        assert_eq!(book.nearest_year(CollectionYear::new(2020)), Some(CollectionYear::new(2024)));
        assert_eq!(book.versions("100").len(), 2);
    }

    #[test]
    fn bad_files_are_reported_with_their_path() {
        let err = RuleBook::from_files(vec![("dfe/2023-24/1.toml", "code = ")].into_iter()).unwrap_err();
        assert!(err.contains("dfe/2023-24/1.toml"), "{err}");
        assert!(err.contains("pack.toml") || err.contains("1.toml"));
    }
}
