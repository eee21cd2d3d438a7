//! Canonical tables: one flattened Arrow table per census module, with the keys that link them.
//!
//! Every table starts with `_row` (0-based position in the table, document order) and, below
//! the header, `child_key` (0-based position of the child in the input: the join key, so two
//! children that share or lack an `LAchildID` never bleed into each other) and `LAchildID`.
//! Each typed field `X` (date, boolean, integer) has a companion `X_raw` text column holding the
//! original text when it did not parse, so rules can report what was written.

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use std::sync::Arc;

/// How a field's text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Verbatim text (codes, identifiers).
    Text,
    /// `YYYY-MM-DD` (surrounding whitespace ignored) → Date32.
    Date,
    /// `true/false/TRUE/FALSE/1/0` → Boolean.
    Bool,
    /// Base-10 integer → Int64.
    Int,
    /// Ordinal key assigned by the reader (CINdetailsID, AssessmentID, CPPID) → Int32.
    Ordinal,
}

impl ColumnKind {
    pub fn data_type(self) -> DataType {
        match self {
            ColumnKind::Text => DataType::Utf8,
            ColumnKind::Date => DataType::Date32,
            ColumnKind::Bool => DataType::Boolean,
            ColumnKind::Int => DataType::Int64,
            ColumnKind::Ordinal => DataType::Int32,
        }
    }

    /// Whether the field keeps a `_raw` companion for text that did not parse.
    pub fn keeps_raw(self) -> bool {
        matches!(self, ColumnKind::Date | ColumnKind::Bool | ColumnKind::Int)
    }
}

/// A data column of a canonical table (the census element of the same name).
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    pub name: &'static str,
    pub kind: ColumnKind,
}

const fn col(name: &'static str, kind: ColumnKind) -> ColumnDef {
    ColumnDef { name, kind }
}

use ColumnKind::*;

/// A canonical table: its name (the reference validator's name), the element that makes a row,
/// the keys it inherits from its parents and its own data columns.
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    /// The XML element whose occurrence creates one row.
    pub element: &'static str,
    /// Ordinal keys copied from parents or assigned to this row (e.g. CINdetailsID).
    pub keys: &'static [ColumnDef],
    /// Data columns, in schema order.
    pub columns: &'static [ColumnDef],
}

pub const HEADER: TableDef = TableDef {
    name: "Header",
    element: "Header",
    keys: &[],
    columns: &[
        col("Collection", Text),
        col("Year", Int),
        col("ReferenceDate", Date),
        col("SourceLevel", Text),
        col("LEA", Text),
        col("SoftwareCode", Text),
        col("Release", Text),
        col("SerialNo", Text),
        col("DateTime", Text),
    ],
};

pub const CHILD_IDENTIFIERS: TableDef = TableDef {
    name: "ChildIdentifiers",
    element: "ChildIdentifiers",
    keys: &[],
    columns: &[
        col("LAchildID", Text),
        col("UPN", Text),
        col("FormerUPN", Text),
        col("UPNunknown", Text),
        col("PersonBirthDate", Date),
        col("ExpectedPersonBirthDate", Date),
        col("GenderCurrent", Text),
        col("Sex", Text),
        col("PersonDeathDate", Date),
    ],
};

pub const CHILD_CHARACTERISTICS: TableDef = TableDef {
    name: "ChildCharacteristics",
    element: "ChildCharacteristics",
    keys: &[],
    columns: &[col("Ethnicity", Text)],
};

pub const DISABILITIES: TableDef = TableDef {
    name: "Disabilities",
    element: "Disability",
    keys: &[],
    columns: &[col("Disability", Text)],
};

const EPISODE_KEY: &[ColumnDef] = &[col("CINdetailsID", Ordinal)];
const ASSESSMENT_KEY: &[ColumnDef] = &[col("CINdetailsID", Ordinal), col("AssessmentID", Ordinal)];
const CPP_KEY: &[ColumnDef] = &[col("CINdetailsID", Ordinal), col("CPPID", Ordinal)];

pub const CIN_DETAILS: TableDef = TableDef {
    name: "CINdetails",
    element: "CINdetails",
    keys: EPISODE_KEY,
    columns: &[
        col("CINreferralDate", Date),
        col("ReferralSource", Text),
        col("PrimaryNeedCode", Text),
        col("CINclosureDate", Date),
        col("ReasonForClosure", Text),
        col("DateOfInitialCPC", Date),
        col("ReferralNFA", Bool),
    ],
};

pub const ASSESSMENTS: TableDef = TableDef {
    name: "Assessments",
    element: "Assessments",
    keys: ASSESSMENT_KEY,
    columns: &[
        col("AssessmentActualStartDate", Date),
        col("AssessmentInternalReviewDate", Date),
        col("AssessmentAuthorisationDate", Date),
    ],
};

pub const ASSESSMENT_FACTORS: TableDef = TableDef {
    name: "AssessmentFactorsList",
    element: "AssessmentFactors",
    keys: ASSESSMENT_KEY,
    columns: &[col("AssessmentFactor", Text)],
};

pub const CIN_PLAN_DATES: TableDef = TableDef {
    name: "CINplanDates",
    element: "CINPlanDates",
    keys: EPISODE_KEY,
    columns: &[col("CINPlanStartDate", Date), col("CINPlanEndDate", Date)],
};

pub const SECTION47: TableDef = TableDef {
    name: "Section47",
    element: "Section47",
    keys: EPISODE_KEY,
    columns: &[
        col("S47ActualStartDate", Date),
        col("InitialCPCtarget", Date),
        col("DateOfInitialCPC", Date),
        col("ICPCnotRequired", Bool),
    ],
};

pub const CHILD_PROTECTION_PLANS: TableDef = TableDef {
    name: "ChildProtectionPlans",
    element: "ChildProtectionPlans",
    keys: CPP_KEY,
    columns: &[
        col("CPPstartDate", Date),
        col("CPPendDate", Date),
        col("InitialCategoryOfAbuse", Text),
        col("LatestCategoryOfAbuse", Text),
        col("NumberOfPreviousCPP", Int),
    ],
};

pub const REVIEWS: TableDef = TableDef {
    name: "Reviews",
    element: "CPPreviewDate",
    keys: CPP_KEY,
    columns: &[col("CPPreviewDate", Date)],
};

pub const PRE_PROCEEDINGS: TableDef = TableDef {
    name: "PreProceedingsandFGDM",
    element: "PreProceedingsandFGDM",
    keys: EPISODE_KEY,
    columns: &[
        col("PPStartDate", Date),
        col("LBPSentDate", Date),
        col("FGDMMeetingOffer", Bool),
        col("FGDMMeetingFac", Bool),
        col("InitialPPMeetingDate", Date),
        col("ReviewMeetingsCount", Int),
        col("StepDecisionDate", Date),
        col("PPOutcome", Text),
        col("CourtAppDate", Date),
        col("LetterInitCPDate", Date),
    ],
};

/// Every census table, in the order they are written and reported.
pub const TABLES: &[&TableDef] = &[
    &HEADER,
    &CHILD_IDENTIFIERS,
    &CHILD_CHARACTERISTICS,
    &DISABILITIES,
    &CIN_DETAILS,
    &ASSESSMENTS,
    &ASSESSMENT_FACTORS,
    &CIN_PLAN_DATES,
    &SECTION47,
    &CHILD_PROTECTION_PLANS,
    &REVIEWS,
    &PRE_PROCEEDINGS,
];

// ---------------------------------------------------------------------------------------------
// Export-only tables: read from an LA case-management export (SSD, `la-export.md`), not part of
// the census. Each has `_row`, `child_key`, `LAchildID` like the census child tables; data
// columns keep the SSD field names (the person column is replaced by the child keys). Rows of
// people who are not census children get child keys after the census children's.

pub const CIN_PLANS: TableDef = TableDef {
    name: "CinPlans",
    element: "ssd_cin_plans",
    keys: &[],
    columns: &[
        col("cinp_cin_plan_id", Text),
        col("cinp_referral_id", Text),
        // The person whose referral cinp_referral_id names (null when blank or not exported):
        // another person's id means the plan names another child's referral.
        col("cinp_referral_person", Text),
        // Ordinal of the census CINdetails row of the plan's episode (null when out of scope).
        col("CINdetailsID", Int),
        col("cinp_cin_plan_start_date", Date),
        col("cinp_cin_plan_end_date", Date),
        col("cinp_cin_plan_team", Text),
        col("cinp_cin_plan_worker_id", Text),
    ],
};

pub const CIN_VISITS: TableDef = TableDef {
    name: "CinVisits",
    element: "ssd_cin_visits",
    keys: &[],
    columns: &[
        col("cinv_cin_visit_id", Text),
        // As supplied (Mosaic) or linked by person and date to the plan open on the visit date.
        col("cinv_cin_plan_id", Text),
        col("cinv_cin_visit_date", Date),
        col("cinv_cin_visit_seen", Bool),
        col("cinv_cin_visit_seen_alone", Bool),
        col("cinv_cin_visit_bedroom", Bool),
    ],
};

pub const CLA_EPISODES: TableDef = TableDef {
    name: "ClaEpisodes",
    element: "ssd_cla_episodes",
    keys: &[],
    columns: &[
        col("clae_cla_episode_id", Text),
        col("clae_cla_episode_start_date", Date),
        col("clae_cla_episode_start_reason", Text),
        col("clae_cla_primary_need_code", Text),
        col("clae_cla_episode_ceased_date", Date),
        col("clae_cla_episode_ceased_reason", Text),
        col("clae_cla_id", Text),
        col("clae_referral_id", Text),
        col("clae_cla_placement_id", Text),
        col("clae_entered_care_date", Date),
        col("clae_cla_last_iro_contact_date", Date),
    ],
};

pub const LEGAL_STATUS: TableDef = TableDef {
    name: "LegalStatus",
    element: "ssd_legal_status",
    keys: &[],
    columns: &[
        col("lega_legal_status_id", Text),
        col("lega_legal_status", Text),
        col("lega_legal_status_start_date", Date),
        col("lega_legal_status_end_date", Date),
    ],
};

pub const ADDRESSES: TableDef = TableDef {
    name: "Addresses",
    element: "ssd_address",
    keys: &[],
    columns: &[
        col("addr_table_id", Text),
        col("addr_address_type", Text),
        col("addr_address_start_date", Date),
        col("addr_address_end_date", Date),
        col("addr_address_postcode", Text),
    ],
};

pub const IMMIGRATION_STATUS: TableDef = TableDef {
    name: "ImmigrationStatus",
    element: "ssd_immigration_status",
    keys: &[],
    columns: &[
        col("immi_immigration_status_id", Text),
        col("immi_immigration_status", Text),
        col("immi_immigration_status_start_date", Date),
        col("immi_immigration_status_end_date", Date),
    ],
};

pub const INVOLVEMENTS: TableDef = TableDef {
    name: "Involvements",
    element: "ssd_involvements",
    keys: &[],
    columns: &[
        col("invo_involvements_id", Text),
        col("invo_professional_id", Text),
        col("invo_professional_role_id", Text),
        col("invo_professional_team", Text),
        col("invo_involvement_start_date", Date),
        col("invo_involvement_end_date", Date),
        col("invo_worker_change_reason", Text),
        col("invo_referral_id", Text),
    ],
};

pub const CIN_REVIEWS: TableDef = TableDef {
    name: "CinReviews",
    element: "ext_cin_reviews",
    keys: &[],
    columns: &[
        col("cinr_cin_review_id", Text),
        col("cinr_cin_plan_id", Text),
        col("cinr_review_due_date", Date),
        col("cinr_review_date", Date),
        col("cinr_review_document_ref", Text),
        col("cinr_review_outcome", Text),
    ],
};

pub const HOUSEHOLD: TableDef = TableDef {
    name: "Household",
    element: "ext_household",
    keys: &[],
    columns: &[
        col("hous_recorded_date", Date),
        col("hous_benefits", Text),
        col("hous_financial_hardship", Text),
        col("hous_housing_tenure", Text),
        col("hous_parent_employment", Text),
        col("hous_fsm_eligible", Text),
        col("hous_nrpf", Text),
        col("hous_parent_care_experienced", Text),
    ],
};

/// Export-only tables, appended after [`TABLES`] when the input is an LA export.
pub const EXPORT_TABLES: &[&TableDef] = &[
    &CIN_PLANS,
    &CIN_VISITS,
    &CLA_EPISODES,
    &LEGAL_STATUS,
    &ADDRESSES,
    &IMMIGRATION_STATUS,
    &INVOLVEMENTS,
    &CIN_REVIEWS,
    &HOUSEHOLD,
];

/// Looks an export-only table up by its canonical name.
pub fn export_table(name: &str) -> Option<&'static TableDef> {
    EXPORT_TABLES.iter().copied().find(|t| t.name == name)
}

pub const ROW: &str = "_row";
pub const CHILD_KEY: &str = "child_key";
pub const LA_CHILD_ID: &str = "LAchildID";

impl TableDef {
    /// Whether rows belong to a child (every table but the header).
    pub fn is_child_table(&self) -> bool {
        self.name != HEADER.name
    }

    /// Whether this table carries `LAchildID` as a copied key (all child tables except
    /// ChildIdentifiers, where it is a data column).
    fn copies_child_id(&self) -> bool {
        self.is_child_table() && self.name != CHILD_IDENTIFIERS.name
    }

    /// The Arrow schema: `_row`, then child keys, ordinal keys, data columns, `_raw` companions.
    pub fn arrow_schema(&self) -> SchemaRef {
        let mut fields = vec![Field::new(ROW, DataType::UInt32, false)];
        if self.is_child_table() {
            fields.push(Field::new(CHILD_KEY, DataType::UInt32, false));
        }
        if self.copies_child_id() {
            fields.push(Field::new(LA_CHILD_ID, DataType::Utf8, true));
        }
        for key in self.keys {
            fields.push(Field::new(key.name, key.kind.data_type(), false));
        }
        for column in self.columns {
            fields.push(Field::new(column.name, column.kind.data_type(), true));
        }
        for column in self.columns.iter().filter(|c| c.kind.keeps_raw()) {
            fields.push(Field::new(raw_name(column.name), DataType::Utf8, true));
        }
        Arc::new(Schema::new(fields))
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Position of a data column within `columns` (the source map is indexed by it).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Name of the companion column holding unparsed text.
pub fn raw_name(column: &str) -> String {
    format!("{column}_raw")
}

/// Looks a table up by its canonical name.
pub fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_have_unique_columns_and_keys() {
        for table in TABLES {
            let schema = table.arrow_schema();
            let mut names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            let total = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), total, "{} has a duplicate column", table.name);
            assert_eq!(schema.field(0).name(), ROW);
            if table.is_child_table() {
                assert!(schema.field_with_name(LA_CHILD_ID).is_ok(), "{}", table.name);
                assert!(schema.field_with_name(CHILD_KEY).is_ok());
            }
        }
    }

    #[test]
    fn export_tables_have_unique_columns_and_child_keys() {
        for def in EXPORT_TABLES {
            let schema = def.arrow_schema();
            let mut names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            let total = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), total, "{} has a duplicate column", def.name);
            assert!(schema.field_with_name(LA_CHILD_ID).is_ok(), "{}", def.name);
            assert!(schema.field_with_name(CHILD_KEY).is_ok());
            assert!(table(def.name).is_none(), "{} clashes with a census table", def.name);
        }
    }

    #[test]
    fn typed_columns_keep_raw_text() {
        let schema = CIN_DETAILS.arrow_schema();
        assert_eq!(schema.field_with_name("CINreferralDate").unwrap().data_type(), &DataType::Date32);
        assert_eq!(schema.field_with_name("CINreferralDate_raw").unwrap().data_type(), &DataType::Utf8);
        assert!(schema.field_with_name("ReferralSource_raw").is_err());
        assert_eq!(table("Reviews").unwrap().element, "CPPreviewDate");
    }
}
