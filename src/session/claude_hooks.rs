//! `sessions hook EVENT`: what Claude Code's hooks do to sessions. State
//! hooks must never disturb Claude: they always succeed, print nothing on
//! stdout (what SessionStart prints becomes Claude's context) except the
//! warning of a session resumed outside its worktree, and give up rather
//! than wait long for the registry. What to print, and the exit
//! code, are for src/cmd/hook.rs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::lifecycle::{self, SetupRun};
use super::notify;
use super::{NewSession, RemoveOptions, Ui, Workspace, create, remove};
use crate::claude::{self, HookInput as Input, KIND, claude_pid, state_of};
use crate::error::Failure;
use crate::git::Repo;
use crate::process;
use crate::registry::{Agent, AgentState, Entry, Registry, Waits};

/// How long a state hook waits for the registry lock before it drops its
/// update: long enough to outwait another hook, short enough not to be felt.
const LOCK_WAIT: Duration = Duration::from_millis(500);

/// What a hook came to.
#[derive(Debug)]
pub enum Hooked {
    /// WorktreeCreate made or reused this worktree: Claude Code reads its
    /// path on stdout.
    Worktree(PathBuf),
    /// WorktreeRemove removed this session.
    Removed(String),
    /// Nothing to tell (a state recorded, or nothing to do).
    Done,
    /// SessionStart of session NAME's conversation outside its worktree
    /// (`claude --resume ID` typed in the main checkout): Claude and the
    /// user are told, and the state is recorded as usual.
    Outside {
        name: String,
        worktree: PathBuf,
        dir: PathBuf,
    },
    /// The hook failed; only the worktree hooks tell Claude so, by exit
    /// code: a WorktreeRemove that exits 0 makes Claude say the worktree and
    /// its changes were discarded, so a kept one must not.
    Failed { error: anyhow::Error, exit: i32 },
}

/// Handles hook EVENT with its JSON INPUT. UI should answer no approval
/// question: nobody can in a hook.
pub fn run_hook(event: &str, input: Result<Input>, ui: &'static dyn Ui) -> Hooked {
    let result = match event {
        "WorktreeCreate" => {
            return match worktree_create(input, ui) {
                // Claude 2.1.325+ refuses a worktree path that is a
                // symbolic link (a session folder moved and linked back).
                Ok(path) => Hooked::Worktree(path.canonicalize().unwrap_or(path)),
                Err(error) => Hooked::Failed { error, exit: 1 },
            };
        }
        "WorktreeRemove" => {
            return match worktree_remove(input, ui) {
                Ok(removed) => removed.map_or(Hooked::Done, Hooked::Removed),
                Err(error) => Hooked::Failed { error, exit: 1 },
            };
        }
        _ => record_state(event, input).map(|outside| outside.unwrap_or(Hooked::Done)),
    };
    result.unwrap_or_else(|error| Hooked::Failed { error, exit: 0 })
}

/// Records what EVENT says about the session whose worktree holds `cwd`;
/// outside any session, does nothing. A SessionStart of a session's
/// conversation outside its worktree comes back as `Hooked::Outside`.
fn record_state(event: &str, input: Result<Input>) -> Result<Option<Hooked>> {
    let input = input?;
    let kind = input.notification_type.as_deref();
    // `/clear` ends one conversation and starts the next in the same
    // process: nothing exits, and the SessionStart that follows records
    // the new id (keeping this one among the earlier ones).
    let state = match event {
        "SessionEnd" if input.ends_for_clear() => None,
        _ => state_of(event, kind),
    };
    // A Notification type we do not know keeps the state but is recorded,
    // so `show` tells what Claude said.
    let unknown = match (event, kind) {
        ("Notification", Some(kind)) if claude::notification_state(kind).is_none() => {
            Some(kind.to_string())
        }
        _ => None,
    };
    if state.is_none() && unknown.is_none() {
        return Ok(None);
    }
    let dir = input.dir()?;
    // Only the registry: no configuration to read, nothing to fail on.
    let Ok(repo) = Repo::discover(&dir) else {
        return Ok(None);
    };
    let mut locked = Registry::new(repo.common_dir()).lock_within(LOCK_WAIT)?;
    // By folder; else by session id, for events Claude sends from elsewhere
    // (SessionEnd after leaving a `claude -w` worktree comes from the repo).
    let by_dir = locked
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, e)| dir.starts_with(&e.path))
        .max_by_key(|(_, e)| e.path.as_os_str().len())
        .map(|(i, _)| i);
    let by_id = || {
        let id = input.session_id.as_deref()?;
        locked.sessions.iter().position(|e| {
            e.agent
                .as_ref()
                .is_some_and(|a| a.session_id.as_deref() == Some(id))
        })
    };
    let outside = match by_id() {
        Some(i) if event == "SessionStart" && !dir.starts_with(&locked.sessions[i].path) => {
            outside(&locked.sessions[i], &dir)
        }
        _ => None,
    };
    let Some(index) = by_dir.or_else(by_id) else {
        return Ok(outside);
    };
    let entry = &mut locked.sessions[index];
    let mut agent = entry.agent.clone().unwrap_or_else(|| Agent::new(KIND));
    if !claude::is_claude(&agent.kind) {
        agent.kind = KIND.into();
    }
    if let Some(id) = &input.session_id {
        agent.set_session_id(id);
    }
    if input.transcript_path.is_some() {
        agent.transcript_path.clone_from(&input.transcript_path);
    }
    if let Some(pid) = claude_pid() {
        agent.pid = Some(pid);
    }
    match state {
        Some(state) => {
            agent.state = Some(state);
            agent.unknown_notification = None;
        }
        None => agent.unknown_notification = unknown,
    }
    agent.waits = match state {
        Some(AgentState::Waiting) => waits(&input).or(agent.waits),
        Some(_) => None,
        None => agent.waits,
    };
    let now = crate::clock::now();
    let change = notify::change(entry.agent.as_ref(), &mut agent, now);
    // Tool hooks fire on every tool call while the state stays the same:
    // nothing to write then, and `updated_at` keeps meaning "in this state
    // since".
    if entry.agent.as_ref() == Some(&agent) {
        return Ok(outside);
    }
    if state.is_some() {
        agent.updated_at = Some(now);
    }
    let detail = match agent.state {
        Some(AgentState::Error) => input.error.as_ref().map(|e| match e {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        }),
        _ => agent.waits.as_ref().map(|w| w.message.clone()),
    };
    entry.agent = Some(agent);
    let entry = entry.clone();
    locked.save()?;
    drop(locked);
    if let Some(change) = change {
        notify::dispatch(&repo, &entry, &change, detail);
    }
    Ok(outside)
}

/// What the hook that makes an agent wait says it waits for.
fn waits(input: &Input) -> Option<Waits> {
    if let Some(message) = input.message.as_ref().filter(|m| !m.trim().is_empty()) {
        let kind = input.notification_type.clone().unwrap_or_default();
        return Some(Waits {
            kind,
            message: message.clone(),
        });
    }
    let tool = input.tool_name.as_ref()?;
    Some(Waits {
        kind: "PermissionRequest".into(),
        message: format!("permission to use {tool}"),
    })
}

/// The warning for ENTRY's conversation starting in DIR, outside its
/// worktree, unless Claude is about to move into the worktree itself (a
/// conversation begun with `claude -w` records where it belongs).
fn outside(entry: &Entry, dir: &Path) -> Option<Hooked> {
    let transcript = entry.agent.as_ref()?.transcript_path.as_deref();
    if let Some(back) = transcript.and_then(claude::resumes_into)
        && same_path(&entry.path, &back)
    {
        return None;
    }
    Some(Hooked::Outside {
        name: entry.name.clone(),
        worktree: entry.path.clone(),
        dir: dir.to_path_buf(),
    })
}

/// Creates the worktree for `claude -w NAME` as session NAME; its path.
/// A session of that name already there is reused only when no other agent
/// works in it.
fn worktree_create(input: Result<Input>, ui: &'static dyn Ui) -> Result<PathBuf> {
    let input = input?;
    let dir = input.dir()?;
    let ws = Workspace::at(&dir, ui)?;
    let Some(name) = input.name.clone() else {
        bail!(Failure::usage("the WorktreeCreate input has no name"));
    };
    if let Some(path) = reuse(&ws, &name, input.session_id.as_deref())? {
        return Ok(path);
    }
    let mut agent = Agent::new(KIND);
    agent.session_id = input.session_id.clone();
    agent.state = Some(AgentState::Starting);
    // So that another `claude -w` of this name finds it taken.
    agent.pid = claude_pid();
    agent.updated_at = Some(crate::clock::now());
    let entry = create(
        &ws,
        NewSession {
            name: Some(name),
            agent: Some(agent),
            ..NewSession::default()
        },
    )?;
    // Ready to work, as after `sessions new`; a failed setup leaves a
    // usable worktree, so Claude still gets it.
    if let SetupRun::Failed { command, status } = lifecycle::setup(&ws, &entry)? {
        ws.ui.warn(&format!(
            "setup command `{command}` {status}; `sessions setup {}` runs it again",
            entry.name
        ));
    }
    Ok(entry.path)
}

/// The folder of existing session NAME for the Claude session SESSION_ID,
/// or `None` when there is no such session. A session another agent works
/// in is refused, never shared: its recorded agent is alive, or any process
/// other than whoever asked (Claude and its shell) works in its folder.
/// The session id proves nothing (`claude --resume ID -w NAME` in a second
/// terminal carries the first one's): only the asking process is spared, so
/// that Claude retrying is not refused by itself. Handed out, it is recorded
/// as this Claude's, under the lock, so that the next `claude -w NAME` finds
/// it taken.
fn reuse(ws: &Workspace, name: &str, session_id: Option<&str>) -> Result<Option<PathBuf>> {
    let mut locked = ws.registry.lock()?;
    let Some(entry) = locked
        .sessions
        .iter_mut()
        .find(|e| e.name == name && e.path.is_dir())
    else {
        return Ok(None);
    };
    let recorded = entry.agent.clone().unwrap_or_else(|| Agent::new(KIND));
    let mut callers = process::ancestors();
    callers.extend(claude_pid());
    let snapshot = process::snapshot();
    let busy = process::working_in(&snapshot, &entry.path, &callers)
        .first()
        .map(|p| p.to_string())
        .or_else(|| {
            let pid = recorded.pid?;
            let alive = recorded.state.is_some_and(AgentState::claims_alive)
                && !callers.contains(&pid)
                && process::is_alive(pid);
            alive.then(|| format!("its agent {} (pid {pid})", recorded.kind))
        });
    if let Some(busy) = busy {
        bail!(
            Failure::refused(format!(
                "session '{name}' is in use by {busy}; its worktree is not shared"
            ))
            .with_hint(format!("claude -w {name}-2"))
        );
    }
    let mut agent = recorded;
    agent.kind = KIND.into();
    if let Some(id) = session_id {
        agent.set_session_id(id);
    }
    agent.state = Some(AgentState::Starting);
    agent.pid = claude_pid();
    agent.updated_at = Some(crate::clock::now());
    entry.agent = Some(agent);
    let path = entry.path.clone();
    locked.save()?;
    Ok(Some(path))
}

/// Removes the session whose worktree Claude is done with, only when that
/// loses nothing (then its name); otherwise leaves it and says why.
fn worktree_remove(input: Result<Input>, ui: &'static dyn Ui) -> Result<Option<String>> {
    let input = input?;
    let Some(path) = input.worktree_path else {
        bail!("the WorktreeRemove input has no worktree_path");
    };
    let path = path.canonicalize().unwrap_or(path);
    let ws = Workspace::at(&path, ui).or_else(|_| {
        let dir = Input {
            cwd: input.cwd,
            ..Input::default()
        }
        .dir()?;
        Workspace::at(&dir, ui)
    })?;
    let Some(entry) = ws
        .registry
        .read()?
        .into_iter()
        .find(|e| same_path(&e.path, &path))
    else {
        return Ok(None);
    };
    let options = RemoveOptions {
        spare_callers: true,
        ..RemoveOptions::default()
    };
    remove(&ws, std::slice::from_ref(&entry.name), options).with_context(|| {
        format!(
            "kept session '{}': its worktree {} stays as it is",
            entry.name,
            path.display()
        )
    })?;
    Ok(Some(entry.name))
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || a.canonicalize().is_ok_and(|a| a == b)
}
