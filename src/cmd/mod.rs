//! cmd.exe as cmd.exe reads a batch file, for `check` (which lints what it
//! reads) and `review` (which runs it). One reading, so the two cannot
//! disagree about a line.
//!
//! cmd.exe handles a line in phases (stackoverflow.com/questions/4094699,
//! "How does the Windows Command Interpreter (CMD.EXE) parse scripts?"):
//!
//! 1. percent expansion (`%VAR%`, `%1`, `%~dp0`): [`percent`] finds the
//!    references; `review` substitutes its environment, `check` the values
//!    the script sets;
//! 2. every CR is removed (phase 1.5), then `^` escapes, quotes,
//!    redirections, the operators `&` `&&` `||` `|`, `( )` blocks and the
//!    grammar of `if`, `for`, `rem`: [`syntax`] builds one tree of
//!    [`syntax::Command`]s, each with its byte range and its line;
//! 3. delayed expansion (`!VAR!`) and `for` variables happen as each command
//!    runs: that is `review`'s;
//! 4. a command's first word picks a builtin or a program: [`tables`] holds
//!    cmd's builtins and the variables Windows defines, once; [`words`] the
//!    small splitting rules (program and arguments, `call` arguments, `set`).
//!
//! [`lines`] reads a file's lines as cmd.exe does (CR removed, labels).

pub mod for_options;
pub mod lines;
pub mod paths;
pub mod percent;
pub mod syntax;
pub mod tables;
pub mod words;
