//! The SSD tables cinlint reads (`la-export.md` §2, §3): columns, logical types, requirement.

/// Logical type of an SSD field (`la-export.md` §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Opaque identifier: trimmed, CR/LF/TAB removed.
    Id,
    /// Free or coded text: trimmed.
    Text,
    /// `yyyy-mm-dd` or `dd/mm/yyyy`, optional time part.
    Date,
    /// Y/N in any common spelling.
    Flag,
    /// A JSON document in a text column.
    Json,
}

/// Requirement: K key, R required, C needed for the census, O optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Req {
    K,
    R,
    C,
    O,
}

#[derive(Debug)]
pub struct ColSpec {
    pub name: &'static str,
    pub ty: Ty,
    pub req: Req,
    pub aliases: &'static [&'static str],
}

#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [ColSpec],
    /// Mandatory for a census build (`ssd_person`, `ssd_cin_episodes`).
    pub mandatory: bool,
    /// The column naming the person the row is about, if any.
    pub person: Option<&'static str>,
}

impl TableSpec {
    pub fn index(&self, column: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == column)
            .unwrap_or_else(|| panic!("{} has no column {column}", self.name))
    }

    /// Finds a column by a header name (case-insensitive, aliases accepted).
    pub fn lookup(&self, header: &str) -> Option<usize> {
        let h = header.trim().to_ascii_lowercase();
        self.columns.iter().position(|c| c.name == h || c.aliases.contains(&h.as_str()))
    }

    pub fn keys(&self) -> impl Iterator<Item = usize> + '_ {
        self.columns.iter().enumerate().filter(|(_, c)| c.req == Req::K).map(|(i, _)| i)
    }
}

use Req::*;
use Ty::*;

const fn c(name: &'static str, ty: Ty, req: Req) -> ColSpec {
    ColSpec { name, ty, req, aliases: &[] }
}

const fn a(name: &'static str, ty: Ty, req: Req, aliases: &'static [&'static str]) -> ColSpec {
    ColSpec { name, ty, req, aliases }
}

pub const PERSON: TableSpec = TableSpec {
    name: "ssd_person",
    mandatory: true,
    person: Some("pers_person_id"),
    columns: &[
        c("pers_person_id", Id, K),
        c("pers_legacy_id", Id, O),
        c("pers_upn", Text, C),
        c("pers_forename", Text, O),
        c("pers_surname", Text, O),
        c("pers_sex", Text, C),
        c("pers_gender", Text, O),
        c("pers_ethnicity", Text, C),
        c("pers_dob", Date, C),
        a("pers_single_unique_id", Text, O, &["pers_common_child_id"]),
        c("pers_upn_unknown", Text, C),
        c("pers_send_flag", Flag, O),
        c("pers_expected_dob", Date, C),
        c("pers_death_date", Date, O),
        c("pers_is_mother", Flag, O),
        c("pers_nationality", Text, O),
    ],
};

pub const DISABILITY: TableSpec = TableSpec {
    name: "ssd_disability",
    mandatory: false,
    person: Some("disa_person_id"),
    columns: &[c("disa_table_id", Id, K), c("disa_person_id", Id, R), c("disa_disability_code", Text, R)],
};

pub const CIN_EPISODES: TableSpec = TableSpec {
    name: "ssd_cin_episodes",
    mandatory: true,
    person: Some("cine_person_id"),
    columns: &[
        c("cine_referral_id", Id, K),
        c("cine_person_id", Id, R),
        c("cine_referral_date", Date, R),
        c("cine_cin_primary_need_code", Text, C),
        c("cine_referral_source_code", Text, C),
        c("cine_referral_source_desc", Text, O),
        c("cine_referral_outcome_json", Json, O),
        c("cine_referral_nfa", Flag, C),
        c("cine_close_reason", Text, C),
        c("cine_close_date", Date, C),
        c("cine_referral_team", Id, O),
        c("cine_referral_worker_id", Id, O),
    ],
};

pub const CIN_ASSESSMENTS: TableSpec = TableSpec {
    name: "ssd_cin_assessments",
    mandatory: false,
    person: Some("cina_person_id"),
    columns: &[
        c("cina_assessment_id", Id, K),
        c("cina_person_id", Id, R),
        c("cina_referral_id", Id, C),
        c("cina_assessment_start_date", Date, C),
        c("cina_assessment_child_seen", Flag, O),
        c("cina_assessment_auth_date", Date, C),
        c("cina_assessment_outcome_json", Json, O),
        c("cina_assessment_outcome_nfa", Flag, O),
        c("cina_assessment_team", Id, O),
        c("cina_assessment_worker_id", Id, O),
    ],
};

pub const ASSESSMENT_FACTORS: TableSpec = TableSpec {
    name: "ssd_assessment_factors",
    mandatory: false,
    person: None,
    columns: &[
        c("cinf_table_id", Id, K),
        c("cinf_assessment_id", Id, R),
        c("cinf_assessment_factors_json", Json, C),
    ],
};

pub const CIN_PLANS: TableSpec = TableSpec {
    name: "ssd_cin_plans",
    mandatory: false,
    person: Some("cinp_person_id"),
    columns: &[
        a("cinp_cin_plan_id", Id, K, &["cin_plan_id"]),
        c("cinp_referral_id", Id, C),
        c("cinp_person_id", Id, R),
        c("cinp_cin_plan_start_date", Date, R),
        c("cinp_cin_plan_end_date", Date, C),
        c("cinp_cin_plan_team", Id, O),
        c("cinp_cin_plan_worker_id", Id, O),
    ],
};

pub const CIN_VISITS: TableSpec = TableSpec {
    name: "ssd_cin_visits",
    mandatory: false,
    person: Some("cinv_person_id"),
    columns: &[
        c("cinv_cin_visit_id", Id, K),
        // R in the SSD, but absent in the Mosaic DDL (the person then comes from the plan).
        c("cinv_person_id", Id, C),
        c("cinv_cin_plan_id", Id, O),
        c("cinv_cin_visit_date", Date, R),
        c("cinv_cin_visit_seen", Flag, O),
        c("cinv_cin_visit_seen_alone", Flag, O),
        c("cinv_cin_visit_bedroom", Flag, O),
    ],
};

pub const S47_ENQUIRY: TableSpec = TableSpec {
    name: "ssd_s47_enquiry",
    mandatory: false,
    person: Some("s47e_person_id"),
    columns: &[
        c("s47e_s47_enquiry_id", Id, K),
        c("s47e_referral_id", Id, C),
        c("s47e_person_id", Id, R),
        c("s47e_s47_start_date", Date, C),
        c("s47e_s47_end_date", Date, O),
        c("s47e_s47_nfa", Flag, O),
        c("s47e_s47_outcome_json", Json, C),
        c("s47e_s47_completed_by_team", Id, O),
        c("s47e_s47_completed_by_worker_id", Id, O),
    ],
};

pub const ICPC: TableSpec = TableSpec {
    name: "ssd_initial_cp_conference",
    mandatory: false,
    person: Some("icpc_person_id"),
    columns: &[
        c("icpc_icpc_id", Id, K),
        c("icpc_icpc_meeting_id", Id, O),
        c("icpc_s47_enquiry_id", Id, C),
        c("icpc_person_id", Id, R),
        c("icpc_cp_plan_id", Id, O),
        c("icpc_referral_id", Id, C),
        c("icpc_icpc_transfer_in", Flag, O),
        c("icpc_icpc_target_date", Date, C),
        c("icpc_icpc_date", Date, C),
        c("icpc_icpc_outcome_cp_flag", Flag, O),
        c("icpc_icpc_outcome_json", Json, O),
        c("icpc_icpc_team", Id, O),
        c("icpc_icpc_worker_id", Id, O),
    ],
};

pub const CP_PLANS: TableSpec = TableSpec {
    name: "ssd_cp_plans",
    mandatory: false,
    person: Some("cppl_person_id"),
    columns: &[
        c("cppl_cp_plan_id", Id, K),
        c("cppl_referral_id", Id, C),
        c("cppl_icpc_id", Id, O),
        c("cppl_person_id", Id, R),
        c("cppl_cp_plan_start_date", Date, R),
        c("cppl_cp_plan_end_date", Date, C),
        c("cppl_cp_plan_initial_category", Text, C),
        c("cppl_cp_plan_latest_category", Text, C),
        c("cppl_cp_plan_ola", Flag, O),
    ],
};

pub const CP_REVIEWS: TableSpec = TableSpec {
    name: "ssd_cp_reviews",
    mandatory: false,
    person: Some("cppr_person_id"),
    columns: &[
        c("cppr_cp_review_id", Id, K),
        c("cppr_person_id", Id, O),
        c("cppr_cp_plan_id", Id, R),
        c("cppr_cp_review_due", Date, O),
        c("cppr_cp_review_date", Date, C),
        c("cppr_cp_review_meeting_id", Id, O),
        c("cppr_cp_review_outcome_continue_cp", Flag, O),
        c("cppr_cp_review_quorate", Text, O),
        c("cppr_cp_review_participation", Text, O),
    ],
};

pub const CLA_EPISODES: TableSpec = TableSpec {
    name: "ssd_cla_episodes",
    mandatory: false,
    person: Some("clae_person_id"),
    columns: &[
        c("clae_cla_episode_id", Id, K),
        c("clae_person_id", Id, R),
        c("clae_cla_episode_start_date", Date, R),
        c("clae_cla_episode_start_reason", Text, O),
        c("clae_cla_primary_need_code", Text, O),
        c("clae_cla_episode_ceased_date", Date, C),
        c("clae_cla_episode_ceased_reason", Text, O),
        c("clae_cla_id", Id, O),
        c("clae_referral_id", Id, O),
        c("clae_cla_placement_id", Id, O),
        c("clae_entered_care_date", Date, O),
        c("clae_cla_last_iro_contact_date", Date, O),
    ],
};

pub const LEGAL_STATUS: TableSpec = TableSpec {
    name: "ssd_legal_status",
    mandatory: false,
    person: Some("lega_person_id"),
    columns: &[
        c("lega_legal_status_id", Id, K),
        c("lega_person_id", Id, R),
        c("lega_legal_status", Text, C),
        c("lega_legal_status_start_date", Date, C),
        c("lega_legal_status_end_date", Date, O),
    ],
};

pub const ADDRESS: TableSpec = TableSpec {
    name: "ssd_address",
    mandatory: false,
    person: Some("addr_person_id"),
    columns: &[
        c("addr_table_id", Id, K),
        c("addr_person_id", Id, C),
        c("addr_address_type", Text, O),
        c("addr_address_start_date", Date, O),
        c("addr_address_end_date", Date, O),
        c("addr_address_postcode", Text, O),
        c("addr_address_json", Json, O),
    ],
};

pub const IMMIGRATION_STATUS: TableSpec = TableSpec {
    name: "ssd_immigration_status",
    mandatory: false,
    person: Some("immi_person_id"),
    columns: &[
        c("immi_immigration_status_id", Id, K),
        c("immi_person_id", Id, R),
        c("immi_immigration_status", Text, O),
        c("immi_immigration_status_start_date", Date, O),
        c("immi_immigration_status_end_date", Date, O),
    ],
};

pub const MOTHER: TableSpec = TableSpec {
    name: "ssd_mother",
    mandatory: false,
    person: None,
    columns: &[
        c("moth_table_id", Id, K),
        c("moth_person_id", Id, R),
        c("moth_childs_person_id", Id, R),
        c("moth_childs_dob", Date, O),
    ],
};

pub const FAMILY: TableSpec = TableSpec {
    name: "ssd_family",
    mandatory: false,
    person: None,
    columns: &[c("fami_table_id", Id, K), c("fami_family_id", Id, R), c("fami_person_id", Id, R)],
};

pub const INVOLVEMENTS: TableSpec = TableSpec {
    name: "ssd_involvements",
    mandatory: false,
    person: Some("invo_person_id"),
    columns: &[
        c("invo_involvements_id", Id, K),
        c("invo_person_id", Id, C),
        c("invo_professional_id", Id, O),
        c("invo_professional_role_id", Text, O),
        c("invo_professional_team", Id, O),
        c("invo_involvement_start_date", Date, O),
        c("invo_involvement_end_date", Date, O),
        c("invo_worker_change_reason", Text, O),
        c("invo_referral_id", Id, O),
    ],
};

pub const LINKED_IDENTIFIERS: TableSpec = TableSpec {
    name: "ssd_linked_identifiers",
    mandatory: false,
    person: Some("link_person_id"),
    columns: &[
        c("link_table_id", Id, K),
        c("link_person_id", Id, R),
        c("link_identifier_type", Text, R),
        c("link_identifier_value", Text, R),
        c("link_valid_from_date", Date, O),
        c("link_valid_to_date", Date, O),
    ],
};

pub const CIN_REVIEWS: TableSpec = TableSpec {
    name: "ext_cin_reviews",
    mandatory: false,
    person: Some("cinr_person_id"),
    columns: &[
        c("cinr_cin_review_id", Id, K),
        c("cinr_person_id", Id, R),
        c("cinr_cin_plan_id", Id, R),
        c("cinr_review_due_date", Date, O),
        c("cinr_review_date", Date, O),
        c("cinr_review_document_ref", Text, O),
        c("cinr_review_outcome", Text, O),
    ],
};

pub const HOUSEHOLD: TableSpec = TableSpec {
    name: "ext_household",
    mandatory: false,
    person: Some("hous_person_id"),
    columns: &[
        c("hous_person_id", Id, K),
        c("hous_recorded_date", Date, K),
        c("hous_benefits", Text, O),
        c("hous_financial_hardship", Text, O),
        c("hous_housing_tenure", Text, O),
        c("hous_parent_employment", Text, O),
        c("hous_fsm_eligible", Text, O),
        c("hous_nrpf", Text, O),
        c("hous_parent_care_experienced", Text, O),
    ],
};

/// Every table cinlint reads from an export.
pub const TABLES: &[&TableSpec] = &[
    &PERSON,
    &DISABILITY,
    &CIN_EPISODES,
    &CIN_ASSESSMENTS,
    &ASSESSMENT_FACTORS,
    &CIN_PLANS,
    &CIN_VISITS,
    &S47_ENQUIRY,
    &ICPC,
    &CP_PLANS,
    &CP_REVIEWS,
    &CLA_EPISODES,
    &LEGAL_STATUS,
    &ADDRESS,
    &IMMIGRATION_STATUS,
    &MOTHER,
    &FAMILY,
    &INVOLVEMENTS,
    &LINKED_IDENTIFIERS,
    &CIN_REVIEWS,
    &HOUSEHOLD,
];

pub fn table(name: &str) -> Option<&'static TableSpec> {
    let n = name.to_ascii_lowercase();
    TABLES.iter().copied().find(|t| t.name == n)
}
