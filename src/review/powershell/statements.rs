//! Statements: the script's `param()` block, statement lists, assignments,
//! `if`, `foreach`, `while`, `try`/`catch`/`finally`, `throw`, `exit`,
//! `return`, `break`, `continue`, and function definitions.

use tree_sitter::Node;

use super::value::{Object, Value};
use super::{Eval, Flow, Interpreter};

impl<'t> Interpreter<'t, '_> {
    /// The whole script: its `param()` block bound to the script's
    /// arguments, then its statements.
    pub(super) fn script_body(&mut self, root: Node<'t>) -> Eval<'t, ()> {
        let mut cursor = root.walk();
        let children: Vec<Node<'t>> = root.named_children(&mut cursor).collect();
        // Functions are known before the first statement runs only when
        // defined above it; PowerShell defines them as it reaches them.
        for child in children {
            match child.kind() {
                "param_block" => self.script_parameters(child)?,
                "statement_list" => {
                    self.statements(child)?;
                }
                _ => {
                    self.statement(child)?;
                }
            }
        }
        Ok(())
    }

    /// Binds the script's arguments (`--arg -TakeOver`) to its `param()`
    /// block; `-WhatIf` sets `$WhatIfPreference` (about_CommonParameters).
    fn script_parameters(&mut self, block: Node<'t>) -> Eval<'t, ()> {
        let declared = self.parameter_names(block);
        let mut bound: Vec<(String, Value<'t>)> = Vec::new();
        let arguments = self.script.arguments.clone();
        let mut positional = declared
            .iter()
            .filter(|(n, _)| !self.is_switch_parameter(block, n))
            .map(|(n, d)| (n.clone(), *d))
            .collect::<Vec<_>>()
            .into_iter();
        let mut i = 0;
        while i < arguments.len() {
            let argument = &arguments[i];
            i += 1;
            if let Some(written) = argument.strip_prefix('-') {
                let (written, inline) = match written.split_once(':') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (written, None),
                };
                if "whatif".starts_with(&written.to_ascii_lowercase()) && written.len() >= 2 {
                    self.what_if = true;
                    self.set_variable("WhatIfPreference", Value::Bool(true));
                    continue;
                }
                let Some((name, _)) = declared
                    .iter()
                    .find(|(n, _)| n.to_lowercase().starts_with(&written.to_lowercase()))
                else {
                    self.unsupported(
                        0..0,
                        format!("the script has no parameter -{written}; PowerShell refuses to run it with that argument"),
                    );
                    return Err(Flow::Exit(1, 0..0));
                };
                let value = match inline {
                    Some(v) => Value::str(v),
                    None if self.is_switch_parameter(block, name) => Value::Bool(true),
                    None => {
                        let v = arguments.get(i).cloned().unwrap_or_default();
                        i += 1;
                        Value::str(v)
                    }
                };
                bound.push((name.clone(), value));
            } else if let Some((name, _)) = positional.next() {
                bound.push((name, Value::str(argument.clone())));
            }
        }
        // Then the defaults of what was not given, in order: a default can
        // use the parameters before it (`$Root = "C:\\inetpub\\$Site"`).
        for (name, default) in &declared {
            let value = match bound.iter().find(|(n, _)| n == name) {
                Some((_, v)) => v.clone(),
                None => match default {
                    Some(node) => self.expression(*node)?,
                    None if self.is_switch_parameter(block, name) => Value::Bool(false),
                    None => Value::Null,
                },
            };
            self.set_variable(name, value);
        }
        Ok(())
    }

    /// The parameters of a `param()` block or a function: names and default values.
    pub(super) fn parameter_names(&self, block: Node<'t>) -> Vec<(String, Option<Node<'t>>)> {
        let mut out = Vec::new();
        let mut stack = vec![block];
        while let Some(node) = stack.pop() {
            if node.kind() == "script_parameter" {
                let mut cursor = node.walk();
                let mut name = None;
                let mut default = None;
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "variable" if name.is_none() => {
                            name = Some(variable_name(self.source(child)))
                        }
                        "script_parameter_default" => default = last_named(child),
                        _ => {}
                    }
                }
                if let Some(name) = name {
                    out.push((name, default));
                }
                continue;
            }
            let mut cursor = node.walk();
            let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        out
    }

    pub(super) fn is_switch_parameter(&self, block: Node<'t>, name: &str) -> bool {
        let mut stack = vec![block];
        while let Some(node) = stack.pop() {
            if node.kind() == "script_parameter" {
                let text = self.source(node).to_ascii_lowercase();
                if text.contains("[switch]")
                    && text.contains(&format!("${}", name.to_ascii_lowercase()))
                {
                    return true;
                }
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        false
    }

    /// Runs a statement list; returns what it wrote to the output.
    pub(super) fn statements(&mut self, list: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut output = Vec::new();
        let mut cursor = list.walk();
        let children: Vec<Node<'t>> = list.named_children(&mut cursor).collect();
        for statement in children {
            match self.statement(statement) {
                Ok(values) => output.extend(values),
                Err(Flow::Throw(error))
                    if error.statement_only
                        && self.try_depth == 0
                        && !self.error_action().eq_ignore_ascii_case("stop") =>
                {
                    // The statement stops; the script goes on.
                    self.set_succeeded(false);
                }
                Err(flow) => return Err(flow),
            }
        }
        Ok(output)
    }

    /// Runs one statement; returns what it wrote to the output.
    pub(super) fn statement(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let kind = node.kind();
        if kind == "comment" || kind == "empty_statement" {
            return Ok(Vec::new());
        }
        self.tick(node.byte_range())?;
        self.enter(node.byte_range())?;
        let result = self.statement_inner(node);
        self.leave();
        result
    }

    fn statement_inner(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let kind = node.kind();
        match kind {
            "ERROR" => {
                // tree-sitter's grammar is not PowerShell's own parser: what it
                // cannot read is reported, and the script goes on.
                self.unsupported(
                    node.byte_range(),
                    "the review's PowerShell grammar cannot read this part; it is not simulated (if PowerShell cannot either, the script does not run at all)".to_owned(),
                );
                Ok(Vec::new())
            }
            "statement_list" | "script_block_body" => self.statements(node),
            "statement_block" | "script_block" => self.block(node),
            "function_statement" => {
                self.define_function(node);
                Ok(Vec::new())
            }
            "if_statement" => self.if_statement(node),
            "foreach_statement" => self.foreach_statement(node),
            "while_statement" => self.while_statement(node),
            "try_statement" => self.try_statement(node),
            "flow_control_statement" => self.flow_control(node),
            "param_block" => self.script_parameters(node).map(|()| Vec::new()),
            "pipeline" if node.named_child_count() == 1 => {
                let child = node.named_child(0).expect("counted");
                self.statement(child)
            }
            "assignment_expression" => self.assignment(node).map(|()| Vec::new()),
            "pipeline" | "pipeline_chain" | "command" => self.pipeline(node),
            "trap_statement"
            | "switch_statement"
            | "do_statement"
            | "for_statement"
            | "data_statement"
            | "class_statement"
            | "enum_statement"
            | "configuration_statement" => {
                self.unsupported(
                    node.byte_range(),
                    format!(
                        "`{}` is not simulated; what it does is not in the review",
                        first_word(self.source(node))
                    ),
                );
                Ok(Vec::new())
            }
            _ => {
                let value = self.expression(node)?;
                Ok(match value {
                    Value::Null => Vec::new(),
                    Value::Array(items) => items,
                    other => vec![other],
                })
            }
        }
    }

    /// `{ ... }`: the statements inside the braces.
    pub(super) fn block(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut output = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for child in children {
            output.extend(self.statement(child)?);
        }
        Ok(output)
    }

    fn define_function(&mut self, node: Node<'t>) {
        let name = node
            .child_by_field_name("function_name")
            .or_else(|| {
                let mut cursor = node.walk();
                let found = node
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "function_name");
                found
            })
            .map(|n| self.source(n).to_owned())
            .unwrap_or_default();
        self.functions.insert(name.to_lowercase(), node);
    }

    /// The condition of an `if` or `while`: a value the simulation does not
    /// know takes the `false` branch, and says so.
    pub(super) fn condition(&mut self, node: Node<'t>) -> Eval<'t, bool> {
        let value = self.pipeline_value(node)?;
        Ok(match value.truth() {
            Some(b) => b,
            None => {
                self.unsupported(
                    node.byte_range(),
                    format!(
                        "this condition depends on {}, which the review does not know: taken as false",
                        match &value {
                            Value::Unknown(why) => why.clone(),
                            _ => "a value not known".to_owned(),
                        }
                    ),
                );
                false
            }
        })
    }

    fn if_statement(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        // if (cond) { } elseif (cond) { } ... else { }
        let mut i = 0;
        while i < children.len() {
            let child = children[i];
            match child.kind() {
                "statement_block" => {
                    i += 1;
                }
                "elseif_clauses" | "elseif_clause" => {
                    let clauses: Vec<Node<'t>> = if child.kind() == "elseif_clauses" {
                        let mut c = child.walk();
                        child.named_children(&mut c).collect()
                    } else {
                        vec![child]
                    };
                    for clause in clauses {
                        let mut c = clause.walk();
                        let parts: Vec<Node<'t>> = clause.named_children(&mut c).collect();
                        let (Some(cond), Some(body)) = (parts.first(), parts.last()) else {
                            continue;
                        };
                        if self.condition(*cond)? {
                            return self.block(*body);
                        }
                    }
                    i += 1;
                }
                "else_clause" => {
                    let mut c = child.walk();
                    let body = child.named_children(&mut c).last();
                    return match body {
                        Some(b) => self.block(b),
                        None => Ok(Vec::new()),
                    };
                }
                _ => {
                    // The `if` condition and its block.
                    let body = children.get(i + 1).copied();
                    if self.condition(child)? {
                        return match body {
                            Some(b) => self.block(b),
                            None => Ok(Vec::new()),
                        };
                    }
                    i += 2;
                }
            }
        }
        Ok(Vec::new())
    }

    fn foreach_statement(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let Some(variable) = parts.iter().find(|p| p.kind() == "variable") else {
            return Ok(Vec::new());
        };
        let name = variable_name(self.source(*variable));
        let Some(body) = parts.last() else {
            return Ok(Vec::new());
        };
        let collection = parts
            .iter()
            .skip_while(|p| p.id() != variable.id())
            .nth(1)
            .copied();
        let items = match collection {
            Some(c) if c.id() != body.id() => self.pipeline_value(c)?.items(),
            _ => Vec::new(),
        };
        let mut output = Vec::new();
        for item in items {
            self.tick(body.byte_range())?;
            self.set_variable(&name, item);
            match self.block(*body) {
                Ok(values) => output.extend(values),
                Err(Flow::Break(_)) => break,
                Err(Flow::Continue(_)) => continue,
                Err(flow) => return Err(flow),
            }
        }
        Ok(output)
    }

    fn while_statement(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let (Some(cond), Some(body)) = (parts.first().copied(), parts.last().copied()) else {
            return Ok(Vec::new());
        };
        let mut output = Vec::new();
        while self.condition(cond)? {
            self.tick(body.byte_range())?;
            match self.block(body) {
                Ok(values) => output.extend(values),
                Err(Flow::Break(_)) => break,
                Err(Flow::Continue(_)) => continue,
                Err(flow) => return Err(flow),
            }
        }
        Ok(output)
    }

    /// `try`/`catch`/`finally` (about_Try_Catch_Finally): a terminating
    /// error in the `try` block runs the first `catch` (typed catches are
    /// taken as matching: the simulation does not know .NET's exception
    /// types), with `$_` the error; `finally` runs however the block ends.
    fn try_statement(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let Some(body) = parts
            .iter()
            .find(|p| p.kind() == "statement_block")
            .copied()
        else {
            return Ok(Vec::new());
        };
        let mut catches = Vec::new();
        let mut finally = None;
        for part in &parts {
            match part.kind() {
                "catch_clauses" => {
                    let mut c = part.walk();
                    catches.extend(
                        part.named_children(&mut c)
                            .filter(|n| n.kind() == "catch_clause"),
                    );
                }
                "catch_clause" => catches.push(*part),
                "finally_clause" => finally = Some(*part),
                _ => {}
            }
        }
        self.try_depth += 1;
        let result = self.block(body);
        self.try_depth -= 1;
        let result = match result {
            Err(Flow::Throw(error)) if !catches.is_empty() => {
                // The first catch whose types take the error's (a catch
                // without types takes any), as PowerShell picks it.
                let Some(catch) = self.matching_catch(&catches, &error) else {
                    return self.finally_then(finally, Err(Flow::Throw(error)));
                };
                let record = Value::Object(
                    Object::new(
                        "System.Management.Automation.ErrorRecord",
                        vec![
                            (
                                "Exception".to_owned(),
                                Value::Object(
                                    Object::new(
                                        error.exception,
                                        vec![(
                                            "Message".to_owned(),
                                            Value::str(error.message.clone()),
                                        )],
                                    )
                                    .shown_as(error.message.clone()),
                                ),
                            ),
                            ("TargetObject".to_owned(), error.thrown.clone()),
                        ],
                    )
                    .shown_as(error.message.clone()),
                );
                self.set_variable("_", record.clone());
                self.set_variable("PSItem", record);
                let mut c = catch.walk();
                let block = catch
                    .named_children(&mut c)
                    .find(|n| n.kind() == "statement_block");
                match block {
                    Some(b) => self.block(b),
                    None => Ok(Vec::new()),
                }
            }
            other => other,
        };
        self.finally_then(finally, result)
    }

    /// Runs a `finally` block, then ends as the `try` and `catch` did.
    fn finally_then(
        &mut self,
        finally: Option<Node<'t>>,
        result: Eval<'t, Vec<Value<'t>>>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        if let Some(finally) = finally {
            let mut c = finally.walk();
            let block = finally
                .named_children(&mut c)
                .find(|n| n.kind() == "statement_block");
            if let Some(b) = block {
                self.block(b)?;
            }
        }
        result
    }

    /// The catch clause that takes `error`: its listed types include the
    /// error's exception type or a base of it; a type the review does not
    /// know is taken as matching, and said so.
    fn matching_catch(
        &mut self,
        catches: &[Node<'t>],
        error: &super::ErrorRecord<'t>,
    ) -> Option<Node<'t>> {
        for catch in catches {
            let mut c = catch.walk();
            let types: Vec<String> = catch
                .named_children(&mut c)
                .filter(|n| n.kind() == "catch_type_list")
                .flat_map(|list| {
                    let mut c = list.walk();
                    list.named_children(&mut c)
                        .map(|t| self.source(t).to_owned())
                        .collect::<Vec<_>>()
                })
                .collect();
            if types.is_empty() {
                return Some(*catch);
            }
            for written in &types {
                let name = super::expressions::type_name(written);
                match super::catches(error.exception, &name) {
                    Some(true) => return Some(*catch),
                    Some(false) => {}
                    None => {
                        self.unsupported(
                            catch.byte_range(),
                            format!("the review does not know the exception type {written}: this catch is taken as matching the error"),
                        );
                        return Some(*catch);
                    }
                }
            }
        }
        None
    }

    fn flow_control(&mut self, node: Node<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let text = self.source(node);
        let keyword = first_word(text).to_ascii_lowercase();
        let mut cursor = node.walk();
        let operand = node
            .named_children(&mut cursor)
            .find(|n| n.kind() != "comment");
        let at = node.byte_range();
        match keyword.as_str() {
            "exit" => {
                let code = match operand {
                    Some(o) => {
                        let value = self.pipeline_value(o)?;
                        value.number().unwrap_or(0)
                    }
                    None => 0,
                };
                // powershell.exe -File takes the low 32 bits.
                Err(Flow::Exit(code as i32, at))
            }
            "throw" => {
                let value = match operand {
                    Some(o) => self.pipeline_value(o)?,
                    // In a catch block, `throw` alone throws the error again.
                    None => match self.variable("_") {
                        Value::Object(o) if o.type_name.ends_with("ErrorRecord") => {
                            Value::Object(o)
                        }
                        _ => Value::str("ScriptHalted"),
                    },
                };
                let message = match &value {
                    Value::Object(o) => o
                        .get("Exception")
                        .and_then(|e| e.property("Message"))
                        .map_or_else(|| value.text(), |m| m.text()),
                    other => other.text(),
                };
                Err(self.throw(message, at, value))
            }
            "return" => {
                let values = match operand {
                    Some(o) => self.pipeline_value(o)?.items(),
                    None => Vec::new(),
                };
                Err(Flow::Return(values, at))
            }
            "break" => Err(Flow::Break(at)),
            "continue" => Err(Flow::Continue(at)),
            _ => {
                self.unsupported(at, format!("`{keyword}` is not simulated"));
                Ok(Vec::new())
            }
        }
    }

    /// `$x = value`, `$x += value`, `$h.key = value`, `$a[i] = value`.
    fn assignment(&mut self, node: Node<'t>) -> Eval<'t, ()> {
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let (Some(target), Some(value_node)) = (parts.first().copied(), parts.last().copied())
        else {
            return Ok(());
        };
        let operator = parts
            .iter()
            .find(|p| p.kind() == "assignement_operator" || p.kind() == "assignment_operator")
            .map_or("=", |p| self.source(*p))
            .trim()
            .to_owned();
        let value = self.pipeline_value(value_node)?;
        let mut target = innermost(target);
        let mut value = value;
        // `[string]$x = ...`: the variable keeps its type; the value is converted.
        if target.kind() == "cast_expression" || target.kind() == "expression_with_unary_operator" {
            let inner = innermost_variable(target);
            if let Some(variable) = inner {
                let type_text =
                    self.source(target)[..variable.start_byte() - target.start_byte()].to_owned();
                value = match super::expressions::type_name(&type_text).as_str() {
                    "string" => Value::Str(value.text()),
                    "int" | "int32" | "int64" | "long" => value.number().map_or(value, Value::Int),
                    "bool" | "switch" => value.truth().map_or(value, Value::Bool),
                    "array" | "string[]" | "object[]" => Value::Array(value.items()),
                    _ => value,
                };
                target = variable;
            }
        }
        match target.kind() {
            "variable" => {
                let name = variable_name(self.source(target));
                let value = if operator == "=" {
                    value
                } else {
                    let old = self.variable(&name);
                    self.arithmetic(&operator[..1], old, value, node.byte_range())?
                };
                self.set_variable(&name, value);
            }
            "member_access" | "element_access" => {
                let value = if operator == "=" {
                    value
                } else {
                    let old = self.expression(target)?;
                    self.arithmetic(&operator[..1], old, value, node.byte_range())?
                };
                self.assign_into(target, value)?
            }
            _ => self.unsupported(
                node.byte_range(),
                format!("assignment to `{}` is not simulated", self.source(target)),
            ),
        }
        Ok(())
    }

    /// `$h.key = v` and `$h['key'] = v` on a hashtable held in a variable.
    fn assign_into(&mut self, target: Node<'t>, value: Value<'t>) -> Eval<'t, ()> {
        let mut cursor = target.walk();
        let parts: Vec<Node<'t>> = target.named_children(&mut cursor).collect();
        let (Some(holder), Some(key_node)) = (parts.first().copied(), parts.last().copied()) else {
            return Ok(());
        };
        let holder = innermost(holder);
        if holder.kind() != "variable" {
            self.unsupported(
                target.byte_range(),
                format!("assignment to `{}` is not simulated", self.source(target)),
            );
            return Ok(());
        }
        let key = if target.kind() == "member_access" {
            Value::str(self.source(key_node).to_owned())
        } else {
            self.expression(key_node)?
        };
        let name = variable_name(self.source(holder));
        let mut container = self.variable(&name);
        match (&mut container, &key) {
            (Value::Hash(table), key) => table.insert(key.text(), value),
            (Value::Object(object), key) if target.kind() == "member_access" => {
                let name = key.text();
                match object
                    .properties
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&name))
                {
                    Some(slot) => slot.1 = value,
                    None => object.properties.push((name, value)),
                }
            }
            (Value::Array(items), Value::Int(i)) if (*i as usize) < items.len() => {
                items[*i as usize] = value;
            }
            _ => {
                self.unsupported(
                    target.byte_range(),
                    format!("assignment to `{}` is not simulated", self.source(target)),
                );
                return Ok(());
            }
        }
        self.set_variable(&name, container);
        Ok(())
    }
}

/// The name of `$Name`, `${Name}`, `$script:Name`, `@Name` (splat).
pub(super) fn variable_name(text: &str) -> String {
    let text = text.trim_start_matches(['$', '@']);
    let text = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    text.to_owned()
}

/// The node under single-child wrappers (`logical_expression` → `variable`):
/// the grammar nests every expression in one node per precedence level.
pub(super) fn innermost(mut node: Node) -> Node {
    const WRAPPERS: [&str; 20] = [
        "logical_expression",
        "bitwise_expression",
        "comparison_expression",
        "additive_expression",
        "multiplicative_expression",
        "format_expression",
        "range_expression",
        "array_literal_expression",
        "unary_expression",
        "logical_argument_expression",
        "bitwise_argument_expression",
        "comparison_argument_expression",
        "additive_argument_expression",
        "multiplicative_argument_expression",
        "format_argument_expression",
        "range_argument_expression",
        "argument_expression",
        "left_assignment_expression",
        "integer_literal",
        "string_literal",
    ];
    while node.named_child_count() == 1
        && node.child_count() == 1
        && (WRAPPERS.contains(&node.kind()) || matches!(node.kind(), "pipeline" | "pipeline_chain"))
    {
        node = node.named_child(0).expect("counted");
    }
    node
}

/// The variable of `[type]$name` (also `[int][string]$name`).
fn innermost_variable(node: Node) -> Option<Node> {
    let mut node = node;
    for _ in 0..16 {
        let mut cursor = node.walk();
        let last = node.named_children(&mut cursor).last().map(innermost)?;
        match last.kind() {
            "variable" => return Some(last),
            "cast_expression" | "expression_with_unary_operator" => node = last,
            _ => return None,
        }
    }
    None
}

fn last_named(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    let last = node.named_children(&mut cursor).last();
    last
}

fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("")
}
