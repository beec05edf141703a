//! What processes killed half-way leave behind: the worktree and branch of a
//! `sessions new` that died (its `registry::Pending` record says what it was
//! making), and registry temp files of writers that died before renaming.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Workspace;
use super::doctor::{Action, Explained, Finding, Kind, finding};
use super::safety::{RemoveOptions, Surroundings, plan_removal};
use crate::git::{self, HalfWritten, Oid, RemovalChecks, Worktree};
use crate::output::tilde;
use crate::process;
use crate::registry::{Entry, Pending};
use crate::shell::quote_path;

/// `registry.toml.tmp-<pid>` files whose writer is gone.
pub(super) fn temp_files(ws: &Workspace) -> Result<Vec<Finding>> {
    let file = ws.registry.file();
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{}.tmp-", name.to_string_lossy());
    let Ok(listing) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for item in listing.flatten() {
        let path = item.path();
        if stale_temp_pid(&path, &prefix).is_some() {
            found.push(finding(
                Kind::StaleTempFile,
                format!(
                    "{} was left by a registry write that never finished",
                    tilde(&path)
                ),
                format!("rm -- {}", quote_path(&path)),
                Action::DeleteTemp { file: path },
            ));
        }
    }
    Ok(found)
}

/// The dead writer's pid, when FILE is a temp file named PREFIX<pid>.
fn stale_temp_pid(file: &Path, prefix: &str) -> Option<u32> {
    let name = file.file_name()?.to_string_lossy().into_owned();
    let pid: u32 = name.strip_prefix(prefix)?.parse().ok()?;
    // Its writer started before it last wrote it.
    let written = fs::metadata(file).and_then(|m| m.modified()).ok();
    (pid != std::process::id() && !process::wrote_and_runs(pid, None, written)).then_some(pid)
}

pub(super) fn delete_temp(file: &Path) -> Result<String> {
    let prefix = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .and_then(|n| n.find(".tmp-").map(|i| n[..i + ".tmp-".len()].to_string()))
        .context("not a temp file")?;
    if stale_temp_pid(file, &prefix).is_none() {
        bail!("its writer is running");
    }
    fs::remove_file(file).with_context(|| format!("cannot delete {}", file.display()))?;
    Ok(format!("deleted {}", tilde(file)))
}

/// `sessions new` runs that died half-way. `new` holds the registry lock
/// from writing its pending record to removing it, so a record seen under
/// the lock is a leftover; its pid is checked too, in case a reused one
/// still runs.
pub(super) fn interrupted_news(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    explained: &mut Explained,
) -> Result<Vec<Finding>> {
    if !ws.registry.file().exists() {
        return Ok(Vec::new());
    }
    let pending = ws.registry.lock()?.pending.clone();
    let half_written = ws.repo.half_written_entries();
    let mut found = Vec::new();
    for p in pending {
        let w = worktree_of(worktrees, &p.path);
        let h = w
            .is_none()
            .then(|| half_written_of(&half_written, &p.path))
            .flatten();
        if let Some(h) = h {
            explained.admin_entries.push(h.name.clone());
        }
        if let Some(w) = w {
            explained.paths.push(w.path.clone());
        }
        explained.branches.push(p.branch.clone());
        let mut left = Vec::new();
        match (w, h) {
            (Some(w), _) if w.locked.as_deref() == Some(git::ADD_LOCK) => {
                left.push(format!("half-made worktree {}", tilde(&w.path)))
            }
            (Some(w), _) => left.push(format!("worktree {}", tilde(&w.path))),
            (None, Some(h)) => left.push(format!(
                "git's half-written entry {} for folder {}",
                tilde(&h.admin),
                tilde(&p.path)
            )),
            (None, None) if p.path.exists() => left.push(format!("folder {}", tilde(&p.path))),
            (None, None) => {}
        }
        let made_branch = p.creates_branch
            && ws.repo.branch_tip(&p.branch).is_some()
            && !entries.iter().any(|e| e.branch == p.branch);
        if made_branch {
            left.push(format!("branch '{}'", p.branch));
        }
        let left = if left.is_empty() {
            "nothing else".to_string()
        } else {
            left.join(" and ")
        };
        let what = format!(
            "`sessions new {}` (pid {}, started {}) did not finish; it left {left}",
            p.name, p.pid, p.started_at
        );
        found.push(if p.writer_runs() {
            finding(
                Kind::InterruptedNew,
                // No `new` runs without the lock we just held: the pid was
                // reused. Never suggest killing it.
                format!(
                    "{what}; pid {} now belongs to another program, and `--fix` waits for it to exit",
                    p.pid
                ),
                "sessions doctor --fix".into(),
                Action::Manual,
            )
        } else {
            finding(
                Kind::InterruptedNew,
                what,
                "sessions doctor --fix".into(),
                Action::UndoNew {
                    name: p.name.clone(),
                    pid: p.pid,
                },
            )
        });
    }
    Ok(found)
}

/// Admin entries without `gitdir`, `commondir` or `HEAD` that no pending
/// record explains: left by a killed `git worktree add`, or by a killed
/// `git worktree remove` half-way through deleting one. Git records no pid
/// that would tell a dead `git worktree add` from one running now, so
/// `--fix` removes only what `git worktree prune` would: an entry that is
/// not locked (a running add locks its entry first) and whose folder is
/// gone or unknown.
pub(super) fn half_written(ws: &Workspace, explained: &Explained) -> Vec<Finding> {
    let mut found = Vec::new();
    for h in ws.repo.half_written_entries() {
        if explained.admin_entries.contains(&h.name) {
            continue;
        }
        let folder = match &h.path {
            Some(path) => format!(" for folder {}", tilde(path)),
            None => String::new(),
        };
        let (fix, action) = if prunable(&h) {
            (
                "sessions doctor --fix".to_string(),
                Action::DropHalfWritten {
                    admin: h.admin.clone(),
                },
            )
        } else {
            (format!("ls -a -- {}", quote_path(&h.admin)), Action::Manual)
        };
        found.push(finding(
            Kind::HalfWrittenAdminEntry,
            format!(
                "git's worktree entry {}{folder} is half-written (a `git worktree add` or `remove` was interrupted), and git may fail on it",
                tilde(&h.admin)
            ),
            fix,
            action,
        ));
    }
    found
}

/// Whether `git worktree prune` would remove half-written entry H: not
/// locked, and its folder unknown or gone.
fn prunable(h: &HalfWritten) -> bool {
    !h.admin.join("locked").exists() && h.path.as_ref().is_none_or(|p| !p.exists())
}

pub(super) fn drop_half_written(ws: &Workspace, admin: &Path) -> Result<String> {
    let entries = ws.repo.half_written_entries();
    let Some(h) = entries.iter().find(|h| h.admin == admin) else {
        bail!("it is gone or complete now");
    };
    if !prunable(h) {
        bail!("it is locked now, or its folder is back");
    }
    ws.repo.remove_half_written(h, None)?;
    Ok(format!("removed git's half-written entry {}", tilde(admin)))
}

/// The half-written admin entry for worktree folder PATH: its `gitdir`
/// names PATH, or, written before `gitdir` was, its name is the one git
/// gives PATH (the folder's name, then a number if that was taken).
fn half_written_of<'a>(entries: &'a [HalfWritten], path: &Path) -> Option<&'a HalfWritten> {
    let real = fs::canonicalize(path).ok();
    let base = path.file_name()?.to_string_lossy().into_owned();
    let named = |h: &HalfWritten| {
        h.name
            .strip_prefix(base.as_str())
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
    };
    entries.iter().find(|h| match &h.path {
        Some(p) => p == path || real.is_some() && fs::canonicalize(p).ok() == real,
        None => named(h),
    })
}

/// Git's worktree at PATH (as recorded or resolved), if any.
fn worktree_of<'a>(worktrees: &'a [Worktree], path: &Path) -> Option<&'a Worktree> {
    let real = fs::canonicalize(path).ok();
    worktrees
        .iter()
        .filter(|w| w.admin_name.is_some())
        .find(|w| w.path == path || Some(&w.path) == real.as_ref())
}

/// Undoes what the dead `sessions new NAME` (pid PID) made, as far as it
/// holds nothing: its worktree when git never finished it or it is clean,
/// its branch when it made it and every commit on it is on another branch.
/// Whatever holds work stays: the worktree for `adopt`, the branch recorded
/// as left behind. Then the pending record goes.
pub(super) fn undo_new(ws: &Workspace, name: &str, pid: u32) -> Result<String> {
    let mut registry = ws.registry.lock()?;
    let Some(p) = registry
        .pending
        .iter()
        .find(|p| p.name == name && p.pid == pid)
        .cloned()
    else {
        bail!("its record is gone");
    };
    if p.writer_runs() {
        bail!("pid {} still runs", p.pid);
    }
    let mut done = vec![undo_worktree(ws, &registry.sessions, &p)?];
    let in_use = ws
        .repo
        .worktrees()?
        .iter()
        .any(|w| w.branch.as_deref() == Some(&p.branch))
        || registry.sessions.iter().any(|e| e.branch == p.branch);
    // The dead `new` made the branch and nothing checks it out: a lock on
    // it is that `new`'s (its `git worktree add` was updating it), and
    // would stop the branch from ever being deleted or updated.
    if p.creates_branch && !in_use && ws.repo.remove_branch_lock(&p.branch)? {
        done.push(format!("removed the stale lock of branch '{}'", p.branch));
    }
    if p.creates_branch
        && let Some(tip) = ws.repo.branch_tip(&p.branch)
    {
        if in_use {
            done.push(format!("kept branch '{}': it is in use", p.branch));
        } else if on_another_branch(ws, &p.branch, tip)? {
            ws.repo.delete_branch(&p.branch)?;
            done.push(format!("deleted branch '{}'", p.branch));
        } else {
            registry.leave_branch(&p.name, &p.branch, &ws.repo.default_branch()?);
            done.push(format!(
                "kept branch '{}': it has commits no other branch has",
                p.branch
            ));
        }
    }
    registry.pending.retain(|q| q != &p);
    registry.save()?;
    Ok(done.join("; "))
}

/// Removes the worktree (or bare folder) pending record P names, when that
/// loses nothing; says what it did.
fn undo_worktree(ws: &Workspace, sessions: &[Entry], p: &Pending) -> Result<String> {
    let worktrees = ws.repo.worktrees()?;
    let shown = tilde(&p.path);
    let real = fs::canonicalize(&p.path).unwrap_or_else(|_| p.path.clone());
    if sessions.iter().any(|e| e.path == p.path || e.path == real) {
        return Ok(format!("left {shown} alone: it is a session's"));
    }
    let Some(w) = worktree_of(&worktrees, &p.path) else {
        let mut removed = String::new();
        if let Some(h) = half_written_of(&ws.repo.half_written_entries(), &p.path) {
            if !h.removable {
                return Ok(format!(
                    "kept git's entry {} for {shown}: it holds more than `git worktree add` writes first",
                    tilde(&h.admin)
                ));
            }
            ws.repo.remove_half_written(h, Some(&p.path))?;
            removed = format!("removed git's half-written entry {}; ", tilde(&h.admin));
        }
        if !p.path.exists() {
            return Ok(format!("{removed}no worktree was made"));
        }
        if git::is_nonempty_dir(&p.path) {
            return Ok(format!("{removed}kept {shown}: it is not empty"));
        }
        fs::remove_dir(&p.path).with_context(|| format!("cannot remove {shown}"))?;
        return Ok(format!("{removed}removed the empty folder {shown}"));
    };
    // Git never finished checking it out: nothing there is anyone's work.
    let half_made = w.locked.as_deref() == Some(git::ADD_LOCK);
    if w.prunable {
        // The lock of a half-made one is the dead `new`'s `git worktree add`'s.
        if half_made && let Some(name) = &w.admin_name {
            ws.repo.unlock_worktree(name)?;
        }
        ws.repo.remove_admin_entry(w)?;
        return Ok(format!("pruned git's entry for {shown}, which is gone"));
    }
    if !half_made {
        if w.branch.as_deref() != Some(p.branch.as_str()) {
            return Ok(format!("kept {shown}: it is not on branch '{}'", p.branch));
        }
        // The same rules as `rm`: changes, hidden changes, nested
        // repositories, commits only this worktree holds, an operation in
        // progress, a lock, a process working there.
        let entry = Entry {
            name: p.name.clone(),
            branch: p.branch.clone(),
            path: w.path.clone(),
            base: ws.repo.default_branch()?,
            base_commit: String::new(),
            created_at: p.started_at,
            owns_branch: p.creates_branch,
            port: None,
            agent: None,
            archived: None,
        };
        let keep_branch = RemoveOptions {
            keep_branch: true,
            ..RemoveOptions::default()
        };
        let plan = plan_removal(ws, &Surroundings::read(ws)?, entry, keep_branch)?;
        if !plan.is_safe() {
            return Ok(format!(
                "kept {shown}: {} (`sessions adopt {}` makes it a session)",
                plan.objections().join("; "),
                w.path.display()
            ));
        }
    }
    // Checked just now, or never checked out at all.
    let checks = if half_made {
        RemovalChecks::None
    } else {
        RemovalChecks::DoneByCaller
    };
    ws.repo.remove_worktree(&w.path, checks)?;
    let what = if half_made { "half-made" } else { "clean" };
    Ok(format!("removed the {what} worktree {shown}"))
}

/// Whether every commit on BRANCH (at TIP) is also on another local branch
/// or on the default base, so that deleting it loses nothing.
fn on_another_branch(ws: &Workspace, branch: &str, tip: Oid) -> Result<bool> {
    let mut others: Vec<Oid> = ws
        .repo
        .local_branches()?
        .iter()
        .filter(|b| b.as_str() != branch)
        .filter_map(|b| ws.repo.branch_tip(b))
        .collect();
    if let Some(base) = ws
        .repo
        .default_branch()
        .ok()
        .and_then(|b| ws.repo.resolve_base(&b))
    {
        others.push(base);
    }
    for other in others {
        if ws.repo.is_ancestor(tip, other)? {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
