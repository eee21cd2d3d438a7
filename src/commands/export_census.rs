//! `cinlint export-census`: an LA export (SSD folder or workbook) → the DfE census XML return.
//!
//! The export is read exactly as `check` reads it (same mapping, same period), and the census
//! tables are written by `cinlint_ingest::write_xml`, so `check` on the written return finds what
//! `check` on the export finds. The file appears whole or not at all: it is written to a
//! temporary file beside the target and renamed over it only once complete.

use crate::cli::ExportCensusArgs;
use crate::exit;
use cinlint_ingest::write_xml::{write_census_xml_with, WriteOptions};
use cinlint_model::Severity;
use miette::Report;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

pub fn run(args: ExportCensusArgs) -> Result<u8, Report> {
    let started = Instant::now();
    check_input(&args.input)?;
    let folder = output_folder(&args.out)?;
    let (_config, data) = crate::input::read_with_settings(&args.input, &args.read)?;
    let read_took = started.elapsed();

    let cannot_write = |e: &dyn std::fmt::Display| miette::miette!(code = "cinlint::export_census::write", "{}: cannot write: {e}", args.out.display());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cinlint-export-census-").suffix(".tmp");
    // A temporary file is private (0600); the return gets the permissions of any new file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(folder).map_err(|e| cannot_write(&e))?;
    let options = WriteOptions { fill_header: vec![("DateTime", now_utc())] };
    write_census_xml_with(&data, file.as_file_mut(), &options).map_err(|e| cannot_write(&e))?;
    file.as_file_mut().flush().and_then(|_| file.as_file().sync_all()).map_err(|e| cannot_write(&e))?;
    // On any error above the temporary file is removed when `file` drops.
    file.persist(&args.out).map_err(|e| cannot_write(&e.error))?;

    let la = data.header_text("LEA");
    if la.is_none() {
        eprintln!("warning: the return has no LEA (the census requires the LA code): pass --la");
    }
    let concerns = data.reader_findings.iter().filter(|f| f.finding.severity >= Severity::Warning).count();
    eprintln!(
        "{}: wrote {}: {} children, {} episodes, reference date {}, LA {}{} in {:.2}s (read {:.2}s)",
        data.input.path,
        args.out.display(),
        data.children,
        data.row_count("CINdetails"),
        data.reference_date().map_or_else(|| "unknown".to_string(), |d| d.to_string()),
        la.as_deref().unwrap_or("none"),
        if concerns > 0 { format!(" ({concerns} export findings: run `cinlint check` on the export to see them)") } else { String::new() },
        started.elapsed().as_secs_f64(),
        read_took.as_secs_f64(),
    );
    Ok(exit::CLEAN)
}

/// Refuses inputs that are not an LA export, saying what they are instead.
fn check_input(path: &Path) -> Result<(), Report> {
    if !path.exists() {
        return Err(miette::miette!(
            code = "cinlint::export_census::input",
            help = "Pass the folder of SSD CSV files (ssd_person.csv, ssd_cin_episodes.csv, …) or the .xlsx workbook.",
            "{}: no such file or folder",
            path.display()
        ));
    }
    if crate::input::is_export(path) {
        return Ok(());
    }
    let mut head = [0u8; 512];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    let text = String::from_utf8_lossy(&head[..read]);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') {
        return Err(miette::miette!(
            code = "cinlint::export_census::input",
            help = "export-census builds a return from an LA export; to check this return run `cinlint check` on it.",
            "{}: this is census XML already, not an LA export",
            path.display()
        ));
    }
    Err(miette::miette!(
        code = "cinlint::export_census::input",
        help = "Pass the folder of SSD CSV files (ssd_person.csv, ssd_cin_episodes.csv, …) or the .xlsx workbook.",
        "{}: not an LA export (a folder of SSD CSV files or one .xlsx workbook)",
        path.display()
    ))
}

/// The folder the output goes in, which must exist; the output must not be a folder.
fn output_folder(out: &Path) -> Result<&Path, Report> {
    if out.is_dir() {
        return Err(miette::miette!(code = "cinlint::export_census::out", "--out {}: is a folder; give the XML file to write", out.display()));
    }
    let folder = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !folder.is_dir() {
        return Err(miette::miette!(
            code = "cinlint::export_census::out",
            help = "Create the folder first, or write somewhere that exists.",
            "--out {}: the folder {} does not exist",
            out.display(),
            folder.display()
        ));
    }
    Ok(folder)
}

/// The time of writing as an `xs:dateTime` in UTC (the header's `DateTime`).
fn now_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(719_163 + (secs / 86_400) as i32).unwrap_or_default();
    let rem = secs % 86_400;
    format!("{date}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}
