//! The canonical CIN model: table schemas, code lists, collection years and the findings record.

pub mod calendar;
pub mod code_lists;
pub mod finding;
pub mod schema;

pub use calendar::{CollectionYear, WorkingCalendar};
pub use finding::{Finding, Location, Severity};
pub use schema::{ColumnKind, TableDef, TABLES};
