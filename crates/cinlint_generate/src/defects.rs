//! The defect menu: each kind changes a clean child so that one DfE rule fires on it.
//!
//! A kind only applies when the child has what it needs (a child protection plan, a closed
//! episode, …); each is written so that, as far as possible, no other rule fires too (other
//! rules may, as they would on real data: the aimed rule is what is recorded).

use crate::child::{Assessment, Child, CinPlan, Cpp, Ctx, Episode, Section47};
use crate::dates::{is_date, weekday, Day, BAD, EMPTY, NONE};
use crate::rng::Rng;

/// `(kind, rule aimed at)`; the order is part of the output's determinism.
pub(crate) const DEFECTS: &[(&str, &str)] = &[
    ("upn_check_letter", "1510"),
    ("upn_duplicate", "1520"),
    ("upn_bad_la", "1530"),
    ("upn_non_numeric", "1540"),
    ("upn_bad_last_char", "1550"),
    ("former_upn_bad", "1560Q"),
    ("lachildid_too_long", "1570"),
    ("lachildid_non_alnum", "1580"),
    ("sex_invalid", "4180"),
    ("unborn_sex_not_u", "8750"),
    ("ethnicity_invalid", "4220"),
    ("ethnicity_missing", "4220"),
    ("disability_none_with_other", "8790"),
    ("disability_duplicate", "8794"),
    ("disability_invalid", "8540"),
    ("disability_missing", "8540"),
    ("dob_after_reference", "8520"),
    ("dob_missing", "8525Q"),
    ("dob_and_edd", "8525Q"),
    ("edd_out_of_range", "8530Q"),
    ("death_unborn", "8535Q"),
    ("death_outside_period", "8545Q"),
    ("referral_after_death", "8555Q"),
    ("rc2_without_death", "8585Q"),
    ("no_episodes", "8590"),
    ("referral_date_invalid", "8600"),
    ("referral_before_birth", "8606"),
    ("referral_source_invalid", "8866"),
    ("referral_source_missing", "8866"),
    ("primary_need_missing", "8610"),
    ("primary_need_invalid", "8650"),
    ("closure_without_reason", "8805"),
    ("reason_without_closure", "8810"),
    ("reason_invalid", "8640"),
    ("closure_before_referral", "8630"),
    ("closure_after_reference", "8620"),
    ("activity_after_closure", "8565"),
    ("nfa_invalid", "8568"),
    ("nfa_referral_before_period", "8569Q"),
    ("nfa_with_cin_plan", "4000"),
    ("nfa_with_assessment", "8831"),
    ("rc8_with_activity", "2990"),
    ("rc8_without_assessment", "8825Q"),
    ("episodes_overlap", "8820"),
    ("two_open_episodes", "8815"),
    ("open_episode_not_latest", "8816"),
    ("upn_missing_school_age", "8770Q"),
    ("un7_with_action", "8772"),
    ("assessment_before_referral", "1103"),
    ("assessment_auth_before_start", "8608"),
    ("assessment_auth_after_reference", "8696"),
    ("assessment_open_too_long", "8670Q"),
    ("assessment_start_invalid_date", "8736"),
    ("two_open_assessments", "8896"),
    ("assessment_no_factors", "8897Q"),
    ("factor_invalid_code", "8897Q"),
    ("factor_21_with_others", "8869"),
    ("factor_duplicate", "8898"),
    ("factor_18a", "8945Q"),
    ("factor_19a", "8950Q"),
    ("factors_on_open_assessment", "8614"),
    ("open_assessment_closed_episode", "8867"),
    ("cin_plan_start_missing", "4010"),
    ("cin_plan_end_before_start", "4011"),
    ("cin_plan_same_day", "4012Q"),
    ("cin_plan_end_after_reference", "4013"),
    ("cin_plan_before_referral", "4015"),
    ("two_open_cin_plans", "4004"),
    ("cin_plans_overlap", "4014"),
    ("cin_plan_during_cpp", "4016"),
    ("cpp_during_cin_plan", "4017"),
    ("cpp_and_cin_plan_open", "4001"),
    ("s47_before_referral", "2889"),
    ("icpc_before_s47", "8615"),
    ("icpc_weekend", "8875"),
    ("icpc_target_weekend", "8870Q"),
    ("two_open_s47", "8839"),
    ("s47_open_closed_episode", "8868"),
    ("s47_without_assessment", "2991Q"),
    ("icpc_both_levels", "2884"),
    ("cpp_same_day", "8840"),
    ("cpp_end_before_start", "8925"),
    ("cpp_end_after_reference", "8930"),
    ("cpp_start_missing", "8720"),
    ("cpp_start_not_icpc", "2885"),
    ("cpp_before_referral", "1105"),
    ("cpp_initial_category_invalid", "8905"),
    ("cpp_latest_category_invalid", "8910"),
    ("cpp_previous_missing", "8730"),
    ("review_on_cpp_start", "8841"),
    ("review_date_missing", "8842Q"),
    ("two_open_cpps", "8935"),
    ("cpps_overlap", "8940"),
];

/// Tries the kinds in a random order until one applies (so the kind is uniform among those
/// that fit the child); returns its index. A kind that does not apply leaves the child as it was.
pub(crate) fn inject(
    ctx: &Ctx,
    rng: &mut Rng,
    child: &mut Child,
    previous_upn: Option<&str>,
) -> Option<usize> {
    let mut order: Vec<usize> = (0..DEFECTS.len()).collect();
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    order
        .into_iter()
        .find(|&i| apply(ctx, rng, child, previous_upn, DEFECTS[i].0))
}

/// Whether the episode has a factor-21 assessment (its RC8/RC9 reason must stay, rule 8873Q).
fn has_factor_21(e: &Episode) -> bool {
    e.census_assessments().any(|a| a.factors.contains(&"21"))
}

/// Indices of the census episodes matching `pred`.
fn eps(child: &Child, pred: impl Fn(&Episode) -> bool) -> Vec<usize> {
    child
        .episodes
        .iter()
        .enumerate()
        .filter(|(_, e)| e.in_census && pred(e))
        .map(|(i, _)| i)
        .collect()
}

fn pick(rng: &mut Rng, v: &[usize]) -> Option<usize> {
    if v.is_empty() {
        None
    } else {
        Some(v[rng.below(v.len() as u64) as usize])
    }
}

/// (episode, item) pairs over census items of one kind.
fn items<T>(
    child: &Child,
    list: impl Fn(&Episode) -> &Vec<T>,
    pred: impl Fn(&Episode, &T) -> bool,
    census: impl Fn(&T) -> bool,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (ei, e) in child.episodes.iter().enumerate() {
        if !e.in_census {
            continue;
        }
        for (ii, it) in list(e).iter().enumerate() {
            if census(it) && pred(e, it) {
                out.push((ei, ii));
            }
        }
    }
    out
}

fn pick2(rng: &mut Rng, v: &[(usize, usize)]) -> Option<(usize, usize)> {
    if v.is_empty() {
        None
    } else {
        Some(v[rng.below(v.len() as u64) as usize])
    }
}

fn assessments(child: &Child, pred: impl Fn(&Episode, &Assessment) -> bool) -> Vec<(usize, usize)> {
    items(child, |e| &e.assessments, pred, |a| a.in_census)
}
fn plans(child: &Child, pred: impl Fn(&Episode, &CinPlan) -> bool) -> Vec<(usize, usize)> {
    items(child, |e| &e.plans, pred, |a| a.in_census)
}
fn s47s(child: &Child, pred: impl Fn(&Episode, &Section47) -> bool) -> Vec<(usize, usize)> {
    items(child, |e| &e.s47s, pred, |a| a.in_census)
}
fn cpps(child: &Child, pred: impl Fn(&Episode, &Cpp) -> bool) -> Vec<(usize, usize)> {
    items(child, |e| &e.cpps, pred, |a| a.in_census)
}

fn has_nfa_false(child: &Child) -> bool {
    child.census_episodes().any(|e| !e.nfa)
}

/// The latest census date on any record of the child.
fn last_activity(child: &Child) -> Day {
    child
        .census_episodes()
        .map(|e| {
            e.last_activity
                .max(if is_date(e.closure) { e.closure } else { NONE })
        })
        .max()
        .unwrap_or(NONE)
}

/// Last census episode index.
fn last_census(child: &Child) -> Option<usize> {
    child.episodes.iter().rposition(|e| e.in_census)
}

fn first_census(child: &Child) -> Option<usize> {
    child.episodes.iter().position(|e| e.in_census)
}

/// Closure of the census episode before `ei` (NONE if `ei` is the first).
fn previous_closure(child: &Child, ei: usize) -> Day {
    child.episodes[..ei]
        .iter()
        .rev()
        .find(|e| e.in_census)
        .map(|e| e.closure)
        .unwrap_or(NONE)
}

fn apply(ctx: &Ctx, rng: &mut Rng, c: &mut Child, previous_upn: Option<&str>, kind: &str) -> bool {
    let s = ctx.s;
    let r = ctx.r;
    match kind {
        // --- identifiers ---
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
        "upn_bad_la" => {
            if c.upn.is_none() {
                return false;
            }
            let la3 = rng.pick(&["999", "000", "600", "123", "950"]);
            *c.upn.as_mut().unwrap() = ctx.upn(la3, c.idx as u64, 0);
            true
        }
        "upn_non_numeric" => {
            let Some(upn) = c.upn.as_mut() else {
                return false;
            };
            let at = rng.range(5, 10) as usize;
            upn.replace_range(at..at + 1, "X");
            true
        }
        "upn_bad_last_char" => {
            let Some(upn) = c.upn.as_mut() else {
                return false;
            };
            let ch = rng.pick(&["I", "O", "S", "a"]);
            upn.replace_range(12..13, ch);
            true
        }
        "former_upn_bad" => {
            if c.unborn {
                return false;
            }
            let base = ctx.upn(ctx.upn_las[0], c.idx as u64, 777);
            c.former_upn = Some(match rng.below(3) {
                0 => base[..10].to_string(),
                1 => format!("{}x{}", &base[..6], &base[7..]),
                _ => format!("1{}", &base[1..]),
            });
            true
        }
        "lachildid_too_long" => {
            c.id.push_str("0123456789");
            true
        }
        "lachildid_non_alnum" => {
            let sep = rng.pick(&["-", "/", " ", "_"]);
            c.id.insert_str(4, sep);
            true
        }
        "sex_invalid" => {
            if c.unborn {
                return false;
            }
            c.sex = Some(if ctx.uses_sex {
                rng.pick(&["X", "1", "Male", "m"])
            } else {
                rng.pick(&["3", "M", "5"])
            });
            true
        }
        "unborn_sex_not_u" => {
            if !c.unborn {
                return false;
            }
            c.sex = Some(if ctx.uses_sex {
                rng.pick(&["M", "F"])
            } else {
                rng.pick(&["1", "2"])
            });
            true
        }
        "ethnicity_invalid" => {
            c.ethnicity = Some(rng.pick(&["WBR", "ZZZZ", "wbri", "CNHE", "WHITE"]));
            true
        }
        "ethnicity_missing" => {
            c.ethnicity = None;
            true
        }
        "disability_none_with_other" => {
            if c.unborn {
                return false;
            }
            c.disabilities = Some(vec!["NONE", rng.pick(&["BEH", "LD", "AUT", "COMM"])]);
            true
        }
        "disability_duplicate" => {
            if c.unborn {
                return false;
            }
            let d = rng.pick(&["BEH", "LD", "AUT", "COMM"]);
            c.disabilities = Some(vec![d, d]);
            true
        }
        "disability_invalid" => {
            if !is_date(c.birth) || !has_nfa_false(c) {
                return false;
            }
            c.disabilities = Some(vec![rng.pick(&["XYZ", "DIS", "none1", "ADHD"])]);
            true
        }
        "disability_missing" => {
            if !is_date(c.birth) || !has_nfa_false(c) {
                return false;
            }
            c.disabilities = None;
            true
        }
        "dob_after_reference" => {
            if !is_date(c.birth) || is_date(c.death) {
                return false;
            }
            let earliest = c
                .census_episodes()
                .map(|e| e.referral)
                .min()
                .unwrap_or(NONE);
            if earliest < r - 200 {
                return false;
            }
            c.birth = r + rng.range(1, 60);
            true
        }
        "dob_missing" => {
            if !is_date(c.birth) || is_date(c.death) {
                return false;
            }
            c.birth = NONE;
            true
        }
        "dob_and_edd" => {
            if !c.unborn {
                return false;
            }
            c.birth = r - rng.range(0, 25);
            c.disabilities = Some(vec!["NONE"]);
            true
        }
        "edd_out_of_range" => {
            if !c.unborn {
                return false;
            }
            c.expected_birth = r - 30 - rng.range(0, 20);
            true
        }
        "death_unborn" => {
            if !c.unborn {
                return false;
            }
            let d = last_activity(c).max(s) + rng.range(0, 10);
            if d > r {
                return false;
            }
            c.death = d;
            true
        }
        "death_outside_period" => {
            if c.unborn || is_date(c.death) {
                return false;
            }
            c.death = r + rng.range(1, 90);
            true
        }
        "referral_after_death" => {
            if c.unborn || is_date(c.death) {
                return false;
            }
            let Some(li) = last_census(c) else {
                return false;
            };
            let d = c.episodes[li].referral - rng.range(1, 5);
            if d < s || d < c.birth {
                return false;
            }
            // Only referrals, assessments and enquiries may follow the death (no plan rules).
            let plans_ok = c.census_episodes().all(|e| {
                e.census_plans()
                    .all(|p| p.start <= d && (p.end == NONE || p.end <= d))
                    && e.census_cpps()
                        .all(|p| p.start <= d && (p.end == NONE || p.end <= d))
                    && e.reason != Some("RC2")
            });
            if !plans_ok {
                return false;
            }
            c.death = d;
            true
        }
        "rc2_without_death" => {
            if is_date(c.death) {
                return false;
            }
            let v = eps(c, |e| is_date(e.closure) && !has_factor_21(e));
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].reason = Some("RC2");
            true
        }
        "no_episodes" => {
            if c.upn_unknown == Some("UN7") {
                return false;
            }
            for e in &mut c.episodes {
                e.in_census = false;
            }
            true
        }
        // --- referrals and closure ---
        "referral_date_invalid" => {
            let v = eps(c, |_| true);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].referral = BAD;
            true
        }
        "referral_before_birth" => {
            if !is_date(c.birth) {
                return false;
            }
            let Some(ei) = first_census(c) else {
                return false;
            };
            if c.episodes[ei].nfa {
                return false;
            }
            c.episodes[ei].referral = c.birth - 281 - rng.range(0, 30);
            true
        }
        "referral_source_invalid" => {
            let v = eps(c, |_| true);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].source = Some(rng.pick(&["11", "0", "2C", "5E", "Police"]));
            true
        }
        "referral_source_missing" => {
            let v = eps(c, |_| true);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].source = None;
            true
        }
        "primary_need_missing" => {
            let v = eps(c, |e| !e.nfa);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].need = None;
            true
        }
        "primary_need_invalid" => {
            let v = eps(c, |_| true);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].need = Some(rng.pick(&["N10", "n1", "NX", "N"]));
            true
        }
        "closure_without_reason" => {
            let v = eps(c, |e| is_date(e.closure) && !has_factor_21(e));
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].reason = None;
            true
        }
        "reason_without_closure" => {
            let v = eps(c, |e| e.closure == NONE);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].reason = Some("RC7");
            true
        }
        "reason_invalid" => {
            let v = eps(c, |e| is_date(e.closure) && !has_factor_21(e));
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].reason = Some(rng.pick(&["RC10", "RC0", "rc7", "RC"]));
            true
        }
        "closure_before_referral" => {
            let v = eps(c, |e| e.nfa && is_date(e.closure) && e.referral >= s + 2);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            e.closure = e.referral - 1;
            true
        }
        "closure_after_reference" => {
            let Some(li) = last_census(c) else {
                return false;
            };
            if !is_date(c.episodes[li].closure) || is_date(c.death) {
                return false;
            }
            c.episodes[li].closure = r + rng.range(1, 30);
            true
        }
        "activity_after_closure" => {
            let v = assessments(c, |e, a| {
                is_date(e.closure)
                    && e.closure + 10 <= r
                    && is_date(a.auth)
                    && e.reason != Some("RC2")
            });
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            let closure = c.episodes[ei].closure;
            // The latest assessment of the episode, so no later one overlaps it.
            let last = c.episodes[ei]
                .assessments
                .iter()
                .rposition(|a| a.in_census)
                .unwrap_or(ai);
            c.episodes[ei].assessments[last].auth = closure + rng.range(1, 10);
            true
        }
        "nfa_invalid" => {
            if c.upn_unknown == Some("UN7") {
                return false;
            }
            let v = eps(c, |e| !e.nfa && e.referral >= ctx.t_nfa);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].nfa_text = rng.pick(&["Y", "yes", "2", "N"]);
            true
        }
        "nfa_referral_before_period" => {
            let Some(ei) = first_census(c) else {
                return false;
            };
            let e = &c.episodes[ei];
            if !e.nfa {
                return false;
            }
            let new_ref = ctx.t_nfa - rng.range(1, 20);
            let floor = if is_date(c.birth) {
                c.birth - 280
            } else {
                c.expected_birth - 280
            };
            if new_ref < floor {
                return false;
            }
            c.episodes[ei].referral = new_ref;
            true
        }
        "nfa_with_cin_plan" => {
            let v = eps(c, |e| {
                e.nfa && (e.closure == NONE || e.closure > e.referral)
            });
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            let end = e.closure;
            e.plans.push(CinPlan {
                start: e.referral,
                end,
                in_census: true,
            });
            true
        }
        "nfa_with_assessment" => {
            let v = eps(c, |e| e.nfa);
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            let auth = if is_date(e.closure) {
                e.closure
            } else {
                (e.referral + rng.range(0, 10)).min(r)
            };
            e.assessments.push(Assessment {
                start: e.referral,
                review: NONE,
                auth,
                factors: vec![rng.pick(&["3B", "4B", "1B"])],
                in_census: true,
            });
            true
        }
        "rc8_with_activity" => {
            let v = eps(c, |e| {
                is_date(e.closure)
                    && e.reason != Some("RC2")
                    && e.has_census_activity()
                    && e.census_assessments().next().is_some()
            });
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].reason = Some(rng.pick(&["RC8", "RC9"]));
            true
        }
        "rc8_without_assessment" => {
            let v = eps(c, |e| {
                is_date(e.closure)
                    && e.reason != Some("RC2")
                    && !e.has_census_activity()
                    && e.census_assessments().next().is_none()
            });
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].reason = Some(rng.pick(&["RC8", "RC9"]));
            true
        }
        "episodes_overlap" => {
            let census = eps(c, |_| true);
            let mut cands = Vec::new();
            for w in census.windows(2) {
                let (a, b) = (&c.episodes[w[0]], &c.episodes[w[1]]);
                if is_date(a.closure)
                    && a.closure - 2 > a.referral
                    && !(b.nfa && a.closure - 5 < ctx.t_nfa)
                {
                    cands.push((w[0], w[1]));
                }
            }
            let Some(&(a, b)) = cands.get(rng.below(cands.len().max(1) as u64) as usize) else {
                return false;
            };
            let new_ref = (c.episodes[a].closure - rng.range(1, 5)).max(c.episodes[a].referral + 1);
            c.episodes[b].referral = new_ref;
            true
        }
        "two_open_episodes" => {
            let Some(li) = last_census(c) else {
                return false;
            };
            let last = &c.episodes[li];
            if is_date(last.closure) || last.nfa {
                return false;
            }
            let v = eps(c, |e| {
                !e.nfa && is_date(e.closure) && e.reason != Some("RC2") && !has_factor_21(e)
            });
            let v: Vec<usize> = v.into_iter().filter(|&i| i != li).collect();
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].closure = NONE;
            c.episodes[ei].reason = None;
            true
        }
        "open_episode_not_latest" => {
            let Some(li) = last_census(c) else {
                return false;
            };
            let last = &c.episodes[li];
            if last.closure == NONE && !last.nfa {
                return false;
            }
            let v = eps(c, |e| {
                !e.nfa && is_date(e.closure) && e.reason != Some("RC2") && !has_factor_21(e)
            });
            let v: Vec<usize> = v.into_iter().filter(|&i| i != li).collect();
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            c.episodes[ei].closure = NONE;
            c.episodes[ei].reason = None;
            true
        }
        "upn_missing_school_age" => {
            if !is_date(c.birth) || c.birth > ctx.school_cutoff || !has_nfa_false(c) {
                return false;
            }
            c.upn = None;
            c.former_upn = None;
            c.upn_unknown = if rng.chance(0.5) { None } else { Some("UN1") };
            true
        }
        "un7_with_action" => {
            if c.unborn || !has_nfa_false(c) {
                return false;
            }
            c.upn = None;
            c.former_upn = None;
            c.upn_unknown = Some("UN7");
            true
        }
        // --- assessments ---
        "assessment_before_referral" => {
            let v = eps(c, |e| {
                e.census_assessments()
                    .next()
                    .is_some_and(|a| is_date(a.auth))
            });
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            let referral = e.referral;
            let a = e
                .assessments
                .iter_mut()
                .find(|a| a.in_census)
                .expect("assessment");
            a.start = referral - rng.range(1, 10);
            true
        }
        "assessment_auth_before_start" => {
            let v = assessments(c, |_, a| is_date(a.auth) && a.start >= s + 15);
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            let a = &mut c.episodes[ei].assessments[ai];
            a.auth = a.start - rng.range(1, 10);
            a.review = NONE;
            true
        }
        "assessment_auth_after_reference" => {
            let Some(li) = last_census(c) else {
                return false;
            };
            let e = &mut c.episodes[li];
            if is_date(e.closure) {
                return false;
            }
            let Some(a) = e.assessments.iter_mut().rev().find(|a| a.in_census) else {
                return false;
            };
            if !is_date(a.auth) {
                return false;
            }
            a.auth = r + rng.range(1, 30);
            true
        }
        "assessment_open_too_long" => {
            let Some(li) = last_census(c) else {
                return false;
            };
            let e = &mut c.episodes[li];
            if is_date(e.closure) {
                return false;
            }
            let Some(a) = e.assessments.iter_mut().rev().find(|a| a.in_census) else {
                return false;
            };
            if !is_date(a.auth) || a.start < s || a.start >= ctx.t45 {
                return false;
            }
            a.auth = NONE;
            a.review = NONE;
            a.factors.clear();
            true
        }
        "assessment_start_invalid_date" => {
            let v = assessments(c, |_, a| a.auth == NONE);
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].assessments[ai].start = BAD;
            true
        }
        "two_open_assessments" => {
            let v = assessments(c, |_, a| a.auth == NONE && a.start + 5 <= r);
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            let start = c.episodes[ei].assessments[ai].start + rng.range(1, 5);
            c.episodes[ei].assessments.push(Assessment {
                start,
                review: NONE,
                auth: NONE,
                factors: Vec::new(),
                in_census: true,
            });
            true
        }
        "assessment_no_factors" => {
            let v = assessments(c, |_, a| is_date(a.auth) && a.auth >= s);
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].assessments[ai].factors.clear();
            true
        }
        "factor_invalid_code" => {
            let v = assessments(c, |_, a| {
                is_date(a.auth) && a.auth >= s && !a.factors.contains(&"21")
            });
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].assessments[ai]
                .factors
                .push(rng.pick(&["8A", "25A", "3D", "99"]));
            true
        }
        "factor_21_with_others" => {
            let v = assessments(c, |e, a| {
                is_date(a.auth)
                    && !a.factors.contains(&"21")
                    && (e.census_assessments().count() >= 2
                        || matches!(e.reason, Some("RC8") | Some("RC9")))
            });
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].assessments[ai].factors.insert(0, "21");
            true
        }
        "factor_duplicate" => {
            let v = assessments(c, |_, a| {
                is_date(a.auth) && !a.factors.is_empty() && a.factors[0] != "21"
            });
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            let f = c.episodes[ei].assessments[ai].factors[0];
            c.episodes[ei].assessments[ai].factors.push(f);
            true
        }
        "factor_18a" | "factor_19a" => {
            let code = if kind == "factor_18a" { "18A" } else { "19A" };
            let v = assessments(c, |_, a| {
                is_date(a.auth) && !a.factors.is_empty() && a.factors[0] != "21"
            });
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            let f = &mut c.episodes[ei].assessments[ai].factors;
            f.retain(|x| *x != code);
            if f.is_empty() {
                f.push(code);
            } else {
                f[0] = code;
            }
            true
        }
        "factors_on_open_assessment" => {
            let v = assessments(c, |_, a| a.auth == NONE);
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].assessments[ai].factors = vec![rng.pick(&["3B", "4B", "16A"])];
            true
        }
        "open_assessment_closed_episode" => {
            // Preferably one started late enough not to be queried by 8670Q as well.
            let late = assessments(c, |e, a| {
                is_date(e.closure) && is_date(a.auth) && a.start >= ctx.t45
            });
            let v = if late.is_empty() {
                assessments(c, |e, a| {
                    is_date(e.closure) && is_date(a.auth) && a.start >= s
                })
            } else {
                late
            };
            let Some((ei, ai)) = pick2(rng, &v) else {
                return false;
            };
            let a = &mut c.episodes[ei].assessments[ai];
            a.auth = NONE;
            a.review = NONE;
            a.factors.clear();
            true
        }
        // --- CIN plans ---
        "cin_plan_start_missing" => {
            let v = plans(c, |_, _| true);
            let Some((ei, pi)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].plans[pi].start = EMPTY;
            true
        }
        "cin_plan_end_before_start" => {
            let v = plans(c, |_, p| is_date(p.end) && p.start >= s + 10);
            let Some((ei, pi)) = pick2(rng, &v) else {
                return false;
            };
            let p = &mut c.episodes[ei].plans[pi];
            p.end = p.start - rng.range(1, 10);
            true
        }
        "cin_plan_same_day" => {
            let v = plans(c, |_, p| is_date(p.end) && p.start >= s);
            let Some((ei, pi)) = pick2(rng, &v) else {
                return false;
            };
            let p = &mut c.episodes[ei].plans[pi];
            p.end = p.start;
            true
        }
        "cin_plan_end_after_reference" => {
            let v = plans(c, |e, p| p.end == NONE && e.closure == NONE);
            let Some((ei, pi)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].plans[pi].end = r + rng.range(1, 60);
            true
        }
        "cin_plan_before_referral" => {
            let v = plans(c, |e, p| {
                let first = e.census_plans().map(|q| q.start).min() == Some(p.start);
                // Nothing of the episode before the plan, so moving it earlier overlaps nothing.
                first
                    && e.census_cpps()
                        .all(|cp| is_date(p.end) && cp.start >= p.end)
            });
            let v: Vec<(usize, usize)> = v
                .into_iter()
                .filter(|&(ei, _)| {
                    let prev = previous_closure(c, ei);
                    prev == NONE || prev < c.episodes[ei].referral - 6
                })
                .collect();
            let Some((ei, pi)) = pick2(rng, &v) else {
                return false;
            };
            let referral = c.episodes[ei].referral;
            c.episodes[ei].plans[pi].start = referral - rng.range(1, 5);
            true
        }
        "two_open_cin_plans" => {
            let v = plans(c, |_, p| p.end == NONE && p.start + 10 <= r);
            let Some((ei, pi)) = pick2(rng, &v) else {
                return false;
            };
            let start = c.episodes[ei].plans[pi].start + rng.range(1, 10);
            c.episodes[ei].plans.push(CinPlan {
                start,
                end: NONE,
                in_census: true,
            });
            true
        }
        "cin_plans_overlap" => {
            let v = plans(c, |_, p| {
                is_date(p.end) && p.start >= s && p.end - p.start >= 3
            });
            let Some((ei, pi)) = pick2(rng, &v) else {
                return false;
            };
            let (start, end) = (c.episodes[ei].plans[pi].start, c.episodes[ei].plans[pi].end);
            c.episodes[ei].plans.insert(
                pi + 1,
                CinPlan {
                    start: start + 1,
                    end: end - 1,
                    in_census: true,
                },
            );
            true
        }
        "cin_plan_during_cpp" => {
            let v = cpps(c, |_, p| {
                p.start >= s && p.start + 3 <= r && (p.end == NONE || p.end - p.start >= 5)
            });
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let start = c.episodes[ei].cpps[ci].start;
            c.episodes[ei].plans.push(CinPlan {
                start: start + 1,
                end: start + 3,
                in_census: true,
            });
            true
        }
        "cpp_during_cin_plan" => {
            // The CIN plan that ended the day before the protection plan started now runs on.
            let mut cands = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                if !e.in_census {
                    continue;
                }
                for (pi, p) in e.plans.iter().enumerate() {
                    if !p.in_census || !is_date(p.end) {
                        continue;
                    }
                    if let Some(cp) = e.census_cpps().find(|cp| cp.start == p.end + 1) {
                        let room = if cp.end == NONE { r } else { cp.end - 1 }
                            .min(if e.closure == NONE { r } else { e.closure });
                        if p.end + 11 <= room {
                            cands.push((ei, pi));
                        }
                    }
                }
            }
            let Some((ei, pi)) = pick2(rng, &cands) else {
                return false;
            };
            c.episodes[ei].plans[pi].end += 1 + rng.range(2, 10);
            true
        }
        "cpp_and_cin_plan_open" => {
            let v = cpps(c, |_, p| p.end == NONE && p.start + 10 <= r);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let start = (c.episodes[ei].cpps[ci].start + rng.range(1, 10)).max(s);
            c.episodes[ei].plans.push(CinPlan {
                start,
                end: NONE,
                in_census: true,
            });
            true
        }
        // --- section 47 ---
        "s47_before_referral" => {
            let v = eps(c, |e| {
                e.census_s47s().next().is_some_and(|x| is_date(x.icpc))
            });
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            let referral = e.referral;
            let x = e.s47s.iter_mut().find(|x| x.in_census).expect("s47");
            x.start = referral - rng.range(1, 5);
            true
        }
        "icpc_before_s47" => {
            let v = s47s(c, |e, x| {
                if !is_date(x.icpc) {
                    return false;
                }
                let room = if e.closure == NONE { r } else { e.closure };
                x.icpc + 3 <= room
                    && e.census_s47s()
                        .all(|o| o.start <= x.start || o.start > x.icpc + 10)
            });
            let Some((ei, si)) = pick2(rng, &v) else {
                return false;
            };
            let x = &mut c.episodes[ei].s47s[si];
            x.start = x.icpc + rng.range(1, 3);
            true
        }
        "icpc_weekend" => {
            let mut cands = Vec::new();
            for (ei, e) in c.episodes.iter().enumerate() {
                if !e.in_census {
                    continue;
                }
                for (si, x) in e.s47s.iter().enumerate() {
                    if !x.in_census || !is_date(x.icpc) {
                        continue;
                    }
                    let wd = weekday(x.icpc);
                    let sat = x.icpc + (5 - wd as i32);
                    if wd >= 5 || sat > r || (is_date(e.closure) && sat > e.closure) {
                        continue;
                    }
                    let linked = e
                        .cpps
                        .iter()
                        .position(|cp| cp.in_census && cp.start == x.icpc);
                    if let Some(ci) = linked {
                        let cp = &e.cpps[ci];
                        if (is_date(cp.end) && cp.end <= sat + 1)
                            || cp.reviews.first().is_some_and(|&d| d <= sat + 1)
                        {
                            continue;
                        }
                    }
                    cands.push((ei, si, linked));
                }
            }
            if cands.is_empty() {
                return false;
            }
            let (ei, si, linked) = cands[rng.below(cands.len() as u64) as usize];
            let e = &mut c.episodes[ei];
            let wd = weekday(e.s47s[si].icpc);
            let day = e.s47s[si].icpc + (5 - wd as i32) + rng.range(0, 1);
            let day = if day > r { day - 1 } else { day };
            e.s47s[si].icpc = day;
            e.s47s[si].end = day;
            if let Some(ci) = linked {
                e.cpps[ci].start = day;
            }
            true
        }
        "icpc_target_weekend" => {
            let v = s47s(c, |_, x| is_date(x.target));
            let Some((ei, si)) = pick2(rng, &v) else {
                return false;
            };
            let x = &mut c.episodes[ei].s47s[si];
            let wd = weekday(x.target) as i32;
            x.target += 5 - wd + rng.range(0, 1);
            true
        }
        "two_open_s47" => {
            let v = s47s(c, |_, x| x.end == NONE && x.start + 3 <= r);
            let Some((ei, si)) = pick2(rng, &v) else {
                return false;
            };
            let start = c.episodes[ei].s47s[si].start + rng.range(1, 3);
            let target = ctx.add_working_days(start, 15);
            c.episodes[ei].s47s.push(Section47 {
                start,
                target,
                icpc: NONE,
                not_required: false,
                end: NONE,
                in_census: true,
            });
            true
        }
        "s47_open_closed_episode" => {
            let v = s47s(c, |e, x| {
                is_date(e.closure)
                    && x.not_required
                    && x.start >= s
                    && e.census_s47s().map(|o| o.start).max() == Some(x.start)
            });
            let Some((ei, si)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].s47s[si].not_required = false;
            true
        }
        "s47_without_assessment" => {
            let v = eps(c, |e| {
                e.census_s47s().next().is_some() && !matches!(e.reason, Some("RC8") | Some("RC9"))
            });
            let Some(ei) = pick(rng, &v) else {
                return false;
            };
            for a in &mut c.episodes[ei].assessments {
                a.in_census = false;
            }
            true
        }
        "icpc_both_levels" => {
            let v = s47s(c, |_, x| is_date(x.icpc));
            let Some((ei, si)) = pick2(rng, &v) else {
                return false;
            };
            let icpc = c.episodes[ei].s47s[si].icpc;
            c.episodes[ei].cin_icpc = icpc;
            true
        }
        // --- child protection plans ---
        "cpp_same_day" => {
            let v = cpps(c, |_, p| is_date(p.end) && p.start >= s);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let p = &mut c.episodes[ei].cpps[ci];
            p.end = p.start;
            true
        }
        "cpp_end_before_start" => {
            let v = cpps(c, |_, p| is_date(p.end) && p.start >= s + 10);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let p = &mut c.episodes[ei].cpps[ci];
            p.end = p.start - rng.range(1, 10);
            true
        }
        "cpp_end_after_reference" => {
            let v = cpps(c, |e, p| p.end == NONE && e.closure == NONE);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].cpps[ci].end = r + rng.range(1, 60);
            true
        }
        "cpp_start_missing" => {
            let v = cpps(c, |_, _| true);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].cpps[ci].start = EMPTY;
            true
        }
        "cpp_start_not_icpc" => {
            let v = cpps(c, |e, p| {
                p.start >= s
                    && p.start < r
                    && (p.end == NONE || p.end > p.start + 2)
                    && e.census_s47s().any(|x| x.icpc == p.start)
            });
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].cpps[ci].start += 1;
            true
        }
        "cpp_before_referral" => {
            let v = cpps(c, |_, p| p.start < s);
            let v: Vec<(usize, usize)> = v
                .into_iter()
                .filter(|&(ei, _)| {
                    let prev = previous_closure(c, ei);
                    prev == NONE || prev < c.episodes[ei].referral - 6
                })
                .collect();
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            let start = e.referral - rng.range(1, 5);
            if e.cin_icpc == e.cpps[ci].start {
                e.cin_icpc = start;
            }
            e.cpps[ci].start = start;
            true
        }
        "cpp_initial_category_invalid" => {
            let v = cpps(c, |_, _| true);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].cpps[ci].initial_category =
                Some(rng.pick(&["NEGL", "Neglect", "neg", "XXX"]));
            true
        }
        "cpp_latest_category_invalid" => {
            let v = cpps(c, |_, _| true);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].cpps[ci].latest_category = if rng.chance(0.5) {
                None
            } else {
                Some("Emotional")
            };
            true
        }
        "cpp_previous_missing" => {
            let v = cpps(c, |_, _| true);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].cpps[ci].previous = match rng.below(3) {
                0 => None,
                1 => Some(i64::MIN),
                _ => Some(-1),
            };
            true
        }
        "review_on_cpp_start" => {
            let v = cpps(c, |_, p| is_date(p.start));
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let p = &mut c.episodes[ei].cpps[ci];
            let day = p.start - rng.range(0, 3);
            p.reviews.insert(0, day);
            true
        }
        "review_date_missing" => {
            let v = cpps(c, |_, _| true);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            c.episodes[ei].cpps[ci].reviews.insert(0, EMPTY);
            true
        }
        "two_open_cpps" => {
            let v = cpps(c, |_, p| p.end == NONE && p.start < s);
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let mut copy = c.episodes[ei].cpps[ci].clone();
            copy.start += rng.range(1, 5).min(s - 1 - copy.start).max(0);
            copy.reviews.retain(|&d| d > copy.start);
            c.episodes[ei].cpps.insert(ci + 1, copy);
            true
        }
        "cpps_overlap" => {
            let v = cpps(c, |e, p| {
                p.start < s - 15
                    && (p.end == NONE || p.end >= s + 2)
                    && (e.closure == NONE || e.closure >= s + 2)
            });
            let Some((ei, ci)) = pick2(rng, &v) else {
                return false;
            };
            let e = &mut c.episodes[ei];
            let base = e.cpps[ci].clone();
            let start = base.start + rng.range(3, 10);
            let end = if base.end == NONE {
                (s + rng.range(0, 30)).min(r)
            } else {
                base.end
            };
            let end = if is_date(e.closure) {
                end.min(e.closure)
            } else {
                end
            };
            let reviews = base
                .reviews
                .iter()
                .copied()
                .filter(|&d| d > start && d < end)
                .collect();
            e.cpps.insert(
                ci + 1,
                Cpp {
                    start,
                    end,
                    reviews,
                    previous: base.previous.map(|n| n + 1),
                    ..base
                },
            );
            true
        }
        _ => unreachable!("unknown defect kind {kind}"),
    }
}
