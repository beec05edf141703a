//! Hints as a user meets them: read from stderr, pasted into a shell.

use std::path::Path;
use std::process::Output;

use super::{TestEnv, stderr_of};

/// Every `hint:` line of STDERR.
pub fn hints_of(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("hint: "))
        .map(str::to_string)
        .collect()
}

/// The one `hint:` line of STDERR.
pub fn hint_of(stderr: &str) -> String {
    match &hints_of(stderr)[..] {
        [one] => one.clone(),
        other => panic!("not one hint but {other:?}: {stderr}"),
    }
}

/// The last `hint:` line of STDERR.
pub fn last_hint(stderr: &str) -> String {
    hints_of(stderr)
        .pop()
        .unwrap_or_else(|| panic!("no hint: {stderr}"))
}

/// COMMAND (a hint) run with `sh -c` in DIR as a user would run it:
/// `sessions` on the PATH, and an editor that writes the message.
pub fn pasted_in(env: &TestEnv, dir: &Path, command: &str) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_sessions")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    env.command_in("sh", dir)
        .arg("-c")
        .arg(command)
        .env("PATH", path)
        .env("GIT_EDITOR", "sed -i 1s/^/wip/")
        .output()
        .unwrap()
}

/// COMMAND pasted in the main worktree.
pub fn pasted(env: &TestEnv, command: &str) -> Output {
    pasted_in(env, &env.repo, command)
}

/// COMMAND pasted in the main worktree, which must succeed; its stderr.
pub fn paste(env: &TestEnv, command: &str) -> String {
    let out = pasted(env, command);
    assert!(out.status.success(), "{command}: {}", stderr_of(&out));
    stderr_of(&out)
}

impl TestEnv {
    /// Commits FILE with TEXT on `main` in a second clone of the env's
    /// origin and pushes it: someone else's work, not fetched here yet.
    /// The commit's id.
    pub fn pushed_elsewhere(&self, file: &str, text: &str) -> String {
        let other = self.root().join("elsewhere");
        if !other.exists() {
            let origin = self.origin();
            self.git(&[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                other.to_str().unwrap(),
            ]);
        }
        self.git_in(&other, &["pull", "-q", "--ff-only"]);
        self.commit_in(&other, file, text, &format!("elsewhere: {file}"));
        self.git_in(&other, &["push", "-q", "origin", "main"]);
        self.git_in(&other, &["rev-parse", "HEAD"])
    }
}
