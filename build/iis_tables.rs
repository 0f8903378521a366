//! Turns the built-in IIS tables (`schemas/iis/sections/*.toml`, format in
//! `schemas/iis/README.md`) into Rust statics at build time. Parsing the
//! 190 KB of TOML at start-up was two thirds of a small `check`'s
//! instructions (BENCHMARKS.md, issue 21). `src/iis/schema.rs` includes the
//! output and builds its `Schema` from it; a section described twice, a
//! `same_as` naming no section or a malformed declaration fails the build.
//! Attribute specs are checked where they are read, in `src/iis/schema.rs`
//! (its unit tests build the whole schema).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

const SECTIONS: &str = "schemas/iis/sections";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    section: BTreeMap<String, SectionSpec>,
    #[serde(default)]
    declared: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionSpec {
    definition: Option<String>,
    r#override: Option<String>,
    same_as: Option<String>,
    #[serde(flatten)]
    element: ElementSpec,
}

#[derive(Deserialize, Default)]
struct ElementSpec {
    #[serde(default)]
    attrs: BTreeMap<String, String>,
    #[serde(default)]
    elements: BTreeMap<String, ElementSpec>,
    collection: Option<Box<CollectionSpec>>,
    #[serde(default)]
    unchecked: Vec<String>,
}

#[derive(Deserialize)]
struct CollectionSpec {
    add: String,
    remove: Option<String>,
    clear: Option<String>,
    defaults: Option<String>,
    #[serde(default)]
    duplicates: bool,
    #[serde(default)]
    any_attributes: bool,
    #[serde(flatten)]
    item: ElementSpec,
}

/// The variants of `Definition` and `OverrideMode` in `src/iis/schema.rs`.
const DEFINITIONS: &[&str] = &[
    "Everywhere",
    "MachineOnly",
    "MachineToWebRoot",
    "MachineToApplication",
    "AppHostOnly",
];
const OVERRIDE_MODES: &[&str] = &["Allow", "Deny"];

/// Writes `iis_tables.rs` into `out`: `static SECTIONS: &[TableSection]`,
/// in section-name order.
pub fn generate(out: &Path) {
    println!("cargo:rerun-if-changed={SECTIONS}");
    let all = read_all();
    let mut source = String::from("static SECTIONS: &[TableSection] = &[\n");
    for (name, spec) in &all.section {
        let element = match &spec.same_as {
            Some(other) => match all.section.get(other) {
                Some(base) => &base.element,
                None => panic!("{SECTIONS}: {name}: same_as `{other}` is not a section"),
            },
            None => &spec.element,
        };
        let definition = declared_word(name, spec.definition.as_deref(), DEFINITIONS);
        let mode = declared_word(name, spec.r#override.as_deref(), OVERRIDE_MODES);
        write!(
            source,
            "TableSection {{ name: {name:?}, definition: Definition::{definition}, \
             override_default: OverrideMode::{mode}, element: Some(&"
        )
        .unwrap();
        write_element(&mut source, element);
        source.push_str(") },\n");
    }
    source.push_str("];\n\nstatic DECLARED: &[TableSection] = &[\n");
    for (name, declaration) in &all.declared {
        if all.section.contains_key(name) {
            panic!("{SECTIONS}: {name}: both described and declared only");
        }
        let mut words = declaration.split_whitespace();
        let (Some(definition), Some(mode), None) = (words.next(), words.next(), words.next())
        else {
            panic!(
                "{SECTIONS}: {name}: expected \"Definition OverrideMode\", found `{declaration}`"
            )
        };
        let definition = declared_word(name, Some(definition), DEFINITIONS);
        let mode = declared_word(name, Some(mode), OVERRIDE_MODES);
        writeln!(
            source,
            "TableSection {{ name: {name:?}, definition: Definition::{definition}, \
             override_default: OverrideMode::{mode}, element: None }},"
        )
        .unwrap();
    }
    source.push_str("];\n");
    std::fs::write(out.join("iis_tables.rs"), source).expect("OUT_DIR is writable");
}

/// Every table file, merged; a section may be in one file only.
fn read_all() -> FileSpec {
    let mut paths: Vec<_> = std::fs::read_dir(SECTIONS)
        .unwrap_or_else(|e| panic!("{SECTIONS}: {e}"))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{SECTIONS}: {e}")).path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut all = FileSpec::default();
    for path in paths {
        let shown = path.display();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let file: FileSpec = toml::from_str(&text).unwrap_or_else(|e| panic!("{shown}: {e}"));
        for (name, spec) in file.section {
            if all.section.insert(name.clone(), spec).is_some() {
                panic!("{shown}: section `{name}` is described twice");
            }
        }
        for (name, spec) in file.declared {
            if all.declared.insert(name.clone(), spec).is_some() {
                panic!("{shown}: section `{name}` is declared twice");
            }
        }
    }
    all
}

/// `word` as one of `variants`, case-insensitive as IIS reads it; absent,
/// the first (IIS's default).
fn declared_word<'a>(section: &str, word: Option<&str>, variants: &[&'a str]) -> &'a str {
    let Some(word) = word else {
        return variants[0];
    };
    variants
        .iter()
        .find(|v| v.eq_ignore_ascii_case(word))
        .unwrap_or_else(|| panic!("{SECTIONS}: {section}: `{word}` is none of {variants:?}"))
}

fn write_element(source: &mut String, element: &ElementSpec) {
    source.push_str("TableElement { attrs: &[");
    for (name, spec) in &element.attrs {
        write!(source, "({name:?}, {spec:?}), ").unwrap();
    }
    source.push_str("], elements: &[");
    for (name, child) in &element.elements {
        write!(source, "({name:?}, ").unwrap();
        write_element(source, child);
        source.push_str("), ");
    }
    source.push_str("], collection: ");
    match &element.collection {
        None => source.push_str("None"),
        Some(c) => {
            write!(
                source,
                "Some(&TableCollection {{ add: {:?}, remove: {:?}, clear: {:?}, defaults: {:?}, \
                 duplicates: {}, any_attributes: {}, item: ",
                c.add, c.remove, c.clear, c.defaults, c.duplicates, c.any_attributes
            )
            .unwrap();
            write_element(source, &c.item);
            source.push_str(" })");
        }
    }
    source.push_str(", unchecked: &[");
    for name in &element.unchecked {
        write!(source, "{name:?}, ").unwrap();
    }
    source.push_str("] }");
}
