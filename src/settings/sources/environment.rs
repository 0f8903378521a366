//! `CONFIG_*` environment variables, mapped to property names exactly as the
//! omero-web-docker image does (`50-config.py`): drop `CONFIG_`, replace the
//! regex `([^_])_([^_])` with `\1.\2` (non-overlapping), then `__` with `_`.

use super::Loaded;
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::{is_valid_property_name, Assignment, Setting, Value};
use crate::source::{SourceFile, Span};

const PREFIX: &str = "CONFIG_";

/// Reads every `CONFIG_*` variable, sorted by name so that output is stable.
pub fn read_environment(vars: impl IntoIterator<Item = (String, String)>) -> Loaded {
    let mut vars: Vec<_> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with(PREFIX))
        .collect();
    vars.sort();
    let mut loaded = Loaded::default();
    for (name, value) in vars {
        let key = docker_env_name_to_property(&name[PREFIX.len()..]);
        let file = SourceFile::new(format!("${name}"), format!("{name}={value}"));
        let key_span = Span::new(&file, 0..name.len());
        if !is_valid_property_name(&key) {
            loaded.diagnostics.push(
                Diagnostic::new(Code::InvalidPropertyName, format!("`{name}` maps to `{key}`, not a valid property name"))
                    .at(Some(&key_span))
                    .help("write the property with `_` for `.` and `__` for `_`, e.g. CONFIG_omero_web_server__list"),
            );
            continue;
        }
        let value_span = Span::new(&file, name.len() + 1..file.text.len());
        loaded.assignments.push(Assignment::Set(Setting {
            key,
            value: Value::Text(value),
            key_span,
            value_span,
        }));
    }
    loaded
}

/// `omero_web_server__list` → `omero.web.server_list`.
pub fn docker_env_name_to_property(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut dotted = String::with_capacity(name.len());
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i] != '_' && chars[i + 1] == '_' && chars[i + 2] != '_' {
            dotted.push(chars[i]);
            dotted.push('.');
            dotted.push(chars[i + 2]);
            i += 3;
        } else {
            dotted.push(chars[i]);
            i += 1;
        }
    }
    dotted.replace("__", "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_names_like_omero_web_docker() {
        for (env, property) in [
            ("omero_web_server__list", "omero.web.server_list"),
            ("omero_web_ui_top__links", "omero.web.ui.top_links"),
            (
                "omero_web_application__server_port",
                "omero.web.application_server.port",
            ),
            (
                "omero_web_session__cookie__age",
                "omero.web.session_cookie_age",
            ),
            // The documented quirk: one-character segments convert wrongly.
            ("omero_web_x_y_z", "omero.web.x_y.z"),
        ] {
            assert_eq!(docker_env_name_to_property(env), property);
        }
    }

    #[test]
    fn reads_only_config_variables_in_name_order() {
        let loaded = read_environment([
            ("PATH".to_owned(), "/bin".to_owned()),
            ("CONFIG_omero_web_prefix".to_owned(), "/omero".to_owned()),
            ("CONFIG_omero_web_debug".to_owned(), "true".to_owned()),
        ]);
        let keys: Vec<_> = loaded.assignments.iter().map(Assignment::key).collect();
        assert_eq!(keys, ["omero.web.debug", "omero.web.prefix"]);
    }
}
