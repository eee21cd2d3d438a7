//! File-convention quirks with small inline fixtures (la-export.md §5).

use arrow::array::{Array, BooleanArray, Date32Array, Int64Array, StringArray};
use chrono::NaiveDate;
use cinlint_ingest::CensusData;
use cinlint_ssd::{read_export, ExportOptions};
use std::path::Path;

const PERSON: &str = "pers_person_id,pers_upn,pers_sex,pers_ethnicity,pers_dob,pers_upn_unknown,pers_expected_dob\n\
P1,A123456789012,F,WBRI,2015-01-01,,\n\
P2,,M,WBRI,2016-02-02,UN1,\n\
P3,,M,WBRI,2010-02-02,UN2,\n";

const EPISODES: &str = "cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need_code,cine_referral_source_code,cine_referral_outcome_json,cine_referral_nfa,cine_close_reason,cine_close_date\n\
R1,P1,2025-05-01,N1,1A,,N,,\n\
R2,P2,2025-06-10,N2,2B,,Y,RC8,2025-06-10\n\
R3,P3,2020-01-01,N2,2B,,N,RC1,2021-01-01\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

fn read(dir: &tempfile::TempDir) -> CensusData {
    read_export(dir.path(), &ExportOptions::default()).expect("fixture reads")
}

fn strings(data: &CensusData, table: &str, column: &str) -> Vec<Option<String>> {
    let t = data.table(table).unwrap();
    let a = t.batch.column_by_name(column).unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect()
}

fn dates(data: &CensusData, table: &str, column: &str) -> Vec<Option<NaiveDate>> {
    let t = data.table(table).unwrap();
    let a = t.batch.column_by_name(column).unwrap().as_any().downcast_ref::<Date32Array>().unwrap();
    (0..a.len()).map(|i| a.is_valid(i).then(|| cinlint_ingest::values::days_to_date(a.value(i)).unwrap())).collect()
}

fn bools(data: &CensusData, table: &str, column: &str) -> Vec<Option<bool>> {
    let t = data.table(table).unwrap();
    let a = t.batch.column_by_name(column).unwrap().as_any().downcast_ref::<BooleanArray>().unwrap();
    (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))).collect()
}

fn codes(data: &CensusData) -> Vec<String> {
    data.reader_findings.iter().map(|f| f.finding.code.clone()).collect()
}

fn line_of(data: &CensusData, pos: cinlint_ingest::Pos) -> (String, u32, u32) {
    let r = data.sources.resolve(pos).expect("located");
    let file = Path::new(&r.file).file_name().unwrap().to_string_lossy().to_string();
    (file, r.line.unwrap(), r.column.unwrap())
}

fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day)
}

#[test]
fn minimal_export_maps_and_infers_reference_date() {
    let dir = folder(&[("ssd_person.csv", PERSON), ("ssd_cin_episodes.csv", EPISODES)]);
    let data = read(&dir);
    // Latest activity 2025-06-10 → R = 2025-03-31? No: the most recent 31 March on or before it.
    assert_eq!(data.reference_date(), d(2025, 3, 31));
    let data = read_export(dir.path(), &ExportOptions { reference_date: d(2026, 3, 31), la: Some("919".into()), ..Default::default() }).unwrap();
    assert_eq!(data.reference_date(), d(2026, 3, 31));
    let header = data.table("Header").unwrap();
    let year = header.batch.column_by_name("Year").unwrap().as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(year.value(0), 2026);
    // P3's only episode closed in 2021: not in the census.
    assert_eq!(data.children, 2);
    assert_eq!(strings(&data, "ChildIdentifiers", "LAchildID"), vec![Some("P1".into()), Some("P2".into())]);
    assert_eq!(strings(&data, "ChildIdentifiers", "UPNunknown"), vec![None, Some("UN1".into())]);
    assert_eq!(strings(&data, "CINdetails", "LAchildID"), vec![Some("P1".into()), Some("P2".into())]);
    assert_eq!(bools(&data, "CINdetails", "ReferralNFA"), vec![Some(false), Some(true)]);
    assert_eq!(dates(&data, "CINdetails", "CINclosureDate"), vec![None, d(2025, 6, 10)]);
    assert_eq!(strings(&data, "CINdetails", "ReasonForClosure"), vec![None, Some("RC8".into())]);
    // Optional tables missing → one info each.
    let missing: Vec<_> = data.reader_findings.iter().filter(|f| f.finding.code == "SSD001").map(|f| f.finding.message.clone()).collect();
    assert!(missing.iter().any(|m| m.starts_with("ssd_cp_plans not supplied")), "{missing:?}");
    assert!(data.reader_findings.iter().filter(|f| f.finding.code == "SSD001").all(|f| f.finding.severity == cinlint_model::Severity::Info));
    // Export-only tables exist (empty).
    assert_eq!(data.row_count("CinPlans"), 0);
    assert!(data.table("Household").is_some());
}

#[test]
fn bom_crlf_and_uk_dates() {
    let person = format!("\u{feff}{}", PERSON.replace('\n', "\r\n"));
    let episodes = EPISODES.replace("2025-05-01", "01/05/2025").replace("2025-06-10,N2", "10/06/2025 00:00:00.000,N2");
    let dir = folder(&[("SSD_Person.CSV", &person), ("ssd_cin_episodes.csv", &episodes)]);
    let data = read_export(dir.path(), &ExportOptions { reference_date: d(2026, 3, 31), ..Default::default() }).unwrap();
    assert!(!codes(&data).contains(&"SSD002".to_string()), "BOM must not spoil the first header: {:?}", codes(&data));
    assert_eq!(strings(&data, "ChildIdentifiers", "LAchildID"), vec![Some("P1".into()), Some("P2".into())]);
    assert_eq!(strings(&data, "ChildCharacteristics", "Ethnicity"), vec![Some("WBRI".into()), Some("WBRI".into())]);
    assert_eq!(dates(&data, "CINdetails", "CINreferralDate"), vec![d(2025, 5, 1), d(2025, 6, 10)]);
    // Row 2 of the CRLF file is line 3 (header is line 1); the LAchildID is at column 1.
    let ids = data.table("ChildIdentifiers").unwrap();
    assert_eq!(line_of(&data, ids.positions.rows[1]), ("SSD_Person.CSV".into(), 3, 1));
    assert_eq!(line_of(&data, ids.positions.fields[0][0]), ("SSD_Person.CSV".into(), 2, 1));
    // Sex is the third field of "P1,A123456789012,F".
    let sex = schema_index(&data, "ChildIdentifiers", "Sex");
    assert_eq!(line_of(&data, ids.positions.fields[sex][0]), ("SSD_Person.CSV".into(), 2, 18));
}

fn schema_index(data: &CensusData, table: &str, column: &str) -> usize {
    data.table(table).unwrap().def.column_index(column).unwrap()
}

#[test]
fn quoted_newlines_and_malformed_json() {
    let episodes = "cine_referral_id,cine_person_id,cine_referral_date,cine_referral_outcome_json,cine_referral_nfa\n\
R1,P1,2025-05-01,\"{\"\"NFA_FLAG\"\": \"\"Y\"\", \"\"COMMENTS\"\": \"\"line one\nline \"\"two\"\"\"\"}\",\n\
R2,P2,2025-06-10,\"{\"\"NFA_FLAG\"\": \"\"N\"\"}\",\n";
    let dir = folder(&[("ssd_person.csv", PERSON), ("ssd_cin_episodes.csv", episodes)]);
    let data = read_export(dir.path(), &ExportOptions { reference_date: d(2026, 3, 31), ..Default::default() }).unwrap();
    // The malformed JSON is a located finding; the NFA flag is still recovered.
    let bad: Vec<_> = data.reader_findings.iter().filter(|f| f.finding.code == "SSD003").collect();
    assert_eq!(bad.len(), 1, "{:?}", codes(&data));
    assert_eq!(line_of(&data, bad[0].pos), ("ssd_cin_episodes.csv".into(), 2, 18));
    assert!(!bad[0].finding.message.contains("line one"), "comment text must not be echoed");
    assert_eq!(bools(&data, "CINdetails", "ReferralNFA"), vec![Some(true), Some(false)]);
    // The record after the quoted line break starts on physical line 4.
    let cin = data.table("CINdetails").unwrap();
    assert_eq!(line_of(&data, cin.positions.rows[1]).1, 4);
}

#[test]
fn unknown_columns_warn_and_bad_values_are_findings() {
    let person = PERSON.replace("pers_expected_dob\n", "pers_expected_dob,shoe_size\n").replace(",\nP2", ",,42\nP2").replace("UN1,\n", "UN1,,\n").replace("UN2,\n", "UN2,,\n");
    let episodes = EPISODES.replace("2025-05-01", "31/02/2025");
    let dir = folder(&[("ssd_person.csv", &person), ("ssd_cin_episodes.csv", &episodes), ("README.txt", "hello")]);
    let data = read_export(dir.path(), &ExportOptions { reference_date: d(2026, 3, 31), ..Default::default() }).unwrap();
    let unknown: Vec<_> = data.reader_findings.iter().filter(|f| f.finding.code == "SSD002").collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].finding.severity, cinlint_model::Severity::Warning);
    assert!(unknown[0].finding.message.contains("shoe_size"));
    assert_eq!(line_of(&data, unknown[0].pos).1, 1);
    let bad: Vec<_> = data.reader_findings.iter().filter(|f| f.finding.code == "SSD004").collect();
    assert_eq!(bad.len(), 1, "{:?}", codes(&data));
    assert_eq!(line_of(&data, bad[0].pos), ("ssd_cin_episodes.csv".into(), 2, 7));
    // The episode with an unreadable referral date cannot be scoped.
    assert!(codes(&data).contains(&"SSD007".to_string()));
    assert!(data.reader_findings.iter().any(|f| f.finding.code == "SSD005" && f.finding.message.contains("README.txt")));
}

#[test]
fn missing_required_column_or_table_is_an_error() {
    let episodes = EPISODES.replace("cine_referral_date", "referral_when");
    let dir = folder(&[("ssd_person.csv", PERSON), ("ssd_cin_episodes.csv", &episodes)]);
    let err = read_export(dir.path(), &ExportOptions::default()).unwrap_err();
    assert_eq!(err.kind, "missing-column");
    assert!(err.message.contains("ssd_cin_episodes") && err.message.contains("cine_referral_date"), "{}", err.message);
    assert!(err.file.ends_with("ssd_cin_episodes.csv"));
    assert_eq!(err.line, 1);

    let dir = folder(&[("ssd_person.csv", PERSON)]);
    let err = read_export(dir.path(), &ExportOptions::default()).unwrap_err();
    assert_eq!(err.kind, "missing-table");
    assert!(err.message.contains("ssd_cin_episodes"));
}

#[test]
fn duplicate_keys_and_wrong_field_counts() {
    let person = format!("{PERSON}P1,X,F,WBRI,2015-01-01,,\n");
    let dir = folder(&[("ssd_person.csv", &person), ("ssd_cin_episodes.csv", EPISODES)]);
    let data = read_export(dir.path(), &ExportOptions { reference_date: d(2026, 3, 31), ..Default::default() }).unwrap();
    let dup: Vec<_> = data.reader_findings.iter().filter(|f| f.finding.code == "SSD006").collect();
    assert_eq!(dup.len(), 1);
    assert!(dup[0].finding.message.contains("line 2"), "{}", dup[0].finding.message);
    assert_eq!(data.children, 2);

    let person = format!("{PERSON}P9,X\n");
    let dir = folder(&[("ssd_person.csv", &person), ("ssd_cin_episodes.csv", EPISODES)]);
    let err = read_export(dir.path(), &ExportOptions::default()).unwrap_err();
    assert_eq!((err.kind, err.line), ("field-count", 5));
}

#[test]
fn groups_section47_and_cp_plans() {
    let s47 = "s47e_s47_enquiry_id,s47e_referral_id,s47e_person_id,s47e_s47_start_date,s47e_s47_end_date,s47e_s47_outcome_json\n\
Q1,R1,P1,2025-05-10,2025-05-20,\"{\"\"CP_CONFERENCE_FLAG\"\": \"\"N\"\"}\"\n\
Q2,R1,P1,2025-07-01,2025-07-10,\"{\"\"CP_CONFERENCE_FLAG\"\": \"\"Y\"\"}\"\n";
    let icpc = "icpc_icpc_id,icpc_s47_enquiry_id,icpc_person_id,icpc_referral_id,icpc_icpc_target_date,icpc_icpc_date\n\
C1,Q2,P1,R1,2025-07-22,2025-07-20\n";
    let cpp = "cppl_cp_plan_id,cppl_referral_id,cppl_icpc_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date,cppl_cp_plan_initial_category,cppl_cp_plan_latest_category\n\
OLD,R0,,P1,01/01/2020,01/06/2020,Neglect,Neglect\n\
CP1,R1,C1,P1,20/07/2025,,Neglect,Multiple: neglect and emotional\n";
    let reviews = "cppr_cp_review_id,cppr_cp_plan_id,cppr_cp_review_due,cppr_cp_review_date\n\
V2,CP1,2025-10-20,2025-10-14\nV1,CP1,2025-10-20,2025-10-14\nV3,CP1,2026-09-01,\n";
    let dir = folder(&[
        ("ssd_person.csv", PERSON),
        ("ssd_cin_episodes.csv", EPISODES),
        ("ssd_s47_enquiry.csv", s47),
        ("ssd_initial_cp_conference.csv", icpc),
        ("ssd_cp_plans.csv", cpp),
        ("ssd_cp_reviews.csv", reviews),
    ]);
    let data = read_export(dir.path(), &ExportOptions { reference_date: d(2026, 3, 31), ..Default::default() }).unwrap();
    assert_eq!(bools(&data, "Section47", "ICPCnotRequired"), vec![Some(true), Some(false)]);
    assert_eq!(dates(&data, "Section47", "DateOfInitialCPC"), vec![None, d(2025, 7, 20)]);
    assert_eq!(dates(&data, "Section47", "InitialCPCtarget"), vec![None, d(2025, 7, 22)]);
    assert_eq!(strings(&data, "ChildProtectionPlans", "InitialCategoryOfAbuse"), vec![Some("NEG".into())]);
    assert_eq!(strings(&data, "ChildProtectionPlans", "LatestCategoryOfAbuse"), vec![Some("MUL".into())]);
    let t = data.table("ChildProtectionPlans").unwrap();
    let prev = t.batch.column_by_name("NumberOfPreviousCPP").unwrap().as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(prev.value(0), 1);
    assert_eq!(dates(&data, "Reviews", "CPPreviewDate"), vec![d(2025, 10, 14)]);
}
