use anyhow::{Result, bail};

use crate::cli::SetupArgs;
use crate::error::Failure;
use crate::session::Workspace;
use crate::session::lifecycle::{self, SetupRun};

pub fn run(args: SetupArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let entry = ws.present_entry(&args.name)?;
    report(&entry.name, lifecycle::setup(&ws, &entry)?)
}

/// A failed setup command is an error (exit 1), but the worktree stays: it
/// is usable, and the setup can be run again.
pub(super) fn report(name: &str, outcome: SetupRun) -> Result<()> {
    match outcome {
        SetupRun::Failed { command, status } => bail!(
            Failure::error(format!(
                "setup command `{command}` {status}; the session's worktree is kept"
            ))
            .with_hint(format!(
                "fix the cause, then `sessions setup {name}` runs the setup again"
            ))
        ),
        SetupRun::Done(_) | SetupRun::Untrusted => Ok(()),
    }
}
