//! appcmd.exe run against the simulated server: the objects and verbs that
//! provisioning scripts use, each with the exit code real appcmd returns
//! (as seen in public issue threads: microsoft/IIS.ServiceMonitor#4 and #40,
//! sous-chefs/iis#155 and #307, microsoft/PTVS#1597, microsoft/azure-pipelines-tasks#17728). The command line is parsed by the same parser
//! `omero-iis check` uses (`crate::iis::appcmd`).

mod verbs;

use std::sync::Arc;

pub use super::operations::{exit, Change, Outcome};
use super::operations::{Failure, Operations};
use crate::diagnostic::{Code, Severity};
use crate::iis::appcmd::{self as parser, Invocation};
use crate::iis::schema::Schema;
use crate::review::server::Server;
use crate::source::SourceFile;

/// Runs `appcmd` with `command_line` (the text after the program, as the
/// program receives it) against `server`.
pub fn run(server: &mut Server, command_line: &str) -> Outcome {
    let file = SourceFile::new("appcmd", command_line);
    let args = parser::split_arguments(command_line, 0, false);
    let Some(invocation) = Invocation::parse(&args) else {
        // No arguments: appcmd prints its help.
        return Outcome {
            output: "(appcmd help)".to_owned(),
            ..Outcome::default()
        };
    };
    if let Some(failure) = refused(&invocation, &file, server.schema) {
        return Outcome::failed(failure.0, failure.1);
    }
    let mut ops = Operations::new(server);
    let result = verbs::run(&mut ops, &invocation);
    ops.finish(result)
}

/// Runs `appcmd` with what the command before it in a pipe printed: with
/// `/in`, appcmd reads the objects from that XML (`appcmd list site /xml |
/// appcmd set site /in -serverAutoStart:false`, "Getting Started with
/// AppCmd.exe", learn.microsoft.com) and runs the verb on each in turn.
pub fn run_with_input(server: &mut Server, command_line: &str, input: Option<&str>) -> Outcome {
    let args = parser::split_arguments(command_line, 0, false);
    let is_in = |a: &parser::Argument| {
        a.text.eq_ignore_ascii_case("/in") || a.text.eq_ignore_ascii_case("-in")
    };
    let (Some(input), true) = (input, args.iter().any(is_in)) else {
        return run(server, command_line);
    };
    let (Some(verb), Some(object)) = (args.first(), args.get(1)) else {
        return run(server, command_line);
    };
    let kind = object
        .text
        .trim_end_matches(['s', 'S'])
        .to_ascii_uppercase();
    let rest: Vec<String> = args[2..]
        .iter()
        .filter(|a| !is_in(a))
        .map(|a| quoted(&a.text))
        .collect();
    let mut merged = Outcome::default();
    for id in listed_names(input, &kind) {
        let line = format!(
            "{} {} {} {}",
            verb.text,
            object.text,
            quoted(&id),
            rest.join(" ")
        );
        let outcome = run(server, &line);
        if !outcome.output.is_empty() {
            if !merged.output.is_empty() {
                merged.output.push('\n');
            }
            merged.output.push_str(&outcome.output);
        }
        merged.changes.extend(outcome.changes);
        merged.assumptions.extend(outcome.assumptions);
        if outcome.code != 0 {
            merged.code = outcome.code;
            break;
        }
    }
    merged
}

/// The `KIND.NAME` values of appcmd's `/xml` listing, unescaped.
fn listed_names(xml: &str, kind: &str) -> Vec<String> {
    let marker = format!("<{kind} {kind}.NAME=\"");
    let mut names = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(&marker) {
        rest = &rest[at + marker.len()..];
        let Some(end) = rest.find('"') else {
            break;
        };
        names.push(
            rest[..end]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
        rest = &rest[end..];
    }
    names
}

/// An argument as a command line carries it to appcmd (the C runtime's rules).
fn quoted(text: &str) -> String {
    if text.contains([' ', '\t']) && !text.contains('"') {
        format!("\"{text}\"")
    } else {
        text.to_owned()
    }
}

/// The checker's findings that appcmd itself refuses, with its exit code.
fn refused(invocation: &Invocation, file: &Arc<SourceFile>, schema: &Schema) -> Option<Failure> {
    // XML 1.0 cannot hold control characters: IIS cannot store such a value.
    if let Some(c) = file.text.chars().find(|c| c.is_control() && *c != '\t') {
        return Some((
            exit::INVALID_DATA,
            format!("the command holds the control character U+{:04X}, which a configuration file cannot store", c as u32),
        ));
    }
    let findings = parser::check(invocation, file, schema);
    let first = findings.iter().find(|d| {
        d.severity == Severity::Error && !matches!(d.code, Code::UnknownSection | Code::NotChecked)
    })?;
    let code = match first.code {
        Code::AppcmdMalformedIndexer | Code::InvalidValue | Code::InvalidName => exit::INVALID_DATA,
        _ => exit::INVALID_PARAMETER,
    };
    Some((code, first.message.clone()))
}
