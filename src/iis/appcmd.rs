//! The appcmd.exe command language: splitting a command line the way appcmd
//! (a Microsoft C runtime program) receives it, parsing verbs, objects and
//! `/parameter:value` arguments with their collection indexers, and checking
//! them against the IIS tables ("Getting Started with AppCmd.exe" on
//! learn.microsoft.com; arguments split as learn.microsoft.com/cpp/c-language/parsing-c-command-line-arguments says).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use super::schema::{Element, Schema};
use super::values;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};

const APPCMD_TOML: &str = include_str!("../../schemas/iis/appcmd.toml");

/// One argument as the program sees it, with where its text lies in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argument {
    pub text: String,
    pub range: Range<usize>,
}

/// Splits a command line into arguments with the C runtime's rules
/// (learn.microsoft.com, "Parsing C command-line arguments"): blanks separate,
/// `"` toggles quoting, `""` inside quotes is a quote, 2n backslashes before a
/// quote give n backslashes, 2n+1 give n and a literal quote.
///
/// With `batch`, cmd.exe's own phases for a batch file come first: `%%` is one
/// `%`, and outside quotes `^` escapes the next character.
pub fn split_arguments(line: &str, offset: usize, batch: bool) -> Vec<Argument> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(line.len(), |c| c.0);
    let mut args = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && matches!(chars[i].1, ' ' | '\t') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let start = i;
        let mut text = String::new();
        let mut quoted = false;
        while i < chars.len() && (quoted || !matches!(chars[i].1, ' ' | '\t')) {
            let c = chars[i].1;
            if batch && c == '%' && chars.get(i + 1).is_some_and(|n| n.1 == '%') {
                text.push('%');
                i += 2;
                continue;
            }
            if batch && !quoted && c == '^' && i + 1 < chars.len() {
                text.push(chars[i + 1].1);
                i += 2;
                continue;
            }
            if c == '\\' {
                let run = i;
                while i < chars.len() && chars[i].1 == '\\' {
                    i += 1;
                }
                let n = i - run;
                if i < chars.len() && chars[i].1 == '"' {
                    text.push_str(&"\\".repeat(n / 2));
                    if n % 2 == 1 {
                        text.push('"');
                        i += 1;
                    }
                } else {
                    text.push_str(&"\\".repeat(n));
                }
                continue;
            }
            if c == '"' {
                if quoted && chars.get(i + 1).is_some_and(|n| n.1 == '"') {
                    text.push('"');
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                i += 1;
                continue;
            }
            text.push(c);
            i += 1;
        }
        args.push(Argument {
            text,
            range: offset + end_of(start)..offset + end_of(i),
        });
    }
    args
}

/// What a `/parameter` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `/name:value`
    Set,
    /// `/+[...]`
    Add,
    /// `/-[...]`
    Remove,
}

/// One step of an attribute path: `processModel`, `[name='x']`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Name(String),
    Indexer {
        position: Option<String>,
        pairs: Vec<(String, String)>,
    },
}

/// A parsed `/parameter`.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub argument: Argument,
    pub operation: Operation,
    /// The text between the prefix and `:` (`processModel.idleTimeout`, `[path='x']`).
    pub path: String,
    pub value: Option<String>,
}

/// A parsed appcmd invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub verb: Argument,
    pub object: Option<Argument>,
    pub identifier: Option<Argument>,
    pub parameters: Vec<Parameter>,
    /// Bare arguments after the identifier or after a parameter (the rest of a
    /// value split at a space): appcmd refuses them.
    pub extra: Vec<Argument>,
}

impl Invocation {
    /// Parses the arguments after the program name.
    pub fn parse(args: &[Argument]) -> Option<Invocation> {
        let (verb, rest) = args.split_first()?;
        let mut invocation = Invocation {
            verb: verb.clone(),
            object: None,
            identifier: None,
            parameters: Vec::new(),
            extra: Vec::new(),
        };
        for arg in rest {
            if let Some(p) = parse_parameter(arg) {
                invocation.parameters.push(p);
            } else if invocation.object.is_none() {
                invocation.object = Some(arg.clone());
            } else if invocation.identifier.is_none() && invocation.parameters.is_empty() {
                invocation.identifier = Some(arg.clone());
            } else {
                invocation.extra.push(arg.clone());
            }
        }
        Some(invocation)
    }

    /// The value of a parameter by name (`section`, `commit`).
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.operation == Operation::Set && p.path.eq_ignore_ascii_case(name))
    }
}

fn parse_parameter(arg: &Argument) -> Option<Parameter> {
    let body = arg.text.strip_prefix('/').or_else(|| {
        // `-section:` works like `/section:`; a bare `-` is `/in`.
        arg.text.strip_prefix('-').filter(|b| {
            b.is_empty() || b.starts_with(|c: char| c.is_ascii_alphabetic() || c == '[' || c == '?')
        })
    })?;
    let (operation, body) = match body.chars().next() {
        Some('+') => (Operation::Add, &body[1..]),
        Some('-') => (Operation::Remove, &body[1..]),
        Some('!') => (Operation::Set, &body[1..]),
        _ => (Operation::Set, body),
    };
    let (path, value) = match split_path_value(body) {
        Some(at) => (&body[..at], Some(body[at + 1..].to_owned())),
        None => (body, None),
    };
    Some(Parameter {
        argument: arg.clone(),
        operation,
        path: path.to_owned(),
        value,
    })
}

/// The index of the `:` that ends the path (outside `[...]` and `'...'`).
fn split_path_value(body: &str) -> Option<usize> {
    let mut depth = 0;
    let mut quoted = false;
    for (i, c) in body.char_indices() {
        match c {
            '\'' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth -= 1,
            ':' if !quoted && depth <= 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Parses `a.b.[k='v',k2='v2'].c`. Errors give the byte offset in `path` and why.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, (usize, String)> {
    let bytes = path.as_bytes();
    let mut segments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            let (segment, next) = parse_indexer(path, i)?;
            segments.push(segment);
            i = next;
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b'.' && bytes[i] != b'[' {
                if matches!(bytes[i], b']' | b'\'' | b',' | b'=') {
                    return Err((i, format!("unexpected `{}`", bytes[i] as char)));
                }
                i += 1;
            }
            if start == i {
                return Err((i, "empty name".to_owned()));
            }
            segments.push(Segment::Name(path[start..i].to_owned()));
        }
        if i < bytes.len() {
            if bytes[i] == b'.' {
                i += 1;
                if i == bytes.len() {
                    return Err((i, "the path ends with `.`".to_owned()));
                }
            } else if bytes[i] != b'[' {
                return Err((i, format!("expected `.` before `{}`", bytes[i] as char)));
            }
        }
    }
    Ok(segments)
}

const INDEXER_FORMAT: &str =
    "appcmd expects [@position,name='value',name2='value2',...] with @start, @end or @N optional";

fn parse_indexer(path: &str, open: usize) -> Result<(Segment, usize), (usize, String)> {
    let chars: Vec<(usize, char)> = path[open + 1..]
        .char_indices()
        .map(|(i, c)| (open + 1 + i, c))
        .collect();
    let mut k = 0;
    let mut position = None;
    let mut pairs = Vec::new();
    let at = |k: usize| chars.get(k).map_or(path.len(), |c| c.0);
    loop {
        while chars.get(k).is_some_and(|c| c.1 == ' ') {
            k += 1;
        }
        let Some(&(start, c)) = chars.get(k) else {
            return Err((
                path.len(),
                format!("the indexer is not closed with `]`; {INDEXER_FORMAT}"),
            ));
        };
        if c == ']' && pairs.is_empty() && position.is_none() {
            return Err((start, format!("empty indexer; {INDEXER_FORMAT}")));
        }
        if c == '@' && pairs.is_empty() && position.is_none() {
            let s = k;
            while chars.get(k).is_some_and(|c| c.1 != ',' && c.1 != ']') {
                k += 1;
            }
            let word: String = chars[s + 1..k].iter().map(|c| c.1).collect();
            if !(word == "start" || word == "end" || word.parse::<u32>().is_ok()) {
                return Err((
                    start,
                    format!("`@{word}` is not a position; {INDEXER_FORMAT}"),
                ));
            }
            position = Some(word);
        } else {
            let s = k;
            while chars
                .get(k)
                .is_some_and(|c| c.1.is_ascii_alphanumeric() || c.1 == '_' || c.1 == '.')
            {
                k += 1;
            }
            let name: String = chars[s..k].iter().map(|c| c.1).collect();
            if name.is_empty() {
                return Err((
                    at(k),
                    format!("expected an attribute name; {INDEXER_FORMAT}"),
                ));
            }
            if chars.get(k).map(|c| c.1) != Some('=') {
                return Err((
                    at(k),
                    format!("expected `=` after `{name}`; {INDEXER_FORMAT}"),
                ));
            }
            k += 1;
            if chars.get(k).map(|c| c.1) != Some('\'') {
                return Err((
                    at(k),
                    format!("the value of `{name}` must be in single quotes; {INDEXER_FORMAT}"),
                ));
            }
            k += 1;
            let mut value = String::new();
            loop {
                match chars.get(k).map(|c| c.1) {
                    None => {
                        return Err((
                            path.len(),
                            format!("the value of `{name}` has no closing `'`"),
                        ))
                    }
                    Some('\'') if chars.get(k + 1).is_some_and(|c| c.1 == '\'') => {
                        value.push('\'');
                        k += 2;
                    }
                    Some('\'') => {
                        k += 1;
                        break;
                    }
                    Some(c) => {
                        value.push(c);
                        k += 1;
                    }
                }
            }
            pairs.push((name, value));
        }
        while chars.get(k).is_some_and(|c| c.1 == ' ') {
            k += 1;
        }
        match chars.get(k).map(|c| c.1) {
            Some(',') => k += 1,
            Some(']') => {
                return Ok((Segment::Indexer { position, pairs }, at(k + 1)));
            }
            Some(c) => {
                return Err((
                    at(k),
                    format!(
                        "unexpected `{c}` (a `'` inside a value is written `''`); {INDEXER_FORMAT}"
                    ),
                ))
            }
            None => {
                return Err((
                    path.len(),
                    format!("the indexer is not closed with `]`; {INDEXER_FORMAT}"),
                ))
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppcmdTables {
    general: Vec<String>,
    objects: BTreeMap<String, ObjectSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectSpec {
    aliases: Vec<String>,
    verbs: Vec<String>,
    section: Option<String>,
    #[serde(default)]
    element: Vec<String>,
    #[serde(default)]
    extra: Vec<String>,
}

fn tables() -> &'static AppcmdTables {
    static TABLES: OnceLock<AppcmdTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        toml::from_str(APPCMD_TOML).expect("schemas/iis/appcmd.toml is valid (unit-tested)")
    })
}

/// Where `/commit:` may point (`appcmd /?`, general parameters).
const COMMIT_LEVELS: &[&str] = &[
    "apphost", "webroot", "machine", "site", "app", "parent", "url",
];

/// Checks one appcmd invocation against the tables.
pub fn check(invocation: &Invocation, file: &Arc<SourceFile>, schema: &Schema) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let span = |range: &Range<usize>| Span::new(file, range.clone());
    let tables = tables();
    let verb = invocation.verb.text.to_ascii_lowercase();
    if verb == "/?" || verb == "-?" || verb == "help" {
        return out;
    }
    let Some(object_arg) = &invocation.object else {
        out.push(
            Diagnostic::new(Code::AppcmdUnknownCommand, format!("`appcmd {}` names no object", invocation.verb.text))
                .at(Some(&span(&invocation.verb.range)))
                .help("appcmd commands are `appcmd VERB OBJECT [identifier] [/parameter:value ...]`, e.g. `appcmd list site`"),
        );
        return out;
    };
    let object_name = object_arg.text.to_ascii_lowercase();
    let Some((object_key, object)) = tables
        .objects
        .iter()
        .find(|(k, o)| **k == object_name || o.aliases.contains(&object_name))
    else {
        let known: Vec<&str> = tables.objects.keys().map(String::as_str).collect();
        out.push(
            Diagnostic::new(
                Code::AppcmdUnknownCommand,
                format!("appcmd has no object `{}`", object_arg.text),
            )
            .at(Some(&span(&object_arg.range)))
            .label("unknown object")
            .help(format!("objects: {}", known.join(", "))),
        );
        return out;
    };
    if !object.verbs.contains(&verb) {
        out.push(
            Diagnostic::new(
                Code::AppcmdUnknownCommand,
                format!(
                    "appcmd has no verb `{}` for `{object_key}`",
                    invocation.verb.text
                ),
            )
            .at(Some(&span(&invocation.verb.range)))
            .label("unknown verb")
            .help(format!(
                "verbs of {object_key}: {}",
                object.verbs.join(", ")
            )),
        );
        return out;
    }
    for extra in &invocation.extra {
        out.push(
            Diagnostic::new(
                Code::AppcmdQuoting,
                format!("appcmd receives `{}` as an extra argument", extra.text),
            )
            .at(Some(&span(&extra.range)))
            .label("extra argument")
            .help("a value with spaces was split here: put the whole value in double quotes, e.g. /name:\"My Site\"")
            .note("appcmd answers extra arguments with error 87 (invalid parameter)"),
        );
    }
    // The element whose attributes the parameters address.
    let mut section_name = object.section.clone();
    if object_key == "config" {
        match invocation.parameter("section") {
            Some(p) => {
                let name = p.value.clone().unwrap_or_default();
                match schema
                    .section(&name)
                    .or_else(|| schema.by_short_name(&name))
                {
                    Some(section) if section.is_described() => {
                        section_name = Some(section.name.clone())
                    }
                    Some(section) => {
                        out.push(
                            Diagnostic::new(
                                Code::NotChecked,
                                format!("section `{}` is not described by the IIS tables; its attributes were not checked", section.name),
                            )
                            .at(Some(&span(&p.argument.range))),
                        );
                    }
                    None if is_dotnet_section(schema, &name) => out.push(
                        Diagnostic::new(
                            Code::NotChecked,
                            format!("section `{name}` is a .NET configuration section (machine.config, system.web, ...), not in the IIS tables; its attributes were not checked"),
                        )
                        .at(Some(&span(&p.argument.range))),
                    ),
                    None => out.push(
                        Diagnostic::new(
                            Code::UnknownSection,
                            format!("IIS has no configuration section `{name}`"),
                        )
                        .at(Some(&span(&p.argument.range)))
                        .label("unknown section")
                        .help(closest_section(schema, &name)),
                    ),
                }
            }
            None if matches!(verb.as_str(), "set" | "lock" | "unlock" | "clear") => {
                out.push(
                    Diagnostic::new(
                        Code::AppcmdUnknownParameter,
                        format!("`appcmd {verb} config` needs -section:"),
                    )
                    .at(Some(&span(&invocation.verb.range)))
                    .help("name the section in full, e.g. -section:system.webServer/handlers"),
                );
            }
            None => {}
        }
    }
    let element = section_name.as_ref().and_then(|name| {
        let mut element = schema.section(name)?.schema()?;
        for step in &object.element {
            element = if step == "*" {
                &element.collection.as_ref()?.item
            } else {
                element.elements.get(step)?
            };
        }
        Some(element)
    });
    for p in &invocation.parameters {
        let lower = p.path.to_ascii_lowercase();
        if p.operation == Operation::Set && tables.general.contains(&lower) {
            if lower == "commit" {
                check_commit(p, &span(&p.argument.range), &mut out);
            }
            continue;
        }
        if p.operation == Operation::Set
            && object.extra.iter().any(|e| e.eq_ignore_ascii_case(&p.path))
        {
            continue;
        }
        // `list` and `search` filter on runtime properties too (`/state:Started`).
        if matches!(
            verb.as_str(),
            "list" | "search" | "delete" | "start" | "stop" | "recycle" | "restore"
        ) {
            continue;
        }
        if matches!(verb.as_str(), "lock" | "unlock") {
            continue;
        }
        let Some(element) = element else {
            if object.section.is_none() && object_key != "config" {
                // Objects without tables (module, backup ...): nothing more to check.
                continue;
            }
            if object_key == "config" {
                if let Err((at, message)) = parse_path(&p.path) {
                    out.push(indexer_problem(p, at, &message, file));
                }
                continue;
            }
            continue;
        };
        out.extend(check_parameter(p, element, file));
    }
    out
}

/// A section of .NET's configuration (machine.config and web.config's own:
/// `system.web/...`, `appSettings`, `machineSettings`, ...), which appcmd
/// edits too (`/commit:MACHINE`, `/commit:WEBROOT`): outside the IIS section
/// groups, and not a misspelling of an IIS section (one edit away).
pub fn is_dotnet_section(schema: &Schema, name: &str) -> bool {
    let group = name.split('/').next().unwrap_or("");
    let iis_group = [
        "system.webServer",
        "system.applicationHost",
        "system.ftpServer",
    ]
    .iter()
    .any(|g| g.eq_ignore_ascii_case(group));
    let near_short_name = schema.sections.keys().any(|known| {
        let last = known.rsplit('/').next().unwrap_or(known);
        strsim::levenshtein(&last.to_ascii_lowercase(), &name.to_ascii_lowercase()) <= 1
    });
    !iis_group && !near_short_name && schema.section_one_edit_from(name).is_none()
}

fn closest_section(schema: &Schema, name: &str) -> String {
    match crate::diagnostic::closest_name(name, schema.sections.keys().map(String::as_str), 0.8) {
        Some(k) => format!("did you mean -section:{k}?"),
        _ => "write the full section name, e.g. -section:system.webServer/handlers".to_owned(),
    }
}

fn check_commit(p: &Parameter, span: &Span, out: &mut Vec<Diagnostic>) {
    let value = p.value.clone().unwrap_or_default();
    let lower = value.to_ascii_lowercase();
    if COMMIT_LEVELS.contains(&lower.as_str()) || lower.starts_with("machine/") {
        return;
    }
    out.push(
        Diagnostic::new(Code::AppcmdUnknownParameter, format!("`/commit:{value}` is not a level appcmd knows"))
            .at(Some(span))
            .help("use /commit:apphost (applicationHost.config), site, app, webroot or machine, or a path such as MACHINE/WEBROOT/APPHOST"),
    );
}

fn indexer_problem(p: &Parameter, at: usize, message: &str, file: &Arc<SourceFile>) -> Diagnostic {
    // Point at the character in the source when the argument was written plainly.
    let raw = &file.text[p.argument.range.clone()];
    let span = match raw.find(&p.path) {
        Some(start) => {
            let s = p.argument.range.start + start + at.min(p.path.len());
            let e = (s + 1).min(p.argument.range.end).max(s);
            Span::new(file, s..e)
        }
        None => Span::new(file, p.argument.range.clone()),
    };
    Diagnostic::new(
        Code::AppcmdMalformedIndexer,
        format!("appcmd cannot parse `{}`: {message}", p.argument.text),
    )
    .at(Some(&span))
    .help("write collection items as /+\"[name='value',other='value']\"; double a ' inside a value")
    .note("appcmd answers this with error 13 (invalid data)")
}

/// Resolves a parameter's path in `element` and checks names and values.
fn check_parameter(p: &Parameter, element: &Element, file: &Arc<SourceFile>) -> Vec<Diagnostic> {
    let span = Span::new(file, p.argument.range.clone());
    let segments = match parse_path(&p.path) {
        Ok(s) => s,
        Err((at, message)) => return vec![indexer_problem(p, at, &message, file)],
    };
    let mut out = Vec::new();
    let mut current = element;
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Name(name) => {
                if i == last && p.operation == Operation::Set {
                    match find_attribute(current, name) {
                        Some(attribute) => {
                            let value = p.value.clone().unwrap_or_default();
                            if !value.contains('%') {
                                if let Err(problem) = values::check(attribute, &value) {
                                    let code = if attribute.name_rule.is_some()
                                        && !matches!(
                                            attribute.value_type,
                                            super::schema::ValueType::Bool
                                        ) {
                                        Code::InvalidName
                                    } else {
                                        Code::InvalidValue
                                    };
                                    out.push(
                                        Diagnostic::new(
                                            code,
                                            format!("`{}`: {}", p.path, problem.message),
                                        )
                                        .at(Some(&span))
                                        .help(problem.help),
                                    );
                                }
                            }
                        }
                        None if current
                            .unchecked
                            .iter()
                            .any(|u| u.eq_ignore_ascii_case(name)) =>
                        {
                            return out
                        }
                        None => out.push(unknown_name(p, name, current, &span)),
                    }
                    return out;
                }
                if current
                    .unchecked
                    .iter()
                    .any(|u| u.eq_ignore_ascii_case(name))
                {
                    return out;
                }
                match current
                    .elements
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                {
                    Some((_, child)) => current = child,
                    None => {
                        out.push(unknown_name(p, name, current, &span));
                        return out;
                    }
                }
            }
            Segment::Indexer { pairs, .. } => {
                let Some(collection) = &current.collection else {
                    out.push(
                        Diagnostic::new(
                            Code::AppcmdUnknownParameter,
                            format!("`{}`: this element has no collection to index", p.path),
                        )
                        .at(Some(&span))
                        .help(
                            "index only collections, e.g. /+\"customHeaders.[name='X',value='Y']\"",
                        ),
                    );
                    return out;
                };
                let item = &collection.item;
                for (name, value) in pairs {
                    match find_attribute(item, name) {
                        Some(attribute) if !value.contains('%') => {
                            if let Err(problem) = values::check(attribute, value) {
                                out.push(
                                    Diagnostic::new(
                                        Code::InvalidValue,
                                        format!("`{name}='{value}'`: {}", problem.message),
                                    )
                                    .at(Some(&span))
                                    .help(problem.help),
                                );
                            }
                        }
                        Some(_) => {}
                        None => out.push(unknown_name(p, name, item, &span)),
                    }
                }
                if i == last && p.operation == Operation::Add {
                    for (name, attribute) in &item.attributes {
                        if attribute.required
                            && !pairs.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
                        {
                            out.push(
                                Diagnostic::new(
                                    Code::MissingAttribute,
                                    format!(
                                        "`{}` adds a `{}` without the required `{name}`",
                                        p.path, collection.add
                                    ),
                                )
                                .at(Some(&span))
                                .help(format!("add {name}='...' inside the brackets")),
                            );
                        }
                    }
                }
                current = item;
            }
        }
    }
    if matches!(p.operation, Operation::Add | Operation::Remove)
        && !matches!(segments.last(), Some(Segment::Indexer { .. }))
    {
        out.push(
            Diagnostic::new(
                Code::AppcmdMalformedIndexer,
                format!(
                    "`{}` must end with a collection indexer [name='value']",
                    p.argument.text
                ),
            )
            .at(Some(&span))
            .help("e.g. /+\"[name='X',value='Y']\" or /-\"[name='X']\""),
        );
    }
    out
}

fn find_attribute<'a>(element: &'a Element, name: &str) -> Option<&'a super::schema::Attribute> {
    element
        .attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, a)| a)
}

fn unknown_name(p: &Parameter, name: &str, element: &Element, span: &Span) -> Diagnostic {
    let mut known: Vec<&str> = element.attributes.keys().map(String::as_str).collect();
    known.extend(element.elements.keys().map(String::as_str));
    let help = match crate::diagnostic::closest_name(name, known.iter().copied(), 0.8) {
        Some(k) => format!("did you mean `{k}`?"),
        _ => format!("known here: {}", known.join(", ")),
    };
    Diagnostic::new(
        Code::AppcmdUnknownParameter,
        format!("`{}`: `{name}` does not exist on this element", p.path),
    )
    .at(Some(span))
    .label("unknown attribute")
    .help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split_arguments(line, 0, true)
            .into_iter()
            .map(|a| a.text)
            .collect()
    }

    #[test]
    fn splits_like_the_c_runtime_after_cmd() {
        assert_eq!(
            texts(r#"set apppool "my pool" /x:"a b""#),
            ["set", "apppool", "my pool", "/x:a b"]
        );
        assert_eq!(
            texts(r#"/+"[path='C:\x\y.dll',allowed='True']""#),
            [r"/+[path='C:\x\y.dll',allowed='True']"]
        );
        assert_eq!(texts(r#"/p:"C:\dir\" /next"#), [r#"/p:C:\dir" /next"#]);
        assert_eq!(texts("/v:100%% a^&b"), ["/v:100%", "a&b"]);
        let args = split_arguments(r#"add  "x y""#, 10, false);
        assert_eq!(args[1].range, 15..20);
    }

    #[test]
    fn parses_paths_and_indexers() {
        assert_eq!(
            parse_path("processModel.idleTimeout").unwrap(),
            vec![
                Segment::Name("processModel".into()),
                Segment::Name("idleTimeout".into())
            ]
        );
        assert_eq!(
            parse_path("[name='O''Brien', value='x'].recycling").unwrap(),
            vec![
                Segment::Indexer {
                    position: None,
                    pairs: vec![
                        ("name".into(), "O'Brien".into()),
                        ("value".into(), "x".into())
                    ]
                },
                Segment::Name("recycling".into())
            ]
        );
        assert!(parse_path("[@start,name='x']").is_ok());
        assert!(parse_path("[name=SampleHandler',path='*']").is_err());
        assert!(parse_path("[name='it's']").is_err());
        assert!(parse_path("[name='x'").is_err());
        assert!(parse_path("a..b").is_err());
    }

    #[test]
    fn tables_parse() {
        let t: AppcmdTables = toml::from_str(APPCMD_TOML).unwrap();
        assert!(t.objects["apppool"].verbs.contains(&"recycle".to_owned()));
    }
}
