//! The one place that talks to git. Graph and ref work runs in-process through
//! git2; checkout-heavy work (worktree add and remove, working-tree status)
//! runs the `git` executable, which is faster there and honours hooks,
//! filters, sparse checkout and fsmonitor. docs/design.md says more.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use git2::{BranchType, IndexEntryExtendedFlag, IndexEntryFlag, Repository, WorktreeLockStatus};

/// Commit and object ids: the one git2 type the rest of the code handles.
pub use git2::Oid;

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

/// A multi-step git operation stopped half-way in a worktree: the user's
/// (or an agent's) work in progress, which `sessions` never removes,
/// rewrites or aborts unless it started the operation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Rebase,
    Am,
    Merge,
    CherryPick,
    Revert,
    Bisect,
}

impl Operation {
    /// The marker git leaves in a worktree's admin dir while each is under
    /// way, in the order git itself checks them.
    const MARKERS: [(&'static str, Operation); 7] = [
        ("rebase-merge", Operation::Rebase),
        ("rebase-apply/applying", Operation::Am),
        ("rebase-apply", Operation::Rebase),
        ("MERGE_HEAD", Operation::Merge),
        ("CHERRY_PICK_HEAD", Operation::CherryPick),
        ("REVERT_HEAD", Operation::Revert),
        ("BISECT_LOG", Operation::Bisect),
    ];

    /// The one under way in the worktree whose git admin dir is ADMIN.
    pub fn under_way(admin: &Path) -> Option<Operation> {
        Operation::MARKERS
            .iter()
            .find(|(marker, _)| admin.join(marker).exists())
            .map(|&(_, operation)| operation)
            .or_else(|| Operation::sequence(admin))
    }

    /// A cherry-pick or revert of several commits whose current one is
    /// committed (no CHERRY_PICK_HEAD or REVERT_HEAD) while the rest wait:
    /// git's wt-status.c reads the first command of `sequencer/todo`.
    fn sequence(admin: &Path) -> Option<Operation> {
        let todo = fs::read_to_string(admin.join("sequencer/todo")).ok()?;
        let mut words = todo.trim_start().splitn(2, [' ', '\t']);
        let command = words.next()?;
        words.next()?; // git wants the command followed by a blank
        match command {
            "pick" | "p" => Some(Operation::CherryPick),
            "revert" => Some(Operation::Revert),
            _ => None,
        }
    }

    /// What the user would type to finish or abandon it.
    pub fn command(self) -> &'static str {
        match self {
            Operation::Rebase => "git rebase --continue / --abort",
            Operation::Am => "git am --continue / --abort",
            Operation::Merge => "git merge --continue / --abort",
            Operation::CherryPick => "git cherry-pick --continue / --abort",
            Operation::Revert => "git revert --continue / --abort",
            Operation::Bisect => "git bisect reset",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Rebase => "a rebase",
            Operation::Am => "a `git am`",
            Operation::Merge => "a merge",
            Operation::CherryPick => "a cherry-pick",
            Operation::Revert => "a revert",
            Operation::Bisect => "a bisect",
        })
    }
}

/// The commit that pseudo-ref NAME of a worktree names (`ORIG_HEAD`, where
/// HEAD was before the last merge or rebase; `MERGE_HEAD`, what is being
/// merged), read from its git admin dir ADMIN: whether an operation found
/// there is the one a `sessions` killed half-way started.
pub fn pseudo_ref(admin: &Path, name: &str) -> Option<Oid> {
    let text = fs::read_to_string(admin.join(name)).ok()?;
    parse_oid(text.lines().next()?.trim())
}

/// The latest entry of BRANCH's reflog in the repository whose common dir
/// is COMMON: the commit it set BRANCH to, and its message. Tells whether a
/// branch is still exactly where a step of ours left it.
pub fn last_branch_update(common: &Path, branch: &str) -> Option<(Oid, String)> {
    last_logged(&common.join("logs/refs/heads").join(branch))
}

/// The latest entry of reflog file LOG that names a commit: the commit, and
/// the entry's message.
pub fn last_logged(log: &Path) -> Option<(Oid, String)> {
    let log = fs::read_to_string(log).ok()?;
    log.lines().rev().find_map(|line| {
        // "<old> <new> <name> <<email>> <time> <zone>\t<message>"
        let (fields, message) = line.split_once('\t').unwrap_or((line, ""));
        let new = parse_oid(fields.split(' ').nth(1)?).filter(|oid| !oid.is_zero())?;
        Some((new, message.to_string()))
    })
}

/// Whether a `git merge --squash` left its result staged but uncommitted
/// in the worktree whose git admin dir is ADMIN.
pub fn squash_pending(admin: &Path) -> bool {
    admin.join("SQUASH_MSG").exists()
}

/// Who has made sure that removing a worktree loses nothing. Never git
/// alone: its own check honours configuration that hides untracked files and
/// submodule changes, and knows nothing of nested repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalChecks {
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

/// The commits a worktree holds, for `Repo::worktree_tips`.
#[derive(Debug, Clone, Default)]
pub struct WorktreeTips {
    /// Its HEAD and per-worktree refs.
    pub held: Vec<Oid>,
    /// What its HEAD reflog records.
    pub logged: Vec<Oid>,
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

    /// Git's admin folder of WORKTREE: the common dir for the main worktree,
    /// `worktrees/<name>` below it for a linked one.
    pub fn admin_dir(&self, worktree: &Worktree) -> PathBuf {
        match &worktree.admin_name {
            None => self.common_dir.clone(),
            Some(name) => self.common_dir.join("worktrees").join(name),
        }
    }

    /// The rebase, merge, cherry-pick, revert, bisect or `git am` stopped
    /// half-way in WORKTREE, if any.
    pub fn operation_in_progress(&self, worktree: &Worktree) -> Option<Operation> {
        Operation::under_way(&self.admin_dir(worktree))
    }

    /// `git worktree add PATH BRANCH`: checks BRANCH out into a new worktree.
    pub fn add_worktree(&self, path: &Path, branch: &str) -> Result<()> {
        // In the C locale git writes its lock reason as `initializing`
        // (ADD_LOCK), by which doctor knows a worktree it never finished; a
        // translated reason would hide it.
        let output = self
            .git_command()
            .env("LC_ALL", "C")
            .args(["worktree", "add", "--quiet", "--end-of-options"])
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
            // Git's own check would run `git status` a second time, and
            // refuse any submodule outright.
            RemovalChecks::DoneByCaller => {
                command.arg("--force");
            }
            // Twice: once for local changes, once more for a lock.
            RemovalChecks::None => {
                command.args(["--force", "--force"]);
            }
        }
        // Shielded: a Ctrl-C at the terminal must not stop git half-way
        // through deleting the folder; `rm` notices it afterwards.
        let output = shielded(command.arg("--end-of-options").arg(path))?;
        check(&output, "git worktree remove")
            .with_context(|| format!("cannot remove worktree {}", path.display()))
    }

    /// `git worktree repair [-- PATHS]` from the main worktree: links the
    /// repository and its worktrees again after either was moved.
    pub fn repair_worktrees(&self, paths: &[PathBuf]) -> Result<()> {
        let mut command = self.git_command();
        command.args(["worktree", "repair"]);
        if !paths.is_empty() {
            command.arg("--").args(paths);
        }
        let output = command.output().context("cannot run git")?;
        check(&output, "git worktree repair")
    }

    /// Where git's admin entry of linked WORKTREE says its folder is, as
    /// written (`Worktree::path` is resolved through symlinks).
    pub fn recorded_path(&self, worktree: &Worktree) -> Option<PathBuf> {
        let admin = self.admin_dir(worktree);
        let text = fs::read_to_string(admin.join("gitdir")).ok()?;
        // Relative to the admin folder when `worktree.useRelativePaths` is set.
        let dot_git = admin.join(text.trim_end_matches(['\n', '\r']));
        dot_git.parent().map(Path::to_path_buf)
    }

    /// Drops git's admin entry of WORKTREE, whose folder is gone: what `git
    /// worktree prune` does, for this one worktree only, and never a locked
    /// one (a lock says the folder is only away, on a drive unplugged).
    pub fn remove_admin_entry(&self, worktree: &Worktree) -> Result<()> {
        let Some(name) = &worktree.admin_name else {
            bail!("the main worktree has no admin entry to drop");
        };
        let admin = self.admin_dir(worktree);
        if admin.join("locked").exists() {
            bail!(
                "git has worktree {} locked; not dropping its admin entry",
                worktree.path.display()
            );
        }
        fs::remove_dir_all(&admin).with_context(|| {
            format!(
                "cannot remove git's admin entry {name} ({})",
                admin.display()
            )
        })?;
        // As git does: the folder of admin entries goes with the last one.
        let _ = fs::remove_dir(self.common_dir.join("worktrees"));
        Ok(())
    }

    /// Entries under `worktrees/` that a killed `git worktree add` (or
    /// `remove`) left without `gitdir`, `commondir` or `HEAD`, or with one
    /// of them empty: git2 skips or misreads them, and git
    /// itself may fail on them (`rev-list --all` on one without `commondir`).
    pub fn half_written_entries(&self) -> Vec<HalfWritten> {
        let Ok(listing) = fs::read_dir(self.common_dir.join("worktrees")) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for item in listing.flatten() {
            let admin = item.path();
            // Git creates each file, then writes it: empty is unwritten.
            let written =
                |f: &&str| fs::metadata(admin.join(f)).is_ok_and(|m| m.is_file() && m.len() > 0);
            if !admin.is_dir() || ["gitdir", "commondir", "HEAD"].iter().all(written) {
                continue;
            }
            // Empty when git was killed between creating it and writing it.
            let path = fs::read_to_string(admin.join("gitdir"))
                .ok()
                .and_then(|text| {
                    let text = text.trim_end_matches(['\n', '\r']);
                    let dot_git = admin.join(text);
                    (!text.is_empty()).then(|| dot_git.parent().map(Path::to_path_buf))?
                });
            found.push(HalfWritten {
                name: item.file_name().to_string_lossy().into_owned(),
                removable: holds_only_what_add_writes_first(&admin),
                admin,
                path,
            });
        }
        found
    }

    /// Removes half-written admin ENTRY, and the `.git` file git wrote for
    /// it into FOLDER (its own `gitdir`'s when `None`); callers check
    /// `removable` and that its writer is dead.
    pub fn remove_half_written(&self, entry: &HalfWritten, folder: Option<&Path>) -> Result<()> {
        if let Some(dir) = folder.or(entry.path.as_deref())
            && linked_gitdir(dir)
                .is_some_and(|g| canonical(&g).ok() == canonical(&entry.admin).ok())
        {
            fs::remove_file(dir.join(".git"))
                .with_context(|| format!("cannot remove {}", dir.join(".git").display()))?;
        }
        fs::remove_dir_all(&entry.admin).with_context(|| {
            format!("cannot remove git's admin entry {}", entry.admin.display())
        })?;
        let _ = fs::remove_dir(self.common_dir.join("worktrees"));
        Ok(())
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

    /// Counts of modified and untracked files in the working tree at `dir`.
    /// Untracked files and submodule changes count whatever the repository's
    /// `status.showUntrackedFiles` and `submodule.<name>.ignore` say.
    pub fn status(dir: &Path, batch: Batch) -> Result<WorkStatus> {
        let output = status_command(dir, batch)
            .args(["--ignore-submodules=none", "--untracked-files=normal"])
            .output()
            .context("cannot run git")?;
        check(&output, "git status")
            .with_context(|| format!("cannot read the status of {}", dir.display()))?;
        Ok(parse_porcelain_v2(&output.stdout))
    }

    /// What removing the worktree at DIR would lose from its folder: one `git
    /// status` that also names ignored paths (collapsed, so no dearer), the
    /// index read in-process for hidden changes and gitlinks, and the
    /// ignored folders searched for nested repositories.
    pub fn removal_status(dir: &Path) -> Result<RemovalStatus> {
        let output = status_command(dir, Batch::Alone)
            .args([
                "--ignore-submodules=none",
                "--untracked-files=normal",
                "--ignored=matching",
            ])
            .output()
            .context("cannot run git")?;
        check(&output, "git status")
            .with_context(|| format!("cannot read the status of {}", dir.display()))?;
        let mut repos = Vec::new();
        for record in porcelain_records(&output.stdout) {
            if record.kind == b'!' {
                find_repositories(&dir.join(path_from_bytes(record.path)), &mut repos);
            }
        }
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

    /// Ignored files in the working tree at `dir` (never tracked ones),
    /// relative to it: `git ls-files --others --ignored --exclude-standard`.
    pub fn ignored_files(dir: &Path) -> Result<Vec<PathBuf>> {
        Repo::other_files(dir, true)
    }

    /// Untracked files (neither tracked nor ignored) in the working tree at
    /// `dir`, relative to it.
    pub fn untracked_files(dir: &Path) -> Result<Vec<PathBuf>> {
        Repo::other_files(dir, false)
    }

    fn other_files(dir: &Path, ignored: bool) -> Result<Vec<PathBuf>> {
        let mut command = git_in(dir);
        command.args(["ls-files", "-z", "--others", "--exclude-standard"]);
        if ignored {
            command.arg("--ignored");
        }
        let output = command.output().context("cannot run git")?;
        let kind = if ignored { "ignored" } else { "untracked" };
        check(&output, "git ls-files")
            .with_context(|| format!("cannot list the {kind} files of {}", dir.display()))?;
        Ok(output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(path_from_bytes)
            .collect())
    }

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
            for line in log.lines() {
                // "<old> <new> <name> <<email>> <time> <zone>\t<message>"
                let fields: Vec<&str> = line.split('\t').next().unwrap_or("").split(' ').collect();
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

    /// The tree of COMMIT.
    pub fn commit_tree(&self, commit: Oid) -> Result<Oid> {
        Ok(self.repo.find_commit(commit)?.tree_id())
    }

    pub fn parents(&self, commit: Oid) -> Result<Vec<Oid>> {
        Ok(self.repo.find_commit(commit)?.parent_ids().collect())
    }

    /// Whether the index of the worktree at DIR holds exactly the merge of
    /// commit THEIRS into commit OURS, as `git merge --squash` (or a merge
    /// not yet committed) stages it: nobody has staged anything since. An
    /// index with conflicts never does.
    pub fn index_is_merge(&self, dir: &Path, ours: Oid, theirs: Oid) -> Result<bool> {
        let output = git_in(dir)
            .arg("write-tree")
            .output()
            .context("cannot run git")?;
        let staged = parse_oid(String::from_utf8_lossy(&output.stdout).trim());
        if !output.status.success() || staged.is_none() {
            return Ok(false);
        }
        let (ours, theirs) = (self.repo.find_commit(ours)?, self.repo.find_commit(theirs)?);
        let mut merged = self.repo.merge_commits(&ours, &theirs, None)?;
        if merged.has_conflicts() {
            return Ok(false);
        }
        Ok(staged == Some(merged.write_tree_to(&self.repo)?))
    }

    /// The changed and untracked files of the worktree at DIR (whose admin
    /// dir is ADMIN) that the rebase or merge stopped there did not write:
    /// their content (or absence) is that of the path in none of the trees
    /// that operation writes from (HEAD, ORIG_HEAD, `onto`, MERGE_HEAD, the
    /// commits being replayed, the pick or merge under way). Someone's work,
    /// which aborting would throw away. A file that cannot be read counts.
    pub fn changes_beyond_operation(&self, dir: &Path, admin: &Path) -> Result<Vec<String>> {
        let head = pseudo_ref(admin, "HEAD").or_else(|| {
            let head = fs::read_to_string(admin.join("HEAD")).ok()?;
            let name = head.trim().strip_prefix("ref: ")?;
            self.repo.refname_to_id(name).ok()
        });
        let orig = pseudo_ref(admin, "ORIG_HEAD");
        let onto = pseudo_ref(&admin.join("rebase-merge"), "onto")
            .or_else(|| pseudo_ref(&admin.join("rebase-apply"), "onto"));
        let merging = pseudo_ref(admin, "MERGE_HEAD");
        let mut commits: Vec<Oid> = [head, orig, onto, merging].into_iter().flatten().collect();
        if let Some(orig) = orig {
            let replayed = self.commits_between(orig, onto.or(head))?;
            commits.extend(replayed.iter().map(|c| c.id));
        }
        let mut trees = commits
            .iter()
            .map(|c| Ok(self.repo.find_commit(*c)?.tree_id()))
            .collect::<Result<Vec<_>>>()?;
        // What a pick or merge killed half-way was writing.
        let picking = fs::read_to_string(admin.join("rebase-merge/done"))
            .ok()
            .and_then(|done| {
                let last = done.lines().rev().find(|l| !l.trim().is_empty())?;
                let oid = last.split_whitespace().nth(1)?;
                self.repo.revparse_single(oid).ok()?.peel_to_commit().ok()
            });
        if let Some(head) = head.and_then(|h| self.repo.find_commit(h).ok()) {
            let mut results = Vec::new();
            if let Some(pick) = picking {
                results.push(self.repo.cherrypick_commit(&pick, &head, 0, None));
            }
            if let Some(theirs) = merging.and_then(|m| self.repo.find_commit(m).ok()) {
                results.push(self.repo.merge_commits(&head, &theirs, None));
            }
            for mut index in results.into_iter().flatten() {
                if !index.has_conflicts() {
                    trees.push(index.write_tree_to(&self.repo)?);
                }
            }
        }
        let trees = trees
            .into_iter()
            .map(|t| Ok(self.repo.find_tree(t)?))
            .collect::<Result<Vec<_>>>()?;
        let status = porcelain_status(dir, Batch::Alone, &["--ignore-submodules=none"])?;
        let mut beyond = Vec::new();
        for record in porcelain_records(&status) {
            if !matches!(record.kind, b'1' | b'2' | b'u' | b'?') {
                continue;
            }
            let path = path_from_bytes(record.path);
            let file = dir.join(&path);
            let content = match fs::symlink_metadata(&file) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Ok(m) if m.is_symlink() => fs::read_link(&file)
                    .map_err(anyhow::Error::from)
                    .and_then(|target| {
                        let bytes = target.as_os_str().as_encoded_bytes();
                        Ok(Some(Oid::hash_object(git2::ObjectType::Blob, bytes)?))
                    }),
                Ok(m) if m.is_file() => Oid::hash_file(git2::ObjectType::Blob, &file)
                    .map(Some)
                    .map_err(Into::into),
                _ => Err(anyhow!("not a file")),
            };
            let written = content.is_ok_and(|content| {
                trees
                    .iter()
                    .any(|tree| tree.get_path(&path).ok().map(|e| e.id()) == content)
            });
            if !written {
                beyond.push(path.display().to_string());
            }
        }
        Ok(beyond)
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
        let changes: Vec<(&[u8], &FileContent)> = snapshot
            .changes
            .iter()
            .map(|c| (c.path.as_slice(), &c.content))
            .collect();
        let root = self.apply_changes(Some(&tree), &changes)?;
        match root {
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
        changes: &[(&[u8], &FileContent)],
    ) -> Result<Option<Oid>> {
        type Group<'a> = (Option<&'a FileContent>, Vec<(&'a [u8], &'a FileContent)>);
        let mut groups: std::collections::BTreeMap<&[u8], Group> = Default::default();
        for &(path, content) in changes {
            match path.iter().position(|b| *b == b'/') {
                None => groups.entry(path).or_default().0 = Some(content),
                Some(i) => groups
                    .entry(&path[..i])
                    .or_default()
                    .1
                    .push((&path[i + 1..], content)),
            }
        }
        let mut builder = self.repo.treebuilder(tree)?;
        for (name, (here, below)) in groups {
            match here {
                Some(Some((mode, content))) => {
                    let id = self.repo.blob(content)?;
                    builder.insert(name, id, *mode as i32)?;
                }
                Some(None) if builder.get(name)?.is_some() => builder.remove(name)?,
                _ => {}
            }
            if below.is_empty() {
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
        let ancestor = self.repo.find_commit(base)?.tree()?;
        let ours = self.repo.find_tree(ours)?;
        let theirs = self.repo.find_tree(theirs)?;
        let ours_changed = self.changed_paths(&ancestor, &ours)?;
        let theirs_changed = self.changed_paths(&ancestor, &theirs)?;
        // Tree diffs skip unchanged folders, so they are cheap; the full
        // merge runs only when the two sides touch the same path, or a file
        // where the other has a folder.
        let both: Vec<&String> = ours_changed.intersection(&theirs_changed).collect();
        let nested = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
            a.iter()
                .any(|path| path.match_indices('/').any(|(i, _)| b.contains(&path[..i])))
        };
        if both.is_empty()
            && !nested(&ours_changed, &theirs_changed)
            && !nested(&theirs_changed, &ours_changed)
        {
            return Ok(MergePrediction::default());
        }
        // Merging whole trees walks every entry; only the paths either side
        // changed can conflict or be renamed, so merge just those.
        self.in_memory_writes()?;
        let touched: BTreeSet<&String> = ours_changed.union(&theirs_changed).collect();
        let [ancestor, ours, theirs] =
            [&ancestor, &ours, &theirs].map(|t| self.subset(t, &touched));
        let merged = self.repo.merge_trees(&ancestor?, &ours?, &theirs?, None)?;
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
        let overlaps = both
            .into_iter()
            .filter(|path| !conflicts.contains(*path))
            .cloned()
            .collect();
        Ok(MergePrediction {
            conflicts: conflicts.into_iter().collect(),
            overlaps,
        })
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
    fn changed_paths(&self, from: &git2::Tree, to: &git2::Tree) -> Result<BTreeSet<String>> {
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

    /// A squash commit's message: the one commit's message when there is
    /// one, else a summary listing the subjects of the commits from BASE to TIP.
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
        let mut message = format!("Land session '{name}' ({} commits)\n\n", commits.len());
        for oid in commits {
            let commit = self.repo.find_commit(oid)?;
            message.push_str(&format!(
                "* {}\n",
                commit.summary().ok().flatten().unwrap_or_default()
            ));
        }
        Ok(message)
    }

    /// `git rebase ONTO` in the worktree at DIR; on a conflict, aborts and
    /// checks that the worktree is exactly as before. ONTO is an object id,
    /// never a name: a ref named like an option would reach git's command line.
    pub fn rebase(dir: &Path, onto: Oid) -> Result<Integration> {
        let onto = onto.to_string();
        integrate(
            dir,
            &[
                "rebase",
                "--no-autostash",
                "--quiet",
                "--end-of-options",
                &onto,
            ],
            &["rebase", "--abort"],
        )
    }

    /// `git merge COMMIT` (a merge commit with MESSAGE unless it
    /// fast-forwards) in the worktree at DIR; on a conflict, aborts and
    /// checks that the worktree is exactly as before.
    pub fn merge(dir: &Path, commit: Oid, message: &str) -> Result<Integration> {
        let commit = commit.to_string();
        integrate(
            dir,
            &[
                "merge",
                "--no-edit",
                "--no-autostash",
                "--no-overwrite-ignore",
                "--quiet",
                "-m",
                message,
                "--end-of-options",
                &commit,
            ],
            &["merge", "--abort"],
        )
    }

    /// `git merge --squash COMMIT` and a commit of the result with MESSAGE;
    /// on any failure, `git reset --merge` takes it back.
    pub fn merge_squash(dir: &Path, commit: Oid, message: &str) -> Result<Integration> {
        let before = worktree_state(dir)?;
        let commit = commit.to_string();
        let outcome = integrate(
            dir,
            &[
                "merge",
                "--squash",
                "--no-autostash",
                "--no-overwrite-ignore",
                "--quiet",
                "--end-of-options",
                &commit,
            ],
            // A squash merge records no MERGE_HEAD, so `merge --abort`
            // cannot undo it.
            &["reset", "--merge"],
        )?;
        if let Integration::Conflicts(_) = outcome {
            return Ok(outcome);
        }
        let output = shielded(git_in(dir).args(["commit", "--quiet", "-m", message]))?;
        if let Err(e) = check(&output, "git commit") {
            let _ = shielded(git_in(dir).args(["reset", "--merge"]));
            restored(dir, &before)?;
            return Err(e);
        }
        Ok(Integration::Done)
    }

    /// `git merge --ff-only COMMIT` in the worktree at DIR.
    pub fn merge_ff_only(dir: &Path, commit: Oid) -> Result<()> {
        let output = shielded(git_in(dir).args([
            "merge",
            "--ff-only",
            "--no-overwrite-ignore",
            "--quiet",
            "--end-of-options",
            &commit.to_string(),
        ]))?;
        check(&output, "git merge --ff-only")
            .with_context(|| format!("cannot fast-forward {}", dir.display()))
    }

    /// `git reset --keep COMMIT` in the worktree at DIR: moves its branch
    /// back, refusing rather than losing local changes.
    pub fn reset_keep(dir: &Path, commit: Oid) -> Result<()> {
        let output = shielded(git_in(dir).args([
            "reset",
            "--keep",
            "--quiet",
            "--end-of-options",
            &commit.to_string(),
        ]))?;
        check(&output, "git reset --keep").with_context(|| format!("in {}", dir.display()))
    }

    /// `git ARGS` in DIR, for undoing what an interrupted `sessions` left
    /// (`rebase --abort`, `merge --abort`, `reset --merge`).
    pub fn undo(dir: &Path, args: &[&str]) -> Result<()> {
        let output = shielded(git_in(dir).args(args))?;
        check(&output, &format!("git {}", args.join(" ")))
            .with_context(|| format!("in {}", dir.display()))
    }

    /// The ignored files in the worktree at DIR that checking out any of
    /// COMMITS would overwrite or remove: git replaces ignored files without
    /// asking (a merge and a rebase alike), and they are often someone's
    /// local configuration, such as `.env`.
    pub fn ignored_in_the_way(&self, dir: &Path, commits: &[Oid]) -> Result<Vec<PathBuf>> {
        self.in_the_way(Repo::ignored_files(dir)?, commits)
    }

    /// The untracked files in the worktree at DIR that checking out COMMIT
    /// would overwrite: git refuses then, so a caller can refuse first.
    pub fn untracked_in_the_way(&self, dir: &Path, commit: Oid) -> Result<Vec<PathBuf>> {
        self.in_the_way(Repo::untracked_files(dir)?, &[commit])
    }

    /// Which of FILES (relative paths) checking out any of COMMITS would
    /// overwrite or remove.
    fn in_the_way(&self, files: Vec<PathBuf>, commits: &[Oid]) -> Result<Vec<PathBuf>> {
        if files.is_empty() {
            return Ok(files);
        }
        let trees = commits
            .iter()
            .map(|c| Ok(self.repo.find_commit(*c)?.tree()?))
            .collect::<Result<Vec<_>>>()?;
        // In the way: something at the path itself (a file, or a folder in
        // its place), or a file where one of its folders is.
        let in_the_way = |path: &Path| {
            trees.iter().any(|tree| {
                path.ancestors()
                    .filter(|p| !p.as_os_str().is_empty())
                    .any(|p| match tree.get_path(p) {
                        Ok(entry) => p == path || entry.kind() != Some(git2::ObjectType::Tree),
                        Err(_) => false,
                    })
            })
        };
        Ok(files.into_iter().filter(|p| in_the_way(p)).collect())
    }

    /// Pushes local BRANCH to the same name on its remote (its upstream's
    /// remote, else `origin`). Never forced.
    pub fn push_branch(&self, branch: &str) -> Result<()> {
        let remote = self
            .repo
            .config()?
            .get_string(&format!("branch.{branch}.remote"))
            .unwrap_or_else(|_| "origin".into());
        let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
        let output = self
            .git_command()
            .args(["push", "--quiet", "--end-of-options", &remote, &refspec])
            .output()
            .context("cannot run git")?;
        check(&output, "git push").with_context(|| format!("cannot push '{branch}' to {remote}"))
    }

    fn git_command(&self) -> Command {
        git_in(self.home_dir())
    }
}

/// A worktree's uncommitted state read from disk: its HEAD and the current
/// content of every path `git status` reports. Plain data, so that it can be
/// read on any thread and turned into a tree by any `Repo`.
#[derive(Debug, Clone)]
pub struct WorkSnapshot {
    /// `None` before the first commit.
    pub head: Option<Oid>,
    changes: Vec<Change>,
}

#[derive(Debug, Clone)]
struct Change {
    path: Vec<u8>,
    content: FileContent,
}

/// A file's mode and content; `None` when the path is gone.
type FileContent = Option<(u32, Vec<u8>)>;

impl WorkSnapshot {
    /// Reads the state of the worktree at DIR: `git status` for what
    /// changed (fast, and honouring the untracked cache and fsmonitor), then
    /// the changed files themselves.
    pub fn read(dir: &Path) -> Result<WorkSnapshot> {
        let status = porcelain_status(dir, Batch::Many, &["--ignore-submodules=all"])?;
        let mut snapshot = WorkSnapshot {
            head: None,
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
            for path in [Some(record.path), record.original].into_iter().flatten() {
                let file = dir.join(path_from_bytes(path));
                if let Some(content) = read_content(&file)? {
                    snapshot.changes.push(Change {
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
/// it is gone, `None` for what a tree cannot hold here (a folder, such as a
/// nested repository).
fn read_content(file: &Path) -> Result<Option<FileContent>> {
    let meta = match fs::symlink_metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(None)),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let read = |what: std::io::Result<Vec<u8>>| {
        what.with_context(|| format!("cannot read {}", file.display()))
    };
    if meta.file_type().is_symlink() {
        let target = read(fs::read_link(file).map(|t| path_bytes(&t)))?;
        return Ok(Some(Some((0o120000, target))));
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

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().replace('\\', "/").into_bytes()
}

/// What a trial merge predicts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergePrediction {
    /// Paths that would conflict.
    pub conflicts: Vec<String>,
    /// Paths both sides changed that would merge cleanly.
    pub overlaps: Vec<String>,
}

/// How a rebase or merge run by `git` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    Done,
    /// It stopped on conflicts in these paths and was aborted, leaving the
    /// worktree exactly as before.
    Conflicts(Vec<String>),
}

/// Runs `git ARGS` in DIR. When it fails, notes the conflicted paths, runs
/// `git ABORT` if it left an operation or conflicts (its own: it refuses to
/// start while another is under way), and checks that HEAD and the status
/// are exactly as before.
fn integrate(dir: &Path, args: &[&str], abort: &[&str]) -> Result<Integration> {
    let admin = Repository::open(dir)
        .with_context(|| format!("cannot open the worktree {}", dir.display()))?
        .path()
        .to_path_buf();
    if let Some(operation) = Operation::under_way(&admin) {
        bail!(
            Failure::refused(format!("{} has {operation} in progress", dir.display()))
                .with_hint(format!("finish it there: {}", operation.command()))
        );
    }
    let before = worktree_state(dir)?;
    let output = shielded(git_in(dir).env("GIT_EDITOR", ":").args(args))?;
    if output.status.success() {
        return Ok(Integration::Done);
    }
    let conflicts = conflicted_paths(dir)?;
    if !conflicts.is_empty() || Operation::under_way(&admin).is_some() {
        let _ = shielded(git_in(dir).args(abort));
    }
    restored(dir, &before)?;
    if conflicts.is_empty() {
        check(&output, &format!("git {}", args[0]))
            .with_context(|| format!("in {}", dir.display()))?;
    }
    Ok(Integration::Conflicts(conflicts))
}

/// Runs COMMAND to the end in a process group of its own, so that the
/// terminal's Ctrl-C reaches only us: git then finishes or stops cleanly,
/// and we notice the signal afterwards and put things back, instead of git
/// dying half-way through a rebase.
/// Its reflog entries name this process (`reflog_action`), so that what it
/// started can later be told from what the user did by hand.
fn shielded(command: &mut Command) -> Result<Output> {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    command
        .env("GIT_REFLOG_ACTION", reflog_action(std::process::id()))
        .output()
        .context("cannot run git")
}

/// The reflog action of the git steps process PID runs: `sessions PID`,
/// where git would write `rebase` or `merge`.
pub fn reflog_action(pid: u32) -> String {
    format!("sessions {pid}")
}

/// Whether the latest operation started in the worktree whose admin dir is
/// ADMIN (a rebase's `(start)` entry in its HEAD reflog) was started with
/// reflog action ACTION: ours, not one the user began by hand since.
pub fn last_started_by(admin: &Path, action: &str) -> bool {
    let Ok(log) = fs::read_to_string(admin.join("logs/HEAD")) else {
        return false;
    };
    log.lines()
        .filter_map(|line| line.split_once('\t').map(|(_, message)| message))
        .rfind(|message| message.contains(" (start): "))
        .is_some_and(|message| message.starts_with(&format!("{action} (start): ")))
}

/// Fails loudly unless the worktree at DIR is in the state BEFORE.
pub fn restored(dir: &Path, before: &[u8]) -> Result<()> {
    if worktree_state(dir)? != before {
        bail!(
            "{} is not as it was before: check it with `git status`",
            dir.display()
        );
    }
    Ok(())
}

/// HEAD, branch and every change of the worktree at DIR, for comparison.
pub fn worktree_state(dir: &Path) -> Result<Vec<u8>> {
    porcelain_status(dir, Batch::Alone, &[])
}

/// `git status --porcelain=v2 -z --branch --untracked-files=all EXTRA` in
/// DIR.
fn porcelain_status(dir: &Path, batch: Batch, extra: &[&str]) -> Result<Vec<u8>> {
    let output = status_command(dir, batch)
        .args(["--branch", "--untracked-files=all"])
        .args(extra)
        .output()
        .context("cannot run git")?;
    check(&output, "git status")
        .with_context(|| format!("cannot read the status of {}", dir.display()))?;
    Ok(output.stdout)
}

/// The unmerged paths of the worktree at DIR.
fn conflicted_paths(dir: &Path) -> Result<Vec<String>> {
    let output = git_in(dir)
        .args(["diff", "--name-only", "--diff-filter=U", "-z"])
        .output()
        .context("cannot run git")?;
    check(&output, "git diff")?;
    let mut paths: Vec<String> = output
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    paths.dedup();
    Ok(paths)
}

/// Whether a `git status` runs on its own or as one of many at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    Alone,
    /// Many at once (a list of sessions): each then runs without git's
    /// preload-index threads, which on few cores only fight the other runs.
    Many,
}

/// `git status --porcelain=v2 -z` in DIR, without optional locks: an agent
/// committing in that worktree at the same moment must never find its index
/// locked by us, and we never rewrite it.
fn status_command(dir: &Path, batch: Batch) -> Command {
    let mut command = git_in(dir);
    if batch == Batch::Many {
        command.args(["-c", "core.preloadIndex=false"]);
    }
    command.args(["--no-optional-locks", "status", "--porcelain=v2", "-z"]);
    command
}

/// A `git` command run in `dir`, unaffected by the variables git sets for
/// hooks (we may be run from one).
fn git_in(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).stdin(Stdio::null());
    strip_repository_env(&mut command);
    command
}

/// The variables that tie a program to one repository or worktree, which
/// git exports to its aliases and hooks (git's own `local_repo_env`, less
/// the caller's `-c` settings).
const REPOSITORY_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_GRAFT_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
];

/// Keeps COMMAND from inheriting the repository our caller was pointed at
/// (we may be run from a git alias or hook): every program we start works
/// in the folder we give it, and git there finds that folder's repository.
pub fn strip_repository_env(command: &mut Command) {
    for var in REPOSITORY_ENV {
        command.env_remove(var);
    }
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

/// One record of `git status --porcelain=v2 -z`: its kind (`1` changed,
/// `2` renamed or copied, `u` unmerged, `?` untracked, `#` header, `!`
/// ignored), its path, and a rename's original path.
struct StatusRecord<'a> {
    kind: u8,
    path: &'a [u8],
    original: Option<&'a [u8]>,
}

fn porcelain_records(out: &[u8]) -> Vec<StatusRecord<'_>> {
    // Fields before the path: "1 XY sub mH mI mW hH hI path",
    // "2 XY sub mH mI mW hH hI Xscore path", "u XY sub m1 m2 m3 mW h1 h2 h3 path".
    let start = |record: &[u8], fields: usize| -> usize {
        let mut spaces = 0;
        for (i, b) in record.iter().enumerate() {
            if *b == b' ' {
                spaces += 1;
                if spaces == fields {
                    return i + 1;
                }
            }
        }
        record.len()
    };
    let mut all = Vec::new();
    let mut records = out.split(|b| *b == 0);
    while let Some(record) = records.next() {
        let Some(&kind) = record.first() else {
            continue;
        };
        let (path, original) = match kind {
            b'1' => (&record[start(record, 8)..], None),
            // A rename record is followed by its original path.
            b'2' => (&record[start(record, 9)..], records.next()),
            b'u' => (&record[start(record, 10)..], None),
            _ => (record.get(2..).unwrap_or_default(), None),
        };
        all.push(StatusRecord {
            kind,
            path,
            original,
        });
    }
    all
}

fn parse_porcelain_v2(out: &[u8]) -> WorkStatus {
    let mut status = WorkStatus::default();
    for record in porcelain_records(out) {
        match record.kind {
            b'1' | b'2' | b'u' => status.modified += 1,
            b'?' => status.untracked += 1,
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

/// An admin entry `git worktree add` never finished writing.
pub struct HalfWritten {
    pub name: String,
    pub admin: PathBuf,
    /// The worktree folder its `gitdir` names, if it got that far.
    pub path: Option<PathBuf>,
    /// It holds nothing but what git writes before `HEAD` (its
    /// "initializing" lock, `gitdir`, `commondir`, empty `refs`, and the
    /// `HEAD.lock` and `logs/HEAD` of the HEAD it was creating): no index,
    /// no HEAD, nothing anyone staged or committed.
    pub removable: bool,
}

fn holds_only_what_add_writes_first(admin: &Path) -> bool {
    fn no_files(dir: &Path) -> bool {
        fs::read_dir(dir).is_ok_and(|items| {
            items.flatten().all(|i| {
                i.file_type().is_ok_and(|t| t.is_dir() && !t.is_symlink()) && no_files(&i.path())
            })
        })
    }
    let Ok(items) = fs::read_dir(admin) else {
        return false;
    };
    items.flatten().all(|item| {
        let path = item.path();
        let is_file = item.file_type().is_ok_and(|t| t.is_file());
        match item.file_name().to_str() {
            // Empty when git was killed before it wrote the reason.
            Some("locked") => {
                is_file
                    && fs::read_to_string(&path)
                        .is_ok_and(|r| r.is_empty() || r.trim_end() == ADD_LOCK)
            }
            Some("gitdir" | "commondir" | "HEAD.lock") => is_file,
            Some("refs") => no_files(&path),
            Some("logs") => fs::read_dir(&path).is_ok_and(|items| {
                items.flatten().all(|i| {
                    let p = i.path();
                    if i.file_name() == "HEAD" {
                        p.is_file()
                    } else {
                        i.file_type().is_ok_and(|t| t.is_dir()) && no_files(&p)
                    }
                })
            }),
            _ => false,
        }
    })
}

/// The lock reason `git worktree add` leaves while it works (and, killed,
/// for good).
pub const ADD_LOCK: &str = "initializing";

/// The admin folder the `.git` file of a linked worktree folder DIR points
/// at, as written; `None` when DIR has no such file.
pub fn linked_gitdir(dir: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(dir.join(".git")).ok()?;
    let target = text
        .trim_end_matches(['\n', '\r'])
        .strip_prefix("gitdir: ")?;
    Some(dir.join(target))
}

/// Every repository at or below PATH, an ignored path: a folder with a
/// `.git` of its own. Symbolic links are not followed.
fn find_repositories(path: &Path, found: &mut Vec<PathBuf>) {
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if !fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        if dir.join(".git").symlink_metadata().is_ok() {
            found.push(dir);
            continue;
        }
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
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
    if !Repo::status(dir, Batch::Alone).is_ok_and(|s| s.is_clean()) {
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

#[cfg(test)]
mod tests {
    use super::testing::git;
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
}
