//! The one fixture every integration test uses: a real git repository in a
//! temporary folder, with HOME, the XDG folders and git's configuration all
//! isolated, and the built `sessions` binary run against it.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand};
use std::sync::Mutex;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub mod claude;
pub mod fake_anthropic;
pub mod hints;
pub mod procs;
pub mod tty;

pub use claude::{claude_binary, pinned_claude_version};

pub struct TestEnv {
    root: TempDir,
    /// The main worktree of the test repository.
    pub repo: PathBuf,
    pub home: PathBuf,
}

impl TestEnv {
    /// A repository on branch `main` with one commit (README.md), and
    /// `*.log` and `target/` ignored.
    pub fn new() -> TestEnv {
        let env = TestEnv::empty();
        env.git(&["init", "-q", "-b", "main"]);
        env.write("README.md", "hello\n");
        env.write(".gitignore", "*.log\ntarget/\n");
        env.git(&["add", "."]);
        env.git(&["commit", "-q", "-m", "initial commit"]);
        env
    }

    /// The isolated environment with an empty folder where the repository goes.
    pub fn empty() -> TestEnv {
        let root = tempfile::Builder::new()
            .prefix("sessions-test")
            .tempdir()
            .unwrap();
        let base = root.path().canonicalize().unwrap();
        let home = base.join("home");
        let repo = base.join("work").join("repo");
        for dir in [&home, &repo] {
            fs::create_dir_all(dir).unwrap();
        }
        for dir in ["config", "data", "state", "cache"] {
            fs::create_dir_all(home.join(".xdg").join(dir)).unwrap();
        }
        fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Test\n\temail = test@example.com\n\
             [init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n\
             [maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n",
        )
        .unwrap();
        TestEnv { root, repo, home }
    }

    /// The variables that isolate every process the tests start.
    pub fn vars(&self) -> Vec<(&'static str, OsString)> {
        let xdg = |dir: &str| self.home.join(".xdg").join(dir).into_os_string();
        vec![
            ("HOME", self.home.clone().into_os_string()),
            ("XDG_CONFIG_HOME", xdg("config")),
            ("XDG_DATA_HOME", xdg("data")),
            ("XDG_STATE_HOME", xdg("state")),
            ("XDG_CACHE_HOME", xdg("cache")),
            (
                "GIT_CONFIG_GLOBAL",
                self.home.join(".gitconfig").into_os_string(),
            ),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("LC_ALL", "C".into()),
        ]
    }

    /// Variables of the caller's environment that would leak into the tests.
    const LEAKY: &'static [&'static str] = &[
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_DATE",
        "SESSIONS_CONFIG",
        "SESSIONS_NOW",
        "CLAUDE_CONFIG_DIR",
        "NO_COLOR",
    ];

    fn isolate(&self, command: &mut StdCommand) {
        for var in Self::LEAKY {
            command.env_remove(var);
        }
        command.envs(self.vars());
    }

    /// `sessions` run in the main worktree.
    pub fn sessions(&self) -> Command {
        self.sessions_in(&self.repo)
    }

    /// `sessions` run in DIR.
    pub fn sessions_in(&self, dir: &Path) -> Command {
        Command::from_std(self.sessions_std(dir))
    }

    /// The same as a plain std Command, for tests that spawn many at once.
    pub fn sessions_std(&self, dir: &Path) -> StdCommand {
        let mut command = StdCommand::new(env!("CARGO_BIN_EXE_sessions"));
        command.current_dir(dir);
        self.isolate(&mut command);
        command
    }

    /// Runs git in the main worktree; panics unless it succeeds.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.repo, args)
    }

    /// Runs git in DIR; panics unless it succeeds. Returns stdout, trimmed.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut command = StdCommand::new("git");
        command.args(args).current_dir(dir);
        self.isolate(&mut command);
        let output = command.output().expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?} in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .trim_end()
            .to_string()
    }

    /// Writes FILE (relative to the main worktree), creating its folders.
    pub fn write(&self, file: &str, text: &str) {
        write_file(&self.repo.join(file), text);
    }

    /// Writes FILE in DIR and commits it there.
    pub fn commit_in(&self, dir: &Path, file: &str, text: &str, message: &str) {
        write_file(&dir.join(file), text);
        self.git_in(dir, &["add", file]);
        self.git_in(dir, &["commit", "-q", "-m", message]);
    }

    /// A repository cloned from a bare `origin` (at `origin()`), with
    /// `main` tracking `origin/main` and `origin/HEAD` set: as users have
    /// them, so that sessions start from `origin/main`.
    pub fn cloned() -> TestEnv {
        let env = TestEnv::new();
        let origin = env.origin();
        env.git(&["clone", "-q", "--bare", ".", origin.to_str().unwrap()]);
        env.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
        env.git(&["fetch", "-q", "origin"]);
        env.git(&["branch", "-q", "--set-upstream-to", "origin/main", "main"]);
        env.git(&["remote", "set-head", "origin", "main"]);
        env
    }

    /// The bare repository `cloned` made the remote `origin`.
    pub fn origin(&self) -> PathBuf {
        self.root().join("origin.git")
    }

    /// Installs git hook NAME, which the first time it runs (and WHEN, a
    /// shell condition, holds; empty for always) waits for the test to hand
    /// over the pid of `sessions` (`run_handing_pid`), then runs SCRIPT with
    /// `$pid` set: a signal or a kill at an exact step, with no timing.
    /// Returns the file the pid goes in.
    pub fn pid_hook(&self, name: &str, when: &str, script: &str) -> PathBuf {
        let pid_file = self.root().join("sessions.pid");
        let _ = fs::remove_file(pid_file.with_extension("pid.used"));
        let hook = self.git_dir().join("hooks").join(name);
        let when = if when.is_empty() {
            String::new()
        } else {
            format!("{when} || exit 0\n")
        };
        write_file(
            &hook,
            &format!(
                "#!/bin/sh\n[ -e '{pids}.used' ] && exit 0\n{when}\
                 for _ in $(seq 1200); do [ -s '{pids}' ] && break; sleep 0.05; done\n\
                 pid=$(cat '{pids}'); mv '{pids}' '{pids}.used'\n{script}\n",
                pids = pid_file.display()
            ),
        );
        make_executable(&hook);
        pid_file
    }

    /// Runs `sessions ARGS` in the main worktree, in a process group of its
    /// own as a shell runs a foreground job, handing its pid to a
    /// `pid_hook` through PID_FILE; its output.
    pub fn run_handing_pid(&self, args: &[&str], pid_file: &Path) -> std::process::Output {
        use std::os::unix::process::CommandExt;
        let child = self
            .sessions_std(&self.repo)
            .args(args)
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        fs::write(pid_file, child.id().to_string()).unwrap();
        let output = child.wait_with_output().unwrap();
        // The hook the signal also reached may still be exiting.
        procs::until_nothing_works_in(&self.root());
        output
    }

    /// `run_handing_pid` for a `pid_hook` that SIGKILLs `sessions`: checks it
    /// was killed, then removes hook NAME.
    pub fn run_killed(&self, args: &[&str], pid_file: &Path, hook: &str) {
        let output = self.run_handing_pid(args, pid_file);
        assert_eq!(output.status.code(), None, "killed: {}", stderr_of(&output));
        fs::remove_file(self.git_dir().join("hooks").join(hook)).unwrap();
    }

    /// `sessions doctor --json ARGS` run in DIR: its output and its report.
    pub fn doctor_in(&self, dir: &Path, args: &[&str]) -> (std::process::Output, Value) {
        let output = self
            .sessions_in(dir)
            .args(["doctor", "--json"])
            .args(args)
            .output()
            .unwrap();
        let report = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("doctor printed no JSON: {}", stderr_of(&output)));
        (output, report)
    }

    /// `sessions doctor --json ARGS` in the main worktree.
    pub fn doctor(&self, args: &[&str]) -> (std::process::Output, Value) {
        self.doctor_in(&self.repo, args)
    }

    /// Asserts that doctor, run in DIR, finds exactly the kinds EXPECTED
    /// (sorted), that `--fix` repairs each one, and that it is healthy after.
    /// The `--fix` report.
    pub fn found_then_fixed_in(&self, dir: &Path, expected: &[&str]) -> Value {
        let (output, report) = self.doctor_in(dir, &[]);
        assert_eq!(output.status.code(), Some(1), "{report}");
        assert_eq!(report["healthy"], false, "{report}");
        assert_eq!(finding_kinds(&report), expected, "{report}");
        let (output, fixed) = self.doctor_in(dir, &["--fix"]);
        assert!(output.status.success(), "{fixed}\n{}", stderr_of(&output));
        assert_eq!(fixed["healthy"], true, "{fixed}");
        assert_eq!(
            fixed["fixed"].as_array().unwrap().len(),
            expected.len(),
            "{fixed}"
        );
        let (output, report) = self.doctor_in(dir, &[]);
        assert!(output.status.success(), "{report}");
        fixed
    }

    /// `found_then_fixed_in` the main worktree.
    pub fn found_then_fixed(&self, expected: &[&str]) -> Value {
        self.found_then_fixed_in(&self.repo, expected)
    }

    /// `sessions new NAME --no-agent`, which must succeed; its worktree path.
    pub fn new_session(&self, name: &str) -> PathBuf {
        let output = self
            .sessions()
            .args(["new", name, "--no-agent"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "sessions new {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        PathBuf::from(stdout.lines().last().expect("new prints the path"))
    }

    /// `sessions list --json`, parsed.
    pub fn list_json(&self) -> Vec<Value> {
        let output = self.sessions().args(["list", "--json"]).output().unwrap();
        assert!(
            output.status.success(),
            "sessions list --json failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
        match &listed["sessions"] {
            Value::Array(items) => items.clone(),
            _ => panic!("list --json printed {listed}"),
        }
    }

    /// The session named NAME in `list --json`.
    pub fn listed(&self, name: &str) -> Value {
        self.list_json()
            .into_iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("session {name} is not listed"))
    }

    /// `sessions show NAME --json`, which must succeed: its `session`.
    pub fn shown(&self, name: &str) -> Value {
        let out = self
            .sessions()
            .args(["show", name, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let document: Value = serde_json::from_slice(&out.stdout).unwrap();
        document["session"].clone()
    }

    /// Where the default layout puts session folders.
    pub fn sessions_dir(&self) -> PathBuf {
        self.repo.parent().unwrap().join("repo.sessions")
    }

    pub fn git_dir(&self) -> PathBuf {
        self.repo.join(".git")
    }

    pub fn registry_file(&self) -> PathBuf {
        self.git_dir().join("sessions").join("registry.toml")
    }

    /// The registry's bytes, or empty when there is none.
    pub fn registry_bytes(&self) -> Vec<u8> {
        fs::read(self.registry_file()).unwrap_or_default()
    }

    /// Local branch names, sorted.
    pub fn branches(&self) -> Vec<String> {
        let out = self.git(&["for-each-ref", "--format=%(refname:short)", "refs/heads"]);
        let mut names: Vec<String> = out.lines().map(str::to_string).collect();
        names.sort();
        names
    }

    /// Git's admin entries under `.git/worktrees`.
    pub fn admin_entries(&self) -> Vec<String> {
        match fs::read_dir(self.git_dir().join("worktrees")) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The temporary root holding everything, for files outside the repo.
    pub fn root(&self) -> PathBuf {
        self.root.path().canonicalize().unwrap()
    }

    /// Any PROGRAM run in DIR with the isolated environment.
    pub fn command_in(&self, program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> StdCommand {
        let mut command = StdCommand::new(program);
        command.current_dir(dir);
        self.isolate(&mut command);
        command
    }

    /// Writes the user's own config.toml (trusted, unlike a project file);
    /// its path.
    pub fn user_config(&self, text: &str) -> PathBuf {
        let file = self.home.join(".xdg/config/sessions/config.toml");
        write_file(&file, text);
        file
    }

    /// `sessions ARGS` in the main worktree, which must exit with CODE; its
    /// stderr.
    pub fn exits_with(&self, args: &[&str], code: i32) -> String {
        let output = self.sessions().args(args).output().unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(
            output.status.code(),
            Some(code),
            "sessions {args:?}: {stderr}"
        );
        stderr
    }

    /// `sessions ARGS` on a terminal (util-linux `script`) in the main
    /// worktree, typing ANSWER; must succeed. Its output: stdout and stderr
    /// both, as a terminal shows them.
    pub fn on_terminal(&self, args: &str, answer: &str) -> String {
        let bin = env!("CARGO_BIN_EXE_sessions");
        let mut command = self.command_in("sh", &self.repo);
        command.arg("-c").arg(format!(
            "printf '{answer}\\n' | script -qec '{bin} {args}' /dev/null"
        ));
        let out = command.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}{}", stderr_of(&out));
        text
    }

    /// The names `sessions list --json` shows, sorted.
    pub fn session_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .list_json()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// Where Claude Code, run with this HOME, keeps the transcripts of DIR:
    /// `~/.claude/projects/<DIR, each character outside [A-Za-z0-9] as '-'>`.
    pub fn claude_project_dir(&self, dir: &Path) -> PathBuf {
        let encoded: String = dir
            .display()
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.home.join(".claude").join("projects").join(encoded)
    }
}

/// The kinds of the findings in doctor's REPORT, sorted.
pub fn finding_kinds(report: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    kinds
}

/// A pid that belonged to a process that has exited.
pub fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Makes PATH executable (a hook, a script standing in for a program).
pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn write_file(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

/// A child process killed (and reaped) when the test ends, pass or fail, so
/// that no sleeper or stand-in outlives the test that started it. Derefs to
/// the `Child`, so `kill`, `id` and `wait` work as on it.
pub struct KillOnDrop(pub Child);

impl Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // Either fails harmlessly when the test already killed or reaped it.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sleep` working in DIR: a stand-in for an agent at work there, killed
/// when dropped.
pub fn sleeper_in(dir: &Path) -> KillOnDrop {
    KillOnDrop(
        StdCommand::new("sleep")
            .arg("300")
            .current_dir(dir)
            .spawn()
            .unwrap(),
    )
}

/// Stderr of an assert_cmd output, as text.
pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Whether TOOL (`claude`, `zsh`, `fish`, `script`, `tmux`), which a test needs and
/// a machine may lack, is here. When it is not, the test skips, and says so
/// in the summary at exit (libtest hides a passing test's own output); but
/// SESSIONS_TEST_REQUIRE=all (which `.ci/run` sets), or a comma-separated
/// list naming TOOL, makes the skip a failure, so that CI runs everything.
pub fn require(tool: &str) -> bool {
    let found = match tool {
        "claude" => claude_binary().is_some(),
        // BSD `script` takes other arguments than on_terminal gives it.
        "script" => StdCommand::new("script")
            .arg("--version")
            .output()
            .is_ok_and(|v| String::from_utf8_lossy(&v.stdout).contains("util-linux")),
        // tmux knows only `-V`.
        "tmux" => StdCommand::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        _ => StdCommand::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
    };
    if found {
        return true;
    }
    let thread = std::thread::current();
    let test = thread.name().filter(|n| *n != "main").unwrap_or("a test");
    let hint = match tool {
        "claude" => " (set SESSIONS_TEST_CLAUDE, put claude on PATH, or run .ci/run)",
        "script" => " (util-linux)",
        _ => "",
    };
    let line = format!("{test}: {tool} not found{hint}");
    let required = std::env::var("SESSIONS_TEST_REQUIRE").unwrap_or_default();
    if required
        .split(',')
        .any(|r| r.trim() == "all" || r.trim() == tool)
    {
        panic!("{line}, and SESSIONS_TEST_REQUIRE={required} requires it");
    }
    eprintln!("SKIPPED: {line}");
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    if skipped.is_empty() {
        // SAFETY: print_skipped only writes to stderr, once, at exit.
        #[allow(unsafe_code)]
        unsafe {
            libc::atexit(print_skipped)
        };
    }
    skipped.push(line);
    false
}

/// Tests that skipped for a missing tool, for the summary at exit.
static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Lists SKIPPED after libtest's own summary, straight to stderr (not
/// through the captured eprintln).
extern "C" fn print_skipped() {
    let skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "{} test(s) skipped for a missing tool:",
        skipped.len()
    );
    for line in skipped.iter() {
        let _ = writeln!(stderr, "SKIPPED: {line}");
    }
}
