//! Mutation fuzzing of the XML reader: thousands of damaged variants of a valid return (bytes
//! flipped, deleted, duplicated, cut short) must each give tables or a located error, never a
//! panic. Deterministic (fixed seed), so a failure reproduces.

use cinlint_ingest::xml::read_census_xml_bytes;

const BASE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>201</LEA></Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers><LAchildID>A1</LAchildID><UPN>A201000000001</UPN><PersonBirthDate>2015-01-01</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity><Disabilities><Disability>NONE</Disability></Disabilities></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2025-05-01</CINreferralDate><ReferralSource>1A</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>
        <Assessments><AssessmentActualStartDate>2025-05-02</AssessmentActualStartDate><FactorsIdentifiedAtAssessment><AssessmentFactors>1A</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>
        <CINPlanDates><CINPlanStartDate>2025-06-01</CINPlanStartDate></CINPlanDates>
        <Section47><S47ActualStartDate>2025-05-03</S47ActualStartDate><ICPCnotRequired>true</ICPCnotRequired></Section47>
        <ReferralNFA>false</ReferralNFA>
        <ChildProtectionPlans><CPPstartDate>2025-07-01</CPPstartDate><NumberOfPreviousCPP>0</NumberOfPreviousCPP><Reviews><CPPreviewDate>2025-08-01</CPPreviewDate></Reviews></ChildProtectionPlans>
      </CINdetails>
    </Child>
  </Children>
</Message>
"#;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn damaged_returns_never_panic() {
    let mut rng = Rng(0x5eed_c1a7);
    let alphabet = b"<>/&;\"'=! abcXYZ019-\n\xff\xc3";
    let mut accepted = 0;
    for round in 0..3000 {
        let mut bytes = BASE.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(5) {
                0 => bytes[at] = alphabet[rng.below(alphabet.len())],
                1 => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
                3 => {
                    let end = (at + rng.below(40)).min(bytes.len());
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(at..at, copy);
                }
                _ => bytes.truncate(at),
            }
        }
        match read_census_xml_bytes("fuzz.xml", bytes.clone()) {
            Ok(data) => {
                accepted += 1;
                assert!(data.row_count("Header") == 1, "round {round}");
            }
            Err(e) => assert!(!e.message.is_empty() && e.file == "fuzz.xml", "round {round}: {e}"),
        }
    }
    assert!(accepted > 100, "some mutations keep the file readable ({accepted})");
}

/// Damaged returns of several children read the same parsed in parts on several threads (two,
/// three or four parts) as in one pass: the same tables and findings, or an error at the same
/// place.
#[test]
fn split_parsing_agrees_with_one_pass_on_damaged_returns() {
    use cinlint_ingest::xml::read_census_xml_bytes_in_parts;
    let child_start = BASE.find("    <Child>").unwrap();
    let child_end = BASE.find("  </Children>").unwrap();
    let child = &BASE[child_start..child_end];
    let many = format!("{}{}{}", &BASE[..child_end], child.replace("A1", "A2").repeat(3), &BASE[child_end..]);
    let mut rng = Rng(0xd1ce_5eed);
    let mut split_ok = 0;
    for round in 0..1500 {
        let mut bytes = many.as_bytes().to_vec();
        if round > 0 {
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[at] = b"<>/&x1-"[rng.below(7)],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b"<>/&x1-"[rng.below(7)]),
                }
            }
        }
        let one = read_census_xml_bytes_in_parts("f.xml", bytes.clone(), 1);
        let two = read_census_xml_bytes_in_parts("f.xml", bytes, 2 + round % 3);
        match (one, two) {
            (Ok(a), Ok(b)) => {
                split_ok += 1;
                assert_eq!(a.children, b.children, "round {round}");
                for (x, y) in a.tables.iter().zip(&b.tables) {
                    assert_eq!(x.batch, y.batch, "round {round}: table {}", x.def.name);
                    assert_eq!(format!("{:?}", x.positions), format!("{:?}", y.positions), "round {round}: positions of {}", x.def.name);
                }
                assert_eq!(format!("{:?}", a.reader_findings), format!("{:?}", b.reader_findings), "round {round}");
            }
            (Err(a), Err(b)) => assert_eq!((a.line, a.column), (b.line, b.column), "round {round}: {a} vs {b}"),
            (a, b) => panic!("round {round}: one pass {:?}, in parts {:?}", a.err(), b.err()),
        }
    }
    assert!(split_ok > 100, "{split_ok}");
}
