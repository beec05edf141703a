//! Replacing a file whole, so a reader (or a crash) sees the old file or the
//! new one and never half of either: the registry, the trust store and
//! Claude Code's settings all go through here.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, fchown};
use std::path::{Path, PathBuf};

/// How to write: `hidden` starts the temp file's name with a dot (it sits in
/// a folder people look at); `like` is the file being replaced, whose mode
/// and owner the new one has from the start, so a private file is never
/// readable by others, not even for a moment.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    pub hidden: bool,
    pub like: Option<&'a Metadata>,
}

/// The temp file a write of FILE by this process uses: `<name>.tmp-<pid>`
/// beside it (`doctor` finds the registry's stale ones by that name).
fn temp_path(file: &Path, hidden: bool) -> PathBuf {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let dot = if hidden { "." } else { "" };
    let dir = file.parent().unwrap_or(Path::new("."));
    dir.join(format!("{dot}{name}.tmp-{}", std::process::id()))
}

/// Writes TEXT to a temp file beside FILE, syncs it, renames it over FILE
/// and syncs the folder (the rename is durable only then). On failure the
/// temp file is removed and FILE is as it was.
pub fn write(file: &Path, text: &[u8], how: Options) -> io::Result<()> {
    let temp = temp_path(file, how.hidden);
    let write = || -> io::Result<()> {
        let mut out = create(&temp, how.like)?;
        if let Some(like) = how.like {
            // Only root can give a file away; anyone else's own files keep their owner.
            if fchown(&out, Some(like.uid()), Some(like.gid())).is_err() {
                fchown(&out, None, Some(like.gid())).ok();
            }
            out.set_permissions(like.permissions())?;
        }
        out.write_all(text)?;
        out.sync_all()?;
        fs::rename(&temp, file)?;
        File::open(file.parent().unwrap_or(Path::new(".")))?.sync_all()
    };
    write().inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// A new TEMP (never through a link planted there), with LIKE's mode. A
/// file already there has our pid in its name, so it is a dead writer's
/// whose pid was reused: it goes.
fn create(temp: &Path, like: Option<&Metadata>) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .mode(like.map_or(0o666, |m| m.permissions().mode() & 0o7777));
    match options.open(temp) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(temp)?;
            options.open(temp)
        }
        result => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_a_dead_writers_temp_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        let temp = temp_path(&file, false);
        assert!(temp.ends_with(format!("f.toml.tmp-{}", std::process::id())));
        fs::write(&temp, "stale").unwrap();
        let like = fs::metadata(&file).unwrap();
        let how = Options {
            hidden: false,
            like: Some(&like),
        };
        write(&file, b"new", how).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
        assert!(!temp.exists());
    }

    #[test]
    fn a_failed_write_leaves_the_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::create_dir(&file).unwrap();
        let how = Options {
            hidden: true,
            ..Options::default()
        };
        assert!(write(&file, b"x", how).is_err());
        assert!(file.is_dir());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
