//! What each session costs on disk: tracked, untracked and ignored files,
//! and the largest ignored folders (what `clean --artifacts` could free).
//! Measured in parallel, one walk per worktree, cached by folder
//! modification time in `<git common dir>/sessions/sizes/` (see
//! `size/walk.rs`).

mod walk;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::Workspace;
use super::parallel::{Load, in_parallel};
use crate::git::{Other, Repo};
use crate::registry::Entry;

pub use walk::usage;

/// How many of the largest ignored folders a size names.
const LARGEST: usize = 5;

/// One session's size on disk, in bytes of disk usage (`du`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Size {
    /// Everything in the worktree but its `.git` link.
    pub total: u64,
    /// Tracked files, and folders holding them.
    pub tracked: u64,
    /// Untracked files that are not ignored.
    pub untracked: u64,
    pub ignored: u64,
    /// Of `ignored`, what is in folders named in `artifacts`: what
    /// `clean --artifacts` could free.
    pub artifacts: u64,
    /// The largest ignored folders, largest first.
    pub largest_ignored: Vec<IgnoredFolder>,
    /// Every ignored folder named in `artifacts`.
    pub artifact_folders: Vec<IgnoredFolder>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredFolder {
    /// Relative to the worktree.
    pub path: PathBuf,
    pub bytes: u64,
    /// Its name is in `artifacts`: `clean --artifacts` deletes it.
    pub artifact: bool,
    /// The newest modification time of a folder in it, nanoseconds since
    /// the epoch: when anything was last added or removed there.
    pub modified: i128,
}

/// The sizes of ENTRIES (`None` for a session whose folder is gone), in
/// their order, measured in parallel.
pub fn sizes(ws: &Workspace, entries: &[Entry]) -> Result<Vec<Option<Size>>> {
    let artifacts = &ws.config.artifacts.value;
    let cache_dir = cache_dir(ws);
    let handle = ws.repo.handle();
    // Every session's folder, to leave out of one it sits in.
    let mut paths: Vec<PathBuf> = entries.iter().map(|e| e.path.clone()).collect();
    if let Ok(all) = ws.registry.read() {
        paths.extend(all.into_iter().map(|e| e.path));
    }
    in_parallel(
        entries,
        Load::Compute,
        || handle.open(),
        |repo, entry| {
            if !entry.path.is_dir() {
                return Ok(None);
            }
            let nested: Vec<PathBuf> = paths
                .iter()
                .filter(|p| *p != &entry.path && p.starts_with(&entry.path))
                .cloned()
                .collect();
            let cache = cache_dir.join(format!("{}.json", entry.name));
            // A folder git does not take for a worktree has no size to tell
            // apart: `doctor` has its own word for it.
            Ok(measure(repo, &entry.path, &cache, &nested, artifacts).ok())
        },
    )
}

/// The cache files' folder.
fn cache_dir(ws: &Workspace) -> PathBuf {
    ws.repo.common_dir().join("sessions").join("sizes")
}

/// Drops the cached sizes of session NAME (it is gone).
pub fn forget(ws: &Workspace, name: &str) {
    let _ = fs::remove_file(cache_dir(ws).join(format!("{name}.json")));
}

/// Measures the worktree DIR, caching in CACHE, leaving out NESTED.
fn measure(
    repo: &Repo,
    dir: &Path,
    cache: &Path,
    nested: &[PathBuf],
    artifacts: &[String],
) -> Result<Size> {
    let others = repo.workdir(dir).others()?;
    let old: walk::Cache = fs::read(cache)
        .ok()
        .and_then(|text| serde_json::from_slice(&text).ok())
        .unwrap_or_default();
    let tree = walk::walk(dir, &old, nested);
    if let Some(parent) = cache.parent()
        && fs::create_dir_all(parent).is_ok()
        && let Ok(text) = serde_json::to_vec(&tree.cache)
    {
        // Only a cache: a failure to write it costs the next walk time.
        let _ = crate::atomic::write(cache, &text, crate::atomic::Options::default());
    }
    let bytes = |o: &Other| match o.folder {
        true => tree.total(&o.path),
        false => fs::symlink_metadata(dir.join(&o.path)).map_or(0, |m| usage(&m)),
    };
    let mut size = Size {
        total: tree.total(Path::new("")),
        ..Size::default()
    };
    for o in &others.ignored {
        let b = bytes(o);
        size.ignored += b;
        if o.folder {
            let artifact = is_artifact(&o.path, artifacts);
            let folder = IgnoredFolder {
                path: o.path.clone(),
                bytes: b,
                artifact,
                modified: tree.newest(&o.path),
            };
            if artifact {
                size.artifacts += b;
                size.artifact_folders.push(folder.clone());
            }
            size.largest_ignored.push(folder);
        }
    }
    for o in &others.untracked {
        // Ignored files inside an untracked folder are counted as ignored.
        let inside: u64 = others
            .ignored
            .iter()
            .filter(|i| o.folder && i.path.starts_with(&o.path))
            .map(bytes)
            .sum();
        size.untracked += bytes(o).saturating_sub(inside);
    }
    size.tracked = size.total.saturating_sub(size.ignored + size.untracked);
    size.largest_ignored
        .sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    size.largest_ignored.truncate(LARGEST);
    Ok(size)
}

/// Whether the ignored folder PATH is re-creatable: its name is one of ARTIFACTS.
pub fn is_artifact(path: &Path, artifacts: &[String]) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| artifacts.iter().any(|a| a == n))
}

/// The usage of the whole folder DIR, uncached: the shared object store.
pub fn folder_usage(dir: &Path) -> u64 {
    walk::walk(dir, &walk::Cache::default(), &[])
        .totals
        .get(Path::new(""))
        .copied()
        .unwrap_or(0)
}
