use anyhow::Result;

use crate::claude;
use crate::cli::HookArgs;

pub fn run(args: HookArgs) -> Result<()> {
    super::exit_with(claude::run_hook(&args.event))
}
