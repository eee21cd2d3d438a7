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

/// The example read as the tool reads it: census XML, or an LA export.
pub fn example_data(example: &Example, year: CollectionYear) -> Result<cinlint_ingest::CensusData, String> {
    if example.export.is_empty() {
        let document = example_document(example, year);
        return cinlint_ingest::xml::read_census_xml_bytes("example.xml", document.into_bytes()).map_err(|e| e.to_string());
    }
    let reference_date = match &example.ref_date {
        Some(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("ref_date `{text}` is not YYYY-MM-DD"))?,
        None => year.reference_date(),
    };
    let files = example
        .export
        .iter()
        .map(|(name, csv)| {
            let text = csv.trim_start_matches('\n');
            cinlint_ssd::ExportFile { display: format!("example/{name}"), name: name.clone(), bytes: text.as_bytes().to_vec() }
        })
        .collect();
    let options = cinlint_ssd::ExportOptions { reference_date: Some(reference_date), as_of: None, la: Some("201".into()) };
    cinlint_ssd::read_export_files(std::path::Path::new("example"), files, &options).map_err(|e| e.to_string())
}

/// The pack year an example runs in: the folder's year, or the given default for families.
pub fn example_year(rule: &Rule, default: CollectionYear) -> CollectionYear {
    rule.since.unwrap_or(default)
}

/// Runs only `rule` (with the default settings of `rules/cinlint.toml`) on the example; returns
/// its findings (of this rule's code). A rule the example's input cannot run is an error.
pub fn run_example(engine: &Engine, rule: &Arc<Rule>, example: &Example, year: CollectionYear) -> Result<Vec<Finding>, String> {
    let data = example_data(example, year)?;
    let rule = Arc::new(crate::config::Config::defaults().apply(rule)?);
    let pack = Pack { year, rules: vec![rule.clone()] };
    let options = CheckOptions { selection: Selection::default(), concurrency: 1 };
    let run = engine.check(&data, &pack, &options).map_err(|e: EngineError| e.to_string())?;
    if let Some((_, tables)) = run.skipped.first() {
        return Err(format!("the check did not run: the example does not supply {}", tables.join(", ")));
    }
    Ok(run.findings.into_iter().filter(|f| f.code == rule.code).collect())
}
