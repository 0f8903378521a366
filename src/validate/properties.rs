//! Rules about single properties: known names, OMERO's parsers, JSON shapes,
//! deprecated aliases, characters no artifact can hold.

use serde_json::Value as Json;

use super::config_set_command;
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::versions::{self, NotRead, OmeroVersion};
use crate::settings::{Catalogue, Kind, PropertySpec, Setting, Settings};
use crate::source::Span;

/// How many unknown keys get a "did you mean" each: finding the closest
/// known key compares against every one (0.4 µs a pair), which dominated a
/// file of 300,000 unknown keys; past this many, the findings stay but
/// without a suggestion.
const SUGGESTED_UNKNOWN_KEYS: usize = 1000;

pub fn check(settings: &Settings, catalogue: &Catalogue, version: OmeroVersion) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut unknown_keys = 0;
    for setting in settings.iter() {
        let Some(spec) = catalogue.get(&setting.key) else {
            let suggest = unknown_keys < SUGGESTED_UNKNOWN_KEYS;
            let finding = unknown(setting, catalogue, suggest);
            unknown_keys += usize::from(finding.is_some());
            found.extend(finding);
            continue;
        };
        if let Some(why) = versions::not_read(spec.key, version) {
            found.push(not_read_by(setting, version, &why));
            continue;
        }
        let still_read = READ_UNTIL
            .iter()
            .any(|(key, until)| *key == spec.key && version < *until)
            || versions::is_current_name(spec.key, version);
        if spec.is_deprecated() && !still_read {
            found.extend(deprecated(setting, spec, settings));
        }
        if let Some(d) = fails_in_version(setting, version) {
            found.push(d);
            continue;
        }
        let Some(text) = setting.text() else { continue };
        if let Some(d) = control_characters(setting, text, spec.kind()) {
            found.push(d);
            continue;
        }
        found.extend(match spec.kind() {
            Kind::Int => check_int(setting, text, spec),
            Kind::Bool => check_bool(setting, text),
            Kind::Json => check_json(setting, text, spec),
            Kind::Choice => check_choice(setting, text, spec),
            Kind::Text => None,
        });
    }
    found
}

fn unknown(setting: &Setting, catalogue: &Catalogue, suggest: bool) -> Option<Diagnostic> {
    // Only OMERO.web's namespace: config.xml also holds every OMERO.server property.
    if !setting.key.starts_with("omero.web.") || catalogue.is_plugin_key(&setting.key) {
        return None;
    }
    let diagnostic = Diagnostic::new(
        Code::UnknownProperty,
        format!("`{}` is not an OMERO.web property", setting.key),
    )
    .at(Some(&setting.key_span))
    .label("OMERO.web ignores this key");
    let closest = if suggest {
        catalogue.closest(&setting.key)
    } else {
        None
    };
    Some(match closest {
        Some(suggestion) => diagnostic.help(format!("did you mean `{suggestion}`?")),
        None => diagnostic.help(
            "if an installed app (omero.web.apps) reads it, ignore this warning; otherwise remove it with `omero config set KEY`",
        ),
    })
}

/// Keys the catalogue calls removed that older releases still read, and
/// the version that stopped: `webgateway_cache` is read in 5.2 and in
/// omero-web 5.6.0 to 5.25 (ome/omero-web omeroweb/settings.py).
const READ_UNTIL: &[(&str, OmeroVersion)] =
    &[("omero.web.webgateway_cache", OmeroVersion::new(5, 26, 0))];

/// OW001 for a key OMERO.web knows, but not the version being prepared for.
fn not_read_by(setting: &Setting, version: OmeroVersion, why: &NotRead) -> Diagnostic {
    let (message, label) = match why {
        NotRead::Later(added) => (
            format!("`{}` is not read by {}", setting.key, version.product()),
            match added {
                Some(added) => format!("added in {added}: this version ignores it"),
                None if version.is_bundled() => {
                    "added after OMERO 5.2: this version ignores it".to_owned()
                }
                None => "it came with a later OMERO.web: this version ignores it".to_owned(),
            },
        ),
        NotRead::RemovedIn(removed) => (
            format!("`{}` is not read by omero-web {version}", setting.key),
            format!("removed in omero-web {removed}: this version ignores it"),
        ),
    };
    let mut d = Diagnostic::new(Code::UnknownProperty, message)
        .at(Some(&setting.key_span))
        .label(label)
        .help(format!(
            "give the version you run with --omero-version, or remove it: {}",
            config_set_command(&setting.key, None)
        ));
    if setting.key == "omero.web.prefix" {
        d = d.note(
            "OMERO 5.0 reads the prefix from omero.web.force_script_name; the generated IIS files use this prefix, OMERO.web would not",
        );
    }
    d
}

/// OW017: a key whose own parser fails in `version` whenever it is set.
fn fails_in_version(setting: &Setting, version: OmeroVersion) -> Option<Diagnostic> {
    setting.text()?;
    let (why, fixed) = versions::fails_when_set(&setting.key, version)?;
    Some(
        Diagnostic::new(
            Code::FailsInVersion,
            format!(
                "omero-web {version} fails to start with `{}` set",
                setting.key
            ),
        )
        .at(Some(&setting.key_span))
        .label(why)
        .help(format!(
            "unset it ({}) or upgrade to omero-web {fixed} or later",
            config_set_command(&setting.key, None)
        )),
    )
}

/// The deprecated keys OMERO.web still reads when their replacement is
/// unset. settings.py reads an old key in place of its new one only for keys
/// of its own custom settings mapping (`CUSTOM_SETTINGS_MAPPINGS` in
/// ome/omero-web omeroweb/settings.py); of the deprecated keys, only
/// `force_script_name` (the prefix before 5.1) is handled that way. The
/// others (`omero.web.email_*`, `omero.web.admins`' and the viewer's old
/// names, ...) are ignored even when set alone.
const FALLS_BACK: &[&str] = &["omero.web.force_script_name"];

fn deprecated(setting: &Setting, spec: &PropertySpec, settings: &Settings) -> Option<Diagnostic> {
    let replacement = spec.replaced_by;
    if let (Some(new_key), Some(old)) = (replacement, setting.text()) {
        if let Some(new) = settings.get(new_key).and_then(|s| s.text().map(|t| (s, t))) {
            if new.1 != old {
                return Some(
                    Diagnostic::new(
                        Code::DeprecatedAliasConflict,
                        format!("`{}` and its replacement `{new_key}` are both set, to different values", setting.key),
                    )
                    .at(Some(&setting.value_span))
                    .label("OMERO ignores this value")
                    .note(format!("`{new_key}` is set at {} and wins", new.0.value_span.display()))
                    .help(config_set_command(&setting.key, None)),
                );
            }
        }
    }
    let message = match replacement {
        Some(new_key) if FALLS_BACK.contains(&setting.key.as_str()) => format!(
            "`{}` is deprecated; use `{new_key}` (this key is still read while `{new_key}` is unset)",
            setting.key
        ),
        Some(new_key) => format!(
            "`{}` is deprecated and OMERO.web does not read it: set `{new_key}` instead",
            setting.key
        ),
        None => format!("`{}` is no longer read by OMERO.web", setting.key),
    };
    let help = match (replacement, setting.text()) {
        (Some(new_key), Some(value)) if new_key.starts_with("omero.") => format!(
            "{} && {}",
            config_set_command(new_key, Some(value)),
            config_set_command(&setting.key, None)
        ),
        _ => config_set_command(&setting.key, None),
    };
    Some(
        Diagnostic::new(Code::DeprecatedProperty, message)
            .at(Some(&setting.key_span))
            .note(spec.description)
            .help(help),
    )
}

/// Characters that no generated file can carry and no OMERO value needs. JSON
/// values may contain line breaks and tabs between tokens (`omero config set -f`).
fn control_characters(setting: &Setting, text: &str, kind: Kind) -> Option<Diagnostic> {
    let allowed = |c: char| kind == Kind::Json && matches!(c, '\n' | '\r' | '\t');
    let (index, c) = text
        .char_indices()
        .find(|&(_, c)| c.is_control() && !allowed(c))?;
    Some(
        Diagnostic::new(
            Code::ControlCharacter,
            format!(
                "`{}` contains the control character U+{:04X}",
                setting.key, c as u32
            ),
        )
        .at(Some(&sub_span(
            &setting.value_span,
            text,
            index,
            c.len_utf8(),
        )))
        .label("not allowed here")
        .help("retype the value on one line without control characters"),
    )
}

/// Points at part of a value when the file holds the value verbatim (no XML
/// entities, no continuation lines); otherwise at the whole value.
pub(crate) fn sub_span(value_span: &Span, text: &str, start: usize, len: usize) -> Span {
    let raw = value_span.file.text.get(value_span.range.clone());
    if raw == Some(text) {
        let begin = value_span.range.start + start;
        Span::new(&value_span.file, begin..begin + len)
    } else {
        value_span.clone()
    }
}

/// What Python's `int()` makes of a string.
#[derive(Debug, PartialEq, Eq)]
pub enum PythonInt {
    Value(i128),
    /// Valid syntax, but beyond any range we check.
    Huge,
    Invalid,
}

/// `int(s)` for `str` input: surrounding whitespace, an optional sign, ASCII
/// digits with single `_` between digits (Python 3).
pub fn parse_python_int(text: &str) -> PythonInt {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let well_formed = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__");
    if !well_formed {
        return PythonInt::Invalid;
    }
    let clean: String = t.chars().filter(|&c| c != '_').collect();
    clean
        .parse::<i128>()
        .map_or(PythonInt::Huge, PythonInt::Value)
}

fn check_int(setting: &Setting, text: &str, spec: &PropertySpec) -> Option<Diagnostic> {
    let bound = |name| {
        spec.schema()
            .get(name)
            .and_then(Json::as_i64)
            .map(i128::from)
    };
    let (min, max) = (bound("minimum"), bound("maximum"));
    let range = match (min, max) {
        (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "an integer".to_owned(),
    };
    let value = match parse_python_int(text) {
        PythonInt::Invalid => {
            return Some(
                Diagnostic::new(
                    Code::NotAnInteger,
                    format!("`{}` must be an integer, not `{text}`", setting.key),
                )
                .at(Some(&setting.value_span))
                .label("OMERO.web fails to start with \"Invalid ...\" on this value")
                .help(format!(
                    "write a whole number ({range}), e.g. {}",
                    config_set_command(&setting.key, spec.default)
                )),
            )
        }
        PythonInt::Huge => None,
        PythonInt::Value(v) => Some(v),
    };
    let in_range =
        value.is_some_and(|v| min.is_none_or(|lo| v >= lo) && max.is_none_or(|hi| v <= hi));
    if in_range {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::OutOfRange,
            format!(
                "`{}` = {} is out of range ({range})",
                setting.key,
                text.trim()
            ),
        )
        .at(Some(&setting.value_span))
        .label("OMERO accepts it, but it cannot work")
        .help(format!(
            "use a value {range}; the default is {}",
            spec.default.unwrap_or("unset")
        )),
    )
}

fn check_bool(setting: &Setting, text: &str) -> Option<Diagnostic> {
    let normalised = text.trim().to_lowercase();
    if ["true", "false", "1", "0", "t", "f"].contains(&normalised.as_str()) {
        return None;
    }
    let means_true = ["yes", "y", "on", "enable", "enabled"].contains(&normalised.as_str());
    Some(
        Diagnostic::new(
            Code::NotABoolean,
            format!(
                "`{}` = `{text}` is not a boolean OMERO understands",
                setting.key
            ),
        )
        .at(Some(&setting.value_span))
        .label("OMERO silently reads this as false")
        .help(config_set_command(
            &setting.key,
            Some(if means_true { "true" } else { "false" }),
        )),
    )
}

fn check_json(setting: &Setting, text: &str, spec: &PropertySpec) -> Option<Diagnostic> {
    let example = spec.example.or(spec.default).unwrap_or("[]");
    let parsed: Json = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let at = offset_in(text, e.line(), e.column());
            let hint = if text.contains('\'') || text.contains("True") || text.contains("None") {
                "JSON needs double quotes and true/false/null, not Python's ' / True / None"
            } else if text.trim().is_empty() {
                "an empty string is not JSON; to use the default, unset the property"
            } else {
                "fix the JSON syntax"
            };
            return Some(
                Diagnostic::new(
                    Code::InvalidJson,
                    format!("`{}` is not valid JSON: {e}", setting.key),
                )
                .at(Some(&sub_span(
                    &setting.value_span,
                    text,
                    at,
                    1.min(text.len() - at),
                )))
                .label("json.loads() fails here")
                .note(hint)
                .help(config_set_command(&setting.key, Some(example))),
            );
        }
    };
    let validator =
        jsonschema::draft7::new(&crate::settings::catalogue::draft7_schema(spec.schema())).ok()?;
    let problems: Vec<String> = validator
        .iter_errors(&parsed)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                e.to_string()
            } else {
                format!("at {path}: {e}")
            }
        })
        .take(3)
        .collect();
    if problems.is_empty() {
        return None;
    }
    let mut diagnostic = Diagnostic::new(
        Code::JsonShape,
        format!("`{}` has the wrong shape: {}", setting.key, problems[0]),
    )
    .at(Some(&setting.value_span))
    .label(format!("expected: {}", spec.description))
    .help(format!(
        "for example: {}",
        config_set_command(&setting.key, Some(example))
    ));
    for more in &problems[1..] {
        diagnostic = diagnostic.note(more.clone());
    }
    Some(diagnostic)
}

/// Byte offset of serde_json's 1-based (line, column) inside `text`.
fn offset_in(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn check_choice(setting: &Setting, text: &str, spec: &PropertySpec) -> Option<Diagnostic> {
    let choices = spec.choices();
    if choices.contains(&text) {
        return None;
    }
    let near = choices
        .iter()
        .find(|c| c.eq_ignore_ascii_case(text.trim()))
        .copied()
        .or_else(|| crate::settings::catalogue::closest(text, choices.iter().copied()));
    let diagnostic = Diagnostic::new(
        Code::InvalidChoice,
        format!(
            "`{}` = `{text}` is not one of the values OMERO accepts",
            setting.key
        ),
    )
    .at(Some(&setting.value_span))
    .label("OMERO.web fails to start on this value")
    .note(format!(
        "allowed (exactly, case-sensitive): {}",
        choices.join(", ")
    ));
    Some(match near {
        Some(c) => diagnostic.help(format!(
            "did you mean `{c}`? {}",
            config_set_command(&setting.key, Some(c))
        )),
        None => diagnostic.help(format!(
            "pick one of the allowed values, or unset it: {}",
            config_set_command(&setting.key, None)
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_semantics() {
        assert_eq!(parse_python_int(" 4080 "), PythonInt::Value(4080));
        assert_eq!(parse_python_int("+4_080"), PythonInt::Value(4080));
        assert_eq!(parse_python_int("-1"), PythonInt::Value(-1));
        assert_eq!(parse_python_int("4080.0"), PythonInt::Invalid);
        assert_eq!(parse_python_int(""), PythonInt::Invalid);
        assert_eq!(parse_python_int("4__0"), PythonInt::Invalid);
        assert_eq!(parse_python_int("_40"), PythonInt::Invalid);
        assert_eq!(parse_python_int("9".repeat(60).as_str()), PythonInt::Huge);
    }

    #[test]
    fn offsets_inside_values() {
        assert_eq!(offset_in("ab\ncd", 2, 2), 4);
        assert_eq!(offset_in("ab", 1, 9), 2);
    }
}
