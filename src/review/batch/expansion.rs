//! Phase 1 and phase 5 of cmd.exe in the review: percent expansion of
//! each line as it is read, delayed expansion as each command runs.

use super::*;

impl Interpreter<'_> {
    // ------------------------------------------------------------ expansion

    pub(super) fn var(&self, name: &str) -> Option<String> {
        let upper = name.to_uppercase();
        if let Some((_, v)) = self.env.get(&upper) {
            return Some(v.clone());
        }
        match upper.as_str() {
            "ERRORLEVEL" => Some(self.errorlevel.to_string()),
            // The clock and dice of the model server: fixed, so that a
            // review gives the same report each time (cmd's own formats of
            // an English Windows).
            "DATE" => Some(SIMULATED_DATE.to_owned()),
            "TIME" => Some(SIMULATED_TIME.to_owned()),
            "RANDOM" => Some(SIMULATED_RANDOM.to_owned()),
            "CD" => {
                Some(self.cwd.clone().unwrap_or_else(|| {
                    self.script.windows_folder.trim_end_matches('\\').to_owned()
                }))
            }
            _ => None,
        }
    }

    /// Phase 1 of cmd.exe for a batch file: `%%`, `%0`-`%9` with `~`
    /// modifiers, `%*`, `%NAME%` (undefined = empty), `%NAME:a=b%`, `%NAME:~n,m%`.
    pub(super) fn expand(&mut self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        for (_, piece) in percent::pieces(line) {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Percent => out.push('%'),
                // A lone `%` is dropped in a batch file.
                Piece::Lone => {}
                // `%*` is every argument as given: `shift` does not change it.
                Piece::AllArguments => {
                    out.push_str(&self.given.last().map(|f| f.join(" ")).unwrap_or_default())
                }
                Piece::Argument { modifiers, index } => {
                    let value = self.argument_text(modifiers, index);
                    out.push_str(&value);
                }
                Piece::Variable { name, edit } => {
                    if name.eq_ignore_ascii_case("ERRORLEVEL")
                        && !self.env.contains_key("ERRORLEVEL")
                    {
                        self.unexamined_failure = None;
                    }
                    let value = self.expand_variable(name, edit);
                    if value.is_empty()
                        && edit.is_none()
                        && self.var(name).is_none()
                        && at_command_position(&out)
                    {
                        // cmd then runs the next word as the program.
                        out.push(UNDEFINED_PROGRAM);
                        out.push_str(name);
                        out.push(UNDEFINED_PROGRAM);
                    }
                    out.push_str(&value);
                }
            }
        }
        out
    }

    /// `%N` or `%~mN`: `%0` is the script, or the `:label` of a call, until
    /// `shift` moves `%1` into it.
    pub(super) fn argument_text(&mut self, modifiers: Option<&str>, index: u8) -> String {
        match modifiers {
            None => self.argument(index).unwrap_or("").to_owned(),
            Some(modifiers) => {
                // `%~dp0` is the script's folder also inside a `call`ed
                // label, whose `%0` is the label (cmd.exe reads the batch
                // file's path for the modifiers).
                let value = match index {
                    0 => self.script_path(),
                    _ => self.argument(index).unwrap_or("").to_owned(),
                };
                match paths::with_modifiers(&value, modifiers, &self.current_folder()) {
                    Ok(value) => value,
                    Err(paths::Unknown(m)) => {
                        self.unsupported(format!(
                            "`%~{modifiers}{index}`: the `{m}` modifier reads the file on the server; taken as empty"
                        ));
                        String::new()
                    }
                }
            }
        }
    }

    /// cmd's delayed expansion (phase 5), when enabled and the command has a
    /// `!`: `!VAR!` (with `:~n,m` and `:a=b`) is the variable's value now,
    /// an undefined one is empty, a lone `!` is dropped, and a caret keeps
    /// the character after it (`^!` is a `!`).
    pub(super) fn expand_delayed(&mut self, text: &str) -> String {
        if !self.delayed || !text.contains('!') {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            match c {
                '^' => {
                    let mut chars = rest[1..].chars();
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                    rest = chars.as_str();
                }
                '!' => match rest[1..].find('!') {
                    Some(end) => {
                        let body = &rest[1..1 + end];
                        if body.eq_ignore_ascii_case("ERRORLEVEL")
                            && !self.env.contains_key("ERRORLEVEL")
                        {
                            self.unexamined_failure = None;
                        }
                        let (name, edit) = match body.split_once(':') {
                            Some((name, edit)) => (name, Some(edit)),
                            None => (body, None),
                        };
                        out.push_str(&self.expand_variable(name, edit));
                        rest = &rest[end + 2..];
                    }
                    None => rest = &rest[1..],
                },
                _ => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        out
    }

    /// `NAME` or `NAME:edit` now: undefined is empty.
    pub(super) fn expand_variable(&mut self, name: &str, edit: Option<&str>) -> String {
        match (self.var(name), edit) {
            (None, _) => String::new(),
            (Some(value), None) => value,
            (Some(value), Some(edit)) => percent::edited(&value, edit),
        }
    }

    pub(super) fn script_path(&self) -> String {
        format!("{}{}", self.script.windows_folder, self.script.file_name)
    }

    /// `%0` to `%9`: the `:label` and arguments of the `call` being run,
    /// else the script and its own arguments (none unless `review --arg`),
    /// as `shift` left them.
    pub(super) fn argument(&self, index: u8) -> Option<&str> {
        self.frames
            .last()?
            .get(usize::from(index))
            .map(String::as_str)
    }
}
