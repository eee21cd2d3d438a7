//! Check: rules as data (DfE packs and cinlint's own families) run as DataFusion queries over the canonical tables.

pub mod cohort;
pub mod config;
pub mod engine;
pub mod examples;
pub mod locate;
pub mod rule;
pub mod rules;
pub mod selection;
pub mod udf;

pub use config::Config;
pub use engine::{CheckOptions, CheckRun, Engine, EngineError};
pub use rule::{Example, ExampleKind, Rule};
pub use rules::{Pack, RuleBook};
pub use selection::Selection;
