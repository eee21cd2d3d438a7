//! The SSD export: the same children as the census XML, as a Standard Safeguarding Dataset
//! folder of CSV files plus cinlint's extension tables `ext_cin_reviews` and `ext_household`
//! (`la-export.md` §2, §3, §5).
//!
//! The export holds each child's whole simulated history (episodes that closed before the
//! census period too); mapped to the census with the period filters of `la-export.md` §4 it gives
//! the child's census return. `pers_person_id` is the census LAchildID. Like real exports, the
//! tables differ in style, chosen from the seed: some use `dd/mm/yyyy` or SQL Server datetimes,
//! some start with a byte-order mark and use CRLF line ends, factor JSON comes in the array or
//! the object form, and a few referral comments carry an unescaped quote (SystemC's broken JSON).
//!
//! Clean data keeps clear of every defect kind with margins (as the shared SSD sample does):
//! every child has an informative `ext_household` row (never all blank, never all `U`); CIN plans
//! are reviewed at most 80 days apart and an open plan's last review is at most 77 days before R,
//! unheld reviews are only future ones, every held review has a document reference; plans are
//! visited every 14–42 days; CIN plans, CP plans and looked-after spells never share a day;
//! plans start on or after the referral and the birth date and last at most ~3 years.

use crate::child::{Child, CinPlan, Ctx};
use crate::dates::{is_date, push_date, push_date_uk, to_ymd, Day, NONE};
use crate::rng::Rng;
use crate::{check_options, ChildStream, GenerateOptions, InjectedDefect};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

// --- tables ----------------------------------------------------------------------------------

const PERSON: usize = 0;
const DISABILITY: usize = 1;
const EPISODES: usize = 2;
const ASSESSMENTS: usize = 3;
const FACTORS: usize = 4;
const PLANS: usize = 5;
const VISITS: usize = 6;
const S47: usize = 7;
const ICPC: usize = 8;
const CP_PLANS: usize = 9;
const CP_REVIEWS: usize = 10;
const CLA: usize = 11;
const LEGAL: usize = 12;
const ADDRESS: usize = 13;
const IMMIGRATION: usize = 14;
const MOTHER: usize = 15;
const FAMILY: usize = 16;
const INVOLVEMENTS: usize = 17;
const CIN_REVIEWS: usize = 18;
const HOUSEHOLD: usize = 19;
// Id sequences that are not a table's key.
const FAMILY_ID: usize = 20;
const MEETING: usize = 21;
const CARE_PERIOD: usize = 22;
const PLACEMENT: usize = 23;

/// (file stem, header) — headers exactly as the SSD DDL / the shared sample.
const TABLES: &[(&str, &str)] = &[
    ("ssd_person", "pers_person_id,pers_legacy_id,pers_upn,pers_forename,pers_surname,pers_sex,pers_gender,pers_ethnicity,pers_dob,pers_single_unique_id,pers_upn_unknown,pers_send_flag,pers_expected_dob,pers_death_date,pers_is_mother,pers_nationality"),
    ("ssd_disability", "disa_table_id,disa_person_id,disa_disability_code"),
    ("ssd_cin_episodes", "cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need_code,cine_referral_source_code,cine_referral_source_desc,cine_referral_outcome_json,cine_referral_nfa,cine_close_reason,cine_close_date,cine_referral_team,cine_referral_worker_id"),
    ("ssd_cin_assessments", "cina_assessment_id,cina_person_id,cina_referral_id,cina_assessment_start_date,cina_assessment_child_seen,cina_assessment_auth_date,cina_assessment_outcome_json,cina_assessment_outcome_nfa,cina_assessment_team,cina_assessment_worker_id"),
    ("ssd_assessment_factors", "cinf_table_id,cinf_assessment_id,cinf_assessment_factors_json"),
    ("ssd_cin_plans", "cinp_cin_plan_id,cinp_referral_id,cinp_person_id,cinp_cin_plan_start_date,cinp_cin_plan_end_date,cinp_cin_plan_team,cinp_cin_plan_worker_id"),
    ("ssd_cin_visits", "cinv_cin_visit_id,cinv_person_id,cinv_cin_visit_date,cinv_cin_visit_seen,cinv_cin_visit_seen_alone,cinv_cin_visit_bedroom"),
    ("ssd_s47_enquiry", "s47e_s47_enquiry_id,s47e_referral_id,s47e_person_id,s47e_s47_start_date,s47e_s47_end_date,s47e_s47_nfa,s47e_s47_outcome_json,s47e_s47_completed_by_team,s47e_s47_completed_by_worker_id"),
    ("ssd_initial_cp_conference", "icpc_icpc_id,icpc_icpc_meeting_id,icpc_s47_enquiry_id,icpc_person_id,icpc_cp_plan_id,icpc_referral_id,icpc_icpc_transfer_in,icpc_icpc_target_date,icpc_icpc_date,icpc_icpc_outcome_cp_flag,icpc_icpc_outcome_json,icpc_icpc_team,icpc_icpc_worker_id"),
    ("ssd_cp_plans", "cppl_cp_plan_id,cppl_referral_id,cppl_icpc_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date,cppl_cp_plan_ola,cppl_cp_plan_initial_category,cppl_cp_plan_latest_category"),
    ("ssd_cp_reviews", "cppr_cp_review_id,cppr_person_id,cppr_cp_plan_id,cppr_cp_review_due,cppr_cp_review_date,cppr_cp_review_meeting_id,cppr_cp_review_outcome_continue_cp,cppr_cp_review_quorate,cppr_cp_review_participation"),
    ("ssd_cla_episodes", "clae_cla_episode_id,clae_person_id,clae_cla_placement_id,clae_cla_episode_start_date,clae_cla_episode_start_reason,clae_cla_primary_need_code,clae_cla_episode_ceased_date,clae_cla_episode_ceased_reason,clae_cla_id,clae_referral_id,clae_cla_last_iro_contact_date,clae_entered_care_date"),
    ("ssd_legal_status", "lega_legal_status_id,lega_person_id,lega_legal_status,lega_legal_status_start_date,lega_legal_status_end_date"),
    ("ssd_address", "addr_table_id,addr_person_id,addr_address_type,addr_address_start_date,addr_address_end_date,addr_address_postcode,addr_address_json"),
    ("ssd_immigration_status", "immi_immigration_status_id,immi_person_id,immi_immigration_status_start_date,immi_immigration_status_end_date,immi_immigration_status"),
    ("ssd_mother", "moth_table_id,moth_person_id,moth_childs_person_id,moth_childs_dob"),
    ("ssd_family", "fami_table_id,fami_family_id,fami_person_id"),
    ("ssd_involvements", "invo_involvements_id,invo_professional_id,invo_professional_role_id,invo_professional_team,invo_person_id,invo_involvement_start_date,invo_involvement_end_date,invo_worker_change_reason,invo_referral_id"),
    ("ext_cin_reviews", "cinr_cin_review_id,cinr_person_id,cinr_cin_plan_id,cinr_review_due_date,cinr_review_date,cinr_review_document_ref,cinr_review_outcome"),
    ("ext_household", "hous_person_id,hous_recorded_date,hous_benefits,hous_financial_hardship,hous_housing_tenure,hous_parent_employment,hous_fsm_eligible,hous_nrpf,hous_parent_care_experienced"),
];

/// The table (file stem) names, in writing order.
#[cfg(test)]
pub(crate) fn table_names() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|(name, _)| *name)
}

/// Id prefixes per table (like the sample: persons 10…, referrals 20…, plans 40…).
const ID_PREFIX: &[&str] = &[
    "10", "11", "20", "30", "31", "40", "41", "50", "51", "53", "54", "60", "63", "70", "71", "72",
    "73", "75", "42", "-", "74", "52", "61", "62",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum DateStyle {
    Iso,
    Uk,
    SqlServer,
}

struct Table {
    out: BufWriter<File>,
    line: Vec<u8>,
    fields: usize,
    style: DateStyle,
    crlf: bool,
}

impl Table {
    fn sep(&mut self) {
        if self.fields > 0 {
            self.line.push(b',');
        }
        self.fields += 1;
    }

    fn s(&mut self, v: &str) -> &mut Self {
        self.sep();
        if v.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            self.line.push(b'"');
            for b in v.bytes() {
                if b == b'"' {
                    self.line.push(b'"');
                }
                self.line.push(b);
            }
            self.line.push(b'"');
        } else {
            self.line.extend_from_slice(v.as_bytes());
        }
        self
    }

    fn opt(&mut self, v: Option<&str>) -> &mut Self {
        self.s(v.unwrap_or(""))
    }

    fn d(&mut self, d: Day) -> &mut Self {
        self.sep();
        if is_date(d) {
            match self.style {
                DateStyle::Iso => push_date(&mut self.line, d),
                DateStyle::Uk => push_date_uk(&mut self.line, d),
                DateStyle::SqlServer => {
                    push_date(&mut self.line, d);
                    self.line.extend_from_slice(b" 00:00:00.000");
                }
            }
        }
        self
    }

    fn end(&mut self) -> io::Result<()> {
        if self.crlf {
            self.line.extend_from_slice(b"\r\n");
        } else {
            self.line.push(b'\n');
        }
        self.out.write_all(&self.line)?;
        self.line.clear();
        self.fields = 0;
        Ok(())
    }
}

struct Ids {
    next: [u64; 24],
    width: usize,
}

impl Ids {
    fn take(&mut self, table: usize) -> String {
        self.next[table] += 1;
        format!(
            "{}{:0w$}",
            ID_PREFIX[table],
            self.next[table],
            w = self.width
        )
    }
}

// --- the export's extra (non-census) records for one child ---------------------------------------

#[derive(Clone, Debug)]
struct CinReview {
    due: Day,
    held: Day,
    paperwork: bool,
    outcome: &'static str,
}

#[derive(Clone, Debug)]
struct Household {
    recorded: Day,
    values: [&'static str; 7],
}

/// Reviews and visits per CIN plan (same shape as `Child::episodes[e].plans`), household rows.
struct Extras {
    reviews: Vec<Vec<Vec<CinReview>>>,
    visits: Vec<Vec<Vec<Day>>>,
    household: Vec<Household>,
}

fn plan_reviews(ctx: &Ctx, rng: &mut Rng, p: &CinPlan, escalated: bool) -> Vec<CinReview> {
    let mut out = Vec::new();
    if !is_date(p.start) {
        return out;
    }
    let last_day = if is_date(p.end) { p.end - 1 } else { ctx.r };
    let mut due = p.start + rng.range(42, 70);
    let mut previous = p.start;
    loop {
        if due > last_day {
            if !is_date(p.end) {
                // The next one, scheduled after R: not held yet.
                out.push(CinReview {
                    due,
                    held: NONE,
                    paperwork: false,
                    outcome: "",
                });
            }
            break;
        }
        let held = (due + rng.range(-5, 3)).max(previous + 1).min(last_day);
        out.push(CinReview {
            due,
            held,
            paperwork: true,
            outcome: "CONT",
        });
        previous = held;
        due = held + rng.range(42, 77);
    }
    if is_date(p.end) {
        if let Some(last) = out.last_mut() {
            last.outcome = if escalated {
                "ESC"
            } else if rng.chance(0.5) {
                "CLOSE"
            } else {
                "STEP"
            };
        }
    }
    out
}

fn plan_visits(ctx: &Ctx, rng: &mut Rng, p: &CinPlan) -> Vec<Day> {
    let mut out = Vec::new();
    if !is_date(p.start) {
        return out;
    }
    let last_day = if is_date(p.end) {
        p.end.min(ctx.r)
    } else {
        ctx.r
    };
    let mut d = p.start + rng.range(3, 14);
    while d <= last_day {
        out.push(d);
        d += rng.range(14, 42);
    }
    out
}

const YNU: &[(&str, u32)] = &[("Y", 40), ("N", 50), ("U", 10)];

fn household(ctx: &Ctx, rng: &mut Rng, child: &Child) -> Vec<Household> {
    let first = child.episodes.first().map(|e| e.referral).unwrap_or(ctx.s);
    let n = if rng.chance(0.3) { 2 } else { 1 };
    let mut rows = Vec::new();
    let lo = first.max(ctx.r - 400).min(ctx.r);
    let mut recorded = rng.range(lo, ctx.r);
    for _ in 0..n {
        let mut values = [
            rng.weighted(YNU),
            rng.weighted(YNU),
            rng.weighted(&[
                ("OWN", 15),
                ("SOC", 45),
                ("PRIV", 25),
                ("TEMP", 6),
                ("HOMELESS", 1),
                ("OTHER", 3),
                ("U", 5),
            ]),
            rng.weighted(&[
                ("EMP", 35),
                ("UNEMP", 25),
                ("INACTIVE", 25),
                ("MIXED", 10),
                ("U", 5),
            ]),
            rng.weighted(YNU),
            rng.weighted(&[("N", 92), ("Y", 3), ("U", 5)]),
            rng.weighted(&[("N", 70), ("Y", 15), ("U", 15)]),
        ];
        // Some fields left blank, but always at least two informative ones.
        for v in values.iter_mut() {
            if rng.chance(0.05) {
                *v = "";
            }
        }
        values[2] = if values[2].is_empty() || values[2] == "U" {
            "SOC"
        } else {
            values[2]
        };
        values[3] = if values[3].is_empty() || values[3] == "U" {
            "EMP"
        } else {
            values[3]
        };
        rows.push(Household { recorded, values });
        recorded = (recorded + rng.range(30, 200)).min(ctx.r);
        if rows.len() == 2 && rows[0].recorded == rows[1].recorded {
            rows.pop();
        }
    }
    rows
}

fn build_extras(ctx: &Ctx, rng: &mut Rng, child: &Child) -> Extras {
    let mut reviews = Vec::new();
    let mut visits = Vec::new();
    for e in &child.episodes {
        let mut er = Vec::new();
        let mut ev = Vec::new();
        for p in &e.plans {
            let escalated = is_date(p.end) && e.cpps.iter().any(|c| c.start == p.end + 1);
            er.push(plan_reviews(ctx, rng, p, escalated));
            ev.push(plan_visits(ctx, rng, p));
        }
        reviews.push(er);
        visits.push(ev);
    }
    Extras {
        reviews,
        visits,
        household: household(ctx, rng, child),
    }
}

// --- defects ---------------------------------------------------------------------------------

/// `(kind, rule)`: cinlint's own check families (SES, REV, PLN, DUR; codes within a family are
/// not fixed yet) and DfE rules that survive the SSD → census mapping.
pub(crate) const SSD_DEFECTS: &[(&str, &str)] = &[
    ("ses_missing", "SES"),
    ("ses_unknown", "SES"),
    ("review_absent", "REV"),
    ("review_no_paperwork", "REV"),
    ("review_overdue", "REV"),
    ("visit_gap", "REV"),
    ("cin_cp_overlap", "PLN"),
    ("cin_cla_overlap", "PLN"),
    ("plan_on_nfa_referral", "PLN"),
    ("duration_negative", "DUR"),
    ("duration_extreme", "DUR"),
    ("duration_exceeds_age", "DUR"),
    ("ethnicity_invalid", "4220"),
    ("upn_check_letter", "1510"),
    ("upn_duplicate", "1520"),
    ("referral_source_invalid", "8866"),
    ("primary_need_invalid", "8650"),
    ("closure_without_reason", "8805"),
    ("cpp_end_before_start", "8925"),
    ("assessment_auth_before_start", "8608"),
    ("disability_none_with_other", "8790"),
];

/// (episode, plan) of CIN plans open at R.
fn open_plans(c: &Child, min_age: i32, r: Day) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for (ei, e) in c.episodes.iter().enumerate() {
        for (pi, p) in e.plans.iter().enumerate() {
            if p.end == NONE && is_date(p.start) && p.start <= r - min_age {
                v.push((ei, pi));
            }
        }
    }
    v
}

fn pick<T: Copy>(rng: &mut Rng, v: &[T]) -> Option<T> {
    if v.is_empty() {
        None
    } else {
        Some(v[rng.below(v.len() as u64) as usize])
    }
}

fn refresh_plan(ctx: &Ctx, rng: &mut Rng, c: &Child, x: &mut Extras, ei: usize, pi: usize) {
    let p = &c.episodes[ei].plans[pi];
    x.reviews[ei][pi] = plan_reviews(ctx, rng, p, false);
    x.visits[ei][pi] = plan_visits(ctx, rng, p);
}

/// All dated spells of the child (CIN plans, CP plans, care) except plan `skip`, for overlap checks.
fn busy(c: &Child, skip: Option<(usize, usize)>, r: Day) -> Vec<(Day, Day)> {
    let mut v = Vec::new();
    for (ei, e) in c.episodes.iter().enumerate() {
        for (pi, p) in e.plans.iter().enumerate() {
            if Some((ei, pi)) != skip && is_date(p.start) {
                v.push((p.start, if is_date(p.end) { p.end } else { r }));
            }
        }
        for cp in &e.cpps {
            v.push((cp.start, if is_date(cp.end) { cp.end } else { r }));
        }
        for &(a, b) in &e.care {
            v.push((a, if is_date(b) { b } else { r }));
        }
    }
    v
}

fn free(spells: &[(Day, Day)], a: Day, b: Day) -> bool {
    spells.iter().all(|&(s, e)| b < s - 1 || a > e + 1)
}

fn apply_ssd(
    ctx: &Ctx,
    rng: &mut Rng,
    c: &mut Child,
    x: &mut Extras,
    previous_upn: Option<&str>,
    kind: &str,
) -> bool {
    let (s, r) = (ctx.s, ctx.r);
    match kind {
        "ses_missing" => {
            if open_plans(c, 0, r).is_empty() {
                return false;
            }
            if rng.chance(0.5) {
                x.household.clear();
            } else {
                x.household.truncate(1);
                x.household[0].values = [""; 7];
            }
            true
        }
        "ses_unknown" => {
            x.household.truncate(1);
            x.household[0].values = ["U"; 7];
            true
        }
        "review_absent" => {
            let Some((ei, pi)) = pick(rng, &open_plans(c, 130, r)) else {
                return false;
            };
            x.reviews[ei][pi]
                .retain(|v| is_date(v.held) && v.held < r - 126 || !is_date(v.held) && v.due > r);
            true
        }
        "review_no_paperwork" => {
            let mut v = Vec::new();
            for (ei, e) in x.reviews.iter().enumerate() {
                for (pi, p) in e.iter().enumerate() {
                    for (ri, rv) in p.iter().enumerate() {
                        if is_date(rv.held) {
                            v.push((ei, pi, ri));
                        }
                    }
                }
            }
            let Some((ei, pi, ri)) = pick(rng, &v) else {
                return false;
            };
            x.reviews[ei][pi][ri].paperwork = false;
            true
        }
        "review_overdue" => {
            let cands: Vec<(usize, usize)> = open_plans(c, 0, r)
                .into_iter()
                .filter(|&(ei, pi)| {
                    let rv = &x.reviews[ei][pi];
                    let last_held = rv
                        .iter()
                        .filter(|v| is_date(v.held))
                        .map(|v| v.held)
                        .max()
                        .unwrap_or(c.episodes[ei].plans[pi].start);
                    last_held <= r - 29 && rv.last().is_some_and(|v| !is_date(v.held))
                })
                .collect();
            let Some((ei, pi)) = pick(rng, &cands) else {
                return false;
            };
            let rv = &mut x.reviews[ei][pi];
            let last_held = rv
                .iter()
                .filter(|v| is_date(v.held))
                .map(|v| v.held)
                .max()
                .unwrap_or(c.episodes[ei].plans[pi].start);
            let lo = (last_held + 14).max(r - 40);
            rv.last_mut().expect("unheld review").due = rng.range(lo, r - 15);
            true
        }
        "visit_gap" => {
            let Some((ei, pi)) = pick(rng, &open_plans(c, 160, r)) else {
                return false;
            };
            let cut = r - rng.range(100, 150);
            x.visits[ei][pi].retain(|&d| d < cut);
            true
        }
        "cin_cp_overlap" => {
            // A CIN plan beside a protection plan: the escalated plan runs on 14-90 days.
            let mut cands = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                for (pi, p) in e.plans.iter().enumerate() {
                    if let Some(cp) = e
                        .cpps
                        .iter()
                        .find(|cp| is_date(p.end) && cp.start == p.end + 1)
                    {
                        let room = if is_date(cp.end) { cp.end - 1 } else { r };
                        if cp.start + 14 <= room {
                            cands.push((ei, pi, cp.start, room));
                        }
                    }
                }
            }
            let Some((ei, pi, cp_start, room)) = pick(rng, &cands) else {
                return false;
            };
            c.episodes[ei].plans[pi].end = (cp_start + rng.range(14, 90)).min(room);
            refresh_plan(ctx, rng, c, x, ei, pi);
            true
        }
        "cin_cla_overlap" => {
            let mut cands = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                for &(a, b) in &e.care {
                    let room = if is_date(b) { b } else { r };
                    if a + 16 <= room {
                        cands.push((ei, a, room));
                    }
                }
            }
            let Some((ei, a, room)) = pick(rng, &cands) else {
                return false;
            };
            let start = a + 1;
            let end = (start + rng.range(14, 90)).min(room);
            c.episodes[ei].plans.push(CinPlan {
                start,
                end,
                in_census: true,
            });
            let p = c.episodes[ei].plans.last().unwrap().clone();
            x.reviews[ei].push(plan_reviews(ctx, rng, &p, false));
            x.visits[ei].push(plan_visits(ctx, rng, &p));
            true
        }
        "plan_on_nfa_referral" => {
            let spells = busy(c, None, r);
            let mut cands = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                if !e.nfa {
                    continue;
                }
                let next = c.episodes.get(ei + 1).map(|n| n.referral - 2).unwrap_or(r);
                let end = (e.referral + rng.range(30, 120)).min(next).min(r);
                if end >= e.referral + 14
                    && free(&spells, e.referral, end)
                    && (!is_date(c.birth) || e.referral >= c.birth)
                {
                    cands.push((ei, end));
                }
            }
            let Some((ei, end)) = pick(rng, &cands) else {
                return false;
            };
            let start = c.episodes[ei].referral;
            c.episodes[ei].plans.push(CinPlan {
                start,
                end,
                in_census: true,
            });
            let p = c.episodes[ei].plans.last().unwrap().clone();
            x.reviews[ei].push(plan_reviews(ctx, rng, &p, false));
            x.visits[ei].push(plan_visits(ctx, rng, &p));
            true
        }
        "duration_negative" => {
            let mut v = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                for (pi, p) in e.plans.iter().enumerate() {
                    if is_date(p.end) && is_date(p.start) {
                        v.push((ei, pi));
                    }
                }
            }
            let Some((ei, pi)) = pick(rng, &v) else {
                return false;
            };
            let p = &mut c.episodes[ei].plans[pi];
            p.end = p.start - rng.range(7, 180);
            true
        }
        "duration_extreme" => {
            let Some((ei, pi)) = pick(rng, &open_plans(c, 0, r)) else {
                return false;
            };
            let start = r - rng.range(2010, 2400);
            if is_date(c.birth) && start < c.birth {
                return false;
            }
            c.episodes[ei].plans[pi].start = start;
            true
        }
        "duration_exceeds_age" => {
            if !is_date(c.birth) {
                return false;
            }
            let mut v = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                for (pi, p) in e.plans.iter().enumerate() {
                    if is_date(p.start) {
                        v.push((ei, pi));
                    }
                }
            }
            let Some((ei, pi)) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].plans[pi].start = c.birth - rng.range(30, 400);
            true
        }
        "ethnicity_invalid" => {
            c.ethnicity = Some(rng.pick(&["WBR", "ZZZZ", "White British"]));
            true
        }
        "upn_check_letter" => {
            let Some(upn) = c.upn.as_mut() else {
                return false;
            };
            let letters = cinlint_model::code_lists::UPN_CHECK_LETTERS;
            let pos = letters
                .iter()
                .position(|&b| b == upn.as_bytes()[0])
                .unwrap_or(0);
            let wrong = letters[(pos + 1 + rng.below(21) as usize) % 23] as char;
            upn.replace_range(0..1, wrong.encode_utf8(&mut [0u8; 4]));
            true
        }
        "upn_duplicate" => {
            let Some(prev) = previous_upn else {
                return false;
            };
            if c.unborn {
                return false;
            }
            c.upn = Some(prev.to_string());
            c.upn_unknown = None;
            true
        }
        "referral_source_invalid" | "primary_need_invalid" | "closure_without_reason" => {
            let v: Vec<usize> = (0..c.episodes.len())
                .filter(|&i| {
                    let e = &c.episodes[i];
                    e.in_census && (kind != "closure_without_reason" || is_date(e.closure))
                })
                .collect();
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            match kind {
                "referral_source_invalid" => e.source = Some(rng.pick(&["11", "2C", "Police"])),
                "primary_need_invalid" => e.need = Some(rng.pick(&["N10", "NX"])),
                _ => e.reason = None,
            }
            true
        }
        "cpp_end_before_start" => {
            let mut v = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                for (ci, cp) in e.cpps.iter().enumerate() {
                    if cp.in_census && is_date(cp.end) && cp.start >= s + 2 {
                        v.push((ei, ci));
                    }
                }
            }
            let Some((ei, ci)) = pick(rng, &v) else {
                return false;
            };
            let cp = &mut c.episodes[ei].cpps[ci];
            cp.end = cp.start - rng.range(1, (cp.start - s).min(10));
            true
        }
        "assessment_auth_before_start" => {
            let mut v = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                for (ai, a) in e.assessments.iter().enumerate() {
                    if a.in_census && is_date(a.auth) && a.start >= s + 15 {
                        v.push((ei, ai));
                    }
                }
            }
            let Some((ei, ai)) = pick(rng, &v) else {
                return false;
            };
            let a = &mut c.episodes[ei].assessments[ai];
            a.auth = a.start - rng.range(1, 10);
            true
        }
        "disability_none_with_other" => {
            if c.unborn {
                return false;
            }
            c.disabilities = Some(vec!["NONE", rng.pick(&["BEH", "LD", "AUT"])]);
            true
        }
        _ => unreachable!("unknown SSD defect kind {kind}"),
    }
}

// --- code descriptions -------------------------------------------------------------------------

fn source_description(code: &str) -> &'static str {
    match code {
        "1A" => "Individual - family member, relative or carer",
        "1B" => "Individual - acquaintance",
        "1C" => "Individual - self",
        "1D" => "Individual - other",
        "2A" => "Schools",
        "2B" => "Education services",
        "3A" => "Health services - GP",
        "3B" => "Health services - health visitor",
        "3C" => "Health services - school nurse",
        "3D" => "Health services - other primary health services",
        "3E" => "Health services - A&E",
        "3F" => "Health services - other",
        "4" => "Housing",
        "5A" => "LA services - social care",
        "5B" => "LA services - other internal",
        "5C" => "LA services - external",
        "5D" => "LA services - early help",
        "6" => "Police",
        "7" => "Other legal agency",
        "8" => "Other",
        "9" => "Anonymous",
        "10" => "Unknown",
        _ => "",
    }
}

fn category_description(code: &str) -> &'static str {
    match code {
        "NEG" => "Neglect",
        "EMO" => "Emotional Abuse",
        "PHY" => "Physical Abuse",
        "SAB" => "Sexual Abuse",
        "MUL" => "Multiple: Neglect / Emotional Abuse",
        _ => "",
    }
}

const COMMENTS: &[&str] = &[
    "",
    "",
    "",
    "Multi-agency meeting booked, school and health invited",
    "Parent consented to assessment",
    "Advice given, case to early help",
    "Discussed at triage, see case notes",
    "Follow up visit within 10 working days",
    "Agreed with family",
    "Threshold met, allocate to locality team",
    "Strategy meeting held, police present",
];

const GIRLS: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Emily", "Sophia", "Grace",
    "Ella", "Poppy", "Evie", "Zara", "Ruby", "Aisha", "Maryam", "Chloe", "Jessica",
];
const BOYS: &[&str] = &[
    "Oliver", "George", "Noah", "Arthur", "Leo", "Muhammad", "Harry", "Oscar", "Jack", "Henry",
    "Charlie", "Theo", "Jacob", "Mason", "Alfie", "Freddie", "Dylan", "Tyler", "Kai", "Reuben",
];
const SURNAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Powell", "Hughes", "Edwards", "Ali", "Clarke", "Begum", "Lewis", "Wood", "Harris",
    "Martin", "Jackson",
];
const STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Lane",
    "Victoria Road",
    "Park Avenue",
    "The Crescent",
    "Queens Road",
    "Manor Way",
    "School Lane",
    "Green Lane",
    "Kings Road",
];

fn flag(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// A 10-digit NHS-style number with a valid modulus-11 check digit.
fn nhs_number(rng: &mut Rng) -> String {
    loop {
        let digits: Vec<u32> = (0..9)
            .map(|i| {
                if i == 0 {
                    rng.range(4, 9) as u32
                } else {
                    rng.below(10) as u32
                }
            })
            .collect();
        let sum: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, d)| d * (10 - i as u32))
            .sum();
        let check = 11 - sum % 11;
        let check = if check == 11 { 0 } else { check };
        if check == 10 {
            continue;
        }
        return digits
            .iter()
            .chain(std::iter::once(&check))
            .map(|d| char::from(b'0' + *d as u8))
            .collect();
    }
}

struct Family {
    id: String,
    surname: &'static str,
    postcode: String,
    house: u32,
    street: &'static str,
    /// UPRN, easting and northing of the family home.
    home: (String, String, String),
    /// A girl of 15 or more in the family (a possible mother of a later baby).
    teen_girl: Option<String>,
}

/// Writes a Standard Safeguarding Dataset CSV folder for the same children as
/// [`write_census_xml`](crate::write_census_xml), returning the defects injected (SSD kinds:
/// cinlint's own check families `SES`, `REV`, `PLN`, `DUR` and DfE rules that survive mapping).
pub fn write_ssd_export(opts: &GenerateOptions, dir: &Path) -> io::Result<Vec<InjectedDefect>> {
    check_options(opts)?;
    fs::create_dir_all(dir)?;
    let ctx = Ctx::new(opts.children, opts.seed, &opts.la, opts.year);
    let mut style_rng = Rng::for_item(opts.seed, u64::MAX, 9);
    // Export style: a few tables in dd/mm/yyyy, one in SQL Server datetimes, two with a BOM and CRLF.
    let dated: &[usize] = &[
        EPISODES,
        ASSESSMENTS,
        PLANS,
        VISITS,
        S47,
        ICPC,
        CP_PLANS,
        CP_REVIEWS,
        CLA,
        LEGAL,
        INVOLVEMENTS,
    ];
    let mut styles = [DateStyle::Iso; 20];
    for _ in 0..3 {
        styles[style_rng.pick(dated)] = DateStyle::Uk;
    }
    styles[style_rng.pick(&[S47, CP_REVIEWS, LEGAL])] = DateStyle::SqlServer;
    let mut bom = [false; 20];
    for _ in 0..2 {
        bom[style_rng.pick(&[ADDRESS, DISABILITY, FAMILY, INVOLVEMENTS, HOUSEHOLD])] = true;
    }
    let factor_objects = style_rng.chance(0.5);
    let category_codes = style_rng.chance(0.2);
    let systemc_json = style_rng.chance(0.7);

    let mut tables = Vec::with_capacity(TABLES.len());
    for (i, (stem, header)) in TABLES.iter().enumerate() {
        let mut out =
            BufWriter::with_capacity(1 << 16, File::create(dir.join(format!("{stem}.csv")))?);
        if bom[i] {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        out.write_all(header.as_bytes())?;
        out.write_all(if bom[i] { b"\r\n" } else { b"\n" })?;
        tables.push(Table {
            out,
            line: Vec::with_capacity(512),
            fields: 0,
            style: styles[i],
            crlf: bom[i],
        });
    }
    let mut width = 6;
    while (opts.children as u64).saturating_mul(60) >= 10u64.pow(width as u32) {
        width += 1;
    }
    let mut ids = Ids {
        next: [0; 24],
        width,
    };
    let mut injected = Vec::new();
    let mut previous_upn: Option<String> = None;
    let mut family: Option<Family> = None;

    for mut child in ChildStream::new(&ctx) {
        let mut rng = Rng::for_item(opts.seed, child.idx as u64, 2);
        let mut extras = build_extras(&ctx, &mut rng, &child);
        if opts.defect_rate > 0.0 {
            let mut drng = Rng::for_item(opts.seed, child.idx as u64, 3);
            if drng.chance(opts.defect_rate) {
                let mut order: Vec<usize> = (0..SSD_DEFECTS.len()).collect();
                for i in (1..order.len()).rev() {
                    let j = drng.below(i as u64 + 1) as usize;
                    order.swap(i, j);
                }
                let hit = order.into_iter().find(|&k| {
                    apply_ssd(
                        &ctx,
                        &mut drng,
                        &mut child,
                        &mut extras,
                        previous_upn.as_deref(),
                        SSD_DEFECTS[k].0,
                    )
                });
                if let Some(k) = hit {
                    let (kind, rule) = SSD_DEFECTS[k];
                    injected.push(InjectedDefect {
                        rule: rule.to_string(),
                        child: Some(child.id.clone()),
                        kind: kind.to_string(),
                    });
                }
            }
        }
        if child.upn.is_some() && child.upn == child.clean_upn {
            previous_upn = child.upn.clone();
        }
        write_child(
            &ctx,
            &mut rng,
            &mut tables,
            &mut ids,
            &child,
            &extras,
            &mut family,
            factor_objects,
            category_codes,
            systemc_json,
        )?;
    }
    for t in &mut tables {
        t.out.flush()?;
    }
    Ok(injected)
}

#[allow(clippy::too_many_arguments)]
fn write_child(
    ctx: &Ctx,
    rng: &mut Rng,
    t: &mut [Table],
    ids: &mut Ids,
    c: &Child,
    x: &Extras,
    family: &mut Option<Family>,
    factor_objects: bool,
    category_codes: bool,
    systemc_json: bool,
) -> io::Result<()> {
    let pid = c.id.as_str();
    let r = ctx.r;
    let sex = match c.sex {
        Some("M") | Some("1") => "M",
        Some("F") | Some("2") => "F",
        _ => "U",
    };
    // Family: a new one, or a sibling of the previous child.
    if family.is_none() || rng.chance(0.7) {
        *family = Some(Family {
            id: ids.take(FAMILY_ID),
            surname: rng.pick(SURNAMES),
            postcode: format!(
                "ZZ{}{}{}",
                rng.range(1, 99),
                rng.range(1, 9),
                ["AB", "NB", "XF", "QD", "HT"][rng.below(5) as usize]
            ),
            house: rng.range(1, 200) as u32,
            street: rng.pick(STREETS),
            home: (
                format!("{}", 10_000_000_000u64 + rng.below(89_999_999_999)),
                format!("{}", rng.range(400_000, 560_000)),
                format!("{}", rng.range(150_000, 400_000)),
            ),
            teen_girl: None,
        });
    }
    let fam = family.as_mut().expect("family");
    let age = if is_date(c.birth) {
        (r - c.birth) / 365
    } else {
        -1
    };

    // ssd_person
    let forename = match sex {
        "M" => rng.pick(BOYS),
        "F" => rng.pick(GIRLS),
        _ => "",
    };
    let legacy = format!("LC{:0w$}", c.idx + 1, w = ids.width + 2);
    let nhs = if rng.chance(0.7) && !c.unborn {
        Some(nhs_number(rng))
    } else {
        None
    };
    let tb = &mut t[PERSON];
    tb.s(pid)
        .s(&legacy)
        .opt(c.upn.as_deref())
        .s(forename)
        .s(if c.unborn { "" } else { fam.surname })
        .s(sex)
        .s(sex);
    tb.opt(c.ethnicity)
        .d(c.birth)
        .opt(nhs.as_deref())
        .opt(if c.upn.is_none() { c.upn_unknown } else { None });
    tb.s(if c.unborn { "" } else { flag(rng.chance(0.08)) })
        .d(c.expected_birth)
        .d(c.death)
        .s("")
        .s("");
    tb.end()?;

    // ssd_family, ssd_mother
    let row = ids.take(FAMILY);
    t[FAMILY].s(&row).s(&fam.id).s(pid).end()?;
    if age == 0 {
        if let Some(mother) = fam.teen_girl.clone() {
            let row = ids.take(MOTHER);
            t[MOTHER].s(&row).s(&mother).s(pid).d(c.birth).end()?;
        }
    }
    if sex == "F" && age >= 15 {
        fam.teen_girl = Some(pid.to_string());
    }

    // ssd_disability
    if let Some(list) = &c.disabilities {
        for d in list {
            let row = ids.take(DISABILITY);
            t[DISABILITY].s(&row).s(pid).s(d).end()?;
        }
    }

    // ssd_address
    let first_referral = c.episodes.first().map(|e| e.referral).unwrap_or(r);
    if rng.chance(0.25) {
        let moved = rng.range(first_referral.min(r - 30), r);
        let row = ids.take(ADDRESS);
        let json = address_json(rng.range(1, 200) as u32, rng.pick(STREETS), None);
        t[ADDRESS]
            .s(&row)
            .s(pid)
            .s("Previous")
            .d(moved - rng.range(200, 1500))
            .d(moved - 1)
            .s(&format!("ZZ{}{}NB", rng.range(1, 99), rng.range(1, 9)))
            .s(&json)
            .end()?;
        let row = ids.take(ADDRESS);
        let json = address_json(fam.house, fam.street, Some(&fam.home));
        t[ADDRESS]
            .s(&row)
            .s(pid)
            .s("Home")
            .d(moved)
            .d(NONE)
            .s(&fam.postcode)
            .s(&json)
            .end()?;
    } else {
        let row = ids.take(ADDRESS);
        let json = address_json(fam.house, fam.street, Some(&fam.home));
        let since = if is_date(c.birth) {
            c.birth.max(first_referral - 2000)
        } else {
            first_referral - 400
        };
        t[ADDRESS]
            .s(&row)
            .s(pid)
            .s("Home")
            .d(since)
            .d(NONE)
            .s(&fam.postcode)
            .s(&json)
            .end()?;
    }

    // ext_household
    for h in &x.household {
        let tb = &mut t[HOUSEHOLD];
        tb.s(pid).d(h.recorded);
        for v in h.values {
            tb.s(v);
        }
        tb.end()?;
    }

    let mut uasc = false;
    for (ei, e) in c.episodes.iter().enumerate() {
        let rid = ids.take(EPISODES);
        let team = format!("{}", 400 + rng.below(16));
        let worker = format!("{}", 70000 + rng.below(1000));
        // ssd_cin_episodes
        let conference = is_date(e.transfer_icpc) || e.s47s.iter().any(|s| is_date(s.icpc));
        let outcomes = [
            ("SINGLE_ASSESSMENT_FLAG", !e.assessments.is_empty()),
            ("STRATEGY_DISCUSSION_FLAG", !e.s47s.is_empty()),
            ("CLA_REQUEST_FLAG", !e.care.is_empty()),
            ("NON_AGENCY_ADOPTION_FLAG", false),
            ("PRIVATE_FOSTERING_FLAG", false),
            ("CP_TRANSFER_IN_FLAG", is_date(e.transfer_icpc)),
            ("CP_CONFERENCE_FLAG", conference),
            ("CARE_LEAVER_FLAG", false),
            ("OTHER_OUTCOMES_EXIST_FLAG", false),
        ];
        let mut json = String::from("{");
        if !systemc_json {
            json.push_str(&format!("\"NFA_FLAG\": \"{}\", ", flag(e.nfa)));
        }
        let mut n = 0;
        for (k, v) in outcomes {
            json.push_str(&format!("\"{k}\": \"{}\", ", flag(v)));
            n += usize::from(v);
        }
        let comment = if systemc_json && rng.chance(0.005) {
            "Mum said \"not today\""
        } else {
            rng.pick(COMMENTS)
        };
        if systemc_json {
            json.push_str(&format!(
                "\"NUMBER_OF_OUTCOMES\": {}, \"COMMENTS\": \"{comment}\"}}",
                n.max(1)
            ));
        } else {
            json.push_str(&format!("\"COMMENTS\": \"{comment}\"}}"));
        }
        let tb = &mut t[EPISODES];
        tb.s(&rid)
            .s(pid)
            .d(e.referral)
            .opt(e.need)
            .opt(e.source)
            .s(e.source.map(source_description).unwrap_or(""));
        tb.s(&json)
            .s(flag(e.nfa))
            .opt(if is_date(e.closure) { e.reason } else { None })
            .d(e.closure)
            .s(&team)
            .s(&worker);
        tb.end()?;

        // ssd_involvements: the allocated worker, sometimes changed part-way.
        let end = e.closure;
        let change = if rng.chance(0.3) {
            let last = if is_date(end) { end } else { r };
            if last - e.referral > 60 {
                Some(rng.range(e.referral + 30, last - 1))
            } else {
                None
            }
        } else {
            None
        };
        let row = ids.take(INVOLVEMENTS);
        let first_end = change.unwrap_or(end);
        t[INVOLVEMENTS]
            .s(&row)
            .s(&worker)
            .s("Allocated Social Worker")
            .s(&team)
            .s(pid)
            .d(e.referral)
            .d(first_end)
            .s(if change.is_some() {
                ""
            } else if is_date(end) {
                "FCONTA"
            } else {
                ""
            })
            .s(&rid)
            .end()?;
        if let Some(day) = change {
            let row = ids.take(INVOLVEMENTS);
            let w2 = format!("{}", 70000 + rng.below(1000));
            t[INVOLVEMENTS]
                .s(&row)
                .s(&w2)
                .s("Allocated Social Worker")
                .s(&team)
                .s(pid)
                .d(day)
                .d(end)
                .s(rng.pick(&["LEFTRL", "ORGRST", "MANAGE", "ABSENC"]))
                .s(&rid)
                .end()?;
        }

        // ssd_cin_assessments, ssd_assessment_factors
        for a in &e.assessments {
            let aid = ids.take(ASSESSMENTS);
            let nfa = matches!(e.reason, Some("RC8") | Some("RC9")) && is_date(a.auth);
            let followed_by_s47 = e.s47s.iter().any(|s| s.start >= a.start);
            let services = !e.plans.is_empty();
            let flags = [
                ("NFA_FLAG", nfa),
                ("NFA_S47_END_FLAG", false),
                ("STRATEGY_DISCUSSION_FLAG", followed_by_s47),
                ("CLA_REQUEST_FLAG", !e.care.is_empty()),
                (
                    "PRIVATE_FOSTERING_FLAG",
                    a.factors.iter().any(|f| f.starts_with('8')),
                ),
                ("LEGAL_ACTION_FLAG", false),
                ("PROV_OF_SERVICES_FLAG", services),
                ("PROV_OF_SB_CARE_FLAG", false),
                ("SPECIALIST_ASSESSMENT_FLAG", false),
                ("REFERRAL_TO_OTHER_AGENCY_FLAG", e.reason == Some("RC9")),
                ("OTHER_ACTIONS_FLAG", false),
                ("OTHER_OUTCOMES_EXIST_FLAG", false),
            ];
            let mut json = String::from("{");
            let mut n = 0;
            for (k, v) in flags {
                json.push_str(&format!("\"{k}\": \"{}\", ", flag(v)));
                n += usize::from(v);
            }
            if is_date(a.auth) {
                json.push_str(&format!(
                    "\"TOTAL_NO_OF_OUTCOMES\": {}, \"COMMENTS\": \"{}\"}}",
                    n.max(1),
                    rng.pick(COMMENTS)
                ));
            } else {
                json.push_str("\"TOTAL_NO_OF_OUTCOMES\": null, \"COMMENTS\": \"\"}");
            }
            let tb = &mut t[ASSESSMENTS];
            tb.s(&aid)
                .s(pid)
                .s(&rid)
                .d(a.start)
                .s(flag(rng.chance(0.95)))
                .d(a.auth)
                .s(&json);
            tb.s(if is_date(a.auth) { flag(nfa) } else { "" })
                .s(&team)
                .s(&worker)
                .end()?;
            if is_date(a.auth) && !a.factors.is_empty() {
                uasc |= a.factors.contains(&"9A");
                let fid = ids.take(FACTORS);
                let mut sorted = a.factors.clone();
                sorted.sort_by_key(|f| factor_key(f));
                let json = if factor_objects {
                    let mut j = String::from("{");
                    for (i, f) in sorted.iter().enumerate() {
                        if i > 0 {
                            j.push_str(", ");
                        }
                        j.push_str(&format!("\"{f}\": \"Yes\""));
                        if i == 0 && rng.chance(0.3) && *f != "21" && !sorted.contains(&"20") {
                            j.push_str(", \"20\": \"No\"");
                        }
                    }
                    j.push('}');
                    j
                } else {
                    let quoted: Vec<String> = sorted.iter().map(|f| format!("\"{f}\"")).collect();
                    format!("[{}]", quoted.join(", "))
                };
                t[FACTORS].s(&fid).s(&aid).s(&json).end()?;
            }
        }

        // ssd_cin_plans, ssd_cin_visits, ext_cin_reviews
        for (pi, p) in e.plans.iter().enumerate() {
            let plan_id = ids.take(PLANS);
            let tb = &mut t[PLANS];
            tb.s(&plan_id)
                .s(&rid)
                .s(pid)
                .d(p.start)
                .d(p.end)
                .s(&team)
                .s(&worker)
                .end()?;
            for &v in &x.visits[ei][pi] {
                let vid = ids.take(VISITS);
                let seen = rng.chance(0.95);
                t[VISITS]
                    .s(&vid)
                    .s(pid)
                    .d(v)
                    .s(flag(seen))
                    .s(flag(seen && rng.chance(0.5)))
                    .s(flag(seen && rng.chance(0.6)))
                    .end()?;
            }
            for rv in &x.reviews[ei][pi] {
                let review_id = ids.take(CIN_REVIEWS);
                let doc = if is_date(rv.held) && rv.paperwork {
                    format!("CINR/{}/{}", to_ymd(rv.held).0, review_id)
                } else {
                    String::new()
                };
                t[CIN_REVIEWS]
                    .s(&review_id)
                    .s(pid)
                    .s(&plan_id)
                    .d(rv.due)
                    .d(rv.held)
                    .s(&doc)
                    .s(rv.outcome)
                    .end()?;
            }
        }

        // ssd_s47_enquiry, ssd_initial_cp_conference, ssd_cp_plans, ssd_cp_reviews
        let cpp_ids: Vec<String> = e.cpps.iter().map(|_| ids.take(CP_PLANS)).collect();
        let mut conference_of_cpp: Vec<Option<String>> = vec![None; e.cpps.len()];
        if is_date(e.transfer_icpc) {
            let icpc_id = ids.take(ICPC);
            let meeting = ids.take(MEETING);
            let plan = e.cpps.iter().position(|cp| cp.start == e.transfer_icpc);
            if let Some(k) = plan {
                conference_of_cpp[k] = Some(icpc_id.clone());
            }
            let tb = &mut t[ICPC];
            tb.s(&icpc_id)
                .s(&meeting)
                .s("")
                .s(pid)
                .opt(plan.map(|k| cpp_ids[k].as_str()))
                .s(&rid)
                .s("Y")
                .d(NONE)
                .d(e.transfer_icpc);
            tb.s(flag(plan.is_some()))
                .s(&icpc_json(plan.is_some()))
                .s(&team)
                .s(&worker)
                .end()?;
        }
        for s47 in &e.s47s {
            let sid = ids.take(S47);
            let conference = is_date(s47.icpc) || !is_date(s47.end);
            let json = format!(
                "{{\"NFA_FLAG\": \"{}\", \"LEGAL_ACTION_FLAG\": \"N\", \"PROV_OF_SERVICES_FLAG\": \"{}\", \"PROV_OF_SB_CARE_FLAG\": \"N\", \"CP_CONFERENCE_FLAG\": \"{}\", \"NFA_CONTINUE_SINGLE_FLAG\": \"N\", \"MONITOR_FLAG\": \"N\", \"OTHER_OUTCOMES_EXIST_FLAG\": \"N\", \"TOTAL_NO_OF_OUTCOMES\": 1, \"OUTCOME_COMMENTS\": \"\"}}",
                flag(s47.not_required),
                flag(!s47.not_required && !conference),
                flag(conference)
            );
            let tb = &mut t[S47];
            tb.s(&sid)
                .s(&rid)
                .s(pid)
                .d(s47.start)
                .d(s47.end)
                .s(if is_date(s47.end) {
                    flag(s47.not_required)
                } else {
                    ""
                })
                .s(&json)
                .s(&team)
                .s(&worker)
                .end()?;
            if is_date(s47.icpc) {
                let icpc_id = ids.take(ICPC);
                let meeting = ids.take(MEETING);
                let plan = e.cpps.iter().position(|cp| cp.start == s47.icpc);
                if let Some(k) = plan {
                    conference_of_cpp[k] = Some(icpc_id.clone());
                }
                let tb = &mut t[ICPC];
                tb.s(&icpc_id)
                    .s(&meeting)
                    .s(&sid)
                    .s(pid)
                    .opt(plan.map(|k| cpp_ids[k].as_str()))
                    .s(&rid)
                    .s("N")
                    .d(s47.target)
                    .d(s47.icpc);
                tb.s(flag(plan.is_some()))
                    .s(&icpc_json(plan.is_some()))
                    .s(&team)
                    .s(&worker)
                    .end()?;
            }
        }
        for (k, cp) in e.cpps.iter().enumerate() {
            let cat = |code: Option<&'static str>| -> String {
                match code {
                    Some(c) if !category_codes => category_description(c).to_string(),
                    Some(c) => c.to_string(),
                    None => String::new(),
                }
            };
            let tb = &mut t[CP_PLANS];
            tb.s(&cpp_ids[k])
                .s(&rid)
                .opt(conference_of_cpp[k].as_deref())
                .s(pid)
                .d(cp.start)
                .d(cp.end)
                .s("N");
            tb.s(&cat(cp.initial_category))
                .s(&cat(cp.latest_category))
                .end()?;
            for (i, &rd) in cp.reviews.iter().enumerate() {
                let review_id = ids.take(CP_REVIEWS);
                let meeting = ids.take(MEETING);
                let due = rd + rng.range(0, 9);
                let last = i + 1 == cp.reviews.len() && is_date(cp.end);
                let tb = &mut t[CP_REVIEWS];
                tb.s(&review_id)
                    .s(pid)
                    .s(&cpp_ids[k])
                    .d(due)
                    .d(rd)
                    .s(&meeting)
                    .s(flag(!last))
                    .s("Y")
                    .s(&format!("PN{}", rng.below(8)))
                    .end()?;
            }
            if !is_date(cp.end) {
                let last = cp.reviews.last().copied().unwrap_or(cp.start);
                let due = last + 182;
                if due > r {
                    let review_id = ids.take(CP_REVIEWS);
                    t[CP_REVIEWS]
                        .s(&review_id)
                        .s(pid)
                        .s(&cpp_ids[k])
                        .d(due)
                        .d(NONE)
                        .s("")
                        .s("")
                        .s("")
                        .s("")
                        .end()?;
                }
            }
        }

        // ssd_cla_episodes, ssd_legal_status
        for &(start, end) in &e.care {
            let period = ids.take(CARE_PERIOD);
            let mut cuts = vec![start];
            let last = if is_date(end) { end } else { r };
            let mut d = start + rng.range(40, 300);
            while d < last - 10 && cuts.len() < 3 {
                cuts.push(d);
                d += rng.range(40, 300);
            }
            let need = rng.weighted(&[("N1", 60), ("N2", 5), ("N4", 10), ("N5", 15), ("N8", 10)]);
            for (i, &from) in cuts.iter().enumerate() {
                let cla_id = ids.take(CLA);
                let placement = ids.take(PLACEMENT);
                let to = cuts.get(i + 1).copied().unwrap_or(end);
                let reason = if i == 0 {
                    "S"
                } else {
                    rng.pick(&["P", "T", "L"])
                };
                let ceased = if cuts.get(i + 1).is_some() {
                    "X1"
                } else if is_date(end) {
                    rng.pick(&["E4A", "E11", "E41", "E13"])
                } else {
                    ""
                };
                let iro = if to == NONE || to - from > 40 {
                    rng.range(from + 10, if is_date(to) { to - 1 } else { r })
                } else {
                    NONE
                };
                let tb = &mut t[CLA];
                tb.s(&cla_id)
                    .s(pid)
                    .s(&placement)
                    .d(from)
                    .s(reason)
                    .s(need)
                    .d(to)
                    .s(ceased)
                    .s(&period)
                    .s(&rid)
                    .d(iro)
                    .d(start)
                    .end()?;
            }
            let status = rng.weighted(&[("C2", 40), ("V2", 40), ("C1", 20)]);
            let row = ids.take(LEGAL);
            if status == "C1" && last - start > 60 {
                let change = start + rng.range(28, 56);
                t[LEGAL].s(&row).s(pid).s("C1").d(start).d(change).end()?;
                let row = ids.take(LEGAL);
                t[LEGAL].s(&row).s(pid).s("C2").d(change).d(end).end()?;
            } else {
                t[LEGAL]
                    .s(&row)
                    .s(pid)
                    .s(if status == "C1" { "C2" } else { status })
                    .d(start)
                    .d(end)
                    .end()?;
            }
        }
    }
    if uasc {
        let row = ids.take(IMMIGRATION);
        let start = c.episodes.first().map(|e| e.referral).unwrap_or(r);
        t[IMMIGRATION]
            .s(&row)
            .s(pid)
            .d(start)
            .d(NONE)
            .s("Unaccompanied Asylum Seeking Child")
            .end()?;
    }
    Ok(())
}

fn icpc_json(plan: bool) -> String {
    format!(
        "{{\"NFA_FLAG\": \"{}\", \"REFERRAL_TO_OTHER_AGENCY_FLAG\": \"N\", \"SINGLE_ASSESSMENT_FLAG\": \"N\", \"PROV_OF_SERVICES_FLAG\": \"{}\", \"CP_FLAG\": \"{}\", \"OTHER_OUTCOMES_EXIST_FLAG\": \"N\", \"TOTAL_NO_OF_OUTCOMES\": 1, \"COMMENTS\": \"\"}}",
        flag(!plan),
        flag(!plan),
        flag(plan)
    )
}

fn address_json(house: u32, street: &str, home: Option<&(String, String, String)>) -> String {
    let (uprn, easting, northing) = match home {
        Some((u, e, n)) => (u.as_str(), e.as_str(), n.as_str()),
        None => ("", "", ""),
    };
    format!(
        "{{\"ROOM\": \"\", \"FLOOR\": \"\", \"FLAT\": \"\", \"BUILDING\": \"\", \"HOUSE\": \"{house}\", \"STREET\": \"{street}\", \"TOWN\": \"Anytown\", \"UPRN\": \"{uprn}\", \"EASTING\": \"{easting}\", \"NORTHING\": \"{northing}\"}}"
    )
}

/// Factor codes sort by number then letter (`2B` < `10A` < `21`).
fn factor_key(code: &str) -> (u32, String) {
    let digits: String = code.chars().take_while(|c| c.is_ascii_digit()).collect();
    (
        digits.parse().unwrap_or(0),
        code[digits.len()..].to_string(),
    )
}
