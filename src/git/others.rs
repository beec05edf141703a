//! What in a worktree git does not track: the untracked and the ignored
//! entries, folders collapsed, for sizes (`session/size.rs`) and `clean
//! --artifacts`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::porcelain::path_from_bytes;
use super::workdir::{GitError, Workdir, check, git_in};

/// One untracked or ignored entry, relative to the worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Other {
    pub path: PathBuf,
    /// A whole folder (git printed it with a trailing slash): nothing in it
    /// is tracked, and for an ignored one nothing in it is unignored.
    pub folder: bool,
}

#[derive(Debug, Default)]
pub struct Others {
    pub untracked: Vec<Other>,
    pub ignored: Vec<Other>,
}

impl Workdir<'_> {
    /// `git status --ignored=matching`: an ignored folder is named only
    /// when git's ignore rules match it itself, so everything in it is
    /// ignored; a folder that merely holds ignored files is not (the
    /// `traditional` mode would name it).
    pub fn others(&self) -> Result<Others> {
        let mut command = git_in(self.dir);
        command.args([
            "status",
            "--porcelain=v1",
            "-z",
            "--no-renames",
            "--ignored=matching",
            "--untracked-files=normal",
            "--ignore-submodules=all",
        ]);
        let output = command.output().map_err(GitError::CouldNotRun)?;
        check(&output, "git status").with_context(|| {
            format!(
                "cannot list the untracked and ignored files of {}",
                self.dir.display()
            )
        })?;
        let mut others = Others::default();
        for record in output.stdout.split(|b| *b == 0) {
            let (Some(code), Some(path)) = (record.get(..3), record.get(3..)) else {
                continue;
            };
            let folder = path.ends_with(b"/");
            let path = path.strip_suffix(b"/").unwrap_or(path);
            let other = Other {
                path: path_from_bytes(path),
                folder,
            };
            match code {
                b"?? " => others.untracked.push(other),
                b"!! " => others.ignored.push(other),
                _ => {}
            }
        }
        Ok(others)
    }
}
