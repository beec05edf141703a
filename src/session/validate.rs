//! The registry checked against git on read: every session name appears once,
//! and every session's folder is one of this repository's linked worktrees or
//! is missing. A hand-edited or stale entry that breaks either rule must never
//! send `rm` (and its teardown) into a folder that is not the session's.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::doctor::{Action, Explained, Finding, Kind, finding};
use super::{Workspace, find_entry, relocate};
use crate::error::Failure;
use crate::git::Worktree;
use crate::output::tilde;
use crate::registry::Entry;

/// One entry that breaks the rules.
#[derive(Debug, Clone)]
pub struct Violation {
    pub name: String,
    pub problem: String,
    pub kind: ViolationKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// More than one entry has this name.
    DuplicateName,
    /// The folder is there but is not a linked worktree of this repository
    /// (another repository's, a plain folder, the main worktree...).
    ForeignPath,
    /// The folder is gone because it moved: removing the session now would
    /// cut its worktree off. `doctor --fix` records the new place.
    Moved,
}

/// Every violation in ENTRIES, judged against git's WORKTREES.
pub fn violations(ws: &Workspace, worktrees: &[Worktree], entries: &[Entry]) -> Vec<Violation> {
    check(ws, worktrees, entries, None)
}

/// The violations of the entries named ONLY (every entry with `None`).
fn check(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    only: Option<&str>,
) -> Vec<Violation> {
    // Resolved once: a symlink that leads nowhere is a folder that is gone.
    let real: Vec<Option<PathBuf>> = entries
        .iter()
        .map(|e| fs::canonicalize(&e.path).ok())
        .collect();
    let mut found = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if only.is_some_and(|name| name != e.name) {
            continue;
        }
        let copies = entries.iter().filter(|o| o.name == e.name).count();
        if copies > 1 && !entries[..i].iter().any(|o| o.name == e.name) {
            found.push(Violation {
                name: e.name.clone(),
                problem: format!("appears {copies} times"),
                kind: ViolationKind::DuplicateName,
            });
        }
        // Its folder is gone on purpose, and whatever is there now is not
        // its (`restore` refuses an occupied path; doctor/archived.rs).
        if e.is_archived() {
            continue;
        }
        let foreign = real[i]
            .as_deref()
            .and_then(|r| foreign(worktrees, entries, &real, e, r));
        if let Some(problem) = foreign {
            found.push(Violation {
                name: e.name.clone(),
                problem,
                kind: ViolationKind::ForeignPath,
            });
        } else if let Some(to) = relocate::moved_to(ws, worktrees, entries, e) {
            found.push(Violation {
                name: e.name.clone(),
                problem: format!(
                    "has folder {}, which moved to {}",
                    e.path.display(),
                    to.display()
                ),
                kind: ViolationKind::Moved,
            });
        }
    }
    found
}

/// Why E's folder, which resolves to REAL, is not its worktree, or `None`
/// when it is. REALS are the resolved folders of ENTRIES.
fn foreign(
    worktrees: &[Worktree],
    entries: &[Entry],
    reals: &[Option<PathBuf>],
    e: &Entry,
    real: &Path,
) -> Option<String> {
    let shown = e.path.display();
    if fs::symlink_metadata(&e.path).is_ok_and(|m| m.is_symlink()) {
        // Sessions never make one: the folder was replaced by it.
        return Some(format!(
            "has folder {shown}, which is a symlink to {}",
            real.display()
        ));
    }
    if worktrees
        .iter()
        .any(|w| w.admin_name.is_none() && w.path == real)
    {
        return Some(format!("has folder {shown}, which is the main worktree"));
    }
    if !worktrees
        .iter()
        .any(|w| w.admin_name.is_some() && w.path == real)
    {
        return Some(format!(
            "has folder {shown}, which is not a worktree of this repository"
        ));
    }
    if let Some((other, _)) = entries
        .iter()
        .zip(reals)
        .find(|(o, r)| o.name != e.name && r.as_deref() == Some(real))
    {
        return Some(format!(
            "has folder {shown}, which is also the folder of session '{}'",
            other.name
        ));
    }
    None
}

/// The session named NAME in ENTRIES, refused when its entry breaks the rules:
/// what every command but `doctor` acts on.
pub fn valid_entry<'a>(ws: &Workspace, entries: &'a [Entry], name: &str) -> Result<&'a Entry> {
    let entry = find_entry(entries, name)?;
    let worktrees = ws.repo.worktrees()?;
    if let Some(v) = check(ws, &worktrees, entries, Some(name))
        .into_iter()
        .next()
    {
        return Err(Failure::refused(format!(
            "the registry {} is invalid: session '{name}' {}",
            ws.registry.file().display(),
            v.problem
        ))
        .with_hint("sessions doctor")
        .into());
    }
    Ok(entry)
}

/// Registry entries that break the rules: a name twice, a folder that is not
/// the session's worktree. No other check judges them.
pub(super) fn invalid_entries(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    explained: &mut Explained,
) -> Vec<Finding> {
    let file = ws.registry.file();
    let mut found = Vec::new();
    for v in violations(ws, worktrees, entries) {
        let name = v.name.clone();
        let problem = format!(
            "the registry {}: session '{}' {}",
            tilde(&file),
            v.name,
            v.problem
        );
        let copies: Vec<&Entry> = entries.iter().filter(|e| e.name == v.name).collect();
        let alike = copies
            .iter()
            .all(|e| e.path == copies[0].path && e.branch == copies[0].branch);
        let f = match v.kind {
            ViolationKind::DuplicateName if alike => finding(
                Kind::DuplicateName,
                problem,
                "sessions doctor --fix".into(),
                Action::DropCopies { name: v.name },
            ),
            ViolationKind::DuplicateName => finding(
                Kind::DuplicateName,
                format!("{problem}, with different folders or branches"),
                format!(
                    "$EDITOR {}  # keep one [[session]] named '{}'",
                    file.display(),
                    v.name
                ),
                Action::Manual,
            ),
            ViolationKind::ForeignPath => finding(
                Kind::InvalidEntry,
                format!("{problem}; `--fix` forgets the entry and touches no folder"),
                "sessions doctor --fix".into(),
                Action::Forget { name: v.name },
            ),
            // Moves are `relocate`'s to report and repair.
            ViolationKind::Moved => continue,
        };
        explained.sessions.push(name);
        found.push(f);
    }
    found
}

/// Forgets the entry of session NAME, whose folder is not its worktree,
/// without running its teardown or touching that folder. A branch it made
/// stays, recorded as left behind so that doctor goes on reporting it.
pub(super) fn forget(ws: &Workspace, name: &str) -> Result<String> {
    let mut registry = ws.registry.lock()?;
    let worktrees = ws.repo.worktrees()?;
    if !violations(ws, &worktrees, &registry.sessions)
        .iter()
        .any(|v| v.name == name && v.kind == ViolationKind::ForeignPath)
    {
        bail!("its entry is valid now");
    }
    let entry = find_entry(&registry.sessions, name)?.clone();
    registry.sessions.retain(|e| e.name != name);
    let branch_used = registry.sessions.iter().any(|e| e.branch == entry.branch);
    if entry.owns_branch && !branch_used && ws.repo.branch_tip(&entry.branch).is_some() {
        registry.leave_branch(&entry.name, &entry.branch, &entry.base);
    }
    registry.save()?;
    Ok(format!(
        "forgot session '{name}'; {} and branch '{}' are untouched",
        tilde(&entry.path),
        entry.branch
    ))
}

#[cfg(test)]
mod tests;
