//! What a session's agent is doing now: the state its hooks recorded,
//! corrected by the processes that exist.

use std::path::Path;

use jiff::Timestamp;

use crate::claude;
use crate::process::{self, Process};
use crate::registry::{Agent, AgentState, Entry};

/// What ENTRY's agent is doing as far as anyone can tell: the state hooks
/// recorded, shown as exited when it claims a process that no longer exists;
/// without hooks, Claude's newest transcript of the worktree.
pub fn agent_view(entry: &Entry, snapshot: &[Process]) -> Option<Agent> {
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
                None if recorded.is_none() && !is_alive(&agent, snapshot, &entry.path) => {
                    return None;
                }
                None => {}
            }
            agent
        }
    };
    let alive = is_alive(&agent, snapshot, &entry.path);
    agent.state = match agent.state {
        Some(state) if state.claims_alive() && !alive => Some(AgentState::Exited),
        None if alive => Some(AgentState::Running),
        None => Some(AgentState::Exited),
        state => state,
    };
    Some(agent)
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
