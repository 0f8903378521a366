//! Session engine, caches and databases together: combinations that start
//! fine and then lose every session (ome/omero-web omeroweb/settings.py; Django's sessions and cache documentation).

use serde_json::Value as Json;

use super::{config_set_command, effective, Mode};
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::versions::OmeroVersion;
use crate::settings::{Catalogue, Settings};
use crate::source::Span;

const ENGINE: &str = "omero.web.session_engine";
const CACHES: &str = "omero.web.caches";
const DATABASES: &str = "omero.web.databases";
const REDIS_EXAMPLE: &str = r#"{"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}}"#;

pub fn check(
    settings: &Settings,
    catalogue: &Catalogue,
    mode: Mode,
    version: OmeroVersion,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let caches = effective(settings, catalogue, CACHES);
    let default_backend = caches.and_then(|(text, span)| {
        let parsed: Json = serde_json::from_str(text).ok()?;
        match default_cache_backend(&parsed) {
            Ok(backend) => Some(backend),
            Err(problem) => {
                found.push(
                    located(
                        Diagnostic::new(Code::CachesShape, format!("`{CACHES}` {problem}")),
                        span,
                        CACHES,
                    )
                    .label("Django needs a cache named `default` with a BACKEND")
                    .help(config_set_command(CACHES, Some(REDIS_EXAMPLE))),
                );
                None
            }
        }
    });
    let Some((engine, engine_span)) = effective(settings, catalogue, ENGINE) else {
        return found;
    };
    // Django's `cache` backend keeps sessions only in the cache; `cached_db`
    // writes through to the database and reads the cache first, falling
    // back to the database on a miss (django/contrib/sessions/backends/
    // cached_db.py), so a cache that stores nothing only costs speed.
    let cache_only = engine.ends_with(".cache");
    let cached_db = engine.ends_with(".cached_db");
    let uses_db = engine.ends_with(".db") || cached_db;
    let engine_diagnostic =
        |code, message: String| located(Diagnostic::new(code, message), engine_span, ENGINE);
    let local_memory = |b: &str| b.ends_with("LocMemCache");
    match default_backend.as_deref() {
        Some(b) if cache_only && b.ends_with("DummyCache") => found.push(
            engine_diagnostic(
                Code::SessionsNotStored,
                format!(
                    "`{engine}` keeps sessions in the cache, but the default cache is DummyCache"
                ),
            )
            .label("DummyCache stores nothing: nobody stays logged in")
            .note(format!("{CACHES} is {}", where_from(settings, CACHES)))
            .help(format!(
                "configure a real cache: {}",
                config_set_command(CACHES, Some(REDIS_EXAMPLE))
            )),
        ),
        // Workers are Gunicorn's: under isapi-wsgi, OMERO.web runs in the
        // application pool's one worker process, and wsgi_workers is unused.
        Some(b) if local_memory(b) && mode == Mode::ReverseProxy && workers(settings) > 1 => {
            let label = if cached_db {
                "each worker process caches sessions in its own memory: after a logout, the other workers still accept the session until their copy expires"
            } else {
                "each worker process has its own memory: users are logged out at random"
            };
            found.push(
                engine_diagnostic(
                    Code::SessionsPerWorker,
                    format!(
                        "`{engine}` with LocMemCache and {} Gunicorn workers",
                        workers(settings)
                    ),
                )
                .label(label)
                .help(format!(
                    "use a shared cache such as Redis: {}",
                    config_set_command(CACHES, Some(REDIS_EXAMPLE))
                )),
            );
        }
        _ => {}
    }
    if uses_db && !has_default_database(effective(settings, catalogue, DATABASES).map(|(t, _)| t)) {
        found.push(
            engine_diagnostic(
                Code::SessionsNeedDatabase,
                format!("`{engine}` stores sessions in a database, but `{DATABASES}` defines none"),
            )
            .label("Django fails on the first login")
            .help(format!(
                "define omero.web.databases with a `default` database, or {}",
                config_set_command(ENGINE, None)
            )),
        );
    }
    // Deprecated from omero-web 5.22.0, where Django's file backend became
    // the default; before, it is the default itself.
    if engine == "omeroweb.filesessionstore" && version >= OmeroVersion::new(5, 22, 0) {
        found.push(
            engine_diagnostic(
                Code::DeprecatedSessionStore,
                "`omeroweb.filesessionstore` is deprecated since OMERO.web 5.22".to_owned(),
            )
            .help(config_set_command(
                ENGINE,
                Some("django.contrib.sessions.backends.file"),
            )),
        );
    }
    found
}

fn located(d: Diagnostic, span: Option<&Span>, key: &str) -> Diagnostic {
    match span {
        Some(s) => d.at(Some(s)),
        None => d.subject(key),
    }
}

fn where_from(settings: &Settings, key: &str) -> String {
    match settings.get(key) {
        Some(s) => format!("set at {}", s.value_span.display()),
        None => "the default".to_owned(),
    }
}

/// `CACHES["default"]["BACKEND"]`, or what is missing.
fn default_cache_backend(caches: &Json) -> Result<String, &'static str> {
    let object = caches.as_object().ok_or("is not a JSON object")?;
    let default = object.get("default").ok_or("has no `default` cache")?;
    let backend = default.get("BACKEND").ok_or("`default` has no `BACKEND`")?;
    backend
        .as_str()
        .map(str::to_owned)
        .ok_or("`default.BACKEND` is not a string")
}

fn has_default_database(databases: Option<&str>) -> bool {
    databases
        .and_then(|t| serde_json::from_str::<Json>(t).ok())
        .is_some_and(|d| d.get("default").is_some_and(Json::is_object))
}

fn workers(settings: &Settings) -> i128 {
    match settings
        .text("omero.web.wsgi_workers")
        .map(super::properties::parse_python_int)
    {
        Some(super::properties::PythonInt::Value(n)) => n,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_default_backend() {
        let caches: Json =
            serde_json::from_str(r#"{"default": {"BACKEND": "x.DummyCache"}}"#).unwrap();
        assert_eq!(default_cache_backend(&caches).unwrap(), "x.DummyCache");
        assert_eq!(
            default_cache_backend(&serde_json::json!({})),
            Err("has no `default` cache")
        );
        assert_eq!(
            default_cache_backend(&serde_json::json!([])),
            Err("is not a JSON object")
        );
    }
}
