//! Sparse worktrees: checked out with only some folders (git's cone mode),
//! so that checking out scales with the folders, not the repository.

use std::path::Path;

use anyhow::{Context, Result};

use super::Repo;
use super::workdir::{GitError, check, git_in};

/// What a worktree's sparse checkout takes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sparse {
    /// Folders (cone mode), or gitignore-style patterns when not.
    pub paths: Vec<String>,
    pub cone: bool,
}

impl Repo {
    /// `git worktree add` of BRANCH at PATH checking out only SPARSE:
    /// added without a checkout, the sparse set chosen, then checked out.
    pub fn add_sparse_worktree(&self, path: &Path, branch: &str, sparse: &Sparse) -> Result<()> {
        let output = self
            .git_command()
            .env("LC_ALL", "C")
            .args([
                "worktree",
                "add",
                "--quiet",
                "--no-checkout",
                "--end-of-options",
            ])
            .arg(path)
            .arg(branch)
            .output()
            .map_err(GitError::CouldNotRun)?;
        check(&output, "git worktree add")
            .with_context(|| format!("cannot create worktree {}", path.display()))?;
        let mode = if sparse.cone { "--cone" } else { "--no-cone" };
        let output = git_in(path)
            .args(["sparse-checkout", "set", mode, "--"])
            .args(&sparse.paths)
            .output()
            .map_err(GitError::CouldNotRun)?;
        check(&output, "git sparse-checkout set")
            .with_context(|| format!("cannot make {} sparse", path.display()))?;
        let output = git_in(path)
            .args(["checkout", "--quiet"])
            .output()
            .map_err(GitError::CouldNotRun)?;
        check(&output, "git checkout")
            .with_context(|| format!("cannot check out {}", path.display()))
    }
}

/// The sparse checkout of the worktree at DIR, `None` when it has all files.
pub fn sparse_of(dir: &Path) -> Option<Sparse> {
    if !is_sparse(dir) {
        return None;
    }
    let bool_of = |key: &str| {
        git_in(dir)
            .args(["config", "--type=bool", "--get", key])
            .output()
            .ok()
            .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true")
    };
    let output = git_in(dir)
        .args(["sparse-checkout", "list"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let paths = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    Some(Sparse {
        paths,
        cone: bool_of("core.sparseCheckoutCone"),
    })
}

/// Whether the worktree at DIR has a sparse checkout: its per-worktree
/// configuration (where `git sparse-checkout` puts it) says so. Read from
/// the file, not by running git: `list` asks for every session.
pub fn is_sparse(dir: &Path) -> bool {
    let dot_git = dir.join(".git");
    let gitdir = match std::fs::read_to_string(&dot_git) {
        Ok(text) => match text.strip_prefix("gitdir:") {
            Some(rest) => dir.join(rest.trim()),
            None => return false,
        },
        Err(_) => dot_git,
    };
    git2::Config::open(&gitdir.join("config.worktree"))
        .and_then(|c| c.get_bool("core.sparseCheckout"))
        .unwrap_or(false)
}
