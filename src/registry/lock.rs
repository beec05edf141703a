//! The registry's lock: an exclusive `flock` on a file of its own, waited
//! for by polling so that a signal stops the wait, naming its holder.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::interrupt;

/// Takes the exclusive lock on the file PATH, waiting as `Registry::lock`
/// does: the one lock code, which the user's index of repositories
/// (`crate::index`) shares.
pub fn lock_file(path: &Path) -> Result<File> {
    let lock = wait_for_lock(path, announced)?;
    claim(&lock);
    Ok(lock)
}

/// Waits for the lock file PATH: see `Registry::lock_waiting`.
pub(super) fn wait_for_lock(path: &Path, notice: impl FnOnce(&LockWait)) -> Result<File> {
    let lock = open_lock(path)?;
    let started = Instant::now();
    let mut notice = Some(notice);
    let mut pause = Duration::from_millis(1);
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(fs::TryLockError::WouldBlock) => {
                interrupt::check()?;
                if started.elapsed() >= NOTICE_AFTER
                    && let Some(notice) = notice.take()
                {
                    notice(&LockWait {
                        file: path.to_path_buf(),
                        holder: holder_of(&lock),
                    });
                }
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
    }
}

pub(super) fn open_lock(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Writes who holds LOCK into it, for whoever waits (`lock_waiting`);
/// unsynced, and never needed for correctness.
pub(super) fn claim(mut lock: &File) {
    let _ = lock
        .set_len(0)
        .and_then(|()| lock.write_all(std::process::id().to_string().as_bytes()));
}

/// What `lock` tells while it waits for another process: set once by the
/// command layer (the domain prints nothing).
static ON_LOCK_WAIT: OnceLock<fn(&LockWait)> = OnceLock::new();

/// Has every later `lock` tell NOTICE when it has to wait.
pub fn announce_lock_waits(notice: fn(&LockWait)) {
    let _ = ON_LOCK_WAIT.set(notice);
}

pub(super) fn announced(wait: &LockWait) {
    if let Some(notice) = ON_LOCK_WAIT.get() {
        notice(wait);
    }
}

/// How long `lock_waiting` waits quietly before it says what it waits for.
const NOTICE_AFTER: Duration = Duration::from_secs(1);

/// Another process holds the registry lock.
#[derive(Debug)]
pub struct LockWait {
    pub file: PathBuf,
    /// Its pid, as the holder wrote it into the lock file.
    pub holder: Option<u32>,
}

fn holder_of(mut lock: &File) -> Option<u32> {
    let mut text = String::new();
    lock.seek(SeekFrom::Start(0)).ok()?;
    lock.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
