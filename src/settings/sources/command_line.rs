//! `--set KEY=VALUE` (split on the first `=`) and `--set KEY` (unset, like
//! `omero config set KEY`). Each argument becomes its own small source so that
//! diagnostics can show it.

use super::Loaded;
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::{is_valid_property_name, Assignment, Setting, Value};
use crate::source::{SourceFile, Span};

pub fn read_set_arguments(arguments: &[String]) -> Loaded {
    let mut loaded = Loaded::default();
    for argument in arguments {
        let file = SourceFile::new("--set", argument.clone());
        let (key, value) = match argument.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (argument.as_str(), None),
        };
        let key_span = Span::new(&file, 0..key.len());
        if !is_valid_property_name(key) {
            loaded.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidPropertyName,
                    format!("`{key}` is not a valid property name"),
                )
                .at(Some(&key_span))
                .help("use --set KEY=VALUE with no spaces around `=`, or --set KEY to unset"),
            );
            continue;
        }
        loaded.assignments.push(match value {
            None => Assignment::Unset {
                key: key.to_owned(),
                key_span,
            },
            Some(value) => Assignment::Set(Setting {
                key: key.to_owned(),
                value: Value::Text(value.to_owned()),
                key_span,
                value_span: Span::new(&file, key.len() + 1..argument.len()),
            }),
        });
    }
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn later_set_wins_and_bare_key_unsets() {
        let mut settings = Settings::default();
        settings.apply(read_set_arguments(&["a.b=1".into(), "c.d=x=y".into()]).assignments);
        settings.apply(read_set_arguments(&["a.b".into()]).assignments);
        assert!(!settings.is_set("a.b"));
        assert_eq!(settings.text("c.d"), Some("x=y"));
    }
}
