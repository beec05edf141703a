use anyhow::Result;

use super::target::Otherwise;
use crate::cli::CdArgs;
use crate::output;
use crate::shell;

pub fn run(args: CdArgs) -> Result<()> {
    let (ws, name) = super::target::anywhere(args.name, Otherwise::Pick)?;
    let entry = ws.present_entry(&name)?;
    if !shell::cd_to(&entry.path)? {
        println!("{}", entry.path.display());
        output::note(format!("hint: {}", shell::wrapper_hint()));
    }
    Ok(())
}
