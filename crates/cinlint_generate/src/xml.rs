//! Writes the census XML: DfE schema element order, two-space indentation, ISO dates.

use crate::child::{Child, Ctx};
use crate::dates::{push_date, Day, BAD, EMPTY, NONE};

const INDENT: &[u8] = b"                                ";

pub(crate) struct XmlWriter {
    pub buf: Vec<u8>,
    bad_date: Vec<u8>,
}

impl XmlWriter {
    pub fn new(ctx: &Ctx) -> Self {
        XmlWriter {
            buf: Vec::with_capacity(1 << 17),
            bad_date: format!("{}-02-30", ctx.end_year).into_bytes(),
        }
    }

    fn indent(&mut self, depth: usize) {
        self.buf
            .extend_from_slice(&INDENT[..(depth * 2).min(INDENT.len())]);
    }

    fn open(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.buf.push(b'<');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b">\n");
    }

    fn close(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b">\n");
    }

    fn start_leaf(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.buf.push(b'<');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b'>');
    }

    fn end_leaf(&mut self, name: &str) {
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b">\n");
    }

    fn empty(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.buf.push(b'<');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"/>\n");
    }

    /// A text element; an empty value is written as an empty element.
    fn text(&mut self, depth: usize, name: &str, value: &str) {
        if value.is_empty() {
            return self.empty(depth, name);
        }
        self.start_leaf(depth, name);
        push_escaped(&mut self.buf, value);
        self.end_leaf(name);
    }

    fn opt_text(&mut self, depth: usize, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(depth, name, v);
        }
    }

    fn date(&mut self, depth: usize, name: &str, d: Day) {
        match d {
            NONE => {}
            EMPTY => self.empty(depth, name),
            BAD => {
                self.start_leaf(depth, name);
                let bad = std::mem::take(&mut self.bad_date);
                self.buf.extend_from_slice(&bad);
                self.bad_date = bad;
                self.end_leaf(name);
            }
            _ => {
                self.start_leaf(depth, name);
                push_date(&mut self.buf, d);
                self.end_leaf(name);
            }
        }
    }

    pub fn header(&mut self, ctx: &Ctx) {
        self.buf
            .extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message>\n");
        self.open(1, "Header");
        self.open(2, "CollectionDetails");
        self.text(3, "Collection", "CIN");
        self.text(3, "Year", &ctx.end_year.to_string());
        self.date(3, "ReferenceDate", ctx.r);
        self.close(2, "CollectionDetails");
        self.open(2, "Source");
        self.text(3, "SourceLevel", "L");
        self.text(3, "LEA", &ctx.la);
        self.text(3, "SoftwareCode", "cinlint-generate");
        self.text(3, "Release", env!("CARGO_PKG_VERSION"));
        self.text(3, "SerialNo", "001");
        // Fixed (no clock): the return is dated the day after the reference date.
        self.text(3, "DateTime", &format!("{}-04-01T09:00:00", ctx.end_year));
        self.close(2, "Source");
        self.close(1, "Header");
        self.open(1, "Children");
    }

    pub fn footer(&mut self) {
        self.close(1, "Children");
        self.buf.extend_from_slice(b"</Message>\n");
    }

    pub fn child(&mut self, ctx: &Ctx, c: &Child) {
        self.open(2, "Child");
        self.open(3, "ChildIdentifiers");
        self.text(4, "LAchildID", &c.id);
        self.opt_text(4, "UPN", c.upn.as_deref());
        self.opt_text(4, "FormerUPN", c.former_upn.as_deref());
        self.opt_text(4, "UPNunknown", c.upn_unknown);
        self.date(4, "PersonBirthDate", c.birth);
        self.date(4, "ExpectedPersonBirthDate", c.expected_birth);
        self.opt_text(4, if ctx.uses_sex { "Sex" } else { "GenderCurrent" }, c.sex);
        self.date(4, "PersonDeathDate", c.death);
        self.close(3, "ChildIdentifiers");
        self.open(3, "ChildCharacteristics");
        self.opt_text(4, "Ethnicity", c.ethnicity);
        if let Some(list) = &c.disabilities {
            self.open(4, "Disabilities");
            for d in list {
                self.text(5, "Disability", d);
            }
            self.close(4, "Disabilities");
        }
        self.close(3, "ChildCharacteristics");
        for ep in c.census_episodes() {
            self.open(3, "CINdetails");
            self.date(4, "CINreferralDate", ep.referral);
            self.opt_text(4, "ReferralSource", ep.source);
            self.opt_text(4, "PrimaryNeedCode", ep.need);
            self.date(4, "CINclosureDate", ep.closure);
            self.opt_text(4, "ReasonForClosure", ep.reason);
            self.date(4, "DateOfInitialCPC", ep.cin_icpc);
            for a in ep.census_assessments() {
                self.open(4, "Assessments");
                self.date(5, "AssessmentActualStartDate", a.start);
                self.date(5, "AssessmentInternalReviewDate", a.review);
                self.date(5, "AssessmentAuthorisationDate", a.auth);
                if !a.factors.is_empty() {
                    self.open(5, "FactorsIdentifiedAtAssessment");
                    for f in &a.factors {
                        self.text(6, "AssessmentFactors", f);
                    }
                    self.close(5, "FactorsIdentifiedAtAssessment");
                }
                self.close(4, "Assessments");
            }
            for p in ep.census_plans() {
                self.open(4, "CINPlanDates");
                self.date(5, "CINPlanStartDate", p.start);
                self.date(5, "CINPlanEndDate", p.end);
                self.close(4, "CINPlanDates");
            }
            for s in ep.census_s47s() {
                self.open(4, "Section47");
                self.date(5, "S47ActualStartDate", s.start);
                self.date(5, "InitialCPCtarget", s.target);
                self.date(5, "DateOfInitialCPC", s.icpc);
                let flag = match (s.not_required, c.numeric_flags) {
                    (true, true) => "1",
                    (true, false) => "true",
                    (false, true) => "0",
                    (false, false) => "false",
                };
                self.text(5, "ICPCnotRequired", flag);
                self.close(4, "Section47");
            }
            self.text(4, "ReferralNFA", ep.nfa_text);
            for p in ep.census_cpps() {
                self.open(4, "ChildProtectionPlans");
                self.date(5, "CPPstartDate", p.start);
                self.date(5, "CPPendDate", p.end);
                self.opt_text(5, "InitialCategoryOfAbuse", p.initial_category);
                self.opt_text(5, "LatestCategoryOfAbuse", p.latest_category);
                match p.previous {
                    None => {}
                    Some(i64::MIN) => self.empty(5, "NumberOfPreviousCPP"),
                    Some(n) => self.text(5, "NumberOfPreviousCPP", &n.to_string()),
                }
                if !p.reviews.is_empty() {
                    self.open(5, "Reviews");
                    for &d in &p.reviews {
                        self.date(6, "CPPreviewDate", d);
                    }
                    self.close(5, "Reviews");
                }
                self.close(4, "ChildProtectionPlans");
            }
            for pp in &ep.pre_proceedings {
                self.open(4, "PreProceedingsandFGDM");
                self.date(5, "PPStartDate", pp.start);
                self.date(5, "LBPSentDate", pp.lbp_sent);
                self.opt_text(5, "FGDMMeetingOffer", pp.offer);
                self.opt_text(5, "FGDMMeetingFac", pp.facilitated);
                self.date(5, "InitialPPMeetingDate", pp.initial_meeting);
                if let Some(n) = pp.review_meetings {
                    self.text(5, "ReviewMeetingsCount", &n.to_string());
                }
                self.date(5, "StepDecisionDate", pp.step_decision);
                self.opt_text(5, "PPOutcome", pp.outcome);
                self.date(5, "CourtAppDate", pp.court_application);
                self.date(5, "LetterInitCPDate", pp.letter_initiating);
                self.close(4, "PreProceedingsandFGDM");
            }
            self.close(3, "CINdetails");
        }
        self.close(2, "Child");
    }
}

fn push_escaped(buf: &mut Vec<u8>, value: &str) {
    if !value
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"'))
    {
        buf.extend_from_slice(value.as_bytes());
        return;
    }
    for ch in value.chars() {
        match ch {
            '&' => buf.extend_from_slice(b"&amp;"),
            '<' => buf.extend_from_slice(b"&lt;"),
            '>' => buf.extend_from_slice(b"&gt;"),
            '"' => buf.extend_from_slice(b"&quot;"),
            _ => {
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}
