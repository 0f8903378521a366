//! Which OMERO reads which property, and with which default: the catalogue
//! describes current omero-web; these tables say where older releases
//! differ.
//!
//! Release lines: OMERO 5.0, 5.1 and 5.2 (OMERO.web inside the OMERO.server
//! release, what isapi-wsgi deploys: 5.0.3 to 5.2.8) and omero-web 5.6 and
//! later (its own package, under Gunicorn). Sources:
//! - OMERO 5.2: `components/tools/OmeroWeb/omeroweb/settings.py` of
//!   ome/openmicroscopy (its history is kept in ome/omero-web, path
//!   `omeroweb/settings.py`); `omero.web.prefix` came in 5.1 (before,
//!   `omero.web.force_script_name`).
//! - omero-web 5.6.0 to 5.33.2: the settings tables of every release's
//!   `omeroweb/settings.py` and `omeroweb/api/api_settings.py` as published
//!   on PyPI (`pip download omero-web==X`), compared release by release:
//!   when each key came, `webgateway_cache` gone in 5.26.0,
//!   `omeroweb.filesessionstore` the default session engine before 5.22.0,
//!   `session_serializer`'s Pickle default until 5.30.0, `wsgi_threads`'
//!   `check_threading` parser until 5.25.0.
//! - OMERO 5.3 to 5.5 (keys in omero-web 5.6.0 that 5.2 lacks): the release
//!   notes, `omero/users/history.rst` of ome/omero-documentation, and the
//!   pull requests they name. `--omero-version` refuses 5.3 to 5.5 rather
//!   than guess their other differences.

use std::fmt;

/// An OMERO (or omero-web) version, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OmeroVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// What `isapi-wsgi` assumes: the last OMERO whose documentation describes IIS.
pub const LAST_ISAPI: OmeroVersion = OmeroVersion::new(5, 2, 8);
/// What `reverse-proxy` assumes: the newest omero-web these tables describe.
pub const NEWEST: OmeroVersion = OmeroVersion::new(5, 33, 2);

impl OmeroVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> OmeroVersion {
        OmeroVersion {
            major,
            minor,
            patch,
        }
    }

    /// Reads `X.Y` or `X.Y.Z` (a leading `v` is allowed); `X.Y` means `X.Y.0`.
    pub fn parse(text: &str) -> Result<OmeroVersion, String> {
        let trimmed = text.trim().trim_start_matches('v');
        let parts: Vec<&str> = trimmed.split('.').collect();
        let number = |s: &str| {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let numbers: Option<Vec<u32>> = parts.iter().map(|p| number(p)).collect();
        let version = match (parts.len(), numbers) {
            (2, Some(n)) => OmeroVersion::new(n[0], n[1], 0),
            (3, Some(n)) => OmeroVersion::new(n[0], n[1], n[2]),
            _ => {
                return Err(format!(
                    "`{text}` is not a version: write X.Y or X.Y.Z, e.g. 5.2.8 or 5.33"
                ))
            }
        };
        let described = version.major == 5
            && (version.minor <= 2 || (6..=NEWEST.minor).contains(&version.minor));
        if !described {
            return Err(format!(
                "OMERO {version} is not described: omero-iis knows OMERO 5.0 to 5.2 (isapi-wsgi) and omero-web 5.6 to {NEWEST}"
            ));
        }
        Ok(version)
    }

    /// OMERO.web inside the OMERO.server release (5.2 and earlier).
    pub fn is_bundled(self) -> bool {
        self.major == 5 && self.minor <= 2
    }

    /// The product and version: "OMERO 5.2.8", "omero-web 5.33.2".
    pub fn product(self) -> String {
        if self.is_package() {
            format!("omero-web {self}")
        } else {
            format!("OMERO {self}")
        }
    }

    /// omero-web, its own package (5.6 and later).
    pub fn is_package(self) -> bool {
        self >= OmeroVersion::new(5, 6, 0)
    }
}

impl fmt::Display for OmeroVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a version does not read a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRead {
    /// It came with a later release than `version`: which, when known.
    Later(Option<Added>),
    /// It was removed in this version.
    RemovedIn(OmeroVersion),
}

/// The release that added a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    pub version: OmeroVersion,
    /// Read in that release's code (omero-web wheels), not only in the
    /// release notes (OMERO 5.3 to 5.5).
    pub in_code: bool,
}

impl fmt::Display for Added {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.version.is_package() {
            write!(f, "omero-web {}", self.version)
        } else {
            write!(f, "OMERO {}", self.version)?;
            if !self.in_code {
                f.write_str(" (per its release notes)")?;
            }
            Ok(())
        }
    }
}

/// The release that added each property 5.2 lacks (see the module's
/// sources). Missing where the sources do not settle it (only "by omero-web
/// 5.6.0" is known): `csrf_cookie_httponly`, `sharing.*`,
/// `thumbnails_batch`, `user_dropdown`.
const ADDED: &[(&str, (u32, u32, u32), bool)] = &[
    ("omero.web.api.absolute_url", (5, 3, 0), false),
    ("omero.web.api.limit", (5, 3, 0), false),
    ("omero.web.api.max_limit", (5, 3, 0), false),
    ("omero.web.ui.metadata_panes", (5, 3, 0), false),
    ("omero.web.open_with", (5, 3, 2), false),
    ("omero.web.middleware", (5, 3, 2), false),
    ("omero.web.cors_origin_whitelist", (5, 3, 2), false),
    ("omero.web.cors_origin_allow_all", (5, 3, 2), false),
    ("omero.web.secure", (5, 4, 0), false),
    ("omero.web.public.get_only", (5, 4, 0), false),
    ("omero.web.base_include_template", (5, 4, 0), false),
    ("omero.web.django_additional_settings", (5, 5, 0), false),
    ("omero.web.feedback.comment.enabled", (5, 5, 0), false),
    ("omero.web.feedback.error.enabled", (5, 5, 0), false),
    ("omero.web.login.show_client_downloads", (5, 5, 0), false),
    ("omero.web.login.client_downloads_base", (5, 5, 0), false),
    ("omero.web.csrf_cookie_secure", (5, 5, 0), false),
    ("omero.web.session_cookie_secure", (5, 5, 0), false),
    ("omero.web.x_frame_options", (5, 5, 0), false),
    (
        "omero.web.login_incorrect_credentials_text",
        (5, 5, 0),
        false,
    ),
    ("omero.web.top_logo", (5, 5, 1), false),
    ("omero.web.top_logo_link", (5, 5, 1), false),
    ("omero.web.nginx_server_extra_config", (5, 6, 0), true),
    ("omero.web.root_application", (5, 6, 3), true),
    ("omero.web.maximum_multifile_download_size", (5, 8, 0), true),
    ("omero.web.html_meta_referrer", (5, 9, 0), true),
    ("omero.web.redirect_allowed_hosts", (5, 9, 0), true),
    ("omero.web.session_cookie_path", (5, 9, 0), true),
    ("omero.web.favicon_url", (5, 11, 0), true),
    ("omero.web.max_table_download_rows", (5, 11, 0), true),
    ("omero.web.plate_layout", (5, 11, 0), true),
    ("omero.web.search.default_group", (5, 11, 0), true),
    ("omero.web.search.default_user", (5, 11, 0), true),
    ("omero.web.time_zone", (5, 11, 0), true),
    ("omero.web.show_forgot_password", (5, 12, 0), true),
    ("omero.web.session_serializer", (5, 18, 0), true),
    ("omero.web.csrf_cookie_samesite", (5, 21, 0), true),
    ("omero.web.session_cookie_samesite", (5, 21, 0), true),
    ("omero.web.csrf_trusted_origins", (5, 22, 0), true),
    ("omero.web.max_table_slice_size", (5, 27, 0), true),
];

/// The release that added `key`, when it came after 5.2 and is known.
pub fn added_in(key: &str) -> Option<Added> {
    ADDED
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|&(_, (major, minor, patch), in_code)| Added {
            version: OmeroVersion::new(major, minor, patch),
            in_code,
        })
}

/// Properties of current omero-web that OMERO 5.2 (and so 5.0 and 5.1)
/// never reads: the rows of omero-web's settings.py that v5.2.3's lacks.
const NOT_IN_5_2: &[&str] = &[
    "omero.web.api.absolute_url",
    "omero.web.api.limit",
    "omero.web.api.max_limit",
    "omero.web.base_include_template",
    "omero.web.cors_origin_allow_all",
    "omero.web.cors_origin_whitelist",
    "omero.web.csrf_cookie_httponly",
    "omero.web.csrf_cookie_samesite",
    "omero.web.csrf_cookie_secure",
    "omero.web.csrf_trusted_origins",
    "omero.web.django_additional_settings",
    "omero.web.favicon_url",
    "omero.web.feedback.comment.enabled",
    "omero.web.feedback.error.enabled",
    "omero.web.html_meta_referrer",
    "omero.web.login.client_downloads_base",
    "omero.web.login.show_client_downloads",
    "omero.web.login_incorrect_credentials_text",
    "omero.web.max_table_download_rows",
    "omero.web.max_table_slice_size",
    "omero.web.maximum_multifile_download_size",
    "omero.web.middleware",
    "omero.web.nginx_server_extra_config",
    "omero.web.open_with",
    "omero.web.plate_layout",
    "omero.web.public.get_only",
    "omero.web.redirect_allowed_hosts",
    "omero.web.root_application",
    "omero.web.search.default_group",
    "omero.web.search.default_user",
    "omero.web.secure",
    "omero.web.session_cookie_path",
    "omero.web.session_cookie_samesite",
    "omero.web.session_cookie_secure",
    "omero.web.session_serializer",
    "omero.web.sharing.opengraph",
    "omero.web.sharing.twitter",
    "omero.web.show_forgot_password",
    "omero.web.thumbnails_batch",
    "omero.web.time_zone",
    "omero.web.top_logo",
    "omero.web.top_logo_link",
    "omero.web.ui.metadata_panes",
    "omero.web.user_dropdown",
    "omero.web.x_frame_options",
];

/// Defaults of OMERO 5.2 that differ from current omero-web's
/// (`OMERO_HOME` is the OMERO.server folder).
const DEFAULTS_5_2: &[(&str, &str)] = &[
    ("omero.web.logdir", "OMERO_HOME/var/log"),
    ("omero.web.public.url_filter", "^/(?!webadmin)"),
    ("omero.web.session_engine", "omeroweb.filesessionstore"),
    (
        "omero.web.static_root",
        "OMERO_HOME/lib/python/omeroweb/static",
    ),
];

/// Whether `version` reads `key` (a key of the catalogue); why not if not.
pub fn not_read(key: &str, version: OmeroVersion) -> Option<NotRead> {
    let five_one = Added {
        version: OmeroVersion::new(5, 1, 0),
        in_code: false,
    };
    match key {
        // The prefix came in 5.1; 5.0 reads only force_script_name.
        "omero.web.prefix" | "omero.web.caches" if version < five_one.version => {
            return Some(NotRead::Later(Some(five_one)))
        }
        "omero.web.webgateway_cache" if version >= OmeroVersion::new(5, 26, 0) => {
            return Some(NotRead::RemovedIn(OmeroVersion::new(5, 26, 0)))
        }
        _ => {}
    }
    match added_in(key) {
        Some(added) if version < added.version => Some(NotRead::Later(Some(added))),
        Some(_) => None,
        None if version.is_bundled() && NOT_IN_5_2.contains(&key) => Some(NotRead::Later(None)),
        None => None,
    }
}

/// The default `version` gives `key`, where it differs from the catalogue's
/// (current omero-web's).
pub fn default_for(key: &str, version: OmeroVersion) -> Option<&'static str> {
    if version.is_bundled() {
        if let Some((_, d)) = DEFAULTS_5_2.iter().find(|(k, _)| *k == key) {
            return Some(d);
        }
    }
    match key {
        "omero.web.session_engine" if version < OmeroVersion::new(5, 22, 0) => {
            Some("omeroweb.filesessionstore")
        }
        "omero.web.session_serializer" if version < OmeroVersion::new(5, 30, 0) => {
            Some("django.contrib.sessions.serializers.PickleSerializer")
        }
        _ => None,
    }
}

/// Why `version` fails to start when `key` is set at all, whatever the
/// value: omero-web 5.6.0 to 5.14.0 parse `wsgi_threads` with
/// `check_threading`, which compares the configured string with 1
/// (`t > 1`), a TypeError on Python 3 that settings.py does not catch
/// (fixed in 5.14.1, omero-web CHANGELOG "Fix type error for
/// omero.web.wsgi_threads").
pub fn fails_when_set(key: &str, version: OmeroVersion) -> Option<(&'static str, OmeroVersion)> {
    let broken = OmeroVersion::new(5, 6, 0)..OmeroVersion::new(5, 14, 1);
    (key == "omero.web.wsgi_threads" && broken.contains(&version)).then_some((
        "its parser (check_threading) compares the text with 1 and raises TypeError: OMERO.web does not start",
        broken.end,
    ))
}

/// Whether `key` is deprecated in `version`: `force_script_name` is the
/// prefix key itself in 5.0.
pub fn is_current_name(key: &str, version: OmeroVersion) -> bool {
    key == "omero.web.force_script_name" && version < OmeroVersion::new(5, 1, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Catalogue;

    #[test]
    fn versions_parse_and_unknown_lines_are_refused() {
        assert_eq!(
            OmeroVersion::parse("5.2").unwrap(),
            OmeroVersion::new(5, 2, 0)
        );
        assert_eq!(
            OmeroVersion::parse("v5.28.1").unwrap(),
            OmeroVersion::new(5, 28, 1)
        );
        assert!(OmeroVersion::parse("5.4.10")
            .unwrap_err()
            .contains("not described"));
        assert!(OmeroVersion::parse("6.0").is_err());
        assert!(OmeroVersion::parse("5").is_err());
        assert!(OmeroVersion::parse("5.2.x").is_err());
        assert!(OmeroVersion::parse("5.99999999999.1").is_err());
    }

    /// Every key the tables name is one the catalogue knows.
    #[test]
    fn the_tables_name_catalogue_keys() {
        let catalogue = Catalogue::global();
        for key in NOT_IN_5_2.iter().chain(DEFAULTS_5_2.iter().map(|(k, _)| k)) {
            assert!(
                catalogue.get(key).is_some(),
                "{key} is not in the catalogue"
            );
        }
    }

    #[test]
    fn what_each_line_reads() {
        let v = |s: &str| OmeroVersion::parse(s).unwrap();
        let added = |version: &str, in_code| {
            let n: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
            Some(NotRead::Later(Some(Added {
                version: OmeroVersion::new(n[0], n[1], n[2]),
                in_code,
            })))
        };
        assert_eq!(
            not_read("omero.web.csrf_trusted_origins", v("5.2.8")),
            added("5.22.0", true)
        );
        // omero-web releases before a key came ignore it too.
        assert_eq!(
            not_read("omero.web.csrf_trusted_origins", v("5.21.0")),
            added("5.22.0", true)
        );
        assert_eq!(not_read("omero.web.csrf_trusted_origins", v("5.22")), None);
        assert_eq!(
            not_read("omero.web.session_cookie_secure", v("5.2.8")),
            added("5.5.0", false)
        );
        assert_eq!(not_read("omero.web.session_cookie_secure", v("5.6")), None);
        assert_eq!(
            not_read("omero.web.user_dropdown", v("5.2.8")),
            Some(NotRead::Later(None))
        );
        assert_eq!(not_read("omero.web.user_dropdown", v("5.6")), None);
        assert_eq!(
            not_read("omero.web.prefix", v("5.0.8")),
            added("5.1.0", false)
        );
        assert_eq!(not_read("omero.web.prefix", v("5.1.0")), None);
        assert_eq!(not_read("omero.web.webgateway_cache", v("5.25.0")), None);
        assert_eq!(
            not_read("omero.web.webgateway_cache", v("5.26.0")),
            Some(NotRead::RemovedIn(v("5.26.0")))
        );
        assert_eq!(
            default_for("omero.web.session_engine", v("5.21.1")),
            Some("omeroweb.filesessionstore")
        );
        assert_eq!(default_for("omero.web.session_engine", v("5.22.0")), None);
        assert_eq!(
            default_for("omero.web.public.url_filter", v("5.2.8")),
            Some("^/(?!webadmin)")
        );
        assert!(default_for("omero.web.session_serializer", v("5.29.3"))
            .unwrap()
            .ends_with("PickleSerializer"));
        assert_eq!(default_for("omero.web.session_serializer", v("5.30")), None);
        assert!(fails_when_set("omero.web.wsgi_threads", v("5.14.0")).is_some());
        assert!(fails_when_set("omero.web.wsgi_threads", v("5.14.1")).is_none());
        assert!(fails_when_set("omero.web.wsgi_threads", v("5.2.8")).is_none());
    }

    /// Every key added after 5.2 is one 5.2 does not read, and each is
    /// dated at most once.
    #[test]
    fn the_dates_cover_the_keys_5_2_lacks() {
        for (key, _, _) in ADDED {
            assert!(NOT_IN_5_2.contains(key), "{key}");
            assert_eq!(
                ADDED.iter().filter(|(k, _, _)| k == key).count(),
                1,
                "{key}"
            );
        }
        let undated: Vec<_> = NOT_IN_5_2
            .iter()
            .filter(|k| added_in(k).is_none())
            .collect();
        assert_eq!(
            undated,
            [
                &"omero.web.csrf_cookie_httponly",
                &"omero.web.sharing.opengraph",
                &"omero.web.sharing.twitter",
                &"omero.web.thumbnails_batch",
                &"omero.web.user_dropdown"
            ]
        );
    }
}
