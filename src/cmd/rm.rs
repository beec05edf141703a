use anyhow::Result;

use super::target::Otherwise;
use crate::cli::RmArgs;
use crate::git;
use crate::output::{self, tilde};
use crate::session::{self, BranchFate, RemoveOptions, Removed, Workspace};

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
    for removed in session::remove(&ws, &names, options)? {
        output::note(describe(&removed));
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
