use anyhow::Result;

use crate::cli::ResumeArgs;
use crate::session::{self, Workspace};
use crate::shell;

pub fn run(args: ResumeArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let entry = ws.present_entry(&args.name)?;
    // The shell wrapper, if any, follows into the worktree once we end.
    shell::cd_to(&entry.path)?;
    let code = session::resume(&ws, &entry, &args.agent_args)?;
    super::exit_with(code)
}
