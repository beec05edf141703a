//! The safety rules: what removing a session would lose, and what must stop
//! it. `rm`, `clean` and `doctor --fix` all decide through `plan_removal`.

use anyhow::Result;

use super::Workspace;
use super::status::{branch_state, worktree_at, worktree_gone};
use crate::git::{Batch, Repo, Worktree};
use crate::process::{self, Process};
use crate::registry::Entry;

/// How a removal may go about it.
#[derive(Debug, Default, Clone, Copy)]
pub struct RemoveOptions {
    /// Remove even with uncommitted changes, a lock, or commits that exist
    /// nowhere else. Never past a live process.
    pub force: bool,
    /// Never delete the branch.
    pub keep_branch: bool,
    /// The processes that asked for the removal (our ancestors) do not count
    /// as working inside: Claude Code asking through its WorktreeRemove hook
    /// is still in the worktree it wants gone.
    pub spare_callers: bool,
}

/// What the world looks like, read once and matched against many sessions.
pub(super) struct Surroundings {
    pub worktrees: Vec<Worktree>,
    pub processes: Vec<Process>,
}

impl Surroundings {
    pub fn read(ws: &Workspace) -> Result<Surroundings> {
        Ok(Surroundings {
            worktrees: ws.repo.worktrees()?,
            processes: process::snapshot(),
        })
    }
}

/// What removing one session would mean, worked out before touching anything.
pub(super) struct RemovalPlan {
    pub entry: Entry,
    /// Why the branch goes (`merged`, `forced`), or `None` to keep it.
    pub delete_branch: Option<&'static str>,
    pub keep_reason: &'static str,
    /// Work that removal would lose; `--force` overrides these.
    pub risks: Vec<String>,
    /// What nothing overrides: a live process inside, the main worktree.
    pub blockers: Vec<String>,
    /// Git has no worktree there any more: only its admin entry goes, and
    /// whatever folder is left stays untouched.
    pub worktree_gone: bool,
    /// The worktree was just found clean and unlocked, so git need not run
    /// `git status` again to check.
    pub checked_clean: bool,
}

impl RemovalPlan {
    /// Everything that stands in the way, blockers first.
    pub fn objections(&self) -> impl Iterator<Item = &String> {
        self.blockers.iter().chain(&self.risks)
    }

    pub fn is_safe(&self) -> bool {
        self.blockers.is_empty() && self.risks.is_empty()
    }
}

pub(super) fn plan_removal(
    ws: &Workspace,
    around: &Surroundings,
    entry: Entry,
    options: RemoveOptions,
) -> Result<RemovalPlan> {
    let mut risks = Vec::new();
    let mut blockers = Vec::new();
    if ws.repo.main_worktree() == Some(entry.path.as_path()) {
        blockers.push(format!(
            "session '{}' points at the main worktree, which is never removed",
            entry.name
        ));
    }
    let callers = if options.spare_callers {
        process::ancestors()
    } else {
        Vec::new()
    };
    for p in process::working_in(&around.processes, &entry.path, &callers) {
        blockers.push(format!(
            "{p} is working in {}; stop it first",
            entry.path.display()
        ));
    }
    let worktree = worktree_at(&around.worktrees, &entry.path);
    if let Some(operation) = worktree.and_then(|w| ws.repo.operation_in_progress(w)) {
        risks.push(format!(
            "session '{}' has {operation} in progress (finish it with {})",
            entry.name,
            operation.command()
        ));
    }
    let lock = worktree.and_then(|w| w.locked.as_ref());
    if let Some(reason) = lock {
        let why = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        risks.push(format!("session '{}' is locked{why}", entry.name));
    }
    let gone = worktree_gone(&around.worktrees, &entry.path);
    let mut checked_clean = false;
    if !gone {
        let status = Repo::status(&entry.path, Batch::Alone)?;
        checked_clean = status.is_clean() && lock.is_none();
        if !status.is_clean() {
            risks.push(format!(
                "session '{}' has {} in {}",
                entry.name,
                status.describe(),
                entry.path.display()
            ));
        }
    }

    let tip = ws.repo.branch_tip(&entry.branch);
    let (delete_branch, keep_reason) = match tip {
        None => (None, "it no longer exists"),
        Some(tip) => {
            let state = branch_state(&ws.repo, &entry, tip)?;
            let elsewhere = around.worktrees.iter().any(|w| {
                w.branch.as_deref() == Some(entry.branch.as_str()) && w.path != entry.path
            });
            if !entry.owns_branch {
                (None, "the session did not create it")
            } else if options.keep_branch {
                (None, "--keep-branch")
            } else if elsewhere {
                (None, "it is checked out in another worktree")
            } else if state.merged || state.empty {
                (Some("merged"), "")
            } else {
                let unpushed = ws.repo.unpushed_commits(tip, state.base_tip)?;
                if unpushed.is_empty() {
                    (
                        None,
                        "it is not merged into its base (its commits are on a remote)",
                    )
                } else {
                    risks.push(format!(
                        "branch '{}' has {} commit{} that exist nowhere else (neither in {} nor on a remote)",
                        entry.branch,
                        unpushed.len(),
                        if unpushed.len() == 1 { "" } else { "s" },
                        entry.base
                    ));
                    (Some("forced"), "")
                }
            }
        }
    };
    Ok(RemovalPlan {
        entry,
        delete_branch,
        keep_reason,
        risks,
        blockers,
        worktree_gone: gone,
        checked_clean,
    })
}
