use anyhow::Result;

use super::target::Otherwise;
use crate::cli::ResumeArgs;
use crate::error::Failure;
use crate::output;
use crate::session::{self, ResumeOptions, Workspace, tmux};
use crate::shell;

pub fn run(args: ResumeArgs) -> Result<()> {
    if args.all {
        return all();
    }
    let (ws, name) = super::target::anywhere(args.name, Otherwise::Pick)?;
    let entry = ws.present_entry(&name)?;
    let command = match (args.agent, args.profile.as_deref()) {
        // `new --tmux` passing on the agent it resolved.
        (Some(line), _) => session::agent_command(&ws, Some(line), None)?,
        (None, Some(profile)) => match session::agent_command(&ws, None, Some(profile))? {
            Some(command) => Some(command),
            // Not approved (agent_command said so): another agent than the
            // one asked for would be a surprise.
            None => {
                return Err(Failure::error(format!(
                    "not resuming '{name}' with profile '{profile}'"
                ))
                .with_hint("sessions trust")
                .into());
            }
        },
        (None, None) => None,
    };
    // The shell wrapper, if any, follows into the worktree once we end.
    shell::cd_to(&entry.path)?;
    let options = ResumeOptions {
        command,
        id: args.id,
        force: args.force,
    };
    let code = session::resume(&ws, &entry, options, &args.agent_args)?;
    super::exit_with(code)
}

/// `resume --all`: every agent that ran when the machine stopped, in this
/// repository and every other one sessions knows (the machine stopped them
/// all), each in a tmux window of its own.
fn all() -> Result<()> {
    let mut failed = false;
    let mut opened = 0;
    for (repo, ws) in workspaces() {
        let label = |name: String| match &repo {
            Some(repo) => format!("{repo}/{name}"),
            None => name,
        };
        let restarts = match tmux::resume_all(&ws) {
            Ok(restarts) => restarts,
            // Outside tmux, nothing can open anywhere.
            Err(e) if !tmux::inside() => return Err(e),
            Err(e) => {
                failed = true;
                output::warn(format!(
                    "{}: {e:#}",
                    repo.as_deref().unwrap_or("this repository")
                ));
                continue;
            }
        };
        for restart in restarts {
            match restart {
                tmux::Restart::Opened { name, window } => {
                    opened += 1;
                    output::note(format!(
                        "Resumed '{}' in tmux window {}",
                        label(name),
                        window.id
                    ));
                }
                tmux::Restart::StillRuns { name, pid } => {
                    output::note(format!(
                        "Skipped '{}': its agent still runs (pid {pid})",
                        label(name)
                    ));
                }
                tmux::Restart::FolderGone { name } => {
                    output::warn(format!(
                        "Skipped '{}': its folder is gone; `sessions doctor` finds what to do",
                        label(name)
                    ));
                }
                tmux::Restart::Failed { name, error } => {
                    failed = true;
                    output::warn(format!("could not resume '{}': {error:#}", label(name)));
                }
            }
        }
    }
    if opened == 0 && !failed {
        output::note("No agent to resume: none was running when the machine stopped");
    }
    if failed {
        return Err(Failure::error("some agents could not be resumed")
            .with_hint("sessions resume --all")
            .into());
    }
    Ok(())
}

/// This repository's workspace (if the current folder is in one), then
/// each other indexed repository's, with its short name, each once; one
/// that cannot be opened, or an unreadable index, is a warning, so that it
/// hides none of the others.
fn workspaces() -> Vec<(Option<String>, Workspace)> {
    let mut found: Vec<(Option<String>, Workspace)> = Vec::new();
    if let Ok(here) = Workspace::discover(super::TERMINAL) {
        found.push((None, here));
    }
    let indexed = super::indexed_workspaces().unwrap_or_else(|e| {
        output::warn(format!("{e:#}"));
        Vec::new()
    });
    for (short, ws) in indexed {
        // Compared once opened: both sides are then git's own path.
        if !found
            .iter()
            .any(|(_, f)| f.repo.common_dir() == ws.repo.common_dir())
        {
            found.push((Some(short), ws));
        }
    }
    found
}
