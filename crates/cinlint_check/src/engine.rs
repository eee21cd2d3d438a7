//! The one place a DataFusion session is built and rules are run on it.

use crate::locate;
use crate::rule::Rule;
use crate::rules::Pack;
use crate::selection::Selection;
use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::NaiveDate;
use cinlint_ingest::tables::{CensusData, InputKind};
use cinlint_ingest::values::date_to_days;
use cinlint_model::calendar::period_start_for;
use cinlint_model::Finding;
use datafusion::datasource::MemTable;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::{FutureExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A rule's rows and how long its query took, or why it failed.
type RuleResult = Result<(Vec<RecordBatch>, Duration), String>;

/// Default memory the query engine may use.
pub const DEFAULT_MEMORY_LIMIT: usize = 1536 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("rule {code} ({path}) failed: {message}")]
    Rule { code: String, path: String, message: String },
    #[error("query engine: {0}")]
    Engine(String),
}

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub selection: Selection,
    /// Rules run at once (0 = number of cores).
    pub concurrency: usize,
}

/// What a check produced.
#[derive(Debug, Clone)]
pub struct CheckRun {
    /// Sorted: return-level first, then by child in file order, then position, then code.
    pub findings: Vec<Finding>,
    pub rules_run: usize,
    pub reference_date: NaiveDate,
    pub period_start: NaiveDate,
    /// Per rule timings (for the text summary and benchmarks; never in machine output).
    pub timings: Vec<(String, Duration)>,
    /// Checks not run because the input does not supply a table they read: (code, tables).
    pub skipped: Vec<(String, Vec<&'static str>)>,
}

pub struct Engine {
    runtime: tokio::runtime::Runtime,
    memory_limit: usize,
}

impl Engine {
    pub fn new() -> Result<Self, EngineError> {
        Self::with_memory_limit(DEFAULT_MEMORY_LIMIT)
    }

    pub fn with_memory_limit(memory_limit: usize) -> Result<Self, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| EngineError::Engine(e.to_string()))?;
        Ok(Self { runtime, memory_limit })
    }

    /// The session every query runs on: census names kept as written, a memory limit, cinlint's
    /// functions registered.
    pub fn session(&self) -> Result<SessionContext, EngineError> {
        let mut config = SessionConfig::new().with_information_schema(false);
        config.options_mut().sql_parser.enable_ident_normalization = false;
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(self.memory_limit, 1.0)
            .build_arc()
            .map_err(|e| EngineError::Engine(e.to_string()))?;
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        for udf in crate::udf::all() {
            ctx.register_udf(udf);
        }
        Ok(ctx)
    }

    /// Registers the canonical tables and the `Census` parameter table.
    fn register(&self, ctx: &SessionContext, data: &CensusData, reference: NaiveDate) -> Result<(), EngineError> {
        let err = |e: datafusion::error::DataFusionError| EngineError::Engine(e.to_string());
        let partitions = ctx.copied_config().target_partitions().max(1);
        let batch_size = ctx.copied_config().batch_size().max(1);
        for table in &data.tables {
            let mem = MemTable::try_new(table.batch.schema(), partitioned(&table.batch, partitions, batch_size)).map_err(err)?;
            ctx.register_table(datafusion::common::TableReference::bare(table.def.name), Arc::new(mem)).map_err(err)?;
        }
        let as_of = data.extract_date.map_or(reference, |d| d.min(reference));
        let header_row = data.table("Header").and_then(|t| t.batch.column_by_name("_row")).and_then(|rows| {
            rows.as_any().downcast_ref::<arrow::array::UInt32Array>().and_then(arrow::compute::min)
        });
        let census = census_batch(reference, as_of, header_row);
        let mem = MemTable::try_new(census.schema(), vec![vec![census]]).map_err(err)?;
        ctx.register_table(datafusion::common::TableReference::bare("Census"), Arc::new(mem)).map_err(err)?;
        Ok(())
    }

    /// The reference date rules use: the header's when valid, else the pack's.
    pub fn reference_date(data: &CensusData, pack: &Pack) -> NaiveDate {
        data.reference_date().unwrap_or_else(|| pack.year.reference_date())
    }

    /// Runs the pack's selected rules on one input.
    pub fn check(&self, data: &CensusData, pack: &Pack, options: &CheckOptions) -> Result<CheckRun, EngineError> {
        let reference = Self::reference_date(data, pack);
        let ctx = self.session()?;
        self.register(&ctx, data, reference)?;
        let selected: Vec<Arc<Rule>> = pack.rules.iter().filter(|r| options.selection.includes(&r.code)).cloned().collect();
        let mut skipped = Vec::new();
        let mut rules = Vec::with_capacity(selected.len());
        for rule in selected {
            let missing: Vec<&'static str> = rule.requires().into_iter().filter(|t| !data.supplies(t)).collect();
            if missing.is_empty() {
                rules.push(rule);
            } else {
                skipped.push((rule.code.clone(), missing));
            }
        }
        let concurrency = if options.concurrency == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { options.concurrency };
        let results: Vec<(usize, RuleResult)> = self.runtime.block_on(async {
            futures::stream::iter(rules.iter().enumerate().filter(|(_, r)| r.sql.is_some()))
                .map(|(i, rule)| {
                    let ctx = ctx.clone();
                    let sql = rule.sql.clone().unwrap_or_default();
                    async move {
                        let started = Instant::now();
                        // A crash inside the query engine becomes this rule's error, never an abort.
                        let result = std::panic::AssertUnwindSafe(run_sql(&ctx, &sql))
                            .catch_unwind()
                            .await
                            .unwrap_or_else(|panic| Err(format!("the query engine crashed on this rule ({})", panic_message(&panic))))
                            .map(|b| (b, started.elapsed()));
                        (i, result)
                    }
                })
                .buffer_unordered(concurrency)
                .collect()
                .await
        });
        let ids = data.child_ids();
        let mut findings: Vec<Finding> = Vec::new();
        let mut timings = Vec::new();
        let mut results = results;
        results.sort_by_key(|(i, _)| *i);
        for (i, result) in results {
            let rule = &rules[i];
            let (batches, took) = result.map_err(|message| EngineError::Rule {
                code: rule.code.clone(),
                path: rule.path.clone(),
                message,
            })?;
            timings.push((rule.code.clone(), took));
            for batch in &batches {
                findings.extend(findings_from_batch(data, rule, batch, &ids));
            }
        }
        let reader_selected = rules.iter().map(|r| r.code.as_str()).collect::<Vec<_>>();
        for pending in &data.reader_findings {
            if options.selection.includes(&pending.finding.code)
                && (reader_selected.contains(&pending.finding.code.as_str()) || !pack.rules.iter().any(|r| r.code == pending.finding.code))
            {
                findings.push(locate::resolve_pending(data, pending));
            }
        }
        for (code, tables) in &skipped {
            findings.push(skipped_finding(pack, code, tables, data));
        }
        findings.sort_by(Finding::report_order);
        findings.dedup();
        Ok(CheckRun { findings, rules_run: timings.len(), reference_date: reference, period_start: period_start_for(reference), timings, skipped })
    }

    /// Plans a rule's SQL against empty canonical tables (census and export-only): catches typos
    /// and unknown columns.
    pub fn plan(&self, rule: &Rule, empty: &CensusData) -> Result<(), String> {
        let Some(sql) = &rule.sql else { return Ok(()) };
        let ctx = self.session().map_err(|e| e.to_string())?;
        self.register(&ctx, empty, NaiveDate::from_ymd_opt(2026, 3, 31).expect("valid")).map_err(|e| e.to_string())?;
        for def in cinlint_model::schema::EXPORT_TABLES.iter().filter(|d| empty.table(d.name).is_none()) {
            let mem = MemTable::try_new(def.arrow_schema(), vec![vec![]]).map_err(|e| e.to_string())?;
            ctx.register_table(datafusion::common::TableReference::bare(def.name), Arc::new(mem)).map_err(|e| e.to_string())?;
        }
        self.runtime.block_on(async {
            let df = ctx.sql_with_options(sql, sql_options()).await.map_err(|e| e.to_string())?;
            let schema = df.schema().clone();
            let tables: Vec<&str> = empty.tables.iter().map(|t| t.def.name).collect();
            for field in schema.fields() {
                let name = field.name().as_str();
                if tables.contains(&name) && !field.data_type().is_integer() {
                    return Err(format!("anchor column \"{name}\" must hold the table's _row (an integer), not {}", field.data_type()));
                }
            }
            Ok(())
        })
    }

    /// Runs one read-only query (no DDL, DML or statements) on a session holding `data`'s tables
    /// and the `Census` row for `reference`; a crash inside the query engine becomes an error.
    pub fn query(&self, data: &CensusData, reference: NaiveDate, sql: &str) -> Result<Vec<RecordBatch>, EngineError> {
        let ctx = self.session()?;
        self.register(&ctx, data, reference)?;
        self.runtime
            .block_on(async {
                std::panic::AssertUnwindSafe(run_sql(&ctx, sql))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| Err(format!("the query engine crashed ({})", panic_message(&panic))))
            })
            .map_err(EngineError::Engine)
    }
}

/// A table as `partitions` runs of zero-copy slices of at most `batch_size` rows (slice i goes
/// to partition i mod `partitions`), so every core scans and every operator sees batches of the
/// size it is tuned for.
fn partitioned(batch: &RecordBatch, partitions: usize, batch_size: usize) -> Vec<Vec<RecordBatch>> {
    let mut out = vec![Vec::new(); partitions];
    let mut offset = 0;
    let mut i = 0;
    while offset < batch.num_rows() {
        let len = batch_size.min(batch.num_rows() - offset);
        out[i % partitions].push(batch.slice(offset, len));
        offset += len;
        i += 1;
    }
    if batch.num_rows() == 0 {
        out[0].push(batch.clone());
    }
    out
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "panic".into())
}

/// The note that a check did not run: the input lacks a table it reads.
fn skipped_finding(pack: &Pack, code: &str, tables: &[&'static str], data: &CensusData) -> Finding {
    let sources: Vec<String> = tables
        .iter()
        .map(|t| cinlint_model::schema::export_table(t).map_or(t.to_string(), |d| format!("{t} ({})", d.element)))
        .collect();
    let kind = match data.input.kind {
        InputKind::CensusXml => "a census XML does not hold",
        InputKind::Export => "the export does not supply",
    };
    Finding {
        code: code.to_string(),
        severity: cinlint_model::Severity::Info,
        message: format!("not run: it needs {}, which {kind}", sources.join(" and ")),
        help: Some("Run the check on an LA export that includes these tables.".into()),
        child: None,
        child_key: None,
        module: pack.rule(code).map(|r| r.module.clone()).unwrap_or_default(),
        locations: Vec::new(),
    }
}

/// Only queries: no DDL, no DML, no statements such as SET.
fn sql_options() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

async fn run_sql(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, String> {
    let df = ctx.sql_with_options(sql, sql_options()).await.map_err(|e| e.to_string())?;
    df.collect().await.map_err(|e| e.to_string())
}

/// The `Census` parameter row: ReferenceDate (R), PeriodStart (S), AsOf (the date elapsed
/// time is measured up to: R, or an export's earlier extract date) and HeaderRow (the header's
/// `_row`, to anchor a finding on the header; NULL when there is none).
fn census_batch(reference: NaiveDate, as_of: NaiveDate, header_row: Option<u32>) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ReferenceDate", DataType::Date32, false),
        Field::new("PeriodStart", DataType::Date32, false),
        Field::new("AsOf", DataType::Date32, false),
        Field::new("HeaderRow", DataType::UInt32, true),
    ]));
    let day = |d: NaiveDate| -> ArrayRef { Arc::new(arrow::array::Date32Array::from(vec![date_to_days(d)])) };
    let header: ArrayRef = Arc::new(arrow::array::UInt32Array::from(vec![header_row]));
    RecordBatch::try_new(schema, vec![day(reference), day(period_start_for(reference)), day(as_of), header]).expect("census parameters")
}

/// One finding per output row, located on every anchor row.
fn findings_from_batch(data: &CensusData, rule: &Rule, batch: &RecordBatch, ids: &[Option<String>]) -> Vec<Finding> {
    let schema = batch.schema();
    let mut anchors: Vec<(&cinlint_ingest::tables::TableData, UInt64Array)> = Vec::new();
    let mut detail: Option<StringArray> = None;
    for (i, field) in schema.fields().iter().enumerate() {
        if field.name() == "detail" {
            detail = arrow::compute::cast(batch.column(i), &DataType::Utf8)
                .ok()
                .and_then(|a| a.as_any().downcast_ref::<StringArray>().cloned());
        } else if let Some(table) = data.table(field.name()) {
            if let Ok(rows) = arrow::compute::cast(batch.column(i), &DataType::UInt64) {
                if let Some(rows) = rows.as_any().downcast_ref::<UInt64Array>() {
                    anchors.push((table, rows.clone()));
                }
            }
        }
    }
    let severity = rule.severity();
    let mut out = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let mut locations = Vec::new();
        let mut child = None;
        for (table, rows) in &anchors {
            if rows.is_null(row) {
                continue;
            }
            let r = rows.value(row) as u32;
            if child.is_none() && table.def.is_child_table() {
                child = locate::child_of(table, r, ids);
            }
            locations.extend(locate::anchor_locations(data, rule, table, r));
        }
        if !anchors.is_empty() && locations.is_empty() {
            continue;
        }
        let mut message = rule.message.clone();
        if let Some(d) = detail.as_ref().filter(|d| d.is_valid(row)) {
            message = format!("{message} ({})", d.value(row));
        }
        out.push(Finding {
            code: rule.code.clone(),
            severity,
            message,
            help: Some(rule.help.clone()).filter(|h| !h.is_empty()),
            child: child.as_ref().and_then(|(_, id)| id.clone()),
            child_key: child.map(|(k, _)| k),
            module: rule.module.clone(),
            locations,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_case_tables_resolve() {
        let engine = Engine::new().unwrap();
        let data = cinlint_ingest::xml::read_census_xml_bytes(
            "t.xml",
            b"<Message><Header><CollectionDetails><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails></Header><Children/></Message>".to_vec(),
        )
        .unwrap();
        let ctx = engine.session().unwrap();
        engine.register(&ctx, &data, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()).unwrap();
        let batches = engine.runtime.block_on(run_sql(&ctx, "SELECT h._row AS \"Header\", h.Year FROM Header h CROSS JOIN Census")).unwrap();
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    }
}

