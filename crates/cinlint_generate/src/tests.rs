//! Tests. `check` below is a small, independent implementation of the DfE rules (both the DfE
//! reading and the reference validator's where they differ: a rule fires if either would), run
//! on the parsed XML: a clean file must give no finding, and every injected defect must give its
//! aimed rule on its child.

use super::*;
use crate::dates::{add_years, from_naive, from_ymd, is_weekend, to_ymd, Day};
use cinlint_model::code_lists::{code_list, upn_check_letter};
use cinlint_model::{CollectionYear, WorkingCalendar};
use std::collections::{BTreeMap, BTreeSet, HashMap};

// --- a minimal XML reader (elements and text only: all the generator writes) ----------------

#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    kids: Vec<Node>,
}

impl Node {
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.kids.iter().filter(move |k| k.name == name)
    }
    fn get(&self, name: &str) -> Option<&Node> {
        self.kids.iter().find(|k| k.name == name)
    }
    fn text_of(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|n| n.text.clone())
            .filter(|t| !t.is_empty())
    }
    fn date_of(&self, name: &str) -> Option<Day> {
        self.text_of(name).and_then(|t| parse_date(&t))
    }
}

fn parse_date(t: &str) -> Option<Day> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = t[0..4].parse().ok()?;
    let m: u32 = t[5..7].parse().ok()?;
    let d: u32 = t[8..10].parse().ok()?;
    chrono::NaiveDate::from_ymd_opt(y, m, d).map(from_naive)
}

/// Parses and checks tag balance; panics on malformed input.
fn parse_xml(xml: &str) -> Node {
    let mut stack: Vec<Node> = vec![Node::default()];
    let bytes = xml.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let end = xml[i..].find('>').expect("unclosed tag") + i;
            let tag = &xml[i + 1..end];
            if tag.starts_with('?') {
                assert!(tag.ends_with('?'), "bad declaration");
            } else if let Some(name) = tag.strip_prefix('/') {
                let node = stack.pop().expect("close without open");
                assert_eq!(node.name, name, "mismatched close tag");
                stack.last_mut().expect("parent").kids.push(node);
            } else if let Some(name) = tag.strip_suffix('/') {
                assert!(!name.contains(' '), "attributes not expected");
                stack.last_mut().expect("parent").kids.push(Node {
                    name: name.to_string(),
                    ..Default::default()
                });
            } else {
                assert!(!tag.contains(' ') && !tag.is_empty(), "bad tag `{tag}`");
                stack.push(Node {
                    name: tag.to_string(),
                    ..Default::default()
                });
            }
            i = end + 1;
        } else {
            let end = xml[i..].find('<').map(|p| p + i).unwrap_or(bytes.len());
            let text = &xml[i..end];
            if !text.trim().is_empty() {
                let t = text
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&");
                stack.last_mut().expect("open element").text.push_str(&t);
            }
            i = end;
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.kids.len(), 1, "one root element");
    root.kids.pop().unwrap()
}

// --- the rule checker ----------------------------------------------------------------------

fn is_true(s: &Option<String>) -> bool {
    matches!(
        s.as_deref().map(str::to_ascii_lowercase).as_deref(),
        Some("true") | Some("1")
    )
}
fn is_false(s: &Option<String>) -> bool {
    matches!(
        s.as_deref().map(str::to_ascii_lowercase).as_deref(),
        Some("false") | Some("0")
    )
}

struct Findings {
    set: BTreeSet<(String, Option<String>)>,
}

impl Findings {
    fn add(&mut self, rule: &str, child: &Option<String>) {
        self.set.insert((rule.to_string(), child.clone()));
    }
    fn rules(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for (r, _) in &self.set {
            *m.entry(r.clone()).or_insert(0) += 1;
        }
        m
    }
}

fn in_list(list: &str, v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|v| code_list(list).unwrap().contains(v))
}

/// A child protection plan: start, end, episode index, position in the episode, review dates.
type CppSpan = (Option<Day>, Option<Day>, usize, usize, Vec<Option<Day>>);

fn check(xml: &str) -> Findings {
    let msg = parse_xml(xml);
    let mut f = Findings {
        set: BTreeSet::new(),
    };
    let none: Option<String> = None;
    let header = msg.get("Header").expect("header");
    let details = header.get("CollectionDetails").unwrap();
    let year: i32 = details.text_of("Year").unwrap().parse().unwrap();
    let r = details.date_of("ReferenceDate").expect("reference date");
    if r != from_ymd(year, 3, 31) {
        f.add("100", &none);
    }
    let (ry, _, _) = to_ymd(r);
    let cy = CollectionYear::new(ry);
    let s = from_naive(cy.period_start());
    let cal = WorkingCalendar::england();
    let t45 = from_naive(cal.working_days_before(cy.reference_date(), 45));
    let t15 = from_naive(cal.working_days_before(cy.reference_date(), 15));
    let t_peer = from_naive(cal.working_days_before(cy.period_start(), 1));
    let cutoff = from_ymd(ry - 6, 8, 31);
    let r9 = from_naive(
        cy.reference_date()
            .checked_add_months(chrono::Months::new(9))
            .unwrap(),
    );
    let uses_sex = year >= 2025;
    let in_period = |d: Day| d >= s && d <= r;

    let children: Vec<&Node> = msg.get("Children").unwrap().all("Child").collect();
    let mut upns: HashMap<String, usize> = HashMap::new();
    let mut ids: HashMap<Option<String>, usize> = HashMap::new();
    for c in &children {
        let ci = c.get("ChildIdentifiers").unwrap();
        if let Some(u) = ci.text_of("UPN") {
            *upns.entry(u).or_insert(0) += 1;
        }
        *ids.entry(ci.text_of("LAchildID")).or_insert(0) += 1;
    }
    let (mut no_sex, mut cpp_starts, mut cin_icpcs, mut s47_icpcs) =
        (0usize, 0usize, 0usize, 0usize);
    let mut distinct_disabilities = BTreeSet::new();
    let (mut none_rows, mut max_per_child, mut any_real_disability, mut pp_blocks) =
        (0usize, 0usize, false, 0usize);

    for c in &children {
        let ci = c.get("ChildIdentifiers").unwrap();
        let id = ci.text_of("LAchildID");
        let upn = ci.text_of("UPN");
        let birth = ci.date_of("PersonBirthDate");
        let edd = ci.date_of("ExpectedPersonBirthDate");
        let death = ci.date_of("PersonDeathDate");
        let unknown = ci.text_of("UPNunknown");
        // Identifiers.
        if let Some(u) = &upn {
            let b = u.as_bytes();
            if b.len() == 13
                && b[1..].iter().all(u8::is_ascii_digit)
                && upn_check_letter(u) != Some(b[0] as char)
            {
                f.add("1510", &id);
            }
            if upns[u] > 1 {
                f.add("1520", &id);
            }
            if b.len() == 13 && !code_list("la_code").unwrap().contains(&u[1..4]) {
                f.add("1530", &id);
            }
            let mid: Vec<u8> = b.iter().skip(4).take(8).copied().collect();
            if mid.is_empty() || !mid.iter().all(u8::is_ascii_digit) {
                f.add("1540", &id);
            }
            if b.len() == 13 {
                let last = b[12];
                if !(last.is_ascii_digit()
                    || (last.is_ascii_uppercase() && !b"IOS".contains(&last)))
                {
                    f.add("1550", &id);
                }
            }
        }
        if let Some(fu) = ci.text_of("FormerUPN") {
            let b = fu.as_bytes();
            if b.len() != 13
                || !b[1..].iter().all(u8::is_ascii_digit)
                || !b[0].is_ascii_alphabetic()
            {
                f.add("1560Q", &id);
            }
        }
        match &id {
            None => f.add("8500", &id),
            Some(v) => {
                if v.chars().count() > 20 {
                    f.add("1570", &id);
                }
                if !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    f.add("1580", &id);
                }
            }
        }
        if ids[&id] > 1 {
            f.add("8510", &id);
        }
        let sex = ci.text_of(if uses_sex { "Sex" } else { "GenderCurrent" });
        let valid_sex: &[&str] = if uses_sex {
            &["M", "F", "U"]
        } else {
            &["0", "1", "2", "9"]
        };
        if !sex.as_deref().is_some_and(|x| valid_sex.contains(&x)) {
            f.add("4180", &id);
        }
        let unborn_code = if uses_sex { "U" } else { "0" };
        if birth.is_none() && edd.is_some() && sex.as_deref() != Some(unborn_code) {
            f.add("8750", &id);
        }
        if uses_sex && (sex.is_none() || sex.as_deref() == Some("U")) && edd.is_none() {
            no_sex += 1;
        }
        if birth.is_some_and(|b| b > r) {
            f.add("8520", &id);
        }
        if birth.is_some() == edd.is_some() {
            f.add("8525Q", &id);
        }
        if edd.is_some_and(|e| e <= r - 30 || e >= r9) {
            f.add("8530Q", &id);
        }
        if let Some(d) = death {
            if birth.is_none_or(|b| b > d) {
                f.add("8535Q", &id);
            }
            if !in_period(d) {
                f.add("8545Q", &id);
            }
        }
        if birth.is_some_and(|b| b < add_years(r, -25)) {
            f.add("8775Q", &id);
        }
        // Characteristics.
        let chars = c.get("ChildCharacteristics").expect("ChildCharacteristics");
        if !in_list("ethnicity", &chars.text_of("Ethnicity")) {
            f.add("4220", &id);
        }
        let disabilities: Vec<Option<String>> = chars
            .get("Disabilities")
            .map(|d| {
                d.all("Disability")
                    .map(|x| Some(x.text.clone()).filter(|t| !t.is_empty()))
                    .collect()
            })
            .unwrap_or_default();
        let mut real = 0;
        for d in disabilities.iter().flatten() {
            if d == "NONE" {
                none_rows += 1;
            } else {
                distinct_disabilities.insert(d.clone());
                real += 1;
                any_real_disability = true;
            }
        }
        max_per_child = max_per_child.max(real);
        if disabilities
            .iter()
            .any(|d| d.as_deref().is_some_and(|x| x.eq_ignore_ascii_case("NONE")))
            && disabilities
                .iter()
                .any(|d| !d.as_deref().is_some_and(|x| x.eq_ignore_ascii_case("NONE")))
        {
            f.add("8790", &id);
        }
        let mut seen = BTreeMap::new();
        for d in disabilities.iter().flatten() {
            *seen.entry(d.clone()).or_insert(0) += 1;
        }
        if seen.values().any(|&n| n > 1) {
            f.add("8794", &id);
        }

        // Episodes.
        let eps: Vec<&Node> = c.all("CINdetails").collect();
        if eps.is_empty() {
            f.add("8590", &id);
        }
        let nfa_of = |e: &Node| e.text_of("ReferralNFA");
        let any_nfa_false = eps.iter().any(|e| is_false(&nfa_of(e)));
        if let (Some(born), true) = (birth, any_nfa_false) {
            if disabilities.is_empty() || disabilities.iter().any(|d| !in_list("disability", d)) {
                f.add("8540", &id);
            }
            if born <= cutoff
                && upn.is_none()
                && !unknown
                    .as_deref()
                    .map(str::to_ascii_uppercase)
                    .is_some_and(|u| {
                        ["UN2", "UN3", "UN4", "UN5", "UN6", "UN7"].contains(&u.as_str())
                    })
            {
                f.add("8770Q", &id);
            }
        }
        if unknown.as_deref() == Some("UN7")
            && (eps.is_empty() || eps.iter().any(|e| !is_true(&nfa_of(e))))
        {
            f.add("8772", &id);
        }
        let referrals: Vec<Option<Day>> =
            eps.iter().map(|e| e.date_of("CINreferralDate")).collect();
        let closures: Vec<Option<Day>> = eps.iter().map(|e| e.date_of("CINclosureDate")).collect();
        // 8815 / 8816 / 8820.
        let open_false: Vec<usize> = (0..eps.len())
            .filter(|&i| closures[i].is_none() && is_false(&nfa_of(eps[i])))
            .collect();
        if open_false.len() > 1 {
            f.add("8815", &id);
        }
        if let Some(max) = referrals.iter().flatten().max() {
            let latest = referrals
                .iter()
                .position(|x| x.as_ref() == Some(max))
                .unwrap();
            if open_false
                .iter()
                .any(|&i| i != latest && referrals[i].is_some())
            {
                f.add("8816", &id);
            }
        }
        for a in 0..eps.len() {
            for b in 0..eps.len() {
                if a == b {
                    continue;
                }
                let (Some(ra), Some(rb)) = (referrals[a], referrals[b]) else {
                    continue;
                };
                if ra >= rb {
                    let overlap = match closures[b] {
                        Some(cb) => ra < cb,
                        None => is_false(&nfa_of(eps[b])) && ra < r,
                    };
                    if overlap {
                        f.add("8820", &id);
                    }
                }
            }
        }
        // Child-wide plan lists: (start, end, episode, ordinal).
        let mut all_plans: Vec<(Option<Day>, Option<Day>, usize)> = Vec::new();
        let mut all_cpps: Vec<CppSpan> = Vec::new();
        let mut all_s47_icpc: Vec<Day> = Vec::new();
        let mut all_cin_icpc: Vec<Day> = Vec::new();
        for (ei, e) in eps.iter().enumerate() {
            for p in e.all("CINPlanDates") {
                all_plans.push((
                    p.date_of("CINPlanStartDate"),
                    p.date_of("CINPlanEndDate"),
                    ei,
                ));
            }
            for (k, p) in e.all("ChildProtectionPlans").enumerate() {
                let reviews: Vec<Option<Day>> = p
                    .all("Reviews")
                    .flat_map(|rv| {
                        rv.all("CPPreviewDate")
                            .map(|d| parse_date(&d.text))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                all_cpps.push((
                    p.date_of("CPPstartDate"),
                    p.date_of("CPPendDate"),
                    ei,
                    k,
                    reviews,
                ));
            }
            for x in e.all("Section47") {
                if let Some(d) = x.date_of("DateOfInitialCPC") {
                    all_s47_icpc.push(d);
                }
            }
            if let Some(d) = e.date_of("DateOfInitialCPC") {
                all_cin_icpc.push(d);
            }
        }
        if all_cin_icpc.iter().any(|d| all_s47_icpc.contains(d)) {
            f.add("2884", &id);
        }
        // 4014 (inclusive, child-wide), 4016, 4017, 8940 (all distinct pairs), 8935.
        for (i, a) in all_plans.iter().enumerate() {
            for (j, b) in all_plans.iter().enumerate() {
                if i == j {
                    continue;
                }
                if let (Some(as_), Some(bs)) = (a.0, b.0) {
                    if as_ >= bs && as_ <= b.1.unwrap_or(r) {
                        f.add("4014", &id);
                    }
                }
            }
            for cp in &all_cpps {
                if let (Some(ps), Some(cs)) = (a.0, cp.0) {
                    if ps >= cs && (cp.1.is_some_and(|ce| ps < ce) || (cp.1.is_none() && ps <= r)) {
                        f.add("4016", &id);
                    }
                    if cs >= ps && (a.1.is_some_and(|pe| cs < pe) || (a.1.is_none() && cs <= r)) {
                        f.add("4017", &id);
                    }
                }
                // 4003: DfE reading (same episode, open plan runs to R) and the reference's.
                for rv in cp.4.iter().flatten() {
                    if let Some(ps) = a.0 {
                        let same_episode = a.2 == cp.2
                            && *rv >= ps
                            && *rv < a.1.unwrap_or(r + 1)
                            && Some(*rv) != cp.1;
                        let peer = a.1.is_some_and(|pe| *rv >= ps && *rv < pe)
                            && cp.1.is_some_and(|ce| *rv != ce);
                        if same_episode || peer {
                            f.add("4003", &id);
                        }
                    }
                }
            }
            if let (Some(d), Some(ps)) = (death, a.0) {
                if ps > d {
                    f.add("4008", &id);
                }
            }
            if let (Some(d), Some(pe)) = (death, a.1) {
                if pe > d {
                    f.add("4009Q", &id);
                }
            }
        }
        for (i, a) in all_cpps.iter().enumerate() {
            for (j, b) in all_cpps.iter().enumerate() {
                if i == j {
                    continue;
                }
                if let (Some(as_), Some(bs)) = (a.0, b.0) {
                    if as_ >= bs && as_ <= b.1.unwrap_or(r) {
                        f.add("8940", &id);
                    }
                }
                if a.1.is_none() && b.1.is_none() && a.3 == b.3 {
                    f.add("8935", &id);
                }
            }
            if let (Some(d), Some(cs)) = (death, a.0) {
                if cs > d {
                    f.add("8915", &id);
                }
            }
            if let (Some(d), Some(ce)) = (death, a.1) {
                if ce > d {
                    f.add("8920", &id);
                }
            }
        }
        if all_cpps.iter().filter(|c| c.1.is_none()).count() > 1 {
            f.add("8935", &id);
        }

        for (ei, e) in eps.iter().enumerate() {
            let referral = referrals[ei];
            let closure = closures[ei];
            let nfa = nfa_of(e);
            let nfa_true = is_true(&nfa);
            let reason = e.text_of("ReasonForClosure");
            let cin_icpc = e.date_of("DateOfInitialCPC");
            let assessments: Vec<&Node> = e.all("Assessments").collect();
            let plans: Vec<&Node> = e.all("CINPlanDates").collect();
            let s47s: Vec<&Node> = e.all("Section47").collect();
            let cpps: Vec<&Node> = e.all("ChildProtectionPlans").collect();
            match referral {
                None => f.add("8600", &id),
                Some(rd) => {
                    if rd > r {
                        f.add("8600", &id);
                    }
                    if birth.is_some_and(|b| rd < b - 280) || edd.is_some_and(|b| rd < b - 280) {
                        f.add("8606", &id);
                    }
                    if rd >= from_ymd(2013, 4, 1)
                        && !in_list("referral_source", &e.text_of("ReferralSource"))
                    {
                        f.add("8866", &id);
                    }
                    if death.is_some_and(|d| rd > d) {
                        f.add("8555Q", &id);
                    }
                    if (rd < t_peer || rd < s) && !is_false(&nfa) {
                        f.add("8569Q", &id);
                    }
                }
            }
            if is_false(&nfa) && e.text_of("PrimaryNeedCode").is_none() {
                f.add("8610", &id);
            }
            if e.text_of("PrimaryNeedCode").is_some()
                && !in_list("primary_need", &e.text_of("PrimaryNeedCode"))
            {
                f.add("8650", &id);
            }
            if !nfa
                .as_deref()
                .map(str::to_ascii_lowercase)
                .is_some_and(|v| ["true", "false", "1", "0"].contains(&v.as_str()))
            {
                f.add("8568", &id);
            }
            if let Some(cd) = closure {
                if !in_period(cd) {
                    f.add("8620", &id);
                }
                if referral.is_some_and(|rd| cd < rd) {
                    f.add("8630", &id);
                }
                if reason.is_none() {
                    f.add("8805", &id);
                }
            } else if reason.is_some() {
                f.add("8810", &id);
            }
            if reason.is_some() && !in_list("reason_for_closure", &reason) {
                f.add("8640", &id);
            }
            if reason.as_deref() == Some("RC2") && death.is_none() {
                f.add("8585Q", &id);
            }
            let rc89 = matches!(reason.as_deref(), Some("RC8") | Some("RC9"));
            if rc89
                && (cin_icpc.is_some() || !s47s.is_empty() || !cpps.is_empty() || !plans.is_empty())
            {
                f.add("2990", &id);
            }
            if rc89 && assessments.is_empty() {
                f.add("8825Q", &id);
            }
            if nfa_true {
                if !plans.is_empty() {
                    f.add("4000", &id);
                }
                let activity = cin_icpc.is_some()
                    || s47s
                        .iter()
                        .any(|x| x.date_of("S47ActualStartDate").is_some())
                    || assessments.iter().any(|a| {
                        a.date_of("AssessmentActualStartDate").is_some()
                            || a.date_of("AssessmentAuthorisationDate").is_some()
                    });
                if activity {
                    f.add("8831", &id);
                }
                if !cpps.is_empty() {
                    f.add("8832", &id);
                }
            }
            if !s47s.is_empty() && assessments.is_empty() {
                f.add("2991Q", &id);
            }
            // 8565: activity after closure.
            if let Some(cd) = closure {
                let mut dates: Vec<Option<Day>> = vec![cin_icpc];
                for a in &assessments {
                    dates.push(a.date_of("AssessmentActualStartDate"));
                    dates.push(a.date_of("AssessmentAuthorisationDate"));
                }
                for x in &s47s {
                    dates.push(x.date_of("S47ActualStartDate"));
                    dates.push(x.date_of("DateOfInitialCPC"));
                }
                for p in &cpps {
                    dates.push(p.date_of("CPPendDate"));
                }
                for p in &plans {
                    dates.push(p.date_of("CINPlanStartDate"));
                    dates.push(p.date_of("CINPlanEndDate"));
                }
                if dates.iter().flatten().any(|&d| d > cd) {
                    f.add("8565", &id);
                }
            }
            // Assessments.
            let spans: Vec<(Option<Day>, Option<Day>)> = assessments
                .iter()
                .map(|a| {
                    (
                        a.date_of("AssessmentActualStartDate"),
                        a.date_of("AssessmentAuthorisationDate"),
                    )
                })
                .collect();
            if spans.iter().filter(|x| x.1.is_none()).count() > 1 {
                f.add("8896", &id);
            }
            for (i, a) in assessments.iter().enumerate() {
                let (start, auth) = spans[i];
                let factors: Vec<String> = a
                    .get("FactorsIdentifiedAtAssessment")
                    .map(|x| x.all("AssessmentFactors").map(|n| n.text.clone()).collect())
                    .unwrap_or_default();
                if let (Some(st), Some(rd)) = (start, referral) {
                    if st < rd {
                        f.add("1103", &id);
                    }
                }
                if let (Some(st), Some(au)) = (start, auth) {
                    if st > au {
                        f.add("8608", &id);
                    }
                }
                if auth.is_none() && !factors.is_empty() {
                    f.add("8614", &id);
                }
                if auth.is_some_and(|au| !in_period(au)) {
                    f.add("8696", &id);
                }
                if auth.is_none() {
                    if !start.is_some_and(in_period) {
                        f.add("8736", &id);
                    }
                    if start.is_some_and(|st| st < t45) {
                        f.add("8670Q", &id);
                    }
                    if closure.is_some() {
                        f.add("8867", &id);
                    }
                }
                for (j, b) in spans.iter().enumerate() {
                    if i == j || (spans[i].0 == b.0 && spans[i].1 == b.1) {
                        continue;
                    }
                    if let (Some(as_), Some(bs)) = (start, b.0) {
                        if as_ >= bs && as_ <= b.1.unwrap_or(r) {
                            f.add("8863Q", &id);
                        }
                    }
                }
                if factors.iter().any(|x| x == "21") && factors.len() > 1 {
                    f.add("8869", &id);
                }
                if assessments.len() == 1 && factors.iter().any(|x| x.contains("21")) && !rc89 {
                    f.add("8873Q", &id);
                }
                if auth.is_some_and(|au| au >= s) {
                    let valid = |x: &String| {
                        code_list("assessment_factor").unwrap().contains(x)
                            || x == "18A"
                            || x == "19A"
                    };
                    if factors.is_empty() || !factors.iter().all(valid) {
                        f.add("8897Q", &id);
                    }
                }
                let distinct: BTreeSet<&String> = factors.iter().collect();
                if distinct.len() != factors.len() {
                    f.add("8898", &id);
                }
                if factors.iter().any(|x| x.eq_ignore_ascii_case("18A")) {
                    f.add("8945Q", &id);
                }
                if factors.iter().any(|x| x.eq_ignore_ascii_case("19A")) {
                    f.add("8950Q", &id);
                }
            }
            // CIN plans within the episode.
            let pspans: Vec<(Option<Day>, Option<Day>)> = plans
                .iter()
                .map(|p| (p.date_of("CINPlanStartDate"), p.date_of("CINPlanEndDate")))
                .collect();
            if pspans.iter().filter(|p| p.1.is_none()).count() > 1 {
                f.add("4004", &id);
            }
            let open_cpp = cpps.iter().any(|p| p.date_of("CPPendDate").is_none());
            for (ps, pe) in &pspans {
                if open_cpp && ps.is_some() && pe.is_none() {
                    f.add("4001", &id);
                }
                if ps.is_none_or(|d| d > r) {
                    f.add("4010", &id);
                }
                if let (Some(a), Some(b)) = (ps, pe) {
                    if b < a {
                        f.add("4011", &id);
                    }
                    if a == b {
                        f.add("4012Q", &id);
                    }
                }
                if pe.is_some_and(|d| !in_period(d)) {
                    f.add("4013", &id);
                }
                if let (Some(a), Some(rd)) = (ps, referral) {
                    if *a < rd {
                        f.add("4015", &id);
                    }
                }
            }
            // Section 47.
            let sspans: Vec<(Option<Day>, Option<Day>, Option<String>)> = s47s
                .iter()
                .map(|x| {
                    (
                        x.date_of("S47ActualStartDate"),
                        x.date_of("DateOfInitialCPC"),
                        x.text_of("ICPCnotRequired"),
                    )
                })
                .collect();
            if sspans
                .iter()
                .filter(|x| x.1.is_none() && !is_true(&x.2))
                .count()
                > 1
            {
                f.add("8839", &id);
            }
            for (i, x) in s47s.iter().enumerate() {
                let (start, icpc, flag) = &sspans[i];
                if let (Some(ic), Some(rd)) = (icpc, referral) {
                    if ic < &rd {
                        f.add("1104", &id);
                    }
                }
                if let (Some(st), Some(rd)) = (start, referral) {
                    if st < &rd {
                        f.add("2889", &id);
                    }
                }
                if (start.is_some() && icpc.is_some() && start > icpc)
                    || (icpc.is_some() && start.is_none())
                {
                    f.add("8615", &id);
                }
                if icpc.is_none() && is_false(flag) && start.is_some_and(|st| st < t15) {
                    f.add("8675Q", &id);
                }
                if icpc.is_some_and(|d| !in_period(d)) {
                    f.add("8715", &id);
                }
                if icpc.is_none() && is_false(flag) && start.is_some_and(|st| !in_period(st)) {
                    f.add("8740", &id);
                }
                if x.date_of("InitialCPCtarget").is_some_and(is_weekend) {
                    f.add("8870Q", &id);
                }
                if icpc.is_some_and(is_weekend) {
                    f.add("8875", &id);
                }
                if closure.is_some()
                    && ((icpc.is_none() && !is_true(flag)) || (icpc.is_some() && is_true(flag)))
                {
                    f.add("8868", &id);
                }
                for (j, b) in sspans.iter().enumerate() {
                    if i == j || (sspans[i].0 == b.0 && sspans[i].1 == b.1) {
                        continue;
                    }
                    if let (Some(as_), Some(bs)) = (start, b.0) {
                        let upper = match b.1 {
                            Some(ic) => Some(ic),
                            None if !is_true(&b.2) => Some(r),
                            None => None,
                        };
                        if *as_ >= bs && upper.is_some_and(|u| *as_ <= u) {
                            f.add("8890", &id);
                        }
                    }
                }
                if icpc.is_some_and(in_period) {
                    s47_icpcs += 1;
                }
            }
            if cin_icpc.is_some_and(in_period) {
                cin_icpcs += 1;
            }
            // Child protection plans.
            let kept_s47: Vec<&(Option<Day>, Option<Day>, Option<String>)> = sspans
                .iter()
                .filter(|x| x.2.as_deref() != Some("1"))
                .collect();
            for p in &cpps {
                let start = p.date_of("CPPstartDate");
                let end = p.date_of("CPPendDate");
                if start.is_some_and(in_period) {
                    cpp_starts += 1;
                    let st = start.unwrap();
                    let matched = if kept_s47.is_empty() {
                        cin_icpc == Some(st)
                    } else {
                        kept_s47.iter().any(|x| x.1 == Some(st))
                    };
                    let matched_any =
                        cin_icpc == Some(st) || sspans.iter().any(|x| x.1 == Some(st));
                    if !matched || !matched_any {
                        f.add("2885", &id);
                    }
                }
                if let (Some(st), Some(rd)) = (start, referral) {
                    if st < rd {
                        f.add("1105", &id);
                    }
                }
                if start.is_none_or(|d| d > r) {
                    f.add("8720", &id);
                }
                let prev = p.text_of("NumberOfPreviousCPP");
                if prev
                    .as_deref()
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_none_or(|n| n < 0)
                {
                    f.add("8730", &id);
                }
                if let (Some(a), Some(b)) = (start, end) {
                    if a == b {
                        f.add("8840", &id);
                    }
                    if b < a {
                        f.add("8925", &id);
                    }
                }
                if end.is_some_and(|d| !in_period(d)) {
                    f.add("8930", &id);
                }
                if !in_list("category_of_abuse", &p.text_of("InitialCategoryOfAbuse")) {
                    f.add("8905", &id);
                }
                if !in_list("category_of_abuse", &p.text_of("LatestCategoryOfAbuse")) {
                    f.add("8910", &id);
                }
                for rv in p.all("Reviews") {
                    let dates: Vec<&Node> = rv.all("CPPreviewDate").collect();
                    if dates.is_empty() {
                        f.add("8842Q", &id);
                    }
                    for d in dates {
                        match parse_date(&d.text) {
                            None => f.add("8842Q", &id),
                            Some(dd) => {
                                if start.is_some_and(|st| dd <= st) {
                                    f.add("8841", &id);
                                }
                            }
                        }
                    }
                }
            }
            // Module 5.
            for pp in e.all("PreProceedingsandFGDM") {
                pp_blocks += 1;
                let st = pp.date_of("PPStartDate");
                if st.is_none() {
                    f.add("9000Q", &id);
                }
                if st.is_some_and(|d| !in_period(d)) {
                    f.add("9005", &id);
                }
                let lbp = pp.date_of("LBPSentDate");
                if lbp.is_some_and(|d| !in_period(d) || st.is_some_and(|s0| d < s0)) {
                    f.add("9006", &id);
                }
                if lbp.is_some() && pp.text_of("FGDMMeetingOffer").is_none() {
                    f.add("9007", &id);
                }
                let initial = pp.date_of("InitialPPMeetingDate");
                if initial.is_some_and(|d| !in_period(d)) {
                    f.add("9008", &id);
                }
                let step = pp.date_of("StepDecisionDate");
                if step.is_some_and(|d| !in_period(d) || st.is_some_and(|s0| d < s0)) {
                    f.add("9009", &id);
                }
                if is_true(&pp.text_of("FGDMMeetingOffer"))
                    && pp.text_of("FGDMMeetingFac").is_none()
                {
                    f.add("9010Q", &id);
                }
                let court = pp.date_of("CourtAppDate");
                if court.is_some_and(|d| !in_period(d) || step.is_some_and(|s0| d < s0)) {
                    f.add("9012", &id);
                }
                let letter = pp.date_of("LetterInitCPDate");
                if letter.is_some_and(|d| !in_period(d) || court.is_some_and(|s0| d < s0)) {
                    f.add("9013", &id);
                }
                if initial.is_some() && pp.text_of("ReviewMeetingsCount").is_none() {
                    f.add("9015Q", &id);
                }
            }
        }
    }
    // Return-level rules.
    if !children.is_empty() && uses_sex && no_sex as f64 / children.len() as f64 > 0.02 {
        f.add("2886Q", &none);
    }
    if distinct_disabilities.len() <= 7 || none_rows <= 7 {
        f.add("2887Q", &none);
    }
    if any_real_disability && max_per_child <= 1 {
        f.add("2888Q", &none);
    }
    if cpp_starts > cin_icpcs + s47_icpcs {
        f.add("2883", &none);
    }
    if year >= 2027 && pp_blocks == 0 {
        f.add("8995Q", &none);
    }
    f
}

// --- helpers ---------------------------------------------------------------------------------

fn opts(children: usize, seed: u64, la: &str, year: i32, defect_rate: f64) -> GenerateOptions {
    GenerateOptions {
        children,
        seed,
        la: la.to_string(),
        year: CollectionYear::new(year),
        defect_rate,
    }
}

fn generate(o: &GenerateOptions) -> (String, Vec<InjectedDefect>) {
    let mut out = Vec::new();
    let defects = write_census_xml(o, &mut out).expect("generate");
    (String::from_utf8(out).expect("utf-8"), defects)
}

// --- tests -------------------------------------------------------------------------------------

#[test]
fn same_seed_same_bytes() {
    let o = opts(300, 42, "873", 2026, 0.3);
    let (a, da) = generate(&o);
    let (b, db) = generate(&o);
    assert_eq!(a, b);
    assert_eq!(da, db);
}

#[test]
fn different_seed_different_output() {
    let (a, _) = generate(&opts(100, 1, "873", 2026, 0.0));
    let (b, _) = generate(&opts(100, 2, "873", 2026, 0.0));
    assert_ne!(a, b);
}

#[test]
fn child_count_and_well_formed() {
    for (n, year) in [(0usize, 2026), (1, 2025), (17, 2024), (250, 2027)] {
        let (xml, _) = generate(&opts(n, 7, "316", year, 0.2));
        let msg = parse_xml(&xml);
        assert_eq!(msg.name, "Message");
        let children = msg.get("Children").unwrap().all("Child").count();
        assert_eq!(children, n);
        assert_eq!(xml.matches("<Child>").count(), n);
        assert!(!xml.contains("\t"));
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message>\n  <Header>")
        );
        assert!(xml.contains(&format!("<ReferenceDate>{year}-03-31</ReferenceDate>")));
        assert!(xml.contains(&format!("<DateTime>{year}-04-01T09:00:00</DateTime>")));
    }
}

#[test]
fn upn_check_letters_are_valid() {
    let (xml, _) = generate(&opts(2000, 3, "919", 2026, 0.0));
    let msg = parse_xml(&xml);
    let mut n = 0;
    let mut seen = BTreeSet::new();
    for c in msg.get("Children").unwrap().all("Child") {
        let ci = c.get("ChildIdentifiers").unwrap();
        if let Some(u) = ci.text_of("UPN") {
            assert_eq!(upn_check_letter(&u), Some(u.chars().next().unwrap()), "{u}");
            assert!(code_list("la_code").unwrap().contains(&u[1..4]));
            assert!(seen.insert(u));
            n += 1;
        }
    }
    assert!(n > 1000, "most children have a UPN ({n})");
    // An LA code that is not valid in UPNs: UPNs use other listed codes.
    let (xml, _) = generate(&opts(200, 3, "999", 2026, 0.0));
    assert!(check(&xml).set.is_empty());
}

#[test]
fn defect_rate_zero_injects_nothing() {
    let (_, d) = generate(&opts(500, 11, "873", 2025, 0.0));
    assert!(d.is_empty());
}

#[test]
fn clean_files_break_no_rule() {
    for (year, seed, la, n) in [
        (2024, 1, "316", 3000),
        (2025, 2, "873", 3000),
        (2026, 3, "802", 3000),
        (2027, 4, "886", 2000),
        (2026, 5, "855", 200),
        (2025, 6, "941", 14),
    ] {
        let (xml, _) = generate(&opts(n, seed, la, year, 0.0));
        let f = check(&xml);
        let sample: Vec<_> = f.set.iter().take(20).collect();
        assert!(
            f.set.is_empty(),
            "year {year} seed {seed}: {:?}\n{sample:?}",
            f.rules()
        );
    }
}

#[test]
fn every_defect_hits_its_rule() {
    let mut missed = Vec::new();
    let mut kinds = BTreeSet::new();
    let mut total = 0;
    for (year, seed, la) in [
        (2024, 21, "316"),
        (2025, 22, "873"),
        (2026, 23, "802"),
        (2027, 24, "886"),
    ] {
        let (xml, defects) = generate(&opts(3000, seed, la, year, 0.5));
        let f = check(&xml);
        for d in &defects {
            total += 1;
            kinds.insert(d.kind.clone());
            if !f.set.contains(&(d.rule.clone(), d.child.clone())) {
                missed.push(format!("{year} {} {} {:?}", d.kind, d.rule, d.child));
            }
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {total} defects missed:\n{}",
        missed.len(),
        missed.join("\n")
    );
    let unused: Vec<_> = DEFECT_KINDS
        .iter()
        .filter(|(k, _)| !kinds.contains(*k))
        .collect();
    assert!(unused.is_empty(), "kinds never applied: {unused:?}");
}

#[test]
fn defect_records_name_real_children() {
    let (xml, defects) = generate(&opts(400, 9, "330", 2025, 1.0));
    assert!(defects.len() >= 390, "{}", defects.len());
    for d in &defects {
        let id = d.child.as_deref().unwrap();
        assert!(
            xml.contains(&format!(
                "<LAchildID>{}</LAchildID>",
                id.replace('&', "&amp;")
            )),
            "{id}"
        );
        assert!(DEFECT_KINDS
            .iter()
            .any(|(k, r)| *k == d.kind && *r == d.rule));
    }
}

#[test]
fn rejects_bad_options() {
    let mut sink = Vec::new();
    assert!(write_census_xml(&opts(1, 1, "87", 2026, 0.0), &mut sink).is_err());
    assert!(write_census_xml(&opts(1, 1, "873", 2026, 1.5), &mut sink).is_err());
}

#[test]
#[ignore]
fn throughput() {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len() as u64;
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let o = opts(700_000, 1, "873", 2026, 0.05);
    let t = std::time::Instant::now();
    let mut sink = Count(0);
    let d = write_census_xml(&o, &mut sink).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} bytes, {} defects, {:.2} s, {:.0} MB/s",
        sink.0,
        d.len(),
        secs,
        sink.0 as f64 / secs / 1e6
    );
}

/// Large sweep: `cargo test --release -p cinlint_generate sweep -- --ignored --nocapture`
#[test]
#[ignore]
fn sweep() {
    let mut bad = Vec::new();
    for year in [2023, 2024, 2025, 2026, 2027, 2028] {
        for seed in 100..104u64 {
            let (xml, _) = generate(&opts(25_000, seed, "873", year, 0.0));
            let f = check(&xml);
            if !f.set.is_empty() {
                bad.push(format!(
                    "{year} {seed}: {:?} {:?}",
                    f.rules(),
                    f.set.iter().take(5).collect::<Vec<_>>()
                ));
            }
            let (xml, defects) = generate(&opts(10_000, seed, "873", year, 0.6));
            let f = check(&xml);
            let missed: Vec<_> = defects
                .iter()
                .filter(|d| !f.set.contains(&(d.rule.clone(), d.child.clone())))
                .collect();
            if !missed.is_empty() {
                bad.push(format!("{year} {seed}: missed {missed:?}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
