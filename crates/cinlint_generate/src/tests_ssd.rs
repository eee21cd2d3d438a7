//! Tests of the SSD export: structure, determinism, agreement with the census XML of the same
//! options, and the own-check defect kinds (judged with the thresholds of the shared SSD sample).

use super::*;
use crate::dates::{from_ymd, Day};
use cinlint_model::code_lists::code_list;
use cinlint_model::CollectionYear;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }
    fn get<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        &row[self.col(name)]
    }
}

fn read_csv(path: &Path) -> Csv {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8(bytes).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut field = String::new();
    let mut record = Vec::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        if quoted {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(ch);
            }
        } else {
            match ch {
                '"' => quoted = true,
                ',' => record.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                _ => field.push(ch),
            }
        }
    }
    assert!(!quoted, "unterminated quote in {}", path.display());
    assert!(
        field.is_empty() && record.is_empty(),
        "last line of {} not terminated",
        path.display()
    );
    let header = records.remove(0);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(
            r.len(),
            header.len(),
            "{} line {}: field count",
            path.display(),
            i + 2
        );
    }
    Csv {
        header,
        rows: records,
    }
}

/// ISO, `dd/mm/yyyy` or SQL Server `yyyy-mm-dd 00:00:00.000`.
fn ssd_date(t: &str) -> Option<Day> {
    if t.is_empty() {
        return None;
    }
    let (y, m, d) = if t.as_bytes().get(2) == Some(&b'/') {
        (
            t[6..10].parse().ok()?,
            t[3..5].parse().ok()?,
            t[0..2].parse().ok()?,
        )
    } else {
        (
            t[0..4].parse().ok()?,
            t[5..7].parse().ok()?,
            t[8..10].parse().ok()?,
        )
    };
    chrono::NaiveDate::from_ymd_opt(y, m, d).map(crate::dates::from_naive)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cinlint-generate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn opts(children: usize, seed: u64, la: &str, year: i32, defect_rate: f64) -> GenerateOptions {
    GenerateOptions {
        children,
        seed,
        la: la.to_string(),
        year: CollectionYear::new(year),
        defect_rate,
    }
}

fn load(dir: &Path) -> BTreeMap<String, Csv> {
    ssd::table_names()
        .map(|t| (t.to_string(), read_csv(&dir.join(format!("{t}.csv")))))
        .collect()
}

#[test]
fn ssd_headers_match_the_shared_sample() {
    let dir = temp_dir("headers");
    write_ssd_export(&opts(30, 1, "919", 2026, 0.0), &dir).unwrap();
    let sample = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo"))
        .join("../../../shared/conformance/ssd/s3001_la919_n400");
    let tables = load(&dir);
    assert_eq!(tables.len(), 20);
    if sample.is_dir() {
        for (name, csv) in &tables {
            let theirs = read_csv(&sample.join(format!("{name}.csv")));
            assert_eq!(csv.header, theirs.header, "{name}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ssd_is_deterministic() {
    let (a, b) = (temp_dir("det-a"), temp_dir("det-b"));
    let o = opts(150, 5, "873", 2026, 0.3);
    let da = write_ssd_export(&o, &a).unwrap();
    let db = write_ssd_export(&o, &b).unwrap();
    assert_eq!(da, db);
    for t in ssd::table_names() {
        let f = format!("{t}.csv");
        assert_eq!(
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
            "{f}"
        );
    }
    let c = temp_dir("det-c");
    write_ssd_export(&opts(150, 6, "873", 2026, 0.3), &c).unwrap();
    assert_ne!(
        std::fs::read(a.join("ssd_cin_episodes.csv")).unwrap(),
        std::fs::read(c.join("ssd_cin_episodes.csv")).unwrap()
    );
    for d in [a, b, c] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

/// Keys unique, foreign keys resolve, one person per child with the census LAchildID, and the
/// records in scope of the census period are exactly those of the census XML.
#[test]
fn ssd_is_linked_and_agrees_with_the_census() {
    for (year, seed) in [(2025, 11u64), (2026, 12)] {
        let o = opts(600, seed, "802", year, 0.0);
        let dir = temp_dir(&format!("link-{year}"));
        write_ssd_export(&o, &dir).unwrap();
        let t = load(&dir);
        let key_of = |table: &str, col: &str| -> BTreeSet<String> {
            let csv = &t[table];
            let keys: Vec<String> = csv
                .rows
                .iter()
                .map(|r| csv.get(r, col).to_string())
                .collect();
            let set: BTreeSet<String> = keys.iter().cloned().collect();
            assert_eq!(set.len(), keys.len(), "{table}.{col} unique");
            assert!(!set.contains(""), "{table}.{col} never blank");
            set
        };
        let persons = key_of("ssd_person", "pers_person_id");
        let referrals = key_of("ssd_cin_episodes", "cine_referral_id");
        let assessments = key_of("ssd_cin_assessments", "cina_assessment_id");
        let plans = key_of("ssd_cin_plans", "cinp_cin_plan_id");
        let s47s = key_of("ssd_s47_enquiry", "s47e_s47_enquiry_id");
        let icpcs = key_of("ssd_initial_cp_conference", "icpc_icpc_id");
        let cpps = key_of("ssd_cp_plans", "cppl_cp_plan_id");
        for (table, col) in [
            ("ssd_cin_visits", "cinv_cin_visit_id"),
            ("ssd_cp_reviews", "cppr_cp_review_id"),
            ("ssd_cla_episodes", "clae_cla_episode_id"),
            ("ext_cin_reviews", "cinr_cin_review_id"),
            ("ssd_disability", "disa_table_id"),
            ("ssd_assessment_factors", "cinf_table_id"),
        ] {
            key_of(table, col);
        }
        assert_eq!(persons.len(), 600);
        let fk = |table: &str, col: &str, keys: &BTreeSet<String>, optional: bool| {
            let csv = &t[table];
            for r in &csv.rows {
                let v = csv.get(r, col);
                assert!(
                    (optional && v.is_empty()) || keys.contains(v),
                    "{table}.{col} = `{v}` dangles"
                );
            }
        };
        for (table, col) in [
            ("ssd_disability", "disa_person_id"),
            ("ssd_cin_episodes", "cine_person_id"),
            ("ssd_cin_assessments", "cina_person_id"),
            ("ssd_cin_plans", "cinp_person_id"),
            ("ssd_cin_visits", "cinv_person_id"),
            ("ssd_s47_enquiry", "s47e_person_id"),
            ("ssd_initial_cp_conference", "icpc_person_id"),
            ("ssd_cp_plans", "cppl_person_id"),
            ("ssd_cp_reviews", "cppr_person_id"),
            ("ssd_cla_episodes", "clae_person_id"),
            ("ext_cin_reviews", "cinr_person_id"),
            ("ext_household", "hous_person_id"),
            ("ssd_family", "fami_person_id"),
            ("ssd_mother", "moth_person_id"),
            ("ssd_mother", "moth_childs_person_id"),
        ] {
            fk(table, col, &persons, false);
        }
        fk("ssd_cin_assessments", "cina_referral_id", &referrals, false);
        fk(
            "ssd_assessment_factors",
            "cinf_assessment_id",
            &assessments,
            false,
        );
        fk("ssd_cin_plans", "cinp_referral_id", &referrals, false);
        fk("ext_cin_reviews", "cinr_cin_plan_id", &plans, false);
        fk("ssd_s47_enquiry", "s47e_referral_id", &referrals, false);
        fk(
            "ssd_initial_cp_conference",
            "icpc_s47_enquiry_id",
            &s47s,
            true,
        );
        fk("ssd_initial_cp_conference", "icpc_cp_plan_id", &cpps, true);
        fk("ssd_cp_plans", "cppl_icpc_id", &icpcs, true);
        fk("ssd_cp_plans", "cppl_referral_id", &referrals, false);
        fk("ssd_cp_reviews", "cppr_cp_plan_id", &cpps, false);

        // In scope of the census period (la-export.md §4.2): the same counts as the XML.
        let cy = CollectionYear::new(year);
        let (s, r) = (
            crate::dates::from_naive(cy.period_start()),
            crate::dates::from_naive(cy.reference_date()),
        );
        let in_scope = |start: Option<Day>, end: Option<Day>| {
            start.is_some_and(|d| d <= r) && end.is_none_or(|d| d >= s)
        };
        let mut ssd_counts: BTreeMap<(String, &str), usize> = BTreeMap::new();
        let episodes = &t["ssd_cin_episodes"];
        let mut episode_person: HashMap<String, (String, bool)> = HashMap::new();
        for row in &episodes.rows {
            let scoped = in_scope(
                ssd_date(episodes.get(row, "cine_referral_date")),
                ssd_date(episodes.get(row, "cine_close_date")),
            );
            let person = episodes.get(row, "cine_person_id").to_string();
            episode_person.insert(
                episodes.get(row, "cine_referral_id").to_string(),
                (person.clone(), scoped),
            );
            if scoped {
                *ssd_counts.entry((person, "CINdetails")).or_default() += 1;
            }
        }
        for (table, start, end, name) in [
            (
                "ssd_cin_assessments",
                "cina_assessment_start_date",
                "cina_assessment_auth_date",
                "Assessments",
            ),
            (
                "ssd_cin_plans",
                "cinp_cin_plan_start_date",
                "cinp_cin_plan_end_date",
                "CINPlanDates",
            ),
            (
                "ssd_s47_enquiry",
                "s47e_s47_start_date",
                "s47e_s47_end_date",
                "Section47",
            ),
            (
                "ssd_cp_plans",
                "cppl_cp_plan_start_date",
                "cppl_cp_plan_end_date",
                "ChildProtectionPlans",
            ),
        ] {
            let csv = &t[table];
            let link = csv
                .header
                .iter()
                .find(|h| h.ends_with("_referral_id"))
                .unwrap()
                .clone();
            for row in &csv.rows {
                let (person, scoped) = &episode_person[csv.get(row, &link)];
                if *scoped && in_scope(ssd_date(csv.get(row, start)), ssd_date(csv.get(row, end))) {
                    *ssd_counts.entry((person.clone(), name)).or_default() += 1;
                }
            }
        }
        let mut xml = Vec::new();
        write_census_xml(&o, &mut xml).unwrap();
        let xml = String::from_utf8(xml).unwrap();
        let mut xml_counts: BTreeMap<(String, &str), usize> = BTreeMap::new();
        for child in xml.split("<Child>").skip(1) {
            let id = child
                .split("<LAchildID>")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string();
            assert!(persons.contains(&id), "{id} is a person");
            for name in [
                "CINdetails",
                "Assessments",
                "CINPlanDates",
                "Section47",
                "ChildProtectionPlans",
            ] {
                let n = child.matches(&format!("<{name}>")).count();
                if n > 0 {
                    xml_counts.insert((id.clone(), name), n);
                }
            }
        }
        assert_eq!(ssd_counts, xml_counts, "year {year}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The own-check defect kinds, judged as the shared sample's README describes them.
fn own_findings(dir: &Path, r: Day) -> BTreeSet<(String, String)> {
    let t = load(dir);
    let mut out = BTreeSet::new();
    let mut add = |kind: &str, person: &str| {
        out.insert((kind.to_string(), person.to_string()));
    };
    let persons = &t["ssd_person"];
    let dob: HashMap<&str, Option<Day>> = persons
        .rows
        .iter()
        .map(|row| {
            (
                persons.get(row, "pers_person_id"),
                ssd_date(persons.get(row, "pers_dob")),
            )
        })
        .collect();
    let episodes = &t["ssd_cin_episodes"];
    let nfa: HashMap<&str, bool> = episodes
        .rows
        .iter()
        .map(|row| {
            (
                episodes.get(row, "cine_referral_id"),
                episodes.get(row, "cine_referral_nfa") == "Y",
            )
        })
        .collect();
    let plans_csv = &t["ssd_cin_plans"];
    struct P<'a> {
        id: &'a str,
        person: &'a str,
        start: Day,
        end: Option<Day>,
        referral: &'a str,
    }
    let plans: Vec<P> = plans_csv
        .rows
        .iter()
        .map(|row| P {
            id: plans_csv.get(row, "cinp_cin_plan_id"),
            person: plans_csv.get(row, "cinp_person_id"),
            start: ssd_date(plans_csv.get(row, "cinp_cin_plan_start_date")).unwrap(),
            end: ssd_date(plans_csv.get(row, "cinp_cin_plan_end_date")),
            referral: plans_csv.get(row, "cinp_referral_id"),
        })
        .collect();
    let open_at_r = |p: &P| p.start <= r && p.end.is_none_or(|e| e > r);
    // SES.
    let house = &t["ext_household"];
    let mut rows_of: HashMap<&str, Vec<Vec<&str>>> = HashMap::new();
    for row in &house.rows {
        rows_of
            .entry(house.get(row, "hous_person_id"))
            .or_default()
            .push(row[2..].iter().map(String::as_str).collect());
    }
    for p in plans.iter().filter(|p| open_at_r(p)) {
        let informative = rows_of
            .get(p.person)
            .is_some_and(|rows| rows.iter().any(|v| v.iter().any(|x| !x.is_empty())));
        if !informative {
            add("ses_missing", p.person);
        }
    }
    for (person, rows) in &rows_of {
        if rows.iter().any(|v| v.iter().all(|x| *x == "U")) {
            add("ses_unknown", person);
        }
    }
    // Reviews and visits.
    let reviews = &t["ext_cin_reviews"];
    let mut held: HashMap<&str, Vec<Day>> = HashMap::new();
    for row in &reviews.rows {
        let person = reviews.get(row, "cinr_person_id");
        let date = ssd_date(reviews.get(row, "cinr_review_date"));
        let due = ssd_date(reviews.get(row, "cinr_review_due_date"));
        match date {
            Some(d) => {
                held.entry(reviews.get(row, "cinr_cin_plan_id"))
                    .or_default()
                    .push(d);
                if reviews.get(row, "cinr_review_document_ref").is_empty() {
                    add("review_no_paperwork", person);
                }
            }
            None => {
                if due.is_some_and(|d| d <= r - 15) {
                    add("review_overdue", person);
                }
            }
        }
    }
    let visits = &t["ssd_cin_visits"];
    let mut visits_of: HashMap<&str, Vec<Day>> = HashMap::new();
    for row in &visits.rows {
        visits_of
            .entry(visits.get(row, "cinv_person_id"))
            .or_default()
            .push(ssd_date(visits.get(row, "cinv_cin_visit_date")).unwrap());
    }
    for p in plans.iter().filter(|p| open_at_r(p)) {
        if p.start <= r - 130
            && !held
                .get(p.id)
                .is_some_and(|v| v.iter().any(|&d| d > r - 126 && d <= r))
        {
            add("review_absent", p.person);
        }
        let last_visit = visits_of
            .get(p.person)
            .and_then(|v| v.iter().copied().filter(|&d| d >= p.start && d <= r).max());
        if p.start <= r - 100 && last_visit.is_none_or(|d| d <= r - 100) {
            add("visit_gap", p.person);
        }
    }
    // Plans: overlaps and durations.
    let cpps = &t["ssd_cp_plans"];
    let cla = &t["ssd_cla_episodes"];
    let spells = |csv: &Csv, person_col: &str, start: &str, end: &str| -> Vec<(String, Day, Day)> {
        csv.rows
            .iter()
            .filter_map(|row| {
                let s = ssd_date(csv.get(row, start))?;
                Some((
                    csv.get(row, person_col).to_string(),
                    s,
                    ssd_date(csv.get(row, end)).unwrap_or(r),
                ))
            })
            .collect()
    };
    let cp_spells = spells(
        cpps,
        "cppl_person_id",
        "cppl_cp_plan_start_date",
        "cppl_cp_plan_end_date",
    );
    let cla_spells = spells(
        cla,
        "clae_person_id",
        "clae_cla_episode_start_date",
        "clae_cla_episode_ceased_date",
    );
    for p in &plans {
        let end = p.end.unwrap_or(r);
        if cp_spells
            .iter()
            .any(|(who, s, e)| who == p.person && p.start <= *e && *s <= end)
        {
            add("cin_cp_overlap", p.person);
        }
        if cla_spells
            .iter()
            .any(|(who, s, e)| who == p.person && p.start <= *e && *s <= end)
        {
            add("cin_cla_overlap", p.person);
        }
        if nfa[p.referral] {
            add("plan_on_nfa_referral", p.person);
        }
        if p.end.is_some_and(|e| e < p.start) {
            add("duration_negative", p.person);
        }
        if open_at_r(p) && r - p.start > 1400 {
            add("duration_extreme", p.person);
        }
        if dob[p.person].is_some_and(|b| p.start < b) {
            add("duration_exceeds_age", p.person);
        }
    }
    // DfE kinds checked straight on the export.
    for row in &persons.rows {
        let eth = persons.get(row, "pers_ethnicity").to_string();
        if !code_list("ethnicity").unwrap().contains(&eth) {
            add("ethnicity_invalid", persons.get(row, "pers_person_id"));
        }
    }
    out
}

#[test]
fn ssd_clean_export_keeps_clear_of_every_own_check() {
    for (year, seed) in [(2026, 31u64), (2025, 32)] {
        let dir = temp_dir(&format!("clean-{year}"));
        write_ssd_export(&opts(1500, seed, "919", year, 0.0), &dir).unwrap();
        let found = own_findings(&dir, from_ymd(year, 3, 31));
        assert!(
            found.is_empty(),
            "{:?}",
            found.iter().take(20).collect::<Vec<_>>()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn ssd_own_check_defects_are_found() {
    let dir = temp_dir("defects");
    let defects = write_ssd_export(&opts(3000, 41, "919", 2026, 0.5), &dir).unwrap();
    let found = own_findings(&dir, from_ymd(2026, 3, 31));
    let mut kinds = BTreeSet::new();
    let mut missed = Vec::new();
    for d in &defects {
        kinds.insert(d.kind.as_str());
        let judged = ["SES", "REV", "PLN", "DUR"].contains(&d.rule.as_str())
            || d.kind == "ethnicity_invalid";
        if judged && !found.contains(&(d.kind.clone(), d.child.clone().unwrap())) {
            missed.push(format!("{} {:?}", d.kind, d.child));
        }
    }
    assert!(missed.is_empty(), "{missed:?}");
    let unused: Vec<_> = ssd::SSD_DEFECTS
        .iter()
        .filter(|(k, _)| !kinds.contains(k))
        .collect();
    assert!(unused.is_empty(), "never applied: {unused:?}");
    // Every own-check finding belongs to an injected defect of that kind.
    let injected: BTreeSet<(String, String)> = defects
        .iter()
        .map(|d| (d.kind.clone(), d.child.clone().unwrap()))
        .collect();
    let stray: Vec<_> = found.difference(&injected).collect();
    let counts: BTreeMap<&str, usize> = stray.iter().fold(BTreeMap::new(), |mut m, (k, _)| {
        *m.entry(k.as_str()).or_default() += 1;
        m
    });
    assert!(
        stray.len() * 20 <= defects.len(),
        "stray findings {counts:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
