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
    /// Byte offset of the window in the file.
    pub start: u64,
}

impl Window {
    /// The lines from the one holding `from` to the one holding `to`, plus `context` lines each side.
    pub fn around(name: &str, text: &[u8], from: u64, to: u64, context: usize) -> Window {
        let from = (from as usize).min(text.len());
        let to = (to as usize).clamp(from, text.len());
        let mut start = text[..from].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        for _ in 0..context {
            if start == 0 {
                break;
            }
            start = text[..start - 1].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        }
        let mut end = text[to..].iter().position(|&b| b == b'\n').map_or(text.len(), |p| to + p);
        for _ in 0..context {
            if end >= text.len() {
                break;
            }
            end = text[end + 1..].iter().position(|&b| b == b'\n').map_or(text.len(), |p| end + 1 + p);
        }
        // Cap very long lines (e.g. a file with no newlines).
        let end = end.min(start + 64 * 1024).max(to.min(text.len()));
        let first_line = text[..start].iter().filter(|&&b| b == b'\n').count();
        Window { name: name.to_string(), text: String::from_utf8_lossy(&text[start..end]).into_owned(), first_line, start: start as u64 }
    }

    /// A span of `len` bytes at file offset `offset`, relative to the window.
    pub fn span(&self, offset: u64, len: usize) -> SourceSpan {
        let start = (offset.saturating_sub(self.start) as usize).min(self.text.len());
        let len = len.min(self.text.len() - start);
        SourceSpan::new(start.into(), len)
    }
}

impl SourceCode for Window {
    fn read_span<'a>(&'a self, span: &SourceSpan, before: usize, after: usize) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// Length of the located text: a whole XML element, or a CSV field.
pub fn located_len(text: &[u8], offset: u64) -> usize {
    let start = (offset as usize).min(text.len());
    let rest = &text[start..];
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
        let w = Window::around("f.xml", text, 6, 6, 1);
        assert_eq!(w.text, "c\n<X>1</X>\ne");
        assert_eq!(w.first_line, 2);
        let span = w.span(6, 8);
        let contents = w.read_span(&span, 0, 0).unwrap();
        assert_eq!(contents.line(), 3);
    }

    #[test]
    fn lengths() {
        assert_eq!(located_len(b"<CPPendDate>2025-01-01</CPPendDate>\n", 0), 35);
        assert_eq!(located_len(b"<X/>", 0), 4);
        assert_eq!(located_len(b"abc,\"d,e\"\n", 4), 5);
    }
}
