//! Attribute values as IIS parses them: types, ranges, granularity and the
//! name validators (the metamodel in the header of IIS_schema.xml, lextm/iis_schema on GitHub;
//! pool names: learn.microsoft.com/iis/wmi-provider/applicationpool-class).

use super::schema::{Attribute, NameRule, TimeFormat, ValueType};

/// Why IIS would refuse a value: one sentence, and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub help: String,
}

fn problem(message: impl Into<String>, help: impl Into<String>) -> Problem {
    Problem {
        message: message.into(),
        help: help.into(),
    }
}

/// Characters the `applicationPoolName` validator refuses.
pub const POOL_NAME_FORBIDDEN: &str = "|<>&\\\"/[]+=;:,?*@";

/// [`POOL_NAME_FORBIDDEN`] as a set of ASCII bytes (bit `b` for byte `b`).
const POOL_NAME_FORBIDDEN_BYTES: u128 = {
    let bytes = POOL_NAME_FORBIDDEN.as_bytes();
    let mut set = 0u128;
    let mut i = 0;
    while i < bytes.len() {
        set |= 1 << bytes[i];
        i += 1;
    }
    set
};
/// Longest application pool name (WMI documentation).
pub const POOL_NAME_MAX: usize = 64;

/// Checks a value against its attribute's type and validators.
pub fn check(attribute: &Attribute, value: &str) -> Result<(), Problem> {
    // `allowInfinite`: the literal bypasses the type and its range.
    if attribute.infinite && value.eq_ignore_ascii_case("Infinite") {
        return Ok(());
    }
    match &attribute.value_type {
        ValueType::Bool => check_bool(value)?,
        ValueType::Uint => check_integer(value, 0, u32::MAX as i64, "an unsigned 32-bit number")
            .and_then(|n| check_range(attribute, n, value))?,
        ValueType::Int => check_integer(value, i32::MIN as i64, i32::MAX as i64, "a 32-bit number")
            .and_then(|n| check_range(attribute, n, value))?,
        ValueType::Int64 => check_integer(value, i64::MIN, i64::MAX, "a 64-bit number")
            .and_then(|n| check_range(attribute, n, value))?,
        ValueType::TimeSpan => {
            let seconds = timespan_seconds(attribute.time_format, value)?;
            check_range(attribute, seconds.floor() as i64, value)?;
            if let Some(g) = attribute.granularity {
                if seconds.fract() != 0.0 || (seconds as i64) % g != 0 {
                    return Err(problem(
                        format!("`{value}` is not a whole number of {}", unit(g)),
                        format!("IIS accepts this time span only in steps of {}", unit(g)),
                    ));
                }
            }
        }
        ValueType::Enum(names) => {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(value)) {
                return Err(problem(
                    format!("`{value}` is not one of the values IIS knows"),
                    format!("use one of: {}", names.join(", ")),
                ));
            }
        }
        ValueType::Flags(names) => {
            let unknown = |part: &&str| !names.iter().any(|n| n.eq_ignore_ascii_case(part));
            // An empty value is no flag at all (0), as IIS's own defaults
            // write it. Most values are one flag: split only a list.
            let first_unknown = if value.trim().is_empty() {
                None
            } else if value.as_bytes().contains(&b',') {
                value.split(',').map(str::trim).find(unknown)
            } else {
                Some(value.trim()).filter(unknown)
            };
            if let Some(part) = first_unknown {
                return Err(problem(
                    format!("`{part}` is not a flag IIS knows"),
                    format!(
                        "combine these with commas: {}, e.g. \"{}\"",
                        names.join(", "),
                        names.iter().take(2).cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        ValueType::String => {}
    }
    if attribute.non_empty && value.is_empty() {
        return Err(problem(
            "the value is empty",
            "IIS needs a non-empty value here",
        ));
    }
    // Not `trim`, which would look at every character of a value of spaces.
    if attribute.trimmed
        && (value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace))
    {
        return Err(problem(
            "the value starts or ends with white space",
            "remove the spaces around the value",
        ));
    }
    if let Some(rule) = attribute.name_rule {
        check_name(rule, value)?;
    }
    Ok(())
}

/// A timespan's seconds, read in the attribute's format (`timeSpanFormat`:
/// text, or a whole number of seconds or minutes).
fn timespan_seconds(format: TimeFormat, value: &str) -> Result<f64, Problem> {
    let per_unit = match format {
        TimeFormat::Text => {
            return parse_timespan(value).ok_or_else(|| {
                problem(
                    format!("`{value}` is not a time span"),
                    "write [d.]hh:mm:ss, e.g. 00:20:00 for twenty minutes or 1.00:00:00 for a day",
                )
            })
        }
        TimeFormat::Seconds => 1,
        TimeFormat::Minutes => 60,
    };
    let what = if per_unit == 1 { "seconds" } else { "minutes" };
    check_integer(
        value,
        0,
        u32::MAX as i64,
        &format!("a whole number of {what}"),
    )
    .map(|n| (n * per_unit) as f64)
}

fn unit(seconds: i64) -> String {
    match seconds {
        60 => "minutes".to_owned(),
        3600 => "hours".to_owned(),
        1 => "seconds".to_owned(),
        n => format!("{n} seconds"),
    }
}

fn check_bool(value: &str) -> Result<(), Problem> {
    if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
        Ok(())
    } else {
        Err(problem(
            format!("`{value}` is not a boolean"),
            "IIS reads only `true` or `false` here",
        ))
    }
}

fn check_integer(value: &str, min: i64, max: i64, what: &str) -> Result<i64, Problem> {
    let parsed = if value.starts_with('+') {
        None
    } else {
        value.parse::<i64>().ok()
    };
    match parsed {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(problem(
            format!("`{value}` is not {what}"),
            format!("write a whole number from {min} to {max}, without spaces or units"),
        )),
    }
}

fn check_range(attribute: &Attribute, n: i64, value: &str) -> Result<(), Problem> {
    let Some((lo, hi, exclude)) = attribute.range else {
        return Ok(());
    };
    let inside = (lo..=hi).contains(&n);
    let seconds = if attribute.value_type == ValueType::TimeSpan {
        " seconds"
    } else {
        ""
    };
    if inside == exclude {
        let help = if exclude {
            format!("IIS refuses values from {lo} to {hi}{seconds} here")
        } else {
            format!("IIS accepts {lo} to {hi}{seconds} here")
        };
        return Err(problem(format!("`{value}` is out of range"), help));
    }
    Ok(())
}

/// Seconds in `[-][d.]hh:mm:ss[.fffffff]` (hours may exceed 23 without a day part).
pub fn parse_timespan(value: &str) -> Option<f64> {
    let (negative, body) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let mut parts = body.split(':');
    let (first, minutes, rest) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (digits(d)?, digits(h)?),
        None => (0, digits(first)?),
    };
    let (secs, fraction) = match rest.split_once('.') {
        Some((s, f)) if !f.is_empty() && f.len() <= 7 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (digits(s)?, format!("0.{f}").parse::<f64>().ok()?)
        }
        Some(_) => return None,
        None => (digits(rest)?, 0.0),
    };
    let minutes = digits(minutes)?;
    if minutes > 59 || secs > 59 || (first.contains('.') && hours > 23) {
        return None;
    }
    let total = ((days * 24 + hours) * 60 + minutes) * 60 + secs;
    let total = total as f64 + fraction;
    Some(if negative { -total } else { total })
}

fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The IIS name validators (pool names, site names, application and virtual
/// directory paths): the one statement of what IIS refuses, used by `check`
/// (OW311) and by `gen`'s option checks (OW201, OW202, which add the
/// generator's own stricter policy on top).
pub fn check_name(rule: NameRule, value: &str) -> Result<(), Problem> {
    match rule {
        NameRule::PoolName => {
            if value.is_empty() {
                return Err(problem(
                    "the application pool name is empty",
                    "give the pool a name",
                ));
            }
            // The forbidden characters are ASCII: bytes are tested, not characters.
            let forbidden = |b: &u8| *b < 128 && POOL_NAME_FORBIDDEN_BYTES >> *b & 1 == 1;
            if let Some(c) = value.bytes().find(forbidden).map(char::from) {
                return Err(problem(
                    format!("application pool name `{value}` contains `{c}`"),
                    format!("IIS refuses these characters in pool names: {POOL_NAME_FORBIDDEN}"),
                ));
            }
            if value.len() > POOL_NAME_MAX && value.chars().count() > POOL_NAME_MAX {
                return Err(problem(
                    format!(
                        "application pool name is {} characters long",
                        value.chars().count()
                    ),
                    format!("IIS accepts at most {POOL_NAME_MAX} characters"),
                ));
            }
        }
        NameRule::SiteName => {
            if value.is_empty() {
                return Err(problem("the site name is empty", "give the site a name"));
            }
            // Both are ASCII: bytes are looked at, not characters.
            if let Some(i) = memchr::memchr2(b'/', b'?', value.as_bytes()) {
                let c = char::from(value.as_bytes()[i]);
                return Err(problem(
                    format!("site name `{value}` contains `{c}`"),
                    "IIS refuses `/` and `?` in site names",
                ));
            }
        }
        NameRule::ApplicationPath | NameRule::VirtualDirectoryPath => check_path(value)?,
    }
    Ok(())
}

fn check_path(value: &str) -> Result<(), Problem> {
    if !value.starts_with('/') {
        return Err(problem(
            format!("path `{value}` does not start with `/`"),
            format!("write `/{}`", value.trim_start_matches('\\')),
        ));
    }
    if value.len() > 1 && value.ends_with('/') {
        return Err(problem(
            format!("path `{value}` ends with `/`"),
            format!("write `{}`", value.trim_end_matches('/')),
        ));
    }
    // Most paths have no `.` at all: only those are split.
    if memchr::memchr(b'.', value.as_bytes()).is_some()
        && value
            .split('/')
            .skip(1)
            .any(|segment| segment == "." || segment == "..")
    {
        return Err(problem(
            format!("path `{value}` has a `.` or `..` segment"),
            "write the path without `.` and `..` segments",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iis::schema::Schema;

    fn attribute(section: &str, path: &[&str], name: &str) -> Attribute {
        let mut element = Schema::global().sections[section].schema().unwrap().clone();
        for step in path {
            element = if *step == "*" {
                element.collection.unwrap().item
            } else {
                element.elements[*step].clone()
            };
        }
        element.attributes[name].clone()
    }

    #[test]
    fn timespans_parse_both_forms_and_honour_granularity() {
        assert_eq!(parse_timespan("00:20:00"), Some(1200.0));
        assert_eq!(parse_timespan("1.00:00:00"), Some(86400.0));
        assert_eq!(parse_timespan("29:00:00"), Some(104400.0));
        assert_eq!(parse_timespan("00:00:01.5"), Some(1.5));
        assert_eq!(parse_timespan("1.24:00:00"), None);
        assert_eq!(parse_timespan("20"), None);
        assert_eq!(parse_timespan("00:60:00"), None);
        let idle = attribute(
            "system.applicationHost/applicationPools",
            &["*", "processModel"],
            "idleTimeout",
        );
        assert!(check(&idle, "00:00:00").is_ok());
        assert!(check(&idle, "00:20:00").is_ok());
        assert!(check(&idle, "00:00:30")
            .unwrap_err()
            .message
            .contains("minutes"));
        assert!(check(&idle, "31.00:00:00")
            .unwrap_err()
            .message
            .contains("out of range"));
    }

    #[test]
    fn booleans_numbers_enums_and_flags() {
        let allowed = attribute(
            "system.webServer/security/isapiCgiRestriction",
            &["*"],
            "allowed",
        );
        assert!(check(&allowed, "True").is_ok());
        assert!(check(&allowed, "yes").is_err());
        let length = attribute(
            "system.webServer/security/requestFiltering",
            &["requestLimits"],
            "maxAllowedContentLength",
        );
        assert!(check(&length, "4294967295").is_ok());
        assert!(check(&length, "4294967296").is_err());
        assert!(check(&length, "-1").is_err());
        assert!(check(&length, "30 MB").is_err());
        let status = attribute(
            "system.webServer/rewrite/rules",
            &["*", "action"],
            "statusCode",
        );
        assert!(check(&status, "403").is_ok());
        assert!(check(&status, "302").is_err());
        let mode = attribute(
            "system.applicationHost/applicationPools",
            &["*"],
            "managedPipelineMode",
        );
        assert!(check(&mode, "integrated").is_ok());
        assert!(check(&mode, "Integrated Mode").is_err());
        let access = attribute("system.webServer/handlers", &[], "accessPolicy");
        assert!(check(&access, "Read, Script").is_ok());
        assert!(check(&access, "Read, Run").is_err());
    }

    #[test]
    fn name_validators() {
        assert!(check_name(NameRule::PoolName, "omeroweb_omero").is_ok());
        assert!(check_name(NameRule::PoolName, "omero:web").is_err());
        assert!(check_name(NameRule::PoolName, &"x".repeat(65)).is_err());
        assert!(check_name(NameRule::SiteName, "Default Web Site").is_ok());
        assert!(check_name(NameRule::SiteName, "a/b").is_err());
        assert!(check_name(NameRule::ApplicationPath, "/").is_ok());
        assert!(check_name(NameRule::ApplicationPath, "/omero").is_ok());
        assert!(check_name(NameRule::ApplicationPath, "omero").is_err());
        assert!(check_name(NameRule::ApplicationPath, "/omero/").is_err());
        assert!(check_name(NameRule::ApplicationPath, "/a/../b").is_err());
    }
}
