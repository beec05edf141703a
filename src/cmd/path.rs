use anyhow::Result;

use crate::cli::PathArgs;
use crate::session::Workspace;

pub fn run(args: PathArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    println!("{}", ws.entry(&args.name)?.path.display());
    Ok(())
}
