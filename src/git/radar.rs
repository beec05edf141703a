//! The radar's git side: a worktree's uncommitted state as a tree, and
//! trial merges, all written to an in-memory object backend so that asking
//! never adds objects to the repository.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};

use super::porcelain::{path_from_bytes, porcelain_records};
use super::workdir::{Batch, porcelain_status};
use super::{Oid, Repo, parse_oid};

/// A worktree's uncommitted state read from disk: its HEAD and the current
/// content of every path `git status` reports. Plain data, so that it can be
/// read on any thread and turned into a tree by any `Repo`.
#[derive(Debug, Clone)]
pub struct WorkSnapshot {
    /// `None` before the first commit.
    pub head: Option<Oid>,
    /// Paths git has unmerged: an operation stopped on their conflicts.
    pub unmerged: Vec<String>,
    changes: Vec<ChangedPath>,
}

/// A path `git status` reports as changed, and what is on disk there now.
#[derive(Debug, Clone)]
struct ChangedPath {
    path: Vec<u8>,
    content: FileContent,
}

/// A file's mode and content; `None` when the path is gone.
type FileContent = Option<(u32, Vec<u8>)>;

/// A tree entry's mode and object; `None` when the path is gone.
type TreeEntry = Option<(u32, Oid)>;

impl WorkSnapshot {
    /// Reads the state of the worktree at DIR: `git status` for what
    /// changed (fast, and honouring the untracked cache and fsmonitor), then
    /// the changed files themselves.
    pub fn read(dir: &Path) -> Result<WorkSnapshot> {
        let status = porcelain_status(dir, Batch::Many, &["--ignore-submodules=all"])?;
        let mut snapshot = WorkSnapshot {
            head: None,
            unmerged: Vec::new(),
            changes: Vec::new(),
        };
        for record in porcelain_records(&status) {
            if record.kind == b'#' {
                if let Some(oid) = record.path.strip_prefix(b"branch.oid ") {
                    snapshot.head = std::str::from_utf8(oid).ok().and_then(parse_oid);
                }
                continue;
            }
            if record.kind == b'!' {
                continue;
            }
            if record.kind == b'u' {
                let path = String::from_utf8_lossy(record.path).into_owned();
                snapshot.unmerged.push(path);
            }
            for path in [Some(record.path), record.original].into_iter().flatten() {
                let file = dir.join(path_from_bytes(path));
                if let Some(content) = read_content(&file)? {
                    snapshot.changes.push(ChangedPath {
                        path: path.to_vec(),
                        content,
                    });
                }
            }
        }
        Ok(snapshot)
    }
}

/// A file's mode and content as git would store them: `Some(None)` when
/// it is gone, `None` for what a tree cannot hold here (a nested
/// repository, which status reports as `path/`).
fn read_content(file: &Path) -> Result<Option<FileContent>> {
    let meta = match fs::symlink_metadata(file) {
        Ok(meta) => meta,
        // Not a directory: a folder on its way became a file.
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(Some(None));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let read = |what: std::io::Result<Vec<u8>>| {
        what.with_context(|| format!("cannot read {}", file.display()))
    };
    if meta.file_type().is_symlink() {
        let target = read(fs::read_link(file).map(|t| path_bytes(&t)))?;
        return Ok(Some(Some((0o120000, target))));
    }
    if meta.is_dir() && !path_bytes(file).ends_with(b"/") {
        // A tracked file became a folder: what git would add from it comes
        // as records of its own, and may be nothing (only ignored files).
        return Ok(Some(None));
    }
    if !meta.is_file() {
        return Ok(None);
    }
    let mode = if is_executable(&meta) {
        0o100755
    } else {
        0o100644
    };
    Ok(Some(Some((mode, read(fs::read(file))?))))
}

fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

pub(super) fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

/// Whether changes to path sets A and B can meet: a path in both, or a
/// file in one where the other has a folder.
pub fn collide(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let nested = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        a.iter()
            .any(|path| path.match_indices('/').any(|(i, _)| b.contains(&path[..i])))
    };
    a.intersection(b).next().is_some() || nested(a, b) || nested(b, a)
}

/// The file (blob, link or submodule) at PATH in TREE; `None` when there
/// is none (a folder's files are paths of their own).
fn file_at(tree: &git2::Tree, path: &str) -> TreeEntry {
    let entry = tree.get_path(Path::new(path)).ok()?;
    (entry.kind() != Some(git2::ObjectType::Tree)).then(|| (entry.filemode() as u32, entry.id()))
}

/// What a trial merge predicts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergePrediction {
    /// Paths that would conflict.
    pub conflicts: Vec<String>,
    /// Paths both sides changed that would merge cleanly.
    pub overlaps: Vec<String>,
}

impl Repo {
    /// Whether merging `tip` into `base` would leave `base`'s tree unchanged:
    /// true after a fast-forward, squash or rebase merge of that work.
    pub fn content_merged(&self, tip: Oid, base: Oid) -> Result<bool> {
        if self.is_ancestor(tip, base)? {
            return Ok(true);
        }
        let base_commit = self.repo.find_commit(base)?;
        let tip_commit = self.repo.find_commit(tip)?;
        // Before merging: a file-level merge writes its result blob.
        self.in_memory_writes()?;
        let mut merged = self.repo.merge_commits(&base_commit, &tip_commit, None)?;
        if merged.has_conflicts() {
            return Ok(false);
        }
        Ok(merged.write_tree_to(&self.repo)? == base_commit.tree_id())
    }

    /// Sends object writes to memory from now on, so that trial merges never
    /// add objects to the repository.
    fn in_memory_writes(&self) -> Result<()> {
        // Per handle: each `Repository` has its own object database.
        if !self.mempack.replace(true) {
            self.repo.odb()?.add_new_mempack_backend(1000)?;
        }
        Ok(())
    }

    /// The tree of a worktree's state: its HEAD's tree with every change of
    /// SNAPSHOT applied. Only the folders on the way to a change are
    /// rewritten, and every blob and tree goes to memory, so the repository's
    /// objects, its real index, the working tree, HEAD and refs are never
    /// touched.
    pub fn snapshot_tree(&self, snapshot: &WorkSnapshot) -> Result<Oid> {
        let head = snapshot.head.context("the worktree has no commit yet")?;
        let tree = self.repo.find_commit(head)?.tree()?;
        if snapshot.changes.is_empty() {
            return Ok(tree.id());
        }
        self.in_memory_writes()?;
        let changes = snapshot
            .changes
            .iter()
            .map(|c| {
                let entry = match &c.content {
                    Some((mode, content)) => Some((*mode, self.repo.blob(content)?)),
                    None => None,
                };
                Ok((c.path.as_slice(), entry))
            })
            .collect::<Result<Vec<_>>>()?;
        self.with_entries(&tree, &changes)
    }

    /// TREE with the entries at CHANGES' paths replaced (`None`: removed).
    fn with_entries(&self, tree: &git2::Tree, changes: &[(&[u8], TreeEntry)]) -> Result<Oid> {
        match self.apply_changes(Some(tree), changes)? {
            Some(root) => Ok(root),
            // Everything deleted: the empty tree.
            None => Ok(self.repo.treebuilder(None)?.write()?),
        }
    }

    /// TREE with CHANGES (paths relative to it) applied; `None` when nothing
    /// is left in it.
    fn apply_changes(
        &self,
        tree: Option<&git2::Tree>,
        changes: &[(&[u8], TreeEntry)],
    ) -> Result<Option<Oid>> {
        type Group<'a> = (Option<&'a TreeEntry>, Vec<(&'a [u8], TreeEntry)>);
        let mut groups: std::collections::BTreeMap<&[u8], Group> = Default::default();
        for (path, content) in changes {
            let path: &[u8] = path;
            match path.iter().position(|b| *b == b'/') {
                None => groups.entry(path).or_default().0 = Some(content),
                Some(i) => groups
                    .entry(&path[..i])
                    .or_default()
                    .1
                    .push((&path[i + 1..], *content)),
            }
        }
        let mut builder = self.repo.treebuilder(tree)?;
        for (name, (here, below)) in groups {
            match here {
                Some(Some((mode, id))) => {
                    builder.insert(name, *id, *mode as i32)?;
                }
                Some(None) if builder.get(name)?.is_some() => builder.remove(name)?,
                _ => {}
            }
            // Nothing is below a file or a symlink: what status reports
            // there was deleted, and reading it went through the link.
            if below.is_empty() || matches!(here, Some(Some(_))) {
                continue;
            }
            let subtree = match builder.get(name)? {
                Some(e) if e.kind() == Some(git2::ObjectType::Tree) => {
                    Some(self.repo.find_tree(e.id())?)
                }
                _ => None,
            };
            match self.apply_changes(subtree.as_ref(), &below)? {
                Some(id) => {
                    builder.insert(name, id, 0o040000)?;
                }
                None if builder.get(name)?.is_some() => builder.remove(name)?,
                None => {}
            }
        }
        if builder.is_empty() {
            return Ok(None);
        }
        Ok(Some(builder.write()?))
    }

    /// Predicts a three-way merge of trees OURS and THEIRS whose common
    /// ancestor is commit BASE, in memory: the paths that would conflict, and
    /// the paths both sides changed that would merge cleanly.
    pub fn predict_merge(&self, base: Oid, ours: Oid, theirs: Oid) -> Result<MergePrediction> {
        self.predict_tree_merge(self.commit_tree(base)?, ours, theirs)
    }

    /// `predict_merge` from the ancestor's tree ANCESTOR.
    pub fn predict_tree_merge(
        &self,
        ancestor: Oid,
        ours: Oid,
        theirs: Oid,
    ) -> Result<MergePrediction> {
        let [ancestor, ours, theirs] = [ancestor, ours, theirs].map(|t| self.repo.find_tree(t));
        let (ancestor, ours, theirs) = (ancestor?, ours?, theirs?);
        let ours_changed = self.changed_paths(&ancestor, &ours)?;
        let theirs_changed = self.changed_paths(&ancestor, &theirs)?;
        // Tree diffs skip unchanged folders, so they are cheap; the full
        // merge runs only when the two sides touch the same path, or a file
        // where the other has a folder.
        if !collide(&ours_changed, &theirs_changed) {
            return Ok(MergePrediction::default());
        }
        let merged = self.merge_changed(
            [&ancestor, &ours, &theirs],
            &ours_changed,
            &theirs_changed,
            None,
        )?;
        let mut conflicts = BTreeSet::new();
        for conflict in merged.conflicts()? {
            let conflict = conflict?;
            for entry in [conflict.ancestor, conflict.our, conflict.their]
                .into_iter()
                .flatten()
            {
                conflicts.insert(String::from_utf8_lossy(&entry.path).into_owned());
            }
        }
        let overlaps = ours_changed
            .intersection(&theirs_changed)
            .filter(|path| !conflicts.contains(*path))
            .cloned()
            .collect();
        Ok(MergePrediction {
            conflicts: conflicts.into_iter().collect(),
            overlaps,
        })
    }

    /// Merges TREES (ancestor, ours, theirs) in memory, cut down to the
    /// paths either side changed: merging whole trees walks every entry, and
    /// only changed paths can conflict or take part in a rename.
    fn merge_changed(
        &self,
        trees: [&git2::Tree; 3],
        ours_changed: &BTreeSet<String>,
        theirs_changed: &BTreeSet<String>,
        options: Option<&git2::MergeOptions>,
    ) -> Result<git2::Index> {
        self.in_memory_writes()?;
        let touched: BTreeSet<&String> = ours_changed.union(theirs_changed).collect();
        let [ancestor, ours, theirs] = trees.map(|t| self.subset(t, &touched));
        Ok(self
            .repo
            .merge_trees(&ancestor?, &ours?, &theirs?, options)?)
    }

    /// The paths a worktree's state TREE changed since commit FORK, where
    /// the session left its base: its own work, committed or not.
    pub fn own_changes(&self, fork: Oid, tree: Oid) -> Result<BTreeSet<String>> {
        let from = self.repo.find_commit(fork)?.tree()?;
        self.changed_paths(&from, &self.repo.find_tree(tree)?)
    }

    /// The tree TREE's own work (what it changed since commit FORK) would
    /// leave once replayed onto commit ONTO: ONTO's tree with that work
    /// applied, any hunk that conflicts with what ONTO changed since FORK
    /// resolved in the work's favour, as its author would resolve it on
    /// syncing. In memory, like every tree here.
    pub fn replay(&self, fork: Oid, onto: Oid, tree: Oid) -> Result<Oid> {
        if fork == onto {
            return Ok(tree);
        }
        let [ancestor, onto] = [fork, onto].map(|c| self.repo.find_commit(c)?.tree());
        let (ancestor, onto, work) = (ancestor?, onto?, self.repo.find_tree(tree)?);
        let own = self.changed_paths(&ancestor, &work)?;
        let moved = self.changed_paths(&ancestor, &onto)?;
        self.in_memory_writes()?;
        let entries: Vec<(&[u8], TreeEntry)> = if !collide(&own, &moved) {
            // The usual case: the base moved elsewhere; the work's entries
            // go in as they are.
            own.iter()
                .map(|path| (path.as_bytes(), file_at(&work, path)))
                .collect()
        } else {
            let mut favour = git2::MergeOptions::new();
            favour.file_favor(git2::FileFavor::Theirs);
            let merged =
                self.merge_changed([&ancestor, &onto, &work], &moved, &own, Some(&favour))?;
            let mut at: std::collections::BTreeMap<&[u8], TreeEntry> = own
                .iter()
                .chain(&moved)
                .map(|p| (p.as_bytes(), None))
                .collect();
            let mut put = |entry: git2::IndexEntry| {
                if let Some(slot) = at.get_mut(entry.path.as_slice()) {
                    *slot = Some((entry.mode, entry.id));
                }
            };
            for entry in merged.iter().filter(|e| (e.flags >> 12) & 3 == 0) {
                put(entry);
            }
            // What file favour cannot settle (modified here, deleted there)
            // goes the work's way.
            for conflict in merged.conflicts()? {
                if let Some(theirs) = conflict?.their {
                    put(theirs);
                }
            }
            at.into_iter().collect()
        };
        self.with_entries(&onto, &entries)
    }

    /// The part of TREE at PATHS (files), as a tree in memory.
    fn subset(&self, tree: &git2::Tree, paths: &BTreeSet<&String>) -> Result<git2::Tree<'_>> {
        let mut index = git2::Index::new()?;
        for path in paths {
            let Ok(entry) = tree.get_path(Path::new(path.as_str())) else {
                continue;
            };
            index.add(&git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: entry.filemode() as u32,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: entry.id(),
                flags: path.len().min(0xfff) as u16,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            })?;
        }
        let id = index.write_tree_to(&self.repo)?;
        Ok(self.repo.find_tree(id)?)
    }

    /// The paths that differ between two trees, both sides of each change.
    pub(super) fn changed_paths(
        &self,
        from: &git2::Tree,
        to: &git2::Tree,
    ) -> Result<BTreeSet<String>> {
        let diff = self.repo.diff_tree_to_tree(Some(from), Some(to), None)?;
        let mut paths = BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path_bytes() {
                    paths.insert(String::from_utf8_lossy(path).into_owned());
                }
            }
        }
        Ok(paths)
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::testing::git;
    use super::*;

    #[test]
    fn a_snapshot_tree_is_what_git_add_all_would_write() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().canonicalize().unwrap();
        git(&dir, &["init", "-q"]);
        for file in [
            "a/only.txt",
            "b/one.txt",
            "b/two.txt",
            "top.txt",
            "gone/deep/x.txt",
        ] {
            fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
            fs::write(dir.join(file), file).unwrap();
        }
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", "start"]);
        let repo = Repo::discover(&dir).unwrap();
        let clean = WorkSnapshot::read(&dir).unwrap();
        assert_eq!(
            repo.snapshot_tree(&clean).unwrap().to_string(),
            git(&dir, &["rev-parse", "HEAD^{tree}"])
        );

        fs::remove_file(dir.join("a/only.txt")).unwrap(); // its folder goes too
        fs::write(dir.join("b/one.txt"), "changed").unwrap();
        git(&dir, &["add", "b/one.txt"]); // staged...
        fs::write(dir.join("b/one.txt"), "changed again").unwrap(); // ...and again
        fs::set_permissions(dir.join("top.txt"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::remove_dir_all(dir.join("gone")).unwrap();
        fs::create_dir_all(dir.join("new/deeper")).unwrap();
        fs::write(dir.join("new/deeper/file.txt"), "new").unwrap();
        symlink("top.txt", dir.join("link")).unwrap();
        git(&dir, &["mv", "b/two.txt", "b/renamed.txt"]);
        let index_before = fs::read(dir.join(".git/index")).unwrap();

        let dirty = WorkSnapshot::read(&dir).unwrap();
        let ours = repo.snapshot_tree(&dirty).unwrap().to_string();
        assert_eq!(fs::read(dir.join(".git/index")).unwrap(), index_before);
        git(&dir, &["add", "-A"]);
        assert_eq!(ours, git(&dir, &["write-tree"]));
    }

    /// A session's own work replayed onto a base that moved on: the base's
    /// changes kept, the work's added, and where both changed the same
    /// lines, the work's.
    #[test]
    fn replay_lands_own_work_on_the_moved_base() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().canonicalize().unwrap();
        let lines = |edits: &[(&str, &str)]| {
            let mut text =
                "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n".to_string();
            for (line, with) in edits {
                text = text.replace(&format!("{line}\n"), &format!("{with}\n"));
            }
            text
        };
        git(&dir, &["init", "-q", "-b", "main"]);
        fs::write(dir.join("text.txt"), lines(&[])).unwrap();
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", "fork"]);
        let fork = parse_oid(&git(&dir, &["rev-parse", "HEAD"])).unwrap();
        fs::write(
            dir.join("text.txt"),
            lines(&[("one", "ONE base"), ("five", "FIVE base")]),
        )
        .unwrap();
        fs::write(dir.join("base.txt"), "base\n").unwrap();
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", "the base moves on"]);
        let tip = parse_oid(&git(&dir, &["rev-parse", "HEAD"])).unwrap();
        git(&dir, &["checkout", "-q", "--detach", &fork.to_string()]);
        let repo = Repo::discover(&dir).unwrap();
        let read = |tree: Oid, path: &str| {
            let tree = repo.repo.find_tree(tree).unwrap();
            let entry = tree.get_path(Path::new(path)).ok()?;
            let blob = entry.to_object(&repo.repo).unwrap().peel_to_blob().unwrap();
            Some(String::from_utf8(blob.content().to_vec()).unwrap())
        };

        // Elsewhere than the base: its entries go onto the tip as they are.
        fs::write(dir.join("work.txt"), "work\n").unwrap();
        let work = repo
            .snapshot_tree(&WorkSnapshot::read(&dir).unwrap())
            .unwrap();
        let landed = repo.replay(fork, tip, work).unwrap();
        assert_eq!(read(landed, "work.txt").as_deref(), Some("work\n"));
        assert_eq!(read(landed, "base.txt").as_deref(), Some("base\n"));
        assert_eq!(
            read(landed, "text.txt"),
            read(repo.commit_tree(tip).unwrap(), "text.txt")
        );

        // The same file, and line five on both sides: the work's wins.
        let edited = lines(&[("five", "FIVE work"), ("nine", "NINE work")]);
        fs::write(dir.join("text.txt"), &edited).unwrap();
        let work = repo
            .snapshot_tree(&WorkSnapshot::read(&dir).unwrap())
            .unwrap();
        let landed = repo.replay(fork, tip, work).unwrap();
        let expected = lines(&[
            ("one", "ONE base"),
            ("five", "FIVE work"),
            ("nine", "NINE work"),
        ]);
        assert_eq!(read(landed, "text.txt"), Some(expected));
        assert_eq!(read(landed, "work.txt").as_deref(), Some("work\n"));
        assert_eq!(read(landed, "base.txt").as_deref(), Some("base\n"));
        assert_eq!(repo.replay(fork, fork, work).unwrap(), work);
    }
}
