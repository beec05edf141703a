//! The domain: creating, inspecting and removing sessions. The safety rules
//! (what may be removed, what must be refused) live here and nowhere else.

mod adopt;
mod agent;
mod archive;
mod artifacts;
mod claude_hooks;
mod clean;
mod conflicts;
mod create;
mod doctor;
mod land;
mod leftovers;
pub mod lifecycle;
mod list;
pub mod notify;
mod parallel;
mod placement;
mod relocate;
mod remove;
mod safety;
mod show;
pub mod size;
mod stale;
mod status;
mod sync;
#[cfg(test)]
mod testing;
pub mod tmux;
mod trash;
mod ui;
mod underway;
mod validate;
pub mod watch;

pub use adopt::adopt;
pub use agent::{
    AgentCommand, Conversation, ResumeOptions, agent_command, agent_view, conversations,
    earlier_conversations, launch, resume,
};
pub use archive::{Archive, archive, restore};
pub use artifacts::{Usage, artifacts_apply, artifacts_plan, usage};
pub use claude_hooks::{Hooked, run_hook};
pub use clean::{Candidate, CleanPlan, Stale, clean_apply, clean_archive, clean_plan};
pub use conflicts::{Radar, conflicts};
pub use create::{NewSession, create};
pub use doctor::{Kind, Report, doctor};
pub use land::{How, LandOptions, Method, land};
pub use list::list;
pub use remove::{BranchFate, Removed, remove};
pub use safety::RemoveOptions;
pub use show::{Commit, Details, FileStat, show};
pub use status::Summary;
pub use sync::{SyncOptions, SyncOutcome, Synced, sync};
pub use trash::empty_trash;
pub use ui::{Progress, Ui};

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::error::Failure;
use crate::git::Repo;
use crate::registry::{Entry, Registry};

/// REPO's folder name, without a `.git` suffix.
fn repo_name_of(repo: &Repo) -> String {
    repo.home_dir()
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".git").to_string())
        .unwrap_or_else(|| "repo".into())
}

/// A repository and its registry: what every command works on.
pub struct Workspace {
    pub repo: Repo,
    pub registry: Registry,
    /// The user's and the project's configuration, merged.
    pub config: Config,
    /// Whom the domain tells what happened and asks for approval.
    pub ui: &'static dyn Ui,
}

impl Workspace {
    /// The workspace of the repository around the current directory.
    pub fn discover(ui: &'static dyn Ui) -> Result<Workspace> {
        match std::env::current_dir() {
            Ok(cwd) => Workspace::at(&cwd, ui),
            // The shell stands in a removed session's folder: find the
            // repository from where that folder was, so that `sessions cd`
            // and `list` still work from there.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let gone = std::env::var_os("PWD").map(PathBuf::from);
                let shown = gone
                    .as_deref()
                    .map_or_else(|| "the current folder".into(), |g| g.display().to_string());
                let Some(back) = gone.as_deref().and_then(way_back) else {
                    anyhow::bail!(
                        Failure::error(format!("{shown} no longer exists")).with_hint("cd ~")
                    );
                };
                let ws = Workspace::at(&back, ui).map_err(|e| {
                    let hint = format!("cd {}", crate::shell::quote_path(&back));
                    anyhow::Error::from(
                        Failure::error(format!("{shown} no longer exists: {e:#}")).with_hint(hint),
                    )
                })?;
                ui.warn(&format!(
                    "{shown} no longer exists (a removed session?); using the repository at {}",
                    back.display()
                ));
                Ok(ws)
            }
            Err(err) => Err(err).context("cannot read the current directory"),
        }
    }

    /// The workspace of the repository around DIR.
    pub fn at(dir: &std::path::Path, ui: &'static dyn Ui) -> Result<Workspace> {
        let repo = Repo::discover(dir)?;
        let registry = Registry::new(repo.common_dir());
        let config = Config::load(repo.main_worktree())?;
        for warning in config.withheld_warnings() {
            ui.warn(warning);
        }
        Ok(Workspace {
            repo,
            registry,
            config,
            ui,
        })
    }

    /// Where session NAME on BRANCH gets its worktree: `worktree_dir`,
    /// by default `<parent of the main worktree>/<repo>.sessions/<name, '/' as '-'>`.
    pub fn session_dir(&self, name: &str, branch: &str) -> PathBuf {
        self.dir_from(&self.config.worktree_dir.value, name, branch)
    }

    /// The repository's folder name, without a `.git` suffix.
    pub fn repo_name(&self) -> String {
        repo_name_of(&self.repo)
    }

    /// The session named NAME, or an error that says how to find the names;
    /// refused when its registry entry is invalid.
    pub fn entry(&self, name: &str) -> Result<Entry> {
        let entries = self.registry.read()?;
        validate::valid_entry(self, &entries, name).cloned()
    }

    /// The session named NAME, when its worktree folder is there to work in.
    pub fn present_entry(&self, name: &str) -> Result<Entry> {
        let entry = self.entry(name)?;
        if entry.is_archived() {
            return Err(
                Failure::usage(format!("session '{}' is archived", entry.name))
                    .with_hint(format!(
                        "sessions restore {}",
                        crate::shell::quote(&entry.name)
                    ))
                    .into(),
            );
        }
        if !entry.path.is_dir() {
            return Err(Failure::error(format!(
                "the worktree of session '{}' is missing: {}",
                entry.name,
                entry.path.display()
            ))
            .with_hint(format!("sessions rm {}", crate::shell::quote(&entry.name)))
            .into());
        }
        Ok(entry)
    }
}

impl Workspace {
    /// The session whose worktree holds DIR, however deep; the innermost
    /// should one worktree lie inside another.
    pub fn session_containing(&self, dir: &std::path::Path) -> Result<Option<Entry>> {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        Ok(self
            .registry
            .read()?
            .into_iter()
            .filter(|e| dir.starts_with(&e.path))
            .max_by_key(|e| e.path.as_os_str().len()))
    }
}

/// Where to look for the repository when GONE, the folder the shell stood
/// in, no longer exists: its nearest folder that does, or for the default
/// layout (`<repo>.sessions/<name>`) the repository beside it.
fn way_back(gone: &std::path::Path) -> Option<PathBuf> {
    let there = gone.ancestors().skip(1).find(|a| a.is_dir())?;
    let beside = there
        .file_name()
        .and_then(|n| n.to_str()?.strip_suffix(".sessions"))
        .map(|repo| there.with_file_name(repo))
        .filter(|repo| repo.is_dir());
    Some(beside.unwrap_or_else(|| there.to_path_buf()))
}

pub(crate) fn find_entry<'a>(entries: &'a [Entry], name: &str) -> Result<&'a Entry> {
    entries
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| Failure::no_session(name, entries.iter().map(|e| e.name.as_str())).into())
}
