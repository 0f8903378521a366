//! What each deployment mode requires of the OMERO settings.

use super::{config_set_command, effective, FrontEnd, Mode};
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::Catalogue;
use crate::settings::{Setting, Settings};

pub fn check(settings: &Settings, catalogue: &Catalogue, front: FrontEnd) -> Vec<Diagnostic> {
    match front.mode {
        Mode::IsapiWsgi if !front.version.is_bundled() => vec![Diagnostic::new(
            Code::IsapiCurrentOmero,
            format!(
                "isapi-wsgi runs {}, but the settings are for omero-web {}",
                Mode::IsapiWsgi.omero_versions(),
                front.version
            ),
        )
        .subject("--omero-version")
        .label("omero-web 5.6 and later run under Gunicorn only: IIS can only proxy to them")
        .help("--mode reverse-proxy")],
        Mode::IsapiWsgi => {
            let current = current_omero_signs(settings, catalogue);
            if current.is_empty() {
                isapi_wsgi(settings)
            } else {
                // The 5.2 advice (OW101, OW102) would be wrong for these settings.
                vec![current_omero(&current, front.mode_chosen)]
            }
        }
        Mode::ReverseProxy => reverse_proxy(settings, catalogue, front.https),
    }
}

/// Settings that only current OMERO.web (Gunicorn, Django 1.11 and later)
/// reads or that only make sense there, each with why.
fn current_omero_signs<'a>(
    settings: &'a Settings,
    catalogue: &Catalogue,
) -> Vec<(&'a Setting, &'static str)> {
    let mut signs = Vec::new();
    if let Some(s) = settings.get("omero.web.application_server") {
        if s.text().is_some_and(|v| v.trim() == "wsgi-tcp") {
            signs.push((
                s,
                "Gunicorn (wsgi-tcp) serves OMERO.web; isapi-wsgi runs it inside IIS instead",
            ));
        }
    }
    // CSRF_TRUSTED_ORIGINS came with Django 1.9; OMERO 5.2 runs Django 1.8.
    if let Some(s) = settings.get("omero.web.csrf_trusted_origins") {
        signs.push((s, "only current OMERO.web (Django 1.9 and later) reads it"));
    }
    let redis_default = effective(settings, catalogue, "omero.web.caches")
        .and_then(|(text, _)| serde_json::from_str::<serde_json::Value>(text).ok())
        .is_some_and(|c| {
            c["default"]["BACKEND"]
                .as_str()
                .is_some_and(|b| b.contains("redis"))
        });
    if let Some(s) = settings.get("omero.web.session_engine") {
        let cache_sessions = s.text().is_some_and(|v| v.contains(".cache"));
        if cache_sessions && redis_default {
            signs.push((
                s,
                "sessions in Redis: the setup of current OMERO.web's documentation",
            ));
        }
    }
    signs
}

/// OW103: current OMERO settings while preparing isapi-wsgi (OMERO 5.0–5.2).
fn current_omero(signs: &[(&Setting, &'static str)], chosen: bool) -> Diagnostic {
    let (first, why) = signs[0];
    let mut d = Diagnostic::new(
        Code::IsapiCurrentOmero,
        format!(
            "these settings are for current OMERO.web under Gunicorn, but the mode is isapi-wsgi ({})",
            Mode::IsapiWsgi.omero_versions()
        ),
    )
    .at(Some(&first.key_span))
    .label(format!("`{}`: {why}", first.key));
    for (s, why) in &signs[1..] {
        d = d.note(format!("{} `{}`: {why}", s.key_span.display(), s.key));
    }
    if chosen {
        d = d.with_severity(crate::diagnostic::Severity::Warning).note(
            "isapi-wsgi was chosen explicitly; the 5.2 advice on sessions and caches (OW101, OW102) is left out",
        );
    } else {
        d = d.note("isapi-wsgi is only the default mode: nothing chose it");
    }
    d.help("put IIS in front of Gunicorn: --mode reverse-proxy (or `mode = \"reverse-proxy\"` in the --deploy file)")
}

/// The OMERO.web IIS documentation (5.0.3–5.2.8) says to unset
/// `omero.web.session_engine` and `omero.web.caches` (`omero.web.cache_backend`
/// in 5.0), so that the file-based session store is used.
///
/// "Should", not "must": a file-based engine (5.2's own default
/// `omeroweb.filesessionstore`, or Django's file backend) is what unsetting
/// gives, and extra cache stores beside a `default` that stays DummyCache
/// change nothing for sessions; neither is reported.
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
            if setting.text().is_some_and(|v| is_documented_equivalent(key, v)) {
                return None;
            }
            Some(
                Diagnostic::new(code, format!("`{key}` should be unset for the isapi-wsgi deployment"))
                    .at(Some(&setting.key_span))
                    .label("the OMERO.web IIS documentation (5.0.3 to 5.2.8) says to leave it unset: file-based sessions")
                    .note("the generated install.cmd unsets it too, but check why it was set before you deploy")
                    .help(config_set_command(key, None)),
            )
        })
        .collect()
}

/// A value that gives what the documentation's "unset" gives.
fn is_documented_equivalent(key: &str, value: &str) -> bool {
    match key {
        "omero.web.session_engine" => matches!(
            value.trim(),
            "omeroweb.filesessionstore" | "django.contrib.sessions.backends.file"
        ),
        "omero.web.caches" => {
            serde_json::from_str::<serde_json::Value>(value).is_ok_and(|caches| {
                caches["default"]["BACKEND"] == "django.core.cache.backends.dummy.DummyCache"
            })
        }
        _ => false,
    }
}

const SSL_HEADER: &str = "omero.web.secure_proxy_ssl_header";
const SSL_HEADER_VALUE: &str = r#"["HTTP_X_FORWARDED_PROTO", "https"]"#;
const TRUSTED_ORIGINS: &str = "omero.web.csrf_trusted_origins";

/// IIS in front of Gunicorn, as OMERO's nginx template (ome/omero-web omero/plugins/web.py and omeroweb/templates/nginx.conf.template).
fn reverse_proxy(settings: &Settings, catalogue: &Catalogue, https: bool) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    found.extend(application_server(settings, catalogue));
    found.extend(forwarded_host(settings));
    let ssl_header_ok = match ssl_header(settings) {
        SslHeader::Unset => {
            if https {
                found.push(
                    Diagnostic::new(
                        Code::ProxySslHeader,
                        format!("IIS serves HTTPS (--https) but `{SSL_HEADER}` is not set"),
                    )
                    .subject(SSL_HEADER)
                    .label("Django sees every request as plain HTTP: absolute URLs and redirects use http://")
                    .note("Gunicorn trusts X-Forwarded-Proto only from forwarded_allow_ips (127.0.0.1), not from an IIS server on another host")
                    .help(config_set_command(SSL_HEADER, Some(SSL_HEADER_VALUE))),
                );
            }
            false
        }
        SslHeader::XForwardedProto => true,
        SslHeader::Other(setting) => {
            found.push(
                Diagnostic::new(
                    Code::ProxySslHeader,
                    format!("`{SSL_HEADER}` names a header or value that IIS does not send"),
                )
                .at(Some(&setting.value_span))
                .label("the generated rewrite rule sets X-Forwarded-Proto to `http` or `https`, nothing else")
                .note("a header the proxy does not overwrite can be sent by any client, who then decides whether Django treats the request as secure")
                .help(config_set_command(SSL_HEADER, Some(SSL_HEADER_VALUE))),
            );
            false
        }
        SslHeader::Unreadable => true,
    };
    found.extend(trusted_origins(settings, https, ssl_header_ok));
    found.extend(secure_cookies(settings, https));
    found
}

fn application_server(settings: &Settings, catalogue: &Catalogue) -> Option<Diagnostic> {
    let key = "omero.web.application_server";
    let (value, span) = effective(settings, catalogue, key)?;
    if value == "wsgi-tcp" {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::ProxyApplicationServer,
            format!("the reverse proxy needs `{key}` = `wsgi-tcp`, not `{value}`"),
        )
        .at(span)
        .label("IIS forwards requests to Gunicorn on application_server.host:port; only wsgi-tcp runs it")
        .note("`omero web config nginx` refuses other values too (\"configuration mismatch\", exit 680)")
        .help(config_set_command(key, Some("wsgi-tcp"))),
    )
}

fn forwarded_host(settings: &Settings) -> Option<Diagnostic> {
    let setting = settings.get("omero.web.use_x_forwarded_host")?;
    if !is_true(setting.text()?) {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::ProxyForwardedHost,
            "`omero.web.use_x_forwarded_host` is true behind IIS",
        )
        .at(Some(&setting.value_span))
        .label("Django then builds URLs from X-Forwarded-Host, which IIS passes on from the client unchanged")
        .note("the generated proxy keeps the client's Host header (preserveHostHeader), so Django needs no X-Forwarded-Host")
        .help(config_set_command("omero.web.use_x_forwarded_host", None)),
    )
}

enum SslHeader<'a> {
    Unset,
    XForwardedProto,
    Other(&'a Setting),
    /// Not valid JSON or not a list: the property rules report it.
    Unreadable,
}

fn ssl_header(settings: &Settings) -> SslHeader<'_> {
    let Some(setting) = settings.get(SSL_HEADER) else {
        return SslHeader::Unset;
    };
    let Some(text) = setting.text() else {
        return SslHeader::Unset;
    };
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(list) if list.is_empty() => SslHeader::Unset,
        Ok(list) if list == ["HTTP_X_FORWARDED_PROTO", "https"] => SslHeader::XForwardedProto,
        Ok(list) if list.len() == 2 => SslHeader::Other(setting),
        _ => SslHeader::Unreadable,
    }
}

/// Django 4+ checks the Origin header of POSTs: behind an HTTPS proxy, logins
/// fail unless Django sees the request as secure or trusts the origin
/// (ome/omero-web PR #477).
fn trusted_origins(settings: &Settings, https: bool, ssl_header_ok: bool) -> Vec<Diagnostic> {
    let setting = settings.get(TRUSTED_ORIGINS);
    let origins: Vec<String> = setting
        .and_then(Setting::text)
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let mut found = Vec::new();
    if https && origins.is_empty() && !ssl_header_ok {
        found.push(
            Diagnostic::new(
                Code::ProxyCsrfOrigins,
                "logins will fail with \"CSRF verification failed: Origin checking failed\"",
            )
            .subject(TRUSTED_ORIGINS)
            .label("the browser sends Origin: https://..., Django sees the request as http and refuses the POST")
            .help(format!(
                "set the header that tells Django the request is secure: {}",
                config_set_command(SSL_HEADER, Some(SSL_HEADER_VALUE))
            ))
            .note(format!(
                "or trust the front end's origin: {}",
                config_set_command(TRUSTED_ORIGINS, Some(r#"["https://omero.example.org"]"#))
            )),
        );
    }
    let scheme = if https { "https://" } else { "http://" };
    if let Some(setting) = setting {
        for origin in origins.iter().filter(|o| !o.starts_with(scheme)) {
            found.push(
                Diagnostic::new(
                    Code::ProxyCsrfOrigins,
                    format!(
                        "`{TRUSTED_ORIGINS}` trusts `{origin}`, but IIS serves {}",
                        scheme.trim_end_matches("://")
                    ),
                )
                .at(Some(&setting.value_span))
                .label("an origin matches only with the scheme browsers really use")
                .help(if https {
                    format!(
                        "list the https:// origin, e.g. {}",
                        origin.replacen("http://", "https://", 1)
                    )
                } else {
                    "give --https if IIS terminates TLS, or list the http:// origin".to_owned()
                }),
            );
        }
    }
    found
}

fn secure_cookies(settings: &Settings, https: bool) -> Vec<Diagnostic> {
    if https {
        return cookies_not_secure(settings);
    }
    [
        "omero.web.session_cookie_secure",
        "omero.web.csrf_cookie_secure",
    ]
    .into_iter()
    .filter_map(|key| {
        let setting = settings.get(key)?;
        is_true(setting.text()?).then(|| {
            Diagnostic::new(
                Code::SecureCookieOverHttp,
                format!("`{key}` is true, but IIS serves plain HTTP"),
            )
            .at(Some(&setting.value_span))
            .label("browsers never send a secure cookie over http://: nobody can log in")
            .help(format!(
                "give --https when IIS has an HTTPS binding, or {}",
                config_set_command(key, None)
            ))
        })
    })
    .collect()
}

/// OW115: behind HTTPS, cookies that a browser would also send over plain
/// HTTP (the session cookie can then be read on the network before the
/// redirect to HTTPS). OMERO's defaults are false for both.
fn cookies_not_secure(settings: &Settings) -> Vec<Diagnostic> {
    [
        "omero.web.session_cookie_secure",
        "omero.web.csrf_cookie_secure",
    ]
    .into_iter()
    .filter_map(|key| {
        let setting = settings.get(key);
        if setting.and_then(Setting::text).is_some_and(is_true) {
            return None;
        }
        let d = Diagnostic::new(
            Code::CookieNotSecure,
            format!("IIS serves HTTPS (--https), but `{key}` is not true"),
        )
        .label("the browser also sends this cookie over plain http://, where anyone on the network can read it")
        .note("the HTTP to HTTPS redirect comes too late: the first plain request already carries the cookie")
        .help(config_set_command(key, Some("true")));
        Some(match setting {
            Some(s) => d.at(Some(&s.value_span)),
            None => d.subject(key),
        })
    })
    .collect()
}

/// OMERO's `parse_boolean`: true, 1 and t (any case) are true.
fn is_true(text: &str) -> bool {
    matches!(text.trim().to_lowercase().as_str(), "true" | "1" | "t")
}
