mod atomic;
mod claude;
mod cli;
mod clock;
mod cmd;
mod config;
mod copy;
mod error;
mod git;
mod index;
mod interrupt;
mod name;
mod output;
mod process;
mod registry;
mod session;
mod shell;
mod suggest;
// The one module allowed `unsafe` (Cargo.toml denies it elsewhere).
#[allow(unsafe_code)]
mod sys;
mod trust;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::error::{Exit, failure_of};

fn main() -> ExitCode {
    sys::default_sigpipe();
    // `COMPLETE=bash sessions ...`: answer the shell's completion request.
    clap_complete::CompleteEnv::with_factory(cli::Cli::command).complete();
    let cli = cli::Cli::parse();
    output::set_quiet(cli.quiet);
    let command = cli
        .command
        .unwrap_or_else(|| cli::Command::List(cli::ListArgs::default()));
    match cmd::run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sessions: {err:#}");
            let failure = failure_of(&err);
            // One `hint:` line per command, each pasteable on its own.
            if let Some(hint) = failure.and_then(|f| f.hint.as_deref()) {
                for line in hint.lines() {
                    eprintln!("hint: {line}");
                }
            }
            // A signal that stopped a step (git killed along with us by
            // Ctrl-C, say) is an interruption, whatever error it surfaced as.
            let exit = match interrupt::received() {
                true => {
                    if failure.is_none_or(|f| f.exit != Exit::Interrupted) {
                        eprintln!("sessions: interrupted");
                    }
                    Exit::Interrupted
                }
                false => failure.map_or(Exit::Error, |f| f.exit),
            };
            ExitCode::from(exit as u8)
        }
    }
}
