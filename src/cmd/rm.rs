use std::path::{Path, PathBuf};

use anyhow::Result;

use super::target::Otherwise;
use crate::cli::RmArgs;
use crate::git;
use crate::output::{self, tilde};
use crate::session::{self, BranchFate, RemoveOptions, Removed, Workspace};
use crate::shell;

pub fn run(args: RmArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let options = RemoveOptions {
        force: args.force,
        keep_branch: args.keep_branch,
        ..RemoveOptions::default()
    };
    let names = match args.names.is_empty() {
        true => vec![super::target::session(&ws, None, Otherwise::Pick)?],
        false => args.names,
    };
    let here = here();
    let removed = session::remove(&ws, &names, options)?;
    for removed in &removed {
        output::note(describe(removed));
    }
    step_out(
        &ws,
        here.as_deref(),
        removed.iter().map(|r| r.path.as_path()),
    )
}

/// The folder this command was run from, read before anything is removed:
/// a removed folder has no name left to read.
pub(super) fn here() -> Option<PathBuf> {
    std::env::current_dir().ok()
}

/// When HERE was inside one of the GONE worktrees, sends the calling shell
/// to the main worktree (through the wrapper), or says how to get there.
pub(super) fn step_out<'a>(
    ws: &Workspace,
    here: Option<&Path>,
    gone: impl IntoIterator<Item = &'a Path>,
) -> Result<()> {
    let Some(here) = here else {
        return Ok(());
    };
    if !gone.into_iter().any(|path| here.starts_with(path)) {
        return Ok(());
    }
    let main = ws.repo.home_dir();
    if !shell::cd_to(main)? {
        output::warn(format!(
            "this shell's folder {} is gone; go back with `cd {}`",
            here.display(),
            shell::quote_path(main)
        ));
    }
    Ok(())
}

/// "Removed session 'x' from ~/p; deleted branch 'x' (was abc1234)".
pub(super) fn describe(removed: &Removed) -> String {
    let branch = match &removed.branch {
        BranchFate::Deleted { branch, tip } => {
            let was = tip
                .map(|t| format!(" (was {})", git::short(t)))
                .unwrap_or_default();
            format!("deleted branch '{branch}'{was}")
        }
        BranchFate::Kept { branch, why } => format!("kept branch '{branch}': {why}"),
    };
    format!(
        "Removed session '{}' from {}; {branch}",
        removed.name,
        tilde(&removed.path)
    )
}
