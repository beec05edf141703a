//! The safety rules, once, as types: what removing a session would lose
//! (risks, which `--force` overrides), what must stop it (blockers, which
//! nothing overrides), and what becomes of its branch. `rm`, `clean` and
//! `doctor --fix` all decide through `plan_removal`; `sync` and `land`
//! through `may_rewrite` (safety/rewrite.rs).

use std::fmt;
use std::path::PathBuf;

use anyhow::Result;

use super::Workspace;
use super::status::{branch_state, worktree_at, worktree_gone};
use crate::git::{Oid, Operation, WorkStatus, Worktree};
use crate::process::{self, Process};
use crate::registry::Entry;
use crate::shell::{quote, quote_path};

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
        path: PathBuf,
    },
    /// A nested repository with commits or changes of its own.
    NestedRepository { session: String, path: PathBuf },
    Locked {
        session: String,
        reason: String,
        path: PathBuf,
    },
    Operation {
        session: String,
        operation: Operation,
        path: PathBuf,
    },
    /// Commits of the branch that removal would delete with it.
    BranchCommits {
        branch: String,
        count: usize,
        base: String,
        session: String,
        path: PathBuf,
        /// Where pushing it would keep them: the base's remote, if any.
        remote: Option<String>,
    },
    /// Commits only the worktree holds: on a detached HEAD, in its
    /// per-worktree refs, or only in its HEAD reflog.
    WorktreeCommits { session: String, count: usize },
    /// Uncommitted work an archived session saved, found nowhere else.
    ArchivedWork { session: String },
}

fn commits(count: usize) -> String {
    match count {
        1 => "1 commit that exists".into(),
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
            Risk::HiddenChanges { session, count, .. } => write!(
                f,
                "session '{session}' has {count} changed file{} marked assume-unchanged or skip-worktree",
                if *count == 1 { "" } else { "s" }
            ),
            Risk::NestedRepository { session, path } => write!(
                f,
                "session '{session}' holds a nested repository at {} with commits or changes of its own",
                path.display()
            ),
            Risk::Locked {
                session, reason, ..
            } if reason.is_empty() => {
                write!(f, "session '{session}' is locked")
            }
            Risk::Locked {
                session, reason, ..
            } => {
                write!(f, "session '{session}' is locked ({reason})")
            }
            Risk::Operation {
                session,
                operation,
                path,
            } => write!(
                f,
                "session '{session}' has {operation} in progress: {}",
                operation.next_step(path)
            ),
            Risk::BranchCommits {
                branch,
                count,
                base,
                ..
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
            Risk::ArchivedWork { session } => archived::describe(f, session),
        }
    }
}

impl Risk {
    /// The commands that save this work or clear the way, one line each,
    /// each pasteable alone; AGAIN (the removal, with real names) follows
    /// those after which it can go on. None loses work.
    pub fn hints(&self, again: &str) -> Vec<String> {
        let git_c = |path: &std::path::Path| format!("git -C {}", quote_path(path));
        match self {
            Risk::ArchivedWork { session } => archived::hints(session, again),
            Risk::Changes { path, .. } => vec![
                format!(
                    "{} add -A && {} commit && {again}",
                    git_c(path),
                    git_c(path)
                ),
                format!("{} stash push --include-untracked && {again}", git_c(path)),
            ],
            // Lower-case tags mark assume-unchanged files, `S` skip-worktree.
            Risk::HiddenChanges { path, .. } => {
                vec![format!("{} ls-files -v | grep '^[a-zS]'", git_c(path))]
            }
            Risk::NestedRepository { path, .. } => vec![format!("{} status", git_c(path))],
            Risk::Locked { path, .. } => {
                vec![format!(
                    "git worktree unlock {} && {again}",
                    quote_path(path)
                )]
            }
            Risk::Operation { path, .. } => vec![format!("{} status", git_c(path))],
            Risk::BranchCommits {
                branch,
                session,
                path,
                remote,
                ..
            } => {
                let push = remote.iter().map(|remote| {
                    format!(
                        "{} push -u {} {} && {again}",
                        git_c(path),
                        quote(remote),
                        quote(branch)
                    )
                });
                let keep = format!("sessions rm --keep-branch {}", quote(session));
                push.chain([keep]).collect()
            }
            Risk::WorktreeCommits { session, .. } => {
                vec![format!("sessions show {}", quote(session))]
            }
        }
    }
}

/// What nothing overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    MainWorktree {
        session: String,
    },
    /// A live process doing something inside the worktree: an agent, an
    /// editor, a server, or a shell RUNNING a command. An idle shell is no
    /// blocker (see `Occupant`).
    Process {
        process: String,
        running: Option<String>,
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
    /// Claude Code locked the worktree for its session NAME (`claude -w`,
    /// `claude --bg`), and the process PID that wrote the lock still runs.
    /// A lock whose process is gone is only a `Risk::Locked`.
    ClaudeLock {
        session: String,
        name: String,
        pid: u32,
    },
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::MainWorktree { session } => write!(
                f,
                "session '{session}' points at the main worktree, which is never removed"
            ),
            Blocker::Process {
                process,
                running: None,
                path,
            } => write!(
                f,
                "{process} is working in {}; stop it first",
                path.display()
            ),
            Blocker::Process {
                process,
                running: Some(command),
                path,
            } => write!(
                f,
                "{process} is running {command} in {}; stop it first",
                path.display()
            ),
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
            Blocker::ClaudeLock { session, name, pid } => write!(
                f,
                "session '{session}' is locked by Claude Code session '{name}' (pid {pid}), which is still running; stop it first"
            ),
        }
    }
}

impl Blocker {
    /// What clears it (a command to paste where there is one); `--force`
    /// never does.
    pub fn hint(&self) -> String {
        match self {
            Blocker::LockedAway { path, .. } => {
                format!("git worktree unlock {}", quote_path(path))
            }
            Blocker::MainWorktree { .. } => "sessions doctor".into(),
            // Lists background sessions with the id `claude stop` takes.
            Blocker::ClaudeLock { .. } => "claude agents".into(),
            Blocker::Process { .. } => {
                "--force does not override this; stop the process (or leave its folder) first"
                    .into()
            }
            Blocker::WorktreeInside { path, .. } => {
                format!(
                    "git worktree move {} <a-folder-elsewhere>",
                    quote_path(path)
                )
            }
        }
    }
}

/// What the world looks like, read once and matched against many sessions.
pub(super) struct Surroundings {
    pub worktrees: Vec<Worktree>,
    pub processes: Vec<Process>,
    /// Every session as last saved, for whose base a branch is.
    pub sessions: Vec<Entry>,
}

impl Surroundings {
    pub fn read(ws: &Workspace) -> Result<Surroundings> {
        Ok(Surroundings {
            worktrees: ws.repo.worktrees()?,
            processes: process::snapshot(),
            // A registry that does not parse has no sessions to spare.
            sessions: ws.registry.read().unwrap_or_default(),
        })
    }
}

/// Whether session ENTRY starts from BRANCH.
pub(super) fn is_base_of(entry: &Entry, branch: &str) -> bool {
    entry.base == branch || entry.base.strip_prefix("refs/heads/") == Some(branch)
}

/// What removing one session would mean, worked out before touching anything.
pub(super) struct RemovalPlan {
    pub entry: Entry,
    pub branch: BranchOutcome,
    pub risks: Vec<Risk>,
    pub blockers: Vec<Blocker>,
    /// Idle processes in the folder (shells at their prompt) other than
    /// whoever asked: named in a warning once the folder is gone.
    pub idle: Vec<Process>,
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
    let (busy, idle) = occupancy(&around.processes, &entry.path, options.spare_callers);
    blockers.extend(busy);
    let worktree = worktree_at(&around.worktrees, &entry.path).cloned();
    let gone = worktree_gone(&around.worktrees, &entry.path);
    if let Some(operation) = worktree
        .as_ref()
        .and_then(|w| ws.repo.operation_in_progress(w))
    {
        risks.push(Risk::Operation {
            session: session(),
            operation,
            path: entry.path.clone(),
        });
    }
    match worktree.as_ref().and_then(|w| w.locked.clone()) {
        Some(_) if gone => blockers.push(Blocker::LockedAway {
            session: session(),
            path: entry.path.clone(),
        }),
        Some(reason) => match occupants::claude_lock(&session(), &reason) {
            Some(live) => blockers.push(live),
            None => risks.push(Risk::Locked {
                session: session(),
                reason,
                path: entry.path.clone(),
            }),
        },
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
        let status = ws.repo.workdir(&entry.path).removal_status()?;
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
                path: entry.path.clone(),
            });
        }
        for path in status.nested {
            risks.push(Risk::NestedRepository {
                session: session(),
                path: entry.path.join(path),
            });
        }
    }

    risks.extend(archived::risk(ws, &entry)?);
    let tip = ws.repo.branch_tip(&entry.branch);
    let mut facts = BranchFacts {
        exists: tip.is_some(),
        owned: entry.owns_branch,
        checked_out_elsewhere: around
            .worktrees
            .iter()
            .any(|w| w.branch.as_deref() == Some(entry.branch.as_str()) && w.path != entry.path),
        base_of_session: around
            .sessions
            .iter()
            .any(|e| e.name != entry.name && is_base_of(e, &entry.branch)),
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
            session: session(),
            path: entry.path.clone(),
            remote: ws.repo.remote_of_base(&entry.base),
        });
    }
    // Every branch's commits are accounted for above; here, what only the
    // worktree itself holds.
    if let Some(w) = &worktree {
        let keepers: Vec<_> = tip.into_iter().chain(base_tip).collect();
        let since = entry.created_at.as_second();
        let count = worktree_only_commits(ws, w, since, &keepers, base_tip)?;
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
        idle,
        worktree,
        worktree_gone: gone,
    })
}

/// How many commits only worktree W holds: reachable from its HEAD and its
/// own refs (`refs/worktree/*`), or recorded by its HEAD reflog since SINCE
/// (seconds), and from no branch, tag or remote-tracking ref, nor BASE_TIP.
/// A commit the reflog alone remembers counts only when its changes are in
/// none of KEEPERS and no finished rebase took it up: one rebased by
/// `sync`, `land` or by hand is not lost while the result holds it; one
/// undone by `reset --hard`, dropped, or cut down is.
pub(super) fn worktree_only_commits(
    ws: &Workspace,
    w: &Worktree,
    since: i64,
    keepers: &[Oid],
    base_tip: Option<Oid>,
) -> Result<usize> {
    let starts = worktree_only_starts(ws, w, since, keepers, base_tip)?;
    ws.repo.commits_only_in(&starts, base_tip, None)
}

/// The commits `worktree_only_commits` counts from: W's HEAD and own refs,
/// and the reflog's commits that nothing took up. A commit a finished rebase
/// took up (the result holds its changes, or a copy of it with the same
/// author, date, message and changed paths: a conflict resolved by hand)
/// is not lost as long as that result is not: the result is counted in its
/// place. One the rebase dropped or cut down, or whose result was thrown
/// away (`reset --hard`), is lost like any other.
pub(super) fn worktree_only_starts(
    ws: &Workspace,
    w: &Worktree,
    since: i64,
    keepers: &[Oid],
    base_tip: Option<Oid>,
) -> Result<Vec<Oid>> {
    let tips = ws.repo.worktree_tips(w, since);
    let mut starts = tips.held;
    // The usual case, nothing the reflog alone holds, needs no trial merges.
    if ws.repo.commits_only_in(&tips.logged, base_tip, None)? == 0 {
        return Ok(starts);
    }
    let repo = &ws.repo;
    // The result holds its changes, or its copy: same author, date, message
    // and changed paths (a conflict resolved by hand); each copy stands for
    // one commit only.
    let mut copies = Vec::new();
    let mut took_up = |commit: Oid, result: Oid| {
        if repo.content_merged(commit, result).unwrap_or(false) {
            return true;
        }
        match repo.rebased_copy(commit, result, &copies, REBASE_LOOKBACK) {
            Ok(Some(copy)) => {
                copies.push(copy);
                true
            }
            _ => false,
        }
    };
    let in_keeper = |commit: Oid| {
        keepers
            .iter()
            .any(|keeper| repo.content_merged(commit, *keeper).unwrap_or(false))
    };
    for logged in tips.logged {
        if in_keeper(logged) {
            continue;
        }
        // Followed through every later rebase that took it up in turn; what
        // it ends as is safe in a keeper like any other commit.
        let mut now = logged;
        for rebase in &tips.rebases {
            if rebase.onto != now
                && repo.is_ancestor(now, rebase.from).unwrap_or(false)
                && took_up(now, rebase.onto)
            {
                now = rebase.onto;
            }
        }
        if now == logged || !in_keeper(now) {
            starts.push(now);
        }
    }
    starts.sort();
    starts.dedup();
    Ok(starts)
}

/// How far back a rebase's result is searched for a copy of a commit.
const REBASE_LOOKBACK: usize = 1000;

mod archived;
mod branch;
mod occupants;
mod rewrite;
pub(super) use branch::{BranchFacts, branch_outcome};
pub use branch::{BranchOutcome, Deletion, Keeping, Unpushed};
pub(super) use occupants::busy_in;
use occupants::occupancy;
pub(super) use rewrite::may_rewrite;

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;
