//! The rule `sync` and `land` decide by: whether a session's worktree may be
//! rewritten now.

use std::fmt;
use std::path::PathBuf;

use crate::git::{Batch, Operation, Worktree};
use crate::process::Process;
use crate::registry::Entry;
use crate::session::Workspace;
use crate::session::status::worktree_at;
use crate::shell::{quote, quote_path};

/// Why `sync` and `land` must not rewrite a session's worktree now.
#[derive(Debug)]
pub(in crate::session) enum NoRewrite {
    Missing(PathBuf),
    /// A `sessions sync` or `land` was killed there before it finished.
    Interrupted(String),
    /// The user's operation, in the worktree at the path.
    InProgress(Operation, PathBuf),
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
        path: PathBuf,
    },
    Uncommitted(String),
    Busy(Process),
}

impl fmt::Display for NoRewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoRewrite::Missing(path) => write!(f, "its worktree {} is missing", path.display()),
            NoRewrite::Interrupted(what) => write!(
                f,
                "{what} was interrupted there; `sessions doctor --fix` puts it back"
            ),
            NoRewrite::InProgress(op, path) => {
                write!(f, "it has {op} in progress: {}", op.next_step(path))
            }
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

impl NoRewrite {
    /// The command to paste in ENTRY's case to deal with it, with real
    /// names, where there is one: the caller appends what to run after it
    /// (`&& sessions sync NAME`), so it is one command, never prose.
    fn next_step(&self, entry: &Entry) -> Option<String> {
        let dir = &entry.path;
        let git_c = |path: &std::path::Path| format!("git -C {}", quote_path(path));
        match self {
            NoRewrite::Missing(_) => Some("sessions doctor".into()),
            NoRewrite::Interrupted(_) => Some("sessions doctor --fix".into()),
            NoRewrite::InProgress(..) => None,
            NoRewrite::OffBranch { branch, .. } => Some(format!(
                "{} switch --end-of-options {}",
                git_c(dir),
                quote(branch)
            )),
            NoRewrite::CheckedOutElsewhere { path, .. } => {
                Some(format!("{} switch --detach", git_c(path)))
            }
            // `git -C`, not `cd`: a shell left in the folder would stop
            // the `land` that follows from removing it.
            NoRewrite::Uncommitted(_) => {
                let git = git_c(dir);
                Some(format!("{git} add -A && {git} commit"))
            }
            NoRewrite::Busy(_) => None,
        }
    }

    /// The line to paste in ENTRY's case: its step, then AGAIN (the command
    /// refused, with real names). A session
    /// whose folder is gone gets what `doctor` advises for it, which ends
    /// it: running AGAIN after that could only fail.
    pub(in crate::session) fn way_on(
        &self,
        ws: &Workspace,
        entry: &Entry,
        again: &str,
    ) -> anyhow::Result<String> {
        if let NoRewrite::Missing(_) = self {
            let around = super::Surroundings::read(ws)?;
            return Ok(crate::session::doctor::missing_fix(ws, &around, entry)?.0);
        }
        Ok(match self.next_step(entry) {
            Some(step) => format!("{step} && {again}"),
            None => again.to_string(),
        })
    }

    /// What else would do, in words for the message (the hint holds only
    /// commands): putting the work aside instead of committing it, or what
    /// to do about a process.
    pub(in crate::session) fn otherwise(&self, entry: &Entry) -> Option<String> {
        match self {
            NoRewrite::Uncommitted(_) => Some(format!(
                "commit it, or put it aside with `git -C {} stash push --include-untracked` \
                 (`git stash pop` brings it back)",
                quote_path(&entry.path)
            )),
            NoRewrite::Busy(process) => Some(format!(
                "wait for {} to finish, or stop it (`kill {}`, which ends whatever it is doing)",
                process.name, process.pid
            )),
            _ => None,
        }
    }
}

/// The one rule `sync` and `land` decide by: a session's worktree may be
/// rewritten only when it has the session's branch checked out (and no
/// other worktree has), no git operation (nor an interrupted `sessions` one)
/// under way, no uncommitted or untracked work, and no live process working
/// inside. On success, the worktree as git records it.
pub(in crate::session) fn may_rewrite(
    ws: &Workspace,
    entry: &Entry,
) -> anyhow::Result<Result<Worktree, NoRewrite>> {
    let worktrees = ws.repo.worktrees()?;
    let Some(worktree) = worktree_at(&worktrees, &entry.path).filter(|_| entry.path.is_dir())
    else {
        return Ok(Err(NoRewrite::Missing(entry.path.clone())));
    };
    if let Some(what) = crate::session::underway::interrupted_in(&ws.repo.admin_dir(worktree)) {
        return Ok(Err(NoRewrite::Interrupted(what)));
    }
    if let Some(operation) = ws.repo.operation_in_progress(worktree) {
        return Ok(Err(NoRewrite::InProgress(operation, entry.path.clone())));
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
    let status = ws.repo.workdir(&entry.path).status(Batch::Alone)?;
    if !status.is_clean() {
        return Ok(Err(NoRewrite::Uncommitted(format!(
            "it has {} in {}",
            status.describe(),
            entry.path.display()
        ))));
    }
    if let Some(process) = super::busy_in(&entry.path) {
        return Ok(Err(NoRewrite::Busy(process)));
    }
    Ok(Ok(worktree.clone()))
}
