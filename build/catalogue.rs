//! Turns the property catalogue (`schemas/omero-web-settings.schema.json`)
//! into Rust data at build time, so that a run does not parse 44 KB of JSON
//! before its first check: that was a fifth of `gen all`'s instructions.
//! `src/settings/catalogue.rs` includes the output; a malformed catalogue
//! fails the build with the property's name.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

const CATALOGUE: &str = "schemas/omero-web-settings.schema.json";

/// The fields of `x-omero`: a misspelt one fails the build.
const ANNOTATIONS: &[&str] = &[
    "django",
    "default",
    "parser",
    "group",
    "example",
    "replaced_by",
    "sensitive",
];

/// Writes `catalogue.rs` into `out`.
pub fn generate(out: &Path) {
    println!("cargo:rerun-if-changed={CATALOGUE}");
    let text = std::fs::read_to_string(CATALOGUE).unwrap_or_else(|e| panic!("{CATALOGUE}: {e}"));
    let document: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{CATALOGUE}: {e}"));
    std::fs::write(out.join("catalogue.rs"), catalogue_source(&document))
        .expect("OUT_DIR is writable");
}

/// `PROPERTIES` (sorted by key, so that a key is found by binary search)
/// and `PLUGIN_NAMESPACES` as Rust statics.
fn catalogue_source(document: &Value) -> String {
    let properties = document["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{CATALOGUE}: no `properties` object"));
    let mut keys: Vec<&String> = properties.keys().collect();
    keys.sort();
    // An array, not a slice: a static may hold the `OnceLock`s only directly.
    let mut source = format!("static PROPERTIES: [PropertySpec; {}] = [\n", keys.len());
    for key in keys {
        record(&mut source, key, &properties[key.as_str()]);
    }
    source.push_str("];\n\nstatic PLUGIN_NAMESPACES: &[&str] = &[\n");
    for namespace in document["x-plugin-namespaces"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let namespace = namespace
            .as_str()
            .unwrap_or_else(|| panic!("{CATALOGUE}: a plugin namespace is not a string"));
        writeln!(source, "    {namespace:?},").unwrap();
    }
    source.push_str("];\n");
    source
}

fn record(source: &mut String, key: &str, property: &Value) {
    let fail = |what: &str| -> ! { panic!("{CATALOGUE}: {key}: {what}") };
    let omero = &property["x-omero"];
    let Some(annotations) = omero.as_object() else {
        fail("no `x-omero` object");
    };
    if let Some(unknown) = annotations
        .keys()
        .find(|k| !ANNOTATIONS.contains(&k.as_str()))
    {
        fail(&format!("unknown annotation x-omero.{unknown}"));
    }
    let text = |field: &str| -> Option<&str> {
        match &omero[field] {
            Value::Null => None,
            Value::String(s) => Some(s),
            _ => fail(&format!("x-omero.{field} is not a string")),
        }
    };
    let required =
        |field: &str| text(field).unwrap_or_else(|| fail(&format!("no x-omero.{field}")));
    let sensitive = match &omero["sensitive"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => fail("x-omero.sensitive is not a boolean"),
    };
    let description = property["description"].as_str().unwrap_or_default();
    writeln!(
        source,
        "    PropertySpec {{ key: {key:?}, description: {description:?}, django: {:?}, \
         default: {:?}, parser: Parser::{}, group: Group::{}, example: {:?}, \
         replaced_by: {:?}, sensitive: {sensitive}, schema_text: {:?}, \
         schema: OnceLock::new() }},",
        required("django"),
        text("default"),
        variant(required("parser")),
        variant(required("group")),
        text("example"),
        text("replaced_by"),
        property.to_string(),
    )
    .unwrap();
}

/// `leave_none_unset` → `LeaveNoneUnset`: a name the catalogue uses that no
/// variant has fails the build when the output is compiled.
fn variant(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
