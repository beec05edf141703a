//! Removing a big worktree at once: after the safety checks pass, its
//! folder is renamed into `<git common dir>/sessions/trash/` (same file
//! system, so the rename is instant), git's admin entry is dropped, and a
//! detached `sessions empty-trash` deletes the folder in the background.
//!
//! Each entry `trash/<name>-<unique>` has a lock file beside it,
//! `<name>-<unique>.deleting`, held by whoever deletes it (`rm` from before
//! the rename until its deleter takes over): an entry whose lock nobody
//! holds was left by a deletion killed half-way, and `doctor` finishes it.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::Workspace;
use super::doctor::{Action, Finding, Kind, finding};
use crate::git::{RemovalChecks, Worktree};
use crate::output::tilde;
use crate::registry::lock_file;

const LOCK: &str = "deleting";

/// The trash folder of WS's repository.
fn trash_dir(ws: &Workspace) -> PathBuf {
    ws.repo.common_dir().join("sessions").join("trash")
}

/// `<entry>.deleting` (a session's name may hold dots of its own).
fn lock_of(entry: &Path) -> PathBuf {
    let mut name = entry.as_os_str().to_owned();
    name.push(format!(".{LOCK}"));
    PathBuf::from(name)
}

/// Removes the linked worktree WORKTREE at PATH (session NAME): into the
/// trash and deleted in the background when it can be renamed there;
/// otherwise (another file system, a locked worktree) by `git worktree
/// remove` in place.
pub(super) fn remove_worktree(
    ws: &Workspace,
    name: &str,
    path: &Path,
    worktree: Option<&Worktree>,
    checks: RemovalChecks,
) -> Result<()> {
    let Some(worktree) = worktree.filter(|w| w.admin_name.is_some() && w.locked.is_none()) else {
        return ws.repo.remove_worktree(path, checks);
    };
    let Some((entry, lock)) = new_entry(ws, name) else {
        return ws.repo.remove_worktree(path, checks);
    };
    // EXDEV (the worktree on another file system), or anything else that
    // stops the rename: delete in place, as before.
    if fs::rename(path, &entry).is_err() {
        drop(lock);
        let _ = fs::remove_file(lock_of(&entry));
        return ws.repo.remove_worktree(path, checks);
    }
    if let Err(e) = ws.repo.remove_admin_entry(worktree) {
        // Git must not keep a worktree whose folder is gone: put it back.
        let _ = fs::rename(&entry, path);
        drop(lock);
        let _ = fs::remove_file(lock_of(&entry));
        return Err(e);
    }
    if spawn_deleter(&entry).is_err() {
        // No background process: delete it now, as `git worktree remove` would have.
        empty(&entry, &lock)?;
    }
    Ok(())
}

/// A new trash entry's path for session NAME, and its lock, held; `None`
/// when the trash folder cannot be made or locked.
fn new_entry(ws: &Workspace, name: &str) -> Option<(PathBuf, File)> {
    let dir = trash_dir(ws);
    let entry = dir.join(format!(
        "{name}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    fs::create_dir_all(&dir).ok()?;
    let lock = lock_file(&lock_of(&entry)).ok()?;
    Some((entry, lock))
}

/// Starts `sessions empty-trash ENTRY`, detached: its own process group (a
/// Ctrl-C at the terminal does not reach it), no terminal, not waited for.
fn spawn_deleter(entry: &Path) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find this program to delete the trash")?;
    Command::new(exe)
        .arg("empty-trash")
        .arg(entry)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("cannot start the background deletion")?;
    Ok(())
}

/// `sessions empty-trash ENTRY`: deletes a trash ENTRY, holding its lock
/// (waiting for `rm`, which holds it until it has started us).
pub fn empty_trash(entry: &Path) -> Result<()> {
    let name = entry.file_name().context("not a trash entry")?;
    let in_trash = entry
        .parent()
        .is_some_and(|p| p.ends_with("sessions/trash"));
    anyhow::ensure!(
        in_trash && !name.is_empty(),
        "{} is not in a sessions trash folder",
        entry.display()
    );
    let lock = lock_file(&lock_of(entry))?;
    empty(entry, &lock)
}

/// Deletes ENTRY, then its LOCK file (held).
fn empty(entry: &Path, _lock: &File) -> Result<()> {
    match fs::remove_dir_all(entry) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot delete {}", entry.display())),
    }
    let _ = fs::remove_file(lock_of(entry));
    Ok(())
}

/// Trash entries nobody is deleting: left by a deletion killed half-way.
pub(super) fn leftovers(ws: &Workspace) -> Vec<Finding> {
    let Ok(listing) = fs::read_dir(trash_dir(ws)) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for item in listing.flatten() {
        let entry = item.path();
        // A lock file alone is a deleter killed after its last deletion:
        // empty, and harmless.
        if entry.extension().is_some_and(|e| e == LOCK) {
            continue;
        }
        if !unheld(&lock_of(&entry)) {
            continue;
        }
        found.push(finding(
            Kind::UnfinishedDeletion,
            format!(
                "{} is a removed worktree whose deletion never finished",
                tilde(&entry)
            ),
            "sessions doctor --fix".into(),
            Action::EmptyTrash { entry },
        ));
    }
    found
}

/// Whether nobody holds the lock file LOCK (a missing one included).
fn unheld(lock: &Path) -> bool {
    match File::open(lock) {
        Ok(file) => file.try_lock().is_ok(),
        Err(_) => true,
    }
}

/// `doctor --fix`: deletes the trash ENTRY nobody is deleting.
pub(super) fn finish(entry: &Path) -> Result<String> {
    let lock_path = lock_of(entry);
    let lock = crate::registry::lock_file(&lock_path)?;
    empty(entry, &lock)?;
    Ok(format!("deleted {}", tilde(entry)))
}

/// Deletes FOLDER (in session NAME) the quick way: renamed into the trash
/// and deleted in the background; in place when it cannot be renamed there.
pub(super) fn discard(ws: &Workspace, name: &str, folder: &Path) -> Result<()> {
    if let Some((entry, lock)) = new_entry(ws, name) {
        if fs::rename(folder, &entry).is_ok() {
            if spawn_deleter(&entry).is_err() {
                empty(&entry, &lock)?;
            }
            return Ok(());
        }
        let _ = fs::remove_file(lock_of(&entry));
    }
    fs::remove_dir_all(folder).with_context(|| format!("cannot delete {}", folder.display()))
}
