//! [`Element`]: how the simulation reads an element of a [`Document`], and
//! [`ElementMut`], how it sets one's attributes.

use super::{
    is_element, Attribute, ChildId, Document, Span, Text, ATTRIBUTES_CHANGED, EDITED_ATTRIBUTES,
    LOADED,
};

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
        self.doc.attribute_list(self.id)
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
        let found = doc
            .attribute_list(self.id)
            .iter()
            .position(|a| doc.strings.get(a.name) == name);
        let old = found.map(|i| doc.text(doc.attribute_list(self.id)[i].value).to_owned());
        if old.as_deref() == Some(value) {
            return old;
        }
        let attribute = Attribute {
            name: doc.strings.shared(name),
            value: Text::owned(doc.strings.add(value)),
            raw: None,
        };
        let list = doc.edited_attributes(self.id);
        match found {
            Some(i) => list[i] = attribute,
            None => list.push(attribute),
        }
        doc.node_mut(self.id).flags |= ATTRIBUTES_CHANGED;
        old
    }
}

impl Document {
    /// The attributes of `id` as a list of its own, to be edited (an
    /// element given new attributes by turns with others does not copy its
    /// list each time).
    fn edited_attributes(&mut self, id: ChildId) -> &mut Vec<Attribute> {
        let node = *self.node(id);
        if node.flags & EDITED_ATTRIBUTES == 0 {
            let list = self.attributes[node.attributes.range()].to_vec();
            self.edited_attributes.push(list);
            let at = (self.edited_attributes.len() - 1) as u32;
            let node = self.node_mut(id);
            node.attributes = Span { start: at, len: 0 };
            node.flags |= EDITED_ATTRIBUTES;
        }
        let at = self.node(id).attributes.start as usize;
        &mut self.edited_attributes[at]
    }
}
