//! `omero-iis review`: runs install scripts against a model of an IIS server
//! and reports what they would change and where they would fail.
//!
//! [`document`] keeps applicationHost.config byte for byte; [`server`] is the
//! server (configuration, files, backups); [`appcmd`] simulates appcmd.exe on
//! it; [`batch`] runs the script as cmd.exe would. This module turns the runs
//! into findings and reports (text, unified diff, JSON).

pub mod appcmd;
pub mod batch;
pub mod document;
pub mod operations;
pub mod powershell;
pub mod server;

use std::borrow::Cow;
use std::sync::Arc;

use similar::TextDiff;

pub use batch::{Run, Script, Step, StepKind};
pub use server::Server;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// The stack of the thread the scripts run on.
const REVIEW_STACK: usize = 512 << 20;

/// The outcome of reviewing one or more scripts in order on one server.
#[derive(Debug, Clone)]
pub struct Review {
    pub runs: Vec<Run>,
    pub server: Server,
    pub diagnostics: Vec<Diagnostic>,
}

/// Runs `scripts` one after the other against `server`.
pub fn review(scripts: &[Script], mut server: Server) -> Review {
    let run_all = |server: &mut Server| -> Vec<Run> {
        scripts
            .iter()
            .map(|script| {
                if script.is_powershell() {
                    powershell::run(script, server)
                } else {
                    batch::run(script, server)
                }
            })
            .collect()
    };
    // The interpreters recurse (calls, blocks, expressions), each within
    // its own bound; together (200 nested `call`s of lines nested 128
    // deep) they may need more than a main thread's stack, so they run on
    // a thread with a stack that holds the worst case. Only what is used is
    // ever committed.
    let runs = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("review".to_owned())
            .stack_size(REVIEW_STACK)
            .spawn_scoped(scope, || run_all(&mut server))
            .map(|handle| handle.join())
    });
    let runs = match runs {
        Ok(Ok(runs)) => runs,
        // A panic in the interpreter is a bug: let it surface as one.
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        // No thread could be made: run here.
        Err(_) => run_all(&mut server),
    };
    let diagnostics = findings(&runs);
    Review {
        runs,
        server,
        diagnostics,
    }
}

/// The review's findings: failures, ignored failures, conflicts, assumptions.
pub fn findings(runs: &[Run]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for run in runs {
        for step in &run.steps {
            for change in &step.changes {
                if let Some(conflict) = &change.conflict {
                    out.push(
                        Diagnostic::new(
                            Code::ReviewConflict,
                            format!("this command {}", change.description),
                        )
                        .at(Some(&step.span))
                        .label("changes an existing setting")
                        .note(format!("before the script runs: {conflict}"))
                        .help("if that is intended, nothing to do; otherwise choose other names with --site, --pool or --app-dir"),
                    );
                }
            }
            if step.failure_ignored {
                out.push(
                    Diagnostic::new(
                        Code::ReviewIgnoredFailure,
                        format!(
                            "`{}` fails with exit code {} and the script carries on",
                            short(&step.command),
                            step.exit_code
                        ),
                    )
                    .at(Some(&step.span))
                    .label(format!("exit code {}", step.exit_code))
                    .note(step.output.clone())
                    .help(if run.script.to_ascii_lowercase().ends_with(".ps1") {
                        "set `$ErrorActionPreference = 'Stop'` (or give the cmdlet `-ErrorAction Stop`) so that a failure stops the script, or look at `$?` or `$LASTEXITCODE` on the next line"
                    } else {
                        "check the exit code on the next line: `if errorlevel 1 goto :failed`"
                    }),
                );
            }
            for assumption in &step.assumptions {
                out.push(
                    Diagnostic::new(Code::ReviewNotSimulated, assumption.clone())
                        .at(Some(&step.span))
                        .help("judge the assumption; give the server's files with --apphost and --site-root to reduce them"),
                );
            }
            if step.kind == StepKind::External {
                out.push(
                    Diagnostic::new(
                        Code::ReviewExternal,
                        format!(
                            "runs `{}` with {} argument{}: recorded, not run",
                            step.program,
                            step.arguments.len(),
                            if step.arguments.len() == 1 { "" } else { "s" }
                        ),
                    )
                    .at(Some(&step.span))
                    .note(format!("arguments: {}", quote_list(&step.arguments))),
                );
            }
        }
        for (span, what) in &run.unsupported {
            out.push(
                Diagnostic::new(Code::ReviewNotSimulated, what.clone())
                    .at(Some(span))
                    .help("read this line of the script yourself: the review cannot vouch for it"),
            );
        }
        for (span, path) in &run.assumed_paths {
            out.push(
                Diagnostic::new(
                    Code::ReviewAssumedPath,
                    format!("assumed that `{path}` exists on the server"),
                )
                .at(Some(span))
                .label("not in any folder given to the review")
                .help(format!(
                    "give a local copy of its folder with --site-root 'WINDOWS-FOLDER=LOCAL-FOLDER', or --missing '{path}' to review the other branch"
                )),
            );
        }
        if run.exit_code != 0 {
            out.push(failure(run));
        }
    }
    crate::diagnostic::sort(&mut out);
    out
}

fn failure(run: &Run) -> Diagnostic {
    let failed_at = run.steps.iter().rposition(|s| s.exit_code != 0);
    let failed = failed_at.map(|i| &run.steps[i]);
    let changed_before =
        failed_at.is_some_and(|i| run.steps[..i].iter().any(|s| !s.changes.is_empty()));
    let ended = format!(
        "{}{} stops with exit code {}",
        run.script,
        run.last_label
            .as_ref()
            .map_or(String::new(), |l| format!(" (at :{l})")),
        run.exit_code
    );
    match failed {
        Some(step) if step.exit_code == run.exit_code || run.last_label.as_deref().is_some_and(|l| l.eq_ignore_ascii_case("failed")) => {
            Diagnostic::new(
                Code::ReviewScriptFails,
                format!("would fail here: `{}` exits with {}", short(&step.command), step.exit_code),
            )
            .at(Some(&step.span))
            .label(first_line(&step.output))
            .note(format!("{ended} at {}", run.end.display()))
            .note(match (changed_before, run.script.to_ascii_lowercase().ends_with(".ps1")) {
                (true, true) => "the commands before this one have already changed the server when it stops (each WebAdministration cmdlet saves its change at once)",
                (true, false) => "the commands before this one have already changed the server when it stops (appcmd saves each command at once)",
                (false, _) => "nothing has changed the configuration yet when it stops",
            })
            .help("make the server meet what this command needs, or change the command; `omero-iis explain OW701`")
        }
        _ => {
            let d = Diagnostic::new(Code::ReviewScriptFails, ended.clone())
                .at(Some(&run.end))
                .label(format!("exit code {}", run.exit_code));
            match &run.message {
                Some(message) => d
                    .note(match &run.message_at {
                        Some(at) => format!("the error, raised at {}: {message}", at.display()),
                        None => format!("the error: {message}"),
                    })
                    .help("make the server meet what the script needs there, or change the script"),
                None => d.help("a precondition of the script is not met on this server; the line above says which"),
            }
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_owned()
}

fn short(command: &str) -> String {
    let one_line = command.replace('\n', " ");
    if one_line.chars().count() > 100 {
        let cut: String = one_line.chars().take(97).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

fn quote_list(arguments: &[String]) -> String {
    arguments
        .iter()
        .map(|a| format!("[{a}]"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A file the scripts changed.
#[derive(Debug, Clone)]
pub struct ChangedFile<'r> {
    pub name: String,
    /// The text before, when known (applicationHost.config's is the text
    /// the review started from, not a copy).
    pub before: Option<Cow<'r, str>>,
    /// The text after, when known.
    pub after: Option<Cow<'r, str>>,
    /// What happened, in words.
    pub how: &'static str,
}

impl Review {
    /// applicationHost.config as the scripts leave it.
    pub fn apphost_after(&self) -> String {
        self.server.apphost.to_text()
    }

    /// Every changed file, applicationHost.config first.
    pub fn changed_files(&self) -> Vec<ChangedFile<'_>> {
        let mut out = Vec::new();
        // Written out only when it may differ (an edit may still leave the
        // same text: that is no change).
        if !self
            .server
            .apphost
            .is_unchanged(&self.server.apphost_original)
        {
            let after = self.apphost_after();
            if *after != *self.server.apphost_original {
                out.push(ChangedFile {
                    name: self.server.apphost_name.clone(),
                    before: Some(Cow::Borrowed(&self.server.apphost_original)),
                    after: Some(Cow::Owned(after)),
                    how: "changed",
                });
            }
        }
        for (name, before, after) in self.server.disk.changed_entries() {
            use server::Entry;
            let how = match (&before, &after) {
                (_, Entry::Folder) => "folder created",
                (Entry::Folder, Entry::Missing) => "folder removed",
                (_, Entry::Missing) => "deleted",
                (Entry::Missing, Entry::File(_)) => "created",
                (Entry::File(None), Entry::File(_)) => "replaced (content before not known)",
                (_, Entry::File(None)) => "replaced by a file whose content is not known",
                _ => "changed",
            };
            let text = |e: &Entry| match e {
                Entry::File(Some(t)) => Some(Cow::Owned(t.clone())),
                _ => None,
            };
            out.push(ChangedFile {
                name,
                before: text(&before),
                after: text(&after),
                how,
            });
        }
        out
    }

    /// A unified diff of every changed file whose text is known.
    pub fn unified_diff(&self) -> String {
        let mut out = String::new();
        for file in self.changed_files() {
            let before = file.before.as_deref().unwrap_or_default();
            let after = file.after.as_deref().unwrap_or_default();
            let (a, b) = (
                if file.before.is_some() {
                    format!("a/{}", file.name)
                } else {
                    "/dev/null".to_owned()
                },
                if file.after.is_some() {
                    format!("b/{}", file.name)
                } else {
                    "/dev/null".to_owned()
                },
            );
            if file.before.is_none() && file.after.is_none() {
                continue;
            }
            let diff = TextDiff::from_lines(before, after);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&a, &b)
                    .to_string(),
            );
        }
        out
    }

    /// Every step, its exit code and what it changed, for machines.
    pub fn json(&self) -> serde_json::Value {
        let runs: Vec<serde_json::Value> = self
            .runs
            .iter()
            .map(|run| {
                let steps: Vec<serde_json::Value> = run
                    .steps
                    .iter()
                    .map(|s| {
                        let start = s.span.start();
                        serde_json::json!({
                            "line": start.line,
                            "column": start.column,
                            "kind": s.kind,
                            "command": s.command,
                            "program": s.program,
                            "arguments": s.arguments,
                            "exit_code": s.exit_code,
                            "output": s.output,
                            "changes": s.changes,
                            "assumptions": s.assumptions,
                            "failure_ignored": s.failure_ignored,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "script": run.script,
                    "exit_code": run.exit_code,
                    "ended_at": run.end.display(),
                    "ended_after_label": run.last_label,
                    "steps": steps,
                })
            })
            .collect();
        let files: Vec<serde_json::Value> = self
            .changed_files()
            .iter()
            .map(|f| {
                serde_json::json!({
                    "file": f.name,
                    "change": f.how,
                    "before_known": f.before.is_some(),
                    "after_known": f.after.is_some(),
                })
            })
            .collect();
        serde_json::json!({
            "apphost": self.server.apphost_name,
            "apphost_built_in": self.server.built_in,
            "runs": runs,
            "changed_files": files,
            "diagnostics": crate::report::json_report(&self.diagnostics, "review")["diagnostics"],
            "summary": crate::report::summary(&self.diagnostics, &self.summary()),
        })
    }

    /// The plain-language report: conflicts first, then each step.
    pub fn text(&self, color: bool) -> String {
        let mut out = String::new();
        let conflicts: Vec<(&Step, &appcmd::Change)> = self
            .runs
            .iter()
            .flat_map(|r| r.steps.iter())
            .flat_map(|s| {
                s.changes
                    .iter()
                    .filter(|c| c.conflict.is_some())
                    .map(move |c| (s, c))
            })
            .collect();
        if self.server.built_in {
            out.push_str(
                "Review against the built-in IIS 10 default configuration (no --apphost)\n\n",
            );
        } else {
            out.push_str(&format!("Review against {}\n\n", self.server.apphost_name));
        }
        if !conflicts.is_empty() {
            out.push_str("Conflicts with the configuration before the script runs:\n");
            for (step, change) in &conflicts {
                out.push_str(&format!(
                    "  ! {} — {}; the script {}\n",
                    step.span.display(),
                    change.conflict.as_deref().unwrap_or(""),
                    change.description
                ));
            }
            out.push('\n');
        }
        for run in &self.runs {
            out.push_str(&format!("{}:\n", run.script));
            // Steps of a batch file the script called say in which file
            // their line numbers are.
            let mut file = run.script.clone();
            for step in &run.steps {
                if step.span.file.name != file {
                    file = step.span.file.name.clone();
                    out.push_str(&format!("  (in {file})\n"));
                }
                out.push_str(&describe_step(step));
            }
            out.push_str(&match run.exit_code {
                0 => format!("  = {} completes (exit code 0)\n\n", run.script),
                code => format!(
                    "  = {} stops at {} with exit code {code}{}{}\n\n",
                    run.script,
                    run.end.display(),
                    run.last_label
                        .as_ref()
                        .map_or(String::new(), |l| format!(", after jumping to :{l}")),
                    run.message
                        .as_ref()
                        .map_or(String::new(), |m| format!(": {m}"))
                ),
            });
        }
        let files = self.changed_files();
        if files.is_empty() {
            out.push_str("Changed files: none\n");
        } else {
            out.push_str("Changed files (see --format diff):\n");
            for f in &files {
                out.push_str(&format!("  {} — {}\n", f.name, f.how));
            }
        }
        let assumed: Vec<&Diagnostic> = self
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ReviewAssumedPath)
            .collect();
        if !assumed.is_empty() {
            out.push_str("\nAssumed to exist on the server (OW704; --missing PATH reviews the other branch):\n");
            for d in assumed {
                out.push_str(&format!(
                    "  {} — {}\n",
                    d.location(),
                    d.message
                        .trim_start_matches("assumed that ")
                        .trim_end_matches(" exists on the server")
                ));
            }
        }
        // Findings with snippets: failures, ignored failures, conflicts and
        // constructs not simulated (step assumptions are shown with their step).
        let shown: Vec<Diagnostic> = self
            .diagnostics
            .iter()
            .filter(|d| {
                matches!(
                    d.code,
                    Code::ReviewScriptFails | Code::ReviewIgnoredFailure | Code::ReviewConflict
                ) || (d.code == Code::ReviewNotSimulated && !self.is_step_assumption(d))
            })
            .cloned()
            .collect();
        out.push('\n');
        for d in &shown {
            out.push_str(&crate::report::text(d, color));
            out.push_str("\n\n");
        }
        // The tally counts every finding, the ones shown with their step too.
        out.push_str(&crate::report::tally_line(
            &self.diagnostics,
            &self.summary(),
        ));
        out
    }

    /// `reviewed 2 scripts: 40 commands simulated, 12 configuration changes`.
    pub fn summary(&self) -> String {
        let steps: usize = self.runs.iter().map(|r| r.steps.len()).sum();
        let changes: usize = self
            .runs
            .iter()
            .flat_map(|r| r.steps.iter())
            .map(|s| s.changes.len())
            .sum();
        use crate::report::plural;
        format!(
            "reviewed {}: {} simulated, {}",
            plural(self.runs.len(), "script"),
            plural(steps, "command"),
            plural(changes, "configuration change"),
        )
    }
}

impl Review {
    fn is_step_assumption(&self, d: &Diagnostic) -> bool {
        self.runs
            .iter()
            .flat_map(|r| r.steps.iter())
            .any(|s| s.assumptions.contains(&d.message))
    }
}

fn describe_step(step: &Step) -> String {
    let line = step.span.start().line;
    let mut out = String::new();
    let status = match (step.kind, step.exit_code) {
        (StepKind::External, 0) => "recorded".to_owned(),
        (_, 0) => "ok".to_owned(),
        (_, code) if step.failure_ignored => format!("FAILS {code}"),
        // A failure the script looks at: a probe (`list app`) or its stop.
        (_, code) => format!("exit {code}"),
    };
    out.push_str(&format!(
        "  {line:>4}  {status:<10} {}\n",
        short(&step.command)
    ));
    let indent = "                   ";
    if step.kind != StepKind::File {
        for change in &step.changes {
            out.push_str(&format!("{indent}{}\n", change.description));
        }
    }
    if step.exit_code != 0 || step.kind == StepKind::File {
        for l in step.output.lines().filter(|l| !l.is_empty()) {
            out.push_str(&format!("{indent}{l}\n"));
        }
    }
    if step.failure_ignored {
        out.push_str(&format!(
            "{indent}the script does not check this failure and goes on\n"
        ));
    }
    for a in &step.assumptions {
        out.push_str(&format!("{indent}assumed: {a}\n"));
    }
    out
}

/// A script to review, from its file.
pub fn script(file: Arc<crate::source::SourceFile>, windows_folder: &str) -> Script {
    let file_name = file
        .name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(&file.name)
        .to_owned();
    let mut folder = windows_folder.to_owned();
    if !folder.ends_with('\\') {
        folder.push('\\');
    }
    Script {
        file,
        windows_folder: folder,
        file_name,
        local_folder: None,
        arguments: Vec::new(),
    }
}

/// Where a span of a script lies, for tests and reports.
pub fn line_of(span: &Span) -> usize {
    span.start().line
}
