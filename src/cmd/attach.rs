//! `sessions attach NAME`: the tmux pane where a session's agent runs, in
//! front (session/tmux.rs finds it and switches).

use anyhow::Result;

use super::target::Otherwise;
use crate::cli::AttachArgs;
use crate::session::tmux;

pub fn run(args: AttachArgs) -> Result<()> {
    let (ws, name) = super::target::anywhere(args.name, Otherwise::Pick)?;
    let entry = ws.present_entry(&name)?;
    tmux::attach(&entry)?;
    Ok(())
}
