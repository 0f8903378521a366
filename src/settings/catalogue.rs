//! Every property OMERO.web reads, from
//! `schemas/omero-web-settings.schema.json`, which `build/catalogue.rs` turns into
//! Rust data at build time.
//!
//! The schema describes each value *after* OMERO's parser ran (an int, a bool,
//! a JSON document); `x-omero` says which parser that is and what the default
//! is. JSON Schema checks the shape of JSON values; Rust rules in `validate`
//! say what a schema cannot.

use std::sync::OnceLock;

use serde_json::Value as Json;

/// The parser `settings.py` applies to a property (ome/omero-web omeroweb/settings.py and utils.py).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    Str,
    Bool,
    Int,
    Json,
    LeaveNoneUnset,
    LeaveNoneUnsetInt,
    Identity,
    StrSlash,
    Normpath,
    Regex,
    ServerType,
    SessionEngine,
    Timezone,
    WorkerClass,
}

/// What a value must look like, derived from its parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Bool,
    Int,
    Json,
    /// One of the schema's `enum` values, compared exactly.
    Choice,
}

impl Parser {
    pub fn kind(self) -> Kind {
        match self {
            Parser::Bool => Kind::Bool,
            Parser::Int | Parser::LeaveNoneUnsetInt => Kind::Int,
            Parser::Json => Kind::Json,
            Parser::ServerType | Parser::SessionEngine | Parser::WorkerClass => Kind::Choice,
            _ => Kind::Text,
        }
    }
}

/// Which mapping dict of `settings.py` a property lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Internal,
    Custom,
    Development,
    Api,
    Deprecated,
    /// Read by OMERO 5.2 or earlier, no longer by current OMERO.web.
    Removed,
}

// `PROPERTIES: [PropertySpec; N]` (sorted by key) and `PLUGIN_NAMESPACES: &[&str]`.
include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// One property of the catalogue, as `build/catalogue.rs` writes it.
#[derive(Debug)]
pub struct PropertySpec {
    pub key: &'static str,
    pub description: &'static str,
    pub django: &'static str,
    /// The default as OMERO would print it; `None` = the Django setting stays unset.
    pub default: Option<&'static str>,
    pub parser: Parser,
    pub group: Group,
    pub example: Option<&'static str>,
    pub replaced_by: Option<&'static str>,
    pub sensitive: bool,
    /// The JSON Schema of the parsed value, as written in the catalogue.
    schema_text: &'static str,
    /// `schema_text` parsed, on first use: a run reads the schemas of the
    /// properties it sees set, not all 122 (building every schema's JSON
    /// tree was a third of `gen all`'s instructions).
    schema: OnceLock<Json>,
}

impl PropertySpec {
    pub fn kind(&self) -> Kind {
        self.parser.kind()
    }

    /// The JSON Schema of the parsed value.
    pub fn schema(&self) -> &Json {
        self.schema.get_or_init(|| {
            serde_json::from_str(self.schema_text)
                .expect("a property schema of the embedded catalogue is JSON (tested)")
        })
    }

    pub fn is_deprecated(&self) -> bool {
        matches!(self.group, Group::Deprecated | Group::Removed)
    }

    /// The allowed values of a [`Kind::Choice`] property.
    pub fn choices(&self) -> Vec<&str> {
        self.schema()
            .get("enum")
            .and_then(Json::as_array)
            .map(|values| values.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default()
    }
}

/// The whole catalogue.
#[derive(Debug)]
pub struct Catalogue {
    properties: &'static [PropertySpec],
    plugin_namespaces: &'static [&'static str],
}

impl Catalogue {
    /// The embedded catalogue.
    pub fn global() -> &'static Catalogue {
        static CATALOGUE: Catalogue = Catalogue {
            properties: &PROPERTIES,
            plugin_namespaces: PLUGIN_NAMESPACES,
        };
        &CATALOGUE
    }

    pub fn get(&self, key: &str) -> Option<&PropertySpec> {
        let at = self.properties.binary_search_by(|p| p.key.cmp(key)).ok()?;
        Some(&self.properties[at])
    }

    /// The properties, by key.
    pub fn iter(&self) -> impl Iterator<Item = &PropertySpec> {
        self.properties.iter()
    }

    pub fn len(&self) -> usize {
        self.properties.len()
    }

    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// Keys under a known OMERO.web app's namespace (`omero.web.iviewer.*` ...):
    /// apps define their own settings, which we cannot check.
    pub fn is_plugin_key(&self, key: &str) -> bool {
        self.plugin_namespaces.iter().any(|ns| key.starts_with(ns))
    }

    /// The current property closest to a misspelt key, if any is close enough.
    pub fn closest(&self, key: &str) -> Option<&str> {
        closest(
            key,
            self.iter().filter(|p| !p.is_deprecated()).map(|p| p.key),
        )
    }
}

/// The candidate most similar to `input`, if similar enough to be a typo.
pub fn closest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    crate::diagnostic::closest_name(input, candidates, 0.9)
}

/// A property schema in JSON Schema draft 7, for validating values.
///
/// The catalogue is written in draft 2020-12, but a property's schema uses
/// only keywords draft 7 has too, except `prefixItems`: draft 7 writes it
/// as `items: [...]`, and what 2020-12 calls `items` next to it as
/// `additionalItems` (json-schema.org, "Draft 2020-12 release notes",
/// array keywords). jsonschema checks every schema against its draft's
/// meta-schema before using it, and draft 7's is much cheaper to load: it
/// was 0.8 ms of `gen all`'s 4.2 ms. The unit tests check that the
/// catalogue uses no other keyword draft 7 lacks, and that both forms
/// accept and refuse the same values.
pub fn draft7_schema(schema: &Json) -> Json {
    let Json::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            // Values that are data, copied as they are.
            k if DATA_KEYWORDS.contains(&k) => value.clone(),
            // Names of properties, each with its schema.
            "properties" => Json::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| (name.clone(), draft7_schema(s)))
                    .collect(),
            ),
            // A schema, or a list of schemas (`anyOf`, `prefixItems`).
            _ => match value {
                Json::Array(items) => Json::Array(items.iter().map(draft7_schema).collect()),
                v => draft7_schema(v),
            },
        };
        let key = match key.as_str() {
            "prefixItems" => "items",
            "items" if map.contains_key("prefixItems") => "additionalItems",
            other => other,
        };
        out.insert(key.to_owned(), value);
    }
    Json::Object(out)
}

/// Keywords of the property schemas whose values are data, not schemas.
const DATA_KEYWORDS: &[&str] = &["x-omero", "enum", "const", "default", "examples"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_covers_omero_web() {
        let c = Catalogue::global();
        assert!(c.len() >= 120, "{} properties", c.len());
        let prefix = c.get("omero.web.prefix").unwrap();
        assert_eq!(prefix.django, "FORCE_SCRIPT_NAME");
        assert_eq!(prefix.default, None);
        assert_eq!(
            c.get("omero.web.session_engine").unwrap().choices().len(),
            5
        );
        assert_eq!(
            c.get("omero.web.force_script_name").unwrap().replaced_by,
            Some("omero.web.prefix")
        );
    }

    /// `get` searches by halves: `build/catalogue.rs` must write the keys in order.
    #[test]
    fn every_key_is_found() {
        let c = Catalogue::global();
        assert!(c.properties.windows(2).all(|w| w[0].key < w[1].key));
        for spec in c.iter() {
            assert!(std::ptr::eq(c.get(spec.key).unwrap(), spec), "{}", spec.key);
        }
        assert!(c.get("omero.web.no_such_property").is_none());
    }

    #[test]
    fn every_schema_compiles() {
        for spec in Catalogue::global().iter() {
            jsonschema::validator_for(spec.schema())
                .unwrap_or_else(|e| panic!("{}: schema does not compile: {e}", spec.key));
            jsonschema::draft7::new(&draft7_schema(spec.schema()))
                .unwrap_or_else(|e| panic!("{}: the draft 7 form does not compile: {e}", spec.key));
        }
    }

    /// Keywords the property schemas may use: draft 7's that mean the same
    /// in 2020-12, annotations, and `prefixItems` (which is translated).
    const SAME_IN_DRAFT7: &[&str] = &[
        "type",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "properties",
        "required",
        "additionalProperties",
        "anyOf",
        "allOf",
        "oneOf",
        "not",
        "description",
        "default",
        "examples",
        "deprecated",
        "x-omero",
        "prefixItems",
    ];

    fn keywords<'a>(schema: &'a Json, out: &mut Vec<&'a str>) {
        if let Json::Object(map) = schema {
            for (key, value) in map {
                out.push(key);
                match key.as_str() {
                    k if DATA_KEYWORDS.contains(&k) => {}
                    // Maps of names to schemas.
                    "properties" => value
                        .as_object()
                        .into_iter()
                        .flat_map(|m| m.values())
                        .for_each(|v| keywords(v, out)),
                    _ => match value {
                        Json::Array(items) => items.iter().for_each(|v| keywords(v, out)),
                        v => keywords(v, out),
                    },
                }
            }
        }
    }

    #[test]
    fn property_schemas_use_only_keywords_that_draft7_shares() {
        for spec in Catalogue::global().iter() {
            let mut used = Vec::new();
            keywords(spec.schema(), &mut used);
            for keyword in used {
                assert!(
                    SAME_IN_DRAFT7.contains(&keyword),
                    "{}: `{keyword}` would need translating for draft 7 (see draft7_schema)",
                    spec.key
                );
            }
        }
    }

    #[test]
    fn only_schema_keywords_are_translated_to_draft7() {
        let schema = serde_json::json!({
            "prefixItems": [{"type": "string"}],
            "items": {"type": "integer"},
            "anyOf": [{"prefixItems": [{"type": "null"}]}],
            "properties": {"prefixItems": {"type": "string"}},
            "default": {"prefixItems": []},
            "x-omero": {"prefixItems": []}
        });
        let expected = serde_json::json!({
            "items": [{"type": "string"}],
            "additionalItems": {"type": "integer"},
            "anyOf": [{"items": [{"type": "null"}]}],
            "properties": {"prefixItems": {"type": "string"}},
            "default": {"prefixItems": []},
            "x-omero": {"prefixItems": []}
        });
        assert_eq!(draft7_schema(&schema), expected);
    }

    #[test]
    fn the_draft7_form_accepts_and_refuses_the_same_values() {
        let values = [
            r#"[]"#,
            r#"[["omero.example.org", 4064, "omero"]]"#,
            r#"[["localhost", "4064"]]"#,
            r#"[["localhost", 0, "omero"]]"#,
            r#"[["localhost", 4064, "omero", "extra"]]"#,
            r#"[[4064, "localhost"]]"#,
            r#"[["EMAIL_TIMEOUT", 10]]"#,
            r#"[["EMAIL_TIMEOUT"]]"#,
            r#"[[10, "EMAIL_TIMEOUT"]]"#,
            r#"["HTTP_X_FORWARDED_PROTO", "https"]"#,
            r#"["X_FORWARDED_PROTO", "https"]"#,
            r#"["HTTP_X_FORWARDED_PROTO"]"#,
            r#"[1, 2]"#,
            r#"{"a": 1}"#,
            r#""text""#,
            r#"42"#,
        ];
        let mut tuples = 0;
        for spec in Catalogue::global().iter() {
            let text = spec.schema().to_string();
            tuples += usize::from(text.contains("prefixItems"));
            let latest = jsonschema::validator_for(spec.schema()).unwrap();
            let draft7 = jsonschema::draft7::new(&draft7_schema(spec.schema())).unwrap();
            for value in values {
                let value: Json = serde_json::from_str(value).unwrap();
                assert_eq!(
                    latest.is_valid(&value),
                    draft7.is_valid(&value),
                    "{}: the two forms disagree on {value}",
                    spec.key
                );
            }
        }
        assert_eq!(tuples, 3, "the tuple schemas this test is about");
    }

    #[test]
    fn did_you_mean_finds_typos() {
        let c = Catalogue::global();
        assert_eq!(c.closest("omero.web.prefx"), Some("omero.web.prefix"));
        assert_eq!(
            c.closest("omero.web.static_ulr"),
            Some("omero.web.static_url")
        );
        assert_eq!(c.closest("omero.web.completely_unrelated_thing"), None);
    }
}
