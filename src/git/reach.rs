//! What only a worktree holds: commits no other ref reaches, and what
//! removing its folder would lose (changes git is told to hide, nested
//! repositories).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};

use anyhow::{Context, Result};
use git2::{IndexEntryExtendedFlag, IndexEntryFlag, Repository};

use super::porcelain::{parse_porcelain_v2, path_from_bytes, porcelain_records};
use super::radar::path_bytes;
use super::workdir::{Batch, GitError, Workdir, check, status_command};
use super::{Oid, Repo, WorkStatus, Worktree, parse_oid};

/// The commits a worktree holds, for `Repo::worktree_tips`.
#[derive(Debug, Clone, Default)]
pub struct WorktreeTips {
    /// Its HEAD and per-worktree refs.
    pub held: Vec<Oid>,
    /// What its HEAD reflog records.
    pub logged: Vec<Oid>,
    /// Each rebase that finished, oldest first: where HEAD was when it
    /// started, and the commit it finished on.
    pub rebases: Vec<Rebase>,
}

/// A finished rebase, from a worktree's HEAD reflog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebase {
    pub from: Oid,
    pub onto: Oid,
}

/// Everything in a worktree's folder that removing it would lose, whatever
/// the repository's configuration hides from a plain `git status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemovalStatus {
    pub work: WorkStatus,
    /// Tracked files marked assume-unchanged or skip-worktree whose content
    /// differs from the index.
    pub hidden: usize,
    /// Nested repositories (gitlinks, or inside ignored folders) with commits
    /// or changes of their own, relative to the worktree.
    pub nested: Vec<PathBuf>,
}

/// Every repository at or below the ignored PATHS: a folder with a `.git`
/// of its own, not looked into further. Symbolic links are not followed.
/// Folders are read on every core, and only folders are kept: a
/// 200,000-file `node_modules` is most of what `rm` reads.
fn find_repositories(paths: &[PathBuf]) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = paths
        .iter()
        .filter(|p| fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()))
        .cloned()
        .collect();
    let queue = Queue {
        state: Mutex::new((folders, 0)),
        changed: Condvar::new(),
    };
    let found = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(dir) = queue.next() {
                    // Done even if reading panics, so no other thread waits forever.
                    let mut reading = Reading {
                        queue: &queue,
                        more: Vec::new(),
                    };
                    let (is_repo, subfolders) = read_folder(&dir);
                    if is_repo {
                        found.lock().expect("not poisoned").push(dir);
                    } else {
                        reading.more = subfolders;
                    }
                }
            });
        }
    });
    let mut found = found.into_inner().expect("not poisoned");
    found.sort();
    found
}

/// Whether DIR holds a `.git`, and its subfolders (symbolic links aside).
fn read_folder(dir: &Path) -> (bool, Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return (false, Vec::new());
    };
    let mut subfolders = Vec::new();
    for entry in entries.flatten() {
        if entry.file_name() == ".git" {
            return (true, Vec::new());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            subfolders.push(entry.path());
        }
    }
    (false, subfolders)
}

/// Folders still to read, and how many are being read: the walk ends when
/// both are none.
struct Queue {
    state: Mutex<(Vec<PathBuf>, usize)>,
    changed: Condvar,
}

impl Queue {
    fn next(&self) -> Option<PathBuf> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(dir) = state.0.pop() {
                state.1 += 1;
                return Some(dir);
            }
            if state.1 == 0 {
                return None;
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// One folder being read; dropped, it hands the subfolders found to the
/// queue and counts the folder done.
struct Reading<'a> {
    queue: &'a Queue,
    more: Vec<PathBuf>,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        let mut state = (self.queue.state.lock()).unwrap_or_else(PoisonError::into_inner);
        state.0.append(&mut self.more);
        state.1 -= 1;
        self.queue.changed.notify_all();
    }
}

/// Whether the nested repository at DIR has changes, or commits that none
/// of its remote-tracking branches has: held by HEAD or any ref (branches,
/// tags, the stash and its older entries, anything under refs/). One it
/// cannot read counts as work.
fn has_work_of_its_own(dir: &Path) -> bool {
    let Ok(repo) = Repository::open(dir) else {
        return true;
    };
    // As thorough as for the worktree itself, so a submodule's own
    // submodules count too, whatever their `ignore` setting says.
    if !removal_status(dir).is_ok_and(|s| s.work.is_clean() && s.hidden == 0 && s.nested.is_empty())
    {
        return true;
    }
    let own = || -> Result<bool, git2::Error> {
        let mut walk = repo.revwalk()?;
        if let Ok(head) = repo.head()
            && let Some(oid) = head.target()
        {
            walk.push(oid)?;
        }
        for reference in repo.references()? {
            let reference = reference?;
            if reference.name_bytes().starts_with(b"refs/remotes/") {
                continue;
            }
            // A tag of a tree or a blob holds no commit (clones of git.git
            // have one): nothing to walk.
            if let Ok(commit) = reference.peel_to_commit() {
                walk.push(commit.id())?;
            }
        }
        // `git stash` keeps only the newest entry in refs/stash; the older
        // ones are in its reflog.
        if let Ok(log) = repo.reflog("refs/stash") {
            for entry in log.iter() {
                walk.push(entry.id_new())?;
            }
        }
        walk.hide_glob("refs/remotes/*")?;
        Ok(walk.next().is_some())
    };
    own().unwrap_or(true)
}

/// Whether the file at PATH holds something other than the blob ID; a file
/// that is not there holds nothing to lose.
fn differs_from(path: &Path, id: Oid) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    let hash = if meta.is_symlink() {
        fs::read_link(path)
            .ok()
            .and_then(|target| Oid::hash_object(git2::ObjectType::Blob, &path_bytes(&target)).ok())
    } else if meta.is_file() {
        Oid::hash_file(git2::ObjectType::Blob, path).ok()
    } else {
        None
    };
    hash != Some(id)
}

/// The ids in the loose refs below DIR (per-worktree refs are never packed).
fn loose_refs(dir: &Path, found: &mut Vec<Oid>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            loose_refs(&path, found);
        } else if let Ok(text) = fs::read_to_string(&path) {
            found.extend(parse_oid(text.trim()));
        }
    }
}

impl Workdir<'_> {
    /// What removing the worktree would lose from its folder: one `git
    /// status` that also names ignored paths (collapsed, so no dearer), the
    /// index read in-process for hidden changes and gitlinks, and the
    /// ignored folders searched for nested repositories.
    pub fn removal_status(&self) -> Result<RemovalStatus> {
        removal_status(self.dir)
    }
}

/// `Workdir::removal_status` of the worktree (or nested repository) at DIR.
fn removal_status(dir: &Path) -> Result<RemovalStatus> {
    {
        let output = status_command(dir, Batch::Alone)
            .args([
                "--ignore-submodules=none",
                "--untracked-files=normal",
                "--ignored=matching",
            ])
            .output()
            .map_err(GitError::CouldNotRun)?;
        check(&output, "git status")
            .with_context(|| format!("cannot read the status of {}", dir.display()))?;
        let ignored: Vec<PathBuf> = porcelain_records(&output.stdout)
            .into_iter()
            .filter(|record| record.kind == b'!')
            .map(|record| dir.join(path_from_bytes(record.path)))
            .collect();
        let mut repos = find_repositories(&ignored);
        let index = Repository::open(dir)
            .and_then(|repo| repo.index())
            .with_context(|| format!("cannot read the index of {}", dir.display()))?;
        let mut hidden = 0;
        for entry in index.iter() {
            let path = dir.join(path_from_bytes(&entry.path));
            if entry.mode == 0o160000 {
                if path.join(".git").symlink_metadata().is_ok() {
                    repos.push(path);
                }
                continue;
            }
            let hides = IndexEntryFlag::from_bits_truncate(entry.flags).is_valid()
                || IndexEntryExtendedFlag::from_bits_truncate(entry.flags_extended)
                    .is_skip_worktree();
            if hides && differs_from(&path, entry.id) {
                hidden += 1;
            }
        }
        let mut nested = Vec::new();
        for repo in repos {
            if has_work_of_its_own(&repo) {
                nested.push(repo.strip_prefix(dir).unwrap_or(&repo).to_path_buf());
            }
        }
        Ok(RemovalStatus {
            work: parse_porcelain_v2(&output.stdout),
            hidden,
            nested,
        })
    }
}

impl Repo {
    /// How many commits reachable from TIPS are reachable from none of
    /// BASE, a tag, a remote-tracking branch or a local branch other than
    /// EXCEPT: work that exists nowhere else. Tips whose objects are gone
    /// (collected) are skipped.
    pub fn commits_only_in(
        &self,
        tips: &[Oid],
        base: Option<Oid>,
        except: Option<&str>,
    ) -> Result<usize> {
        let mut walk = self.repo.revwalk()?;
        let mut pushed = false;
        for tip in tips {
            pushed |= walk.push(*tip).is_ok();
        }
        if !pushed {
            return Ok(0);
        }
        if let Some(base) = base {
            let _ = walk.hide(base);
        }
        let except = except.map(|b| format!("refs/heads/{b}"));
        for reference in self.repo.references_glob("refs/heads/*")?.flatten() {
            if reference.name().ok() != except.as_deref()
                && let Some(target) = reference.target()
            {
                let _ = walk.hide(target);
            }
        }
        walk.hide_glob("refs/tags/*")?;
        walk.hide_glob("refs/remotes/*")?;
        let mut count = 0;
        for oid in walk {
            oid?;
            count += 1;
        }
        Ok(count)
    }

    /// The copy of COMMIT that a rebase left in TIP: a commit TIP does not
    /// share with COMMIT with the same author, author date and message, and
    /// the same changed paths (a copy whose conflicts were resolved by hand
    /// differs only inside them). Never one of TAKEN, copies already matched
    /// to other commits. Looks at most LIMIT commits back.
    pub fn rebased_copy(
        &self,
        commit: Oid,
        tip: Oid,
        taken: &[Oid],
        limit: usize,
    ) -> Result<Option<Oid>> {
        let original = self.repo.find_commit(commit)?;
        let Some(paths) = self.commit_paths(&original)? else {
            return Ok(None);
        };
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        if let Some(shared) = self.merge_base(commit, tip)? {
            walk.hide(shared)?;
        }
        for oid in walk.take(limit) {
            let oid = oid?;
            let copy = self.repo.find_commit(oid)?;
            let (mine, theirs) = (original.author(), copy.author());
            if !taken.contains(&oid)
                && copy.message_bytes() == original.message_bytes()
                && theirs.when() == mine.when()
                && theirs.email_bytes() == mine.email_bytes()
                && self.commit_paths(&copy)?.as_ref() == Some(&paths)
            {
                return Ok(Some(oid));
            }
        }
        Ok(None)
    }

    /// The paths COMMIT changes against its first parent; `None` for a root
    /// or merge commit, which no rebase copies as such.
    fn commit_paths(&self, commit: &git2::Commit<'_>) -> Result<Option<BTreeSet<String>>> {
        if commit.parent_count() != 1 {
            return Ok(None);
        }
        let parent = commit.parent(0)?.tree()?;
        Ok(Some(self.changed_paths(&parent, &commit.tree()?)?))
    }

    /// The commits only WORKTREE may hold: its HEAD (detached, or the branch
    /// it names) and its per-worktree refs (`refs/worktree/*`,
    /// `refs/bisect/*`, `refs/rewritten/*`), and apart from those every
    /// commit its HEAD reflog records since SINCE (seconds since the epoch).
    /// Read from git's admin dir, so a worktree whose folder is gone still
    /// answers.
    pub fn worktree_tips(&self, worktree: &Worktree, since: i64) -> WorktreeTips {
        let admin = self.admin_dir(worktree);
        let mut tips = WorktreeTips::default();
        if let Ok(head) = fs::read_to_string(admin.join("HEAD")) {
            match head.trim().strip_prefix("ref: ") {
                Some(name) => tips.held.extend(self.repo.refname_to_id(name).ok()),
                None => tips.held.extend(parse_oid(head.trim())),
            }
        }
        if worktree.admin_name.is_none() {
            return tips;
        }
        loose_refs(&admin.join("refs"), &mut tips.held);
        if let Ok(log) = fs::read_to_string(admin.join("logs").join("HEAD")) {
            // A rebase under way: its action (`rebase`, `pull --rebase`,
            // ours) and where HEAD was when it started.
            let mut started: Option<(String, Oid)> = None;
            for line in log.lines() {
                // "<old> <new> <name> <<email>> <time> <zone>\t<message>"
                let (head, message) = line.split_once('\t').unwrap_or((line, ""));
                let fields: Vec<&str> = head.split(' ').collect();
                if let Some((action, _)) = message.split_once(" (start): ")
                    && let Some(old) = fields.first().and_then(|f| parse_oid(f))
                {
                    started = Some((action.to_string(), old));
                } else if let Some((action, _)) = message.split_once(" (finish): ")
                    && let Some((begun, from)) = started.take()
                    && begun == action
                    && let Some(onto) = fields.get(1).and_then(|f| parse_oid(f))
                {
                    tips.rebases.push(Rebase { from, onto });
                }
                let time = fields
                    .len()
                    .checked_sub(2)
                    .and_then(|i| fields[i].parse::<i64>().ok());
                if fields.len() >= 4 && time.is_some_and(|t| t >= since) {
                    tips.logged
                        .extend(fields[..2].iter().filter_map(|f| parse_oid(f)));
                }
            }
        }
        for list in [&mut tips.held, &mut tips.logged] {
            list.retain(|oid| !oid.is_zero());
            list.sort();
            list.dedup();
        }
        tips
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_found_at_any_depth_in_every_folder_given() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        let mkdir = |rel: &str| fs::create_dir_all(root.join(rel)).unwrap();
        mkdir("target/a/b/c/deep/.git");
        // A repository inside a found one is its own business.
        mkdir("target/a/b/c/deep/inner/.git");
        mkdir("node_modules/p/src");
        mkdir("node_modules/q");
        // A worktree or submodule: `.git` is a file.
        fs::write(root.join("node_modules/q/.git"), "gitdir: elsewhere\n").unwrap();
        // Never followed: a link to a repository outside.
        mkdir("outside/.git");
        std::os::unix::fs::symlink(root.join("outside"), root.join("node_modules/link")).unwrap();
        fs::write(root.join("build.log"), "an ignored file\n").unwrap();

        let given = ["target", "node_modules", "build.log", "missing"].map(|p| root.join(p));
        assert_eq!(
            find_repositories(&given),
            [root.join("node_modules/q"), root.join("target/a/b/c/deep")]
        );
        assert!(find_repositories(&[]).is_empty());
    }
}
