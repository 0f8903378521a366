//! The document's own tests: the location index against a scan.
use super::*;
use crate::review::document::locations::location_key;

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
        NewElement::new("location", &[("path", "Default Web Site")]),
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
            e.name() == "location" && location_key(e.attribute("path").unwrap_or("")) == key
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
                    let location = NewElement::new("location", &[("path", PATHS[usize::from(p)])]);
                    doc.insert(&[], location, first);
                }
                Edit::AddOther(first) => {
                    doc.insert(&[], NewElement::new("system.webServer", &[]), first);
                }
                Edit::AddSection(i) if i < count => {
                    doc.insert(&[i], NewElement::new("system.webServer", &[]), false);
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

/// A configuration with what real files have between and inside elements:
/// a declaration, comments, blank lines, references in values, both
/// quotes, empty-element tags and an element written out in full.
const MIXED: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n",
    "<!-- server -->\r\n<configuration>\r\n",
    "    <system.webServer>\r\n",
    "        <!-- handlers come first -->\r\n",
    "        <handlers accessPolicy='Read, Script'>\r\n",
    "            <add name=\"a &amp; b\" path=\"*\" verb=\"GET,HEAD\" />\r\n\r\n",
    "            <add name=\"c\"   path=\"x&#x2F;y\"></add>\r\n",
    "        </handlers>\r\n",
    "    </system.webServer>\r\n",
    "    <location path=\"Site\">\r\n",
    "        <system.webServer><defaultDocument enabled=\"true\" /></system.webServer>\r\n",
    "    </location>\r\n",
    "</configuration>\r\n",
);

#[test]
fn values_are_read_decoded_and_written_as_they_were() {
    let mut doc = Document::parse(MIXED).unwrap();
    let add = doc.element(&[0, 0, 0]);
    assert_eq!(add.attribute("name"), Some("a & b"));
    assert_eq!(doc.element(&[0, 0, 1]).attribute("path"), Some("x/y"));
    assert_eq!(
        doc.element(&[0, 0]).attribute("accessPolicy"),
        Some("Read, Script")
    );
    assert_eq!(doc.to_text(), MIXED);
    // A new attribute: the start tag is written anew (an element without
    // children as an empty-element tag), the other attributes as read.
    doc.element_mut(&[0, 0, 1]).set_attribute("type", "T<1>");
    let text = doc.to_text();
    assert!(
        text.contains("<add name=\"c\" path=\"x&#x2F;y\" type=\"T&lt;1&gt;\" />\r\n"),
        "{text}"
    );
    assert_eq!(doc.element(&[0, 0, 1]).attribute("type"), Some("T<1>"));
}

#[test]
fn a_moved_section_keeps_its_text() {
    let mut doc = Document::parse(MIXED).unwrap();
    let handlers = doc.snapshot(&[0, 0]);
    doc.remove(&[0], 0);
    let location = doc.insert(
        &[],
        NewElement::new("location", &[("path", "Other")]),
        false,
    );
    let section = doc.insert(&[location], NewElement::new("system.webServer", &[]), false);
    doc.insert_snapshot(&[location, section], handlers, false);
    let text = doc.to_text();
    let handlers_text =
        &MIXED[MIXED.find("<handlers").unwrap()..MIXED.find("</handlers>").unwrap()];
    assert_eq!(text.matches(handlers_text).count(), 1, "{text}");
    assert!(text.find("<location path=\"Other\">").unwrap() < text.find(handlers_text).unwrap());
    assert_eq!(
        doc.element(&[location, 0, 0, 0]).attribute("name"),
        Some("a & b")
    );
}

#[derive(Debug, Clone)]
enum Inside {
    Add(usize, bool),
    Remove(usize),
    Set(usize, u8),
}

fn inside() -> impl proptest::strategy::Strategy<Value = Inside> {
    use proptest::prelude::*;
    prop_oneof![
        (0usize..6, any::<bool>()).prop_map(|(d, f)| Inside::Add(d, f)),
        (0usize..6).prop_map(Inside::Remove),
        (0usize..6, 0u8..3).prop_map(|(d, v)| Inside::Set(d, v)),
    ]
}

/// The path of the first element `depth` levels below `top` (or as deep as
/// the document goes).
fn descend(doc: &Document, top: usize, depth: usize) -> Vec<usize> {
    let mut path = vec![top];
    while path.len() <= depth && doc.element(&path).element_count() > 0 {
        path.push(0);
    }
    path
}

proptest::proptest! {
    /// What an appcmd command that fails must leave: whatever it edited
    /// below a top-level element, putting back the snapshot taken before
    /// gives back the file byte for byte.
    #[test]
    fn a_restored_snapshot_gives_back_the_text(
        top in 0usize..2,
        edits in proptest::collection::vec(inside(), 1..12),
    ) {
        let mut doc = Document::parse(MIXED).unwrap();
        let before = doc.snapshot(&[top]);
        for edit in edits {
            match edit {
                Inside::Add(depth, first) => {
                    let path = descend(&doc, top, depth);
                    let new = NewElement::new("add", &[("name", "n")])
                        .with_child(NewElement::new("clear", &[]));
                    doc.insert(&path, new, first);
                }
                Inside::Remove(depth) => {
                    let path = descend(&doc, top, depth);
                    if let Some((&last, parent)) = path.split_last() {
                        if !parent.is_empty() {
                            doc.remove(parent, last);
                        }
                    }
                }
                Inside::Set(depth, v) => {
                    let path = descend(&doc, top, depth);
                    doc.element_mut(&path).set_attribute(["name", "path", "x"][usize::from(v)], "&\"");
                }
            }
        }
        doc.restore(&[top], before);
        proptest::prop_assert_eq!(doc.to_text(), MIXED);
    }
}

#[test]
fn an_indentation_is_the_blanks_alone_on_the_line_before_an_element() {
    let text = "<a>\n  \t<b/>x <c/>\n<d/>  <e/>";
    let at = |name: &str| text.find(name).unwrap() - 1;
    assert_eq!(line_indent(text, 0), "");
    assert_eq!(line_indent(text, at("b/")), "  \t");
    assert_eq!(line_indent(text, at("c/")), "");
    assert_eq!(line_indent(text, at("d/")), "");
    assert_eq!(line_indent(text, at("e/")), "");
    // A one-line file: elements take no indentation from each other.
    let doc = Document::parse("<configuration><a><b/></a></configuration>").unwrap();
    assert_eq!(doc.element(&[0, 0]).indent(), "");
}

/// Attributes given by turns to two elements, and commands undone again
/// and again, leave no copies behind (the document does not grow with them).
#[test]
fn edits_by_turns_and_undone_commands_leave_nothing_behind() {
    let mut doc = Document::parse(MIXED).unwrap();
    for i in 0..1000 {
        doc.element_mut(&[0, 0])
            .set_attribute(&format!("a{i}"), "1");
        doc.element_mut(&[0, 0, 0])
            .set_attribute(&format!("b{i}"), "1");
    }
    assert_eq!(doc.edited_attributes.len(), 2);
    assert_eq!(doc.element(&[0, 0]).attributes().count(), 1001);
    let attributes = doc.attributes.len();
    let (nodes, texts) = (doc.nodes.len(), doc.texts.len());
    let text = doc.to_text();
    for _ in 0..100 {
        let before = doc.snapshot(&[0]);
        doc.remove(&[0, 0], 1);
        doc.element_mut(&[0, 0, 0]).set_attribute("name", "changed");
        doc.restore(&[0], before);
    }
    assert_eq!(doc.to_text(), text);
    assert_eq!(
        (doc.nodes.len(), doc.texts.len(), doc.attributes.len()),
        (nodes, texts, attributes)
    );
}
