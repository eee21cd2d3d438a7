//! Rule examples as complete census documents, and running one rule on them.

use crate::engine::{CheckOptions, Engine, EngineError};
use crate::rule::{Example, Rule};
use crate::rules::Pack;
use crate::selection::Selection;
use cinlint_model::{CollectionYear, Finding};
use std::sync::Arc;

/// The header the examples of a `year` pack are wrapped in.
pub fn example_header(year: CollectionYear) -> String {
    format!(
        "<Header>\n    <CollectionDetails>\n      <Collection>CIN</Collection>\n      <Year>{end}</Year>\n      <ReferenceDate>{r}</ReferenceDate>\n    </CollectionDetails>\n    <Source>\n      <SourceLevel>L</SourceLevel>\n      <LEA>201</LEA>\n      <SoftwareCode>cinlint-example</SoftwareCode>\n      <Release>1</Release>\n      <SerialNo>001</SerialNo>\n      <DateTime>{start}-04-01T09:00:00</DateTime>\n    </Source>\n  </Header>",
        end = year.end_year,
        r = year.reference_date(),
        start = year.end_year - 1
    )
}

/// The example as a whole census document.
pub fn example_document(example: &Example, year: CollectionYear) -> String {
    let header = example.header.clone().unwrap_or_else(|| example_header(year));
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message>\n  {header}\n  <Children>\n{}\n  </Children>\n</Message>\n", example.xml.trim_end())
}

/// The pack year an example runs in: the folder's year, or the given default for families.
pub fn example_year(rule: &Rule, default: CollectionYear) -> CollectionYear {
    rule.since.unwrap_or(default)
}

/// Runs only `rule` on the example; returns its findings (of this rule's code).
pub fn run_example(engine: &Engine, rule: &Arc<Rule>, example: &Example, year: CollectionYear) -> Result<Vec<Finding>, String> {
    let document = example_document(example, year);
    let data = cinlint_ingest::xml::read_census_xml_bytes("example.xml", document.into_bytes()).map_err(|e| e.to_string())?;
    let pack = Pack { year, rules: vec![rule.clone()] };
    let options = CheckOptions { selection: Selection::default(), concurrency: 1 };
    let run = engine.check(&data, &pack, &options).map_err(|e: EngineError| e.to_string())?;
    Ok(run.findings.into_iter().filter(|f| f.code == rule.code).collect())
}
