//! What a session's agent is doing now: the state its hooks recorded,
//! corrected by Claude Code's own live status and by the processes that
//! exist.

use std::path::Path;

use jiff::Timestamp;

use crate::claude::{self, LiveRecord};
use crate::process::{self, Process};
use crate::registry::{Agent, AgentState, Entry, StateSource};

/// What ENTRY's agent is doing as far as anyone can tell. Hooks are the
/// primary, instant word; Claude's live record (LIVE, `claude::live_records`)
/// overrides them when it changed since and disagrees (no hook fires on Esc,
/// a declined prompt or an approval), and any live record or process of the
/// agent means it runs. Without hooks, Claude's newest transcript of the
/// worktree names the conversation.
pub fn agent_view(entry: &Entry, snapshot: &[Process], live: &[LiveRecord]) -> Option<Agent> {
    let records = live_records_of(entry, live);
    let mut agent = match &entry.agent {
        Some(agent) if agent.session_id.is_some() || !claude::is_claude(&agent.kind) => {
            agent.clone()
        }
        recorded => {
            let mut agent = recorded.clone().unwrap_or_else(|| Agent::new(claude::KIND));
            match claude::latest_transcript(&entry.path) {
                Some(transcript) => {
                    agent.session_id = Some(transcript.session_id);
                    agent.transcript_path = Some(transcript.path);
                    let modified = Timestamp::try_from(transcript.modified).ok();
                    agent.updated_at = agent.updated_at.max(modified);
                }
                None if recorded.is_none()
                    && records.is_empty()
                    && !is_alive(&agent, snapshot, &entry.path) =>
                {
                    return None;
                }
                None => {}
            }
            agent
        }
    };
    agent.source = agent.state.map(|_| StateSource::Hook);
    if let Some(record) = deciding_record(&records, &agent) {
        merge(&mut agent, record);
    }
    let alive = !records.is_empty() || is_alive(&agent, snapshot, &entry.path);
    let corrected = match agent.state {
        Some(state) if state.claims_alive() && !alive => Some(AgentState::Exited),
        None if alive => Some(AgentState::Running),
        None => Some(AgentState::Exited),
        _ => None,
    };
    if let Some(state) = corrected {
        agent.state = Some(state);
        agent.source = Some(StateSource::Process);
        agent.waiting_for = None;
    }
    // Claude's live record has the last word on what it waits for; without
    // one, what the hook that made it wait said.
    if agent.state == Some(AgentState::Waiting) && agent.waiting_for.is_none() {
        agent.waiting_for = agent.waits.as_ref().map(|w| w.message.clone());
    }
    Some(agent)
}

/// The live records of ENTRY's agent: Claude processes working inside its
/// worktree (interactive or in the background), and any running one of its
/// conversations elsewhere (`claude --resume ID` typed in another folder).
pub fn live_records_of<'a>(entry: &Entry, live: &'a [LiveRecord]) -> Vec<&'a LiveRecord> {
    let ids: Vec<&str> = entry.agent.as_ref().map_or_else(Vec::new, |a| {
        a.session_id
            .iter()
            .chain(&a.earlier_session_ids)
            .map(String::as_str)
            .collect()
    });
    live.iter()
        .filter(|r| {
            r.cwd
                .as_ref()
                .is_some_and(|cwd| cwd.starts_with(&entry.path))
                || r.session_id.as_deref().is_some_and(|id| ids.contains(&id))
        })
        .collect()
}

/// The record that speaks for AGENT: the one of its current conversation,
/// else the one whose status changed last.
fn deciding_record<'a>(records: &[&'a LiveRecord], agent: &Agent) -> Option<&'a LiveRecord> {
    let current = records
        .iter()
        .find(|r| r.session_id.is_some() && r.session_id == agent.session_id);
    current
        .or_else(|| records.iter().max_by_key(|r| r.status_updated_at))
        .copied()
}

/// Applies RECORD to AGENT where it knows better than the hooks: the hooks
/// reported no live state (none, or `exited` while a process of it still
/// runs), or Claude's status changed after the hooks' last word and
/// disagrees with it. An unknown status only says Claude runs.
fn merge(agent: &mut Agent, record: &LiveRecord) {
    let hooked = agent.state.filter(|s| s.claims_alive());
    let Some(state) = record.status.state() else {
        if hooked.is_none() {
            take(agent, record, AgentState::Running);
        }
        return;
    };
    let newer = match (record.status_updated_at, agent.updated_at) {
        (Some(status), Some(hook)) => status > hook,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let overrides = match hooked {
        None => true,
        Some(hooked) if hooked == state => {
            agent.waiting_for = record
                .waiting_for
                .clone()
                .filter(|_| state == AgentState::Waiting);
            false
        }
        // A failed turn stays shown until Claude starts another one.
        Some(AgentState::Error) => newer && state != AgentState::Idle,
        Some(_) => newer,
    };
    if overrides {
        take(agent, record, state);
    }
}

fn take(agent: &mut Agent, record: &LiveRecord, state: AgentState) {
    agent.state = Some(state);
    agent.source = Some(StateSource::Claude);
    agent.waiting_for = record
        .waiting_for
        .clone()
        .filter(|_| state == AgentState::Waiting);
    agent.pid = Some(record.pid);
    agent.updated_at = record.status_updated_at.or(agent.updated_at);
    if agent.session_id.is_none() {
        agent.session_id.clone_from(&record.session_id);
    }
}

/// Whether a process of AGENT works in DIR.
fn is_alive(agent: &Agent, snapshot: &[Process], dir: &Path) -> bool {
    !live_agents(agent, snapshot, dir).is_empty()
}

/// The processes of AGENT that work in DIR: its recorded pid, and any
/// process named like its program (a second Claude started by hand, or by
/// a second `resume`).
pub fn live_agents<'a>(agent: &Agent, snapshot: &'a [Process], dir: &Path) -> Vec<&'a Process> {
    let program = Path::new(&agent.kind)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut live: Vec<&Process> = process::working_in(snapshot, dir, &[])
        .into_iter()
        .filter(|p| Some(p.pid) == agent.pid || p.name == program)
        .collect();
    // `claude -w NAME` records its pid at WorktreeCreate, about a second
    // before it moves into the worktree it asked for: until its first hook
    // (state `starting`), the recorded process counts wherever it works.
    if agent.state == Some(AgentState::Starting)
        && let Some(pid) = agent.pid
        && !live.iter().any(|p| p.pid == pid)
    {
        live.extend(snapshot.iter().find(|p| p.pid == pid));
    }
    live
}
