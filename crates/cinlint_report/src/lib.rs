//! Report: one renderer per output format, turning findings into text (miette) or JSON Lines.

pub mod json;
pub mod source;
pub mod summary;
pub mod text;

pub use source::SourceTexts;
