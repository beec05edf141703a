use anyhow::Result;

use super::Workspace;
use super::status::{self, Summary};

/// Every session with its live state, in registry order.
pub fn list(ws: &Workspace) -> Result<Vec<Summary>> {
    let entries = ws.registry.read()?;
    status::summarize_all(&ws.repo, entries)
}
