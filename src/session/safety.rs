//! The safety rules, once, as types: what removing a session would lose
//! (risks, which `--force` overrides), what must stop it (blockers, which
//! nothing overrides), and what becomes of its branch. `rm`, `clean` and
//! `doctor --fix` all decide through `plan_removal`.

use std::fmt;
use std::path::PathBuf;

use anyhow::Result;

use super::Workspace;
use super::status::{branch_state, worktree_at, worktree_gone};
use crate::git::{Operation, Repo, WorkStatus, Worktree};
use crate::process::{self, Process};
use crate::registry::Entry;

/// How a removal may go about it.
#[derive(Debug, Default, Clone, Copy)]
pub struct RemoveOptions {
    /// Remove even with uncommitted changes, a lock, an operation in
    /// progress, or commits that exist nowhere else. Never past a blocker.
    pub force: bool,
    /// Never delete the branch.
    pub keep_branch: bool,
    /// The processes that asked for the removal (our ancestors) do not count
    /// as working inside: Claude Code asking through its WorktreeRemove hook
    /// is still in the worktree it wants gone.
    pub spare_callers: bool,
    /// What an owned branch with commits that exist nowhere else means.
    pub unpushed: Unpushed,
}

/// The policy for an owned branch whose commits exist nowhere else.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Unpushed {
    /// A risk: refuse, or with `--force` delete the branch.
    #[default]
    AtRisk,
    /// Keep the branch and go on: `doctor --fix` dropping a session whose
    /// folder is gone.
    KeepBranch,
}

/// What becomes of a removed session's branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchOutcome {
    Delete(Deletion),
    Keep(Keeping),
}

/// Why the branch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Its work is in the base.
    Merged,
    /// It has no commits of its own.
    Empty,
    /// Its commits exist nowhere else, and `--force` said to go anyway.
    Forced,
}

/// Why the branch stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeping {
    /// There is no such branch any more.
    Gone,
    /// The session did not create it.
    NotOwned,
    /// `--keep-branch`.
    Asked,
    CheckedOutElsewhere,
    /// Not merged, but its commits are also on a remote, a tag or another
    /// branch.
    Pushed,
    /// Its commits exist nowhere else, and the policy keeps it.
    Unpushed,
}

impl Keeping {
    /// Whether doctor should keep track of the branch left behind: one the
    /// session made and nobody asked to keep.
    pub fn left_behind(self) -> bool {
        matches!(
            self,
            Keeping::CheckedOutElsewhere | Keeping::Pushed | Keeping::Unpushed
        )
    }
}

impl fmt::Display for Keeping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Keeping::Gone => "it no longer exists",
            Keeping::NotOwned => "the session did not create it",
            Keeping::Asked => "--keep-branch",
            Keeping::CheckedOutElsewhere => "it is checked out in another worktree",
            Keeping::Pushed => {
                "it is not merged into its base (its commits are also on a remote, a tag or another branch)"
            }
            Keeping::Unpushed => "it has commits that exist nowhere else",
        })
    }
}

/// What is known about a session's branch, for `branch_outcome`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct BranchFacts {
    pub exists: bool,
    pub owned: bool,
    pub checked_out_elsewhere: bool,
    pub merged: bool,
    pub empty: bool,
    /// Commits on it that exist nowhere else (counted only when it matters).
    pub unpushed: usize,
}

impl BranchFacts {
    /// Whether the outcome depends on `unpushed`, which costs a walk.
    pub fn needs_unpushed(&self, options: RemoveOptions) -> bool {
        self.exists
            && self.owned
            && !options.keep_branch
            && !self.checked_out_elsewhere
            && !self.merged
            && !self.empty
    }
}

/// The one rule for a branch: deleted only when the session made it, nobody
/// asked to keep it, no other worktree has it, and its work is merged, empty,
/// or forced away.
pub(super) fn branch_outcome(facts: BranchFacts, options: RemoveOptions) -> BranchOutcome {
    use BranchOutcome::{Delete, Keep};
    if !facts.exists {
        Keep(Keeping::Gone)
    } else if !facts.owned {
        Keep(Keeping::NotOwned)
    } else if options.keep_branch {
        Keep(Keeping::Asked)
    } else if facts.checked_out_elsewhere {
        Keep(Keeping::CheckedOutElsewhere)
    } else if facts.merged {
        Delete(Deletion::Merged)
    } else if facts.empty {
        Delete(Deletion::Empty)
    } else if facts.unpushed == 0 {
        Keep(Keeping::Pushed)
    } else if options.unpushed == Unpushed::KeepBranch {
        Keep(Keeping::Unpushed)
    } else {
        Delete(Deletion::Forced)
    }
}

/// Work that removal would lose; `--force` overrides each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Risk {
    Changes {
        session: String,
        status: WorkStatus,
        path: PathBuf,
    },
    /// Files marked assume-unchanged or skip-worktree that differ from the
    /// index: changes `git status` does not show.
    HiddenChanges {
        session: String,
        count: usize,
    },
    /// A nested repository with commits or changes of its own.
    NestedRepository {
        session: String,
        path: PathBuf,
    },
    Locked {
        session: String,
        reason: String,
    },
    Operation {
        session: String,
        operation: Operation,
    },
    /// Commits of the branch that removal would delete with it.
    BranchCommits {
        branch: String,
        count: usize,
        base: String,
    },
    /// Commits only the worktree holds: on a detached HEAD, in its
    /// per-worktree refs, or only in its HEAD reflog.
    WorktreeCommits {
        session: String,
        count: usize,
    },
}

fn commits(count: usize) -> String {
    match count {
        1 => "1 commit that exist".into(),
        n => format!("{n} commits that exist"),
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Risk::Changes {
                session,
                status,
                path,
            } => write!(
                f,
                "session '{session}' has {} in {}",
                status.describe(),
                path.display()
            ),
            Risk::HiddenChanges { session, count } => write!(
                f,
                "session '{session}' has {count} changed file{} marked assume-unchanged or skip-worktree",
                if *count == 1 { "" } else { "s" }
            ),
            Risk::NestedRepository { session, path } => write!(
                f,
                "session '{session}' holds a nested repository at {} with commits or changes of its own",
                path.display()
            ),
            Risk::Locked { session, reason } if reason.is_empty() => {
                write!(f, "session '{session}' is locked")
            }
            Risk::Locked { session, reason } => {
                write!(f, "session '{session}' is locked ({reason})")
            }
            Risk::Operation { session, operation } => write!(
                f,
                "session '{session}' has {operation} in progress (finish it with {})",
                operation.command()
            ),
            Risk::BranchCommits {
                branch,
                count,
                base,
            } => write!(
                f,
                "branch '{branch}' has {} nowhere else (neither in {base}, another branch, a tag nor on a remote)",
                commits(*count)
            ),
            Risk::WorktreeCommits { session, count } => write!(
                f,
                "session '{session}' has {} nowhere else (on its detached HEAD, its per-worktree refs or its HEAD reflog)",
                commits(*count)
            ),
        }
    }
}

/// What nothing overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    MainWorktree {
        session: String,
    },
    /// A live process whose working folder is inside the worktree.
    Process {
        process: String,
        path: PathBuf,
    },
    /// Another worktree (of a session or not) lies inside the folder:
    /// deleting the folder would delete it, whatever `--force` says about
    /// this session's own work.
    WorktreeInside {
        session: String,
        path: PathBuf,
    },
    /// The folder is gone and git has the worktree locked: it is only away
    /// (a drive unplugged), and its admin entry holds its index and HEAD.
    LockedAway {
        session: String,
        path: PathBuf,
    },
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::MainWorktree { session } => write!(
                f,
                "session '{session}' points at the main worktree, which is never removed"
            ),
            Blocker::Process { process, path } => {
                write!(
                    f,
                    "{process} is working in {}; stop it first",
                    path.display()
                )
            }
            Blocker::WorktreeInside { session, path } => write!(
                f,
                "another worktree, {}, lies inside the folder of session '{session}'; move it out or remove it first",
                path.display()
            ),
            Blocker::LockedAway { session, path } => write!(
                f,
                "the folder of session '{session}' ({}) is gone, but git has it locked: it may only be away (a drive unplugged)",
                path.display()
            ),
        }
    }
}

impl Blocker {
    /// The command that clears it, where there is one to paste.
    pub fn hint(&self) -> Option<String> {
        match self {
            Blocker::LockedAway { path, .. } => {
                Some(format!("git worktree unlock {}", path.display()))
            }
            Blocker::MainWorktree { .. }
            | Blocker::Process { .. }
            | Blocker::WorktreeInside { .. } => None,
        }
    }
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
    pub branch: BranchOutcome,
    pub risks: Vec<Risk>,
    pub blockers: Vec<Blocker>,
    /// Git's worktree at the session's path, if git has one.
    pub worktree: Option<Worktree>,
    /// Git has no working worktree there any more: only its admin entry
    /// goes, and whatever folder is left stays untouched.
    pub worktree_gone: bool,
}

impl RemovalPlan {
    /// Everything that stands in the way, blockers first.
    pub fn objections(&self) -> Vec<String> {
        let blockers = self.blockers.iter().map(ToString::to_string);
        blockers
            .chain(self.risks.iter().map(ToString::to_string))
            .collect()
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
    let session = || entry.name.clone();
    let mut risks = Vec::new();
    let mut blockers = Vec::new();
    if ws.repo.main_worktree() == Some(entry.path.as_path()) {
        blockers.push(Blocker::MainWorktree { session: session() });
    }
    let callers = if options.spare_callers {
        process::ancestors()
    } else {
        Vec::new()
    };
    for p in process::working_in(&around.processes, &entry.path, &callers) {
        blockers.push(Blocker::Process {
            process: p.to_string(),
            path: entry.path.clone(),
        });
    }
    let worktree = worktree_at(&around.worktrees, &entry.path).cloned();
    let gone = worktree_gone(&around.worktrees, &entry.path);
    if let Some(operation) = worktree
        .as_ref()
        .and_then(|w| ws.repo.operation_in_progress(w))
    {
        risks.push(Risk::Operation {
            session: session(),
            operation,
        });
    }
    match worktree.as_ref().and_then(|w| w.locked.clone()) {
        Some(_) if gone => blockers.push(Blocker::LockedAway {
            session: session(),
            path: entry.path.clone(),
        }),
        Some(reason) => risks.push(Risk::Locked {
            session: session(),
            reason,
        }),
        None => {}
    }
    if !gone {
        for inner in &around.worktrees {
            if inner.path != entry.path
                && inner.path.starts_with(&entry.path)
                && inner.path.exists()
            {
                blockers.push(Blocker::WorktreeInside {
                    session: session(),
                    path: inner.path.clone(),
                });
            }
        }
        let status = Repo::removal_status(&entry.path)?;
        if !status.work.is_clean() {
            risks.push(Risk::Changes {
                session: session(),
                status: status.work,
                path: entry.path.clone(),
            });
        }
        if status.hidden > 0 {
            risks.push(Risk::HiddenChanges {
                session: session(),
                count: status.hidden,
            });
        }
        for path in status.nested {
            risks.push(Risk::NestedRepository {
                session: session(),
                path: entry.path.join(path),
            });
        }
    }

    let tip = ws.repo.branch_tip(&entry.branch);
    let mut facts = BranchFacts {
        exists: tip.is_some(),
        owned: entry.owns_branch,
        checked_out_elsewhere: around
            .worktrees
            .iter()
            .any(|w| w.branch.as_deref() == Some(entry.branch.as_str()) && w.path != entry.path),
        ..BranchFacts::default()
    };
    let mut base_tip = super::status::base_tip(&ws.repo, &entry);
    if let Some(tip) = tip
        && facts.owned
    {
        let state = branch_state(&ws.repo, &entry, tip)?;
        (facts.merged, facts.empty, base_tip) = (state.merged, state.empty, state.base_tip);
        if facts.needs_unpushed(options) {
            facts.unpushed =
                ws.repo
                    .commits_only_in(&[tip], base_tip, Some(entry.branch.as_str()))?;
        }
    }
    let branch = branch_outcome(facts, options);
    if branch == BranchOutcome::Delete(Deletion::Forced) {
        risks.push(Risk::BranchCommits {
            branch: entry.branch.clone(),
            count: facts.unpushed,
            base: entry.base.clone(),
        });
    }
    // Every branch's commits are accounted for above; here, what only the
    // worktree itself holds.
    if let Some(w) = &worktree {
        let tips = ws.repo.worktree_tips(w, entry.created_at.as_second());
        let mut starts = tips.held;
        // A commit the reflog alone remembers is lost work only when its
        // changes are in neither the branch nor the base: one rewritten by
        // a rebase (`sync`, `land`) or an amend is not; one undone by
        // `reset --hard` is.
        let keepers: Vec<_> = tip.into_iter().chain(base_tip).collect();
        let logged = if ws.repo.commits_only_in(&tips.logged, base_tip, None)? == 0 {
            Vec::new() // the usual case: no trial merges needed
        } else {
            tips.logged
        };
        for logged in logged {
            let mut superseded = false;
            for keeper in &keepers {
                if ws.repo.content_merged(logged, *keeper).unwrap_or(false) {
                    superseded = true;
                    break;
                }
            }
            if !superseded {
                starts.push(logged);
            }
        }
        let count = ws.repo.commits_only_in(&starts, base_tip, None)?;
        if count > 0 {
            risks.push(Risk::WorktreeCommits {
                session: session(),
                count,
            });
        }
    }
    Ok(RemovalPlan {
        entry,
        branch,
        risks,
        blockers,
        worktree,
        worktree_gone: gone,
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
    /// Another worktree has the branch checked out too (`git checkout
    /// --ignore-other-worktrees`): rewriting it would leave that worktree's
    /// index and files describing the old commits.
    CheckedOutElsewhere {
        branch: String,
        path: std::path::PathBuf,
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
            NoRewrite::CheckedOutElsewhere { branch, path } => write!(
                f,
                "its branch '{branch}' is also checked out in {}",
                path.display()
            ),
            NoRewrite::Uncommitted(what) => f.write_str(what),
            NoRewrite::Busy(process) => write!(f, "{process} is working in it"),
        }
    }
}

/// The one rule `sync` and `land` decide by: a session's worktree may be
/// rewritten only when it has the session's branch checked out (and no
/// other worktree has), no git operation (nor an interrupted `sessions` one)
/// under way, no uncommitted or untracked work, and no live process working
/// inside. On success, the worktree as git records it.
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
    if let Some(other) = worktrees
        .iter()
        .find(|w| w.path != worktree.path && w.branch.as_deref() == Some(entry.branch.as_str()))
    {
        return Ok(Err(NoRewrite::CheckedOutElsewhere {
            branch: entry.branch.clone(),
            path: other.path.clone(),
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

#[cfg(test)]
mod tests;
