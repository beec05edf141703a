use anyhow::Result;

use crate::cli::AdoptArgs;
use crate::output::{self, tilde};
use crate::session::{self, Workspace};

pub fn run(args: AdoptArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let (adopted, skipped) = session::adopt(&ws, &args.paths, args.all)?;
    super::remember(&ws);
    for skipped in &skipped {
        output::note(format!("Skipped {}: {}", tilde(&skipped.path), skipped.why));
    }
    if adopted.is_empty() {
        output::note("No worktree to adopt.");
    }
    for entry in &adopted {
        output::note(format!(
            "Adopted {} as session '{}' on branch '{}'",
            tilde(&entry.path),
            entry.name,
            entry.branch
        ));
    }
    Ok(())
}
