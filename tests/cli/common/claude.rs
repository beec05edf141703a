//! The real Claude Code the end-to-end tests run: which binary, which
//! release, and one at a time.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// One real Claude at a time, across every test that starts one: each is a
/// node process of ~200 MB on a machine of 2 cores, and its states are timed.
static ONE_CLAUDE: Mutex<()> = Mutex::new(());

/// Holds the turn to run a real Claude until dropped.
pub fn one_claude() -> MutexGuard<'static, ()> {
    ONE_CLAUDE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `claude` binary the end-to-end tests run: SESSIONS_TEST_CLAUDE, then
/// the pinned one `.ci/run` installs in `.ci/node`, then PATH.
pub fn claude_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SESSIONS_TEST_CLAUDE") {
        return Some(PathBuf::from(path));
    }
    // The pinned release first, so that a newer one on PATH does not stand
    // in for it unnoticed.
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/node/node_modules/.bin/claude");
    if local.is_file() {
        return Some(local);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("claude"))
        .find(|file| file.is_file())
}

/// The Claude Code release the tests are pinned to (`.ci/claude-code-version`).
pub fn pinned_claude_version() -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/claude-code-version");
    fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .trim()
        .to_string()
}
