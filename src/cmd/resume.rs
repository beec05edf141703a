use anyhow::Result;

use super::target::Otherwise;
use crate::cli::ResumeArgs;
use crate::error::Failure;
use crate::session::{self, ResumeOptions};
use crate::shell;

pub fn run(args: ResumeArgs) -> Result<()> {
    let (ws, name) = super::target::anywhere(args.name, Otherwise::Pick)?;
    let entry = ws.present_entry(&name)?;
    let command = match args.profile.as_deref() {
        Some(profile) => match session::agent_command(&ws, None, Some(profile))? {
            Some(command) => Some(command),
            // Not approved (agent_command said so): another agent than the
            // one asked for would be a surprise.
            None => {
                return Err(Failure::error(format!(
                    "not resuming '{name}' with profile '{profile}'"
                ))
                .with_hint("sessions trust")
                .into());
            }
        },
        None => None,
    };
    // The shell wrapper, if any, follows into the worktree once we end.
    shell::cd_to(&entry.path)?;
    let options = ResumeOptions {
        command,
        id: args.id,
        force: args.force,
    };
    let code = session::resume(&ws, &entry, options, &args.agent_args)?;
    super::exit_with(code)
}
