//! `for` and `for /f`, and a command's output to a file (`> f`, `>> f`).

use super::*;

impl Interpreter<'_> {
    // ------------------------------------------------------------ for

    /// A command whose output goes to a file: `echo` writes its text there
    /// (with the line end cmd.exe adds, and the space before `>` if any);
    /// another command runs as usual and leaves a file whose content the
    /// review does not know.
    pub(super) fn redirected(&mut self, text: &str, redirect: &Redirection) -> Flow {
        let expanded = self.expand_delayed(text);
        let command = expanded.trim_start().trim_start_matches('@').trim_start();
        let (program, _) = split_program(command);
        let word = program.to_lowercase();
        // `echo text` writes `text`; `echo.` and `echo:` an empty line or what follows.
        let echoed = if word == "echo" {
            let after = &command[program.len()..];
            Some(after.strip_prefix([' ', '\t']).unwrap_or(after).to_owned())
        } else if word.starts_with("echo") && word[4..].starts_with(['.', ':']) {
            Some(command[5..].to_owned())
        } else {
            None
        };
        let flow = match echoed {
            Some(_) => Flow::Next,
            None => self.simple(text.trim_end()),
        };
        let target_text = unquote(&self.expand_delayed(&redirect.target));
        let target = self.absolute(&target_text);
        let shown = format!(
            "{} {} {}",
            command.trim_end(),
            if redirect.kind == RedirectionKind::Append {
                ">>"
            } else {
                ">"
            },
            redirect.target
        );
        // The file step belongs to the command: a failure of the command
        // stays the one the script may look at next.
        let pending = self.unexamined_failure.take();
        let operator = if redirect.kind == RedirectionKind::Append {
            ">>"
        } else {
            ">"
        };
        let index = self.record(StepKind::File, &shown, operator, vec![target.clone()]);
        self.unexamined_failure = pending;
        let before = self.server.disk.get(&target);
        let content = match (echoed, (redirect.kind == RedirectionKind::Append), before) {
            (Some(line), false, _) => Some(format!("{line}\r\n")),
            (Some(line), true, (Entry::File(Some(old)), _)) => Some(format!("{old}{line}\r\n")),
            (Some(line), true, (Entry::Missing, _)) => Some(format!("{line}\r\n")),
            // A program's output, or a line added to a file whose content is not known.
            _ => None,
        };
        self.server.disk.set(&target, Entry::File(content));
        self.steps[index].output = format!(
            "{} {target}",
            if redirect.kind == RedirectionKind::Append {
                "appends to"
            } else {
                "writes"
            }
        );
        flow
    }

    /// The lines `for /f` reads from a command (already as the child cmd
    /// runs it); `None` when the run must end.
    pub(super) fn command_output(&mut self, command: &str) -> Option<Vec<String>> {
        let (program, rest) = split_program(command);
        if is_broken_program(&program) {
            // The child cmd's quote rule cut the program's name short.
            let shown = program.replace('"', "");
            let arguments = split_arguments(rest, 0, false)
                .into_iter()
                .map(|a| a.text)
                .collect();
            let index = self.record(StepKind::External, command, &shown, arguments);
            self.steps[index].output = format!(
                "'{shown}' is not recognized as an internal or external command, operable program or batch file."
            );
            self.steps[index].assumptions.push(
                "`for /f` runs its command with `cmd /c`, which takes the first and the last quote off a line that starts with one and holds more than two: the program's name is cut there, and the loop gets no lines (quote the whole command once more: `('\"\"C:\\x.exe\" \"arg\"\"')`)".to_owned(),
            );
            self.finish_step(index, 9009);
            return Some(Vec::new());
        }
        if self.is_appcmd(command) {
            // appcmd is simulated: its output is the model's answer.
            let first = self.steps.len();
            if let Flow::Terminate = self.simple(command) {
                return None;
            }
            return Some(
                self.steps
                    .get(first)
                    .map(|step| {
                        step.output
                            .lines()
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        if let Some(lines) = self.builtin_output(&program, rest) {
            return Some(lines);
        }
        let arguments = split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .collect();
        let index = self.record(StepKind::External, command, &unquote(&program), arguments);
        self.server.outputs_simulated += 1;
        let output = format!("{SIMULATED_OUTPUT}{}", self.server.outputs_simulated);
        self.steps[index].output = "recorded, not run: its output is not known".to_owned();
        self.steps[index].assumptions.push(format!(
            "the output of `{command}` is not known; the simulation takes it as the one line `{output}`"
        ));
        self.finish_step(index, 0);
        Some(vec![output])
    }

    /// The command line of `for /f ... in ('command')` as the child cmd
    /// runs it: `%` expanded once more, `^` taken off, and cmd's quote rule.
    pub(super) fn child_line(&mut self, command: &str) -> String {
        let expanded = self.expand(&without_carets(command));
        child_command_line(&expanded)
    }

    /// What a builtin prints when `for /f` runs it, as lines; `None` when
    /// `program` is no builtin. `echo` prints its text; `dir /b` the names
    /// the model has (with `/s` their full paths); the others' output is
    /// not modelled (no lines, and a finding says so).
    pub(super) fn builtin_output(&mut self, program: &str, rest: &str) -> Option<Vec<String>> {
        let word = program.to_ascii_lowercase();
        builtin_named(&word)?;
        if is_echo_word(&word) {
            let text = if word == "echo" { rest } else { &program[5..] };
            return Some(vec![text.trim_end().to_owned()]);
        }
        if word == "dir" {
            let arguments: Vec<String> = split_arguments(rest, 0, false)
                .into_iter()
                .map(|a| a.text)
                .collect();
            let recursive = arguments.iter().any(|a| a.eq_ignore_ascii_case("/s"));
            let bare = arguments.iter().any(|a| a.eq_ignore_ascii_case("/b"));
            let targets: Vec<&String> = arguments.iter().filter(|a| !a.starts_with('/')).collect();
            if bare && targets.iter().all(|t| !t.contains(['*', '?'])) {
                let mut lines = Vec::new();
                for target in targets {
                    let full = self.absolute(target);
                    if !matches!(self.lookup(&full), Entry::Missing) {
                        let name = full.rsplit('\\').next().unwrap_or("").to_owned();
                        lines.push(if recursive { full } else { name });
                    }
                }
                return Some(lines);
            }
        }
        self.unsupported(format!(
            "`for /f` over the output of `{program}`, a command of cmd.exe whose output the review does not model: taken as no lines"
        ));
        Some(Vec::new())
    }

    /// A `for` body with its variables' values in place: `%I`, and `%~nxI`
    /// with modifiers (phase 4 of stackoverflow.com/questions/4094699).
    pub(super) fn substitute(&mut self, body: &str, variables: &[(char, String)]) -> String {
        let letters: Vec<char> = variables.iter().map(|(c, _)| *c).collect();
        let value_of = |letter: char| {
            variables
                .iter()
                .find(|(c, _)| *c == letter)
                .map_or("", |(_, v)| v.as_str())
        };
        let mut out = String::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            let c = body[i..].chars().next().unwrap_or('%');
            if c != '%' {
                out.push(c);
                i += c.len_utf8();
                continue;
            }
            if let Some((modifiers, letter, len)) = paths::modified_reference(body, i, &letters) {
                match paths::with_modifiers(value_of(letter), &modifiers, &self.current_folder()) {
                    Ok(value) => out.push_str(&value),
                    Err(paths::Unknown(m)) => self.unsupported(format!(
                        "`%~{modifiers}{letter}`: the `{m}` modifier reads the file on the server; taken as empty"
                    )),
                }
                i += len;
                continue;
            }
            match body[i + 1..].chars().next() {
                Some(letter) if letters.contains(&letter) => {
                    out.push_str(value_of(letter));
                    i += 1 + letter.len_utf8();
                }
                _ => {
                    out.push('%');
                    i += 1;
                }
            }
        }
        out
    }

    /// The current folder, without a trailing `\`.
    pub(super) fn current_folder(&self) -> String {
        self.cwd
            .clone()
            .unwrap_or_else(|| self.script.windows_folder.trim_end_matches('\\').to_owned())
    }

    /// Whether `command` runs appcmd (by its full path or name).
    pub(super) fn is_appcmd(&self, command: &str) -> bool {
        let (program, _) = split_program(command.trim());
        let name = unquote(&program).to_lowercase();
        let base = name.rsplit(['\\', '/']).next().unwrap_or(&name);
        base == "appcmd" || base == "appcmd.exe"
    }

    pub(super) fn run_for(&mut self, f: &For) -> Flow {
        let lines: Vec<String> = match &f.source {
            ForSource::Command(command) => {
                let command = self.child_line(command);
                match self.command_output(&command) {
                    Some(lines) => lines,
                    None => return Flow::Terminate,
                }
            }
            ForSource::Text(text) => vec![text.clone()],
            ForSource::Words(words) => {
                if words.iter().any(|w| w.contains(['*', '?'])) {
                    self.unsupported(
                        "`for` over a file pattern is not simulated: no files are assumed to match"
                            .to_owned(),
                    );
                    Vec::new()
                } else {
                    words.clone()
                }
            }
            ForSource::File(path) => {
                self.unsupported(format!(
                    "`for /f` reading `{path}` is not simulated: the file is taken as empty"
                ));
                Vec::new()
            }
        };
        let skip = f.split.as_ref().map_or(0, |s| s.skip);
        for line in lines.into_iter().skip(skip) {
            // Each round counts as a line run: loops in loops stay bounded.
            self.executed += 1;
            if self.executed > STEP_LIMIT {
                self.unsupported(format!(
                    "the script ran more than {STEP_LIMIT} lines and loop rounds; the simulation stopped here"
                ));
                return Flow::Terminate;
            }
            let values = match &f.split {
                None => vec![line],
                Some(split) => match split.values(&line) {
                    Some(values) => values,
                    None => continue,
                },
            };
            // The loop variable, then the letters after it (`%%a` `%%b` ...).
            let first = f.variable.chars().next().unwrap_or('i');
            let variables: Vec<(char, String)> = values
                .into_iter()
                .enumerate()
                .filter_map(|(n, value)| Some((char::from_u32(first as u32 + n as u32)?, value)))
                .collect();
            let body = self.substitute(&f.body, &variables);
            // The body starts on the `for`'s line.
            let parsed = syntax::parse(&body, 0);
            if parsed.open == Some(Open::Block) || parsed.too_deep {
                self.unsupported("the body of this `for` is not closed".to_owned());
                return Flow::Terminate;
            }
            let start = self.logical_start;
            self.logical_start = self.current_line;
            let flow = self.execute(&parsed.command);
            self.logical_start = start;
            match flow {
                Flow::Next => {}
                other => return other,
            }
        }
        Flow::Next
    }
}
