//! The terminal side of the domain's `session::Ui`: messages on stderr
//! through src/output.rs, the progress bar, and the one yes/no prompt.

use std::io::{self, BufRead, IsTerminal, Write};

use anyhow::Result;

use crate::output;
use crate::session::{Progress, Ui};
use crate::trust::{self, Request};

/// The person at the terminal.
pub struct Terminal {
    /// Whether approval may be asked for; never in a hook, whose input is
    /// Claude Code's and whose terminal is not ours.
    asks: bool,
}

/// For commands: asks for approval when stdin and stderr are a terminal.
pub const TERMINAL: &Terminal = &Terminal { asks: true };
/// For Claude Code's hooks: tells, never asks.
pub const HOOK: &Terminal = &Terminal { asks: false };

impl Ui for Terminal {
    fn note(&self, message: &str) {
        output::note(message);
    }

    fn warn(&self, message: &str) {
        output::warn(message);
    }

    fn error(&self, message: &str) {
        eprintln!("sessions: {message}");
    }

    fn approve(&self, request: &Request<'_>) -> Result<Option<bool>> {
        if !(self.asks && can_ask()) {
            return Ok(None);
        }
        trust::show(request.root, request.values, &mut io::stderr())?;
        ask("Approve these? [y/N] ").map(Some)
    }

    fn progress(&self, len: u64, message: &'static str) -> Box<dyn Progress> {
        Box::new(output::Progress::new(len, message))
    }
}

impl Progress for output::Progress {
    fn inc(&mut self) {
        output::Progress::inc(self);
    }
}

/// Whether there is a person to ask: stdin and stderr are a terminal.
pub fn can_ask() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// The one yes/no question on the terminal; anything but yes is no.
pub fn ask(question: &str) -> Result<bool> {
    eprint!("{question}");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
