use anyhow::Result;

use super::target::Otherwise;
use crate::cli::ArchiveArgs;
use crate::git;
use crate::output::{self, tilde};
use crate::session::{self, Workspace};
use crate::shell::quote;

pub fn run(args: ArchiveArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let name = super::target::session(&ws, args.name, Otherwise::Pick)?;
    let here = super::rm::here();
    let done = session::archive(&ws, &name)?;
    output::note(describe(&done));
    super::rm::step_out(&ws, here.as_deref(), [done.entry.path.as_path()])
}

/// "Archived session 'x': removed ~/p; branch 'x' kept, ...".
pub(super) fn describe(done: &session::Archive) -> String {
    let e = &done.entry;
    let saved = match done.changes {
        true => format!(
            "its uncommitted work saved as {} ({})",
            git::archive_ref(&e.name),
            git::short(done.saved.commit)
        ),
        false => "nothing uncommitted to save".into(),
    };
    format!(
        "Archived session '{}': removed {}; branch '{}' kept, {saved}; `sessions restore {}` brings it back",
        e.name,
        tilde(&e.path),
        e.branch,
        quote(&e.name)
    )
}
