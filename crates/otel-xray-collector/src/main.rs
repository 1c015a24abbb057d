//! The `otel-xray` binary; see the library crate `otel_xray_collector` for what it does.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use otel_xray_collector::cli::{Cli, Command};
use otel_xray_collector::translate_cmd;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Translate(args) => match translate_cmd::run(&args) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "{}: error: {e}", translate_cmd::PROGRAM);
                ExitCode::FAILURE
            }
        },
    }
}
