use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;

/// The man page, generated from the clap definitions:
/// `sessions man > ~/.local/share/man/man1/sessions.1`.
pub fn run() -> Result<()> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
    Ok(())
}
