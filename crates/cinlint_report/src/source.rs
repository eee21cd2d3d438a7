//! Source windows: a few lines around a finding, so a 1 GB input is never embedded in a report.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::collections::HashMap;
use std::sync::Arc;

/// Source texts by file name (only text files: XML, CSV); renderers read windows from them.
#[derive(Debug, Clone, Default)]
pub struct SourceTexts {
    pub files: HashMap<String, Arc<Vec<u8>>>,
}

impl SourceTexts {
    pub fn insert(&mut self, name: impl Into<String>, text: Arc<Vec<u8>>) {
        self.files.insert(name.into(), text);
    }
}

/// Lines `first_line..` of a file, with spans relative to `start`.
#[derive(Debug, Clone)]
pub struct Window {
    pub name: String,
    pub text: String,
    /// 0-based number of the window's first line in the file.
    pub first_line: usize,
    /// 0-based column (characters) where the window starts in its first line: 0 unless that
    /// line is too long to show whole.
    pub first_column: usize,
    /// Byte offset of the window in the file.
    pub start: u64,
}

/// How far a window reaches along a line before and after what it shows: a file written as one
/// line must not put megabytes into a report (or into a terminal).
const REACH: usize = 120;

impl Window {
    /// The lines from the one holding `from` to the one holding `to`, plus `context` lines each
    /// side; a line longer than the reach is cut around the located text. `place` is the 1-based
    /// line and column of `from` (known from the finding's location). Reads only the bytes near
    /// `from` and `to`, whatever the size of the file.
    pub fn around(name: &str, text: &[u8], from: u64, to: u64, context: usize, place: (u32, u32)) -> Window {
        let from = (from as usize).min(text.len());
        let to = (to as usize).clamp(from, text.len());
        let from_line_start = line_start_within(text, from);
        let mut start = from_line_start;
        let mut lines_before = 0;
        if start == 0 || text[start - 1] == b'\n' {
            for _ in 0..context {
                if start == 0 {
                    break;
                }
                let before = line_start_within(text, start - 1);
                if before > 0 && text[before - 1] != b'\n' {
                    break; // a long line: not worth showing as context
                }
                start = before;
                lines_before += 1;
            }
        }
        let mut end = line_end_within(text, to);
        for _ in 0..context {
            if end >= text.len() || text[end] != b'\n' {
                break;
            }
            let after = line_end_within(text, end + 1);
            if after < text.len() && text[after] != b'\n' {
                break;
            }
            end = after;
        }
        let first_column = (place.1 as usize).saturating_sub(1).saturating_sub(chars(&text[from_line_start..from]));
        Window {
            name: name.to_string(),
            text: String::from_utf8_lossy(&text[start..end]).into_owned(),
            first_line: (place.0 as usize).saturating_sub(1).saturating_sub(lines_before),
            first_column: if lines_before == 0 { first_column } else { 0 },
            start: start as u64,
        }
    }

    /// A span of `len` bytes at file offset `offset`, relative to the window.
    pub fn span(&self, offset: u64, len: usize) -> SourceSpan {
        let start = (offset.saturating_sub(self.start) as usize).min(self.text.len());
        let len = len.min(self.text.len() - start);
        SourceSpan::new(start.into(), len)
    }
}

/// Where the line holding `at` starts, or a character boundary at most [`REACH`] bytes before.
fn line_start_within(text: &[u8], at: usize) -> usize {
    let floor = at.saturating_sub(REACH);
    match text[floor..at].iter().rposition(|&b| b == b'\n') {
        Some(p) => floor + p + 1,
        None => {
            let mut start = floor;
            while start < at && is_continuation(text[start]) {
                start += 1;
            }
            start
        }
    }
}

/// Where the line holding `at` ends (its newline), or a character boundary at most [`REACH`]
/// bytes after.
fn line_end_within(text: &[u8], at: usize) -> usize {
    let ceiling = (at + REACH).min(text.len());
    match text[at..ceiling].iter().position(|&b| b == b'\n') {
        Some(p) => at + p,
        None => {
            let mut end = ceiling;
            while end > at && end < text.len() && is_continuation(text[end]) {
                end -= 1;
            }
            end
        }
    }
}

fn is_continuation(b: u8) -> bool {
    (b as i8) < -0x40
}

fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| !is_continuation(b)).count()
}

impl SourceCode for Window {
    fn read_span<'a>(&'a self, span: &SourceSpan, before: usize, after: usize) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        // Columns in characters, as everywhere else in cinlint; on the window's first line they
        // count on from where the window cuts the line.
        let before = self.text.get(..inner.span().offset()).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let column = before[line_start..].chars().count() + if line_start == 0 { self.first_column } else { 0 };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// Length of the located text: a whole XML element, or a CSV field.
pub fn located_len(text: &[u8], offset: u64) -> usize {
    let start = (offset as usize).min(text.len());
    // A census element or a CSV field is short; never read far along a long line.
    let rest = &text[start..(start + 4096).min(text.len())];
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = &rest[..line_end];
    if line.first() == Some(&b'<') {
        let name_end = line.iter().position(|&b| b == b'>' || b == b' ' || b == b'/').unwrap_or(line.len());
        let name = &line[1..name_end];
        let close = [b"</".as_slice(), name, b">"].concat();
        if let Some(p) = find(line, &close) {
            return p + close.len();
        }
        if let Some(p) = find(line, b"/>") {
            return p + 2;
        }
        return line.iter().position(|&b| b == b'>').map_or(line.len(), |p| p + 1);
    }
    let mut len = 0;
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => break,
            b'\r' => break,
            _ => {}
        }
        len += 1;
    }
    len.max(1)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_keep_file_line_numbers() {
        let text = b"a\nb\nc\n<X>1</X>\ne\nf\n";
        let w = Window::around("f.xml", text, 6, 6, 1, (4, 1));
        assert_eq!(w.text, "c\n<X>1</X>\ne");
        assert_eq!(w.first_line, 2);
        let span = w.span(6, 8);
        let contents = w.read_span(&span, 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (3, 0));
    }

    #[test]
    fn a_long_line_is_cut_around_the_located_text_with_true_columns() {
        let mut text = "é".repeat(100_000).into_bytes();
        let at = text.len() as u64;
        text.extend_from_slice(b"<X>1</X>");
        text.extend_from_slice(&"y".repeat(100_000).into_bytes());
        text.extend_from_slice(b"\nnext\n");
        let w = Window::around("f.xml", &text, at, at, 1, (1, 100_001));
        assert!(w.text.len() <= 2 * REACH + 8, "{}", w.text.len());
        assert!(w.text.contains("<X>1</X>") && !w.text.contains("next"));
        let contents = w.read_span(&w.span(at, 8), 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (0, 100_000));
        assert_eq!(located_len(&text, at), 8);
    }

    #[test]
    fn lengths() {
        assert_eq!(located_len(b"<CPPendDate>2025-01-01</CPPendDate>\n", 0), 35);
        assert_eq!(located_len(b"<X/>", 0), 4);
        assert_eq!(located_len(b"abc,\"d,e\"\n", 4), 5);
    }
}
