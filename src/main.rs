mod cli;
mod cmd;
mod error;
mod git;
mod interrupt;
mod name;
mod output;
#[allow(dead_code)] // first used by rm's live-process rule
mod process;
mod registry;
mod session;

use std::process::ExitCode;

use clap::Parser;

use crate::error::{Exit, failure_of};

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when a reader such as `head` closes
    // the pipe, rather than failing on the next write.
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = cli::Cli::parse();
    match cmd::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sessions: {err:#}");
            let failure = failure_of(&err);
            if let Some(hint) = failure.and_then(|f| f.hint.as_deref()) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(failure.map_or(Exit::Error, |f| f.exit) as u8)
        }
    }
}
