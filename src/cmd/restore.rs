use anyhow::Result;

use crate::cli::RestoreArgs;
use crate::output::{self, tilde};
use crate::session::{self, Workspace, lifecycle};
use crate::shell;

pub fn run(args: RestoreArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let entry = session::restore(&ws, &args.name)?;
    output::note(format!(
        "Restored session '{}' on branch '{}' in {}; `sessions resume {}` continues its conversation",
        entry.name,
        entry.branch,
        tilde(&entry.path),
        shell::quote(&entry.name)
    ));
    println!("{}", entry.path.display());
    shell::cd_to(&entry.path)?;
    super::setup::report(&entry.name, lifecycle::setup(&ws, &entry)?)
}
