use anyhow::Result;

use crate::cli::NewArgs;
use crate::git;
use crate::output::tilde;
use crate::session::{self, NewSession, Workspace};

pub fn run(args: NewArgs) -> Result<()> {
    let ws = Workspace::discover()?;
    let entry = session::create(
        &ws,
        NewSession {
            name: args.name,
            base: args.base,
            branch: args.branch,
        },
    )?;
    let start = git::parse_oid(&entry.base_commit)
        .map(git::short)
        .unwrap_or_default();
    let branch_note = if entry.owns_branch {
        "new branch"
    } else {
        "existing branch"
    };
    eprintln!(
        "Created session '{}' on {branch_note} '{}' from {} ({start}) in {}",
        entry.name,
        entry.branch,
        entry.base,
        tilde(&entry.path)
    );
    println!("{}", entry.path.display());
    Ok(())
}
