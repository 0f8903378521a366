//! The `~` modifiers of batch arguments and `for` variables (`call /?`,
//! `for /?`): `%~1` without quotes, `%~dp0` the script's folder, `%~nxI`
//! a file's name.

/// The modifier letters cmd.exe knows after `~`.
pub const MODIFIERS: &str = "fdpnxsatz";

/// A modifier whose value depends on the file on disk (`a` attributes,
/// `t` time, `z` size) or on a search (`$PATH:`): the caller decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unknown(pub char);

/// `value` (a path, quotes allowed) with `modifiers` applied, relative
/// paths taken from `cwd` (a folder without a trailing `\`).
pub fn with_modifiers(value: &str, modifiers: &str, cwd: &str) -> Result<String, Unknown> {
    // One pair of quotes comes off (`""a""` keeps its inner pair).
    let unquoted = value.strip_prefix('"').unwrap_or(value);
    let unquoted = unquoted.strip_suffix('"').unwrap_or(unquoted);
    if modifiers.is_empty() {
        return Ok(unquoted.to_owned());
    }
    if let Some(c) = modifiers
        .chars()
        .find(|c| matches!(c, 'a' | 't' | 'z' | '$'))
    {
        return Err(Unknown(c));
    }
    if unquoted.is_empty() {
        return Ok(String::new());
    }
    let full = full_path(unquoted, cwd);
    if modifiers.contains('f') {
        return Ok(full);
    }
    let (folder, name) = full.rsplit_once('\\').unwrap_or(("", &full));
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    let mut out = String::new();
    if modifiers.contains('d') {
        out.push_str(full.get(..2).unwrap_or(""));
    }
    if modifiers.contains('p') {
        out.push_str(folder.get(2..).unwrap_or(""));
        out.push('\\');
    }
    if modifiers.contains('n') {
        out.push_str(stem);
    }
    if modifiers.contains('x') {
        out.push_str(extension);
    }
    Ok(out)
}

/// `path` made absolute against `cwd` (`C:\x`, `\\server\share` and `C:x`
/// are taken as they are), `/` read as `\`.
pub fn full_path(path: &str, cwd: &str) -> String {
    let p = path.replace('/', "\\");
    let bytes = p.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' || p.starts_with("\\\\") {
        p
    } else if let Some(rest) = p.strip_prefix('\\') {
        format!("{}\\{rest}", cwd.get(..2).unwrap_or("C:"))
    } else {
        format!("{}\\{p}", cwd.trim_end_matches('\\'))
    }
}

/// A `%~MODIFIERSV` reference in `text` at byte `at` (which holds `%`),
/// for one of the `variables` letters: the modifiers, the letter, and the
/// reference's length. cmd.exe takes the longest run of modifier letters
/// that a known variable letter follows (`%~nf` is `n` of `%f` when `f` is
/// the loop's letter).
pub fn modified_reference(
    text: &str,
    at: usize,
    variables: &[char],
) -> Option<(String, char, usize)> {
    let rest = text.get(at + 1..)?;
    let rest = rest.strip_prefix('~')?;
    let chars: Vec<char> = rest.chars().take(16).collect();
    let run = chars.iter().take_while(|c| MODIFIERS.contains(**c)).count();
    (0..=run.min(chars.len().saturating_sub(1)))
        .rev()
        .find(|&k| chars.get(k).is_some_and(|c| variables.contains(c)))
        .map(|k| {
            let modifiers: String = chars[..k].iter().collect();
            (modifiers, chars[k], 2 + k + chars[k].len_utf8())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_as_cmd_applies_them() {
        let cwd = r"C:\fx";
        assert_eq!(
            with_modifiers(r#""C:\a b\c.txt""#, "", cwd),
            Ok(r"C:\a b\c.txt".into())
        );
        assert_eq!(
            with_modifiers(r"C:\a\c.txt", "dp", cwd),
            Ok(r"C:\a\".into())
        );
        assert_eq!(with_modifiers(r"C:\a\c.txt", "nx", cwd), Ok("c.txt".into()));
        assert_eq!(with_modifiers("c.txt", "f", cwd), Ok(r"C:\fx\c.txt".into()));
        assert_eq!(with_modifiers(r"C:\a\c", "x", cwd), Ok(String::new()));
        assert_eq!(with_modifiers(r"C:\a\c.txt", "z", cwd), Err(Unknown('z')));
        // `%~1` takes one pair of quotes off, as cmd does.
        assert_eq!(with_modifiers(r#"""a"""#, "", cwd), Ok(r#""a""#.into()));
        assert_eq!(
            modified_reference("x %~dpI y", 2, &['I']),
            Some(("dp".into(), 'I', 5))
        );
        assert_eq!(
            modified_reference("%~nf", 0, &['f']),
            Some(("n".into(), 'f', 4))
        );
        assert_eq!(modified_reference("%~dp0", 0, &['I']), None);
    }
}
