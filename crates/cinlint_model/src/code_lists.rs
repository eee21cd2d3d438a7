//! DfE census code lists as data, looked up by name (rules call `in_code_list('<name>', value)`).

/// A named code list: the codes and a label for each.
#[derive(Debug)]
pub struct CodeList {
    pub name: &'static str,
    /// The census element(s) the list applies to.
    pub applies_to: &'static str,
    pub codes: &'static [&'static str],
}

impl CodeList {
    pub fn contains(&self, code: &str) -> bool {
        self.codes.contains(&code)
    }
}

pub const CODE_LISTS: &[CodeList] = &[
    CodeList { name: "sex", applies_to: "ChildIdentifiers.Sex", codes: &["M", "F", "U"] },
    CodeList { name: "gender_current", applies_to: "ChildIdentifiers.GenderCurrent", codes: &["0", "1", "2", "9"] },
    CodeList {
        name: "ethnicity",
        applies_to: "ChildCharacteristics.Ethnicity",
        codes: &[
            "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN",
            "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
        ],
    },
    CodeList {
        name: "disability",
        applies_to: "Disabilities.Disability",
        codes: &["NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"],
    },
    CodeList {
        name: "upn_unknown",
        applies_to: "ChildIdentifiers.UPNunknown",
        codes: &["UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7"],
    },
    CodeList {
        name: "referral_source",
        applies_to: "CINdetails.ReferralSource",
        codes: &[
            "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C", "5D",
            "6", "7", "8", "9", "10",
        ],
    },
    CodeList {
        name: "primary_need",
        applies_to: "CINdetails.PrimaryNeedCode",
        codes: &["N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"],
    },
    CodeList {
        name: "reason_for_closure",
        applies_to: "CINdetails.ReasonForClosure",
        codes: &["RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"],
    },
    CodeList {
        name: "assessment_factor",
        applies_to: "AssessmentFactorsList.AssessmentFactor",
        codes: &[
            "1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C", "6A",
            "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A", "14A", "15A",
            "16A", "17A", "18B", "18C", "19B", "19C", "20", "21", "22A", "23A", "24A",
        ],
    },
    CodeList {
        name: "assessment_factor_legacy",
        applies_to: "AssessmentFactorsList.AssessmentFactor (accepted by 8897Q, queried by 8945Q/8950Q)",
        codes: &["18A", "19A"],
    },
    CodeList {
        name: "category_of_abuse",
        applies_to: "ChildProtectionPlans.InitialCategoryOfAbuse, LatestCategoryOfAbuse",
        codes: &["NEG", "PHY", "SAB", "EMO", "MUL"],
    },
    CodeList {
        name: "la_code",
        applies_to: "ChildIdentifiers.UPN characters 2-4 (rule 1530)",
        codes: &["001","002","003","004","005","201","202","203","204","205","206","207","208","209","210","211","212","213","301","302","303","304","305","306","307","308","309","310","311","312","313","314","315","316","317","318","319","320","330","331","332","333","334","335","336","340","341","342","343","344","350","351","352","353","354","355","356","357","358","359","370","371","372","373","380","381","382","383","384","390","391","392","393","394","420","660","661","662","663","664","665","666","667","668","669","670","671","672","673","674","675","676","677","678","679","680","681","701","702","703","704","705","706","707","708","800","801","802","803","805","806","807","808","810","811","812","813","815","816","820","821","822","823","825","826","830","831","835","836","837","838","839","840","841","845","846","850","851","852","855","856","857","860","861","865","866","867","868","869","870","871","872","873","874","875","876","877","878","879","880","881","882","883","884","885","886","887","888","889","890","891","892","893","894","895","896","908","909","916","919","921","925","926","928","929","931","933","935","936","937","938","940","941","942","943"],
    },
];

/// The 23 UPN check letters, indexed by remainder mod 23 (I, O and S omitted).
pub const UPN_CHECK_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

pub fn code_list(name: &str) -> Option<&'static CodeList> {
    CODE_LISTS.iter().find(|l| l.name == name)
}

/// The check letter a UPN should start with (DfE UPN guide): for a 13-character UPN whose
/// characters 2-12 are ASCII digits and whose 13th is a digit (a permanent UPN) or a letter of the
/// check-letter table (a temporary UPN, counted by its place in the table, A = 0 … Z = 22); each
/// character is weighted by its position (2-13) and the sum taken mod 23. `None` for any other shape.
pub fn upn_check_letter(upn: &str) -> Option<char> {
    let mut chars = upn.chars();
    chars.next()?;
    let rest = chars.as_str().as_bytes();
    if rest.len() != 12 || !rest[..11].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let last = if rest[11].is_ascii_digit() { u32::from(rest[11] - b'0') } else { UPN_CHECK_LETTERS.iter().position(|l| *l == rest[11])? as u32 };
    let sum: u32 = rest[..11].iter().enumerate().map(|(i, b)| u32::from(b - b'0') * (i as u32 + 2)).sum::<u32>() + last * 13;
    Some(UPN_CHECK_LETTERS[(sum % 23) as usize] as char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_unique_and_sized() {
        for list in CODE_LISTS {
            let mut codes = list.codes.to_vec();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), list.codes.len(), "{} has duplicates", list.name);
        }
        assert_eq!(code_list("la_code").unwrap().codes.len(), 195);
        assert_eq!(code_list("assessment_factor").unwrap().codes.len(), 42);
        assert_eq!(code_list("referral_source").unwrap().codes.len(), 22);
        assert!(code_list("ethnicity").unwrap().contains("NOBT"));
        assert!(!code_list("ethnicity").unwrap().contains(" WBRI"));
    }

    #[test]
    fn check_letters() {
        // Digits 2-13 of X201000000001 weighted by position: 2*2 + 1*4 + 1*13 = 21 → Y.
        assert_eq!(upn_check_letter("X201000000001"), Some('Y'));
        // A temporary UPN's final letter counts by its place in the table: A = 0, so as a final 0.
        assert_eq!(upn_check_letter("X20100000000A"), upn_check_letter("X201000000000"));
        assert_eq!(upn_check_letter("X20100000000I"), None);
        assert_eq!(upn_check_letter("X2010000000A1"), None);
        assert_eq!(upn_check_letter("É201000000001"), Some('Y'));
        assert_eq!(upn_check_letter("X20100000001"), None);
        assert_eq!(upn_check_letter("X2010000000"), None);
    }
}
