//! One module per subcommand: parse nothing, decide nothing, call the domain
//! and present what it returns.

mod list;
mod new;
mod path;
mod rm;

use anyhow::Result;

use crate::cli::Command;

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::New(args) => new::run(args),
        Command::List(args) => list::run(args),
        Command::Path(args) => path::run(args),
        Command::Rm(args) => rm::run(args),
    }
}
