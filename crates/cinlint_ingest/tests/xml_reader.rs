//! The census XML reader: tables, keys, locations, lenient values and refusals.

use arrow::array::{Array, BooleanArray, Date32Array, Int32Array, StringArray};
use cinlint_ingest::xml::read_census_xml_bytes;
use cinlint_ingest::IngestError;

const GOOD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>201</LEA></Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>A1</LAchildID>
        <PersonBirthDate>2015-01-01</PersonBirthDate>
        <Sex>F</Sex>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        <Disabilities><Disability>MOB</Disability><Disability>HAND</Disability></Disabilities>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2023-02-30</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <Assessments>
          <AssessmentActualStartDate>2025-06-01</AssessmentActualStartDate>
          <FactorsIdentifiedAtAssessment><AssessmentFactors>1A</AssessmentFactors><AssessmentFactors>2B</AssessmentFactors></FactorsIdentifiedAtAssessment>
        </Assessments>
        <ReferralNFA>TRUE</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2025-07-01</CPPstartDate>
          <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
          <Reviews><CPPreviewDate>2025-08-01</CPPreviewDate><CPPreviewDate>2025-09-01</CPPreviewDate></Reviews>
        </ChildProtectionPlans>
        <Mystery>x</Mystery>
      </CINdetails>
      <CINdetails>
        <CINreferralDate>2025-10-01</CINreferralDate>
        <ReferralNFA>0</ReferralNFA>
        <ChildProtectionPlans><CPPstartDate>2025-10-02</CPPstartDate></ChildProtectionPlans>
      </CINdetails>
    </Child>
    <Child>
      <ChildIdentifiers><LAchildID>B2</LAchildID></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
    </Child>
  </Children>
</Message>
"#;

fn read(text: &str) -> Result<cinlint_ingest::CensusData, IngestError> {
    read_census_xml_bytes("t.xml", text.as_bytes().to_vec())
}

#[test]
fn tables_rows_and_keys() {
    let data = read(GOOD).unwrap();
    assert_eq!(data.children, 2);
    for (table, rows) in [
        ("Header", 1),
        ("ChildIdentifiers", 2),
        ("ChildCharacteristics", 2),
        ("Disabilities", 2),
        ("CINdetails", 2),
        ("Assessments", 1),
        ("AssessmentFactorsList", 2),
        ("ChildProtectionPlans", 2),
        ("Reviews", 2),
        ("CINplanDates", 0),
    ] {
        assert_eq!(data.row_count(table), rows, "{table}");
    }
    let cpp = &data.table("ChildProtectionPlans").unwrap().batch;
    let episodes = cpp.column_by_name("CINdetailsID").unwrap().as_any().downcast_ref::<Int32Array>().unwrap();
    let ids = cpp.column_by_name("CPPID").unwrap().as_any().downcast_ref::<Int32Array>().unwrap();
    assert_eq!((episodes.value(0), ids.value(0)), (1, 1));
    assert_eq!((episodes.value(1), ids.value(1)), (2, 1));
    let who = cpp.column_by_name("LAchildID").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(who.value(1), "A1");
    assert_eq!(data.child_ids(), vec![Some("A1".to_string()), Some("B2".to_string())]);
    assert_eq!(data.header_text("LEA").as_deref(), Some("201"));
    assert_eq!(data.reference_date().unwrap().to_string(), "2026-03-31");
}

#[test]
fn lenient_values_keep_raw_text_and_are_reported_with_location() {
    let data = read(GOOD).unwrap();
    let cin = &data.table("CINdetails").unwrap().batch;
    let dates = cin.column_by_name("CINreferralDate").unwrap().as_any().downcast_ref::<Date32Array>().unwrap();
    assert!(dates.is_null(0));
    let raw = cin.column_by_name("CINreferralDate_raw").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(raw.value(0), "2023-02-30");
    let nfa = cin.column_by_name("ReferralNFA").unwrap().as_any().downcast_ref::<BooleanArray>().unwrap();
    assert!(nfa.value(0) && !nfa.value(1));
    let bad: Vec<_> = data.reader_findings.iter().filter(|p| p.finding.code == "XML002").collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].finding.message.contains("`2023-02-30` is not a date written YYYY-MM-DD"), "{}", bad[0].finding.message);
    assert_eq!(bad[0].finding.child.as_deref(), Some("A1"));
    let resolved = data.sources.resolve(bad[0].pos).unwrap();
    assert_eq!((resolved.line, resolved.column), (Some(19), Some(9)));
}

#[test]
fn unknown_elements_are_reported_not_fatal() {
    let data = read(GOOD).unwrap();
    let unknown: Vec<_> = data.reader_findings.iter().filter(|p| p.finding.code == "XML001").collect();
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].finding.message.contains("<Mystery>"));
}

#[test]
fn bom_is_accepted_and_offsets_stay_in_file_terms() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(GOOD.as_bytes());
    let data = read_census_xml_bytes("t.xml", bytes).unwrap();
    let bad = data.reader_findings.iter().find(|p| p.finding.code == "XML002").unwrap();
    assert_eq!(data.sources.resolve(bad.pos).unwrap().line, Some(19));
}

fn refused(text: &[u8]) -> IngestError {
    read_census_xml_bytes("t.xml", text.to_vec()).expect_err("must be refused")
}

#[test]
fn refusals_are_located_errors() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", b"".to_vec(), "empty"),
        ("blank", b"  \n ".to_vec(), "empty"),
        ("wrong root", b"<Return><Children/></Return>".to_vec(), "wrong-root"),
        ("truncated", b"<Message><Children><Child>".to_vec(), "truncated"),
        ("mismatched", b"<Message><Children></Child></Message>".to_vec(), "not-well-formed"),
        ("doctype", b"<?xml version=\"1.0\"?><!DOCTYPE Message [<!ENTITY x \"y\">]><Message/>".to_vec(), "doctype"),
        ("entity", b"<Message><Header><CollectionDetails><Year>&x;</Year></CollectionDetails></Header></Message>".to_vec(), "entity"),
        ("utf16", vec![0xFF, 0xFE, b'<', 0, b'M', 0], "utf16"),
        ("not utf8", b"<Message>\n<Children>\xff</Children></Message>".to_vec(), "not-utf8"),
        ("two roots", b"<Message/><Message/>".to_vec(), "not-well-formed"),
    ];
    for (name, bytes, kind) in cases {
        let err = refused(&bytes);
        assert_eq!(err.kind, kind, "{name}: {err}");
        assert_eq!(err.file, "t.xml");
    }
    let err = refused(b"<Message>\n<Children>\xff</Children></Message>");
    assert_eq!((err.line, err.column), (2, 11));
}

#[test]
fn deep_nesting_and_huge_text_are_refused() {
    let deep = format!("<Message>{}", "<a>".repeat(100_000));
    assert_eq!(refused(deep.as_bytes()).kind, "too-deep");
    let huge = format!("<Message><Header><CollectionDetails><Year>{}</Year></CollectionDetails></Header></Message>", "9".repeat(2 * 1024 * 1024));
    assert_eq!(refused(huge.as_bytes()).kind, "text-too-long");
}

#[test]
fn escaped_text_is_decoded() {
    let text = GOOD.replace("<LAchildID>A1</LAchildID>", "<LAchildID>A&amp;1&#65;</LAchildID>");
    let data = read(&text).unwrap();
    assert_eq!(data.child_ids()[0].as_deref(), Some("A&1A"));
}

/// A file full of the same problem lists the first findings of that kind and counts the rest
/// in one closing finding, the same whether read in one pass or in parts: memory stays bounded
/// whatever the file holds.
#[test]
fn findings_of_one_kind_are_listed_up_to_a_limit_then_counted() {
    use cinlint_ingest::reader_findings::LISTED_PER_KIND;
    let junk = "<Junk/>\n".repeat(LISTED_PER_KIND + 5);
    let child = GOOD.find("    <Child>").unwrap();
    let text = format!("{}{junk}{}{junk}{}", &GOOD[..child], &GOOD[child..GOOD.find("  </Children>").unwrap()], &GOOD[GOOD.find("  </Children>").unwrap()..]);
    let one = cinlint_ingest::xml::read_census_xml_bytes_in_parts("t.xml", text.clone().into_bytes(), 1).unwrap();
    let unknown: Vec<_> = one.reader_findings.iter().filter(|p| p.finding.code == "XML001").collect();
    assert_eq!(unknown.len(), LISTED_PER_KIND + 1);
    let closing = unknown.last().unwrap();
    // Twice LISTED_PER_KIND + 5 junk elements and GOOD's own <Mystery>, less those listed.
    assert!(closing.finding.message.starts_with(&format!("{} more XML001 findings not listed", LISTED_PER_KIND + 11)), "{}", closing.finding.message);
    let parts = cinlint_ingest::xml::read_census_xml_bytes_in_parts("t.xml", text.into_bytes(), 3).unwrap();
    assert_eq!(format!("{:?}", one.reader_findings), format!("{:?}", parts.reader_findings));
}
