//! The canonical tables of one input: Arrow record batches plus where every row and field came from.

use crate::source::{Pos, SourceMap, TablePositions};
use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder, UInt32Builder,
};
use chrono::NaiveDate;
use cinlint_model::schema::{self, ColumnKind, TableDef, TABLES};
use cinlint_model::Finding;
use std::sync::Arc;

/// One canonical table.
#[derive(Debug, Clone)]
pub struct TableData {
    pub def: &'static TableDef,
    pub batch: RecordBatch,
    pub positions: TablePositions,
}

impl TableData {
    /// The same table read from consecutive parts of the input, one after another: each part's
    /// `_row` and `child_key` are numbered from zero, and `child_key`s move on by the part's
    /// offset (the children before it). One concatenation, so no part is copied twice.
    pub fn concat(parts: Vec<(TableData, u32)>) -> TableData {
        use arrow::array::UInt32Array;
        let mut parts = parts.into_iter();
        let (mut first, _) = parts.next().expect("at least one part");
        let schema = first.batch.schema();
        let mut batches = vec![first.batch.clone()];
        let mut row_offset = first.batch.num_rows() as u32;
        for (later, child_offset) in parts {
            let columns: Vec<ArrayRef> = schema
                .fields()
                .iter()
                .zip(later.batch.columns())
                .map(|(field, column)| {
                    let offset = match field.name().as_str() {
                        schema::ROW => row_offset,
                        schema::CHILD_KEY => child_offset,
                        _ => return column.clone(),
                    };
                    let values = column.as_any().downcast_ref::<UInt32Array>().expect("_row and child_key are UInt32");
                    Arc::new(arrow::compute::kernels::arity::unary::<_, _, arrow::datatypes::UInt32Type>(values, |v| v + offset)) as ArrayRef
                })
                .collect();
            row_offset += later.batch.num_rows() as u32;
            batches.push(RecordBatch::try_new(schema.clone(), columns).expect("same schema"));
            first.positions.rows.extend(later.positions.rows);
            for (mine, theirs) in first.positions.fields.iter_mut().zip(later.positions.fields) {
                mine.extend(theirs);
            }
        }
        if batches.len() > 1 {
            first.batch = arrow::compute::concat_batches(&schema, &batches).expect("same schema");
        }
        first
    }
}

/// What was read from the input, before any check.
#[derive(Debug, Clone)]
pub struct InputSummary {
    pub path: String,
    pub kind: InputKind,
    pub bytes: u64,
    pub checksum: Checksum,
}

/// What kind of input the tables were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A DfE census return (XML).
    CensusXml,
    /// An LA case-management export (SSD folder or workbook, or a mapped layout).
    Export,
}

/// The input's SHA-256 (over its files' bytes, in order), computed when first asked for: only a
/// dataset manifest needs it, so a check never pays for hashing a 1 GB return.
#[derive(Debug, Clone)]
pub struct Checksum {
    parts: Vec<Arc<Vec<u8>>>,
    hex: Arc<std::sync::OnceLock<String>>,
}

impl Checksum {
    /// The checksum of these bytes, one after another.
    pub fn of(parts: Vec<Arc<Vec<u8>>>) -> Self {
        Self { parts, hex: Arc::default() }
    }

    /// Lower-case hex SHA-256.
    pub fn sha256(&self) -> &str {
        use sha2::{Digest, Sha256};
        self.hex.get_or_init(|| {
            let mut hasher = Sha256::new();
            for part in &self.parts {
                hasher.update(part.as_slice());
            }
            format!("{:x}", hasher.finalize())
        })
    }
}

/// Every canonical table of one input, with its sources and the reader's own findings.
#[derive(Debug, Clone)]
pub struct CensusData {
    /// In `TABLES` order (export-only tables follow).
    pub tables: Vec<TableData>,
    pub sources: SourceMap,
    /// Structural findings (XML001…) with positions still unresolved.
    pub reader_findings: Vec<PendingFinding>,
    pub children: usize,
    pub input: InputSummary,
    /// Tables of the input's kind that it did not supply (an export without `ext_household`
    /// gives an empty `Household` listed here). Checks that need them are skipped.
    pub not_supplied: Vec<&'static str>,
    /// An export's extract date (`--as-of`, else its latest activity date); `None` for XML.
    /// Elapsed-time checks measure up to it when it falls before the reference date.
    pub extract_date: Option<chrono::NaiveDate>,
}

/// A reader finding located by position; resolved into a [`Finding`] when reported.
#[derive(Debug, Clone)]
pub struct PendingFinding {
    pub finding: Finding,
    pub pos: Pos,
    pub table: &'static str,
    pub row: Option<u32>,
    pub field: Option<String>,
}

impl CensusData {
    pub fn table(&self, name: &str) -> Option<&TableData> {
        self.tables.iter().find(|t| t.def.name == name)
    }

    /// Whether the input holds `table` (a census XML holds no export-only tables).
    pub fn supplies(&self, table: &str) -> bool {
        self.table(table).is_some() && !self.not_supplied.contains(&table)
    }

    /// The header's ReferenceDate, when present and a valid date.
    pub fn reference_date(&self) -> Option<NaiveDate> {
        use arrow::array::{Array, Date32Array};
        let header = self.table(schema::HEADER.name)?;
        let column = header.batch.column_by_name("ReferenceDate")?.as_any().downcast_ref::<Date32Array>()?;
        (!column.is_empty() && column.is_valid(0)).then(|| crate::values::days_to_date(column.value(0))).flatten()
    }

    /// A text value of the header (e.g. `LEA`).
    pub fn header_text(&self, column: &str) -> Option<String> {
        use arrow::array::{Array, StringArray};
        let header = self.table(schema::HEADER.name)?;
        let values = header.batch.column_by_name(column)?.as_any().downcast_ref::<StringArray>()?;
        (values.len() > 0 && values.is_valid(0)).then(|| values.value(0).to_string())
    }

    /// LAchildID of each child, indexed by child_key (from ChildIdentifiers).
    pub fn child_ids(&self) -> Vec<Option<String>> {
        use arrow::array::{Array, StringArray, UInt32Array};
        let mut ids = vec![None; self.children];
        if let Some(t) = self.table(schema::CHILD_IDENTIFIERS.name) {
            let keys = t.batch.column_by_name(schema::CHILD_KEY).and_then(|c| c.as_any().downcast_ref::<UInt32Array>().cloned());
            let values = t.batch.column_by_name(schema::LA_CHILD_ID).and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned());
            if let (Some(keys), Some(values)) = (keys, values) {
                for i in 0..keys.len() {
                    if let Some(slot) = ids.get_mut(keys.value(i) as usize) {
                        if slot.is_none() && values.is_valid(i) {
                            *slot = Some(values.value(i).to_string());
                        }
                    }
                }
            }
        }
        ids
    }

    pub fn row_count(&self, table: &str) -> usize {
        self.table(table).map_or(0, |t| t.batch.num_rows())
    }
}

enum ColumnBuilder {
    Text(StringBuilder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Ordinal(Int32Builder),
}

impl ColumnBuilder {
    fn new(kind: ColumnKind) -> Self {
        match kind {
            ColumnKind::Text => ColumnBuilder::Text(StringBuilder::new()),
            ColumnKind::Date => ColumnBuilder::Date(Date32Builder::new()),
            ColumnKind::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            ColumnKind::Int => ColumnBuilder::Int(Int64Builder::new()),
            ColumnKind::Ordinal => ColumnBuilder::Ordinal(Int32Builder::new()),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Ordinal(b) => Arc::new(b.finish()),
        }
    }
}

/// A field value as read: the text (None for an empty element) and where it is.
pub type FieldValue<'a> = Option<(&'a str, Pos)>;

/// Anything a reader holds a field value in, so rows reach the builder without being copied.
pub trait AsFieldValue {
    fn field_value(&self) -> FieldValue<'_>;
}

impl AsFieldValue for FieldValue<'_> {
    fn field_value(&self) -> FieldValue<'_> {
        *self
    }
}

impl AsFieldValue for Option<(std::borrow::Cow<'_, str>, Pos)> {
    fn field_value(&self) -> FieldValue<'_> {
        self.as_ref().map(|(text, pos)| (text.as_ref(), *pos))
    }
}

/// A value that did not parse as its column's type.
pub struct BadValue<'a> {
    pub column: usize,
    pub text: &'a str,
    pub pos: Pos,
    pub row: u32,
}

/// Builds one canonical table row by row.
pub struct TableBuilder {
    def: &'static TableDef,
    rows: u32,
    child_keys: UInt32Builder,
    child_ids: StringBuilder,
    keys: Vec<Int32Builder>,
    columns: Vec<ColumnBuilder>,
    raws: Vec<(usize, StringBuilder)>,
    positions: TablePositions,
}

impl TableBuilder {
    pub fn new(def: &'static TableDef) -> Self {
        Self {
            def,
            rows: 0,
            child_keys: UInt32Builder::new(),
            child_ids: StringBuilder::new(),
            keys: def.keys.iter().map(|_| Int32Builder::new()).collect(),
            columns: def.columns.iter().map(|c| ColumnBuilder::new(c.kind)).collect(),
            raws: def
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.kind.keeps_raw())
                .map(|(i, _)| (i, StringBuilder::new()))
                .collect(),
            positions: TablePositions::new(def.columns.len()),
        }
    }

    pub fn def(&self) -> &'static TableDef {
        self.def
    }

    pub fn len(&self) -> u32 {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a row. `values` is indexed like `def.columns`; each value that does not parse as
    /// its type is stored as NULL with its text in the `_raw` column and passed to `on_bad`.
    /// Returns the new row's index.
    pub fn append(
        &mut self,
        child: Option<(u32, Option<&str>)>,
        keys: &[i32],
        values: &[impl AsFieldValue],
        row_pos: Pos,
        mut on_bad: impl FnMut(BadValue<'_>),
    ) -> u32 {
        let row = self.rows;
        if let Some((key, id)) = child {
            self.child_keys.append_value(key);
            if self.def.name != schema::CHILD_IDENTIFIERS.name {
                self.child_ids.append_option(id);
            }
        }
        for (builder, key) in self.keys.iter_mut().zip(keys) {
            builder.append_value(*key);
        }
        let mut raw_slot = 0;
        for (index, builder) in self.columns.iter_mut().enumerate() {
            let value = values.get(index).and_then(AsFieldValue::field_value);
            let text = value.map(|(t, _)| t).filter(|t| !t.is_empty());
            self.positions.fields[index].push(value.map_or(Pos::NONE, |(_, p)| p));
            let mut bad = false;
            match builder {
                ColumnBuilder::Text(b) => b.append_option(text),
                ColumnBuilder::Date(b) => {
                    let parsed = text.map(crate::values::parse_date);
                    bad = matches!(parsed, Some(None));
                    b.append_option(parsed.flatten().map(crate::values::date_to_days));
                }
                ColumnBuilder::Bool(b) => {
                    let parsed = text.map(crate::values::parse_bool);
                    bad = matches!(parsed, Some(None));
                    b.append_option(parsed.flatten());
                }
                ColumnBuilder::Int(b) => {
                    let parsed = text.map(crate::values::parse_int);
                    bad = matches!(parsed, Some(None));
                    b.append_option(parsed.flatten());
                }
                ColumnBuilder::Ordinal(b) => b.append_option(text.and_then(|t| crate::values::trimmed(t).parse().ok())),
            }
            if self.raws.get(raw_slot).is_some_and(|(i, _)| *i == index) {
                let raw = &mut self.raws[raw_slot].1;
                if bad {
                    let (text, pos) = value.expect("a bad value has text");
                    raw.append_value(text);
                    on_bad(BadValue { column: index, text, pos, row });
                } else {
                    raw.append_null();
                }
                raw_slot += 1;
            }
        }
        self.positions.rows.push(row_pos);
        self.rows += 1;
        row
    }

    pub fn finish(mut self) -> TableData {
        let schema = self.def.arrow_schema();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        arrays.push(Arc::new(arrow::array::UInt32Array::from_iter_values(0..self.rows)));
        if self.def.is_child_table() {
            arrays.push(Arc::new(self.child_keys.finish()));
            if self.def.name != schema::CHILD_IDENTIFIERS.name {
                arrays.push(Arc::new(self.child_ids.finish()));
            }
        }
        for key in &mut self.keys {
            arrays.push(Arc::new(key.finish()));
        }
        for column in &mut self.columns {
            arrays.push(column.finish());
        }
        for (_, raw) in &mut self.raws {
            arrays.push(Arc::new(raw.finish()));
        }
        let batch = RecordBatch::try_new(schema, arrays).expect("builder columns match the table schema");
        TableData { def: self.def, batch, positions: self.positions }
    }
}

/// One builder per census table, in `TABLES` order.
pub fn census_builders() -> Vec<TableBuilder> {
    TABLES.iter().map(|def| TableBuilder::new(def)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinlint_model::schema::CIN_DETAILS;

    #[test]
    fn checksum_is_over_the_parts_in_order() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(Checksum::of(vec![Arc::new(b"ab".to_vec()), Arc::new(b"c".to_vec())]).sha256(), abc);
        assert_eq!(Checksum::of(vec![Arc::new(b"abc".to_vec())]).sha256(), abc);
    }

    #[test]
    fn bad_values_become_null_with_raw_text() {
        let mut b = TableBuilder::new(&CIN_DETAILS);
        let mut bad = Vec::new();
        let values: Vec<FieldValue> = vec![
            Some(("2023-02-30", Pos::new(0, 10))),
            Some(("1A", Pos::new(0, 20))),
            None,
            None,
            None,
            None,
            Some(("yes", Pos::new(0, 30))),
        ];
        b.append(Some((0, Some("C1"))), &[1], &values, Pos::new(0, 5), |v| bad.push((v.column, v.text.to_string())));
        assert_eq!(bad, vec![(0, "2023-02-30".to_string()), (6, "yes".to_string())]);
        let t = b.finish();
        let batch = &t.batch;
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.column_by_name("CINreferralDate").unwrap().null_count(), 1);
        let raw = batch.column_by_name("CINreferralDate_raw").unwrap();
        assert_eq!(raw.null_count(), 0);
        assert_eq!(t.positions.fields[1][0], Pos::new(0, 20));
        assert!(t.positions.fields[2][0].is_none());
    }
}
