//! `doctor`: reconcile the registry with git and the file system, and with
//! `--fix` repair what can be repaired without losing work.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::adopt::{adopt, entry_for};
use super::remove::execute;
use super::safety::{RemoveOptions, Surroundings, Unpushed, plan_removal};
use super::status::{worktree_at, worktree_gone};
use super::{Workspace, find_entry};
use crate::claude;
use crate::git::Worktree;
use crate::output::tilde;
use crate::process;

/// One thing out of place: what is wrong and the command that fixes it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `corrupt_registry`, `missing_folder`, `unowned_worktree`,
    /// `prunable_admin_entry`, `stale_lock` or `left_branch`.
    pub kind: &'static str,
    pub problem: String,
    pub fix: String,
    /// Whether `--fix` repairs it.
    pub fixable: bool,
    #[serde(skip)]
    action: Action,
}

#[derive(Debug, Clone)]
enum Action {
    Rebuild,
    Unlock { admin_name: String },
    DropEntry { name: String },
    Prune,
    Adopt { path: PathBuf },
    DeleteBranch { branch: String },
    Manual,
}

/// What doctor found, and with `--fix` what it repaired.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Findings that remain.
    pub findings: Vec<Finding>,
    /// What `--fix` repaired, each with what it did.
    pub fixed: Vec<Fixed>,
    /// Repairs that were tried and failed.
    pub failed: Vec<String>,
}

#[derive(Debug, Serialize)]
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

fn finding(kind: &'static str, problem: String, fix: String, action: Action) -> Finding {
    Finding {
        kind,
        problem,
        fixable: !matches!(action, Action::Manual),
        fix,
        action,
    }
}

fn diagnose(ws: &Workspace) -> Result<Vec<Finding>> {
    let mut found = Vec::new();
    let worktrees = ws.repo.worktrees()?;
    let home = ws.repo.home_dir().to_path_buf();

    for w in &worktrees {
        let (Some(admin_name), Some(reason)) = (&w.admin_name, &w.locked) else {
            continue;
        };
        if let Some(lock) = claude::parse_lock(reason)
            && !process::is_alive(lock.pid)
        {
            found.push(finding(
                "stale_lock",
                format!(
                    "{} is locked by Claude Code session '{}', but pid {} is gone",
                    tilde(&w.path),
                    lock.session,
                    lock.pid
                ),
                format!("git worktree unlock {}", w.path.display()),
                Action::Unlock {
                    admin_name: admin_name.clone(),
                },
            ));
        }
    }

    if let Some(why) = ws.registry.corruption()? {
        found.push(finding(
            "corrupt_registry",
            why,
            "sessions doctor --fix".into(),
            Action::Rebuild,
        ));
        // Nothing else can be judged against a registry we cannot read.
        return Ok(found);
    }
    let entries = ws.registry.read()?;
    let owned = |w: &Worktree| entries.iter().any(|e| e.path == w.path);

    for e in entries
        .iter()
        .filter(|e| worktree_gone(&worktrees, &e.path))
    {
        let what = if e.path.is_dir() {
            "is no longer a git worktree"
        } else {
            "is gone"
        };
        found.push(finding(
            "missing_folder",
            format!("session '{}': its folder {} {what}", e.name, tilde(&e.path)),
            format!("sessions rm {}", e.name),
            Action::DropEntry {
                name: e.name.clone(),
            },
        ));
    }
    for w in worktrees.iter().filter(|w| w.admin_name.is_some()) {
        if w.prunable {
            if !owned(w) && w.locked.is_none() {
                found.push(finding(
                    "prunable_admin_entry",
                    format!(
                        "git still records worktree {}, which is gone",
                        tilde(&w.path)
                    ),
                    "git worktree prune".into(),
                    Action::Prune,
                ));
            }
        } else if !owned(w) {
            let made_by = if claude::is_claude_worktree(&home, &w.path) {
                "made by `claude -w`"
            } else {
                "made outside sessions"
            };
            found.push(finding(
                "unowned_worktree",
                format!(
                    "worktree {} ({made_by}) belongs to no session",
                    tilde(&w.path)
                ),
                format!("sessions adopt {}", w.path.display()),
                Action::Adopt {
                    path: w.path.clone(),
                },
            ));
        }
    }
    found.extend(left_branches(ws, &worktrees, &entries)?);
    Ok(found)
}

/// Branches of removed sessions, and of removed `claude -w` worktrees, that
/// nothing uses any more.
fn left_branches(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[crate::registry::Entry],
) -> Result<Vec<Finding>> {
    let in_use = |branch: &str| {
        worktrees
            .iter()
            .any(|w| w.branch.as_deref() == Some(branch))
            || entries.iter().any(|e| e.branch == branch)
    };
    let mut candidates: Vec<(String, String, String)> = Vec::new();
    for left in ws.registry.read_left_branches()? {
        candidates.push((
            left.branch,
            format!("of removed session '{}'", left.session),
            left.base,
        ));
    }
    let default = ws.repo.default_branch().ok();
    for branch in ws.repo.local_branches()? {
        if let (Some(_), Some(base)) = (branch.strip_prefix(claude::BRANCH_PREFIX), &default)
            && !candidates.iter().any(|c| c.0 == branch)
        {
            candidates.push((
                branch,
                "of a removed `claude -w` worktree".into(),
                base.clone(),
            ));
        }
    }
    let mut found = Vec::new();
    for (branch, whose, base) in candidates {
        let Some(tip) = ws.repo.branch_tip(&branch) else {
            continue;
        };
        if in_use(&branch) {
            continue;
        }
        let merged = match ws.repo.try_resolve_commit(&base) {
            Some(base_tip) => ws.repo.content_merged(tip, base_tip)?,
            None => false,
        };
        let (fix, action, state) = if merged {
            (
                format!("git branch -D {branch}"),
                Action::DeleteBranch {
                    branch: branch.clone(),
                },
                format!("merged into {base}"),
            )
        } else {
            (
                format!("git branch -D {branch}"),
                Action::Manual,
                format!("not merged into {base}; delete it once its work is merged or unwanted"),
            )
        };
        found.push(finding(
            "left_branch",
            format!("branch '{branch}' {whose} is left behind, {state}"),
            fix,
            action,
        ));
    }
    Ok(found)
}

/// Carries out one repair; says what it did.
fn repair(ws: &Workspace, action: &Action) -> Result<String> {
    match action {
        Action::Rebuild => {
            let mut sessions = Vec::new();
            for w in ws
                .repo
                .worktrees()?
                .iter()
                .filter(|w| w.admin_name.is_some() && !w.prunable && w.branch.is_some())
            {
                let entry = entry_for(ws, w)?;
                if !sessions
                    .iter()
                    .any(|e: &crate::registry::Entry| e.name == entry.name)
                {
                    sessions.push(entry);
                }
            }
            let count = sessions.len();
            let backup = ws.registry.rebuild(sessions)?;
            Ok(format!(
                "rebuilt the registry with {count} session(s) from git's worktrees; the broken file is kept as {}",
                backup.display()
            ))
        }
        Action::Unlock { admin_name } => {
            ws.repo.unlock_worktree(admin_name)?;
            Ok(format!("released the lock on worktree '{admin_name}'"))
        }
        Action::DropEntry { name } => drop_missing(ws, name),
        Action::Prune => {
            ws.repo.prune_worktrees()?;
            Ok("pruned git's worktree admin entries".into())
        }
        Action::Adopt { path } => {
            let (adopted, _) = adopt(ws, std::slice::from_ref(path), false)?;
            let names: Vec<&str> = adopted.iter().map(|e| e.name.as_str()).collect();
            Ok(format!("adopted it as session '{}'", names.join(", ")))
        }
        Action::DeleteBranch { branch } => {
            let mut registry = ws.registry.lock()?;
            ws.repo.delete_branch(branch)?;
            registry.left_branches.retain(|l| &l.branch != branch);
            registry.save()?;
            Ok(format!("deleted merged branch '{branch}'"))
        }
        Action::Manual => bail!("this needs a decision only you can make"),
    }
}

/// Drops the entry of a session whose folder is gone, and git's admin entry
/// with it. Its branch goes only when merged; otherwise it is kept.
fn drop_missing(ws: &Workspace, name: &str) -> Result<String> {
    let mut registry = ws.registry.lock()?;
    let entry = find_entry(&registry.sessions, name)?.clone();
    let around = Surroundings::read(ws)?;
    if !worktree_gone(&around.worktrees, &entry.path) {
        bail!("its worktree is back");
    }
    if let Some(reason) = worktree_at(&around.worktrees, &entry.path).and_then(|w| w.locked.clone())
    {
        bail!(
            "git has it locked ({reason}); unlock it with `git worktree unlock` if that lock is stale"
        );
    }
    // Unpushed commits stay on the branch; anything else at risk (commits
    // only the worktree holds, an operation in progress) keeps the session.
    let options = RemoveOptions {
        unpushed: Unpushed::KeepBranch,
        ..RemoveOptions::default()
    };
    let plan = plan_removal(ws, &around, entry, options)?;
    if !plan.is_safe() {
        bail!(plan.objections().join("; "));
    }
    let removed = execute(ws, &mut registry, plan, options).context("cannot drop the entry")?;
    Ok(match removed.branch {
        super::BranchFate::Deleted { branch, .. } => {
            format!("dropped the entry and deleted merged branch '{branch}'")
        }
        super::BranchFate::Kept { branch, why } => {
            format!("dropped the entry; kept branch '{branch}': {why}")
        }
    })
}
