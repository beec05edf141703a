//! A repository or its worktrees moved: git's links between them (the main
//! repository's `worktrees/<name>/gitdir`, each worktree's `.git` file) and
//! the registry's paths point at the old places. `git worktree repair` mends
//! the links; the registry paths follow.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::Workspace;
use super::doctor::{Action, Explained, Finding, Kind, finding};
use crate::error::Failure;
use crate::git::{self, Worktree};
use crate::output::tilde;
use crate::registry::Entry;
use crate::shell::quote_path;

/// Moves found: linked worktrees that lost their way to a moved repository,
/// and worktrees found at their new place. What they explain is not
/// reported again as missing or prunable.
pub(super) fn moves(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    explained: &mut Explained,
) -> Vec<Finding> {
    let mut found = Vec::new();
    let home = ws.repo.home_dir();
    for w in worktrees.iter().filter(|w| w.admin_name.is_some()) {
        if explained.paths.contains(&w.path) {
            continue;
        }
        let entry = entries.iter().find(|e| e.path == w.path);
        if !w.prunable {
            // The folder is where git says, but its `.git` file points at
            // an admin folder that is not ours: the repository moved.
            if let Some(link) = git::linked_gitdir(&w.path)
                && !same_file(&link, &ws.repo.admin_dir(w))
                && links_to(&w.path, w)
            {
                explained.paths.push(w.path.clone());
                found.push(finding(
                    Kind::MovedRepository,
                    format!(
                        "worktree {} still points at the repository's old place {}",
                        tilde(&w.path),
                        tilde(&link)
                    ),
                    format!("git -C {} worktree repair", quote_path(home)),
                    Action::RepairLinks,
                ));
            }
            continue;
        }
        let Some(to) = new_place(ws, w, entry) else {
            continue;
        };
        explained.paths.push(w.path.clone());
        if let Some(e) = entry {
            explained.sessions.push(e.name.clone());
        }
        let whose = entry.map_or_else(String::new, |e| format!("session '{}': ", e.name));
        found.push(finding(
            Kind::MovedWorktree,
            format!("{whose}worktree {} moved to {}", tilde(&w.path), tilde(&to)),
            format!("git worktree repair -- {}", quote_path(&to)),
            Action::Relocate {
                to,
                session: entry.map(|e| e.name.clone()),
            },
        ));
    }
    // Sessions whose worktree git already knows at the new place (someone ran
    // `git worktree repair`): only the registry lags.
    for e in entries.iter().filter(|e| !e.path.exists()) {
        if explained.sessions.contains(&e.name) {
            continue;
        }
        let Some(w) = repaired_at(ws, worktrees, entries, e) else {
            continue;
        };
        explained.paths.push(w.path.clone());
        explained.sessions.push(e.name.clone());
        found.push(finding(
            Kind::MovedWorktree,
            format!(
                "session '{}': its worktree moved from {} to {}",
                e.name,
                tilde(&e.path),
                tilde(&w.path)
            ),
            "sessions doctor --fix".into(),
            Action::Relocate {
                to: w.path.clone(),
                session: Some(e.name.clone()),
            },
        ));
    }
    found
}

/// The worktree git already knows at session E's new place, when only the
/// registry lags behind a move.
fn repaired_at<'a>(
    ws: &Workspace,
    worktrees: &'a [Worktree],
    entries: &[Entry],
    e: &Entry,
) -> Option<&'a Worktree> {
    let to = fs::canonicalize(ws.session_dir(&e.name, &e.branch)).ok()?;
    worktrees
        .iter()
        .find(|w| {
            w.admin_name.is_some()
                && !w.prunable
                && w.path == to
                && w.branch.as_deref() == Some(e.branch.as_str())
        })
        .filter(|w| !entries.iter().any(|o| o.path == w.path))
}

/// Where the worktree of session E, whose folder is gone, is now, if it
/// moved rather than went.
pub(super) fn moved_to(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    e: &Entry,
) -> Option<PathBuf> {
    if e.path.exists() {
        return None;
    }
    let gone = worktrees
        .iter()
        .find(|w| w.admin_name.is_some() && w.prunable && w.path == e.path);
    match gone {
        Some(w) => new_place(ws, w, Some(e)),
        None => repaired_at(ws, worktrees, entries, e).map(|w| w.path.clone()),
    }
}

/// Where linked worktree W (whose folder is gone) is now: where sessions
/// would put its session, or where `claude -w` puts worktrees, when the
/// `.git` file found there names W's admin folder.
fn new_place(ws: &Workspace, w: &Worktree, entry: Option<&Entry>) -> Option<PathBuf> {
    let folder = w.path.file_name()?;
    let mut candidates = Vec::new();
    if let Some(e) = entry {
        candidates.push(ws.session_dir(&e.name, &e.branch));
    }
    let home = ws.repo.home_dir();
    candidates.push(home.join(".claude").join("worktrees").join(folder));
    if let Some(layout) = w.path.parent().and_then(Path::file_name)
        && let Some(parent) = home.parent()
    {
        // The default layout's `<repo>.sessions`, moved along.
        candidates.push(parent.join(layout).join(folder));
    }
    candidates
        .into_iter()
        .find(|c| c != &w.path && links_to(c, w))
        .and_then(|c| fs::canonicalize(c).ok())
}

/// Whether DIR's `.git` file names linked worktree W's admin folder, at
/// whatever place the repository had.
fn links_to(dir: &Path, w: &Worktree) -> bool {
    let Some(link) = git::linked_gitdir(dir) else {
        return false;
    };
    let name = link.file_name().map(|n| n.to_string_lossy().into_owned());
    let parent = link.parent().and_then(Path::file_name);
    name == w.admin_name && parent.is_some_and(|p| p == "worktrees")
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Links the worktree at TO with the repository again and, for SESSION,
/// records TO as its folder.
pub(super) fn relocate(ws: &Workspace, to: &Path, session: Option<&str>) -> Result<String> {
    let mut registry = ws.registry.lock()?;
    ws.repo.repair_worktrees(&[to.to_path_buf()])?;
    let to = fs::canonicalize(to)?;
    if !ws
        .repo
        .worktrees()?
        .iter()
        .any(|w| w.path == to && !w.prunable)
    {
        bail!("git still does not know {} as a worktree", to.display());
    }
    let Some(name) = session else {
        return Ok(format!("repaired git's links to {}", tilde(&to)));
    };
    let Some(entry) = registry.sessions.iter_mut().find(|e| e.name == name) else {
        let known = registry.sessions.iter().map(|e| e.name.as_str());
        bail!(Failure::no_session(name, known));
    };
    entry.path = to.clone();
    registry.save()?;
    Ok(format!(
        "repaired git's links and recorded {} as the folder of session '{name}'",
        tilde(&to)
    ))
}
