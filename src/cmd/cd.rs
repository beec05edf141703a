use anyhow::{Result, bail};

use crate::cli::CdArgs;
use crate::error::Failure;
use crate::output;
use crate::session::Workspace;
use crate::shell;

pub fn run(args: CdArgs) -> Result<()> {
    let ws = Workspace::discover()?;
    let entry = ws.entry(&args.name)?;
    if !entry.path.is_dir() {
        bail!(Failure::error(format!(
            "the worktree of session '{}' is missing: {}",
            entry.name,
            entry.path.display()
        )));
    }
    if !shell::cd_to(&entry.path)? {
        println!("{}", entry.path.display());
        output::note(format!("hint: {}", shell::wrapper_hint()));
    }
    Ok(())
}
