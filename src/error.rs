//! Errors that carry an exit code and a hint, so that `main` can map any
//! failure to the documented exit codes without knowing where it came from.

use std::fmt;

/// The documented exit codes (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Error = 1,
    Usage = 2,
    Refused = 3,
    /// Stopped by Ctrl-C or SIGTERM; whatever was under way was undone.
    Interrupted = 130,
}

/// A failure the user can act on: what went wrong, which exit code it maps
/// to, and optionally the next step to take: one command a line, each
/// pasteable as is (prose belongs in the message).
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Exit::Error, message)
    }

    /// Invalid usage or input: nothing was changed.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// Refused because going on could lose work: nothing was changed.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Exit::Refused, message)
    }

    /// Stopped by a signal, after undoing what was under way.
    pub fn interrupted() -> Self {
        Self::new(Exit::Interrupted, "interrupted")
    }

    /// The one error for a session name that matches no session, from
    /// every command alike: invalid input (exit 2).
    /// No session is named NAME; KNOWN are the names there are, the nearest
    /// of which are suggested.
    pub fn no_session<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        let near: Vec<String> = crate::suggest::closest(name, known)
            .iter()
            .map(|n| format!("'{n}'"))
            .collect();
        let message = match &near[..] {
            [] => format!("no session named '{name}'"),
            [one] => format!("no session named '{name}'; did you mean {one}?"),
            many => format!(
                "no session named '{name}'; did you mean one of {}?",
                many.join(", ")
            ),
        };
        Self::usage(message).with_hint("sessions list")
    }

    fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Several next steps, one command a line; none leaves the hint out.
    pub fn with_hints(mut self, hints: impl IntoIterator<Item = String>) -> Self {
        let lines: Vec<String> = hints.into_iter().collect();
        self.hint = (!lines.is_empty()).then(|| lines.join("\n"));
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The `Failure` anywhere in an error's chain, if there is one.
pub fn failure_of(err: &anyhow::Error) -> Option<&Failure> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
}
