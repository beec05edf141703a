use anyhow::Result;

use crate::cli::ResumeArgs;
use crate::session::{self, Workspace};

pub fn run(args: ResumeArgs) -> Result<()> {
    let ws = Workspace::discover()?;
    let code = session::resume(&ws, &args.name, &args.agent_args)?;
    super::exit_with(code)
}
