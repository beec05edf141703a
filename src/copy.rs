//! Bringing ignored files (`.env`, local settings...) from the main worktree
//! into a new one: the ones `copy` patterns or `.worktreeinclude` name, as
//! copy-on-write clones where the file system allows.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::git::Repo;
use crate::interrupt;
use crate::output::{self, Progress, tilde};

/// The file at the repository root whose gitignore-style patterns name
/// ignored files to copy, as Claude Code's own worktrees do.
pub const INCLUDE_FILE: &str = ".worktreeinclude";

/// Copies the ignored files of `from` that match `patterns` or
/// `.worktreeinclude` into `to`; returns how many. Tracked files are never
/// copied: the checkout has them.
pub fn ignored_files(from: &Path, to: &Path, patterns: &[String]) -> Result<usize> {
    let Some(matcher) = matcher(from, patterns)? else {
        return Ok(0);
    };
    let wanted: Vec<PathBuf> = Repo::ignored_files(from)?
        .into_iter()
        .filter(|rel| matcher.matched_path_or_any_parents(rel, false).is_ignore())
        .collect();
    let mut progress = Progress::new(wanted.len() as u64, "Copying ignored files");
    for rel in &wanted {
        copy_one(&from.join(rel), &to.join(rel))
            .with_context(|| format!("cannot copy {} into {}", rel.display(), to.display()))?;
        progress.inc();
        interrupt::check()?;
    }
    drop(progress);
    if !wanted.is_empty() {
        let s = if wanted.len() == 1 { "" } else { "s" };
        output::note(format!(
            "Copied {} ignored file{s} from {}",
            wanted.len(),
            tilde(from)
        ));
    }
    Ok(wanted.len())
}

/// The patterns as one matcher; `None` when there are none at all.
fn matcher(root: &Path, patterns: &[String]) -> Result<Option<Gitignore>> {
    let mut builder = GitignoreBuilder::new(root);
    let include = root.join(INCLUDE_FILE);
    let has_include = include.is_file();
    if patterns.is_empty() && !has_include {
        return Ok(None);
    }
    for pattern in patterns {
        builder
            .add_line(None, pattern)
            .with_context(|| format!("invalid copy pattern '{pattern}'"))?;
    }
    if has_include && let Some(err) = builder.add(&include) {
        return Err(err).with_context(|| format!("cannot read {}", include.display()));
    }
    Ok(Some(builder.build()?))
}

/// One file: symlinks stay symlinks, permissions are kept, and an existing
/// file (made by a checkout hook, say) is left alone.
fn copy_one(src: &Path, dst: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(src)?;
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent)?;
    }
    if fs::symlink_metadata(dst).is_ok() {
        return Ok(());
    }
    if meta.file_type().is_symlink() {
        let target = fs::read_link(src)?;
        return symlink(&target, dst);
    }
    match reflink_copy::reflink_or_copy(src, dst) {
        Ok(_) => {}
        // Vanished between listing and copying: nothing to bring over.
        Err(e) if e.kind() == ErrorKind::NotFound && !src.exists() => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    fs::set_permissions(dst, meta.permissions())?;
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> Result<()> {
    Ok(std::os::unix::fs::symlink(target, link)?)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> Result<()> {
    Ok(std::os::windows::fs::symlink_file(target, link)?)
}
