//! Where a new session's worktree goes: `worktree_dir` filled in, a
//! project's value only where it is harmless or approved, never inside git's
//! folders, and beside a superproject rather than inside it.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::Workspace;
use crate::config;
use crate::error::Failure;
use crate::trust::{self, Approval};

impl Workspace {
    /// `session_dir` for a new session, checked: a project's `worktree_dir`
    /// outside the repository's area applies only once approved (asked on a
    /// terminal, else the user's or default layout with a warning), and no
    /// worktree goes inside git's own folders or, from a lexically harmless
    /// project template, through a symlink out of the repository's area.
    pub fn placement(&self, name: &str, branch: &str) -> Result<PathBuf> {
        let home = self.repo.home_dir();
        let mut template = &self.config.worktree_dir;
        if let Some(project) = self.config.withheld_worktree_dir() {
            match self.approval()? {
                Approval::Trusted => template = project,
                Approval::Declined | Approval::Unapproved => self.ui.warn(&format!(
                    "not using worktree_dir = \"{}\" from {}: a folder outside the repository's area needs approval; review it with `sessions trust`",
                    project.value, project.source
                )),
            }
        }
        let path = self.dir_from(&template.value, name, branch);
        let resolved = resolve_existing(&path);
        for git_dir in [self.repo.common_dir().to_path_buf(), home.join(".git")] {
            let git_dir = resolve_existing(&git_dir);
            if resolved.starts_with(&git_dir) {
                bail!(
                    Failure::usage(format!(
                        "worktree_dir ({}) puts the worktree inside git's folder {}",
                        template.source,
                        git_dir.display()
                    ))
                    .with_hint("`sessions config` shows worktree_dir and where it is set")
                );
            }
        }
        if template.source.is_project() && trust::is_confined_template(&template.value) {
            let area = home.parent().map(resolve_existing).unwrap_or_default();
            let below = resolved.strip_prefix(&area).ok();
            let hidden = below
                .and_then(|rel| rel.components().next())
                .is_some_and(|first| first.as_os_str().to_string_lossy().starts_with('.'))
                && !resolved.starts_with(resolve_existing(home));
            if below.is_none() || hidden {
                bail!(
                    Failure::usage(format!(
                        "worktree_dir from {} leads through a symbolic link to {}, outside the repository's area",
                        template.source,
                        resolved.display()
                    ))
                    .with_hint("fix or remove the link, or set worktree_dir in your own config.toml")
                );
            }
        }
        Ok(path)
    }

    /// TEMPLATE filled in for NAME on BRANCH. The default layout of a
    /// repository that is a submodule goes beside the outermost
    /// superproject, never inside its working tree.
    pub(super) fn dir_from(&self, template: &str, name: &str, branch: &str) -> PathBuf {
        let mut anchor = self.repo.home_dir().to_path_buf();
        if template == config::DEFAULT_WORKTREE_DIR
            && let Some(superproject) = self.repo.superproject_root()
        {
            anchor = superproject;
        }
        config::fill_template(template, &anchor, &self.repo_name(), name, branch)
    }
}

/// PATH with symlinks resolved as far as it exists, the rest appended: where
/// a folder about to be made will really be.
fn resolve_existing(path: &Path) -> PathBuf {
    for existing in path.ancestors() {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let rest = path.strip_prefix(existing).unwrap_or(Path::new(""));
            return real.join(rest);
        }
    }
    path.to_path_buf()
}

#[cfg(test)]
mod tests;
