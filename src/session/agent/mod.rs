//! The agent of a session: launching it in the worktree, resuming it, and
//! what it is doing now (view.rs).

mod conversations;
mod view;

pub use conversations::{Conversation, conversations, earlier_conversations};
pub use view::agent_view;
pub(super) use view::live_agents;

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
use crate::process::{self, Whereabouts};
use crate::registry::{Agent, AgentState, Entry};
use crate::shell::quote;
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
    Ok(Some(AgentCommand {
        program: configured_program(&configured),
        args: configured.args,
    }))
}

/// The configured agent's program as `new` runs it: one from the user's
/// config anchored to that file's folder.
fn configured_program(configured: &crate::config::AgentConfig) -> String {
    match &configured.source {
        Source::User(file) => match file.parent() {
            Some(dir) => anchored(configured.command.clone(), dir),
            None => configured.command.clone(),
        },
        Source::Project(_) | Source::Default => configured.command.clone(),
    }
}

/// The agent KIND a session ran, to start again: with the configured
/// `[agent] args` when KIND is the configured program (as `new` started
/// it; a project's only once trusted), else plainly.
fn recorded_command(ws: &Workspace, kind: &str) -> Result<AgentCommand> {
    let configured = ws.config.agent(None)?;
    let args = if configured_program(&configured) == kind
        && (!configured.source.is_project() || matches!(ws.approval()?, Approval::Trusted))
    {
        configured.args
    } else {
        Vec::new()
    };
    Ok(AgentCommand {
        program: kind.to_string(),
        args,
    })
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
            note_exit(ws, entry, None);
            // The session stays; resume starts its agent once it can start
            // (a Claude never started gets its session id again).
            bail!(
                Failure::error(format!(
                    "cannot start {}: {e}; session '{}' stays, without its agent",
                    command.program, entry.name
                ))
                .with_hint(format!("sessions resume {}", quote(&entry.name)))
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
    note_exit(ws, entry, Some(pid));
    Ok(exit_code(status))
}

/// Notes that ENTRY's agent process ENDED (None: it never started) is gone:
/// the agent exited, unless another agent process of the session (a forced
/// second resume, one started by hand) still runs.
fn note_exit(ws: &Workspace, entry: &Entry, ended: Option<u32>) {
    let snapshot = process::snapshot();
    note(ws, &entry.name, |agent| {
        let others: Vec<u32> = view::live_agents(agent, &snapshot, &entry.path)
            .iter()
            .map(|p| p.pid)
            .filter(|&other| Some(other) != ended)
            .collect();
        match others.first() {
            Some(&other) => {
                if !agent.pid.is_some_and(|p| others.contains(&p)) {
                    agent.pid = Some(other);
                }
                // The ended one's exit hook may have said exited; what the
                // other one does is unknown until its next hook.
                if agent.state.is_none_or(|s| !s.claims_alive()) {
                    agent.state = Some(AgentState::Running);
                    agent.updated_at = Some(crate::clock::now());
                }
            }
            None if agent.state != Some(AgentState::Exited) => {
                agent.state = Some(AgentState::Exited);
                agent.updated_at = Some(crate::clock::now());
            }
            None => {}
        }
    });
}

/// How `resume` opens a session's agent again.
#[derive(Debug, Default)]
pub struct ResumeOptions {
    /// Another agent than the one it ran (`--profile`).
    pub command: Option<AgentCommand>,
    /// The Claude conversation to open (`--id`): one the session had.
    pub id: Option<String>,
    /// Start even while an agent of the session still runs.
    pub force: bool,
}

/// Opens ENTRY's agent again: Claude Code with its conversation (the one
/// last seen, or OPTIONS.id): `--resume` once Claude saved it, else
/// `--session-id` again (Claude saves a conversation only from its first
/// message on); any other agent as it was launched; a session that never
/// had one, the configured agent. Refused while an agent of the session
/// still runs, unless forced.
pub fn resume(
    ws: &Workspace,
    entry: &Entry,
    options: ResumeOptions,
    user_args: &[String],
) -> Result<i32> {
    let command = match (options.command, &entry.agent) {
        (Some(command), _) => command,
        (None, Some(agent)) => recorded_command(ws, &agent.kind)?,
        // Never started (`new --no-agent`): the agent `new` would start,
        // a project's only once trusted, as there.
        (None, None) => agent_command(ws, None, None)?.ok_or_else(|| {
            Failure::usage(format!(
                "session '{}' has no agent yet, and the project's is not approved",
                entry.name
            ))
            .with_hint("sessions trust")
        })?,
    };
    let recorded = (entry.agent.clone()).unwrap_or_else(|| Agent::new(&command.program));
    if !options.force {
        refuse_a_second(entry, &recorded)?;
    }
    let session_id = match options.id {
        Some(id) if command.is_claude() => Some(known_conversation(entry, &id)?),
        Some(_) => bail!(Failure::usage(format!(
            "--id opens a Claude Code conversation; session '{}' runs {}",
            entry.name, command.program
        ))),
        None if command.is_claude() => Some(
            recorded
                .session_id
                .clone()
                .or_else(|| claude::latest_transcript(&entry.path).map(|t| t.session_id))
                .unwrap_or_else(claude::new_session_id),
        ),
        None => None,
    };
    let start = session_id.as_ref().map(|session_id| {
        if saved(entry, &recorded, session_id) {
            Start::Resume {
                session_id: session_id.clone(),
            }
        } else {
            Start::New {
                session_id: session_id.clone(),
                name: entry.name.clone(),
            }
        }
    });
    command.check(user_args)?;
    note(ws, &entry.name, |agent| {
        agent.kind = command.program.clone();
        if let Some(id) = &session_id {
            agent.set_session_id(id);
        }
        agent.state = Some(AgentState::Starting);
        agent.updated_at = Some(crate::clock::now());
    });
    launch(ws, entry, &command, start, user_args)
}

/// Whether Claude saved conversation SESSION_ID of ENTRY: it has a
/// transcript where Claude keeps the worktree's, or where a hook said.
fn saved(entry: &Entry, agent: &Agent, session_id: &str) -> bool {
    let recorded = agent.transcript_path.as_ref().is_some_and(|path| {
        path.file_stem().is_some_and(|stem| stem == session_id) && path.is_file()
    });
    recorded || claude::transcript_of(&entry.path, session_id).is_some()
}

/// ID when it is one of ENTRY's conversations; a usage error listing them
/// otherwise.
fn known_conversation(entry: &Entry, id: &str) -> Result<String> {
    let known = conversations(entry);
    if known.iter().any(|c| c.session_id == id) {
        return Ok(id.to_string());
    }
    let ids: Vec<&str> = known.iter().map(|c| c.session_id.as_str()).collect();
    let message = match ids.is_empty() {
        true => format!(
            "session '{}' has had no conversation {id}, nor any other",
            entry.name
        ),
        false => format!(
            "session '{}' has had no conversation {id}; its conversations: {}",
            entry.name,
            ids.join(", ")
        ),
    };
    bail!(Failure::usage(message).with_hint(format!("sessions show {}", quote(&entry.name))))
}

/// Refuses (exit 3) while a process of AGENT still runs in ENTRY's
/// worktree: a second agent would work on the same files, unseen by the
/// first. Says where each one can be reached.
fn refuse_a_second(entry: &Entry, agent: &Agent) -> Result<()> {
    let snapshot = process::snapshot();
    let live = view::live_agents(agent, &snapshot, &entry.path);
    if live.is_empty() {
        return Ok(());
    }
    let mut hints = Vec::new();
    let running: Vec<String> = live
        .iter()
        .map(|p| match process::whereabouts(p.pid) {
            Some(Whereabouts::TmuxPane(pane)) => {
                // From inside tmux, attaching would nest it.
                let verb = match std::env::var_os("TMUX") {
                    Some(_) => "switch-client",
                    None => "attach",
                };
                hints.push(format!("tmux {verb} -t {}", quote(&pane)));
                format!("{p} in tmux pane {pane}")
            }
            Some(Whereabouts::Terminal(tty)) => format!("{p} on {}", tty.display()),
            None => p.to_string(),
        })
        .collect();
    hints.push(format!("sessions resume {} --force", quote(&entry.name)));
    bail!(
        Failure::refused(format!(
            "session '{}' has its agent running: {}; reach it there, or start a second one with --force",
            entry.name,
            running.join(", ")
        ))
        .with_hints(hints)
    )
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
