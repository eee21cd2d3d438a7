//! Value parsing for SSD fields: dates, flags, JSON flags and factor lists, code mappings.

use chrono::NaiveDate;

/// `yyyy-mm-dd` or `dd/mm/yyyy`, optionally followed by ` hh:mm[:ss[.fff]]` or `Thh:mm:ss`.
/// Years outside 1900–2100 and impossible dates are errors.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let (date, time) = match t.find([' ', 'T']) {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    };
    if let Some(time) = time {
        let ok = !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
        if !ok {
            return None;
        }
    }
    let num = |s: &str, len: usize| -> Option<u32> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let parts: Vec<&str>;
    let (y, m, d) = if date.contains('-') {
        parts = date.split('-').collect();
        if parts.len() != 3 {
            return None;
        }
        (num(parts[0], 4)?, num(parts[1], 2)?, num(parts[2], 2)?)
    } else if date.contains('/') {
        parts = date.split('/').collect();
        if parts.len() != 3 {
            return None;
        }
        let day = if parts[0].len() == 1 { num(parts[0], 1)? } else { num(parts[0], 2)? };
        let month = if parts[1].len() == 1 { num(parts[1], 1)? } else { num(parts[1], 2)? };
        (num(parts[2], 4)?, month, day)
    } else {
        return None;
    };
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// A bare `yyyy-mm-dd` (the usual form), read as [`parse_date`] reads it but without splitting:
/// `None` for any other form, which then goes through [`parse_date`].
fn parse_plain_iso(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// The date forms one table's values are read in: the built-in forms of [`parse_date`], or the
/// formats an export mapping declares for the table (chrono `strftime` patterns such as
/// `%d.%m.%Y`), which replace them. ISO `yyyy-mm-dd` is always accepted as well: it cannot be
/// confused with another order, and a workbook's true date cells arrive in that form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateFormats {
    formats: Vec<String>,
}

impl DateFormats {
    /// Declared formats; each should have passed [`check_date_format`]. Empty = built-in forms.
    pub fn new(formats: Vec<String>) -> Self {
        Self { formats }
    }

    pub fn formats(&self) -> &[String] {
        &self.formats
    }

    /// The date, and whether the text held a time of day other than midnight.
    pub fn parse(&self, text: &str) -> Option<(NaiveDate, bool)> {
        let t = text.trim();
        if self.formats.is_empty() {
            if let Some(date) = parse_plain_iso(t) {
                return Some((date, false));
            }
            return parse_date(t).map(|d| (d, has_clock_time(t)));
        }
        if let Some(found) = self.formats.iter().find_map(|f| parse_with_format(t, f)) {
            return Some(found);
        }
        let iso = t.len() >= 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
        if iso {
            parse_date(t).map(|d| (d, has_clock_time(t)))
        } else {
            None
        }
    }

    /// The accepted forms, for messages.
    pub fn describe(&self) -> String {
        if self.formats.is_empty() {
            "yyyy-mm-dd or dd/mm/yyyy".to_string()
        } else {
            let mut forms: Vec<String> = self.formats.iter().map(|f| format!("`{f}`")).collect();
            forms.push("yyyy-mm-dd".to_string());
            forms.join(" or ")
        }
    }
}

/// A date in one `strftime` format; years outside 1900–2100 are refused as in [`parse_date`].
fn parse_with_format(text: &str, format: &str) -> Option<(NaiveDate, bool)> {
    use chrono::Datelike;
    // Date-and-time first: a date-only parse would accept the text and drop the time unseen.
    let (date, clock) = match chrono::NaiveDateTime::parse_from_str(text, format) {
        Ok(at) => (at.date(), at.time() != chrono::NaiveTime::MIN),
        Err(_) => (NaiveDate::parse_from_str(text, format).ok()?, false),
    };
    (1900..=2100).contains(&date.year()).then_some((date, clock))
}

/// Checks a declared date format: only known `%` specifiers, and it must hold a whole date
/// (a date written in it reads back as the same date).
pub fn check_date_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    use std::fmt::Write;
    if format.trim().is_empty() {
        return Err("a date format cannot be empty".into());
    }
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Err(format!("`{format}` is not a date format: it has an unknown or incomplete `%` specifier"));
    }
    // 31 December: a day above 12 and a two-digit month show a swapped or missing field.
    let probe = NaiveDate::from_ymd_opt(2024, 12, 31).expect("valid").and_hms_opt(0, 0, 0).expect("valid");
    let mut written = String::new();
    if write!(written, "{}", probe.format(format)).is_err() {
        return Err(format!("`{format}` cannot be used for dates (time-zone specifiers are not supported)"));
    }
    match parse_with_format(&written, format) {
        Some((date, _)) if date == probe.date() => Ok(()),
        _ => Err(format!("`{format}` does not hold a whole date: it needs a year, a month and a day (e.g. %d.%m.%Y)")),
    }
}

/// Whether a date's time part (if any) is not midnight.
pub fn has_clock_time(text: &str) -> bool {
    let t = text.trim();
    match t.find([' ', 'T']) {
        Some(i) => t[i + 1..].bytes().any(|b| b.is_ascii_digit() && b != b'0'),
        None => false,
    }
}

/// Y/YES/TRUE/T/1 → true, N/NO/FALSE/F/0 → false (case-insensitive), else `None`.
pub fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_uppercase().as_str() {
        "Y" | "YES" | "TRUE" | "T" | "1" => Some(true),
        "N" | "NO" | "FALSE" | "F" | "0" => Some(false),
        _ => None,
    }
}

/// Whether `text` is valid JSON, exactly as `serde_json::from_str::<serde_json::Value>` would
/// accept it, without building the value: every number, string and key goes through the same
/// parser paths (so out-of-range numbers and lone surrogates are still errors).
pub fn is_json(text: &str) -> bool {
    serde_json::from_str::<JsonSyntax>(text).is_ok()
}

/// Any JSON value, checked and dropped as it is parsed (see [`is_json`]).
struct JsonSyntax;

impl<'de> serde::Deserialize<'de> for JsonSyntax {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any`, as `Value` uses: `deserialize_ignored_any` would skip values
        // without checking them fully.
        deserializer.deserialize_any(JsonSyntaxVisitor)
    }
}

struct JsonSyntaxVisitor;

impl<'de> serde::de::Visitor<'de> for JsonSyntaxVisitor {
    type Value = JsonSyntax;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<JsonSyntax, E> {
        Ok(JsonSyntax)
    }

    fn visit_i64<E>(self, _: i64) -> Result<JsonSyntax, E> {
        Ok(JsonSyntax)
    }

    fn visit_u64<E>(self, _: u64) -> Result<JsonSyntax, E> {
        Ok(JsonSyntax)
    }

    fn visit_f64<E>(self, _: f64) -> Result<JsonSyntax, E> {
        Ok(JsonSyntax)
    }

    fn visit_str<E>(self, _: &str) -> Result<JsonSyntax, E> {
        Ok(JsonSyntax)
    }

    fn visit_unit<E>(self) -> Result<JsonSyntax, E> {
        Ok(JsonSyntax)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<JsonSyntax, A::Error> {
        while items.next_element::<JsonSyntax>()?.is_some() {}
        Ok(JsonSyntax)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<JsonSyntax, A::Error> {
        while entries.next_entry::<JsonSyntax, JsonSyntax>()?.is_some() {}
        Ok(JsonSyntax)
    }
}

/// A `*_FLAG` key of a JSON column: parsed properly when the JSON is valid, otherwise recovered
/// by a lenient `"KEY": "value"` scan (comment text is never looked at).
pub fn json_flag(text: &str, key: &str) -> Option<bool> {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) {
        return match map.get(key)? {
            serde_json::Value::String(s) => parse_flag(s),
            serde_json::Value::Bool(b) => Some(*b),
            serde_json::Value::Number(n) => parse_flag(&n.to_string()),
            _ => None,
        };
    }
    let needle = format!("\"{key}\"");
    let at = text.find(&needle)? + needle.len();
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    parse_flag(&rest[..end])
}

/// Assessment factor codes from any of the accepted forms (`la-export.md` §2.19): a JSON array,
/// an object code → Yes/No, several one-key objects separated by commas, or a bare list.
/// Codes are trimmed, upper-cased and de-duplicated in order. `None` = unreadable.
pub fn parse_factors(text: &str) -> Option<Vec<String>> {
    fn yes(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => parse_flag(s) == Some(true),
            serde_json::Value::Bool(b) => *b,
            _ => false,
        }
    }
    fn from_value(v: &serde_json::Value, out: &mut Vec<String>) -> Option<()> {
        match v {
            serde_json::Value::Array(items) => {
                for item in items {
                    match item {
                        serde_json::Value::String(s) => out.extend(s.split(',').map(str::to_string)),
                        serde_json::Value::Number(n) => out.push(n.to_string()),
                        serde_json::Value::Object(_) => from_value(item, out)?,
                        _ => return None,
                    }
                }
            }
            serde_json::Value::Object(map) => out.extend(map.iter().filter(|(_, v)| yes(v)).map(|(k, _)| k.clone())),
            serde_json::Value::String(s) => out.extend(s.split(',').map(str::to_string)),
            // A single bare code such as `21` is valid JSON: a number.
            serde_json::Value::Number(n) => out.push(n.to_string()),
            _ => return None,
        }
        Some(())
    }
    let t = text.trim();
    let mut codes = Vec::new();
    if t.is_empty() {
        return Some(codes);
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(t) {
        from_value(&v, &mut codes)?;
    } else if t.starts_with('{') {
        let v = serde_json::from_str::<serde_json::Value>(&format!("[{t}]")).ok()?;
        from_value(&v, &mut codes)?;
    } else if t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b',' | b' ' | b'"' | b'[' | b']')) {
        codes.extend(t.replace(['[', ']', '"'], "").split(',').map(str::to_string));
    } else {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for code in codes {
        let code = code.trim().to_ascii_uppercase();
        if !code.is_empty() && !out.contains(&code) {
            out.push(code);
        }
    }
    Some(out)
}

/// Category of abuse: SSD description or census code → census code.
pub fn abuse_category(text: &str) -> Option<&'static str> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    Some(match t.as_str() {
        "NEG" | "NEGLECT" => "NEG",
        "PHY" | "PHYSICALABUSE" => "PHY",
        "SAB" | "SEXUALABUSE" => "SAB",
        "EMO" | "EMOTIONALABUSE" => "EMO",
        "MUL" => "MUL",
        _ if t.starts_with("MULTIPLE") => "MUL",
        _ => return None,
    })
}

/// Sex: `Some(code)` when recognised (M, F or U).
pub fn sex(text: &str) -> Option<&'static str> {
    Some(match text.trim().to_ascii_uppercase().as_str() {
        "M" | "MALE" | "1" => "M",
        "F" | "FEMALE" | "2" => "F",
        "U" | "I" | "0" | "9" => "U",
        _ => return None,
    })
}

/// At most 40 characters of a value, for messages.
pub fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod json_syntax_tests {
    use super::is_json;

    #[test]
    fn accepts_exactly_what_serde_json_value_accepts() {
        let cases = [
            "{}", "[]", "null", "true", "1", "-1.5e3", "\"x\"", "{\"A\": [1, {\"b\": null}], \"A\": 2}",
            "{\"a\": \"\\u00e9\\n\"}", "", " ", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "1e400", "-1e400",
            "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"", "\"\\x\"", "\"a\tb\"", "nul", "{} x", "{}  ",
            "18446744073709551616", "-9223372036854775809", "01", "1.", "[[[[[[[[[[]]]]]]]]]]",
        ];
        for case in cases {
            assert_eq!(is_json(case), serde_json::from_str::<serde_json::Value>(case).is_ok(), "{case:?}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(is_json(&deep), serde_json::from_str::<serde_json::Value>(&deep).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_every_form() {
        assert_eq!(parse_date("2025-04-01"), Some(d(2025, 4, 1)));
        assert_eq!(parse_date("01/04/2025"), Some(d(2025, 4, 1)));
        assert_eq!(parse_date("2024-12-10 00:00:00.000"), Some(d(2024, 12, 10)));
        assert_eq!(parse_date("2024-12-10T00:00:00"), Some(d(2024, 12, 10)));
        assert_eq!(parse_date("10/12/2024 00:00"), Some(d(2024, 12, 10)));
        assert!(parse_date("31/02/2024").is_none());
        assert!(parse_date("01/04/25").is_none());
        assert!(parse_date("1850-01-01").is_none());
        assert!(parse_date("yesterday").is_none());
        assert!(!has_clock_time("2024-12-10 00:00:00.000"));
        assert!(has_clock_time("2024-12-10 13:45"));
        assert!(!has_clock_time("2024-12-10"));
    }

    #[test]
    fn declared_date_formats() {
        let formats = DateFormats::new(vec!["%d.%m.%Y".into(), "%d %b %Y %H:%M".into()]);
        assert_eq!(formats.parse("05.03.2025"), Some((d(2025, 3, 5), false)));
        assert_eq!(formats.parse("5.3.2025"), Some((d(2025, 3, 5), false)));
        assert_eq!(formats.parse("05 Mar 2025 13:45"), Some((d(2025, 3, 5), true)));
        assert_eq!(formats.parse("05 Mar 2025 00:00"), Some((d(2025, 3, 5), false)));
        assert_eq!(formats.parse("2025-03-05"), Some((d(2025, 3, 5), false)), "ISO is always read");
        assert_eq!(formats.parse("05/03/2025"), None, "declared formats replace the built-in ones");
        assert_eq!(formats.parse("31.02.2025"), None);
        assert_eq!(formats.parse("05.03.1850"), None);
        assert_eq!(formats.describe(), "`%d.%m.%Y` or `%d %b %Y %H:%M` or yyyy-mm-dd");
        assert_eq!(DateFormats::default().parse("05/03/2025 10:00"), Some((d(2025, 3, 5), true)));
        assert!(check_date_format("%d.%m.%Y").is_ok());
        assert!(check_date_format("%m/%d/%y").is_ok());
        assert!(check_date_format("%Y-%m-%dT%H:%M:%S").is_ok());
        assert!(check_date_format("%d.%m").unwrap_err().contains("whole date"));
        assert!(check_date_format("%d.%m.%Q").unwrap_err().contains("unknown"));
        assert!(check_date_format("%d.%m.%Y %z").is_err());
        assert!(check_date_format("dd.mm.yyyy").unwrap_err().contains("whole date"));
    }

    #[test]
    fn flags_and_json() {
        assert_eq!(parse_flag("yes"), Some(true));
        assert_eq!(parse_flag("F"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
        assert_eq!(json_flag(r#"{"NFA_FLAG": "Y"}"#, "NFA_FLAG"), Some(true));
        assert_eq!(json_flag(r#"{"NFA_FLAG": "N", "COMMENTS": "say "hi"}"#, "NFA_FLAG"), Some(false));
        assert_eq!(json_flag(r#"{"X": "N"}"#, "NFA_FLAG"), None);
    }

    #[test]
    fn factor_forms() {
        let v = |x: &[&str]| Some(x.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(parse_factors(r#"["1B", "3A", "21"]"#), v(&["1B", "3A", "21"]));
        assert_eq!(parse_factors(r#"{"1B": "Yes", "4A": "No"}"#), v(&["1B"]));
        assert_eq!(parse_factors(r#"{"2B":"Yes"},{"19A":"No"}"#), v(&["2B"]));
        assert_eq!(parse_factors("1b, 3A,1B"), v(&["1B", "3A"]));
        assert_eq!(parse_factors("21"), v(&["21"]));
        assert_eq!(parse_factors(r#"{"1B": "Yes""#), None);
    }

    #[test]
    fn categories() {
        assert_eq!(abuse_category("Neglect"), Some("NEG"));
        assert_eq!(abuse_category("physical  abuse"), Some("PHY"));
        assert_eq!(abuse_category("Multiple: Neglect, Emotional"), Some("MUL"));
        assert_eq!(abuse_category("EMO"), Some("EMO"));
        assert_eq!(abuse_category("Bullying"), None);
    }
}
