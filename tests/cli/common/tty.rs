//! Programs on a real terminal: a private tmux server (its socket in the
//! test's folder, killed when dropped) with one pane of a fixed size, and on
//! it an interactive Claude Code driven key by key against the fake API.
//! Every wait polls for a condition with a generous deadline and, when it
//! gives up, prints the screen.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fake_anthropic::FakeAnthropic;
use super::{TestEnv, claude_binary, require, stderr_of, write_file};

/// How long a wait goes on before it fails: far beyond what anything takes
/// on a loaded machine, so that only a real hang fails.
const DEADLINE: Duration = Duration::from_secs(90);

/// The pane's size, so that screens wrap the same everywhere.
const COLUMNS: &str = "100";
const ROWS: &str = "30";

/// A tmux server on a socket in the test's folder, killed when dropped.
pub struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// A server started from CLIENT_DIR (where the server itself works) with
    /// one pane in PANE_DIR running COMMAND.
    pub fn start(env: &TestEnv, client_dir: &Path, pane_dir: &Path, command: &str) -> Tmux {
        Tmux::start_with(env, client_dir, pane_dir, command, &[])
    }

    /// `start`, with VARS added to the isolated environment the server, and
    /// so the pane, starts with.
    pub fn start_with(
        env: &TestEnv,
        client_dir: &Path,
        pane_dir: &Path,
        command: &str,
        vars: &[(&str, OsString)],
    ) -> Tmux {
        let tmux = Tmux {
            socket: env.root().join("tmux.sock"),
        };
        let out = env
            .command_in("tmux", client_dir)
            .arg("-S")
            .arg(&tmux.socket)
            .args(["new-session", "-d", "-x", COLUMNS, "-y", ROWS, "-c"])
            .arg(pane_dir)
            .arg(command)
            .env_remove("TMUX")
            .env("TERM", "xterm")
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux: {}", stderr_of(&out));
        tmux
    }

    /// The server's socket, as `$TMUX` names it to a client.
    pub fn socket(&self) -> &Path {
        &self.socket
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

    /// Types LINE literally, then Enter.
    pub fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-l", line]);
        self.run(&["send-keys", "Enter"]);
    }

    /// Presses KEYS, in tmux's names (`Escape`, `Enter`, `C-c`, `1`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn interrupt(&self) {
        self.keys(&["C-c"]);
    }

    /// What the pane shows now.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// Waits until the screen contains TEXT; when it first did.
    pub fn until_shown(&self, text: &str) -> Instant {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return Instant::now();
            }
            assert!(
                start.elapsed() < DEADLINE,
                "gave up after {:?} waiting for the screen to show {text:?}:\n{screen}",
                start.elapsed()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Presses KEY until the screen no longer shows TEXT, the question KEY
    /// answers; when the last press was made. Claude ignores an answer typed
    /// in the first moment a question is shown (so that a key meant for the
    /// prompt does not approve a command): a press it ignored is pressed
    /// again, after long enough that a slow answer is not answered twice.
    pub fn answer(&self, key: &str, text: &str) -> Instant {
        let start = Instant::now();
        loop {
            let pressed = Instant::now();
            self.keys(&[key]);
            while pressed.elapsed() < Duration::from_secs(3) {
                if !self.screen().contains(text) {
                    return pressed;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{key} did not answer {text:?} in {DEADLINE:?}:\n{}",
                self.screen()
            );
        }
    }

    /// Has the shell print `readyN` and waits until it has: it is at its
    /// prompt, reading. The quotes keep the typed line from matching.
    pub fn ready(&self, n: u32) {
        self.type_line(&format!("printf 'rea''dy%s\\n' {n}"));
        let marker = format!("ready{n}");
        let start = Instant::now();
        while !self.screen().lines().any(|l| l.trim() == marker) {
            assert!(
                start.elapsed() < DEADLINE,
                "gave up waiting for the pane to show {marker}:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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

/// The key the fake API takes; Claude asks once to use a key from the
/// environment unless its last 20 characters are pre-approved.
const API_KEY: &str = "sk-ant-test-0123456789abcdefghijklmnop";

/// A test repository, the fake API, and a bash in a tmux pane in the main
/// worktree, its environment the isolated one plus what Claude needs; the
/// shell runs `sessions`, which runs Claude on the pane's terminal.
pub struct ClaudeTty {
    pub tmux: Tmux,
    pub api: FakeAnthropic,
    pub env: TestEnv,
    /// The pinned `claude`.
    pub claude: PathBuf,
    commands: u32,
    _one: MutexGuard<'static, ()>,
}

impl ClaudeTty {
    /// ENV ready for an interactive Claude whose first-run screens are
    /// answered (onboarding, the API key, trust in the main worktree and in
    /// the folders of sessions NAMES); None when the test skips.
    pub fn start(env: TestEnv, names: &[&str]) -> Option<ClaudeTty> {
        ClaudeTty::start_with(env, names, json!({}))
    }

    /// `start`, with CONFIG's keys added to Claude's global config.
    pub fn start_with(env: TestEnv, names: &[&str], config: Value) -> Option<ClaudeTty> {
        if !require("tmux") || !require("claude") {
            return None;
        }
        let one = super::claude::one_claude();
        let claude = claude_binary()?;
        let mut projects = serde_json::Map::new();
        let trusted = [env.repo.clone()]
            .into_iter()
            .chain(names.iter().map(|n| env.sessions_dir().join(n)));
        for dir in trusted {
            projects.insert(
                dir.display().to_string(),
                json!({"hasTrustDialogAccepted": true}),
            );
        }
        let mut seeded = json!({
            "hasCompletedOnboarding": true,
            "lastOnboardingVersion": super::pinned_claude_version(),
            "theme": "dark",
            "numStartups": 5,
            "customApiKeyResponses": {
                "approved": [API_KEY[API_KEY.len() - 20..]], "rejected": []},
            "projects": projects,
        });
        for (key, value) in config.as_object().unwrap() {
            seeded[key] = value.clone();
        }
        write_file(&env.home.join(".claude.json"), &seeded.to_string());
        let api = FakeAnthropic::start();
        let tmp = env.root().join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let vars = [
            ("ANTHROPIC_BASE_URL", api.base_url().into()),
            ("ANTHROPIC_API_KEY", API_KEY.into()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".into()),
            ("DISABLE_AUTOUPDATER", "1".into()),
            ("TMPDIR", tmp.into_os_string()),
            ("PS1", "$ ".into()),
        ];
        let shell = "exec bash --norc --noprofile -i";
        let tmux = Tmux::start_with(&env, &env.root(), &env.repo, shell, &vars);
        tmux.ready(0);
        Some(ClaudeTty {
            tmux,
            api,
            env,
            claude,
            commands: 0,
            _one: one,
        })
    }

    /// Types LINE at the pane's shell; its number for `exit_code` and
    /// `stty`. The shell notes its exit code and the terminal's modes right
    /// after it.
    pub fn run(&mut self, line: &str) -> u32 {
        self.commands += 1;
        let n = self.commands;
        // A clean screen, so that waits see only what this command shows.
        self.tmux.run(&["send-keys", "-R"]);
        self.tmux.run(&["clear-history"]);
        let (rc, stty) = (self.file(n, "rc"), self.file(n, "stty"));
        self.tmux.type_line(&format!(
            "{line}; rc=$?; stty -a > '{}'; echo $rc > '{rc}.new'; mv '{rc}.new' '{rc}'",
            stty.display(),
            rc = rc.display()
        ));
        n
    }

    /// `run`s `sessions ARGS` (shell words, as typed).
    pub fn sessions(&mut self, args: &str) -> u32 {
        self.run(&format!("'{}' {args}", env!("CARGO_BIN_EXE_sessions")))
    }

    /// `sessions new NAME --agent CLAUDE -- --permission-mode default`:
    /// permission prompts on, as Claude's own default mode no longer asks.
    pub fn new_session(&mut self, name: &str) -> u32 {
        let claude = self.claude.display().to_string();
        self.sessions(&format!(
            "new {name} --agent '{claude}' -- --permission-mode default"
        ))
    }

    fn file(&self, n: u32, what: &str) -> PathBuf {
        self.env.root().join(format!("command-{n}.{what}"))
    }

    /// Command N's exit code, if it has ended.
    pub fn ended(&self, n: u32) -> Option<i32> {
        let text = fs::read_to_string(self.file(n, "rc")).ok()?;
        Some(text.trim().parse().unwrap())
    }

    /// Waits until command N has ended; its exit code.
    pub fn exit_code(&self, n: u32) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(code) = self.ended(n) {
                return code;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "command {n} did not end in {DEADLINE:?}:\n{}",
                self.tmux.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `stty -a` on the pane's terminal right after command N ended.
    pub fn stty(&self, n: u32) -> String {
        self.exit_code(n);
        fs::read_to_string(self.file(n, "stty")).unwrap()
    }

    /// Waits until Claude, run by command N, shows its prompt, ready for
    /// input; fails at once if the command ends instead.
    pub fn until_ready(&self, n: u32) -> Instant {
        let start = Instant::now();
        loop {
            let screen = self.tmux.screen();
            // The footer of an empty prompt: its hint, or the permission
            // mode when one is on (auto mode, Claude's default).
            if screen.contains("? for shortcuts") || screen.contains("(shift+tab to cycle)") {
                return Instant::now();
            }
            if let Some(code) = self.ended(n) {
                panic!("command {n} ended ({code}) before Claude was ready:\n{screen}");
            }
            assert!(
                start.elapsed() < DEADLINE,
                "Claude is not ready after {:?}:\n{screen}",
                start.elapsed()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types PROMPT into Claude and submits it.
    pub fn prompt(&self, prompt: &str) {
        self.tmux.type_line(prompt);
    }

    /// The agent of session NAME in `list --json`.
    pub fn agent(&self, name: &str) -> Value {
        self.env.listed(name)["agent"].clone()
    }

    /// Waits until session NAME's agent is in STATE; how long after SINCE
    /// (the event that should bring it) it was seen so.
    pub fn until_state(&self, name: &str, state: &str, since: Instant) -> Duration {
        let start = Instant::now();
        loop {
            let agent = self.agent(name);
            if agent["state"] == state {
                return since.elapsed();
            }
            // Fifteen times the 2 s a state may take: it is not coming.
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{name} is not {state} after {:?}: {agent}\n{}",
                since.elapsed(),
                self.tmux.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `until_state`, asserting the state came within 2 s of SINCE.
    pub fn state_within(&self, name: &str, state: &str, since: Instant) {
        let took = self.until_state(name, state, since);
        eprintln!("{name} was {state} {took:?} after the event");
        assert!(
            took <= Duration::from_secs(2),
            "{name} took {took:?} to be {state}\n{}",
            self.tmux.screen()
        );
    }

    /// Claude's own live record of its process (`~/.claude/sessions/PID.json`),
    /// once there is exactly one: its pid, sessionId, status.
    pub fn claude_record(&self) -> Value {
        let dir = self.env.home.join(".claude").join("sessions");
        let start = Instant::now();
        loop {
            let records: Vec<Value> = fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .filter_map(|e| serde_json::from_slice(&fs::read(e.path()).ok()?).ok())
                .collect();
            if let [record] = records.as_slice() {
                return record.clone();
            }
            assert!(
                start.elapsed() < DEADLINE,
                "Claude's records in {}: {records:?}",
                dir.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
