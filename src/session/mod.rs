//! The domain: creating, inspecting and removing sessions. The safety rules
//! (what may be removed, what must be refused) live here and nowhere else.

mod adopt;
mod agent;
mod claude_hooks;
mod clean;
mod conflicts;
mod create;
mod doctor;
mod land;
mod leftovers;
pub mod lifecycle;
mod list;
mod parallel;
mod placement;
mod relocate;
mod remove;
mod safety;
mod show;
mod status;
mod sync;
#[cfg(test)]
mod testing;
mod ui;
mod underway;
mod validate;

pub use adopt::adopt;
pub use agent::{AgentCommand, agent_command, agent_view, launch, resume};
pub use claude_hooks::{Hooked, run_hook};
pub use clean::{Candidate, clean_apply, clean_plan};
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
pub use ui::{Progress, Ui};

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::error::Failure;
use crate::git::Repo;
use crate::registry::{Entry, Registry};

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
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Workspace::at(&cwd, ui)
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
        self.repo
            .home_dir()
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".git").to_string())
            .unwrap_or_else(|| "repo".into())
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

pub(crate) fn find_entry<'a>(entries: &'a [Entry], name: &str) -> Result<&'a Entry> {
    entries
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| Failure::no_session(name, entries.iter().map(|e| e.name.as_str())).into())
}
