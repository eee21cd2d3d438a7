//! Counting: one pass over each scored column, then the roll-up.

use crate::config::{Condition, FieldDef, Format, ScoreConfig};
use crate::report::{ChildDistribution, FieldScore, ModuleScore, Report, Status};
use crate::ScoreError;
use arrow::array::{Array, AsArray, Date32Array, Int32Array, RecordBatch, UInt32Array};
use arrow::datatypes::{Int32Type, UInt32Type};
use cinlint_ingest::columns::Column;
use cinlint_ingest::CensusData;
use cinlint_model::code_lists::upn_check_letter;
use cinlint_model::schema::{self, TableDef};
use std::collections::{HashMap, HashSet};

/// What one value counts as. Ordered so that the best of several rows is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Count {
    Blank,
    Invalid,
    Unknown,
    Valid,
}

/// The column `column` of `table`, which the scored data must have.
fn column_of<'a>(batch: &'a RecordBatch, table: &TableDef, column: &str) -> Result<Column<'a>, ScoreError> {
    match Column::of(batch, column) {
        Ok(Some(values)) => Ok(values),
        Ok(None) => Err(ScoreError::Input(format!("table `{}` has no column `{column}`", table.name))),
        Err(e) => Err(ScoreError::Input(format!("`{}.{}` has an unexpected type {}", table.name, e.column, e.data_type))),
    }
}

/// Text, when the column is text and holds something other than blanks.
fn nonblank_text<'a>(values: &Column<'a>, i: usize) -> Option<&'a str> {
    values.text(i).filter(|t| !t.trim().is_empty())
}

/// Whether the row holds something: text other than blanks, a value, or text that did not parse.
fn present(values: &Column<'_>, i: usize) -> bool {
    match values {
        Column::Text(_) => nonblank_text(values, i).is_some(),
        _ => values.has_value_or_unparsed(i),
    }
}

fn equals(values: &Column<'_>, i: usize, value: &toml::Value) -> bool {
    match (values, value) {
        (Column::Text(_), toml::Value::String(s)) => nonblank_text(values, i) == Some(s.as_str()),
        (Column::Bool(a, _), toml::Value::Boolean(b)) => a.is_valid(i) && a.value(i) == *b,
        (Column::Int(a, _), toml::Value::Integer(n)) => a.is_valid(i) && a.value(i) == *n,
        (Column::Ordinal(a), toml::Value::Integer(n)) => a.is_valid(i) && i64::from(a.value(i)) == *n,
        _ => false,
    }
}

/// A condition with its columns resolved.
enum Test<'a> {
    Present(Column<'a>),
    Blank(Column<'a>),
    Equals(Column<'a>, toml::Value),
    InPeriod(&'a Date32Array, i32, i32),
    ChildHas(&'a UInt32Array, HashSet<u32>),
    Not(Box<Test<'a>>),
    All(Vec<Test<'a>>),
    Any(Vec<Test<'a>>),
}

impl Test<'_> {
    fn holds(&self, i: usize) -> bool {
        match self {
            Test::Present(v) => present(v, i),
            Test::Blank(v) => !present(v, i),
            Test::Equals(v, value) => equals(v, i, value),
            Test::InPeriod(a, from, to) => a.is_valid(i) && (*from..=*to).contains(&a.value(i)),
            Test::ChildHas(keys, set) => set.contains(&keys.value(i)),
            Test::Not(t) => !t.holds(i),
            Test::All(ts) => ts.iter().all(|t| t.holds(i)),
            Test::Any(ts) => ts.iter().any(|t| t.holds(i)),
        }
    }
}

/// The census period as Date32 days: (period start, as-of date).
type Period = Option<(i32, i32)>;

fn compile<'a>(cond: &Condition, data: &'a CensusData, table: &TableDef, batch: &'a RecordBatch, period: Period) -> Result<Test<'a>, ScoreError> {
    Ok(match cond {
        Condition::Present(c) => Test::Present(column_of(batch, table, c)?),
        Condition::Blank(c) => Test::Blank(column_of(batch, table, c)?),
        Condition::Equals(c, v) => Test::Equals(column_of(batch, table, c)?, v.clone()),
        Condition::InPeriod(c) => {
            let (from, to) = period.ok_or(ScoreError::NoReferenceDate)?;
            let Column::Date(a, _) = column_of(batch, table, c)? else {
                return Err(ScoreError::Input(format!("`{}.{c}` is not a date column", table.name)));
            };
            Test::InPeriod(a, from, to)
        }
        Condition::ChildHas(other) => {
            let keys = child_keys(batch, table)?;
            let set = match data.table(other.name) {
                Some(t) => child_keys(&t.batch, other)?.values().iter().copied().collect(),
                None => HashSet::new(),
            };
            Test::ChildHas(keys, set)
        }
        Condition::Not(c) => Test::Not(Box::new(compile(c, data, table, batch, period)?)),
        Condition::All(cs) => Test::All(cs.iter().map(|c| compile(c, data, table, batch, period)).collect::<Result<_, _>>()?),
        Condition::Any(cs) => Test::Any(cs.iter().map(|c| compile(c, data, table, batch, period)).collect::<Result<_, _>>()?),
    })
}

fn child_keys<'a>(batch: &'a RecordBatch, table: &TableDef) -> Result<&'a UInt32Array, ScoreError> {
    batch
        .column_by_name(schema::CHILD_KEY)
        .and_then(|c| c.as_primitive_opt::<UInt32Type>())
        .ok_or_else(|| ScoreError::Input(format!("table `{}` has no child_key", table.name)))
}

/// How one field judges a value.
struct Judge<'a> {
    field: &'a FieldDef,
    valid: HashSet<&'a str>,
    unknown: HashSet<&'a str>,
}

impl<'a> Judge<'a> {
    fn new(field: &'a FieldDef) -> Self {
        let mut valid: HashSet<&str> = field.values.iter().map(String::as_str).collect();
        for list in &field.code_lists {
            valid.extend(list.codes.iter().copied());
        }
        Judge { field, valid, unknown: field.unknown.iter().map(|u| u.value.as_str()).collect() }
    }

    fn text(&self, text: &str) -> Count {
        if self.field.unknown_column.is_none() && self.unknown.contains(text) {
            return Count::Unknown;
        }
        let unchecked = self.valid.is_empty() && self.field.format.is_none();
        let ok = unchecked || self.valid.contains(text) || self.field.format.is_some_and(|f| format_ok(f, text));
        if ok {
            Count::Valid
        } else {
            Count::Invalid
        }
    }

    fn row(&self, values: &Column<'_>, unknown_column: Option<&Column<'_>>, i: usize) -> Count {
        let own = match values {
            Column::Text(_) => nonblank_text(values, i).map_or(Count::Blank, |text| self.text(text)),
            _ if values.has_value(i) => Count::Valid,
            _ if values.unparsed(i).is_some() => Count::Invalid,
            _ => Count::Blank,
        };
        match (own, unknown_column) {
            (Count::Blank, Some(reasons)) => match nonblank_text(reasons, i) {
                None => Count::Blank,
                Some(r) if self.unknown.contains(r) => Count::Unknown,
                Some(_) => Count::Invalid,
            },
            _ => own,
        }
    }
}

fn format_ok(format: Format, text: &str) -> bool {
    match format {
        Format::Upn => upn_ok(text),
    }
}

/// A UPN of the right shape (rules 1540/1550), LA code (1530) and check letter (1510; for a
/// temporary UPN the final letter counts with its place in the check-letter table).
fn upn_ok(upn: &str) -> bool {
    let la = upn.get(1..4);
    let la_ok = la.is_some_and(|la| cinlint_model::code_lists::code_list("la_code").is_some_and(|l| l.contains(la)));
    la_ok && upn_check_letter(upn).is_some_and(|c| upn.starts_with(c))
}

/// Counts for one child and field.
#[derive(Clone, Copy, Default)]
struct ChildCounts {
    applicable: u32,
    valid: u32,
    unknown: u32,
}

/// Scores `data` under one profile of `config`.
pub fn score(data: &CensusData, config: &ScoreConfig, profile: &str) -> Result<Report, ScoreError> {
    score_inner(data, config, profile, false)
}

/// As [`score`], also keeping each child's field scores in [`Report::child_fields`] (for
/// explaining a score; it costs memory on large inputs).
pub fn score_with_child_detail(data: &CensusData, config: &ScoreConfig, profile: &str) -> Result<Report, ScoreError> {
    score_inner(data, config, profile, true)
}

fn score_inner(data: &CensusData, config: &ScoreConfig, profile: &str, detail: bool) -> Result<Report, ScoreError> {
    let modules = config.profile(profile).ok_or_else(|| ScoreError::UnknownProfile {
        profile: profile.to_string(),
        known: config.profile_names().join(", "),
    })?;
    let children = data.children;
    let period = match data.reference_date() {
        Some(r) => {
            let as_of = data.extract_date.map_or(r, |d| d.min(r));
            let day = cinlint_ingest::values::date_to_days;
            Some((day(cinlint_model::calendar::period_start_for(r)), day(as_of)))
        }
        None if ScoreConfig::needs_period(&modules) => return Err(ScoreError::NoReferenceDate),
        None => None,
    };
    let credit = config.unknown_credit;
    let mut child_sum = vec![0.0f64; children];
    let mut child_weight = vec![0.0f64; children];
    let mut per_child = vec![ChildCounts::default(); children];
    let mut touched: Vec<u32> = Vec::new();
    let mut not_supplied: Vec<String> = Vec::new();
    let mut child_fields: Vec<Vec<(String, f64)>> = if detail { vec![Vec::new(); children] } else { Vec::new() };

    let mut module_scores = Vec::new();
    for module in &modules {
        let mut fields = Vec::new();
        for field in &module.fields {
            let supplied = [Some(field.table), field.from].into_iter().flatten().find(|t| !data.supplies(t.name));
            if let Some(missing) = supplied {
                if !not_supplied.iter().any(|t| t == missing.name) {
                    not_supplied.push(missing.name.to_string());
                }
                fields.push(FieldScore::new(field, Status::NotSupplied, [0; 5], None));
                continue;
            }
            let counts = count_field(data, field, period, &mut per_child, &mut touched)?;
            for key in touched.drain(..) {
                let c = std::mem::take(&mut per_child[key as usize]);
                if c.applicable > 0 {
                    let s = (f64::from(c.valid) + credit * f64::from(c.unknown)) / f64::from(c.applicable) * 100.0;
                    child_sum[key as usize] += field.weight * s;
                    child_weight[key as usize] += field.weight;
                    if detail {
                        child_fields[key as usize].push((field.id.clone(), s));
                    }
                }
            }
            let [applicable, valid, unknown, ..] = counts;
            let score = (applicable > 0).then(|| (valid as f64 + credit * unknown as f64) / applicable as f64 * 100.0);
            let status = if score.is_some() { Status::Scored } else { Status::NotApplicable };
            fields.push(FieldScore::new(field, status, counts, score));
        }
        module_scores.push(ModuleScore::new(module, fields));
    }

    let la = crate::report::weighted_mean(module_scores.iter().map(|m| (m.weight, m.exact)));
    let child_scores: Vec<Option<f64>> =
        child_sum.iter().zip(&child_weight).map(|(s, w)| (*w > 0.0).then(|| s / w)).collect();
    let mut ranked: Vec<(f64, usize)> = child_scores.iter().enumerate().filter_map(|(k, s)| s.map(|s| (s, k))).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let lowest_keys: Vec<(f64, usize)> = ranked.iter().filter(|(s, _)| *s < 100.0).take(crate::LOWEST_CAP).copied().collect();
    let ids = child_ids(data, lowest_keys.iter().map(|(_, k)| *k as u32).collect());
    let lowest = lowest_keys
        .iter()
        .map(|(s, k)| (ids.get(&(*k as u32)).cloned().unwrap_or_else(|| format!("(child {} in file order, no LAchildID)", k + 1)), *s))
        .collect();
    let sorted: Vec<f64> = ranked.iter().map(|(s, _)| *s).collect();
    Ok(Report {
        profile: profile.to_string(),
        unknown_credit: credit,
        exact: la,
        score: la.map(crate::round2),
        children: ChildDistribution::of(children, &sorted),
        not_supplied,
        modules: module_scores,
        lowest,
        child_scores,
        child_fields,
    })
}

/// The LAchildID of a few children (only the listed ones: identifiers are looked up, not copied).
fn child_ids(data: &CensusData, wanted: HashSet<u32>) -> HashMap<u32, String> {
    let mut ids = HashMap::new();
    let Some(t) = data.table(schema::CHILD_IDENTIFIERS.name) else { return ids };
    let keys = t.batch.column_by_name(schema::CHILD_KEY).and_then(|c| c.as_primitive_opt::<UInt32Type>());
    let values = t.batch.column_by_name(schema::LA_CHILD_ID).and_then(|c| c.as_string_opt::<i32>());
    if let (Some(keys), Some(values)) = (keys, values) {
        for (i, key) in keys.values().iter().enumerate() {
            if wanted.contains(key) && values.is_valid(i) {
                ids.entry(*key).or_insert_with(|| values.value(i).to_string());
            }
        }
    }
    ids
}

/// [applicable, valid, unknown, blank, invalid] of one field; fills `per_child` for every
/// child key it touches (listed in `touched`).
fn count_field(
    data: &CensusData,
    field: &FieldDef,
    period: Period,
    per_child: &mut [ChildCounts],
    touched: &mut Vec<u32>,
) -> Result<[u64; 5], ScoreError> {
    let children = per_child.len() as u32;
    let judge = Judge::new(field);
    let table = data.table(field.table.name).ok_or_else(|| ScoreError::Input(format!("no table `{}`", field.table.name)))?;
    let batch = &table.batch;
    let keys = child_keys(batch, field.table)?;
    let test = field.applies_when.as_ref().map(|c| compile(c, data, field.table, batch, period)).transpose()?;

    // A value read from another table: the best count of the rows matching each key.
    let from = match field.from {
        Some(def) => {
            let t = data.table(def.name).ok_or_else(|| ScoreError::Input(format!("no table `{}`", def.name)))?;
            let names: Vec<&str> = def.keys.iter().map(|k| k.name).collect();
            let their_keys = child_keys(&t.batch, def)?;
            let their_ordinals = ordinals(&t.batch, def, &names)?;
            let values = column_of(&t.batch, def, &field.column)?;
            let reasons = field.unknown_column.as_ref().map(|c| column_of(&t.batch, def, c)).transpose()?;
            let mut best = Best::new(names.is_empty(), per_child.len());
            for i in 0..t.batch.num_rows() {
                let key = (their_keys.value(i), ordinal(&their_ordinals, 0, i), ordinal(&their_ordinals, 1, i));
                if key.0 >= children {
                    continue;
                }
                best.add(key, judge.row(&values, reasons.as_ref(), i));
            }
            Some((best, ordinals(batch, field.table, &names)?))
        }
        None => None,
    };
    let own = match field.from {
        None => Some((
            column_of(batch, field.table, &field.column)?,
            field.unknown_column.as_ref().map(|c| column_of(batch, field.table, c)).transpose()?,
        )),
        Some(_) => None,
    };

    let mut counts = [0u64; 5];
    for i in 0..batch.num_rows() {
        let child = keys.value(i);
        if child >= children || test.as_ref().is_some_and(|t| !t.holds(i)) {
            continue;
        }
        let count = match (&from, &own) {
            (Some((best, my_ordinals)), _) => {
                let key = (child, ordinal(my_ordinals, 0, i), ordinal(my_ordinals, 1, i));
                best.get(key)
            }
            (None, Some((values, reasons))) => judge.row(values, reasons.as_ref(), i),
            (None, None) => unreachable!("a field reads its own column or another table's"),
        };
        counts[0] += 1;
        let slot = &mut per_child[child as usize];
        if slot.applicable == 0 {
            touched.push(child);
        }
        slot.applicable += 1;
        match count {
            Count::Valid => {
                counts[1] += 1;
                slot.valid += 1;
            }
            Count::Unknown => {
                counts[2] += 1;
                slot.unknown += 1;
            }
            Count::Blank => counts[3] += 1,
            Count::Invalid => counts[4] += 1,
        }
    }
    Ok(counts)
}

/// The best count per key of the rows of a `from` table: by child when the tables share no
/// ordinal key (a plain vector), else by (child, ordinal keys).
enum Best {
    ByChild(Vec<Option<Count>>),
    ByKey(HashMap<(u32, i32, i32), Count>),
}

impl Best {
    fn new(by_child: bool, children: usize) -> Self {
        if by_child {
            Best::ByChild(vec![None; children])
        } else {
            Best::ByKey(HashMap::new())
        }
    }

    fn add(&mut self, key: (u32, i32, i32), count: Count) {
        match self {
            Best::ByChild(v) => {
                let slot = &mut v[key.0 as usize];
                *slot = Some(slot.map_or(count, |b| b.max(count)));
            }
            Best::ByKey(m) => {
                m.entry(key).and_modify(|b| *b = (*b).max(count)).or_insert(count);
            }
        }
    }

    /// No matching row is blank.
    fn get(&self, key: (u32, i32, i32)) -> Count {
        match self {
            Best::ByChild(v) => v.get(key.0 as usize).copied().flatten(),
            Best::ByKey(m) => m.get(&key).copied(),
        }
        .unwrap_or(Count::Blank)
    }
}

fn ordinals<'a>(batch: &'a RecordBatch, table: &TableDef, names: &[&str]) -> Result<Vec<&'a Int32Array>, ScoreError> {
    names
        .iter()
        .map(|n| {
            batch
                .column_by_name(n)
                .and_then(|c| c.as_primitive_opt::<Int32Type>())
                .ok_or_else(|| ScoreError::Input(format!("table `{}` has no key `{n}`", table.name)))
        })
        .collect()
}

fn ordinal(arrays: &[&Int32Array], which: usize, row: usize) -> i32 {
    arrays.get(which).map_or(0, |a| if a.is_valid(row) { a.value(row) } else { -1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_shapes() {
        // From dfe-rules-notes §2.1 (permanent), and one temporary UPN computed by hand:
        // digits 2..12 of "X20100000000" weighted 2..12 give 2*2+1*4 = 8; final letter A = 0 → 8 → J.
        assert!(upn_ok("A950000178301") || !cinlint_model::code_lists::code_list("la_code").unwrap().contains("950"));
        assert!(upn_ok("H201000000001") == (upn_check_letter("H201000000001") == Some('H')));
        assert!(upn_ok("J20100000000A"));
        assert!(!upn_ok("K20100000000A"));
        assert!(!upn_ok("J20100000000I"));
        assert!(!upn_ok("R325"));
        assert!(!upn_ok("X99900000000A"), "999 is no LA code");
    }

    #[test]
    fn best_count_orders_valid_above_unknown_above_invalid_above_blank() {
        assert!(Count::Valid > Count::Unknown && Count::Unknown > Count::Invalid && Count::Invalid > Count::Blank);
    }
}
