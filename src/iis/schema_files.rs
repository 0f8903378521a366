//! IIS configuration schema files in IIS's own format (`<configSchema>`,
//! the files of `%windir%\system32\inetsrv\config\schema`): read into the
//! tables `check` and `review` use (`--schema`), and written from them.
//!
//! The format, as the IIS documentation describes it ("Introduction to
//! ApplicationHost.config", sections "How to Read Config Schema" and
//! "Attribute Validation"; "Configuration Extensibility", section
//! "Extending Existing Configuration"; the `IAppHostPropertySchema`
//! ValidationType and ValidationParameter pages, all on
//! learn.microsoft.com/iis):
//! - `<configSchema>` holds `<sectionSchema name="group/section">`. A later
//!   `<sectionSchema>` of the same name adds to the earlier one, in the same
//!   file or another: IIS reads every file of the folder, and modules
//!   (FTP, ARR) extend sections another file defines.
//! - `<attribute name type>` with `required`, `isUniqueKey`,
//!   `isCombinedKey`, `caseSensitive`, `allowInfinite`, `timeSpanFormat`
//!   and one `validationType` with its `validationParameter`; `<enum>` and
//!   `<flag>` children name the values of enum and flags types.
//! - `<element name>` nests; `<collection addElement removeElement
//!   clearElement defaultElement allowDuplicates allowUnrecognizedAttributes>`
//!   describes one item by its own children.
//! - `<method>` (a COM call) and anything marked `extension` (runtime state
//!   a COM object supplies) are not written in configuration files: skipped.
//!
//! Attributes of the format this reader does not use (`defaultValue`,
//! `encrypted`, `expanded`, `mergeAppend`, typos in shipped files) are
//! ignored, as IIS ignores what it does not know; an element or a type it
//! does not know is an error with its place.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::schema::{
    Attribute, Collection, Element, Keys, NameRule, Schema, Section, TimeFormat, ValueType,
};
use super::schema::{Definition, OverrideMode};

/// Marks an element our writer could not describe (the built-in tables'
/// `unchecked`): its contents are accepted. IIS ignores attributes of the
/// format it does not know.
const UNCHECKED_MARK: &str = "omeroIisUnchecked";

/// A schema file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("{path}: no schema files (*.xml) in this folder")]
    EmptyFolder { path: String },
}

impl SchemaError {
    pub fn help(&self) -> &'static str {
        match self {
            SchemaError::Io { .. } => "give a readable schema file or folder",
            SchemaError::Invalid { .. } => {
                "give IIS's own schema files (%windir%\\system32\\inetsrv\\config\\schema), unchanged"
            }
            SchemaError::EmptyFolder { .. } => {
                "give the folder that holds IIS_schema.xml, or the files themselves"
            }
        }
    }
}

/// The schema files `paths` name: a folder gives its `*.xml` files in name
/// order, a file itself.
pub fn files_of(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SchemaError> {
    let mut files = Vec::new();
    for path in paths {
        let io = |source| SchemaError::Io {
            path: path.display().to_string(),
            source,
        };
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml"))
                })
                .collect();
            if found.is_empty() {
                return Err(SchemaError::EmptyFolder {
                    path: path.display().to_string(),
                });
            }
            found.sort();
            files.extend(found);
        } else {
            std::fs::metadata(path).map_err(io)?;
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// How loaded schema files relate to the built-in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A server's whole schema folder (it holds `IIS_schema.xml`, IIS's
    /// core file): the files are the whole truth, a section they do not
    /// describe does not exist on that server.
    Server,
    /// Module files or extensions (no `IIS_schema.xml`): they add to the
    /// built-in tables as they would add to a server's own schema.
    Added,
}

/// The tables `paths` give (see [`Scope`]) and how they were used.
pub fn load(paths: &[PathBuf], base: &Schema) -> Result<(Schema, Scope, usize), SchemaError> {
    let files = files_of(paths)?;
    let scope = if files.iter().any(|f| {
        f.file_name()
            .is_some_and(|n| n.eq_ignore_ascii_case("IIS_schema.xml"))
    }) {
        Scope::Server
    } else {
        Scope::Added
    };
    let mut described = match scope {
        Scope::Server => Described::default(),
        Scope::Added => Described::from_tables(base),
    };
    for file in &files {
        let bytes = std::fs::read(file).map_err(|source| SchemaError::Io {
            path: file.display().to_string(),
            source,
        })?;
        let name = file.display().to_string();
        let text = crate::source::decode(&bytes).map_err(|e| SchemaError::Invalid {
            path: name.clone(),
            line: 1,
            column: 1,
            message: e.to_string(),
        })?;
        described.read(&name, &text)?;
    }
    Ok((described.over(base, scope), scope, files.len()))
}

/// Sections read so far, merged as IIS merges them.
#[derive(Default)]
pub struct Described {
    sections: BTreeMap<String, Element>,
}

impl Described {
    /// The sections the built-in tables describe, for files to add to.
    pub fn from_tables(base: &Schema) -> Described {
        Described {
            sections: base
                .sections
                .iter()
                .filter_map(|(name, s)| Some((name.clone(), s.schema()?.clone())))
                .collect(),
        }
    }

    /// Adds the sections of one file.
    pub fn read(&mut self, path: &str, text: &str) -> Result<(), SchemaError> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            ..roxmltree::ParsingOptions::default()
        };
        let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
            let pos = e.pos();
            SchemaError::Invalid {
                path: path.to_owned(),
                line: pos.row,
                column: pos.col,
                message: e.to_string(),
            }
        })?;
        let reader = Reader { path, doc: &doc };
        let root = doc.root_element();
        if root.tag_name().name() != "configSchema" {
            return Err(reader.error(root, "the root element must be <configSchema>"));
        }
        for node in root.children().filter(roxmltree::Node::is_element) {
            if node.tag_name().name() != "sectionSchema" {
                return Err(reader.error(
                    node,
                    format!(
                        "<{}> is not part of the schema format: expected <sectionSchema>",
                        node.tag_name().name()
                    ),
                ));
            }
            let name = reader.required(node, "name")?;
            let element = self.sections.entry(name.to_owned()).or_default();
            reader.merge(element, node)?;
        }
        Ok(())
    }

    /// The tables: these sections' descriptions, with where each may be set
    /// and its default lock from `base` (schema files do not say); with
    /// [`Scope::Added`], `base`'s other sections too.
    pub fn over(self, base: &Schema, scope: Scope) -> Schema {
        let mut sections = match scope {
            Scope::Server => BTreeMap::new(),
            Scope::Added => base.sections.clone(),
        };
        for (name, mut element) in self.sections {
            finish(&mut element);
            let (definition, override_default) = base
                .section(&name)
                .map_or((Definition::Everywhere, OverrideMode::Allow), |s| {
                    (s.definition, s.override_default)
                });
            let name = base.section(&name).map_or(name, |s| s.name.clone());
            sections.insert(
                name.clone(),
                Section::new(name, definition, override_default, Some(element)),
            );
        }
        let mut schema = Schema::new(sections);
        schema.complete = scope == Scope::Server;
        schema
    }
}

/// Works out the keys of every collection once all files are read (a
/// later file may add key attributes).
fn finish(element: &mut Element) {
    for (_, child) in element.elements.iter_mut() {
        finish(child);
    }
    if let Some(collection) = element.collection.as_deref_mut() {
        finish(&mut collection.item);
        collection.keys = if collection.allow_duplicates {
            Keys::default()
        } else {
            Keys::of(&collection.item)
        };
    }
}

struct Reader<'a, 'input> {
    path: &'a str,
    doc: &'a roxmltree::Document<'input>,
}

impl Reader<'_, '_> {
    fn error(&self, node: roxmltree::Node, message: impl Into<String>) -> SchemaError {
        let pos = self.doc.text_pos_at(node.range().start);
        SchemaError::Invalid {
            path: self.path.to_owned(),
            line: pos.row,
            column: pos.col,
            message: message.into(),
        }
    }

    fn required<'n>(
        &self,
        node: roxmltree::Node<'n, '_>,
        name: &str,
    ) -> Result<&'n str, SchemaError> {
        node.attribute(name).ok_or_else(|| {
            self.error(
                node,
                format!("<{}> needs a `{name}` attribute", node.tag_name().name()),
            )
        })
    }

    fn flag(&self, node: roxmltree::Node, name: &str) -> Result<bool, SchemaError> {
        match node.attribute(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(self.error(node, format!("{name}=\"{v}\" is not true or false"))),
        }
    }

    /// Adds what `node` (a `<sectionSchema>`, `<element>` or `<collection>`)
    /// describes to `target`.
    fn merge(&self, target: &mut Element, node: roxmltree::Node) -> Result<(), SchemaError> {
        for child in node.children().filter(roxmltree::Node::is_element) {
            if child.attribute("extension").is_some() {
                continue; // runtime state a COM object supplies
            }
            match child.tag_name().name() {
                "attribute" => {
                    let name = self.required(child, "name")?;
                    let attribute = self.attribute(child)?;
                    target.attributes.insert(name.to_owned(), attribute);
                }
                "element" => {
                    let name = self.required(child, "name")?;
                    if self.flag(child, UNCHECKED_MARK)? {
                        if !target.unchecked.iter().any(|u| u == name) {
                            target.unchecked.push(name.to_owned());
                        }
                        continue;
                    }
                    if target.elements.get(name).is_none() {
                        target.elements.insert(name.to_owned(), Element::default());
                    }
                    let element = target.elements.get_mut(name).expect("inserted above");
                    self.merge(element, child)?;
                }
                "collection" => self.collection(target, child)?,
                "method" => {}
                other => {
                    return Err(self.error(
                        child,
                        format!("<{other}> is not part of the schema format: expected <attribute>, <element>, <collection> or <method>"),
                    ))
                }
            }
        }
        Ok(())
    }

    fn collection(&self, target: &mut Element, node: roxmltree::Node) -> Result<(), SchemaError> {
        if target.collection.is_none() {
            let adds = self.required(node, "addElement")?;
            let mut names = adds.split(',').map(str::trim).filter(|n| !n.is_empty());
            let add = names
                .next()
                .ok_or_else(|| self.error(node, "addElement names no element"))?;
            target.collection = Some(Box::new(Collection {
                add: add.to_owned(),
                more_adds: names.map(str::to_owned).collect(),
                remove: None,
                clear: None,
                defaults: None,
                allow_duplicates: false,
                item: Element::default(),
                keys: Keys::default(),
            }));
        }
        let collection = target.collection.as_deref_mut().expect("set above");
        if let Some(name) = node.attribute("removeElement") {
            collection.remove = Some(name.to_owned());
        }
        if let Some(name) = node.attribute("clearElement") {
            collection.clear = Some(name.to_owned());
        }
        if let Some(name) = node.attribute("defaultElement") {
            collection.defaults = Some(name.to_owned());
        }
        collection.allow_duplicates |= self.flag(node, "allowDuplicates")?;
        collection.item.any_attributes |= self.flag(node, "allowUnrecognizedAttributes")?;
        self.merge(&mut collection.item, node)
    }

    fn attribute(&self, node: roxmltree::Node) -> Result<Attribute, SchemaError> {
        let type_name = self.required(node, "type")?;
        let names = |tag: &[&str]| -> Vec<String> {
            node.children()
                .filter(|c| c.is_element() && tag.contains(&c.tag_name().name()))
                .filter_map(|c| c.attribute("name"))
                .map(str::to_owned)
                .collect()
        };
        let value_type = match ValueType::scalar(type_name) {
            Some(scalar) => scalar,
            None if type_name.eq_ignore_ascii_case("enum") => ValueType::Enum(names(&["enum"])),
            // The format's header comment says <flags>; shipped files use <flag>.
            None if type_name.eq_ignore_ascii_case("flags") => {
                ValueType::Flags(names(&["flag", "flags"]))
            }
            None => {
                return Err(self.error(
                    node,
                    format!("type=\"{type_name}\" is not a schema type: bool, enum, flags, uint, int, int64, string or timeSpan"),
                ))
            }
        };
        let mut attribute = Attribute::of_type(value_type);
        attribute.required = self.flag(node, "required")?;
        attribute.key = self.flag(node, "isUniqueKey")?;
        attribute.combined_key = self.flag(node, "isCombinedKey")?;
        attribute.case_sensitive = self.flag(node, "caseSensitive")?;
        attribute.infinite = self.flag(node, "allowInfinite")?;
        attribute.time_format = match node.attribute("timeSpanFormat") {
            None => TimeFormat::Text,
            Some(f) if f.eq_ignore_ascii_case("string") => TimeFormat::Text,
            Some(f) if f.eq_ignore_ascii_case("seconds") => TimeFormat::Seconds,
            Some(f) if f.eq_ignore_ascii_case("minutes") => TimeFormat::Minutes,
            Some(f) => {
                return Err(self.error(
                    node,
                    format!("timeSpanFormat=\"{f}\" is not string, seconds or minutes"),
                ))
            }
        };
        if let Some(validator) = node.attribute("validationType") {
            self.validator(&mut attribute, node, validator)?;
        }
        Ok(attribute)
    }

    fn validator(
        &self,
        attribute: &mut Attribute,
        node: roxmltree::Node,
        validator: &str,
    ) -> Result<(), SchemaError> {
        let parameter = node.attribute("validationParameter").unwrap_or("");
        let bad = |what: &str| {
            self.error(
                node,
                format!("validationParameter=\"{parameter}\" is not {what}"),
            )
        };
        let number = |text: &str| text.trim().parse::<i64>().ok();
        match validator {
            "integerRange" | "timeSpanRange" => {
                let parts: Vec<&str> = parameter.split(',').map(str::trim).collect();
                let timespan = validator == "timeSpanRange";
                let (bounds, rest) = parts.split_at(parts.len().min(2));
                let (Some(lo), Some(hi)) = (
                    bounds.first().copied().and_then(number),
                    bounds.get(1).copied().and_then(number),
                ) else {
                    return Err(bad(if timespan {
                        "\"min,max,granularity[,exclude]\""
                    } else {
                        "\"min,max[,exclude]\""
                    }));
                };
                let mut rest = rest.iter();
                if timespan {
                    if let Some(g) = rest.clone().next().and_then(|g| number(g)) {
                        rest.next();
                        attribute.granularity = (g > 1).then_some(g);
                    }
                }
                let exclude = match rest.next() {
                    None => false,
                    Some(w) if w.eq_ignore_ascii_case("exclude") => true,
                    Some(_) => return Err(bad("a range with an optional `exclude`")),
                };
                attribute.range = Some((lo, hi, exclude));
            }
            "nonEmptyString" => attribute.non_empty = true,
            "requireTrimmedString" => attribute.trimmed = true,
            "applicationPoolName" => attribute.name_rule = Some(NameRule::PoolName),
            "siteName" => attribute.name_rule = Some(NameRule::SiteName),
            "applicationPath" => attribute.name_rule = Some(NameRule::ApplicationPath),
            "virtualDirectoryPath" => attribute.name_rule = Some(NameRule::VirtualDirectoryPath),
            // IIS knows these eight; an unknown one validates nothing.
            _ => {}
        }
        Ok(())
    }
}

/// Why the tables cannot be written in IIS's format.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct WriteError {
    pub path: String,
    pub message: String,
}

/// The described sections of `schema` as one schema file in IIS's format.
pub fn write(schema: &Schema) -> Result<String, WriteError> {
    let mut out = String::from(
        "<!--\n  The IIS configuration tables of omero-iis, in the format of IIS's schema files.\n  Written by omero-iis; not a copy of any IIS file.\n-->\n<configSchema>\n",
    );
    for section in schema.sections.values() {
        let Some(element) = section.schema() else {
            continue;
        };
        let _ = writeln!(out, "  <sectionSchema name=\"{}\">", xml(&section.name));
        write_element(&mut out, element, 2, &section.name)?;
        out.push_str("  </sectionSchema>\n");
    }
    out.push_str("</configSchema>\n");
    Ok(out)
}

fn write_element(
    out: &mut String,
    element: &Element,
    depth: usize,
    path: &str,
) -> Result<(), WriteError> {
    let pad = "  ".repeat(depth);
    for (name, attribute) in &element.attributes {
        write_attribute(out, name, attribute, depth, &format!("{path}@{name}"))?;
    }
    let defaults = element
        .collection
        .as_deref()
        .and_then(|c| c.defaults.as_deref());
    for (name, child) in &element.elements {
        let default = if Some(name.as_str()) == defaults {
            " isCollectionDefault=\"true\""
        } else {
            ""
        };
        let _ = writeln!(out, "{pad}<element name=\"{}\"{default}>", xml(name));
        write_element(out, child, depth + 1, &format!("{path}/{name}"))?;
        let _ = writeln!(out, "{pad}</element>");
    }
    for name in &element.unchecked {
        let _ = writeln!(
            out,
            "{pad}<element name=\"{}\" {UNCHECKED_MARK}=\"true\" />",
            xml(name)
        );
    }
    if let Some(c) = element.collection.as_deref() {
        let mut adds = c.add.clone();
        for more in &c.more_adds {
            adds.push(',');
            adds.push_str(more);
        }
        let _ = write!(out, "{pad}<collection addElement=\"{}\"", xml(&adds));
        if let Some(r) = &c.remove {
            let _ = write!(out, " removeElement=\"{}\"", xml(r));
        }
        if let Some(cl) = &c.clear {
            let _ = write!(out, " clearElement=\"{}\"", xml(cl));
        }
        if let Some(d) = &c.defaults {
            let _ = write!(out, " defaultElement=\"{}\"", xml(d));
        }
        if c.allow_duplicates {
            out.push_str(" allowDuplicates=\"true\"");
        }
        if c.item.any_attributes {
            out.push_str(" allowUnrecognizedAttributes=\"true\"");
        }
        out.push_str(">\n");
        write_element(out, &c.item, depth + 1, &format!("{path}/{}", c.add))?;
        let _ = writeln!(out, "{pad}</collection>");
    }
    Ok(())
}

fn write_attribute(
    out: &mut String,
    name: &str,
    a: &Attribute,
    depth: usize,
    path: &str,
) -> Result<(), WriteError> {
    let pad = "  ".repeat(depth);
    let type_name = match &a.value_type {
        ValueType::Bool => "bool",
        ValueType::Uint => "uint",
        ValueType::Int => "int",
        ValueType::Int64 => "int64",
        ValueType::String => "string",
        ValueType::TimeSpan => "timeSpan",
        ValueType::Enum(_) => "enum",
        ValueType::Flags(_) => "flags",
    };
    let _ = write!(
        out,
        "{pad}<attribute name=\"{}\" type=\"{type_name}\"",
        xml(name)
    );
    for (set, word) in [
        (a.required, "required"),
        (a.key, "isUniqueKey"),
        (a.combined_key, "isCombinedKey"),
        (a.case_sensitive, "caseSensitive"),
        (a.infinite, "allowInfinite"),
    ] {
        if set {
            let _ = write!(out, " {word}=\"true\"");
        }
    }
    match a.time_format {
        TimeFormat::Text => {}
        TimeFormat::Seconds => out.push_str(" timeSpanFormat=\"seconds\""),
        TimeFormat::Minutes => out.push_str(" timeSpanFormat=\"minutes\""),
    }
    let mut validators = Vec::new();
    if let Some((lo, hi, exclude)) = a.range {
        let exclude = if exclude { ",exclude" } else { "" };
        validators.push(if a.value_type == ValueType::TimeSpan {
            let g = a.granularity.unwrap_or(1);
            ("timeSpanRange", format!("{lo},{hi},{g}{exclude}"))
        } else {
            ("integerRange", format!("{lo},{hi}{exclude}"))
        });
    }
    if a.non_empty {
        validators.push(("nonEmptyString", String::new()));
    }
    if a.trimmed {
        validators.push(("requireTrimmedString", String::new()));
    }
    if let Some(rule) = a.name_rule {
        validators.push((
            match rule {
                NameRule::PoolName => "applicationPoolName",
                NameRule::SiteName => "siteName",
                NameRule::ApplicationPath => "applicationPath",
                NameRule::VirtualDirectoryPath => "virtualDirectoryPath",
            },
            String::new(),
        ));
    }
    match validators.as_slice() {
        [] => {}
        [(kind, parameter)] => {
            let _ = write!(out, " validationType=\"{kind}\"");
            if !parameter.is_empty() {
                let _ = write!(out, " validationParameter=\"{parameter}\"");
            }
        }
        more => {
            return Err(WriteError {
                path: path.to_owned(),
                message: format!(
                    "{} validators ({}); IIS gives an attribute one",
                    more.len(),
                    more.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                ),
            })
        }
    }
    let values = match &a.value_type {
        ValueType::Enum(names) => Some(("enum", names)),
        ValueType::Flags(names) => Some(("flag", names)),
        _ => None,
    };
    match values {
        None => out.push_str(" />\n"),
        Some((tag, names)) => {
            out.push_str(">\n");
            for (i, value) in names.iter().enumerate() {
                let number = if tag == "flag" && i > 0 {
                    1u64 << (i - 1)
                } else {
                    i as u64
                };
                let _ = writeln!(
                    out,
                    "{pad}  <{tag} name=\"{}\" value=\"{number}\" />",
                    xml(value)
                );
            }
            let _ = writeln!(out, "{pad}</attribute>");
        }
    }
    Ok(())
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The server's own schema folder, when this runs on an IIS server.
pub fn server_folder() -> Option<PathBuf> {
    if !cfg!(windows) {
        return None;
    }
    let windir = std::env::var_os("windir").or_else(|| std::env::var_os("SystemRoot"))?;
    server_folder_under(Path::new(&windir))
}

/// `WINDIR\system32\inetsrv\config\schema`, when IIS is installed there
/// (its core file `IIS_schema.xml` is present).
pub fn server_folder_under(windir: &Path) -> Option<PathBuf> {
    let folder = ["system32", "inetsrv", "config", "schema"]
        .iter()
        .fold(windir.to_path_buf(), |path, part| path.join(part));
    folder.join("IIS_schema.xml").is_file().then_some(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_folder_is_found_where_iis_keeps_it() {
        let windir = tempfile::tempdir().unwrap();
        assert_eq!(server_folder_under(windir.path()), None);
        let folder = windir.path().join("system32/inetsrv/config/schema");
        std::fs::create_dir_all(&folder).unwrap();
        assert_eq!(server_folder_under(windir.path()), None);
        std::fs::write(folder.join("IIS_schema.xml"), "<configSchema/>").unwrap();
        assert_eq!(server_folder_under(windir.path()), Some(folder));
    }

    #[test]
    fn later_files_add_to_a_section_and_keys_are_worked_out_at_the_end() {
        let mut described = Described::default();
        described
            .read(
                "a.xml",
                r#"<configSchema><sectionSchema name="s/x"><collection addElement="add"><attribute name="a" type="string" /></collection></sectionSchema></configSchema>"#,
            )
            .unwrap();
        described
            .read(
                "b.xml",
                r#"<configSchema><sectionSchema name="s/x"><attribute name="on" type="bool" /><collection addElement="add"><attribute name="a" type="string" isUniqueKey="true" /></collection></sectionSchema></configSchema>"#,
            )
            .unwrap();
        let schema = described.over(Schema::global(), Scope::Server);
        assert!(schema.complete);
        let x = schema.section("s/x").unwrap().schema().unwrap();
        assert!(x.attributes.contains_key("on"));
        assert_eq!(x.collection.as_ref().unwrap().key_attributes(), ["a"]);
        assert!(schema.section("system.webServer/handlers").is_none());
    }
}
