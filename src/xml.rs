//! A strict, streaming XML reader, shared by `check` and `review` (every
//! configuration file either reads goes through it): it hands its caller one
//! start tag at a time (with byte ranges for every name and value), checks
//! that the whole file is well-formed XML 1.0 as it goes, and holds only a
//! few windows of the text at once, so a 100 MB applicationHost.config is
//! checked in a few MB.
//!
//! Start tags, end tags and plain text are found here; quick-xml reads the
//! rest (comments, CDATA, processing instructions, references, the prolog).
//! The rules quick-xml leaves to its users are applied here: attribute syntax
//! and values, names, references, what may stand outside the root element,
//! end tags matching their start tags, control characters, and UTF-8.
//! (The rules are those of XML 1.0, <https://www.w3.org/TR/xml/>: §2.2
//! characters, §2.3 names, §2.4 character data, §2.8 prolog, §3.1 tags,
//! §3.3.3 attribute-value normalization, §4.1 references.)

use std::io::{self, Read};
use std::ops::Range;
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
    /// The text it was read from, shared with the other tags read from it.
    chunk: Arc<Chunk>,
}

/// A stretch of the file's text as the tokenizer read it, with the
/// attributes of the tags in it. A configuration file has millions of tags:
/// none is copied out of the text it was read from; its tag is a handful of
/// ranges into a chunk, which lives as long as a tag read from it.
#[derive(Debug)]
struct Chunk {
    text: ChunkText,
    /// The file offset of the text's first byte.
    base: usize,
    /// The attributes of the chunk's tags, one tag after another.
    attributes: Vec<RawAttribute>,
    /// Values that differ from their raw text after references and
    /// whitespace are resolved, one after another.
    resolved: String,
    /// Where its buffers go when it is dropped (a chunk read ahead goes
    /// back to the reading thread, to be filled again).
    recycle: Option<mpsc::Sender<Spare>>,
}

/// The buffers of a dropped chunk or an emptied batch, on their way back to
/// the thread that reads ahead: it allocated them and fills them again, so
/// that neither thread allocates or frees for every chunk.
#[derive(Default)]
struct Spare {
    text: Vec<u8>,
    attributes: Vec<RawAttribute>,
    resolved: String,
    tokens: Vec<Result<Token, XmlError>>,
}

/// Buffers that came back, for the next chunks.
#[derive(Default)]
struct Spares {
    texts: Vec<Vec<u8>>,
    attributes: Vec<Vec<RawAttribute>>,
    resolved: Vec<String>,
    tokens: Vec<Vec<Result<Token, XmlError>>>,
}

impl Spares {
    /// Keeps the buffers of `spare` that are worth keeping: not those a
    /// huge event made huge.
    fn keep(&mut self, spare: Spare) {
        const MOST: usize = 4 * WINDOW;
        let Spare {
            mut text,
            mut attributes,
            mut resolved,
            mut tokens,
        } = spare;
        if (1..=MOST).contains(&text.capacity()) {
            text.clear();
            self.texts.push(text);
        }
        if (1..=MOST / 8).contains(&attributes.capacity()) {
            attributes.clear();
            self.attributes.push(attributes);
        }
        if (1..=MOST).contains(&resolved.capacity()) {
            resolved.clear();
            self.resolved.push(resolved);
        }
        if (1..=MOST / 8).contains(&tokens.capacity()) {
            tokens.clear();
            self.tokens.push(tokens);
        }
    }

    /// A chunk of `text`, in spare buffers where there are some.
    fn chunk(&mut self, text: ChunkText, base: usize, attributes: usize) -> Chunk {
        let mut chunk = Chunk::new(text, base);
        chunk.attributes = self.attributes.pop().unwrap_or_default();
        chunk.attributes.reserve(attributes.min(WINDOW / 8));
        chunk.resolved = self.resolved.pop().unwrap_or_default();
        chunk
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if let Some(recycle) = &self.recycle {
            let text = match std::mem::replace(&mut self.text, ChunkText::Read(String::new())) {
                ChunkText::Read(text) => text.into_bytes(),
                ChunkText::Shared(_) => Vec::new(),
            };
            // The reading thread may have ended: then the buffers are freed here.
            let _ = recycle.send(Spare {
                text,
                attributes: std::mem::take(&mut self.attributes),
                resolved: std::mem::take(&mut self.resolved),
                tokens: Vec::new(),
            });
        }
    }
}

#[derive(Debug)]
enum ChunkText {
    /// Text in memory: every chunk of it shares it whole.
    Shared(SharedText),
    /// A piece of a streamed file, read for this chunk.
    Read(String),
}

impl ChunkText {
    fn as_str(&self) -> &str {
        match self {
            ChunkText::Shared(text) => text.as_str(),
            ChunkText::Read(text) => text,
        }
    }
}

/// Text in memory, shared with its owner (not copied).
#[derive(Debug, Clone)]
enum SharedText {
    Text(Arc<str>),
    /// A source file read whole.
    File(Arc<SourceFile>),
}

impl SharedText {
    fn as_str(&self) -> &str {
        match self {
            SharedText::Text(text) => text,
            SharedText::File(file) => &file.text,
        }
    }
}

impl Chunk {
    fn new(text: ChunkText, base: usize) -> Chunk {
        Chunk {
            text,
            base,
            attributes: Vec::new(),
            resolved: String::new(),
            recycle: None,
        }
    }

    /// An attribute's value, with references and whitespace resolved.
    fn value(&self, attribute: &RawAttribute) -> &str {
        match &attribute.resolved {
            Some(r) => &self.resolved[r.clone()],
            None => &self.text.as_str()[attribute.value.clone()],
        }
    }
}

#[derive(Debug)]
struct RawAttribute {
    /// In the chunk's text.
    name: Range<usize>,
    /// In the chunk's text, between the quotes.
    value: Range<usize>,
    /// In the chunk's `resolved`, when the value had references or line breaks.
    resolved: Option<Range<usize>>,
    /// `xmlns` or prefixed (see [`Attribute::is_namespaced`]).
    namespaced: bool,
}

/// An attribute of a [`Tag`], with its place in the file.
#[derive(Debug, Clone, Copy)]
pub struct Attribute<'t> {
    pub name: &'t str,
    pub value: &'t str,
    name_at: usize,
    value_at: usize,
    value_len: usize,
    namespaced: bool,
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
        // Worked out when the tag was read.
        self.namespaced
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
        let name = &self.data.name;
        &self.chunk.text.as_str()[name.start + self.data.local_start..name.end]
    }

    /// The element's name as written, with any namespace prefix.
    pub fn qualified_name(&self) -> &str {
        &self.chunk.text.as_str()[self.data.name.clone()]
    }

    /// Where its name is in the file.
    pub fn name_range(&self) -> Range<usize> {
        let start = self.data.start + 1;
        start..start + self.data.name.len()
    }

    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'_>> {
        let chunk = &*self.chunk;
        let text = chunk.text.as_str();
        chunk.attributes[self.data.attributes.clone()]
            .iter()
            .map(move |a| Attribute {
                name: &text[a.name.clone()],
                value: chunk.value(a),
                name_at: chunk.base + a.name.start,
                value_at: chunk.base + a.value.start,
                value_len: a.value.len(),
                namespaced: a.namespaced,
            })
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        // Called for every key of every collection entry: compares names
        // without building an `Attribute` for each.
        let chunk = &*self.chunk;
        let text = chunk.text.as_str().as_bytes();
        let wanted = name.as_bytes();
        let first = *wanted.first()?;
        let found = chunk.attributes[self.data.attributes.clone()]
            .iter()
            .find(|a| {
                a.name.len() == wanted.len()
                    && text[a.name.start] == first
                    && &text[a.name.clone()] == wanted
            })?;
        Some(chunk.value(found))
    }
}

/// A tag as the tokenizer reads it: ranges into the [`Chunk`] it is read
/// from, which goes with it (to another thread, when the file is read ahead).
#[derive(Debug)]
struct TagData {
    start: usize,
    depth: usize,
    end: usize,
    self_closing: bool,
    /// The qualified name, in the chunk's text.
    name: Range<usize>,
    /// Where the name after any prefix starts, from the name's start (the
    /// tag's name is read often).
    local_start: usize,
    /// The tag's attributes among the chunk's.
    attributes: Range<usize>,
}

/// The parts of a [`Chunk`] that [`TagData::parse`] fills while it reads
/// the chunk's text.
struct ChunkParts<'c> {
    text: &'c str,
    base: usize,
    attributes: &'c mut Vec<RawAttribute>,
    resolved: &'c mut String,
}

impl TagData {
    /// Parses the text between `<` and `>` (`raw`, a range of the chunk's
    /// text) of a tag whose `<` is at file offset `start`; its attributes
    /// go into the chunk.
    fn parse(chunk: &mut ChunkParts, raw: Range<usize>, depth: usize) -> Result<TagData, XmlError> {
        let offset = raw.start;
        let start = chunk.base + offset - 1;
        let first_attribute = chunk.attributes.len();
        let raw = &chunk.text[raw];
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
        let local_start = if colon {
            memchr::memrchr(b':', &raw.as_bytes()[..name_len]).map_or(0, |colon| colon + 1)
        } else {
            0
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
                && chunk.attributes[first_attribute..]
                    .iter()
                    .any(|a| &bytes[a.name.start - offset..a.name.end - offset] == new_name)
            {
                return Err(XmlError::syntax(
                    at(name.start)..at(name.end),
                    format!("attribute `{}` is given twice", &raw[name.clone()]),
                ));
            }
            let resolved = if marks == 0 {
                None
            } else {
                resolve(chunk.resolved, &raw[value.clone()], at(value.start))?
            };
            chunk.attributes.push(RawAttribute {
                name: offset + name.start..offset + name.end,
                value: offset + value.start..offset + value.end,
                resolved,
                namespaced: (colon && new_name.contains(&b':')) || new_name == b"xmlns",
            });
        }
        Ok(TagData {
            start,
            depth,
            end: start,
            self_closing: false,
            name: offset..offset + name_len,
            local_start,
            attributes: first_attribute..chunk.attributes.len(),
        })
    }
}

/// Resolves references and normalizes whitespace in a value (§3.3.3) into
/// `resolved`; `None` when the value is its raw text.
fn resolve(
    resolved: &mut String,
    value: &str,
    at: usize,
) -> Result<Option<Range<usize>>, XmlError> {
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
    // Digits only: Rust's parsers would also take a sign.
    let code = if let Some(hex) = body.strip_prefix("#x") {
        hex.bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(hex, 16).ok())
            .flatten()
    } else if let Some(decimal) = body.strip_prefix('#') {
        decimal
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| decimal.parse::<u32>().ok())
            .flatten()
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

/// The reader of a streamed file: records its line starts (for positions).
/// What it reads is checked by the tokenizer, a window at a time: UTF-8
/// when the window becomes a chunk, characters XML does not allow before
/// the window's events ([`forbidden_character`]).
struct Tracked<R> {
    inner: R,
    /// The streamed file whose line starts are recorded; `None` for text in
    /// memory, whose lines are indexed already.
    marks: Option<Arc<SourceFile>>,
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        if let Some(file) = &self.marks {
            file.mark_line(self.line_start, self.line);
        }
        let bytes = &out[..n];
        if let (Some(_), Some(last)) = (&self.marks, memchr::memrchr(b'\n', bytes)) {
            self.line += memchr::memchr_iter(b'\n', bytes).count();
            self.line_start = self.offset + last + 1;
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

/// The first character XML 1.0 does not allow (§2.2) in `text` (UTF-8,
/// whole characters), which starts at file offset `offset`: a control
/// character other than tab, line feed and carriage return, or U+FFFE or
/// U+FFFF (which Rust's UTF-8 check allows). Its index in `text`, and the
/// error.
fn forbidden_character(text: &[u8], offset: usize) -> Option<(usize, XmlError)> {
    let control = first_control_character(text);
    let noncharacter = first_noncharacter(text);
    match (control, noncharacter) {
        (Some(i), other) if other.is_none_or(|(j, _)| i < j) => {
            let at = offset + i;
            Some((
                i,
                XmlError::syntax(
                    at..at + 1,
                    format!("control character U+{:04X} is not allowed in XML", text[i]),
                ),
            ))
        }
        (_, Some((j, code))) => {
            let at = offset + j;
            Some((
                j,
                XmlError::syntax(
                    at..at + 3,
                    format!("the character U+{code:04X} is not allowed in XML 1.0"),
                ),
            ))
        }
        _ => None,
    }
}

/// The first U+FFFE or U+FFFF (UTF-8 `EF BF BE` / `EF BF BF`) in `text`:
/// the index of its first byte, and which one.
fn first_noncharacter(text: &[u8]) -> Option<(usize, u32)> {
    memchr::memchr2_iter(0xBE, 0xBF, text).find_map(|i| {
        let code = if text[i] == 0xBE { 0xFFFE } else { 0xFFFF };
        (i >= 2 && text[i - 1] == 0xBF && text[i - 2] == 0xEF).then(|| (i - 2, code))
    })
}

/// What the tokenizer read next: [`Item`]s, with tags not yet tied to the
/// chunk they were read from.
#[derive(Debug)]
enum Token {
    Start(TagData),
    End(Range<usize>),
    Eof,
}

/// The tokens of one chunk, in file order (an error or the end of the
/// file comes last), with the chunk their tags point into.
struct Batch {
    chunk: Arc<Chunk>,
    tokens: Vec<Result<Token, XmlError>>,
}

/// Where the tokenizer's text comes from.
enum Source {
    /// Text in memory: its chunks are windows of it, not copies.
    Memory(SharedText),
    /// A streamed file, read a window at a time.
    Stream(Tracked<Box<dyn Read + Send>>),
}

/// How far the tokenizer got in one window of text.
enum WindowEnd {
    /// It read the whole window.
    Done,
    /// The event at this offset of the chunk's text runs past the window:
    /// it is read again from there, with more text.
    NeedMore(usize),
    /// An error or the end of the file was the last token.
    Stopped,
}

/// Bytes of text per window to begin with (doubled while one event does
/// not fit): enough to make a chunk cheap per tag, few enough that the
/// chunks in flight and those open elements hold stay small.
const WINDOW: usize = 64 << 10;

/// Reads a file's XML events with quick-xml, a window of text at a time,
/// checks them, and turns the tags into tokens. A window ends just after a
/// `>`, so that it rarely cuts an event; one that does is read again in the
/// next window.
struct Tokenizer {
    source: Source,
    /// The file offset where the next window starts.
    next_at: usize,
    /// Of a streamed file: the bytes read from `next_at` on.
    carry: Vec<u8>,
    /// Of a streamed file: all of it is read (into `carry`).
    read_all: bool,
    /// Of a streamed file: reading stopped here (the error goes out after
    /// the tokens of the text read before it).
    read_error: Option<XmlError>,
    /// The size of the next window.
    window: usize,
    /// Elements open now.
    depth: usize,
    root_seen: bool,
    /// The qualified names of the open elements, one after another, and
    /// where each starts: end tags are matched here, across windows.
    open_names: String,
    open_starts: Vec<usize>,
    /// The last token (an error or the end of the file) was handed out.
    finished: bool,
    /// Where the text starts after a byte order mark (0 without one).
    text_start: usize,
    /// Start and end tags and plain text are read here, the rest with
    /// quick-xml (else everything with quick-xml: what tests compare with).
    fast: bool,
    /// Tokens and attributes in the last chunk (room made for as many).
    sizes: (usize, usize),
    /// Read ahead: where dropped chunks' buffers come back, the way there,
    /// and those that came back.
    recycled: Option<mpsc::Receiver<Spare>>,
    recycle: Option<mpsc::Sender<Spare>>,
    spares: Spares,
    /// The size of a window to begin with, and of a read ([`WINDOW`]; tiny
    /// in tests, to cut events at every place).
    base_window: usize,
}

impl Tokenizer {
    fn new(source: Source) -> Tokenizer {
        Tokenizer {
            source,
            next_at: 0,
            carry: Vec::new(),
            read_all: false,
            read_error: None,
            window: WINDOW,
            depth: 0,
            root_seen: false,
            open_names: String::new(),
            open_starts: Vec::new(),
            finished: false,
            text_start: 0,
            fast: true,
            sizes: (0, 0),
            recycled: None,
            recycle: None,
            spares: Spares::default(),
            base_window: WINDOW,
        }
    }

    fn streaming(inner: Box<dyn Read + Send>, marks: Option<Arc<SourceFile>>) -> Tokenizer {
        Tokenizer::new(Source::Stream(Tracked {
            inner,
            marks,
            offset: 0,
            line: 0,
            line_start: 0,
        }))
    }

    /// The tokens of the next window of text; `None` after the last token.
    fn next_batch(&mut self) -> Option<Batch> {
        if self.finished {
            return None;
        }
        if let Some(recycled) = &self.recycled {
            while let Ok(spare) = recycled.try_recv() {
                self.spares.keep(spare);
            }
        }
        let mut tokens = self.spares.tokens.pop().unwrap_or_default();
        // As many as last time: not more than a window's worth (the last
        // window may have grown around a huge event).
        tokens.reserve(self.sizes.0.min(WINDOW / 8));
        let mut chunk = match &self.source {
            Source::Memory(text) => {
                let text = text.clone();
                self.memory_window(text, &mut tokens)
            }
            Source::Stream(_) => self.stream_window(&mut tokens),
        };
        // The next chunk is likely much like this one.
        self.sizes = (tokens.len(), chunk.attributes.len());
        chunk.recycle.clone_from(&self.recycle);
        Some(Batch {
            chunk: Arc::new(chunk),
            tokens,
        })
    }

    /// The next window of text in memory, tokenized.
    fn memory_window(
        &mut self,
        text: SharedText,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> Chunk {
        let lo = self.next_at;
        let whole = text.as_str();
        let (hi, last) = loop {
            let target = lo.saturating_add(self.window).min(whole.len());
            if target == whole.len() {
                break (target, true);
            }
            match memchr::memrchr(b'>', &whole.as_bytes()[lo..target]) {
                Some(i) => break (lo + i + 1, false),
                None => self.window = self.window.saturating_mul(2),
            }
        };
        let mut chunk = self.spares.chunk(ChunkText::Shared(text), 0, self.sizes.1);
        match self.tokenize(&mut chunk, lo, hi, last, tokens) {
            WindowEnd::Done => {
                self.next_at = hi;
                self.window = self.base_window;
            }
            WindowEnd::NeedMore(at) => {
                if at == lo {
                    self.window = self.window.saturating_mul(2);
                }
                self.next_at = at;
            }
            WindowEnd::Stopped => self.finished = true,
        }
        chunk
    }

    /// The next window of a streamed file, read and tokenized.
    fn stream_window(&mut self, tokens: &mut Vec<Result<Token, XmlError>>) -> Chunk {
        let base = self.next_at;
        let hi = loop {
            self.read_window();
            let last = self.read_all || self.read_error.is_some();
            if last {
                // Through the end of what could be read; after a read error,
                // up to the last `>` before it.
                let end = if self.read_all {
                    self.carry.len()
                } else {
                    memchr::memrchr(b'>', &self.carry).map_or(0, |i| i + 1)
                };
                break end;
            }
            match memchr::memrchr(b'>', &self.carry) {
                Some(i) => break i + 1,
                None => self.window = self.window.saturating_mul(2),
            }
        };
        // What follows the window goes into a spare buffer; the window's
        // bytes become the chunk's text as they are.
        let mut rest = self.spares.texts.pop().unwrap_or_default();
        rest.clear();
        rest.extend_from_slice(&self.carry[hi..]);
        self.carry.truncate(hi);
        let text = match String::from_utf8(std::mem::replace(&mut self.carry, rest)) {
            Ok(text) => text,
            // The window ends after a `>`, so that no character is cut:
            // bytes that are not UTF-8 are the file's.
            Err(e) => {
                tokens.push(Err(XmlError::NotUtf8 {
                    offset: base + e.utf8_error().valid_up_to(),
                }));
                self.finished = true;
                return Chunk::new(ChunkText::Read(String::new()), base);
            }
        };
        let mut chunk = self.spares.chunk(ChunkText::Read(text), base, self.sizes.1);
        let last = self.read_all && self.carry.is_empty();
        match self.tokenize(&mut chunk, 0, hi, last, tokens) {
            WindowEnd::Done => {
                self.next_at = base + hi;
                self.window = self.base_window;
            }
            WindowEnd::NeedMore(at) => {
                // The cut event and what follows it are read again.
                let mut carry = chunk.text.as_str().as_bytes()[at..hi].to_vec();
                carry.append(&mut self.carry);
                self.carry = carry;
                if at == 0 {
                    self.window = self.window.saturating_mul(2);
                }
                self.next_at = base + at;
            }
            WindowEnd::Stopped => self.finished = true,
        }
        // Nothing more can be read: what is left is not a whole event.
        if let (false, Some(e)) = (self.finished, self.read_error.take()) {
            tokens.push(Err(e));
            self.finished = true;
        }
        chunk
    }

    /// Reads until the carry holds a window's worth of bytes, the file
    /// ends, or reading fails.
    fn read_window(&mut self) {
        let Source::Stream(reader) = &mut self.source else {
            return;
        };
        if self.carry.len() >= self.window || self.read_all || self.read_error.is_some() {
            return;
        }
        let want = (self.window - self.carry.len()).max(self.base_window);
        self.carry.reserve(want);
        match reader
            .by_ref()
            .take(want as u64)
            .read_to_end(&mut self.carry)
        {
            Ok(n) if n < want => self.read_all = true,
            Ok(_) => {}
            Err(e) => self.read_error = Some(XmlError::Io(e)),
        }
    }

    /// Reads the events of the chunk's text from `lo` to `hi` into
    /// `tokens`. `last`: the text ends there (else an event cut by `hi` is
    /// read again with the next window).
    fn tokenize(
        &mut self,
        chunk: &mut Chunk,
        lo: usize,
        hi: usize,
        last: bool,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> WindowEnd {
        let mut parts = ChunkParts {
            text: chunk.text.as_str(),
            base: chunk.base,
            attributes: &mut chunk.attributes,
            resolved: &mut chunk.resolved,
        };
        let text = parts.text;
        let mut lo = lo;
        // A byte order mark before everything is the file's (skipped here,
        // so that offsets count it).
        if parts.base + lo == 0 && text[lo..hi].starts_with('\u{FEFF}') {
            lo += '\u{FEFF}'.len_utf8();
            self.text_start = lo;
        }
        // A character XML does not allow ends the window: the events before
        // it are read (one of them may be wrong first), then it is the error.
        // Text in memory and a streamed file get the same first error so.
        let Some((forbidden_at, forbidden)) =
            forbidden_character(&text.as_bytes()[lo..hi], parts.base + lo)
        else {
            return self.events(&mut parts, lo, hi, last, tokens);
        };
        match self.events(&mut parts, lo, lo + forbidden_at, false, tokens) {
            WindowEnd::Done | WindowEnd::NeedMore(_) => {
                tokens.push(Err(forbidden));
                WindowEnd::Stopped
            }
            WindowEnd::Stopped => WindowEnd::Stopped,
        }
    }

    /// Reads the events of the chunk's text from `lo` to `hi` (see
    /// [`Tokenizer::tokenize`]).
    fn events(
        &mut self,
        parts: &mut ChunkParts,
        lo: usize,
        hi: usize,
        last: bool,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> WindowEnd {
        if !self.fast {
            return match self.quick_events(parts, lo, hi, hi, last, tokens) {
                Ok(_) => WindowEnd::Done,
                Err(end) => end,
            };
        }
        let text = parts.text;
        let bytes = text.as_bytes();
        let mut pos = lo;
        loop {
            let lt = memchr::memchr(b'<', &bytes[pos..hi]).map(|i| pos + i);
            let text_end = lt.unwrap_or(hi);
            if text_end > pos {
                let piece = &text[pos..text_end];
                // References, and text outside the root element, are read by
                // quick-xml (which words their errors); the rest is checked here.
                let plain = memchr::memchr(b'&', piece.as_bytes()).is_none()
                    && (self.depth > 0 || piece.bytes().all(is_space));
                if !plain {
                    match self.quick_events(parts, pos, text_end, hi, last, tokens) {
                        Ok(at) => {
                            pos = at;
                            continue;
                        }
                        Err(end) => return end,
                    }
                }
                if let Err(e) = self.text(piece, parts.base + pos) {
                    tokens.push(Err(e));
                    return WindowEnd::Stopped;
                }
            }
            let Some(lt) = lt else {
                if !last {
                    return WindowEnd::Done;
                }
                let end = parts.base + hi;
                return match self.other(Ok(Event::Eof), end, end) {
                    Ok(token) => {
                        tokens.extend(token.map(Ok));
                        WindowEnd::Stopped
                    }
                    Err(e) => {
                        tokens.push(Err(e));
                        WindowEnd::Stopped
                    }
                };
            };
            pos = lt;
            let tag = match bytes[..hi].get(pos + 1) {
                Some(b'/') => self.quick_end_tag(bytes, pos, hi),
                Some(&b) if b >= 0x80 || BYTE_CLASS[usize::from(b)] & NAME_START != 0 => {
                    start_tag_end(bytes, pos, hi)
                }
                _ => None,
            };
            let outcome = match tag {
                // `</name>`, its name trimmed.
                Some(QuickTag::End(name, gt)) => {
                    let (before, end) = (parts.base + pos, parts.base + gt + 1);
                    self.end_tag(&text[name], before, end).map(|t| {
                        tokens.push(Ok(t));
                        gt + 1
                    })
                }
                Some(QuickTag::Start(gt)) => {
                    let empty = bytes[gt - 1] == b'/';
                    let len = gt - usize::from(empty) - (pos + 1);
                    let end = parts.base + gt + 1;
                    self.start_tag(parts, pos + 1, len, end, empty, tokens)
                        .map(|()| gt + 1)
                }
                // Comments, CDATA, processing instructions, a DOCTYPE, a tag
                // cut by the window, and whatever is not well-formed: quick-xml.
                None => match self.quick_events(parts, pos, pos + 1, hi, last, tokens) {
                    Ok(at) => Ok(at),
                    Err(end) => return end,
                },
            };
            match outcome {
                Ok(at) => pos = at,
                Err(e) => {
                    tokens.push(Err(e));
                    return WindowEnd::Stopped;
                }
            }
        }
    }

    /// An end tag at `lt` (`</...>`) that ends in the window: its name
    /// (what quick-xml compares: up to the `>`, without trailing spaces)
    /// and its `>`.
    fn quick_end_tag(&self, bytes: &[u8], lt: usize, hi: usize) -> Option<QuickTag> {
        let gt = lt + 2 + memchr::memchr(b'>', &bytes[lt + 2..hi])?;
        // quick-xml reads quotes in an end tag as those of a value: it has
        // the last word on such a tag.
        if memchr::memchr2(b'"', b'\'', &bytes[lt + 2..gt]).is_some() {
            return None;
        }
        let name_end = bytes[lt + 2..gt]
            .iter()
            .rposition(|&b| !is_space(b))
            // A name of spaces only is compared as it is (as quick-xml does).
            .map_or(gt, |i| lt + 2 + i + 1);
        Some(QuickTag::End(lt + 2..name_end, gt))
    }

    /// Reads events with quick-xml from `from` in the chunk's text until it
    /// is at `until` or past it (at least one event); where it stopped, or
    /// how the window ends.
    fn quick_events(
        &mut self,
        parts: &mut ChunkParts,
        from: usize,
        until: usize,
        hi: usize,
        last: bool,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> Result<usize, WindowEnd> {
        let text = parts.text;
        let mut lo = from;
        // quick-xml takes a byte order mark at the start of its input for the
        // file's, and skips it: anywhere else it is a character of the text.
        while text[lo..hi].starts_with('\u{FEFF}') {
            if let Err(e) = self.text("\u{FEFF}", parts.base + lo) {
                tokens.push(Err(e));
                return Err(WindowEnd::Stopped);
            }
            lo += '\u{FEFF}'.len_utf8();
            if lo >= until {
                return Ok(lo);
            }
        }
        let mut reader = quick_xml::Reader::from_reader(&text.as_bytes()[lo..hi]);
        let config = reader.config_mut();
        // Checked here, with the place of the `--` (quick-xml's own check
        // reports a place elsewhere in a long comment).
        config.check_comments = false;
        // End tags are matched here: quick-xml sees one window at a time.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.allow_dangling_amp = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        let at_file = parts.base + lo;
        loop {
            let before_in = reader.buffer_position() as usize;
            let event = reader.read_event();
            let end_in = reader.buffer_position() as usize;
            let (before, end) = (at_file + before_in, at_file + end_in);
            let outcome = match event {
                Err(_) if !last && end_in == hi - lo => {
                    return Err(WindowEnd::NeedMore(lo + before_in))
                }
                Ok(Event::Eof) if !last => return Err(WindowEnd::Done),
                Ok(Event::Start(e)) => {
                    self.start_tag(parts, lo + before_in + 1, e.len(), end, false, tokens)
                }
                Ok(Event::Empty(e)) => {
                    self.start_tag(parts, lo + before_in + 1, e.len(), end, true, tokens)
                }
                Ok(Event::End(e)) => self.end_tag(&e, before, end).map(|t| tokens.push(Ok(t))),
                Err(e) => Err(tokenizer_error(e, &reader, at_file)),
                other => self.other(other, before, end).map(|token| {
                    if let Some(token) = token {
                        tokens.push(Ok(token));
                    }
                }),
            };
            match (outcome, tokens.last()) {
                (Err(e), _) => {
                    tokens.push(Err(e));
                    return Err(WindowEnd::Stopped);
                }
                (Ok(()), Some(Ok(Token::Eof))) => return Err(WindowEnd::Stopped),
                (Ok(()), _) if lo + end_in >= until => return Ok(lo + end_in),
                (Ok(()), _) => {}
            }
        }
    }

    /// A start tag whose name starts at `raw` in the chunk's text (`len`
    /// bytes to its `>` or `/>`).
    fn start_tag(
        &mut self,
        parts: &mut ChunkParts,
        raw: usize,
        len: usize,
        end: usize,
        empty: bool,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> Result<(), XmlError> {
        let start = parts.base + raw - 1;
        if self.depth == 0 && self.root_seen {
            return Err(XmlError::syntax(
                start..start + 1,
                "a second root element (an XML file has exactly one)",
            ));
        }
        self.root_seen = true;
        let mut tag = TagData::parse(parts, raw..raw + len, self.depth + 1)?;
        tag.end = end;
        tag.self_closing = empty;
        if !empty {
            self.depth += 1;
            self.open_starts.push(self.open_names.len());
            self.open_names.push_str(&parts.text[tag.name.clone()]);
        }
        tokens.push(Ok(Token::Start(tag)));
        if empty {
            tokens.push(Ok(Token::End(end..end)));
        }
        Ok(())
    }

    /// An end tag: it must close the element open last (XML 1.0 §3,
    /// element type match).
    fn end_tag(&mut self, name: &str, before: usize, end: usize) -> Result<Token, XmlError> {
        use quick_xml::errors::IllFormedError;
        let Some(open) = self.open_starts.pop() else {
            return Err(XmlError::syntax(
                before..before + 1,
                ill_formed(IllFormedError::UnmatchedEndTag(name.to_owned())),
            ));
        };
        if self.open_names[open..] != *name {
            return Err(XmlError::syntax(
                before..before + 1,
                ill_formed(IllFormedError::MismatchedEndTag {
                    expected: self.open_names[open..].to_owned(),
                    found: name.to_owned(),
                }),
            ));
        }
        self.open_names.truncate(open);
        self.depth -= 1;
        Ok(Token::End(before..end))
    }

    /// Everything but start and end tags: the end of the file is a token;
    /// the rest is checked and skipped.
    fn other(
        &mut self,
        event: quick_xml::Result<Event>,
        before: usize,
        end: usize,
    ) -> Result<Option<Token>, XmlError> {
        match event {
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
            Ok(Event::Decl(_)) if before != self.text_start => return Err(XmlError::syntax(
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
            Ok(Event::Start(_) | Event::Empty(_) | Event::End(_)) => {
                unreachable!("tags are read by `tokenize`")
            }
            Err(_) => unreachable!("errors are read by `tokenize`"),
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
}

/// A tag found without quick-xml.
enum QuickTag {
    /// A start tag ending at this `>`.
    Start(usize),
    /// An end tag: its name, and its `>`.
    End(Range<usize>, usize),
}

/// The `>` that ends the start tag at `lt`, outside quoted values, if it
/// is in the window (XML 1.0 §3.1: `>` may stand in a value; `<` may not,
/// and is left for the tag's own check).
fn start_tag_end(bytes: &[u8], lt: usize, hi: usize) -> Option<QuickTag> {
    let mut i = lt + 1;
    loop {
        i += memchr::memchr3(b'>', b'"', b'\'', &bytes[i..hi])?;
        match bytes[i] {
            b'>' => return Some(QuickTag::Start(i)),
            quote => i += 1 + memchr::memchr(quote, &bytes[i + 1..hi])? + 1,
        }
    }
}

/// A quick-xml error in the window read from file offset `at_file`.
fn tokenizer_error(
    e: quick_xml::Error,
    reader: &quick_xml::Reader<&[u8]>,
    at_file: usize,
) -> XmlError {
    let at = at_file + reader.error_position() as usize;
    match e {
        quick_xml::Error::Io(io) => XmlError::Io(
            Arc::try_unwrap(io)
                .unwrap_or_else(|shared| io::Error::new(shared.kind(), shared.to_string())),
        ),
        // quick-xml reports a syntax error when the input ends inside
        // markup (a tag, comment, CDATA section, ...).
        quick_xml::Error::Syntax(s) => XmlError::Truncated {
            at: at_file + reader.buffer_position() as usize,
            inside: s.to_string(),
        },
        quick_xml::Error::IllFormed(e) => XmlError::syntax(at..at + 1, ill_formed(e)),
        other => XmlError::syntax(at..at + 1, other.to_string()),
    }
}

/// Chunks read ahead on another thread: one core reads and tokenizes a
/// large file while the other checks it.
struct ReadAhead {
    batches: mpsc::Receiver<Batch>,
    /// Where emptied batches go back to be filled again.
    returns: mpsc::Sender<Spare>,
}

impl ReadAhead {
    fn start(mut tokenizer: Tokenizer) -> Result<ReadAhead, XmlError> {
        let (sender, batches) = mpsc::sync_channel(4);
        let (returns, recycled) = mpsc::channel();
        tokenizer.recycle = Some(returns.clone());
        tokenizer.recycled = Some(recycled);
        std::thread::Builder::new()
            .name("read-ahead".to_owned())
            .spawn(move || {
                while let Some(batch) = tokenizer.next_batch() {
                    // The parser was dropped: nobody wants the rest.
                    if sender.send(batch).is_err() {
                        return;
                    }
                }
            })
            .map_err(XmlError::Io)?;
        Ok(ReadAhead { batches, returns })
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
    /// The chunk being handed out and its tokens, last first.
    chunk: Option<Arc<Chunk>>,
    batch: Vec<Result<Token, XmlError>>,
    /// Elements open now, as far as the items handed out go.
    depth: usize,
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
                let tokenizer = Tokenizer::streaming(Box::new(reader), Some(Arc::clone(file)));
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                if cores > 1 {
                    Tokens::Ahead(ReadAhead::start(tokenizer)?)
                } else {
                    Tokens::Here(Box::new(tokenizer))
                }
            }
            None => Tokens::Here(Box::new(Tokenizer::new(Source::Memory(SharedText::File(
                Arc::clone(file),
            ))))),
        };
        Ok(Parser::over(tokens))
    }

    /// A parser over text shared with the caller (`review`'s documents).
    pub fn over_text(text: Arc<str>) -> Parser {
        Parser::over(Tokens::Here(Box::new(Tokenizer::new(Source::Memory(
            SharedText::Text(text),
        )))))
    }

    fn over(tokens: Tokens) -> Parser {
        Parser {
            tokens,
            chunk: None,
            batch: Vec::new(),
            depth: 0,
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

    /// The next token, from the batch at hand or the next one.
    fn next_token(&mut self) -> Result<Token, XmlError> {
        loop {
            if let Some(token) = self.batch.pop() {
                return token;
            }
            let batch = match &mut self.tokens {
                Tokens::Here(tokenizer) => tokenizer.next_batch(),
                Tokens::Ahead(ahead) => {
                    let tokens = std::mem::take(&mut self.batch);
                    // The reading thread may have ended: then it is freed here.
                    let _ = ahead.returns.send(Spare {
                        tokens,
                        ..Spare::default()
                    });
                    ahead.batches.recv().ok()
                }
            };
            // The tokenizer ends only after the end of the file or an
            // error, which are handed out last; a panic ends it too.
            let Some(Batch { chunk, mut tokens }) = batch else {
                return Err(XmlError::Io(io::Error::other(
                    "the thread reading the file stopped",
                )));
            };
            tokens.reverse();
            self.batch = tokens;
            self.chunk = Some(chunk);
        }
    }

    /// The next tag or the end of the file, for a reader that wants every
    /// element and where each ends ([`crate::review`]'s documents).
    pub fn next_item(&mut self) -> Result<Item, XmlError> {
        if self.ended {
            return Ok(Item::Eof);
        }
        Ok(match self.next_token()? {
            Token::Start(data) => {
                self.depth += 1;
                let chunk = Arc::clone(self.chunk.as_ref().expect("a token comes with its chunk"));
                Item::Start(Tag { data, chunk })
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

    /// The same tokens, from `text` read as a streamed file is (`window`
    /// bytes at a time), on a second thread.
    fn read_ahead(text: &str, window: usize) -> Parser {
        read_ahead_bytes(text.as_bytes(), window)
    }

    fn read_ahead_bytes(bytes: &[u8], window: usize) -> Parser {
        let reader = io::Cursor::new(bytes.to_vec());
        let mut tokenizer = Tokenizer::streaming(Box::new(reader), None);
        (tokenizer.base_window, tokenizer.window) = (window, window);
        Parser::over(Tokens::Ahead(ReadAhead::start(tokenizer).unwrap()))
    }

    /// The same tokens, every event read by quick-xml.
    fn quick_xml_only(text: &str) -> Parser {
        let mut tokenizer = Tokenizer::new(Source::Memory(SharedText::Text(Arc::from(text))));
        tokenizer.fast = false;
        Parser::over(Tokens::Here(Box::new(tokenizer)))
    }

    /// The same tokens, from `text` in memory read in windows of `window` bytes.
    fn windowed(text: &str, window: usize) -> Parser {
        let source = Source::Memory(SharedText::Text(Arc::from(text)));
        let mut tokenizer = Tokenizer::new(source);
        (tokenizer.base_window, tokenizer.window) = (window, window);
        Parser::over(Tokens::Here(Box::new(tokenizer)))
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
            assert!(text.len() > 3 * WINDOW);
            assert!(here.last().unwrap().starts_with(last), "{:?}", here.last());
            assert_eq!(here, items(read_ahead(text, WINDOW)));
            // Windows so small that most events are cut and read again.
            assert_eq!(here, items(read_ahead(text, 7)));
            assert_eq!(here, items(windowed(text, 5)));
        }
        // After the end, the end again (the thread has stopped by then).
        let mut parser = read_ahead(&whole, WINDOW);
        while !matches!(parser.next_item().unwrap(), Item::Eof) {}
        assert!(matches!(parser.next_item().unwrap(), Item::Eof));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_found_in_windows_of_any_size() {
        let mut bytes = b"<a>\n  <b x='1'/>\n  <c>text</c>\n</a>\n".to_vec();
        let at = bytes.iter().position(|&b| b == b't').unwrap();
        bytes[at] = 0xFF;
        let cut = &"<a>\u{e9}".as_bytes()[..4];
        for window in [1, 3, 8, 64, WINDOW] {
            let last = items(read_ahead_bytes(&bytes, window)).pop().unwrap();
            assert_eq!(last, format!("error NotUtf8 {{ offset: {at} }}"));
            // A character cut by the end of the file.
            let last = items(read_ahead_bytes(cut, window)).pop().unwrap();
            assert_eq!(last, "error NotUtf8 { offset: 3 }");
        }
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
    fn noncharacters_are_found_and_other_characters_are_not() {
        assert_eq!(
            first_noncharacter(&[b'a', 0xEF, 0xBF, 0xBE, b'x']),
            Some((1, 0xFFFE))
        );
        assert_eq!(first_noncharacter(&[0xEF, 0xBF, 0xBF]), Some((0, 0xFFFF)));
        assert_eq!(first_noncharacter(&[0xBF, 0xBE]), None);
        // U+FFFD (EF BF BD) and U+FEFF (EF BB BF) are characters.
        assert_eq!(
            first_noncharacter("\u{fffd}\u{feff}\u{e9}".as_bytes()),
            None
        );
    }

    #[test]
    fn the_first_error_in_the_file_is_the_one_reported_wherever_the_windows_are() {
        // A syntax error, then a control character; the other way round; a
        // noncharacter before a control character.
        let cases = [
            ("<a><b x=1/>\u{1}</a>", "must be quoted"),
            ("<a>\u{1}<b x=1/></a>", "control character U+0001"),
            ("<a>\u{ffff}<b>\u{2}</b></a>", "U+FFFF"),
            ("<a>text</ ></a>", "`</ >` does not close"),
            ("<a>&#x+41;</a>", "not a valid character reference"),
            ("<a b='&#-65;'/>", "not a valid character reference"),
        ];
        for (text, expected) in cases {
            let whole = items(Parser::over_text(Arc::from(text)));
            let last = whole.last().unwrap();
            assert!(last.contains(expected), "{text:?}: {last}");
            assert_eq!(whole, items(quick_xml_only(text)), "{text:?}");
            for window in [1, 2, 5, WINDOW] {
                assert_eq!(whole, items(windowed(text, window)), "{text:?}");
                assert_eq!(whole, items(read_ahead(text, window)), "{text:?}");
            }
        }
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

    /// A real configuration with `edits` made: each (where, bytes deleted,
    /// which of `pieces` goes in), on character boundaries.
    fn edited(edits: &[(usize, usize, usize)], pieces: &[&str]) -> String {
        let mut text =
            include_str!("../tests/fixtures/check/servers/unlocked.applicationHost.config")
                .to_owned();
        for &(at, delete, piece) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(at..end, pieces[piece]);
        }
        text
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
            let text = edited(&edits, PIECES);
            if let Some((ours, theirs)) = both_accept(&text) {
                proptest::prop_assert_eq!(ours, theirs, "{}", text);
            }
        }
    }

    #[test]
    fn namespace_declarations_and_prefixed_attributes_are_told_apart() {
        let file = SourceFile::new(
            "t.xml",
            "<a xmlns='x' p:q='1' \u{e9}='2' xmlnsx='3' lockItem='true'/>",
        );
        let mut parser = Parser::new(&file).unwrap();
        let root = parser.root().unwrap();
        let flags: Vec<(&str, bool)> = root
            .attributes()
            .map(|a| (a.name, a.is_namespaced()))
            .collect();
        assert_eq!(
            flags,
            [
                ("xmlns", true),
                ("p:q", true),
                ("\u{e9}", false),
                ("xmlnsx", false),
                ("lockItem", false)
            ]
        );
        assert_eq!(root.attribute("p:q"), Some("1"));
        assert_eq!(root.attribute("\u{e9}"), Some("2"));
        assert_eq!(root.attribute(""), None);
    }

    #[test]
    fn a_byte_order_mark_inside_the_text_is_a_character_of_it() {
        let fixture =
            include_str!("../tests/fixtures/check/servers/unlocked.applicationHost.config");
        let inside = fixture.find("<applicationPools>").unwrap();
        // After the declaration, inside an element, after the root element.
        for at in [38, inside, fixture.len()] {
            let mut text = fixture.to_owned();
            text.insert(at, '\u{feff}');
            let whole = items(Parser::over_text(Arc::from(text.as_str())));
            let outside = at != inside;
            assert_eq!(
                whole
                    .last()
                    .unwrap()
                    .contains("text outside the root element"),
                outside,
                "{whole:?}"
            );
            assert_eq!(whole, items(quick_xml_only(&text)));
            for window in [1, 2, 3, 64] {
                assert_eq!(whole, items(windowed(&text, window)));
                assert_eq!(whole, items(read_ahead(&text, window)));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Whatever the windows, the same items and the same first error:
        /// events cut by a window are read again in the next, in memory and
        /// streamed alike. The same too when quick-xml reads every event,
        /// tags included.
        #[test]
        fn windows_of_any_size_read_the_same(
            edits in proptest::collection::vec((0usize..3_000, 0usize..4, 0usize..24), 0..4),
            window in 1usize..40,
        ) {
            const PIECES: &[&str] = &[
                "<", ">", "&", "&amp;", "&#0;", "\"", "'", "/", "<!--", "-->", "--", "]]>",
                "<![CDATA[", "?>", "<?", "<?xml version='1.0'?>", "=", " ", "\u{1}", "é",
                "</a>", "<a/>", ":", "\u{feff}",
            ];
            let text = edited(&edits, PIECES);
            let whole = items(Parser::over_text(Arc::from(text.as_str())));
            proptest::prop_assert_eq!(&whole, &items(quick_xml_only(&text)), "{}", text);
            proptest::prop_assert_eq!(&whole, &items(windowed(&text, window)), "{}", text);
            proptest::prop_assert_eq!(&whole, &items(read_ahead(&text, window)), "{}", text);
        }
    }
}
