//! The walk behind sizes: disk usage (`st_blocks * 512`, as `du`) of every
//! folder of a tree, hard links counted once, symlinks never followed, other
//! file systems never entered; and its cache, by folder modification time.
//!
//! A folder's modification time changes when an entry is added, removed or
//! renamed in it, not when a file in it grows: a folder whose time is
//! unchanged is taken from the cache (its own files' usage and its
//! subfolders) without reading it, so a repeated walk reads one `lstat` per
//! folder. A file rewritten in place is seen at the next change of its
//! folder: sizes are an estimate for deciding what to reclaim, not an audit.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What the walk keeps of one folder, and the cache stores.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Folder {
    /// Modification time, nanoseconds since the epoch.
    pub mtime: i128,
    /// Usage of the folder itself and its files (not its subfolders).
    pub own: u64,
    pub subfolders: Vec<String>,
}

/// The cache of one tree: folders by path relative to its root (`""` is the
/// root).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Cache {
    pub folders: HashMap<String, Folder>,
}

/// A walked tree: every folder's total usage, subfolders included.
#[derive(Debug, Default)]
pub struct Tree {
    pub totals: HashMap<PathBuf, u64>,
    /// What to cache for the next walk.
    pub cache: Cache,
}

impl Tree {
    /// The total usage of folder REL (relative to the root), or 0.
    pub fn total(&self, rel: &Path) -> u64 {
        self.totals.get(rel).copied().unwrap_or(0)
    }

    /// The newest modification time of folder REL and the folders in it.
    pub fn newest(&self, rel: &Path) -> i128 {
        let Some(prefix) = rel.to_str() else { return 0 };
        self.cache
            .folders
            .iter()
            .filter(|(k, _)| Path::new(k.as_str()).starts_with(prefix))
            .map(|(_, f)| f.mtime)
            .max()
            .unwrap_or(0)
    }
}

/// The usage of one entry, from its `lstat`.
pub fn usage(meta: &fs::Metadata) -> u64 {
    meta.blocks() * 512
}

/// Walks ROOT, skipping its own `.git` (a worktree's link to its
/// repository) and the folders in SKIP (absolute: other sessions' worktrees
/// inside this one), reusing what CACHE says of folders unchanged since.
pub fn walk(root: &Path, cache: &Cache, skip: &[PathBuf]) -> Tree {
    let Ok(meta) = fs::symlink_metadata(root) else {
        return Tree::default();
    };
    let mut walker = Walker {
        root,
        device: meta.dev(),
        old: cache,
        skip,
        seen: HashSet::new(),
        tree: Tree::default(),
    };
    walker.visit(PathBuf::new(), &meta);
    walker.tree
}

struct Walker<'a> {
    root: &'a Path,
    device: u64,
    old: &'a Cache,
    skip: &'a [PathBuf],
    /// Files with more than one link, by (device, inode): counted once.
    seen: HashSet<(u64, u64)>,
    tree: Tree,
}

impl Walker<'_> {
    /// The total usage of the folder REL whose `lstat` is META.
    fn visit(&mut self, rel: PathBuf, meta: &fs::Metadata) -> u64 {
        let abs = self.root.join(&rel);
        let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
        let key = rel.to_str().map(str::to_owned);
        let cached = key
            .as_ref()
            .and_then(|k| self.old.folders.get(k))
            .filter(|f| f.mtime == mtime);
        let folder = match cached {
            Some(folder) => folder.clone(),
            None => self.read(&abs, rel.as_os_str().is_empty(), mtime, meta),
        };
        let mut total = folder.own;
        for name in &folder.subfolders {
            let sub = abs.join(name);
            if self.skip.iter().any(|s| s == &sub) {
                continue;
            }
            match fs::symlink_metadata(&sub) {
                Ok(m) if m.is_dir() && m.dev() == self.device => {
                    total += self.visit(rel.join(name), &m);
                }
                _ => {}
            }
        }
        if let Some(key) = key {
            self.tree.cache.folders.insert(key, folder);
        }
        self.tree.totals.insert(rel, total);
        total
    }

    /// Reads the folder ABS: its own usage and its subfolders' names.
    fn read(&mut self, abs: &Path, root: bool, mtime: i128, meta: &fs::Metadata) -> Folder {
        let mut folder = Folder {
            mtime,
            own: usage(meta),
            subfolders: Vec::new(),
        };
        let Ok(listing) = fs::read_dir(abs) else {
            return folder;
        };
        for item in listing.flatten() {
            let name = item.file_name();
            if root && name == ".git" {
                continue;
            }
            let Ok(kind) = item.file_type() else { continue };
            if kind.is_dir() {
                match name.into_string() {
                    Ok(name) => folder.subfolders.push(name),
                    // A name the cache cannot hold: counted now, never cached.
                    Err(name) => {
                        if let Ok(m) = fs::symlink_metadata(abs.join(&name))
                            && m.dev() == self.device
                        {
                            folder.own += self.uncached(&abs.join(&name));
                        }
                    }
                }
                continue;
            }
            if let Ok(m) = item.metadata() {
                folder.own += self.file(&m);
            }
        }
        folder.subfolders.sort();
        folder
    }

    /// The usage of a file (or link) with `lstat` META, 0 when counted already.
    fn file(&mut self, m: &fs::Metadata) -> u64 {
        if m.nlink() > 1 && !self.seen.insert((m.dev(), m.ino())) {
            return 0;
        }
        usage(m)
    }

    /// The whole usage of folder ABS, read without the cache.
    fn uncached(&mut self, abs: &Path) -> u64 {
        let Ok(meta) = fs::symlink_metadata(abs) else {
            return 0;
        };
        let mut total = usage(&meta);
        for item in fs::read_dir(abs).into_iter().flatten().flatten() {
            let Ok(m) = item.metadata() else { continue };
            if m.is_dir() {
                if m.dev() == self.device {
                    total += self.uncached(&item.path());
                }
            } else {
                total += self.file(&m);
            }
        }
        total
    }
}
