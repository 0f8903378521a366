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
    /// SARIF 2.1.0 (GitHub code scanning, other SARIF viewers).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`).
    Github,
}

/// All findings in the chosen format, ready to print.
pub fn render(format: Format, diagnostics: &[Diagnostic], checked: &str, color: bool) -> String {
    let mut out = Vec::new();
    write(format, diagnostics, checked, color, &mut out).expect("a Vec takes every write");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// [`render`], written as it is made: a report of many findings is never
/// held whole in memory (300,000 findings were 150 MB of JSON text).
pub fn write(
    format: Format,
    diagnostics: &[Diagnostic],
    checked: &str,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => write_text_report(diagnostics, checked, color, out),
        Format::Json => write_json(diagnostics, checked, out),
        Format::Sarif => writeln!(out, "{:#}", sarif_report(diagnostics)),
        Format::Github => out.write_all(github_report(diagnostics).as_bytes()),
    }
}

/// One finding as terminal text: title with code, `-->` location, snippet
/// with a caret, notes, help.
pub fn text(diagnostic: &Diagnostic, color: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.id());
    // A streamed file is not in memory: only the lines around the span are
    // read back.
    let excerpt = diagnostic
        .span
        .as_ref()
        .map(|span| span.file.excerpt(span.range.clone()));
    let mut group = Group::with_title(title);
    let mut column_fix = None;
    match (&diagnostic.span, &excerpt) {
        (Some(span), Some(excerpt)) => {
            let range = char_aligned(&excerpt.text, excerpt.range.clone());
            let range_start = range.start;
            let mut annotation = AnnotationKind::Primary.span(range);
            if let Some(label) = &diagnostic.label {
                annotation = annotation.label(label.as_str());
            }
            group = group.element(
                Snippet::source(excerpt.text.as_ref())
                    .line_start(excerpt.first_line)
                    .path(span.file.name.as_str())
                    .fold(true)
                    .annotation(annotation),
            );
            // A long line is shown from the middle: the renderer counts the
            // column within the excerpt, the file's column is another.
            let shown_column = excerpt.text[..range_start].chars().count() + 1;
            if shown_column != excerpt.start.column {
                column_fix = Some((
                    format!("{}:{}:{shown_column}", span.file.name, excerpt.start.line),
                    format!(
                        "{}:{}:{}",
                        span.file.name, excerpt.start.line, excerpt.start.column
                    ),
                ));
            }
        }
        _ => {
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
    let text = renderer.render(&[group]);
    match column_fix {
        // Only in the `-->` line: the message may quote a `file:line:col` too.
        Some((shown, real)) => text
            .split_inclusive('\n')
            .map(|line| {
                if line.trim_start().starts_with("-->") {
                    line.replacen(&shown, &real, 1)
                } else {
                    line.to_owned()
                }
            })
            .collect(),
        None => text,
    }
}

/// `range` widened to the character boundaries of `text` and kept inside
/// it: a reader may point into the middle of a character (a byte that is
/// not UTF-8, a UTF-16 unit), and the snippet renderer slices `text` there.
fn char_aligned(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// All findings, then a one-line tally.
pub fn text_report(diagnostics: &[Diagnostic], checked: &str, color: bool) -> String {
    let mut out = Vec::new();
    write_text_report(diagnostics, checked, color, &mut out).expect("a Vec takes every write");
    String::from_utf8(out).expect("reports are UTF-8")
}

fn write_text_report(
    diagnostics: &[Diagnostic],
    checked: &str,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for d in diagnostics {
        out.write_all(text(d, color).as_bytes())?;
        out.write_all(b"\n\n")?;
    }
    out.write_all(tally_line(diagnostics, checked).as_bytes())
}

/// The last lines of a text report: what was checked, how many errors,
/// warnings and notes, and where to read more.
pub fn tally_line(diagnostics: &[Diagnostic], checked: &str) -> String {
    let (errors, warnings) = tally(diagnostics);
    let notes = diagnostics.len() - errors - warnings;
    let notes = if notes > 0 {
        format!(", {}", plural(notes, "note"))
    } else {
        String::new()
    };
    let mut line = format!(
        "{checked}: {}, {}{notes}\n",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if !diagnostics.is_empty() {
        line.push_str("run `omero-iis explain CODE` for what a rule checks and why\n");
    }
    line
}

/// (errors, warnings); notes are neither.
pub fn tally(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let count = |severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    (count(Severity::Error), count(Severity::Warning))
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        // property → properties (not after a vowel: day → days).
        (_, Some(stem)) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}

/// Findings as a JSON document (stable field names; positions 1-based).
pub fn json_report(diagnostics: &[Diagnostic], checked: &str) -> serde_json::Value {
    json!({
        "diagnostics": diagnostics.iter().map(json_diagnostic).collect::<Vec<_>>(),
        "summary": summary(diagnostics, checked),
    })
}

/// [`json_report`] as pretty-printed text, each finding turned into JSON
/// only as it is written (a tree of every finding first would take several
/// kilobytes per finding).
fn write_json(
    diagnostics: &[Diagnostic],
    checked: &str,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    struct Findings<'a>(&'a [Diagnostic]);
    impl serde::Serialize for Findings<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(json_diagnostic))
        }
    }
    struct Report<'a> {
        diagnostics: Findings<'a>,
        summary: serde_json::Value,
    }
    impl serde::Serialize for Report<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            // In the order of `json_report`'s keys (sorted).
            let mut map = s.serialize_map(Some(2))?;
            map.serialize_entry("diagnostics", &self.diagnostics)?;
            map.serialize_entry("summary", &self.summary)?;
            map.end()
        }
    }
    let report = Report {
        diagnostics: Findings(diagnostics),
        summary: summary(diagnostics, checked),
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// The JSON summary: what was checked and the tally, as numbers.
pub fn summary(diagnostics: &[Diagnostic], checked: &str) -> serde_json::Value {
    let (errors, warnings) = tally(diagnostics);
    let notes = diagnostics.len() - errors - warnings;
    json!({ "checked": checked, "errors": errors, "warnings": warnings, "notes": notes })
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

/// Findings as a SARIF 2.1.0 log with one run; every rule code is listed in
/// the tool's rules so viewers can show its title and help page.
pub fn sarif_report(diagnostics: &[Diagnostic]) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = crate::diagnostic::Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.id(),
                "name": code.slug(),
                "shortDescription": { "text": code.title() },
                "fullDescription": { "text": crate::rules::page(*code) },
                "defaultConfiguration": { "level": sarif_level(code.severity()) },
                "helpUri": help_uri(*code),
            })
        })
        .collect();
    // Inputs that are not files (a `--set` argument, a `CONFIG_*` variable,
    // standard input) are artifacts of the run with their text embedded: a
    // viewer shows them, and none goes looking for a file called `--set`.
    let mut embedded: Vec<&std::sync::Arc<crate::source::SourceFile>> = Vec::new();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str(&format!("\nhelp: {help}"));
            }
            let mut result = json!({
                "ruleId": d.code.id(),
                "ruleIndex": crate::diagnostic::Code::ALL.iter().position(|c| *c == d.code),
                "level": sarif_level(d.severity),
                "message": { "text": text },
            });
            if let Some(span) = &d.span {
                let start = span.file.position(span.range.start);
                let end = span.file.position(span.range.end);
                let artifact = if is_file_name(&span.file.name) {
                    json!({ "uri": sarif_uri(&span.file.name) })
                } else {
                    let index = embedded
                        .iter()
                        .position(|f| std::sync::Arc::ptr_eq(f, &span.file))
                        .unwrap_or_else(|| {
                            embedded.push(&span.file);
                            embedded.len() - 1
                        });
                    json!({ "index": index })
                };
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {
                            "startLine": start.line, "startColumn": start.column,
                            "endLine": end.line, "endColumn": end.column,
                        },
                    },
                }]);
            }
            result
        })
        .collect();
    let artifacts: Vec<serde_json::Value> = embedded
        .iter()
        .map(|file| {
            let mut artifact = json!({
                "description": { "text": describe_input(&file.name) },
                "roles": ["analysisTarget"],
            });
            // Standard input may be large; an argument or a variable is not.
            if file.text.len() <= EMBEDDED_TEXT_LIMIT {
                artifact["contents"] = json!({ "text": file.shown_text() });
            }
            artifact
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "omero-iis",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "artifacts": artifacts,
        }],
    })
}

/// The largest input text a SARIF log embeds.
const EMBEDDED_TEXT_LIMIT: usize = 64 << 10;

/// The rule's section of docs/rules.md in the released version's sources.
pub fn help_uri(code: crate::diagnostic::Code) -> String {
    format!(
        "{}/blob/v{}/docs/rules.md#{}-{}",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION"),
        code.id().to_ascii_lowercase(),
        code.slug()
    )
}

/// Whether an input's name is a file's path (not `--set`, `$CONFIG_...`,
/// `<stdin>`).
fn is_file_name(name: &str) -> bool {
    !(name == "--set" || name.starts_with('$') || name == "<stdin>" || name == "-")
}

/// What an input that is not a file is, in words.
fn describe_input(name: &str) -> String {
    match name {
        "--set" => "a --set argument on the command line".to_owned(),
        "<stdin>" | "-" => "standard input".to_owned(),
        variable => format!(
            "the environment variable {}",
            variable.trim_start_matches('$')
        ),
    }
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Relative paths with forward slashes, as SARIF consumers expect.
fn sarif_uri(name: &str) -> String {
    name.replace('\\', "/")
}

/// Findings as GitHub Actions workflow commands, one per line.
pub fn github_report(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut properties = vec![format!(
            "title={}",
            github_escape_property(&format!("{} {}", d.code.id(), d.code.slug()))
        )];
        if let Some(span) = &d.span {
            let start = span.file.position(span.range.start);
            let end = span.file.position(span.range.end);
            properties.insert(
                0,
                format!(
                    "file={}",
                    github_escape_property(&sarif_uri(&span.file.name))
                ),
            );
            properties.insert(
                1,
                format!(
                    "line={},col={},endLine={},endColumn={}",
                    start.line, start.column, end.line, end.column
                ),
            );
        }
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            github_escape_data(&message)
        ));
    }
    out
}

// Workflow command escaping (GitHub's toolkit `command.ts`): data escapes
// %, CR, LF; properties also escape `:` and `,`.
fn github_escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github_escape_property(text: &str) -> String {
    github_escape_data(text)
        .replace(':', "%3A")
        .replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_inside_a_character_are_widened_to_it() {
        assert_eq!(char_aligned("\u{e9}", 0..1), 0..2);
        assert_eq!(char_aligned("a\u{e9}b", 2..2), 1..3);
        assert_eq!(char_aligned("ab", 5..9), 2..2);
        assert_eq!(char_aligned("\u{3c00}x", 1..2), 0..3);
    }
    use crate::diagnostic::Code;
    use crate::source::{SourceFile, Span};

    /// The JSON text is written one finding at a time, and is the same
    /// document as the tree of every finding.
    #[test]
    fn json_text_is_the_json_report() {
        let file = SourceFile::new(
            "web.config",
            "<configuration>\n  <bad />\n</configuration>\n",
        );
        let findings = [
            Diagnostic::new(Code::UnknownElement, "`<bad>` is unknown")
                .at(Some(&Span::new(&file, 19..22)))
                .label("here")
                .help("remove it")
                .note("one note")
                .note("and \"another\""),
            Diagnostic::new(Code::NotChecked, "not checked, no place"),
        ];
        for found in [&findings[..], &[]] {
            assert_eq!(
                render(Format::Json, found, "checked 1 file", false),
                format!("{:#}\n", json_report(found, "checked 1 file"))
            );
        }
    }
}
