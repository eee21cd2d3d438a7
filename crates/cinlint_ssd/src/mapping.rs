//! An export in another layout, read through a mapping (`[mapping]` in `cinlint.toml`).
//!
//! A mapping says, for each SSD table cinlint reads, which file (or workbook sheet) of the
//! export holds it, which of the file's columns holds each SSD column, the table's date formats,
//! and value maps (e.g. `Male` → `M`). It is applied to the raw records *before* the SSD reader
//! sees them: header names are renamed and values rewritten, positions never change. So every
//! check and every derivation of `la-export.md` §4 runs unchanged, and every finding is located
//! in the user's own file, line and column (or sheet and cell).
//!
//! It maps onto the SSD tables rather than onto the census tables because the census is derived
//! (episode scoping, Section47/ICPC pairing, `NumberOfPreviousCPP`, UPN rules, category-of-abuse
//! codes…): mapping onto SSD columns keeps those derivations in one tested place, and the export-
//! only tables that cinlint's own checks read exist only at the SSD level. See
//! `docs/export-mapping.md`.
//!
//! Mistakes in the mapping are [`MappingError`]s holding the byte range of the offending text of
//! the mapping file, so the binary shows them on their line.

use crate::findings::{Findings, UNKNOWN_COLUMN};
use crate::read::{Field, ReadSettings, Record};
use crate::spec::{self, Req, TableSpec, Ty};
use crate::values::{check_date_format, DateFormats};
use cinlint_ingest::IngestError;
use cinlint_model::Severity;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A mistake in a mapping, with the byte range of the mapping file it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    /// The mapping file (e.g. `cinlint.toml`).
    pub file: String,
    pub message: String,
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
    /// 1-based line and column of the span's start (0 when not located).
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

impl std::error::Error for MappingError {}

impl MappingError {
    fn new(file: &str, text: &str, message: String, span: Option<Range<usize>>, help: Option<String>) -> Self {
        let (line, column) = match &span {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                (line as u32, column as u32)
            }
            None => (0, 0),
        };
        Self { file: file.to_string(), message, span, help, line, column }
    }

    /// As an input error (for callers that only report input errors).
    pub fn into_input(self) -> IngestError {
        let mut error = IngestError::whole_file(Path::new(&self.file), "mapping", self.message);
        error.line = self.line;
        error.column = self.column;
        error.offset = self.span.map(|s| s.start as u64);
        error.help = self.help;
        error
    }
}

/// A value and where it is written in the mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// One SSD column read from a column of the user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// Index into the table's [`TableSpec::columns`].
    pub column: usize,
    /// The user's column name (matched trimmed and ignoring case).
    pub source: String,
    /// The whole `ssd_column = "User column"` entry.
    pub span: Range<usize>,
}

/// Value replacements for one SSD column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueMap {
    pub column: usize,
    /// Lower-cased trimmed user value → replacement.
    pub values: HashMap<String, String>,
}

/// How one SSD table is read.
#[derive(Debug, Clone)]
pub struct TableMapping {
    pub spec: &'static TableSpec,
    /// Where the table is named (`[mapping.ssd_person]`).
    pub span: Range<usize>,
    /// The file of an export folder that holds the table (default `<table>.csv`).
    pub file: Option<Located<String>>,
    /// The sheet of an export workbook that holds the table (default: the table name).
    pub sheet: Option<Located<String>>,
    pub columns: Vec<ColumnMap>,
    pub values: Vec<ValueMap>,
    pub dates: DateFormats,
    /// User columns deliberately not read.
    pub ignore: Vec<String>,
}

/// A parsed mapping, with the file it came from (for diagnostics found while reading).
#[derive(Debug, Clone)]
pub struct Mapping {
    pub file: String,
    pub text: String,
    pub tables: Vec<TableMapping>,
}

/// The keys of one table's mapping.
const TABLE_KEYS: &[&str] = &["file", "sheet", "columns", "values", "date_formats", "ignore"];

type Entry<'a, 'i> = (&'a Spanned<Cow<'i, str>>, &'a Spanned<DeValue<'i>>);

/// A table's entries in the order they are written.
fn entries<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut out: Vec<Entry<'a, 'i>> = table.iter().collect();
    out.sort_by_key(|(k, _)| k.span().start);
    out
}

struct Parser<'t> {
    file: &'t str,
    text: &'t str,
}

impl Parser<'_> {
    fn error(&self, message: String, span: Range<usize>, help: Option<String>) -> MappingError {
        MappingError::new(self.file, self.text, message, Some(span), help)
    }

    fn string(&self, value: &Spanned<DeValue<'_>>, what: &str) -> Result<Located<String>, MappingError> {
        match value.get_ref().as_str() {
            Some(s) if !s.trim().is_empty() => Ok(Located { value: s.trim().to_string(), span: value.span() }),
            Some(_) => Err(self.error(format!("{what} is empty"), value.span(), None)),
            None => Err(self.error(format!("{what} must be text (in quotes), not {}", value.get_ref().type_str()), value.span(), None)),
        }
    }

    fn table<'a, 'i>(&self, value: &'a Spanned<DeValue<'i>>, what: &str, help: &str) -> Result<&'a DeTable<'i>, MappingError> {
        value
            .get_ref()
            .as_table()
            .ok_or_else(|| self.error(format!("{what} must be a table, not {}", value.get_ref().type_str()), value.span(), Some(help.to_string())))
    }

    /// A string or an array of strings.
    fn strings(&self, value: &Spanned<DeValue<'_>>, what: &str) -> Result<Vec<Located<String>>, MappingError> {
        match value.get_ref() {
            DeValue::Array(items) => items.iter().map(|item| self.string(item, what)).collect(),
            _ => Ok(vec![self.string(value, what)?]),
        }
    }

    fn date_formats(&self, value: &Spanned<DeValue<'_>>, what: &str) -> Result<DateFormats, MappingError> {
        let mut formats = Vec::new();
        for format in self.strings(value, what)? {
            check_date_format(&format.value).map_err(|message| {
                self.error(
                    format!("{what}: {message}"),
                    format.span.clone(),
                    Some("Date formats are chrono strftime patterns: %d day, %m month, %Y four-digit year, %b month name (Mar), %H:%M time; e.g. \"%d.%m.%Y\".".into()),
                )
            })?;
            formats.push(format.value);
        }
        Ok(DateFormats::new(formats))
    }

    fn column(&self, spec: &TableSpec, key: &Spanned<Cow<'_, str>>, section: &str) -> Result<usize, MappingError> {
        spec.lookup(key.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
            self.error(
                format!("[mapping.{}.{section}]: `{}` is not a column of {}", spec.name, key.get_ref(), spec.name),
                key.span(),
                Some(format!("{}The keys are SSD column names; {} has: {}.", did_you_mean(key.get_ref(), &names), spec.name, names.join(", "))),
            )
        })
    }

    fn mapping(&self, section: &Spanned<DeValue<'_>>) -> Result<Mapping, MappingError> {
        let section = self.table(section, "[mapping]", "Write one [mapping.<ssd table>] section per table, e.g. [mapping.ssd_person].")?;
        let mut default_dates = DateFormats::default();
        let mut tables: Vec<TableMapping> = Vec::new();
        // The shared date formats first: the tables inherit them wherever they are written.
        for (key, value) in entries(section) {
            if key.get_ref() == "date_formats" {
                default_dates = self.date_formats(value, "[mapping] date_formats")?;
            }
        }
        for (key, value) in entries(section) {
            let name = key.get_ref().as_ref();
            if name == "date_formats" {
                continue;
            }
            let Some(spec) = spec::table(name.trim()) else {
                let names: Vec<&str> = spec::TABLES.iter().map(|t| t.name).collect();
                return Err(self.error(
                    format!("[mapping.{name}]: `{name}` is not an SSD table cinlint reads"),
                    key.span(),
                    Some(format!(
                        "{}A mapping is keyed by the SSD table it supplies (the keys are SSD names; the file goes in `file = \"…\"`): {}.",
                        did_you_mean(name, &names),
                        names.join(", ")
                    )),
                ));
            };
            if let Some(first) = tables.iter().find(|t| t.spec.name == spec.name) {
                let line = self.text[..first.span.start].matches('\n').count() + 1;
                return Err(self.error(
                    format!("[mapping.{name}]: {} is mapped twice (first on line {line})", spec.name),
                    key.span(),
                    Some("Keep one section per SSD table (table names ignore case).".into()),
                ));
            }
            tables.push(self.table_mapping(spec, key.span(), value, &default_dates)?);
        }
        Ok(Mapping { file: self.file.to_string(), text: self.text.to_string(), tables })
    }

    fn table_mapping(
        &self,
        spec: &'static TableSpec,
        span: Range<usize>,
        value: &Spanned<DeValue<'_>>,
        default_dates: &DateFormats,
    ) -> Result<TableMapping, MappingError> {
        let name = spec.name;
        let table = self.table(value, &format!("[mapping.{name}]"), "Give the table's `file` (or `sheet`) and its `columns`.")?;
        let mut mapping = TableMapping {
            spec,
            span,
            file: None,
            sheet: None,
            columns: Vec::new(),
            values: Vec::new(),
            dates: default_dates.clone(),
            ignore: Vec::new(),
        };
        for (key, value) in entries(table) {
            match key.get_ref().as_ref() {
                "file" => mapping.file = Some(self.string(value, &format!("[mapping.{name}] file"))?),
                "sheet" => mapping.sheet = Some(self.string(value, &format!("[mapping.{name}] sheet"))?),
                "date_formats" => mapping.dates = self.date_formats(value, &format!("[mapping.{name}] date_formats"))?,
                "ignore" => mapping.ignore = self.strings(value, &format!("[mapping.{name}] ignore"))?.into_iter().map(|s| s.value).collect(),
                "columns" => {
                    let help = format!("Write `{} = \"Your column\"` lines under [mapping.{name}.columns].", spec.columns[0].name);
                    for (column_key, source) in entries(self.table(value, &format!("[mapping.{name}.columns]"), &help)?) {
                        let column = self.column(spec, column_key, "columns")?;
                        let source = self.string(source, &format!("[mapping.{name}.columns] {}", column_key.get_ref()))?;
                        if let Some(first) = mapping.columns.iter().find(|m| m.column == column) {
                            return Err(self.error(
                                format!(
                                    "[mapping.{name}.columns]: {} is mapped twice (from `{}` and from `{}`)",
                                    spec.columns[column].name, first.source, source.value
                                ),
                                column_key.span(),
                                Some("Each SSD column is read from one column; SSD aliases and names differing only in case are the same column.".into()),
                            ));
                        }
                        mapping.columns.push(ColumnMap { column, source: source.value, span: column_key.span().start..source.span.end });
                    }
                }
                "values" => {
                    let help = format!("Write a [mapping.{name}.values.<ssd column>] section of `\"Your value\" = \"SSD value\"` lines.");
                    for (column_key, map) in entries(self.table(value, &format!("[mapping.{name}.values]"), &help)?) {
                        let column = self.column(spec, column_key, "values")?;
                        if mapping.values.iter().any(|v| v.column == column) {
                            return Err(self.error(
                                format!("[mapping.{name}.values]: {} has two value maps", spec.columns[column].name),
                                column_key.span(),
                                Some("Merge them: SSD aliases and names differing only in case are the same column.".into()),
                            ));
                        }
                        let what = format!("[mapping.{name}.values.{}]", spec.columns[column].name);
                        let mut values: HashMap<String, String> = HashMap::new();
                        for (from, to) in entries(self.table(map, &what, &help)?) {
                            let to = match to.get_ref().as_str() {
                                Some(s) => s.trim().to_string(),
                                None => {
                                    return Err(self.error(
                                        format!("{what}: the value for `{}` must be text (in quotes), not {}", from.get_ref(), to.get_ref().type_str()),
                                        to.span(),
                                        Some("Write codes in quotes, e.g. \"1\" = \"M\"; \"\" reads as blank.".into()),
                                    ))
                                }
                            };
                            let key = from.get_ref().trim().to_lowercase();
                            if let Some(earlier) = values.get(&key).filter(|earlier| **earlier != to) {
                                return Err(self.error(
                                    format!("{what}: `{}` is mapped twice (to `{earlier}` and to `{to}`)", from.get_ref()),
                                    from.span(),
                                    Some("Values are matched trimmed and ignoring case, so keys differing only in case are the same value.".into()),
                                ));
                            }
                            values.insert(key, to);
                        }
                        mapping.values.push(ValueMap { column, values });
                    }
                }
                other => {
                    return Err(self.error(
                        format!("[mapping.{name}]: unknown key `{other}`"),
                        key.span(),
                        Some(format!(
                            "{}A table mapping takes {}.",
                            did_you_mean(other, TABLE_KEYS),
                            TABLE_KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                        )),
                    ))
                }
            }
        }
        Ok(mapping)
    }
}

impl Mapping {
    /// Reads the `[mapping]` section of a settings file (`file` names it in errors); `None`
    /// when it has none. Other sections are not looked at.
    pub fn parse(file: &str, text: &str) -> Result<Option<Mapping>, MappingError> {
        let document = DeTable::parse(text).map_err(|e| MappingError::new(file, text, e.message().to_string(), e.span(), None))?;
        let parser = Parser { file, text };
        let section = document.get_ref().iter().find(|(k, _)| k.get_ref() == "mapping");
        section.map(|(_, section)| parser.mapping(section)).transpose()
    }

    pub fn table(&self, name: &str) -> Option<&TableMapping> {
        self.tables.iter().find(|t| t.spec.name == name)
    }

    /// The tables read from a file of an export folder, or from a workbook sheet, by name: those
    /// the mapping places there, else the SSD table of that name (through its mapping, if any,
    /// when the mapping gives it no other place).
    pub fn tables_in(&self, name: &str, form: Form) -> Vec<(&'static TableSpec, Option<&TableMapping>)> {
        let place = |t: &TableMapping| match form {
            Form::Folder => t.file.as_ref().map(|f| f.value.clone()),
            Form::Workbook => t.sheet.as_ref().map(|s| s.value.clone()),
        };
        let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
        let placed: Vec<_> = self.tables.iter().filter(|t| place(t).is_some_and(|p| same(&p, name))).map(|t| (t.spec, Some(t))).collect();
        if !placed.is_empty() {
            return placed;
        }
        let default = match form {
            Form::Folder => crate::table_of_file(name),
            Form::Workbook => spec::table(name.trim()),
        };
        default.map(|spec| (spec, self.table(spec.name).filter(|t| place(t).is_none()))).into_iter().collect()
    }

    /// The error for a table of the mapping that the export does not hold. `available` lists
    /// the export's files or sheets.
    pub fn not_found(&self, table: &TableMapping, form: Form, export: &str, available: &[String]) -> MappingError {
        let name = table.spec.name;
        let (key, place, noun, other) = match form {
            Form::Folder => ("file", &table.file, "file", table.sheet.as_ref().map(|_| "`sheet` is only read from a workbook; ")),
            Form::Workbook => ("sheet", &table.sheet, "sheet", table.file.as_ref().map(|_| "`file` is only read from an export folder; ")),
        };
        let names: Vec<&str> = available.iter().map(String::as_str).collect();
        let listing = if names.is_empty() { format!("{export} has no {noun}s.") } else { format!("{export} has: {}.", names.join(", ")) };
        match place {
            Some(place) => MappingError::new(
                &self.file,
                &self.text,
                format!("[mapping.{name}]: {export} has no {noun} `{}`", place.value),
                Some(place.span.clone()),
                Some(format!("{}{listing}", did_you_mean(&place.value, &names))),
            ),
            None => {
                let default = match form {
                    Form::Folder => format!("{name}.csv"),
                    Form::Workbook => name.to_string(),
                };
                MappingError::new(
                    &self.file,
                    &self.text,
                    format!("[mapping.{name}]: no {key} is given and {export} has no {noun} `{default}`"),
                    Some(table.span.clone()),
                    Some(format!("{}Name the {noun} that holds {name} with `{key} = \"…\"`. {listing}", other.unwrap_or_default())),
                )
            }
        }
    }
}

/// The two forms of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Folder,
    Workbook,
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

impl TableMapping {
    fn error(&self, mapping: &Mapping, message: String, span: Range<usize>, help: String) -> MappingError {
        MappingError::new(&mapping.file, &mapping.text, message, Some(span), Some(help))
    }

    /// The logical type of the values under a user header, for converting workbook cells.
    pub(crate) fn type_of_header(&self, name: &str) -> Option<Ty> {
        if let Some(m) = self.columns.iter().find(|m| same_name(&m.source, name)) {
            return Some(self.spec.columns[m.column].ty);
        }
        if self.ignore.iter().any(|i| same_name(i, name)) {
            return None;
        }
        self.spec.lookup(name).map(|c| self.spec.columns[c].ty)
    }

    /// Where the mapping places this table in an export of this form.
    fn place(&self, form: Form) -> Option<&Located<String>> {
        match form {
            Form::Folder => self.file.as_ref(),
            Form::Workbook => self.sheet.as_ref(),
        }
    }

    /// Columns read or ignored by the other tables the mapping places in the same file or sheet:
    /// not unknown to this one.
    fn shared_columns<'m>(&self, mapping: &'m Mapping, form: Form) -> Vec<&'m str> {
        let Some(place) = self.place(form) else { return Vec::new() };
        mapping
            .tables
            .iter()
            .filter(|t| t.spec.name != self.spec.name && t.place(form).is_some_and(|p| same_name(&p.value, &place.value)))
            .flat_map(|t| t.columns.iter().map(|c| c.source.as_str()).chain(t.ignore.iter().map(String::as_str)))
            .collect()
    }

    /// Rewrites the header names and values of `records` (the first is the header) so the SSD
    /// reader reads them as this table; positions are kept. `label` names the file or sheet.
    pub fn apply(
        &self,
        mapping: &Mapping,
        form: Form,
        label: &str,
        records: &mut [Record],
        findings: &mut Findings,
    ) -> Result<ReadSettings, MappingError> {
        let spec = self.spec;
        let mut settings = ReadSettings { dates: self.dates.clone(), skip: Vec::new() };
        let Some((header, rows)) = records.split_first_mut() else { return Ok(settings) };
        let names: Vec<String> = header.fields.iter().map(|f| f.text.trim().to_string()).collect();
        let listing = || format!("{label} has the columns: {}.", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "));

        // Every mapped column must be in the file: a typo must not silently leave a column blank.
        let mut sources = Vec::with_capacity(self.columns.len());
        for m in &self.columns {
            let Some(at) = names.iter().position(|n| same_name(n, &m.source)) else {
                let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
                return Err(self.error(
                    mapping,
                    format!("[mapping.{}.columns]: {label} has no column `{}` (for {})", spec.name, m.source, spec.columns[m.column].name),
                    m.span.clone(),
                    format!("{}{}", did_you_mean(&m.source, &candidates), listing()),
                ));
            };
            sources.push((m.column, at));
        }

        // A column of the file that already bears the name of an SSD column the mapping reads
        // from elsewhere is not read: the mapping wins.
        let read_from: HashSet<usize> = sources.iter().map(|(_, at)| *at).collect();
        let mapped: HashSet<usize> = self.columns.iter().map(|m| m.column).collect();
        let shared = self.shared_columns(mapping, form);
        for (i, name) in names.iter().enumerate() {
            if read_from.contains(&i) {
                continue;
            }
            if self.ignore.iter().map(String::as_str).chain(shared.iter().copied()).any(|x| same_name(x, name)) {
                settings.skip.push(i);
            } else if let Some(c) = spec.lookup(name).filter(|c| mapped.contains(c)) {
                settings.skip.push(i);
                let source = &self.columns.iter().find(|m| m.column == c).expect("mapped").source;
                findings.push(
                    UNKNOWN_COLUMN,
                    Severity::Warning,
                    format!("{}: column `{name}` ignored: the mapping reads {} from `{source}`", spec.name, spec.columns[c].name),
                    "Remove the column from the export or from the mapping.",
                    header.fields[i].pos,
                    spec.name,
                    None,
                    None,
                );
            }
        }

        // Rename: the first SSD column read from a column takes it over; any further one reads a
        // copy appended to every record (same positions).
        let width = header.fields.len();
        let mut taken = HashSet::new();
        for (column, at) in sources {
            let name = spec.columns[column].name.to_string();
            if taken.insert(at) {
                header.fields[at].text = name.into();
                continue;
            }
            let mut copy = header.fields[at].clone();
            copy.text = name.into();
            header.fields.push(copy);
            for row in rows.iter_mut() {
                // A row of the wrong width is reported by the reader; keep its width wrong.
                let copy = if row.fields.len() == width { row.fields[at].clone() } else { Field { text: Default::default(), pos: row.pos, quoted: false } };
                row.fields.push(copy);
            }
        }

        // Value maps, on every position read as their column.
        let skip = &settings.skip;
        for map in &self.values {
            let positions: Vec<usize> =
                (0..header.fields.len()).filter(|i| !skip.contains(i) && spec.lookup(&header.fields[*i].text) == Some(map.column)).collect();
            for row in rows.iter_mut() {
                for &i in &positions {
                    if let Some(field) = row.fields.get_mut(i) {
                        if let Some(to) = map.values.get(&field.text.trim().to_lowercase()) {
                            field.text = to.as_str().into();
                        }
                    }
                }
            }
        }

        // The key and required columns: say how to map them rather than that the file lacks them.
        for (c, column) in spec.columns.iter().enumerate() {
            let present = (0..header.fields.len()).any(|i| !skip.contains(&i) && spec.lookup(&header.fields[i].text) == Some(c));
            if matches!(column.req, Req::K | Req::R) && !present {
                return Err(self.error(
                    mapping,
                    format!("[mapping.{}]: the required column {} is not mapped, and {label} has no column of that name", spec.name, column.name),
                    self.span.clone(),
                    format!("Add `{} = \"<column of {label}>\"` under [mapping.{}.columns]. {}", column.name, spec.name, listing()),
                ));
            }
        }
        Ok(settings)
    }
}

/// "Did you mean `x`? " for the closest candidate within a small edit distance, else "".
fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    let word = word.trim().to_lowercase();
    let best = candidates.iter().map(|c| (edit_distance(&word, &c.to_lowercase()), *c)).min_by_key(|(d, _)| *d);
    match best {
        Some((d, c)) if d <= (word.chars().count() / 3).max(2) => format!("Did you mean `{c}`? "),
        _ => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb)).min(row[j] + 1).min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinlint_ingest::Pos;

    const GOOD: &str = r#"# A case-management system's own layout.
[checks.REV001]
review_interval_weeks = 6

[mapping]
date_formats = "%d.%m.%Y"

[mapping.ssd_person]
file = "children.csv"
ignore = ["Notes"]

[mapping.ssd_person.columns]
pers_person_id = "Child ID"
pers_sex = "Gender"
pers_dob = "Date of Birth"

[mapping.ssd_person.values.pers_sex]
Male = "M"
Female = "F"
"Not known" = ""

[mapping.ssd_cin_episodes]
file = "referrals.csv"
date_formats = ["%d %b %Y", "%Y%m%d"]
columns = { cine_referral_id = "Ref", cine_person_id = "Child ID", cine_referral_date = "Received" }
"#;

    fn parse(text: &str) -> Result<Option<Mapping>, MappingError> {
        Mapping::parse("cinlint.toml", text)
    }

    /// The error for `text`, with the text its span covers.
    fn error(text: &str) -> (MappingError, String) {
        let err = parse(text).unwrap_err();
        let span = err.span.clone().expect("located");
        (err, text[span].to_string())
    }

    fn person(mapping: &Mapping) -> &TableMapping {
        mapping.table("ssd_person").unwrap()
    }

    fn records(lines: &[&[&str]]) -> Vec<Record> {
        lines
            .iter()
            .enumerate()
            .map(|(r, fields)| Record {
                pos: Pos::new(0, r as u64 * 100),
                fields: fields
                    .iter()
                    .enumerate()
                    .map(|(c, t)| Field { text: (*t).into(), pos: Pos::new(0, r as u64 * 100 + c as u64 * 10), quoted: false })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn parses_every_part() {
        let mapping = parse(GOOD).unwrap().expect("has a mapping");
        assert_eq!(mapping.tables.len(), 2);
        let person = person(&mapping);
        assert_eq!(person.file.as_ref().unwrap().value, "children.csv");
        assert_eq!(&GOOD[person.file.as_ref().unwrap().span.clone()], "\"children.csv\"");
        assert_eq!(&GOOD[person.span.clone()], "ssd_person");
        assert_eq!(person.columns.len(), 3);
        assert_eq!(&GOOD[person.columns[2].span.clone()], "pers_dob = \"Date of Birth\"");
        assert_eq!(person.dates.formats(), ["%d.%m.%Y"], "inherits [mapping] date_formats");
        assert_eq!(person.values[0].values["male"], "M");
        assert_eq!(person.values[0].values["not known"], "");
        let episodes = mapping.table("ssd_cin_episodes").unwrap();
        assert_eq!(episodes.dates.formats(), ["%d %b %Y", "%Y%m%d"], "a table's own formats replace the shared ones");
        assert_eq!(episodes.columns.len(), 3, "inline tables work too");
        assert!(parse("[checks.REV001]\nseverity = \"error\"\n").unwrap().is_none());
    }

    #[test]
    fn unknown_table() {
        let (err, at) = error("[mapping.ssd_persons]\nfile = \"children.csv\"\n");
        assert_eq!(err.message, "[mapping.ssd_persons]: `ssd_persons` is not an SSD table cinlint reads");
        assert_eq!(at, "ssd_persons");
        assert_eq!(err.line, 1);
        assert!(err.help.unwrap().starts_with("Did you mean `ssd_person`?"));
        let (err, at) = error("[mapping.children]\nfile = \"children.csv\"\n");
        assert_eq!(at, "children");
        assert!(err.help.unwrap().contains("the file goes in `file"));
    }

    #[test]
    fn unknown_column() {
        let text = "[mapping.ssd_person]\nfile = \"c.csv\"\n[mapping.ssd_person.columns]\npers_person_id = \"ID\"\npers_dobb = \"DOB\"\n";
        let (err, at) = error(text);
        assert_eq!(err.message, "[mapping.ssd_person.columns]: `pers_dobb` is not a column of ssd_person");
        assert_eq!(at, "pers_dobb");
        assert_eq!((err.line, err.column), (5, 1));
        assert!(err.help.as_deref().unwrap().starts_with("Did you mean `pers_dob`?"), "{:?}", err.help);
        let (err, at) = error("[mapping.ssd_person.values.Gender]\nMale = \"M\"\n");
        assert!(err.message.contains("`Gender` is not a column of ssd_person"), "{}", err.message);
        assert_eq!(at, "Gender");
    }

    #[test]
    fn unknown_key_and_wrong_types() {
        let (err, at) = error("[mapping.ssd_person]\nfiles = \"c.csv\"\n");
        assert_eq!(err.message, "[mapping.ssd_person]: unknown key `files`");
        assert_eq!(at, "files");
        assert!(err.help.unwrap().starts_with("Did you mean `file`?"));
        let (err, at) = error("[mapping.ssd_person]\nfile = 3\n");
        assert_eq!(err.message, "[mapping.ssd_person] file must be text (in quotes), not integer");
        assert_eq!(at, "3");
        let (err, at) = error("[mapping.ssd_person.values.pers_sex]\nMale = 1\n");
        assert!(err.message.contains("the value for `Male` must be text"), "{}", err.message);
        assert_eq!(at, "1");
        let (err, at) = error("[mapping]\nssd_person = \"children.csv\"\n");
        assert_eq!(err.message, "[mapping.ssd_person] must be a table, not string");
        assert_eq!(at, "\"children.csv\"");
        let (err, _) = error("[mapping.ssd_person]\nfile = \"c.csv\n");
        assert_eq!(err.line, 2, "TOML syntax errors are located too");
    }

    #[test]
    fn bad_date_format() {
        let (err, at) = error("[mapping.ssd_person]\ndate_formats = [\"%d.%m.%Y\", \"%d.%m\"]\n");
        assert!(err.message.starts_with("[mapping.ssd_person] date_formats: `%d.%m` does not hold a whole date"), "{}", err.message);
        assert_eq!(at, "\"%d.%m\"");
        let (err, at) = error("[mapping]\ndate_formats = \"%d.%m.%Q\"\n");
        assert!(err.message.contains("unknown or incomplete `%` specifier"), "{}", err.message);
        assert_eq!(at, "\"%d.%m.%Q\"");
        assert!(err.help.unwrap().contains("strftime"));
    }

    #[test]
    fn duplicate_targets() {
        let text = "[mapping.ssd_cin_plans.columns]\ncinp_cin_plan_id = \"Plan\"\ncin_plan_id = \"Plan ID\"\n";
        let (err, at) = error(text);
        assert_eq!(err.message, "[mapping.ssd_cin_plans.columns]: cinp_cin_plan_id is mapped twice (from `Plan` and from `Plan ID`)");
        assert_eq!(at, "cin_plan_id");
        let text = "[mapping.ssd_person]\nfile = \"a.csv\"\n[mapping.SSD_PERSON]\nfile = \"b.csv\"\n";
        let (err, at) = error(text);
        assert_eq!(err.message, "[mapping.SSD_PERSON]: ssd_person is mapped twice (first on line 1)");
        assert_eq!(at, "SSD_PERSON");
        let text = "[mapping.ssd_person.values.pers_sex]\nMale = \"M\"\nMALE = \"F\"\n";
        let (err, at) = error(text);
        assert!(err.message.contains("`MALE` is mapped twice (to `M` and to `F`)"), "{}", err.message);
        assert_eq!(at, "MALE");
        let text = "[mapping.ssd_person.values.pers_sex]\nMale = \"M\"\n[mapping.ssd_person.values.PERS_SEX]\nx = \"F\"\n";
        let (err, at) = error(text);
        assert!(err.message.contains("pers_sex has two value maps"), "{}", err.message);
        assert_eq!(at, "PERS_SEX");
        // One user column may feed two SSD columns (a key used as id and as link).
        parse("[mapping.ssd_assessment_factors.columns]\ncinf_table_id = \"Assessment\"\ncinf_assessment_id = \"Assessment\"\n").unwrap();
    }

    #[test]
    fn column_not_in_the_file() {
        let text = "[mapping.ssd_person]\nfile = \"children.csv\"\n[mapping.ssd_person.columns]\npers_person_id = \"Child ID\"\npers_dob = \"Date of Brith\"\n";
        let mapping = parse(text).unwrap().unwrap();
        let mut rows = records(&[&["Child ID", "Gender", "Date of Birth"], &["C1", "Male", "01.02.2020"]]);
        let err = person(&mapping).apply(&mapping, Form::Folder, "children.csv", &mut rows, &mut Findings::default()).unwrap_err();
        assert_eq!(err.message, "[mapping.ssd_person.columns]: children.csv has no column `Date of Brith` (for pers_dob)");
        assert_eq!(&text[err.span.clone().unwrap()], "pers_dob = \"Date of Brith\"");
        assert_eq!(err.line, 5);
        assert_eq!(err.help.clone().unwrap(), "Did you mean `Date of Birth`? children.csv has the columns: `Child ID`, `Gender`, `Date of Birth`.");
        assert_eq!(err.to_string(), "cinlint.toml:5:1: [mapping.ssd_person.columns]: children.csv has no column `Date of Brith` (for pers_dob)");
    }

    #[test]
    fn required_column_not_mapped() {
        let text = "[mapping.ssd_person]\nfile = \"children.csv\"\ncolumns = { pers_dob = \"DOB\" }\n";
        let mapping = parse(text).unwrap().unwrap();
        let mut rows = records(&[&["Child ID", "DOB"]]);
        let err = person(&mapping).apply(&mapping, Form::Folder, "children.csv", &mut rows, &mut Findings::default()).unwrap_err();
        assert!(err.message.contains("the required column pers_person_id is not mapped"), "{}", err.message);
        assert_eq!(&text[err.span.unwrap()], "ssd_person");
        assert!(err.help.unwrap().contains("Add `pers_person_id = \"<column of children.csv>\"`"));
    }

    #[test]
    fn file_or_sheet_missing() {
        let text = "[mapping.ssd_person]\nfile = \"childs.csv\"\n[mapping.ssd_cin_plans]\nsheet = \"Plans\"\n";
        let mapping = parse(text).unwrap().unwrap();
        let files = vec!["children.csv".to_string(), "referrals.csv".to_string()];
        let err = mapping.not_found(person(&mapping), Form::Folder, "export", &files);
        assert_eq!(err.message, "[mapping.ssd_person]: export has no file `childs.csv`");
        assert_eq!(&text[err.span.unwrap()], "\"childs.csv\"");
        assert_eq!(err.help.unwrap(), "Did you mean `children.csv`? export has: children.csv, referrals.csv.");
        let plans = mapping.table("ssd_cin_plans").unwrap();
        let err = mapping.not_found(plans, Form::Folder, "export", &files);
        assert_eq!(err.message, "[mapping.ssd_cin_plans]: no file is given and export has no file `ssd_cin_plans.csv`");
        assert_eq!(&text[err.span.unwrap()], "ssd_cin_plans");
        assert!(err.help.unwrap().starts_with("`sheet` is only read from a workbook"));
        let err = mapping.not_found(plans, Form::Workbook, "book.xlsx", &["Children".to_string()]);
        assert_eq!(err.message, "[mapping.ssd_cin_plans]: book.xlsx has no sheet `Plans`");
    }

    #[test]
    fn a_file_shared_by_two_tables() {
        let text = r#"
[mapping.ssd_cin_assessments]
file = "assessments.csv"
columns = { cina_assessment_id = "ID", cina_person_id = "Child" }
[mapping.ssd_assessment_factors]
file = "Assessments.csv"
columns = { cinf_table_id = "ID", cinf_assessment_id = "ID", cinf_assessment_factors_json = "Factors" }
"#;
        let mapping = parse(text).unwrap().unwrap();
        let targets = mapping.tables_in("ASSESSMENTS.csv", Form::Folder);
        assert_eq!(targets.iter().map(|(s, _)| s.name).collect::<Vec<_>>(), ["ssd_cin_assessments", "ssd_assessment_factors"]);
        assert!(mapping.tables_in("assessments.csv", Form::Workbook).is_empty(), "`file` does not place a sheet");
        let lines: &[&[&str]] = &[&["ID", "Child", "Factors", "Extra"], &["A1", "C1", "1B, 2A", "x"]];
        let mut findings = Findings::default();
        let assessments = mapping.table("ssd_cin_assessments").unwrap();
        let settings = assessments.apply(&mapping, Form::Folder, "assessments.csv", &mut records(lines), &mut findings).unwrap();
        assert_eq!(settings.skip, [2], "Factors is read by the other table, Extra is left to the unknown-column warning");
        let factors = mapping.table("ssd_assessment_factors").unwrap();
        let mut rows = records(lines);
        let settings = factors.apply(&mapping, Form::Folder, "assessments.csv", &mut rows, &mut findings).unwrap();
        assert_eq!(settings.skip, [1]);
        let header: Vec<&str> = rows[0].fields.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(header, ["cinf_table_id", "Child", "cinf_assessment_factors_json", "Extra", "cinf_assessment_id"]);
        assert!(findings.items.is_empty());
    }

    #[test]
    fn applies_names_values_and_copies_keeping_positions() {
        let text = r#"
[mapping.ssd_person]
ignore = ["notes"]
columns = { pers_person_id = "Child ID", pers_legacy_id = "child id", pers_sex = "Gender" }
values.pers_sex = { Male = "M", " female " = "F", "" = "U" }
"#;
        let mapping = parse(text).unwrap().unwrap();
        let mut rows = records(&[&["Child ID", " gender ", "pers_sex", "Notes", "Shoe size"], &["C1", "MALE", "X", "n", "4"], &["C2", "", "X", "n", "5"]]);
        let mut findings = Findings::default();
        let settings = person(&mapping).apply(&mapping, Form::Folder, "children.csv", &mut rows, &mut findings).unwrap();
        let header: Vec<&str> = rows[0].fields.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(header, ["pers_person_id", "pers_sex", "pers_sex", "Notes", "Shoe size", "pers_legacy_id"]);
        assert_eq!(settings.skip, [2, 3], "the file's own pers_sex loses to the mapping; `ignore` is silent");
        assert_eq!(findings.items.len(), 1);
        assert!(findings.items[0].0.finding.message.contains("column `pers_sex` ignored: the mapping reads pers_sex from `Gender`"));
        let values: Vec<&str> = rows[1].fields.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(values, ["C1", "M", "X", "n", "4", "C1"]);
        assert_eq!(rows[2].fields[1].text, "U", "a blank can be mapped");
        assert_eq!(rows[1].fields[5].pos, rows[1].fields[0].pos, "a copied column keeps the source position");
        assert_eq!(rows[1].fields[1].pos, Pos::new(0, 110));
    }

    /// A workbook of inline-string or number cells (`#` prefix = number).
    fn workbook(path: &Path, sheets: &[(&str, &[&[&str]])]) {
        use crate::xlsx::testing::{write_workbook, Cell};
        let cell = |text: &str| match text.strip_prefix('#') {
            Some(number) => Cell::Number(number.parse().expect("a number")),
            None => Cell::from(text),
        };
        let sheets: Vec<(&str, Vec<Vec<Cell>>)> =
            sheets.iter().map(|(name, rows)| (*name, rows.iter().map(|row| row.iter().map(|t| cell(t)).collect()).collect())).collect();
        write_workbook(path, &sheets);
    }

    #[test]
    fn a_workbook_through_a_mapping_keeps_sheet_and_cell() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.xlsx");
        let children: &[&[&str]] =
            &[&["Child ID", "Gender", "Date of Birth"], &["C1", "Male", "#43759"], &["C2", "Female", "21.10.2009"], &["C3", "Female", "31.02.2010"]];
        let referrals: &[&[&str]] = &[&["Ref", "Child", "Received"], &["R1", "C1", "01.05.2025"], &["R2", "C2", "02.05.2025"], &["R3", "C3", "03.05.2025"]];
        workbook(&path, &[("Children", children), ("Referrals", referrals), ("Notes", &[&["x"]])]);
        let text = r#"
[mapping]
date_formats = "%d.%m.%Y"
[mapping.ssd_person]
sheet = "children"
file = "children.csv"
columns = { pers_person_id = "Child ID", pers_sex = "Gender", pers_dob = "Date of Birth" }
values.pers_sex = { Male = "M", Female = "F" }
[mapping.ssd_cin_episodes]
sheet = "Referrals"
columns = { cine_referral_id = "Ref", cine_person_id = "Child", cine_referral_date = "Received" }
"#;
        let mapping = parse(text).unwrap().unwrap();
        let options = crate::ExportOptions { reference_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 31), ..Default::default() };
        let data = crate::read_export_mapped(&path, &options, Some(&mapping)).unwrap();
        assert_eq!(data.children, 3);
        let bad_date = data.reader_findings.iter().find(|f| f.finding.message.contains("not a date")).expect("31.02.2010 is refused");
        assert!(bad_date.finding.message.contains("(`%d.%m.%Y` or yyyy-mm-dd)"), "{}", bad_date.finding.message);
        let at = data.sources.resolve(bad_date.pos).unwrap();
        assert_eq!((at.file.as_str(), at.cell.as_deref()), (path.display().to_string().as_str(), Some("Children!C4")));
        assert!(!data.reader_findings.iter().any(|f| f.finding.message.contains("Children") && f.finding.message.contains("ignored")));
        assert!(data.reader_findings.iter().any(|f| f.finding.message.contains("sheet `Notes` is not an SSD table")));

        let text = text.replace("sheet = \"Referrals\"", "sheet = \"Referral\"");
        let mapping = parse(&text).unwrap().unwrap();
        let Err(crate::ExportError::Mapping(err)) = crate::read_export_mapped(&path, &options, Some(&mapping)) else { panic!("a missing sheet is a mapping error") };
        assert!(err.message.ends_with("has no sheet `Referral`"), "{}", err.message);
        assert_eq!(&text[err.span.unwrap()], "\"Referral\"");
        assert!(err.help.unwrap().starts_with("Did you mean `Referrals`?"));
    }
}
