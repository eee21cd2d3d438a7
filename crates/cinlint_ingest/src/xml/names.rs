//! Element names as small numbers: the reader looks every tag up once, by its bytes, and from
//! then on steers by comparing numbers (which container, which column of which table), never
//! by comparing strings.

use super::table;
use cinlint_model::schema;

/// An element's id: one of the [`CONTAINERS`] below, another name of the schema, or [`UNKNOWN`].
pub type ElementId = u16;

/// A name the schema does not have.
pub const UNKNOWN: ElementId = ElementId::MAX;

/// The elements the reader steers by, in id order (a test checks the constants against it).
pub const CONTAINERS: [&str; 18] = [
    "Message",
    "Header",
    "CollectionDetails",
    "Source",
    "Content",
    "Children",
    "Child",
    "ChildIdentifiers",
    "ChildCharacteristics",
    "Disabilities",
    "CINdetails",
    "Assessments",
    "FactorsIdentifiedAtAssessment",
    "CINPlanDates",
    "Section47",
    "ChildProtectionPlans",
    "Reviews",
    "PreProceedingsandFGDM",
];
pub const MESSAGE: ElementId = 0;
pub const HEADER: ElementId = 1;
pub const COLLECTION_DETAILS: ElementId = 2;
pub const SOURCE: ElementId = 3;
pub const CONTENT: ElementId = 4;
pub const CHILDREN: ElementId = 5;
pub const CHILD: ElementId = 6;
pub const CHILD_IDENTIFIERS: ElementId = 7;
pub const CHILD_CHARACTERISTICS: ElementId = 8;
pub const DISABILITIES: ElementId = 9;
pub const CIN_DETAILS: ElementId = 10;
pub const ASSESSMENTS: ElementId = 11;
pub const FACTORS_IDENTIFIED: ElementId = 12;
pub const CIN_PLAN_DATES: ElementId = 13;
pub const SECTION47: ElementId = 14;
pub const CHILD_PROTECTION_PLANS: ElementId = 15;
pub const REVIEWS: ElementId = 16;
pub const PRE_PROCEEDINGS: ElementId = 17;

/// Not a field of that table.
const NO_COLUMN: u8 = u8::MAX;

/// Every element name of the census schema with its id, and what each id is in each table.
pub struct Names {
    /// Open-addressed slots; a slot's hash is a name's length and three of its bytes, so a
    /// lookup costs a few instructions and one comparison (hashing every byte cost more than
    /// the rest of reading the tag).
    slots: Vec<Option<(&'static str, ElementId)>>,
    /// `columns[id][table]`: the id's column in that table's row, when it is a data column
    /// (keys are assigned by the reader, never read from an element).
    columns: Vec<[u8; table::COUNT]>,
    /// Each table's row element.
    row_elements: [ElementId; table::COUNT],
}

impl Names {
    /// Slots: a power of two well above the ~150 names, so probes are short.
    const SLOTS: usize = 1024;

    fn new() -> Self {
        let mut names = Names { slots: vec![None; Self::SLOTS], columns: Vec::new(), row_elements: [UNKNOWN; table::COUNT] };
        for name in CONTAINERS {
            names.insert(name);
        }
        for (index, def) in schema::TABLES.iter().enumerate() {
            names.row_elements[index] = names.insert(def.element);
            for (column, def_column) in def.columns.iter().enumerate() {
                let id = names.insert(def_column.name);
                if def.keys.iter().all(|k| k.name != def_column.name) {
                    names.columns[id as usize][index] = column as u8;
                }
            }
        }
        names
    }

    /// The id of `name`, adding it when new.
    fn insert(&mut self, name: &'static str) -> ElementId {
        if let Some((_, id)) = self.get(name.as_bytes()) {
            return id;
        }
        let id = self.columns.len() as ElementId;
        self.columns.push([NO_COLUMN; table::COUNT]);
        let mut slot = Self::slot(name.as_bytes());
        while self.slots[slot].is_some() {
            slot = (slot + 1) % Self::SLOTS;
        }
        self.slots[slot] = Some((name, id));
        id
    }

    fn slot(bytes: &[u8]) -> usize {
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return 0 };
        let key = (bytes.len() as u32) | u32::from(first) << 8 | u32::from(bytes[bytes.len() / 2]) << 16 | u32::from(last) << 24;
        (key.wrapping_mul(0x9E37_79B1) >> 22) as usize % Self::SLOTS
    }

    /// The schema's spelling of `bytes` and its id.
    pub fn get(&self, bytes: &[u8]) -> Option<(&'static str, ElementId)> {
        let mut slot = Self::slot(bytes);
        loop {
            match self.slots[slot] {
                None => return None,
                Some((name, id)) if super::lexer::same_bytes(name.as_bytes(), bytes) => return Some((name, id)),
                Some(_) => slot = (slot + 1) % Self::SLOTS,
            }
        }
    }

    /// The column of table `table` that element `id` holds, if it is one of its fields.
    pub fn column(&self, id: ElementId, table: usize) -> Option<usize> {
        let column = self.columns.get(id as usize)?[table];
        (column != NO_COLUMN).then_some(column as usize)
    }

    /// Whether `id` is the element that makes a row of `table`.
    pub fn is_row_element(&self, id: ElementId, table: usize) -> bool {
        id != UNKNOWN && self.row_elements[table] == id
    }
}

/// The census schema's names, built once.
pub fn known() -> &'static Names {
    use std::sync::OnceLock;
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(Names::new)
}

/// An unknown name as a `'static` spelling: kept in a small process-wide set (bounded).
pub fn unknown(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut guard = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if let Some(existing) = set.get(name) {
        return existing;
    }
    if set.len() > 10_000 {
        return "(unknown)";
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_follow_their_list() {
        let ids = [
            MESSAGE, HEADER, COLLECTION_DETAILS, SOURCE, CONTENT, CHILDREN, CHILD, CHILD_IDENTIFIERS, CHILD_CHARACTERISTICS,
            DISABILITIES, CIN_DETAILS, ASSESSMENTS, FACTORS_IDENTIFIED, CIN_PLAN_DATES, SECTION47, CHILD_PROTECTION_PLANS,
            REVIEWS, PRE_PROCEEDINGS,
        ];
        for (index, (id, name)) in ids.iter().zip(CONTAINERS).enumerate() {
            assert_eq!(*id as usize, index);
            assert_eq!(known().get(name.as_bytes()), Some((name, *id)));
        }
    }

    #[test]
    fn every_schema_name_is_found_and_no_other() {
        let names = known();
        for (index, def) in schema::TABLES.iter().enumerate() {
            let (element, id) = names.get(def.element.as_bytes()).expect("a row element");
            assert_eq!(element, def.element);
            assert!(names.is_row_element(id, index));
            for (position, column) in def.columns.iter().enumerate() {
                let (name, id) = names.get(column.name.as_bytes()).expect("a column");
                assert_eq!(name, column.name);
                assert_eq!(names.column(id, index), Some(position), "{}.{}", def.name, column.name);
            }
        }
        for other in ["", "C", "Chil", "Childs", "child", "LAchildId", "Message2"] {
            assert_eq!(names.get(other.as_bytes()), None, "{other}");
        }
        assert!(!names.is_row_element(UNKNOWN, 0));
        assert_eq!(names.column(UNKNOWN, 0), None);
    }

    #[test]
    fn a_name_is_a_column_only_of_its_own_tables() {
        let names = known();
        let (_, child) = names.get(b"LAchildID").expect("known");
        assert_eq!(names.column(child, table::CHILD_IDENTIFIERS), Some(0));
        assert_eq!(names.column(child, table::CIN_DETAILS), None);
        assert_eq!(names.column(CIN_DETAILS, table::CIN_DETAILS), None);
    }
}
