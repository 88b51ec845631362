//! The `oxilearn` binary; see `oxilearn --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    oxilearn_cli::main()
}
