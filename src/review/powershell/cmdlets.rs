//! The cmdlets of the table that are not WebAdministration's (paths and
//! files, output, `Get-Date`, `Import-Module`, Windows features) and the
//! common ones outside the table that scripts pipe through (`Where-Object`,
//! `ForEach-Object`, `Select-Object`, `Out-String`, `Write-Verbose`...).
//! Items on the `IIS:` drive go to [`super::webadministration`].

use super::commands::{Argument, Bound, Call};
use super::expressions::collapse;
use super::value::{Object, Value};
use super::webadministration::is_iis_path;
use super::{Eval, Flow, Interpreter};
use crate::powershell::binding::Cmdlet;
use crate::review::batch::StepKind;
use crate::review::server::Entry;

impl<'t> Interpreter<'t, '_> {
    /// Runs a cmdlet of the table, once bound.
    pub(super) fn cmdlet(
        &mut self,
        cmdlet: &Cmdlet,
        bound: Bound<'t>,
        call: Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let name = cmdlet.name.to_ascii_lowercase();
        // -WhatIf, given or preferred, makes a ShouldProcess cmdlet change nothing.
        if cmdlet.should_process
            && (bound.switch("WhatIf") || (self.what_if && bound.get("WhatIf").is_none()))
        {
            return Ok(Vec::new());
        }
        // Pipeline input binds by property name: an item's PSPath is its path.
        let takes_path = cmdlet.sets.iter().flat_map(|s| &s.parameters).any(|p| {
            p.name.eq_ignore_ascii_case("Path") || p.name.eq_ignore_ascii_case("LiteralPath")
        });
        let from_input = || {
            if !takes_path {
                return None;
            }
            call.input
                .as_ref()
                .and_then(|items| items.first())
                .and_then(|item| item.property("PSPath"))
                .map(|p| p.text())
        };
        let path = bound
            .text("LiteralPath")
            .or_else(|| bound.text("Path"))
            .or_else(from_input)
            .map(|p| {
                if name == "join-path" {
                    p
                } else {
                    self.absolute(&p)
                }
            })
            .unwrap_or_default();
        if let Some(drive) = other_drive(&path) {
            self.unsupported(
                call.at.clone(),
                format!(
                    "the {drive}: drive is not simulated; `{}` is assumed to succeed",
                    cmdlet.name
                ),
            );
            return Ok(vec![Value::Unknown(format!("the items of `{path}`"))]);
        }
        let mut bound = bound;
        if !path.is_empty() {
            // The cmdlets below read the path resolved from the location.
            bound.values.retain(|(n, _)| {
                !n.eq_ignore_ascii_case("Path") && !n.eq_ignore_ascii_case("LiteralPath")
            });
            bound
                .values
                .push(("LiteralPath".to_owned(), Value::Str(path.clone())));
        }
        if is_iis_path(&path) || name.contains("-web") || name == "get-webglobalmodule" {
            return self.webadministration(&name, &bound, &call);
        }
        let at = call.at.clone();
        let action = bound.text("ErrorAction");
        match name.as_str() {
            "write-host" | "write-warning" | "out-null" | "import-module" => Ok(Vec::new()),
            "write-output" => Ok(bound
                .get("InputObject")
                .cloned()
                .map(Value::items)
                .or(call.input)
                .unwrap_or_default()),
            "join-path" => {
                let child = bound.text("ChildPath").unwrap_or_default();
                let joined = join_path(&path, &child);
                Ok(vec![Value::Str(joined)])
            }
            "get-date" => {
                // A simulated clock: 2026-01-01 00:00:00, one second later at
                // each call of either shell (backup names stay distinct
                // across runs, as real time makes them).
                self.server.outputs_simulated += 1;
                let seconds = self.server.outputs_simulated;
                let (m, s) = (seconds / 60 % 60, seconds % 60);
                let h = seconds / 3600 % 24;
                Ok(vec![Value::Str(match bound.text("Format") {
                    Some(format) => format
                        .replace("yyyy", "2026")
                        .replace("MM", "01")
                        .replace("dd", "01")
                        .replace("HH", &format!("{h:02}"))
                        .replace("mm", &format!("{m:02}"))
                        .replace("ss", &format!("{s:02}")),
                    None => format!("Thursday, January 1, 2026 {h:02}:{m:02}:{s:02}"),
                })])
            }
            "test-path" => {
                let entry = self.lookup(&path, at);
                let found = match bound.text("PathType").map(|t| t.to_ascii_lowercase()) {
                    Some(t) if t == "container" => entry == Entry::Folder,
                    Some(t) if t == "leaf" => matches!(entry, Entry::File(_)),
                    _ => entry != Entry::Missing,
                };
                Ok(vec![Value::Bool(found)])
            }
            "get-item" => match self.lookup(&path, at.clone()) {
                Entry::Missing => {
                    self.write_error(cannot_find(&path), at, action.as_deref())?;
                    Ok(Vec::new())
                }
                entry => Ok(vec![file_object(&self.absolute(&path), &entry)]),
            },
            "get-childitem" => Ok(vec![Value::Unknown(format!("the files in `{path}`"))]),
            "get-content" => match self.lookup(&path, at.clone()) {
                Entry::File(Some(text)) => {
                    Ok(text.lines().map(|l| Value::str(l.to_owned())).collect())
                }
                Entry::Missing => {
                    self.write_error(cannot_find(&path), at, action.as_deref())?;
                    Ok(Vec::new())
                }
                _ => Ok(vec![Value::Unknown(format!("the content of `{path}`"))]),
            },
            "new-item" => self.new_file_item(&path, &bound, &call),
            "remove-item" => self.remove_file_item(&path, &bound, &call),
            "copy-item" => {
                let destination = bound.text("Destination").unwrap_or_default();
                // Copy-Item replaces an existing file; -Force is for read-only ones.
                self.copy_file(
                    &path,
                    &destination,
                    true,
                    false,
                    &call,
                    Some(action.clone()),
                )?;
                Ok(Vec::new())
            }
            "set-content" => {
                let value = bound.get("Value").cloned().unwrap_or(Value::Null);
                let text = value
                    .items()
                    .iter()
                    .map(|v| format!("{}\r\n", v.text()))
                    .collect::<String>();
                let full = self.absolute(&path);
                let index = self.record(at, StepKind::File, "Set-Content", vec![full.clone()]);
                self.server.disk.set(&full, Entry::File(Some(text)));
                self.steps[index].output = format!("writes {full}");
                Ok(Vec::new())
            }
            "set-itemproperty" | "get-itemproperty" => {
                self.unsupported(
                    at,
                    format!(
                        "`{}` on `{path}` is not simulated (only items of the IIS: drive are)",
                        cmdlet.name
                    ),
                );
                Ok(vec![Value::Unknown(format!("a property of `{path}`"))])
            }
            "enable-windowsoptionalfeature" => {
                let features = bound.get("FeatureName").cloned().unwrap_or(Value::Null);
                let names: Vec<String> = features.items().iter().map(Value::text).collect();
                let index = self.record(at.clone(), StepKind::External, &cmdlet.name, names);
                if self.injected_failure() {
                    let message = super::webadministration::INJECTED.to_owned();
                    self.fail_step(index, message, at, Some(action))?;
                    return Ok(Vec::new());
                }
                self.steps[index].output =
                    "recorded, not run: Windows features are not simulated; assumed to succeed"
                        .to_owned();
                Ok(vec![Value::Object(Object::new(
                    "Microsoft.Dism.Commands.ImageObject",
                    vec![("RestartNeeded".to_owned(), Value::Bool(false))],
                ))])
            }
            _ => {
                self.not_simulated(&cmdlet.name, &call);
                Ok(vec![Value::Unknown(format!(
                    "the output of {}",
                    cmdlet.name
                ))])
            }
        }
    }

    /// A cmdlet the table does not bind: the common ones are run, a
    /// `Verb-Noun` name otherwise is recorded and not simulated; `None`
    /// for a name that is no cmdlet (a program).
    pub(super) fn builtin(&mut self, call: &Call<'t>) -> Eval<'t, Option<Vec<Value<'t>>>> {
        let name = call.name.to_ascii_lowercase();
        let input = call.input.clone().unwrap_or_default();
        let out = match name.as_str() {
            "where-object" | "where" | "?" => {
                let Some(block) = self.block_argument(call) else {
                    return self.where_property(call, input).map(Some);
                };
                let mut kept = Vec::new();
                for item in input {
                    let result = self.run_block_with(block, item.clone())?;
                    match collapse(result).truth() {
                        Some(true) => kept.push(item),
                        Some(false) => {}
                        None => {
                            self.unsupported(
                                call.at.clone(),
                                "Where-Object compares a value not known: the items are taken as not matching".to_owned(),
                            );
                        }
                    }
                }
                kept
            }
            "foreach-object" | "foreach" | "%" => {
                let Some(block) = self.block_argument(call) else {
                    // `ForEach-Object Name`: each item's member.
                    let member = first_positional(call)
                        .or_else(|| named_value(call, "MemberName"))
                        .map(|v| v.text());
                    return Ok(Some(match member {
                        Some(m) => input.iter().filter_map(|i| i.property(&m)).collect(),
                        None => {
                            self.unsupported(
                                call.at.clone(),
                                "this form of ForEach-Object is not simulated".to_owned(),
                            );
                            Vec::new()
                        }
                    }));
                };
                let mut out = Vec::new();
                for item in input {
                    out.extend(self.run_block_with(block, item)?);
                }
                out
            }
            "select-object" | "select" => {
                let first = named_value(call, "First").and_then(|v| v.number());
                let expand = named_value(call, "ExpandProperty").map(|v| v.text());
                let mut items = input;
                if let Some(n) = first {
                    items.truncate(usize::try_from(n).unwrap_or(0));
                }
                match expand {
                    Some(p) => items.iter().filter_map(|i| i.property(&p)).collect(),
                    None => items,
                }
            }
            "out-string" => vec![Value::Str(
                input.iter().map(|v| format!("{}\r\n", v.text())).collect(),
            )],
            "out-default"
            | "out-host"
            | "format-table"
            | "format-list"
            | "write-verbose"
            | "write-debug"
            | "write-information"
            | "write-progress"
            | "set-strictmode"
            | "start-sleep"
            | "clear-host"
            | "sort-object"
            | "set-executionpolicy"
            | "remove-module" => {
                if name == "sort-object" {
                    input
                } else {
                    Vec::new()
                }
            }
            "write-error" => {
                let message = first_positional(call)
                    .or_else(|| named_value(call, "Message"))
                    .map(|v| v.text())
                    .unwrap_or_default();
                let action = named_value(call, "ErrorAction").map(|v| v.text());
                self.write_error(message, call.at.clone(), action.as_deref())?;
                Vec::new()
            }
            "set-location" | "cd" | "sl" | "push-location" | "pushd" => {
                if let Some(path) = first_positional(call).or_else(|| named_value(call, "Path")) {
                    let path = path.text();
                    if name.starts_with("push") {
                        self.locations.push(self.cwd.clone());
                    }
                    self.cwd = self.absolute(&path).trim_end_matches('\\').to_owned();
                }
                Vec::new()
            }
            "pop-location" | "popd" => {
                if let Some(previous) = self.locations.pop() {
                    self.cwd = previous;
                }
                Vec::new()
            }
            "get-location" | "pwd" => vec![Value::str(self.cwd.clone())],
            "split-path" => {
                let path = first_positional(call)
                    .or_else(|| named_value(call, "Path"))
                    .map(|v| v.text())
                    .unwrap_or_default();
                let leaf = call.arguments.iter().any(|a| {
                    matches!(a, Argument::Named { name, .. } if name.eq_ignore_ascii_case("Leaf"))
                });
                let trimmed = path.trim_end_matches('\\');
                let (parent, last) = trimmed.rsplit_once('\\').unwrap_or(("", trimmed));
                vec![Value::str(if leaf { last } else { parent }.to_owned())]
            }
            "get-command" | "gcm" => {
                let target = first_positional(call)
                    .or_else(|| named_value(call, "Name"))
                    .map(|v| v.text())
                    .unwrap_or_default();
                if crate::powershell::binding::cmdlet(&target).is_some()
                    || self.functions.contains_key(&target.to_lowercase())
                {
                    vec![Value::Object(
                        Object::new("System.Management.Automation.CmdletInfo", Vec::new())
                            .shown_as(target),
                    )]
                } else {
                    vec![Value::Unknown(format!("whether `{target}` is installed"))]
                }
            }
            "move-item" | "mi" | "move" => {
                let source = first_positional(call)
                    .or_else(|| named_value(call, "Path"))
                    .or_else(|| named_value(call, "LiteralPath"))
                    .map(|v| v.text())
                    .unwrap_or_default();
                let destination = named_value(call, "Destination")
                    .or_else(|| positional(call, 1))
                    .map(|v| v.text())
                    .unwrap_or_default();
                let force = call.arguments.iter().any(|a| {
                    matches!(a, Argument::Named { name, .. } if name.eq_ignore_ascii_case("Force"))
                });
                let action = named_value(call, "ErrorAction").map(|v| v.text());
                self.copy_file(&source, &destination, force, true, call, Some(action))?;
                Vec::new()
            }
            "install-windowsfeature" | "add-windowsfeature" | "enable-windowsfeature" => {
                let names: Vec<String> = call
                    .arguments
                    .iter()
                    .filter_map(|a| match a {
                        Argument::Positional(v, _) => Some(v.text()),
                        _ => None,
                    })
                    .collect();
                let index = self.record(call.at.clone(), StepKind::External, &call.name, names);
                self.steps[index].output =
                    "recorded, not run: Windows features are not simulated; assumed to succeed"
                        .to_owned();
                vec![Value::Object(Object::new(
                    "Microsoft.Windows.ServerManager.Commands.FeatureOperationResult",
                    vec![
                        ("Success".to_owned(), Value::Bool(true)),
                        ("RestartNeeded".to_owned(), Value::str("No")),
                    ],
                ))]
            }
            _ if is_cmdlet_name(&call.name) => {
                self.not_simulated(&call.name, call);
                vec![Value::Unknown(format!("the output of {}", call.name))]
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    /// `Where-Object Name -eq value` (the comparison statement form of
    /// PowerShell 3): the property, the operator, the value.
    fn where_property(
        &mut self,
        call: &Call<'t>,
        input: Vec<Value<'t>>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let mut property = None;
        let mut operator = None;
        let mut value = None;
        for argument in &call.arguments {
            match argument {
                Argument::Positional(v, _) if property.is_none() => property = Some(v.text()),
                Argument::Named { name, value: v, .. } if operator.is_none() => {
                    let n = name.to_ascii_lowercase();
                    if n == "property" {
                        property = v.as_ref().map(Value::text);
                        continue;
                    }
                    operator = Some(n);
                    if v.is_some() {
                        value = v.clone();
                    }
                }
                Argument::Positional(v, _) if value.is_none() => value = Some(v.clone()),
                _ => {}
            }
        }
        let (Some(property), Some(operator)) = (property, operator) else {
            self.unsupported(
                call.at.clone(),
                "this form of Where-Object is not simulated".to_owned(),
            );
            return Ok(vec![Value::Unknown("filtered items".to_owned())]);
        };
        let value = value.unwrap_or(Value::Bool(true));
        let mut kept = Vec::new();
        for item in input {
            let left = item.property(&property).unwrap_or(Value::Null);
            let hit = match operator.as_str() {
                "eq" | "ieq" => super::value::equal(&left, &value, false),
                "ceq" => super::value::equal(&left, &value, true),
                "ne" => super::value::equal(&left, &value, false).map(|b| !b),
                "like" => Some(super::value::like(&left.text(), &value.text())),
                "notlike" => Some(!super::value::like(&left.text(), &value.text())),
                "match" => regex::RegexBuilder::new(&value.text())
                    .case_insensitive(true)
                    .build()
                    .ok()
                    .map(|re| re.is_match(&left.text())),
                _ => {
                    self.unsupported(
                        call.at.clone(),
                        format!("Where-Object -{operator} is not simulated"),
                    );
                    return Ok(vec![Value::Unknown("filtered items".to_owned())]);
                }
            };
            if hit == Some(true) {
                kept.push(item);
            }
        }
        Ok(kept)
    }

    /// Records a cmdlet that is not simulated (OW705 on its step).
    fn not_simulated(&mut self, name: &str, call: &Call<'t>) {
        let arguments: Vec<String> = call
            .arguments
            .iter()
            .map(|a| match a {
                Argument::Positional(v, _) => v.text(),
                Argument::Named {
                    name,
                    value: Some(v),
                    ..
                } => format!("-{name}:{}", v.text()),
                Argument::Named { name, .. } => format!("-{name}"),
            })
            .collect();
        let index = self.record(call.at.clone(), StepKind::Cmdlet, name, arguments);
        self.steps[index].output = "not simulated: assumed to succeed".to_owned();
        self.steps[index].assumptions.push(format!(
            "`{name}` is not simulated; assumed to succeed without changing the configuration"
        ));
    }

    /// The script block given to Where-Object or ForEach-Object.
    fn block_argument(&self, call: &Call<'t>) -> Option<tree_sitter::Node<'t>> {
        call.arguments.iter().find_map(|a| match a {
            Argument::Positional(Value::Block(b), _)
            | Argument::Named {
                value: Some(Value::Block(b)),
                ..
            } => Some(*b),
            _ => None,
        })
    }

    /// Runs a script block with `$_` set to `item`.
    pub(super) fn run_block_with(
        &mut self,
        block: tree_sitter::Node<'t>,
        item: Value<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let saved = self.variable("_");
        self.set_variable("_", item.clone());
        self.set_variable("PSItem", item);
        let result = self.block(block);
        self.set_variable("_", saved);
        match result {
            Err(Flow::Return(values, _)) => Ok(values),
            other => other,
        }
    }

    fn new_file_item(
        &mut self,
        path: &str,
        bound: &Bound<'t>,
        call: &Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let path = match bound.text("Name") {
            Some(name) => join_path(path, &name),
            None => path.to_owned(),
        };
        let full = self.absolute(&path);
        let kind = bound
            .text("ItemType")
            .unwrap_or_else(|| "File".to_owned())
            .to_ascii_lowercase();
        let folder = kind == "directory" || kind == "container";
        let force = bound.switch("Force");
        let index = self.record(
            call.at.clone(),
            StepKind::File,
            "New-Item",
            vec![full.clone()],
        );
        let (existing, knowledge) = self.server.disk.get(&full);
        let exists = existing != Entry::Missing;
        if exists && knowledge == crate::review::server::Knowledge::Known && !force {
            let message = format!("An item with the specified name {full} already exists.");
            self.fail_step(
                index,
                message,
                call.at.clone(),
                Some(bound.text("ErrorAction")),
            )?;
            return Ok(Vec::new());
        }
        let entry = if folder {
            Entry::Folder
        } else {
            Entry::File(Some(
                bound.get("Value").map(Value::text).unwrap_or_default(),
            ))
        };
        self.server.disk.set(&full, entry.clone());
        self.steps[index].output = if folder {
            format!("creates folder {full}")
        } else {
            format!("writes {full}")
        };
        Ok(vec![file_object(&full, &entry)])
    }

    fn remove_file_item(
        &mut self,
        path: &str,
        bound: &Bound<'t>,
        call: &Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let full = self.absolute(path);
        let index = self.record(
            call.at.clone(),
            StepKind::File,
            "Remove-Item",
            vec![full.clone()],
        );
        match self.lookup(&full, call.at.clone()) {
            Entry::Missing => {
                let message = cannot_find(&full);
                self.fail_step(
                    index,
                    message,
                    call.at.clone(),
                    Some(bound.text("ErrorAction")),
                )?;
            }
            Entry::Folder if !bound.switch("Recurse") && self.server.disk.has_children(&full) => {
                self.steps[index].assumptions.push(format!(
                    "`{full}` has items and -Recurse is not given: PowerShell asks for confirmation; taken as confirmed"
                ));
                self.server.disk.set(&full, Entry::Missing);
                self.steps[index].output = format!("removes {full}");
            }
            _ => {
                self.server.disk.set(&full, Entry::Missing);
                self.steps[index].output = format!("removes {full}");
            }
        }
        Ok(Vec::new())
    }

    /// Copy-Item, Move-Item and [System.IO.File]::Copy/Move: the file's
    /// content goes with it when known. `cmdlet`: the cmdlet's
    /// `-ErrorAction`, whose errors are non-terminating; `None` for .NET,
    /// whose exceptions stop the statement.
    pub(super) fn copy_file(
        &mut self,
        source: &str,
        destination: &str,
        overwrite: bool,
        is_move: bool,
        call: &Call<'t>,
        cmdlet: Option<Option<String>>,
    ) -> Eval<'t, ()> {
        let source = self.absolute(source);
        let mut target = self.absolute(destination);
        let verb = if is_move { "Move" } else { "Copy" };
        let index = self.record(
            call.at.clone(),
            StepKind::File,
            verb,
            vec![source.clone(), target.clone()],
        );
        let content = match self.lookup(&source, call.at.clone()) {
            Entry::Missing => {
                let message = match cmdlet {
                    Some(_) => format!("Cannot find path '{source}' because it does not exist."),
                    None => format!("Could not find file '{source}'."),
                };
                return self.fail_step(index, message, call.at.clone(), cmdlet);
            }
            Entry::Folder => None,
            Entry::File(content) => content,
        };
        if let (Entry::Folder, _) = self.server.disk.get(&target) {
            let name = source.rsplit('\\').next().unwrap_or("").to_owned();
            target = format!("{}\\{name}", target.trim_end_matches('\\'));
        }
        let (existing, knowledge) = self.server.disk.get(&target);
        if !overwrite
            && knowledge == crate::review::server::Knowledge::Known
            && matches!(existing, Entry::File(_))
        {
            let message = match cmdlet {
                Some(_) => super::webadministration::already_exists().1,
                None => format!("The file '{target}' already exists."),
            };
            return self.fail_step(index, message, call.at.clone(), cmdlet);
        }
        self.server.disk.set(&target, Entry::File(content));
        if is_move {
            self.server.disk.set(&source, Entry::Missing);
        }
        let past = if is_move { "moves" } else { "copies" };
        self.steps[index].output = format!("{past} {source} to {target}");
        Ok(())
    }
}

/// A drive the simulation does not model (`Cert:`, `HKLM:`, `Env:`):
/// its name, when `path` is on one.
fn other_drive(path: &str) -> Option<&str> {
    let (drive, _) = path.split_once(':')?;
    (drive.len() > 1
        && !drive.eq_ignore_ascii_case("iis")
        && drive.chars().all(|c| c.is_ascii_alphabetic()))
    .then_some(drive)
}

/// `Join-Path a b`: one backslash between.
pub(super) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        return child.to_owned();
    }
    format!(
        "{}\\{}",
        parent.trim_end_matches(['\\', '/']),
        child.trim_start_matches(['\\', '/'])
    )
}

fn cannot_find(path: &str) -> String {
    format!("Cannot find path '{path}' because it does not exist.")
}

/// A file or folder as Get-Item returns it: what is not known (size,
/// times) is a value the simulation does not know.
pub(super) fn file_object<'t>(full: &str, entry: &Entry) -> Value<'t> {
    let name = full.rsplit('\\').next().unwrap_or(full).to_owned();
    let length = match entry {
        Entry::File(Some(text)) => Value::Int(text.len() as i64),
        _ => Value::Unknown(format!("the size of `{full}`")),
    };
    Value::Object(
        Object::new(
            if *entry == Entry::Folder {
                "System.IO.DirectoryInfo"
            } else {
                "System.IO.FileInfo"
            },
            vec![
                ("FullName".to_owned(), Value::str(full.to_owned())),
                ("Name".to_owned(), Value::str(name)),
                ("Length".to_owned(), length),
                (
                    "LastWriteTimeUtc".to_owned(),
                    Value::Unknown(format!("the time `{full}` was written")),
                ),
                (
                    "LastWriteTime".to_owned(),
                    Value::Unknown(format!("the time `{full}` was written")),
                ),
                ("Exists".to_owned(), Value::Bool(*entry != Entry::Missing)),
            ],
        )
        .shown_as(full.to_owned()),
    )
}

fn is_cmdlet_name(name: &str) -> bool {
    let Some((verb, noun)) = name.split_once('-') else {
        return false;
    };
    !verb.is_empty()
        && !noun.is_empty()
        && verb.chars().all(|c| c.is_ascii_alphabetic())
        && noun.chars().all(|c| c.is_ascii_alphanumeric())
}

fn named_value<'a, 't>(call: &'a Call<'t>, name: &str) -> Option<&'a Value<'t>> {
    call.arguments.iter().find_map(|a| match a {
        Argument::Named {
            name: n,
            value: Some(v),
            ..
        } if n.eq_ignore_ascii_case(name) => Some(v),
        _ => None,
    })
    .or_else(|| {
        // `-Name value`: the value is the next positional element.
        let i = call.arguments.iter().position(|a| {
            matches!(a, Argument::Named { name: n, value: None, .. } if n.eq_ignore_ascii_case(name))
        })?;
        match call.arguments.get(i + 1) {
            Some(Argument::Positional(v, _)) => Some(v),
            _ => None,
        }
    })
}

fn positional<'a, 't>(call: &'a Call<'t>, n: usize) -> Option<&'a Value<'t>> {
    let mut skip_next = false;
    let mut seen = 0;
    for a in &call.arguments {
        match a {
            Argument::Named {
                value: None, name, ..
            } if !["force", "recurse", "leaf", "parent"]
                .contains(&name.to_ascii_lowercase().as_str()) =>
            {
                skip_next = true
            }
            Argument::Named { .. } => {}
            Argument::Positional(v, _) => {
                if skip_next {
                    skip_next = false;
                    continue;
                }
                if seen == n {
                    return Some(v);
                }
                seen += 1;
            }
        }
    }
    None
}

fn first_positional<'a, 't>(call: &'a Call<'t>) -> Option<&'a Value<'t>> {
    positional(call, 0)
}
