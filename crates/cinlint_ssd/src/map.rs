//! SSD → census mapping (`la-export.md` §4) and the export-only tables.

use crate::findings::{Findings, MAPPING, UNLINKED};
use crate::read::Rec;
use crate::values;
use crate::{Export, ExportOptions};
use chrono::{Datelike, NaiveDate};
use cinlint_ingest::tables::{census_builders, FieldValue, InputSummary, PendingFinding, TableBuilder};
use cinlint_ingest::{CensusData, Pos, SourceMap, TableData};
use rayon::prelude::*;
use cinlint_model::schema::{self, ColumnKind, TableDef, EXPORT_TABLES, TABLES};
use cinlint_model::{Severity, WorkingCalendar};
use crate::fast_hash::{FastMap, FastSet};

type Vals = Vec<Option<(String, Pos)>>;

fn idx(def: &TableDef) -> usize {
    TABLES.iter().position(|t| t.name == def.name).expect("a census table")
}

fn vals(def: &TableDef) -> Vals {
    vec![None; def.columns.len()]
}

fn set(def: &TableDef, v: &mut Vals, column: &str, value: Option<(String, Pos)>) {
    let i = def.column_index(column).unwrap_or_else(|| panic!("{} has no column {column}", def.name));
    v[i] = value;
}

fn append(b: &mut TableBuilder, child: (u32, &str), keys: &[i32], v: &Vals, pos: Pos) {
    let values: Vec<FieldValue> = v.iter().map(|x| x.as_ref().map(|(t, p)| (t.as_str(), *p))).collect();
    b.append(Some((child.0, Some(child.1))), keys, &values, pos, |_| {});
}

/// A text field as located text.
fn text(rec: &Rec, column: &str) -> Option<(String, Pos)> {
    rec.s(column).map(|t| (t.to_string(), rec.pos(column)))
}

/// A date field: ISO text when it parsed, the original text (→ `_raw`) when it did not.
fn date_val(rec: &Rec, column: &str) -> Option<(String, Pos)> {
    rec.cell(column).map(|c| (c.text.to_string(), c.pos))
}

/// A date field only when it is on or before `r`.
fn date_upto(rec: &Rec, column: &str, r: NaiveDate) -> Option<(String, Pos)> {
    rec.d(column).filter(|d| *d <= r).map(|d| (iso(d), rec.pos(column)))
}

fn iso(d: NaiveDate) -> String {
    crate::read::iso_date(d).into_string()
}

fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// Open during the period: starts by `r` and ends (if at all) on or after `s`.
fn open(start: Option<NaiveDate>, end: Option<NaiveDate>, r: NaiveDate, s: NaiveDate) -> bool {
    start.is_some_and(|st| st <= r) && end.is_none_or(|e| e >= s)
}

fn index<'a>(recs: &[Rec<'a>], column: &str) -> FastMap<&'a str, Vec<Rec<'a>>> {
    let mut map: FastMap<&'a str, Vec<Rec<'a>>> = FastMap::default();
    for rec in recs {
        if let Some(k) = rec.s(column) {
            map.entry(k).or_default().push(*rec);
        }
    }
    map
}

/// Records of a group table split into those with an episode link and those without (by person).
struct Linkable<'a> {
    by_ref: FastMap<&'a str, Vec<Rec<'a>>>,
    unlinked: FastMap<&'a str, Vec<Rec<'a>>>,
    date: &'static str,
    table: &'static str,
}

impl<'a> Linkable<'a> {
    /// Indexes `recs` by the referral they name. A record naming another person's referral is
    /// not linked to it (that would put it in the other child's return): it is reported and
    /// linked by date to its own person's episodes instead. `referral_person` maps each referral
    /// id to its person.
    fn new(
        recs: &[Rec<'a>],
        reference: impl Fn(&Rec<'a>) -> Option<&'a str>,
        person: &'static str,
        date: &'static str,
        table: &'static str,
        referral_person: &FastMap<&str, &str>,
        findings: &mut Findings,
    ) -> Self {
        let mut by_ref: FastMap<&'a str, Vec<Rec<'a>>> = FastMap::default();
        let mut unlinked: FastMap<&'a str, Vec<Rec<'a>>> = FastMap::default();
        for rec in recs {
            let own = rec.s(person);
            match reference(rec) {
                Some(id) => match (own, referral_person.get(id)) {
                    (Some(p), Some(q)) if p != *q => {
                        // The other child is not named: the tool prints no identifier it does not need.
                        findings.push(
                            UNLINKED,
                            Severity::Warning,
                            format!("{table}: this child's record names referral {id}, which is another child's; linked by date to this child's own episodes instead"),
                            "Correct the referral id (or the person id) so the record belongs to one child.",
                            rec.row.pos,
                            table,
                            None,
                            Some(p),
                        );
                        unlinked.entry(p).or_default().push(*rec);
                    }
                    _ => by_ref.entry(id).or_default().push(*rec),
                },
                None => {
                    if let Some(p) = own {
                        unlinked.entry(p).or_default().push(*rec);
                    }
                }
            }
        }
        Self { by_ref, unlinked, date, table }
    }

    /// Records of episode `ep`: by link, else same person and date inside the episode.
    fn of(&self, ep: &Rec, person: &str, r: NaiveDate, findings: &mut Findings) -> Vec<Rec<'a>> {
        let id = ep.s("cine_referral_id").unwrap_or_default();
        let mut out = self.by_ref.get(id).cloned().unwrap_or_default();
        let lo = ep.d("cine_referral_date");
        let hi = ep.d("cine_close_date").filter(|d| *d <= r).unwrap_or(r);
        for rec in self.unlinked.get(person).into_iter().flatten() {
            if let (Some(lo), Some(d)) = (lo, rec.d(self.date)) {
                if lo <= d && d <= hi {
                    findings.push(
                        UNLINKED,
                        Severity::Warning,
                        format!("{}: no episode link; linked by date to referral {id}", self.table),
                        "Fill the referral id so the record is linked to its episode.",
                        rec.row.pos,
                        self.table,
                        None,
                        Some(person),
                    );
                    out.push(*rec);
                }
            }
        }
        out.sort_by_key(|r| r.d(self.date));
        out
    }
}

/// Code lists of the extension tables (`la-export.md` §3).
fn code_list(column: &str) -> Option<&'static [&'static str]> {
    const YNU: &[&str] = &["Y", "N", "U"];
    Some(match column {
        "hous_benefits" | "hous_financial_hardship" | "hous_fsm_eligible" | "hous_nrpf" | "hous_parent_care_experienced" => YNU,
        "hous_housing_tenure" => &["OWN", "SOC", "PRIV", "TEMP", "HOMELESS", "OTHER", "U"],
        "hous_parent_employment" => &["EMP", "UNEMP", "INACTIVE", "MIXED", "U"],
        "cinr_review_outcome" => &["CONT", "STEP", "ESC", "CLOSE"],
        _ => return None,
    })
}

fn add_working_days(cal: &WorkingCalendar, mut d: NaiveDate, n: u32) -> NaiveDate {
    let mut count = 0;
    while count < n {
        d = d.succ_opt().expect("date in range");
        if cal.is_working_day(d) {
            count += 1;
        }
    }
    d
}

/// An export's findings as reader findings, once each is attached to its child (none is left
/// naming a person), followed by one per kind whose findings were not all listed.
pub fn reader_findings(findings: Findings) -> Vec<PendingFinding> {
    let closing = findings.closing();
    findings
        .items
        .into_iter()
        .map(|(p, person)| {
            debug_assert!(person.is_none(), "findings are attached to their child first");
            p
        })
        .chain(closing)
        .collect()
}

/// The census tables of the export and the mapping's findings, each attached to its child; the
/// caller lists them after the reading's (see [`reader_findings`]).
pub fn build(ex: &Export, r: NaiveDate, options: &ExportOptions, sources: SourceMap, input: InputSummary) -> (CensusData, Findings) {
    let mut findings = Findings::default();
    let s = cinlint_model::calendar::period_start_for(r);
    let cal = WorkingCalendar::england();
    let mut b = census_builders();

    // Header.
    {
        let def = &schema::HEADER;
        let mut v = vals(def);
        let n = Pos::NONE;
        set(def, &mut v, "Collection", Some(("CIN".into(), n)));
        set(def, &mut v, "Year", Some((r.year().to_string(), n)));
        set(def, &mut v, "ReferenceDate", Some((iso(r), n)));
        set(def, &mut v, "SourceLevel", Some(("L".into(), n)));
        set(def, &mut v, "LEA", options.la.clone().map(|la| (la, n)));
        set(def, &mut v, "SoftwareCode", Some(("cinlint".into(), n)));
        set(def, &mut v, "Release", Some((env!("CARGO_PKG_VERSION").into(), n)));
        let values: Vec<FieldValue> = v.iter().map(|x| x.as_ref().map(|(t, p)| (t.as_str(), *p))).collect();
        b[0].append(None, &[], &values, Pos::NONE, |_| {});
    }

    let people = ex.recs("ssd_person");
    let person_ids: FastSet<&str> = people.iter().filter_map(|p| p.s("pers_person_id")).collect();

    // Episodes in scope, by person.
    let mut episodes: FastMap<&str, Vec<Rec>> = FastMap::default();
    for ep in ex.recs("ssd_cin_episodes") {
        let id = ep.s("cine_referral_id").unwrap_or_default();
        let Some(pid) = ep.s("cine_person_id") else {
            findings.push(UNLINKED, Severity::Error, format!("ssd_cin_episodes: referral {id} has no person"), "Fill cine_person_id.", ep.row.pos, "ssd_cin_episodes", Some("cine_person_id"), None);
            continue;
        };
        if !person_ids.contains(pid) {
            findings.push(
                UNLINKED,
                Severity::Error,
                format!("ssd_cin_episodes: referral {id} belongs to person {pid}, who is not in ssd_person"),
                "Export every person who has an episode in ssd_person.",
                ep.pos("cine_person_id"),
                "ssd_cin_episodes",
                Some("cine_person_id"),
                Some(pid),
            );
            continue;
        }
        let Some(start) = ep.d("cine_referral_date") else {
            findings.push(
                UNLINKED,
                Severity::Error,
                format!("ssd_cin_episodes: referral {id} has no referral date, so it cannot be placed in the census period"),
                "Fill cine_referral_date.",
                ep.row.pos,
                "ssd_cin_episodes",
                Some("cine_referral_date"),
                Some(pid),
            );
            continue;
        };
        if start <= r && ep.d("cine_close_date").is_none_or(|c| c >= s) {
            episodes.entry(pid).or_default().push(ep);
        }
    }
    for list in episodes.values_mut() {
        list.sort_by_key(|e| e.d("cine_referral_date"));
    }

    // Child keys: census children first (person order), then every other person.
    let mut key_of: FastMap<String, u32> = FastMap::default();
    let mut children: Vec<(Rec, &str)> = Vec::new();
    for p in &people {
        let pid = p.s("pers_person_id").expect("key checked at load");
        if episodes.get(pid).is_some_and(|e| !e.is_empty()) {
            key_of.insert(pid.to_string(), children.len() as u32);
            children.push((*p, pid));
        }
    }
    let census_children = children.len();
    for p in &people {
        let pid = p.s("pers_person_id").expect("key checked at load");
        let next = key_of.len() as u32;
        key_of.entry(pid.to_string()).or_insert(next);
    }

    // Indexes.
    let referral_person: FastMap<&str, &str> = ex
        .recs("ssd_cin_episodes")
        .iter()
        .filter_map(|ep| Some((ep.s("cine_referral_id")?, ep.s("cine_person_id")?)))
        .collect();
    let disabilities = index(&ex.recs("ssd_disability"), "disa_person_id");
    let linked_ids = index(&ex.recs("ssd_linked_identifiers"), "link_person_id");
    let assessments = ex.recs("ssd_cin_assessments");
    let assessments = Linkable::new(&assessments, |r| r.s("cina_referral_id"), "cina_person_id", "cina_assessment_start_date", "ssd_cin_assessments", &referral_person, &mut findings);
    let factors = index(&ex.recs("ssd_assessment_factors"), "cinf_assessment_id");
    let cin_plans_all = ex.recs("ssd_cin_plans");
    let cin_plans = Linkable::new(&cin_plans_all, |r| r.s("cinp_referral_id"), "cinp_person_id", "cinp_cin_plan_start_date", "ssd_cin_plans", &referral_person, &mut findings);
    let s47 = ex.recs("ssd_s47_enquiry");
    let s47 = Linkable::new(&s47, |r| r.s("s47e_referral_id"), "s47e_person_id", "s47e_s47_start_date", "ssd_s47_enquiry", &referral_person, &mut findings);
    let icpcs = ex.recs("ssd_initial_cp_conference");
    let icpc_by_s47 = index(&icpcs, "icpc_s47_enquiry_id");
    let icpc_by_id = index(&icpcs, "icpc_icpc_id");
    let icpc_no_s47: Vec<Rec> = icpcs.iter().filter(|c| c.s("icpc_s47_enquiry_id").is_none()).copied().collect();
    // Conferences with no enquiry, by person and by referral (looked up per enquiry and episode).
    let icpc_no_s47_by_person = index(&icpc_no_s47, "icpc_person_id");
    let icpc_no_s47_by_referral = index(&icpc_no_s47, "icpc_referral_id");
    let cp_all = ex.recs("ssd_cp_plans");
    let cpp = Linkable::new(
        &cp_all,
        |r| {
            r.s("cppl_referral_id").or_else(|| {
                r.s("cppl_icpc_id").and_then(|i| icpc_by_id.get(i)).and_then(|c| c.first()).and_then(|c| c.s("icpc_referral_id"))
            })
        },
        "cppl_person_id",
        "cppl_cp_plan_start_date",
        "ssd_cp_plans",
        &referral_person,
        &mut findings,
    );
    let cp_by_person = index(&cp_all, "cppl_person_id");
    let cp_reviews = index(&ex.recs("ssd_cp_reviews"), "cppr_cp_plan_id");

    let mut plan_episode: FastMap<&str, i32> = FastMap::default();
    let mut claimed: FastSet<*const crate::read::RawRow> = FastSet::default();

    let ids_i = idx(&schema::CHILD_IDENTIFIERS);
    let chars_i = idx(&schema::CHILD_CHARACTERISTICS);
    let dis_i = idx(&schema::DISABILITIES);
    let cin_i = idx(&schema::CIN_DETAILS);
    let ass_i = idx(&schema::ASSESSMENTS);
    let fac_i = idx(&schema::ASSESSMENT_FACTORS);
    let plan_i = idx(&schema::CIN_PLAN_DATES);
    let s47_i = idx(&schema::SECTION47);
    let cpp_i = idx(&schema::CHILD_PROTECTION_PLANS);
    let rev_i = idx(&schema::REVIEWS);

    for (key, (p, pid)) in children.iter().enumerate() {
        let key = key as u32;
        let child = (key, *pid);
        let pid: &str = pid;

        // ChildIdentifiers.
        let def = &schema::CHILD_IDENTIFIERS;
        let mut v = vals(def);
        set(def, &mut v, "LAchildID", text(p, "pers_person_id"));
        let upn = text(p, "pers_upn");
        let reason = text(p, "pers_upn_unknown");
        if upn.is_some() && reason.is_some() {
            findings.push(MAPPING, Severity::Warning, "ssd_person: both a UPN and a UPN-unknown reason; the reason is dropped".into(), "Clear pers_upn_unknown when the UPN is known.", p.pos("pers_upn_unknown"), "ssd_person", Some("pers_upn_unknown"), Some(pid));
        }
        if upn.is_none() && reason.is_none() {
            findings.push(MAPPING, Severity::Warning, "ssd_person: no UPN and no UPN-unknown reason".into(), "Record the UPN or the reason it is not known (UN1–UN7).", p.row.pos, "ssd_person", Some("pers_upn"), Some(pid));
        }
        set(def, &mut v, "UPNunknown", if upn.is_none() { reason } else { None });
        let former = linked_ids
            .get(pid)
            .into_iter()
            .flatten()
            .filter(|l| l.s("link_identifier_type").is_some_and(|t| t.eq_ignore_ascii_case("Former Unique Pupil Number")))
            .max_by_key(|l| l.d("link_valid_from_date"));
        set(def, &mut v, "FormerUPN", former.and_then(|l| text(l, "link_identifier_value")));
        set(def, &mut v, "UPN", upn);
        let dob = date_val(p, "pers_dob");
        let expected = date_val(p, "pers_expected_dob");
        if dob.is_some() && expected.is_some() {
            findings.push(MAPPING, Severity::Warning, "ssd_person: both a date of birth and an expected date of birth; only the date of birth is used".into(), "Clear pers_expected_dob once the child is born.", p.pos("pers_expected_dob"), "ssd_person", Some("pers_expected_dob"), Some(pid));
        }
        let unborn = dob.is_none() && expected.is_some();
        if let (true, Some(e)) = (unborn, p.d("pers_expected_dob")) {
            if e < r - chrono::Duration::days(300) {
                findings.push(
                    MAPPING,
                    Severity::Warning,
                    "ssd_person: no date of birth and an expected date of birth more than 10 months before the reference date (an estimated date of birth?)".into(),
                    "Record the (estimated) date of birth in pers_dob; expected dates of birth are for unborn children.",
                    p.pos("pers_expected_dob"),
                    "ssd_person",
                    Some("pers_expected_dob"),
                    Some(pid),
                );
            }
        }
        set(def, &mut v, "ExpectedPersonBirthDate", if dob.is_none() { expected } else { None });
        set(def, &mut v, "PersonBirthDate", dob);
        let (sex_col, sex_text) = match p.s("pers_sex") {
            Some(t) => ("pers_sex", Some(t)),
            None => ("pers_gender", p.s("pers_gender")),
        };
        let sex = sex_text.and_then(values::sex);
        if sex.is_none() {
            findings.push(
                MAPPING,
                Severity::Warning,
                format!("ssd_person: sex {} written as U", sex_text.map_or("is blank;".to_string(), |t| format!("`{}` is not recognised;", values::shorten(t)))),
                "Record sex as M, F or U.",
                p.pos("pers_sex"),
                "ssd_person",
                Some("pers_sex"),
                Some(pid),
            );
        }
        set(def, &mut v, "Sex", Some((sex.unwrap_or("U").to_string(), p.pos(sex_col))));
        set(def, &mut v, "PersonDeathDate", date_val(p, "pers_death_date"));
        append(&mut b[ids_i], child, &[], &v, p.row.pos);

        // ChildCharacteristics.
        let def = &schema::CHILD_CHARACTERISTICS;
        let mut v = vals(def);
        let ethnicity = text(p, "pers_ethnicity").map(|(t, pos)| {
            let up = t.to_ascii_uppercase();
            if up == "CNHE" {
                findings.push(MAPPING, Severity::Warning, "ssd_person: ethnicity CNHE read as CHNE".into(), "Use the DfE code CHNE.", pos, "ssd_person", Some("pers_ethnicity"), Some(pid));
                ("CHNE".to_string(), pos)
            } else {
                (t, pos)
            }
        });
        set(def, &mut v, "Ethnicity", ethnicity);
        append(&mut b[chars_i], child, &[], &v, p.row.pos);

        // Disabilities.
        let mut codes: Vec<(String, Pos, Pos)> = Vec::new();
        for d in disabilities.get(pid).into_iter().flatten() {
            if let Some(c) = d.s("disa_disability_code") {
                let c = c.to_ascii_uppercase();
                if !codes.iter().any(|(x, _, _)| *x == c) {
                    codes.push((c, d.pos("disa_disability_code"), d.row.pos));
                }
            }
        }
        if codes.len() > 1 && codes.iter().any(|(c, _, _)| c == "NONE") {
            findings.push(MAPPING, Severity::Warning, "ssd_disability: NONE recorded together with a disability".into(), "Remove NONE or the other codes.", codes[0].2, "ssd_disability", Some("disa_disability_code"), Some(pid));
        }
        if codes.is_empty() && !unborn {
            findings.push(MAPPING, Severity::Warning, "ssd_disability: no disability recorded (the census asks for NONE when there is none)".into(), "Record the child's disabilities, or NONE.", p.row.pos, "ssd_person", None, Some(pid));
        }
        let def = &schema::DISABILITIES;
        for (code, pos, row_pos) in codes {
            let mut v = vals(def);
            set(def, &mut v, "Disability", Some((code, pos)));
            append(&mut b[dis_i], child, &[], &v, row_pos);
        }

        // Episodes.
        for (e, ep) in episodes.get(pid).into_iter().flatten().enumerate() {
            let e = e as i32 + 1;
            let ep_id = ep.s("cine_referral_id").unwrap_or_default();

            // Assessments.
            let mut a = 0;
            for asmt in assessments.of(ep, pid, r, &mut findings) {
                let start = asmt.d("cina_assessment_start_date");
                if !open(start, asmt.d("cina_assessment_auth_date"), r, s) {
                    continue;
                }
                a += 1;
                let def = &schema::ASSESSMENTS;
                let mut v = vals(def);
                set(def, &mut v, "AssessmentActualStartDate", date_val(&asmt, "cina_assessment_start_date"));
                let auth = date_upto(&asmt, "cina_assessment_auth_date", r);
                let authorised = auth.is_some();
                set(def, &mut v, "AssessmentAuthorisationDate", auth);
                append(&mut b[ass_i], child, &[e, a], &v, asmt.row.pos);
                if authorised {
                    let aid = asmt.s("cina_assessment_id").unwrap_or_default();
                    let rows = factors.get(aid).map(Vec::as_slice).unwrap_or_default();
                    if rows.len() > 1 {
                        findings.push(MAPPING, Severity::Warning, format!("ssd_assessment_factors: {} rows for assessment {aid}; factors unioned", rows.len()), "Keep one factors row per assessment.", rows[1].row.pos, "ssd_assessment_factors", None, Some(pid));
                    }
                    let mut seen: Vec<String> = Vec::new();
                    for f in rows {
                        let Some(json) = f.cell("cinf_assessment_factors_json") else { continue };
                        for code in values::parse_factors(&json.text).unwrap_or_default() {
                            if seen.contains(&code) {
                                continue;
                            }
                            seen.push(code.clone());
                            let def = &schema::ASSESSMENT_FACTORS;
                            let mut v = vals(def);
                            set(def, &mut v, "AssessmentFactor", Some((code, json.pos)));
                            append(&mut b[fac_i], child, &[e, a], &v, f.row.pos);
                        }
                    }
                    if seen.is_empty() {
                        findings.push(MAPPING, Severity::Warning, format!("ssd_assessment_factors: authorised assessment {aid} has no factors"), "Record the factors identified at assessment (21 = no factors).", asmt.row.pos, "ssd_cin_assessments", None, Some(pid));
                    }
                }
            }

            // CIN plans.
            for plan in cin_plans.of(ep, pid, r, &mut findings) {
                if let Some(id) = plan.s("cinp_cin_plan_id") {
                    plan_episode.insert(id, e);
                }
                if !open(plan.d("cinp_cin_plan_start_date"), plan.d("cinp_cin_plan_end_date"), r, s) {
                    continue;
                }
                let def = &schema::CIN_PLAN_DATES;
                let mut v = vals(def);
                set(def, &mut v, "CINPlanStartDate", date_val(&plan, "cinp_cin_plan_start_date"));
                set(def, &mut v, "CINPlanEndDate", date_upto(&plan, "cinp_cin_plan_end_date", r));
                append(&mut b[plan_i], child, &[e], &v, plan.row.pos);
            }

            // Section 47 enquiries.
            for q in s47.of(ep, pid, r, &mut findings) {
                let start = q.d("s47e_s47_start_date");
                let end = q.d("s47e_s47_end_date");
                if !open(start, end, r, s) {
                    continue;
                }
                let qid = q.s("s47e_s47_enquiry_id").unwrap_or_default();
                let mut conference = icpc_by_s47.get(qid).and_then(|c| c.iter().min_by_key(|c| c.d("icpc_icpc_date")).copied());
                if conference.is_none() {
                    conference = icpc_no_s47_by_person
                        .get(pid)
                        .into_iter()
                        .flatten()
                        .filter(|c| {
                            c.s("icpc_referral_id").is_none_or(|x| x == ep_id)
                                && c.flag("icpc_icpc_transfer_in") != Some(true)
                                && !claimed.contains(&(c.row as *const _))
                                && c.d("icpc_icpc_date").zip(start).is_some_and(|(d, st)| d >= st)
                        })
                        .min_by_key(|c| c.d("icpc_icpc_date"))
                        .copied();
                    if let Some(c) = conference {
                        claimed.insert(c.row as *const _);
                    }
                }
                let cp_flag = q.cell("s47e_s47_outcome_json").and_then(|j| values::json_flag(&j.text, "CP_CONFERENCE_FLAG"));
                let ended = end.is_some_and(|d| d <= r);
                let not_required = conference.is_none() && cp_flag != Some(true) && ended;
                let def = &schema::SECTION47;
                let mut v = vals(def);
                set(def, &mut v, "S47ActualStartDate", date_val(&q, "s47e_s47_start_date"));
                let target = conference.and_then(|c| date_val(&c, "icpc_icpc_target_date"));
                let target = target.or_else(|| {
                    (!not_required).then_some(start).flatten().map(|st| (iso(add_working_days(&cal, st, 15)), q.pos("s47e_s47_start_date")))
                });
                set(def, &mut v, "InitialCPCtarget", target);
                set(def, &mut v, "DateOfInitialCPC", conference.and_then(|c| date_upto(&c, "icpc_icpc_date", r)));
                set(def, &mut v, "ICPCnotRequired", Some((bool_text(not_required), q.pos("s47e_s47_outcome_json"))));
                append(&mut b[s47_i], child, &[e], &v, q.row.pos);
            }

            // Child protection plans.
            let mut c = 0;
            for plan in cpp.of(ep, pid, r, &mut findings) {
                let start = plan.d("cppl_cp_plan_start_date");
                if !open(start, plan.d("cppl_cp_plan_end_date"), r, s) {
                    continue;
                }
                c += 1;
                let def = &schema::CHILD_PROTECTION_PLANS;
                let mut v = vals(def);
                set(def, &mut v, "CPPstartDate", date_val(&plan, "cppl_cp_plan_start_date"));
                set(def, &mut v, "CPPendDate", date_upto(&plan, "cppl_cp_plan_end_date", r));
                for (column, target) in [("cppl_cp_plan_initial_category", "InitialCategoryOfAbuse"), ("cppl_cp_plan_latest_category", "LatestCategoryOfAbuse")] {
                    let value = text(&plan, column).map(|(t, pos)| match values::abuse_category(&t) {
                        Some(code) => (code.to_string(), pos),
                        None => {
                            findings.push(MAPPING, Severity::Warning, format!("ssd_cp_plans: category of abuse `{}` has no census code", values::shorten(&t)), "Use Neglect, Physical abuse, Sexual abuse, Emotional abuse or Multiple.", pos, "ssd_cp_plans", Some(column), Some(pid));
                            (t, pos)
                        }
                    });
                    set(def, &mut v, target, value);
                }
                let previous = cp_by_person
                    .get(pid)
                    .map_or(0, |plans| plans.iter().filter(|o| o.d("cppl_cp_plan_start_date").zip(start).is_some_and(|(a, b)| a < b)).count());
                set(def, &mut v, "NumberOfPreviousCPP", Some((previous.to_string(), Pos::NONE)));
                append(&mut b[cpp_i], child, &[e, c], &v, plan.row.pos);
                let plan_id = plan.s("cppl_cp_plan_id").unwrap_or_default();
                let mut reviews: Vec<(NaiveDate, Pos, Pos)> = cp_reviews
                    .get(plan_id)
                    .into_iter()
                    .flatten()
                    .filter_map(|rv| rv.d("cppr_cp_review_date").filter(|d| *d <= r).map(|d| (d, rv.pos("cppr_cp_review_date"), rv.row.pos)))
                    .collect();
                reviews.sort_by_key(|x| x.0);
                reviews.dedup_by_key(|x| x.0);
                for (d, pos, row_pos) in reviews {
                    let def = &schema::REVIEWS;
                    let mut v = vals(def);
                    set(def, &mut v, "CPPreviewDate", Some((iso(d), pos)));
                    append(&mut b[rev_i], child, &[e, c], &v, row_pos);
                }
            }

            // CINdetails (after the groups, which claim conferences that follow an enquiry).
            let def = &schema::CIN_DETAILS;
            let mut v = vals(def);
            set(def, &mut v, "CINreferralDate", date_val(ep, "cine_referral_date"));
            set(def, &mut v, "ReferralSource", text(ep, "cine_referral_source_code"));
            set(def, &mut v, "PrimaryNeedCode", text(ep, "cine_cin_primary_need_code"));
            let closure = date_upto(ep, "cine_close_date", r);
            let closed = closure.is_some();
            set(def, &mut v, "CINclosureDate", closure);
            set(def, &mut v, "ReasonForClosure", if closed { text(ep, "cine_close_reason") } else { None });
            let episode_cpc = icpc_no_s47_by_referral
                .get(ep_id)
                .into_iter()
                .flatten()
                .filter(|c| !claimed.contains(&(c.row as *const _)))
                .filter_map(|c| c.d("icpc_icpc_date").filter(|d| *d <= r).map(|d| (d, c.pos("icpc_icpc_date"))))
                .min_by_key(|x| x.0);
            set(def, &mut v, "DateOfInitialCPC", episode_cpc.map(|(d, pos)| (iso(d), pos)));
            let nfa = ep.flag("cine_referral_nfa").map(|f| (f, ep.pos("cine_referral_nfa"))).or_else(|| {
                ep.cell("cine_referral_outcome_json").and_then(|j| values::json_flag(&j.text, "NFA_FLAG").map(|f| (f, j.pos)))
            });
            if nfa.is_none() {
                findings.push(MAPPING, Severity::Warning, format!("ssd_cin_episodes: referral {ep_id} has no NFA flag (cine_referral_nfa or NFA_FLAG)"), "Record whether the referral led to no further action.", ep.row.pos, "ssd_cin_episodes", Some("cine_referral_nfa"), Some(pid));
            }
            set(def, &mut v, "ReferralNFA", nfa.map(|(f, pos)| (bool_text(f), pos)));
            append(&mut b[cin_i], child, &[e], &v, ep.row.pos);
        }
    }

    let mut tables: Vec<_> = b.into_iter().map(TableBuilder::finish).collect();

    // Export-only tables.
    let plans_by_person = index(&cin_plans_all, "cinp_person_id");
    let plan_by_id = index(&cin_plans_all, "cinp_cin_plan_id");
    // Each table's rows are placed first, in table order (a person only these tables name
    // takes the next key); the tables are then built on every core, each with its own
    // findings, which are taken in table order.
    let placed: Vec<(PlacedRows, Findings)> = EXPORT_TABLES.iter().map(|def| place_export_rows(ex, def, &plan_by_id, &mut key_of)).collect();
    let links = ExportLinks { referral_person: &referral_person, plan_episode: &plan_episode, plans_by_person: &plans_by_person, census_children, r };
    let built: Vec<(TableData, Findings)> = EXPORT_TABLES.par_iter().zip(placed).map(|(def, (rows, found))| build_export_table(def, rows, found, &links)).collect();
    for (table, found) in built {
        tables.push(table);
        findings.append(found);
    }
    // Findings: attach the child.
    for (p, person) in &mut findings.items {
        if let Some(pid) = person.take() {
            if let Some(&key) = key_of.get(&pid) {
                if (key as usize) < census_children {
                    p.finding.child_key = Some(key);
                }
            }
            p.finding.child = Some(pid);
        }
    }
    let not_supplied = schema::EXPORT_TABLES.iter().filter(|t| ex.table(t.element).is_none()).map(|t| t.name).collect();
    let extract_date = options.as_of.or_else(|| crate::latest_activity(ex));
    let data = CensusData { tables, sources, reader_findings: Vec::new(), children: census_children, input, not_supplied, extract_date };
    (data, findings)
}

/// An export-only table's records with their child keys and person ids, in child-key order.
type PlacedRows<'a> = Vec<(u32, String, Rec<'a>)>;

/// The records of export-only table `def` with the child each belongs to: a visit without a
/// person takes its plan's. A person not in `ssd_person` takes the next key.
fn place_export_rows<'a>(
    ex: &'a Export,
    def: &TableDef,
    plan_by_id: &FastMap<&str, Vec<Rec<'a>>>,
    key_of: &mut FastMap<String, u32>,
) -> (PlacedRows<'a>, Findings) {
    let mut findings = Findings::default();
    let spec = crate::spec::table(def.element).expect("export tables are SSD tables");
    let person_col = spec.person.expect("export tables name a person");
    let mut rows: PlacedRows<'a> = Vec::new();
    for rec in ex.recs(spec.name) {
        let pid = rec.s(person_col).map(str::to_string).or_else(|| {
            (spec.name == "ssd_cin_visits")
                .then(|| rec.s("cinv_cin_plan_id").and_then(|p| plan_by_id.get(p)).and_then(|p| p.first()).and_then(|p| p.s("cinp_person_id")))
                .flatten()
                .map(str::to_string)
        });
        let Some(pid) = pid else {
            findings.push(UNLINKED, Severity::Error, format!("{}: the row names no person; skipped", spec.name), "Fill the person id.", rec.row.pos, spec.name, Some(person_col), None);
            continue;
        };
        if !key_of.contains_key(&pid) {
            findings.push(UNLINKED, Severity::Warning, format!("{}: person {pid} is not in ssd_person", spec.name), "Export every person the tables refer to in ssd_person.", rec.pos(person_col), spec.name, Some(person_col), Some(&pid));
            let next = key_of.len() as u32;
            key_of.insert(pid.clone(), next);
        }
        rows.push((key_of[&pid], pid, rec));
    }
    rows.sort_by_key(|x| x.0);
    (rows, findings)
}

/// What the export-only tables look up in the census mapping.
struct ExportLinks<'m, 'a> {
    referral_person: &'m FastMap<&'a str, &'a str>,
    plan_episode: &'m FastMap<&'a str, i32>,
    plans_by_person: &'m FastMap<&'a str, Vec<Rec<'a>>>,
    census_children: usize,
    r: NaiveDate,
}

/// Where an export-only column's value comes from, resolved once per table.
enum ExportColumn {
    /// The person of the plan's referral.
    ReferralPerson,
    /// The census episode of the plan.
    CinDetailsId,
    /// The visit's plan: its own, else the person's plan open on the visit date.
    VisitPlan(Option<usize>),
    /// The SSD column of the same name, at this index (`None`: the spec lacks it, a mistake
    /// reported by a panic when a row is read, as reading it by name would).
    Cell(Option<usize>),
}

impl ExportColumn {
    fn of(spec: &crate::spec::TableSpec, name: &str) -> Self {
        match name {
            "cinp_referral_person" => ExportColumn::ReferralPerson,
            "CINdetailsID" => ExportColumn::CinDetailsId,
            "cinv_cin_plan_id" => ExportColumn::VisitPlan(spec.columns.iter().position(|c| c.name == name)),
            _ => ExportColumn::Cell(spec.columns.iter().position(|c| c.name == name)),
        }
    }
}

/// Builds export-only table `def` from its placed rows; `findings` are its placing findings,
/// followed by those of its values.
fn build_export_table(def: &'static TableDef, rows: PlacedRows<'_>, mut findings: Findings, links: &ExportLinks<'_, '_>) -> (TableData, Findings) {
    let spec = crate::spec::table(def.element).expect("export tables are SSD tables");
    let columns: Vec<ExportColumn> = def.columns.iter().map(|c| ExportColumn::of(spec, c.name)).collect();
    let mut builder = TableBuilder::new(def);
    for (key, pid, rec) in rows {
        let mut v = vals(def);
        for ((i, column), source) in def.columns.iter().enumerate().zip(&columns) {
            let name = column.name;
            let cell = match *source {
                ExportColumn::ReferralPerson => {
                    v[i] = rec.s("cinp_referral_id").and_then(|id| links.referral_person.get(id)).map(|p| (p.to_string(), Pos::NONE));
                    continue;
                }
                ExportColumn::CinDetailsId => {
                    v[i] = rec
                        .s("cinp_cin_plan_id")
                        .and_then(|id| links.plan_episode.get(id))
                        .filter(|_| (key as usize) < links.census_children)
                        .map(|e| (e.to_string(), Pos::NONE));
                    continue;
                }
                ExportColumn::VisitPlan(at) if rec.cell_at(at.unwrap_or_else(|| spec.index(name))).is_none() => {
                    v[i] = rec.d("cinv_cin_visit_date").and_then(|d| {
                        links.plans_by_person.get(pid.as_str())?.iter().find_map(|p| {
                            let start = p.d("cinp_cin_plan_start_date")?;
                            let end = p.d("cinp_cin_plan_end_date").filter(|e| *e <= links.r).unwrap_or(links.r);
                            (start <= d && d <= end).then(|| p.s("cinp_cin_plan_id")).flatten().map(|id| (id.to_string(), Pos::NONE))
                        })
                    });
                    continue;
                }
                ExportColumn::VisitPlan(at) | ExportColumn::Cell(at) => {
                    let at = at.unwrap_or_else(|| spec.index(name));
                    rec.cell_at(at).map(|c| (c, rec.row.is_bad(at)))
                }
            };
            v[i] = cell.map(|(c, bad)| {
                let t = match column.kind {
                    ColumnKind::Bool if !bad => bool_text(c.text == "Y"),
                    ColumnKind::Text if spec.name == "ext_household" || name == "cinr_review_outcome" => {
                        let up = c.text.to_ascii_uppercase();
                        if let Some(list) = code_list(name) {
                            if !list.contains(&up.as_str()) {
                                findings.push(
                                    crate::findings::BAD_VALUE,
                                    Severity::Warning,
                                    format!("{}.{name}: `{}` is not one of {}", spec.name, values::shorten(&c.text), list.join(", ")),
                                    "Use a code from the extension table's list (la-export.md §3).",
                                    c.pos,
                                    spec.name,
                                    Some(name),
                                    Some(&pid),
                                );
                            }
                        }
                        up.to_string()
                    }
                    _ => c.text.to_string(),
                };
                (t, c.pos)
            });
        }
        append(&mut builder, (key, pid.as_str()), &[], &v, rec.row.pos);
    }
    (builder.finish(), findings)
}
