//! PowerShell as PowerShell reads it, for `check` (and `review` to come):
//! scripts parsed with tree-sitter's PowerShell grammar into commands with
//! their parameters and arguments ([`commands`]), and parameter binding as
//! PowerShell's binder does it ([`binding`]), from the cmdlet tables in
//! `schemas/iis/cmdlets.toml`.

pub mod binding;

use std::ops::Range;

/// One element after a command's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// `-Name` (`colon`: written `-Name:value`, the value follows).
    Parameter {
        name: String,
        at: Range<usize>,
        colon: bool,
    },
    /// A value: a word, string, variable, expression or script block.
    Argument { at: Range<usize> },
    /// `@name`: splatted arguments, unknown until run time.
    Splat { at: Range<usize> },
}

/// A command of the script: its name and elements as written.
#[derive(Debug, Clone)]
pub struct Command {
    pub name: String,
    pub name_at: Range<usize>,
    pub elements: Vec<Element>,
    /// It receives pipeline input (it is not the first of its pipeline).
    pub piped: bool,
}

/// Every command of `text` (nested ones too: `(Join-Path $a 'b')`,
/// script blocks), in the order they start. `None` when the grammar cannot
/// be loaded (never expected).
pub fn commands(text: &str) -> Option<Vec<Command>> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .ok()?;
    let tree = parser.parse(text, None)?;
    let mut out = Vec::new();
    collect(tree.root_node(), text, &mut out);
    out.sort_by_key(|c| c.name_at.start);
    Some(out)
}

fn collect(node: tree_sitter::Node, text: &str, out: &mut Vec<Command>) {
    if node.kind() == "command" {
        if let Some(command) = command(node, text) {
            out.push(command);
        }
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect(child, text, out);
    }
}

fn command(node: tree_sitter::Node, text: &str) -> Option<Command> {
    let mut cursor = node.walk();
    let name_node = node
        .named_children(&mut cursor)
        .find(|c| c.kind() == "command_name")?;
    let name = text[name_node.byte_range()].to_owned();
    let mut elements = Vec::new();
    let mut cursor = node.walk();
    for part in node.named_children(&mut cursor) {
        if part.kind() != "command_elements" {
            continue;
        }
        let mut inner = part.walk();
        let mut colon_pending = false;
        for element in part.children(&mut inner) {
            let at = element.byte_range();
            match element.kind() {
                "command_argument_sep" if text[at.clone()].contains(':') => colon_pending = true,
                "command_argument_sep" => {}
                // `2>&1`, `> file`: not arguments of the command.
                "redirection" | "redirections" => {}
                "command_parameter" => {
                    let written = &text[at.clone()];
                    let colon = written.ends_with(':');
                    elements.push(Element::Parameter {
                        name: written
                            .trim_start_matches('-')
                            .trim_end_matches(':')
                            .to_owned(),
                        at,
                        colon,
                    });
                    colon_pending = false;
                }
                // PowerShell's dash is also U+2013, U+2014 and U+2015 (the
                // language specification, section 2.3.4): `–Path` copied
                // from a web page is a parameter.
                kind if element.is_named()
                    && !kind.ends_with("comment")
                    && typographic_parameter(&text[at.clone()]).is_some() =>
                {
                    let written = typographic_parameter(&text[at.clone()]).unwrap_or_default();
                    elements.push(Element::Parameter {
                        name: written.trim_end_matches(':').to_owned(),
                        at,
                        colon: written.ends_with(':'),
                    });
                    colon_pending = false;
                }
                kind if element.is_named() && !kind.ends_with("comment") => {
                    if colon_pending {
                        if let Some(Element::Parameter { colon, .. }) = elements.last_mut() {
                            *colon = true;
                        }
                        colon_pending = false;
                    }
                    if text[at.clone()].starts_with('@') && is_splat(element) {
                        elements.push(Element::Splat { at });
                    } else {
                        elements.push(Element::Argument { at });
                    }
                }
                _ => {}
            }
        }
    }
    let piped = node
        .prev_named_sibling()
        .is_some_and(|p| p.kind() == "command" || p.kind().ends_with("expression"));
    Some(Command {
        name,
        name_at: name_node.byte_range(),
        elements,
        piped,
    })
}

/// The name of `–Name` written with a typographic dash (U+2013 to U+2015).
pub fn typographic_parameter(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(['\u{2013}', '\u{2014}', '\u{2015}'])?;
    let name_ok = rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && rest
            .trim_end_matches(':')
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    name_ok.then_some(rest)
}

/// `@name` is a splatted variable (not `@(...)` or `@{...}`).
pub fn is_splat(node: tree_sitter::Node) -> bool {
    let mut node = node;
    loop {
        if node.kind() == "variable" {
            return true;
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.named_children(&mut cursor).collect();
        match children.as_slice() {
            [only] => node = *only,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_with_their_parameters_and_arguments() {
        let text = "Set-ItemProperty -LiteralPath $item -Name applicationPool -Value $Pool\nNew-WebApplication -Site $Site 'x' -PhysicalPath (Join-Path $Here 'a') -Force:$true @rest\nGet-Item x | Where-Object { $_.path -eq 1 }\n";
        let commands = commands(text).unwrap();
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Set-ItemProperty",
                "New-WebApplication",
                "Join-Path",
                "Get-Item",
                "Where-Object"
            ]
        );
        let shape = |c: &Command| -> Vec<String> {
            c.elements
                .iter()
                .map(|e| match e {
                    Element::Parameter { name, colon, .. } => {
                        format!("-{name}{}", if *colon { ":" } else { "" })
                    }
                    Element::Argument { at } => text[at.clone()].to_owned(),
                    Element::Splat { at } => format!("splat {}", &text[at.clone()]),
                })
                .collect()
        };
        assert_eq!(
            shape(&commands[0]),
            [
                "-LiteralPath",
                "$item",
                "-Name",
                "applicationPool",
                "-Value",
                "$Pool"
            ]
        );
        assert_eq!(
            shape(&commands[1]),
            [
                "-Site",
                "$Site",
                "'x'",
                "-PhysicalPath",
                "(Join-Path $Here 'a')",
                "-Force:",
                "$true",
                "splat @rest"
            ]
        );
        assert!(!commands[3].piped);
        assert!(commands[4].piped);
    }
}
