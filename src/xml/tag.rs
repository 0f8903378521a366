//! Start tags: [`Tag`] and [`Attribute`] as the reader hands them out, and
//! [`TagData::parse`], which checks the text between `<` and `>` in one
//! table-driven pass (XML 1.0 §2.3 names, §3.1 tags, §3.3.3 attribute-value
//! normalization, §4.1 references).

use std::ops::Range;
use std::rc::Rc;

use super::chunk::*;
use super::scan::value_end;
use super::XmlError;

/// One start tag (or empty-element tag).
#[derive(Debug)]
pub struct Tag {
    /// The chunk it was read from, shared with the other tags read from it.
    pub(super) chunk: Rc<Chunk>,
    /// Its [`TagData`] among the chunk's (a tag is handed out and moved
    /// for every element: it stays small).
    pub(super) index: usize,
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
    fn data(&self) -> &TagData {
        &self.chunk.tags[self.index]
    }

    /// Offset of its `<`.
    pub fn start(&self) -> usize {
        self.data().start
    }

    /// Offset after its `>`.
    pub fn end(&self) -> usize {
        self.data().end
    }

    /// 1 for the root element.
    pub fn depth(&self) -> usize {
        self.data().depth
    }

    /// An empty-element tag (`<name/>`): no content, no end tag.
    pub fn is_self_closing(&self) -> bool {
        self.data().self_closing
    }

    /// The element's name without a namespace prefix.
    pub fn name(&self) -> &str {
        let data = self.data();
        &self.chunk.text.as_str()[data.name.start + data.local_start..data.name.end]
    }

    /// The element's name as written, with any namespace prefix.
    pub fn qualified_name(&self) -> &str {
        &self.chunk.text.as_str()[self.data().name.clone()]
    }

    /// Where its name is in the file.
    pub fn name_range(&self) -> Range<usize> {
        let start = self.data().start + 1;
        start..start + self.data().name.len()
    }

    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'_>> {
        let chunk = &*self.chunk;
        let text = chunk.text.as_str();
        chunk.attributes[self.data().attributes.clone()]
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
        let found = chunk.attributes[self.data().attributes.clone()]
            .iter()
            .find(|a| {
                a.name.len() == wanted.len()
                    && text[a.name.start] == first
                    && crate::bytes::same_bytes(&text[a.name.clone()], wanted)
            })?;
        Some(chunk.value(found))
    }
}

/// A tag as the tokenizer reads it: ranges into the [`Chunk`] it is read
/// from, which goes with it (to another thread, when the file is read ahead).
#[derive(Debug)]
pub(super) struct TagData {
    pub(super) start: usize,
    pub(super) depth: usize,
    pub(super) end: usize,
    pub(super) self_closing: bool,
    /// The qualified name, in the chunk's text.
    pub(super) name: Range<usize>,
    /// Where the name after any prefix starts, from the name's start (the
    /// tag's name is read often).
    pub(super) local_start: usize,
    /// The tag's attributes among the chunk's.
    pub(super) attributes: Range<usize>,
}

impl TagData {
    /// Parses the text between `<` and `>` (`raw`, a range of the chunk's
    /// text) of a tag whose `<` is at file offset `start`; its attributes
    /// go into the chunk.
    pub(super) fn parse(
        chunk: &mut ChunkParts,
        raw: Range<usize>,
        depth: usize,
    ) -> Result<TagData, XmlError> {
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
            let bit = name_bit(new_name);
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

impl TagData {
    /// The common start tag, read in one pass that also finds its end: the
    /// tag at `lt` (its `<`) of the chunk's text, with ASCII names without
    /// a prefix and values without references or line breaks, that ends
    /// before `hi`, and its `>`.
    /// `None` for every other tag (cut by `hi`, not well-formed, or
    /// unusual), which [`TagData::parse`] reads: this is only a faster way
    /// to the same tag, never a different verdict.
    pub(super) fn parse_plain(
        chunk: &mut ChunkParts,
        lt: usize,
        hi: usize,
        depth: usize,
    ) -> Option<(TagData, usize)> {
        let bytes = &chunk.text.as_bytes()[..hi];
        let first_attribute = chunk.attributes.len();
        let read = read_plain(bytes, lt, chunk.attributes);
        if read.is_none() {
            chunk.attributes.truncate(first_attribute);
        }
        let (name_end, gt, empty) = read?;
        let start = chunk.base + lt;
        Some((
            TagData {
                start,
                depth,
                end: chunk.base + gt + 1,
                self_closing: empty,
                name: lt + 1..name_end,
                local_start: 0,
                attributes: first_attribute..chunk.attributes.len(),
            },
            gt,
        ))
    }
}

/// [`TagData::parse_plain`]'s pass over the tag at `lt` in `bytes`: the
/// end of its name, its `>` and whether it is empty; its attributes pushed
/// onto `attributes`.
fn read_plain(
    bytes: &[u8],
    lt: usize,
    attributes: &mut Vec<RawAttribute>,
) -> Option<(usize, usize, bool)> {
    let first_attribute = attributes.len();
    let plain_name = |from: usize| match scan_name_bytes(bytes, from) {
        (0, _) | (_, true) => None,
        (len, false) => Some(from + len),
    };
    let name_end = plain_name(lt + 1)?;
    let mut i = name_end;
    let mut seen_names = 0u64;
    loop {
        let spaced = i;
        i = skip_spaces(bytes, i);
        match *bytes.get(i)? {
            b'>' => return Some((name_end, i, false)),
            b'/' => return (*bytes.get(i + 1)? == b'>').then_some((name_end, i + 1, true)),
            _ if i == spaced => return None,
            _ => {}
        }
        let name = i..plain_name(i)?;
        i = skip_spaces(bytes, name.end);
        if *bytes.get(i)? != b'=' {
            return None;
        }
        i = skip_spaces(bytes, i + 1);
        let quote = *bytes.get(i)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let (value_end, marks) = scan_value(bytes, i + 1, quote)?;
        if marks != 0 {
            return None;
        }
        let value = i + 1..value_end;
        i = value_end + 1;
        let new_name = &bytes[name.clone()];
        let bit = name_bit(new_name);
        if seen_names & bit != 0
            && attributes[first_attribute..]
                .iter()
                .any(|a| &bytes[a.name.clone()] == new_name)
        {
            return None;
        }
        seen_names |= bit;
        attributes.push(RawAttribute {
            namespaced: new_name == b"xmlns",
            name,
            value,
            resolved: None,
        });
    }
}

/// An attribute name's bit among a tag's (by its length and last byte):
/// names whose bits differ differ, so a tag's names are compared only when
/// a bit comes twice (an attribute given twice is an error).
fn name_bit(name: &[u8]) -> u64 {
    let last = name.last().copied().unwrap_or(0);
    1u64 << ((name.len() * 7 + usize::from(last)) % 64)
}

/// Resolves references and normalizes whitespace in a value (§3.3.3) into
/// `resolved`; `None` when the value is its raw text.
pub(super) fn resolve(
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
pub(super) fn reference(text: &str, offset: usize) -> Result<(char, usize), XmlError> {
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
pub(super) fn resolve_reference(body: &str) -> Result<char, String> {
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
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML 1.0 `NameStartChar` (§2.3).
pub(super) fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar` (§2.3).
pub(super) fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Checks the text of an XML declaration after `<?` (§2.8): `xml`, then
/// `version`, optional `encoding` and `standalone`, in that order.
pub(super) fn check_declaration(content: &str) -> Result<(), String> {
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
pub(super) fn check_qualified_name(name: &str) -> Result<(), String> {
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
pub(super) fn name_length(text: &str) -> usize {
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
pub(super) const NAME_START: u8 = 1;

pub(super) const NAME_CHAR: u8 = 2;

pub(super) const COLON: u8 = 4;

/// In a value: `<` (refused) or `&`, tab, CR, LF (resolved, §3.3.3).
pub(super) const VALUE_MARK: u8 = 8;

pub(super) const BYTE_CLASS: [u8; 256] = {
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
pub(super) fn scan_name(text: &str, from: usize) -> (usize, bool) {
    let bytes = text.as_bytes();
    let (len, flagged) = scan_name_bytes(bytes, from);
    match bytes.get(from + len) {
        Some(&b) if b >= 0x80 => {
            let rest = non_ascii_name_length(&text[from + len..], len == 0);
            (len + rest, true)
        }
        _ => (len, flagged),
    }
}

/// [`scan_name`] of ASCII bytes: the length of the ASCII name at `from`,
/// and whether it has a `:`. It stops at the first non-ASCII byte, which
/// [`scan_name`] reads on from (and flags).
fn scan_name_bytes(bytes: &[u8], from: usize) -> (usize, bool) {
    let mut i = from;
    let mut seen = 0u8;
    let mut wanted = NAME_START;
    while let Some(&b) = bytes.get(i) {
        if b >= 0x80 {
            return (i - from, true);
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
/// [`value_end`].
pub(super) fn scan_value(bytes: &[u8], from: usize, quote: u8) -> Option<(usize, u8)> {
    let short_end = bytes.len().min(from + 64);
    let mut marks = 0;
    for (j, &b) in bytes[from..short_end].iter().enumerate() {
        if b == quote {
            return Some((from + j, marks & VALUE_MARK));
        }
        marks |= BYTE_CLASS[usize::from(b)];
    }
    let (end, marked) = value_end(&bytes[short_end..], quote)?;
    if marked {
        marks |= VALUE_MARK;
    }
    Some((short_end + end, marks & VALUE_MARK))
}

pub(super) fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    i
}

/// The rest of a name from its first non-ASCII character.
pub(super) fn non_ascii_name_length(text: &str, at_start: bool) -> usize {
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
