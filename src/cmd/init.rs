use anyhow::Result;

use crate::cli::InitArgs;

pub fn run(args: InitArgs) -> Result<()> {
    print!("{}", args.shell.init_script());
    print!("{}", args.shell.completion_line());
    Ok(())
}
