//! The Parquet dataset: one file per table under `la=<code>/year=<collection year>/`, plus a
//! manifest. Writes are atomic: everything is built in a temporary folder inside the output
//! folder and renamed into place; a failed run leaves the output folder as it was.

use crate::error::IngestError;
use crate::tables::CensusData;
use cinlint_model::CollectionYear;
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `ingest` writes next to the tables.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub tool_version: String,
    pub input: String,
    pub input_bytes: u64,
    pub input_sha256: String,
    pub la: String,
    pub year: String,
    pub children: usize,
    pub row_counts: Vec<(String, usize)>,
    /// The run's timestamp (RFC 3339, UTC): the only field that changes between runs.
    pub written_at: String,
}

/// Where a dataset partition goes.
pub fn partition_dir(out: &Path, la: &str, year: CollectionYear) -> PathBuf {
    out.join(format!("la={la}")).join(format!("year={year}"))
}

/// One Parquet file per table in `dir`, written on every core; the first error in table order is
/// reported. Returns (table, rows) in table order.
fn write_tables(data: &CensusData, dir: &Path, properties: &WriterProperties) -> Result<Vec<(String, usize)>, IngestError> {
    let written: Vec<Result<(String, usize), IngestError>> = data
        .tables
        .par_iter()
        .map(|table| {
            let path = dir.join(format!("{}.parquet", table.def.name));
            let file = std::fs::File::create(&path).map_err(|e| io_error(&path, "create", e))?;
            let mut writer = ArrowWriter::try_new(file, table.batch.schema(), Some(properties.clone())).map_err(|e| io_error(&path, "write", e))?;
            writer.write(&table.batch).map_err(|e| io_error(&path, "write", e))?;
            writer.close().map_err(|e| io_error(&path, "finish", e))?;
            Ok((table.def.name.to_string(), table.batch.num_rows()))
        })
        .collect();
    written.into_iter().collect()
}

fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError::whole_file(path, "write", format!("cannot {what}: {e}"))
}

/// Writes the partition for `data` atomically and returns its folder.
pub fn write_dataset(
    data: &CensusData,
    out: &Path,
    la: &str,
    year: CollectionYear,
    written_at: &str,
) -> Result<PathBuf, IngestError> {
    std::fs::create_dir_all(out).map_err(|e| io_error(out, "create the output folder", e))?;
    let staging = tempfile::Builder::new()
        .prefix(".cinlint-staging-")
        .tempdir_in(out)
        .map_err(|e| io_error(out, "create a temporary folder in the output folder", e))?;
    let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).set_created_by(format!("cinlint {}", env!("CARGO_PKG_VERSION"))).build();
    // The input's checksum is hashed on one core while the tables are written on the others.
    let (sha256, written) = rayon::join(|| data.input.checksum.sha256().to_string(), || write_tables(data, staging.path(), &properties));
    let row_counts = written?;
    let manifest = Manifest {
        tool: "cinlint".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        input: data.input.path.clone(),
        input_bytes: data.input.bytes,
        input_sha256: sha256,
        la: la.to_string(),
        year: year.to_string(),
        children: data.children,
        row_counts,
        written_at: written_at.to_string(),
    };
    let manifest_path = staging.path().join("manifest.json");
    let json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    std::fs::write(&manifest_path, json + "\n").map_err(|e| io_error(&manifest_path, "write", e))?;

    let target = partition_dir(out, la, year);
    let parent = target.parent().expect("partition has a parent");
    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, "create", e))?;
    // Move any previous partition aside, rename the new one in, then drop the old one.
    let aside = out.join(format!(".cinlint-replaced-{}", std::process::id()));
    let had_previous = target.exists();
    if had_previous {
        std::fs::rename(&target, &aside).map_err(|e| io_error(&target, "move the previous partition aside", e))?;
    }
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, &target) {
        if had_previous {
            let _ = std::fs::rename(&aside, &target);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(io_error(&target, "move the new partition into place", e));
    }
    if had_previous {
        let _ = std::fs::remove_dir_all(&aside);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<Message><Header><CollectionDetails><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails><Source><LEA>201</LEA></Source></Header><Children><Child><ChildIdentifiers><LAchildID>A1</LAchildID></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics><CINdetails><CINreferralDate>2025-05-01</CINreferralDate></CINdetails></Child></Children></Message>";

    #[test]
    fn writes_and_replaces_only_its_partition() {
        let data = crate::xml::read_census_xml_bytes("t.xml", XML.as_bytes().to_vec()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let other = out.path().join("la=999/year=2024-25");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("keep.txt"), "x").unwrap();
        let year = CollectionYear::new(2026);
        let dir = write_dataset(&data, out.path(), "201", year, "t0").unwrap();
        assert!(dir.join("CINdetails.parquet").exists());
        let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
        assert!(manifest.contains("\"CINdetails\",\n      1"), "{manifest}");
        // Reading the Parquet back gives the same values, table by table.
        for table in &data.tables {
            let file = std::fs::File::open(dir.join(format!("{}.parquet", table.def.name))).unwrap();
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
            let batches: Vec<_> = reader.map(Result::unwrap).collect();
            let back = arrow::compute::concat_batches(&table.batch.schema(), &batches).unwrap();
            assert_eq!(back, table.batch, "{}", table.def.name);
        }
        std::fs::write(dir.join("stale.txt"), "old").unwrap();
        write_dataset(&data, out.path(), "201", year, "t1").unwrap();
        assert!(!dir.join("stale.txt").exists());
        assert!(other.join("keep.txt").exists());
        let leftovers: Vec<_> = std::fs::read_dir(out.path()).unwrap().filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().starts_with('.')).collect();
        assert!(leftovers.is_empty());
    }
}
