//! Census XML reader: one streaming pass over the bytes into the canonical tables.
//!
//! quick-xml is a pull parser that never validates against a schema, never fetches anything and
//! never expands entities, which is what an untrusted 1 GB return needs; it borrows text from
//! the input, so most values are never copied before they reach the Arrow builders.

use crate::error::IngestError;
use crate::reader_findings::{self as rf};
use crate::source::{Pos, SourceFile, SourceMap};
use crate::tables::{census_builders, CensusData, InputSummary, PendingFinding, TableBuilder};
use cinlint_model::schema::{self, TableDef};
use cinlint_model::Severity;
use quick_xml::events::Event;
use quick_xml::Reader;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// Deepest element nesting accepted; a census return nests 7 levels.
pub const MAX_DEPTH: usize = 64;

/// Longest text accepted in one place; census values are at most a few dozen characters.
pub const MAX_TEXT: usize = 1024 * 1024;

/// Reads a census XML file. Any input that cannot be read is an [`IngestError`].
pub fn read_census_xml(path: &Path) -> Result<CensusData, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| {
        IngestError::whole_file(path, "unreadable", format!("cannot read the file: {e}"))
    })?;
    read_census_xml_bytes(&path.display().to_string(), bytes)
}

/// Inputs at least this large are parsed in two halves on two threads.
pub const PARALLEL_MIN_BYTES: usize = 4 * 1024 * 1024;

/// Reads census XML from memory; `name` is used in locations and errors.
pub fn read_census_xml_bytes(name: &str, bytes: Vec<u8>) -> Result<CensusData, IngestError> {
    read_census_xml_bytes_split_from(name, bytes, PARALLEL_MIN_BYTES)
}

/// As [`read_census_xml_bytes`], parsing in two halves on two threads when the input holds at
/// least `parallel_min_bytes` (tests use 0 to compare both ways on small inputs).
pub fn read_census_xml_bytes_split_from(name: &str, bytes: Vec<u8>, parallel_min_bytes: usize) -> Result<CensusData, IngestError> {
    let bytes: Arc<[u8]> = Arc::from(bytes);
    let text = check_encoding(name, &bytes)?;
    let body_start = bytes.len() - text.len();
    let mut sources = SourceMap::default();
    let file = sources.add(SourceFile::text(name, bytes.clone()));
    let parts = split_point(text).filter(|_| text.len() >= parallel_min_bytes).and_then(|split| parse_halves(name, &bytes, file, body_start, text, split));
    let parts = match parts {
        Some(parts) => parts,
        None => {
            let mut parser = Parser::new(name, &bytes, file, body_start as u64);
            parser.run(text, Chunk::Whole)?;
            parser.into_parts(true)
        }
    };
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    Ok(parts.into_data(sources, InputSummary { path: name.to_string(), bytes: bytes.len() as u64, sha256 }))
}

/// Where to split the document for two threads: the `<Child>` start nearest after the middle of
/// the `<Children>` element.
fn split_point(text: &str) -> Option<usize> {
    let children = text.find("<Children>")?;
    let middle = children + (text.len() - children) / 2;
    let mut at = middle;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    text[at..].find("<Child>").map(|i| at + i)
}

/// Parses `text[..split]` and `text[split..]` at once. `None` when either half fails or the
/// split did not land between two children (e.g. inside a comment): the caller then parses the
/// whole text in one pass, which gives the authoritative error if there is one.
fn parse_halves(name: &str, bytes: &[u8], file: u16, body_start: usize, text: &str, split: usize) -> Option<Parts> {
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let mut parser = Parser::new(name, bytes, file, (body_start + split) as u64);
            parser.enter_children();
            parser.run(&text[split..], Chunk::Second).ok().map(|()| parser.into_parts(false))
        });
        let mut parser = Parser::new(name, bytes, file, body_start as u64);
        let first = parser.run(&text[..split], Chunk::First).ok().filter(|()| parser.at_child_boundary()).map(|()| parser.into_parts(true));
        (first, second.join())
    });
    let second = match second {
        Ok(second) => second,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    Some(first?.append(second?))
}

/// Which part of the document a parser reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Chunk {
    Whole,
    /// From the start up to a `<Child>` start: ends inside `<Children>`.
    First,
    /// From a `<Child>` start to the end: starts inside `<Children>`.
    Second,
}

/// What a parser produced, before the tables are finished.
struct Parts {
    tables: Vec<crate::tables::TableData>,
    findings: Vec<PendingFinding>,
    children: usize,
}

impl Parts {
    /// These parts followed by `later` (whose rows and children are numbered from zero).
    fn append(mut self, later: Parts) -> Parts {
        let child_offset = self.children as u32;
        let mut row_offsets = std::collections::HashMap::new();
        for (table, next) in self.tables.iter_mut().zip(later.tables) {
            row_offsets.insert(table.def.name, table.batch.num_rows() as u32);
            table.append(next, child_offset);
        }
        for mut pending in later.findings {
            pending.row = pending.row.map(|r| r + row_offsets.get(pending.table).copied().unwrap_or(0));
            pending.finding.child_key = pending.finding.child_key.map(|k| k + child_offset);
            self.findings.push(pending);
        }
        self.children += later.children;
        self
    }

    fn into_data(self, sources: SourceMap, input: InputSummary) -> CensusData {
        let mut data = CensusData {
            tables: self.tables,
            sources,
            reader_findings: self.findings,
            children: self.children,
            input,
            not_supplied: Vec::new(),
            extract_date: None,
        };
        let ids = data.child_ids();
        for pending in &mut data.reader_findings {
            if let Some(key) = pending.finding.child_key {
                pending.finding.child = ids.get(key as usize).cloned().flatten();
            }
        }
        data
    }
}

/// Accepts UTF-8 (with or without BOM); refuses UTF-16 and invalid UTF-8 with a located error.
fn check_encoding<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, IngestError> {
    let err = |offset: u64, kind, message: String| IngestError::at(name, bytes, offset, kind, message);
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) || (bytes.len() > 1 && bytes[0] == b'<' && bytes[1] == 0) {
        return Err(err(0, "utf16", "the file is UTF-16 encoded; cinlint reads census XML as UTF-8".into())
            .with_help("Save the file as UTF-8 (DfE's COLLECT system expects UTF-8) and run again."));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let bom = (bytes.len() - body.len()) as u64;
    let text = std::str::from_utf8(body).map_err(|e| {
        err(bom + e.valid_up_to() as u64, "not-utf8", format!("byte 0x{:02X} is not valid UTF-8", body[e.valid_up_to()]))
            .with_help("The file must be UTF-8. Re-export it as UTF-8 or fix the character at this position.")
    })?;
    if text.trim().is_empty() {
        return Err(IngestError::at(name, bytes, 0, "empty", "the file is empty: there is no census XML in it".to_string()));
    }
    Ok(text)
}

/// What an open element is, for deciding what its children mean.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    Message,
    CollectionDetails,
    Source,
    Children,
    Child,
    /// A row-making container; the index is into `Parser::open_rows`.
    Row(usize),
    /// `Disabilities`, `FactorsIdentifiedAtAssessment`, `Reviews`: containers of one-value rows.
    List(usize),
    /// An element whose content is ignored (unknown or legacy), with its depth.
    Skip,
}

/// A row being filled.
struct RowBuf<'a> {
    table: usize,
    keys: [i32; 2],
    values: Vec<Option<(Cow<'a, str>, Pos)>>,
    pos: Pos,
    last_column: Option<usize>,
}

/// The field whose text is being read.
struct Capture<'a> {
    /// Index into open_rows, or None for a header field.
    row: usize,
    column: usize,
    name: &'a str,
    pos: Pos,
    text: Cow<'a, str>,
    nested: usize,
}

struct Parser<'a> {
    name: &'a str,
    bytes: &'a [u8],
    file: u16,
    base: u64,
    builders: Vec<TableBuilder>,
    findings: Vec<PendingFinding>,
    stack: Vec<Ctx>,
    /// Names of the open elements (parallel to `stack`), for messages.
    names: Vec<&'static str>,
    open_rows: Vec<RowBuf<'a>>,
    /// Finished rows of the current child, flushed at `</Child>` once its LAchildID is known.
    child_rows: Vec<RowBuf<'a>>,
    capture: Option<Capture<'a>>,
    /// Index in `open_rows` of the header while it is open.
    header: Option<usize>,
    /// The header row once closed.
    header_row: Option<RowBuf<'a>>,
    header_seen: bool,
    /// Indexes in `open_rows` of the current child's identifiers and characteristics rows.
    ids_row: usize,
    chars_row: usize,
    child_key: u32,
    children: usize,
    episode: i32,
    assessment: i32,
    cpp: i32,
    root_closed: bool,
}

fn table_index(def: &TableDef) -> usize {
    schema::TABLES.iter().position(|t| t.name == def.name).expect("census table")
}

impl<'a> Parser<'a> {
    fn new(name: &'a str, bytes: &'a [u8], file: u16, base: u64) -> Self {
        Self {
            name,
            bytes,
            file,
            base,
            builders: census_builders(),
            findings: Vec::new(),
            stack: Vec::new(),
            names: Vec::new(),
            open_rows: Vec::new(),
            child_rows: Vec::new(),
            capture: None,
            header: None,
            header_row: None,
            header_seen: false,
            ids_row: usize::MAX,
            chars_row: usize::MAX,
            child_key: 0,
            children: 0,
            episode: 0,
            assessment: 0,
            cpp: 0,
            root_closed: false,
        }
    }

    fn pos(&self, offset: u64) -> Pos {
        Pos::new(self.file, self.base + offset)
    }

    fn error(&self, offset: u64, kind: &'static str, message: String) -> IngestError {
        IngestError::at(self.name, self.bytes, self.base + offset, kind, message)
    }

    /// Starts inside `<Message><Children>` (the second half of a split document).
    fn enter_children(&mut self) {
        self.stack = vec![Ctx::Message, Ctx::Children];
        self.names = vec!["Message", "Children"];
        self.header_seen = true;
    }

    /// Whether the parser stopped between two children (the end of a first half).
    fn at_child_boundary(&self) -> bool {
        self.stack == [Ctx::Message, Ctx::Children] && self.capture.is_none() && self.open_rows.is_empty() && self.child_rows.is_empty()
    }

    fn run(&mut self, text: &'a str, chunk: Chunk) -> Result<(), IngestError> {
        let mut reader = Reader::from_str(text);
        // The second half starts inside elements it never saw open; end tags are matched
        // against `names` below instead.
        reader.config_mut().check_end_names = chunk != Chunk::Second;
        reader.config_mut().allow_unmatched_ends = chunk == Chunk::Second;
        loop {
            let start = reader.buffer_position();
            let event = reader.read_event().map_err(|e| {
                self.error(reader.error_position(), "not-well-formed", format!("the XML is not well-formed: {e}"))
                    .with_help("Fix the XML at this position (an editor with XML checking helps); cinlint cannot read past it.")
            })?;
            match event {
                Event::Start(e) => {
                    let name = local_name(&e);
                    self.open(name, start)?;
                    self.names.push(name);
                }
                Event::Empty(e) => {
                    let name = local_name(&e);
                    self.open(name, start)?;
                    self.close(start)?;
                }
                Event::End(e) => {
                    let local = e.local_name();
                    let name = local.into_inner();
                    match self.names.pop() {
                        Some(open) if open.as_bytes() == name || open == "(unknown)" => {}
                        open => {
                            let name = String::from_utf8_lossy(name);
                            let expected = open.map_or("no end tag".to_string(), |o| format!("</{o}>"));
                            return Err(self
                                .error(start, "not-well-formed", format!("the XML is not well-formed: expected {expected}, found </{name}>"))
                                .with_help("Fix the XML at this position (an editor with XML checking helps); cinlint cannot read past it."));
                        }
                    }
                    self.close(start)?
                }
                Event::Text(t) => {
                    let content = t.decode().map_err(|e| self.error(start, "not-utf8", e.to_string()))?;
                    self.text(content, start)?;
                }
                Event::CData(t) => {
                    let content = t.decode().map_err(|e| self.error(start, "not-utf8", e.to_string()))?;
                    self.text(content, start)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = resolve_reference(&r).map_err(|message| {
                        self.error(start, "entity", message)
                            .with_help("Census XML may use only &amp; &lt; &gt; &quot; &apos; and numeric character references.")
                    })?;
                    self.text(Cow::Owned(resolved.to_string()), start)?;
                }
                Event::DocType(_) => {
                    return Err(self
                        .error(start, "doctype", "the file has a DOCTYPE (DTD) declaration; cinlint refuses DTDs and never expands entities".into())
                        .with_help("Remove the <!DOCTYPE …> declaration: census XML does not use one."));
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if chunk == Chunk::First {
            return Ok(());
        }
        if !self.stack.is_empty() {
            return Err(self
                .error(text.len() as u64, "truncated", format!("the file ends inside <{}>: it is truncated", self.open_names().last().unwrap_or(&"Message")))
                .with_help("The file was cut short (an interrupted copy or export?). Export it again."));
        }
        if !self.root_closed {
            return Err(self.error(0, "wrong-root", "the file has no <Message> element".into()));
        }
        Ok(())
    }

    fn open_names(&self) -> Vec<&'static str> {
        self.names.clone()
    }

    fn repeated(&mut self, name: &str, pos: Pos, table: &'static str) {
        self.findings.push(rf::pending(
            rf::REPEATED_ELEMENT,
            Severity::Warning,
            format!("<{name}> appears more than once; only the first is used"),
            "Keep one: the schema allows this element once here.",
            pos,
            table,
            None,
            None,
            None,
        ));
    }

    fn open(&mut self, name: &'a str, start: u64) -> Result<(), IngestError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self
                .error(start, "too-deep", format!("elements are nested more than {MAX_DEPTH} deep; a census return nests 7 levels"))
                .with_help("This is not a census return, or it is damaged."));
        }
        let pos = self.pos(start);
        if let Some(capture) = &mut self.capture {
            // An element inside a field: reported, its content ignored.
            capture.nested += 1;
            let field = capture.name;
            self.unknown(name, pos, &format!("inside <{field}>, which holds a value"));
            self.stack.push(Ctx::Skip);
            return Ok(());
        }
        let Some(&parent) = self.stack.last() else {
            if self.root_closed {
                return Err(self.error(start, "not-well-formed", format!("<{name}> follows the end of <Message>: a file has one root element")));
            }
            if name != "Message" {
                return Err(self
                    .error(start, "wrong-root", format!("the root element is <{name}>; a census return's root is <Message>"))
                    .with_help("Is this the CIN census XML? Other DfE returns have other roots."));
            }
            self.stack.push(Ctx::Message);
            return Ok(());
        };
        let ctx = match (parent, name) {
            (Ctx::Skip, _) => Ctx::Skip,
            (Ctx::Message, "Header") => {
                if !self.header_seen {
                    self.header_seen = true;
                    self.header = Some(self.open_row(&schema::HEADER, pos));
                    Ctx::Row(self.header.expect("just set"))
                } else {
                    self.repeated(name, pos, schema::HEADER.name);
                    Ctx::Skip
                }
            }
            (Ctx::Message, "Children") => Ctx::Children,
            (Ctx::Row(i), "CollectionDetails") if self.is_header(i) => Ctx::CollectionDetails,
            (Ctx::Row(i), "Source") if self.is_header(i) => Ctx::Source,
            (Ctx::Row(i), "Content") if self.is_header(i) => Ctx::Skip, // pre-2022 CBDSLevels block
            (Ctx::CollectionDetails | Ctx::Source, _) => {
                let row = self.header.expect("inside the header");
                return self.field(row, name, pos);
            }
            (Ctx::Children, "Child") => {
                self.children += 1;
                self.episode = 0;
                self.ids_row = self.open_row(&schema::CHILD_IDENTIFIERS, pos);
                self.chars_row = self.open_row(&schema::CHILD_CHARACTERISTICS, pos);
                Ctx::Child
            }
            (Ctx::Child, "ChildIdentifiers") => {
                self.open_rows[self.ids_row].pos = pos;
                Ctx::Row(self.ids_row)
            }
            (Ctx::Child, "ChildCharacteristics") => {
                self.open_rows[self.chars_row].pos = pos;
                Ctx::Row(self.chars_row)
            }
            (Ctx::Row(i), "Disabilities") if i == self.chars_row => {
                Ctx::List(table_index(&schema::DISABILITIES))
            }
            (Ctx::Child, "CINdetails") => {
                self.episode += 1;
                self.assessment = 0;
                self.cpp = 0;
                Ctx::Row(self.open_row(&schema::CIN_DETAILS, pos))
            }
            (Ctx::Row(i), child) if self.is_table(i, &schema::CIN_DETAILS) => match child {
                "Assessments" => {
                    self.assessment += 1;
                    Ctx::Row(self.open_row(&schema::ASSESSMENTS, pos))
                }
                "CINPlanDates" => Ctx::Row(self.open_row(&schema::CIN_PLAN_DATES, pos)),
                "Section47" => Ctx::Row(self.open_row(&schema::SECTION47, pos)),
                "ChildProtectionPlans" => {
                    self.cpp += 1;
                    Ctx::Row(self.open_row(&schema::CHILD_PROTECTION_PLANS, pos))
                }
                "PreProceedingsandFGDM" => Ctx::Row(self.open_row(&schema::PRE_PROCEEDINGS, pos)),
                _ => return self.field(i, name, pos),
            },
            (Ctx::Row(i), "FactorsIdentifiedAtAssessment") if self.is_table(i, &schema::ASSESSMENTS) => {
                Ctx::List(table_index(&schema::ASSESSMENT_FACTORS))
            }
            (Ctx::Row(i), "Reviews") if self.is_table(i, &schema::CHILD_PROTECTION_PLANS) => Ctx::List(table_index(&schema::REVIEWS)),
            (Ctx::Row(i), _) => return self.field(i, name, pos),
            (Ctx::List(table), _) if name == schema::TABLES[table].element => {
                let def = schema::TABLES[table];
                let row = self.open_row(def, pos);
                self.stack.push(Ctx::Row(row));
                self.capture = Some(Capture { row, column: 0, name, pos, text: Cow::Borrowed(""), nested: 0 });
                return Ok(());
            }
            _ => {
                let context = self.context_name(parent);
                self.unknown(name, pos, &format!("in <{context}>"));
                Ctx::Skip
            }
        };
        self.stack.push(ctx);
        Ok(())
    }

    fn context_name(&self, ctx: Ctx) -> &'static str {
        match ctx {
            Ctx::Message => "Message",
            Ctx::CollectionDetails => "CollectionDetails",
            Ctx::Source => "Source",
            Ctx::Children => "Children",
            Ctx::Child => "Child",
            Ctx::Row(i) => schema::TABLES[self.open_rows[i].table].element,
            Ctx::List(table) => match schema::TABLES[table].name {
                "Disabilities" => "Disabilities",
                "Reviews" => "Reviews",
                _ => "FactorsIdentifiedAtAssessment",
            },
            Ctx::Skip => "an ignored element",
        }
    }

    fn is_header(&self, row: usize) -> bool {
        self.header == Some(row)
    }

    fn is_table(&self, row: usize, def: &TableDef) -> bool {
        schema::TABLES[self.open_rows[row].table].name == def.name && !self.is_header(row)
    }

    fn open_row(&mut self, def: &'static TableDef, pos: Pos) -> usize {
        let keys = match def.keys.len() {
            0 => [0, 0],
            1 => [self.episode, 0],
            _ if def.keys[1].name == "AssessmentID" => [self.episode, self.assessment],
            _ => [self.episode, self.cpp],
        };
        self.open_rows.push(RowBuf { table: table_index(def), keys, values: vec![None; def.columns.len()], pos, last_column: None });
        self.open_rows.len() - 1
    }

    /// A field element of the row at `row`: start capturing its text.
    fn field(&mut self, row: usize, name: &'a str, pos: Pos) -> Result<(), IngestError> {
        let def = schema::TABLES[self.open_rows[row].table];
        match def.column_index(name) {
            Some(column) if def.keys.iter().all(|k| k.name != name) => {
                self.capture = Some(Capture { row, column, name, pos, text: Cow::Borrowed(""), nested: 0 });
                self.stack.push(Ctx::Row(row));
            }
            _ => {
                let parent = def.element;
                self.unknown(name, pos, &format!("in <{parent}>"));
                self.stack.push(Ctx::Skip);
            }
        }
        Ok(())
    }

    fn text(&mut self, content: Cow<'a, str>, start: u64) -> Result<(), IngestError> {
        let captured = self.capture.as_ref().map_or(0, |c| c.text.len());
        if content.len() + captured > MAX_TEXT {
            return Err(self
                .error(start, "text-too-long", format!("a text of {} bytes; census values are short and cinlint accepts at most {} bytes in one place", content.len() + captured, MAX_TEXT))
                .with_help("This is not a census value: check the export that wrote this file."));
        }
        match &mut self.capture {
            Some(capture) if capture.nested == 0 => {
                if capture.text.is_empty() {
                    capture.text = content;
                } else {
                    capture.text.to_mut().push_str(&content);
                }
            }
            Some(_) => {}
            None => {
                if !content.trim().is_empty() && self.stack.last() != Some(&Ctx::Skip) && !self.stack.is_empty() {
                    let pos = self.pos(start);
                    self.findings.push(rf::pending(
                        rf::UNKNOWN_ELEMENT,
                        Severity::Warning,
                        format!("unexpected text `{}` outside any field", shorten(content.trim())),
                        "Remove the stray text; census values live inside their elements.",
                        pos,
                        schema::HEADER.name,
                        None,
                        None,
                        None,
                    ));
                }
            }
        }
        Ok(())
    }

    fn close(&mut self, _start: u64) -> Result<(), IngestError> {
        let ctx = self.stack.pop().expect("quick-xml checks end tags");
        if let Some(capture) = &mut self.capture {
            if capture.nested > 0 {
                capture.nested -= 1;
                return Ok(());
            }
            let capture = self.capture.take().expect("checked");
            self.store(capture);
            if matches!(ctx, Ctx::Row(row) if self.is_list_row(row)) {
                self.close_row();
            }
            return Ok(());
        }
        match ctx {
            Ctx::Message => self.root_closed = true,
            Ctx::Child => self.close_child(),
            Ctx::Row(row) if self.is_header(row) => {
                self.header_row = Some(self.open_rows.remove(row));
                self.header = None;
            }
            Ctx::Row(row) if row == self.ids_row || row == self.chars_row => {}
            Ctx::Row(_) => self.close_row(),
            _ => {}
        }
        Ok(())
    }

    fn is_list_row(&self, row: usize) -> bool {
        let table = schema::TABLES[self.open_rows[row].table].name;
        [schema::DISABILITIES.name, schema::ASSESSMENT_FACTORS.name, schema::REVIEWS.name].contains(&table)
    }

    /// Stores a captured value into its row, reporting repeats and order problems.
    fn store(&mut self, capture: Capture<'a>) {
        let row = &mut self.open_rows[capture.row];
        let def = schema::TABLES[row.table];
        let child_key = (!self.header.is_some_and(|h| h == capture.row)).then_some(self.child_key);
        if row.values[capture.column].is_some() {
            let table = def.name;
            self.findings.push(rf::pending(
                rf::REPEATED_ELEMENT,
                Severity::Warning,
                format!("<{}> appears more than once in <{}>; only the first is used", capture.name, def.element),
                "Keep one value: the schema allows this element once here.",
                capture.pos,
                table,
                None,
                Some(capture.name),
                child_key,
            ));
            return;
        }
        if let Some(last) = row.last_column {
            if capture.column < last && def.columns.len() > 1 {
                let after = def.columns[last].name;
                self.findings.push(rf::pending(
                    rf::OUT_OF_ORDER,
                    Severity::Warning,
                    format!("<{}> comes after <{after}>; the schema puts it before", capture.name),
                    "Write the elements in schema order; DfE's loader validates against the XSD.",
                    capture.pos,
                    def.name,
                    None,
                    Some(capture.name),
                    child_key,
                ));
            }
        }
        row.last_column = Some(row.last_column.map_or(capture.column, |l| l.max(capture.column)));
        row.values[capture.column] = Some((capture.text, capture.pos));
    }

    fn close_row(&mut self) {
        let row = self.open_rows.pop().expect("an open row");
        self.child_rows.push(row);
    }

    fn close_child(&mut self) {
        let chars = self.open_rows.pop().expect("characteristics row");
        let ids = self.open_rows.pop().expect("identifiers row");
        let child_key = self.child_key;
        let la_child_id = ids.values[0].as_ref().map(|(t, _)| t.clone()).filter(|t| !t.is_empty());
        let rows = std::mem::take(&mut self.child_rows);
        // Identifiers first, then characteristics, then the rest in document order of closing,
        // which keeps each table's rows in document order.
        for row in [ids, chars].into_iter().chain(rows) {
            self.append(row, Some((child_key, la_child_id.as_deref())));
        }
        self.child_key += 1;
    }

    fn append(&mut self, row: RowBuf<'a>, child: Option<(u32, Option<&str>)>) {
        let values: Vec<_> = row.values.iter().map(|v| v.as_ref().map(|(t, p)| (t.as_ref(), *p))).collect();
        let builder = &mut self.builders[row.table];
        let def = builder.def();
        let findings = &mut self.findings;
        builder.append(child, &row.keys[..def.keys.len()], &values, row.pos, |bad| {
            let column = def.columns[bad.column];
            let expected = match column.kind {
                schema::ColumnKind::Date => "a date written YYYY-MM-DD",
                schema::ColumnKind::Bool => "true, false, 1 or 0",
                _ => "a whole number",
            };
            findings.push(rf::pending(
                rf::BAD_VALUE,
                Severity::Error,
                format!("`{}` is not {expected} ({})", shorten(bad.text), column.name),
                "Correct the value in the case-management system; until then every rule reading this field treats it as missing.",
                bad.pos,
                def.name,
                Some(bad.row),
                Some(column.name),
                child.map(|(k, _)| k),
            ));
        });
    }

    fn unknown(&mut self, name: &str, pos: Pos, context: &str) {
        let child_key = (self.children > 0 && self.stack.contains(&Ctx::Child)).then_some(self.child_key);
        self.findings.push(rf::pending(
            rf::UNKNOWN_ELEMENT,
            Severity::Warning,
            format!("unknown element <{name}> {context}: it is not part of the census schema and was ignored"),
            "Check the element's spelling and place against the census schema; remove it if it does not belong.",
            pos,
            if child_key.is_some() { schema::CHILD_IDENTIFIERS.name } else { schema::HEADER.name },
            None,
            None,
            child_key,
        ));
    }

    /// The finished tables; the header row (or an empty one) is written by the first part only.
    fn into_parts(mut self, with_header: bool) -> Parts {
        if with_header {
            if let Some(row) = self.header_row.take() {
                self.append(row, None);
            } else {
                let def = &schema::HEADER;
                let values = vec![None; def.columns.len()];
                self.builders[0].append(None, &[], &values, Pos::NONE, |_| {});
            }
        }
        let tables = self.builders.into_iter().map(TableBuilder::finish).collect();
        Parts { tables, findings: self.findings, children: self.children }
    }
}

/// The element's local name (any namespace prefix dropped), as a `'static` spelling. Known
/// names are looked up by their bytes (no UTF-8 check, a cheap hash): this runs for every tag.
fn local_name(e: &quick_xml::events::BytesStart<'_>) -> &'static str {
    let local = e.local_name();
    let bytes = local.into_inner();
    match known_names().get(bytes) {
        Some(name) => name,
        None => unknown_name(std::str::from_utf8(bytes).unwrap_or("?")),
    }
}

/// FNV-1a: a fast hash for short, trusted keys (the schema's element names).
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for byte in bytes {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type NameMap = std::collections::HashMap<&'static [u8], &'static str, std::hash::BuildHasherDefault<Fnv>>;

/// Every element name of the census schema, for allocation-free lookups.
fn known_names() -> &'static NameMap {
    use std::sync::OnceLock;
    static NAMES: OnceLock<NameMap> = OnceLock::new();
    NAMES.get_or_init(|| {
        const CONTAINERS: &[&str] = &[
            "Message", "Header", "CollectionDetails", "Source", "Children", "Child", "Disabilities",
            "FactorsIdentifiedAtAssessment", "Reviews", "CINPlanDates", "Content",
        ];
        let mut names: NameMap = CONTAINERS.iter().map(|c| (c.as_bytes(), *c)).collect();
        for table in schema::TABLES {
            names.insert(table.element.as_bytes(), table.element);
            for c in table.columns {
                names.insert(c.name.as_bytes(), c.name);
            }
        }
        names
    })
}

/// Unknown names are kept in a small process-wide set (bounded) so they can be `'static`.
fn unknown_name(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut guard = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if let Some(existing) = set.get(name) {
        return existing;
    }
    if set.len() > 10_000 {
        return "(unknown)";
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Ok(c);
    }
    let name = r.decode().map_err(|e| e.to_string())?;
    match name.as_ref() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(format!("the entity `&{other};` is not defined; cinlint never expands entities")),
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_of_several_children_is_parsed_in_two_halves() {
        let child = "<Child><ChildIdentifiers><LAchildID>A</LAchildID></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics></Child>\n    ";
        let text = format!("<Message>\n  <Header><CollectionDetails><Year>2026</Year></CollectionDetails></Header>\n  <Children>\n    {}</Children>\n</Message>\n", child.repeat(6));
        let split = split_point(&text).expect("a split point");
        assert!(text[split..].starts_with("<Child>"));
        let parts = parse_halves("t.xml", text.as_bytes(), 0, 0, &text, split).expect("the halves meet between two children");
        assert_eq!(parts.children, 6);
        assert_eq!(parts.tables[1].batch.num_rows(), 6);
    }
}
