//! Where every row and field came from: compact positions, per-table position columns, and
//! line/column lookup done only for the few positions a finding needs.

use std::sync::{Arc, OnceLock};

/// A position in one of the run's source files: file index in the high 16 bits, then either a
/// byte offset (text files) or a packed sheet cell (workbooks). `Pos::NONE` = not present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pos(pub u64);

const LOCAL_BITS: u32 = 48;
const LOCAL_MASK: u64 = (1 << LOCAL_BITS) - 1;

impl Pos {
    pub const NONE: Pos = Pos(u64::MAX);

    pub fn new(file: u16, local: u64) -> Pos {
        Pos(((file as u64) << LOCAL_BITS) | (local & LOCAL_MASK))
    }

    /// A spreadsheet cell: 0-based row and column.
    pub fn cell(file: u16, row: u32, column: u32) -> Pos {
        Pos::new(file, ((row as u64) << 16) | (column as u64 & 0xffff))
    }

    pub fn is_none(self) -> bool {
        self == Pos::NONE
    }

    pub fn file(self) -> usize {
        (self.0 >> LOCAL_BITS) as usize
    }

    pub fn local(self) -> u64 {
        self.0 & LOCAL_MASK
    }
}

/// What a source file is, for turning positions into lines or cells.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// A text file (XML, CSV); positions are byte offsets; the text is kept for snippets.
    Text { text: Arc<Vec<u8>>, lines: Arc<OnceLock<LineIndex>> },
    /// A workbook sheet; positions are cells.
    Sheet { sheet: String },
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// As given by the user (for display).
    pub name: String,
    pub kind: SourceKind,
}

/// Positions for one canonical table: where each row's element starts, and where each field is.
#[derive(Debug, Clone, Default)]
pub struct TablePositions {
    pub rows: Vec<Pos>,
    /// `fields[column_index][row]`, indexed like `TableDef::columns`.
    pub fields: Vec<Vec<Pos>>,
}

impl TablePositions {
    pub fn new(columns: usize) -> Self {
        Self { rows: Vec::new(), fields: vec![Vec::new(); columns] }
    }
}

/// All the source files of a run.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
}

/// A resolved location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub offset: Option<u64>,
    pub cell: Option<String>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> u16 {
        self.files.push(file);
        (self.files.len() - 1) as u16
    }

    pub fn resolve(&self, pos: Pos) -> Option<Resolved> {
        if pos.is_none() {
            return None;
        }
        let file = self.files.get(pos.file())?;
        Some(match &file.kind {
            SourceKind::Text { text, lines } => {
                let (line, column) = lines.get_or_init(|| LineIndex::new(text)).line_column(text, pos.local());
                Resolved { file: file.name.clone(), line: Some(line), column: Some(column), offset: Some(pos.local()), cell: None }
            }
            SourceKind::Sheet { sheet } => {
                let row = (pos.local() >> 16) as u32;
                let column = (pos.local() & 0xffff) as u32;
                Resolved {
                    file: file.name.clone(),
                    line: Some(row + 1),
                    column: Some(column + 1),
                    offset: None,
                    cell: Some(format!("{sheet}!{}{}", column_letters(column), row + 1)),
                }
            }
        })
    }

    /// The text of a text source file.
    pub fn text(&self, file: usize) -> Option<&Arc<Vec<u8>>> {
        match &self.files.get(file)?.kind {
            SourceKind::Text { text, .. } => Some(text),
            SourceKind::Sheet { .. } => None,
        }
    }
}

impl SourceFile {
    pub fn text(name: impl Into<String>, text: Arc<Vec<u8>>) -> Self {
        Self { name: name.into(), kind: SourceKind::Text { text, lines: Arc::default() } }
    }

    pub fn sheet(name: impl Into<String>, sheet: impl Into<String>) -> Self {
        Self { name: name.into(), kind: SourceKind::Sheet { sheet: sheet.into() } }
    }
}

/// Line and column of any byte offset of a text, found by reading at most one block: the index
/// holds the line and column where each block of [`LineIndex::BLOCK`] bytes starts. Small (2 MB
/// for a 1 GB file, where a list of line starts took 340 MB) and fast for any line length (a
/// file written as one line has findings millions of characters along it).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// `(line, column)` at the start of each block, both 0-based, the column in characters.
    marks: Vec<(u32, u32)>,
}

impl LineIndex {
    pub const BLOCK: usize = 4096;

    pub fn new(text: &[u8]) -> Self {
        let mut marks = Vec::with_capacity(text.len() / Self::BLOCK + 1);
        let (mut line, mut column) = (0u32, 0u32);
        for block in text.chunks(Self::BLOCK) {
            marks.push((line, column));
            (line, column) = advance((line, column), block);
        }
        Self { marks }
    }

    /// 1-based line and column (in characters) of byte `offset` of `text` (the indexed text).
    pub fn line_column(&self, text: &[u8], offset: u64) -> (u32, u32) {
        let offset = (offset as usize).min(text.len());
        let block = offset / Self::BLOCK;
        let start = self.marks.get(block).copied().unwrap_or_default();
        let (line, column) = advance(start, &text[block * Self::BLOCK..offset]);
        (line.saturating_add(1), column.saturating_add(1))
    }
}

/// `(line, column)` after reading `bytes` from `(line, column)`; columns count characters (bytes
/// that do not continue a UTF-8 sequence). Written as counts over slices so they vectorise.
fn advance((line, column): (u32, u32), bytes: &[u8]) -> (u32, u32) {
    let chars = |b: &[u8]| b.iter().filter(|&&b| (b as i8) >= -0x40).count() as u32;
    match bytes.iter().rposition(|&b| b == b'\n') {
        Some(last) => {
            let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u32;
            (line.saturating_add(newlines), chars(&bytes[last + 1..]))
        }
        None => (line, column.saturating_add(chars(bytes))),
    }
}

/// 1-based line and column (in characters) of byte `offset`. Linear in the offset: for a single
/// position (an error); a run's many findings use [`LineIndex`].
pub fn line_column(text: &[u8], offset: u64) -> (u32, u32) {
    let (line, column) = advance((0, 0), &text[..(offset as usize).min(text.len())]);
    (line + 1, column + 1)
}

/// Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA.
pub fn column_letters(mut column: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_pack_and_resolve() {
        let p = Pos::new(3, 12345);
        assert_eq!((p.file(), p.local()), (3, 12345));
        let mut map = SourceMap::default();
        map.add(SourceFile::text("a.xml", Arc::new(b"ab\ncd\ne".to_vec())));
        map.add(SourceFile::sheet("b.xlsx", "ssd_person"));
        let r = map.resolve(Pos::new(0, 4)).unwrap();
        assert_eq!((r.line, r.column), (Some(2), Some(2)));
        let r = map.resolve(Pos::new(0, 3)).unwrap();
        assert_eq!((r.line, r.column), (Some(2), Some(1)));
        assert_eq!(line_column(b"ab\ncd\ne", 3), (2, 1));
        let c = map.resolve(Pos::cell(1, 11, 27)).unwrap();
        assert_eq!(c.cell.as_deref(), Some("ssd_person!AB12"));
        assert!(map.resolve(Pos::NONE).is_none());
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_column("é<x>".as_bytes(), 2), (1, 2));
    }

    /// The index agrees with a plain count at every offset, across block boundaries, in a text
    /// of short lines, very long lines and multi-byte characters.
    #[test]
    fn line_index_matches_a_plain_count() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&"é".repeat(i % 7));
            text.push_str(&"x".repeat(if i % 500 == 0 { 9000 } else { i % 40 }));
            text.push('\n');
        }
        let bytes = text.as_bytes();
        let index = LineIndex::new(bytes);
        let (mut line, mut column) = (1, 1);
        for offset in 0..=bytes.len() {
            if offset % 97 == 0 || offset % LineIndex::BLOCK < 3 {
                assert_eq!(index.line_column(bytes, offset as u64), (line, column), "offset {offset}");
            }
            if let Some(&b) = bytes.get(offset) {
                if b == b'\n' {
                    (line, column) = (line + 1, 1);
                } else if (b as i8) >= -0x40 {
                    column += 1;
                }
            }
        }
        assert_eq!(index.line_column(bytes, u64::MAX), index.line_column(bytes, bytes.len() as u64));
        assert_eq!(line_column(bytes, 9010), index.line_column(bytes, 9010));
    }
}
