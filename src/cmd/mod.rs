//! One module per subcommand: parse nothing, decide nothing, call the domain
//! and present what it returns.

mod adopt;
mod archive;
mod attach;
mod cd;
mod claude;
mod clean;
mod completions;
mod config;
mod conflicts;
mod doctor;
mod du;
mod hook;
mod init;
mod json;
mod land;
mod list;
mod list_all;
mod man;
mod new;
mod notify_send;
mod path;
mod restore;
mod resume;
mod rm;
mod setup;
mod show;
mod status;
mod statusline;
mod sync;
mod target;
mod trust;
mod ui;
mod watch;

use anyhow::Result;

use crate::cli::Command;
use ui::TERMINAL;

pub fn run(command: Command) -> Result<()> {
    // Whatever waits for the registry lock says so rather than look hung.
    crate::registry::announce_lock_waits(new::waiting);
    match command {
        Command::New(args) => new::run(args),
        Command::List(args) => list::run(args),
        Command::Path(args) => path::run(args),
        Command::Rm(args) => rm::run(args),
        Command::Archive(args) => archive::run(args),
        Command::Restore(args) => restore::run(args),
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
        Command::Resume(args) => resume::run(args),
        Command::Attach(args) => attach::run(args),
        Command::Claude(command) => claude::run(command),
        Command::Hook(args) => hook::run(args),
        Command::NotifySend(args) => notify_send::run(args),
        Command::Conflicts(args) => conflicts::run(args),
        Command::Sync(args) => sync::run(args),
        Command::Land(args) => land::run(args),
        Command::Status(args) => status::run(args),
        Command::Statusline(args) => statusline::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Du(args) => du::run(args),
        Command::EmptyTrash(args) => crate::session::empty_trash(&args.entry),
    }
}

/// Records WS's repository in the user's index (`list --all`, `REPO/NAME`);
/// a failure is only a warning, never the command's.
fn remember(ws: &crate::session::Workspace) {
    if let Err(e) = crate::index::record(ws.repo.common_dir(), ws.repo.home_dir()) {
        crate::output::warn(format!(
            "could not record this repository in the index of repositories: {e:#}"
        ));
    }
}

/// The indexed repositories, with a note for each one dropped because it
/// no longer exists.
fn indexed() -> Result<crate::index::Indexed> {
    let indexed = crate::index::repositories()?;
    for gone in &indexed.dropped {
        crate::output::note(format!(
            "Dropped {} from the index of repositories: it no longer exists",
            crate::output::tilde(gone)
        ));
    }
    Ok(indexed)
}

/// Every indexed repository's workspace, with its short name. One that
/// cannot be opened is named in a warning and left out, so that it hides
/// none of the others; each is opened by its git dir, which outlives a
/// moved main worktree.
fn indexed_workspaces() -> Result<Vec<(String, crate::session::Workspace)>> {
    let mut found = Vec::new();
    for known in indexed()?.repos {
        match crate::session::Workspace::at(&known.git_dir, TERMINAL) {
            Ok(ws) => found.push((known.short, ws)),
            Err(e) => crate::output::warn(format!("{}: {e:#}", known.short)),
        }
    }
    Ok(found)
}

/// Ends this process with an agent's exit code, once what we printed is out.
fn exit_with(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}
