//! Ingest: census XML (and later LA exports) into typed, located Arrow tables, and a Parquet dataset.

pub mod columns;
pub mod dataset;
pub mod error;
pub mod reader_findings;
pub mod source;
pub mod tables;
pub mod values;
pub mod xml;
pub mod write_xml;

pub use error::IngestError;
pub use source::{Pos, SourceFile, SourceMap};
pub use tables::{CensusData, TableData};
pub use xml::read_census_xml;
