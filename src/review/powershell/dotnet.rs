//! The .NET members provisioning scripts call: `[System.IO.File]`,
//! `[System.IO.Directory]`, `[System.IO.Path]`, `[TimeSpan]`, `[string]`
//! and `[Environment]` statics, the methods of strings, hashtables and
//! `$PSCmdlet.ShouldProcess` (learn.microsoft.com, .NET API reference). A
//! .NET exception is a statement-terminating error in PowerShell
//! (about_Try_Catch_Finally), which `try` catches.

use std::ops::Range;

use super::cmdlets::join_path;
use super::commands::Call;
use super::value::{Object, Value};
use super::{Eval, Interpreter};
use crate::review::batch::StepKind;
use crate::review::server::Entry;

impl<'t> Interpreter<'t, '_> {
    /// `[Type]::Property`.
    pub(super) fn static_property(
        &mut self,
        type_name: &str,
        name: &str,
        at: Range<usize>,
    ) -> Eval<'t, Value<'t>> {
        let name = name.to_ascii_lowercase();
        Ok(match (type_name, name.as_str()) {
            ("timespan", "zero") => Value::str("00:00:00"),
            ("timespan", "maxvalue") => Value::str("10675199.02:48:05.4775807"),
            ("string", "empty") => Value::str(""),
            ("environment", "newline") => Value::str("\r\n"),
            ("io.path", "directoryseparatorchar") => Value::str("\\"),
            ("environment", "is64bitoperatingsystem") => Value::Bool(true),
            _ => {
                self.unsupported(at, format!("`[{type_name}]::{name}` is not simulated"));
                Value::Unknown(format!("[{type_name}]::{name}"))
            }
        })
    }

    /// `[Type]::Method(arguments)`.
    pub(super) fn static_method(
        &mut self,
        type_name: &str,
        name: &str,
        arguments: Vec<Value<'t>>,
        at: Range<usize>,
    ) -> Eval<'t, Value<'t>> {
        let method = name.to_ascii_lowercase();
        let text = |i: usize| arguments.get(i).map(Value::text).unwrap_or_default();
        let flag = |i: usize| arguments.get(i).and_then(Value::truth).unwrap_or(false);
        let result = match (type_name, method.as_str()) {
            ("io.file", "exists") => {
                let entry = self.lookup(&text(0), at.clone());
                Value::Bool(matches!(entry, Entry::File(_)))
            }
            ("io.directory", "exists") => {
                let entry = self.lookup(&text(0), at.clone());
                Value::Bool(entry == Entry::Folder)
            }
            ("io.file", "copy") | ("io.file", "move") => {
                let call = self.method_call(name, at.clone());
                let overwrite = method == "copy" && flag(2);
                self.copy_file(&text(0), &text(1), overwrite, method == "move", &call, None)?;
                Value::Null
            }
            ("io.file", "delete") => {
                let full = self.absolute(&text(0));
                let index = self.record(
                    at.clone(),
                    StepKind::File,
                    "[System.IO.File]::Delete",
                    vec![full.clone()],
                );
                // Deleting a file that is not there is no error in .NET.
                if self.lookup(&full, at.clone()) != Entry::Missing {
                    self.server.disk.set(&full, Entry::Missing);
                    self.steps[index].output = format!("deletes {full}");
                } else {
                    self.steps[index].output = format!("{full} is not there: nothing to delete");
                }
                Value::Null
            }
            ("io.file", "readalltext") => match self.lookup(&text(0), at.clone()) {
                Entry::File(Some(content)) => Value::Str(content),
                Entry::Missing => {
                    return Err(self.statement_error(
                        format!("Could not find file '{}'.", self.absolute(&text(0))),
                        at,
                    ))
                }
                _ => Value::Unknown(format!("the content of `{}`", text(0))),
            },
            ("io.file", "writealltext") => {
                let full = self.absolute(&text(0));
                let index = self.record(
                    at.clone(),
                    StepKind::File,
                    "[System.IO.File]::WriteAllText",
                    vec![full.clone()],
                );
                self.server.disk.set(&full, Entry::File(Some(text(1))));
                self.steps[index].output = format!("writes {full}");
                Value::Null
            }
            ("io.directory", "createdirectory") => {
                let full = self.absolute(&text(0));
                match self.lookup(&full, at.clone()) {
                    Entry::Folder => {}
                    Entry::File(_)
                        if self.server.disk.get(&full).1
                            == crate::review::server::Knowledge::Known =>
                    {
                        return Err(self.statement_error(
                            format!("Cannot create \"{full}\" because a file or directory with the same name already exists."),
                            at,
                        ));
                    }
                    // Assumed to exist: nothing to create.
                    Entry::File(None) => {}
                    _ => {
                        let index = self.record(
                            at.clone(),
                            StepKind::File,
                            "[System.IO.Directory]::CreateDirectory",
                            vec![full.clone()],
                        );
                        self.server.disk.set(&full, Entry::Folder);
                        self.steps[index].output = format!("creates folder {full}");
                    }
                }
                Value::Object(Object::new("System.IO.DirectoryInfo", Vec::new()).shown_as(full))
            }
            ("io.directory", "delete") => {
                let full = self.absolute(&text(0));
                let index = self.record(
                    at.clone(),
                    StepKind::File,
                    "[System.IO.Directory]::Delete",
                    vec![full.clone()],
                );
                match self.lookup(&full, at.clone()) {
                    Entry::Missing => {
                        let message = format!("Could not find a part of the path '{full}'.");
                        self.fail_step(index, message, at.clone(), None)?;
                    }
                    _ if !flag(1) && self.server.disk.has_children(&full) => {
                        let message = "The directory is not empty.".to_owned();
                        self.fail_step(index, message, at.clone(), None)?;
                    }
                    _ => {
                        self.server.disk.set(&full, Entry::Missing);
                        self.steps[index].output = format!("removes folder {full}");
                    }
                }
                Value::Null
            }
            ("io.path", "combine") => {
                let mut out = String::new();
                for a in &arguments {
                    let part = a.text();
                    // A rooted part starts over.
                    if part.starts_with('\\') || part.as_bytes().get(1) == Some(&b':') {
                        out = part;
                    } else {
                        out = join_path(&out, &part);
                    }
                }
                Value::Str(out)
            }
            ("io.path", "getfilename") => {
                Value::str(text(0).rsplit(['\\', '/']).next().unwrap_or("").to_owned())
            }
            ("io.path", "getdirectoryname") => Value::str(
                text(0)
                    .rsplit_once(['\\', '/'])
                    .map_or(String::new(), |(d, _)| d.to_owned()),
            ),
            ("io.path", "getextension") => Value::str(
                text(0)
                    .rsplit_once('.')
                    .map_or(String::new(), |(_, e)| format!(".{e}")),
            ),
            ("timespan", m) if m.starts_with("from") => {
                let n = arguments.first().and_then(Value::number).unwrap_or(0);
                let seconds = match m {
                    "fromseconds" => n,
                    "fromminutes" => n.saturating_mul(60),
                    "fromhours" => n.saturating_mul(3600),
                    "fromdays" => n.saturating_mul(86400),
                    _ => {
                        self.unsupported(
                            at.clone(),
                            format!("`[TimeSpan]::{name}` is not simulated"),
                        );
                        return Ok(Value::Unknown(format!("[TimeSpan]::{name}")));
                    }
                };
                Value::Str(timespan(seconds))
            }
            ("string", "isnullorempty") => Value::Bool(text(0).is_empty()),
            ("string", "isnullorwhitespace") => Value::Bool(text(0).trim().is_empty()),
            ("string", "join") => {
                let items: Vec<String> = arguments
                    .iter()
                    .skip(1)
                    .flat_map(|v| v.clone().items())
                    .map(|v| v.text())
                    .collect();
                let len = items.iter().map(String::len).sum::<usize>()
                    + text(0).len().saturating_mul(items.len());
                self.check_length(len, at.clone())?;
                Value::Str(items.join(&text(0)))
            }
            ("string", "format") => {
                let template = text(0);
                let rest: Vec<Value<'t>> = arguments.iter().skip(1).cloned().collect();
                let longest = rest.iter().map(|a| a.text().len()).max().unwrap_or(0);
                self.check_length(
                    template
                        .len()
                        .saturating_add(longest.saturating_mul(template.matches('{').count())),
                    at.clone(),
                )?;
                let mut out = template.clone();
                for (i, v) in rest.iter().enumerate() {
                    out = out.replace(&format!("{{{i}}}"), &v.text());
                }
                Value::Str(out)
            }
            ("environment", "getenvironmentvariable") => self.variable(&format!("env:{}", text(0))),
            _ => {
                self.unsupported(at, format!("`[{type_name}]::{name}(...)` is not simulated"));
                Value::Unknown(format!("[{type_name}]::{name}"))
            }
        };
        Ok(result)
    }

    /// `value.Method(arguments)`: strings, hashtables, `$PSCmdlet`.
    pub(super) fn method(
        &mut self,
        value: Value<'t>,
        name: &str,
        arguments: Vec<Value<'t>>,
        at: Range<usize>,
    ) -> Eval<'t, Value<'t>> {
        let method = name.to_ascii_lowercase();
        let text = |i: usize| arguments.get(i).map(Value::text).unwrap_or_default();
        Ok(match (&value, method.as_str()) {
            (Value::Object(o), "shouldprocess") if o.type_name == "PSScriptCmdlet" => {
                // ShouldProcess is false under -WhatIf (about_Functions_CmdletBindingAttribute).
                Value::Bool(!self.what_if)
            }
            (Value::Object(o), "shouldcontinue") if o.type_name == "PSScriptCmdlet" => {
                Value::Bool(true)
            }
            (_, "tostring") => Value::Str(value.text()),
            (Value::Hash(table), "getenumerator") => {
                if !table.ordered() {
                    // A Hashtable enumerates in the order of its keys' hash codes.
                    self.unsupported(
                        at.clone(),
                        "a hashtable (@{...}) gives its entries in no set order; the review takes them in the order written (write [ordered]@{...} to make the script do so too)".to_owned(),
                    );
                }
                Value::Array(
                    table
                        .entries()
                        .into_iter()
                        .map(|(k, v)| {
                            Value::Object(Object::new(
                                "System.Collections.DictionaryEntry",
                                vec![
                                    ("Key".to_owned(), Value::str(k.clone())),
                                    ("Value".to_owned(), v),
                                    ("Name".to_owned(), Value::Str(k)),
                                ],
                            ))
                        })
                        .collect(),
                )
            }
            (Value::Hash(table), "containskey") => Value::Bool(table.get(&text(0)).is_some()),
            (Value::Array(items), "contains") => {
                let wanted = arguments.first().cloned().unwrap_or(Value::Null);
                Value::Bool(
                    items
                        .iter()
                        .any(|i| super::value::equal(i, &wanted, true) == Some(true)),
                )
            }
            (Value::Str(s), m) => match string_method(s, m, &arguments) {
                Some(v) => v,
                None => {
                    self.unsupported(at, format!("the string method `{name}` is not simulated"));
                    Value::Unknown(format!("the result of .{name}()"))
                }
            },
            (Value::Unknown(why), _) => Value::Unknown(why.clone()),
            (Value::Null, _) => {
                return Err(self.statement_error(
                    "You cannot call a method on a null-valued expression.".to_owned(),
                    at,
                ))
            }
            _ => {
                self.unsupported(at, format!("the method `{name}` is not simulated"));
                Value::Unknown(format!("the result of .{name}()"))
            }
        })
    }

    /// A method call as a step's call (for the file operations shared with cmdlets).
    fn method_call(&self, name: &str, at: Range<usize>) -> Call<'t> {
        Call {
            name: name.to_owned(),
            at,
            arguments: Vec::new(),
            input: None,
        }
    }
}

fn string_method<'t>(s: &str, method: &str, arguments: &[Value<'t>]) -> Option<Value<'t>> {
    let text = |i: usize| arguments.get(i).map(Value::text).unwrap_or_default();
    // TrimStart('/') trims those characters; without arguments, white space.
    let chars = |i: usize| -> Vec<char> { text(i).chars().collect() };
    Some(match method {
        "trim" if arguments.is_empty() => Value::str(s.trim().to_owned()),
        "trim" => Value::str(s.trim_matches(chars(0).as_slice()).to_owned()),
        "trimstart" if arguments.is_empty() => Value::str(s.trim_start().to_owned()),
        "trimstart" => Value::str(s.trim_start_matches(chars(0).as_slice()).to_owned()),
        "trimend" if arguments.is_empty() => Value::str(s.trim_end().to_owned()),
        "trimend" => Value::str(s.trim_end_matches(chars(0).as_slice()).to_owned()),
        "tolower" | "tolowerinvariant" => Value::str(s.to_lowercase()),
        "toupper" | "toupperinvariant" => Value::str(s.to_uppercase()),
        // String.Replace is ordinal and case-sensitive; an empty old value
        // throws (the caller checks the result's length).
        "replace" if text(0).is_empty() => return None,
        "replace" => {
            let (old, new) = (text(0), text(1));
            if new.len() > old.len()
                && s.matches(&old).count().saturating_mul(new.len()) > super::STRING_LIMIT
            {
                return None;
            }
            Value::str(s.replace(&old, &new))
        }
        "startswith" => Value::Bool(s.starts_with(&text(0))),
        "endswith" => Value::Bool(s.ends_with(&text(0))),
        "contains" => Value::Bool(s.contains(&text(0))),
        "indexof" => Value::Int(s.find(&text(0)).map_or(-1, |i| i as i64)),
        "split" => Value::Array(
            s.split(chars(0).as_slice())
                .map(|p| Value::str(p.to_owned()))
                .collect(),
        ),
        "substring" => {
            let start = arguments
                .first()
                .and_then(Value::number)
                .unwrap_or(0)
                .max(0) as usize;
            let rest: String = s.chars().skip(start).collect();
            match arguments.get(1).and_then(Value::number) {
                Some(n) => Value::Str(rest.chars().take(n.max(0) as usize).collect()),
                None => Value::Str(rest),
            }
        }
        _ => return None,
    })
}

/// Seconds as a TimeSpan prints: `hh:mm:ss`, with days as `d.hh:mm:ss`.
fn timespan(seconds: i64) -> String {
    let days = seconds / 86400;
    let rest = seconds % 86400;
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days}.{clock}")
    } else {
        clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_print_as_dotnet_does() {
        assert_eq!(timespan(0), "00:00:00");
        assert_eq!(timespan(20 * 60), "00:20:00");
        assert_eq!(timespan(86400 + 61), "1.00:01:01");
    }
}
