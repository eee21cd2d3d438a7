//! The cohort summary: how many census children are in each status group on the reference date.
//!
//! Research on CIN plans asks for the children on a CIN plan to be shown on their own, apart from
//! the wider children-in-need group (child protection plans, looked-after children, children in
//! need with no plan). Each child is counted once, in the first group that applies on the
//! reference date R, in this order of precedence:
//!
//! 1. `cp_plan`: a child protection plan open on R (started by R, no end date or ending after R);
//! 2. `looked_after`: a looked-after episode open on R (LA exports only: the census holds none);
//! 3. `cin_plan`: a CIN plan open on R;
//! 4. `other_cin`: an episode open on R (referred by R, not closed by R, not a referral marked no
//!    further action), with none of the plans above: assessment, section 47 or support without a plan;
//! 5. `closed`: everything else: every episode closed (or NFA) during the period, nothing open on R.
//!
//! Plans and episodes run up to, not including, their end date: a plan ending on R is not open on R.
//! The counts are one SQL query run through the engine on the canonical tables.

use crate::engine::{Engine, EngineError};
use arrow::array::{Array, Int64Array, StringArray};
use chrono::NaiveDate;
use cinlint_ingest::tables::CensusData;
use serde::Serialize;

/// Children per status group on the reference date; the groups sum to `children`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cohort {
    /// R, as YYYY-MM-DD.
    pub reference_date: String,
    /// Census children counted (every child of the input).
    pub children: u64,
    pub cp_plan: u64,
    /// `None` when the input holds no looked-after episodes (census XML, or an export without
    /// ssd_cla_episodes): those children are then counted in the groups below.
    pub looked_after: Option<u64>,
    pub cin_plan: u64,
    pub other_cin: u64,
    pub closed: u64,
}

/// One row of the summary: key (as in JSON), label, count (`None`: not known for this input).
pub struct Group {
    pub key: &'static str,
    pub label: &'static str,
    pub count: Option<u64>,
}

impl Cohort {
    /// The groups in order of precedence.
    pub fn groups(&self) -> Vec<Group> {
        vec![
            Group { key: "cp_plan", label: "on a child protection plan", count: Some(self.cp_plan) },
            Group { key: "looked_after", label: "looked after", count: self.looked_after },
            Group { key: "cin_plan", label: "on a CIN plan", count: Some(self.cin_plan) },
            Group { key: "other_cin", label: "other child in need (open episode, no plan)", count: Some(self.other_cin) },
            Group { key: "closed", label: "closed or NFA, nothing open", count: Some(self.closed) },
        ]
    }
}

/// The query: one row per group that has children (`grp`, `n`).
fn sql(looked_after_known: bool) -> String {
    let looked_after = if looked_after_known {
        "SELECT DISTINCT e.child_key FROM ClaEpisodes e CROSS JOIN Census
         WHERE e.clae_cla_episode_start_date <= Census.ReferenceDate
           AND (e.clae_cla_episode_ceased_date IS NULL OR e.clae_cla_episode_ceased_date > Census.ReferenceDate)"
    } else {
        // Nothing is known: an empty set of the same type.
        "SELECT child_key FROM ChildIdentifiers WHERE false"
    };
    format!(
        "WITH kids AS (SELECT DISTINCT child_key FROM ChildIdentifiers),
cp AS (
  SELECT DISTINCT p.child_key FROM ChildProtectionPlans p CROSS JOIN Census
  WHERE p.CPPstartDate <= Census.ReferenceDate AND (p.CPPendDate IS NULL OR p.CPPendDate > Census.ReferenceDate)
),
cla AS ({looked_after}),
cin AS (
  SELECT DISTINCT p.child_key FROM CINplanDates p CROSS JOIN Census
  WHERE p.CINPlanStartDate <= Census.ReferenceDate AND (p.CINPlanEndDate IS NULL OR p.CINPlanEndDate > Census.ReferenceDate)
),
open_episode AS (
  SELECT DISTINCT c.child_key FROM CINdetails c CROSS JOIN Census
  WHERE c.CINreferralDate <= Census.ReferenceDate
    AND (c.CINclosureDate IS NULL OR c.CINclosureDate > Census.ReferenceDate)
    AND c.ReferralNFA IS NOT TRUE
),
status AS (
  SELECT CASE
      WHEN cp.child_key IS NOT NULL THEN 'cp_plan'
      WHEN cla.child_key IS NOT NULL THEN 'looked_after'
      WHEN cin.child_key IS NOT NULL THEN 'cin_plan'
      WHEN open_episode.child_key IS NOT NULL THEN 'other_cin'
      ELSE 'closed'
    END AS grp
  FROM kids
  LEFT JOIN cp ON cp.child_key = kids.child_key
  LEFT JOIN cla ON cla.child_key = kids.child_key
  LEFT JOIN cin ON cin.child_key = kids.child_key
  LEFT JOIN open_episode ON open_episode.child_key = kids.child_key
)
SELECT grp, CAST(COUNT(*) AS BIGINT) AS n FROM status GROUP BY grp"
    )
}

/// Counts the census children of `data` by status on `reference` (see the module docs).
pub fn cohort(engine: &Engine, data: &CensusData, reference: NaiveDate) -> Result<Cohort, EngineError> {
    let looked_after_known = data.supplies(cinlint_model::schema::CLA_EPISODES.name);
    let batches = engine.query(data, reference, &sql(looked_after_known))?;
    let mut out = Cohort {
        reference_date: reference.format("%Y-%m-%d").to_string(),
        children: 0,
        cp_plan: 0,
        looked_after: looked_after_known.then_some(0),
        cin_plan: 0,
        other_cin: 0,
        closed: 0,
    };
    let bad = |what: &str| EngineError::Engine(format!("cohort query: unexpected {what}"));
    for batch in &batches {
        let groups = batch.column(0).as_any().downcast_ref::<StringArray>().ok_or_else(|| bad("group column"))?;
        let counts = batch.column(1).as_any().downcast_ref::<Int64Array>().ok_or_else(|| bad("count column"))?;
        for i in 0..batch.num_rows() {
            let n = counts.value(i).max(0) as u64;
            out.children += n;
            let slot = match groups.is_valid(i).then(|| groups.value(i)) {
                Some("cp_plan") => &mut out.cp_plan,
                Some("looked_after") => out.looked_after.get_or_insert(0),
                Some("cin_plan") => &mut out.cin_plan,
                Some("other_cin") => &mut out.other_cin,
                Some("closed") => &mut out.closed,
                _ => return Err(bad("group")),
            };
            *slot += n;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(id: &str, episodes: &str) -> String {
        format!(
            "<Child><ChildIdentifiers><LAchildID>{id}</LAchildID><PersonBirthDate>2015-01-01</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>\
             <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>{episodes}</Child>"
        )
    }

    fn episode(referral: &str, closure: Option<&str>, nfa: bool, inner: &str, after: &str) -> String {
        let closure = closure.map_or(String::new(), |c| format!("<CINclosureDate>{c}</CINclosureDate><ReasonForClosure>RC8</ReasonForClosure>"));
        format!(
            "<CINdetails><CINreferralDate>{referral}</CINreferralDate><ReferralSource>1A</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>\
             {closure}{inner}<ReferralNFA>{nfa}</ReferralNFA>{after}</CINdetails>"
        )
    }

    fn cpp(start: &str, end: Option<&str>) -> String {
        let end = end.map_or(String::new(), |e| format!("<CPPendDate>{e}</CPPendDate>"));
        format!(
            "<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate>{end}<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>\
             <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse><NumberOfPreviousCPP>0</NumberOfPreviousCPP></ChildProtectionPlans>"
        )
    }

    fn plan(start: &str, end: Option<&str>) -> String {
        let end = end.map_or(String::new(), |e| format!("<CINPlanEndDate>{e}</CINPlanEndDate>"));
        format!("<CINPlanDates><CINPlanStartDate>{start}</CINPlanStartDate>{end}</CINPlanDates>")
    }

    fn r() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    }

    #[test]
    fn census_xml_groups_with_precedence() {
        let children = [
            // CP plan and CIN plan both open: counted once, as CP plan.
            child("A", &episode("2025-05-01", None, false, &plan("2025-06-01", None), &cpp("2025-09-01", None))),
            // CIN plan open.
            child("B", &episode("2025-05-01", None, false, &plan("2025-06-01", None), "")),
            // CIN plan ending on R: not open on R; the episode is still open: other child in need.
            child("C", &episode("2025-05-01", None, false, &plan("2025-06-01", Some("2026-03-31")), "")),
            // Closed episode, and a CPP that ended.
            child("D", &episode("2025-05-01", Some("2025-12-01"), false, "", &cpp("2025-06-01", Some("2025-11-30")))),
            // NFA referral with no closure date: nothing open.
            child("E", &episode("2025-07-01", None, true, "", "")),
            // Open episode, assessment only.
            child("F", &episode("2026-02-01", None, false, "", "")),
        ];
        let doc = format!(
            "<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails></Header><Children>{}</Children></Message>",
            children.join("")
        );
        let data = cinlint_ingest::xml::read_census_xml_bytes("t.xml", doc.into_bytes()).unwrap();
        let engine = Engine::new().unwrap();
        let c = cohort(&engine, &data, r()).unwrap();
        assert_eq!(
            c,
            Cohort { reference_date: "2026-03-31".into(), children: 6, cp_plan: 1, looked_after: None, cin_plan: 1, other_cin: 2, closed: 2 }
        );
        assert_eq!(c.groups().iter().filter_map(|g| g.count).sum::<u64>(), c.children);
    }

    #[test]
    fn export_counts_looked_after_children() {
        let files = [
            ("ssd_person.csv", "pers_person_id,pers_sex,pers_ethnicity,pers_dob\nP1,F,WBRI,2015-01-01\nP2,M,WBRI,2014-01-01\nP3,F,WBRI,2013-01-01\nP4,F,WBRI,2012-01-01\nP9,F,WBRI,2012-01-01\n"),
            (
                "ssd_cin_episodes.csv",
                "cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need_code,cine_referral_source_code,cine_referral_nfa,cine_close_reason,cine_close_date\n\
                 R1,P1,2025-05-01,N1,1A,N,,\nR2,P2,2025-05-01,N1,1A,N,,\nR3,P3,2025-05-01,N1,1A,N,RC1,2025-10-01\nR4,P4,2025-05-01,N1,1A,N,,\n",
            ),
            ("ssd_cin_plans.csv", "cinp_cin_plan_id,cinp_referral_id,cinp_person_id,cinp_cin_plan_start_date,cinp_cin_plan_end_date\nCP1,R1,P1,2025-06-01,\nCP2,R2,P2,2025-06-01,\n"),
            (
                "ssd_cla_episodes.csv",
                // P2 is looked after and on a CIN plan: looked after wins; P9 is in care but no census child.
                "clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_episode_ceased_date\nE1,P2,2025-09-01,\nE2,P9,2025-09-01,\nE3,P4,2025-06-01,2025-08-01\n",
            ),
        ];
        let files = files
            .iter()
            .map(|(name, text)| cinlint_ssd::ExportFile { display: format!("t/{name}"), name: name.to_string(), bytes: text.as_bytes().to_vec() })
            .collect();
        let options = cinlint_ssd::ExportOptions { reference_date: Some(r()), as_of: None, la: Some("201".into()) };
        let data = cinlint_ssd::read_export_files(std::path::Path::new("t"), files, &options).unwrap();
        let engine = Engine::new().unwrap();
        let c = cohort(&engine, &data, r()).unwrap();
        assert_eq!(
            c,
            Cohort { reference_date: "2026-03-31".into(), children: 4, cp_plan: 0, looked_after: Some(1), cin_plan: 1, other_cin: 1, closed: 1 }
        );
    }
}
