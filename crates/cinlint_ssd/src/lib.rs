//! LA case-management export (Standard Safeguarding Dataset, SSD) → the canonical census tables.
//!
//! [`read_export`] reads a folder of `<table>.csv` files (`la-export.md` §5) and maps it onto the
//! same tables the census XML reader produces (`la-export.md` §4), so every DfE rule runs on the
//! export unchanged. The non-census SSD tables and the two extension tables become the
//! export-only tables of [`cinlint_model::schema::EXPORT_TABLES`], appended after the census
//! tables. Problems in the export are reader findings of family `SSD`.
//!
//! An export in another layout is read through a [`mapping::Mapping`] ([`read_export_mapped`]),
//! which renames its files, sheets, columns and values into SSD terms before the SSD reader.

mod fast_hash;
pub mod findings;
mod map;
pub mod mapping;
pub mod read;
pub mod spec;
pub mod values;
pub mod xlsx;

use chrono::{Datelike, NaiveDate};
use cinlint_ingest::tables::InputSummary;
use cinlint_ingest::{CensusData, IngestError, Pos, SourceFile, SourceMap};
use rayon::prelude::*;
use cinlint_model::Severity;
use findings::{Findings, IGNORED_FILE, NOT_SUPPLIED};
use read::RawTable;
use cinlint_ingest::tables::Checksum;
use std::sync::Arc;
use std::collections::HashMap;
use std::path::Path;

/// How to read an export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The census reference date `R` (31 March); inferred from the export when `None`.
    pub reference_date: Option<NaiveDate>,
    /// The export's extract date; when `None`, the latest activity date in the export.
    /// `R` defaults to the most recent 31 March on or before it.
    pub as_of: Option<NaiveDate>,
    /// The LA code written to the header's `LEA`.
    pub la: Option<String>,
}

/// The tables read from an export, by SSD table name.
pub struct Export {
    pub tables: HashMap<&'static str, RawTable>,
}

impl Export {
    pub fn table(&self, name: &str) -> Option<&RawTable> {
        self.tables.get(name)
    }

    pub fn recs(&self, name: &str) -> Vec<read::Rec<'_>> {
        self.tables.get(name).map(|t| t.recs().collect()).unwrap_or_default()
    }
}

/// Why an export cannot be read: the export itself, or the mapping it is read through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    Input(IngestError),
    Mapping(mapping::MappingError),
}

impl ExportError {
    /// As an input error (the mapping's mistakes keep their file, line and column).
    pub fn into_input(self) -> IngestError {
        match self {
            ExportError::Input(e) => e,
            ExportError::Mapping(e) => e.into_input(),
        }
    }
}

impl From<IngestError> for ExportError {
    fn from(e: IngestError) -> Self {
        ExportError::Input(e)
    }
}

impl From<mapping::MappingError> for ExportError {
    fn from(e: mapping::MappingError) -> Self {
        ExportError::Mapping(e)
    }
}

/// The settings file a layout's mapping may travel in, inside an export folder. It is never
/// reported as an ignored file.
pub const MAPPING_FILE: &str = "cinlint.toml";

/// Reads an export (a folder of `<table>.csv` files, or one `.xlsx` workbook with a sheet per
/// table) into the canonical census tables plus the export-only tables.
pub fn read_export(path: &Path, options: &ExportOptions) -> Result<CensusData, IngestError> {
    read_export_mapped(path, options, None).map_err(ExportError::into_input)
}

/// [`read_export`] for an export in any layout: `mapping` says where each SSD table, column and
/// value is in it. Findings stay located in the export's own files, lines and cells.
pub fn read_export_mapped(path: &Path, options: &ExportOptions, mapping: Option<&mapping::Mapping>) -> Result<CensusData, ExportError> {
    let mut sources = SourceMap::default();
    let mut findings = Findings::default();
    let (tables, total_bytes, checksum) = if path.is_dir() {
        read_folder(path, mapping, &mut sources, &mut findings)?
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) && path.is_file() {
        // Read once: the workbook is parsed from these bytes and they are what the checksum covers.
        let bytes = std::fs::read(path).map_err(|e| IngestError::whole_file(path, "unreadable", format!("cannot read: {e}")))?;
        let tables = xlsx::read_workbook_mapped(path, &bytes, mapping, &mut sources, &mut findings)?;
        (tables, bytes.len() as u64, Checksum::of(vec![Arc::new(bytes)]))
    } else {
        return Err(IngestError::whole_file(path, "not-an-export", "an LA export is a folder of <table>.csv files or one .xlsx workbook")
            .with_help("Pass the folder that holds ssd_person.csv, ssd_cin_episodes.csv, … or the workbook.")
            .into());
    };
    Ok(finish(path, tables, total_bytes, checksum, options, sources, findings)?)
}

type Tables = HashMap<&'static str, RawTable>;

fn read_folder(
    path: &Path,
    mapping: Option<&mapping::Mapping>,
    sources: &mut SourceMap,
    findings: &mut Findings,
) -> Result<(Tables, u64, Checksum), ExportError> {
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| IngestError::whole_file(path, "unreadable", format!("cannot read the folder: {e}")))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut files = Vec::with_capacity(entries.len());
    for file in &entries {
        let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        // Only tables are read; other files are only named.
        let is_table = match mapping {
            Some(m) => !m.tables_in(&name, mapping::Form::Folder).is_empty(),
            None => table_of_file(&name).is_some(),
        };
        let bytes = if is_table {
            std::fs::read(file).map_err(|e| IngestError::whole_file(file, "unreadable", format!("cannot read: {e}")))?
        } else {
            Vec::new()
        };
        files.push(ExportFile { display: file.display().to_string(), name, bytes });
    }
    read_files(path, files, mapping, sources, findings)
}

/// One file of an export folder.
pub struct ExportFile {
    /// Shown in diagnostics (the path).
    pub display: String,
    /// The file name, e.g. `ssd_person.csv`.
    pub name: String,
    pub bytes: Vec<u8>,
}

fn table_of_file(name: &str) -> Option<&'static spec::TableSpec> {
    name.to_ascii_lowercase().strip_suffix(".csv").and_then(spec::table)
}

/// One export file to parse, with the tables it holds.
struct Job<'m> {
    display: String,
    name: String,
    bytes: std::sync::Arc<Vec<u8>>,
    file: u16,
    targets: Vec<(&'static spec::TableSpec, Option<&'m mapping::TableMapping>)>,
}

/// Parses one file and builds each table it holds, with the findings it gave.
/// The tables one file holds, by name, with the findings reading it gave.
type BuiltFile = (Vec<(&'static str, read::RawTable)>, Findings);

fn build_file(job: Job<'_>, mapping: Option<&mapping::Mapping>, sources: &SourceMap) -> Result<BuiltFile, ExportError> {
    let Job { display, name, bytes, file, targets } = job;
    let mut findings = Findings::default();
    let mut tables = Vec::with_capacity(targets.len());
    let csv = read::CsvFile::parse(&display, bytes, file, targets[0].0.name)?;
    // One file may hold several tables (e.g. assessments and their factors): each reads a copy.
    let mut csv = Some(csv);
    for (i, (spec, table_mapping)) in targets.iter().enumerate() {
        let mut file = if i + 1 == targets.len() {
            csv.take().expect("read once per table")
        } else {
            let shared = csv.as_ref().expect("kept for the next table");
            read::CsvFile { display: shared.display.clone(), bytes: shared.bytes.clone(), records: shared.records.clone(), header_pos: shared.header_pos }
        };
        let settings = match (mapping, table_mapping) {
            (Some(m), Some(t)) => t.apply(m, mapping::Form::Folder, &name, &mut file.records, &mut findings)?,
            _ => read::ReadSettings::default(),
        };
        let mut table = file.build(spec, &settings, sources, &mut findings)?;
        if i > 0 {
            table.bytes = 0;
        }
        tables.push((spec.name, table));
    }
    Ok((tables, findings))
}

fn read_files(
    path: &Path,
    files: Vec<ExportFile>,
    mapping: Option<&mapping::Mapping>,
    sources: &mut SourceMap,
    findings: &mut Findings,
) -> Result<(Tables, u64, Checksum), ExportError> {
    let mut tables: Tables = HashMap::new();
    let mut supplied_from: HashMap<&'static str, String> = HashMap::new();
    let mut mapped: Vec<&'static str> = Vec::new();
    // What the checksum covers: each table file's name, then its contents, in file order.
    let mut checksummed: Vec<Arc<Vec<u8>>> = Vec::new();
    let mut total_bytes = 0u64;
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).filter(|n| !n.eq_ignore_ascii_case(MAPPING_FILE)).collect();
    let mut jobs = Vec::new();
    for ExportFile { display, name, bytes } in files {
        let targets = match mapping {
            Some(m) => m.tables_in(&name, mapping::Form::Folder),
            None => table_of_file(&name).map(|spec| (spec, None)).into_iter().collect(),
        };
        if targets.is_empty() {
            if !name.eq_ignore_ascii_case(MAPPING_FILE) {
                findings.push(
                    IGNORED_FILE,
                    Severity::Info,
                    format!("{name} is not an SSD table and was ignored"),
                    "Tables are read from files named <table>.csv, e.g. ssd_person.csv (la-export.md §5.1), or placed by an export mapping's `file`.",
                    Pos::NONE,
                    cinlint_model::schema::HEADER.name,
                    None,
                    None,
                );
            }
            continue;
        }
        for (spec, _) in &targets {
            if let Some(first) = supplied_from.get(spec.name) {
                return Err(IngestError::whole_file(Path::new(&display), "duplicate-table", format!("{} is supplied twice ({first} and {name})", spec.name))
                    .with_help("Keep one file per table; a table an export mapping places in another file must not also have a file of its own name.")
                    .into());
            }
            supplied_from.insert(spec.name, name.clone());
        }
        total_bytes += bytes.len() as u64;
        for (spec, table_mapping) in &targets {
            if mapping.is_some() && table_mapping.is_some() {
                mapped.push(spec.name);
            }
        }
        let bytes = Arc::new(bytes);
        let file = sources.add(SourceFile::text(&display, bytes.clone()));
        checksummed.push(Arc::new(name.clone().into_bytes()));
        checksummed.push(bytes.clone());
        jobs.push(Job { display, name, bytes, file, targets });
    }
    // The files are parsed and built on every core, each core taking the largest file left (so
    // no core is left with a large file at the end); their findings and errors are then taken
    // in file order, so the result is the same as reading them one after another.
    let sources_read: &SourceMap = sources;
    let mut jobs: Vec<(usize, Job<'_>)> = jobs.into_iter().enumerate().collect();
    jobs.sort_by_key(|(_, job)| std::cmp::Reverse(job.bytes.len()));
    let mut built: Vec<(usize, Result<BuiltFile, ExportError>)> =
        jobs.into_iter().par_bridge().map(|(order, job)| (order, build_file(job, mapping, sources_read))).collect();
    built.sort_by_key(|(order, _)| *order);
    for (_, result) in built {
        let (file_tables, file_findings) = result?;
        findings.append(file_findings);
        tables.extend(file_tables);
    }
    if let Some(m) = mapping {
        if let Some(missing) = m.tables.iter().find(|t| !mapped.contains(&t.spec.name)) {
            return Err(m.not_found(missing, mapping::Form::Folder, &path.display().to_string(), &names).into());
        }
    }
    Ok((tables, total_bytes, Checksum::of(checksummed)))
}

/// Reads an export given as in-memory `<table>.csv` files (rule examples, tests); `path` names
/// the export in diagnostics and the summary.
pub fn read_export_files(path: &Path, files: Vec<ExportFile>, options: &ExportOptions) -> Result<CensusData, IngestError> {
    let mut sources = SourceMap::default();
    let mut findings = Findings::default();
    let (tables, total_bytes, checksum) = read_files(path, files, None, &mut sources, &mut findings).map_err(ExportError::into_input)?;
    finish(path, tables, total_bytes, checksum, options, sources, findings)
}

fn finish(
    path: &Path,
    tables: Tables,
    total_bytes: u64,
    checksum: Checksum,
    options: &ExportOptions,
    sources: SourceMap,
    mut findings: Findings,
) -> Result<CensusData, IngestError> {
    for spec in spec::TABLES {
        if tables.contains_key(spec.name) {
            continue;
        }
        if spec.mandatory {
            let column = spec.columns[0].name;
            return Err(IngestError::whole_file(
                &if path.is_dir() { path.join(format!("{}.csv", spec.name)) } else { path.to_path_buf() },
                "missing-table",
                format!("{}: the table is missing (required column `{column}`)", spec.name),
            )
            .with_help("ssd_person and ssd_cin_episodes are needed to build the census."));
        }
        findings.push(
            NOT_SUPPLIED,
            Severity::Info,
            format!("{} not supplied: treated as empty; checks that need it are not assessable", spec.name),
            "Add <table>.csv to the export folder if the case-management system holds this data.",
            Pos::NONE,
            cinlint_model::schema::HEADER.name,
            None,
            None,
        );
    }
    let export = Export { tables };

    let reference = match options.reference_date {
        Some(r) => r,
        None => {
            let extract = options.as_of.or_else(|| latest_activity(&export)).ok_or_else(|| {
                IngestError::whole_file(path, "no-reference-date", "the export holds no activity dates to infer the reference date from")
                    .with_help("Pass the reference date (31 March of the collection year) explicitly.")
            })?;
            last_31_march(extract)
        }
    };
    let input = InputSummary {
        path: path.display().to_string(),
        kind: cinlint_ingest::tables::InputKind::Export,
        bytes: total_bytes,
        checksum,
    };
    // The foreign keys are checked while the census is built; their findings follow the
    // reading's and precede the mapping's, as when checked first, and all are listed under one
    // limit per kind.
    let (foreign_keys, (mut data, mapped)) = rayon::join(|| foreign_key_findings(&export), || map::build(&export, reference, options, sources, input));
    findings.append(foreign_keys);
    findings.append(mapped);
    data.reader_findings = map::reader_findings(findings);
    // Freeing the export's cells takes a while and nothing waits for it.
    std::thread::spawn(move || drop(export));
    Ok(data)
}

/// Foreign keys checked when both tables are supplied (a dangling key is a warning).
const FOREIGN_KEYS: &[(&str, &str, &str, &str)] = &[
    ("ssd_cin_assessments", "cina_referral_id", "ssd_cin_episodes", "cine_referral_id"),
    ("ssd_cin_plans", "cinp_referral_id", "ssd_cin_episodes", "cine_referral_id"),
    ("ssd_s47_enquiry", "s47e_referral_id", "ssd_cin_episodes", "cine_referral_id"),
    ("ssd_initial_cp_conference", "icpc_referral_id", "ssd_cin_episodes", "cine_referral_id"),
    ("ssd_initial_cp_conference", "icpc_s47_enquiry_id", "ssd_s47_enquiry", "s47e_s47_enquiry_id"),
    ("ssd_cp_plans", "cppl_referral_id", "ssd_cin_episodes", "cine_referral_id"),
    ("ssd_cp_plans", "cppl_icpc_id", "ssd_initial_cp_conference", "icpc_icpc_id"),
    ("ssd_cp_reviews", "cppr_cp_plan_id", "ssd_cp_plans", "cppl_cp_plan_id"),
    ("ssd_assessment_factors", "cinf_assessment_id", "ssd_cin_assessments", "cina_assessment_id"),
    ("ssd_cin_visits", "cinv_cin_plan_id", "ssd_cin_plans", "cinp_cin_plan_id"),
    ("ext_cin_reviews", "cinr_cin_plan_id", "ssd_cin_plans", "cinp_cin_plan_id"),
    ("ssd_disability", "disa_person_id", "ssd_person", "pers_person_id"),
    ("ssd_cin_assessments", "cina_person_id", "ssd_person", "pers_person_id"),
    ("ssd_cin_plans", "cinp_person_id", "ssd_person", "pers_person_id"),
    ("ssd_s47_enquiry", "s47e_person_id", "ssd_person", "pers_person_id"),
    ("ssd_initial_cp_conference", "icpc_person_id", "ssd_person", "pers_person_id"),
    ("ssd_cp_plans", "cppl_person_id", "ssd_person", "pers_person_id"),
];

/// Checks the foreign keys on every core; the findings are in [`FOREIGN_KEYS`] order.
fn foreign_key_findings(export: &Export) -> Findings {
    let checked: Vec<Findings> = FOREIGN_KEYS.par_iter().with_max_len(1).map(|fk| check_foreign_key(export, fk)).collect();
    let mut findings = Findings::default();
    for found in checked {
        findings.append(found);
    }
    findings
}

/// One foreign key's dangling values (columns resolved once, ids hashed without copies).
fn check_foreign_key(export: &Export, (table, column, target, target_column): &(&str, &str, &str, &str)) -> Findings {
    let mut findings = Findings::default();
    let (Some(from), Some(to)) = (export.table(table), export.table(target)) else { return findings };
    let (from_column, to_column) = (from.spec.index(column), to.spec.index(target_column));
    let keys: fast_hash::FastSet<&str> = to.recs().filter_map(|r| r.s_at(to_column)).collect();
    for rec in from.recs() {
        let Some(value) = rec.s_at(from_column) else { continue };
        if !keys.contains(value) {
            findings.push(
                findings::UNLINKED,
                Severity::Warning,
                format!("{table}.{column}: `{}` is not a {target_column} in {target}", values::shorten(value)),
                "Export the record it refers to, or correct the id.",
                rec.pos_at(from_column),
                from.spec.name,
                Some(from.spec.columns[from_column].name),
                None,
            );
        }
    }
    findings
}

/// The most recent 31 March on or before `date`.
pub fn last_31_march(date: NaiveDate) -> NaiveDate {
    let year = if (date.month(), date.day()) >= (3, 31) { date.year() } else { date.year() - 1 };
    NaiveDate::from_ymd_opt(year, 3, 31).expect("valid")
}

/// Activity columns: dates on which something happened (never due, target or expected dates).
const ACTIVITY: &[(&str, &[&str])] = &[
    ("ssd_cin_episodes", &["cine_referral_date", "cine_close_date"]),
    ("ssd_cin_assessments", &["cina_assessment_start_date", "cina_assessment_auth_date"]),
    ("ssd_s47_enquiry", &["s47e_s47_start_date", "s47e_s47_end_date"]),
    ("ssd_initial_cp_conference", &["icpc_icpc_date"]),
    ("ssd_cin_plans", &["cinp_cin_plan_start_date", "cinp_cin_plan_end_date"]),
    ("ssd_cp_plans", &["cppl_cp_plan_start_date", "cppl_cp_plan_end_date"]),
    ("ssd_cp_reviews", &["cppr_cp_review_date"]),
    ("ssd_cin_visits", &["cinv_cin_visit_date"]),
    ("ssd_cla_episodes", &["clae_cla_episode_start_date", "clae_cla_episode_ceased_date"]),
    ("ext_cin_reviews", &["cinr_review_date"]),
];

/// The export's extract date: its latest activity date.
pub fn latest_activity(export: &Export) -> Option<NaiveDate> {
    let mut latest: Option<NaiveDate> = None;
    for (table, columns) in ACTIVITY {
        let Some(table) = export.table(table) else { continue };
        let columns: Vec<usize> = columns.iter().map(|c| table.spec.index(c)).collect();
        for rec in table.recs() {
            for &column in &columns {
                if let Some(d) = rec.d_at(column) {
                    latest = Some(latest.map_or(d, |l| l.max(d)));
                }
            }
        }
    }
    latest
}
