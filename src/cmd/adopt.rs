use anyhow::Result;

use crate::cli::AdoptArgs;
use crate::output::tilde;
use crate::session::{self, Workspace};

pub fn run(args: AdoptArgs) -> Result<()> {
    let ws = Workspace::discover()?;
    let (adopted, skipped) = session::adopt(&ws, &args.paths, args.all)?;
    for skipped in &skipped {
        eprintln!("Skipped {}: {}", tilde(&skipped.path), skipped.why);
    }
    if adopted.is_empty() {
        eprintln!("No worktree to adopt.");
    }
    for entry in &adopted {
        eprintln!(
            "Adopted {} as session '{}' on branch '{}'",
            tilde(&entry.path),
            entry.name,
            entry.branch
        );
    }
    Ok(())
}
