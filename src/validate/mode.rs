//! What each deployment mode requires of the OMERO settings.

use super::{config_set_command, Mode};
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::Settings;

pub fn check(settings: &Settings, mode: Mode) -> Vec<Diagnostic> {
    match mode {
        Mode::IsapiWsgi => isapi_wsgi(settings),
    }
}

/// The OMERO.web IIS documentation (5.0.3–5.2.8) says to unset
/// `omero.web.session_engine` and `omero.web.caches` (`omero.web.cache_backend`
/// in 5.0), so that the file-based session store is used.
fn isapi_wsgi(settings: &Settings) -> Vec<Diagnostic> {
    let rules = [
        ("omero.web.session_engine", Code::IsapiSessionEngineSet),
        ("omero.web.caches", Code::IsapiCachesSet),
        ("omero.web.cache_backend", Code::IsapiCachesSet),
    ];
    rules
        .into_iter()
        .filter_map(|(key, code)| {
            let setting = settings.get(key)?;
            Some(
                Diagnostic::new(code, format!("`{key}` must be unset for the isapi-wsgi deployment"))
                    .at(Some(&setting.key_span))
                    .label("the OMERO.web IIS documentation requires the default session store")
                    .note("the generated install.cmd unsets it too, but check why it was set before you deploy")
                    .help(config_set_command(key, None)),
            )
        })
        .collect()
}
