//! The `detente` binary: a thin shell around [`detente::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    detente::cli::main()
}
