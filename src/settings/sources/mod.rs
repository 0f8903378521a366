//! Readers for every place OMERO properties come from. Each returns the
//! assignments in file order plus findings about the file itself; the caller
//! folds them into [`Settings`](super::Settings).

mod command_line;
mod config_xml;
mod environment;
mod json;
pub(crate) mod properties;

use std::path::Path;
use std::sync::Arc;

use thiserror::Error;

use super::Assignment;
use crate::diagnostic::Diagnostic;
use crate::source::{DecodeError, SourceFile};

pub use command_line::read_set_arguments;
pub use environment::{docker_env_name_to_property, read_environment};

/// The format of a settings input (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum InputFormat {
    /// `etc/grid/config.xml` (`<icegrid>` with `<properties>` profiles).
    ConfigXml,
    /// `omero config load` files and `omero config get` output (`key=value` lines).
    Properties,
    /// A JSON object of `"omero.web.x": value`.
    Json,
}

/// What one input said.
#[derive(Debug, Default)]
pub struct Loaded {
    pub assignments: Vec<Assignment>,
    pub diagnostics: Vec<Diagnostic>,
}

/// An input that could not be read at all (exit code 2).
#[derive(Debug, Error)]
pub enum SourceError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot decode {path}: {source}")]
    Decode { path: String, source: DecodeError },
    #[error("{location}: {message}")]
    Syntax {
        location: String,
        message: String,
        help: String,
    },
}

impl SourceError {
    /// How to fix it, when there is more to say than the message.
    pub fn help(&self) -> Option<&str> {
        match self {
            SourceError::Syntax { help, .. } if !help.is_empty() => Some(help),
            SourceError::Decode { .. } => {
                Some("save the file as UTF-8 (with or without BOM) or UTF-16 with a BOM")
            }
            _ => None,
        }
    }
}

/// Reads one positional input (`-` = standard input).
pub fn read_input(
    path: &Path,
    format: Option<InputFormat>,
    profile: Option<&str>,
) -> Result<Loaded, SourceError> {
    let name = path.display().to_string();
    let bytes = crate::source::read_input_bytes(path, crate::source::SETTINGS_INPUT_LIMIT)
        .map_err(|source| SourceError::Io {
            path: name.clone(),
            source,
        })?;
    let display = if name == "-" {
        "<stdin>".to_owned()
    } else {
        name.clone()
    };
    let file = SourceFile::from_bytes(&display, &bytes).map_err(|source| SourceError::Decode {
        path: display.clone(),
        source,
    })?;
    let format = format.unwrap_or_else(|| detect_format(path, &file.text));
    read_text(&file, format, profile)
}

/// Parses already decoded text in a known format.
pub fn read_text(
    file: &Arc<SourceFile>,
    format: InputFormat,
    profile: Option<&str>,
) -> Result<Loaded, SourceError> {
    match format {
        InputFormat::ConfigXml => config_xml::read(file, profile),
        InputFormat::Properties => Ok(properties::read(file)),
        InputFormat::Json => json::read(file),
    }
}

/// Extension first (`.xml`, `.json`), then the first significant character.
pub fn detect_format(path: &Path, text: &str) -> InputFormat {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("xml") => return InputFormat::ConfigXml,
        Some("json") => return InputFormat::Json,
        _ => {}
    }
    match text.trim_start().chars().next() {
        Some('<') => InputFormat::ConfigXml,
        Some('{') => InputFormat::Json,
        _ => InputFormat::Properties,
    }
}

/// A syntax error at a byte offset of a file.
fn syntax_error(file: &SourceFile, offset: usize, message: String, help: &str) -> SourceError {
    let p = file.position(offset);
    SourceError::Syntax {
        location: format!("{}:{}:{}", file.name, p.line, p.column),
        message,
        help: help.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect_format(Path::new("config.xml"), ""),
            InputFormat::ConfigXml
        );
        assert_eq!(detect_format(Path::new("x.JSON"), ""), InputFormat::Json);
        assert_eq!(
            detect_format(Path::new("-"), "  <icegrid/>"),
            InputFormat::ConfigXml
        );
        assert_eq!(
            detect_format(Path::new("web.omero"), "{\"a\": 1}"),
            InputFormat::Json
        );
        assert_eq!(
            detect_format(Path::new("web.omero"), "# c\na=b"),
            InputFormat::Properties
        );
    }
}
