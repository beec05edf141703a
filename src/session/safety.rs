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

/// Why `sync` and `land` must not rewrite a session's worktree now.
#[derive(Debug)]
pub(super) enum NoRewrite {
    Missing(std::path::PathBuf),
    /// A `sessions sync` or `land` was killed there before it finished.
    Interrupted(String),
    InProgress(crate::git::Operation),
    /// Another branch, or none, is checked out there: rewriting it would
    /// rewrite that branch instead.
    OffBranch {
        branch: String,
        found: Option<String>,
    },
    Uncommitted(String),
    Busy(crate::process::Process),
}

impl std::fmt::Display for NoRewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoRewrite::Missing(path) => write!(f, "its worktree {} is missing", path.display()),
            NoRewrite::Interrupted(what) => write!(
                f,
                "{what} was interrupted there; `sessions doctor --fix` puts it back"
            ),
            NoRewrite::InProgress(op) => write!(
                f,
                "it has {op} in progress (finish it with {})",
                op.command()
            ),
            NoRewrite::OffBranch { branch, found } => match found {
                Some(other) => write!(f, "its worktree has '{other}' checked out, not '{branch}'"),
                None => write!(
                    f,
                    "its worktree is not on a branch (it should be on '{branch}')"
                ),
            },
            NoRewrite::Uncommitted(what) => f.write_str(what),
            NoRewrite::Busy(process) => write!(f, "{process} is working in it"),
        }
    }
}

/// The one rule `sync` and `land` decide by: a session's worktree may be
/// rewritten only when it has the session's branch checked out, no git
/// operation (nor an interrupted `sessions` one) under way, no uncommitted
/// or untracked work, and no live process working inside. On success, the
/// worktree as git records it.
pub(super) fn may_rewrite(
    ws: &super::Workspace,
    entry: &crate::registry::Entry,
) -> anyhow::Result<Result<crate::git::Worktree, NoRewrite>> {
    let worktrees = ws.repo.worktrees()?;
    let Some(worktree) =
        super::status::worktree_at(&worktrees, &entry.path).filter(|_| entry.path.is_dir())
    else {
        return Ok(Err(NoRewrite::Missing(entry.path.clone())));
    };
    if let Some(what) = super::underway::interrupted_in(&ws.repo.admin_dir(worktree)) {
        return Ok(Err(NoRewrite::Interrupted(what)));
    }
    if let Some(operation) = ws.repo.operation_in_progress(worktree) {
        return Ok(Err(NoRewrite::InProgress(operation)));
    }
    if worktree.branch.as_deref() != Some(entry.branch.as_str()) {
        return Ok(Err(NoRewrite::OffBranch {
            branch: entry.branch.clone(),
            found: worktree.branch.clone(),
        }));
    }
    let status = crate::git::Repo::status(&entry.path, crate::git::Batch::Alone)?;
    if !status.is_clean() {
        return Ok(Err(NoRewrite::Uncommitted(format!(
            "it has {} in {}",
            status.describe(),
            entry.path.display()
        ))));
    }
    if let Some(process) = super::agent::working_in(&entry.path) {
        return Ok(Err(NoRewrite::Busy(process)));
    }
    Ok(Ok(worktree.clone()))
}
