//! The file commands (`mkdir`, `copy`, `move`, `del`, `rmdir`).

use super::*;

impl Interpreter<'_> {
    // ------------------------------------------------------------ files

    pub(super) fn file_arguments(&self, rest: &str) -> Vec<String> {
        split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .filter(|a| !a.starts_with('/'))
            .collect()
    }

    pub(super) fn mkdir(&mut self, rest: &str) -> Flow {
        let targets = self.file_arguments(rest);
        let index = self.record(
            StepKind::File,
            &format!("mkdir {rest}"),
            "mkdir",
            targets.clone(),
        );
        let mut code = 0;
        for target in targets {
            let full = self.absolute(&target);
            let (entry, knowledge) = self.server.disk.get(&full);
            if knowledge == Knowledge::Known && entry != Entry::Missing {
                self.steps[index].output =
                    format!("A subdirectory or file {target} already exists.");
                code = 1;
                continue;
            }
            self.server.disk.set(&full, Entry::Folder);
            self.steps[index].output = format!("creates folder {full}");
        }
        self.finish_step(index, code);
        Flow::Next
    }

    pub(super) fn copy(&mut self, rest: &str, is_move: bool) -> Flow {
        let args = self.file_arguments(rest);
        let verb = if is_move { "move" } else { "copy" };
        let index = self.record(
            StepKind::File,
            &format!("{verb} {rest}"),
            verb,
            args.clone(),
        );
        let [source, target] = args.as_slice() else {
            self.steps[index].output = "The syntax of the command is incorrect.".to_owned();
            self.finish_step(index, 1);
            return Flow::Next;
        };
        let source = self.absolute(source);
        let mut target = self.absolute(target);
        let content = match self.lookup(&source) {
            Entry::Missing => {
                self.steps[index].output = "The system cannot find the file specified.".to_owned();
                self.finish_step(index, 1);
                return Flow::Next;
            }
            Entry::Folder => None,
            Entry::File(content) => content,
        };
        if let (Entry::Folder, Knowledge::Known) = self.server.disk.get(&target) {
            let name = source.rsplit('\\').next().unwrap_or("").to_owned();
            target = format!("{}\\{name}", target.trim_end_matches('\\'));
        }
        self.server.disk.set(&target, Entry::File(content));
        if is_move {
            self.server.disk.set(&source, Entry::Missing);
        }
        let past = if is_move { "moves" } else { "copies" };
        self.steps[index].output = format!("{past} {source} to {target}");
        self.finish_step(index, 0);
        Flow::Next
    }

    pub(super) fn delete(&mut self, rest: &str) -> Flow {
        let targets = self.file_arguments(rest);
        let index = self.record(
            StepKind::File,
            &format!("del {rest}"),
            "del",
            targets.clone(),
        );
        for target in targets {
            let full = self.absolute(&target);
            match self.lookup(&full) {
                // `del` of a missing file prints "Could Not Find" and still exits 0.
                Entry::Missing => self.steps[index].output = format!("Could Not Find {full}"),
                _ => {
                    self.server.disk.set(&full, Entry::Missing);
                    self.steps[index].output = format!("deletes {full}");
                }
            }
        }
        self.finish_step(index, 0);
        Flow::Next
    }

    pub(super) fn rmdir(&mut self, rest: &str) -> Flow {
        let recursive = rest.to_lowercase().contains("/s");
        let targets = self.file_arguments(rest);
        let index = self.record(
            StepKind::File,
            &format!("rmdir {rest}"),
            "rmdir",
            targets.clone(),
        );
        let mut code = 0;
        for target in targets {
            let full = self.absolute(&target);
            match self.lookup(&full) {
                Entry::Missing => {
                    self.steps[index].output =
                        "The system cannot find the file specified.".to_owned();
                    code = 2;
                }
                _ if !recursive && self.server.disk.has_children(&full) => {
                    self.steps[index].output = "The directory is not empty.".to_owned();
                    code = 145;
                }
                _ => {
                    self.server.disk.set(&full, Entry::Missing);
                    self.steps[index].output = format!("removes folder {full}");
                }
            }
        }
        self.finish_step(index, code);
        Flow::Next
    }
}
