//! The domain: creating, inspecting and removing sessions. The safety rules
//! (what may be removed, what must be refused) live here and nowhere else.

mod create;
mod list;
mod remove;

pub use create::{NewSession, create};
pub use list::list;
pub use remove::{BranchFate, RemoveOptions, remove};

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::error::Failure;
use crate::git::Repo;
use crate::name;
use crate::registry::{Entry, Registry};

/// A repository and its registry: what every command works on.
pub struct Workspace {
    pub repo: Repo,
    pub registry: Registry,
}

impl Workspace {
    /// The workspace of the repository around the current directory.
    pub fn discover() -> Result<Workspace> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let repo = Repo::discover(&cwd)?;
        let registry = Registry::new(repo.common_dir());
        Ok(Workspace { repo, registry })
    }

    /// Where session NAME's worktree goes by default:
    /// `<parent of the main worktree>/<repo>.sessions/<name, '/' as '-'>`.
    pub fn session_dir(&self, name: &str) -> PathBuf {
        let home = self.repo.home_dir();
        let repo_name = home
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".git").to_string())
            .unwrap_or_else(|| "repo".into());
        let parent = home.parent().unwrap_or(home);
        parent
            .join(format!("{repo_name}.sessions"))
            .join(name::folder_name(name))
    }

    /// The session named NAME, or an error that says how to find the names.
    pub fn entry(&self, name: &str) -> Result<Entry> {
        let entries = self.registry.read()?;
        find_entry(&entries, name).cloned()
    }
}

pub(crate) fn find_entry<'a>(entries: &'a [Entry], name: &str) -> Result<&'a Entry> {
    entries.iter().find(|e| e.name == name).ok_or_else(|| {
        Failure::error(format!("no session named '{name}'"))
            .with_hint("`sessions list` shows the sessions of this repository")
            .into()
    })
}
