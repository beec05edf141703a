//! `doctor`: reconcile the registry with git and the file system, and with
//! `--fix` repair what can be repaired without losing work.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

mod agents;
mod archived;
mod missing;
mod repair;
pub(in crate::session) use archived::ArchiveFix;
use archived::archive_findings;
pub(super) use missing::missing_fix;
use missing::missing_folders;
use repair::repair;

use super::adopt::{adopt, adoptable, entry_for};
use super::remove::execute;
use super::safety::{
    self, BranchOutcome, RemoveOptions, Risk, Surroundings, Unpushed, plan_removal,
};
use super::status::{merged_into, worktree_at, worktree_gone};
use super::underway::{self, Leftover};
use super::{Workspace, find_entry, leftovers, relocate, validate};
use crate::claude;
use crate::git::{self, Worktree};
use crate::output::tilde;
use crate::registry::Entry;
use crate::shell::{quote, quote_path};

/// What kind of thing is out of place. One more kind is one more variant
/// here, a function that finds it, and its `Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CorruptRegistry,
    /// A registry entry that breaks the rules (`validate.rs`).
    InvalidEntry,
    DuplicateName,
    MissingFolder,
    /// A session's worktree is there but its branch is gone.
    MissingBranch,
    /// The main worktree moved and linked worktrees lost their way to it.
    MovedRepository,
    /// A linked worktree's folder moved and git lost its way to it.
    MovedWorktree,
    UnownedWorktree,
    /// Git's entry for a linked worktree whose folder is now a symlink.
    SymlinkedWorktree,
    /// A worktree `git worktree add` never finished, outside any session.
    HalfMadeWorktree,
    /// An entry under `.git/worktrees/` a killed `git worktree add` left
    /// without `gitdir`, `commondir` or `HEAD`, outside any pending `new`.
    HalfWrittenAdminEntry,
    /// A `sessions new` that died half-way.
    InterruptedNew,
    /// A `sessions sync` or `land` that died half-way through a rewrite.
    InterruptedRewrite,
    PrunableAdminEntry,
    StaleLock,
    StaleTempFile,
    LeftBranch,
    /// The registry says the agent runs; no process of it does.
    DeadAgent,
    /// A removed worktree in the trash that no deleter is deleting.
    UnfinishedDeletion,
    /// An `archive` or `restore` that stopped half-way, or saved work no
    /// session records.
    InterruptedArchive,
}

/// One thing out of place: what is wrong and the command that fixes it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: Kind,
    pub problem: String,
    pub fix: String,
    /// Whether `--fix` repairs it.
    pub fixable: bool,
    action: Action,
}

#[derive(Debug, Clone)]
pub(super) enum Action {
    Rebuild,
    Unlock {
        admin_name: String,
    },
    DropEntry {
        name: String,
    },
    /// Drops the extra copies of an entry that appears more than once, alike.
    DropCopies {
        name: String,
    },
    /// Forgets an entry whose folder is not its worktree; touches no folder.
    Forget {
        name: String,
    },
    /// Drops git's admin entry of the gone worktree at PATH, that one only.
    DropAdminEntry {
        path: PathBuf,
    },
    /// Removes the half-written admin entry ADMIN, as `git worktree prune` would.
    DropHalfWritten {
        admin: PathBuf,
    },
    Adopt {
        path: PathBuf,
    },
    DeleteBranch {
        branch: String,
    },
    /// `git worktree repair`, from the main worktree.
    RepairLinks,
    /// `git worktree repair -- TO`, and the session's registry path.
    Relocate {
        to: PathBuf,
        session: Option<String>,
    },
    UndoNew {
        name: String,
        pid: u32,
    },
    DeleteTemp {
        file: PathBuf,
    },
    /// Deletes a trash entry whose deleter was killed.
    EmptyTrash {
        entry: PathBuf,
    },
    /// Puts back (or completes) what a killed `sync` or `land` left.
    Recover(Box<Leftover>),
    /// Finishes or undoes a half-done archive or restore.
    Archive(ArchiveFix),
    /// Records a session's agent, whose process is gone, as exited.
    AgentExited {
        name: String,
    },
    Manual,
}

/// What doctor found, and with `--fix` what it repaired.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings that remain.
    pub findings: Vec<Finding>,
    /// What `--fix` repaired, each with what it did.
    pub fixed: Vec<Fixed>,
    /// Repairs that were tried and failed.
    pub failed: Vec<String>,
}

#[derive(Debug)]
pub struct Fixed {
    pub problem: String,
    pub done: String,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Diagnoses; with `fix`, repairs until nothing more can be repaired (one
/// repair may reveal the next, as a rebuilt registry does) and diagnoses again.
pub fn doctor(ws: &Workspace, fix: bool) -> Result<Report> {
    let mut report = Report::default();
    if fix {
        for _ in 0..3 {
            let fixable: Vec<Finding> = diagnose(ws)?.into_iter().filter(|f| f.fixable).collect();
            if fixable.is_empty() {
                break;
            }
            let before = report.fixed.len();
            for finding in fixable {
                match repair(ws, &finding.action) {
                    Ok(done) => report.fixed.push(Fixed {
                        problem: finding.problem,
                        done,
                    }),
                    Err(e) => report.failed.push(format!("{}: {e:#}", finding.problem)),
                }
            }
            if report.fixed.len() == before {
                break;
            }
        }
    }
    report.findings = diagnose(ws)?;
    Ok(report)
}

pub(super) fn finding(kind: Kind, problem: String, fix: String, action: Action) -> Finding {
    Finding {
        kind,
        problem,
        fixable: !matches!(action, Action::Manual),
        fix,
        action,
    }
}

/// What the findings so far already explain, so that no later check
/// proposes a second, conflicting repair for the same thing (adopting a
/// half-made worktree, dropping a session that only moved).
#[derive(Default)]
pub(super) struct Explained {
    /// Worktree folders, as git records them.
    pub paths: Vec<PathBuf>,
    /// Sessions, by name.
    pub sessions: Vec<String>,
    pub branches: Vec<String>,
    /// Half-written entries under `.git/worktrees/`, by name.
    pub admin_entries: Vec<String>,
}

fn diagnose(ws: &Workspace) -> Result<Vec<Finding>> {
    let worktrees = ws.repo.worktrees()?;
    let mut found = stale_locks(&worktrees);
    found.extend(leftovers::temp_files(ws)?);
    found.extend(super::trash::leftovers(ws));
    if let Some(why) = ws.registry.corruption()? {
        found.push(finding(
            Kind::CorruptRegistry,
            why,
            "sessions doctor --fix".into(),
            Action::Rebuild,
        ));
        // Nothing else can be judged against a registry we cannot read.
        return Ok(found);
    }
    let entries = ws.registry.read()?;
    let mut explained = Explained::default();
    found.extend(validate::invalid_entries(
        ws,
        &worktrees,
        &entries,
        &mut explained,
    ));
    found.extend(leftovers::interrupted_news(
        ws,
        &worktrees,
        &entries,
        &mut explained,
    )?);
    found.extend(leftovers::half_written(ws, &explained));
    found.extend(interrupted_rewrites(ws)?);
    found.extend(archive_findings(ws, &worktrees, &entries)?);
    // An archived session's worktree is gone on purpose: nothing below
    // (missing folders and branches, moves, dead agents) concerns it.
    let archived = entries.iter().filter(|e| e.is_archived());
    explained.sessions.extend(archived.map(|e| e.name.clone()));
    let live: Vec<Entry> = entries
        .iter()
        .filter(|e| !e.is_archived())
        .cloned()
        .collect();
    let moves = relocate::moves(ws, &worktrees, &live, &mut explained);
    let moving = !moves.is_empty();
    found.extend(moves);
    found.extend(missing_folders(ws, &worktrees, &entries, &explained)?);
    found.extend(missing_branches(ws, &worktrees, &entries, &explained));
    found.extend(stray_worktrees(
        ws, &worktrees, &entries, &explained, moving,
    ));
    found.extend(left_branches(ws, &worktrees, &entries, &explained)?);
    found.extend(agents::dead_agents(&entries, &explained));
    Ok(found)
}

/// `sync`s and `land`s killed before they finished or put things back.
fn interrupted_rewrites(ws: &Workspace) -> Result<Vec<Finding>> {
    Ok(underway::leftovers(&ws.repo)?
        .into_iter()
        .map(|leftover| {
            finding(
                Kind::InterruptedRewrite,
                format!(
                    "{} was interrupted half-way in session '{}'{}",
                    leftover.command,
                    leftover.session,
                    match &leftover.stale_index_lock {
                        Some(lock) => format!(", and its killed git left {}", tilde(lock)),
                        None => String::new(),
                    }
                ),
                "sessions doctor --fix".into(),
                Action::Recover(Box::new(leftover)),
            )
        })
        .collect())
}

/// What worktree W alone holds (by its HEAD, its own refs or its reflog)
/// that no branch, tag, remote-tracking ref or the default base has:
/// dropping its admin entry would lose it.
enum Held {
    Nothing,
    /// The commit that, put on a branch, rescues the most of it: HEAD may
    /// well be on the base while the reflog alone has the work.
    From(git::Oid),
    /// It could not be judged: counts as holding some.
    Unknown,
}

fn only_held_by(ws: &Workspace, w: &Worktree) -> Held {
    let base = (ws.repo.default_branch().ok()).and_then(|b| ws.repo.resolve_base(&b));
    let branch_tip = w.branch.as_deref().and_then(|b| ws.repo.branch_tip(b));
    let keepers: Vec<_> = base.into_iter().chain(branch_tip).collect();
    let Ok(starts) = safety::worktree_only_starts(ws, w, 0, &keepers, base) else {
        return Held::Unknown;
    };
    let mut best = None;
    for start in starts {
        match ws.repo.commits_only_in(&[start], base, None) {
            Ok(0) => {}
            Ok(count) if best.is_none_or(|(most, _)| count > most) => best = Some((count, start)),
            Ok(_) => {}
            Err(_) => return Held::Unknown,
        }
    }
    best.map_or(Held::Nothing, |(_, start)| Held::From(start))
}

/// Locks Claude Code put on worktrees, held by processes that are gone.
fn stale_locks(worktrees: &[Worktree]) -> Vec<Finding> {
    let mut found = Vec::new();
    for w in worktrees {
        let (Some(admin_name), Some(reason)) = (&w.admin_name, &w.locked) else {
            continue;
        };
        if let Some(lock) = claude::parse_lock(reason)
            && !lock.is_held()
        {
            found.push(finding(
                Kind::StaleLock,
                format!(
                    "{} is locked by Claude Code session '{}', but its process (pid {}) is gone",
                    tilde(&w.path),
                    lock.session,
                    lock.pid
                ),
                format!("git worktree unlock {}", quote_path(&w.path)),
                Action::Unlock {
                    admin_name: admin_name.clone(),
                },
            ));
        }
    }
    found
}

/// Sessions whose worktree stays but whose branch is gone (deleted by hand):
/// their last commit is then only in the worktree's HEAD reflog, which
/// expires. Recreating the branch is left to the user, with the command.
fn missing_branches(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    explained: &Explained,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for e in entries
        .iter()
        .filter(|e| !explained.sessions.contains(&e.name))
    {
        let Some(w) = worktree_at(worktrees, &e.path).filter(|w| !w.prunable) else {
            continue;
        };
        if ws.repo.branch_tip(&e.branch).is_some() {
            continue;
        }
        let last = git::last_logged(&ws.repo.admin_dir(w).join("logs/HEAD"));
        let fix = match last {
            Some((commit, _)) => format!("git branch {} {commit}", quote(&e.branch)),
            None => format!("git -C {} reflog", quote_path(&e.path)),
        };
        found.push(finding(
            Kind::MissingBranch,
            format!(
                "session '{}': its branch '{}' is gone; its worktree {} stays, and its last commit is only in that worktree's reflog",
                e.name,
                e.branch,
                tilde(&e.path)
            ),
            fix,
            Action::Manual,
        ));
    }
    found
}

/// Git's worktrees that no session owns: made elsewhere (adopt them), half
/// made by a killed `git worktree add`, symlinks, or gone (prune them).
fn stray_worktrees(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    explained: &Explained,
    moving: bool,
) -> Vec<Finding> {
    let home = ws.repo.home_dir();
    let owned = |w: &Worktree| entries.iter().any(|e| e.path == w.path);
    let mut found = Vec::new();
    for w in worktrees.iter().filter(|w| w.admin_name.is_some()) {
        if explained.paths.contains(&w.path) {
            continue;
        }
        if w.prunable {
            // Pruning now would also drop the entries of moved worktrees.
            if !owned(w) && w.locked.is_none() && !moving {
                let admin_name = w.admin_name.as_deref().unwrap_or("worktree");
                found.push(match only_held_by(ws, w) {
                    // Its HEAD, refs or reflog is all that keeps these commits.
                    Held::From(start) => finding(
                        Kind::PrunableAdminEntry,
                        format!(
                            "git still records worktree {}, which is gone; it alone holds commits found nowhere else (by its HEAD or its reflog)",
                            tilde(&w.path)
                        ),
                        format!("git branch {} {}", quote(&format!("rescued-{admin_name}")), git::short(start)),
                        Action::Manual,
                    ),
                    Held::Unknown => finding(
                        Kind::PrunableAdminEntry,
                        format!(
                            "git still records worktree {}, which is gone; what it alone holds cannot be told",
                            tilde(&w.path)
                        ),
                        format!("git log -g --oneline {}", quote(&format!("worktrees/{admin_name}/HEAD"))),
                        Action::Manual,
                    ),
                    Held::Nothing => finding(
                        Kind::PrunableAdminEntry,
                        format!(
                            "git still records worktree {}, which is gone",
                            tilde(&w.path)
                        ),
                        "sessions doctor --fix".into(),
                        Action::DropAdminEntry {
                            path: w.path.clone(),
                        },
                    ),
                });
            }
            continue;
        }
        if let Some(link) = symlinked(ws, w) {
            found.push(finding(
                Kind::SymlinkedWorktree,
                format!(
                    "git's worktree {} is now a symlink to {}, not a worktree",
                    tilde(&link),
                    tilde(&w.path)
                ),
                format!("rm -- {} && sessions doctor --fix", quote_path(&link)),
                Action::Manual,
            ));
        } else if w.locked.as_deref() == Some(git::ADD_LOCK) {
            found.push(finding(
                Kind::HalfMadeWorktree,
                format!(
                    "worktree {} was never finished: `git worktree add` was interrupted; removing it deletes that folder with anything in it",
                    tilde(&w.path)
                ),
                format!(
                    "git worktree remove --force --force {}",
                    quote_path(&w.path)
                ),
                Action::Manual,
            ));
        } else if !owned(w) {
            let made_by = if claude::is_claude_worktree(home, &w.path) {
                "made by `claude -w`"
            } else {
                "made outside sessions"
            };
            found.push(finding(
                Kind::UnownedWorktree,
                format!(
                    "worktree {} ({made_by}) belongs to no session",
                    tilde(&w.path)
                ),
                format!("sessions adopt {}", quote_path(&w.path)),
                Action::Adopt {
                    path: w.path.clone(),
                },
            ));
        }
    }
    found
}

/// The folder git records for linked worktree W, when it is a symlink (to
/// the main worktree, or to another worktree) rather than a worktree.
pub(super) fn symlinked(ws: &Workspace, w: &Worktree) -> Option<PathBuf> {
    let recorded = ws.repo.recorded_path(w).unwrap_or_else(|| w.path.clone());
    let is_link = fs::symlink_metadata(&recorded).is_ok_and(|m| m.is_symlink());
    let is_main = ws.repo.main_worktree() == Some(w.path.as_path());
    (is_link || is_main).then_some(recorded)
}

/// Branches that removed sessions created and kept, that nothing uses any
/// more. Only branches the registry records as made by `sessions` are judged:
/// a user's own branch is never reported, let alone deleted.
fn left_branches(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    explained: &Explained,
) -> Result<Vec<Finding>> {
    let in_use = |branch: &str| {
        worktrees
            .iter()
            .any(|w| w.branch.as_deref() == Some(branch))
            || entries
                .iter()
                .any(|e| e.branch == branch || safety::is_base_of(e, branch))
            || explained.branches.iter().any(|b| b == branch)
    };
    let mut found = Vec::new();
    for left in ws.registry.read_left_branches()? {
        let (branch, base) = (left.branch, left.base);
        let Some(tip) = ws.repo.branch_tip(&branch) else {
            continue;
        };
        if in_use(&branch) {
            continue;
        }
        let merged = match ws.repo.resolve_base(&base) {
            Some(base_tip) => merged_into(&ws.repo, tip, base_tip)?,
            None => false,
        };
        // Deleting an unmerged branch drops its work: the fix shows that
        // work first, and the problem says what deleting it costs.
        let (action, state, fix) = if merged {
            (
                Action::DeleteBranch {
                    branch: branch.clone(),
                },
                format!("merged into {base}"),
                format!("git branch -D {}", quote(&branch)),
            )
        } else {
            (
                Action::Manual,
                format!(
                    "not merged into {base}; once its work is merged or unwanted, `git branch -D {}` deletes it and the commits only it has",
                    quote(&branch)
                ),
                format!("git log --oneline {}", quote(&format!("{base}..{branch}"))),
            )
        };
        found.push(finding(
            Kind::LeftBranch,
            format!(
                "branch '{branch}' of removed session '{}' is left behind, {state}",
                left.session
            ),
            fix,
            action,
        ));
    }
    Ok(found)
}
