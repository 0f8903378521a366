//! Commands: pipelines, then each command resolved as PowerShell does
//! (about_Command_Precedence: a function of the script, then a cmdlet, then
//! a program), its arguments bound, and the command run. Cmdlets are bound
//! from `schemas/iis/cmdlets.toml` with the errors PowerShell's binder
//! raises; programs get their arguments as Windows PowerShell 5.1 passes
//! them (about_Parsing).

use std::ops::Range;

use tree_sitter::Node;

use super::statements::variable_name;
use super::value::Value;
use super::{Eval, Flow, Interpreter};
use crate::powershell::binding::{self, Cmdlet, Resolved};
use crate::review::batch::StepKind;
use crate::review::server::Entry;

/// One argument of a command once evaluated.
#[derive(Debug, Clone)]
pub(super) enum Argument<'t> {
    /// `-Name` or `-Name:value`.
    Named {
        name: String,
        value: Option<Value<'t>>,
        at: Range<usize>,
    },
    Positional(Value<'t>, Range<usize>),
}

/// A cmdlet call once bound: each parameter's canonical name and value.
#[derive(Debug, Clone, Default)]
pub(super) struct Bound<'t> {
    pub values: Vec<(String, Value<'t>)>,
    /// Parameters the path's provider adds (`New-Item -bindings` on IIS:).
    pub dynamic: Vec<(String, Value<'t>)>,
}

impl<'t> Bound<'t> {
    pub fn get(&self, name: &str) -> Option<&Value<'t>> {
        self.values
            .iter()
            .chain(&self.dynamic)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(Value::text)
    }

    pub fn switch(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.truth().unwrap_or(false))
    }
}

/// A command about to run: its name, where it is, its arguments, and the
/// pipeline input.
pub(super) struct Call<'t> {
    pub name: String,
    pub at: Range<usize>,
    pub arguments: Vec<Argument<'t>>,
    pub input: Option<Vec<Value<'t>>>,
}

impl<'t> Interpreter<'t, '_> {
    /// A pipeline: each command gets the output of the one before.
    pub(super) fn pipeline(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        match node.kind() {
            "command" => self.command(node, None),
            "pipeline" => {
                let mut out = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for child in children {
                    out.extend(self.statement(child)?);
                }
                Ok(out)
            }
            _ => {
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
                if children
                    .iter()
                    .any(|c| matches!(self.source(*c), "&&" | "||"))
                {
                    self.unsupported(
                        node.byte_range(),
                        "`&&` and `||` between pipelines are PowerShell 7 only: Windows PowerShell 5.1 does not run this line".to_owned(),
                    );
                    return Ok(Vec::new());
                }
                let mut input: Option<Vec<Value<'t>>> = None;
                for child in children
                    .into_iter()
                    .filter(|c| c.is_named() && c.kind() != "comment")
                {
                    let output = if child.kind() == "command" {
                        self.command(child, input.take())?
                    } else if input.is_none() {
                        self.expression(child)?.items()
                    } else {
                        self.unsupported(
                            child.byte_range(),
                            "an expression after `|` is not simulated".to_owned(),
                        );
                        Vec::new()
                    };
                    input = Some(output);
                }
                Ok(input.unwrap_or_default())
            }
        }
    }

    /// Runs one command node.
    pub(super) fn command(
        &mut self,
        node: Node<'t>,
        input: Option<Vec<Value<'t>>>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let at = node.byte_range();
        self.tick(at.clone())?;
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let invoked = children
            .iter()
            .any(|c| c.kind() == "command_invokation_operator");
        let dot_sourced = invoked && self.source(node).trim_start().starts_with('.');
        let Some(name_node) = children
            .iter()
            .find(|c| c.kind() == "command_name" || c.kind() == "command_name_expr")
            .copied()
        else {
            return Ok(Vec::new());
        };
        let name = if name_node.kind() == "command_name" && !invoked {
            self.source(name_node).to_owned()
        } else {
            match name_node.named_child(0) {
                Some(expr) => self.expression(expr)?.text(),
                None => self.bare_word(name_node)?,
            }
        };
        if dot_sourced {
            self.unsupported(
                at,
                format!(
                    "dot-sourcing `{name}` is not simulated: what that script defines is not known"
                ),
            );
            return Ok(Vec::new());
        }
        let arguments = match children.iter().find(|c| c.kind() == "command_elements") {
            Some(elements) => self.arguments(*elements)?,
            None => Vec::new(),
        };
        let call = Call {
            name,
            at,
            arguments,
            input,
        };
        // `$?` tells of the last command: this one succeeds unless it fails.
        self.set_succeeded(true);
        self.enter(call.at.clone())?;
        let result = self.dispatch(call);
        self.leave();
        result
    }

    /// The arguments of a command, evaluated; splats spread.
    fn arguments(&mut self, elements: Node<'t>) -> Eval<'t, Vec<Argument<'t>>> {
        let mut out = Vec::new();
        let mut cursor = elements.walk();
        let children: Vec<Node<'t>> = elements.children(&mut cursor).collect();
        let mut colon_pending = false;
        for child in children {
            let at = child.byte_range();
            let text = self.source(child);
            match child.kind() {
                "command_argument_sep" => colon_pending |= text.contains(':'),
                "command_parameter" => {
                    let colon = text.ends_with(':');
                    out.push(Argument::Named {
                        name: text
                            .trim_start_matches('-')
                            .trim_end_matches(':')
                            .to_owned(),
                        value: None,
                        at: at.clone(),
                    });
                    colon_pending = colon;
                }
                "redirection" | "redirections" => {
                    let target = text.trim();
                    if !(target.ends_with("&1") || target.ends_with("$null")) {
                        self.unsupported(
                            at,
                            format!("the redirection `{target}` is not simulated: the file it writes is not in the review"),
                        );
                    }
                }
                "stop_parsing" => {
                    let rest = text.trim_start_matches("--%").trim().to_owned();
                    for piece in crate::iis::appcmd::split_arguments(&rest, 0, false) {
                        out.push(Argument::Positional(Value::Str(piece.text), at.clone()));
                    }
                }
                "comment" => {}
                _ if child.is_named() => {
                    if let Some(written) = crate::powershell::typographic_parameter(text) {
                        out.push(Argument::Named {
                            name: written.trim_end_matches(':').to_owned(),
                            value: None,
                            at,
                        });
                        colon_pending = written.ends_with(':');
                        continue;
                    }
                    if text.starts_with('@') && crate::powershell::is_splat(child) {
                        let value = self.variable(&variable_name(text));
                        self.splat(value, at, &mut out);
                        continue;
                    }
                    let value = self.expression(child)?;
                    if colon_pending {
                        if let Some(Argument::Named { value: slot, .. }) = out.last_mut() {
                            *slot = Some(value);
                            colon_pending = false;
                            continue;
                        }
                    }
                    out.push(Argument::Positional(value, at));
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// `@args`: an array spreads as positional arguments, a hashtable as
    /// named ones (about_Splatting).
    fn splat(&mut self, value: Value<'t>, at: Range<usize>, out: &mut Vec<Argument<'t>>) {
        match value {
            Value::Hash(table) => {
                for (name, value) in table.entries() {
                    out.push(Argument::Named {
                        name,
                        value: Some(value),
                        at: at.clone(),
                    });
                }
            }
            other => {
                for item in other.items() {
                    out.push(Argument::Positional(item, at.clone()));
                }
            }
        }
    }

    /// A function of the script, a cmdlet, else a program.
    fn dispatch(&mut self, call: Call<'t>) -> Eval<'t, Vec<Value<'t>>> {
        if let Some(function) = self.functions.get(&call.name.to_lowercase()).copied() {
            return self.call_function(function, call);
        }
        if let Some(cmdlet) = binding::cmdlet(&call.name) {
            let bound = self.bind(cmdlet, &call)?;
            return self.cmdlet(cmdlet, bound, call);
        }
        if let Some(output) = self.builtin(&call)? {
            return Ok(output);
        }
        self.native(call)
    }

    /// Binds `call`'s arguments to `cmdlet` as PowerShell's binder does:
    /// named parameters by name, alias or unique prefix; switches; then the
    /// positional arguments in position order, in the parameter set that
    /// the named ones leave. A parameter bound twice, unknown, ambiguous,
    /// without its value, or from two sets is the ParameterBindingException
    /// PowerShell raises (its messages).
    pub(super) fn bind(&mut self, cmdlet: &Cmdlet, call: &Call<'t>) -> Eval<'t, Bound<'t>> {
        let mut bound = Bound::default();
        let mut named: Vec<String> = Vec::new();
        let mut positional: Vec<(Value<'t>, Range<usize>)> = Vec::new();
        let mut arguments = call.arguments.iter().peekable();
        while let Some(argument) = arguments.next() {
            match argument {
                Argument::Positional(value, at) => positional.push((value.clone(), at.clone())),
                Argument::Named { name, value, at } => {
                    let resolved = binding::resolve(cmdlet, name);
                    let (canonical, switch, common) = match resolved {
                        Ok(Resolved::Parameter(p)) => (p.name.clone(), p.is_switch(), false),
                        Ok(Resolved::Common(n, switch)) => (n, switch, true),
                        Err(binding::Problem::Ambiguous { matches, .. }) => {
                            let list: Vec<String> =
                                matches.iter().map(|m| format!("-{m}")).collect();
                            return Err(self.statement_error(
                                format!("Parameter cannot be processed because the parameter name '{name}' is ambiguous. Possible matches include: {}.", list.join(" ")),
                                at.clone(),
                            ));
                        }
                        Err(_) if cmdlet.dynamic => {
                            let value = match value {
                                Some(v) => v.clone(),
                                None => match arguments.peek() {
                                    Some(Argument::Positional(v, _)) => {
                                        let v = v.clone();
                                        arguments.next();
                                        v
                                    }
                                    _ => Value::Bool(true),
                                },
                            };
                            bound.dynamic.push((name.clone(), value));
                            continue;
                        }
                        Err(_) => {
                            return Err(self.statement_error(
                                format!("A parameter cannot be found that matches parameter name '{name}'."),
                                at.clone(),
                            ));
                        }
                    };
                    if named.iter().any(|n| n.eq_ignore_ascii_case(&canonical)) {
                        return Err(self.statement_error(
                            format!("Cannot bind parameter because parameter '{canonical}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\"."),
                            at.clone(),
                        ));
                    }
                    named.push(canonical.clone());
                    let value = match value {
                        Some(v) => v.clone(),
                        None if switch => Value::Bool(true),
                        None => match arguments.peek() {
                            Some(Argument::Positional(v, _)) => {
                                let v = v.clone();
                                arguments.next();
                                v
                            }
                            _ => {
                                return Err(self.statement_error(
                                    format!("Missing an argument for parameter '{canonical}'. Specify a parameter of type '{}' and try again.", type_of(cmdlet, &canonical)),
                                    at.clone(),
                                ));
                            }
                        },
                    };
                    if common {
                        bound.dynamic.push((canonical, value));
                    } else {
                        bound.values.push((canonical, value));
                    }
                }
            }
        }
        let in_set = |set: &binding::ParameterSet| {
            named.iter().all(|n| {
                set.parameters
                    .iter()
                    .any(|p| p.name.eq_ignore_ascii_case(n))
                    || bound.dynamic.iter().any(|(d, _)| d == n)
            })
        };
        let mut candidates: Vec<&binding::ParameterSet> =
            cmdlet.sets.iter().filter(|s| in_set(s)).collect();
        if candidates.is_empty() {
            return Err(self.statement_error(
                "Parameter set cannot be resolved using the specified named parameters.".to_owned(),
                call.at.clone(),
            ));
        }
        // The default set first, when it is one of the candidates.
        if let Some(default) = &cmdlet.default_set {
            candidates.sort_by_key(|s| &s.name != default);
        }
        fn free<'c>(
            set: &'c binding::ParameterSet,
            named: &[String],
        ) -> Vec<&'c binding::Parameter> {
            let mut ps: Vec<&binding::Parameter> = set
                .parameters
                .iter()
                .filter(|p| {
                    p.position.is_some() && !named.iter().any(|n| n.eq_ignore_ascii_case(&p.name))
                })
                .collect();
            ps.sort_by_key(|p| p.position);
            ps
        }
        let takes_rest = |set: &binding::ParameterSet| set.parameters.iter().any(|p| p.remaining);
        let fits = candidates
            .iter()
            .find(|s| positional.len() <= free(s, &named).len() || takes_rest(s))
            .copied();
        let Some(set) = fits else {
            let most = candidates
                .iter()
                .map(|s| free(s, &named).len())
                .max()
                .unwrap_or(0);
            let (value, at) = positional[most].clone();
            return Err(self.statement_error(
                format!(
                    "A positional parameter cannot be found that accepts argument '{}'.",
                    value.text()
                ),
                at,
            ));
        };
        let slots = free(set, &named);
        let mut positional = positional.into_iter();
        for slot in &slots {
            if slot.remaining {
                let rest: Vec<Value<'t>> = positional.by_ref().map(|(v, _)| v).collect();
                bound.values.push((slot.name.clone(), Value::Array(rest)));
                break;
            }
            match positional.next() {
                Some((value, _)) => bound.values.push((slot.name.clone(), value)),
                None => break,
            }
        }
        let missing: Vec<&str> = set
            .parameters
            .iter()
            .filter(|p| {
                p.mandatory
                    && !bound
                        .values
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case(&p.name))
                    && !p.name.eq_ignore_ascii_case("InputObject")
            })
            .map(|p| p.name.as_str())
            .collect();
        if !missing.is_empty() && call.input.is_none() {
            return Err(self.statement_error(
                format!("Cannot process command because of one or more missing mandatory parameters: {}.", missing.join(" ")),
                call.at.clone(),
            ));
        }
        Ok(bound)
    }

    /// A function of the script: its parameters bound by name, then by
    /// position; `$args` holds the rest; a new scope (about_Functions).
    fn call_function(&mut self, function: Node<'t>, call: Call<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut cursor = function.walk();
        let children: Vec<Node<'t>> = function.named_children(&mut cursor).collect();
        let declaration = children
            .iter()
            .find(|c| c.kind() == "function_parameter_declaration")
            .copied();
        let body = children
            .iter()
            .find(|c| c.kind() == "script_block")
            .copied();
        let inner_params = body.and_then(|b| {
            let mut c = b.walk();
            let found = b.named_children(&mut c).find(|n| n.kind() == "param_block");
            found
        });
        let declared = match (declaration, inner_params) {
            (Some(d), _) => self.parameter_names(d),
            (None, Some(p)) => self.parameter_names(p),
            (None, None) => Vec::new(),
        };
        let mut values: Vec<(String, Value<'t>)> = Vec::new();
        let block = declaration.or(inner_params);
        // An advanced function (CmdletBinding or [Parameter()]) takes the
        // common parameters; a simple one puts unknown `-x` into `$args`.
        let advanced = block.is_some_and(|b| {
            let text = self.source(b).to_ascii_lowercase();
            text.contains("cmdletbinding") || text.contains("[parameter")
        }) || body.is_some_and(|b| {
            self.source(b)
                .to_ascii_lowercase()
                .contains("[cmdletbinding")
        });
        let switches: Vec<bool> = declared
            .iter()
            .map(|(name, _)| block.is_some_and(|b| self.is_switch_parameter(b, name)))
            .collect();
        let mut rest = Vec::new();
        let mut error_action = None;
        let mut arguments = call.arguments.into_iter().peekable();
        while let Some(argument) = arguments.next() {
            match argument {
                Argument::Named { name, value, at } => {
                    let found = declared
                        .iter()
                        .position(|(n, _)| n.eq_ignore_ascii_case(&name))
                        .or_else(|| {
                            let matching: Vec<usize> = declared
                                .iter()
                                .enumerate()
                                .filter(|(_, (n, _))| {
                                    n.to_lowercase().starts_with(&name.to_lowercase())
                                })
                                .map(|(i, _)| i)
                                .collect();
                            (matching.len() == 1).then(|| matching[0])
                        });
                    let common = crate::powershell::binding::COMMON
                        .iter()
                        .map(|(n, _)| *n)
                        .chain(["WhatIf", "Confirm"])
                        .find(|c| c.eq_ignore_ascii_case(&name));
                    if found.is_none() && advanced && common.is_some() {
                        let takes_value =
                            !matches!(common, Some("Verbose" | "Debug" | "WhatIf" | "Confirm"));
                        let value = match value {
                            Some(v) => Some(v),
                            None if takes_value => match arguments.next() {
                                Some(Argument::Positional(v, _)) => Some(v),
                                _ => None,
                            },
                            None => None,
                        };
                        if common == Some("ErrorAction") {
                            error_action = value.map(|v| error_action_name(&v));
                        }
                        continue;
                    }
                    let Some(index) = found else {
                        if !advanced {
                            // about_Automatic_Variables: $args holds what no parameter took.
                            rest.push(Value::Str(format!("-{name}")));
                            if let Some(v) = value {
                                rest.push(v);
                            }
                            continue;
                        }
                        return Err(self.statement_error(
                            format!(
                                "A parameter cannot be found that matches parameter name '{name}'."
                            ),
                            at,
                        ));
                    };
                    let value = match value {
                        Some(v) => v,
                        // A switch takes no argument: what follows is positional.
                        None if switches[index] => Value::Bool(true),
                        None => match arguments.peek() {
                            Some(Argument::Positional(..)) => match arguments.next() {
                                Some(Argument::Positional(v, _)) => v,
                                _ => Value::Bool(true),
                            },
                            _ => {
                                return Err(self.statement_error(
                                    format!("Missing an argument for parameter '{}'. Specify a parameter of type 'System.Object' and try again.", declared[index].0),
                                    at,
                                ));
                            }
                        },
                    };
                    values.push((declared[index].0.clone(), value));
                }
                Argument::Positional(value, _) => rest.push(value),
            }
        }
        // The scope first: defaults are evaluated in it, in declaration
        // order, so a default can use the parameters before it.
        let mut scope = super::Scope::default();
        if let Some(action) = error_action {
            scope
                .variables
                .insert("erroractionpreference".to_owned(), Value::Str(action));
        }
        if let Some(input) = &call.input {
            scope
                .variables
                .insert("input".to_owned(), Value::Array(input.clone()));
        }
        self.scopes.push(scope);
        let mut rest = rest.into_iter();
        for (i, (name, default)) in declared.iter().enumerate() {
            let value = match values.iter().find(|(n, _)| n == name) {
                Some((_, v)) => v.clone(),
                None if switches[i] => match default {
                    Some(d) => self.expression(*d).inspect_err(|_| {
                        self.scopes.pop();
                    })?,
                    None => Value::Bool(false),
                },
                None => match rest.next() {
                    Some(v) => v,
                    None => match default {
                        Some(d) => match self.expression(*d) {
                            Ok(v) => v,
                            Err(flow) => {
                                self.scopes.pop();
                                return Err(flow);
                            }
                        },
                        None => Value::Null,
                    },
                },
            };
            self.set_variable(name, value);
        }
        let remaining: Vec<Value<'t>> = rest.collect();
        self.set_variable("args", Value::Array(remaining));
        let result = match body {
            Some(b) => {
                let mut c = b.walk();
                let statements: Vec<Node<'t>> = b
                    .named_children(&mut c)
                    .filter(|n| n.kind() != "param_block")
                    .collect();
                let mut out = Vec::new();
                let mut result = Ok(());
                for s in statements {
                    match self.statement(s) {
                        Ok(v) => out.extend(v),
                        Err(flow) => {
                            result = Err(flow);
                            break;
                        }
                    }
                }
                match result {
                    Ok(()) => Ok(out),
                    Err(Flow::Return(values, _)) => {
                        out.extend(values);
                        Ok(out)
                    }
                    Err(flow) => Err(flow),
                }
            }
            None => Ok(Vec::new()),
        };
        self.scopes.pop();
        result
    }

    /// A program: appcmd is simulated; others are recorded with the
    /// arguments Windows PowerShell 5.1 passes, and assumed to succeed.
    fn native(&mut self, call: Call<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut values = Vec::new();
        for argument in &call.arguments {
            match argument {
                Argument::Positional(v, _) => values.extend(v.clone().items()),
                // `-x` given to a program is the text `-x` (and `-x:v` one word).
                Argument::Named { name, value, .. } => match value {
                    Some(v) => values.push(Value::Str(format!("-{name}:{}", v.text()))),
                    None => values.push(Value::Str(format!("-{name}"))),
                },
            }
        }
        let command_line = native_command_line(&values);
        let arguments: Vec<String> = crate::iis::appcmd::split_arguments(&command_line, 0, false)
            .into_iter()
            .map(|a| a.text)
            .collect();
        let program = call.name.clone();
        let base = program
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&program)
            .to_lowercase();
        if program.contains('\\') {
            let full = self.absolute(&program);
            if self.lookup(&full, call.at.clone()) == Entry::Missing {
                return Err(self.statement_error(
                    format!("The term '{program}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."),
                    call.at,
                ));
            }
        }
        let on_path = !program.contains('\\') && !looks_like_program(&base);
        if base == "appcmd" || base == "appcmd.exe" {
            let index = self.record(call.at.clone(), StepKind::Appcmd, &program, arguments);
            let outcome = if self.injected_failure() {
                crate::review::operations::Outcome::failed(1, super::webadministration::INJECTED)
            } else {
                crate::review::appcmd::run(self.server, &command_line)
            };
            let step = &mut self.steps[index];
            step.output = outcome.output.clone();
            step.changes = outcome.changes;
            step.assumptions.extend(outcome.assumptions);
            self.finish_native(index, outcome.code);
            return Ok(outcome
                .output
                .lines()
                .map(|l| Value::str(l.to_owned()))
                .collect());
        }
        let index = self.record(call.at.clone(), StepKind::External, &program, arguments);
        if self.injected_failure() {
            self.steps[index].output = super::webadministration::INJECTED.to_owned();
            self.finish_native(index, 1);
            return Ok(Vec::new());
        }
        self.steps[index].output = "recorded, not run: assumed to succeed (exit code 0)".to_owned();
        if on_path {
            self.steps[index].assumptions.push(format!(
                "`{program}` is taken as a program on PATH; if it is not installed, PowerShell stops this statement with \"The term '{program}' is not recognized\""
            ));
        }
        self.finish_native(index, 0);
        Ok(vec![Value::Unknown(format!("the output of `{program}`"))])
    }

    fn finish_native(&mut self, index: usize, code: i32) {
        self.steps[index].exit_code = code;
        self.set_variable("global:LASTEXITCODE", Value::Int(i64::from(code)));
        self.set_succeeded(code == 0);
        if code != 0 {
            self.unexamined_failure = Some(index);
        }
    }
}

/// `-ErrorAction` as a preference name: the enum's numbers too
/// (ActionPreference: 0 SilentlyContinue, 1 Stop, 2 Continue, 3 Inquire,
/// 4 Ignore).
pub(super) fn error_action_name(value: &Value) -> String {
    match value.text().trim() {
        "0" => "SilentlyContinue".to_owned(),
        "1" => "Stop".to_owned(),
        "2" => "Continue".to_owned(),
        "3" => "Inquire".to_owned(),
        "4" => "Ignore".to_owned(),
        other => other.to_owned(),
    }
}

/// The type of a parameter, as the binder's message names it.
fn type_of(cmdlet: &Cmdlet, name: &str) -> String {
    let type_name = cmdlet
        .sets
        .iter()
        .flat_map(|s| &s.parameters)
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map_or("Object", |p| p.type_name.as_str());
    let base = type_name.trim_end_matches("[]");
    let full = match base.to_ascii_lowercase().as_str() {
        "string" => "System.String",
        "int" | "int32" => "System.Int32",
        "object" => "System.Object",
        "hashtable" => "System.Collections.Hashtable",
        "psobject" => "System.Management.Automation.PSObject",
        "scriptblock" => "System.Management.Automation.ScriptBlock",
        _ => base,
    };
    if type_name.ends_with("[]") {
        format!("{full}[]")
    } else {
        full.to_owned()
    }
}

/// The command line Windows PowerShell 5.1 builds for a program
/// (about_Parsing, "Passing arguments that contain quote characters"; the
/// `Legacy` value of $PSNativeCommandArgumentPassing in PowerShell 7.3+):
/// an empty string is dropped, an argument with a space or tab is put in
/// double quotes, and quotes inside an argument are passed unescaped.
pub(super) fn native_command_line(values: &[Value]) -> String {
    let mut parts = Vec::new();
    for value in values {
        let text = value.text();
        if text.is_empty() {
            continue;
        }
        if text.contains([' ', '\t']) && !(text.starts_with('"') && text.ends_with('"')) {
            parts.push(format!("\"{text}\""));
        } else {
            parts.push(text);
        }
    }
    parts.join(" ")
}

/// A name PowerShell finds as a program on PATH: with an extension PATHEXT
/// lists, or one of Windows' own tools (a simulation cannot search PATH).
fn looks_like_program(base: &str) -> bool {
    const PATHEXT: [&str; 5] = [".exe", ".com", ".bat", ".cmd", ".msc"];
    const TOOLS: [&str; 16] = [
        "appcmd",
        "icacls",
        "dism",
        "net",
        "sc",
        "iisreset",
        "netsh",
        "cmd",
        "powershell",
        "reg",
        "takeown",
        "msiexec",
        "certutil",
        "setx",
        "robocopy",
        "xcopy",
    ];
    PATHEXT.iter().any(|e| base.ends_with(e)) || TOOLS.contains(&base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_powershell_quotes_arguments_with_spaces_and_drops_empty_ones() {
        let line = native_command_line(&[
            Value::str("C:\\x y\\log"),
            Value::str(""),
            Value::str("/grant"),
            Value::str("a:(OI)(CI)M"),
        ]);
        assert_eq!(line, "\"C:\\x y\\log\" /grant a:(OI)(CI)M");
    }
}
