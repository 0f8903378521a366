//! A strict, streaming XML reader, shared by `check` and `review` (every
//! configuration file either reads goes through it): it hands its caller one
//! start tag at a time (with byte ranges for every name and value), checks
//! that the whole file is well-formed XML 1.0 as it goes, and never holds more
//! than one tag in memory, so a 100 MB applicationHost.config is checked in a
//! few MB.
//!
//! quick-xml splits the input into markup; the rules it leaves to its users
//! are applied here: attribute syntax and values, names, references, what may
//! stand outside the root element, control characters, and UTF-8.
//! (The rules are those of XML 1.0, <https://www.w3.org/TR/xml/>: §2.2
//! characters, §2.3 names, §2.4 character data, §2.8 prolog, §3.1 tags,
//! §3.3.3 attribute-value normalization, §4.1 references.)

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read};
use std::ops::Range;
use std::rc::Rc;
use std::sync::{mpsc, Arc};

use quick_xml::events::Event;

use crate::source::SourceFile;

/// Why the file is not well-formed (or could not be read).
#[derive(Debug)]
pub enum XmlError {
    /// Not well-formed at `at`.
    Syntax { at: Range<usize>, message: String },
    /// A `<!DOCTYPE>` at `at`.
    Dtd { at: Range<usize> },
    /// The file ends inside an element, or inside markup (`inside` says which).
    Truncated { at: usize, inside: String },
    /// Bytes that are not UTF-8, at this offset of the file (after any BOM).
    NotUtf8 { offset: usize },
    /// The file could not be read.
    Io(io::Error),
}

impl XmlError {
    fn syntax(at: Range<usize>, message: impl Into<String>) -> XmlError {
        XmlError::Syntax {
            at,
            message: message.into(),
        }
    }
}

/// One start tag (or empty-element tag).
#[derive(Debug)]
pub struct Tag {
    data: TagData,
    /// Where `data.text` goes back when the tag is dropped.
    spares: Spares,
}

/// The buffers of a [`Tag`]. A configuration file has millions of tags but
/// only as many alive at once as elements are open: their buffers are
/// reused instead of allocated and freed for each tag.
#[derive(Debug, Default)]
struct TagText {
    /// The text between `<` and `>` (without a closing `/`).
    raw: String,
    attributes: Vec<RawAttribute>,
    /// Values that differ from their raw text after references and
    /// whitespace are resolved.
    resolved: String,
}

/// Buffers of dropped tags, shared by a parser and the tags it made.
#[derive(Clone, Default)]
struct Spares(Rc<RefCell<Vec<TagText>>>);

impl fmt::Debug for Spares {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Spares")
    }
}

impl TagText {
    fn clear(&mut self) {
        self.raw.clear();
        self.attributes.clear();
        self.resolved.clear();
    }

    /// An attribute's value, with references and whitespace resolved.
    fn value(&self, attribute: &RawAttribute) -> &str {
        match &attribute.resolved {
            Some(r) => &self.resolved[r.clone()],
            None => &self.raw[attribute.value.clone()],
        }
    }
}

impl Drop for Tag {
    fn drop(&mut self) {
        let text = std::mem::take(&mut self.data.text);
        self.spares.0.borrow_mut().push(text);
    }
}

#[derive(Debug)]
struct RawAttribute {
    /// In `raw`.
    name: Range<usize>,
    /// In `raw`, between the quotes.
    value: Range<usize>,
    /// In `resolved`, when the value had references or line breaks.
    resolved: Option<Range<usize>>,
}

/// An attribute of a [`Tag`], with its place in the file.
#[derive(Debug, Clone, Copy)]
pub struct Attribute<'t> {
    pub name: &'t str,
    pub value: &'t str,
    name_at: usize,
    value_at: usize,
    value_len: usize,
}

impl Attribute<'_> {
    /// Where its name is.
    pub fn name_range(&self) -> Range<usize> {
        self.name_at..self.name_at + self.name.len()
    }

    /// Where its value is (between the quotes, as written).
    pub fn value_range(&self) -> Range<usize> {
        self.value_at..self.value_at + self.value_len
    }

    /// Namespace declarations and prefixed attributes (`xdt:Transform`)
    /// belong to XML or other tools, not to the IIS schema.
    pub fn is_namespaced(&self) -> bool {
        self.name == "xmlns" || self.name.contains(':')
    }
}

impl Tag {
    /// Offset of its `<`.
    pub fn start(&self) -> usize {
        self.data.start
    }

    /// Offset after its `>`.
    pub fn end(&self) -> usize {
        self.data.end
    }

    /// 1 for the root element.
    pub fn depth(&self) -> usize {
        self.data.depth
    }

    /// An empty-element tag (`<name/>`): no content, no end tag.
    pub fn is_self_closing(&self) -> bool {
        self.data.self_closing
    }

    /// The element's name without a namespace prefix.
    pub fn name(&self) -> &str {
        &self.data.text.raw[self.data.local_start..self.data.name_len]
    }

    /// The element's name as written, with any namespace prefix.
    pub fn qualified_name(&self) -> &str {
        &self.data.text.raw[..self.data.name_len]
    }

    /// Where its name is in the file.
    pub fn name_range(&self) -> Range<usize> {
        let start = self.data.start + 1;
        start..start + self.data.name_len
    }

    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'_>> {
        let text = &self.data.text;
        let start = self.data.start + 1;
        text.attributes.iter().map(move |a| Attribute {
            name: &text.raw[a.name.clone()],
            value: text.value(a),
            name_at: start + a.name.start,
            value_at: start + a.value.start,
            value_len: a.value.len(),
        })
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        // Called for every key of every collection entry: compares names
        // without building an `Attribute` for each.
        let text = &self.data.text;
        let found = text
            .attributes
            .iter()
            .find(|a| &text.raw[a.name.clone()] == name)?;
        Some(text.value(found))
    }
}

/// A tag as the tokenizer reads it: a [`Tag`] without the way back for its
/// buffers, so that it can be read on another thread.
#[derive(Debug)]
struct TagData {
    start: usize,
    depth: usize,
    end: usize,
    self_closing: bool,
    name_len: usize,
    /// Where the name after any prefix starts (the tag's name is read often).
    local_start: usize,
    text: TagText,
}

impl TagData {
    /// Parses the text between `<` and `>` of a tag that starts at `start`,
    /// into the emptied buffers `text`.
    fn parse(raw: &str, start: usize, depth: usize, text: TagText) -> Result<TagData, XmlError> {
        let at = |i: usize| start + 1 + i;
        let (name_len, colon) = scan_name(raw, 0);
        if name_len == 0 {
            return Err(XmlError::syntax(
                at(0)..at(0),
                "expected an element name after `<`",
            ));
        }
        if colon {
            check_qualified_name(&raw[..name_len])
                .map_err(|m| XmlError::syntax(at(0)..at(name_len), m))?;
        }
        let mut text = text;
        text.raw.push_str(raw);
        let local_start = if colon {
            memchr::memrchr(b':', &raw.as_bytes()[..name_len]).map_or(0, |colon| colon + 1)
        } else {
            0
        };
        let mut tag = TagData {
            start,
            depth,
            end: start,
            self_closing: false,
            name_len,
            local_start,
            text,
        };
        let bytes = raw.as_bytes();
        let mut i = name_len;
        let mut seen_names = 0u64;
        loop {
            let spaced = i;
            i = skip_spaces(bytes, i);
            if i == bytes.len() {
                break;
            }
            if i == spaced {
                return Err(XmlError::syntax(
                    at(i)..at(i) + 1,
                    "expected a space before the next attribute",
                ));
            }
            let name_start = i;
            let (len, colon) = scan_name(raw, i);
            if len == 0 {
                let c = raw[i..].chars().next().unwrap_or(' ');
                return Err(XmlError::syntax(
                    at(i)..at(i) + c.len_utf8(),
                    format!("`{c}` cannot start an attribute name"),
                ));
            }
            let name = name_start..name_start + len;
            if colon {
                check_qualified_name(&raw[name.clone()])
                    .map_err(|m| XmlError::syntax(at(name.start)..at(name.end), m))?;
            }
            i = skip_spaces(bytes, name.end);
            if bytes.get(i) != Some(&b'=') {
                return Err(XmlError::syntax(
                    at(name.start)..at(name.end),
                    format!(
                        "attribute `{}` has no value (expected `=\"...\"`)",
                        &raw[name.clone()]
                    ),
                ));
            }
            i = skip_spaces(bytes, i + 1);
            let quote = match bytes.get(i) {
                Some(q @ (b'"' | b'\'')) => *q,
                _ => {
                    return Err(XmlError::syntax(
                        at(i)..at(i) + 1,
                        format!("the value of `{}` must be quoted", &raw[name.clone()]),
                    ))
                }
            };
            let value_start = i + 1;
            let Some((value_end, marks)) = scan_value(bytes, value_start, quote) else {
                return Err(XmlError::syntax(
                    at(i)..at(i) + 1,
                    format!("the value of `{}` has no closing quote", &raw[name.clone()]),
                ));
            };
            let value = value_start..value_end;
            i = value.end + 1;
            let new_name = &bytes[name.clone()];
            // A bit per (length, last byte) seen: most tags' attributes
            // differ in both, and then no name is compared.
            let bit = 1u64 << ((new_name.len() * 7 + usize::from(new_name[len - 1])) % 64);
            let maybe_seen = seen_names & bit != 0;
            seen_names |= bit;
            if maybe_seen
                && tag
                    .text
                    .attributes
                    .iter()
                    .any(|a| &bytes[a.name.clone()] == new_name)
            {
                return Err(XmlError::syntax(
                    at(name.start)..at(name.end),
                    format!("attribute `{}` is given twice", &raw[name.clone()]),
                ));
            }
            let resolved = if marks == 0 {
                None
            } else {
                tag.resolve(&raw[value.clone()], at(value.start))?
            };
            tag.text.attributes.push(RawAttribute {
                name,
                value,
                resolved,
            });
        }
        Ok(tag)
    }

    /// Resolves references and normalizes whitespace in a value (§3.3.3);
    /// `None` when the value is its raw text.
    fn resolve(&mut self, value: &str, at: usize) -> Result<Option<Range<usize>>, XmlError> {
        let bytes = value.as_bytes();
        if let Some(i) = memchr::memchr(b'<', bytes) {
            return Err(XmlError::syntax(
                at + i..at + i + 1,
                "`<` is not allowed in an attribute value (write &lt;)",
            ));
        }
        let plain = memchr::memchr3(b'&', b'\t', b'\n', bytes).is_none()
            && memchr::memchr(b'\r', bytes).is_none();
        if plain {
            return Ok(None);
        }
        let resolved = &mut self.text.resolved;
        let begin = resolved.len();
        let mut rest = value;
        while let Some(c) = rest.chars().next() {
            match c {
                '&' => {
                    let offset = at + (value.len() - rest.len());
                    let (ch, len) = reference(rest, offset)?;
                    resolved.push(ch);
                    rest = &rest[len..];
                }
                '\r' => {
                    resolved.push(' ');
                    rest = rest.strip_prefix("\r\n").unwrap_or(&rest[1..]);
                }
                '\t' | '\n' => {
                    resolved.push(' ');
                    rest = &rest[1..];
                }
                c => {
                    resolved.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        Ok(Some(begin..resolved.len()))
    }
}

/// Resolves the reference at the start of `text` (`&amp;`, `&#38;`, `&#x26;`);
/// returns the character and the reference's length.
fn reference(text: &str, offset: usize) -> Result<(char, usize), XmlError> {
    let Some(end) = text.find(';') else {
        return Err(XmlError::syntax(
            offset..offset + 1,
            "`&` starts a reference without `;` (write &amp; for a literal &)",
        ));
    };
    let body = &text[1..end];
    let ch = resolve_reference(body)
        .map_err(|message| XmlError::syntax(offset..offset + end + 1, message))?;
    Ok((ch, end + 1))
}

/// The character a reference's body (between `&` and `;`) stands for.
fn resolve_reference(body: &str) -> Result<char, String> {
    let code = if let Some(hex) = body.strip_prefix("#x") {
        u32::from_str_radix(hex, 16).ok()
    } else if let Some(decimal) = body.strip_prefix('#') {
        decimal.parse::<u32>().ok()
    } else {
        return match body {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            _ => Err(format!(
                "unknown entity `&{body};` (XML knows &lt; &gt; &amp; &apos; &quot; and &#N;)"
            )),
        };
    };
    let ch = code
        .filter(|_| !body[1..].starts_with(['+', '-']) && body.len() > 1)
        .and_then(char::from_u32)
        .ok_or_else(|| format!("`&{body};` is not a valid character reference"))?;
    if is_xml_char(ch) {
        Ok(ch)
    } else {
        Err(format!(
            "`&{body};` refers to U+{:04X}, which XML 1.0 does not allow",
            ch as u32
        ))
    }
}

/// XML 1.0 `Char` (§2.2).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML 1.0 `NameStartChar` (§2.3).
fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar` (§2.3).
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Checks the text of an XML declaration after `<?` (§2.8): `xml`, then
/// `version`, optional `encoding` and `standalone`, in that order.
fn check_declaration(content: &str) -> Result<(), String> {
    const SHAPE: &str =
        "malformed XML declaration: write <?xml version=\"1.0\" encoding=\"utf-8\"?>";
    let mut rest = content.strip_prefix("xml").ok_or(SHAPE)?;
    let mut expected = ["version", "encoding", "standalone"].into_iter();
    let mut seen_version = false;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if trimmed.is_empty() {
            return if seen_version {
                Ok(())
            } else {
                Err(SHAPE.to_owned())
            };
        }
        if trimmed.len() == rest.len() {
            return Err(SHAPE.to_owned());
        }
        let name = &trimmed[..name_length(trimmed)];
        if !expected.by_ref().any(|e| e == name) || (!seen_version && name != "version") {
            return Err(format!("{SHAPE} (`{name}` is not expected here)"));
        }
        seen_version = true;
        let after = trimmed[name.len()..].trim_start_matches([' ', '\t', '\r', '\n']);
        let after = after.strip_prefix('=').ok_or(SHAPE)?;
        let after = after.trim_start_matches([' ', '\t', '\r', '\n']);
        let quote = after
            .chars()
            .next()
            .filter(|q| matches!(q, '"' | '\''))
            .ok_or(SHAPE)?;
        let (value, tail) = after[1..].split_once(quote).ok_or(SHAPE)?;
        let valid = match name {
            "version" => value
                .strip_prefix("1.")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
            "encoding" => {
                value.starts_with(|c: char| c.is_ascii_alphabetic())
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            }
            _ => matches!(value, "yes" | "no"),
        };
        if !valid {
            return Err(format!("{SHAPE} (`{name}=\"{value}\"` is not valid)"));
        }
        rest = tail;
    }
}

/// Checks a qualified name (Namespaces in XML §3): IIS reads configuration
/// with a namespace-aware parser, so at most one `:`, between two names.
fn check_qualified_name(name: &str) -> Result<(), String> {
    let valid = match memchr::memchr(b':', name.as_bytes()) {
        None => true,
        Some(colon) => {
            let (prefix, local) = (&name[..colon], &name[colon + 1..]);
            !prefix.is_empty()
                && !local.contains(':')
                && name_length(local) == local.len()
                && !local.is_empty()
        }
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid name: a `:` may only separate a prefix from a name (prefix:name)"
        ))
    }
}

/// The length in bytes of the XML name at the start of `text` (0 if none).
fn name_length(text: &str) -> usize {
    // IIS's names are ASCII: those are measured without decoding characters.
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b >= 0x80 {
            return i + non_ascii_name_length(&text[i..], i == 0);
        }
        let allowed = b.is_ascii_alphabetic()
            || matches!(b, b'_' | b':')
            || (i > 0 && (b.is_ascii_digit() || matches!(b, b'-' | b'.')));
        if !allowed {
            return i;
        }
        i += 1;
    }
    i
}

/// What a byte is to [`scan_name`] and [`scan_value`]: a table, so that
/// the tokenizer tests each byte of a tag once, with one load.
const NAME_START: u8 = 1;
const NAME_CHAR: u8 = 2;
const COLON: u8 = 4;
/// In a value: `<` (refused) or `&`, tab, CR, LF (resolved, §3.3.3).
const VALUE_MARK: u8 = 8;
const BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let start = c.is_ascii_alphabetic() || c == b'_' || c == b':';
        if start {
            table[b] |= NAME_START | NAME_CHAR;
        }
        if c.is_ascii_digit() || c == b'-' || c == b'.' {
            table[b] |= NAME_CHAR;
        }
        if matches!(c, b'<' | b'&' | b'\t' | b'\n' | b'\r') {
            table[b] |= VALUE_MARK;
        }
        b += 1;
    }
    table[b':' as usize] |= COLON;
    table
};

/// The length in bytes of the XML name at `from` in `text` (0 if none),
/// and whether it has a `:` or non-ASCII characters (then
/// [`check_qualified_name`] must look at it). Same answer as
/// [`name_length`], in one table lookup per ASCII byte.
fn scan_name(text: &str, from: usize) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut seen = 0u8;
    let mut wanted = NAME_START;
    while let Some(&b) = bytes.get(i) {
        if b >= 0x80 {
            let rest = non_ascii_name_length(&text[i..], i == from);
            return (i - from + rest, true);
        }
        let class = BYTE_CLASS[usize::from(b)];
        if class & wanted == 0 {
            break;
        }
        seen |= class;
        wanted = NAME_CHAR;
        i += 1;
    }
    (i - from, seen & COLON != 0)
}

/// Where the value that starts at `from` ends (its closing `quote`), and
/// whether it holds a byte [`TagData::resolve`] must see (`VALUE_MARK`, or
/// 0). Short values are scanned with the table; the rest of a long one with
/// memchr.
fn scan_value(bytes: &[u8], from: usize, quote: u8) -> Option<(usize, u8)> {
    let short_end = bytes.len().min(from + 64);
    let mut marks = 0;
    for (j, &b) in bytes[from..short_end].iter().enumerate() {
        if b == quote {
            return Some((from + j, marks & VALUE_MARK));
        }
        marks |= BYTE_CLASS[usize::from(b)];
    }
    let end = short_end + memchr::memchr(quote, &bytes[short_end..])?;
    let rest = &bytes[short_end..end];
    if memchr::memchr3(b'<', b'&', b'\t', rest).is_some()
        || memchr::memchr2(b'\n', b'\r', rest).is_some()
    {
        marks |= VALUE_MARK;
    }
    Some((end, marks & VALUE_MARK))
}

fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    i
}

/// The rest of a name from its first non-ASCII character.
fn non_ascii_name_length(text: &str, at_start: bool) -> usize {
    let mut length = 0;
    for c in text.chars() {
        let allowed = if at_start && length == 0 {
            is_name_start(c)
        } else {
            is_name_char(c)
        };
        if !allowed {
            break;
        }
        length += c.len_utf8();
    }
    length
}

/// What the parser read next: the elements' tags, in document order (what
/// lies between them is checked and skipped).
#[derive(Debug)]
pub enum Item {
    Start(Tag),
    /// An end tag, at this range; an empty range at the end of an
    /// empty-element tag for its (implied) end.
    End(Range<usize>),
    Eof,
}

/// The reader under quick-xml: records line starts in a streamed file (for
/// positions), and stops at bytes XML 1.0 does not allow (control
/// characters) and at bytes that are not UTF-8, noting where.
struct Tracked<R> {
    inner: R,
    /// The streamed file whose line starts are recorded; `None` for text in
    /// memory, whose lines are indexed already.
    marks: Option<Arc<SourceFile>>,
    offset: usize,
    line: usize,
    line_start: usize,
    /// The start of a UTF-8 sequence cut by the end of the last read.
    pending: Vec<u8>,
    /// The last two bytes of the previous read, for a U+FFFE / U+FFFF cut by it.
    tail: [u8; 2],
    problem: Option<XmlError>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.problem.is_some() {
            return Err(io::Error::from(io::ErrorKind::InvalidData));
        }
        let n = self.inner.read(out)?;
        if let Some(file) = &self.marks {
            file.mark_line(self.line_start, self.line);
        }
        let bytes = &out[..n];
        if let Some(i) = first_control_character(bytes) {
            let at = self.offset + i;
            self.problem = Some(XmlError::syntax(
                at..at + 1,
                format!("control character U+{:04X} is not allowed in XML", bytes[i]),
            ));
            return Err(io::Error::from(io::ErrorKind::InvalidData));
        }
        if let Some((last, code)) = self.first_noncharacter(bytes) {
            let end = self.offset + last + 1;
            self.problem = Some(XmlError::syntax(
                end.saturating_sub(3)..end,
                format!("the character U+{code:04X} is not allowed in XML 1.0"),
            ));
            return Err(io::Error::from(io::ErrorKind::InvalidData));
        }
        if n >= 2 {
            self.tail = [bytes[n - 2], bytes[n - 1]];
        } else if n == 1 {
            self.tail = [self.tail[1], bytes[0]];
        }
        if let (Some(_), Some(last)) = (&self.marks, memchr::memrchr(b'\n', bytes)) {
            self.line += memchr::memchr_iter(b'\n', bytes).count();
            self.line_start = self.offset + last + 1;
        }
        if let Err(bad) = self.check_utf8(bytes, n == 0) {
            self.problem = Some(XmlError::NotUtf8 { offset: bad });
            return Err(io::Error::from(io::ErrorKind::InvalidData));
        }
        self.offset += n;
        Ok(n)
    }
}

/// The first byte below U+0020 other than tab, line feed and carriage
/// return (XML 1.0 §2.2). Scans in blocks the compiler can vectorize.
fn first_control_character(bytes: &[u8]) -> Option<usize> {
    let is_control = |b: u8| (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r');
    bytes.chunks(64).enumerate().find_map(|(n, block)| {
        let any = block.iter().fold(false, |seen, &b| seen | is_control(b));
        any.then(|| n * 64 + block.iter().position(|&b| is_control(b)).unwrap_or(0))
    })
}

impl<R> Tracked<R> {
    /// The first U+FFFE or U+FFFF (UTF-8 `EF BF BE` / `EF BF BF`, possibly
    /// begun in the previous read) in `bytes`: the index of its last byte,
    /// and which one. XML 1.0 §2.2 excludes both from its characters; Rust's
    /// UTF-8 check allows them.
    fn first_noncharacter(&self, bytes: &[u8]) -> Option<(usize, u32)> {
        memchr::memchr2_iter(0xBE, 0xBF, bytes).find_map(|i| {
            let before = |k: usize| {
                if i >= k {
                    bytes[i - k]
                } else {
                    self.tail[2 - (k - i)]
                }
            };
            let code = if bytes[i] == 0xBE { 0xFFFE } else { 0xFFFF };
            (before(1) == 0xBF && before(2) == 0xEF).then_some((i, code))
        })
    }

    /// Checks that `bytes` continue valid UTF-8; returns the offset of a bad byte.
    fn check_utf8(&mut self, bytes: &[u8], at_end: bool) -> Result<(), usize> {
        let mut start = 0;
        if !self.pending.is_empty() {
            // Complete the sequence cut by the last read.
            let need = match self.pending[0] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let take = (need - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            start = take;
            let pending_at = self.offset - (self.pending.len() - take);
            match std::str::from_utf8(&self.pending) {
                Ok(_) => self.pending.clear(),
                Err(e) if e.error_len().is_some() => return Err(pending_at),
                Err(_) if at_end || bytes.is_empty() => return Err(pending_at),
                Err(_) => return Ok(()),
            }
        }
        match std::str::from_utf8(&bytes[start..]) {
            Ok(_) => Ok(()),
            Err(e) => {
                let valid = start + e.valid_up_to();
                if e.error_len().is_none() && !at_end {
                    self.pending = bytes[valid..].to_vec();
                    Ok(())
                } else {
                    Err(self.offset + valid)
                }
            }
        }
    }
}

/// Text in memory, read without copying it.
struct InMemory<T> {
    text: T,
    at: usize,
}

impl<T: AsRef<str>> Read for InMemory<T> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let rest = &self.text.as_ref().as_bytes()[self.at..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

/// The text of an in-memory source file.
struct FileText(Arc<SourceFile>);

impl AsRef<str> for FileText {
    fn as_ref(&self) -> &str {
        &self.0.text
    }
}

/// What the tokenizer read next: [`Item`]s, with tags not yet tied to the
/// parser that hands them out.
#[derive(Debug)]
enum Token {
    Start(TagData),
    End(Range<usize>),
    Eof,
}

/// Reads a file's XML events, checks them, and turns the tags into tokens.
struct Tokenizer {
    reader: quick_xml::Reader<io::BufReader<Tracked<Box<dyn Read + Send>>>>,
    buf: Vec<u8>,
    /// Elements open now.
    depth: usize,
    /// The last tag was an empty-element tag ending here: its end comes next.
    pending_end: Option<usize>,
    root_seen: bool,
    /// Buffers for the next tags (given back by the tags' users).
    spare: Vec<TagText>,
}

impl Tokenizer {
    fn new(inner: Box<dyn Read + Send>, marks: Option<Arc<SourceFile>>) -> Tokenizer {
        let tracked = Tracked {
            inner,
            marks,
            offset: 0,
            line: 0,
            line_start: 0,
            pending: Vec::new(),
            tail: [0, 0],
            problem: None,
        };
        let mut reader =
            quick_xml::Reader::from_reader(io::BufReader::with_capacity(64 << 10, tracked));
        let config = reader.config_mut();
        // Checked here, with the place of the `--` (quick-xml's own check
        // reports a place elsewhere in a long comment).
        config.check_comments = false;
        config.check_end_names = true;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Tokenizer {
            reader,
            buf: Vec::new(),
            depth: 0,
            pending_end: None,
            root_seen: false,
            spare: Vec::new(),
        }
    }

    fn next_token(&mut self) -> Result<Token, XmlError> {
        if let Some(at) = self.pending_end.take() {
            self.depth -= 1;
            return Ok(Token::End(at..at));
        }
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            let token = self.read_one(&mut buf);
            self.buf = buf;
            if let Some(token) = token? {
                return Ok(token);
            }
        }
    }

    /// Reads one event: a start or end tag or the end of the file is an
    /// item; the rest is checked and skipped (`None`).
    fn read_one(&mut self, buf: &mut Vec<u8>) -> Result<Option<Token>, XmlError> {
        let before = self.reader.buffer_position() as usize;
        let event = self.reader.read_event_into(buf);
        let end = self.reader.buffer_position() as usize;
        let (e, empty) = match event {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            other => return self.other(other, before, end),
        };
        if self.depth == 0 && self.root_seen {
            return Err(XmlError::syntax(
                before..before + 1,
                "a second root element (an XML file has exactly one)",
            ));
        }
        self.root_seen = true;
        let mut text = self.spare.pop().unwrap_or_default();
        text.clear();
        let mut tag = TagData::parse(&e, before, self.depth + 1, text)?;
        tag.end = end;
        tag.self_closing = empty;
        self.depth += 1;
        self.pending_end = empty.then_some(end);
        Ok(Some(Token::Start(tag)))
    }

    /// Everything but start tags: an end tag or the end of the file is an
    /// item; the rest is checked and skipped.
    fn other(
        &mut self,
        event: quick_xml::Result<Event>,
        before: usize,
        end: usize,
    ) -> Result<Option<Token>, XmlError> {
        match event {
            Ok(Event::End(_)) => {
                self.depth -= 1;
                return Ok(Some(Token::End(before..end)));
            }
            Ok(Event::Text(text)) => self.text(&text, before)?,
            Ok(Event::CData(_)) if self.depth == 0 => {
                return Err(XmlError::syntax(
                    before..before + 1,
                    "CDATA outside the root element",
                ))
            }
            Ok(Event::GeneralRef(r)) => {
                if self.depth == 0 {
                    return Err(XmlError::syntax(
                        before..end,
                        "a reference outside the root element",
                    ));
                }
                resolve_reference(&r).map_err(|m| XmlError::syntax(before..end, m))?;
            }
            Ok(Event::Decl(_)) if before != 0 => return Err(XmlError::syntax(
                before..end,
                "the XML declaration (<?xml ...?>) may only stand at the very start of the file",
            )),
            Ok(Event::Decl(decl)) => {
                check_declaration(&decl).map_err(|m| XmlError::syntax(before..end, m))?;
            }
            Ok(Event::PI(pi)) => {
                if pi.target().eq_ignore_ascii_case("xml") {
                    return Err(XmlError::syntax(
                            before..end,
                            "the XML declaration (<?xml ...?>) may only stand at the very start of the file",
                        ));
                }
                let target = pi.target();
                let name = &target[..name_length(target)];
                if name.is_empty() {
                    return Err(XmlError::syntax(
                        before..end,
                        "a processing instruction needs a name after `<?`",
                    ));
                }
                if name.len() != target.len() {
                    return Err(XmlError::syntax(
                        before..end,
                        format!("`<?{name}` must be followed by a space or `?>`"),
                    ));
                }
            }
            Ok(Event::DocType(_)) => return Err(XmlError::Dtd { at: before..end }),
            Ok(Event::Eof) => {
                if self.depth > 0 {
                    return Err(XmlError::Truncated {
                        at: end,
                        inside: "the file ends inside an element".to_owned(),
                    });
                }
                if !self.root_seen {
                    return Err(XmlError::syntax(end..end, "the file has no root element"));
                }
                return Ok(Some(Token::Eof));
            }
            Ok(Event::Comment(comment)) => {
                // XML 1.0 §2.5: `--` may not occur in a comment, nor may it
                // end with `-` (which would make `--->`).
                let content = comment.into_inner();
                let content = content.as_bytes();
                let dashes = content
                    .windows(2)
                    .position(|w| w == b"--")
                    .or_else(|| content.ends_with(b"-").then(|| content.len() - 1));
                if let Some(i) = dashes {
                    let at = before + "<!--".len() + i;
                    return Err(XmlError::syntax(
                        at..at + 2,
                        "`--` is not allowed inside a comment",
                    ));
                }
            }
            Ok(Event::CData(_)) => {}
            Ok(Event::Start(_) | Event::Empty(_)) => unreachable!("start tags are read by `next`"),
            Err(e) => return Err(self.error(e)),
        }
        Ok(None)
    }

    /// Character data: only whitespace outside the root element, never `]]>`.
    fn text(&self, text: &str, at: usize) -> Result<(), XmlError> {
        if self.depth == 0 {
            if let Some(i) = text.bytes().position(|b| !is_space(b)) {
                return Err(XmlError::syntax(
                    at + i..at + i + 1,
                    "text outside the root element",
                ));
            }
        }
        // Text between elements is mostly a line break and indentation.
        let bytes = text.as_bytes();
        let cdata_end =
            memchr::memchr(b']', bytes).and_then(|_| memchr::memmem::find(bytes, b"]]>"));
        if let Some(i) = cdata_end {
            return Err(XmlError::syntax(
                at + i..at + i + 3,
                "`]]>` is not allowed in text (write ]]&gt;)",
            ));
        }
        Ok(())
    }

    fn error(&mut self, e: quick_xml::Error) -> XmlError {
        if let Some(problem) = self.reader.get_mut().get_mut().problem.take() {
            return problem;
        }
        let at = self.reader.error_position() as usize;
        match e {
            quick_xml::Error::Io(io) => XmlError::Io(
                Arc::try_unwrap(io)
                    .unwrap_or_else(|shared| io::Error::new(shared.kind(), shared.to_string())),
            ),
            // quick-xml reports a syntax error when the input ends inside
            // markup (a tag, comment, CDATA section, ...).
            quick_xml::Error::Syntax(s) => XmlError::Truncated {
                at: self.reader.buffer_position() as usize,
                inside: s.to_string(),
            },
            quick_xml::Error::IllFormed(e) => XmlError::syntax(at..at + 1, ill_formed(e)),
            other => XmlError::syntax(at..at + 1, other.to_string()),
        }
    }
}

/// Tokens read ahead on another thread, in batches: one core reads and
/// tokenizes a large file while the other checks it.
struct ReadAhead {
    batches: mpsc::Receiver<Vec<Result<Token, XmlError>>>,
    /// Emptied batches and tag buffers go back to the reading thread, so
    /// that neither thread allocates for every tag.
    returns: mpsc::Sender<Returned>,
    /// The batch being handed out, last token first.
    batch: Vec<Result<Token, XmlError>>,
}

struct Returned {
    batch: Vec<Result<Token, XmlError>>,
    texts: Vec<TagText>,
}

/// Tokens per batch: enough to make passing a batch cheap per token, few
/// enough to keep the tags in flight to a few hundred kilobytes.
const BATCH: usize = 2048;

/// Tag text per batch: a batch of long tags (16 KB rewrite patterns) ends
/// sooner, so that the other thread starts on it early and the batches in
/// flight stay small.
const BATCH_BYTES: usize = 128 << 10;

impl ReadAhead {
    fn start(mut tokenizer: Tokenizer) -> Result<ReadAhead, XmlError> {
        let (batch_sender, batches) = mpsc::sync_channel(2);
        let (returns, returned) = mpsc::channel::<Returned>();
        std::thread::Builder::new()
            .name("read-ahead".to_owned())
            .spawn(move || {
                let mut empty = Vec::new();
                loop {
                    while let Ok(r) = returned.try_recv() {
                        tokenizer.spare.extend(r.texts);
                        empty.push(r.batch);
                    }
                    let mut batch = empty.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
                    let mut last = false;
                    let mut bytes = 0;
                    while batch.len() < BATCH && bytes < BATCH_BYTES && !last {
                        let token = tokenizer.next_token();
                        last = matches!(token, Ok(Token::Eof) | Err(_));
                        if let Ok(Token::Start(tag)) = &token {
                            bytes += tag.text.raw.len() + tag.text.resolved.len();
                        }
                        batch.push(token);
                    }
                    // The parser was dropped: nobody wants the rest.
                    if batch_sender.send(batch).is_err() || last {
                        return;
                    }
                }
            })
            .map_err(XmlError::Io)?;
        Ok(ReadAhead {
            batches,
            returns,
            batch: Vec::new(),
        })
    }

    fn next_token(&mut self, spares: &Spares) -> Result<Token, XmlError> {
        loop {
            if let Some(token) = self.batch.pop() {
                return token;
            }
            let texts = std::mem::take(&mut *spares.0.borrow_mut());
            let batch = std::mem::take(&mut self.batch);
            // The thread ends after the last token; then nothing is returned.
            let _ = self.returns.send(Returned { batch, texts });
            match self.batches.recv() {
                Ok(mut batch) => {
                    batch.reverse();
                    self.batch = batch;
                }
                // The reading thread ends only after the end of the file or
                // an error, which are handed out last; a panic ends it too.
                Err(_) => {
                    return Err(XmlError::Io(io::Error::other(
                        "the thread reading the file stopped",
                    )))
                }
            }
        }
    }
}

/// Where a parser's tokens come from.
enum Tokens {
    /// Read when asked, on this thread.
    Here(Box<Tokenizer>),
    /// Read ahead on another thread.
    Ahead(ReadAhead),
}

/// Reads a configuration file one element at a time.
pub struct Parser {
    tokens: Tokens,
    /// Elements open now, as far as the items handed out go.
    depth: usize,
    /// Buffers of dropped tags.
    spares: Spares,
    /// The end of the file was handed out (the tokens end there).
    ended: bool,
}

impl Parser {
    /// A parser over the text of `file`: in memory, or read again from disk
    /// when the file is streamed, on a second thread when there is a
    /// second core.
    pub fn new(file: &Arc<SourceFile>) -> Result<Parser, XmlError> {
        let tokens = match file.reopen() {
            Some(reader) => {
                let reader = reader.map_err(XmlError::Io)?;
                let tokenizer = Tokenizer::new(Box::new(reader), Some(Arc::clone(file)));
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                if cores > 1 {
                    Tokens::Ahead(ReadAhead::start(tokenizer)?)
                } else {
                    Tokens::Here(Box::new(tokenizer))
                }
            }
            None => Tokens::Here(Box::new(Tokenizer::new(
                Box::new(InMemory {
                    text: FileText(Arc::clone(file)),
                    at: 0,
                }),
                None,
            ))),
        };
        Ok(Parser::over(tokens))
    }

    /// A parser over text shared with the caller (`review`'s documents).
    pub fn over_text(text: Arc<str>) -> Parser {
        let tokenizer = Tokenizer::new(Box::new(InMemory { text, at: 0 }), None);
        Parser::over(Tokens::Here(Box::new(tokenizer)))
    }

    fn over(tokens: Tokens) -> Parser {
        Parser {
            tokens,
            depth: 0,
            spares: Spares::default(),
            ended: false,
        }
    }

    /// The root element.
    pub fn root(&mut self) -> Result<Tag, XmlError> {
        match self.next_item()? {
            Item::Start(tag) => Ok(tag),
            // `next_item` fails before the end of a file without a root element.
            Item::End(_) | Item::Eof => Err(XmlError::syntax(0..0, "the file has no root element")),
        }
    }

    /// The next child element of `parent` (skipping, but checking, the rest
    /// of the previous child), or `None` when `parent` ends.
    pub fn next_child(&mut self, parent: &Tag) -> Result<Option<Tag>, XmlError> {
        loop {
            if self.depth < parent.depth() {
                return Ok(None);
            }
            let at_parent = self.depth == parent.depth();
            match self.next_item()? {
                Item::Start(tag) if at_parent => return Ok(Some(tag)),
                Item::Start(_) | Item::End(_) => {}
                Item::Eof => return Ok(None),
            }
        }
    }

    /// Reads the rest of the file, checking it (call after the root element).
    pub fn finish(&mut self) -> Result<(), XmlError> {
        while !matches!(self.next_item()?, Item::Eof) {}
        Ok(())
    }

    /// The next tag or the end of the file, for a reader that wants every
    /// element and where each ends ([`crate::review`]'s documents).
    pub fn next_item(&mut self) -> Result<Item, XmlError> {
        if self.ended {
            return Ok(Item::Eof);
        }
        let token = match &mut self.tokens {
            Tokens::Here(tokenizer) => {
                if tokenizer.spare.is_empty() {
                    tokenizer.spare.append(&mut self.spares.0.borrow_mut());
                }
                tokenizer.next_token()
            }
            Tokens::Ahead(ahead) => ahead.next_token(&self.spares),
        };
        Ok(match token? {
            Token::Start(data) => {
                self.depth += 1;
                Item::Start(Tag {
                    data,
                    spares: self.spares.clone(),
                })
            }
            Token::End(at) => {
                self.depth -= 1;
                Item::End(at)
            }
            Token::Eof => {
                self.ended = true;
                Item::Eof
            }
        })
    }
}

/// quick-xml's well-formedness errors, worded for an admin editing the file.
fn ill_formed(e: quick_xml::errors::IllFormedError) -> String {
    use quick_xml::errors::IllFormedError as E;
    match e {
        E::MismatchedEndTag { expected, found } => {
            format!(
                "`</{found}>` does not close the open element: `</{expected}>` is expected first"
            )
        }
        E::UnmatchedEndTag(name) => format!("`</{name}>` closes an element that is not open"),
        E::MissingEndTag(name) => format!("`<{name}>` is never closed"),
        E::DoubleHyphenInComment => "`--` is not allowed inside a comment".to_owned(),
        E::UnclosedReference => "a reference (`&...;`) is not closed with `;`".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks every element of `text`; returns their names in document order.
    fn walk(text: &str) -> Result<Vec<String>, XmlError> {
        let file = SourceFile::new("t.xml", text);
        let mut parser = Parser::new(&file)?;
        let root = parser.root()?;
        let mut names = vec![root.name().to_owned()];
        walk_children(&mut parser, &root, &mut names)?;
        parser.finish()?;
        Ok(names)
    }

    fn walk_children(
        parser: &mut Parser,
        parent: &Tag,
        names: &mut Vec<String>,
    ) -> Result<(), XmlError> {
        while let Some(child) = parser.next_child(parent)? {
            names.push(child.name().to_owned());
            walk_children(parser, &child, names)?;
        }
        Ok(())
    }

    /// Every item of `parser` (tags as name, attributes and places), up to
    /// the end of the file or the first error.
    fn items(mut parser: Parser) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match parser.next_item() {
                Ok(Item::Start(tag)) => {
                    let attributes: Vec<_> = tag
                        .attributes()
                        .map(|a| format!("{}={}@{:?}", a.name, a.value, a.value_range()))
                        .collect();
                    out.push(format!(
                        "<{} {attributes:?} {}..{} depth {} {}",
                        tag.qualified_name(),
                        tag.start(),
                        tag.end(),
                        tag.depth(),
                        tag.is_self_closing()
                    ));
                }
                Ok(Item::End(at)) => out.push(format!("end {at:?}")),
                Ok(Item::Eof) => {
                    out.push("eof".to_owned());
                    return out;
                }
                Err(e) => {
                    out.push(format!("error {e:?}"));
                    return out;
                }
            }
        }
    }

    /// The same tokens, read ahead on a second thread (as for streamed files).
    fn read_ahead(text: &str) -> Parser {
        let tokenizer = Tokenizer::new(
            Box::new(InMemory {
                text: Arc::<str>::from(text),
                at: 0,
            }),
            None,
        );
        Parser::over(Tokens::Ahead(ReadAhead::start(tokenizer).unwrap()))
    }

    #[test]
    fn reading_ahead_on_a_second_thread_hands_out_the_same_items() {
        // More tags than several batches, with references (resolved into
        // the reused buffers) and empty-element tags; then the same file
        // cut short, and with an error after the first batches.
        let mut text = String::from("<configuration>");
        for i in 0..5_000 {
            text.push_str(&format!(
                "\n  <site name=\"s{i}&amp;x\" id=\"{i}\"><bindings><add v=\"&#{};\"/></bindings></site>",
                65 + i % 26
            ));
        }
        let whole = format!("{text}\n</configuration>\n");
        let cut = text.clone();
        let broken = format!("{text}<a b='<'/></configuration>");
        for (text, last) in [
            (&whole, "eof"),
            (&cut, "error Truncated"),
            (&broken, "error Syntax"),
        ] {
            let here = items(Parser::over_text(Arc::from(text.as_str())));
            let ahead = items(read_ahead(text));
            assert!(here.len() > 3 * BATCH);
            assert!(here.last().unwrap().starts_with(last), "{:?}", here.last());
            assert_eq!(here, ahead);
        }
        // After the end, the end again (the thread has stopped by then).
        let mut parser = read_ahead(&whole);
        while !matches!(parser.next_item().unwrap(), Item::Eof) {}
        assert!(matches!(parser.next_item().unwrap(), Item::Eof));
    }

    /// The message and the offset where `text` stops being well-formed.
    fn syntax_error(text: &str) -> (String, usize) {
        match walk(text) {
            Err(XmlError::Syntax { at, message }) => (message, at.start),
            other => panic!("expected a syntax error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn reads_elements_attributes_and_their_places() {
        let text = "<?xml version=\"1.0\"?>\n<!-- c -->\n<a x='1'>\n  <b y=\"a&amp;b&#x41;\" z = 'p\tq'/>\n  <![CDATA[ <not/> ]]>\n  <c><d/></c>\n</a>\n";
        assert_eq!(walk(text).unwrap(), ["a", "b", "c", "d"]);
        let file = SourceFile::new("t.xml", text);
        let mut parser = Parser::new(&file).unwrap();
        let root = parser.root().unwrap();
        let b = parser.next_child(&root).unwrap().unwrap();
        assert_eq!(&text[b.name_range()], "b");
        let attributes: Vec<_> = b.attributes().collect();
        assert_eq!(attributes[0].value, "a&bA");
        assert_eq!(&text[attributes[0].value_range()], "a&amp;b&#x41;");
        assert_eq!(&text[attributes[1].name_range()], "z");
        // Whitespace in a value is normalized to spaces (XML 1.0 §3.3.3).
        assert_eq!(attributes[1].value, "p q");
        let c = parser.next_child(&root).unwrap().unwrap();
        assert_eq!((c.name(), c.depth()), ("c", 2));
        // `d` is skipped (but checked) when the walker does not ask for it.
        assert!(parser.next_child(&root).unwrap().is_none());
        parser.finish().unwrap();
    }

    #[test]
    fn rejects_what_xml_does_not_allow_and_says_where() {
        let cases: &[(&str, &str, usize)] = &[
            ("<a><b></a>", "`</a>` does not close", 6),
            ("<a x='1' x='2'/>", "attribute `x` is given twice", 9),
            ("<a x='1'y='2'/>", "expected a space", 8),
            ("<a x=1/>", "must be quoted", 5),
            ("<a x/>", "has no value", 3),
            ("<a x='<'/>", "`<` is not allowed", 6),
            ("<a x='&foo;'/>", "unknown entity", 6),
            (
                "<a x='&#x;'/>",
                "`&#x;` is not a valid character reference",
                6,
            ),
            ("<a x='&#xD800;'/>", "not a valid character reference", 6),
            ("<a x='&#1;'/>", "which XML 1.0 does not allow", 6),
            ("<a x='a & b'/>", "without `;`", 8),
            ("<a>&nbsp;</a>", "unknown entity", 3),
            ("<a/><b/>", "a second root element", 4),
            ("<a/>text", "text outside the root element", 4),
            ("<a>]]></a>", "`]]>` is not allowed", 3),
            ("<a>\u{1}</a>", "control character U+0001", 3),
            ("<a x='y\u{fffe}'/>", "U+FFFE is not allowed", 7),
            ("<a>\u{ffff}</a>", "U+FFFF is not allowed", 3),
            (
                "\n<?xml version=\"1.0\"?><a/>",
                "may only stand at the very start",
                1,
            ),
            ("<a><?xml x?></a>", "may only stand at the very start", 3),
            (
                "<a><!-- a -- b --></a>",
                "`--` is not allowed inside a comment",
                10,
            ),
            // The place of the `--`, not of the comment, in a long comment.
            (
                "<a><!--\n a long comment\n node --max-old-space-size\n--></a>",
                "`--` is not allowed inside a comment",
                30,
            ),
            (
                "<a><!-- ends with a dash ---></a>",
                "`--` is not allowed inside a comment",
                25,
            ),
            ("<a :x='1'/>", "`:x` is not a valid name", 3),
            ("<a:b:c/>", "`a:b:c` is not a valid name", 1),
            (
                "<?xml version='2.0'?><a/>",
                "`version=\"2.0\"` is not valid",
                0,
            ),
            (
                "<?xml encoding='utf-8'?><a/>",
                "`encoding` is not expected here",
                0,
            ),
            (
                "<?xml version='1.0' standalone='yes' encoding='utf-8'?><a/>",
                "`encoding` is not expected here",
                0,
            ),
            (
                "<?xml version='1.0'encoding='utf-8'?><a/>",
                "malformed XML declaration",
                0,
            ),
            ("<a><?pi<x?></a>", "`<?pi` must be followed by a space", 3),
            ("<a><??></a>", "needs a name", 3),
            ("<1a/>", "expected an element name", 1),
            ("", "no root element", 0),
            ("<!-- only -->", "no root element", 13),
        ];
        for (text, message, at) in cases {
            let (got, got_at) = syntax_error(text);
            assert!(got.contains(message), "{text:?}: {got}");
            assert_eq!(got_at, *at, "{text:?}: {got}");
        }
    }

    #[test]
    fn a_noncharacter_cut_by_a_read_is_found() {
        let mut tracked = Tracked {
            inner: io::empty(),
            marks: None,
            offset: 0,
            line: 0,
            line_start: 0,
            pending: Vec::new(),
            tail: [b'a', 0xEF],
            problem: None,
        };
        assert_eq!(
            tracked.first_noncharacter(&[0xBF, 0xBE, b'x']),
            Some((1, 0xFFFE))
        );
        tracked.tail = [0xEF, 0xBF];
        assert_eq!(tracked.first_noncharacter(&[0xBF]), Some((0, 0xFFFF)));
        // U+FFFD (EF BF BD) and U+FEFF (EF BB BF) are characters.
        tracked.tail = [0, 0];
        assert_eq!(
            tracked.first_noncharacter("\u{fffd}\u{feff}\u{e9}".as_bytes()),
            None
        );
    }

    #[test]
    fn a_dtd_is_refused_where_it_is() {
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY e \"x\">]>\n<a>&e;</a>";
        match walk(text) {
            Err(XmlError::Dtd { at }) => assert_eq!(at.start, 22),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_file_cut_short_is_truncated() {
        for text in [
            "<a><b>",
            "<a><b x='1",
            "<a><!-- never closed",
            "<a><![CDATA[ x",
        ] {
            assert!(
                matches!(walk(text), Err(XmlError::Truncated { .. })),
                "{text:?}: {:?}",
                walk(text)
            );
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_found_across_reads() {
        // Longer than the 64 KiB read buffer, so the bad byte comes in a later read.
        let mut bytes = b"<a x='".to_vec();
        bytes.resize(70_000, b'y');
        bytes.extend_from_slice(b"\xC3\x28'/>");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.config");
        std::fs::write(&path, &bytes).unwrap();
        let file = SourceFile::streamed("bad.config", &path, 0).unwrap();
        let result = Parser::new(&file).and_then(|mut p| p.root().map(|_| ()));
        match result {
            Err(XmlError::NotUtf8 { offset }) => assert_eq!(offset, 70_000),
            other => panic!("{other:?}"),
        }
        // A character cut by a read boundary is fine.
        let mut bytes = b"<a x='".to_vec();
        bytes.resize((64 << 10) - 1, b'y');
        bytes.extend_from_slice("é'/>".as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let file = SourceFile::streamed("ok.config", &path, 0).unwrap();
        let mut parser = Parser::new(&file).unwrap();
        let root = parser.root().unwrap();
        assert!(root.attribute("x").unwrap().ends_with("yé"));
        parser.finish().unwrap();
    }

    #[test]
    fn an_attribute_given_twice_is_refused_however_many_there_are() {
        let message = |text: &str| match walk(text) {
            Err(XmlError::Syntax { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert!(message("<a x='1' y='2' x='3'/>").contains("`x` is given twice"));
        // More names than the filter of seen names has bits: every pair is
        // told apart all the same.
        let names: Vec<String> = (0..200).map(|i| format!("n{i}")).collect();
        let all = names
            .iter()
            .map(|n| format!(" {n}='v'"))
            .collect::<String>();
        assert!(walk(&format!("<a{all}/>")).is_ok());
        for twice in ["n0", "n77", "n199"] {
            let text = format!("<a{all} {twice}='again'/>");
            assert!(message(&text).contains(&format!("`{twice}` is given twice")));
        }
    }

    proptest::proptest! {
        /// The table-driven scans say what the plain definitions say: the
        /// name's length as [`name_length`] measures it (and a `:` or a
        /// non-ASCII character whenever the name has one); the value's end
        /// at the first closing quote, marked whenever it holds a byte that
        /// must be resolved or refused.
        #[test]
        fn the_byte_table_scans_agree_with_the_definitions(
            text in "[a-zA-Z0-9_:.\\-é<&\t\n\r\"' =]{0,150}",
            from in 0usize..8,
        ) {
            let from = (0..=from.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap();
            let (len, flagged) = scan_name(&text, from);
            proptest::prop_assert_eq!(len, name_length(&text[from..]));
            let name = &text[from..from + len];
            proptest::prop_assert!(flagged || (!name.contains(':') && name.is_ascii()));
            for quote in [b'"', b'\''] {
                let bytes = text.as_bytes();
                let expected = memchr::memchr(quote, &bytes[from..]).map(|j| {
                    let value = &bytes[from..from + j];
                    let marked = value.iter().any(|b| matches!(b, b'<' | b'&' | b'\t' | b'\n' | b'\r'));
                    (from + j, marked)
                });
                let scanned = scan_value(bytes, from, quote).map(|(end, marks)| (end, marks != 0));
                proptest::prop_assert_eq!(scanned, expected);
            }
        }
    }

    /// roxmltree is a complete XML 1.0 parser, but lenient in a few places
    /// where this reader follows the specifications: names with a stray `:`,
    /// a processing instruction's name followed by other than a space, and
    /// the values in the XML declaration. Its own refusals for namespace
    /// prefixes (which IIS does not need resolved) have no counterpart here.
    const STRICTER_THAN_ROXMLTREE: &[&str] = &[
        "is not a valid name",
        "`</:",
        "must be followed by a space or `?>`",
        "malformed XML declaration",
    ];

    /// Whether this reader and roxmltree accept `text`; `None` where they
    /// differ by design (see [`STRICTER_THAN_ROXMLTREE`]).
    fn both_accept(text: &str) -> Option<(bool, bool)> {
        let theirs = match roxmltree::Document::parse(text) {
            Ok(_) => true,
            Err(
                roxmltree::Error::UnknownNamespace(..)
                | roxmltree::Error::UnexpectedXmlUri(..)
                | roxmltree::Error::UnexpectedXmlnsUri(..)
                | roxmltree::Error::InvalidXmlPrefixUri(..)
                | roxmltree::Error::DuplicatedAttribute(..),
            ) => return None,
            Err(_) => false,
        };
        let ours = match walk(text) {
            Ok(_) => true,
            Err(XmlError::Syntax { message, .. })
                if theirs && STRICTER_THAN_ROXMLTREE.iter().any(|m| message.contains(m)) =>
            {
                return None
            }
            Err(_) => false,
        };
        Some((ours, theirs))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Edits of a real configuration: whatever roxmltree accepts or
        /// refuses, this reader does too.
        #[test]
        fn agrees_with_a_complete_parser(edits in proptest::collection::vec((0usize..3_000, 0usize..4, 0usize..24), 1..4)) {
            const PIECES: &[&str] = &[
                "<", ">", "&", "&amp;", "&#0;", "&#x10FFFF;", "\"", "'", "/", "<!--", "-->", "--",
                "]]>", "<![CDATA[", "?>", "<?", "<?xml version='1.0'?>", "=", " ", "\u{1}", "é", "</a>", "<a/>", ":",
            ];
            let mut text = include_str!("../tests/fixtures/check/servers/unlocked.applicationHost.config").to_owned();
            for (at, delete, piece) in edits {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + delete).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, PIECES[piece]);
            }
            if let Some((ours, theirs)) = both_accept(&text) {
                proptest::prop_assert_eq!(ours, theirs, "{}", text);
            }
        }
    }
}
