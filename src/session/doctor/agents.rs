//! Agents the registry says run but whose process is gone (killed, crashed,
//! the machine restarted): `list` already shows them `exited`, through the
//! same view; `--fix` records it.

use super::*;
use crate::process;
use crate::registry::{AgentState, StateSource};

/// Sessions whose recorded agent claims a live process that no process, and
/// no live record of Claude's, bears out.
pub(super) fn dead_agents(entries: &[Entry], explained: &Explained) -> Vec<Finding> {
    let snapshot = process::snapshot();
    let live = claude::live_records();
    entries
        .iter()
        .filter(|e| !explained.sessions.contains(&e.name))
        .filter_map(|entry| {
            let recorded = entry.agent.as_ref()?;
            let said = recorded.state.filter(|s| s.claims_alive())?;
            gone(entry, &snapshot, &live)?;
            let pid = recorded
                .pid
                .map_or_else(String::new, |pid| format!(" (pid {pid})"));
            Some(finding(
                Kind::DeadAgent,
                format!(
                    "session '{}': its agent {}{pid} last said {}, but no process of it runs",
                    entry.name,
                    recorded.kind,
                    said.as_str()
                ),
                "sessions doctor --fix".into(),
                Action::AgentExited {
                    name: entry.name.clone(),
                },
            ))
        })
        .collect()
}

/// `Some` when ENTRY's agent is shown exited because no process of it is left.
fn gone(entry: &Entry, snapshot: &[process::Process], live: &[claude::LiveRecord]) -> Option<()> {
    let view = super::super::agent_view(entry, snapshot, live)?;
    (view.state == Some(AgentState::Exited) && view.source == Some(StateSource::Process))
        .then_some(())
}

/// Records session NAME's agent as exited, if it is still gone under the
/// registry lock (a hook may have reported since).
pub(super) fn record_exited(ws: &Workspace, name: &str) -> Result<String> {
    let mut registry = ws.registry.lock()?;
    let (snapshot, live) = (process::snapshot(), claude::live_records());
    let entry = registry
        .sessions
        .iter_mut()
        .find(|e| e.name == name)
        .with_context(|| format!("no session '{name}' any more"))?;
    if gone(entry, &snapshot, &live).is_none() {
        return Ok(format!(
            "session '{name}''s agent runs again; left as it is"
        ));
    }
    if let Some(agent) = entry.agent.as_mut() {
        agent.state = Some(AgentState::Exited);
        agent.updated_at = Some(crate::clock::now());
    }
    registry.save()?;
    Ok(format!("recorded session '{name}''s agent as exited"))
}
