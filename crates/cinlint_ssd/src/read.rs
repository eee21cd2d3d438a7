//! Reading one `<table>.csv` into located, normalised text cells (`la-export.md` §5).

use compact_str::{CompactString, ToCompactString};
use crate::fast_hash::FastMap;
use crate::findings::{Findings, BAD_VALUE, DUPLICATE_KEY, MALFORMED_JSON, UNKNOWN_COLUMN};
use crate::spec::{Req, TableSpec, Ty};
use crate::values;
use chrono::NaiveDate;
use cinlint_ingest::{IngestError, Pos, SourceMap};
use cinlint_model::Severity;
use std::collections::HashSet;
use std::sync::Arc;

/// One non-blank field: normalised text (dates as `yyyy-mm-dd`, flags as `Y`/`N`) and where it is.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Short values (ids, dates, codes: nearly all) are stored inline, without an allocation.
    pub text: CompactString,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct RawRow {
    /// Where the record starts.
    pub pos: Pos,
    /// Indexed like the spec's columns; `None` = blank or column not supplied.
    pub cells: Vec<Option<Cell>>,
    /// Bit `i` set: column `i`'s text did not parse as its type (kept verbatim, read as blank).
    /// A mask beside the cells rather than a flag in each keeps a cell at 32 bytes; the
    /// export's cells are most of its reader's memory (a test keeps tables under 64 columns).
    pub bad: u64,
}

impl RawRow {
    /// Whether the text of the column at `column` did not parse as its type.
    pub fn is_bad(&self, column: usize) -> bool {
        self.bad >> column & 1 == 1
    }
}

#[derive(Debug)]
pub struct RawTable {
    pub spec: &'static TableSpec,
    pub rows: Vec<RawRow>,
    pub bytes: u64,
}

/// A record of a table, with typed accessors by column name.
#[derive(Clone, Copy)]
pub struct Rec<'a> {
    pub spec: &'static TableSpec,
    pub row: &'a RawRow,
}

impl<'a> Rec<'a> {
    pub fn cell(&self, column: &str) -> Option<&'a Cell> {
        self.cell_at(self.spec.index(column))
    }

    /// The cell of the column at `column` in the spec (for loops that resolve a column once).
    pub fn cell_at(&self, column: usize) -> Option<&'a Cell> {
        self.row.cells[column].as_ref()
    }

    /// Trimmed text, `None` when blank or unparseable.
    pub fn s(&self, column: &str) -> Option<&'a str> {
        self.s_at(self.spec.index(column))
    }

    /// [`Rec::s`] of the column at `column` in the spec.
    pub fn s_at(&self, column: usize) -> Option<&'a str> {
        self.cell_at(column).filter(|_| !self.row.is_bad(column)).map(|c| c.text.as_str())
    }

    pub fn d(&self, column: &str) -> Option<NaiveDate> {
        self.d_at(self.spec.index(column))
    }

    /// [`Rec::d`] of the column at `column` in the spec.
    pub fn d_at(&self, column: usize) -> Option<NaiveDate> {
        self.s_at(column).and_then(cinlint_ingest::values::parse_date)
    }

    pub fn flag(&self, column: &str) -> Option<bool> {
        self.s(column).map(|t| t == "Y")
    }

    pub fn pos(&self, column: &str) -> Pos {
        self.pos_at(self.spec.index(column))
    }

    /// [`Rec::pos`] of the column at `column` in the spec.
    pub fn pos_at(&self, column: usize) -> Pos {
        self.cell_at(column).map_or(Pos::NONE, |c| c.pos)
    }
}

impl RawTable {
    pub fn recs(&self) -> impl Iterator<Item = Rec<'_>> {
        self.rows.iter().map(move |row| Rec { spec: self.spec, row })
    }
}

/// Offsets of each field of the record starting at `start`, and whether it is quoted, into
/// `out` (reused from record to record).
fn field_offsets(bytes: &[u8], start: usize, n: usize, out: &mut Vec<(usize, bool)>) {
    out.clear();
    let mut i = start;
    for _ in 0..n {
        let quoted = bytes.get(i) == Some(&b'"');
        out.push((i, quoted));
        if quoted {
            i += 1;
            while let Some(&b) = bytes.get(i) {
                if b == b'"' {
                    if bytes.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        }
        while let Some(&b) = bytes.get(i) {
            if b == b',' {
                i += 1;
                break;
            }
            if b == b'\n' || b == b'\r' {
                break;
            }
            i += 1;
        }
    }
}

/// One field as read from a file or sheet, before normalisation.
#[derive(Debug, Clone)]
pub struct Field {
    pub text: CompactString,
    pub pos: Pos,
    /// Quoted in the CSV (so `NULL` is literal text) or a text cell in a workbook.
    pub quoted: bool,
}

/// One record (a CSV row or sheet row).
#[derive(Debug, Clone)]
pub struct Record {
    pub pos: Pos,
    pub fields: Vec<Field>,
}

/// How one table's fields are read beyond the header names (set by an export mapping).
#[derive(Debug, Clone, Default)]
pub struct ReadSettings {
    /// The date forms of the table's date columns.
    pub dates: values::DateFormats,
    /// Header positions that are deliberately not read (no unknown-column warning).
    pub skip: Vec<usize>,
}

/// Builds an input error at a position (file, line and column resolved by the front end).
pub type ErrorAt<'e> = &'e dyn Fn(Pos, &'static str, String) -> IngestError;

/// The records of one CSV file, registered in the source map, before they become a table.
pub struct CsvFile {
    pub display: String,
    pub bytes: Arc<Vec<u8>>,
    /// The first record is the header.
    pub records: Vec<Record>,
    pub header_pos: Pos,
}

impl CsvFile {
    /// Parses a CSV file already added to the sources as `file` (so files can be parsed at once).
    pub fn parse(display: &str, bytes: Arc<Vec<u8>>, file: u16, table: &str) -> Result<CsvFile, IngestError> {
        if let Err(e) = std::str::from_utf8(&bytes) {
            return Err(IngestError::at(display, &bytes, e.valid_up_to() as u64, "invalid-utf8", format!("{table}: the file is not valid UTF-8"))
                .with_help("Export the table as UTF-8 (Excel: \"CSV UTF-8\")."));
        }
        let bom = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
        let body = &bytes[bom..];
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
        let mut record = csv::ByteRecord::new();
        let at = |offset: usize| Pos::new(file, offset as u64);
        let mut records = Vec::new();
        let mut offsets = Vec::new();
        while reader.read_byte_record(&mut record).map_err(|e| csv_error(display, &bytes, bom, e))? {
            let start = skip_line_ends(&bytes, record.position().map_or(0, |p| p.byte() as usize) + bom);
            field_offsets(&bytes, start, record.len(), &mut offsets);
            let fields = record
                .iter()
                .zip(offsets.iter().copied())
                .map(|(f, (offset, quoted))| Field {
                    text: CompactString::from(std::str::from_utf8(f).expect("file checked as UTF-8")),
                    pos: at(offset),
                    quoted,
                })
                .collect();
            records.push(Record { pos: at(start), fields });
        }
        Ok(CsvFile { display: display.to_string(), bytes, records, header_pos: at(bom) })
    }

    /// The records as one table.
    pub fn build(
        self,
        spec: &'static TableSpec,
        settings: &ReadSettings,
        sources: &SourceMap,
        findings: &mut Findings,
    ) -> Result<RawTable, IngestError> {
        let CsvFile { display, bytes, records, header_pos } = self;
        let error_at = |pos: Pos, kind: &'static str, message: String| IngestError::at(&display, &bytes, pos.local(), kind, message);
        let mut table = build_table_with(spec, records, header_pos, &error_at, settings, sources, findings)?;
        table.bytes = bytes.len() as u64;
        Ok(table)
    }
}


/// Maps header names to columns, then normalises and checks every record (shared by the CSV
/// and workbook front ends) with the table's read settings. The first record is the header.
pub fn build_table_with(
    spec: &'static TableSpec,
    records: Vec<Record>,
    header_pos: Pos,
    error_at: ErrorAt<'_>,
    settings: &ReadSettings,
    sources: &SourceMap,
    findings: &mut Findings,
) -> Result<RawTable, IngestError> {
    let mut records = records.into_iter();
    // Header.
    let mut mapping: Vec<Option<usize>> = Vec::new();
    let mut header_pos = header_pos;
    if let Some(header) = records.next() {
        header_pos = header.pos;
        let mut seen = vec![false; spec.columns.len()];
        let mut unknown = Vec::new();
        for (i, field) in header.fields.iter().enumerate() {
            if settings.skip.contains(&i) {
                mapping.push(None);
                continue;
            }
            match spec.lookup(&field.text) {
                Some(c) if !seen[c] => {
                    seen[c] = true;
                    mapping.push(Some(c));
                }
                _ => {
                    unknown.push((field.text.trim().to_string(), field.pos));
                    mapping.push(None);
                }
            }
        }
        if let Some((_, pos)) = unknown.first() {
            let names: Vec<String> = unknown.iter().map(|(n, _)| format!("`{n}`")).collect();
            findings.push(
                UNKNOWN_COLUMN,
                Severity::Warning,
                format!("{}: unknown or repeated column{} {} ignored", spec.name, if names.len() > 1 { "s" } else { "" }, names.join(", ")),
                "Check the column names against the SSD table definition (la-export.md §2); aliases from the SSD YAML are accepted. With an export mapping, map the column or list it under `ignore`.",
                *pos,
                spec.name,
                None,
                None,
            );
        }
    }
    for (i, column) in spec.columns.iter().enumerate() {
        if matches!(column.req, Req::K | Req::R) && !mapping.contains(&Some(i)) {
            return Err(error_at(header_pos, "missing-column", format!("{}: required column `{}` is missing", spec.name, column.name))
                .with_help("Add the column to the export: cinlint needs it to build the census."));
        }
    }

    // Records.
    let mut rows = Vec::new();
    let mut null_warned: HashSet<usize> = HashSet::new();
    let mut keys_seen: FastMap<CompactString, Pos> = FastMap::with_capacity_and_hasher(records.len(), Default::default());
    let key_columns: Vec<usize> = spec.keys().collect();
    for record in records {
        if record.fields.len() != mapping.len() {
            return Err(error_at(
                record.pos,
                "field-count",
                format!("{}: the row has {} fields, the header has {}", spec.name, record.fields.len(), mapping.len()),
            )
            .with_help("Quote fields that contain commas or line breaks (RFC 4180)."));
        }
        let mut cells: Vec<Option<Cell>> = vec![None; spec.columns.len()];
        let mut bad_cells = 0u64;
        for (i, field) in record.fields.into_iter().enumerate() {
            let Some(c) = mapping[i] else { continue };
            let column = &spec.columns[c];
            let (quoted, pos) = (field.quoted, field.pos);
            let mut text = trimmed(field.text);
            if !quoted && text == "NULL" {
                if null_warned.insert(c) {
                    findings.push(
                        BAD_VALUE,
                        Severity::Warning,
                        format!("{}.{}: `NULL` read as blank", spec.name, column.name),
                        "Export nulls as empty fields.",
                        pos,
                        spec.name,
                        Some(column.name),
                        None,
                    );
                }
                continue;
            }
            if text.is_empty() {
                continue;
            }
            let mut bad = false;
            match column.ty {
                Ty::Id => {
                    if text.contains(['\r', '\n', '\t']) {
                        text.retain(|ch| !matches!(ch, '\r' | '\n' | '\t'));
                        findings.push(
                            BAD_VALUE,
                            Severity::Warning,
                            format!("{}.{}: line breaks or tabs removed from an identifier", spec.name, column.name),
                            "Identifiers should not contain line breaks or tabs; fix them in the case-management system.",
                            pos,
                            spec.name,
                            Some(column.name),
                            None,
                        );
                    }
                }
                Ty::Text => {}
                Ty::Date => match settings.dates.parse(&text) {
                    Some((date, _)) if date == NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid") => {
                        findings.push(
                            BAD_VALUE,
                            Severity::Warning,
                            format!("{}.{}: 1900-01-01 is the SQL Server null date; read as blank", spec.name, column.name),
                            "Export missing dates as empty fields.",
                            pos,
                            spec.name,
                            Some(column.name),
                            None,
                        );
                        continue;
                    }
                    Some((date, clock_time)) => {
                        if clock_time {
                            findings.push(
                                BAD_VALUE,
                                Severity::Warning,
                                format!("{}.{}: the time of day in `{}` was dropped", spec.name, column.name, values::shorten(&text)),
                                "Census dates have no time part; check the date is the intended day.",
                                pos,
                                spec.name,
                                Some(column.name),
                                None,
                            );
                        }
                        if !is_iso_text_of(&text, date) {
                            text = iso_date(date);
                        }
                    }
                    None => {
                        bad = true;
                        findings.push(
                            BAD_VALUE,
                            Severity::Warning,
                            format!(
                                "{}.{}: `{}` is not a date ({}); read as blank",
                                spec.name,
                                column.name,
                                values::shorten(&text),
                                settings.dates.describe()
                            ),
                            "Correct the date in the case-management system or the export.",
                            pos,
                            spec.name,
                            Some(column.name),
                            None,
                        );
                    }
                },
                Ty::Flag => match values::parse_flag(&text) {
                    Some(v) => text = CompactString::const_new(if v { "Y" } else { "N" }),
                    None => {
                        bad = true;
                        findings.push(
                            BAD_VALUE,
                            Severity::Warning,
                            format!("{}.{}: `{}` is not a yes/no flag; read as unknown", spec.name, column.name, values::shorten(&text)),
                            "Use Y or N.",
                            pos,
                            spec.name,
                            Some(column.name),
                            None,
                        );
                    }
                },
                Ty::Json => {
                    let ok = if column.name == "cinf_assessment_factors_json" {
                        values::parse_factors(&text).is_some()
                    } else {
                        values::is_json(&text)
                    };
                    if !ok {
                        let detail = match serde_json::from_str::<serde_json::Value>(&text) {
                            Err(e) => format!(" (JSON line {} column {}: {:?} error)", e.line(), e.column(), e.classify()),
                            Ok(_) => String::new(),
                        };
                        findings.push(
                            MALFORMED_JSON,
                            Severity::Warning,
                            format!("{}.{}: malformed JSON{detail}; flags recovered by a lenient scan", spec.name, column.name),
                            "The CMS extract builds this JSON by string concatenation: escape quotes, backslashes and line breaks in free-text comments.",
                            pos,
                            spec.name,
                            Some(column.name),
                            None,
                        );
                    }
                }
            }
            bad_cells |= u64::from(bad) << c;
            cells[c] = Some(Cell { text, pos });
        }
        let pos = record.pos;
        for (i, column) in spec.columns.iter().enumerate() {
            if column.req == Req::R && cells[i].is_none() {
                findings.push(
                    BAD_VALUE,
                    Severity::Error,
                    format!("{}.{}: a required value is blank", spec.name, column.name),
                    "Fill the value: cinlint needs it to link or date the record.",
                    pos,
                    spec.name,
                    Some(column.name),
                    None,
                );
            }
        }
        if !key_columns.is_empty() {
            let Some(key) = row_key(&cells, &key_columns) else {
                findings.push(
                    DUPLICATE_KEY,
                    Severity::Error,
                    format!("{}: the row's key ({}) is blank; row skipped", spec.name, key_names(spec)),
                    "Every row needs its key.",
                    pos,
                    spec.name,
                    None,
                    None,
                );
                continue;
            };
            if let Some(first) = keys_seen.get(&key) {
                let first_line = sources.resolve(*first).and_then(|r| r.line).unwrap_or(0);
                findings.push(
                    DUPLICATE_KEY,
                    Severity::Error,
                    format!("{}: key `{}` repeats the row on line {first_line}; row skipped", spec.name, key_text(&cells, &key_columns)),
                    "Keys must be unique; remove the duplicate row.",
                    pos,
                    spec.name,
                    None,
                    None,
                );
                continue;
            }
            keys_seen.insert(key, pos);
        }
        rows.push(RawRow { pos, cells, bad: bad_cells });
    }
    Ok(RawTable { spec, rows, bytes: 0 })
}

/// `text` without leading and trailing whitespace, reusing its storage when there is none.
fn trimmed(text: CompactString) -> CompactString {
    let t = text.trim();
    if t.len() == text.len() {
        text
    } else {
        CompactString::from(t)
    }
}

/// Whether `text` is already `date` written `yyyy-mm-dd` (then it is kept as it is).
fn is_iso_text_of(text: &str, date: NaiveDate) -> bool {
    text.len() == 10 && cinlint_ingest::values::parse_date(text) == Some(date)
}

/// `date` as `yyyy-mm-dd`, as chrono's `%Y-%m-%d` writes it (without its format parser).
pub fn iso_date(date: NaiveDate) -> CompactString {
    use chrono::Datelike;
    use std::fmt::Write;
    if !(0..=9999).contains(&date.year()) {
        return date.format("%Y-%m-%d").to_compact_string();
    }
    let mut text = CompactString::default();
    write!(text, "{:04}-{:02}-{:02}", date.year(), date.month(), date.day()).expect("writing to a string");
    text
}

/// With CRLF line ends the CSV reader reports a record as starting at the `\n` of the previous
/// line end: move to the first byte of the record.
fn skip_line_ends(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b'\r' | b'\n')) {
        at += 1;
    }
    at
}

/// The row's key as one hashable value (no allocation for a short single-column key), or
/// `None` when a key column is blank. Several columns are joined length-prefixed, so two
/// different keys never join to the same text.
fn row_key(cells: &[Option<Cell>], key_columns: &[usize]) -> Option<CompactString> {
    let text = |k: usize| cells[k].as_ref().map(|c| c.text.as_str()).filter(|t| !t.is_empty());
    if let [only] = key_columns {
        return text(*only).map(CompactString::from);
    }
    let mut key = CompactString::default();
    for &k in key_columns {
        let part = text(k)?;
        key.push_str(&part.len().to_string());
        key.push(':');
        key.push_str(part);
    }
    Some(key)
}

/// The row's key as shown in messages: its columns' texts joined by `, `.
fn key_text(cells: &[Option<Cell>], key_columns: &[usize]) -> String {
    key_columns.iter().map(|&k| cells[k].as_ref().map_or("", |c| c.text.as_str())).collect::<Vec<_>>().join(", ")
}

fn key_names(spec: &TableSpec) -> String {
    spec.keys().map(|k| spec.columns[k].name).collect::<Vec<_>>().join(", ")
}

fn csv_error(display: &str, bytes: &[u8], bom: usize, e: csv::Error) -> IngestError {
    let offset = e.position().map_or(0, |p| p.byte()) + bom as u64;
    IngestError::at(display, bytes, offset, "bad-csv", format!("the CSV cannot be read: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_32_bytes_and_every_table_fits_the_bad_mask() {
        assert!(std::mem::size_of::<Option<Cell>>() <= 32, "{}", std::mem::size_of::<Option<Cell>>());
        for spec in crate::spec::TABLES {
            assert!(spec.columns.len() <= 64, "{} has {} columns", spec.name, spec.columns.len());
        }
    }
}
