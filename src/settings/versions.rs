//! Which OMERO reads which property, and with which default: the catalogue
//! describes current omero-web; these tables say where older releases
//! differ.
//!
//! Release lines: OMERO 5.0, 5.1 and 5.2 (OMERO.web inside the OMERO.server
//! release, what isapi-wsgi deploys: 5.0.3 to 5.2.8) and omero-web 5.6 and
//! later (its own package, under Gunicorn). Sources: `omeroweb/settings.py`
//! of ome/openmicroscopy at tag v5.2.3 (its history is kept in ome/omero-web,
//! path `omeroweb/settings.py`) against ome/omero-web's current one;
//! `omero.web.prefix` came in 5.1 (before, `omero.web.force_script_name`);
//! `webgateway_cache` is read up to omero-web 5.25 and gone in 5.26.0, and
//! `omeroweb.filesessionstore` is the default session engine before 5.22.0
//! (ome/omero-web `omeroweb/settings.py` at those release tags). OMERO 5.3
//! to 5.5 are not described: `--omero-version` refuses them rather than
//! guess.

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
pub const NEWEST: OmeroVersion = OmeroVersion::new(5, 31, 0);

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
                    "`{text}` is not a version: write X.Y or X.Y.Z, e.g. 5.2.8 or 5.31"
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
}

impl fmt::Display for OmeroVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a version does not read a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRead {
    /// It came with a later release than `version`.
    Later,
    /// It was removed in this version.
    RemovedIn(OmeroVersion),
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
    let bundled = version.is_bundled();
    match key {
        // The prefix came in 5.1; 5.0 reads only force_script_name.
        "omero.web.prefix" if version < OmeroVersion::new(5, 1, 0) => Some(NotRead::Later),
        "omero.web.webgateway_cache" if version >= OmeroVersion::new(5, 26, 0) => {
            Some(NotRead::RemovedIn(OmeroVersion::new(5, 26, 0)))
        }
        "omero.web.caches" if version < OmeroVersion::new(5, 1, 0) => Some(NotRead::Later),
        _ if bundled && NOT_IN_5_2.contains(&key) => Some(NotRead::Later),
        _ => None,
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
        _ => None,
    }
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
        let v = |s| OmeroVersion::parse(s).unwrap();
        assert_eq!(
            not_read("omero.web.csrf_trusted_origins", v("5.2.8")),
            Some(NotRead::Later)
        );
        assert_eq!(not_read("omero.web.csrf_trusted_origins", v("5.31")), None);
        assert_eq!(
            not_read("omero.web.prefix", v("5.0.8")),
            Some(NotRead::Later)
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
    }
}
