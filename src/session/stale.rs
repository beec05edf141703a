//! Stale sessions (`stale_after`): no commit, no file change and no agent
//! activity for that long. Marked in `list` and removable by `clean --stale`.

use std::path::Path;
use std::time::SystemTime;

use jiff::Timestamp;

use super::Workspace;
use super::status::Summary;

/// Marks the summaries of sessions idle for longer than `stale_after`
/// (nothing when it is unset). Missing worktrees are for `doctor`.
pub fn mark(ws: &Workspace, summaries: &mut [Summary]) {
    let Some(after) = ws.config.stale_after() else {
        return;
    };
    let cutoff = crate::clock::now() - after;
    for s in summaries
        .iter_mut()
        .filter(|s| !s.missing && !s.entry.is_archived())
    {
        s.stale = is_stale(s, cutoff);
    }
}

/// Whether nothing happened in S since CUTOFF: the cheap signals first
/// (creation, last commit, the agent), then the worktree's files, a walk
/// that stops at the first newer one.
fn is_stale(s: &Summary, cutoff: Timestamp) -> bool {
    let recorded = [
        Some(s.entry.created_at),
        s.last_commit_at,
        s.entry.agent.as_ref().and_then(|a| a.updated_at),
    ];
    if recorded.into_iter().flatten().any(|at| at > cutoff) {
        return false;
    }
    let seconds = u64::try_from(cutoff.as_second()).unwrap_or(0);
    let cutoff = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    !changed_since(&s.entry.path, cutoff)
}

/// Whether any file or folder below ROOT (not ignored, outside `.git`)
/// was modified after CUTOFF. Ignored files (build outputs, caches) are
/// not walked: they are many, and tools touch them without anyone working.
fn changed_since(root: &Path, cutoff: SystemTime) -> bool {
    let walk = ignore::WalkBuilder::new(root)
        .hidden(false)
        .parents(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    walk.flatten().any(|entry| {
        entry
            .path()
            .symlink_metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|at| at > cutoff)
    })
}
