//! Saved work of archived sessions: a worktree's index and working tree as
//! commits on `refs/sessions/archive/NAME`, built with a temporary index so
//! that the worktree's own index, HEAD and files are never touched, and put
//! back into a fresh worktree.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::radar::WorkSnapshot;
use super::workdir::{check, git_in, run};
use super::{Oid, Repo, WorkChange};

const PREFIX: &str = "refs/sessions/archive/";

/// The ref that holds session NAME's saved work.
pub fn archive_ref(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// What an archive commit holds: the commit the worktree stood on, its
/// index (staged changes) and its working tree (untracked files included,
/// ignored files not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedWork {
    pub commit: Oid,
    pub head: Oid,
    pub index_tree: Oid,
    pub work_tree: Oid,
}

impl SavedWork {
    /// Whether it holds anything its HEAD commit does not: work found
    /// nowhere else.
    pub fn has_changes(&self, repo: &Repo) -> Result<bool> {
        let head_tree = repo.commit_tree(self.head)?;
        Ok(self.index_tree != head_tree || self.work_tree != head_tree)
    }
}

impl Repo {
    /// Saves the state of the worktree at DIR, standing on HEAD, as two
    /// commits (the index, then the working tree with the index commit as
    /// second parent, as `git stash` does), written to the object store but
    /// to no ref. The worktree's index is copied, never written.
    pub fn save_work(&self, dir: &Path, head: Oid, message: &str) -> Result<SavedWork> {
        let index = git_path(dir, "index")?;
        let temp = index.with_file_name("index.sessions-archive");
        let result = (|| {
            match fs::copy(&index, &temp) {
                Ok(_) => {}
                // No index yet: an empty one is what git starts from.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot copy {}", index.display()));
                }
            }
            let index_tree = write_tree(dir, &temp)?;
            with_index(dir, &temp, &["add", "--all", "--", ":/"], "git add --all")?;
            let work_tree = write_tree(dir, &temp)?;
            Ok((index_tree, work_tree))
        })();
        let _ = fs::remove_file(&temp);
        let (index_tree, work_tree) =
            result.with_context(|| format!("cannot save the work in {}", dir.display()))?;
        // A handle of its own: this one may send its writes to memory
        // (radar.rs), and these commits must last.
        let fresh = self.handle().open()?;
        let repo = &fresh.repo;
        let sig = repo
            .signature()
            .or_else(|_| git2::Signature::now("sessions", "sessions@localhost"))?;
        let parent = repo.find_commit(head)?;
        let tree = repo.find_tree(index_tree)?;
        let index_commit = repo.commit(
            None,
            &sig,
            &sig,
            &format!("index of {message}"),
            &tree,
            &[&parent],
        )?;
        let index_commit = repo.find_commit(index_commit)?;
        let tree = repo.find_tree(work_tree)?;
        let commit = repo.commit(None, &sig, &sig, message, &tree, &[&parent, &index_commit])?;
        Ok(SavedWork {
            commit,
            head,
            index_tree,
            work_tree,
        })
    }

    /// What archive commit COMMIT holds.
    pub fn saved_work(&self, commit: Oid) -> Result<SavedWork> {
        let found = self
            .repo
            .find_commit(commit)
            .with_context(|| format!("cannot read saved work {commit}"))?;
        let parents: Vec<Oid> = found.parent_ids().collect();
        let [head, index] = parents[..] else {
            bail!("{commit} is not a commit of saved work (it needs two parents)");
        };
        Ok(SavedWork {
            commit,
            head,
            index_tree: self.repo.find_commit(index)?.tree_id(),
            work_tree: found.tree_id(),
        })
    }

    /// The tree of what is in the worktree at DIR now, read independently
    /// of `save_work` (through the radar's snapshot, in memory).
    pub fn work_tree_now(&self, dir: &Path) -> Result<Oid> {
        let snapshot = WorkSnapshot::read(dir)?;
        // A handle of its own: the snapshot sends its writes to memory.
        self.handle().open()?.snapshot_tree(&snapshot)
    }

    /// The tree of the index of the worktree at DIR.
    pub fn index_tree_now(&self, dir: &Path) -> Result<Oid> {
        let index = git_path(dir, "index")?;
        write_tree(dir, &index)
    }

    /// Puts SAVED back into the fresh worktree at DIR (checked out at its
    /// branch): every file of the working tree, untracked ones included,
    /// then the index as it was.
    pub fn put_back(&self, dir: &Path, saved: &SavedWork) -> Result<()> {
        let work = saved.work_tree.to_string();
        let index = saved.index_tree.to_string();
        let steps: [(&[&str], &str); 3] = [
            (&["read-tree", "--reset", "-u", &work], "git read-tree -u"),
            (&["read-tree", &index], "git read-tree"),
            (&["update-index", "-q", "--refresh"], "git update-index"),
        ];
        for (args, what) in steps {
            let output = run(git_in(dir).args(args))?;
            // `update-index --refresh` exits 1 when files differ from the
            // index, which they do: that is the unstaged work put back.
            if what != "git update-index" {
                check(&output, what)
                    .with_context(|| format!("cannot put saved work back in {}", dir.display()))?;
            }
        }
        Ok(())
    }

    /// What SAVED holds beyond its HEAD commit, file by file, named as the
    /// worktree's `git status` named it: each tracked path once (`added`,
    /// `renamed`, `deleted` or `modified`, staged or not), then `untracked`
    /// for files the index did not have (a file `git rm --cached` left is
    /// both `deleted` and `untracked`, as there).
    pub fn saved_changes(&self, saved: &SavedWork) -> Result<Vec<WorkChange>> {
        let head = self.repo.find_tree(self.commit_tree(saved.head)?)?;
        let index = self.repo.find_tree(saved.index_tree)?;
        let work = self.repo.find_tree(saved.work_tree)?;
        let mut staged = self
            .repo
            .diff_tree_to_tree(Some(&head), Some(&index), None)?;
        // As `git status` does, renames are found among staged changes only.
        staged.find_similar(None)?;
        let unstaged = self
            .repo
            .diff_tree_to_tree(Some(&index), Some(&work), None)?;
        let path_of = |delta: &git2::DiffDelta<'_>| {
            let file = delta.new_file().path().or(delta.old_file().path());
            file.map(|p| p.display().to_string())
        };
        let mut tracked: Vec<WorkChange> = Vec::new();
        for delta in staged.deltas() {
            let kind = match delta.status() {
                git2::Delta::Added => "added",
                git2::Delta::Renamed => "renamed",
                git2::Delta::Deleted => "deleted",
                _ => "modified",
            };
            tracked.extend(path_of(&delta).map(|path| WorkChange { path, kind }));
        }
        let mut untracked = Vec::new();
        for delta in unstaged.deltas() {
            let Some(path) = path_of(&delta) else {
                continue;
            };
            match delta.status() {
                git2::Delta::Added => untracked.push(WorkChange {
                    path,
                    kind: "untracked",
                }),
                status => match tracked.iter_mut().find(|c| c.path == path) {
                    // Added or renamed stays so; a deletion in the files wins over a
                    // staged change, as in status's `MD`.
                    Some(c) if status == git2::Delta::Deleted && c.kind == "modified" => {
                        c.kind = "deleted"
                    }
                    Some(_) => {}
                    None => tracked.push(WorkChange {
                        path,
                        kind: match status {
                            git2::Delta::Deleted => "deleted",
                            _ => "modified",
                        },
                    }),
                },
            }
        }
        tracked.sort_by(|a, b| a.path.cmp(&b.path));
        untracked.sort_by(|a, b| a.path.cmp(&b.path));
        tracked.extend(untracked);
        Ok(tracked)
    }

    /// The commit at session NAME's archive ref, if there is one.
    pub fn archive_tip(&self, name: &str) -> Option<Oid> {
        self.repo.refname_to_id(&archive_ref(name)).ok()
    }

    pub fn set_archive_ref(&self, name: &str, commit: Oid) -> Result<()> {
        self.repo
            .reference(&archive_ref(name), commit, true, "sessions archive")
            .with_context(|| format!("cannot write {}", archive_ref(name)))?;
        Ok(())
    }

    pub fn delete_archive_ref(&self, name: &str) -> Result<()> {
        match self.repo.find_reference(&archive_ref(name)) {
            Ok(mut r) => r
                .delete()
                .with_context(|| format!("cannot delete {}", archive_ref(name))),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", archive_ref(name))),
        }
    }

    /// Every archive ref: the session name and its commit.
    pub fn archive_refs(&self) -> Result<Vec<(String, Oid)>> {
        let mut found = Vec::new();
        for r in self.repo.references_glob(&format!("{PREFIX}*"))? {
            let r = r?;
            if let (Ok(name), Some(target)) = (r.name(), r.target())
                && let Some(session) = name.strip_prefix(PREFIX)
            {
                found.push((session.to_string(), target));
            }
        }
        Ok(found)
    }
}

/// Git's path NAME for the worktree at DIR (its own index, say).
fn git_path(dir: &Path, name: &str) -> Result<PathBuf> {
    let output =
        run(git_in(dir).args(["rev-parse", "--path-format=absolute", "--git-path", name]))?;
    check(&output, "git rev-parse")?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(PathBuf::from(text.trim_end_matches('\n')))
}

/// `git ARGS` in DIR with INDEX as its index.
fn with_index(dir: &Path, index: &Path, args: &[&str], what: &str) -> Result<Vec<u8>> {
    let output = run(git_in(dir).env("GIT_INDEX_FILE", index).args(args))?;
    check(&output, what)?;
    Ok(output.stdout)
}

fn write_tree(dir: &Path, index: &Path) -> Result<Oid> {
    let out = with_index(dir, index, &["write-tree"], "git write-tree")?;
    let text = String::from_utf8_lossy(&out);
    Oid::from_str(text.trim()).context("git write-tree printed no tree")
}
