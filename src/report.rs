//! Findings for people (rustc-style text with a source snippet) and for
//! machines (JSON).

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::json;

use crate::diagnostic::{Diagnostic, Severity};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// One finding as terminal text: title with code, `-->` location, snippet
/// with a caret, notes, help.
pub fn text(diagnostic: &Diagnostic, color: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.id());
    let mut group = Group::with_title(title);
    match &diagnostic.span {
        Some(span) => {
            let mut annotation = AnnotationKind::Primary.span(span.range.clone());
            if let Some(label) = &diagnostic.label {
                annotation = annotation.label(label.as_str());
            }
            group = group.element(
                Snippet::source(span.file.text.as_str())
                    .path(span.file.name.as_str())
                    .fold(true)
                    .annotation(annotation),
            );
        }
        None => {
            let mut what = format!("in {}", diagnostic.location());
            if let Some(label) = &diagnostic.label {
                what.push_str(&format!(": {label}"));
            }
            group = group.element(Level::NOTE.message(what));
        }
    }
    for note in &diagnostic.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group])
}

/// All findings, then a one-line tally.
pub fn text_report(diagnostics: &[Diagnostic], checked: &str, color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&text(d, color));
        out.push_str("\n\n");
    }
    let (errors, warnings) = tally(diagnostics);
    out.push_str(&format!(
        "{checked}: {}, {}\n",
        plural(errors, "error"),
        plural(warnings, "warning")
    ));
    if !diagnostics.is_empty() {
        out.push_str("run `omero-iis explain CODE` for what a rule checks and why\n");
    }
    out
}

pub fn tally(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Findings as a JSON document (stable field names; positions 1-based).
pub fn json_report(diagnostics: &[Diagnostic], checked: &str) -> serde_json::Value {
    let (errors, warnings) = tally(diagnostics);
    json!({
        "diagnostics": diagnostics.iter().map(json_diagnostic).collect::<Vec<_>>(),
        "summary": { "checked": checked, "errors": errors, "warnings": warnings },
    })
}

fn json_diagnostic(d: &Diagnostic) -> serde_json::Value {
    let location = d.span.as_ref().map(|span| {
        let start = span.file.position(span.range.start);
        let end = span.file.position(span.range.end);
        json!({
            "file": span.file.name,
            "line": start.line,
            "column": start.column,
            "end_line": end.line,
            "end_column": end.column,
        })
    });
    json!({
        "code": d.code.id(),
        "rule": d.code.slug(),
        "severity": d.severity,
        "message": d.message,
        "location": location,
        "subject": d.subject,
        "label": d.label,
        "help": d.help,
        "notes": d.notes,
    })
}
