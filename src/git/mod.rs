//! The one place that talks to git. Graph and ref work runs in-process through
//! git2; checkout-heavy work (worktree add and remove, working-tree status)
//! runs the `git` executable, which is faster there and honours git hooks,
//! filters, sparse checkout and fsmonitor. docs/design.md says more.
//!
//! This file: discovery, refs and the commit graph. The rest, by job:
//! `worktrees` (listing and git's admin entries), `operation` (operations
//! stopped half-way), `reach` (what only a worktree holds), `workdir` (the
//! `Workdir` handle, `repo.workdir(dir)`: everything run as `git -C
//! <worktree>`), `radar` (in-memory snapshots and trial merges) and
//! `porcelain` (the status parser).

mod archive;
mod operation;
mod others;
mod porcelain;
mod radar;
mod reach;
mod sparse;
mod submodules;
mod upstream;
mod workdir;
mod worktrees;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use git2::{BranchType, Repository};

/// Commit and object ids: the one git2 type the rest of the code handles.
pub use archive::{SavedWork, archive_ref};
pub use git2::Oid;

pub use operation::{
    Operation, last_branch_update, last_logged, last_started_by, pseudo_ref, reflog_action,
    squash_pending,
};
pub use others::Other;
pub use porcelain::{WorkChange, WorkStatus};
pub use radar::{MergePrediction, WorkSnapshot, collide};
pub use sparse::{Sparse, is_sparse, sparse_of};
pub use workdir::{Batch, Integration, strip_repository_env};
pub use worktrees::{ADD_LOCK, HalfWritten, RemovalChecks, Worktree, linked_gitdir};

use crate::error::Failure;
use workdir::{GitError, check, git_in};

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

/// Why no repository could be opened around DIR, as the user can act on
/// it: there is none, or there is one git2 cannot or will not open.
fn undiscoverable(dir: &Path, e: &git2::Error) -> Failure {
    // The folder holding `.git`: what `safe.directory` names.
    let top = dir
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir);
    if e.code() == git2::ErrorCode::Owner {
        return Failure::error(format!(
            "{} is owned by another user, and git trusts only repositories listed in safe.directory",
            top.display()
        ))
        .with_hint(format!(
            "git config --global --add safe.directory {}",
            crate::shell::quote(&top.to_string_lossy())
        ));
    }
    if e.code() == git2::ErrorCode::NotFound {
        return Failure::usage(format!("not in a git repository: {}", dir.display()))
            .with_hint("run sessions inside a git repository or one of its worktrees");
    }
    if e.message().contains("object format") {
        return Failure::error(format!(
            "{} uses SHA-256 object names, which sessions cannot read yet (only SHA-1 repositories): {}",
            top.display(),
            e.message()
        ));
    }
    Failure::error(format!(
        "cannot open the git repository at {}: {}",
        top.display(),
        e.message()
    ))
}

fn canonical(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))
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

impl Repo {
    /// The repository containing `dir`, from its main or any linked worktree.
    pub fn discover(dir: &Path) -> Result<Repo> {
        let found = Repository::discover(dir).map_err(|e| undiscoverable(dir, &e))?;
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

    /// The root of the outermost superproject when this repository is checked
    /// out as a submodule (its main worktree a gitlink in another's index).
    pub fn superproject_root(&self) -> Option<PathBuf> {
        let mut inner = self.main_worktree.clone()?;
        let mut outermost = None;
        while let Some(parent) = inner.parent()
            && let Ok(outer) = Repository::discover(parent)
            && let Some(workdir) = outer.workdir().and_then(|w| canonical(w).ok())
            && let Ok(rel) = inner.strip_prefix(&workdir)
            && let Ok(index) = outer.index()
            && index
                .get_path(rel, 0)
                .is_some_and(|entry| entry.mode == 0o160000)
        {
            outermost = Some(workdir.clone());
            inner = workdir;
        }
        outermost
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

    /// The commit a session's BASE names now. A base named like a
    /// remote-tracking branch or a tag is looked up by that full ref first:
    /// git's own lookup puts `refs/heads/NAME` before `refs/remotes/NAME`, so
    /// a local branch called `origin/main` (a session's, say) would otherwise
    /// stand in for the base and make that session's work look merged.
    pub fn resolve_base(&self, base: &str) -> Option<Oid> {
        ["refs/tags/", "refs/remotes/"]
            .iter()
            .find_map(|prefix| {
                let reference = self.repo.find_reference(&format!("{prefix}{base}")).ok()?;
                reference.peel_to_commit().ok().map(|c| c.id())
            })
            .or_else(|| self.try_resolve_commit(base))
    }

    /// The ref other than `refs/heads/NAME` that git would also take NAME
    /// for (`refs/remotes/NAME`, `refs/tags/NAME`...), or `HEAD` itself: a
    /// branch so named makes every lookup of NAME ambiguous.
    pub fn shadowed_by_branch(&self, name: &str) -> Option<String> {
        if name == "HEAD" {
            return Some("HEAD".to_string());
        }
        [
            format!("refs/{name}"),
            format!("refs/tags/{name}"),
            format!("refs/remotes/{name}"),
            format!("refs/remotes/{name}/HEAD"),
        ]
        .into_iter()
        .find(|full| self.repo.find_reference(full).is_ok())
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

    /// Removes `refs/heads/NAME.lock`, which a process killed while it
    /// updated branch NAME leaves, and which then stops every update of it.
    /// Callers make sure its writer is dead. Says whether there was one.
    pub fn remove_branch_lock(&self, name: &str) -> Result<bool> {
        let lock = self
            .common_dir
            .join("refs/heads")
            .join(format!("{name}.lock"));
        match fs::remove_file(&lock) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", lock.display())),
        }
    }

    /// Whether TIP has commits of its own that change nothing against BASE:
    /// not in BASE, yet its tree is that of where it left BASE (commits that
    /// cancel out). Merging it changes nothing, but it is not merged.
    pub fn cancels_out(&self, tip: Oid, base: Oid) -> Result<bool> {
        if self.is_ancestor(tip, base)? {
            return Ok(false);
        }
        let Some(fork) = self.merge_base(tip, base)? else {
            return Ok(false);
        };
        Ok(self.repo.find_commit(tip)?.tree_id() == self.repo.find_commit(fork)?.tree_id())
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

    /// Every branch, remote-tracking branch and tag, short names with what
    /// each is, sorted: what `--base` and `--branch` complete to.
    pub fn ref_names(&self) -> Result<Vec<(String, &'static str)>> {
        let mut names = Vec::new();
        for reference in self.repo.references()? {
            let reference = reference?;
            let (Ok(full), Ok(short)) = (reference.name(), reference.shorthand()) else {
                continue;
            };
            let kind = match full {
                _ if full.starts_with("refs/heads/") => "branch",
                _ if full.starts_with("refs/tags/") => "tag",
                _ if full.starts_with("refs/remotes/") && !full.ends_with("/HEAD") => {
                    "remote branch"
                }
                _ => continue,
            };
            names.push((short.to_string(), kind));
        }
        names.sort();
        Ok(names)
    }

    /// The tree of COMMIT.
    pub fn commit_tree(&self, commit: Oid) -> Result<Oid> {
        Ok(self.repo.find_commit(commit)?.tree_id())
    }

    pub fn parents(&self, commit: Oid) -> Result<Vec<Oid>> {
        Ok(self.repo.find_commit(commit)?.parent_ids().collect())
    }

    /// A squash commit's message: the one commit's message (subject and
    /// body) when there is one; for several, a summary line (their subjects
    /// when they fit on one, else the first and how many more) and the list
    /// of their subjects, oldest first, from BASE to TIP.
    pub fn squash_message(&self, name: &str, tip: Oid, base: Oid) -> Result<String> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        walk.hide(base)?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
        let commits: Vec<Oid> = walk.collect::<Result<_, _>>()?;
        if let [only] = commits[..] {
            let commit = self.repo.find_commit(only)?;
            return Ok(String::from_utf8_lossy(commit.message_bytes()).into_owned());
        }
        let mut subjects = Vec::new();
        for oid in &commits {
            let commit = self.repo.find_commit(*oid)?;
            subjects.push(
                commit
                    .summary()
                    .ok()
                    .flatten()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        let joined = subjects.join("; ");
        let summary = match &subjects[..] {
            [first, rest @ ..] if joined.chars().count() > 72 => {
                format!("{first} (+{} more)", rest.len())
            }
            _ => joined,
        };
        let mut message = format!(
            "{summary}\n\nSession '{name}', {} commits:\n\n",
            commits.len()
        );
        for subject in subjects {
            message.push_str(&format!("* {subject}\n"));
        }
        Ok(message)
    }

    /// Pushes local BRANCH to the same name on its remote (its upstream's
    /// remote, else `origin`). Never forced.
    pub fn push_branch(&self, branch: &str) -> Result<()> {
        let remote = self.push_remote(branch);
        let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
        let output = self
            .git_command()
            .args(["push", "--quiet", "--end-of-options", &remote, &refspec])
            .output()
            .map_err(GitError::CouldNotRun)?;
        check(&output, "git push").with_context(|| format!("cannot push '{branch}' to {remote}"))
    }

    /// The remote `push_branch` pushes BRANCH to: its configured remote,
    /// else `origin`.
    pub fn push_remote(&self, branch: &str) -> String {
        self.repo
            .config()
            .and_then(|c| c.get_string(&format!("branch.{branch}.remote")))
            .unwrap_or_else(|_| "origin".into())
    }

    /// The configured remote whose remote-tracking branch BASE names
    /// (`origin` for `origin/main`), whether or not that branch is there now;
    /// `None` for a local branch, a tag or a commit.
    pub fn remote_of_base(&self, base: &str) -> Option<String> {
        let tracking = self.repo.find_reference(&format!("refs/remotes/{base}"));
        if tracking.is_err() && self.try_resolve_commit(base).is_some() {
            return None;
        }
        let remotes = self.repo.remotes().ok()?;
        remotes
            .iter()
            .filter_map(|remote| remote.ok().flatten())
            .filter(|remote| {
                base.strip_prefix(remote)
                    .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
            })
            .max_by_key(|remote| remote.len())
            .map(str::to_string)
    }

    /// `git fetch REMOTE`, with its configured refspecs. Never asks for
    /// credentials: a remote that needs them fails instead of hanging.
    pub fn fetch(&self, remote: &str) -> Result<()> {
        let output = self
            .git_command()
            .env("GIT_TERMINAL_PROMPT", "0")
            .args(["fetch", "--quiet", "--end-of-options", remote])
            .output()
            .map_err(GitError::CouldNotRun)?;
        check(&output, "git fetch").with_context(|| format!("cannot fetch from {remote}"))
    }

    fn git_command(&self) -> Command {
        git_in(self.home_dir())
    }
}

/// Git for unit tests that need real repositories.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;
    use std::process::Command;

    /// Runs git in DIR, isolated from the user's configuration; its output.
    pub fn git(dir: &Path, args: &[&str]) -> String {
        git_as(dir, args, "")
    }

    /// `git ARGS` with reflog action ACTION (none when empty), as a
    /// `sessions` process runs it.
    pub fn git_as(dir: &Path, args: &[&str], action: &str) -> String {
        let mut command = Command::new("git");
        if !action.is_empty() {
            command.env("GIT_REFLOG_ACTION", action);
        }
        let output = command
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }
}
