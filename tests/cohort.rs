//! `cinlint cohort` on the sample return and the shared SSD sample: the groups sum to the children
//! counted, and the child-protection group matches a count made here from the raw files.

mod common;

use common::{run, stderr, stdout};
use std::collections::{BTreeSet, HashMap};

fn cohort_json(input: &str) -> serde_json::Value {
    let out = run(&["cohort", input, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(stdout(&out).trim()).expect("one JSON object")
}

fn sum_of_groups(v: &serde_json::Value) -> u64 {
    ["cp_plan", "looked_after", "cin_plan", "other_cin", "closed"].iter().filter_map(|k| v[*k].as_u64()).sum()
}

/// A date written YYYY-MM-DD or DD/MM/YYYY (the SSD sample uses both), as a comparable number.
fn date(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.split([' ', 'T']).next()?;
    let parts: Vec<&str> = t.split(['-', '/']).collect();
    if parts.len() != 3 {
        return None;
    }
    let (y, m, d) = if parts[0].len() == 4 { (parts[0], parts[1], parts[2]) } else { (parts[2], parts[1], parts[0]) };
    Some(y.parse::<u32>().ok()? * 10_000 + m.parse::<u32>().ok()? * 100 + d.parse::<u32>().ok()?)
}

/// Rows of a CSV file as maps (quoted fields may hold commas and doubled quotes).
fn csv(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut records: Vec<Vec<String>> = Vec::new();
    let (mut field, mut record, mut quoted) = (String::new(), Vec::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            ('\r', false) => {}
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let header = records.remove(0);
    records.into_iter().map(|r| header.iter().cloned().zip(r).collect()).collect()
}

#[test]
fn sample_return_groups_sum_and_cp_group_matches() {
    let path = common::repo().join("sample-data/sample-2025-26-la201.xml");
    let v = cohort_json(path.to_str().unwrap());
    let children = v["children"].as_u64().unwrap();
    assert_eq!(sum_of_groups(&v), children);
    assert!(v["looked_after"].is_null(), "a census XML holds no looked-after episodes");
    let r = date(v["reference_date"].as_str().unwrap()).unwrap();
    // Independent count: children with a child protection plan open on R (the first group).
    let xml = std::fs::read_to_string(&path).unwrap();
    let tag = |block: &str, name: &str| -> Option<u32> {
        let open = format!("<{name}>");
        let start = block.find(&open)? + open.len();
        date(&block[start..start + block[start..].find('<')?])
    };
    let blocks: Vec<&str> = xml.split("<Child>").skip(1).collect();
    assert_eq!(blocks.len() as u64, children);
    let on_cp = blocks
        .iter()
        .filter(|child| {
            child.split("<ChildProtectionPlans>").skip(1).any(|plan| {
                let plan = &plan[..plan.find("</ChildProtectionPlans>").unwrap()];
                tag(plan, "CPPstartDate").is_some_and(|s| s <= r) && tag(plan, "CPPendDate").is_none_or(|e| e > r)
            })
        })
        .count() as u64;
    assert_eq!(v["cp_plan"].as_u64(), Some(on_cp));

    // The text table names every group and the CIN-plan explanation.
    let out = run(&["cohort", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for label in ["on a child protection plan", "on a CIN plan", "other child in need", "closed or NFA", "total", "shown on its own"] {
        assert!(text.contains(label), "{label} missing from:\n{text}");
    }
}

#[test]
fn ssd_sample_groups_sum_and_cp_group_matches() {
    let dir = common::conformance_dir().join("ssd/s3001_la919_n400");
    let v = cohort_json(dir.to_str().unwrap());
    let children = v["children"].as_u64().unwrap();
    assert_eq!(sum_of_groups(&v), children);
    assert!(v["looked_after"].as_u64().is_some(), "the sample supplies ssd_cla_episodes");
    let r = date(v["reference_date"].as_str().unwrap()).unwrap();
    assert_eq!(r % 10_000, 331, "reference dates are 31 March");
    let s = (r / 10_000 - 1) * 10_000 + 401; // S = R − 1 year + 1 day: 1 April of the year before
    // Census children: people with an episode open during the period.
    let census: BTreeSet<String> = csv(&dir.join("ssd_cin_episodes.csv"))
        .iter()
        .filter(|e| {
            date(&e["cine_referral_date"]).is_some_and(|d| d <= r) && date(&e["cine_close_date"]).is_none_or(|c| c >= s)
        })
        .map(|e| e["cine_person_id"].clone())
        .collect();
    assert_eq!(census.len() as u64, children);
    // Independent count: census children with a child protection plan open on R.
    let on_cp: BTreeSet<String> = csv(&dir.join("ssd_cp_plans.csv"))
        .iter()
        .filter(|p| {
            census.contains(&p["cppl_person_id"])
                && date(&p["cppl_cp_plan_start_date"]).is_some_and(|d| d <= r)
                && date(&p["cppl_cp_plan_end_date"]).is_none_or(|e| e > r)
        })
        .map(|p| p["cppl_person_id"].clone())
        .collect();
    assert_eq!(v["cp_plan"].as_u64(), Some(on_cp.len() as u64));
    // Looked after on R and not on a CP plan (the second group).
    let looked_after: BTreeSet<String> = csv(&dir.join("ssd_cla_episodes.csv"))
        .iter()
        .filter(|e| {
            census.contains(&e["clae_person_id"])
                && !on_cp.contains(&e["clae_person_id"])
                && date(&e["clae_cla_episode_start_date"]).is_some_and(|d| d <= r)
                && date(&e["clae_cla_episode_ceased_date"]).is_none_or(|c| c > r)
        })
        .map(|e| e["clae_person_id"].clone())
        .collect();
    assert_eq!(v["looked_after"].as_u64(), Some(looked_after.len() as u64));
}
