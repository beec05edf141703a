use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use super::Workspace;
use crate::copy;
use crate::error::Failure;
use crate::git::{self, RemovalChecks, Repo, Worktree};
use crate::interrupt;
use crate::name;
use crate::registry::{Agent, Entry};

/// What `sessions new` was asked for.
#[derive(Debug, Default)]
pub struct NewSession {
    pub name: Option<String>,
    pub base: Option<String>,
    pub branch: Option<String>,
    /// The agent about to be launched in it, recorded with the session.
    pub agent: Option<Agent>,
}

/// Creates a session: branch, worktree, registry entry, all or nothing.
pub fn create(ws: &Workspace, request: NewSession) -> Result<Entry> {
    interrupt::install();
    if let Some(name) = &request.name {
        name::validate(name)?;
    }
    if let Some(branch) = &request.branch {
        validate_branch(branch)?;
    }
    let base = match request.base.as_ref().or(ws.config.base.value.as_ref()) {
        Some(base) => base.clone(),
        None => ws.repo.default_branch()?,
    };
    name::validate_rev("base", &base)?;
    let base_commit = ws.repo.resolve_commit(&base)?;

    let prefix = &ws.config.branch_prefix.value;
    let mut registry = ws.registry.lock()?;
    let name = match request.name {
        Some(name) => name,
        None => name::generate(|candidate| {
            let branch = format!("{prefix}{candidate}");
            registry.find(candidate).is_some()
                || ws.repo.branch_tip(&branch).is_some()
                || ws.session_dir(candidate, &branch).exists()
        }),
    };
    let branch = request.branch.unwrap_or_else(|| format!("{prefix}{name}"));
    validate_branch(&branch)?;
    if registry.find(&name).is_some() {
        bail!(
            Failure::usage(format!("a session named '{name}' already exists"))
                .with_hint(format!("its folder: `sessions path {name}`"))
        );
    }
    let folder = name::folder_name(&name);
    if let Some(other) = registry
        .sessions
        .iter()
        .find(|e| name::folder_name(&e.name) == folder)
    {
        bail!(Failure::usage(format!(
            "session name '{name}' maps to the same folder as session '{}'",
            other.name
        )));
    }
    let path = ws.placement(&name, &branch)?;
    if git::is_nonempty_dir(&path) {
        bail!(
            Failure::refused(format!(
                "{} already exists and is not empty",
                path.display()
            ))
            .with_hint("choose another name, or move that folder away")
        );
    }

    let port = registry
        .free_port(ws.config.port_base.value)
        .ok_or_else(|| {
            Failure::error(format!(
                "no free port from {} up; every one is held by a session",
                ws.config.port_base.value
            ))
        })?;

    let (owns_branch, start) = match ws.repo.branch_tip(&branch) {
        Some(tip) => {
            let worktrees = ws.repo.worktrees()?;
            if let Some(holder) = checked_out_in(&worktrees, &branch) {
                bail!(
                    Failure::refused(format!(
                        "branch '{branch}' is already checked out at {}",
                        holder.path.display()
                    ))
                    .with_hint("a branch can be checked out in one worktree at a time; pick another --branch")
                );
            }
            (
                false,
                ws.repo.merge_base(tip, base_commit)?.unwrap_or(base_commit),
            )
        }
        None => (true, base_commit),
    };

    let mut undo = Rollback::new(&ws.repo);
    undo.prepare_dir(&path)?;
    if owns_branch {
        ws.repo.create_branch(&branch, base_commit)?;
        undo.branch = Some(branch.clone());
    }
    interrupt::check()?;
    undo.worktree = Some(path.clone());
    ws.repo.add_worktree(&path, &branch)?;
    interrupt::check()?;
    if let Some(root) = ws.repo.main_worktree() {
        copy::ignored_files(root, &path, &ws.config.copy.value)?;
        interrupt::check()?;
    }

    let entry = Entry {
        name,
        branch,
        path: fs::canonicalize(&path).unwrap_or(path),
        base,
        base_commit: start.to_string(),
        created_at: Timestamp::now(),
        owns_branch,
        port: Some(port),
        agent: request.agent,
    };
    registry.sessions.push(entry.clone());
    registry.save()?;
    undo.commit();
    Ok(entry)
}

fn validate_branch(branch: &str) -> Result<()> {
    name::validate_as("branch name", branch)?;
    if !Repo::is_valid_branch_name(branch) {
        bail!(Failure::usage(format!(
            "'{branch}' is not a valid git branch name"
        )));
    }
    Ok(())
}

fn checked_out_in<'a>(worktrees: &'a [Worktree], branch: &str) -> Option<&'a Worktree> {
    worktrees
        .iter()
        .find(|w| w.branch.as_deref() == Some(branch))
}

/// Undoes a half-made session unless `commit` is called: the worktree, the
/// branch the session created, and the folders it made.
struct Rollback<'a> {
    repo: &'a Repo,
    branch: Option<String>,
    worktree: Option<PathBuf>,
    /// Folders this creation made, deepest last.
    made_dirs: Vec<PathBuf>,
    /// The target folder existed, empty, before we started.
    target_existed: bool,
    done: bool,
}

impl<'a> Rollback<'a> {
    fn new(repo: &'a Repo) -> Self {
        Rollback {
            repo,
            branch: None,
            worktree: None,
            made_dirs: Vec::new(),
            target_existed: false,
            done: false,
        }
    }

    /// Creates the folders above `target`, remembering which ones were new.
    fn prepare_dir(&mut self, target: &Path) -> Result<()> {
        self.target_existed = target.exists();
        let parent = target.parent().context("a session folder has a parent")?;
        let missing: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|dir| !dir.exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        self.made_dirs = missing.into_iter().rev().collect();
        Ok(())
    }

    fn commit(mut self) {
        self.done = true;
    }
}

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Some(path) = &self.worktree {
            if path.exists()
                && self
                    .repo
                    .remove_worktree(path, RemovalChecks::None)
                    .is_err()
            {
                let _ = fs::remove_dir_all(path);
            }
            if self.target_existed {
                let _ = fs::create_dir(path);
            }
            let _ = self.repo.prune_worktrees();
        }
        if let Some(branch) = &self.branch {
            let _ = self.repo.delete_branch(branch);
        }
        for dir in self.made_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}
