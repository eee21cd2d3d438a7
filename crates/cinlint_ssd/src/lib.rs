//! LA case-management export (Standard Safeguarding Dataset, SSD) → the canonical census tables.
//!
//! [`read_export`] reads a folder of `<table>.csv` files (`la-export.md` §5) and maps it onto the
//! same tables the census XML reader produces (`la-export.md` §4), so every DfE rule runs on the
//! export unchanged. The non-census SSD tables and the two extension tables become the
//! export-only tables of [`cinlint_model::schema::EXPORT_TABLES`], appended after the census
//! tables. Problems in the export are reader findings of family `SSD`.

pub mod findings;
mod map;
pub mod read;
pub mod spec;
pub mod values;
pub mod xlsx;

use chrono::{Datelike, NaiveDate};
use cinlint_ingest::tables::InputSummary;
use cinlint_ingest::{CensusData, IngestError, Pos, SourceMap};
use cinlint_model::Severity;
use findings::{Findings, IGNORED_FILE, NOT_SUPPLIED};
use read::RawTable;
use sha2::{Digest, Sha256};
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

/// Reads an export (a folder of `<table>.csv` files, or one `.xlsx` workbook with a sheet per
/// table) into the canonical census tables plus the export-only tables.
pub fn read_export(path: &Path, options: &ExportOptions) -> Result<CensusData, IngestError> {
    let mut sources = SourceMap::default();
    let mut findings = Findings::default();
    let (tables, total_bytes, sha256) = if path.is_dir() {
        read_folder(path, &mut sources, &mut findings)?
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) && path.is_file() {
        let bytes = std::fs::read(path).map_err(|e| IngestError::whole_file(path, "unreadable", format!("cannot read: {e}")))?;
        let tables = xlsx::read_workbook(path, &mut sources, &mut findings)?;
        (tables, bytes.len() as u64, format!("{:x}", Sha256::digest(&bytes)))
    } else {
        return Err(IngestError::whole_file(path, "not-an-export", "an LA export is a folder of <table>.csv files or one .xlsx workbook")
            .with_help("Pass the folder that holds ssd_person.csv, ssd_cin_episodes.csv, … or the workbook."));
    };
    finish(path, tables, total_bytes, sha256, options, sources, findings)
}

type Tables = HashMap<&'static str, RawTable>;

fn read_folder(path: &Path, sources: &mut SourceMap, findings: &mut Findings) -> Result<(Tables, u64, String), IngestError> {
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| IngestError::whole_file(path, "unreadable", format!("cannot read the folder: {e}")))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut tables: Tables = HashMap::new();
    let mut supplied_from: HashMap<&'static str, String> = HashMap::new();
    let mut hasher = Sha256::new();
    let mut total_bytes = 0u64;
    for file in &entries {
        let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let display = file.display().to_string();
        let lower = name.to_ascii_lowercase();
        let Some(spec) = lower.strip_suffix(".csv").and_then(spec::table) else {
            findings.push(
                IGNORED_FILE,
                Severity::Info,
                format!("{name} is not an SSD table and was ignored"),
                "Tables are read from files named <table>.csv, e.g. ssd_person.csv (la-export.md §5.1).",
                Pos::NONE,
                cinlint_model::schema::HEADER.name,
                None,
                None,
            );
            continue;
        };
        if let Some(first) = supplied_from.get(spec.name) {
            return Err(IngestError::whole_file(file, "duplicate-table", format!("{} is supplied twice ({first} and {name})", spec.name))
                .with_help("Keep one file per table."));
        }
        supplied_from.insert(spec.name, name.clone());
        let bytes = std::fs::read(file).map_err(|e| IngestError::whole_file(file, "unreadable", format!("cannot read: {e}")))?;
        hasher.update(name.as_bytes());
        hasher.update(&bytes);
        total_bytes += bytes.len() as u64;
        let table = read::read_table(&display, bytes, spec, sources, findings)?;
        tables.insert(spec.name, table);
    }
    Ok((tables, total_bytes, format!("{:x}", hasher.finalize())))
}

fn finish(
    path: &Path,
    tables: Tables,
    total_bytes: u64,
    sha256: String,
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
    check_foreign_keys(&export, &mut findings);

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
    let input = InputSummary { path: path.display().to_string(), bytes: total_bytes, sha256 };
    Ok(map::build(&export, reference, options, sources, findings, input))
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

fn check_foreign_keys(export: &Export, findings: &mut Findings) {
    for (table, column, target, target_column) in FOREIGN_KEYS {
        let (Some(from), Some(to)) = (export.table(table), export.table(target)) else { continue };
        let keys: std::collections::HashSet<&str> = to.recs().filter_map(|r| r.s(target_column)).collect();
        for rec in from.recs() {
            if let Some(value) = rec.s(column) {
                if !keys.contains(value) {
                    findings.push(
                        findings::UNLINKED,
                        Severity::Warning,
                        format!("{table}.{column}: `{}` is not a {target_column} in {target}", values::shorten(value)),
                        "Export the record it refers to, or correct the id.",
                        rec.pos(column),
                        from.spec.name,
                        Some(from.spec.columns[from.spec.index(column)].name),
                        None,
                    );
                }
            }
        }
    }
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
        for rec in export.recs(table) {
            for column in *columns {
                if let Some(d) = rec.d(column) {
                    latest = Some(latest.map_or(d, |l| l.max(d)));
                }
            }
        }
    }
    latest
}
