//! An XML configuration file that can be edited and written back with every
//! byte it had kept: comments, whitespace, attribute quoting and order, and
//! unknown sections. An element that was not touched is written as the exact
//! text it was read from; an edited one keeps the text of its untouched parts.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use crate::xml::{Item, Parser, Tag, XmlError};

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
    root: Element,
    style: Style,
    /// The top-level `<location>` elements by path (see
    /// [`Document::locations`]). A hosting server has one per site, and
    /// every simulated command looks some up.
    locations: LocationIndex,
}

/// An index of the root's `<location>` children, built on first use and
/// kept up to date by the edits at the top level: `Document::insert` and
/// `Document::remove` shift it, `element_mut` of a top-level element marks
/// that one to be looked at again, `element_mut` of the root drops it.
#[derive(Debug, Default)]
struct LocationIndex(Mutex<Option<Locations>>);

#[derive(Debug, Clone, Default)]
struct Locations {
    /// [`location_key`] → indexes among the root's element children, in order.
    by_key: HashMap<String, Vec<usize>>,
    /// The key of each root element child (`None`: not a `<location>`).
    key_of: Vec<Option<String>>,
    /// Root element children that may have changed since they were indexed.
    stale: Vec<usize>,
}

impl Clone for LocationIndex {
    fn clone(&self) -> Self {
        let inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        LocationIndex(Mutex::new(inner.clone()))
    }
}

impl LocationIndex {
    fn built(&mut self) -> Option<&mut Locations> {
        self.0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
    }

    fn forget(&mut self) {
        *self.0.get_mut().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn touched(&mut self, index: usize) {
        if let Some(l) = self.built() {
            l.stale.push(index);
        }
    }

    /// A root element child was inserted at `index`.
    fn inserted(&mut self, index: usize) {
        if let Some(l) = self.built() {
            for list in l.by_key.values_mut() {
                list.iter_mut()
                    .filter(|i| **i >= index)
                    .for_each(|i| *i += 1);
            }
            l.stale
                .iter_mut()
                .filter(|i| **i >= index)
                .for_each(|i| *i += 1);
            l.key_of.insert(index.min(l.key_of.len()), None);
            l.stale.push(index);
        }
    }

    /// The root element child at `index` was removed.
    fn removed(&mut self, index: usize) {
        if let Some(l) = self.built() {
            if let Some(Some(key)) = (index < l.key_of.len()).then(|| l.key_of.remove(index)) {
                if let Some(list) = l.by_key.get_mut(&key) {
                    list.retain(|&i| i != index);
                }
            }
            for list in l.by_key.values_mut() {
                list.iter_mut()
                    .filter(|i| **i > index)
                    .for_each(|i| *i -= 1);
            }
            l.stale.retain(|&i| i != index);
            l.stale
                .iter_mut()
                .filter(|i| **i > index)
                .for_each(|i| *i -= 1);
        }
    }
}

impl Locations {
    fn build(root: &Element) -> Locations {
        let mut locations = Locations::default();
        for (i, e) in root.elements().enumerate() {
            let key =
                (e.name == "location").then(|| location_key(e.attribute("path").unwrap_or("")));
            if let Some(key) = &key {
                locations.by_key.entry(key.clone()).or_default().push(i);
            }
            locations.key_of.push(key);
        }
        locations
    }

    /// Indexes the stale children again.
    fn refresh(&mut self, root: &Element) {
        let mut stale = std::mem::take(&mut self.stale);
        stale.sort_unstable();
        stale.dedup();
        for index in stale {
            if let Some(Some(old)) = self.key_of.get_mut(index).map(Option::take) {
                if let Some(list) = self.by_key.get_mut(&old) {
                    list.retain(|&i| i != index);
                }
            }
            let Some(e) = root.elements().nth(index) else {
                continue;
            };
            if e.name != "location" {
                continue;
            }
            let key = location_key(e.attribute("path").unwrap_or(""));
            let list = self.by_key.entry(key.clone()).or_default();
            let at = list.partition_point(|&i| i < index);
            list.insert(at, index);
            self.key_of[index] = Some(key);
        }
    }
}

/// How the file lays out new lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// One level of indentation as the file uses it (IIS writes four spaces).
    pub unit: String,
    /// `\r\n` (what Windows tools write) or `\n`.
    pub newline: &'static str,
}

/// One element: its name, attributes and children.
#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    attributes: Vec<Attribute>,
    children: Vec<Child>,
    /// Where the element was read from; `None` for elements the simulation made.
    origin: Option<Origin>,
    /// Something in this element or below it changed since loading.
    changed: bool,
    /// The attributes changed (so the start tag is written anew).
    attributes_changed: bool,
    /// The whitespace before the element on its line (shared: a file
    /// has a handful of different indentations).
    indent: Arc<str>,
}

#[derive(Debug, Clone)]
struct Attribute {
    /// Shared: a server's half a million attributes have some fifty names.
    name: Arc<str>,
    value: Box<str>,
    /// The `name="value"` text as read (start, end); `None` once set by the
    /// simulation. The file is at most 128 MiB (`MAX_WHOLE_INPUT`).
    raw: Option<(u32, u32)>,
}

/// One copy of each attribute name and indentation of a file being loaded.
#[derive(Default)]
struct Interner(std::collections::HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

#[derive(Debug, Clone)]
enum Child {
    /// Boxed: a site list holds tens of thousands, moved on every insert.
    Element(Box<Element>),
    /// Text, comments and processing instructions between elements, as read.
    Raw(Range<usize>),
    /// Whitespace between elements, as read (goes with its element when removed).
    Blank(Range<usize>),
    /// Whitespace the simulation wrote.
    Text(String),
}

#[derive(Debug, Clone)]
struct Origin {
    whole: Range<usize>,
    /// The start tag, `<name ...>` or `<name .../>`.
    start_tag: Range<usize>,
    self_closing: bool,
}

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
        let text: &str = &source;
        let mut parser = Parser::over_text(Arc::clone(&source));
        // The elements open now, each with where its unread content starts.
        let mut open: Vec<(Element, usize)> = Vec::new();
        let mut root = None;
        let mut interner = Interner::default();
        loop {
            match parser.next_item().map_err(load_error)? {
                Item::Start(tag) => {
                    let indent = match open.last_mut() {
                        Some((parent, cursor)) => {
                            if tag.start() > *cursor {
                                parent.children.push(between(text, *cursor..tag.start()));
                            }
                            interner.get(line_indent(text, tag.start()))
                        }
                        None => interner.get(""),
                    };
                    let end = tag.end();
                    open.push((Element::from_tag(&tag, indent, &mut interner), end));
                }
                Item::End(at) => {
                    let Some((mut element, cursor)) = open.pop() else {
                        break;
                    };
                    if at.start > cursor {
                        element.children.push(between(text, cursor..at.start));
                    }
                    if let Some(origin) = &mut element.origin {
                        origin.whole.end = at.end.max(origin.start_tag.end);
                    }
                    match open.last_mut() {
                        Some((parent, parent_cursor)) => {
                            *parent_cursor = at.end.max(cursor);
                            parent.children.push(Child::Element(Box::new(element)));
                        }
                        None => root = Some(element),
                    }
                }
                Item::Eof => break,
            }
        }
        let Some(root) = root else {
            return Err(LoadError {
                offset: 0,
                message: "the file has no root element".to_owned(),
            });
        };
        let whole = root.origin.as_ref().map_or(0..0, |o| o.whole.clone());
        let style = Style {
            unit: detect_indent(&root).unwrap_or_else(|| "    ".to_owned()),
            newline: if text.contains("\r\n") || !text.contains('\n') {
                "\r\n"
            } else {
                "\n"
            },
        };
        Ok(Document {
            before_root: 0..whole.start,
            after_root: whole.end..source.len(),
            source: source.clone(),
            root,
            locations: LocationIndex::default(),
            style,
        })
    }

    /// A new, empty `<configuration>` file (a web.config the simulation creates).
    pub fn new_configuration(style: Style) -> Document {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n";
        Document {
            source: Arc::from(text),
            before_root: 0..text.len(),
            after_root: text.len()..text.len(),
            root: Element::new("configuration", &[]),
            locations: LocationIndex::default(),
            style,
        }
    }

    /// Writes the file: byte for byte the loaded text where nothing changed.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.source.len() + 256);
        out.push_str(&self.source[self.before_root.clone()]);
        self.write_element(&self.root, &mut out);
        out.push_str(&self.source[self.after_root.clone()]);
        out
    }

    fn write_element(&self, element: &Element, out: &mut String) {
        if let (false, Some(origin)) = (element.changed, &element.origin) {
            out.push_str(&self.source[origin.whole.clone()]);
            return;
        }
        let has_children = !element.children.is_empty();
        match &element.origin {
            Some(origin) if !element.attributes_changed => {
                let tag = &self.source[origin.start_tag.clone()];
                if origin.self_closing && has_children {
                    out.push_str(tag.trim_end_matches("/>").trim_end());
                    out.push('>');
                } else if !origin.self_closing && !has_children {
                    out.push_str(tag.trim_end_matches('>').trim_end());
                    out.push_str(" />");
                } else {
                    out.push_str(tag);
                }
            }
            _ => {
                out.push('<');
                out.push_str(&element.name);
                for attribute in &element.attributes {
                    out.push(' ');
                    match attribute.raw {
                        Some((start, end)) => {
                            out.push_str(&self.source[start as usize..end as usize])
                        }
                        None => {
                            out.push_str(&attribute.name);
                            out.push_str("=\"");
                            out.push_str(&escape_attribute(&attribute.value));
                            out.push('"');
                        }
                    }
                }
                out.push_str(if has_children { ">" } else { " />" });
            }
        }
        if !has_children {
            return;
        }
        for child in &element.children {
            match child {
                Child::Element(e) => self.write_element(e, out),
                Child::Raw(range) | Child::Blank(range) => {
                    out.push_str(&self.source[range.clone()])
                }
                Child::Text(text) => out.push_str(text),
            }
        }
        out.push_str("</");
        out.push_str(&element.name);
        out.push('>');
    }

    /// The root element.
    pub fn root(&self) -> &Element {
        &self.root
    }

    /// The indexes (among the root's element children, in order) of the
    /// `<location>` elements whose path is `path`: compared as
    /// [`location_key`] does, so without case and surrounding `/`, and `.`
    /// is the empty (server) path.
    pub fn locations(&self, path: &str) -> Vec<usize> {
        let mut index = self
            .locations
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let locations = index.get_or_insert_with(|| Locations::build(&self.root));
        locations.refresh(&self.root);
        locations
            .by_key
            .get(&location_key(path))
            .cloned()
            .unwrap_or_default()
    }

    /// Where the root element starts in the loaded text (0 for a new file).
    pub fn root_offset(&self) -> usize {
        self.root.origin.as_ref().map_or(0, |o| o.whole.start)
    }

    /// The element at `path` (child indexes among element children).
    pub fn element(&self, path: &[usize]) -> &Element {
        let mut e = &self.root;
        for &i in path {
            e = e.element_child(i);
        }
        e
    }

    /// The element at `path`, if the path leads to one.
    pub fn get(&self, path: &[usize]) -> Option<&Element> {
        let mut e = &self.root;
        for &i in path {
            e = e.elements().nth(i)?;
        }
        Some(e)
    }

    /// The element at `path`, marked (with its ancestors) as changed.
    pub fn element_mut(&mut self, path: &[usize]) -> &mut Element {
        // The root's children may change, or one of them (its path).
        match path {
            [] => self.locations.forget(),
            [i] => self.locations.touched(*i),
            _ => {}
        }
        self.element_mut_indexed(path)
    }

    /// [`Document::element_mut`] for edits that keep the location index
    /// up to date themselves.
    fn element_mut_indexed(&mut self, path: &[usize]) -> &mut Element {
        let mut e = &mut self.root;
        e.changed = true;
        for &i in path {
            e = e.element_child_mut(i);
            e.changed = true;
        }
        e
    }

    /// Adds `child` under the element at `parent`: after the last element of
    /// the same name when there is one (collection entries stay together),
    /// else first (`first`) or last. Returns the new child's index.
    pub fn insert(&mut self, parent: &[usize], mut child: Element, first: bool) -> usize {
        let style = self.style.clone();
        if let [i] = parent {
            self.locations.touched(*i);
        }
        let parent_element = self.element_mut_indexed(parent);
        let index = parent_element.insert(&mut child, &style, first);
        if parent.is_empty() {
            self.locations.inserted(index);
        }
        index
    }

    /// Puts `element` back at `path` (undoing edits below it: a clone taken
    /// before them keeps their original text).
    pub fn restore(&mut self, path: &[usize], element: Element) {
        *self.element_mut(path) = element;
    }

    /// Removes the element child `index` of `parent` with the line it stood on.
    /// Elements the simulation made that are left empty (no attributes, no
    /// children; a `<location>` without children) go too, upwards.
    pub fn remove(&mut self, parent: &[usize], index: usize) -> Element {
        let removed = self.remove_child(parent, index);
        let mut path = parent.to_vec();
        while let Some(last) = path.pop() {
            let e = self.element(&path).element_child(last);
            // A <location> says nothing without its sections.
            let empty = e.element_count() == 0 && (e.attributes.is_empty() || e.name == "location");
            if e.origin.is_none() && empty {
                self.remove_child(&path, last);
            } else {
                break;
            }
        }
        removed
    }

    /// Removes one element child, keeping the location index up to date.
    fn remove_child(&mut self, parent: &[usize], index: usize) -> Element {
        if let [i] = parent {
            self.locations.touched(*i);
        }
        let removed = self.element_mut_indexed(parent).remove_element(index);
        if parent.is_empty() {
            self.locations.removed(index);
        }
        removed
    }
}

/// How `<location path>` values compare: without surrounding `/`, `.` as
/// the server level, and without case (IIS configuration paths are
/// case-insensitive).
pub fn location_key(path: &str) -> String {
    let path = path.trim_matches('/');
    let path = if path == "." { "" } else { path };
    path.to_lowercase()
}

impl Element {
    /// A new element made by the simulation.
    pub fn new(name: &str, attributes: &[(&str, &str)]) -> Element {
        Element {
            name: name.to_owned(),
            attributes: attributes
                .iter()
                .map(|(n, v)| Attribute {
                    name: Arc::from(*n),
                    value: Box::from(*v),
                    raw: None,
                })
                .collect(),
            children: Vec::new(),
            origin: None,
            changed: true,
            attributes_changed: true,
            indent: Arc::from(""),
        }
    }

    /// An element as its start tag reads; its children and end follow.
    fn from_tag(tag: &Tag, indent: Arc<str>, interner: &mut Interner) -> Element {
        let attributes = tag
            .attributes()
            .map(|a| Attribute {
                name: interner.get(a.name),
                value: Box::from(a.value),
                // `name="value"`: through the closing quote.
                raw: u32::try_from(a.name_range().start)
                    .ok()
                    .zip(u32::try_from(a.value_range().end + 1).ok()),
            })
            .collect();
        Element {
            name: tag.qualified_name().to_owned(),
            attributes,
            children: Vec::new(),
            origin: Some(Origin {
                whole: tag.start()..tag.end(),
                start_tag: tag.start()..tag.end(),
                self_closing: tag.is_self_closing(),
            }),
            changed: false,
            attributes_changed: false,
            indent,
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| *a.name == *name)
            .map(|a| &*a.value)
    }

    /// Attribute names and values, in file order.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attributes.iter().map(|a| (&*a.name, &*a.value))
    }

    /// Sets an attribute (added last when new). Returns the old value.
    /// Call through [`Document::element_mut`] so the change is seen.
    pub fn set_attribute(&mut self, name: &str, value: &str) -> Option<String> {
        if let Some(a) = self.attributes.iter_mut().find(|a| *a.name == *name) {
            if *a.value == *value {
                return Some(a.value.to_string());
            }
            let old = std::mem::replace(&mut a.value, Box::from(value)).into_string();
            a.raw = None;
            self.attributes_changed = true;
            return Some(old);
        }
        self.attributes.push(Attribute {
            name: Arc::from(name),
            value: Box::from(value),
            raw: None,
        });
        self.attributes_changed = true;
        None
    }

    /// Whether the element existed in the loaded file.
    pub fn was_loaded(&self) -> bool {
        self.origin.is_some()
    }

    /// The element children, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Child::Element(e) => Some(&**e),
            _ => None,
        })
    }

    pub fn element_count(&self) -> usize {
        self.elements().count()
    }

    /// Index (among element children) of the first child named `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.elements().position(|e| e.name == name)
    }

    /// Index of the first child named `name` whose attributes match all of `keys`.
    pub fn find_with(&self, name: &str, matches: impl Fn(&Element) -> bool) -> Option<usize> {
        self.elements().position(|e| e.name == name && matches(e))
    }

    pub fn element_child(&self, index: usize) -> &Element {
        self.elements().nth(index).expect("element index in range")
    }

    fn element_child_mut(&mut self, index: usize) -> &mut Element {
        self.children
            .iter_mut()
            .filter_map(|c| match c {
                Child::Element(e) => Some(e),
                _ => None,
            })
            .nth(index)
            .expect("element index in range")
    }

    /// Adds a child element with its own line (see [`Document::insert`]).
    /// `child` may have children of its own; they are indented below it.
    fn insert(&mut self, child: &mut Element, style: &Style, first: bool) -> usize {
        let (unit, nl) = (style.unit.as_str(), style.newline);
        self.changed = true;
        let sibling_indent = self
            .elements()
            .next()
            .map(|e| e.indent.to_string())
            .unwrap_or_else(|| format!("{}{unit}", self.indent));
        reindent(child, &sibling_indent, style);
        let same_name_last = self
            .children
            .iter()
            .rposition(|c| matches!(c, Child::Element(e) if e.name == child.name));
        let first_element = self
            .children
            .iter()
            .position(|c| matches!(c, Child::Element(_)));
        let last_element = self
            .children
            .iter()
            .rposition(|c| matches!(c, Child::Element(_)));
        let newline = Child::Text(format!("{nl}{sibling_indent}"));
        let element = Child::Element(Box::new(std::mem::replace(child, Element::new("", &[]))));
        let (at, items) = match (same_name_last, first_element, first) {
            // After the last sibling of the same name: newline, element.
            (Some(i), _, _) => (i + 1, vec![newline, element]),
            // First among existing elements: element, newline before the old first.
            (None, Some(i), true) => (i, vec![element, newline]),
            // Last: after the last element.
            (None, Some(_), false) => (last_element.map_or(0, |l| l + 1), vec![newline, element]),
            // The first element of all: surrounded by line breaks.
            (None, None, _) => {
                let closing = Child::Text(format!("{nl}{}", self.indent));
                self.children.retain(|c| !is_blank(c));
                (0, vec![newline, element, closing])
            }
        };
        let inserted_at = at + usize::from(matches!(items[0], Child::Text(_)));
        self.children.splice(at..at, items);
        self.children[..inserted_at]
            .iter()
            .filter(|c| matches!(c, Child::Element(_)))
            .count()
    }

    fn remove_element(&mut self, index: usize) -> Element {
        self.changed = true;
        let at = self
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c, Child::Element(_)))
            .nth(index)
            .map(|(i, _)| i)
            .expect("element index in range");
        let Child::Element(removed) = self.children.remove(at) else {
            unreachable!("position of an element child")
        };
        let removed = *removed;
        // The line break and indentation before it go with it.
        if at > 0 && self.is_blank_at(at - 1) {
            self.children.remove(at - 1);
        } else if at < self.children.len() && self.is_blank_at(at) && self.element_count() > 0 {
            self.children.remove(at);
        }
        if self.element_count() == 0 && self.children.iter().all(is_blank) {
            self.children.clear();
        }
        removed
    }

    fn is_blank_at(&self, i: usize) -> bool {
        is_blank(&self.children[i])
    }
}

fn is_blank(c: &Child) -> bool {
    match c {
        Child::Blank(_) => true,
        Child::Text(t) => t.trim().is_empty(),
        _ => false,
    }
}

/// Gives a new element (and its new descendants) the indentation of its line.
fn reindent(element: &mut Element, indent: &str, style: &Style) {
    element.indent = Arc::from(indent);
    if element.origin.is_some() {
        return;
    }
    let nl = style.newline;
    let inner = format!("{indent}{}", style.unit);
    let mut children = Vec::new();
    for child in std::mem::take(&mut element.children) {
        if let Child::Element(mut e) = child {
            reindent(&mut e, &inner, style);
            children.push(Child::Text(format!("{nl}{inner}")));
            children.push(Child::Element(e));
        }
    }
    if !children.is_empty() {
        children.push(Child::Text(format!("{nl}{indent}")));
    }
    element.children = children;
}

impl Element {
    /// Adds a child to a new element being built (before it is inserted).
    pub fn with_child(mut self, child: Element) -> Element {
        self.children.push(Child::Element(Box::new(child)));
        self
    }
}

/// Whitespace between elements is kept as text (removable with its element);
/// anything else (comments, text) as a range of the source.
fn between(source: &str, range: Range<usize>) -> Child {
    if source[range.clone()].trim().is_empty() {
        Child::Blank(range)
    } else {
        Child::Raw(range)
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

fn line_indent(source: &str, at: usize) -> &str {
    let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = &source[line_start..at];
    if before.chars().all(|c| c == ' ' || c == '\t') {
        before
    } else {
        ""
    }
}

fn detect_indent(root: &Element) -> Option<String> {
    root.elements()
        .map(|e| e.indent.to_string())
        .find(|i| !i.is_empty())
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
mod tests {
    use super::*;

    /// `<location>` paths are found without case, surrounding `/` or `.`,
    /// and the index follows changes at the top level.
    #[test]
    fn locations_are_found_by_path() {
        let mut doc = Document::parse(concat!(
            r#"<configuration><location path="Default Web Site/OMERO"/><location path="."/>"#,
            r#"<system.webServer/><location path="/Sité/"/><location path="default web site/omero"/>"#,
            "</configuration>"
        ))
        .unwrap();
        assert_eq!(doc.locations("default web site/omero"), &[0, 4]);
        assert_eq!(doc.locations(""), &[1]);
        assert_eq!(doc.locations("SITÉ"), &[3]);
        assert!(doc.locations("Default Web Site").is_empty());
        let added = doc.insert(
            &[],
            Element::new("location", &[("path", "Default Web Site")]),
            false,
        );
        assert_eq!(doc.locations("default web site"), &[added]);
        doc.element_mut(&[1]).set_attribute("path", "Other");
        assert!(doc.locations("").is_empty());
        assert_eq!(doc.locations("other"), &[1]);
        doc.remove(&[], 0);
        assert_eq!(doc.locations("default web site/omero"), &[3]);
    }

    /// What [`Document::locations`] must answer, by looking at every child.
    fn scan(doc: &Document, path: &str) -> Vec<usize> {
        let key = location_key(path);
        doc.root()
            .elements()
            .enumerate()
            .filter(|(_, e)| {
                e.name == "location" && location_key(e.attribute("path").unwrap_or("")) == key
            })
            .map(|(i, _)| i)
            .collect()
    }

    #[derive(Debug, Clone)]
    enum Edit {
        AddLocation(u8, bool),
        AddOther(bool),
        AddSection(usize),
        Remove(usize),
        RemoveInside(usize),
        Rename(usize, u8),
    }

    const PATHS: [&str; 4] = ["Site", "site/", "Site/app", "."];

    fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
        use proptest::prelude::*;
        prop_oneof![
            (0u8..4, any::<bool>()).prop_map(|(p, f)| Edit::AddLocation(p, f)),
            any::<bool>().prop_map(Edit::AddOther),
            (0usize..16).prop_map(Edit::AddSection),
            (0usize..16).prop_map(Edit::Remove),
            (0usize..16).prop_map(Edit::RemoveInside),
            (0usize..16, 0u8..4).prop_map(|(i, p)| Edit::Rename(i, p)),
        ]
    }

    proptest::proptest! {
        /// Whatever the simulation adds, removes or renames at the top level,
        /// the index answers what a scan of the children answers.
        #[test]
        fn the_location_index_follows_every_edit(edits in proptest::collection::vec(edit(), 1..40)) {
            let mut doc = Document::parse(concat!(
                "<configuration>\n  <system.webServer />\n",
                "  <location path=\"Site\"><system.webServer /></location>\n",
                "  <location path=\"site/app\" />\n</configuration>\n"
            ))
            .unwrap();
            for edit in edits {
                let count = doc.root().element_count();
                match edit {
                    Edit::AddLocation(p, first) => {
                        let location = Element::new("location", &[("path", PATHS[usize::from(p)])]);
                        doc.insert(&[], location, first);
                    }
                    Edit::AddOther(first) => {
                        doc.insert(&[], Element::new("system.webServer", &[]), first);
                    }
                    Edit::AddSection(i) if i < count => {
                        doc.insert(&[i], Element::new("system.webServer", &[]), false);
                    }
                    Edit::Remove(i) if i < count => {
                        doc.remove(&[], i);
                    }
                    Edit::RemoveInside(i) if i < count && doc.element(&[i]).element_count() > 0 => {
                        // An empty <location> the simulation made goes with it.
                        doc.remove(&[i], 0);
                    }
                    Edit::Rename(i, p) if i < count => {
                        doc.element_mut(&[i]).set_attribute("path", PATHS[usize::from(p)]);
                    }
                    _ => {}
                }
                for path in PATHS.iter().chain(&["", "SITE/APP", "other"]) {
                    proptest::prop_assert_eq!(doc.locations(path), scan(&doc, path), "{}", path);
                }
            }
        }
    }
}
