//! The text format of `omero config load` and `omero config get`, with OMERO's
//! exact rules (omero-py `prefs.py`, `handle_line`): each line is stripped;
//! blank lines and lines starting with `#` are skipped; a stripped line ending
//! in `\` is joined to the next *raw* line; the key ends at the first `=`, and
//! nothing around it is trimmed; a line without `=` sets the key to "".

use std::collections::HashMap;
use std::sync::Arc;

use super::Loaded;
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::{is_valid_property_name, Assignment, Setting, Value};
use crate::source::{SourceFile, Span};

/// What `omero config get` prints instead of a password.
const MASK: &str = "********";

/// A logical line: text joined from one or more physical lines, with a map
/// back to file offsets so that diagnostics point at the right characters.
#[derive(Default)]
struct LogicalLine {
    text: String,
    /// (offset in `text`, offset in the file) at the start of each piece.
    pieces: Vec<(usize, usize)>,
}

impl LogicalLine {
    fn push(&mut self, piece: &str, file_offset: usize) {
        self.pieces.push((self.text.len(), file_offset));
        self.text.push_str(piece);
    }

    fn file_offset(&self, index: usize) -> usize {
        let i = self.pieces.partition_point(|(start, _)| *start <= index);
        let &(start, file_start) = i.checked_sub(1).map_or(&(0, 0), |i| &self.pieces[i]);
        file_start + (index - start)
    }

    /// Keeps only `text[range]`, with its map to the file: what OMERO keeps
    /// of a line that ends in `\` before it appends the next raw line. In
    /// place, so a long run of continued lines costs linear time.
    fn keep(&mut self, range: std::ops::Range<usize>) {
        let first = self.file_offset(range.start);
        self.text.truncate(range.end);
        // Pieces are in order: only the last ones can start past the end.
        while self
            .pieces
            .last()
            .is_some_and(|(start, _)| *start >= range.end)
        {
            self.pieces.pop();
        }
        if range.start > 0 {
            self.text.drain(..range.start);
            self.pieces.retain(|(start, _)| *start > range.start);
            for piece in &mut self.pieces {
                piece.0 -= range.start;
            }
            self.pieces.insert(0, (0, first));
        }
    }
}

pub fn read(file: &Arc<SourceFile>) -> Loaded {
    let mut loaded = Loaded::default();
    let mut first_seen: HashMap<String, Span> = HashMap::new();
    let mut pending: Option<LogicalLine> = None;
    let mut offset = 0;
    for raw in file.text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let mut line = pending.take().unwrap_or_default();
        line.push(raw, line_start);
        // Python's str.strip(): whitespace on both ends, including CR/LF.
        let (lead, stripped) = strip(&line.text);
        if let Some(joined) = stripped.strip_suffix('\\') {
            let end = lead + joined.len();
            line.keep(lead..end);
            pending = Some(line);
            continue;
        }
        if stripped.is_empty() || stripped.starts_with('#') {
            continue;
        }
        handle_line(file, &line, lead, stripped, &mut loaded, &mut first_seen);
    }
    if let Some(line) = pending {
        // A continuation on the last line: OMERO drops the backslash and uses the rest.
        let (lead, stripped) = strip(&line.text);
        if !stripped.is_empty() && !stripped.starts_with('#') {
            handle_line(file, &line, lead, stripped, &mut loaded, &mut first_seen);
        }
    }
    loaded
}

/// Returns (bytes stripped at the start, stripped text).
fn strip(text: &str) -> (usize, &str) {
    let trimmed_start = text.trim_start();
    (text.len() - trimmed_start.len(), trimmed_start.trim_end())
}

fn handle_line(
    file: &Arc<SourceFile>,
    line: &LogicalLine,
    lead: usize,
    stripped: &str,
    loaded: &mut Loaded,
    first_seen: &mut HashMap<String, Span>,
) {
    let (key, value) = match stripped.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (stripped, None),
    };
    let key_start = line.file_offset(lead);
    let key_span = Span::new(file, key_start..key_start + key.len());
    let value_start = line.file_offset(lead + key.len() + usize::from(value.is_some()));
    let value_end = line.file_offset(lead + stripped.len());
    let value_span = Span::new(file, value_start..value_end.max(value_start));
    if key.is_empty() {
        loaded.diagnostics.push(
            Diagnostic::new(
                Code::InvalidPropertyName,
                "line has no property name before `=`",
            )
            .at(Some(&Span::new(file, key_start..key_start + 1)))
            .label("OMERO skips this line")
            .help("write the line as KEY=VALUE, or delete it"),
        );
        return;
    }
    if !is_valid_property_name(key) {
        loaded.diagnostics.push(invalid_name(key, value, &key_span));
        return;
    }
    if let Some(first) = first_seen.get(key) {
        loaded.diagnostics.push(
            Diagnostic::new(
                Code::DuplicateProperty,
                format!("`{key}` is set more than once in this file"),
            )
            .at(Some(&key_span))
            .label("this value wins")
            .note(format!("first set at {}", first.display()))
            .help("delete the line that should not apply"),
        );
    } else {
        first_seen.insert(key.to_owned(), key_span.clone());
    }
    let value = value.unwrap_or("");
    let value = if value == MASK {
        Value::Masked
    } else {
        Value::Text(value.to_owned())
    };
    loaded.assignments.push(Assignment::Set(Setting {
        key: key.to_owned(),
        value,
        key_span,
        value_span,
    }));
}

fn invalid_name(key: &str, value: Option<&str>, span: &Span) -> Diagnostic {
    let trimmed = key.trim();
    let diagnostic = Diagnostic::new(
        Code::InvalidPropertyName,
        format!("`{key}` is not a valid property name"),
    )
    .at(Some(span))
    .label("OMERO refuses this line (exit code 506)");
    if trimmed != key && is_valid_property_name(trimmed) {
        let value = value.unwrap_or("").trim_start();
        diagnostic
            .note("OMERO does not trim spaces around `=`: the key would include the space")
            .help(format!("remove the spaces around `=`: {trimmed}={value}"))
    } else {
        diagnostic.help("property names use only letters, digits, `.`, `_` and `-`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, Option<String>)> {
        read(&SourceFile::new("web.omero", text))
            .assignments
            .into_iter()
            .map(|a| match a {
                Assignment::Set(s) => (s.key.clone(), s.text().map(str::to_owned)),
                Assignment::Unset { .. } => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn splits_on_first_equals_without_trimming_value() {
        assert_eq!(
            values("a.b=c=d\r\n  # comment\n\nx.y= spaced\nflag\n"),
            vec![
                ("a.b".into(), Some("c=d".into())),
                ("x.y".into(), Some(" spaced".into())),
                ("flag".into(), Some("".into())),
            ]
        );
    }

    #[test]
    fn joins_continuation_lines_keeping_inner_whitespace() {
        assert_eq!(
            values("omero.web.apps=[\"a\",\\\n  \"b\"]\n"),
            vec![("omero.web.apps".into(), Some("[\"a\",  \"b\"]".into()))]
        );
    }

    #[test]
    fn masked_passwords_are_unknown_not_literal() {
        assert_eq!(
            values("omero.mail.password=********\n"),
            vec![("omero.mail.password".into(), None)]
        );
    }

    #[test]
    fn value_spans_point_into_the_file() {
        let file = SourceFile::new("f", "# x\nomero.web.prefix=/omero/\n");
        let loaded = read(&file);
        let Assignment::Set(s) = &loaded.assignments[0] else {
            panic!()
        };
        assert_eq!(&file.text[s.value_span.range.clone()], "/omero/");
        assert_eq!(s.value_span.display(), "f:2:18");
    }

    #[test]
    fn spaces_around_equals_are_an_error_with_a_fix() {
        let loaded = read(&SourceFile::new("f", "omero.web.prefix = /omero\n"));
        assert!(loaded.assignments.is_empty());
        let d = &loaded.diagnostics[0];
        assert_eq!(d.code, Code::InvalidPropertyName);
        assert_eq!(
            d.help.as_deref(),
            Some("remove the spaces around `=`: omero.web.prefix=/omero")
        );
    }

    #[test]
    fn duplicates_warn_and_last_wins() {
        let loaded = read(&SourceFile::new("f", "a=1\na=2\n"));
        assert_eq!(loaded.diagnostics[0].code, Code::DuplicateProperty);
        assert_eq!(loaded.assignments.len(), 2);
    }
}
