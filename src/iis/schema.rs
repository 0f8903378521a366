//! The IIS configuration tables (`schemas/iis/sections/*.toml`, made into
//! statics by `build/iis_tables.rs`): which sections exist, where they may
//! appear, and the elements, attributes and collections of the sections the
//! checker covers.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use foldhash::{HashMap, HashSet};

/// `allowDefinition`: which configuration files may hold a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Definition {
    Everywhere,
    MachineOnly,
    MachineToWebRoot,
    MachineToApplication,
    AppHostOnly,
}

/// `overrideModeDefault`: whether files below applicationHost.config may set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideMode {
    Allow,
    Deny,
}

/// The type of an attribute value, as IIS parses it.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueType {
    Bool,
    Uint,
    Int,
    Int64,
    String,
    TimeSpan,
    Enum(Vec<String>),
    Flags(Vec<String>),
}

impl ValueType {
    /// A type without values of its own, by its name in either table
    /// format (`bool`, `uint`, `int`, `int64`, `string`, `timeSpan`;
    /// case-insensitive).
    pub fn scalar(name: &str) -> Option<ValueType> {
        [
            ("bool", ValueType::Bool),
            ("uint", ValueType::Uint),
            ("int", ValueType::Int),
            ("int64", ValueType::Int64),
            ("string", ValueType::String),
            ("timespan", ValueType::TimeSpan),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, t)| t)
    }
}

/// A section's full name: its group path and its own name
/// (`system.webServer/security` + `access`).
pub fn section_path(group: &str, name: &str) -> String {
    if group.is_empty() {
        name.to_owned()
    } else {
        format!("{group}/{name}")
    }
}

/// The name validators of the IIS schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    PoolName,
    SiteName,
    ApplicationPath,
    VirtualDirectoryPath,
}

/// One attribute of an element.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub value_type: ValueType,
    pub required: bool,
    pub key: bool,
    pub combined_key: bool,
    pub case_sensitive: bool,
    pub non_empty: bool,
    pub trimmed: bool,
    /// Inclusive range (numbers; seconds for timespans) and whether the value must lie outside it.
    pub range: Option<(i64, i64, bool)>,
    /// Timespan granularity in seconds.
    pub granularity: Option<i64>,
    pub name_rule: Option<NameRule>,
    /// `Infinite` is accepted (`allowInfinite`).
    pub infinite: bool,
    /// How a timespan is written (`timeSpanFormat`).
    pub time_format: TimeFormat,
}

/// How a timespan attribute is written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// `[d.]hh:mm:ss[.fffffff]`.
    #[default]
    Text,
    /// A whole number of seconds.
    Seconds,
    /// A whole number of minutes.
    Minutes,
}

impl Attribute {
    /// An optional attribute of this type with no further constraint.
    pub const fn of_type(value_type: ValueType) -> Attribute {
        Attribute {
            value_type,
            required: false,
            key: false,
            combined_key: false,
            case_sensitive: false,
            non_empty: false,
            trimmed: false,
            range: None,
            granularity: None,
            name_rule: None,
            infinite: false,
            time_format: TimeFormat::Text,
        }
    }
}

/// An element: its attributes, child elements and optional collection.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub attributes: Names<Attribute>,
    pub elements: Names<Element>,
    pub collection: Option<Box<Collection>>,
    /// Child elements IIS has but the tables do not describe.
    pub unchecked: Vec<String>,
    /// Attributes the schema does not name are accepted
    /// (`allowUnrecognizedAttributes`, on provider-style collection items).
    pub any_attributes: bool,
}

/// The named parts of an element (attributes, child elements), in name
/// order. `check` looks up every attribute and child element it reads in
/// these short lists: a scan that compares lengths first mostly decides
/// without comparing text, where a tree compares text at every step.
#[derive(Debug, Clone)]
pub struct Names<T>(Vec<(String, T)>);

impl<T> Default for Names<T> {
    fn default() -> Self {
        Names(Vec::new())
    }
}

impl<T> Names<T> {
    pub fn get(&self, name: &str) -> Option<&T> {
        // Lengths and last bytes first: most names differ in one of them,
        // and then no call compares the bytes.
        let (name, last) = (name.as_bytes(), name.as_bytes().last());
        self.0
            .iter()
            .find(|(n, _)| {
                let n = n.as_bytes();
                n.len() == name.len() && n.last() == last && crate::bytes::same_bytes(n, name)
            })
            .map(|(_, value)| value)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.0
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Adds or replaces `name`, keeping name order.
    pub fn insert(&mut self, name: String, value: T) {
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(&name)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.into_iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut T)> {
        self.0.iter_mut().map(|(n, value)| (&*n, value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(n, _)| n)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.iter_mut().map(|(_, value)| value)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, T> IntoIterator for &'a Names<T> {
    type Item = (&'a String, &'a T);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, T)>,
        fn(&'a (String, T)) -> (&'a String, &'a T),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(n, value)| (n, value))
    }
}

impl<T> std::ops::Index<&str> for Names<T> {
    type Output = T;

    fn index(&self, name: &str) -> &T {
        self.get(name)
            .unwrap_or_else(|| panic!("no `{name}` in the tables"))
    }
}

/// A collection: the names of its directives and the schema of its items.
#[derive(Debug, Clone)]
pub struct Collection {
    pub add: String,
    /// Further names of the add directive (`addElement="allow,deny"`).
    pub more_adds: Vec<String>,
    pub remove: Option<String>,
    pub clear: Option<String>,
    /// A sibling element with the item's attributes, none required (`applicationPoolDefaults`).
    pub defaults: Option<String>,
    /// Items may repeat a key (`allowDuplicates`): no key is checked.
    pub allow_duplicates: bool,
    pub item: Element,
    pub keys: Keys,
}

impl Collection {
    /// Whether `name` is this collection's add directive.
    pub fn is_add(&self, name: &str) -> bool {
        self.add == name || self.more_adds.iter().any(|a| a == name)
    }

    /// All attributes that make up some key.
    pub fn key_attributes(&self) -> Vec<&str> {
        self.keys.names.iter().map(String::as_str).collect()
    }
}

/// The attributes that identify a collection's items: each `key` attribute
/// on its own, and the `ckey` ones together (a key set). Worked out once
/// from the tables, because `check` needs it for every collection element.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// The key attributes, in table order; each key set's names together.
    pub names: Vec<String>,
    /// Each key set, as a range of `names`.
    pub sets: Vec<Range<usize>>,
    /// Whether `names[i]`'s values are compared case-sensitively.
    pub case_sensitive: Vec<bool>,
}

impl Keys {
    pub(crate) fn of(item: &Element) -> Keys {
        let mut keys = Keys::default();
        for single in item.attributes.iter().filter(|(_, a)| a.key) {
            keys.add_set(vec![single]);
        }
        let combined: Vec<_> = item
            .attributes
            .iter()
            .filter(|(_, a)| a.combined_key)
            .collect();
        if !combined.is_empty() {
            keys.add_set(combined);
        }
        keys
    }

    fn add_set(&mut self, members: Vec<(&String, &Attribute)>) {
        let start = self.names.len();
        for (name, attribute) in members {
            self.names.push(name.clone());
            self.case_sensitive.push(attribute.case_sensitive);
        }
        self.sets.push(start..self.names.len());
    }
}

/// A section: where it may be defined and, when covered, its schema.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub definition: Definition,
    pub override_default: OverrideMode,
    description: Description,
}

/// A section's elements, when the tables describe it.
#[derive(Debug, Clone)]
enum Description {
    /// Declared but not described.
    None,
    /// Read from an IIS schema file.
    Given(Element),
    /// In the built-in tables: built when first asked for. A run uses a
    /// few of the 70 sections; building them all was a third of a small
    /// `check`'s instructions (BENCHMARKS.md, issue 21).
    Table(&'static TableElement, OnceLock<Element>),
}

impl Section {
    /// A section; `schema` is `None` for one declared but not described.
    pub fn new(
        name: String,
        definition: Definition,
        override_default: OverrideMode,
        schema: Option<Element>,
    ) -> Section {
        Section {
            name,
            definition,
            override_default,
            description: schema.map_or(Description::None, Description::Given),
        }
    }

    /// Its elements, attributes and collections; `None` for a section that
    /// is declared but not described by the tables.
    pub fn schema(&self) -> Option<&Element> {
        match &self.description {
            Description::None => None,
            Description::Given(element) => Some(element),
            Description::Table(table, built) => Some(built.get_or_init(|| {
                build_element(table).unwrap_or_else(|e| {
                    panic!(
                        "schemas/iis/sections/*.toml: {}: {e} (the unit tests build every section)",
                        self.name
                    )
                })
            })),
        }
    }

    /// Whether the tables describe it ([`Section::schema`] is `Some`),
    /// without building its description.
    pub fn is_described(&self) -> bool {
        !matches!(self.description, Description::None)
    }
}

/// All sections, by full name (`system.webServer/handlers`).
#[derive(Debug)]
pub struct Schema {
    pub sections: BTreeMap<String, Section>,
    /// Lower-case name → name, for names written in another case (the
    /// first in name order wins, as a search in order would find).
    by_lower_name: HashMap<String, String>,
    /// A whole server's own schema (`--schema` with its `IIS_schema.xml`):
    /// a section it does not describe does not exist there.
    pub complete: bool,
    /// Every group path (`system.webServer`, `system.webServer/security`).
    /// `check` asks for each element under a group: this is a lookup, not a
    /// search through every section.
    groups: HashSet<String>,
}

impl Schema {
    /// The tables shipped with the tool (parsed once).
    pub fn global() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(Schema::from_tables)
    }

    /// A section by name; case-insensitive when no name matches exactly.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name).or_else(|| {
            let canonical = self.by_lower_name.get(&name.to_ascii_lowercase())?;
            self.sections.get(canonical)
        })
    }

    /// A section of the tables one edit away from `name` (a misspelling).
    pub fn section_one_edit_from(&self, name: &str) -> Option<&str> {
        if name.len() > crate::diagnostic::LONGEST_SUGGESTED_NAME {
            return None;
        }
        let lower = name.to_ascii_lowercase();
        self.sections
            .keys()
            .find(|known| strsim::levenshtein(&known.to_ascii_lowercase(), &lower) == 1)
            .map(String::as_str)
    }

    /// Section names that are groups of other sections (`system.webServer`, `system.webServer/security`).
    pub fn is_group(&self, path: &str) -> bool {
        self.groups.contains(path)
    }

    /// The tables of these sections (by full name).
    pub fn new(sections: BTreeMap<String, Section>) -> Schema {
        let mut by_lower_name = HashMap::default();
        let mut groups = HashSet::default();
        for name in sections.keys() {
            by_lower_name
                .entry(name.to_ascii_lowercase())
                .or_insert_with(|| name.clone());
            for (slash, _) in name.match_indices('/') {
                groups.insert(name[..slash].to_owned());
            }
        }
        Schema {
            sections,
            complete: false,
            by_lower_name,
            groups,
        }
    }

    /// The section a short name (`handlers`, `asp`) means, when exactly one matches.
    pub fn by_short_name(&self, short: &str) -> Option<&Section> {
        let mut found = self.sections.values().filter(|s| {
            s.name
                .rsplit('/')
                .next()
                .is_some_and(|last| last.eq_ignore_ascii_case(short))
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The built-in tables, which `build/iis_tables.rs` made into statics.
    fn from_tables() -> Schema {
        let mut sections = BTreeMap::new();
        for table in SECTIONS.iter().chain(DECLARED) {
            let description = match table.element {
                Some(element) => Description::Table(element, OnceLock::new()),
                None => Description::None,
            };
            sections.insert(
                table.name.to_owned(),
                Section {
                    name: table.name.to_owned(),
                    definition: table.definition,
                    override_default: table.override_default,
                    description,
                },
            );
        }
        Schema::new(sections)
    }
}

/// A `<section>` declaration's `allowDefinition` and `overrideModeDefault`,
/// with IIS's defaults (`Everywhere`, `Allow`) for absent or unknown values.
pub fn declaration(
    allow_definition: Option<&str>,
    override_mode_default: Option<&str>,
) -> (Definition, OverrideMode) {
    (
        allow_definition
            .and_then(Definition::parse)
            .unwrap_or(Definition::Everywhere),
        override_mode_default
            .and_then(OverrideMode::parse)
            .unwrap_or(OverrideMode::Allow),
    )
}

impl Definition {
    /// The value of an `allowDefinition` attribute (case-insensitive, as IIS reads it).
    pub fn parse(text: &str) -> Option<Definition> {
        [
            ("Everywhere", Definition::Everywhere),
            ("MachineOnly", Definition::MachineOnly),
            ("MachineToWebRoot", Definition::MachineToWebRoot),
            ("MachineToApplication", Definition::MachineToApplication),
            ("AppHostOnly", Definition::AppHostOnly),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(text))
        .map(|(_, d)| d)
    }
}

impl OverrideMode {
    /// The value of `overrideModeDefault` / `overrideMode` (`Inherit` is `None`).
    pub fn parse(text: &str) -> Option<OverrideMode> {
        if text.eq_ignore_ascii_case("Allow") {
            Some(OverrideMode::Allow)
        } else if text.eq_ignore_ascii_case("Deny") {
            Some(OverrideMode::Deny)
        } else {
            None
        }
    }
}

/// A section of the built-in tables (`schemas/iis/sections/*.toml`, as
/// `build/iis_tables.rs` writes them): `element` is `None` for a section
/// that is declared only.
#[derive(Debug)]
struct TableSection {
    name: &'static str,
    definition: Definition,
    override_default: OverrideMode,
    element: Option<&'static TableElement>,
}

/// An element of the built-in tables: attribute specs as written
/// (`"uint 1..65535 required"`), child elements, collection.
#[derive(Debug)]
struct TableElement {
    attrs: &'static [(&'static str, &'static str)],
    elements: &'static [(&'static str, TableElement)],
    collection: Option<&'static TableCollection>,
    unchecked: &'static [&'static str],
}

#[derive(Debug)]
struct TableCollection {
    add: &'static str,
    remove: Option<&'static str>,
    clear: Option<&'static str>,
    defaults: Option<&'static str>,
    duplicates: bool,
    any_attributes: bool,
    item: TableElement,
}

include!(concat!(env!("OUT_DIR"), "/iis_tables.rs"));

fn build_element(spec: &TableElement) -> Result<Element, String> {
    let mut element = Element {
        unchecked: spec.unchecked.iter().map(|&name| name.to_owned()).collect(),
        ..Element::default()
    };
    for &(name, text) in spec.attrs {
        element.attributes.insert(
            name.to_owned(),
            parse_attribute(text).map_err(|e| format!("attribute {name}: {e}"))?,
        );
    }
    for (name, child) in spec.elements {
        element.elements.insert(
            (*name).to_owned(),
            build_element(child).map_err(|e| format!("{name}: {e}"))?,
        );
    }
    if let Some(c) = spec.collection {
        let mut item = build_element(&c.item).map_err(|e| format!("{}: {e}", c.add))?;
        item.any_attributes = c.any_attributes;
        if let Some(defaults) = c.defaults {
            let mut relaxed = item.clone();
            for a in relaxed.attributes.values_mut() {
                a.required = false;
            }
            relaxed.collection = None;
            element.elements.insert(defaults.to_owned(), relaxed);
        }
        element.collection = Some(Box::new(Collection {
            add: c.add.to_owned(),
            more_adds: Vec::new(),
            allow_duplicates: c.duplicates,
            remove: c.remove.map(str::to_owned),
            clear: c.clear.map(str::to_owned),
            defaults: c.defaults.map(str::to_owned),
            keys: if c.duplicates {
                Keys::default()
            } else {
                Keys::of(&item)
            },
            item,
        }));
    }
    Ok(element)
}

/// Parses one attribute spec string (the format is in `schemas/iis/README.md`).
fn parse_attribute(text: &str) -> Result<Attribute, String> {
    let mut words = text.split_whitespace();
    let type_word = words.next().ok_or("empty spec")?;
    let names = |list: &str| list.split('|').map(str::to_owned).collect::<Vec<_>>();
    let value_type = if let Some(scalar) = ValueType::scalar(type_word) {
        scalar
    } else if let Some(list) = type_word.strip_prefix("enum=") {
        ValueType::Enum(names(list))
    } else if let Some(list) = type_word.strip_prefix("flags=") {
        ValueType::Flags(names(list))
    } else {
        return Err(format!("unknown type `{type_word}`"));
    };
    let mut attribute = Attribute::of_type(value_type);
    for word in words {
        match word {
            "required" => attribute.required = true,
            "key" => attribute.key = true,
            "ckey" => attribute.combined_key = true,
            "cs" => attribute.case_sensitive = true,
            "nonempty" => attribute.non_empty = true,
            "trimmed" => attribute.trimmed = true,
            "pool-name" => attribute.name_rule = Some(NameRule::PoolName),
            "site-name" => attribute.name_rule = Some(NameRule::SiteName),
            "app-path" => attribute.name_rule = Some(NameRule::ApplicationPath),
            "vdir-path" => attribute.name_rule = Some(NameRule::VirtualDirectoryPath),
            "infinite" => attribute.infinite = true,
            "seconds" => attribute.time_format = TimeFormat::Seconds,
            "minutes" => attribute.time_format = TimeFormat::Minutes,
            w if w.contains("..") => {
                let (exclude, w) = match w.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, w),
                };
                let (range, granularity) = match w.split_once('/') {
                    Some((r, g)) => (r, Some(g.parse::<i64>().map_err(|e| e.to_string())?)),
                    None => (w, None),
                };
                let (lo, hi) = range.split_once("..").ok_or("bad range")?;
                attribute.range = Some((
                    lo.parse().map_err(|_| format!("bad range start `{lo}`"))?,
                    hi.parse().map_err(|_| format!("bad range end `{hi}`"))?,
                    exclude,
                ));
                attribute.granularity = granularity;
            }
            w => return Err(format!("unknown modifier `{w}`")),
        }
    }
    Ok(attribute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tables_parse_and_cover_the_sections_both_modes_use() {
        let schema = Schema::from_tables();
        // Every section described builds (they are built when first used).
        for (name, section) in &schema.sections {
            if let Description::Table(table, _) = &section.description {
                if let Err(e) = build_element(table) {
                    panic!("{name}: {e}");
                }
            }
        }
        for name in [
            "system.webServer/handlers",
            "system.webServer/isapiFilters",
            "system.webServer/security/isapiCgiRestriction",
            "system.webServer/httpProtocol",
            "system.webServer/staticContent",
            "system.webServer/security/requestFiltering",
            "system.webServer/defaultDocument",
            "system.webServer/directoryBrowse",
            "system.webServer/httpErrors",
            "system.webServer/rewrite/rules",
            "system.webServer/rewrite/outboundRules",
            "system.webServer/rewrite/allowedServerVariables",
            "system.webServer/proxy",
            "system.webServer/httpPlatform",
            "system.webServer/fastCgi",
            "system.applicationHost/applicationPools",
            "system.applicationHost/sites",
        ] {
            assert!(
                schema.sections[name].is_described(),
                "{name} is not described"
            );
            assert!(schema.sections[name].schema().is_some());
        }
        let pools = schema.sections["system.applicationHost/applicationPools"]
            .schema()
            .unwrap();
        let idle = &pools.collection.as_ref().unwrap().item.elements["processModel"].attributes
            ["idleTimeout"];
        assert_eq!(idle.granularity, Some(60));
        assert!(pools.elements.contains_key("applicationPoolDefaults"));
        assert!(schema.is_group("system.webServer/security"));
        assert_eq!(
            schema.by_short_name("handlers").unwrap().name,
            "system.webServer/handlers"
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(parse_attribute("float").is_err());
        assert!(parse_attribute("uint 1..x").is_err());
        assert!(parse_attribute("uint sometimes").is_err());
        let a = parse_attribute("uint !300..307").unwrap();
        assert_eq!(a.range, Some((300, 307, true)));
    }
}
