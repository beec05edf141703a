//! The terminal side of the domain's `session::Ui`: messages on stderr
//! through src/output.rs, the progress bar, the one yes/no prompt and the
//! session picker. Ctrl-C at either stops the whole command (exit 130).

use std::io::{self, BufRead, IsTerminal, Write};
use std::os::fd::AsFd;
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use anyhow::Result;

use crate::error::Failure;
use crate::interrupt;
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
        // One question per command: `new` asks before it changes anything,
        // and a "no" then holds for its later steps too.
        static ANSWER: OnceLock<bool> = OnceLock::new();
        if !(self.asks && can_ask()) {
            return Ok(None);
        }
        if let Some(&answer) = ANSWER.get() {
            return Ok(Some(answer));
        }
        trust::show(request.root, request.values, &mut io::stderr())?;
        let answer = ask("Approve these? [y/N] ")?;
        Ok(Some(*ANSWER.get_or_init(|| answer)))
    }

    fn progress(&self, len: u64, message: &'static str) -> Box<dyn Progress> {
        Box::new(output::Progress::new(len, message))
    }

    fn busy(&self, message: &'static str) -> Box<dyn Progress> {
        Box::new(Spinner::start(message))
    }
}

/// A spinner on stderr for one step that takes more than half a second,
/// on a terminal only; nothing at all when the step is quick.
struct Spinner {
    bar: indicatif::ProgressBar,
    /// Closed (dropped) to tell the waiting thread the step is over.
    done: Option<mpsc::Sender<()>>,
    waiter: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    fn start(message: &'static str) -> Spinner {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_message(message);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        let mut spinner = Spinner {
            bar,
            done: None,
            waiter: None,
        };
        if output::quiet() || !io::stderr().is_terminal() {
            return spinner;
        }
        // SESSIONS_PROGRESS_AFTER_MS: how long to wait before showing, for
        // tests (0 shows at once, without a thread to race).
        let after = std::env::var("SESSIONS_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(Duration::from_millis(500), Duration::from_millis);
        if after.is_zero() {
            show(&spinner.bar);
            return spinner;
        }
        let (done, wait) = mpsc::channel::<()>();
        let bar = spinner.bar.clone();
        spinner.done = Some(done);
        spinner.waiter = Some(std::thread::spawn(move || {
            if wait.recv_timeout(after) == Err(mpsc::RecvTimeoutError::Timeout) {
                show(&bar);
            }
        }));
        spinner
    }
}

fn show(bar: &indicatif::ProgressBar) {
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar.tick();
}

impl Progress for Spinner {
    fn inc(&mut self) {}
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(waiter) = self.waiter.take() {
            let _ = waiter.join();
        }
        self.bar.finish_and_clear();
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

/// The one yes/no question on the terminal; anything but yes is no, and
/// Ctrl-C is an interruption (exit 130), never an answer.
pub fn ask(question: &str) -> Result<bool> {
    interrupt::install();
    eprint!("{question}");
    io::stderr().flush()?;
    // A signal does not end a blocking read (SA_RESTART), but it does end
    // the wait before it: the read starts only once a line is there.
    loop {
        interrupt::check()?;
        match crate::sys::wait_readable(io::stdin().as_fd()) {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    interrupt::check()?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

/// An interruption for what the terminal reports as one: Ctrl-C read as a
/// key in the picker's raw mode.
fn interrupted(err: io::Error) -> anyhow::Error {
    match err.kind() {
        io::ErrorKind::Interrupted => Failure::interrupted().into(),
        _ => err.into(),
    }
}

/// The index of the item the person picks from ITEMS, typing to narrow
/// them down; drawn on stderr. Esc and Ctrl-C pick nothing and stop the
/// command (exit 130).
pub fn pick(prompt: &str, items: &[String]) -> Result<usize> {
    // Ctrl-C in the picker's raw mode is raised as SIGINT: caught, it ends
    // the read with an error instead of killing us with the cursor hidden.
    interrupt::install();
    let term = dialoguer::console::Term::stderr();
    let picked = dialoguer::FuzzySelect::new()
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .interact_on_opt(&term);
    let _ = term.show_cursor();
    match picked {
        Ok(Some(index)) => Ok(index),
        Ok(None) => Err(Failure::interrupted().into()),
        Err(dialoguer::Error::IO(err)) => Err(interrupted(err)),
    }
}
