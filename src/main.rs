//! The `omero-iis` binary: everything lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(omero_iis::main_with_args(std::env::args_os()))
}
