//! Input errors: the input cannot be read at all (exit code 2). Each names file, line and column.

use std::path::Path;

/// An input that cannot be ingested. Located where possible; holds no source text.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{file}:{line}:{column}: {message}")]
pub struct IngestError {
    pub file: String,
    /// 1-based line, 0 when the problem is the file as a whole.
    pub line: u32,
    /// 1-based column, 0 when the problem is the file as a whole.
    pub column: u32,
    /// Byte offset of the problem (for a source snippet), if located.
    pub offset: Option<u64>,
    pub message: String,
    pub help: Option<String>,
    /// Stable kind for tests and machine output, e.g. `not-well-formed`.
    pub kind: &'static str,
}

impl IngestError {
    pub fn whole_file(file: &Path, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            file: file.display().to_string(),
            line: 0,
            column: 0,
            offset: None,
            message: message.into(),
            help: None,
            kind,
        }
    }

    /// An error at byte `offset` of `text` (line and column computed here).
    pub fn at(file: &str, text: &[u8], offset: u64, kind: &'static str, message: impl Into<String>) -> Self {
        let (line, column) = crate::source::line_column(text, offset);
        Self { file: file.to_string(), line, column, offset: Some(offset), message: message.into(), help: None, kind }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
