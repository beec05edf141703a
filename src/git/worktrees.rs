//! Worktrees as git records them: listing, adding, removing and repairing
//! them, and git's admin entries under `worktrees/`, including those a killed
//! `git worktree add` left half-written.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use git2::WorktreeLockStatus;

use super::workdir::{GitError, check, shielded};
use super::{Operation, Repo, canonical};

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

impl Repo {
    /// A local branch that keeps new branch NAME from being made, as git
    /// stores branches as files under folders: `feat` for `feat/login`, or
    /// `feat/x` for `feat` (git2 says only "cannot lock ref").
    pub fn branch_folder_clash(&self, name: &str) -> Option<String> {
        let prefix = name
            .match_indices('/')
            .map(|(at, _)| &name[..at])
            .find(|prefix| self.branch_tip(prefix).is_some());
        if let Some(prefix) = prefix {
            return Some(prefix.to_string());
        }
        let under = format!("refs/heads/{name}/*");
        let mut refs = self.repo.references_glob(&under).ok()?;
        let found = refs.names().flatten().next()?;
        Some(
            found
                .strip_prefix("refs/heads/")
                .unwrap_or(found)
                .to_string(),
        )
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
            .map_err(GitError::CouldNotRun)?;
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
        let output = command.output().map_err(GitError::CouldNotRun)?;
        Ok(check(&output, "git worktree repair")?)
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

    /// Releases the lock on the worktree whose admin name is `admin_name`.
    pub fn unlock_worktree(&self, admin_name: &str) -> Result<()> {
        self.repo
            .find_worktree(admin_name)?
            .unlock()
            .with_context(|| format!("cannot unlock worktree '{admin_name}'"))
    }
}
