//! File-system notifications for `watch`: which repository's registry
//! changed (a hook recorded a state), which session's worktree changed (its
//! git state may have), and Claude's live records (a state no hook reports).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The registry of repository N.
    Registry(usize),
    /// Session NAME's worktree (or git's admin folder of it) in repository N.
    Worktree(usize, String),
    /// A Claude Code process changed its live status.
    Live,
}

/// A place to watch and what its changes mean.
#[derive(Debug, Clone)]
pub struct Route {
    pub path: PathBuf,
    pub recursive: bool,
    pub change: Change,
    /// Only events on this file count (the registry, in a folder shared
    /// with git's own files): the registry is replaced by a rename, so its
    /// folder is watched, not the file.
    pub only: Option<PathBuf>,
}

/// The watcher (dropping it stops watching) and the changes it reports.
pub struct Notifications {
    _watcher: RecommendedWatcher,
    pub changes: Receiver<Change>,
}

/// Starts watching ROUTES. A route that cannot be watched (a folder gone,
/// the system's limit of watches reached) is left out and named in the
/// returned list: its state then follows the periodic refresh only.
pub fn watch(routes: Vec<Route>) -> notify::Result<(Notifications, Vec<PathBuf>)> {
    let (send, changes) = channel();
    let table = routes.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            route(&table, &event, &send);
        }
    })?;
    let mut failed = Vec::new();
    for r in &routes {
        let mode = match r.recursive {
            true => RecursiveMode::Recursive,
            false => RecursiveMode::NonRecursive,
        };
        if watcher.watch(&r.path, mode).is_err() {
            failed.push(r.path.clone());
        }
    }
    Ok((
        Notifications {
            _watcher: watcher,
            changes,
        },
        failed,
    ))
}

fn route(table: &[Route], event: &notify::Event, send: &Sender<Change>) {
    if !meaningful(event.kind) {
        return;
    }
    for path in &event.paths {
        if ignored(path) {
            continue;
        }
        let found = table.iter().find(|r| match &r.only {
            Some(file) => path == file,
            None => path.starts_with(&r.path),
        });
        if let Some(r) = found {
            let _ = send.send(r.change.clone());
        }
    }
}

/// Writes, creations, removals and renames; not reads, which `git status`
/// itself makes on every file it looks at.
fn meaningful(kind: EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

/// Git's index and its lock: `git status` refreshes them itself, and a
/// refresh must not trigger the next one. (`git add` alone changes no
/// count `watch` shows; a commit moves HEAD's reflog, which is watched.)
fn ignored(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "index" || n == "index.lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_gits_own_index_refresh_are_not_changes() {
        assert!(!meaningful(EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(meaningful(EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(ignored(Path::new("/r/.git/worktrees/x/index.lock")));
        assert!(!ignored(Path::new("/w/x/src/index.rs")));
    }
}
