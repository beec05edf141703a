//! Worktrees made by other tools (`git worktree add`, `claude -w`) joining
//! the sessions, and with them the safety rules.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Workspace;
use super::doctor::symlinked;
use crate::error::Failure;
use crate::git::{self, Worktree};
use crate::name;
use crate::registry::Entry;

const NOT_ADOPTABLE: &str =
    "not a finished worktree of its own (half-made by `git worktree add`, gone, or a symlink)";

/// A worktree `adopt --all` passed over, and why.
pub struct Skipped {
    pub path: PathBuf,
    pub why: &'static str,
}

/// Registers the worktrees at PATHS, or with `all` every worktree no session
/// owns; all or nothing. Returns the new entries, and what `all` passed over.
pub fn adopt(ws: &Workspace, paths: &[PathBuf], all: bool) -> Result<(Vec<Entry>, Vec<Skipped>)> {
    let mut registry = ws.registry.lock()?;
    let worktrees = ws.repo.worktrees()?;
    let owned = |w: &Worktree| registry.sessions.iter().any(|e| e.path == w.path);
    let mut chosen = Vec::new();
    let mut skipped = Vec::new();
    if all {
        for w in worktrees.iter().filter(|w| w.admin_name.is_some()) {
            if w.prunable || owned(w) {
                continue;
            }
            if !adoptable(ws, w) {
                skipped.push(Skipped {
                    path: w.path.clone(),
                    why: NOT_ADOPTABLE,
                });
                continue;
            }
            if w.branch.is_none() {
                skipped.push(Skipped {
                    path: w.path.clone(),
                    why: "no branch is checked out there",
                });
                continue;
            }
            chosen.push(w);
        }
    } else {
        for path in paths {
            let path = fs::canonicalize(path)
                .map_err(|_| Failure::usage(format!("{} does not exist", path.display())))?;
            let Some(w) = worktrees.iter().find(|w| w.path == path) else {
                bail!(
                    Failure::usage(format!(
                        "{} is not a worktree of this repository",
                        path.display()
                    ))
                    .with_hint("`git worktree list` shows the worktrees")
                );
            };
            if w.admin_name.is_none() {
                bail!(Failure::usage("the main worktree cannot be a session"));
            }
            if owned(w) {
                bail!(Failure::usage(format!(
                    "{} is already a session",
                    path.display()
                )));
            }
            if !adoptable(ws, w) {
                bail!(
                    Failure::usage(format!("{}: {NOT_ADOPTABLE}", path.display()))
                        .with_hint("sessions doctor")
                );
            }
            chosen.push(w);
        }
    }
    let mut adopted: Vec<Entry> = Vec::new();
    for w in chosen {
        let entry = entry_for(ws, w)?;
        if registry.find(&entry.name).is_some() || adopted.iter().any(|e| e.name == entry.name) {
            bail!(
                Failure::usage(format!("a session named '{}' already exists", entry.name))
                    .with_hint(
                        "rename that worktree's folder (`git worktree move`), then adopt it"
                    )
            );
        }
        adopted.push(entry);
    }
    registry.sessions.extend(adopted.iter().cloned());
    registry.save()?;
    Ok((adopted, skipped))
}

/// The entry that describes worktree W as a session: named after its folder,
/// based on the default branch, its branch never deleted by sessions.
pub(super) fn entry_for(ws: &Workspace, w: &Worktree) -> Result<Entry> {
    let name = folder_name(&w.path)?;
    name::validate(&name)?;
    let Some(branch) = w.branch.clone() else {
        bail!(
            Failure::usage(format!("{} has no branch checked out", w.path.display()))
                .with_hint("check out a branch there first")
        );
    };
    let base = ws.repo.default_branch()?;
    let base_tip = match ws.repo.resolve_base(&base) {
        Some(tip) => tip,
        None => ws.repo.resolve_commit(&base)?,
    };
    let start = match ws.repo.branch_tip(&branch) {
        Some(tip) => ws.repo.merge_base(tip, base_tip)?.unwrap_or(base_tip),
        None => base_tip,
    };
    Ok(Entry {
        name,
        branch,
        path: w.path.clone(),
        base,
        base_commit: start.to_string(),
        created_at: crate::clock::now(),
        owns_branch: false,
        // Ports are handed out by `new`; a worktree made elsewhere has none.
        port: None,
        agent: None,
        archived: None,
    })
}

fn folder_name(path: &Path) -> Result<String> {
    let name = path
        .file_name()
        .with_context(|| format!("{} has no folder name", path.display()))?;
    Ok(name.to_string_lossy().into_owned())
}

/// Whether W may become a session: a linked worktree that is there, finished
/// and really a folder of its own (not the main worktree through a symlink).
pub(super) fn adoptable(ws: &Workspace, w: &Worktree) -> bool {
    w.admin_name.is_some()
        && !w.prunable
        && w.locked.as_deref() != Some(git::ADD_LOCK)
        && symlinked(ws, w).is_none()
}

#[cfg(test)]
mod tests;
