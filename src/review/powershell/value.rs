//! PowerShell's values as the review needs them: the scalar types of the
//! language, arrays, hashtables (ordered or not), script blocks, objects
//! with properties (what cmdlets return), and values the simulation cannot
//! know. Conversions follow the language specification (about_Booleans,
//! about_Comparison_Operators, learn.microsoft.com): comparisons are
//! case-insensitive, the right operand is converted to the left one's type,
//! an array on the left filters.

use std::cell::RefCell;
use std::rc::Rc;

use tree_sitter::Node;

/// A value of the script.
#[derive(Debug, Clone)]
pub enum Value<'t> {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Array(Vec<Value<'t>>),
    /// `@{}` (`ordered`: `[ordered]@{}`, which keeps its keys in order).
    Hash(Table<'t>),
    /// `{ ... }`: its statement list, run where it is invoked.
    Block(Node<'t>),
    /// What a cmdlet or .NET returned: a type name and properties.
    Object(Object<'t>),
    /// A value the simulation does not know (the output of a program, a
    /// file's size): why, in words.
    Unknown(String),
}

/// A hashtable: keys compare case-insensitively. A reference type, as in
/// .NET: `$b = $a` and a function's parameter share one table, so what a
/// function adds to a hashtable it was given, the caller sees.
#[derive(Debug, Clone, Default)]
pub struct Table<'t>(Rc<RefCell<Entries<'t>>>);

#[derive(Debug, Default)]
struct Entries<'t> {
    entries: Vec<(String, Value<'t>)>,
    ordered: bool,
}

impl<'t> Table<'t> {
    pub fn new(ordered: bool) -> Table<'t> {
        Table(Rc::new(RefCell::new(Entries {
            entries: Vec::new(),
            ordered,
        })))
    }

    pub fn get(&self, key: &str) -> Option<Value<'t>> {
        self.0
            .borrow()
            .entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    }

    pub fn insert(&self, key: String, value: Value<'t>) {
        let mut inner = self.0.borrow_mut();
        match inner
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some(slot) => slot.1 = value,
            None => inner.entries.push((key, value)),
        }
    }

    /// The entries, in the order they were added.
    pub fn entries(&self) -> Vec<(String, Value<'t>)> {
        self.0.borrow().entries.clone()
    }

    pub fn len(&self) -> usize {
        self.0.borrow().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[ordered]@{}`: PowerShell keeps the order of its keys.
    pub fn ordered(&self) -> bool {
        self.0.borrow().ordered
    }
}

/// An object with named properties (`$_.path`, `$result.RestartNeeded`).
#[derive(Debug, Clone, Default)]
pub struct Object<'t> {
    pub type_name: String,
    pub properties: Vec<(String, Value<'t>)>,
    /// What the object converts to as a string, when not its type name.
    pub display: Option<String>,
}

impl<'t> Object<'t> {
    pub fn new(type_name: &str, properties: Vec<(String, Value<'t>)>) -> Object<'t> {
        Object {
            type_name: type_name.to_owned(),
            properties,
            display: None,
        }
    }

    pub fn shown_as(mut self, text: impl Into<String>) -> Object<'t> {
        self.display = Some(text.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value<'t>> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

impl<'t> Value<'t> {
    pub fn str(text: impl Into<String>) -> Value<'t> {
        Value::Str(text.into())
    }

    /// The value as a string, as PowerShell converts it (`$true` is
    /// `True`, an array joins its items with spaces, `$null` is empty).
    pub fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Int(n) => n.to_string(),
            Value::Str(s) => s.clone(),
            Value::Array(items) => items.iter().map(Value::text).collect::<Vec<_>>().join(" "),
            Value::Hash(t) if t.ordered() => {
                "System.Collections.Specialized.OrderedDictionary".to_owned()
            }
            Value::Hash(_) => "System.Collections.Hashtable".to_owned(),
            Value::Block(_) => "{ script block }".to_owned(),
            Value::Object(o) => match &o.display {
                Some(text) => text.clone(),
                None => o.type_name.clone(),
            },
            Value::Unknown(why) => format!("<{why}>"),
        }
    }

    /// About how many bytes the value holds (what copying it costs): the
    /// value itself, its heap allocation and the allocator's overhead.
    pub fn size(&self) -> usize {
        const EACH: usize = std::mem::size_of::<Value>() + 16;
        match self {
            Value::Str(s) | Value::Unknown(s) => EACH + s.len(),
            Value::Array(items) => EACH + items.iter().map(Value::size).sum::<usize>(),
            // Shared, not copied.
            Value::Hash(_) => EACH,
            Value::Object(o) => {
                EACH + o
                    .properties
                    .iter()
                    .map(|(k, v)| k.len() + v.size())
                    .sum::<usize>()
            }
            _ => EACH,
        }
    }

    /// The value as IIS's configuration stores it (`$true` → `true`).
    pub fn config_text(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            other => other.text(),
        }
    }

    /// PowerShell's truth (about_Booleans): `None` for a value the
    /// simulation does not know.
    pub fn truth(&self) -> Option<bool> {
        match self {
            Value::Null => Some(false),
            Value::Bool(b) => Some(*b),
            Value::Int(n) => Some(*n != 0),
            Value::Str(s) => Some(!s.is_empty()),
            Value::Array(items) => match items.as_slice() {
                [] => Some(false),
                [one] => one.truth(),
                _ => Some(true),
            },
            Value::Unknown(_) => None,
            _ => Some(true),
        }
    }

    /// A number, when the value is one or a string that reads as one.
    pub fn number(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Null => Some(0),
            _ => None,
        }
    }

    /// The items of an array; a scalar is one item, `$null` none.
    pub fn items(self) -> Vec<Value<'t>> {
        match self {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => vec![other],
        }
    }

    /// A property, as `.Name` reads it. `Count`/`Length` of arrays and
    /// strings, hashtable keys, object properties; `None` when absent.
    pub fn property(&self, name: &str) -> Option<Value<'t>> {
        let lower = name.to_ascii_lowercase();
        match self {
            Value::Array(items) if lower == "count" || lower == "length" => {
                Some(Value::Int(items.len() as i64))
            }
            // Member enumeration: `$array.name` is the items' names.
            Value::Array(items) => Some(Value::Array(
                items.iter().filter_map(|i| i.property(name)).collect(),
            )),
            Value::Str(s) if lower == "length" => Some(Value::Int(s.chars().count() as i64)),
            Value::Hash(t) if lower == "count" => Some(Value::Int(t.len() as i64)),
            Value::Hash(t) if lower == "keys" => Some(Value::Array(
                t.entries()
                    .into_iter()
                    .map(|(k, _)| Value::Str(k))
                    .collect(),
            )),
            Value::Hash(t) if lower == "values" => Some(Value::Array(
                t.entries().into_iter().map(|(_, v)| v).collect(),
            )),
            Value::Hash(t) => t.get(name),
            Value::Object(o) => o.get(name).cloned(),
            Value::Null => None,
            Value::Unknown(why) => Some(Value::Unknown(why.clone())),
            // Every scalar has a Count of 1 (PowerShell 3 and later).
            _ if lower == "count" => Some(Value::Int(1)),
            _ => None,
        }
    }
}

/// `-eq` and its kin between two scalars: `None` when either is unknown.
pub fn equal(left: &Value, right: &Value, case_sensitive: bool) -> Option<bool> {
    match (left, right) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
        (Value::Null, Value::Null) => Some(true),
        (Value::Null, _) | (_, Value::Null) => Some(false),
        (Value::Bool(a), b) => Some(*a == b.truth().unwrap_or(false)),
        (Value::Int(a), b) => Some(b.number() == Some(*a)),
        (a, b) => {
            let (a, b) = (a.text(), b.text());
            Some(if case_sensitive {
                a == b
            } else {
                a.to_lowercase() == b.to_lowercase()
            })
        }
    }
}

/// `-lt`, `-gt`...: the ordering of two scalars, numbers as numbers.
pub fn order(left: &Value, right: &Value) -> Option<std::cmp::Ordering> {
    match (left, right) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
        (Value::Int(a), b) => b.number().map(|b| a.cmp(&b)),
        (Value::Null, b) => match b.number() {
            Some(n) => Some(0.cmp(&n)),
            None => Some(String::new().cmp(&b.text().to_lowercase())),
        },
        (a, b) => Some(a.text().to_lowercase().cmp(&b.text().to_lowercase())),
    }
}

/// `-like`: `*`, `?` and `[a-z]` wildcards, case-insensitive
/// (about_Wildcards). Iterative, backtracking to the last `*` only: time
/// is at most the product of the lengths, and no recursion.
pub fn like(text: &str, pattern: &str) -> bool {
    like_case(text, pattern, false)
}

/// `-like` (`-clike` when `case_sensitive`).
pub fn like_case(text: &str, pattern: &str, case_sensitive: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if case_sensitive {
            s.chars().collect()
        } else {
            s.to_lowercase().chars().collect()
        }
    };
    let (t, p) = (fold(text), fold(pattern));
    // One pattern element at `pi`: (matches `c`, length in the pattern).
    let element = |pi: usize, c: char| -> (bool, usize) {
        match p[pi] {
            '?' => (true, 1),
            '[' => match p[pi + 1..].iter().position(|x| *x == ']') {
                Some(end) => {
                    let set = &p[pi + 1..pi + 1 + end];
                    let mut hit = false;
                    let mut i = 0;
                    while i < set.len() {
                        if i + 2 < set.len() && set[i + 1] == '-' {
                            hit |= set[i] <= c && c <= set[i + 2];
                            i += 3;
                        } else {
                            hit |= set[i] == c;
                            i += 1;
                        }
                    }
                    (hit, end + 2)
                }
                None => (c == '[', 1),
            },
            x => (x == c, 1),
        }
    };
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
            continue;
        }
        if pi < p.len() {
            let (hit, len) = element(pi, t[ti]);
            if hit {
                ti += 1;
                pi += len;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi.min(p.len())..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_follows_about_booleans() {
        assert_eq!(Value::str("").truth(), Some(false));
        assert_eq!(Value::str("False").truth(), Some(true));
        assert_eq!(Value::Array(vec![Value::Int(0)]).truth(), Some(false));
        assert_eq!(
            Value::Array(vec![Value::Int(0), Value::Int(0)]).truth(),
            Some(true)
        );
        assert_eq!(Value::Unknown("x".into()).truth(), None);
    }

    #[test]
    fn comparisons_convert_the_right_side() {
        assert_eq!(equal(&Value::Int(1), &Value::str("01"), false), Some(true));
        assert_eq!(
            equal(&Value::str("ABC"), &Value::str("abc"), false),
            Some(true)
        );
        assert_eq!(
            equal(&Value::str("ABC"), &Value::str("abc"), true),
            Some(false)
        );
        assert!(like("RewriteModule", "rewrite*"));
        assert!(like("a1", "[a-c]?"));
        assert!(!like("ab", "a"));
        assert!(like("abcabd", "*ab?"));
        assert!(!like("abcabc", "*abd"));
        assert!(like("", "*"));
        // Many stars on a long text end at once (no exponential backtracking).
        let long = "a".repeat(20_000);
        assert!(!like(&long, "*a*a*a*a*a*a*a*a*a*a*b"));
    }
}
