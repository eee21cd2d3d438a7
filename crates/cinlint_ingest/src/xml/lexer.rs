//! The census reader's XML tokeniser: one forward pass over text already checked as UTF-8,
//! every token a slice of it.
//!
//! It reads the XML a census return is made of (elements, attributes it skips, text, character
//! and the five predefined entity references, CDATA, comments, processing instructions) and
//! checks what makes a document well-formed for that purpose: every tag closed, end tags
//! matching their start tags, references complete and defined. It never validates against a
//! schema, never expands a declared entity and never fetches anything: a DOCTYPE is handed to
//! the caller as a token, which refuses it.
//!
//! Written for this reader rather than taken from a general XML crate because tokenising was
//! 40 % of reading a return with one: census values are short, so per-token overhead (searches
//! set up for long runs, owned name buffers for end-tag checks, a general event type) dominates.
//! A test compares its tokens with quick-xml's on damaged returns.

/// One piece of the document. Tags carry the element's local name (any prefix dropped).
///
/// Kept to a tag and one slice (no flags beside it): returned for every few bytes of input, a
/// token with a `bool` field was written and read back in pieces, which stalled the CPU.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'a> {
    Start(&'a [u8]),
    /// A self-closing tag, `<name/>`.
    Empty(&'a [u8]),
    End(&'a [u8]),
    /// Character data up to the next markup or reference, as written.
    Text(&'a str),
    /// A character reference or one of the five predefined entities, resolved.
    Char(char),
    /// The content of a CDATA section.
    CData(&'a str),
    /// A `<!DOCTYPE …>` declaration (never read further).
    DocType,
    Eof,
}

/// Why the text is not well-formed XML, and where (a byte offset into the text).
#[derive(Debug, Clone, PartialEq)]
pub struct LexError {
    pub offset: usize,
    /// `not-well-formed`, or `entity` for a reference to an entity XML does not predefine.
    pub kind: &'static str,
    pub message: String,
}

/// An element whose end tag is still to come: its qualified name and the local part of it.
#[derive(Debug, Clone, Copy)]
pub struct OpenElement<'a> {
    name: &'a [u8],
    local: &'a [u8],
}

/// A refusal: boxed, so a token's result stays small.
pub type LexResult<T> = Result<T, Box<LexError>>;

pub struct Lexer<'a> {
    text: &'a str,
    at: usize,
    /// Where the last token returned starts.
    start: usize,
    /// The open elements, for matching end tags.
    open: Vec<OpenElement<'a>>,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Self::inside(text, Vec::new())
    }

    /// A lexer for a part of a document that starts inside the elements `open` (taken from a
    /// lexer that read up to there, [`Lexer::open_elements`]): their end tags are matched too.
    pub fn inside(text: &'a str, open: Vec<OpenElement<'a>>) -> Self {
        Self { text, at: 0, start: 0, open }
    }

    /// The elements open at this point, outermost first.
    pub fn open_elements(&self) -> &[OpenElement<'a>] {
        &self.open
    }

    /// The local name of the innermost open element.
    pub fn innermost(&self) -> Option<&'a [u8]> {
        self.open.last().map(|e| e.local)
    }

    /// The offset the last token returned starts at.
    pub fn token_start(&self) -> usize {
        self.start
    }

    /// The next token (comments and processing instructions are passed over).
    pub fn next_token(&mut self) -> LexResult<Token<'a>> {
        let bytes = self.text.as_bytes();
        loop {
            let start = self.at;
            let token = match bytes.get(start) {
                None => Token::Eof,
                Some(b'<') => match self.markup(start)? {
                    Some(token) => token,
                    None => continue,
                },
                Some(b'&') => self.reference(start)?,
                Some(_) => {
                    let end = start + bytes[start..].iter().position(|&b| b == b'<' || b == b'&').unwrap_or(bytes.len() - start);
                    self.at = end;
                    Token::Text(&self.text[start..end])
                }
            };
            self.start = start;
            return Ok(token);
        }
    }

    #[cold]
    fn error(offset: usize, message: impl Into<String>) -> Box<LexError> {
        Box::new(LexError { offset, kind: "not-well-formed", message: message.into() })
    }

    /// The offset just after the first `needle` at or after `from`, or an error naming `what`.
    fn past(&self, from: usize, needle: &str, start: usize, what: &str) -> LexResult<usize> {
        match self.text[from..].find(needle) {
            Some(i) => Ok(from + i + needle.len()),
            None => Err(Self::error(start, format!("{what} is never closed with `{needle}`"))),
        }
    }

    /// The markup at `start`; `None` for a comment or processing instruction.
    fn markup(&mut self, start: usize) -> LexResult<Option<Token<'a>>> {
        let bytes = self.text.as_bytes();
        match bytes.get(start + 1) {
            Some(b'/') => self.end_tag(start).map(Some),
            Some(b'?') => {
                self.at = self.past(start + 2, "?>", start, "a processing instruction")?;
                Ok(None)
            }
            Some(b'!') => {
                let rest = &bytes[start + 2..];
                if rest.starts_with(b"--") {
                    self.at = self.past(start + 4, "-->", start, "a comment")?;
                    Ok(None)
                } else if rest.starts_with(b"[CDATA[") {
                    let content = start + 9;
                    self.at = self.past(content, "]]>", start, "a CDATA section")?;
                    Ok(Some(Token::CData(&self.text[content..self.at - 3])))
                } else if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"DOCTYPE") {
                    // Never read: the caller refuses the document.
                    self.at = self.text.len();
                    Ok(Some(Token::DocType))
                } else {
                    Err(Self::error(start, "`<!` starts neither a comment nor a CDATA section"))
                }
            }
            _ => self.start_tag(start).map(Some),
        }
    }

    fn start_tag(&mut self, start: usize) -> LexResult<Token<'a>> {
        let bytes = self.text.as_bytes();
        let name_start = start + 1;
        // One pass over the name finds its end and where its local part starts.
        let (mut end, mut local_start) = (name_start, name_start);
        loop {
            match bytes.get(end).map(|&b| NAME_BYTES[b as usize]) {
                Some(NAME) => end += 1,
                Some(COLON) => {
                    end += 1;
                    local_start = end;
                }
                Some(_) => break,
                None => return Err(Self::error(start, "a start tag is never closed with `>`")),
            }
        }
        let first = bytes[name_start];
        if end == name_start || !(first.is_ascii_alphabetic() || first == b'_' || first >= 0x80) {
            return Err(Self::error(start, "a `<` is not followed by an element name (write `&lt;` for a less-than sign)"));
        }
        if !matches!(bytes[end], b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>') {
            let c = self.text[end..].chars().next().unwrap_or('?');
            return Err(Self::error(end, format!("`{c}` cannot be part of an element name")));
        }
        let name = &bytes[name_start..end];
        let local = &bytes[local_start..end];
        let mut at = end;
        // Attributes are skipped; a quoted value may hold `>` or `/`.
        let empty = loop {
            match bytes.get(at) {
                None => return Err(Self::error(start, "a start tag is never closed with `>`")),
                Some(b'>') => break false,
                Some(b'/') if bytes.get(at + 1) == Some(&b'>') => {
                    at += 1;
                    break true;
                }
                Some(b'/') => return Err(Self::error(at, "a `/` in a tag is not followed by `>`")),
                Some(&quote @ (b'"' | b'\'')) => match bytes[at + 1..].iter().position(|&b| b == quote) {
                    Some(i) => at += i + 2,
                    None => return Err(Self::error(at, "an attribute value is never closed")),
                },
                Some(_) => at += 1,
            }
        };
        self.at = at + 1;
        if empty {
            return Ok(Token::Empty(local));
        }
        self.open.push(OpenElement { name, local });
        Ok(Token::Start(local))
    }

    fn end_tag(&mut self, start: usize) -> LexResult<Token<'a>> {
        let bytes = self.text.as_bytes();
        let name_start = start + 2;
        // Usually the end tag is exactly `</` + the open element's name + `>`.
        if let Some(open) = self.open.last() {
            let end = name_start + open.name.len();
            if bytes.get(end) == Some(&b'>') && same_bytes(&bytes[name_start..end], open.name) {
                self.at = end + 1;
                let local = open.local;
                self.open.pop();
                return Ok(Token::End(local));
            }
        }
        let Some(len) = bytes[name_start..].iter().position(|&b| b == b'>') else {
            return Err(Self::error(start, "an end tag is never closed with `>`"));
        };
        self.at = name_start + len + 1;
        let written = &bytes[name_start..name_start + len];
        let name = written.trim_ascii_end();
        match self.open.pop() {
            Some(open) if open.name == name => {}
            open => {
                let expected = open.map_or("no end tag (every element is closed)".to_string(), |o| format!("</{}>", String::from_utf8_lossy(o.name)));
                return Err(Self::error(start, format!("expected {expected}, found </{}>", String::from_utf8_lossy(written))));
            }
        }
        Ok(Token::End(local(name)))
    }

    /// `&name;` or `&#…;`, resolved; anything else is refused (entities are never expanded).
    fn reference(&mut self, start: usize) -> LexResult<Token<'a>> {
        const LONGEST: usize = 32;
        let bytes = self.text.as_bytes();
        let window = &bytes[start + 1..bytes.len().min(start + 1 + LONGEST)];
        let Some(len) = window.iter().position(|&b| b == b';') else {
            return Err(Self::error(start, "a `&` does not start a reference (write `&amp;` for an ampersand)"));
        };
        let name = &self.text[start + 1..start + 1 + len];
        self.at = start + len + 2;
        let resolved = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => match name.strip_prefix('#') {
                Some(number) => {
                    let code = match number.strip_prefix('x') {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => number.parse().ok(),
                    };
                    match code.filter(|&c| c != 0).and_then(char::from_u32) {
                        Some(c) => Some(c),
                        None => return Err(Self::error(start, format!("`&{name};` is not a character reference to a valid character"))),
                    }
                }
                None => None,
            },
        };
        resolved.map(Token::Char).ok_or_else(|| {
            Box::new(LexError { offset: start, kind: "entity", message: format!("the entity `&{name};` is not defined; cinlint never expands entities") })
        })
    }
}

/// What a byte is in an element name: ASCII letters, digits, `.`, `-`, `_` and any byte of a
/// non-ASCII character (XML allows most of them) are [`NAME`]; `:` ends a prefix. A table: this
/// runs for every byte of every start tag.
const OTHER: u8 = 0;
const NAME: u8 = 1;
const COLON: u8 = 2;
// A `static`: a `const` array indexed at run time may be copied onto the stack at each use.
static NAME_BYTES: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_') || c >= 0x80 {
            table[b] = NAME;
        }
        b += 1;
    }
    table[b':' as usize] = COLON;
    table
};

/// Whether `b` can be part of an element name or a prefix (not `:`).
pub(super) fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[b as usize] == NAME
}

/// The part of a qualified name after its prefix.
fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// `a == b` for short slices such as element names, word by word: a call to `memcmp` for
/// every end tag cost more than the comparison.
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        // The last word may overlap the one before.
        return word(a, n - 8) == word(b, n - 8);
    }
    a.iter().zip(b).fold(true, |same, (x, y)| same & (x == y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> LexResult<Vec<Token<'_>>> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            match lexer.next_token()? {
                Token::Eof => return Ok(out),
                token => out.push(token),
            }
        }
    }

    #[test]
    fn elements_text_and_references() {
        let got = tokens("<?xml version=\"1.0\"?><a x=\"1>/\" y='2'><p:b/>t&amp;&#65;&#x42;<!-- c --><![CDATA[<d>]]></a>").unwrap();
        assert_eq!(
            got,
            vec![
                Token::Start(b"a"),
                Token::Empty(b"b"),
                Token::Text("t"),
                Token::Char('&'),
                Token::Char('A'),
                Token::Char('B'),
                Token::CData("<d>"),
                Token::End(b"a"),
            ]
        );
        assert_eq!(tokens("<a >x</a >").unwrap()[2], Token::End(b"a"));
    }

    #[test]
    fn malformed_markup_is_located() {
        let cases = [
            ("<a><b></a>", 6, "expected </b>, found </a>"),
            ("<a></a></a>", 7, "expected no end tag"),
            ("<a", 0, "never closed"),
            ("<a x=\"1></a>", 5, "attribute value"),
            ("<a></a", 3, "end tag is never closed"),
            ("<a><!-- x", 3, "comment"),
            ("<a><![CDATA[x", 3, "CDATA"),
            ("<?xml", 0, "processing instruction"),
            ("<a>< b</a>", 3, "not followed by an element name"),
            ("<a><!ELEMENT></a>", 3, "neither"),
            ("<a>&#0;</a>", 3, "valid character"),
            ("<a>&#xZZ;</a>", 3, "valid character"),
            ("<a>AT&T</a>", 5, "does not start a reference"),
            ("<a><b//></a>", 5, "`/` in a tag"),
            ("<a><b\"></a>", 5, "cannot be part of an element name"),
            ("<a><1b></a>", 3, "not followed by an element name"),
        ];
        for (text, offset, needle) in cases {
            let err = tokens(text).expect_err(text);
            assert_eq!(err.offset, offset, "{text}: {err:?}");
            assert!(err.message.contains(needle), "{text}: {err:?}");
            assert_eq!(err.kind, "not-well-formed");
        }
        let err = tokens("<a>&boom;</a>").unwrap_err();
        assert_eq!((err.kind, err.offset), ("entity", 3));
    }

    #[test]
    fn a_part_that_starts_inside_elements_matches_their_end_tags_too() {
        let head = "<a><b>";
        let mut reader = Lexer::new(head);
        while reader.next_token().unwrap() != Token::Eof {}
        let open = reader.open_elements().to_vec();
        let mut lexer = Lexer::inside("<c></c></b></a>", open.clone());
        let mut ends = 0;
        loop {
            match lexer.next_token().unwrap() {
                Token::Eof => break,
                Token::End(_) => ends += 1,
                _ => {}
            }
        }
        assert_eq!(ends, 3);
        let mut lexer = Lexer::inside("<c></c></a>", open);
        lexer.next_token().unwrap();
        lexer.next_token().unwrap();
        assert!(lexer.next_token().unwrap_err().message.contains("expected </b>, found </a>"), "an element it did not see open is still matched");
        let mut lexer = Lexer::new("<c></d>");
        assert!(lexer.next_token().is_ok() && lexer.next_token().is_err(), "an element it saw open is still matched");
    }

    #[test]
    fn comments_and_instructions_are_passed_over_with_offsets_kept() {
        let mut lexer = Lexer::new("<a><!--x--><?p?>t</a>");
        lexer.next_token().unwrap();
        assert_eq!(lexer.next_token().unwrap(), Token::Text("t"));
        assert_eq!(lexer.token_start(), 16);
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let words = ["", "a", "ab", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghXjklmnopq"];
        for a in words {
            for b in words {
                assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), a == b, "{a} {b}");
            }
        }
        assert!(!same_bytes(b"abcdefghijklmnoX", b"abcdefghijklmnop"));
        assert!(!same_bytes(b"Xbcdefghijklmnop", b"abcdefghijklmnop"));
    }

    #[test]
    fn doctype_is_a_token_not_read() {
        assert_eq!(tokens("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>").unwrap(), vec![Token::DocType]);
    }

    /// Our tokens and quick-xml's events for the same text, both normalised: adjacent text and
    /// references merged into one text, comments and instructions dropped. `Err` when the text
    /// was refused.
    fn ours(text: &str) -> Result<Vec<String>, String> {
        let mut lexer = Lexer::new(text);
        let mut out = Normalised::default();
        loop {
            match lexer.next_token().map_err(|e| e.message)? {
                Token::Eof => return Ok(out.finish()),
                Token::DocType => return Err("doctype".into()),
                Token::Start(local) => out.tag(format!("start {} false", String::from_utf8_lossy(local))),
                Token::Empty(local) => out.tag(format!("start {} true", String::from_utf8_lossy(local))),
                Token::End(local) => out.tag(format!("end {}", String::from_utf8_lossy(local))),
                Token::Text(t) | Token::CData(t) => out.text(t),
                Token::Char(c) => out.text(&c.to_string()),
            }
        }
    }

    fn quick_xml(text: &str) -> Result<Vec<String>, String> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(text);
        let mut out = Normalised::default();
        let name = |n: quick_xml::name::LocalName<'_>| String::from_utf8_lossy(n.into_inner()).into_owned();
        loop {
            match reader.read_event().map_err(|e| e.to_string())? {
                Event::Eof => return Ok(out.finish()),
                Event::DocType(_) => return Err("doctype".into()),
                Event::Start(e) => out.tag(format!("start {} false", name(e.local_name()))),
                Event::Empty(e) => out.tag(format!("start {} true", name(e.local_name()))),
                Event::End(e) => out.tag(format!("end {}", name(e.local_name()))),
                Event::Text(t) => out.text(std::str::from_utf8(&t.into_inner()).map_err(|e| e.to_string())?),
                Event::CData(t) => out.text(std::str::from_utf8(&t.into_inner()).map_err(|e| e.to_string())?),
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match &*r.decode().map_err(|e| e.to_string())? {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            other => return Err(format!("entity {other}")),
                        },
                        Err(e) => return Err(e.to_string()),
                    };
                    out.text(&resolved.to_string());
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }

    #[derive(Default)]
    struct Normalised {
        tokens: Vec<String>,
        text: Option<String>,
    }

    impl Normalised {
        fn text(&mut self, t: &str) {
            self.text.get_or_insert_with(String::new).push_str(t);
        }
        fn tag(&mut self, tag: String) {
            self.tokens.extend(self.text.take().map(|t| format!("text {t:?}")));
            self.tokens.push(tag);
        }
        fn finish(mut self) -> Vec<String> {
            self.tokens.extend(self.text.take().map(|t| format!("text {t:?}")));
            self.tokens
        }
    }

    /// On thousands of damaged variants of a return, both read the same tokens whenever both
    /// accept the text, and refuse the same texts, apart from a few documented differences
    /// where quick-xml accepts what is not well-formed XML (see the list below).
    #[test]
    fn tokens_agree_with_quick_xml_on_damaged_returns() {
        let base = concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message xmlns=\"http://x\">\n <Header><CollectionDetails>",
            "<Collection>CIN</Collection><Year>2026</Year></CollectionDetails></Header>\n <Children>\n  <!-- one -->\n",
            "  <Child><ChildIdentifiers><LAchildID>A&amp;1&#65;</LAchildID><UPN a='x'>A2010</UPN><Sex/></ChildIdentifiers>\n",
            "   <CINdetails><![CDATA[x<y]]><CINreferralDate>2025-05-01</CINreferralDate></CINdetails></Child>\n </Children>\n</Message>\n"
        );
        let alphabet = b"<>/&;\"'=!?#x: aZ09-\n";
        let mut seed = 0x5eed_c1a7_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        let (mut both, mut refused_by_both, mut differ) = (0, 0, Vec::new());
        for round in 0..20_000 {
            let mut bytes = base.as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len());
                match next(4) {
                    0 => bytes[at] = alphabet[next(alphabet.len())],
                    1 => {
                        bytes.remove(at);
                    }
                    2 => bytes.insert(at, alphabet[next(alphabet.len())]),
                    _ => {
                        let end = (at + next(30)).min(bytes.len());
                        let copy = bytes[at..end].to_vec();
                        bytes.splice(at..at, copy);
                    }
                }
            }
            let Ok(text) = String::from_utf8(bytes) else { continue };
            match (ours(&text), quick_xml(&text)) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "round {round}: {text}");
                    both += 1;
                }
                (Err(_), Err(_)) => refused_by_both += 1,
                (a, b) => differ.push((round, text, a.err(), b.err())),
            }
        }
        // Where quick-xml accepts text that is not well-formed XML and we refuse it.
        let explained = |text: &str, ours: &Option<String>| match ours.as_deref() {
            // `&` must start a reference; quick-xml 0.38 passes a lone `&…` on as text.
            Some(m) if m.contains("does not start a reference") => true,
            // `<` must start a name; quick-xml reads `< x>` as an element named "".
            Some(m) if m.contains("not followed by an element name") => true,
            // A character reference must name a character (quick-xml resolves only when asked).
            Some(m) if m.contains("valid character") => true,
            // Names: quick-xml takes any bytes up to white space, `/` or `>` as a name.
            Some(m) if m.contains("cannot be part of an element name") => true,
            // `<a//>`: quick-xml reads an element named "a/".
            Some(m) if m.contains("is not followed by `>`") => true,
            _ => text.is_empty(),
        };
        let unexplained: Vec<_> = differ.iter().filter(|(_, text, ours, _)| !explained(text, ours)).collect();
        assert!(unexplained.is_empty(), "{} of {} differ unexplained, e.g. {:#?}", unexplained.len(), differ.len(), &unexplained[..unexplained.len().min(5)]);
        assert!(both > 1000 && refused_by_both > 1000, "both {both}, refused by both {refused_by_both}");
    }
}
