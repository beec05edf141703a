use anyhow::Result;

use crate::claude::Start;
use crate::cli::NewArgs;
use crate::error::Failure;
use crate::git;
use crate::output::{self, tilde, warn};
use crate::registry::Entry;
use crate::registry::LockWait;
use crate::session::{self, AgentCommand, NewSession, Workspace, lifecycle, tmux};
use crate::shell;

pub fn run(args: NewArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let agent = match args.no_agent {
        true => None,
        false => session::agent_command(&ws, args.agent, args.profile.as_deref())?,
    };
    if let Some(agent) = &agent {
        agent.check(&args.agent_args)?;
    }
    // Asked for on the command line, tmux must be there (checked before
    // anything is made); configured, it applies where it can.
    if args.tmux && agent.is_some() && !tmux::inside() {
        return Err(Failure::usage(
            "--tmux starts the agent in a new tmux window, but this is not inside tmux",
        )
        .with_hint("tmux new-session")
        .into());
    }
    let in_window = (args.tmux || ws.config.agent_tmux.value) && tmux::inside();
    let entry = session::create(
        &ws,
        NewSession {
            name: args.name,
            base: args.base,
            branch: args.branch,
            sparse: args.sparse,
            agent: agent.as_ref().map(session::AgentCommand::record),
            on_lock_wait: Some(waiting),
        },
    )?;
    super::remember(&ws);
    let start = git::parse_oid(&entry.base_commit)
        .map(git::short)
        .unwrap_or_default();
    let branch_note = if entry.owns_branch {
        "new branch"
    } else {
        "existing branch"
    };
    let port = entry
        .port
        .map(|p| format!(", port {p}"))
        .unwrap_or_default();
    output::note(format!(
        "Created session '{}' on {branch_note} '{}' from {} ({start}) in {}{port}",
        entry.name,
        entry.branch,
        entry.base,
        tilde(&entry.path)
    ));
    println!("{}", entry.path.display());
    shell::cd_to(&entry.path)?;
    if let Some(max) = ws.config.max_sessions.value {
        let count = ws.registry.read()?.len();
        if count > max {
            warn(format!(
                "{count} sessions now, above max_sessions = {max} ({}); `sessions rm` removes finished ones",
                ws.config.max_sessions.source
            ));
        }
    }
    super::setup::report(&entry.name, lifecycle::setup(&ws, &entry)?)?;
    let Some(agent) = agent else {
        return Ok(());
    };
    if in_window {
        return window(&entry, &agent, &args.agent_args);
    }
    let start = entry
        .agent
        .as_ref()
        .and_then(|a| a.session_id.clone())
        .map(|session_id| Start::New {
            session_id,
            name: entry.name.clone(),
        });
    let code = session::launch(&ws, &entry, &agent, start, &args.agent_args)?;
    super::exit_with(code)
}

/// Starts AGENT in a new tmux window, through `sessions resume` given the
/// very command line `new` resolved, so that it starts as it would here.
fn window(entry: &Entry, agent: &AgentCommand, agent_args: &[String]) -> Result<()> {
    let mut words = vec![agent.program.clone()];
    words.extend(agent.args.iter().cloned());
    let mut resume_args = vec!["--agent".to_string(), shell_words::join(&words)];
    if !agent_args.is_empty() {
        resume_args.push("--".into());
        resume_args.extend(agent_args.iter().cloned());
    }
    let window = tmux::open_window(entry, &resume_args, true)?;
    output::note(format!(
        "Started the agent of '{}' in tmux window {} ({}); `sessions attach {}` comes back to it",
        entry.name,
        window.id,
        entry.name,
        crate::shell::quote(&entry.name)
    ));
    Ok(())
}

/// Another `sessions` holds the registry: say so rather than look hung.
pub(super) fn waiting(wait: &LockWait) {
    let holder = wait
        .holder
        .map(|pid| format!(" (held by process {pid})"))
        .unwrap_or_default();
    output::note(format!(
        "Waiting for the registry lock {}{holder}; Ctrl-C stops waiting",
        tilde(&wait.file)
    ));
}
