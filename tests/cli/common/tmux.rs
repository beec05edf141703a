//! A private tmux server for tests: on a socket in the test's folder,
//! killed when dropped. Every wait polls for a condition.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{TestEnv, stderr_of};

/// A tmux server on a socket in the test's folder, killed when dropped.
pub struct Tmux {
    pub socket: PathBuf,
}

impl Tmux {
    /// A server started from CLIENT_DIR (where the server itself works) with
    /// one pane in PANE_DIR running COMMAND.
    pub fn start(env: &TestEnv, client_dir: &Path, pane_dir: &Path, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: env.root().join("tmux.sock"),
        };
        let out = env
            .command_in("tmux", client_dir)
            .arg("-S")
            .arg(&tmux.socket)
            .args(["new-session", "-d", "-x", "120", "-y", "40", "-c"])
            .arg(pane_dir)
            .arg(command)
            .env("TERM", "xterm")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux: {}", stderr_of(&out));
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {}", stderr_of(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The pid of the program the pane runs.
    pub fn pane_pid(&self) -> u32 {
        self.run(&["list-panes", "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap()
    }

    pub fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-l", line]);
        self.run(&["send-keys", "Enter"]);
    }

    pub fn interrupt(&self) {
        self.run(&["send-keys", "C-c"]);
    }

    /// Has the shell print `readyN` and waits until it has: it is at its
    /// prompt, reading. The quotes keep the typed line from matching.
    pub fn ready(&self, n: u32) {
        self.type_line(&format!("printf 'rea''dy%s\\n' {n}"));
        let marker = format!("ready{n}");
        until(&format!("the pane to show {marker}"), || {
            self.run(&["capture-pane", "-p"])
                .lines()
                .any(|l| l.trim() == marker)
        });
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// Polls CONDITION until it holds, failing after a generous bound.
pub fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
