//! Secrets in a property set, and keeping them out of what the tool prints.
//!
//! Three kinds: whole values of secret keys (`omero config get` hides keys
//! ending in `pass`/`password`; the catalogue marks others sensitive, such
//! as `omero.web.secret_key`), passwords inside JSON values (the `PASSWORD`
//! of an `omero.web.databases` entry), and the password of a URL's user
//! information (`redis://:pw@host:6379/1` in a `caches` `LOCATION`).

use std::ops::Range;

use super::{Catalogue, Setting};

/// What replaces a secret wherever the tool would print it.
pub const MASK: &str = "********";

/// `omero config get` hides keys ending in `pass`/`password`; we also hide
/// keys the catalogue marks sensitive (such as `omero.web.secret_key`).
pub fn is_secret(key: &str, catalogue: &Catalogue) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.ends_with("pass")
        || lower.ends_with("password")
        || catalogue.get(key).is_some_and(|p| p.sensitive)
}

/// Whether a JSON object key names a secret (`PASSWORD`, `db_pass`, `secret`,
/// `api_token`, ...).
fn is_secret_field(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["pass", "secret", "token", "credential"]
        .iter()
        .any(|w| lower.contains(w))
}

/// The byte range of the password in a URL's user information
/// (`scheme://user:password@host`), if `text` holds such a URL.
fn url_passwords(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("://") {
        let authority_start = from + i + 3;
        let rest = &text[authority_start..];
        let authority_len = rest
            .find(['/', '?', '#', ' ', '"', '\''])
            .unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                let start = authority_start + colon + 1;
                let end = authority_start + at;
                if start < end {
                    found.push(start..end);
                }
            }
        }
        from = authority_start + authority_len;
    }
    found
}

/// The secret pieces of a value that is not secret as a whole: strings under
/// secret JSON keys and URL passwords. Returned as the text of each piece.
pub fn embedded(value: &str) -> Vec<String> {
    let mut found: Vec<String> = url_passwords(value)
        .into_iter()
        .map(|r| value[r].to_owned())
        .collect();
    if value.trim_start().starts_with(['{', '[']) {
        match serde_json::from_str::<serde_json::Value>(value) {
            Ok(json) => json_secrets(&json, false, &mut found),
            // JSON that does not parse (the case that gets a finding, and a
            // snippet) cannot be picked apart: if it names a secret field,
            // all of it is secret.
            Err(_) if names_a_secret_field(value) => found.push(value.to_owned()),
            Err(_) => {}
        }
    }
    found.retain(|s| !s.is_empty());
    found
}

/// Whether text mentions a secret field name anywhere (for JSON that does
/// not parse).
fn names_a_secret_field(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["pass", "secret", "token", "credential"]
        .iter()
        .any(|w| lower.contains(w))
}

fn json_secrets(value: &serde_json::Value, under_secret: bool, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if under_secret => out.push(s.clone()),
        serde_json::Value::Number(n) if under_secret => out.push(n.to_string()),
        serde_json::Value::Bool(b) if under_secret => out.push(b.to_string()),
        serde_json::Value::Array(items) => {
            for item in items {
                json_secrets(item, under_secret, out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                json_secrets(v, under_secret || is_secret_field(k), out);
            }
        }
        _ => {}
    }
}

/// `value` with its embedded secrets replaced by [`MASK`]. JSON is written
/// back compactly with the secret strings masked; URL passwords are masked
/// in place.
pub fn mask_embedded(value: &str) -> String {
    if value.trim_start().starts_with(['{', '[']) {
        match serde_json::from_str::<serde_json::Value>(value) {
            Ok(mut json) => {
                if mask_json(&mut json, false) {
                    return json.to_string();
                }
                return value.to_owned();
            }
            Err(_) if names_a_secret_field(value) => return MASK.to_owned(),
            Err(_) => {}
        }
    }
    mask_urls(value)
}

fn mask_urls(text: &str) -> String {
    let mut out = text.to_owned();
    for range in url_passwords(text).into_iter().rev() {
        out.replace_range(range, MASK);
    }
    out
}

/// Masks secrets inside `value`; whether anything changed.
fn mask_json(value: &mut serde_json::Value, under_secret: bool) -> bool {
    match value {
        serde_json::Value::String(s) if under_secret && !s.is_empty() => {
            *s = MASK.to_owned();
            true
        }
        serde_json::Value::Number(_) | serde_json::Value::Bool(_) if under_secret => {
            *value = serde_json::Value::String(MASK.to_owned());
            true
        }
        serde_json::Value::String(s) => {
            let masked = mask_urls(s);
            let changed = masked != *s;
            *s = masked;
            changed
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            mask_json(item, under_secret) | changed
        }),
        serde_json::Value::Object(map) => map.iter_mut().fold(false, |changed, (k, v)| {
            let secret = under_secret || is_secret_field(k);
            mask_json(v, secret) | changed
        }),
        _ => false,
    }
}

/// The texts of `setting` that must never be printed: the whole value of a
/// secret key, else its embedded secrets. The value's place in its file is
/// hidden from snippets (a one-line config.xml shows its neighbours).
pub fn note(setting: &Setting, catalogue: &Catalogue) -> Vec<String> {
    let Some(text) = setting.text() else {
        return Vec::new();
    };
    let secrets = if is_secret(&setting.key, catalogue) {
        vec![text.to_owned()]
    } else {
        embedded(text)
    };
    if !secrets.iter().all(String::is_empty) {
        setting
            .value_span
            .file
            .hide(setting.value_span.range.clone());
    }
    secrets.into_iter().filter(|s| !s.is_empty()).collect()
}

/// Replaces every secret in `text` by [`MASK`], the longest first (a
/// secret that is part of a longer one must not leave the rest behind).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    let mut longest_first: Vec<&String> = secrets.iter().collect();
    longest_first.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in longest_first {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_and_json_are_found_and_masked() {
        let caches = r#"{"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://:s3cr3t@redis:6379/1"}}"#;
        assert_eq!(embedded(caches), ["s3cr3t"]);
        assert!(!mask_embedded(caches).contains("s3cr3t"));
        assert!(mask_embedded(caches).contains("redis://:********@redis:6379/1"));
        let databases = r#"{"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "omero", "USER": "web", "PASSWORD": "pw1"}}"#;
        assert_eq!(embedded(databases), ["pw1"]);
        let masked = mask_embedded(databases);
        assert!(masked.contains(r#""PASSWORD":"********""#), "{masked}");
        assert!(masked.contains(r#""USER":"web""#), "{masked}");
        assert_eq!(
            mask_embedded("redis://user:pw@h/0"),
            "redis://user:********@h/0"
        );
        assert_eq!(
            mask_embedded("http://host:4080/x@y"),
            "http://host:4080/x@y"
        );
        assert!(embedded("/omero").is_empty());
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let secrets = vec!["pw".to_owned()];
        assert_eq!(redact("a pw b pw", &secrets), "a ******** b ********");
        let nested = vec!["abc".to_owned(), "abcdef".to_owned()];
        assert_eq!(redact("x abcdef y", &nested), "x ******** y");
    }

    #[test]
    fn broken_json_and_numbers_are_secret_too() {
        let broken = r#"{"default": {"PASSWORD": "hunter2",}}"#;
        assert_eq!(embedded(broken), [broken]);
        assert_eq!(mask_embedded(broken), MASK);
        let number = r#"{"default": {"PASSWORD": 4242}}"#;
        assert_eq!(embedded(number), ["4242"]);
        assert!(!mask_embedded(number).contains("4242"));
        assert!(embedded(r#"{"a": [1,}"#).is_empty());
    }
}
