//! What cmd.exe knows before a script runs: its builtin commands and the
//! variables Windows defines for every process, with the values the review's
//! model server gives them.

/// The environment of an elevated command prompt on a Windows Server with
/// IIS, as the review's model server has it (names as Windows spells them;
/// cmd looks them up case-insensitively). The names are those of
/// learn.microsoft.com, "Recognized environment variables"; the values are
/// an English Windows Server's defaults.
pub const WINDOWS_ENVIRONMENT: &[(&str, &str)] = &[
    ("SystemDrive", "C:"),
    ("SystemRoot", "C:\\Windows"),
    ("windir", "C:\\Windows"),
    ("ProgramFiles", "C:\\Program Files"),
    ("ProgramFiles(x86)", "C:\\Program Files (x86)"),
    ("ProgramW6432", "C:\\Program Files"),
    ("CommonProgramFiles", "C:\\Program Files\\Common Files"),
    (
        "CommonProgramFiles(x86)",
        "C:\\Program Files (x86)\\Common Files",
    ),
    ("ProgramData", "C:\\ProgramData"),
    ("ALLUSERSPROFILE", "C:\\ProgramData"),
    ("PUBLIC", "C:\\Users\\Public"),
    ("USERPROFILE", "C:\\Users\\Administrator"),
    ("APPDATA", "C:\\Users\\Administrator\\AppData\\Roaming"),
    ("LOCALAPPDATA", "C:\\Users\\Administrator\\AppData\\Local"),
    ("HOMEDRIVE", "C:"),
    ("HOMEPATH", "\\Users\\Administrator"),
    ("TEMP", "C:\\Windows\\TEMP"),
    ("TMP", "C:\\Windows\\TEMP"),
    ("ComSpec", "C:\\Windows\\system32\\cmd.exe"),
    ("PATHEXT", ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC"),
    ("PATH", "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\"),
    (
        "PSModulePath",
        "C:\\Program Files\\WindowsPowerShell\\Modules;C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules",
    ),
    ("DriverData", "C:\\Windows\\System32\\Drivers\\DriverData"),
    ("COMPUTERNAME", "IIS-SERVER"),
    ("USERNAME", "Administrator"),
    ("USERDOMAIN", "IIS-SERVER"),
    ("LOGONSERVER", "\\\\IIS-SERVER"),
    ("SESSIONNAME", "Console"),
    ("OS", "Windows_NT"),
    ("PROCESSOR_ARCHITECTURE", "AMD64"),
    ("NUMBER_OF_PROCESSORS", "2"),
];

/// cmd.exe's dynamic variables: computed each time they are read, unless
/// the script sets a variable of the same name, which then hides cmd's
/// value (`set /?`, "dynamic environment variables").
pub const DYNAMIC_VARIABLES: &[&str] = &[
    "errorlevel",
    "cd",
    "__cd__",
    "date",
    "time",
    "random",
    "cmdcmdline",
    "cmdextversion",
    "highestnumanodenumber",
];

/// Variables whose value decides how later commands are found: a script
/// that replaces one (instead of adding to it) breaks every later program
/// lookup.
pub const SEARCH_VARIABLES: &[&str] = &["path", "pathext", "comspec", "systemroot", "windir"];

/// Whether `name` is defined before the script sets anything: Windows
/// defines it, or cmd computes it.
pub fn is_predefined(name: &str) -> bool {
    WINDOWS_ENVIRONMENT
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
        || DYNAMIC_VARIABLES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
}

/// How a script learns that a command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// It prints, sets or jumps; there is nothing to check.
    Never,
    /// It sets ERRORLEVEL: `if errorlevel 1` or `||` after it.
    ExitCode,
    /// It may leave ERRORLEVEL at 0 when it fails (`del` of a file it could
    /// not delete, measured on Windows 10, stackoverflow.com/a/34968021):
    /// the script tests the file instead (`if exist`).
    FileTest,
}

/// A command cmd.exe runs itself: no program is looked up for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    pub name: &'static str,
    pub failure: Failure,
}

const fn builtin(name: &'static str, failure: Failure) -> Builtin {
    Builtin { name, failure }
}

/// cmd.exe's internal commands (learn.microsoft.com, "Windows commands";
/// `help` in cmd.exe lists them), and `chcp`, a program (chcp.com) that
/// scripts call like one and never check.
pub const BUILTINS: &[Builtin] = &[
    builtin("assoc", Failure::ExitCode),
    builtin("break", Failure::Never),
    builtin("call", Failure::Never),
    builtin("cd", Failure::Never),
    builtin("chcp", Failure::Never),
    builtin("chdir", Failure::Never),
    builtin("cls", Failure::Never),
    builtin("color", Failure::Never),
    builtin("copy", Failure::FileTest),
    builtin("date", Failure::Never),
    builtin("del", Failure::FileTest),
    builtin("dir", Failure::Never),
    builtin("echo", Failure::Never),
    builtin("endlocal", Failure::Never),
    builtin("erase", Failure::FileTest),
    builtin("exit", Failure::Never),
    builtin("for", Failure::Never),
    builtin("ftype", Failure::ExitCode),
    builtin("goto", Failure::Never),
    builtin("if", Failure::Never),
    builtin("md", Failure::ExitCode),
    builtin("mkdir", Failure::ExitCode),
    builtin("mklink", Failure::ExitCode),
    builtin("move", Failure::FileTest),
    builtin("path", Failure::Never),
    builtin("pause", Failure::Never),
    builtin("popd", Failure::Never),
    builtin("prompt", Failure::Never),
    builtin("pushd", Failure::Never),
    builtin("rd", Failure::ExitCode),
    builtin("rem", Failure::Never),
    builtin("ren", Failure::FileTest),
    builtin("rename", Failure::FileTest),
    builtin("rmdir", Failure::ExitCode),
    builtin("set", Failure::Never),
    builtin("setlocal", Failure::Never),
    builtin("shift", Failure::Never),
    builtin("start", Failure::Never),
    builtin("time", Failure::Never),
    builtin("title", Failure::Never),
    builtin("type", Failure::Never),
    builtin("ver", Failure::Never),
    builtin("verify", Failure::Never),
    builtin("vol", Failure::Never),
];

/// The builtin a command word names (`word` in any case; `echo.` and
/// `echo:` are `echo`).
pub fn builtin_named(word: &str) -> Option<&'static Builtin> {
    let word = word.to_ascii_lowercase();
    let word = if is_echo_word(&word) {
        "echo"
    } else {
        word.as_str()
    };
    BUILTINS.iter().find(|b| b.name == word)
}

/// `echo`, or `echo` with the character cmd accepts right after it instead
/// of a blank (`echo.`, `echo:`, `echo(`, `echo/`).
pub fn is_echo_word(lower: &str) -> bool {
    lower == "echo" || lower.starts_with("echo") && lower[4..].starts_with(['.', ':', '(', '/'])
}

/// `rem` as a command word: `rem`, or `rem` with `.`/`:`/`/` right after.
pub fn is_rem_word(lower: &str) -> bool {
    lower == "rem" || lower.starts_with("rem") && lower[3..].starts_with(['.', ':', '/'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_sorted_and_found_in_any_case() {
        assert!(BUILTINS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(builtin_named("DEL").unwrap().failure, Failure::FileTest);
        assert_eq!(builtin_named("echo.").unwrap().name, "echo");
        assert!(builtin_named("appcmd").is_none());
        assert!(is_predefined("ProgramFiles(X86)"));
        assert!(is_predefined("ERRORLEVEL"));
        assert!(!is_predefined("APPCMD"));
    }
}
