use super::target::Otherwise;
use anyhow::Result;

use crate::cli::ResumeArgs;
use crate::session::{self, Workspace};
use crate::shell;

pub fn run(args: ResumeArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let name = super::target::session(&ws, args.name, Otherwise::Pick)?;
    let entry = ws.present_entry(&name)?;
    // The shell wrapper, if any, follows into the worktree once we end.
    shell::cd_to(&entry.path)?;
    let code = session::resume(&ws, &entry, &args.agent_args)?;
    super::exit_with(code)
}
