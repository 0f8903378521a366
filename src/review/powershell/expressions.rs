//! Expressions: literals, strings with their expansion, variables,
//! operators (comparison, logical, arithmetic, `-join`, `-split`,
//! `-replace`, `-f`, `-like`, `-match`), arrays, hashtables, casts, member
//! and element access, method calls, sub-expressions (about_Operators,
//! about_Quoting_Rules, learn.microsoft.com).

use std::cmp::Ordering;
use std::ops::Range;

use tree_sitter::Node;

use super::statements::{innermost, variable_name};
use super::value::{equal, like_case, order, Table, Value};
use super::{Eval, Interpreter, STRING_LIMIT};

impl<'t> Interpreter<'t, '_> {
    /// A pipeline or statement used as a value: its output, one item as
    /// itself, several as an array, none as `$null`.
    pub(super) fn pipeline_value(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let node = innermost(node);
        match node.kind() {
            "pipeline"
            | "pipeline_chain"
            | "command"
            | "statement_list"
            | "if_statement"
            | "foreach_statement"
            | "assignment_expression" => {
                let values = self.statement(node)?;
                Ok(collapse(values))
            }
            _ => self.expression(node),
        }
    }

    /// Evaluates an expression node.
    pub(super) fn expression(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        self.enter(node.byte_range())?;
        let result = self.expression_inner(node);
        self.leave();
        if let Ok(Value::Str(s)) = &result {
            self.check_length(s.len(), node.byte_range())?;
        }
        result
    }

    /// Stops the review when a string would pass [`STRING_LIMIT`].
    pub(super) fn check_length(&mut self, len: usize, at: Range<usize>) -> Eval<'t, ()> {
        if len > STRING_LIMIT {
            self.unsupported(
                at.clone(),
                format!("a string longer than {STRING_LIMIT} bytes: the review stops here"),
            );
            return Err(super::Flow::Budget(at));
        }
        Ok(())
    }

    fn expression_inner(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let node = innermost(node);
        let at = node.byte_range();
        match node.kind() {
            "variable" => Ok(self.variable(&variable_name(self.source(node)))),
            "braced_variable" => Ok(self.variable(&variable_name(self.source(node)))),
            "decimal_integer_literal" => Ok(integer(self.source(node), 10)),
            "hexadecimal_integer_literal" => Ok(integer(&self.source(node)[2..], 16)),
            "real_literal" => Ok(Value::str(self.source(node).to_owned())),
            "verbatim_string_characters" => Ok(Value::str(verbatim(self.source(node)))),
            "verbatim_here_string_characters" => Ok(Value::str(here_body(self.source(node)))),
            "expandable_string_literal" | "expandable_here_string_literal" => {
                self.expandable(node).map(Value::Str)
            }
            "string_literal" => match node.named_child(0) {
                Some(child) => self.expression(child),
                None => Ok(Value::str(String::new())),
            },
            "generic_token" | "command_name_expr" | "path_command_name" | "command_name" => {
                self.bare_word(node).map(Value::Str)
            }
            "parenthesized_expression" | "while_condition" => match node.named_child(0) {
                Some(inner) => self.pipeline_value(inner),
                None => Ok(Value::Null),
            },
            "sub_expression" => {
                let mut values = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for child in children {
                    values.extend(self.statement(child)?);
                }
                Ok(collapse(values))
            }
            "array_expression" => {
                let mut values = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for child in children {
                    if child.kind() == "array_literal_expression" {
                        values.extend(self.expression(child)?.items());
                    } else {
                        values.extend(self.statement(child)?);
                    }
                }
                Ok(Value::Array(values))
            }
            "array_literal_expression" => {
                let mut values = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for child in children {
                    values.push(self.expression(child)?);
                }
                Ok(if values.len() == 1 {
                    values.pop().expect("one")
                } else {
                    Value::Array(values)
                })
            }
            "hash_literal_expression" => self.hashtable(node, false),
            "script_block_expression" => Ok(Value::Block(node)),
            "logical_expression" => self.logical(node),
            "comparison_expression" => self.comparison(node),
            "additive_expression" | "multiplicative_expression" => {
                let (left, operator, right) = self.binary_parts(node)?;
                self.arithmetic(&operator, left, right, at)
            }
            "format_expression" => {
                let (left, _, right) = self.binary_parts(node)?;
                let arguments = right.items();
                let longest = arguments.iter().map(|a| a.text().len()).max().unwrap_or(0);
                let template = left.text();
                let uses = template.matches('{').count();
                self.check_length(
                    template.len().saturating_add(longest.saturating_mul(uses)),
                    at,
                )?;
                Ok(Value::Str(format(&template, &arguments)))
            }
            "expression_with_unary_operator" => self.unary(node),
            "cast_expression" => self.cast(node),
            "member_access" => self.member_access(node),
            "invokation_expression" => self.invocation(node),
            "element_access" => self.element_access(node),
            "type_literal" => Ok(Value::str(self.source(node).to_owned())),
            "pre_increment_expression"
            | "post_increment_expression"
            | "pre_decrement_expression"
            | "post_decrement_expression" => self.increment(node).map(|()| Value::Null),
            "pipeline"
            | "pipeline_chain"
            | "command"
            | "assignment_expression"
            | "if_statement"
            | "statement_list" => self.pipeline_value(node),
            "ERROR" => {
                self.unsupported(
                    at,
                    "the review's PowerShell grammar cannot read this part; it is not simulated"
                        .to_owned(),
                );
                Ok(Value::Unknown("a part the review cannot read".to_owned()))
            }
            kind => {
                self.unsupported(
                    at,
                    format!("`{}` ({kind}) is not simulated", short(self.source(node))),
                );
                Ok(Value::Unknown(format!("`{}`", short(self.source(node)))))
            }
        }
    }

    /// `@{ key = value; ... }`.
    pub(super) fn hashtable(&mut self, node: Node<'t>, ordered: bool) -> Eval<'t, Value<'t>> {
        let table = Table::new(ordered);
        let mut entries = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "hash_entry" {
                entries.push(n);
                continue;
            }
            let mut cursor = n.walk();
            let children: Vec<Node<'t>> = n.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        for entry in entries {
            let mut cursor = entry.walk();
            let parts: Vec<Node<'t>> = entry.named_children(&mut cursor).collect();
            let (Some(key), Some(value)) = (parts.first().copied(), parts.last().copied()) else {
                continue;
            };
            let mut key = innermost(key);
            if key.kind() == "key_expression" && key.named_child_count() == 1 {
                key = innermost(key.named_child(0).expect("counted"));
            }
            let key = match key.kind() {
                "simple_name" | "key_expression" | "generic_token" => self.source(key).to_owned(),
                _ => self.expression(key)?.text(),
            };
            let value = self.pipeline_value(value)?;
            table.insert(key, value);
        }
        Ok(Value::Hash(table))
    }

    fn binary_parts(&mut self, node: Node<'t>) -> Eval<'t, (Value<'t>, String, Value<'t>)> {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
        let (Some(first), Some(last)) = (children.first().copied(), children.last().copied())
        else {
            return Ok((Value::Null, String::new(), Value::Null));
        };
        let operator = children
            .iter()
            .skip(1)
            .take(children.len().saturating_sub(2))
            .map(|c| self.source(*c))
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        let left = self.expression(first)?;
        let right = self.expression(last)?;
        Ok((left, operator, right))
    }

    /// `-and`, `-or` (short-circuit), `-xor`.
    fn logical(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
        let Some(first) = children.first().copied() else {
            return Ok(Value::Null);
        };
        let first = self.expression(first)?;
        let mut reason = unknown_reason(&first);
        let mut value = first.truth();
        let mut i = 1;
        while i + 1 < children.len() {
            let operator = self.source(children[i]).to_ascii_lowercase();
            let right = children[i + 1];
            value = match (operator.as_str(), value) {
                ("-and", Some(false)) => Some(false),
                ("-or", Some(true)) => Some(true),
                ("-and", left) => {
                    let r = self.expression(right)?;
                    reason = reason.or_else(|| unknown_reason(&r));
                    let r = r.truth();
                    match (left, r) {
                        (_, Some(false)) => Some(false),
                        (Some(true), r) => r,
                        _ => None,
                    }
                }
                ("-or", left) => {
                    let r = self.expression(right)?;
                    reason = reason.or_else(|| unknown_reason(&r));
                    let r = r.truth();
                    match (left, r) {
                        (_, Some(true)) => Some(true),
                        (Some(false), r) => r,
                        _ => None,
                    }
                }
                (_, left) => {
                    let r = self.expression(right)?;
                    reason = reason.or_else(|| unknown_reason(&r));
                    let r = r.truth();
                    left.zip(r).map(|(a, b)| a != b)
                }
            };
            i += 2;
        }
        Ok(value.map_or_else(
            || Value::Unknown(reason.unwrap_or_else(|| "a value not known".to_owned())),
            Value::Bool,
        ))
    }

    fn comparison(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let (left, operator, right) = self.binary_parts(node)?;
        let at = node.byte_range();
        let operator = operator.trim_start_matches('-').to_owned();
        // `-ceq` is case-sensitive, `-ieq` and `-eq` are not.
        let (case, op) = match operator.as_bytes().first() {
            Some(b'c') if operator.len() > 2 && !operator.starts_with("contains") => {
                (true, &operator[1..])
            }
            Some(b'i') if operator.len() > 2 && !operator.starts_with("in") => {
                (false, &operator[1..])
            }
            _ => (false, operator.as_str()),
        };
        let scalar = |l: &Value<'t>, r: &Value<'t>| -> Option<bool> {
            match op {
                "eq" => equal(l, r, case),
                "ne" => equal(l, r, case).map(|b| !b),
                "gt" => order(l, r).map(|o| o == Ordering::Greater),
                "ge" => order(l, r).map(|o| o != Ordering::Less),
                "lt" => order(l, r).map(|o| o == Ordering::Less),
                "le" => order(l, r).map(|o| o != Ordering::Greater),
                "like" => Some(like_case(&l.text(), &r.text(), case)),
                "notlike" => Some(!like_case(&l.text(), &r.text(), case)),
                "match" => regex(&r.text(), case).map(|re| re.is_match(&l.text())),
                "notmatch" => regex(&r.text(), case).map(|re| !re.is_match(&l.text())),
                _ => None,
            }
        };
        match op {
            "join" => {
                let separator = right.text();
                let items: Vec<String> = left.items().iter().map(Value::text).collect();
                let len = items.iter().map(String::len).sum::<usize>()
                    + separator.len().saturating_mul(items.len());
                self.check_length(len, at)?;
                return Ok(Value::Str(items.join(&separator)));
            }
            "split" => {
                let separator = right.text();
                let text = left.text();
                let pieces: Vec<Value> = match regex(&separator, case) {
                    Some(re) => re.split(&text).map(|p| Value::str(p.to_owned())).collect(),
                    None => vec![Value::str(text)],
                };
                return Ok(Value::Array(pieces));
            }
            "replace" => {
                let items = right.items();
                let pattern = items.first().map(Value::text).unwrap_or_default();
                let with = items.get(1).map(Value::text).unwrap_or_default();
                let longest = left
                    .clone()
                    .items()
                    .iter()
                    .map(|i| i.text().len())
                    .max()
                    .unwrap_or(0);
                self.check_length(
                    longest.saturating_add(with.len().saturating_mul(longest + 1)),
                    at.clone(),
                )?;
                let replaced = |text: String| match regex(&pattern, case) {
                    Some(re) => re
                        .replace_all(&text, with.replace("$$", "$").as_str())
                        .into_owned(),
                    None => text,
                };
                return Ok(match left {
                    Value::Array(items) => Value::Array(
                        items
                            .into_iter()
                            .map(|i| Value::Str(replaced(i.text())))
                            .collect(),
                    ),
                    other => Value::Str(replaced(other.text())),
                });
            }
            "contains" | "notcontains" => {
                let found = left
                    .items()
                    .iter()
                    .map(|i| equal(i, &right, case))
                    .try_fold(false, |acc, e| e.map(|e| acc || e));
                return Ok(found.map_or_else(
                    || Value::Unknown("a comparison with a value not known".to_owned()),
                    |f| Value::Bool(f == (op == "contains")),
                ));
            }
            "in" | "notin" => {
                let found = right
                    .items()
                    .iter()
                    .map(|i| equal(&left, i, case))
                    .try_fold(false, |acc, e| e.map(|e| acc || e));
                return Ok(found.map_or_else(
                    || Value::Unknown("a comparison with a value not known".to_owned()),
                    |f| Value::Bool(f == (op == "in")),
                ));
            }
            "is" | "isnot" | "as" => {
                self.unsupported(at, format!("`-{op}` is not simulated"));
                return Ok(Value::Unknown(format!("the result of -{op}")));
            }
            _ => {}
        }
        if !matches!(
            op,
            "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "like" | "notlike" | "match" | "notmatch"
        ) {
            self.unsupported(at, format!("the operator `-{operator}` is not simulated"));
            return Ok(Value::Unknown(format!("the result of -{operator}")));
        }
        // An array on the left filters (about_Comparison_Operators).
        if let Value::Array(items) = &left {
            let mut kept = Vec::new();
            for item in items {
                match scalar(item, &right) {
                    Some(true) => kept.push(item.clone()),
                    Some(false) => {}
                    None => {
                        return Ok(Value::Unknown(
                            "a comparison with a value not known".to_owned(),
                        ))
                    }
                }
            }
            return Ok(Value::Array(kept));
        }
        // A scalar `-match` that matches sets `$Matches` (about_Regular_Expressions):
        // group 0 and each numbered and named group.
        if op == "match" {
            if let Some(captures) = regex(&right.text(), case).and_then(|re| {
                let text = left.text();
                let names: Vec<Option<String>> =
                    re.capture_names().map(|n| n.map(str::to_owned)).collect();
                re.captures(&text).map(|c| {
                    c.iter()
                        .enumerate()
                        .filter_map(|(i, m)| {
                            let m = m?;
                            let key = names
                                .get(i)
                                .cloned()
                                .flatten()
                                .unwrap_or_else(|| i.to_string());
                            Some((key, m.as_str().to_owned()))
                        })
                        .collect::<Vec<_>>()
                })
            }) {
                let table = Table::new(false);
                for (k, v) in captures {
                    table.insert(k, Value::Str(v));
                }
                self.set_variable("Matches", Value::Hash(table));
            }
        }
        Ok(scalar(&left, &right).map_or_else(
            || {
                Value::Unknown(
                    unknown_reason(&left)
                        .or_else(|| unknown_reason(&right))
                        .unwrap_or_else(|| "a value not known".to_owned()),
                )
            },
            Value::Bool,
        ))
    }

    /// `+ - * / %`: numbers add, strings concatenate, arrays append,
    /// hashtables merge; the left operand decides (about_Arithmetic_Operators).
    pub(super) fn arithmetic(
        &mut self,
        operator: &str,
        left: Value<'t>,
        right: Value<'t>,
        at: Range<usize>,
    ) -> Eval<'t, Value<'t>> {
        let result = match (operator, left, right) {
            ("+", Value::Null, right) => right,
            ("+", Value::Array(mut items), right) => {
                items.extend(right.items());
                Value::Array(items)
            }
            ("+", Value::Hash(left), Value::Hash(other)) => {
                // `+` makes a new table (the operands are left as they are).
                let table = Table::new(left.ordered());
                for (k, v) in left.entries() {
                    table.insert(k, v);
                }
                for (k, v) in other.entries() {
                    if table.get(&k).is_some() {
                        return Err(self.statement_error(
                            format!("Item has already been added. Key in dictionary: '{k}'"),
                            at,
                        ));
                    }
                    table.insert(k, v);
                }
                Value::Hash(table)
            }
            ("+", Value::Str(s), right) => {
                let text = s + &right.text();
                if text.len() > STRING_LIMIT {
                    self.unsupported(
                        at.clone(),
                        format!("a string longer than {STRING_LIMIT} bytes: the review stops here"),
                    );
                    return Err(super::Flow::Budget(at));
                }
                Value::Str(text)
            }
            (_, Value::Unknown(why), _) | (_, _, Value::Unknown(why)) => Value::Unknown(why),
            (op, left, right) => match (left.number(), right.number()) {
                (Some(a), Some(b)) => match op {
                    "+" => Value::Int(a.saturating_add(b)),
                    "-" => Value::Int(a.saturating_sub(b)),
                    "*" => Value::Int(a.saturating_mul(b)),
                    "/" if b != 0 => Value::Int(a.checked_div(b).unwrap_or(i64::MAX)),
                    "%" if b != 0 => Value::Int(a.checked_rem(b).unwrap_or(0)),
                    _ => {
                        return Err(
                            self.statement_error("Attempted to divide by zero.".to_owned(), at)
                        )
                    }
                },
                _ => {
                    self.unsupported(at, format!("`{operator}` on these values is not simulated"));
                    Value::Unknown(format!("the result of `{operator}`"))
                }
            },
        };
        Ok(result)
    }

    fn unary(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
        let (Some(op), Some(operand)) = (children.first().copied(), children.last().copied())
        else {
            return Ok(Value::Null);
        };
        if op.kind() == "cast_expression" || node.child_count() == 1 {
            return self.expression(op);
        }
        let operator = self.source(op).to_ascii_lowercase();
        let value = self.expression(operand)?;
        Ok(match operator.as_str() {
            "-not" | "!" => value.truth().map_or_else(
                || Value::Unknown(unknown_reason(&value).unwrap_or_default()),
                |b| Value::Bool(!b),
            ),
            "-" => value.number().map_or_else(
                || Value::Unknown("a negated value".to_owned()),
                |n| Value::Int(n.saturating_neg()),
            ),
            "+" => value,
            "-join" => Value::Str(value.items().iter().map(Value::text).collect()),
            "," => Value::Array(vec![value]),
            _ => {
                self.unsupported(
                    node.byte_range(),
                    format!("the operator `{operator}` is not simulated"),
                );
                Value::Unknown(format!("the result of `{operator}`"))
            }
        })
    }

    fn increment(&mut self, node: Node<'t>) -> Eval<'t, ()> {
        let mut cursor = node.walk();
        let target = node
            .named_children(&mut cursor)
            .find(|c| c.kind() == "variable");
        let Some(target) = target else {
            return Ok(());
        };
        let name = variable_name(self.source(target));
        let step = if node.kind().contains("increment") {
            1
        } else {
            -1
        };
        let old = self.variable(&name).number().unwrap_or(0);
        self.set_variable(&name, Value::Int(old.saturating_add(step)));
        Ok(())
    }

    /// `[type]value`: `[void]` discards, `[string]`, `[int]`, `[bool]`
    /// convert, `[ordered]` keeps a hashtable's order; other types keep the value.
    fn cast(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let (Some(type_node), Some(operand)) = (parts.first().copied(), parts.last().copied())
        else {
            return Ok(Value::Null);
        };
        let type_name = type_name(self.source(type_node));
        let operand_inner = innermost(operand);
        if type_name == "ordered" && operand_inner.kind() == "hash_literal_expression" {
            return self.hashtable(operand_inner, true);
        }
        let value = self.expression(operand)?;
        Ok(match type_name.as_str() {
            "void" => Value::Null,
            "string" => Value::Str(value.text()),
            "int" | "int32" | "int64" | "long" => match value.number() {
                Some(n) => Value::Int(n),
                None => {
                    return Err(self.statement_error(
                        format!(
                            "Cannot convert value \"{}\" to type \"System.Int32\".",
                            value.text()
                        ),
                        node.byte_range(),
                    ))
                }
            },
            "bool" | "boolean" | "switch" => value.truth().map_or_else(
                || Value::Unknown("a value not known".to_owned()),
                Value::Bool,
            ),
            "array" | "object[]" | "string[]" => Value::Array(value.items()),
            _ => value,
        })
    }

    fn member_access(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
        let (Some(target), Some(member)) = (children.first().copied(), children.last().copied())
        else {
            return Ok(Value::Null);
        };
        let name = self.source(member).trim().to_owned();
        let is_static = children.iter().any(|c| c.kind() == "::");
        if is_static {
            let type_name = type_name(self.source(target));
            return self.static_property(&type_name, &name, node.byte_range());
        }
        let value = self.expression(target)?;
        Ok(value.property(&name).unwrap_or(Value::Null))
    }

    fn invocation(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
        let Some(target) = children.first().copied() else {
            return Ok(Value::Null);
        };
        let is_static = children.iter().any(|c| c.kind() == "::");
        let name = children
            .iter()
            .find(|c| c.kind() == "member_name" || c.kind() == "simple_name")
            .map(|c| self.source(*c).to_owned())
            .unwrap_or_default();
        let mut arguments = Vec::new();
        if let Some(list) = children.iter().find(|c| c.kind() == "argument_list") {
            let mut stack = vec![*list];
            let mut found = Vec::new();
            while let Some(n) = stack.pop() {
                let mut c = n.walk();
                for child in n.named_children(&mut c) {
                    if child.kind() == "argument_expression_list" {
                        stack.push(child);
                    } else {
                        found.push(child);
                    }
                }
            }
            found.sort_by_key(|n| n.start_byte());
            for argument in found {
                arguments.push(self.expression(argument)?);
            }
        }
        if is_static {
            let type_name = type_name(self.source(target));
            return self.static_method(&type_name, &name, arguments, node.byte_range());
        }
        let value = self.expression(target)?;
        self.method(value, &name, arguments, node.byte_range())
    }

    fn element_access(&mut self, node: Node<'t>) -> Eval<'t, Value<'t>> {
        let mut cursor = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let (Some(target), Some(index)) = (parts.first().copied(), parts.last().copied()) else {
            return Ok(Value::Null);
        };
        let value = self.expression(target)?;
        let index = self.expression(index)?;
        Ok(match (&value, &index) {
            (Value::Hash(table), key) => table.get(&key.text()).unwrap_or(Value::Null),
            (Value::Array(items), Value::Int(i)) => {
                let i = if *i < 0 { items.len() as i64 + i } else { *i };
                usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .unwrap_or(Value::Null)
            }
            (Value::Str(s), Value::Int(i)) => usize::try_from(*i)
                .ok()
                .and_then(|i| s.chars().nth(i))
                .map_or(Value::Null, |c| Value::Str(c.to_string())),
            (Value::Unknown(why), _) => Value::Unknown(why.clone()),
            (other, Value::Int(0)) => other.clone(),
            _ => Value::Null,
        })
    }

    /// `"text $var $(expr)"`: literal text with its escapes, variables and
    /// sub-expressions expanded (about_Quoting_Rules).
    pub(super) fn expandable(&mut self, node: Node<'t>) -> Eval<'t, String> {
        let text = self.source(node);
        let here = node.kind() == "expandable_here_string_literal";
        // The body: between `"` and `"`, or between `@"⏎` and `⏎"@`.
        let (start, end) = if here {
            let open = text.find('\n').map_or(2, |i| i + 1);
            let close = text.rfind('\n').unwrap_or(text.len().saturating_sub(2));
            let close = if close > 0 && text.as_bytes()[close - 1] == b'\r' {
                close - 1
            } else {
                close
            };
            (open, close.max(open))
        } else {
            (1, text.len().saturating_sub(1).max(1))
        };
        let base = node.start_byte();
        let mut out = String::new();
        let mut at = base + start;
        let mut stop = base + end;
        // A string cut short by a syntax error may end inside a character.
        while stop > at && !self.text.is_char_boundary(stop) {
            stop -= 1;
        }
        while at < stop && !self.text.is_char_boundary(at) {
            at += 1;
        }
        let mut cursor = node.walk();
        let mut parts: Vec<Node<'t>> = node
            .named_children(&mut cursor)
            .filter(|c| matches!(c.kind(), "variable" | "sub_expression" | "braced_variable"))
            .collect();
        parts.sort_by_key(|p| p.start_byte());
        for part in parts {
            if part.start_byte() < at || part.end_byte() > stop {
                continue;
            }
            out.push_str(&unescape(&self.text[at..part.start_byte()], !here));
            let value = match part.kind() {
                "sub_expression" => self.expression(part)?,
                _ => self.variable(&variable_name(self.source(part))),
            };
            out.push_str(&value.text());
            self.check_length(out.len(), node.byte_range())?;
            at = part.end_byte();
        }
        out.push_str(&unescape(&self.text[at..stop.max(at)], !here));
        if out.len() > STRING_LIMIT {
            self.unsupported(
                node.byte_range(),
                format!("a string longer than {STRING_LIMIT} bytes: the review stops here"),
            );
            return Err(super::Flow::Budget(node.byte_range()));
        }
        Ok(out)
    }

    /// A bare word of a command (`IIS:\AppPools\$Pool`, `Allow`): its
    /// variables are expanded as in an expandable string.
    pub(super) fn bare_word(&mut self, node: Node<'t>) -> Eval<'t, String> {
        let text = self.source(node);
        let mut out = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '`' => {
                    if let Some((_, next)) = chars.next() {
                        out.push(next);
                    }
                }
                '$' => {
                    let rest = &text[i + 1..];
                    let (name, used) = if let Some(braced) = rest.strip_prefix('{') {
                        match braced.find('}') {
                            Some(close) => (braced[..close].to_owned(), close + 2),
                            None => (String::new(), 0),
                        }
                    } else {
                        let len = rest
                            .char_indices()
                            .find(|(j, ch)| {
                                !(ch.is_alphanumeric()
                                    || *ch == '_'
                                    || (*ch == ':' && *j > 0 && is_scope(&rest[..*j])))
                            })
                            .map_or(rest.len(), |(j, _)| j);
                        (rest[..len].to_owned(), len)
                    };
                    if name.is_empty() {
                        out.push('$');
                        continue;
                    }
                    out.push_str(&self.variable(&name).text());
                    self.check_length(out.len(), node.byte_range())?;
                    for _ in 0..rest[..used].chars().count() {
                        chars.next();
                    }
                }
                _ => out.push(c),
            }
        }
        Ok(out)
    }
}

/// Why a value is not known, when it is not.
fn unknown_reason(value: &Value) -> Option<String> {
    match value {
        Value::Unknown(why) => Some(why.clone()),
        _ => None,
    }
}

fn is_scope(text: &str) -> bool {
    ["env", "script", "global", "local", "private"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(text))
}

/// The output of a statement as one value.
pub(super) fn collapse(mut values: Vec<Value>) -> Value {
    match values.len() {
        0 => Value::Null,
        1 => values.pop().expect("one"),
        _ => Value::Array(values),
    }
}

fn integer<'t>(text: &str, radix: u32) -> Value<'t> {
    let digits = text.trim_end_matches(['l', 'L']);
    let (digits, multiplier) = match digits.to_ascii_lowercase() {
        d if d.ends_with("kb") => (d[..d.len() - 2].to_owned(), 1 << 10),
        d if d.ends_with("mb") => (d[..d.len() - 2].to_owned(), 1 << 20),
        d if d.ends_with("gb") => (d[..d.len() - 2].to_owned(), 1 << 30),
        d => (d, 1),
    };
    i64::from_str_radix(&digits, radix)
        .map(|n| Value::Int(n.saturating_mul(multiplier)))
        .unwrap_or_else(|_| Value::str(text.to_owned()))
}

/// `'it''s'` → `it's`.
fn verbatim(text: &str) -> String {
    let inner = text
        .strip_prefix(['\'', '‘', '’'])
        .and_then(|t| t.strip_suffix(['\'', '‘', '’']))
        .unwrap_or(text);
    inner.replace("''", "'")
}

/// The body of `@'⏎...⏎'@`.
fn here_body(text: &str) -> String {
    let open = text.find('\n').map_or(2, |i| i + 1);
    let close = text.rfind('\n').unwrap_or(open);
    let body = &text[open.min(close)..close];
    body.strip_suffix('\r').unwrap_or(body).to_owned()
}

/// The escapes of an expandable string: `` `n ``, `` `t ``, `` `0 ``,
/// `` `x `` → x, and `""` → `"` (outside here-strings).
fn unescape(text: &str, doubled_quotes: bool) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some('a') => out.push('\u{7}'),
                Some('b') => out.push('\u{8}'),
                Some('e') => out.push('\u{1b}'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some(other) => out.push(other),
                None => {}
            },
            '"' if doubled_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                out.push('"');
            }
            _ => out.push(c),
        }
    }
    out
}

/// `[System.IO.File]` → `io.file`; `[string]` → `string`.
pub(super) fn type_name(text: &str) -> String {
    let inner = text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    let lower = inner.to_ascii_lowercase();
    lower.strip_prefix("system.").unwrap_or(&lower).to_owned()
}

/// `-f`: `{0}`, `{1}` replaced by the arguments (`{{` is `{`).
fn format(template: &str, arguments: &[Value]) -> String {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let spec: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let index = spec.split([',', ':']).next().unwrap_or("").trim();
                if let Some(v) = index.parse::<usize>().ok().and_then(|i| arguments.get(i)) {
                    out.push_str(&v.text());
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// A .NET regular expression as the `regex` crate reads it (the common
/// subset), case-insensitive unless asked.
fn regex(pattern: &str, case_sensitive: bool) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(!case_sensitive)
        .size_limit(1 << 20)
        .build()
        .ok()
}

fn short(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 {
        format!("{}...", one.chars().take(57).collect::<String>())
    } else {
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_formats() {
        assert_eq!(unescape("a`tb\"\"c", true), "a\tb\"c");
        assert_eq!(verbatim("'it''s'"), "it's");
        assert_eq!(
            format("{0}-{1}{{x}}", &[Value::Int(1), Value::str("b")]),
            "1-b{x}"
        );
        assert_eq!(type_name("[System.IO.File]"), "io.file");
    }
}
