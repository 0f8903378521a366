//! One command: cmd.exe's builtins, `call` (of a label or a batch file),
//! and programs (appcmd simulated, the others recorded).

use super::*;

impl Interpreter<'_> {
    pub(super) fn simple(&mut self, text: &str) -> Flow {
        let expanded = self.expand_delayed(text);
        let text = expanded.trim().trim_start_matches('@').trim_start();
        if text.contains(UNDEFINED_PROGRAM) {
            // `%X% args` runs `args`' first word; `"%X%" args` runs `""`.
            let (quoted, marked) = match text.strip_prefix('"') {
                Some(inner) => (true, inner),
                None => (false, text),
            };
            if let Some((name, rest)) = marked
                .strip_prefix(UNDEFINED_PROGRAM)
                .and_then(|r| r.split_once(UNDEFINED_PROGRAM))
            {
                let rest = if quoted {
                    format!("\"{rest}")
                } else {
                    rest.trim_start().to_owned()
                };
                return self.undefined_program(name, &rest);
            }
            let cleaned = strip_undefined_marks(text);
            return self.simple(&cleaned);
        }
        if text.is_empty() {
            return Flow::Next;
        }
        let (program, rest) = split_program(text);
        let word = program.to_lowercase();
        // `goto:eof` and `call:label`: cmd ends the command word at `:`.
        if let Some((jump, len)) = jump_word(&word) {
            let target = format!("{} {rest}", &text[len..split_program_len(text)]);
            return match jump {
                "goto" => Flow::Goto(target.split_whitespace().next().unwrap_or("").to_owned()),
                _ => self.call(&target),
            };
        }
        if is_echo_word(&word) || crate::cmd::tables::is_rem_word(&word) {
            return Flow::Next;
        }
        let cmd_file = self.script.file_name.to_lowercase().ends_with(".cmd");
        match word.as_str() {
            "title" | "cls" | "color" | "type" | "ver" | "prompt" | "dir" | "vol" | "break" => {
                Flow::Next
            }
            "path" => {
                // `path X` is `set PATH=X`; `path` alone prints it.
                if !rest.trim().is_empty() {
                    self.set(&format!("PATH={}", rest.trim()));
                }
                Flow::Next
            }
            "verify" => {
                self.errorlevel = 0;
                Flow::Next
            }
            "setlocal" => {
                self.saved_env.push(self.env.clone());
                self.saved_delayed.push(self.delayed);
                for option in rest.split_whitespace() {
                    match option.to_ascii_lowercase().as_str() {
                        "enabledelayedexpansion" => self.delayed = true,
                        "disabledelayedexpansion" => self.delayed = false,
                        _ => {}
                    }
                }
                Flow::Next
            }
            "endlocal" => {
                if let Some(env) = self.saved_env.pop() {
                    self.env = env;
                }
                if let Some(delayed) = self.saved_delayed.pop() {
                    self.delayed = delayed;
                }
                Flow::Next
            }
            "set" => {
                self.set(rest);
                if cmd_file {
                    // In a .cmd file a successful `set` clears ERRORLEVEL.
                    self.errorlevel = 0;
                }
                Flow::Next
            }
            "goto" => {
                let label = rest.split_whitespace().next().unwrap_or("").to_owned();
                Flow::Goto(label)
            }
            "exit" => {
                let mut words = rest.split_whitespace();
                let first = words.next().unwrap_or("");
                let (is_b, code) = if first.eq_ignore_ascii_case("/b") {
                    (true, words.next())
                } else {
                    (false, Some(first).filter(|s| !s.is_empty()))
                };
                if let Some(code) = code {
                    self.errorlevel = parse_number(code).unwrap_or(0) as i32;
                }
                if is_b {
                    Flow::Return
                } else {
                    self.unsupported("`exit` without `/b` closes the whole console window (and a calling script), not just this script".to_owned());
                    Flow::Terminate
                }
            }
            "call" => self.call(rest),
            "mkdir" | "md" => self.mkdir(rest),
            "copy" => self.copy(rest, false),
            "move" => self.copy(rest, true),
            "del" | "erase" => self.delete(rest),
            "rmdir" | "rd" => self.rmdir(rest),
            "cd" | "chdir" | "pushd" => {
                let target = rest
                    .trim()
                    .trim_start_matches("/d")
                    .trim_start_matches("/D")
                    .trim();
                if !target.is_empty() {
                    self.cwd = Some(
                        self.absolute(&unquote(target))
                            .trim_end_matches('\\')
                            .to_owned(),
                    );
                }
                Flow::Next
            }
            "popd" => {
                self.cwd = None;
                Flow::Next
            }
            "pause" => {
                self.unsupported(
                    "`pause` waits for a key press: an unattended run hangs here".to_owned(),
                );
                Flow::Next
            }
            "chcp" => {
                self.unsupported("`chcp` changes how cmd.exe reads the rest of the script; the simulation reads it unchanged".to_owned());
                Flow::Next
            }
            "shift" if rest.trim().is_empty() => {
                // `%0` becomes what `%1` was, `%1` what `%2` was (in the
                // innermost call).
                if let Some(frame) = self.frames.last_mut() {
                    if !frame.is_empty() {
                        frame.remove(0);
                    }
                }
                Flow::Next
            }
            "start" | "shift" => {
                self.unsupported(format!("`{word}` is not simulated"));
                Flow::Next
            }
            // A builtin whose effect the review does not model: no program
            // of that name is looked up (cmd runs its own).
            _ if builtin_named(&word).is_some() => {
                self.unsupported(format!(
                    "`{word}` is a command of cmd.exe the review does not simulate: taken as succeeding with no effect"
                ));
                Flow::Next
            }
            _ => match self.run_batch_file(&program, rest, false) {
                Some(flow) => flow,
                None => self.program(&program, rest, text),
            },
        }
    }

    pub(super) fn set(&mut self, rest: &str) {
        let (name, value) = match parse_set(rest) {
            Assignment::Arithmetic(expr) => {
                match expr.split_once('=') {
                    Some((name, value)) => match eval_arithmetic(value, |n| self.var(n)) {
                        Some(v) => {
                            let name = name.trim().to_owned();
                            self.env.insert(name.to_uppercase(), (name, v.to_string()));
                        }
                        None => self.unsupported(format!("`set /a {expr}` is not simulated")),
                    },
                    None => self.unsupported(format!("`set /a {expr}` is not simulated")),
                }
                return;
            }
            Assignment::Prompt { .. } => {
                self.unsupported(
                    "`set /p` asks the admin for input: the simulation answers with nothing"
                        .to_owned(),
                );
                return;
            }
            Assignment::List => return,
            Assignment::Text { name, value } => (name, value),
        };
        let (name, value) = (name.as_str(), value.as_str());
        let key = name.to_uppercase();
        if value.chars().count() > LINE_LIMIT {
            // Only delayed expansion (`!X!!X!`) gets here past the line check.
            self.too_long = true;
            return;
        }
        if value.is_empty() {
            if let Some((n, v)) = self.env.remove(&key) {
                self.env_bytes = self.env_bytes.saturating_sub(n.len() + v.len());
            }
        } else {
            if let Some((n, v)) = self.env.insert(key, (name.to_owned(), value.to_owned())) {
                self.env_bytes = self.env_bytes.saturating_sub(n.len() + v.len());
            }
            self.env_bytes += name.len() + value.len();
            if self.env_bytes > ENVIRONMENT_BUDGET {
                self.over_budget = true;
            }
        }
    }

    pub(super) fn call(&mut self, rest: &str) -> Flow {
        let rest = rest.trim();
        if let Some(label) = rest.strip_prefix(':') {
            let label = label.split_whitespace().next().unwrap_or("");
            let Some(target) = self.find_label(label, self.current_end) else {
                self.errorlevel = 1;
                self.unsupported(format!(
                    "`call :{label}`: the script has no label `{label}`"
                ));
                return Flow::Next;
            };
            if self.depth_base + self.frames.len() > CALL_DEPTH_LIMIT {
                self.unsupported(format!(
                    "`call :{label}` nests more than {CALL_DEPTH_LIMIT} calls deep: cmd.exe stops such a script (\"BATCH RECURSION exceeds STACK limits\"), and so does the review"
                ));
                return Flow::Terminate;
            }
            let arguments = call_arguments(label_and_rest(rest));
            let (line, end, start) = (self.current_line, self.current_end, self.logical_start);
            // `%0` of a called label is the label as the call wrote it.
            let written = rest.split_whitespace().next().unwrap_or(label);
            self.frames.push(
                std::iter::once(written.to_owned())
                    .chain(arguments.iter().cloned())
                    .collect(),
            );
            self.given.push(arguments);
            let flow = self.run_from(target + 1);
            self.frames.pop();
            self.given.pop();
            match flow {
                Flow::Terminate => return Flow::Terminate,
                _ => {
                    self.current_line = line;
                    self.current_end = end;
                    self.logical_start = start;
                }
            }
            return Flow::Next;
        }
        // `call program ...` runs the program (cmd expands `%` a second time).
        let again = self.expand(rest);
        let (program, args) = split_program(&again);
        if let Some(flow) = self.run_batch_file(&program, args, true) {
            return flow;
        }
        self.program(&program, args, &again)
    }

    /// `call other.cmd args`, or `other.cmd args` (which does not come
    /// back): a batch file whose text the review knows (the script wrote
    /// it, or it is in a folder given to the review) runs in the same
    /// cmd.exe, with the same environment, and its steps are the run's.
    /// `None` when `program` is no such file.
    pub(super) fn run_batch_file(
        &mut self,
        program: &str,
        rest: &str,
        via_call: bool,
    ) -> Option<Flow> {
        let name = unquote(program);
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".cmd") || lower.ends_with(".bat")) {
            return None;
        }
        let full = self.absolute(&name);
        let (Entry::File(Some(text)), _) = self.server.disk.get(&full) else {
            return None;
        };
        if self.depth_base + self.frames.len() > CALL_DEPTH_LIMIT {
            self.unsupported(format!(
                "`{name}` nests more than {CALL_DEPTH_LIMIT} calls deep: cmd.exe stops such a script (\"BATCH RECURSION exceeds STACK limits\"), and so does the review"
            ));
            return Some(Flow::Terminate);
        }
        let (folder, file_name) = full.rsplit_once('\\').unwrap_or(("", &full));
        let script = Script {
            file: SourceFile::new(&full, text),
            windows_folder: format!("{folder}\\"),
            file_name: file_name.to_owned(),
            local_folder: None,
            arguments: call_arguments(rest),
        };
        let mut child = Interpreter::new(&script, self.server);
        child.env = self.env.clone();
        child.env_bytes = self.env_bytes;
        child.delayed = self.delayed;
        child.errorlevel = self.errorlevel;
        child.cwd = self.cwd.clone();
        child.executed = self.executed;
        child.depth_base = self.depth_base + self.frames.len();
        let flow = child.run_from(0);
        // A batch file's `setlocal`s end with it (an implicit `endlocal`).
        self.env = child.saved_env.first().cloned().unwrap_or(child.env);
        self.delayed = child
            .saved_delayed
            .first()
            .copied()
            .unwrap_or(child.delayed);
        self.env_bytes = child.env_bytes;
        self.errorlevel = child.errorlevel;
        self.cwd = child.cwd;
        self.executed = child.executed;
        self.too_long |= child.too_long;
        self.over_budget |= child.over_budget;
        let offset = self.steps.len();
        if !child.steps.is_empty() {
            // The called file ran commands: a failure before the call that
            // nobody looked at went unnoticed.
            if let Some(i) = self.unexamined_failure.take() {
                self.steps[i].failure_ignored = true;
            }
        }
        self.steps.extend(child.steps);
        if let Some(i) = child.unexamined_failure {
            self.unexamined_failure = Some(offset + i);
        }
        self.unsupported.extend(child.unsupported);
        for (key, value) in child.assumed {
            self.assumed.entry(key).or_insert(value);
        }
        Some(match flow {
            Flow::Terminate => Flow::Terminate,
            // Without `call` the batch file replaces this one: nothing of
            // this script runs after it.
            _ if !via_call => Flow::Terminate,
            _ => Flow::Next,
        })
    }

    pub(super) fn record(
        &mut self,
        kind: StepKind,
        command: &str,
        program: &str,
        arguments: Vec<String>,
    ) -> usize {
        if let Some(i) = self.unexamined_failure.take() {
            self.steps[i].failure_ignored = true;
        }
        let span = self.span();
        self.steps
            .push(Step::new(span, kind, command, program, arguments));
        self.steps.len() - 1
    }

    pub(super) fn finish_step(&mut self, index: usize, code: i32) {
        self.steps[index].exit_code = code;
        self.errorlevel = code;
        if code != 0 {
            self.unexamined_failure = Some(index);
        }
    }

    /// A command whose program was an undefined `%NAME%`: cmd.exe expands it
    /// to nothing and runs the next word (`list` of `%APPCMD% list site`),
    /// which is no program: "is not recognized", 9009.
    pub(super) fn undefined_program(&mut self, variable: &str, text: &str) -> Flow {
        let (program, rest) = split_program(text);
        let shown = if program.is_empty() { "\"\"" } else { &program };
        let arguments: Vec<String> = split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .collect();
        let index = self.record(StepKind::External, text, shown, arguments);
        self.steps[index].output = format!(
            "'{shown}' is not recognized as an internal or external command, operable program or batch file."
        );
        self.steps[index].assumptions.push(format!(
            "`%{variable}%` is not defined here: cmd.exe runs what is left, `{shown}`, as the program"
        ));
        self.finish_step(index, 9009);
        Flow::Next
    }

    pub(super) fn program(&mut self, program: &str, rest: &str, command: &str) -> Flow {
        let name = unquote(program);
        let base = name
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&name)
            .to_lowercase();
        let arguments: Vec<String> = split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .collect();
        if base == "appcmd" || base == "appcmd.exe" {
            let found = name.contains('\\')
                || self
                    .var("PATH")
                    .is_some_and(|p| p.to_lowercase().contains("inetsrv"))
                || self
                    .cwd
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().ends_with("inetsrv"));
            let index = self.record(StepKind::Appcmd, command, &name, arguments);
            if !found {
                self.steps[index].output = format!(
                    "'{name}' is not recognized as an internal or external command, operable program or batch file."
                );
                self.finish_step(index, 9009);
                return Flow::Next;
            }
            // PATHEXT finds `appcmd` as `appcmd.exe`.
            let with_extension = if base == "appcmd" {
                format!("{name}.exe")
            } else {
                name.clone()
            };
            if name.contains('\\') && !with_extension.eq_ignore_ascii_case(APPCMD_PATH) {
                self.steps[index].assumptions.push(format!(
                    "`{name}` is not where IIS installs appcmd.exe ({APPCMD_PATH}); simulated as appcmd anyway"
                ));
            }
            let input = self.pipe_input.take();
            let outcome = appcmd::run_with_input(self.server, rest, input.as_deref());
            let step = &mut self.steps[index];
            step.output = outcome.output;
            step.changes = outcome.changes;
            step.assumptions.extend(outcome.assumptions);
            self.finish_step(index, outcome.code);
            return Flow::Next;
        }
        let index = self.record(StepKind::External, command, &name, arguments);
        if name.contains('\\') {
            let full = self.absolute(&name);
            if matches!(self.lookup(&full), Entry::Missing) {
                self.steps[index].output = "The system cannot find the path specified.".to_owned();
                self.finish_step(index, 3);
                return Flow::Next;
            }
        }
        self.steps[index].output = "recorded, not run: assumed to succeed (exit code 0)".to_owned();
        self.finish_step(index, 0);
        Flow::Next
    }
}
