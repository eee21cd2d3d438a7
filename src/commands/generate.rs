//! `cinlint generate`.

use crate::cli::GenerateArgs;
use crate::exit;
use cinlint_generate::{write_census_xml, GenerateOptions};
use miette::Report;

pub fn run(args: GenerateArgs) -> Result<u8, Report> {
    let year = args.year.parse().map_err(|e| miette::miette!(code = "cinlint::usage::year", "{e}"))?;
    if !(0.0..=1.0).contains(&args.defect_rate) {
        return Err(miette::miette!(code = "cinlint::usage::defect-rate", "--defect-rate must be between 0 and 1"));
    }
    if args.la.len() != 3 || !args.la.chars().all(|c| c.is_ascii_digit()) {
        return Err(miette::miette!(code = "cinlint::usage::la", "--la must be a 3-digit LA code"));
    }
    let options = GenerateOptions { children: args.children, seed: args.seed, la: args.la.clone(), year, defect_rate: args.defect_rate };
    let defects = match &args.out {
        Some(dir) if args.ssd => {
            if dir.exists() {
                return Err(miette::miette!(code = "cinlint::usage::out", "{}: already exists; choose a new folder for the export", dir.display()));
            }
            let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let staging = tempfile::Builder::new()
                .prefix(".cinlint-export-")
                .tempdir_in(parent)
                .map_err(|e| miette::miette!("{}: cannot write: {e}", dir.display()))?;
            let defects = cinlint_generate::write_ssd_export(&options, staging.path()).map_err(|e| miette::miette!("{}: cannot write: {e}", dir.display()))?;
            std::fs::rename(staging.keep(), dir).map_err(|e| miette::miette!("{}: cannot write: {e}", dir.display()))?;
            defects
        }
        Some(path) => {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| miette::miette!("{}: cannot write: {e}", path.display()))?;
            let mut writer = std::io::BufWriter::with_capacity(1 << 20, tmp);
            let defects = write_census_xml(&options, &mut writer).map_err(|e| miette::miette!("{}: cannot write: {e}", path.display()))?;
            let tmp = writer.into_inner().map_err(|e| miette::miette!("{}: cannot write: {e}", path.display()))?;
            tmp.persist(path).map_err(|e| miette::miette!("{}: cannot write: {e}", path.display()))?;
            defects
        }
        None => {
            let stdout = std::io::stdout();
            let mut writer = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write_census_xml(&options, &mut writer).map_err(|e| miette::miette!("cannot write: {e}"))?
        }
    };
    if let Some(path) = &args.truth {
        let mut lines = String::new();
        for d in &defects {
            lines.push_str(&serde_json::json!({"rule": d.rule, "child": d.child, "kind": d.kind}).to_string());
            lines.push('\n');
        }
        super::write_atomic(path, lines.as_bytes())?;
    }
    eprintln!("generated {} children for LA {} ({}), {} defects injected", args.children, args.la, year, defects.len());
    Ok(exit::CLEAN)
}
