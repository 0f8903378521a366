//! The small splitting rules of cmd.exe that `check` and `review` share.

/// The program (first word, quotes kept) and the rest of the command text:
/// cmd ends the program word at the first blank outside quotes.
pub fn split_program(text: &str) -> (String, &str) {
    let text = text.trim_start();
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && (c == ' ' || c == '\t') {
            return (text[..i].to_owned(), &text[i + 1..]);
        }
    }
    (text.to_owned(), "")
}

/// The length of the program word [`split_program`] takes from `text`.
pub fn split_program_len(text: &str) -> usize {
    let trimmed = text.trim_start();
    text.len() - trimmed.len() + split_program(trimmed).0.len()
}

/// `goto:eof` and `call:label`: cmd ends the command word at `:` after
/// `goto` and `call`. Returns the jump word and where its target starts.
pub fn jump_word(lower_word: &str) -> Option<(&'static str, usize)> {
    ["goto", "call"].into_iter().find_map(|jump| {
        (lower_word.len() > jump.len()
            && lower_word.starts_with(jump)
            && lower_word[jump.len()..].starts_with(':'))
        .then_some((jump, jump.len()))
    })
}

/// `text` trimmed, without its double quotes.
pub fn unquote(text: &str) -> String {
    text.trim().replace('"', "")
}

/// `text` with cmd's `^` escapes taken off outside quotes (`2^>nul` in a
/// `for /f` command is `2>nul` for the child cmd).
pub fn without_carets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push(c);
            }
            '^' if !quoted => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// The command line a child `cmd /c` runs (that of `for /f ... in
/// ('command')`), with cmd's quote rule (`cmd /?`): the quotes stay when
/// there are exactly two, with blanks and no special character (`&<>()@^|`)
/// between them; otherwise a line that starts with `"` loses that quote
/// and the last one (`"C:\x.exe" a "b"` becomes `C:\x.exe" a "b`).
pub fn child_command_line(line: &str) -> String {
    let trimmed = line.trim_start();
    if !trimmed.starts_with('"') {
        return line.to_owned();
    }
    let quotes: Vec<usize> = trimmed.match_indices('"').map(|(i, _)| i).collect();
    if let [first, second] = quotes[..] {
        let between = &trimmed[first + 1..second];
        if between.contains([' ', '\t'])
            && !between.contains(['&', '<', '>', '(', ')', '@', '^', '|'])
        {
            return trimmed.to_owned();
        }
    }
    let last = quotes.last().copied().unwrap_or(0);
    let mut out = String::with_capacity(trimmed.len());
    out.push_str(&trimmed[1..last.max(1)]);
    if last > 0 {
        out.push_str(&trimmed[last + 1..]);
    }
    out
}

/// Whether a program word names a file with blanks after its extension
/// (`C:\x\appcmd.exe" list "y`, what a child cmd's quote rule left): cmd
/// looks for a file of that whole name and finds none.
pub fn is_broken_program(word: &str) -> bool {
    let name = unquote_all(word);
    let last = name.rsplit('\\').next().unwrap_or("");
    let lower = last.to_ascii_lowercase();
    [".exe ", ".com ", ".cmd ", ".bat "]
        .iter()
        .any(|extension| lower.contains(extension))
}

fn unquote_all(text: &str) -> String {
    text.replace('"', "")
}

/// What follows the label of `call :label a "b c"`.
pub fn label_and_rest(rest: &str) -> &str {
    let after = rest.trim_start().trim_start_matches(':');
    let end = after
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '='))
        .unwrap_or(after.len());
    &after[end..]
}

/// The arguments of a `call`, as cmd hands them to `%1`..., and the items
/// of a plain `for`'s set (`call /?`, `for /?`): separated by blanks, `,`,
/// `;`, `=` or line breaks outside quotes, with their quotes kept.
pub fn call_arguments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if !quoted && matches!(c, ' ' | '\t' | '\r' | '\n' | ',' | ';' | '=') => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A number as `if` and `exit` read it (decimal, or hexadecimal with `0x`).
pub fn parse_number(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse().ok()
}

/// The kind of a `set` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// `set NAME=value` or `set "NAME=value"` (quotes taken off, and the
    /// text after the closing quote dropped, as cmd does).
    Text { name: String, value: String },
    /// `set /a EXPRESSION`.
    Arithmetic(String),
    /// `set /p NAME=prompt`: asks the user.
    Prompt { name: String },
    /// `set` alone, or `set NAME`: lists variables.
    List,
}

/// What `set REST` does (`rest` is the text after `set`, variables
/// expanded or not).
pub fn parse_set(rest: &str) -> Assignment {
    let rest = rest.trim_start();
    let lower = rest.to_ascii_lowercase();
    if lower.starts_with("/a") {
        return Assignment::Arithmetic(unquote(rest[2..].trim()));
    }
    let (rest, prompt) = match lower.strip_prefix("/p") {
        Some(_) => (rest[2..].trim_start(), true),
        None => (rest, false),
    };
    let body = match rest.strip_prefix('"') {
        Some(inner) => match inner.rfind('"') {
            Some(end) => &inner[..end],
            None => inner,
        },
        None => rest,
    };
    let Some((name, value)) = body.split_once('=') else {
        return if prompt {
            Assignment::Prompt {
                name: body.trim().to_owned(),
            }
        } else {
            Assignment::List
        };
    };
    if name.is_empty() {
        return Assignment::List;
    }
    if prompt {
        return Assignment::Prompt {
            name: name.to_owned(),
        };
    }
    Assignment::Text {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_forms() {
        let text = |n: &str, v: &str| Assignment::Text {
            name: n.into(),
            value: v.into(),
        };
        assert_eq!(parse_set(" A=1"), text("A", "1"));
        assert_eq!(parse_set(" \"A=b c\" ignored"), text("A", "b c"));
        assert_eq!(parse_set(" A="), text("A", ""));
        assert_eq!(
            parse_set(" /a N=N+1"),
            Assignment::Arithmetic("N=N+1".into())
        );
        assert_eq!(
            parse_set(" /p X=Name? "),
            Assignment::Prompt { name: "X".into() }
        );
        assert_eq!(parse_set(""), Assignment::List);
    }

    #[test]
    fn program_and_arguments() {
        assert_eq!(
            split_program("\"C:\\a b\\x.exe\" y z"),
            ("\"C:\\a b\\x.exe\"".to_owned(), "y z")
        );
        assert_eq!(jump_word("goto:eof"), Some(("goto", 4)));
        assert_eq!(jump_word("goto"), None);
        assert_eq!(call_arguments("a,b=\"c d\";e"), ["a", "b", "\"c d\"", "e"]);
        assert_eq!(label_and_rest(":sub a b"), " a b");
        assert_eq!(parse_number("0x10"), Some(16));
        assert_eq!(
            child_command_line(r#""C:\a\x.exe" list "p" /text:state"#),
            r#"C:\a\x.exe" list "p /text:state"#
        );
        assert_eq!(
            child_command_line(r#""C:\a b\x.exe" list"#),
            r#""C:\a b\x.exe" list"#
        );
        assert_eq!(child_command_line("x.exe \"a\" b"), "x.exe \"a\" b");
        assert!(is_broken_program(r#"C:\a\x.exe" list "p"#));
        assert!(!is_broken_program(r#""C:\a b\x.exe""#));
    }
}
