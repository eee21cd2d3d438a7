//! The score definition: the `[score]` section of `cinlint.toml`, parsed and validated.
//!
//! Everything the score counts is data: which fields, where each applies, which values mean
//! "recorded as unknown" (with the reason), and the weights. Mistakes are reported with the key
//! they are about, e.g. `[score.fields.sex] table: no canonical table named "ChildIdentifers"`.

use crate::ScoreError;
use cinlint_model::code_lists::{self, CodeList};
use cinlint_model::schema::{self, ColumnKind, TableDef};
use std::collections::BTreeSet;

/// The parsed `[score]` section.
#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// Credit given to a value recorded as unknown, between 0 and 1.
    pub unknown_credit: f64,
    /// Profiles by name, each the modules it scores, in report order.
    pub profiles: Vec<(String, Vec<String>)>,
    /// Every module, by id.
    pub modules: Vec<ModuleDef>,
}

/// A module: a weighted group of fields.
#[derive(Debug, Clone)]
pub struct ModuleDef {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub fields: Vec<FieldDef>,
}

/// A scored field.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub id: String,
    pub title: String,
    /// The table whose rows the field is scored on (one applicable row = one count).
    pub table: &'static TableDef,
    /// The table holding the value, when not `table`: its rows are matched to `table`'s rows on
    /// `child_key` and the ordinal keys both tables have (CINdetailsID, AssessmentID, CPPID).
    pub from: Option<&'static TableDef>,
    pub column: String,
    pub applies_when: Option<Condition>,
    /// Code lists (`cinlint_model::code_lists`) a valid value belongs to.
    pub code_lists: Vec<&'static CodeList>,
    /// Inline list of valid values (for export-only columns, which have no census code list).
    pub values: Vec<String>,
    /// A named format check (`upn`).
    pub format: Option<Format>,
    /// Values that mean "recorded as unknown", each with the reason it counts as such.
    pub unknown: Vec<UnknownValue>,
    /// When set, the unknown values are read from this column (of the value table) when the
    /// field itself is blank (UPN → UPNunknown).
    pub unknown_column: Option<String>,
    pub weight: f64,
}

impl FieldDef {
    /// The table the value is read from.
    pub fn value_table(&self) -> &'static TableDef {
        self.from.unwrap_or(self.table)
    }
}

/// A value counted as recorded-as-unknown, and why.
#[derive(Debug, Clone)]
pub struct UnknownValue {
    pub value: String,
    pub reason: String,
}

/// Named format checks for text fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// 13 characters: check letter, LA code, 8 digits, digit or letter (rules 1510–1550).
    Upn,
}

/// Where a field applies, evaluated on a row of the field's `table`.
#[derive(Debug, Clone)]
pub enum Condition {
    /// The column holds something (a value, or text that did not parse).
    Present(String),
    /// The column holds nothing.
    Blank(String),
    /// The column holds this value (text, boolean or integer; a blank never equals).
    Equals(String, toml::Value),
    /// The column's date lies in the census period, up to the as-of date.
    InPeriod(String),
    /// The row's child has at least one row in this table.
    ChildHas(&'static TableDef),
    Not(Box<Condition>),
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    /// The condition in words, for the docs and the report.
    pub fn describe(&self) -> String {
        match self {
            Condition::Present(c) => format!("{c} present"),
            Condition::Blank(c) => format!("{c} blank"),
            Condition::Equals(c, v) => format!("{c} = {}", show_value(v)),
            Condition::InPeriod(c) => format!("{c} in the census period (up to the as-of date)"),
            Condition::ChildHas(t) => format!("child has a {} row", t.name),
            Condition::Not(c) => format!("not ({})", c.describe()),
            Condition::All(cs) => cs.iter().map(wrap).collect::<Vec<_>>().join(" and "),
            Condition::Any(cs) => cs.iter().map(wrap).collect::<Vec<_>>().join(" or "),
        }
    }

    fn uses_period(&self) -> bool {
        match self {
            Condition::InPeriod(_) => true,
            Condition::Not(c) => c.uses_period(),
            Condition::All(cs) | Condition::Any(cs) => cs.iter().any(Condition::uses_period),
            _ => false,
        }
    }
}

fn wrap(c: &Condition) -> String {
    match c {
        Condition::All(_) | Condition::Any(_) => format!("({})", c.describe()),
        _ => c.describe(),
    }
}

fn show_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("`{s}`"),
        other => other.to_string(),
    }
}

impl ScoreConfig {
    /// Parses and validates a `[score]` table: the whole definition, i.e. a user's keys already
    /// merged over the built-in ones (`cinlint_check::config::Config::overridden_by`).
    pub fn from_table(table: &toml::Table) -> Result<ScoreConfig, ScoreError> {
        let score = Key::root();
        score.only(table, &["unknown_credit", "profiles", "modules", "fields"])?;
        let unknown_credit = score.child("unknown_credit").number(table.get("unknown_credit"))?;
        if !(0.0..=1.0).contains(&unknown_credit) {
            return Err(score.child("unknown_credit").error(format!("must lie between 0 and 1, not {unknown_credit}")));
        }
        let fields_key = score.child("fields");
        let fields_table = fields_key.table(table.get("fields"))?;
        let mut fields = Vec::new();
        for (id, value) in fields_table {
            let key = fields_key.section(id);
            fields.push(parse_field(&key, id, key.table(Some(value))?)?);
        }

        let modules_key = score.child("modules");
        let mut modules = Vec::new();
        let mut placed: BTreeSet<String> = BTreeSet::new();
        for (id, value) in modules_key.table(table.get("modules"))? {
            let key = modules_key.section(id);
            let module = key.table(Some(value))?;
            key.only(module, &["title", "weight", "fields"])?;
            let title = key.child("title").string(module.get("title"))?;
            let weight = key.child("weight").weight(module.get("weight"))?;
            let mut members = Vec::new();
            for name in key.child("fields").strings(module.get("fields"))? {
                let field = fields.iter().find(|f: &&FieldDef| f.id == name).ok_or_else(|| {
                    key.child("fields").error(format!("no field `{name}`: define it as [score.fields.{name}]"))
                })?;
                if !placed.insert(name.clone()) {
                    return Err(key.child("fields").error(format!("field `{name}` is in more than one module")));
                }
                members.push(field.clone());
            }
            modules.push(ModuleDef { id: id.clone(), title, weight, fields: members });
        }
        if let Some(orphan) = fields.iter().find(|f| !placed.contains(&f.id)) {
            return Err(fields_key.section(&orphan.id).error("is in no module: list it in the `fields` of one [score.modules.*]".into()));
        }

        let profiles_key = score.child("profiles");
        let mut profiles = Vec::new();
        for (name, value) in profiles_key.table(table.get("profiles"))? {
            let key = profiles_key.child(name);
            let list = key.strings(Some(value))?;
            for module in &list {
                if !modules.iter().any(|m| &m.id == module) {
                    return Err(key.error(format!("no module `{module}`: define it as [score.modules.{module}]")));
                }
            }
            profiles.push((name.clone(), list));
        }
        for needed in ["census", "extended"] {
            if !profiles.iter().any(|(n, _)| n == needed) {
                return Err(profiles_key.error(format!("the `{needed}` profile is missing")));
            }
        }
        Ok(ScoreConfig { unknown_credit, profiles, modules })
    }

    /// The modules of a profile, in its order.
    pub fn profile(&self, name: &str) -> Option<Vec<&ModuleDef>> {
        let (_, ids) = self.profiles.iter().find(|(n, _)| n == name)?;
        Some(ids.iter().filter_map(|id| self.modules.iter().find(|m| &m.id == id)).collect())
    }

    pub fn profile_names(&self) -> Vec<&str> {
        self.profiles.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Whether any field of these modules needs the census period.
    pub(crate) fn needs_period(modules: &[&ModuleDef]) -> bool {
        modules.iter().flat_map(|m| &m.fields).any(|f| f.applies_when.as_ref().is_some_and(Condition::uses_period))
    }
}

fn parse_field(key: &Key, id: &str, field: &toml::Table) -> Result<FieldDef, ScoreError> {
    key.only(
        field,
        &["title", "table", "from", "column", "applies_when", "code_list", "values", "format", "unknown", "unknown_column", "weight"],
    )?;
    let title = key.child("title").string(field.get("title"))?;
    let table = key.child("table").canonical_table(field.get("table"))?;
    if !table.is_child_table() {
        return Err(key.child("table").error(format!("`{}` has no child rows; score a child table", table.name)));
    }
    let from = field.get("from").map(|v| key.child("from").canonical_table(Some(v))).transpose()?;
    if let Some(from) = from {
        if !from.is_child_table() {
            return Err(key.child("from").error(format!("`{}` has no child rows", from.name)));
        }
        let shared = |t: &TableDef| t.keys.iter().map(|k| k.name).collect::<BTreeSet<_>>();
        if !shared(from).is_subset(&shared(table)) {
            return Err(key.child("from").error(format!(
                "`{}` is keyed below `{}` ({:?}); its rows cannot be matched to one row of `{}`",
                from.name,
                table.name,
                from.keys.iter().map(|k| k.name).collect::<Vec<_>>(),
                table.name
            )));
        }
    }
    let value_table = from.unwrap_or(table);
    let column = key.child("column").string(field.get("column"))?;
    let kind = column_kind(value_table, &column).ok_or_else(|| key.child("column").error(no_column(value_table, &column)))?;
    let applies_when = field.get("applies_when").map(|v| parse_condition(&key.child("applies_when"), table, v)).transpose()?;
    let code_list_names = match field.get("code_list") {
        None => Vec::new(),
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(v) => key.child("code_list").strings(Some(v))?,
    };
    let mut code_lists = Vec::new();
    for name in code_list_names {
        let list = code_lists::code_list(&name).ok_or_else(|| {
            let known: Vec<&str> = code_lists::CODE_LISTS.iter().map(|l| l.name).collect();
            key.child("code_list").error(format!("no code list `{name}` (known: {})", known.join(", ")))
        })?;
        code_lists.push(list);
    }
    let values = field.get("values").map(|v| key.child("values").strings(Some(v))).transpose()?.unwrap_or_default();
    let format = match field.get("format") {
        None => None,
        Some(v) => match key.child("format").string(Some(v))?.as_str() {
            "upn" => Some(Format::Upn),
            other => return Err(key.child("format").error(format!("unknown format `{other}` (known: upn)"))),
        },
    };
    let unknown_column = field.get("unknown_column").map(|v| key.child("unknown_column").string(Some(v))).transpose()?;
    if let Some(c) = &unknown_column {
        if column_kind(value_table, c) != Some(ColumnKind::Text) {
            return Err(key.child("unknown_column").error(no_text_column(value_table, c)));
        }
    }
    let has_list = !code_lists.is_empty() || !values.is_empty() || format.is_some();
    if kind != ColumnKind::Text && has_list {
        return Err(key.error(format!("`{column}` is a {kind:?} column: `code_list`, `values` and `format` are for text columns")));
    }
    let mut unknown = Vec::new();
    if let Some(list) = field.get("unknown") {
        let list_key = key.child("unknown");
        let items = list.as_array().ok_or_else(|| list_key.error("must be an array of { value, reason } tables".into()))?;
        for (i, item) in items.iter().enumerate() {
            let item_key = list_key.child(&i.to_string());
            let t = item_key.table(Some(item))?;
            item_key.only(t, &["value", "reason"])?;
            let value = item_key.child("value").string(t.get("value"))?;
            let reason = item_key.child("reason").string(t.get("reason"))?;
            if reason.trim().is_empty() {
                return Err(item_key.child("reason").error("give the reason this value counts as recorded-as-unknown".into()));
            }
            unknown.push(UnknownValue { value, reason });
        }
        if kind != ColumnKind::Text && unknown_column.is_none() {
            return Err(list_key.error(format!("`{column}` is a {kind:?} column; unknown values need a text column or `unknown_column`")));
        }
    }
    let weight = key.child("weight").weight(field.get("weight"))?;
    Ok(FieldDef {
        id: id.to_string(),
        title,
        table,
        from,
        column,
        applies_when,
        code_lists,
        values,
        format,
        unknown,
        unknown_column,
        weight,
    })
}

fn parse_condition(key: &Key, table: &'static TableDef, value: &toml::Value) -> Result<Condition, ScoreError> {
    let t = key.table(Some(value))?;
    if t.len() != 1 {
        return Err(key.error(
            "must have exactly one of present, blank, equals, in_period, child_has, not, all, any (combine several with `all`)".into(),
        ));
    }
    let (op, arg) = t.iter().next().expect("one entry");
    let k = key.child(op);
    let column = |v: &toml::Value| -> Result<String, ScoreError> {
        let c = k.string(Some(v))?;
        column_kind(table, &c).map(|_| c.clone()).ok_or_else(|| k.error(no_column(table, &c)))
    };
    Ok(match op.as_str() {
        "present" => Condition::Present(column(arg)?),
        "blank" => Condition::Blank(column(arg)?),
        "in_period" => {
            let c = column(arg)?;
            if column_kind(table, &c) != Some(ColumnKind::Date) {
                return Err(k.error(format!("`{c}` is not a date column")));
            }
            Condition::InPeriod(c)
        }
        "equals" => {
            let e = k.table(Some(arg))?;
            k.only(e, &["column", "value"])?;
            let c = k.child("column").string(e.get("column"))?;
            let kind = column_kind(table, &c).ok_or_else(|| k.child("column").error(no_column(table, &c)))?;
            let v = e.get("value").ok_or_else(|| k.child("value").error("is missing".into()))?;
            let fits = matches!(
                (kind, v),
                (ColumnKind::Text, toml::Value::String(_))
                    | (ColumnKind::Bool, toml::Value::Boolean(_))
                    | (ColumnKind::Int | ColumnKind::Ordinal, toml::Value::Integer(_))
            );
            if !fits {
                return Err(k.child("value").error(format!("`{c}` is a {kind:?} column; {v} cannot equal it")));
            }
            Condition::Equals(c, v.clone())
        }
        "child_has" => Condition::ChildHas(k.canonical_table(Some(arg))?),
        "not" => Condition::Not(Box::new(parse_condition(&k, table, arg)?)),
        "all" | "any" => {
            let items = arg.as_array().ok_or_else(|| k.error("must be an array of conditions".into()))?;
            let parsed =
                items.iter().enumerate().map(|(i, c)| parse_condition(&k.child(&i.to_string()), table, c)).collect::<Result<Vec<_>, _>>()?;
            if op == "all" {
                Condition::All(parsed)
            } else {
                Condition::Any(parsed)
            }
        }
        other => {
            return Err(k.error(format!("unknown condition `{other}` (known: present, blank, equals, in_period, child_has, not, all, any)")))
        }
    })
}

/// The kind of a table's column: a data column, or one of the keys.
fn column_kind(table: &TableDef, column: &str) -> Option<ColumnKind> {
    table.column(column).or_else(|| table.keys.iter().find(|k| k.name == column)).map(|c| c.kind)
}

fn no_column(table: &TableDef, column: &str) -> String {
    let known: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    format!("table `{}` has no column `{column}` (its columns: {})", table.name, known.join(", "))
}

fn no_text_column(table: &TableDef, column: &str) -> String {
    format!("`{column}` is not a text column of `{}`", table.name)
}

/// A key path in `[score]`, for error messages.
#[derive(Clone)]
struct Key(String);

impl Key {
    fn root() -> Key {
        Key("score".into())
    }
    fn child(&self, name: &str) -> Key {
        Key(format!("{}.{name}", self.0))
    }
    fn section(&self, name: &str) -> Key {
        self.child(name)
    }
    fn error(&self, message: String) -> ScoreError {
        ScoreError::Config { key: self.0.clone(), message }
    }
    fn only(&self, table: &toml::Table, allowed: &[&str]) -> Result<(), ScoreError> {
        match table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(self.child(k).error(format!("is not a setting here (allowed: {})", allowed.join(", ")))),
            None => Ok(()),
        }
    }
    fn table<'a>(&self, v: Option<&'a toml::Value>) -> Result<&'a toml::Table, ScoreError> {
        match v {
            Some(toml::Value::Table(t)) => Ok(t),
            Some(_) => Err(self.error("must be a table".into())),
            None => Err(self.error("is missing".into())),
        }
    }
    fn string(&self, v: Option<&toml::Value>) -> Result<String, ScoreError> {
        match v {
            Some(toml::Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.error("must be a string".into())),
            None => Err(self.error("is missing".into())),
        }
    }
    fn strings(&self, v: Option<&toml::Value>) -> Result<Vec<String>, ScoreError> {
        match v {
            Some(toml::Value::Array(items)) => {
                items.iter().map(|i| i.as_str().map(str::to_string).ok_or_else(|| self.error("must be an array of strings".into()))).collect()
            }
            Some(_) => Err(self.error("must be an array of strings".into())),
            None => Err(self.error("is missing".into())),
        }
    }
    fn number(&self, v: Option<&toml::Value>) -> Result<f64, ScoreError> {
        match v {
            Some(toml::Value::Float(f)) if f.is_finite() => Ok(*f),
            Some(toml::Value::Integer(i)) => Ok(*i as f64),
            Some(_) => Err(self.error("must be a number".into())),
            None => Err(self.error("is missing".into())),
        }
    }
    fn weight(&self, v: Option<&toml::Value>) -> Result<f64, ScoreError> {
        let w = self.number(v)?;
        if w < 0.0 {
            return Err(self.error(format!("must not be negative, not {w}")));
        }
        Ok(w)
    }
    fn canonical_table(&self, v: Option<&toml::Value>) -> Result<&'static TableDef, ScoreError> {
        let name = self.string(v)?;
        schema::table(&name).or_else(|| schema::export_table(&name)).ok_or_else(|| {
            let known: Vec<&str> = schema::TABLES.iter().chain(schema::EXPORT_TABLES).map(|t| t.name).collect();
            self.error(format!("no canonical table named `{name}` (known: {})", known.join(", ")))
        })
    }
}
