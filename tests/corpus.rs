//! A corpus generated from the built-in IIS tables: for every attribute of
//! every described section, a legal value (no finding), illegal values
//! (exactly the one finding, on its line), a misspelt name (OW304), a
//! required attribute left out (OW306); for every section, the section in
//! a web.config where IIS refuses it (OW309 / OW310). The documents are
//! applicationHost.config files that declare every section as the tables
//! do, so the declarations path is exercised too.

use omero_iis::check::{self, Input, Kind};
use omero_iis::iis::schema::{
    Attribute, Definition, Element, NameRule, OverrideMode, Schema, TimeFormat, ValueType,
};
use std::fmt::Write as _;

/// One step from a section's element to the element that holds an
/// attribute: a child element, or an item of the element's collection.
#[derive(Clone)]
enum Step {
    Element(String),
    Item,
}

/// `<configSections>` declaring every section of the tables.
fn config_sections(schema: &Schema) -> String {
    #[derive(Default)]
    struct Group {
        groups: std::collections::BTreeMap<String, Group>,
        sections: Vec<(String, Definition, OverrideMode)>,
    }
    let mut root = Group::default();
    for section in schema.sections.values() {
        let parts: Vec<&str> = section.name.split('/').collect();
        let mut group = &mut root;
        for part in &parts[..parts.len() - 1] {
            group = group.groups.entry(part.to_string()).or_default();
        }
        group.sections.push((
            parts[parts.len() - 1].to_owned(),
            section.definition,
            section.override_default,
        ));
    }
    fn write(out: &mut String, group: &Group) {
        for (name, definition, mode) in &group.sections {
            let _ = writeln!(
                out,
                "<section name=\"{name}\" allowDefinition=\"{definition:?}\" overrideModeDefault=\"{mode:?}\" />"
            );
        }
        for (name, child) in &group.groups {
            let _ = writeln!(out, "<sectionGroup name=\"{name}\">");
            write(out, child);
            out.push_str("</sectionGroup>\n");
        }
    }
    let mut out = String::from("<configSections>\n");
    write(&mut out, &root);
    out.push_str("</configSections>\n");
    out
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

fn timespan(seconds: i64) -> String {
    let (days, rest) = (seconds / 86400, seconds % 86400);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days}.{clock}")
    } else {
        clock
    }
}

fn type_max(t: &ValueType) -> i64 {
    match t {
        ValueType::Uint => u32::MAX as i64,
        ValueType::Int => i32::MAX as i64,
        _ => i64::MAX,
    }
}

/// A value IIS accepts for the attribute.
fn legal(a: &Attribute) -> String {
    let number = |fallback: i64| match a.range {
        Some((lo, _, false)) => lo,
        Some((_, hi, true)) if hi < type_max(&a.value_type) => hi + 1,
        Some((lo, _, true)) => lo - 1,
        None => fallback,
    };
    match &a.value_type {
        ValueType::Bool => "true".into(),
        ValueType::Uint | ValueType::Int | ValueType::Int64 => number(1).to_string(),
        ValueType::TimeSpan => {
            let g = a.granularity.unwrap_or(1);
            let mut seconds = number(60);
            if seconds % g != 0 {
                seconds += g - seconds % g;
            }
            match a.time_format {
                TimeFormat::Text => timespan(seconds),
                TimeFormat::Seconds => seconds.to_string(),
                TimeFormat::Minutes => (seconds / 60).to_string(),
            }
        }
        ValueType::Enum(names) | ValueType::Flags(names) => names[0].clone(),
        ValueType::String => match a.name_rule {
            Some(NameRule::PoolName) => "pool1".into(),
            Some(NameRule::SiteName) => "site1".into(),
            Some(NameRule::ApplicationPath) => "/app".into(),
            Some(NameRule::VirtualDirectoryPath) => "/".into(),
            None => "x".into(),
        },
    }
}

/// Values IIS refuses, with the code `check` must give.
fn illegal(a: &Attribute) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    match &a.value_type {
        ValueType::Bool => out.push(("maybe".into(), "OW305")),
        ValueType::Uint | ValueType::Int | ValueType::Int64 => {
            out.push(("one".into(), "OW305"));
            match a.range {
                Some((lo, hi, false)) => {
                    if hi < type_max(&a.value_type) {
                        out.push(((hi + 1).to_string(), "OW305"));
                    }
                    let min = if a.value_type == ValueType::Uint {
                        0
                    } else {
                        i64::MIN
                    };
                    if lo > min {
                        out.push(((lo - 1).to_string(), "OW305"));
                    }
                }
                Some((lo, _, true)) => out.push((lo.to_string(), "OW305")),
                None => {}
            }
        }
        ValueType::TimeSpan => {
            out.push(("soon".into(), "OW305"));
            if a.time_format == TimeFormat::Text {
                if let Some((_, hi, false)) = a.range {
                    out.push((timespan(hi + a.granularity.unwrap_or(1)), "OW305"));
                }
                if let (Some(g @ 2..), Some((lo, _, false))) = (a.granularity, a.range) {
                    out.push((timespan(lo + g + 1), "OW305"));
                }
            }
        }
        ValueType::Enum(_) => out.push(("NotAValue".into(), "OW305")),
        ValueType::Flags(_) => out.push(("NotAFlag".into(), "OW305")),
        ValueType::String => {
            if a.non_empty {
                out.push((String::new(), "OW305"));
            }
            if a.trimmed {
                out.push((" x".into(), "OW305"));
            }
            match a.name_rule {
                Some(NameRule::PoolName) => out.push(("a/b".into(), "OW311")),
                Some(NameRule::SiteName) => out.push(("a?b".into(), "OW311")),
                Some(NameRule::ApplicationPath | NameRule::VirtualDirectoryPath) => {
                    out.push(("noslash".into(), "OW311"))
                }
                None => {}
            }
        }
    }
    out
}

/// The element `steps` lead to.
fn element_at<'a>(section: &'a Element, steps: &[Step]) -> &'a Element {
    steps.iter().fold(section, |element, step| match step {
        Step::Element(name) => &element.elements[name.as_str()],
        Step::Item => &element.collection.as_ref().unwrap().item,
    })
}

/// Every (steps, attribute name) of a section.
fn attributes(element: &Element, steps: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, String)>) {
    for (name, _) in &element.attributes {
        out.push((steps.clone(), name.clone()));
    }
    for (name, child) in &element.elements {
        steps.push(Step::Element(name.clone()));
        attributes(child, steps, out);
        steps.pop();
    }
    if let Some(c) = &element.collection {
        steps.push(Step::Item);
        attributes(&c.item, steps, out);
        steps.pop();
    }
}

/// The section's XML down to `steps`, where `set` attributes are written
/// on the last element (each item on the way carries its required
/// attributes, except `omit` on the last). Returns the text and the line
/// of the last element.
fn section_xml(
    name: &str,
    section: &Element,
    steps: &[Step],
    set: &[(String, String)],
    omit: Option<&str>,
) -> (String, usize) {
    let parts: Vec<&str> = name.split('/').collect();
    let mut open = Vec::new();
    for part in &parts[..parts.len() - 1] {
        open.push(format!("<{part}>"));
    }
    let mut tags = vec![parts[parts.len() - 1].to_owned()];
    let mut element = section;
    let mut items = vec![false];
    for step in steps {
        match step {
            Step::Element(child) => {
                tags.push(child.clone());
                element = &element.elements[child.as_str()];
                items.push(false);
            }
            Step::Item => {
                let c = element.collection.as_ref().unwrap();
                tags.push(c.add.clone());
                element = &c.item;
                items.push(true);
            }
        }
    }
    let mut text = open.join("\n");
    text.push('\n');
    let mut element = section;
    let mut line = 0;
    for (depth, tag) in tags.iter().enumerate() {
        if depth > 0 {
            element = element_at(element, &steps[depth - 1..depth]);
        }
        let last = depth == tags.len() - 1;
        let mut attrs: Vec<(String, String)> = Vec::new();
        if items[depth] {
            for (n, a) in &element.attributes {
                if a.required && !(last && omit == Some(n.as_str())) {
                    attrs.push((n.clone(), legal(a)));
                }
            }
        }
        if last {
            for (n, v) in set {
                attrs.retain(|(k, _)| k != n);
                attrs.push((n.clone(), v.clone()));
            }
            line = text.matches('\n').count() + 1;
        }
        let _ = write!(text, "<{tag}");
        for (n, v) in attrs {
            let _ = write!(text, " {n}=\"{}\"", xml(&v));
        }
        text.push_str(">\n");
    }
    for tag in tags.iter().rev() {
        let _ = writeln!(text, "</{tag}>");
    }
    for part in parts[..parts.len() - 1].iter().rev() {
        let _ = writeln!(text, "</{part}>");
    }
    (text, line)
}

struct Case {
    what: String,
    kind: Kind,
    text: String,
    expect: Option<(&'static str, usize)>,
}

/// `body` as a whole applicationHost.config; the lines it adds before it.
fn apphost(declarations: &str, body: &str) -> (String, usize) {
    let head = format!("<configuration>\n{declarations}");
    (
        format!("{head}{body}</configuration>\n"),
        head.matches('\n').count(),
    )
}

fn cases(schema: &Schema) -> Vec<Case> {
    let declarations = config_sections(schema);
    let mut out = Vec::new();
    for section in schema.sections.values() {
        let Some(root) = section.schema() else {
            continue;
        };
        let mut found = Vec::new();
        attributes(root, &mut Vec::new(), &mut found);
        for (steps, name) in &found {
            let element = element_at(root, steps);
            let attribute = &element.attributes[name.as_str()];
            let at = |what: String,
                      set: Vec<(String, String)>,
                      omit: Option<&str>,
                      code: Option<&'static str>| {
                let (body, line) = section_xml(&section.name, root, steps, &set, omit);
                let (text, offset) = apphost(&declarations, &body);
                Case {
                    what: format!("{} {what}", section.name),
                    kind: Kind::AppHost,
                    text,
                    expect: code.map(|c| (c, line + offset)),
                }
            };
            out.push(at(
                format!("@{name} legal"),
                vec![(name.clone(), legal(attribute))],
                None,
                None,
            ));
            for (value, code) in illegal(attribute) {
                out.push(at(
                    format!("@{name}=\"{value}\""),
                    vec![(name.clone(), value)],
                    None,
                    Some(code),
                ));
            }
            if !element.any_attributes {
                out.push(at(
                    format!("@{name}Typo"),
                    vec![(format!("{name}Typo"), legal(attribute))],
                    None,
                    Some("OW304"),
                ));
            }
            let is_item = matches!(steps.last(), Some(Step::Item));
            if is_item && attribute.required {
                out.push(at(
                    format!("without @{name}"),
                    vec![],
                    Some(name),
                    Some("OW306"),
                ));
            }
        }
        // The section where IIS refuses it: AppHostOnly sections in a
        // web.config, sections locked by default in a web.config.
        let (body, line) = section_xml(&section.name, root, &[], &[], None);
        let expect = match (section.definition, section.override_default) {
            (
                Definition::AppHostOnly | Definition::MachineOnly | Definition::MachineToWebRoot,
                _,
            ) => Some("OW309"),
            (_, OverrideMode::Deny) => Some("OW310"),
            _ => None,
        };
        out.push(Case {
            what: format!("{} in a web.config", section.name),
            kind: Kind::WebConfig,
            text: format!("<configuration>\n{body}</configuration>\n"),
            expect: expect.map(|c| (c, line + 1)),
        });
    }
    out
}

#[test]
fn every_attribute_of_the_tables_is_checked_as_iis_would() {
    let schema = Schema::global();
    let cases = cases(schema);
    let mut failures = Vec::new();
    for case in &cases {
        let input = Input::new(
            "corpus".into(),
            "corpus",
            case.text.as_bytes(),
            Some(case.kind),
        )
        .unwrap();
        let report = check::check(&[input], None, schema).unwrap();
        let found: Vec<(String, usize)> = report
            .diagnostics
            .iter()
            .map(|d| {
                let line = d
                    .span
                    .as_ref()
                    .map_or(0, |s| s.file.position(s.range.start).line);
                (d.code.id().to_owned(), line)
            })
            .collect();
        let expected: Vec<(String, usize)> = case
            .expect
            .iter()
            .map(|(c, l)| (c.to_string(), *l))
            .collect();
        if found != expected {
            failures.push(format!(
                "{}: expected {expected:?}, found {found:?}",
                case.what
            ));
        }
    }
    assert!(cases.len() > 1000, "only {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
