//! One module per subcommand: parse nothing, decide nothing, call the domain
//! and present what it returns.

mod adopt;
mod cd;
mod clean;
mod completions;
mod config;
mod doctor;
mod init;
mod list;
mod man;
mod new;
mod path;
mod rm;
mod setup;
mod show;
mod trust;

use anyhow::Result;

use crate::cli::Command;

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::New(args) => new::run(args),
        Command::List(args) => list::run(args),
        Command::Path(args) => path::run(args),
        Command::Rm(args) => rm::run(args),
        Command::Cd(args) => cd::run(args),
        Command::Setup(args) => setup::run(args),
        Command::Trust(args) => trust::run(args),
        Command::Config(args) => config::run(args),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man => man::run(),
        Command::Show(args) => show::run(args),
        Command::Clean(args) => clean::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Adopt(args) => adopt::run(args),
    }
}
