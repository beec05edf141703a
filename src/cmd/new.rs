use anyhow::Result;

use crate::claude::Start;
use crate::cli::NewArgs;
use crate::git;
use crate::output::{self, tilde, warn};
use crate::registry::LockWait;
use crate::session::{self, NewSession, Workspace, lifecycle};
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
