use anyhow::Result;

use crate::cli::HookArgs;
use crate::session;

pub fn run(args: HookArgs) -> Result<()> {
    super::exit_with(session::run_hook(&args.event))
}
