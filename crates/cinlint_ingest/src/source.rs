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
    Text { text: Arc<Vec<u8>>, lines: Arc<OnceLock<Vec<u64>>> },
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
                let starts = lines.get_or_init(|| line_starts(text));
                let (line, column) = line_column_indexed(text, starts, pos.local());
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

/// Byte offsets where each line starts.
pub fn line_starts(text: &[u8]) -> Vec<u64> {
    let mut starts = vec![0];
    starts.extend(text.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i as u64 + 1));
    starts
}

/// Line and column of `offset` using a line-start index (binary search).
pub fn line_column_indexed(text: &[u8], starts: &[u64], offset: u64) -> (u32, u32) {
    let offset = offset.min(text.len() as u64);
    let line = starts.partition_point(|&s| s <= offset).max(1);
    let start = starts[line - 1] as usize;
    let column = String::from_utf8_lossy(&text[start..offset as usize]).chars().count() as u32 + 1;
    (line as u32, column)
}

/// 1-based line and column (in characters) of byte `offset`. Linear in the offset: call it for
/// findings only, never per row.
pub fn line_column(text: &[u8], offset: u64) -> (u32, u32) {
    let offset = (offset as usize).min(text.len());
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() as u32 + 1;
    (line, column)
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
}
