//! Running the tree of a logical line: blocks, operators, `if`.

use super::*;

impl Interpreter<'_> {
    // ------------------------------------------------------------ execution

    /// Runs `f` with the steps it records placed on lines `first..=last`
    /// below the logical line's first.
    pub(super) fn on_lines<T>(
        &mut self,
        first: usize,
        last: usize,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let saved = (self.current_line, self.current_end);
        self.current_line = self.logical_start + first;
        self.current_end = self.logical_start + last;
        let flow = f(self);
        (self.current_line, self.current_end) = saved;
        flow
    }

    pub(super) fn execute(&mut self, cmd: &Command) -> Flow {
        match cmd {
            Command::Simple(s) => self.on_lines(s.line, s.end_line, |me| match s.output_file() {
                Some(redirection) => me.redirected(&s.text, redirection),
                None => me.simple(s.text.trim_end()),
            }),
            Command::SyntaxError(error) => self.on_lines(error.line, error.line, |me| {
                let command = me
                    .lines
                    .get(me.current_line)
                    .map_or(String::new(), |l| l.text.trim().to_owned());
                let index = me.record(StepKind::External, &command, "cmd.exe", Vec::new());
                me.steps[index].output = error.message.clone();
                me.steps[index].assumptions.push(
                    "cmd.exe refuses this line when it reads it (an `if` operand that expanded to nothing): the script ends here".to_owned(),
                );
                me.finish_step(index, 255);
                Flow::Terminate
            }),
            Command::Block(block) => {
                for c in &block.commands {
                    match self.execute(c) {
                        Flow::Next => {}
                        other => return other,
                    }
                }
                Flow::Next
            }
            Command::Sequence(left, op, right) => self.sequence(left, *op, right),
            Command::If(i) => {
                let truth = self.on_lines(i.line, i.line, |me| {
                    me.condition(&i.condition, i.ignore_case) != i.negate
                });
                if truth {
                    self.execute(&i.then)
                } else if let Some(other) = &i.otherwise {
                    self.execute(other)
                } else {
                    Flow::Next
                }
            }
            Command::For(f) => self.on_lines(f.line, f.line, |me| me.run_for(f)),
        }
    }

    pub(super) fn sequence(&mut self, left: &Command, op: Operator, right: &Command) -> Flow {
        let steps_before = self.steps.len();
        let flow = self.execute(left);
        if !matches!(flow, Flow::Next) {
            return flow;
        }
        let go = match op {
            Operator::Then => true,
            Operator::And => {
                self.unexamined_failure = None;
                self.errorlevel == 0
            }
            Operator::Or => {
                self.unexamined_failure = None;
                self.errorlevel != 0
            }
            Operator::Pipe => {
                // appcmd's output is known (the simulation printed it):
                // an appcmd on the right reads it (`/in`).
                let printed = self.steps[steps_before.min(self.steps.len())..]
                    .last()
                    .filter(|s| s.kind == StepKind::Appcmd)
                    .map(|s| s.output.clone());
                let right_is_appcmd = match right {
                    Command::Simple(s) => {
                        let expanded = self.expand_delayed(&s.text);
                        self.is_appcmd(&expanded)
                    }
                    _ => false,
                };
                match printed {
                    Some(text) if right_is_appcmd => self.pipe_input = Some(text),
                    _ => self.on_lines(right.line(), right.line(), |me| {
                        me.unsupported(
                            "`|`: the command after the pipe runs, but without the output of the one before it".to_owned(),
                        );
                    }),
                }
                true
            }
        };
        if go {
            let flow = self.execute(right);
            self.pipe_input = None;
            flow
        } else {
            Flow::Next
        }
    }

    pub(super) fn condition(&mut self, condition: &Condition, ignore_case: bool) -> bool {
        match condition {
            Condition::ErrorLevel(n) => {
                self.unexamined_failure = None;
                self.errorlevel >= *n
            }
            // Windows' command extensions are version 2 (`if /?`).
            Condition::CmdExtVersion(n) => *n <= 2,
            Condition::Exist(path) => {
                let path = unquote(&self.expand_delayed(&path.text));
                let full = self.absolute(&path);
                !matches!(self.lookup(&full), Entry::Missing)
            }
            Condition::Defined(name) => {
                let upper = name.text.to_uppercase();
                self.env.contains_key(&upper) || matches!(upper.as_str(), "ERRORLEVEL" | "CD")
            }
            Condition::Compare(a, op, b) => {
                let (a, b) = (self.expand_delayed(&a.text), self.expand_delayed(&b.text));
                let (a, b) = if ignore_case {
                    (a.to_lowercase(), b.to_lowercase())
                } else {
                    (a.clone(), b.clone())
                };
                let numbers = (parse_number(&a), parse_number(&b));
                let ordering = match numbers {
                    (Some(x), Some(y)) if *op != CompareOp::Text => x.cmp(&y),
                    _ => a.cmp(&b),
                };
                use std::cmp::Ordering::*;
                match op {
                    CompareOp::Text | CompareOp::Equ => ordering == Equal,
                    CompareOp::Neq => ordering != Equal,
                    CompareOp::Lss => ordering == Less,
                    CompareOp::Leq => ordering != Greater,
                    CompareOp::Gtr => ordering == Greater,
                    CompareOp::Geq => ordering != Less,
                }
            }
        }
    }

    /// What the server has at `path`; assumptions are remembered once per path.
    pub(super) fn lookup(&mut self, path: &str) -> Entry {
        let (entry, knowledge) = self.server.disk.get(path);
        if knowledge == Knowledge::Assumed {
            let key = path_key(path);
            if !self.assumed.contains_key(&key) {
                let span = self.span();
                self.assumed.insert(key, (span, path.to_owned()));
            }
        }
        entry
    }

    pub(super) fn absolute(&self, path: &str) -> String {
        let p = path.replace('/', "\\");
        let is_absolute = p.len() >= 2 && p.as_bytes()[1] == b':' || p.starts_with("\\\\");
        if is_absolute {
            p
        } else {
            let base = self
                .cwd
                .clone()
                .unwrap_or_else(|| self.script.windows_folder.trim_end_matches('\\').to_owned());
            format!("{base}\\{p}")
        }
    }
}
