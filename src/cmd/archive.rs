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
    let e = &done.entry;
    let saved = match done.changes {
        true => format!(
            "its uncommitted work saved as {} ({})",
            git::archive_ref(&e.name),
            git::short(done.saved.commit)
        ),
        false => "nothing uncommitted to save".into(),
    };
    output::note(format!(
        "Archived session '{}': removed {}; branch '{}' kept, {saved}; `sessions restore {}` brings it back",
        e.name,
        tilde(&e.path),
        e.branch,
        quote(&e.name)
    ));
    if let Some(here) = here.filter(|h| h.starts_with(&e.path))
        && !crate::shell::cd_to(ws.repo.home_dir())?
    {
        output::warn(format!(
            "this shell's folder {} is gone; go back with `cd {}`",
            here.display(),
            crate::shell::quote_path(ws.repo.home_dir())
        ));
    }
    Ok(())
}
