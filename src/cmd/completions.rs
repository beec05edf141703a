use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// A static script: subcommands and flags, but no session names (`sessions
/// init` registers the dynamic completion that knows them).
pub fn run(args: CompletionsArgs) -> Result<()> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "sessions",
        &mut std::io::stdout(),
    );
    Ok(())
}
