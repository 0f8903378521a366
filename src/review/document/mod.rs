//! An XML configuration file that can be edited and written back with every
//! byte it had kept: comments, whitespace, attribute quoting and order, and
//! unknown sections. An element that was not touched is written as the exact
//! text it was read from; an edited one keeps the text of its untouched parts.
//!
//! The file is held as its text and tables that point into it (an arena):
//! an element is a fixed-size [`Node`] with the ranges of its text, its
//! attributes are entries of one shared list, the text between elements is
//! a range of the file, and an element's children are a stretch of one
//! shared list of [`ChildId`]s. Nothing is allocated per element or per
//! attribute read (only for values with references, which are decoded), so
//! a 50 MB applicationHost.config takes about 2.5 times its size in memory
//! (BENCHMARKS.md). An element the simulation edits gets lists of its own. Readers see an element through
//! [`Element`], a view; edits go through the [`Document`], which keeps the
//! text of whatever they leave alone.

mod edit;
mod element;
mod locations;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::ops::Range;
use std::sync::Arc;

use crate::xml::{Item, Parser, XmlError};

pub use edit::{NewElement, Snapshot};
pub use element::{Element, ElementMut};
pub use locations::location_key;
use locations::LocationIndex;

/// Why a configuration file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    /// Byte offset of the problem in the text.
    pub offset: usize,
    pub message: String,
}

/// A loaded (or new) configuration file.
#[derive(Debug, Clone)]
pub struct Document {
    source: Arc<str>,
    /// Text before the root element (declaration, comments) and after it.
    before_root: Range<usize>,
    after_root: Range<usize>,
    root: ChildId,
    /// The elements.
    nodes: Vec<Node>,
    /// The text between elements: whitespace, comments, anything else.
    texts: Vec<Text>,
    /// The attributes of every element; each element's are together.
    attributes: Vec<Attribute>,
    /// The attributes of elements that were given a new one (see
    /// [`Node::attributes`]).
    edited_attributes: Vec<Vec<Attribute>>,
    /// The children of every loaded element, each element's together.
    children: Vec<ChildId>,
    /// The children of elements whose list was edited (see
    /// [`Node::children`]).
    edited_children: Vec<Vec<ChildId>>,
    strings: Strings,
    style: Style,
    locations: LocationIndex,
}

/// How the file lays out new lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// One level of indentation as the file uses it (IIS writes four spaces).
    pub unit: String,
    /// `\r\n` (what Windows tools write) or `\n`.
    pub newline: &'static str,
}

/// A child of an element: an element (its index in [`Document::nodes`]),
/// or, with [`TEXT_BIT`] set, text (its index in [`Document::texts`]).
/// Lists of children are searched for elements without reading them.
type ChildId = u32;

const TEXT_BIT: ChildId = 1 << 31;

fn is_element(id: ChildId) -> bool {
    id & TEXT_BIT == 0
}

/// An element.
#[derive(Debug, Clone, Copy)]
struct Node {
    flags: u8,
    /// Its name (in `strings`).
    name: StringId,
    /// A loaded element: where it starts, where its start tag ends and
    /// where it ends.
    start: u32,
    tag_end: u32,
    end: u32,
    /// The whitespace before it on its line (in `strings`).
    indent: StringId,
    /// Its attributes among [`Document::attributes`], or, with
    /// [`EDITED_ATTRIBUTES`], `start` is their list in
    /// [`Document::edited_attributes`].
    attributes: Span,
    /// Its children among [`Document::children`], or, with
    /// [`EDITED_CHILDREN`], `start` is their list in
    /// [`Document::edited_children`].
    children: Span,
}

/// The element was read from the file (it has `start`, `tag_end`, `end`).
const LOADED: u8 = 1;
/// Something in this element or below it changed since loading.
const CHANGED: u8 = 2;
/// The attributes changed, so the start tag is written anew.
const ATTRIBUTES_CHANGED: u8 = 4;
/// Read as `<name ... />`.
const SELF_CLOSING: u8 = 8;
/// The children are a list of their own in `edited_children`.
const EDITED_CHILDREN: u8 = 16;
/// The attributes are a list of their own in `edited_attributes`.
const EDITED_ATTRIBUTES: u8 = 32;

/// A stretch of one of the document's shared lists.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn range(self) -> Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

#[derive(Debug, Clone, Copy)]
struct Attribute {
    name: StringId,
    value: Text,
    /// The `name="value"` text as read (start, end); `None` once set by the
    /// simulation. An attribute never starts a file, so the start is not 0.
    raw: Option<(NonZeroU32, u32)>,
}

/// A piece of text (an attribute's value, the text between two elements)
/// in eight bytes, as a server has a million of them.
#[derive(Debug, Clone, Copy)]
struct Text {
    /// The file's text `start..end`, as written; or, when `start` is 0
    /// (neither a value nor the text inside an element starts a file), the
    /// string `end`: a value decoded from the file (it had references), or
    /// what the simulation wrote.
    start: u32,
    end: u32,
}

impl Text {
    fn source(range: Range<usize>) -> Text {
        debug_assert!(range.start > 0);
        Text {
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    fn owned(string: StringId) -> Text {
        Text {
            start: 0,
            end: string,
        }
    }
}

/// A string's number in [`Strings`].
type StringId = u32;

/// The document's own strings: element and attribute names and
/// indentations, each kept once (a server's half a million attributes have
/// some fifty names), and the values and text the simulation writes.
#[derive(Debug, Clone, Default)]
struct Strings {
    list: Vec<Arc<str>>,
    shared: HashMap<Arc<str>, StringId>,
}

impl Strings {
    /// The one copy of `text`.
    fn shared(&mut self, text: &str) -> StringId {
        if let Some(&id) = self.shared.get(text) {
            return id;
        }
        let id = self.add(text);
        self.shared.insert(Arc::clone(&self.list[id as usize]), id);
        id
    }

    /// A new string (values are rarely the same twice).
    fn add(&mut self, text: &str) -> StringId {
        self.list.push(Arc::from(text));
        (self.list.len() - 1) as StringId
    }

    fn get(&self, id: StringId) -> &str {
        &self.list[id as usize]
    }
}

/// Offsets are kept as `u32` and elements and texts numbered below
/// [`TEXT_BIT`]: a loaded text is at most this long (each element and text
/// read takes at least a byte; the few the simulation adds are far from the
/// limit).
const MAX_TEXT: usize = (TEXT_BIT - 1) as usize;

impl Document {
    /// Parses `text`; DTDs are refused (they could expand entities without bound).
    pub fn parse(text: &str) -> Result<Document, LoadError> {
        Document::parse_shared(Arc::from(text))
    }

    /// [`Document::parse`] of text the caller keeps too (no copy).
    ///
    /// Read with `check`'s strict streaming reader, one tag at a time: each
    /// element keeps the ranges of its text, and what lies between elements
    /// (whitespace, comments) is kept as ranges too.
    pub fn parse_shared(source: Arc<str>) -> Result<Document, LoadError> {
        if source.len() > MAX_TEXT {
            return Err(LoadError {
                offset: 0,
                message: format!("the file is larger than {} bytes", MAX_TEXT),
            });
        }
        let mut loader = Loader::new(Arc::clone(&source));
        let root = loader.read()?;
        let Loader { mut doc, .. } = loader;
        let Some(root) = root else {
            return Err(LoadError {
                offset: 0,
                message: "the file has no root element".to_owned(),
            });
        };
        doc.root = root;
        let node = *doc.node(root);
        doc.before_root = 0..node.start as usize;
        doc.after_root = node.end as usize..source.len();
        let unit = doc
            .root()
            .elements()
            .map(|e| e.indent())
            .find(|i| !i.is_empty())
            .unwrap_or("    ")
            .to_owned();
        doc.style = Style {
            unit,
            newline: if source.contains("\r\n") || !source.contains('\n') {
                "\r\n"
            } else {
                "\n"
            },
        };
        Ok(doc)
    }

    /// An empty document over `source` (its root is set by the caller).
    fn empty(source: Arc<str>, style: Style) -> Document {
        Document {
            before_root: 0..0,
            after_root: source.len()..source.len(),
            source,
            root: 0,
            nodes: Vec::new(),
            texts: Vec::new(),
            attributes: Vec::new(),
            edited_attributes: Vec::new(),
            children: Vec::new(),
            edited_children: Vec::new(),
            strings: Strings::default(),
            style,
            locations: LocationIndex::default(),
        }
    }

    /// A new, empty `<configuration>` file (a web.config the simulation creates).
    pub fn new_configuration(style: Style) -> Document {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n";
        let mut doc = Document::empty(Arc::from(text), style);
        doc.before_root = 0..text.len();
        doc.root = doc.add_new(&NewElement::new("configuration", &[]));
        doc
    }

    /// Writes the file: byte for byte the loaded text where nothing changed.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.source.len() + 256);
        out.push_str(&self.source[self.before_root.clone()]);
        self.write_element(self.root, &mut out);
        out.push_str(&self.source[self.after_root.clone()]);
        out
    }

    /// Writes an element and what is below it (however deep: no recursion).
    fn write_element(&self, top: ChildId, out: &mut String) {
        // The elements whose children are being written, each with the
        // number of its next child.
        let mut open = Vec::new();
        if self.write_start(top, out) {
            open.push((top, 0));
        }
        while let Some(&(id, next)) = open.last() {
            let Some(&child) = self.child_ids(id).get(next) else {
                out.push_str("</");
                out.push_str(self.strings.get(self.node(id).name));
                out.push('>');
                open.pop();
                continue;
            };
            if let Some(last) = open.last_mut() {
                last.1 += 1;
            }
            if !is_element(child) {
                out.push_str(self.child_text(child));
            } else if self.write_start(child, out) {
                open.push((child, 0));
            }
        }
    }

    /// Writes an element whole when it was not touched, else its start tag
    /// (its children and end tag are to follow when this says so).
    fn write_start(&self, id: ChildId, out: &mut String) -> bool {
        let node = self.node(id);
        let loaded = node.flags & LOADED != 0;
        if loaded && node.flags & CHANGED == 0 {
            out.push_str(&self.source[node.start as usize..node.end as usize]);
            return false;
        }
        let children = self.child_ids(id);
        let has_children = !children.is_empty();
        if loaded && node.flags & ATTRIBUTES_CHANGED == 0 {
            let tag = &self.source[node.start as usize..node.tag_end as usize];
            let self_closing = node.flags & SELF_CLOSING != 0;
            if self_closing && has_children {
                out.push_str(tag.trim_end_matches("/>").trim_end());
                out.push('>');
            } else if !self_closing && !has_children {
                out.push_str(tag.trim_end_matches('>').trim_end());
                out.push_str(" />");
            } else {
                out.push_str(tag);
            }
        } else {
            out.push('<');
            out.push_str(self.strings.get(node.name));
            for attribute in self.attribute_list(id) {
                out.push(' ');
                match attribute.raw {
                    Some((start, end)) => {
                        out.push_str(&self.source[start.get() as usize..end as usize])
                    }
                    None => {
                        out.push_str(self.strings.get(attribute.name));
                        out.push_str("=\"");
                        out.push_str(&escape_attribute(self.text(attribute.value)));
                        out.push('"');
                    }
                }
            }
            out.push_str(if has_children { ">" } else { " />" });
        }
        has_children
    }

    /// Whether this is `text`, as loaded and not edited since (so writing
    /// it out would give `text` back).
    pub fn is_unchanged(&self, text: &Arc<str>) -> bool {
        Arc::ptr_eq(&self.source, text) && self.node(self.root).flags & CHANGED == 0
    }

    /// The root element.
    pub fn root(&self) -> Element<'_> {
        Element::new(self, self.root)
    }

    /// Where the root element starts in the loaded text (0 for a new file).
    pub fn root_offset(&self) -> usize {
        let root = self.node(self.root);
        if root.flags & LOADED != 0 {
            root.start as usize
        } else {
            0
        }
    }

    /// The element at `path` (child indexes among element children).
    pub fn element(&self, path: &[usize]) -> Element<'_> {
        self.get(path).expect("element index in range")
    }

    /// The element at `path`, if the path leads to one.
    pub fn get(&self, path: &[usize]) -> Option<Element<'_>> {
        let mut e = self.root();
        for &i in path {
            e = e.elements().nth(i)?;
        }
        Some(e)
    }

    /// The node of the element at `path`.
    fn node_at(&self, path: &[usize]) -> ChildId {
        self.element(path).id()
    }

    /// The node numbers of an element's children, in order.
    fn child_ids(&self, id: ChildId) -> &[ChildId] {
        let node = self.node(id);
        if node.flags & EDITED_CHILDREN != 0 {
            &self.edited_children[node.children.start as usize]
        } else {
            &self.children[node.children.range()]
        }
    }

    /// The attributes of the element `id`, in order.
    fn attribute_list(&self, id: ChildId) -> &[Attribute] {
        let node = self.node(id);
        if node.flags & EDITED_ATTRIBUTES != 0 {
            &self.edited_attributes[node.attributes.start as usize]
        } else {
            &self.attributes[node.attributes.range()]
        }
    }

    fn text(&self, text: Text) -> &str {
        match text.start {
            0 => self.strings.get(text.end),
            start => &self.source[start as usize..text.end as usize],
        }
    }

    /// The text of a child that is not an element.
    fn child_text(&self, id: ChildId) -> &str {
        self.text(self.texts[(id & !TEXT_BIT) as usize])
    }
}

/// Reads a file into a [`Document`]: the elements open now, each with where
/// its unread content starts and its children so far.
struct Loader {
    doc: Document,
    open: Vec<(ChildId, usize, Vec<ChildId>)>,
    /// Child lists of elements already closed, to be used again.
    spare: Vec<Vec<ChildId>>,
}

impl Loader {
    fn new(source: Arc<str>) -> Loader {
        let style = Style {
            unit: String::new(),
            newline: "\r\n",
        };
        Loader {
            doc: Document::empty(source, style),
            open: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Reads the whole file (what follows the root is checked too: a
    /// second root, text, a truncated comment are errors); the root's node,
    /// if there is one.
    fn read(&mut self) -> Result<Option<ChildId>, LoadError> {
        let mut root = None;
        let source = Arc::clone(&self.doc.source);
        let text: &str = &source;
        let mut parser = Parser::over_text(Arc::clone(&source));
        loop {
            match parser.next_item().map_err(load_error)? {
                Item::Start(tag) => {
                    let indent = match self.open.last_mut() {
                        Some((_, cursor, children)) => {
                            if tag.start() > *cursor {
                                children
                                    .push(self.doc.push_text(Text::source(*cursor..tag.start())));
                            }
                            line_indent(text, tag.start())
                        }
                        None => "",
                    };
                    let id = self.doc.add_loaded(&tag, indent, text);
                    let children = self.spare.pop().unwrap_or_default();
                    self.open.push((id, tag.end(), children));
                }
                Item::End(at) => {
                    let Some((id, cursor, mut children)) = self.open.pop() else {
                        break;
                    };
                    if at.start > cursor {
                        children.push(self.doc.push_text(Text::source(cursor..at.start)));
                    }
                    let doc = &mut self.doc;
                    let span = Span {
                        start: doc.children.len() as u32,
                        len: children.len() as u32,
                    };
                    doc.children.append(&mut children);
                    let node = doc.node_mut(id);
                    node.end = at.end.max(node.tag_end as usize) as u32;
                    node.children = span;
                    self.spare.push(children);
                    match self.open.last_mut() {
                        Some((_, parent_cursor, siblings)) => {
                            *parent_cursor = at.end.max(cursor);
                            siblings.push(id);
                        }
                        None => root = Some(id),
                    }
                }
                Item::Eof => break,
            }
        }
        Ok(root)
    }
}

impl Document {
    /// A node for an element as its start tag reads; its children and end follow.
    fn add_loaded(&mut self, tag: &crate::xml::Tag, indent: &str, text: &str) -> ChildId {
        let start = self.attributes.len() as u32;
        for a in tag.attributes() {
            let name = self.strings.shared(a.name);
            let range = a.value_range();
            // Kept as a range of the file when that is the value (nothing
            // was decoded or normalized).
            let value = if text[range.clone()] == *a.value {
                Text::source(range.clone())
            } else {
                Text::owned(self.strings.add(a.value))
            };
            self.attributes.push(Attribute {
                name,
                value,
                // `name="value"`: through the closing quote.
                raw: NonZeroU32::new(a.name_range().start as u32)
                    .map(|s| (s, (range.end + 1) as u32)),
            });
        }
        let node = Node {
            flags: LOADED
                | if tag.is_self_closing() {
                    SELF_CLOSING
                } else {
                    0
                },
            name: self.strings.shared(tag.qualified_name()),
            start: tag.start() as u32,
            tag_end: tag.end() as u32,
            end: tag.end() as u32,
            indent: self.strings.shared(indent),
            attributes: Span {
                start,
                len: self.attributes.len() as u32 - start,
            },
            children: Span::default(),
        };
        self.push_node(node)
    }

    fn push_node(&mut self, node: Node) -> ChildId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as ChildId
    }

    /// A piece of text between elements.
    fn push_text(&mut self, text: Text) -> ChildId {
        self.texts.push(text);
        (self.texts.len() - 1) as ChildId | TEXT_BIT
    }

    fn node(&self, id: ChildId) -> &Node {
        debug_assert!(is_element(id));
        &self.nodes[id as usize]
    }

    fn node_mut(&mut self, id: ChildId) -> &mut Node {
        debug_assert!(is_element(id));
        &mut self.nodes[id as usize]
    }
}

/// A reading error as a position and a message.
fn load_error(e: XmlError) -> LoadError {
    let (offset, message) = match e {
        XmlError::Syntax { at, message } => (at.start, message),
        XmlError::Dtd { at } => (
            at.start,
            "a DTD (<!DOCTYPE ...>) is not allowed: configuration files never have one".to_owned(),
        ),
        XmlError::Truncated { at, inside } => (at, inside),
        XmlError::NotUtf8 { offset } => (offset, "bytes that are not UTF-8".to_owned()),
        XmlError::Io(e) => (0, e.to_string()),
    };
    LoadError { offset, message }
}

/// The spaces and tabs before `at` when nothing else stands between the
/// line's start and `at`. Looked for backwards from `at`, never further than
/// the blanks: a minified file has all its elements on one line.
fn line_indent(source: &str, at: usize) -> &str {
    let bytes = source.as_bytes();
    let mut start = at;
    while start > 0 && matches!(bytes[start - 1], b' ' | b'\t') {
        start -= 1;
    }
    if start == 0 || bytes[start - 1] == b'\n' {
        &source[start..at]
    } else {
        ""
    }
}

/// Escapes an attribute value for a double-quoted XML attribute.
fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
