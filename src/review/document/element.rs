//! [`Element`]: how the simulation reads an element of a [`Document`], and
//! [`ElementMut`], how it sets one's attributes.

use super::{is_element, Attribute, ChildId, Document, Text, ATTRIBUTES_CHANGED, LOADED};

/// An element of a document, as a view: its name, attributes and children.
#[derive(Clone, Copy)]
pub struct Element<'d> {
    doc: &'d Document,
    id: ChildId,
}

impl std::fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Element")
            .field("name", &self.name())
            .field("attributes", &self.attributes().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<'d> Element<'d> {
    pub(super) fn new(doc: &'d Document, id: ChildId) -> Element<'d> {
        Element { doc, id }
    }

    pub(super) fn id(self) -> ChildId {
        self.id
    }

    /// The element's name as written (with any prefix).
    pub fn name(self) -> &'d str {
        self.doc.strings.get(self.doc.node(self.id).name)
    }

    /// The whitespace before the element on its line.
    pub(super) fn indent(self) -> &'d str {
        self.doc.strings.get(self.doc.node(self.id).indent)
    }

    fn attribute_list(self) -> &'d [Attribute] {
        &self.doc.attributes[self.doc.node(self.id).attributes.range()]
    }

    pub fn attribute(self, name: &str) -> Option<&'d str> {
        let doc = self.doc;
        self.attribute_list()
            .iter()
            .find(|a| doc.strings.get(a.name) == name)
            .map(|a| doc.text(a.value))
    }

    /// Attribute names and values, in file order.
    pub fn attributes(self) -> impl Iterator<Item = (&'d str, &'d str)> {
        let doc = self.doc;
        self.attribute_list()
            .iter()
            .map(move |a| (doc.strings.get(a.name), doc.text(a.value)))
    }

    /// Whether the element existed in the loaded file.
    pub fn was_loaded(self) -> bool {
        self.doc.node(self.id).flags & LOADED != 0
    }

    /// The element children, in order.
    pub fn elements(self) -> impl Iterator<Item = Element<'d>> {
        let doc = self.doc;
        doc.child_ids(self.id)
            .iter()
            .filter(move |&&c| is_element(c))
            .map(move |&c| Element::new(doc, c))
    }

    pub fn element_count(self) -> usize {
        self.elements().count()
    }

    /// Index (among element children) of the first child named `name`.
    pub fn find(self, name: &str) -> Option<usize> {
        self.elements().position(|e| e.name() == name)
    }

    /// Index of the first child named `name` for which `matches` holds.
    pub fn find_with(self, name: &str, matches: impl Fn(Element<'d>) -> bool) -> Option<usize> {
        self.elements().position(|e| e.name() == name && matches(e))
    }

    pub fn element_child(self, index: usize) -> Element<'d> {
        self.elements().nth(index).expect("element index in range")
    }
}

/// An element the simulation edits (see [`Document::element_mut`]).
pub struct ElementMut<'d> {
    doc: &'d mut Document,
    id: ChildId,
}

impl<'d> ElementMut<'d> {
    pub(super) fn new(doc: &'d mut Document, id: ChildId) -> ElementMut<'d> {
        ElementMut { doc, id }
    }

    /// Sets an attribute (added last when new). Returns the old value.
    pub fn set_attribute(&mut self, name: &str, value: &str) -> Option<String> {
        let doc = &mut *self.doc;
        let span = doc.node(self.id).attributes;
        let found = doc.attributes[span.range()]
            .iter()
            .position(|a| doc.strings.get(a.name) == name);
        if let Some(i) = found {
            let at = span.start as usize + i;
            let old = doc.text(doc.attributes[at].value).to_owned();
            if old == value {
                return Some(old);
            }
            let value = Text::owned(doc.strings.add(value));
            let attribute = &mut doc.attributes[at];
            attribute.value = value;
            attribute.raw = None;
            doc.node_mut(self.id).flags |= ATTRIBUTES_CHANGED;
            return Some(old);
        }
        // The element's attributes stay together: moved to the end first
        // (unless they are there already).
        let end = doc.attributes.len() as u32;
        if span.start + span.len != end {
            doc.attributes.extend_from_within(span.range());
            doc.node_mut(self.id).attributes.start = end;
        }
        let attribute = Attribute {
            name: doc.strings.shared(name),
            value: Text::owned(doc.strings.add(value)),
            raw: None,
        };
        doc.attributes.push(attribute);
        let node = doc.node_mut(self.id);
        node.attributes.len += 1;
        node.flags |= ATTRIBUTES_CHANGED;
        None
    }
}
