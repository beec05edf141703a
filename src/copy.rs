//! Bringing ignored files (`.env`, local settings...) from the main worktree
//! into a new one: the ones `copy` patterns or `.worktreeinclude` name, as
//! copy-on-write clones where the file system allows.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::git::Repo;
use crate::interrupt;
use crate::output::tilde;
use crate::session::Ui;
use crate::shell::quote_path;

/// The file at the repository root whose gitignore-style patterns name
/// ignored files to copy, as Claude Code's own worktrees do.
pub const INCLUDE_FILE: &str = ".worktreeinclude";

/// Copies the ignored files of `from` that match `patterns` or
/// `.worktreeinclude` into `to`; returns how many. Tracked files are never
/// copied: the checkout has them. Nested repositories, and files whose
/// folder in `to` is a symbolic link (the checkout's, never followed), are
/// skipped with a warning. UI hears what was done and counts the files.
pub fn ignored_files(
    repo: &Repo,
    from: &Path,
    to: &Path,
    patterns: &[String],
    ui: &dyn Ui,
) -> Result<usize> {
    let Some(matcher) = matcher(from, patterns)? else {
        return Ok(0);
    };
    let wanted: Vec<PathBuf> = repo
        .workdir(from)
        .ignored_files()?
        .into_iter()
        .filter(|rel| matcher.matched_path_or_any_parents(rel, false).is_ignore())
        .collect();
    let mut progress = ui.progress(wanted.len() as u64, "Copying ignored files");
    let mut copied = 0;
    for rel in &wanted {
        let done = copy_one(&from.join(rel), to, rel)
            .with_context(|| format!("cannot copy {} into {}", rel.display(), to.display()))?;
        match done {
            Copied::Yes => copied += 1,
            Copied::Skipped(why) => ui.warn(&format!("not copying {}: {why}", rel.display())),
        }
        progress.inc();
        interrupt::check()?;
    }
    drop(progress);
    if copied > 0 {
        let s = if copied == 1 { "" } else { "s" };
        ui.note(&format!(
            "Copied {copied} ignored file{s} from {}",
            tilde(from)
        ));
    }
    Ok(copied)
}

/// At most this many patterns in all: each compiles into a matcher, and a
/// repository's `.worktreeinclude` (or `copy` list) of a few megabytes would
/// otherwise hold up `sessions new` for minutes and gigabytes.
const MAX_PATTERNS: usize = 1000;
/// The largest `.worktreeinclude` read; a longer one is not used.
const MAX_INCLUDE_BYTES: u64 = 64 * 1024;

/// The patterns as one matcher; `None` when there are none at all.
fn matcher(root: &Path, patterns: &[String]) -> Result<Option<Gitignore>> {
    let mut builder = GitignoreBuilder::new(root);
    let include = root.join(INCLUDE_FILE);
    let included = read_include(&include)?;
    let lines: Vec<&str> = included
        .iter()
        .flat_map(|text| text.trim_start_matches('\u{feff}').lines())
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .collect();
    if patterns.len() + lines.len() > MAX_PATTERNS {
        anyhow::bail!(
            crate::error::Failure::usage(format!(
                "{} copy patterns and {} lines of {} are more than {MAX_PATTERNS} patterns in all",
                patterns.len(),
                lines.len(),
                include.display()
            ))
            .with_hint(format!("wc -l -- {}", quote_path(&include)))
        );
    }
    if patterns.is_empty() && included.is_none() {
        return Ok(None);
    }
    for pattern in patterns {
        builder
            .add_line(None, pattern)
            .with_context(|| format!("invalid copy pattern '{pattern}'"))?;
    }
    for line in lines {
        builder
            .add_line(Some(include.clone()), line)
            .with_context(|| format!("invalid line '{line}' in {}", include.display()))?;
    }
    Ok(Some(builder.build()?))
}

/// The text of `.worktreeinclude` at INCLUDE: `None` when there is no such
/// plain file (a link is not followed); an error when it is too large.
fn read_include(include: &Path) -> Result<Option<String>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // Patterns from a file, not from wherever a link would lead.
    let opened = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(include);
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound || e.raw_os_error() == Some(libc::ELOOP) => {
            return Ok(None);
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", include.display())),
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    let mut text = String::new();
    file.take(MAX_INCLUDE_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", include.display()))?;
    if text.len() as u64 > MAX_INCLUDE_BYTES {
        anyhow::bail!(
            crate::error::Failure::usage(format!(
                "{} is larger than {} KiB",
                include.display(),
                MAX_INCLUDE_BYTES / 1024
            ))
            .with_hint(format!("ls -l -- {}", quote_path(include)))
        );
    }
    Ok(Some(text))
}

/// What became of one file.
enum Copied {
    Yes,
    Skipped(String),
}

/// SRC to REL below TO: symlinks stay symlinks, permissions are kept, and an
/// existing file (made by a git post-checkout hook, say) is left alone.
/// Nothing is written through a link: every folder on the way is checked not
/// to be one, and the file is created anew, never opened where it exists.
fn copy_one(src: &Path, to: &Path, rel: &Path) -> Result<Copied> {
    let meta = match fs::symlink_metadata(src) {
        Ok(meta) => meta,
        // Vanished between listing and copying: nothing to bring over.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Copied::Yes),
        Err(e) => return Err(e.into()),
    };
    if meta.is_dir() {
        // Git lists an ignored nested repository as a folder.
        return Ok(Copied::Skipped(
            "it is a folder of its own, such as a nested repository".into(),
        ));
    }
    let mut dir = to.to_path_buf();
    for part in rel.parent().into_iter().flat_map(Path::components) {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Ok(Copied::Skipped(format!(
                    "{} is a symbolic link in the new worktree",
                    dir.strip_prefix(to).unwrap_or(&dir).display()
                )));
            }
            Ok(_) => anyhow::bail!(
                "{} is not a folder in the new worktree",
                dir.strip_prefix(to).unwrap_or(&dir).display()
            ),
            Err(e) if e.kind() == ErrorKind::NotFound => fs::create_dir(&dir)?,
            Err(e) => return Err(e.into()),
        }
    }
    let dst = to.join(rel);
    if fs::symlink_metadata(&dst).is_ok() {
        return Ok(Copied::Yes);
    }
    if meta.file_type().is_symlink() {
        symlink(&fs::read_link(src)?, &dst)?;
        return Ok(Copied::Yes);
    }
    // Both create the file exclusively (O_EXCL), which never follows a link.
    if reflink_copy::reflink(src, &dst).is_ok() {
        keep_modified(&meta, &open_own(&dst)?)?;
        return Ok(Copied::Yes);
    }
    let mut input = match fs::File::open(src) {
        Ok(input) => input,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Copied::Yes),
        Err(e) => return Err(e.into()),
    };
    let mut output = create_new(&dst, &meta)?;
    io::copy(&mut input, &mut output)?;
    output.set_permissions(meta.permissions())?;
    keep_modified(&meta, &output)?;
    Ok(Copied::Yes)
}

/// Gives the copy FILE the modification time of its source (META): build
/// tools (cargo, make, npm) compare times, and a copied cache that looks
/// newer than its sources, or older than its outputs, is rebuilt.
fn keep_modified(meta: &fs::Metadata, file: &fs::File) -> io::Result<()> {
    let times = fs::FileTimes::new()
        .set_modified(meta.modified()?)
        .set_accessed(meta.accessed()?);
    file.set_times(times)
}

/// DST, just created by us, opened to set its times (as its owner, so
/// reading is enough, even when it is read-only); never through a link.
fn open_own(dst: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dst)
}

/// DST created anew, never through a link, readable by no more than SRC
/// (whose metadata is META) from the start.
fn create_new(dst: &Path, meta: &fs::Metadata) -> io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(meta.permissions().mode() & 0o777)
        .open(dst)
}

fn symlink(target: &Path, link: &Path) -> Result<()> {
    Ok(std::os::unix::fs::symlink(target, link)?)
}
