//! The agent of a session: launching it in the worktree, resuming it, and
//! what it is doing now (view.rs).

mod view;

pub use view::agent_view;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::{Workspace, lifecycle};
use crate::claude::{self, Start};
use crate::config::Source;
use crate::error::Failure;
use crate::git;
use crate::interrupt;
use crate::registry::{Agent, AgentState, Entry};
use crate::trust::Approval;

/// How long launching waits for the registry to note the agent's pid and
/// exit; those notes are dropped rather than keep the user waiting.
const NOTE_WAIT: Duration = Duration::from_secs(2);

/// The program to launch as a session's agent, and its fixed arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCommand {
    pub program: String,
    pub args: Vec<String>,
}

impl Default for AgentCommand {
    fn default() -> Self {
        AgentCommand {
            program: claude::KIND.into(),
            args: Vec::new(),
        }
    }
}

impl AgentCommand {
    pub fn is_claude(&self) -> bool {
        claude::is_claude(&self.program)
    }

    /// Fails (usage) when Claude's launch with USER_ARGS could not be
    /// built, such as a `--settings` that is not JSON: checked before the
    /// session is made, so that bad input changes nothing.
    pub fn check(&self, user_args: &[String]) -> Result<()> {
        if self.is_claude() {
            let here = std::env::current_dir().context("cannot read the current folder")?;
            let start = Start::Continue;
            claude::arguments(&start, Path::new("sessions"), &self.args, user_args, &here)?;
        }
        Ok(())
    }

    /// The registry record of this agent about to start: for Claude Code,
    /// with the session id it will be given.
    pub fn record(&self) -> Agent {
        let mut agent = Agent::new(self.program.clone());
        if self.is_claude() {
            agent.session_id = Some(claude::new_session_id());
        }
        agent.state = Some(AgentState::Starting);
        agent.updated_at = Some(crate::clock::now());
        agent
    }
}

/// The agent `sessions new` starts: `--agent CMD` as given (a command
/// line, split into words as a shell would, without running one), else
/// the configured `[agent]` or its PROFILE. One from the project's file
/// starts only once trusted; otherwise the session is made without it, with
/// a warning.
///
/// A relative program path (one with a `/`) runs in the new worktree, so it
/// is made absolute here against where the person named it: `--agent
/// ./agent.sh` against their current folder, one from the user's config
/// against that file's folder. One from the project's file is the project's
/// own, and stays relative to the session's worktree.
pub fn agent_command(
    ws: &Workspace,
    flag: Option<String>,
    profile: Option<&str>,
) -> Result<Option<AgentCommand>> {
    if let Some(line) = flag {
        let here = std::env::current_dir().context("cannot read the current folder")?;
        let words = shell_words::split(&line)
            .map_err(|e| Failure::usage(format!("--agent {}: {e}", crate::shell::quote(&line))))?;
        let Some((program, args)) = words.split_first() else {
            bail!(Failure::usage("--agent names no program"));
        };
        return Ok(Some(AgentCommand {
            program: anchored(program.clone(), &here),
            args: args.to_vec(),
        }));
    }
    let configured = ws.config.agent(profile)?;
    if configured.source.is_project() {
        match ws.approval()? {
            Approval::Trusted => {}
            Approval::Declined | Approval::Unapproved => {
                ws.ui.warn(&format!(
                    "not starting the agent `{}` from {}: not approved; review and approve it with `sessions trust`",
                    configured.command, configured.source
                ));
                return Ok(None);
            }
        }
    }
    let program = match &configured.source {
        Source::User(file) => match file.parent() {
            Some(dir) => anchored(configured.command, dir),
            None => configured.command,
        },
        Source::Project(_) | Source::Default => configured.command,
    };
    Ok(Some(AgentCommand {
        program,
        args: configured.args,
    }))
}

/// PROGRAM made absolute against DIR when it is a relative path; a bare
/// name (looked up on PATH) or an absolute path stays as it is.
fn anchored(program: String, dir: &Path) -> String {
    if program.contains('/') && Path::new(&program).is_relative() {
        dir.join(&program).to_string_lossy().into_owned()
    } else {
        program
    }
}

/// Runs COMMAND in ENTRY's worktree, inheriting the terminal, followed by
/// USER_ARGS; Claude Code also gets how to START and our hooks. Returns the
/// agent's exit code.
pub fn launch(
    ws: &Workspace,
    entry: &Entry,
    command: &AgentCommand,
    start: Option<Start>,
    user_args: &[String],
) -> Result<i32> {
    let mut child = Command::new(&command.program);
    child
        .current_dir(&entry.path)
        .envs(lifecycle::env(ws, entry));
    git::strip_repository_env(&mut child);
    match start.filter(|_| command.is_claude()) {
        Some(start) => {
            let exe = std::env::current_exe()?;
            let here = std::env::current_dir().context("cannot read the current folder")?;
            child.args(claude::arguments(
                &start,
                &exe,
                &command.args,
                user_args,
                &here,
            )?);
        }
        None => {
            child.args(&command.args).args(user_args);
        }
    }
    // Ctrl-C belongs to the agent now: we only note it and stay to report
    // the agent's exit.
    interrupt::install();
    // An agent killed, or failing, in raw mode leaves the terminal so: no
    // echo, no line editing. Its parent puts it back.
    let terminal = crate::sys::stdin_terminal();
    let spawned = child.spawn();
    let mut running = match spawned {
        Ok(running) => running,
        Err(e) => {
            note(ws, &entry.name, |agent| {
                agent.state = Some(AgentState::Exited)
            });
            bail!(
                Failure::error(format!("cannot start {}: {e}", command.program))
                    .with_hint(format!(
                        "session '{0}' was created; once the agent can start, `sessions resume {0}` starts it there",
                        entry.name
                    ))
            );
        }
    };
    let pid = running.id();
    note(ws, &entry.name, |agent| agent.pid = Some(pid));
    let status = running.wait()?;
    if let Some(terminal) = terminal.filter(|_| !status.success())
        && let Err(e) = crate::sys::restore_stdin_terminal(&terminal)
    {
        ws.ui.warn(&format!(
            "could not restore the terminal: {e}; `stty sane` does"
        ));
    }
    note(ws, &entry.name, |agent| {
        if agent.state != Some(AgentState::Exited) {
            agent.state = Some(AgentState::Exited);
            agent.updated_at = Some(crate::clock::now());
        }
    });
    Ok(exit_code(status))
}

/// Opens session NAME's agent again: Claude Code with `--resume` and the
/// session id last seen (`--continue` when none is known), any other agent
/// as it was launched; COMMAND instead when given (`--profile`).
pub fn resume(
    ws: &Workspace,
    entry: &Entry,
    command: Option<AgentCommand>,
    user_args: &[String],
) -> Result<i32> {
    let command = command.unwrap_or_else(|| AgentCommand {
        program: entry
            .agent
            .as_ref()
            .map_or_else(|| claude::KIND.into(), |a| a.kind.clone()),
        args: Vec::new(),
    });
    let known_id = entry
        .agent
        .as_ref()
        .and_then(|a| a.session_id.clone())
        .or_else(|| claude::latest_transcript(&entry.path).map(|t| t.session_id));
    let start = match known_id {
        Some(session_id) => Start::Resume { session_id },
        None => Start::Continue,
    };
    command.check(user_args)?;
    note(ws, &entry.name, |agent| {
        agent.kind = command.program.clone();
        agent.state = Some(AgentState::Starting);
        agent.updated_at = Some(crate::clock::now());
    });
    launch(ws, entry, &command, Some(start), user_args)
}

/// Changes session NAME's agent record, creating it if needed; a registry
/// that stays locked or fails only costs the note, never the agent.
fn note(ws: &Workspace, name: &str, change: impl FnOnce(&mut Agent)) {
    let result = ws.registry.lock_within(NOTE_WAIT).and_then(|mut locked| {
        if let Some(entry) = locked.sessions.iter_mut().find(|e| e.name == name) {
            change(entry.agent.get_or_insert_with(|| Agent::new(claude::KIND)));
            locked.save()?;
        }
        Ok(())
    });
    if let Err(err) = result {
        ws.ui
            .error(&format!("could not note the agent of '{name}': {err:#}"));
    }
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = status.signal() {
        return 128 + signal;
    }
    status.code().unwrap_or(1)
}
