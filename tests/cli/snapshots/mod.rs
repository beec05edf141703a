//! Snapshot tests (`insta`) of what people read: every `--help`, the views
//! (`list`, `show`, `config`, `clean --dry-run`, `doctor`) and each error
//! with its hint. Everything that varies is pinned: `sessions`' clock
//! (`SESSIONS_NOW`), git's dates (so commit ids are real and stable), the
//! width and colour; the temporary root is filtered to `[ROOT]`.
//!
//! A changed output fails here (CI sets `CI=true`, so insta writes nothing);
//! review with `cargo insta review`, or `INSTA_UPDATE=always` and `git diff`.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::common::{TestEnv, write_file};

mod errors;
mod help;
mod table;
mod views;

/// The instant every command of these tests runs at, and every commit is
/// dated: git's reflog times then equal the sessions' creation times, as
/// the safety rules expect of work done after a session started.
const NOW: &str = "2026-01-02T03:04:05Z";

/// When the views are looked at: later than NOW, so ages show.
const LATER: &str = "2026-01-02T06:34:05Z";

/// A `TestEnv` whose every command runs at a pinned time, in 80 columns,
/// without colour.
pub struct Pinned {
    pub env: TestEnv,
}

impl Pinned {
    /// A clone of a bare `origin`, as `TestEnv::cloned` makes it, with dates
    /// pinned so that commit ids are the same on every run; sessions go
    /// under `~/worktrees` so that paths, and the table's columns, have
    /// the same width wherever the temporary folder is.
    pub fn cloned() -> Pinned {
        let pinned = Pinned {
            env: TestEnv::empty(),
        };
        let origin = pinned.env.origin();
        let origin = origin.to_str().unwrap();
        pinned.git(&["init", "-q", "-b", "main"]);
        pinned.commit("README.md", "hello\n", "initial commit");
        pinned.commit(".gitignore", "*.log\ntarget/\n", "ignore logs");
        pinned.git(&["clone", "-q", "--bare", ".", origin]);
        pinned.git(&["remote", "add", "origin", origin]);
        pinned.git(&["fetch", "-q", "origin"]);
        pinned.git(&["branch", "-q", "--set-upstream-to", "origin/main", "main"]);
        pinned.git(&["remote", "set-head", "origin", "main"]);
        pinned
            .env
            .user_config("worktree_dir = \"~/worktrees/{repo}/{name}\"\n");
        pinned
    }

    /// Sets what these tests pin on COMMAND, at time AT.
    fn pin(command: &mut StdCommand, at: &str) {
        command
            .env("SESSIONS_NOW", at)
            .env("GIT_AUTHOR_DATE", at)
            .env("GIT_COMMITTER_DATE", at)
            .env("COLUMNS", "80")
            .env("LINES", "24")
            .env("NO_COLOR", "1");
    }

    /// Runs git in DIR at NOW; panics unless it succeeds.
    pub fn git_in(&self, dir: &Path, args: &[&str]) {
        let mut command = self.env.command_in("git", dir);
        Self::pin(&mut command, NOW);
        let output = command.args(args).output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn git(&self, args: &[&str]) {
        self.git_in(&self.env.repo, args);
    }

    /// Writes FILE in the main worktree and commits it, at NOW.
    pub fn commit(&self, file: &str, text: &str, message: &str) {
        self.commit_in(&self.env.repo, file, text, message);
    }

    pub fn commit_in(&self, dir: &Path, file: &str, text: &str, message: &str) {
        write_file(&dir.join(file), text);
        self.git_in(dir, &["add", file]);
        self.git_in(dir, &["commit", "-q", "-m", message]);
    }

    /// `sessions new NAME --no-agent` at NOW, which must succeed; the
    /// session's folder.
    pub fn new_session(&self, name: &str) -> PathBuf {
        let (code, stdout, stderr) =
            self.output_at(&self.env.repo, NOW, &["new", name, "--no-agent"]);
        assert_eq!(code, Some(0), "sessions new {name}: {stderr}");
        PathBuf::from(stdout.lines().last().expect("new prints the path"))
    }

    /// `sessions ARGS` run in DIR at AT: exit code, stdout, stderr.
    fn output_at(&self, dir: &Path, at: &str, args: &[&str]) -> (Option<i32>, String, String) {
        let mut command = self.env.sessions_std(dir);
        Self::pin(&mut command, at);
        let output = command.args(args).output().unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }

    /// `sessions ARGS` in DIR at AT as a snapshot reads it: the command,
    /// its exit code, and what it printed on each stream.
    pub fn transcript_at(&self, dir: &Path, at: &str, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.output_at(dir, at, args);
        let code = code.map_or_else(|| "killed".into(), |c| c.to_string());
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("'{a}'")
                } else {
                    a.to_string()
                }
            })
            .collect();
        let mut text = format!("$ sessions {}\nexit: {code}\n", shown.join(" "));
        for (stream, out) in [("stdout", stdout), ("stderr", stderr)] {
            if !out.is_empty() {
                text.push_str(&format!("--- {stream}\n{out}"));
            }
        }
        text
    }

    /// `transcript_at` the main worktree, at LATER.
    pub fn transcript(&self, args: &[&str]) -> String {
        self.transcript_at(&self.env.repo, LATER, args)
    }

    /// Asserts snapshot NAME of TEXT with the temporary root as `[ROOT]`.
    pub fn assert_snapshot(&self, name: &str, text: &str) {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(
            &regex_escape(&self.env.root().display().to_string()),
            "[ROOT]",
        );
        // `show`'s size depends on the file system's block size.
        settings.add_filter(r"(?m)^(size:\s+).*$", "${1}[SIZE]");
        settings.add_filter(
            r#"(?s)"size": \{[^{}]*"largest_ignored": \[\]\s*\}"#,
            r#""size": "[SIZE]""#,
        );
        settings.bind(|| insta::assert_snapshot!(name, text));
    }
}

/// TEXT as a regular expression that matches it literally.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
