//! Phase 1 of cmd.exe for a batch file: the percent references of a line
//! (`set /?`, `call /?`; stackoverflow.com/questions/4094699, phase 1).
//!
//! [`pieces`] cuts a line into literal text and references; `review`
//! substitutes its environment, `check` looks the names up.

use std::ops::Range;

/// One piece of a line, with its byte range in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text cmd keeps as it is.
    Text(&'a str),
    /// `%%`: one literal `%`.
    Percent,
    /// `%*`: every argument of the script or `call`.
    AllArguments,
    /// `%0`..`%9`, `%~1`, `%~dpnx0`: an argument, with the modifiers
    /// after `~` (`None` without a `~`).
    Argument {
        modifiers: Option<&'a str>,
        index: u8,
    },
    /// `%NAME%` or `%NAME:edit%` (`:~n,m` substring, `:a=b` replacement).
    Variable {
        name: &'a str,
        edit: Option<&'a str>,
    },
    /// A `%` with no closing one on the line: cmd drops it.
    Lone,
}

/// The pieces of `line`, in order, each with its byte range.
pub fn pieces(line: &str) -> Vec<(Range<usize>, Piece<'_>)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        if text_start < i {
            out.push((text_start..i, Piece::Text(&line[text_start..i])));
        }
        let (len, piece) = reference(&line[i..]);
        out.push((i..i + len, piece));
        i += len;
        text_start = i;
    }
    if text_start < bytes.len() {
        out.push((text_start..bytes.len(), Piece::Text(&line[text_start..])));
    }
    out
}

/// The reference `at` starts with (`at` begins with `%`) and its length.
fn reference(at: &str) -> (usize, Piece<'_>) {
    let bytes = at.as_bytes();
    match bytes.get(1) {
        Some(b'%') => return (2, Piece::Percent),
        Some(b'*') => return (2, Piece::AllArguments),
        Some(d @ b'0'..=b'9') => {
            return (
                2,
                Piece::Argument {
                    modifiers: None,
                    index: d - b'0',
                },
            )
        }
        Some(b'~') => {
            let mut letters = at[2..].bytes().take_while(u8::is_ascii_alphabetic).count();
            // `%~$PATH:1`: the argument searched for along a variable's folders.
            if at.as_bytes().get(2 + letters) == Some(&b'$') {
                if let Some(colon) = at[3 + letters..].find([':', '%', ' ']) {
                    if at.as_bytes()[3 + letters + colon] == b':' {
                        letters += 2 + colon;
                    }
                }
            }
            return match bytes.get(2 + letters) {
                Some(d @ b'0'..=b'9') => (
                    3 + letters,
                    Piece::Argument {
                        modifiers: Some(&at[2..2 + letters]),
                        index: d - b'0',
                    },
                ),
                // Not an argument reference: cmd drops the `%`.
                _ => (1, Piece::Lone),
            };
        }
        _ => {}
    }
    // `%NAME%`: to the next `%` on the line (a line break ends it).
    match at[1..].find(['%', '\n']) {
        Some(end) if bytes[1 + end] == b'%' => {
            let body = &at[1..1 + end];
            let (name, edit) = match body.split_once(':') {
                Some((name, edit)) => (name, Some(edit)),
                None => (body, None),
            };
            (end + 2, Piece::Variable { name, edit })
        }
        _ => (1, Piece::Lone),
    }
}

/// `value` with `:~start,length` or `:from=to` applied, as cmd applies
/// an edit to a variable's value (`set /?`).
pub fn edited(value: &str, edit: &str) -> String {
    if let Some(range) = edit.strip_prefix('~') {
        let mut parts = range.split(',');
        let start: i64 = parts
            .next()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let len: Option<i64> = parts.next().and_then(|s| s.trim().parse().ok());
        let chars: Vec<char> = value.chars().collect();
        let n = chars.len() as i64;
        let from = if start < 0 {
            n.saturating_add(start).max(0)
        } else {
            start.min(n)
        };
        let to = match len {
            None => n,
            Some(l) if l < 0 => n.saturating_add(l).max(from),
            Some(l) => from.saturating_add(l).min(n),
        };
        return chars[from as usize..to as usize].iter().collect();
    }
    if let Some((from, to)) = edit.split_once('=') {
        if from.is_empty() {
            return value.to_owned();
        }
        return replace_case_insensitive(value, from, to);
    }
    value.to_owned()
}

/// `value` with every `from` replaced by `to`, ignoring case, as `set /?`
/// describes `%VAR:from=to%`. Compared character by character, so that a
/// character whose lower case is longer cannot shift the positions.
fn replace_case_insensitive(value: &str, from: &str, to: &str) -> String {
    let needle: Vec<char> = from.chars().flat_map(char::to_lowercase).collect();
    let chars: Vec<(usize, char)> = value.char_indices().collect();
    let lower: Vec<Vec<char>> = chars
        .iter()
        .map(|(_, c)| c.to_lowercase().collect())
        .collect();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    'scan: while i < chars.len() {
        // Does `needle` start at character i?
        let mut matched = 0;
        let mut j = i;
        while matched < needle.len() && j < chars.len() {
            let l = &lower[j];
            if needle.len() - matched < l.len() || needle[matched..matched + l.len()] != l[..] {
                break;
            }
            matched += l.len();
            j += 1;
        }
        if matched == needle.len() && !needle.is_empty() {
            out.push_str(to);
            i = j;
            continue 'scan;
        }
        out.push(chars[i].1);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<Piece<'_>> {
        pieces(line).into_iter().map(|(_, p)| p).collect()
    }

    #[test]
    fn references_as_cmd_reads_them() {
        assert_eq!(
            kinds("a %X% 50%% %~dp0%1 %*"),
            [
                Piece::Text("a "),
                Piece::Variable {
                    name: "X",
                    edit: None
                },
                Piece::Text(" 50"),
                Piece::Percent,
                Piece::Text(" "),
                Piece::Argument {
                    modifiers: Some("dp"),
                    index: 0
                },
                Piece::Argument {
                    modifiers: None,
                    index: 1
                },
                Piece::Text(" "),
                Piece::AllArguments,
            ]
        );
        assert_eq!(
            kinds("%P:~0,2%"),
            [Piece::Variable {
                name: "P",
                edit: Some("~0,2")
            }]
        );
        assert_eq!(
            kinds("50% done"),
            [Piece::Text("50"), Piece::Lone, Piece::Text(" done")]
        );
        assert_eq!(
            kinds("%~$PATH:1"),
            [Piece::Argument {
                modifiers: Some("$PATH:"),
                index: 1
            }]
        );
        assert_eq!(edited("C:\\inetpub", "~0,2"), "C:");
        assert_eq!(edited("a-B-c", "b=x"), "a-x-c");
        assert_eq!(edited("abc", "~-2"), "bc");
        assert_eq!(edited("abc", "~1,9223372036854775807"), "bc");
        assert_eq!(edited("\u{130}\u{130}K", "k=x"), "\u{130}\u{130}x");
    }
}
