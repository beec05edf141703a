use anyhow::Result;
use serde::Serialize;

use super::Workspace;
use crate::process;
use crate::registry::Entry;

/// A session as `list` shows it: the registry entry and what git says now;
/// its `agent` is what the agent is doing now (`agent_view`).
#[derive(Debug, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub entry: Entry,
    /// The branch tip, or `None` when the branch is gone.
    pub head: Option<String>,
    /// The worktree folder is gone.
    pub missing: bool,
}

pub fn list(ws: &Workspace) -> Result<Vec<Summary>> {
    let entries = ws.registry.read()?;
    let snapshot = process::snapshot();
    Ok(entries
        .into_iter()
        .map(|mut entry| {
            entry.agent = super::agent_view(&entry, &snapshot);
            entry
        })
        .map(|entry| Summary {
            head: ws.repo.branch_tip(&entry.branch).map(|oid| oid.to_string()),
            missing: !entry.path.is_dir(),
            entry,
        })
        .collect())
}
