//! The one place that talks to git. Graph and ref work runs in-process through
//! git2; checkout-heavy work (worktree add and remove, working-tree status)
//! runs the `git` executable, which is faster there and honours hooks,
//! filters, sparse checkout and fsmonitor. docs/design.md says more.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use git2::{BranchType, Oid, Repository, WorktreeLockStatus};

use crate::error::Failure;

/// A repository seen from its common git dir, whichever of its worktrees we
/// were started in.
pub struct Repo {
    repo: Repository,
    common_dir: PathBuf,
    main_worktree: Option<PathBuf>,
    /// Whether object writes already go to memory (see `in_memory_writes`).
    mempack: std::cell::Cell<bool>,
}

/// Where a repository is, to open it again on another thread: a `Repo` may
/// move between threads but not be shared by them.
#[derive(Debug, Clone)]
pub struct RepoHandle {
    common_dir: PathBuf,
    main_worktree: Option<PathBuf>,
}

impl RepoHandle {
    pub fn open(&self) -> Result<Repo> {
        let repo = Repository::open(&self.common_dir)
            .with_context(|| format!("cannot open repository {}", self.common_dir.display()))?;
        Ok(Repo {
            repo,
            common_dir: self.common_dir.clone(),
            main_worktree: self.main_worktree.clone(),
            mempack: Default::default(),
        })
    }
}

/// One commit, for listings.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: Oid,
    pub summary: String,
    /// Committer time, seconds since the Unix epoch.
    pub time: i64,
}

/// One file changed between two trees, with its line counts.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub path: String,
    pub added: usize,
    pub deleted: usize,
}

/// One worktree as git records it.
#[derive(Debug, Clone)]
pub struct Worktree {
    /// Git's admin name (`.git/worktrees/<name>`); `None` for the main worktree.
    pub admin_name: Option<String>,
    pub path: PathBuf,
    /// The branch checked out there (or being rebased there), short name.
    pub branch: Option<String>,
    /// `Some(reason)` when locked; the reason may be empty.
    pub locked: Option<String>,
    /// Git's admin entry points at a folder that is gone.
    pub prunable: bool,
}

/// Who has made sure that removing a worktree loses nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalChecks {
    /// Git checks: it refuses modified or untracked files, submodules and locks.
    ByGit,
    /// The caller has just found the worktree clean and unlocked; git still
    /// refuses a lock.
    DoneByCaller,
    /// Nobody: remove whatever is there, locked or not.
    None,
}

/// What `git status` reports for a working tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkStatus {
    /// Tracked files with staged or unstaged changes, conflicts included.
    pub modified: usize,
    /// Untracked files and folders that are not ignored.
    pub untracked: usize,
}

impl WorkStatus {
    pub fn is_clean(&self) -> bool {
        self.modified == 0 && self.untracked == 0
    }

    /// "2 modified files and 1 untracked file", for messages.
    pub fn describe(&self) -> String {
        let count = |n: usize, what: &str| match n {
            1 => format!("1 {what} file"),
            n => format!("{n} {what} files"),
        };
        match (self.modified, self.untracked) {
            (0, 0) => "no changes".into(),
            (m, 0) => count(m, "modified"),
            (0, u) => count(u, "untracked"),
            (m, u) => format!("{} and {}", count(m, "modified"), count(u, "untracked")),
        }
    }
}

impl Repo {
    /// The repository containing `dir`, from its main or any linked worktree.
    pub fn discover(dir: &Path) -> Result<Repo> {
        let found = Repository::discover(dir).map_err(|_| {
            Failure::usage(format!("not in a git repository: {}", dir.display()))
                .with_hint("run sessions inside a git repository or one of its worktrees")
        })?;
        let common_dir = canonical(found.commondir())?;
        let repo = if found.is_worktree() {
            Repository::open(&common_dir)
                .with_context(|| format!("cannot open repository {}", common_dir.display()))?
        } else {
            found
        };
        let main_worktree = match repo.workdir() {
            Some(dir) if !repo.is_bare() => Some(canonical(dir)?),
            _ => None,
        };
        Ok(Repo {
            repo,
            common_dir,
            main_worktree,
            mempack: Default::default(),
        })
    }

    pub fn handle(&self) -> RepoHandle {
        RepoHandle {
            common_dir: self.common_dir.clone(),
            main_worktree: self.main_worktree.clone(),
        }
    }

    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// The main worktree; `None` in a bare repository.
    pub fn main_worktree(&self) -> Option<&Path> {
        self.main_worktree.as_deref()
    }

    /// The folder the repository is known by: the main worktree, or the bare
    /// repository itself.
    pub fn home_dir(&self) -> &Path {
        self.main_worktree.as_deref().unwrap_or(&self.common_dir)
    }

    /// The default base for new sessions: what `origin/HEAD` points at when
    /// there is one, else the branch checked out in the main worktree.
    pub fn default_branch(&self) -> Result<String> {
        if let Ok(reference) = self.repo.find_reference("refs/remotes/origin/HEAD")
            && let Ok(Some(target)) = reference.symbolic_target()
            && let Some(short) = target.strip_prefix("refs/remotes/")
            && self.repo.find_reference(target).is_ok()
        {
            return Ok(short.to_string());
        }
        let head = self.repo.find_reference("HEAD")?;
        match head
            .symbolic_target()?
            .and_then(|t| t.strip_prefix("refs/heads/"))
        {
            Some(branch) => Ok(branch.to_string()),
            None => Err(Failure::usage(
                "the main worktree has no branch checked out (detached HEAD)",
            )
            .with_hint("name the base explicitly with --base")
            .into()),
        }
    }

    /// The commit REV names (branch, tag, remote branch, hash...).
    pub fn resolve_commit(&self, rev: &str) -> Result<Oid> {
        let object = self
            .repo
            .revparse_single(rev)
            .map_err(|e| Failure::usage(format!("cannot resolve '{rev}': {}", e.message())))?;
        let commit = object
            .peel_to_commit()
            .map_err(|_| Failure::usage(format!("'{rev}' does not name a commit")))?;
        Ok(commit.id())
    }

    /// The commit REV names now, or `None` when it no longer resolves.
    pub fn try_resolve_commit(&self, rev: &str) -> Option<Oid> {
        self.repo
            .revparse_single(rev)
            .ok()?
            .peel_to_commit()
            .ok()
            .map(|c| c.id())
    }

    pub fn is_valid_branch_name(name: &str) -> bool {
        git2::Branch::name_is_valid(name).unwrap_or(false)
    }

    /// The tip of local branch NAME, if it exists.
    pub fn branch_tip(&self, name: &str) -> Option<Oid> {
        let branch = self.repo.find_branch(name, BranchType::Local).ok()?;
        branch.get().target()
    }

    pub fn create_branch(&self, name: &str, at: Oid) -> Result<()> {
        let commit = self.repo.find_commit(at)?;
        self.repo
            .branch(name, &commit, false)
            .with_context(|| format!("cannot create branch '{name}'"))?;
        Ok(())
    }

    pub fn delete_branch(&self, name: &str) -> Result<()> {
        let mut branch = self
            .repo
            .find_branch(name, BranchType::Local)
            .with_context(|| format!("cannot find branch '{name}'"))?;
        branch
            .delete()
            .with_context(|| format!("cannot delete branch '{name}'"))
    }

    /// Every worktree of the repository, the main one first.
    pub fn worktrees(&self) -> Result<Vec<Worktree>> {
        let mut all = Vec::new();
        if let Some(main) = &self.main_worktree {
            all.push(Worktree {
                admin_name: None,
                path: main.clone(),
                branch: checked_out_branch(&self.common_dir),
                locked: None,
                prunable: false,
            });
        }
        for name in self.repo.worktrees()?.iter().flatten().flatten() {
            let Ok(worktree) = self.repo.find_worktree(name) else {
                continue;
            };
            let admin = self.common_dir.join("worktrees").join(name);
            let locked = match worktree.is_locked() {
                Ok(WorktreeLockStatus::Locked(reason)) => {
                    // Git stores the reason with a trailing newline.
                    Some(reason.unwrap_or_default().trim_end().to_string())
                }
                _ => None,
            };
            all.push(Worktree {
                admin_name: Some(name.to_string()),
                path: canonical(worktree.path()).unwrap_or_else(|_| worktree.path().to_path_buf()),
                branch: checked_out_branch(&admin),
                locked,
                // As `git worktree prune` judges: the folder or its `.git`
                // file is gone.
                prunable: worktree.validate().is_err() || !worktree.path().join(".git").exists(),
            });
        }
        Ok(all)
    }

    /// `git worktree add PATH BRANCH`: checks BRANCH out into a new worktree.
    pub fn add_worktree(&self, path: &Path, branch: &str) -> Result<()> {
        let output = self
            .git_command()
            .args(["worktree", "add", "--quiet"])
            .arg(path)
            .arg(branch)
            .output()
            .context("cannot run git")?;
        check(&output, "git worktree add")
            .with_context(|| format!("cannot create worktree {}", path.display()))
    }

    /// `git worktree remove`, with as much force as CHECKS says is due.
    pub fn remove_worktree(&self, path: &Path, checks: RemovalChecks) -> Result<()> {
        let mut command = self.git_command();
        command.args(["worktree", "remove"]);
        match checks {
            RemovalChecks::ByGit => {}
            // Git's own check would run `git status` a second time.
            RemovalChecks::DoneByCaller => {
                command.arg("--force");
            }
            // Twice: once for local changes, once more for a lock.
            RemovalChecks::None => {
                command.args(["--force", "--force"]);
            }
        }
        let output = command.arg(path).output().context("cannot run git")?;
        check(&output, "git worktree remove")
            .with_context(|| format!("cannot remove worktree {}", path.display()))
    }

    /// `git worktree prune`: drops admin entries whose folder is gone.
    pub fn prune_worktrees(&self) -> Result<()> {
        let output = self
            .git_command()
            .args(["worktree", "prune"])
            .output()
            .context("cannot run git")?;
        check(&output, "git worktree prune")
    }

    /// Counts of modified and untracked files in the working tree at `dir`.
    pub fn status(dir: &Path) -> Result<WorkStatus> {
        // No optional locks: an agent committing in that worktree at the same
        // moment must never find the index locked by us.
        let output = git_in(dir)
            .args(["--no-optional-locks", "status", "--porcelain=v2", "-z"])
            .arg("--ignore-submodules=none")
            .output()
            .context("cannot run git")?;
        check(&output, "git status")
            .with_context(|| format!("cannot read the status of {}", dir.display()))?;
        Ok(parse_porcelain_v2(&output.stdout))
    }

    /// Ignored files in the working tree at `dir` (never tracked ones),
    /// relative to it: `git ls-files --others --ignored --exclude-standard`.
    pub fn ignored_files(dir: &Path) -> Result<Vec<PathBuf>> {
        let output = git_in(dir)
            .args([
                "ls-files",
                "-z",
                "--others",
                "--ignored",
                "--exclude-standard",
            ])
            .output()
            .context("cannot run git")?;
        check(&output, "git ls-files")
            .with_context(|| format!("cannot list the ignored files of {}", dir.display()))?;
        Ok(output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(path_from_bytes)
            .collect())
    }

    /// Commits reachable from `tip` that are neither reachable from `base`
    /// nor from any remote-tracking branch: work that exists nowhere else.
    pub fn unpushed_commits(&self, tip: Oid, base: Option<Oid>) -> Result<Vec<Oid>> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        if let Some(base) = base {
            walk.hide(base)?;
        }
        walk.hide_glob("refs/remotes/*")?;
        Ok(walk.collect::<Result<_, _>>()?)
    }

    /// The best common ancestor of two commits, if they share history.
    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        match self.repo.merge_base(a, b) {
            Ok(oid) => Ok(Some(oid)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `ancestor` is reachable from `descendant` (or is it).
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        Ok(ancestor == descendant || self.repo.graph_descendant_of(descendant, ancestor)?)
    }

    /// Whether merging `tip` into `base` would leave `base`'s tree unchanged:
    /// true after a fast-forward, squash or rebase merge of that work.
    pub fn content_merged(&self, tip: Oid, base: Oid) -> Result<bool> {
        if self.is_ancestor(tip, base)? {
            return Ok(true);
        }
        let base_commit = self.repo.find_commit(base)?;
        let tip_commit = self.repo.find_commit(tip)?;
        let mut merged = self.repo.merge_commits(&base_commit, &tip_commit, None)?;
        if merged.has_conflicts() {
            return Ok(false);
        }
        self.in_memory_writes()?;
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

    /// Commits in `local` not in `upstream`, and in `upstream` not in `local`.
    pub fn ahead_behind(&self, local: Oid, upstream: Oid) -> Result<(usize, usize)> {
        Ok(self.repo.graph_ahead_behind(local, upstream)?)
    }

    pub fn commit_info(&self, oid: Oid) -> Result<CommitInfo> {
        let commit = self.repo.find_commit(oid)?;
        Ok(CommitInfo {
            id: oid,
            summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .into_owned(),
            time: commit.committer().when().seconds(),
        })
    }

    /// Commits reachable from `tip` but not from `hide`, newest first.
    pub fn commits_between(&self, tip: Oid, hide: Option<Oid>) -> Result<Vec<CommitInfo>> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        if let Some(hide) = hide {
            walk.hide(hide)?;
        }
        walk.map(|oid| self.commit_info(oid?)).collect()
    }

    /// Files that differ between the trees of commits `from` and `to`.
    pub fn diff_files(&self, from: Oid, to: Oid) -> Result<Vec<FileChange>> {
        let old = self.repo.find_commit(from)?.tree()?;
        let new = self.repo.find_commit(to)?.tree()?;
        let mut diff = self.repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
        diff.find_similar(None)?;
        let mut files = Vec::new();
        for index in 0..diff.deltas().len() {
            let delta = diff.get_delta(index).context("a diff delta")?;
            let path = delta
                .new_file()
                .path()
                .or_else(|| delta.old_file().path())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let (added, deleted) = match git2::Patch::from_diff(&diff, index)? {
                Some(patch) => {
                    let (_, added, deleted) = patch.line_stats()?;
                    (added, deleted)
                }
                None => (0, 0),
            };
            files.push(FileChange {
                path,
                added,
                deleted,
            });
        }
        Ok(files)
    }

    /// Every local branch, short names.
    pub fn local_branches(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for branch in self.repo.branches(Some(BranchType::Local))? {
            if let Some(name) = branch?.0.name()? {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    /// Releases the lock on the worktree whose admin name is `admin_name`.
    pub fn unlock_worktree(&self, admin_name: &str) -> Result<()> {
        self.repo
            .find_worktree(admin_name)?
            .unlock()
            .with_context(|| format!("cannot unlock worktree '{admin_name}'"))
    }

    fn git_command(&self) -> Command {
        git_in(self.home_dir())
    }
}

/// A `git` command run in `dir`, unaffected by the variables git sets for
/// hooks (we may be run from one).
fn git_in(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).stdin(Stdio::null());
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_PREFIX",
        "GIT_OBJECT_DIRECTORY",
    ] {
        command.env_remove(var);
    }
    command
}

fn check(output: &Output, what: &str) -> Result<()> {
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let detail = stderr.trim();
    match (output.status.code(), detail.is_empty()) {
        (Some(code), true) => bail!("{what} failed with exit code {code}"),
        (None, true) => bail!("{what} was killed by a signal"),
        (_, false) => Err(anyhow!("{what} failed: {detail}")),
    }
}

fn canonical(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// The branch checked out in the worktree whose admin dir is `admin`: from
/// its HEAD, or from the rebase in progress there (git counts both).
fn checked_out_branch(admin: &Path) -> Option<String> {
    let from_ref = |file: &Path, prefix: &str| -> Option<String> {
        let text = fs::read_to_string(file).ok()?;
        let target = text.trim().strip_prefix(prefix)?;
        target.strip_prefix("refs/heads/").map(str::to_string)
    };
    from_ref(&admin.join("HEAD"), "ref: ")
        .or_else(|| from_ref(&admin.join("rebase-merge/head-name"), ""))
        .or_else(|| from_ref(&admin.join("rebase-apply/head-name"), ""))
}

fn parse_porcelain_v2(out: &[u8]) -> WorkStatus {
    let mut status = WorkStatus::default();
    let mut records = out.split(|b| *b == 0);
    while let Some(record) = records.next() {
        match record.first() {
            Some(b'1') | Some(b'u') => status.modified += 1,
            Some(b'2') => {
                status.modified += 1;
                // A rename record is followed by its original path.
                records.next();
            }
            Some(b'?') => status.untracked += 1,
            _ => {}
        }
    }
    status
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// True when `path` names something that is not an empty folder.
pub fn is_nonempty_dir(path: &Path) -> bool {
    match fs::read_dir(path) {
        Ok(mut entries) => entries.next().is_some(),
        Err(_) => path.exists(),
    }
}

/// A short, unique-enough abbreviation of a commit id for messages.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

pub fn parse_oid(text: &str) -> Option<Oid> {
    Oid::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_counts_modified_renamed_conflicted_and_untracked() {
        let out = b"1 .M N... 100644 100644 100644 a a src/a.rs\0\
2 R. N... 100644 100644 100644 a a R100 new.rs\0old.rs\0\
u UU N... 1 2 3 4 a b c d conflict.rs\0\
? notes.txt\0\
? build/\0";
        assert_eq!(
            parse_porcelain_v2(out),
            WorkStatus {
                modified: 3,
                untracked: 2
            }
        );
        assert!(parse_porcelain_v2(b"").is_clean());
    }
}
