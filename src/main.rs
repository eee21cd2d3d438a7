//! cinlint: the command line. It only wires ingest → check → report; the crates do the work.

mod cli;
mod commands;
mod input;
mod settings;

use clap::Parser;
use std::process::ExitCode;

/// Exit codes (documented in the README).
pub mod exit {
    /// No finding at or above the fail level.
    pub const CLEAN: u8 = 0;
    /// Findings at or above the fail level.
    pub const FINDINGS: u8 = 1;
    /// Usage error or unreadable input.
    pub const INPUT: u8 = 2;
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(exit::INPUT)
        }
    }
}
