//! The synthetic child: an in-memory case history built along realistic case paths, then
//! marked with what belongs in the census return of the chosen year.
//!
//! The simulation walks forward in time from a first referral: assessment, then (by path) a
//! CIN plan, a section 47 enquiry with its initial conference, a child protection plan with
//! reviews, a step-down CIN plan, closure; then a gap and possibly a new referral. Whatever
//! would still be running at the reference date R is left open, and records that ended before
//! the census period S..R stay in the history (the SSD export shows them) but are not part of
//! the census return, exactly as a case-management system's census extract would filter them.

use crate::dates::{add_years, from_naive, from_ymd, is_date, is_weekend, Day, NONE};
use crate::rng::Rng;
use chrono::{Days, Months};
use cinlint_model::calendar::BANK_HOLIDAYS;
use cinlint_model::code_lists::{code_list, upn_check_letter};
use cinlint_model::{CollectionYear, WorkingCalendar};

/// Everything derived once from the options.
pub(crate) struct Ctx {
    pub end_year: i32,
    /// Census period start S (1 April of the previous year).
    pub s: Day,
    /// Reference date R (31 March of the end year).
    pub r: Day,
    /// 8670Q: an assessment still open at R must start on or after this day.
    pub t45: Day,
    /// 8675Q: a section 47 enquiry still waiting for its conference at R must start on or after this day.
    pub t15: Day,
    /// 8569Q (reference reading, the stricter one): a referral with no further action must be on or after this day.
    pub t_nfa: Day,
    /// 8770Q: children born on or before this day are of school age.
    pub school_cutoff: Day,
    /// 8530Q: valid expected birth dates, inclusive.
    pub edd_lo: Day,
    pub edd_hi: Day,
    holidays: Vec<Day>,
    pub la: String,
    /// LA codes used in UPN characters 2-4 (all in the DfE list, rule 1530).
    pub upn_las: Vec<&'static str>,
    /// Whether the submitting LA's own code is a valid UPN LA code.
    pub own_la_valid: bool,
    /// `Sex` (M/F/U) from 2024-25, `GenderCurrent` (1/2/0) before.
    pub uses_sex: bool,
    /// `PreProceedingsandFGDM` blocks from 2025-26 files on.
    pub has_pre_proceedings: bool,
    pub children: usize,
    pub seed: u64,
    pub id_modulus: u64,
    pub id_digits: usize,
    pub id_offset: u64,
    pub upn_offset: u64,
}

impl Ctx {
    pub fn new(children: usize, seed: u64, la: &str, year: CollectionYear) -> Self {
        let cal = WorkingCalendar::england();
        let r_naive = year.reference_date();
        let s_naive = year.period_start();
        let r = from_naive(r_naive);
        let s = from_naive(s_naive);
        let t45 = from_naive(cal.working_days_before(r_naive, 45));
        let t15 = from_naive(cal.working_days_before(r_naive, 15));
        let t_nfa = from_naive(cal.working_days_before(s_naive, 1)).max(s);
        let cutoff = r_naive
            .checked_add_months(Months::new(4))
            .and_then(|d| d.checked_add_days(Days::new(31)))
            .and_then(|d| d.checked_sub_months(Months::new(72)))
            .expect("date arithmetic in range");
        let edd_hi = r_naive
            .checked_add_months(Months::new(9))
            .expect("date in range");
        let holidays = BANK_HOLIDAYS
            .iter()
            .map(|t| {
                let y: i32 = t[0..4].parse().expect("holiday year");
                let m: u32 = t[5..7].parse().expect("holiday month");
                let d: u32 = t[8..10].parse().expect("holiday day");
                from_ymd(y, m, d)
            })
            .collect();
        let la_list = code_list("la_code").expect("la_code list");
        let own_la_valid = la.len() == 3 && la_list.contains(la);
        let mut upn_las: Vec<&'static str> = Vec::new();
        if own_la_valid {
            upn_las.push(
                la_list
                    .codes
                    .iter()
                    .find(|c| **c == la)
                    .copied()
                    .expect("own LA in list"),
            );
        }
        // A handful of neighbouring-looking LAs for children who moved in.
        let mut sm = seed ^ 0xA11A;
        for _ in 0..6 {
            let i = (crate::rng::splitmix64(&mut sm) % la_list.codes.len() as u64) as usize;
            let code = la_list.codes[i];
            if !upn_las.contains(&code) {
                upn_las.push(code);
            }
        }
        let mut id_digits = 7;
        let mut id_modulus: u64 = 10_000_000;
        while (children as u64) > id_modulus {
            id_digits += 1;
            id_modulus *= 10;
        }
        let mut sm = seed ^ 0x1D5;
        let id_offset = crate::rng::splitmix64(&mut sm) % id_modulus;
        let upn_offset = crate::rng::splitmix64(&mut sm) % 1_000_000_000;
        Ctx {
            end_year: year.end_year,
            s,
            r,
            t45,
            t15,
            t_nfa,
            school_cutoff: from_naive(cutoff),
            edd_lo: r - 29,
            edd_hi: from_naive(edd_hi) - 1,
            holidays,
            la: la.to_string(),
            upn_las,
            own_la_valid,
            uses_sex: year.end_year >= 2025,
            has_pre_proceedings: year.end_year >= 2026,
            children,
            seed,
            id_modulus,
            id_digits,
            id_offset,
            upn_offset,
        }
    }

    pub fn is_working(&self, d: Day) -> bool {
        !is_weekend(d) && self.holidays.binary_search(&d).is_err()
    }

    /// The `n`th working day after `d`.
    pub fn add_working_days(&self, mut d: Day, n: i32) -> Day {
        let mut left = n;
        while left > 0 {
            d += 1;
            if self.is_working(d) {
                left -= 1;
            }
        }
        d
    }

    pub fn working_on_or_before(&self, mut d: Day) -> Day {
        while !self.is_working(d) {
            d -= 1;
        }
        d
    }

    pub fn working_on_or_after(&self, mut d: Day) -> Day {
        while !self.is_working(d) {
            d += 1;
        }
        d
    }

    /// The LAchildID of child `idx`: `C` + LA code + a permuted number, unique per index.
    pub fn child_id(&self, idx: usize) -> String {
        let n = ((idx as u64).wrapping_mul(7_654_321) + self.id_offset) % self.id_modulus;
        format!("C{}{:0width$}", self.la, n, width = self.id_digits)
    }

    /// A permanent UPN with a correct check letter; the 9 digits after the LA code are a
    /// permutation of the child index, so UPNs never repeat.
    pub fn upn(&self, la3: &str, idx: u64, salt: u64) -> String {
        let n = (idx
            .wrapping_mul(987_654_323)
            .wrapping_add(self.upn_offset)
            .wrapping_add(salt))
            % 1_000_000_000;
        let mut s = format!("A{}{:09}", la3, n);
        let letter = upn_check_letter(&s).expect("13-character numeric UPN");
        s.replace_range(0..1, letter.encode_utf8(&mut [0u8; 4]));
        s
    }
}

/// The case path an episode follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// Referral with no further action.
    Nfa,
    /// Assessment, then closure (typically RC8/RC9).
    Assessment,
    /// Assessment then a CIN plan (which may escalate to child protection).
    CinPlan,
    /// Assessment with a section 47 enquiry and usually a child protection plan.
    ChildProtection,
}

#[derive(Debug, Clone)]
pub(crate) struct Assessment {
    pub start: Day,
    pub review: Day,
    pub auth: Day,
    pub factors: Vec<&'static str>,
    pub in_census: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CinPlan {
    pub start: Day,
    pub end: Day,
    pub in_census: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Section47 {
    pub start: Day,
    pub target: Day,
    pub icpc: Day,
    /// Conference not required: the enquiry ended without one.
    pub not_required: bool,
    /// Enquiry concluded (conference date, or end of a no-conference enquiry); NONE = open.
    pub end: Day,
    pub in_census: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Cpp {
    pub start: Day,
    pub end: Day,
    pub initial_category: Option<&'static str>,
    pub latest_category: Option<&'static str>,
    /// NumberOfPreviousCPP; `None` = element left out, `Some(i64::MIN)` = empty element.
    pub previous: Option<i64>,
    pub reviews: Vec<Day>,
    pub in_census: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct PreProceedings {
    pub start: Day,
    pub lbp_sent: Day,
    pub offer: Option<&'static str>,
    pub facilitated: Option<&'static str>,
    pub initial_meeting: Day,
    pub review_meetings: Option<u32>,
    pub step_decision: Day,
    pub outcome: Option<&'static str>,
    pub court_application: Day,
    pub letter_initiating: Day,
}

#[derive(Debug, Clone)]
pub(crate) struct Episode {
    pub path: Path,
    pub referral: Day,
    pub source: Option<&'static str>,
    pub need: Option<&'static str>,
    pub closure: Day,
    pub reason: Option<&'static str>,
    /// CIN-level DateOfInitialCPC (a conference with no Section47 record in the return).
    pub cin_icpc: Day,
    /// The text written in ReferralNFA.
    pub nfa_text: &'static str,
    pub nfa: bool,
    pub assessments: Vec<Assessment>,
    pub plans: Vec<CinPlan>,
    pub s47s: Vec<Section47>,
    pub cpps: Vec<Cpp>,
    pub pre_proceedings: Vec<PreProceedings>,
    /// A transfer-in initial conference (no enquiry of ours): the CIN-level DateOfInitialCPC.
    pub transfer_icpc: Day,
    /// Looked-after spells (start, end or NONE): not in the census, in the SSD export.
    pub care: Vec<(Day, Day)>,
    pub in_census: bool,
    /// Latest activity date in the episode (closure must not precede it, rule 8565).
    pub last_activity: Day,
    /// Some record of the episode is still open at R.
    pub any_open: bool,
}

impl Episode {
    fn new(path: Path, referral: Day) -> Self {
        Episode {
            path,
            referral,
            source: None,
            need: None,
            closure: NONE,
            reason: None,
            cin_icpc: NONE,
            nfa_text: "false",
            nfa: false,
            assessments: Vec::new(),
            plans: Vec::new(),
            s47s: Vec::new(),
            cpps: Vec::new(),
            pre_proceedings: Vec::new(),
            transfer_icpc: NONE,
            care: Vec::new(),
            in_census: false,
            last_activity: referral,
            any_open: false,
        }
    }

    fn touch(&mut self, d: Day) {
        if is_date(d) && d > self.last_activity {
            self.last_activity = d;
        }
    }

    pub fn census_assessments(&self) -> impl Iterator<Item = &Assessment> {
        self.assessments.iter().filter(|a| a.in_census)
    }
    pub fn census_plans(&self) -> impl Iterator<Item = &CinPlan> {
        self.plans.iter().filter(|a| a.in_census)
    }
    pub fn census_s47s(&self) -> impl Iterator<Item = &Section47> {
        self.s47s.iter().filter(|a| a.in_census)
    }
    pub fn census_cpps(&self) -> impl Iterator<Item = &Cpp> {
        self.cpps.iter().filter(|a| a.in_census)
    }
    /// Any S47, CPP, CIN plan or CIN-level conference in the return (rule 2990's "activity").
    pub fn has_census_activity(&self) -> bool {
        self.census_plans().next().is_some()
            || self.census_s47s().next().is_some()
            || self.census_cpps().next().is_some()
            || is_date(self.cin_icpc)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Child {
    pub idx: usize,
    pub id: String,
    pub upn: Option<String>,
    pub former_upn: Option<String>,
    pub upn_unknown: Option<&'static str>,
    pub birth: Day,
    pub expected_birth: Day,
    /// The text of `Sex` (from 2024-25) or `GenderCurrent` (before).
    pub sex: Option<&'static str>,
    pub death: Day,
    pub ethnicity: Option<&'static str>,
    /// `None` = no Disabilities element.
    pub disabilities: Option<Vec<&'static str>>,
    pub episodes: Vec<Episode>,
    pub unborn: bool,
    /// Spell booleans as `1`/`0` instead of `true`/`false` (both are valid; files mix them).
    pub numeric_flags: bool,
    /// The child's UPN before any defect (for the duplicate-UPN defect on a later child).
    pub clean_upn: Option<String>,
}

impl Child {
    pub fn census_episodes(&self) -> impl Iterator<Item = &Episode> {
        self.episodes.iter().filter(|e| e.in_census)
    }
}

/// State carried from child to child (kept small so the stream stays cheap).
#[derive(Debug, Default)]
pub(crate) struct GenState {
    /// Born children written with Sex `U` so far (kept under 1% for rule 2886Q).
    pub sex_unknown: usize,
    /// Whether a PreProceedingsandFGDM block has been written (rule 8995Q wants at least one).
    pub pre_proceedings_done: bool,
}

// --- code lists with realistic weights -------------------------------------------------------

const ETHNICITY: &[(&str, u32)] = &[
    ("WBRI", 600),
    ("WIRI", 5),
    ("WIRT", 3),
    ("WOTH", 60),
    ("WROM", 10),
    ("MWBC", 30),
    ("MWBA", 15),
    ("MWAS", 15),
    ("MOTH", 30),
    ("AIND", 15),
    ("APKN", 30),
    ("ABAN", 10),
    ("AOTH", 15),
    ("BCRB", 15),
    ("BAFR", 40),
    ("BOTH", 15),
    ("CHNE", 3),
    ("OOTH", 30),
    ("REFU", 10),
    ("NOBT", 40),
];

const REFERRAL_SOURCE: &[(&str, u32)] = &[
    ("1A", 60),
    ("1B", 10),
    ("1C", 10),
    ("1D", 8),
    ("2A", 180),
    ("2B", 20),
    ("3A", 25),
    ("3B", 20),
    ("3C", 8),
    ("3D", 25),
    ("3E", 30),
    ("3F", 35),
    ("4", 15),
    ("5A", 30),
    ("5B", 20),
    ("5C", 20),
    ("5D", 50),
    ("6", 280),
    ("7", 20),
    ("8", 35),
    ("9", 8),
    ("10", 16),
];

const PRIMARY_NEED: &[(&str, u32)] = &[
    ("N1", 110),
    ("N2", 10),
    ("N3", 8),
    ("N4", 20),
    ("N5", 30),
    ("N6", 4),
    ("N7", 1),
    ("N8", 6),
    ("N9", 6),
    ("N0", 5),
];

const FACTORS: &[(&str, u32)] = &[
    ("1A", 1),
    ("1B", 5),
    ("1C", 1),
    ("2A", 2),
    ("2B", 6),
    ("2C", 1),
    ("3A", 8),
    ("3B", 14),
    ("3C", 2),
    ("4A", 8),
    ("4B", 14),
    ("4C", 2),
    ("5A", 2),
    ("5B", 2),
    ("5C", 1),
    ("6A", 2),
    ("6B", 2),
    ("6C", 1),
    ("7A", 2),
    ("8B", 1),
    ("8C", 1),
    ("8D", 1),
    ("8E", 1),
    ("8F", 1),
    ("9A", 1),
    ("10A", 2),
    ("11A", 2),
    ("12A", 1),
    ("13A", 1),
    ("14A", 3),
    ("15A", 2),
    ("16A", 10),
    ("17A", 9),
    ("18B", 1),
    ("18C", 3),
    ("19B", 1),
    ("19C", 2),
    ("20", 4),
    ("22A", 1),
    ("23A", 1),
    ("24A", 2),
];

const DISABILITY: &[(&str, u32)] = &[
    ("MOB", 5),
    ("HAND", 2),
    ("PC", 3),
    ("INC", 2),
    ("COMM", 12),
    ("LD", 20),
    ("HEAR", 2),
    ("VIS", 2),
    ("BEH", 25),
    ("CON", 1),
    ("AUT", 25),
    ("DDA", 5),
];

const CATEGORY: &[(&str, u32)] = &[("NEG", 50), ("EMO", 35), ("PHY", 8), ("SAB", 4), ("MUL", 3)];

/// Children whose disabilities are fixed so that every clean file of 14 or more children uses
/// all 12 real codes, has a child with several (2887Q and 2888Q, both readings) and at least 8
/// `NONE` rows (the reference's reading of 2887Q).
const ANCHOR_DISABILITIES: &[&[&str]] = &[
    &["MOB", "HAND"],
    &["PC", "INC"],
    &["COMM", "LD"],
    &["HEAR", "VIS"],
    &["BEH", "CON"],
    &["AUT", "DDA"],
];
pub(crate) const ANCHORS: usize = 14;

const AGE_WEIGHTS: &[(i32, u32)] = &[
    (0, 8),
    (1, 5),
    (2, 5),
    (3, 5),
    (4, 5),
    (5, 5),
    (6, 5),
    (7, 5),
    (8, 5),
    (9, 6),
    (10, 6),
    (11, 6),
    (12, 6),
    (13, 7),
    (14, 7),
    (15, 7),
    (16, 6),
    (17, 5),
];

fn age_at(birth: Day, at: Day) -> i32 {
    let (by, bm, bd) = crate::dates::to_ymd(birth);
    let (ay, am, ad) = crate::dates::to_ymd(at);
    let mut age = ay - by;
    if (am, ad) < (bm, bd) {
        age -= 1;
    }
    age
}

// --- the simulation --------------------------------------------------------------------------

/// Authorisation date for an assessment that would like to end on `desired`: kept if by R;
/// otherwise left open when it started late enough (8670Q, 8736), else finished by R.
fn finish_assessment(ctx: &Ctx, rng: &mut Rng, start: Day, desired: Day, at_least: Day) -> Day {
    if desired <= ctx.r {
        desired
    } else if start >= ctx.s.max(ctx.t45) {
        NONE
    } else {
        rng.range(start.max(ctx.s).max(at_least).min(ctx.r), ctx.r)
    }
}

fn add_assessment(ctx: &Ctx, rng: &mut Rng, ep: &mut Episode, start: Day, desired: Day) {
    let auth = finish_assessment(ctx, rng, start, desired, start);
    ep.touch(start);
    if auth == NONE {
        ep.any_open = true;
    } else {
        ep.touch(auth);
    }
    let review = if auth != NONE && auth - start >= 8 && rng.chance(0.2) {
        start + (auth - start) / 2
    } else {
        NONE
    };
    ep.assessments.push(Assessment {
        start,
        review,
        auth,
        factors: Vec::new(),
        in_census: true,
    });
}

/// Makes sure the episode has an assessment covering a section 47 enquiry that runs from `s`
/// to `until` (rule 2991Q wants one alongside every enquiry in the return).
fn ensure_assessment(ctx: &Ctx, rng: &mut Rng, ep: &mut Episode, s: Day, until: Day) {
    if let Some(a) = ep.assessments.last_mut() {
        if a.auth == NONE {
            return;
        }
        if a.auth >= s {
            let desired = a.auth.max(until + rng.range(0, 7));
            let auth = finish_assessment(ctx, rng, a.start, desired, a.auth);
            a.auth = auth;
            if auth == NONE {
                ep.any_open = true;
            } else {
                if a.review != NONE && a.review >= auth {
                    a.review = NONE;
                }
                ep.touch(auth);
            }
            return;
        }
    }
    let desired = until + rng.range(0, 10);
    add_assessment(ctx, rng, ep, s, desired);
}

enum S47Outcome {
    Open,
    NoConference,
    Conference(Day),
}

fn add_s47(ctx: &Ctx, rng: &mut Rng, ep: &mut Episode, s: Day) -> S47Outcome {
    let target = ctx.add_working_days(s, 15);
    let open_allowed = s >= ctx.s.max(ctx.t15);
    ep.touch(s);
    if rng.chance(0.18) {
        let mut end = s + rng.range(1, 10);
        if end > ctx.r {
            if open_allowed {
                ep.s47s.push(Section47 {
                    start: s,
                    target,
                    icpc: NONE,
                    not_required: false,
                    end: NONE,
                    in_census: true,
                });
                ep.any_open = true;
                ensure_assessment(ctx, rng, ep, s, ctx.r + 30);
                return S47Outcome::Open;
            }
            end = rng.range(s, ctx.r);
        }
        ep.s47s.push(Section47 {
            start: s,
            target: NONE,
            icpc: NONE,
            not_required: true,
            end,
            in_census: true,
        });
        ep.touch(end);
        ensure_assessment(ctx, rng, ep, s, end);
        return S47Outcome::NoConference;
    }
    let mut icpc = ctx.add_working_days(s, rng.range(4, 15));
    if icpc > ctx.r {
        if open_allowed {
            ep.s47s.push(Section47 {
                start: s,
                target,
                icpc: NONE,
                not_required: false,
                end: NONE,
                in_census: true,
            });
            ep.any_open = true;
            ensure_assessment(ctx, rng, ep, s, ctx.r + 30);
            return S47Outcome::Open;
        }
        let w = ctx.working_on_or_before(rng.range(s + 1, ctx.r));
        icpc = if w > s {
            w
        } else {
            ctx.working_on_or_after(s + 1)
        };
    }
    ep.s47s.push(Section47 {
        start: s,
        target,
        icpc,
        not_required: false,
        end: icpc,
        in_census: true,
    });
    ep.touch(icpc);
    ensure_assessment(ctx, rng, ep, s, icpc);
    S47Outcome::Conference(icpc)
}

fn add_plan(ctx: &Ctx, ep: &mut Episode, start: Day, desired_end: Day) -> Day {
    let end = if desired_end > ctx.r {
        NONE
    } else {
        desired_end
    };
    ep.touch(start);
    if end == NONE {
        ep.any_open = true;
    } else {
        ep.touch(end);
    }
    ep.plans.push(CinPlan {
        start,
        end,
        in_census: true,
    });
    end
}

fn add_cpp(ctx: &Ctx, rng: &mut Rng, ep: &mut Episode, start: Day, previous: i64) -> Day {
    let dur = match rng.below(10) {
        0..=4 => rng.range(90, 240),
        5..=8 => rng.range(240, 540),
        _ => rng.range(540, 800),
    };
    let end = if start + dur > ctx.r {
        NONE
    } else {
        start + dur
    };
    let mut reviews = Vec::new();
    // First review within three months of the start, then at most every six months.
    let mut d = start + rng.range(20, 85);
    let limit = if end == NONE { ctx.r } else { end - 1 };
    while d <= limit {
        reviews.push(d);
        d += rng.range(100, 178);
    }
    let initial = rng.weighted(CATEGORY);
    let latest = if rng.chance(0.85) {
        initial
    } else {
        rng.weighted(CATEGORY)
    };
    ep.touch(start);
    if let Some(&last) = reviews.last() {
        ep.touch(last);
    }
    if end == NONE {
        ep.any_open = true;
    } else {
        ep.touch(end);
    }
    ep.cpps.push(Cpp {
        start,
        end,
        initial_category: Some(initial),
        latest_category: Some(latest),
        previous: Some(previous),
        reviews,
        in_census: true,
    });
    end
}

enum Phase {
    Plan(Day),
    Protection(Day),
    /// The child becomes looked after (the CIN episode stays open meanwhile).
    Care(Day),
    Close(Day),
    Open,
}

/// Simulates one non-NFA episode from its referral; returns with closure set or left open.
fn simulate_episode(
    ctx: &Ctx,
    rng: &mut Rng,
    ep: &mut Episode,
    previous_cpps: &mut i64,
    unborn: bool,
) {
    let r = ep.referral;
    let a_start = (r + rng.range(0, 7)).min(ctx.r);
    let a_desired = a_start + rng.range(7, 45);
    let mut phase = match ep.path {
        Path::Nfa => unreachable!("NFA referrals are not simulated"),
        Path::Assessment => {
            add_assessment(ctx, rng, ep, a_start, a_desired);
            let auth = ep.assessments[0].auth;
            if auth == NONE {
                Phase::Open
            } else {
                Phase::Close(auth + rng.range(0, 10))
            }
        }
        Path::CinPlan => {
            add_assessment(ctx, rng, ep, a_start, a_desired);
            let auth = ep.assessments[0].auth;
            if auth == NONE {
                Phase::Open
            } else {
                Phase::Plan(auth + rng.range(1, 14))
            }
        }
        Path::ChildProtection if rng.chance(0.08) => {
            // Moved in on a protection plan: a transfer-in conference, no enquiry of ours.
            add_assessment(ctx, rng, ep, a_start, a_desired);
            let conference = ctx.add_working_days(r, rng.range(3, 15));
            if conference > ctx.r {
                Phase::Open
            } else {
                ep.transfer_icpc = conference;
                ep.touch(conference);
                Phase::Protection(conference)
            }
        }
        Path::ChildProtection => {
            add_assessment(ctx, rng, ep, a_start, a_desired);
            let s = (a_start + rng.range(0, 5)).min(ctx.r);
            match add_s47(ctx, rng, ep, s) {
                S47Outcome::Open => Phase::Open,
                S47Outcome::Conference(icpc) if rng.chance(0.88) => Phase::Protection(icpc),
                S47Outcome::Conference(icpc) => {
                    if rng.chance(0.6) {
                        Phase::Plan(icpc + rng.range(0, 10))
                    } else {
                        Phase::Close(icpc + rng.range(0, 14))
                    }
                }
                S47Outcome::NoConference => {
                    let after = ep.last_activity;
                    if rng.chance(0.5) {
                        Phase::Plan(after + rng.range(1, 14))
                    } else {
                        Phase::Close(after + rng.range(0, 14))
                    }
                }
            }
        }
    };
    // A transfer-in plan is matched by its CIN-level conference (2885), which any enquiry
    // in the episode would override: no escalation there.
    let mut escalations = if is_date(ep.transfer_icpc) { 2 } else { 0 };
    loop {
        phase = match phase {
            Phase::Open => break,
            Phase::Plan(start) => {
                if start > ctx.r {
                    Phase::Open
                } else {
                    let desired_end = start + rng.range(60, 540);
                    let escalate =
                        escalations < 2 && rng.chance(if escalations == 0 { 0.18 } else { 0.08 });
                    if escalate {
                        escalations += 1;
                        let s = start + rng.range(30, (desired_end - start - 1).min(240));
                        if s > ctx.r {
                            add_plan(ctx, ep, start, NONE);
                            Phase::Open
                        } else {
                            match add_s47(ctx, rng, ep, s) {
                                S47Outcome::Open => {
                                    add_plan(ctx, ep, start, NONE);
                                    Phase::Open
                                }
                                S47Outcome::Conference(icpc) if rng.chance(0.85) => {
                                    // The CIN plan ends the day before the protection plan starts.
                                    add_plan(ctx, ep, start, icpc - 1);
                                    Phase::Protection(icpc)
                                }
                                _ => {
                                    let end = desired_end.max(ep.last_activity + 1);
                                    let end = add_plan(ctx, ep, start, end);
                                    if end == NONE {
                                        Phase::Open
                                    } else {
                                        Phase::Close(end + rng.range(0, 7))
                                    }
                                }
                            }
                        }
                    } else {
                        let end = add_plan(ctx, ep, start, desired_end);
                        if end == NONE {
                            Phase::Open
                        } else if rng.chance(0.07) && !unborn {
                            Phase::Care(end + rng.range(1, 5))
                        } else {
                            Phase::Close(end + rng.range(0, 7))
                        }
                    }
                }
            }
            Phase::Protection(start) => {
                let end = add_cpp(ctx, rng, ep, start, *previous_cpps);
                *previous_cpps += 1;
                if end == NONE {
                    Phase::Open
                } else if rng.chance(0.22) && !unborn {
                    Phase::Care(end + rng.range(1, 5))
                } else if rng.chance(0.6) {
                    // Step down to a CIN plan starting the day after the protection plan ends.
                    Phase::Plan(end + 1)
                } else {
                    Phase::Close(end + rng.range(0, 14))
                }
            }
            Phase::Care(start) => {
                if start > ctx.r {
                    Phase::Open
                } else {
                    let end = start + rng.range(30, 900);
                    ep.touch(start);
                    if end > ctx.r {
                        ep.care.push((start, NONE));
                        Phase::Open
                    } else {
                        ep.care.push((start, end));
                        ep.touch(end);
                        Phase::Close(end + rng.range(0, 7))
                    }
                }
            }
            Phase::Close(at) => {
                let at = at.max(ep.last_activity);
                if at <= ctx.r && !ep.any_open {
                    ep.closure = at;
                }
                break;
            }
        };
    }
}

/// Builds the clean child number `idx`.
pub(crate) fn generate_child(ctx: &Ctx, state: &mut GenState, idx: usize) -> Child {
    let mut rng = Rng::for_item(ctx.seed, idx as u64, 0);
    let anchor = ctx.children >= ANCHORS && idx < ANCHORS;
    let unborn = !anchor && rng.chance(0.03);
    let (birth, expected_birth, earliest) = if unborn {
        let edd = rng.range(ctx.edd_lo, ctx.edd_hi.min(ctx.r + 200));
        (NONE, edd, (edd - 250).max(ctx.s))
    } else {
        let age = rng.weighted(AGE_WEIGHTS);
        let lo = add_years(ctx.r, -(age + 1)) + 1;
        let hi = add_years(ctx.r, -age);
        let birth = rng.range(lo, hi);
        // Referrals (and so plans) of born children start on or after the birth date.
        (birth, NONE, birth)
    };

    // --- episodes ---
    let mut episodes: Vec<Episode> = Vec::new();
    let u = rng.unit();
    let mut t = (ctx.r - (u * u * 1100.0) as i32).max(earliest).min(ctx.r);
    // NumberOfPreviousCPP counts the plans earlier in this history (which the SSD export shows).
    let mut previous_cpps: i64 = 0;
    let numeric_flags = rng.chance(0.1);
    for _ in 0..6 {
        if t > ctx.r {
            break;
        }
        let open = simulate_one(ctx, &mut rng, &mut episodes, t, unborn, &mut previous_cpps);
        if open {
            break;
        }
        let closure = episodes.last().expect("episode").closure;
        t = closure
            + if rng.chance(0.5) {
                rng.range(7, 120)
            } else {
                rng.range(120, 500)
            };
    }
    mark_census(ctx, &mut episodes);
    if !episodes.iter().any(|e| e.in_census) {
        // Everything closed before the census period: a fresh referral during it.
        let last_end = episodes.iter().map(|e| e.closure).max().unwrap_or(NONE);
        let lo = ctx.s.max(last_end.saturating_add(7)).max(earliest);
        let t = rng.range(lo.min(ctx.r), ctx.r);
        simulate_one(ctx, &mut rng, &mut episodes, t, unborn, &mut previous_cpps);
        mark_census(ctx, &mut episodes);
    }
    for ep in &mut episodes {
        if numeric_flags {
            ep.nfa_text = if ep.nfa { "1" } else { "0" };
        } else {
            ep.nfa_text = if ep.nfa { "true" } else { "false" };
        }
    }

    // --- death (rare) ---
    let mut death = NONE;
    if !unborn && !anchor && rng.chance(0.004) {
        death = apply_death(ctx, &mut rng, &mut episodes, birth);
    }

    // --- closure reasons and assessment factors ---
    for ep in &mut episodes {
        if is_date(ep.closure) && ep.reason.is_none() {
            ep.reason = Some(closure_reason(&mut rng, ep, birth));
        }
        for a in &mut ep.assessments {
            if a.auth != NONE {
                let n = rng.weighted(&[(1usize, 30), (2, 35), (3, 25), (4, 10)]);
                while a.factors.len() < n {
                    let f = rng.weighted(FACTORS);
                    if !a.factors.contains(&f) {
                        a.factors.push(f);
                    }
                }
            }
        }
        let census_assessments = ep.assessments.iter().filter(|a| a.in_census).count();
        if matches!(ep.reason, Some("RC8") | Some("RC9"))
            && census_assessments == 1
            && rng.chance(0.35)
        {
            if let Some(a) = ep.assessments.iter_mut().find(|a| a.in_census) {
                a.factors.clear();
                a.factors.push("21");
            }
        }
    }

    // --- pre-proceedings (module 5) ---
    if ctx.has_pre_proceedings {
        for ep in &mut episodes {
            if !ep.in_census || ep.nfa {
                continue;
            }
            let eligible = ep.census_cpps().next().is_some() || ep.census_plans().next().is_some();
            if !eligible {
                continue;
            }
            let force = !state.pre_proceedings_done;
            if force || rng.chance(0.07) {
                if let Some(pp) = pre_proceedings(ctx, &mut rng, ep) {
                    ep.pre_proceedings.push(pp);
                    state.pre_proceedings_done = true;
                }
            }
        }
    }

    // --- identifiers ---
    let id = ctx.child_id(idx);
    let school_age = is_date(birth) && birth <= ctx.school_cutoff;
    let all_nfa = episodes.iter().filter(|e| e.in_census).all(|e| e.nfa);
    let (mut upn, mut upn_unknown) = (None, None);
    if !unborn {
        let p_upn = if school_age {
            0.86
        } else if age_at(birth, ctx.r) >= 3 {
            0.45
        } else {
            0.15
        };
        if rng.chance(p_upn) && !ctx.upn_las.is_empty() {
            let la3 = if ctx.own_la_valid && rng.chance(0.93) {
                ctx.upn_las[0]
            } else {
                rng.pick(&ctx.upn_las)
            };
            upn = Some(ctx.upn(la3, idx as u64, 0));
        } else if all_nfa && rng.chance(0.15) {
            upn_unknown = Some("UN7");
        } else if school_age {
            upn_unknown = Some(rng.weighted(&[
                ("UN2", 15),
                ("UN3", 5),
                ("UN4", 10),
                ("UN5", 10),
                ("UN6", 60),
            ]));
        } else {
            upn_unknown = Some(if rng.chance(0.9) { "UN1" } else { "UN2" });
        }
    }
    let former_upn = if upn.is_some() && rng.chance(0.02) {
        let la3 = rng.pick(&ctx.upn_las);
        Some(ctx.upn(la3, idx as u64, 500_000_000))
    } else {
        None
    };

    let sex = if ctx.uses_sex {
        if unborn {
            Some("U")
        } else if rng.chance(0.005) && (state.sex_unknown + 1) * 100 <= ctx.children {
            state.sex_unknown += 1;
            Some("U")
        } else if rng.chance(0.52) {
            Some("M")
        } else {
            Some("F")
        }
    } else if unborn {
        Some("0")
    } else if rng.chance(0.52) {
        Some("1")
    } else {
        Some("2")
    };
    let ethnicity = Some(rng.weighted(ETHNICITY));

    let disabilities = if unborn {
        None
    } else if anchor {
        Some(
            ANCHOR_DISABILITIES
                .get(idx)
                .map(|d| d.to_vec())
                .unwrap_or_else(|| vec!["NONE"]),
        )
    } else if all_nfa && rng.chance(0.3) {
        None
    } else {
        let x = rng.below(100);
        if x < 86 {
            Some(vec!["NONE"])
        } else {
            let n = if x < 97 { 1 } else { rng.range(2, 3) as usize };
            let mut list = Vec::with_capacity(n);
            while list.len() < n {
                let d = rng.weighted(DISABILITY);
                if !list.contains(&d) {
                    list.push(d);
                }
            }
            Some(list)
        }
    };

    Child {
        idx,
        id,
        clean_upn: upn.clone(),
        upn,
        former_upn,
        upn_unknown,
        birth,
        expected_birth,
        sex,
        death,
        ethnicity,
        disabilities,
        episodes,
        unborn,
        numeric_flags,
    }
}

/// Adds one episode referred on `t`; returns whether it is still open at R.
fn simulate_one(
    ctx: &Ctx,
    rng: &mut Rng,
    episodes: &mut Vec<Episode>,
    t: Day,
    unborn: bool,
    previous_cpps: &mut i64,
) -> bool {
    let weights: &[(Path, u32)] = if unborn {
        &[
            (Path::Nfa, 15),
            (Path::Assessment, 45),
            (Path::CinPlan, 25),
            (Path::ChildProtection, 15),
        ]
    } else {
        &[
            (Path::Nfa, 13),
            (Path::Assessment, 42),
            (Path::CinPlan, 30),
            (Path::ChildProtection, 15),
        ]
    };
    let mut path = rng.weighted(weights);
    // 8569Q: a no-further-action referral in the return must not predate the period.
    if path == Path::Nfa && !(t >= ctx.t_nfa || t + 3 < ctx.s) {
        path = Path::Assessment;
    }
    let mut ep = Episode::new(path, t);
    ep.source = Some(rng.weighted(REFERRAL_SOURCE));
    if path == Path::Nfa {
        ep.nfa = true;
        ep.need = if rng.chance(0.6) {
            Some(rng.weighted(PRIMARY_NEED))
        } else {
            None
        };
        let open = t + 3 > ctx.r || (t > ctx.r - 20 && rng.chance(0.5));
        if !open {
            ep.closure = t + rng.range(0, 3);
            ep.touch(ep.closure);
        }
    } else {
        ep.need = Some(rng.weighted(PRIMARY_NEED));
        simulate_episode(ctx, rng, &mut ep, previous_cpps, unborn);
    }
    let open = ep.closure == NONE;
    episodes.push(ep);
    open
}

/// Marks the episodes and records that belong in the census return of the period S..R.
pub(crate) fn mark_census(ctx: &Ctx, episodes: &mut [Episode]) {
    for ep in episodes {
        ep.in_census = ep.referral <= ctx.r && (ep.closure == NONE || ep.closure >= ctx.s);
        for a in &mut ep.assessments {
            a.in_census = ep.in_census && (a.auth == NONE || a.auth >= ctx.s);
        }
        for p in &mut ep.plans {
            p.in_census = ep.in_census && (p.end == NONE || p.end >= ctx.s);
        }
        for s in &mut ep.s47s {
            s.in_census = ep.in_census && (s.end == NONE || s.end >= ctx.s);
        }
        // A conference with no enquiry of ours is given at CIN level (2885's "CIN path").
        ep.cin_icpc = if ep.in_census { ep.transfer_icpc } else { NONE };
        for c in &mut ep.cpps {
            c.in_census = ep.in_census && (c.end == NONE || c.end >= ctx.s);
        }
    }
}

/// The child dies during the period: the last episode closes on the death date with RC2 and
/// everything still open in it ends that day. Returns the death date, or NONE when the
/// history leaves no room before R.
fn apply_death(ctx: &Ctx, rng: &mut Rng, episodes: &mut [Episode], birth: Day) -> Day {
    let Some(ep) = episodes.iter_mut().rev().find(|e| e.in_census) else {
        return NONE;
    };
    if is_date(ep.closure) {
        if ep.closure < birth {
            // A referral closed before the baby was born: no death to record.
            return NONE;
        }
        ep.reason = Some("RC2");
        return ep.closure;
    }
    let d = ep.last_activity.max(ctx.s).max(birth) + rng.range(1, 20);
    if d > ctx.r {
        return NONE;
    }
    for a in &mut ep.assessments {
        if a.auth == NONE {
            a.auth = d;
        }
    }
    for s in &mut ep.s47s {
        if s.end == NONE {
            s.not_required = true;
            s.end = d;
        }
    }
    for c in &mut ep.cpps {
        if c.end == NONE {
            c.end = d;
        }
    }
    for p in &mut ep.plans {
        if p.end == NONE {
            p.end = d;
        }
    }
    for spell in &mut ep.care {
        if spell.1 == NONE {
            spell.1 = d;
        }
    }
    ep.any_open = false;
    ep.closure = d;
    ep.reason = Some("RC2");
    d
}

fn closure_reason(rng: &mut Rng, ep: &Episode, birth: Day) -> &'static str {
    if ep.nfa {
        return "RC7";
    }
    let assessed = ep.assessments.iter().any(|a| a.in_census || !ep.in_census);
    let activity = if ep.in_census {
        ep.has_census_activity()
    } else {
        !ep.plans.is_empty() || !ep.s47s.is_empty() || !ep.cpps.is_empty()
    };
    if ep.path == Path::Assessment && assessed && !activity {
        return rng.weighted(&[("RC8", 60), ("RC9", 25), ("RC7", 15)]);
    }
    let age = if is_date(birth) {
        age_at(birth, ep.closure)
    } else {
        0
    };
    let mut options: Vec<(&'static str, u32)> = vec![("RC7", 70), ("RC5", 8), ("RC4", 5)];
    if age < 16 {
        options.push(("RC3", 5));
    }
    if age >= 17 {
        options.push(("RC6", 8));
    }
    if age < 10 && ep.cpps.iter().any(|c| c.in_census || !ep.in_census) {
        options.push(("RC1", 2));
    }
    rng.weighted(&options)
}

fn pre_proceedings(ctx: &Ctx, rng: &mut Rng, ep: &Episode) -> Option<PreProceedings> {
    let lo = ctx.s.max(ep.referral);
    let hi = if ep.closure == NONE {
        ctx.r
    } else {
        ep.closure.min(ctx.r)
    };
    if lo > hi {
        return None;
    }
    let start = rng.range(lo, hi.min(lo + 200));
    let mut pp = PreProceedings {
        start,
        lbp_sent: NONE,
        initial_meeting: NONE,
        step_decision: NONE,
        court_application: NONE,
        letter_initiating: NONE,
        ..Default::default()
    };
    let lbp = start + rng.range(2, 14);
    if lbp <= hi {
        pp.lbp_sent = lbp;
        pp.offer = Some(if rng.chance(0.8) { "1" } else { "0" });
    } else if rng.chance(0.5) {
        pp.offer = Some("0");
    }
    if pp.offer == Some("1") {
        pp.facilitated = Some(if rng.chance(0.7) { "1" } else { "0" });
    }
    if is_date(pp.lbp_sent) {
        let initial = pp.lbp_sent + rng.range(5, 20);
        if initial <= hi {
            pp.initial_meeting = initial;
            pp.review_meetings = Some(rng.range(0, 4) as u32);
            let step = initial + rng.range(40, 120);
            if step <= hi {
                pp.step_decision = step;
                let outcome = rng.pick(&["A", "B", "C"]);
                pp.outcome = Some(outcome);
                if outcome == "C" {
                    let court = step + rng.range(0, 14);
                    if court <= hi {
                        pp.court_application = court;
                        let letter = court + rng.range(0, 7);
                        if letter <= hi {
                            pp.letter_initiating = letter;
                        }
                    }
                }
            }
        }
    }
    Some(pp)
}
