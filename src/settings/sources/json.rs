//! A JSON object of properties: `{"omero.web.prefix": "/omero", ...}`.
//! Values are strings as OMERO stores them, or JSON values for JSON-typed
//! properties (written back compactly); `null` unsets a property.

use std::sync::Arc;

use serde_json::Value as Json;

use super::{syntax_error, Loaded, SourceError};
use crate::settings::{Assignment, Setting, Value};
use crate::source::{SourceFile, Span};

pub fn read(file: &Arc<SourceFile>) -> Result<Loaded, SourceError> {
    let text = &file.text;
    // Full parse first: syntax errors get serde_json's exact position.
    let document: Json = serde_json::from_str(text).map_err(|e| {
        let offset = file.offset(e.line(), e.column());
        syntax_error(file, offset, format!("not valid JSON: {e}"), "")
    })?;
    if !document.is_object() {
        return Err(syntax_error(
            file,
            0,
            "expected a JSON object of properties".to_owned(),
            "write {\"omero.web.prefix\": \"/omero\", ...}",
        ));
    }
    // Second pass over the (now known to be valid) text to find each member's span.
    let mut loaded = Loaded::default();
    let mut scanner = Scanner { text, pos: 0 };
    scanner.expect(b'{');
    loop {
        scanner.skip_whitespace();
        if scanner.peek() == Some(b'}') {
            break;
        }
        let key_start = scanner.pos;
        let key: String = scanner.value();
        let key_span = Span::new(file, key_start..scanner.pos);
        scanner.skip_whitespace();
        scanner.expect(b':');
        scanner.skip_whitespace();
        let value_start = scanner.pos;
        let value: Json = scanner.value();
        let value_span = Span::new(file, value_start..scanner.pos);
        loaded.assignments.push(match value {
            Json::Null => Assignment::Unset { key, key_span },
            other => Assignment::Set(Setting {
                key,
                value: Value::Text(as_text(other)),
                key_span,
                value_span,
            }),
        });
        scanner.skip_whitespace();
        if scanner.peek() == Some(b',') {
            scanner.pos += 1;
        }
    }
    Ok(loaded)
}

/// The string OMERO would store for a JSON value.
fn as_text(value: Json) -> String {
    match value {
        Json::String(s) => s,
        other => other.to_string(),
    }
}

/// Walks a JSON text that is already known to be valid.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) {
        self.skip_whitespace();
        debug_assert_eq!(self.peek(), Some(byte));
        self.pos += 1;
    }

    /// Parses one value at `pos` and moves past it.
    fn value<T: serde::de::DeserializeOwned + Default>(&mut self) -> T {
        let mut stream =
            serde_json::Deserializer::from_str(&self.text[self.pos..]).into_iter::<T>();
        let value = stream.next().and_then(Result::ok).unwrap_or_default();
        self.pos += stream.byte_offset();
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_json_values_and_null() {
        let file = SourceFile::new(
            "s.json",
            "{\n  \"omero.web.prefix\": \"/omero\",\n  \"omero.web.apps\": [\"a\", \"b\"],\n  \"omero.web.application_server.port\": 4080,\n  \"omero.web.debug\": null\n}\n",
        );
        let loaded = read(&file).unwrap();
        let got: Vec<_> = loaded
            .assignments
            .iter()
            .map(|a| match a {
                Assignment::Set(s) => format!(
                    "{}={} @{}",
                    s.key,
                    s.text().unwrap(),
                    s.value_span.display()
                ),
                Assignment::Unset { key, .. } => format!("unset {key}"),
            })
            .collect();
        assert_eq!(
            got,
            [
                "omero.web.prefix=/omero @s.json:2:23",
                "omero.web.apps=[\"a\",\"b\"] @s.json:3:21",
                "omero.web.application_server.port=4080 @s.json:4:40",
                "unset omero.web.debug",
            ]
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let file = SourceFile::new("s.json", "{\n  \"a\": 'x'\n}");
        let err = read(&file).unwrap_err().to_string();
        assert!(err.starts_with("s.json:2:"), "{err}");
        let file = SourceFile::new("s.json", "[1]");
        assert!(read(&file)
            .unwrap_err()
            .to_string()
            .contains("expected a JSON object"));
    }
}
