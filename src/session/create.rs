use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use super::Workspace;
use crate::copy;
use crate::error::Failure;
use crate::git::{self, RemovalChecks, Repo, Worktree};
use crate::interrupt;
use crate::name;
use crate::registry::{Agent, Entry, LockWait, Locked, Pending};

/// What `sessions new` was asked for.
#[derive(Debug, Default)]
pub struct NewSession {
    pub name: Option<String>,
    pub base: Option<String>,
    pub branch: Option<String>,
    /// The agent about to be launched in it, recorded with the session.
    pub agent: Option<Agent>,
    /// Told once when another process holds the registry for more than a
    /// moment (the domain prints nothing itself).
    pub on_lock_wait: Option<fn(&LockWait)>,
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
    let base_commit = match ws.repo.resolve_base(&base) {
        Some(commit) => commit,
        None => ws.repo.resolve_commit(&base)?,
    };

    // Any question about the project's commands comes before anything is
    // made (and never under the registry lock): Ctrl-C there leaves nothing
    // behind, and the answer holds for the setup that follows.
    if ws.config.withheld_worktree_dir().is_some()
        || ws.config.setup.source.is_project() && !ws.config.setup.value.is_empty()
    {
        ws.approval()?;
    }
    let prefix = &ws.config.branch_prefix.value;
    let notice = request.on_lock_wait.unwrap_or(|_| {});
    let mut registry = ws.registry.lock_waiting(notice)?;
    let name = match request.name {
        Some(name) => name,
        None => name::generate(|candidate| {
            let branch = format!("{prefix}{candidate}");
            registry.find(candidate).is_some()
                || registry.pending.iter().any(|p| p.name == candidate)
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
    // We hold the lock, so any record here is a `new` that died half-way;
    // what it may have made is not ours to take over.
    if let Some(stale) = registry
        .pending
        .iter()
        .find(|p| p.name == name || p.branch == branch || p.path == path)
    {
        bail!(
            Failure::refused(format!(
                "an earlier `sessions new {}` (pid {}) stopped half-way and may have left {} or branch '{}'",
                stale.name,
                stale.pid,
                stale.path.display(),
                stale.branch
            ))
            .with_hint("sessions doctor --fix")
        );
    }
    if path.exists() {
        let what = match git::is_nonempty_dir(&path) {
            true => "already exists and is not empty",
            // It may be another repository's session folder, claimed a
            // moment ago and about to be filled: never ours to use.
            false => "already exists",
        };
        bail!(
            Failure::refused(format!("{} {what}", path.display()))
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
        None => {
            if let Some(clash) = ws.repo.branch_folder_clash(&branch) {
                bail!(branch_folder_clash(&name, &branch, &clash));
            }
            (true, base_commit)
        }
    };

    unambiguous_branch(ws, &branch, &base)?;

    // Recorded, durably, before anything exists: a `new` killed outright
    // leaves a record of what it may have made.
    let pending = Pending {
        name: name.clone(),
        branch: branch.clone(),
        path: path.clone(),
        creates_branch: owns_branch,
        pid: std::process::id(),
        pid_start: crate::process::own_start(),
        // The real clock: it is compared with the process's start time.
        started_at: Timestamp::now(),
    };
    let registry_existed = registry.file().exists();
    registry.pending.push(pending.clone());
    if let Err(err) = registry.save() {
        registry.pending.pop();
        return Err(err);
    }

    let mut undo = Rollback::new(&ws.repo, &mut registry, pending, registry_existed);
    undo.claim_dir(&path)?;
    if owns_branch {
        ws.repo.create_branch(&branch, base_commit)?;
        undo.branch = Some(branch.clone());
    }
    interrupt::check()?;
    undo.worktree_started = true;
    let busy = ws.ui.busy("Checking out");
    ws.repo.add_worktree(&path, &branch)?;
    drop(busy);
    interrupt::check()?;
    if let Some(root) = ws.repo.main_worktree() {
        copy::ignored_files(&ws.repo, root, &path, &ws.config.copy.value, ws.ui)?;
        interrupt::check()?;
    }

    let entry = Entry {
        name,
        branch,
        path: fs::canonicalize(&path).unwrap_or(path),
        base,
        base_commit: start.to_string(),
        created_at: crate::clock::now(),
        owns_branch,
        port: Some(port),
        agent: request.agent,
        archived: None,
    };
    undo.finish(entry.clone())?;
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

/// Refuses a session branch git would confuse with another ref: a branch
/// `origin/main` stands in for the remote-tracking branch in git's lookups,
/// so the base would name the session's own work and count it as merged.
fn unambiguous_branch(ws: &Workspace, branch: &str, base: &str) -> Result<()> {
    let clash = match ws.repo.shadowed_by_branch(branch) {
        Some(other) => other,
        None if branch == base => format!("the base '{base}'"),
        None => return Ok(()),
    };
    bail!(
        Failure::usage(format!("branch '{branch}' would be ambiguous with {clash}"))
            .with_hint("sessions new <another-name>")
    )
}

/// The refusal of new branch BRANCH of session NAME, which git cannot
/// store next to existing branch CLASH (one's name is a folder of the
/// other's), with a name that fits.
fn branch_folder_clash(name: &str, branch: &str, clash: &str) -> Failure {
    let (why, other) = match clash.len() < branch.len() {
        true => (
            format!(
                "branch '{clash}' exists, and a branch name cannot also be a folder of branches"
            ),
            name.replace('/', "-"),
        ),
        false => (
            format!("branch '{clash}' exists, which makes '{branch}' a folder of branches"),
            format!("{name}-2"),
        ),
    };
    Failure::usage(format!(
        "cannot create branch '{branch}': {why}; choose another name, such as '{other}'"
    ))
    .with_hint(format!("sessions new {other}"))
}

fn checked_out_in<'a>(worktrees: &'a [Worktree], branch: &str) -> Option<&'a Worktree> {
    worktrees
        .iter()
        .find(|w| w.branch.as_deref() == Some(branch))
}

/// Undoes a half-made session unless `finish` is called: the worktree, the
/// branch the session created, the folders it made, and its pending record.
/// Only what this process made: the session folder is claimed by creating it
/// exclusively, so a folder that existed, or that another process (another
/// repository with the same `worktree_dir`) claimed first, is never touched.
struct Rollback<'a> {
    repo: &'a Repo,
    registry: &'a mut Locked,
    pending: Pending,
    /// There was a registry file before the pending record was written.
    registry_existed: bool,
    branch: Option<String>,
    /// The session folder, once this process has created it.
    target: Option<PathBuf>,
    /// `git worktree add` has been started in `target`.
    worktree_started: bool,
    /// Folders above the target this creation made, in the order made.
    made_dirs: Vec<PathBuf>,
    done: bool,
}

impl<'a> Rollback<'a> {
    fn new(
        repo: &'a Repo,
        registry: &'a mut Locked,
        pending: Pending,
        registry_existed: bool,
    ) -> Self {
        Rollback {
            repo,
            registry,
            pending,
            registry_existed,
            branch: None,
            target: None,
            worktree_started: false,
            made_dirs: Vec::new(),
            done: false,
        }
    }

    /// Creates the folders above `target` and then `target` itself, which
    /// must not exist: `create_dir` fails for everyone but one creator.
    fn claim_dir(&mut self, target: &Path) -> Result<()> {
        let parent = target.parent().context("a session folder has a parent")?;
        let missing: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|dir| !dir.exists())
            .map(Path::to_path_buf)
            .collect();
        for dir in missing.into_iter().rev() {
            match fs::create_dir(&dir) {
                Ok(()) => self.made_dirs.push(dir),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", dir.display()));
                }
            }
        }
        match fs::create_dir(target) {
            Ok(()) => {
                self.target = Some(target.to_path_buf());
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => bail!(
                Failure::refused(format!(
                    "{} was just created by another process",
                    target.display()
                ))
                .with_hint(
                    "choose another name, or another worktree_dir for one of the repositories"
                )
            ),
            Err(e) => Err(e).with_context(|| format!("cannot create {}", target.display())),
        }
    }

    /// Registers ENTRY in place of the pending record, in one write.
    fn finish(mut self, entry: Entry) -> Result<()> {
        let pending = self.pending.clone();
        self.registry.pending.retain(|p| p != &pending);
        self.registry.sessions.push(entry);
        if let Err(err) = self.registry.save() {
            self.registry.sessions.pop();
            return Err(err);
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Some(path) = &self.target {
            if self.worktree_started {
                if path.exists()
                    && self
                        .repo
                        .remove_worktree(path, RemovalChecks::None)
                        .is_err()
                {
                    let _ = fs::remove_dir_all(path);
                }
                // Only our own admin entry: pruning would also drop those of
                // other worktrees whose folders are away (an unplugged drive).
                if let Ok(worktrees) = self.repo.worktrees()
                    && let Some(ours) = worktrees.iter().find(|w| &w.path == path)
                {
                    if let Some(admin_name) = &ours.admin_name
                        && ours.locked.as_deref() == Some(git::ADD_LOCK)
                    {
                        let _ = self.repo.unlock_worktree(admin_name);
                    }
                    let _ = self.repo.remove_admin_entry(ours);
                }
            } else {
                let _ = fs::remove_dir(path);
            }
        }
        if let Some(branch) = &self.branch {
            let _ = self.repo.delete_branch(branch);
        }
        for dir in self.made_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
        // Last: until everything above is undone, the record says what to
        // look for. Should this write fail, `doctor` finds the record.
        let pending = &self.pending;
        self.registry.pending.retain(|p| p != pending);
        if !self.registry_existed && self.registry.is_empty() {
            let _ = fs::remove_file(self.registry.file());
        } else {
            let _ = self.registry.save();
        }
    }
}
