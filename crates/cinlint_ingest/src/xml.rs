//! Census XML reader: one streaming pass over the bytes into the canonical tables.
//!
//! The tokens come from [`lexer`], which never validates against a schema, never fetches
//! anything and never expands entities, which is what an untrusted 1 GB return needs; every
//! token is a slice of the input, so most values are never copied before they reach the Arrow
//! builders. Element names become small ids ([`names`]) the reader steers by.

pub mod lexer;
mod names;

use crate::error::IngestError;
use crate::reader_findings::{self as rf};
use crate::source::{Pos, SourceFile, SourceMap};
use crate::tables::{census_builders, CensusData, Checksum, InputKind, InputSummary, TableBuilder};
use cinlint_model::schema;
use names::ElementId;
use cinlint_model::Severity;
use lexer::{Lexer, OpenElement, Token};
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

/// Inputs at least this large are parsed in parts, one per core, each at least half this large.
pub const PARALLEL_MIN_BYTES: usize = 4 * 1024 * 1024;

/// Most parts a document is parsed in at once (beyond this, building the tables dominates).
pub const MAX_PARTS: usize = 8;

/// Reads census XML from memory; `name` is used in locations and errors.
pub fn read_census_xml_bytes(name: &str, bytes: Vec<u8>) -> Result<CensusData, IngestError> {
    read_census_xml_bytes_split_from(name, bytes, PARALLEL_MIN_BYTES)
}

/// As [`read_census_xml_bytes`], parsing in parts on as many threads as there are cores (at
/// most [`MAX_PARTS`]) when the input holds at least `parallel_min_bytes`, each part at least
/// half that.
pub fn read_census_xml_bytes_split_from(name: &str, bytes: Vec<u8>, parallel_min_bytes: usize) -> Result<CensusData, IngestError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from).min(MAX_PARTS);
    let parts = if bytes.len() < parallel_min_bytes { 1 } else { (bytes.len() / (parallel_min_bytes / 2).max(1)).min(cores).max(1) };
    read_census_xml_bytes_in_parts(name, bytes, parts)
}

/// As [`read_census_xml_bytes`], in up to `parts` parts split at `<Child>` starts, one thread
/// each (tests use several parts on small inputs to compare with one pass).
pub fn read_census_xml_bytes_in_parts(name: &str, bytes: Vec<u8>, parts: usize) -> Result<CensusData, IngestError> {
    // Shared, not copied: `Arc<[u8]>` would copy the whole file (and briefly hold it twice).
    let bytes: Arc<Vec<u8>> = Arc::new(bytes);
    let text = check_encoding(name, &bytes)?;
    let body_start = bytes.len() - text.len();
    let mut sources = SourceMap::default();
    let file = sources.add(SourceFile::text(name, bytes.clone()));
    let splits = split_points(text, parts);
    let parsed = if splits.is_empty() { None } else { parse_parts(name, &bytes, file, body_start, text, &splits) };
    let parsed = match parsed {
        Some(parsed) => parsed,
        None => {
            let mut parser = Parser::new(name, &bytes, file, body_start as u64);
            parser.run(text, Vec::new(), Chunk::Whole)?;
            parser.into_parts(true)
        }
    };
    let input = InputSummary { path: name.to_string(), kind: InputKind::CensusXml, bytes: bytes.len() as u64, checksum: Checksum::of(vec![bytes.clone()]) };
    Ok(parsed.into_data(sources, input))
}

/// Where to split the document into `parts` parts: the `<Child>` starts nearest after evenly
/// spaced points of the `<Children>` element, in order, without repeats.
fn split_points(text: &str, parts: usize) -> Vec<usize> {
    let Some((children, child_tag)) = children_tags(text) else { return Vec::new() };
    let mut splits: Vec<usize> = Vec::new();
    for k in 1..parts {
        let mut at = children + (text.len() - children) * k / parts;
        while !text.is_char_boundary(at) {
            at += 1;
        }
        let Some(split) = text[at..].find(&child_tag).map(|i| at + i) else { break };
        if splits.last().is_none_or(|&last| split > last) {
            splits.push(split);
        }
    }
    splits
}

/// Where the `<Children>` start tag is, and how a `<Child>` start tag is written: with the
/// return's namespace prefix when its elements carry one (`<cin:Children>`, `<cin:Child>`).
fn children_tags(text: &str) -> Option<(usize, String)> {
    let mut from = 0;
    while let Some(i) = text[from..].find("Children>") {
        let at = from + i;
        let open = text[..at].rfind('<')?;
        let prefix = &text[open + 1..at];
        let is_prefix = |p: &str| p.strip_suffix(':').is_some_and(|name| !name.is_empty() && name.bytes().all(lexer::is_name_byte));
        if prefix.is_empty() || is_prefix(prefix) {
            return Some((open, format!("<{prefix}Child>")));
        }
        from = at + 1;
    }
    None
}

/// The elements open just inside `<Children>` (as written, any prefix kept): where every part
/// after the first starts. `None` when the document's head does not read.
fn open_inside_children(text: &str) -> Option<Vec<OpenElement<'_>>> {
    let (children, _) = children_tags(text)?;
    let end = children + text[children..].find('>')? + 1;
    let mut lexer = Lexer::new(&text[..end]);
    while lexer.next_token().ok()? != Token::Eof {}
    Some(lexer.open_elements().to_vec())
}

/// Parses the parts between `splits` at once. `None` when any part fails or a split did not
/// land between two children (e.g. inside a comment): the caller then parses the whole text in
/// one pass, which gives the authoritative error if there is one.
fn parse_parts(name: &str, bytes: &[u8], file: u16, body_start: usize, text: &str, splits: &[usize]) -> Option<Parts> {
    let bounds: Vec<(usize, usize)> = std::iter::once(0).chain(splits.iter().copied()).zip(splits.iter().copied().chain(std::iter::once(text.len()))).collect();
    let last = bounds.len() - 1;
    let inside_children = open_inside_children(text)?;
    let parse = |index: usize, (from, to): (usize, usize)| {
        let chunk = match index {
            0 => Chunk::First,
            i if i == last => Chunk::Last,
            _ => Chunk::Middle,
        };
        let mut parser = Parser::new(name, bytes, file, (body_start + from) as u64);
        let open = if chunk == Chunk::First { Vec::new() } else { inside_children.clone() };
        if chunk != Chunk::First {
            parser.enter_children();
        }
        let read = parser.run(&text[from..to], open, chunk).is_ok() && (chunk == Chunk::Last || parser.at_child_boundary());
        read.then(|| parser.into_parts(chunk == Chunk::First))
    };
    let parts: Vec<Option<Parts>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds.iter().enumerate().skip(1).map(|(i, &b)| scope.spawn(move || parse(i, b))).collect();
        let first = parse(0, bounds[0]);
        std::iter::once(first)
            .chain(handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))))
            .collect()
    });
    let parts: Option<Vec<Parts>> = parts.into_iter().collect();
    Some(Parts::concat(parts?))
}

/// Which part of the document a parser reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Chunk {
    Whole,
    /// From the start up to a `<Child>` start: ends inside `<Children>`.
    First,
    /// From a `<Child>` start up to another: starts and ends inside `<Children>`.
    Middle,
    /// From a `<Child>` start to the end: starts inside `<Children>`.
    Last,
}

impl Chunk {
    /// Whether the part runs to the document's end.
    fn reaches_document_end(self) -> bool {
        matches!(self, Chunk::Whole | Chunk::Last)
    }
}

/// What a parser produced, before the tables are finished.
struct Parts {
    tables: Vec<crate::tables::TableData>,
    findings: rf::Listing,
    children: usize,
}

impl Parts {
    /// The parts one after another (each part's rows and children are numbered from zero).
    fn concat(parts: Vec<Parts>) -> Parts {
        let mut children = 0u32;
        let mut row_offsets = vec![0u32; schema::TABLES.len()];
        let mut tables: Vec<Vec<(crate::tables::TableData, u32)>> = (0..schema::TABLES.len()).map(|_| Vec::new()).collect();
        let mut findings = rf::Listing::default();
        for mut part in parts {
            for pending in &mut part.findings.listed {
                let table = schema::TABLES.iter().position(|t| t.name == pending.table);
                pending.row = pending.row.map(|r| r + table.map_or(0, |t| row_offsets[t]));
                pending.finding.child_key = pending.finding.child_key.map(|k| k + children);
            }
            findings.append(part.findings);
            for (index, table) in part.tables.into_iter().enumerate() {
                row_offsets[index] += table.batch.num_rows() as u32;
                tables[index].push((table, children));
            }
            children += part.children as u32;
        }
        let tables = tables.into_iter().map(crate::tables::TableData::concat).collect();
        Parts { tables, findings, children: children as usize }
    }

    fn into_data(self, sources: SourceMap, input: InputSummary) -> CensusData {
        let mut data = CensusData {
            tables: self.tables,
            sources,
            reader_findings: self.findings.finish(),
            children: self.children,
            input,
            not_supplied: Vec::new(),
            extract_date: None,
        };
        if data.reader_findings.iter().all(|p| p.finding.child_key.is_none()) {
            return data;
        }
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

/// A row's field values, indexed like its table's columns.
type RowValues<'a> = Vec<Option<(Cow<'a, str>, Pos)>>;

/// A row being filled.
struct RowBuf<'a> {
    table: usize,
    keys: [i32; 2],
    values: RowValues<'a>,
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
    findings: rf::Listing,
    stack: Vec<Ctx>,
    open_rows: Vec<RowBuf<'a>>,
    /// Emptied value buffers of appended rows, for the next rows to reuse.
    spare_values: Vec<RowValues<'a>>,
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

/// Positions of the census tables in `schema::TABLES` (a test checks them), so a row's table is
/// compared as a number, never by name, on every element.
mod table {
    pub const HEADER: usize = 0;
    pub const CHILD_IDENTIFIERS: usize = 1;
    pub const CHILD_CHARACTERISTICS: usize = 2;
    pub const DISABILITIES: usize = 3;
    pub const CIN_DETAILS: usize = 4;
    pub const ASSESSMENTS: usize = 5;
    pub const ASSESSMENT_FACTORS: usize = 6;
    pub const CIN_PLAN_DATES: usize = 7;
    pub const SECTION47: usize = 8;
    pub const CHILD_PROTECTION_PLANS: usize = 9;
    pub const REVIEWS: usize = 10;
    pub const PRE_PROCEEDINGS: usize = 11;
    pub const COUNT: usize = 12;
}

impl<'a> Parser<'a> {
    fn new(name: &'a str, bytes: &'a [u8], file: u16, base: u64) -> Self {
        Self {
            name,
            bytes,
            file,
            base,
            builders: census_builders(),
            findings: rf::Listing::default(),
            stack: Vec::new(),
            open_rows: Vec::new(),
            spare_values: Vec::new(),
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
        self.header_seen = true;
    }

    /// Whether the parser stopped between two children (the end of a first half).
    fn at_child_boundary(&self) -> bool {
        self.stack == [Ctx::Message, Ctx::Children] && self.capture.is_none() && self.open_rows.is_empty() && self.child_rows.is_empty()
    }

    /// Reads `text`, which starts inside the elements `open` (none for the document's start).
    fn run(&mut self, text: &'a str, open: Vec<OpenElement<'a>>, chunk: Chunk) -> Result<(), IngestError> {
        let mut lexer = Lexer::inside(text, open);
        loop {
            let token = lexer.next_token().map_err(|e| {
                let error = self.error(e.offset as u64, e.kind, format!("the XML is not well-formed: {}", e.message));
                match e.kind {
                    "entity" => error.with_help("Census XML may use only &amp; &lt; &gt; &quot; &apos; and numeric character references."),
                    _ => error.with_help("Fix the XML at this position (an editor with XML checking helps); cinlint cannot read past it."),
                }
            })?;
            let start = lexer.token_start() as u64;
            match token {
                Token::Start(local) => {
                    let (name, id) = element(local);
                    self.open(name, id, start)?;
                }
                Token::Empty(local) => {
                    let (name, id) = element(local);
                    self.open(name, id, start)?;
                    self.close(start)?;
                }
                // The lexer matched the end tag with its start tag.
                Token::End(_) => self.close(start)?,
                Token::Text(content) | Token::CData(content) => self.text(Cow::Borrowed(content), start)?,
                Token::Char(c) => self.text(Cow::Owned(c.to_string()), start)?,
                Token::DocType => {
                    return Err(self
                        .error(start, "doctype", "the file has a DOCTYPE (DTD) declaration; cinlint refuses DTDs and never expands entities".into())
                        .with_help("Remove the <!DOCTYPE …> declaration: census XML does not use one."));
                }
                Token::Eof => break,
            }
        }
        if !chunk.reaches_document_end() {
            return Ok(());
        }
        if !self.stack.is_empty() {
            return Err(self
                .error(text.len() as u64, "truncated", format!("the file ends inside <{}>: it is truncated", String::from_utf8_lossy(lexer.innermost().unwrap_or(b"Message"))))
                .with_help("The file was cut short (an interrupted copy or export?). Export it again."));
        }
        if !self.root_closed {
            return Err(self.error(0, "wrong-root", "the file has no <Message> element".into()));
        }
        Ok(())
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

    fn open(&mut self, name: &'static str, id: ElementId, start: u64) -> Result<(), IngestError> {
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
            if id != names::MESSAGE {
                return Err(self
                    .error(start, "wrong-root", format!("the root element is <{name}>; a census return's root is <Message>"))
                    .with_help("Is this the CIN census XML? Other DfE returns have other roots."));
            }
            self.stack.push(Ctx::Message);
            return Ok(());
        };
        let ctx = match (parent, id) {
            (Ctx::Skip, _) => Ctx::Skip,
            (Ctx::Message, names::HEADER) => {
                if !self.header_seen {
                    self.header_seen = true;
                    self.header = Some(self.open_row(table::HEADER, pos));
                    Ctx::Row(self.header.expect("just set"))
                } else {
                    self.repeated(name, pos, schema::HEADER.name);
                    Ctx::Skip
                }
            }
            (Ctx::Message, names::CHILDREN) => Ctx::Children,
            (Ctx::Row(i), names::COLLECTION_DETAILS) if self.is_header(i) => Ctx::CollectionDetails,
            (Ctx::Row(i), names::SOURCE) if self.is_header(i) => Ctx::Source,
            (Ctx::Row(i), names::CONTENT) if self.is_header(i) => Ctx::Skip, // pre-2022 CBDSLevels block
            (Ctx::CollectionDetails | Ctx::Source, _) => {
                let row = self.header.expect("inside the header");
                return self.field(row, name, id, pos);
            }
            (Ctx::Children, names::CHILD) => {
                self.children += 1;
                self.episode = 0;
                self.ids_row = self.open_row(table::CHILD_IDENTIFIERS, pos);
                self.chars_row = self.open_row(table::CHILD_CHARACTERISTICS, pos);
                Ctx::Child
            }
            (Ctx::Child, names::CHILD_IDENTIFIERS) => {
                self.open_rows[self.ids_row].pos = pos;
                Ctx::Row(self.ids_row)
            }
            (Ctx::Child, names::CHILD_CHARACTERISTICS) => {
                self.open_rows[self.chars_row].pos = pos;
                Ctx::Row(self.chars_row)
            }
            (Ctx::Row(i), names::DISABILITIES) if i == self.chars_row => Ctx::List(table::DISABILITIES),
            (Ctx::Child, names::CIN_DETAILS) => {
                self.episode += 1;
                self.assessment = 0;
                self.cpp = 0;
                Ctx::Row(self.open_row(table::CIN_DETAILS, pos))
            }
            (Ctx::Row(i), child) if self.is_table(i, table::CIN_DETAILS) => match child {
                names::ASSESSMENTS => {
                    self.assessment += 1;
                    Ctx::Row(self.open_row(table::ASSESSMENTS, pos))
                }
                names::CIN_PLAN_DATES => Ctx::Row(self.open_row(table::CIN_PLAN_DATES, pos)),
                names::SECTION47 => Ctx::Row(self.open_row(table::SECTION47, pos)),
                names::CHILD_PROTECTION_PLANS => {
                    self.cpp += 1;
                    Ctx::Row(self.open_row(table::CHILD_PROTECTION_PLANS, pos))
                }
                names::PRE_PROCEEDINGS => Ctx::Row(self.open_row(table::PRE_PROCEEDINGS, pos)),
                _ => return self.field(i, name, id, pos),
            },
            (Ctx::Row(i), names::FACTORS_IDENTIFIED) if self.is_table(i, table::ASSESSMENTS) => {
                Ctx::List(table::ASSESSMENT_FACTORS)
            }
            (Ctx::Row(i), names::REVIEWS) if self.is_table(i, table::CHILD_PROTECTION_PLANS) => Ctx::List(table::REVIEWS),
            (Ctx::Row(i), _) => return self.field(i, name, id, pos),
            (Ctx::List(table), _) if names::known().is_row_element(id, table) => {
                let row = self.open_row(table, pos);
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

    fn is_table(&self, row: usize, table: usize) -> bool {
        self.open_rows[row].table == table && !self.is_header(row)
    }

    fn open_row(&mut self, table: usize, pos: Pos) -> usize {
        let def = schema::TABLES[table];
        let keys = match def.keys.len() {
            0 => [0, 0],
            1 => [self.episode, 0],
            _ if def.keys[1].name == "AssessmentID" => [self.episode, self.assessment],
            _ => [self.episode, self.cpp],
        };
        // Value buffers are reused row after row: no allocation per row.
        let mut values = self.spare_values.pop().unwrap_or_default();
        values.resize(def.columns.len(), None);
        self.open_rows.push(RowBuf { table, keys, values, pos, last_column: None });
        self.open_rows.len() - 1
    }

    /// A field element of the row at `row`: start capturing its text.
    fn field(&mut self, row: usize, name: &'static str, id: ElementId, pos: Pos) -> Result<(), IngestError> {
        let table = self.open_rows[row].table;
        match names::known().column(id, table) {
            Some(column) => {
                self.capture = Some(Capture { row, column, name, pos, text: Cow::Borrowed(""), nested: 0 });
                self.stack.push(Ctx::Row(row));
            }
            None => {
                let parent = schema::TABLES[table].element;
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
                if !is_xml_space(&content) && self.stack.last() != Some(&Ctx::Skip) && !self.stack.is_empty() {
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
        let ctx = self.stack.pop().expect("the lexer matches end tags");
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
        matches!(self.open_rows[row].table, table::DISABILITIES | table::ASSESSMENT_FACTORS | table::REVIEWS)
    }

    /// Stores a captured value into its row, reporting repeats and order problems.
    fn store(&mut self, capture: Capture<'a>) {
        let row = &mut self.open_rows[capture.row];
        let def = schema::TABLES[row.table];
        let child_key = self.header.is_none_or(|h| h != capture.row).then_some(self.child_key);
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
        let mut values = row.values;
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
        values.clear();
        self.spare_values.push(values);
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
                let values: Vec<crate::tables::FieldValue> = vec![None; def.columns.len()];
                self.builders[0].append(None, &[], &values, Pos::NONE, |_| {});
            }
        }
        let tables = self.builders.into_iter().map(TableBuilder::finish).collect();
        Parts { tables, findings: self.findings, children: self.children }
    }
}

/// XML white space only (space, tab, CR, LF): the indentation between elements.
fn is_xml_space(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// An element's local name as a `'static` spelling, and its id. Known names are looked up by
/// their bytes (no UTF-8 check): this runs for every tag.
fn element(local: &[u8]) -> (&'static str, ElementId) {
    names::known().get(local).unwrap_or_else(|| (names::unknown(&String::from_utf8_lossy(local)), names::UNKNOWN))
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
    fn table_positions_match_the_schema() {
        let position = |def: &schema::TableDef| schema::TABLES.iter().position(|t| t.name == def.name).unwrap();
        assert_eq!(table::HEADER, position(&schema::HEADER));
        assert_eq!(table::CHILD_IDENTIFIERS, position(&schema::CHILD_IDENTIFIERS));
        assert_eq!(table::CHILD_CHARACTERISTICS, position(&schema::CHILD_CHARACTERISTICS));
        assert_eq!(table::DISABILITIES, position(&schema::DISABILITIES));
        assert_eq!(table::CIN_DETAILS, position(&schema::CIN_DETAILS));
        assert_eq!(table::ASSESSMENTS, position(&schema::ASSESSMENTS));
        assert_eq!(table::ASSESSMENT_FACTORS, position(&schema::ASSESSMENT_FACTORS));
        assert_eq!(table::CIN_PLAN_DATES, position(&schema::CIN_PLAN_DATES));
        assert_eq!(table::SECTION47, position(&schema::SECTION47));
        assert_eq!(table::CHILD_PROTECTION_PLANS, position(&schema::CHILD_PROTECTION_PLANS));
        assert_eq!(table::REVIEWS, position(&schema::REVIEWS));
        assert_eq!(table::PRE_PROCEEDINGS, position(&schema::PRE_PROCEEDINGS));
        assert_eq!(schema::TABLES.len(), 12);
    }

    #[test]
    fn xml_space() {
        assert!(is_xml_space(" \r\n\t") && !is_xml_space("\u{a0}"));
    }

    #[test]
    fn a_document_of_several_children_is_parsed_in_parts() {
        let child = "<Child><ChildIdentifiers><LAchildID>A</LAchildID></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics></Child>\n    ";
        let text = format!("<Message>\n  <Header><CollectionDetails><Year>2026</Year></CollectionDetails></Header>\n  <Children>\n    {}</Children>\n</Message>\n", child.repeat(6));
        let prefixed = text.replace("<", "<cin:").replace("<cin:/", "</cin:").replace("<cin:Message>", "<cin:Message xmlns:cin=\"x\">");
        for text in [text, prefixed] {
            for parts in [2, 3, 6, 20] {
                parses_in_parts(&text, parts);
            }
        }
        assert_eq!(children_tags("<M><LAChildren>x</LAChildren></M>"), None);
        assert_eq!(children_tags("<M></Children><Children>"), Some((14, "<Child>".to_string())));
    }

    fn parses_in_parts(text: &str, parts: usize) {
        let splits = split_points(text, parts);
        assert!(!splits.is_empty() && splits.len() < parts.min(6));
        assert!(splits.iter().all(|&s| text[s..].starts_with("<Child>") || text[s..].starts_with("<cin:Child>")) && splits.windows(2).all(|w| w[0] < w[1]));
        let parsed = parse_parts("t.xml", text.as_bytes(), 0, 0, text, &splits).expect("the parts meet between two children");
        assert_eq!(parsed.children, 6);
        assert_eq!(parsed.tables[1].batch.num_rows(), 6);
    }
}
