//! Turns a rule's anchor rows into located findings.

use crate::rule::Rule;
use cinlint_ingest::source::Pos;
use cinlint_ingest::tables::{CensusData, PendingFinding, TableData};
use cinlint_model::{Finding, Location};

/// Resolves a position into a location of `table`/`row`/`field`.
pub fn location(data: &CensusData, table: &str, row: Option<u32>, field: Option<&str>, pos: Pos) -> Location {
    let resolved = data.sources.resolve(pos);
    Location {
        table: table.to_string(),
        row,
        field: field.map(str::to_string),
        file: resolved.as_ref().map(|r| r.file.clone()).or_else(|| Some(data.input.path.clone())),
        line: resolved.as_ref().and_then(|r| r.line),
        column: resolved.as_ref().and_then(|r| r.column),
        offset: resolved.as_ref().and_then(|r| r.offset),
        len: None,
        cell: resolved.and_then(|r| r.cell),
    }
}

/// Locations for one anchor row: one per rule field in that table (falling back to the row's
/// element when the field is absent), or the row itself when the rule names no field there.
pub fn anchor_locations(data: &CensusData, rule: &Rule, table: &TableData, row: u32) -> Vec<Location> {
    let def = table.def;
    let row_pos = table.positions.rows.get(row as usize).copied().unwrap_or(Pos::NONE);
    let mut out: Vec<Location> = rule
        .fields_in(def.name)
        .map(|field| {
            let pos = def
                .column_index(field)
                .and_then(|i| table.positions.fields.get(i))
                .and_then(|f| f.get(row as usize))
                .copied()
                .filter(|p| !p.is_none())
                .unwrap_or(row_pos);
            location(data, def.name, Some(row), Some(field), pos)
        })
        .collect();
    if out.is_empty() {
        out.push(location(data, def.name, Some(row), None, row_pos));
    }
    out
}

/// A reader finding with its position resolved.
pub fn resolve_pending(data: &CensusData, pending: &PendingFinding) -> Finding {
    let mut finding = pending.finding.clone();
    finding.locations = vec![location(data, pending.table, pending.row, pending.field.as_deref(), pending.pos)];
    finding
}

/// The child (key and LAchildID) that owns a row of a child table.
pub fn child_of(table: &TableData, row: u32, ids: &[Option<String>]) -> Option<(u32, Option<String>)> {
    use arrow::array::{Array, UInt32Array};
    let keys = table.batch.column_by_name(cinlint_model::schema::CHILD_KEY)?.as_any().downcast_ref::<UInt32Array>()?;
    let row = row as usize;
    if row >= keys.len() {
        return None;
    }
    let key = keys.value(row);
    Some((key, ids.get(key as usize).cloned().flatten()))
}
