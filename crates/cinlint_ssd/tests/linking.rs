//! Records are linked to the episode of their own child: a plan naming another child's referral
//! never lands in that child's return.

use arrow::array::{Array, UInt32Array};
use cinlint_ssd::{read_export_files, ExportFile, ExportOptions};
use std::path::Path;

const PERSON: &str = "pers_person_id,pers_upn,pers_sex,pers_ethnicity,pers_dob,pers_upn_unknown,pers_expected_dob\n\
P1,,F,WBRI,2015-01-01,UN1,\n\
P2,,M,WBRI,2016-02-02,UN1,\n";

const EPISODES: &str = "cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need_code,cine_referral_source_code,cine_referral_outcome_json,cine_referral_nfa,cine_close_reason,cine_close_date\n\
R1,P1,2025-05-01,N1,1A,,N,,\n\
R2,P2,2025-06-10,N2,2B,,N,,\n";

// Plan 1 is P1's on P1's referral; plan 2 is P2's but names P1's referral R1.
const PLANS: &str = "cinp_cin_plan_id,cinp_referral_id,cinp_person_id,cinp_cin_plan_start_date,cinp_cin_plan_end_date,cinp_cin_plan_team,cinp_cin_plan_worker_id\n\
CP1,R1,P1,2025-06-01,,T,W\n\
CP2,R1,P2,2025-07-01,,T,W\n";

#[test]
fn a_plan_naming_another_childs_referral_stays_with_its_own_child() {
    let files = [("ssd_person.csv", PERSON), ("ssd_cin_episodes.csv", EPISODES), ("ssd_cin_plans.csv", PLANS)]
        .into_iter()
        .map(|(name, text)| ExportFile { display: name.to_string(), name: name.to_string(), bytes: text.as_bytes().to_vec() })
        .collect();
    let options = ExportOptions { reference_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 31), ..ExportOptions::default() };
    let data = read_export_files(Path::new("x"), files, &options).expect("reads");
    let ids = data.child_ids();
    let plans = data.table("CINplanDates").unwrap();
    let keys = plans.batch.column_by_name("child_key").unwrap().as_any().downcast_ref::<UInt32Array>().unwrap();
    let owners: Vec<Option<String>> = (0..keys.len()).map(|i| ids[keys.value(i) as usize].clone()).collect();
    assert_eq!(owners, [Some("P1".to_string()), Some("P2".to_string())], "each plan is in its own child's return");
    let warned = data.reader_findings.iter().any(|f| f.finding.message.contains("names referral R1, which is another child's") && !f.finding.message.contains("P1"));
    assert!(warned, "{:?}", data.reader_findings.iter().map(|f| &f.finding.message).collect::<Vec<_>>());
}
