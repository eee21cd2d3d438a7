//! Census XML writer: the canonical census tables back into a DfE CIN census return.
//!
//! The element tree is described once ([`CHILD_LAYOUT`], [`HEADER_GROUPS`]) and everything else is
//! driven by the [`TableDef`]s: a row becomes its table's element, its data columns become value
//! elements in schema order, and the rows of a child table are nested under the parent row whose
//! keys (`child_key`, then the ordinal keys the parent has) they share. Element order follows the
//! census schema (`data-model.md` §1): inside `CINdetails` the groups come after
//! `DateOfInitialCPC` and before `ReferralNFA`, with `ChildProtectionPlans` (and the 2026-27
//! `PreProceedingsandFGDM`) after it.
//!
//! Values: dates `YYYY-MM-DD`, booleans `true`/`false`, integers in base 10, text XML-escaped.
//! A typed value that is NULL but kept its original text in `<col>_raw` is written as that text,
//! so a defect in the source survives into the return and the DfE rules find the same thing in
//! both. Absent values are omitted (no empty elements). The keys (`child_key`, `CINdetailsID`,
//! …) are structural: they become nesting and document order, never elements, and a reader
//! numbers them back from that order. Export-only tables are not part of the census and are not
//! written.

use crate::columns::Column;
use crate::tables::{CensusData, TableData};
use arrow::array::{AsArray, Int32Array, UInt32Array};
use arrow::datatypes::UInt32Type;
use cinlint_model::schema::{self, ColumnKind, TableDef, TABLES};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};

/// One element of the tree below `<Child>`: the table whose rows it writes, and what nests in it.
#[derive(Debug)]
pub struct Node {
    pub def: &'static TableDef,
    /// For tables of one value per row (`Disability`, `AssessmentFactors`, `CPPreviewDate`):
    /// the container holding all of a parent's rows; each row is then `<element>value</element>`.
    pub list: Option<&'static str>,
    /// Nested tables, each written just before the named data column (after all columns when
    /// `None`).
    pub children: &'static [(Option<&'static str>, &'static Node)],
}

const DISABILITIES: Node = Node { def: &schema::DISABILITIES, list: Some("Disabilities"), children: &[] };
const FACTORS: Node = Node { def: &schema::ASSESSMENT_FACTORS, list: Some("FactorsIdentifiedAtAssessment"), children: &[] };
const REVIEWS: Node = Node { def: &schema::REVIEWS, list: Some("Reviews"), children: &[] };
const ASSESSMENTS: Node = Node { def: &schema::ASSESSMENTS, list: None, children: &[(None, &FACTORS)] };
const CIN_PLAN_DATES: Node = Node { def: &schema::CIN_PLAN_DATES, list: None, children: &[] };
const SECTION47: Node = Node { def: &schema::SECTION47, list: None, children: &[] };
const CPP: Node = Node { def: &schema::CHILD_PROTECTION_PLANS, list: None, children: &[(None, &REVIEWS)] };
const PRE_PROCEEDINGS: Node = Node { def: &schema::PRE_PROCEEDINGS, list: None, children: &[] };
const CIN_DETAILS: Node = Node {
    def: &schema::CIN_DETAILS,
    list: None,
    children: &[
        (Some("ReferralNFA"), &ASSESSMENTS),
        (Some("ReferralNFA"), &CIN_PLAN_DATES),
        (Some("ReferralNFA"), &SECTION47),
        (None, &CPP),
        (None, &PRE_PROCEEDINGS),
    ],
};
const CHILD_IDENTIFIERS: Node = Node { def: &schema::CHILD_IDENTIFIERS, list: None, children: &[] };
const CHILD_CHARACTERISTICS: Node = Node { def: &schema::CHILD_CHARACTERISTICS, list: None, children: &[(None, &DISABILITIES)] };

/// The elements of one `<Child>`, in schema order.
pub const CHILD_LAYOUT: &[&Node] = &[&CHILD_IDENTIFIERS, &CHILD_CHARACTERISTICS, &CIN_DETAILS];

/// The header's containers and the header columns each holds, in schema order.
pub const HEADER_GROUPS: &[(&str, &[&str])] = &[
    ("CollectionDetails", &["Collection", "Year", "ReferenceDate"]),
    ("Source", &["SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"]),
];

/// Choices the caller makes about the return.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Header values written when the data has none (e.g. `DateTime` = the time of writing).
    pub fill_header: Vec<(&'static str, String)>,
}

/// Writes the census tables of `data` as a CIN census XML return.
pub fn write_census_xml(data: &CensusData, out: &mut impl Write) -> io::Result<()> {
    write_census_xml_with(data, out, &WriteOptions::default())
}

/// [`write_census_xml`] with options. Fails (`InvalidData`) rather than drop rows silently when
/// a row has no parent row to nest under, which neither reader produces.
pub fn write_census_xml_with(data: &CensusData, out: &mut impl Write, options: &WriteOptions) -> io::Result<()> {
    let tables: Vec<Table> = TABLES.iter().map(|def| Table::new(def, data.table(def.name))).collect::<io::Result<_>>()?;
    let mut groups = HashMap::new();
    for node in CHILD_LAYOUT {
        group(node, 0, &tables, &mut groups);
    }
    let mut writer = Writer { out: io::BufWriter::new(out), written: vec![0; tables.len()], tables: &tables, groups };
    writer.document(options)?;
    let Writer { mut out, written, .. } = writer;
    out.flush()?;
    for (table, written) in tables.iter().zip(written) {
        if written != table.rows {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} of the {} rows of {} have no parent row to nest under", table.rows - written, table.rows, table.def.name),
            ));
        }
    }
    Ok(())
}

/// A parent row: its `child_key` and its own ordinal keys (unused slots 0).
type ParentKey = (u32, [i32; 2]);
/// A table's row indexes by the parent row they nest under.
type Groups = HashMap<ParentKey, Vec<usize>>;

/// A census table ready to write: typed columns and its rows grouped under their parents.
struct Table<'a> {
    def: &'static TableDef,
    rows: usize,
    child_keys: Option<&'a UInt32Array>,
    keys: Vec<&'a Int32Array>,
    /// The data columns in schema order; `None` for one the batch does not have (every value
    /// absent).
    columns: Vec<Option<Column<'a>>>,
}

fn not_canonical(table: &TableDef, column: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}.{column} does not have the canonical type", table.name))
}

/// The column `name` of `data`, which must be of the canonical type for `kind`; `None` when the
/// batch does not have it.
fn canonical_column<'a>(data: &'a TableData, name: &str, kind: ColumnKind) -> io::Result<Option<Column<'a>>> {
    match Column::of(&data.batch, name).map_err(|e| not_canonical(data.def, &e.column))? {
        Some(column) if column.kind() != kind => Err(not_canonical(data.def, name)),
        column => Ok(column),
    }
}

impl<'a> Table<'a> {
    fn new(def: &'static TableDef, data: Option<&'a TableData>) -> io::Result<Self> {
        let Some(data) = data else {
            return Ok(Table { def, rows: 0, child_keys: None, keys: Vec::new(), columns: Vec::new() });
        };
        let mut keys = Vec::with_capacity(def.keys.len());
        for key in def.keys {
            let Some(Column::Ordinal(column)) = canonical_column(data, key.name, ColumnKind::Ordinal)? else {
                return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} has no key column {}", def.name, key.name)));
            };
            keys.push(column);
        }
        let columns = def.columns.iter().map(|c| canonical_column(data, c.name, c.kind)).collect::<io::Result<_>>()?;
        let child_keys = match data.batch.column_by_name(schema::CHILD_KEY) {
            Some(c) if def.is_child_table() => Some(c.as_primitive_opt::<UInt32Type>().ok_or_else(|| not_canonical(data.def, schema::CHILD_KEY))?),
            _ => None,
        };
        Ok(Table { def, rows: data.batch.num_rows(), child_keys, keys, columns })
    }

    /// The row's value in data column `column`, as the return writes it.
    fn value(&self, column: usize, row: usize) -> Option<Cow<'a, str>> {
        self.columns.get(column)?.as_ref()?.census_text(row)
    }

    fn child_key(&self, row: usize) -> u32 {
        self.child_keys.map_or(0, |k| k.value(row))
    }

    /// The row's ordinal keys (CINdetailsID, then AssessmentID or CPPID).
    fn key(&self, row: usize) -> [i32; 2] {
        let mut key = [0; 2];
        for (slot, column) in key.iter_mut().zip(&self.keys) {
            *slot = column.value(row);
        }
        key
    }

    /// Row indexes grouped by (child_key, the first `depth` ordinal keys), each group in key then
    /// row order.
    fn groups(&self, depth: usize) -> Groups {
        let mut groups = Groups::new();
        for row in 0..self.rows {
            let mut parent = self.key(row);
            parent[depth.min(2)..].fill(0);
            groups.entry((self.child_key(row), parent)).or_default().push(row);
        }
        for rows in groups.values_mut() {
            rows.sort_by_key(|&row| (self.key(row), row));
        }
        groups
    }
}

/// Groups the rows of `node`'s table (and of the tables nested in it) under their parents, which
/// have `depth` ordinal keys.
fn group(node: &Node, depth: usize, tables: &[Table], groups: &mut HashMap<&'static str, Groups>) {
    groups.insert(node.def.name, tables[table_index(node.def)].groups(depth));
    for (_, child) in node.children {
        group(child, node.def.keys.len(), tables, groups);
    }
}

struct Writer<'a, W: Write> {
    out: io::BufWriter<W>,
    tables: &'a [Table<'a>],
    groups: HashMap<&'static str, Groups>,
    /// Rows written per table (in `TABLES` order), to catch rows that had nowhere to go.
    written: Vec<usize>,
}

fn table_index(def: &TableDef) -> usize {
    TABLES.iter().position(|t| t.name == def.name).expect("a census table")
}

impl<W: Write> Writer<'_, W> {
    fn document(&mut self, options: &WriteOptions) -> io::Result<()> {
        self.out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message>\n")?;
        self.header(options)?;
        self.children()?;
        self.out.write_all(b"</Message>\n")
    }

    fn header(&mut self, options: &WriteOptions) -> io::Result<()> {
        let header = &self.tables[table_index(&schema::HEADER)];
        let fill = |name: &str| options.fill_header.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
        let value = |name: &str| {
            let from_data = (header.rows > 0).then(|| header.def.column_index(name).and_then(|i| header.value(i, 0))).flatten();
            from_data.map(Cow::into_owned).or_else(|| fill(name))
        };
        self.out.write_all(b"  <Header>\n")?;
        for (group, columns) in HEADER_GROUPS {
            let values: Vec<(&str, String)> = columns.iter().filter_map(|c| value(c).map(|v| (*c, v))).collect();
            if values.is_empty() {
                continue;
            }
            writeln!(self.out, "    <{group}>")?;
            for (name, v) in values {
                self.value(6, name, &v)?;
            }
            writeln!(self.out, "    </{group}>")?;
        }
        self.out.write_all(b"  </Header>\n")?;
        self.written[0] = header.rows.min(1);
        Ok(())
    }

    fn children(&mut self) -> io::Result<()> {
        // Every child that has a row in a top-level table, in child_key (input) order.
        let mut keys: Vec<u32> = Vec::new();
        for node in CHILD_LAYOUT {
            let table = &self.tables[table_index(node.def)];
            keys.extend((0..table.rows).map(|row| table.child_key(row)));
        }
        keys.sort_unstable();
        keys.dedup();
        self.out.write_all(b"  <Children>\n")?;
        for key in keys {
            self.out.write_all(b"    <Child>\n")?;
            for node in CHILD_LAYOUT {
                self.nested(node, (key, [0, 0]), 6)?;
            }
            self.out.write_all(b"    </Child>\n")?;
        }
        self.out.write_all(b"  </Children>\n")
    }

    /// Writes the rows of `node`'s table that nest under `parent`.
    fn nested(&mut self, node: &Node, parent: ParentKey, indent: usize) -> io::Result<()> {
        let Some(rows) = self.groups.get(node.def.name).and_then(|g| g.get(&parent)).cloned() else { return Ok(()) };
        self.rows(node, &rows, indent)
    }

    /// Writes `rows` of `node`'s table, each with its nested tables, at `indent`.
    fn rows(&mut self, node: &Node, rows: &[usize], indent: usize) -> io::Result<()> {
        let tables = self.tables;
        let index = table_index(node.def);
        let table = &tables[index];
        self.written[index] += rows.len();
        let pad = " ".repeat(indent);
        if let Some(list) = node.list {
            writeln!(self.out, "{pad}<{list}>")?;
            for &row in rows {
                let value = table.value(0, row).unwrap_or_default();
                self.value(indent + 2, node.def.element, &value)?;
            }
            return writeln!(self.out, "{pad}</{list}>");
        }
        for &row in rows {
            writeln!(self.out, "{pad}<{}>", node.def.element)?;
            let parent = (table.child_key(row), table.key(row));
            let mut children = node.children.iter().peekable();
            for (column, def) in node.def.columns.iter().enumerate() {
                while let Some((_, child)) = children.next_if(|(before, _)| *before == Some(def.name)) {
                    self.nested(child, parent, indent + 2)?;
                }
                if let Some(value) = table.value(column, row) {
                    self.value(indent + 2, def.name, &value)?;
                }
            }
            for (_, child) in children {
                self.nested(child, parent, indent + 2)?;
            }
            writeln!(self.out, "{pad}</{}>", node.def.element)?;
        }
        Ok(())
    }

    fn value(&mut self, indent: usize, name: &str, value: &str) -> io::Result<()> {
        write!(self.out, "{:indent$}<{name}>", "")?;
        write_escaped(&mut self.out, value)?;
        writeln!(self.out, "</{name}>")
    }
}

/// Writes text as XML character data. Markup characters are escaped, and CR, LF and TAB are
/// written as character references so that no XML parser normalises them away. Characters XML
/// 1.0 cannot carry at all (other control characters, U+FFFE, U+FFFF) become U+FFFD.
pub fn write_escaped(out: &mut impl Write, text: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\r' => "&#13;",
            '\n' => "&#10;",
            '\t' => "&#9;",
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => "\u{FFFD}",
            _ => continue,
        };
        out.write_all(&text.as_bytes()[start..i])?;
        out.write_all(replacement.as_bytes())?;
        start = i + c.len_utf8();
    }
    out.write_all(&text.as_bytes()[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::read_census_xml_bytes;

    fn round_trip(data: &CensusData) -> (String, CensusData) {
        let mut out = Vec::new();
        write_census_xml(data, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let back = read_census_xml_bytes("written.xml", text.clone().into_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        (text, back)
    }

    /// Every census table's batch (keys, values and `_raw` texts) is the same after the trip.
    fn assert_same_tables(a: &CensusData, b: &CensusData) {
        assert_eq!(a.children, b.children);
        for def in TABLES {
            let (x, y) = (a.table(def.name).unwrap(), b.table(def.name).unwrap());
            assert_eq!(x.batch.num_rows(), y.batch.num_rows(), "{}", def.name);
            for (i, field) in x.batch.schema().fields().iter().enumerate() {
                assert_eq!(x.batch.column(i).as_ref(), y.batch.column(i).as_ref(), "{}.{}", def.name, field.name());
            }
        }
    }

    #[test]
    fn layout_places_every_census_table_once() {
        fn walk(node: &Node, seen: &mut Vec<&'static str>) {
            seen.push(node.def.name);
            for (before, child) in node.children {
                if let Some(column) = before {
                    assert!(node.def.column(column).is_some(), "{} has no column {column}", node.def.name);
                }
                walk(child, seen);
            }
        }
        let mut seen = vec![schema::HEADER.name];
        for node in CHILD_LAYOUT {
            walk(node, &mut seen);
        }
        let mut expected: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        seen.sort();
        expected.sort();
        assert_eq!(seen, expected);
        let mut header: Vec<&str> = HEADER_GROUPS.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        let mut columns: Vec<&str> = schema::HEADER.columns.iter().map(|c| c.name).collect();
        header.sort();
        columns.sort();
        assert_eq!(header, columns, "each header column is in one header group");
    }

    #[test]
    fn sample_return_round_trips_losslessly() {
        let path = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../../sample-data/sample-2025-26-la201.xml");
        let data = crate::read_census_xml(&path).unwrap();
        assert!(data.row_count("PreProceedingsandFGDM") > 0 && data.row_count("Reviews") > 0);
        let (text, back) = round_trip(&data);
        assert_same_tables(&data, &back);
        assert!(back.reader_findings.is_empty(), "{:?}", back.reader_findings.iter().map(|f| &f.finding.message).collect::<Vec<_>>());
        // Writing what was read gives the same bytes again.
        let (again, _) = round_trip(&back);
        assert_eq!(text, again);
    }

    #[test]
    fn defects_and_awkward_text_survive_the_trip() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>twenty</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails>
    <Source><LEA>201</LEA></Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers><LAchildID> A&amp;B&lt;1&gt; </LAchildID><PersonBirthDate>2015-02-30</PersonBirthDate><Sex>M</Sex></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>line&#10;break&#13;&#9;tab</Ethnicity><Disabilities><Disability>MOB</Disability><Disability/></Disabilities></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate> 2025-05-01 </CINreferralDate><ReferralSource>1A</ReferralSource>
        <Assessments><AssessmentActualStartDate>01/05/2025</AssessmentActualStartDate></Assessments>
        <Assessments><AssessmentActualStartDate>2025-05-02</AssessmentActualStartDate><FactorsIdentifiedAtAssessment><AssessmentFactors>21</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>
        <Section47><S47ActualStartDate>2025-05-03</S47ActualStartDate><ICPCnotRequired>yes</ICPCnotRequired></Section47>
        <ReferralNFA>TRUE</ReferralNFA>
        <ChildProtectionPlans><CPPstartDate>2025-06-01</CPPstartDate><NumberOfPreviousCPP>x</NumberOfPreviousCPP><Reviews><CPPreviewDate>2025-07-01</CPPreviewDate><CPPreviewDate>soon</CPPreviewDate></Reviews></ChildProtectionPlans>
      </CINdetails>
      <CINdetails><CINreferralDate>2025-09-01</CINreferralDate><ReferralNFA>0</ReferralNFA></CINdetails>
    </Child>
    <Child><ChildIdentifiers><LAchildID>C2</LAchildID></ChildIdentifiers><ChildCharacteristics/></Child>
  </Children>
</Message>"#;
        let data = read_census_xml_bytes("defects.xml", xml.as_bytes().to_vec()).unwrap();
        let (text, back) = round_trip(&data);
        assert_same_tables(&data, &back);
        assert!(text.contains("<PersonBirthDate>2015-02-30</PersonBirthDate>"), "{text}");
        assert!(text.contains("<LAchildID> A&amp;B&lt;1&gt; </LAchildID>"), "{text}");
        assert!(text.contains("<ReferralNFA>true</ReferralNFA>") && text.contains("<ICPCnotRequired>yes</ICPCnotRequired>"), "{text}");
        assert!(text.contains("<CINreferralDate>2025-05-01</CINreferralDate>"), "{text}");
        assert!(!text.contains("<UPN>"), "absent values are omitted");
        // Groups sit before ReferralNFA, plans after it.
        let (s47, nfa, cpp) = (text.find("<Section47>").unwrap(), text.find("<ReferralNFA>").unwrap(), text.find("<ChildProtectionPlans>").unwrap());
        assert!(s47 < nfa && nfa < cpp);
        // The same bad-value findings are raised on the written return.
        let codes = |d: &CensusData| {
            let mut v: Vec<(String, String)> = d.reader_findings.iter().map(|f| (f.finding.code.clone(), f.finding.message.clone())).collect();
            v.sort();
            v
        };
        assert_eq!(codes(&data), codes(&back));
    }

    #[test]
    fn header_fill_only_where_absent_and_orphans_refused() {
        let xml = "<Message><Header><Source><LEA>201</LEA></Source></Header><Children><Child><ChildIdentifiers><LAchildID>C1</LAchildID></ChildIdentifiers><ChildCharacteristics/></Child></Children></Message>";
        let data = read_census_xml_bytes("h.xml", xml.as_bytes().to_vec()).unwrap();
        let mut out = Vec::new();
        let options = WriteOptions { fill_header: vec![("DateTime", "2026-04-01T09:00:00".into()), ("LEA", "999".into())] };
        write_census_xml_with(&data, &mut out, &options).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("<LEA>201</LEA>") && text.contains("<DateTime>2026-04-01T09:00:00</DateTime>"), "{text}");
        assert!(!text.contains("CollectionDetails"), "an empty container is omitted");

        // A Reviews row whose plan does not exist cannot be placed.
        let xml = "<Message><Children><Child><ChildIdentifiers><LAchildID>C1</LAchildID></ChildIdentifiers><CINdetails><ChildProtectionPlans><Reviews><CPPreviewDate>2025-01-01</CPPreviewDate></Reviews></ChildProtectionPlans></CINdetails></Child></Children></Message>";
        let mut data = read_census_xml_bytes("o.xml", xml.as_bytes().to_vec()).unwrap();
        let i = data.tables.iter().position(|t| t.def.name == "ChildProtectionPlans").unwrap();
        data.tables[i].batch = data.tables[i].batch.slice(0, 0);
        let err = write_census_xml(&data, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("Reviews"), "{err}");
    }

    #[test]
    fn escaping() {
        let mut out = Vec::new();
        write_escaped(&mut out, "a&b<c>\"d'\u{1}\u{7f}é").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a&amp;b&lt;c&gt;\"d'\u{FFFD}\u{7f}é");
    }
}
