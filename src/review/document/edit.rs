//! How the simulation changes a [`Document`]: elements added
//! ([`NewElement`]), removed, copied out and put back ([`Snapshot`]), and
//! attributes set ([`Document::element_mut`]). Every edit marks the elements
//! above it as changed, so that only they are written anew.

use std::sync::Arc;

use super::{
    is_element, Attribute, ChildId, Document, Element, ElementMut, Node, Span, Text,
    ATTRIBUTES_CHANGED, CHANGED, EDITED_ATTRIBUTES, EDITED_CHILDREN, LOADED,
};

/// An element the simulation makes, with the children it is made with.
#[derive(Debug, Clone)]
pub struct NewElement {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<NewElement>,
}

impl NewElement {
    pub fn new(name: &str, attributes: &[(&str, &str)]) -> NewElement {
        NewElement {
            name: name.to_owned(),
            attributes: attributes
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            children: Vec::new(),
        }
    }

    /// Adds a child (before the element is inserted).
    pub fn with_child(mut self, child: NewElement) -> NewElement {
        self.children.push(child);
        self
    }
}

/// An element and everything below it as they were when the snapshot was
/// taken, to be put back into the same document: by [`Document::restore`]
/// after edits that are to be undone, or by [`Document::insert_snapshot`]
/// after the element was removed, to move it. The elements are put back in
/// place (no copy is left behind), so what was loaded keeps its text.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The text of the document it was taken from.
    source: Arc<str>,
    top: ChildId,
    /// Every element below `top` and `top` itself: its node, its
    /// attributes and, when it had a list of its own, its children.
    elements: Vec<SnapshotElement>,
}

#[derive(Debug, Clone)]
struct SnapshotElement {
    id: ChildId,
    node: Node,
    attributes: Vec<Attribute>,
    edited_children: Option<Vec<ChildId>>,
}

impl Document {
    /// The element at `path`, to set its attributes; it and its ancestors
    /// are marked as changed.
    pub fn element_mut(&mut self, path: &[usize]) -> ElementMut<'_> {
        // The root's children may change, or one of them (its path).
        match path {
            [] => self.locations.forget(),
            [i] => self.locations.touched(*i),
            _ => {}
        }
        let id = self.mark_changed(path);
        ElementMut::new(self, id)
    }

    /// Marks the element at `path` and its ancestors as changed; its node.
    fn mark_changed(&mut self, path: &[usize]) -> ChildId {
        let mut id = self.root;
        self.node_mut(id).flags |= CHANGED;
        for &i in path {
            id = Element::new(self, id).element_child(i).id();
            self.node_mut(id).flags |= CHANGED;
        }
        id
    }

    /// Adds `child` under the element at `parent`: after the last element of
    /// the same name when there is one (collection entries stay together),
    /// else first (`first`) or last. Returns the new child's index.
    pub fn insert(&mut self, parent: &[usize], child: NewElement, first: bool) -> usize {
        let id = self.add_new(&child);
        self.insert_node(parent, id, first)
    }

    /// [`Document::insert`] of an element that was removed since its
    /// snapshot was taken: it moves, with the text it was read from.
    pub fn insert_snapshot(&mut self, parent: &[usize], child: Snapshot, first: bool) -> usize {
        let id = self.put_back(child);
        self.insert_node(parent, id, first)
    }

    /// The element at `path` and everything below it, as they are now
    /// (however deep: no recursion).
    pub fn snapshot(&self, path: &[usize]) -> Snapshot {
        let top = self.node_at(path);
        let mut elements = Vec::new();
        let mut pending = vec![top];
        while let Some(id) = pending.pop() {
            let node = *self.node(id);
            let children = self.child_ids(id);
            pending.extend(children.iter().copied().filter(|&c| is_element(c)));
            elements.push(SnapshotElement {
                id,
                node,
                attributes: self.attribute_list(id).to_vec(),
                edited_children: (node.flags & EDITED_CHILDREN != 0).then(|| children.to_vec()),
            });
        }
        Snapshot {
            source: Arc::clone(&self.source),
            top,
            elements,
        }
    }

    /// Puts a snapshot back at `path` (undoing the edits made below it since).
    pub fn restore(&mut self, path: &[usize], snapshot: Snapshot) {
        match path {
            [] => self.locations.forget(),
            [i] => self.locations.touched(*i),
            _ => {}
        }
        let id = self.put_back(snapshot);
        let Some((&index, parent)) = path.split_last() else {
            self.root = id;
            return;
        };
        let parent = self.mark_changed(parent);
        let at = self.list_position(parent, index);
        self.edited_children(parent)[at] = id;
    }

    /// Writes a snapshot's elements back where they were; its top element.
    /// Lists and values are never changed in place but for an element's own
    /// lists, so the ranges a snapshot holds still hold what they held.
    fn put_back(&mut self, snapshot: Snapshot) -> ChildId {
        debug_assert!(Arc::ptr_eq(&snapshot.source, &self.source));
        for element in snapshot.elements {
            let node = element.node;
            *self.node_mut(element.id) = node;
            let at = node.attributes.start as usize;
            if node.flags & EDITED_ATTRIBUTES != 0 {
                self.edited_attributes[at] = element.attributes;
            } else {
                self.attributes[node.attributes.range()].copy_from_slice(&element.attributes);
            }
            if let Some(list) = element.edited_children {
                self.edited_children[node.children.start as usize] = list;
            }
        }
        snapshot.top
    }

    /// Removes the element child `index` of `parent` with the line it stood on.
    /// Elements the simulation made that are left empty (no attributes, no
    /// children; a `<location>` without children) go too, upwards.
    pub fn remove(&mut self, parent: &[usize], index: usize) {
        self.remove_child(parent, index);
        let mut path = parent.to_vec();
        while let Some(last) = path.pop() {
            let e = self.element(&path).element_child(last);
            // A <location> says nothing without its sections.
            let empty = e.element_count() == 0
                && (e.attributes().next().is_none() || e.name() == "location");
            if e.was_loaded() || !empty {
                break;
            }
            self.remove_child(&path, last);
        }
    }

    /// Removes one element child, keeping the location index up to date.
    fn remove_child(&mut self, parent: &[usize], index: usize) {
        if let [i] = parent {
            self.locations.touched(*i);
        }
        let parent_id = self.mark_changed(parent);
        let at = self.list_position(parent_id, index);
        let mut list = self.child_ids(parent_id).to_vec();
        list.remove(at);
        let blank = |id: ChildId| is_blank(self, id);
        let element_count = |list: &[ChildId]| list.iter().filter(|&&c| is_element(c)).count();
        // The line break and indentation before it go with it.
        if at > 0 && blank(list[at - 1]) {
            list.remove(at - 1);
        } else if at < list.len() && blank(list[at]) && element_count(&list) > 0 {
            list.remove(at);
        }
        if element_count(&list) == 0 && list.iter().all(|&c| blank(c)) {
            list.clear();
        }
        *self.edited_children(parent_id) = list;
        if parent.is_empty() {
            self.locations.removed(index);
        }
    }

    /// Where the element child `index` of `parent` is in its list of children.
    fn list_position(&self, parent: ChildId, index: usize) -> usize {
        self.child_ids(parent)
            .iter()
            .enumerate()
            .filter(|(_, &c)| is_element(c))
            .nth(index)
            .map(|(i, _)| i)
            .expect("element index in range")
    }

    /// The children of `id` as a list of its own, to be edited.
    fn edited_children(&mut self, id: ChildId) -> &mut Vec<ChildId> {
        let node = *self.node(id);
        if node.flags & EDITED_CHILDREN == 0 {
            let list = self.children[node.children.range()].to_vec();
            self.edited_children.push(list);
            let at = (self.edited_children.len() - 1) as u32;
            let node = self.node_mut(id);
            node.children.start = at;
            node.flags |= EDITED_CHILDREN;
        }
        let at = self.node(id).children.start as usize;
        &mut self.edited_children[at]
    }

    /// Puts the element `child` (not yet in the tree) under `parent`; see
    /// [`Document::insert`].
    fn insert_node(&mut self, parent: &[usize], child: ChildId, first: bool) -> usize {
        if let [i] = parent {
            self.locations.touched(*i);
        }
        let parent_id = self.mark_changed(parent);
        let nl = self.style.newline;
        let unit = self.style.unit.clone();
        let parent_view = self.element(parent);
        let parent_indent = parent_view.indent().to_owned();
        let sibling_indent = parent_view
            .elements()
            .next()
            .map(|e| e.indent().to_owned())
            .unwrap_or_else(|| format!("{parent_indent}{unit}"));
        self.reindent(child, &sibling_indent);
        let name = self.node(child).name;
        let list = self.child_ids(parent_id);
        let same_name_last = list
            .iter()
            .rposition(|&c| is_element(c) && self.node(c).name == name);
        let first_element = list.iter().position(|&c| is_element(c));
        let last_element = list.iter().rposition(|&c| is_element(c));
        let newline = self.add_text(&format!("{nl}{sibling_indent}"));
        let (at, items) = match (same_name_last, first_element, first) {
            // After the last sibling of the same name: newline, element.
            (Some(i), _, _) => (i + 1, vec![newline, child]),
            // First among existing elements: element, newline before the old first.
            (None, Some(i), true) => (i, vec![child, newline]),
            // Last: after the last element.
            (None, Some(_), false) => (last_element.map_or(0, |l| l + 1), vec![newline, child]),
            // The first element of all: surrounded by line breaks.
            (None, None, _) => {
                let closing = self.add_text(&format!("{nl}{parent_indent}"));
                let kept: Vec<ChildId> = self
                    .child_ids(parent_id)
                    .iter()
                    .copied()
                    .filter(|&c| !is_blank(self, c))
                    .collect();
                *self.edited_children(parent_id) = kept;
                (0, vec![newline, child, closing])
            }
        };
        let inserted_at = at + usize::from(items[0] == newline);
        let list = self.edited_children(parent_id);
        list.splice(at..at, items);
        let list = self.child_ids(parent_id);
        let index = list[..inserted_at]
            .iter()
            .filter(|c| is_element(**c))
            .count();
        if parent.is_empty() {
            self.locations.inserted(index);
        }
        index
    }

    /// Gives an element (and its descendants the simulation made) the
    /// indentation of its line.
    fn reindent(&mut self, id: ChildId, indent: &str) {
        self.node_mut(id).indent = self.strings.shared(indent);
        if self.node(id).flags & LOADED != 0 {
            return;
        }
        let nl = self.style.newline;
        let inner = format!("{indent}{}", self.style.unit);
        let elements: Vec<ChildId> = self
            .child_ids(id)
            .iter()
            .copied()
            .filter(|&c| is_element(c))
            .collect();
        let mut list = Vec::new();
        for e in elements {
            list.push(self.add_text(&format!("{nl}{inner}")));
            self.reindent(e, &inner);
            list.push(e);
        }
        if list.is_empty() && self.child_ids(id).is_empty() {
            return;
        }
        if !list.is_empty() {
            list.push(self.add_text(&format!("{nl}{indent}")));
        }
        *self.edited_children(id) = list;
    }

    /// Whitespace the simulation writes.
    fn add_text(&mut self, text: &str) -> ChildId {
        let text = Text::owned(self.strings.shared(text));
        self.push_text(text)
    }

    /// Nodes for a new element and its children (not yet in the tree; its
    /// indentation is given where it is inserted).
    pub(super) fn add_new(&mut self, element: &NewElement) -> ChildId {
        let children: Vec<ChildId> = element.children.iter().map(|c| self.add_new(c)).collect();
        let start = self.attributes.len() as u32;
        for (name, value) in &element.attributes {
            let attribute = Attribute {
                name: self.strings.shared(name),
                value: Text::owned(self.strings.add(value)),
                raw: None,
            };
            self.attributes.push(attribute);
        }
        let node = Node {
            flags: CHANGED | ATTRIBUTES_CHANGED,
            name: self.strings.shared(&element.name),
            start: 0,
            tag_end: 0,
            end: 0,
            indent: self.strings.shared(""),
            attributes: Span {
                start,
                len: element.attributes.len() as u32,
            },
            children: self.add_children(children),
        };
        self.push_node(node)
    }

    /// A list of children, kept with the loaded ones.
    fn add_children(&mut self, children: Vec<ChildId>) -> Span {
        let span = Span {
            start: self.children.len() as u32,
            len: children.len() as u32,
        };
        self.children.extend(children);
        span
    }
}

/// Whitespace between elements (it goes with the element it stands before).
fn is_blank(doc: &Document, id: ChildId) -> bool {
    !is_element(id) && doc.child_text(id).trim().is_empty()
}
