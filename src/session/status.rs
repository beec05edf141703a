//! What each session looks like now: working-tree changes, its branch against
//! the base, locks. Sessions are inspected in parallel, each thread with its
//! own repository handle, so a long list costs about as much as its slowest
//! session.

use std::path::Path;

use crate::git::Oid;
use anyhow::Result;
use jiff::Timestamp;

use super::parallel::{Load, in_parallel};
use crate::git::{self, Batch, Operation, Repo, WorkStatus, Worktree};
use crate::registry::Entry;

/// A session as `list` shows it: the registry entry and what git says now.
/// More facts (such as the agent working there) join as more fields.
#[derive(Debug, Clone)]
pub struct Summary {
    pub entry: Entry,
    /// The branch tip, or `None` when the branch is gone.
    pub head: Option<String>,
    /// The worktree is gone: no folder, or one git no longer knows as a
    /// worktree.
    pub missing: bool,
    /// Modified plus untracked files (0 when the folder is missing).
    pub changes: usize,
    pub modified: usize,
    pub untracked: usize,
    /// Commits on the branch that are not in the base's current tip.
    pub ahead: usize,
    /// Commits in the base's current tip that are not on the branch.
    pub behind: usize,
    /// The branch's work is in the base (fast-forward, squash or rebase
    /// merge), or in the local branch that tracks it (`landed`).
    pub merged: bool,
    /// Merged into the local branch that tracks a remote-tracking base, but
    /// not pushed: the base itself does not have it yet.
    pub landed: Option<LandedLocally>,
    /// The branch has no commits of its own yet.
    pub empty: bool,
    /// The lock reason when git has the worktree locked.
    pub locked: Option<String>,
    /// A git operation stopped half-way in the worktree (a rebase on a
    /// conflict, say): the user's next step.
    pub operation: Option<Operation>,
    pub last_commit_at: Option<Timestamp>,
}

impl Summary {
    /// One word for the table: what stands out about this session.
    pub fn state(&self) -> &'static str {
        if self.entry.is_archived() {
            "archived"
        } else if self.missing {
            "missing"
        } else if let Some(operation) = self.operation {
            operation.word()
        } else if self.head.is_none() {
            "no branch"
        } else if self.landed.is_some() {
            "landed"
        } else if self.merged {
            "merged"
        } else if self.empty && self.changes > 0 {
            // Uncommitted work: not to be mistaken for an untouched session.
            "new"
        } else if self.empty {
            "empty"
        } else {
            "open"
        }
    }
}

/// A session's work in the local branch that tracks its remote-tracking
/// base (`main` for `origin/main`), which has not been pushed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandedLocally {
    /// The local branch (`main`).
    pub branch: String,
    /// The session's base (`origin/main`).
    pub base: String,
    /// Commits on the local branch that the base does not have.
    pub ahead: usize,
    /// What publishes them: `git push origin main`.
    pub push: String,
}

impl LandedLocally {
    /// "main is 1 ahead of origin/main: git push origin main".
    pub fn note(&self) -> String {
        format!(
            "{} is {} ahead of {}: {}",
            self.branch, self.ahead, self.base, self.push
        )
    }
}

/// Where a session's branch stands against its base.
#[derive(Debug, Clone, Default)]
pub struct BranchState {
    /// The base's current tip, or where the session started when the base
    /// no longer resolves.
    pub base_tip: Option<Oid>,
    /// In the base, or in the local branch that tracks it.
    pub merged: bool,
    pub empty: bool,
    /// In the local branch only, which is ahead of the base.
    pub landed: Option<LandedLocally>,
}

/// The commit ENTRY's base names now, else the one it started from.
pub fn base_tip(repo: &Repo, entry: &Entry) -> Option<Oid> {
    repo.resolve_base(&entry.base)
        .or_else(|| git::parse_oid(&entry.base_commit))
}

/// Whether TIP's work is merged into ENTRY's base, or there is none yet.
/// A branch with no commits since it started is empty, not merged; one whose
/// commits cancel out is neither, while they are not in the base.
pub fn branch_state(repo: &Repo, entry: &Entry, tip: Oid) -> Result<BranchState> {
    let base_tip = base_tip(repo, entry);
    let empty = match git::parse_oid(&entry.base_commit) {
        Some(start) => repo.is_ancestor(tip, start)?,
        None => false,
    };
    let mut merged = match base_tip {
        Some(base) if !empty => merged_into(repo, tip, base)?,
        _ => false,
    };
    let mut landed = None;
    if let Some(base) = base_tip
        && !merged
        && !empty
        && let Some(tracking) = repo.tracking_branch(&entry.base)
        // A session branch that tracks its base holds its own work.
        && tracking.branch != entry.branch
        && let Some(local) = repo.branch_tip(&tracking.branch)
        && local != base
        && merged_into(repo, tip, local)?
    {
        merged = true;
        landed = unpushed(repo, &entry.base)?;
    }
    Ok(BranchState {
        base_tip,
        merged,
        empty,
        landed,
    })
}

/// The local branch that tracks remote-tracking BASE, when it has commits
/// BASE has not: landed there, not pushed yet.
pub fn unpushed(repo: &Repo, base: &str) -> Result<Option<LandedLocally>> {
    let Some(tracking) = repo.tracking_branch(base) else {
        return Ok(None);
    };
    let (Some(local), Some(remote)) = (
        repo.branch_tip(&tracking.branch),
        repo.try_resolve_commit(&format!("refs/remotes/{base}")),
    ) else {
        return Ok(None);
    };
    let (ahead, _) = repo.ahead_behind(local, remote)?;
    let push = ["git", "push", &tracking.remote, &tracking.branch]
        .map(crate::shell::quote)
        .join(" ");
    Ok((ahead > 0).then(|| LandedLocally {
        branch: tracking.branch,
        base: base.to_string(),
        ahead,
        push,
    }))
}

/// Whether the work of the branch at TIP is in BASE: merging it would leave
/// BASE unchanged (a fast-forward, squash or rebase merge), and not merely
/// because its commits cancel each other out.
pub(super) fn merged_into(repo: &Repo, tip: Oid, base: Oid) -> Result<bool> {
    Ok(repo.content_merged(tip, base)? && !repo.cancels_out(tip, base)?)
}

/// The worktree git has at PATH, if any.
pub fn worktree_at<'a>(worktrees: &'a [Worktree], path: &Path) -> Option<&'a Worktree> {
    worktrees.iter().find(|w| w.path == path)
}

/// Whether the worktree at PATH is gone: no folder there, or git no longer
/// has a working worktree there (so `git status` cannot run in it).
pub fn worktree_gone(worktrees: &[Worktree], path: &Path) -> bool {
    !path.is_dir() || worktree_at(worktrees, path).is_none_or(|w| w.prunable)
}

/// One session, inspected through REPO.
pub fn summarize(
    repo: &Repo,
    worktrees: &[Worktree],
    entry: Entry,
    batch: Batch,
) -> Result<Summary> {
    // An archived session's worktree is gone on purpose: not missing.
    let archived = entry.is_archived();
    let missing = !archived && worktree_gone(worktrees, &entry.path);
    let work = if missing || archived {
        WorkStatus::default()
    } else {
        repo.workdir(&entry.path).status(batch)?
    };
    let tip = repo.branch_tip(&entry.branch);
    let (mut ahead, mut behind, mut state, mut last_commit_at) =
        (0, 0, BranchState::default(), None);
    if let Some(tip) = tip {
        state = branch_state(repo, &entry, tip)?;
        if let Some(base) = state.base_tip {
            (ahead, behind) = repo.ahead_behind(tip, base)?;
        }
        last_commit_at = Timestamp::from_second(repo.commit_info(tip)?.time).ok();
    }
    Ok(Summary {
        head: tip.map(|t| t.to_string()),
        missing,
        changes: work.modified + work.untracked,
        modified: work.modified,
        untracked: work.untracked,
        ahead,
        behind,
        merged: state.merged,
        landed: state.landed.clone(),
        empty: state.empty,
        locked: worktree_at(worktrees, &entry.path).and_then(|w| w.locked.clone()),
        operation: worktree_at(worktrees, &entry.path)
            .filter(|_| !missing && !archived)
            .and_then(|w| repo.operation_in_progress(w)),
        last_commit_at,
        entry,
    })
}

/// Every entry inspected, in order, several at once: each runs `git status`.
pub fn summarize_all(repo: &Repo, entries: Vec<Entry>) -> Result<Vec<Summary>> {
    let worktrees = repo.worktrees()?;
    let handle = repo.handle();
    in_parallel(
        &entries,
        Load::Processes,
        || handle.open(),
        |repo, entry| summarize(repo, &worktrees, entry.clone(), Batch::Many),
    )
}

#[cfg(test)]
mod tests;
