use anyhow::Result;

use super::Workspace;
use super::status::{self, Summary};
use crate::{claude, process};

/// Every session with its live state, in registry order.
pub fn list(ws: &Workspace) -> Result<Vec<Summary>> {
    let entries = ws.registry.read()?;
    let snapshot = process::snapshot();
    let live = claude::live_records();
    let entries = entries
        .into_iter()
        .map(|mut entry| {
            entry.agent = super::agent_view(&entry, &snapshot, &live);
            entry
        })
        .collect();
    let mut summaries = status::summarize_all(&ws.repo, entries)?;
    super::stale::mark(ws, &mut summaries);
    Ok(summaries)
}
