//! Notifications (issue 14, docs/notify.md): the configured command runs
//! once per change of state, from a detached process, with its values
//! passed safely; idle only after a long turn; a project's command only once
//! trusted; `desktop = false` honoured; nothing for the tmux pane in front.
//! A stand-in command records each call; every wait polls for a condition,
//! and a count is read only once no `notify-send` of the test runs.

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{KillOnDrop, TestEnv, make_executable, require, sleeper_in, write_file};
use crate::idle_shells::until;

const T0: &str = "2026-03-01T10:00:00Z";

/// Session x with an agent stand-in, and a recorder script: each call
/// appends one line, its arguments and `SESSIONS_NOTIFY_STATE` joined by `|`.
struct Fixture {
    env: TestEnv,
    wt: PathBuf,
    claude: KillOnDrop,
    log: PathBuf,
    recorder: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let env = TestEnv::new();
        let wt = env.new_session("x");
        let claude = sleeper_in(&wt);
        let log = env.root().join("calls.log");
        let recorder = env.root().join("record");
        write_file(
            &recorder,
            &format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\"; done >> '{log}'\n\
                 printf 'env=%s\\n' \"$SESSIONS_NOTIFY_STATE\" >> '{log}'\n",
                log = log.display()
            ),
        );
        make_executable(&recorder);
        Fixture {
            env,
            wt,
            claude,
            log,
            recorder,
        }
    }

    /// The user's config: `[notify]` with COMMAND (the recorder unless
    /// given) and the desktop off, plus EXTRA lines.
    fn config(&self, extra: &str) {
        let command = format!("{} {{state}} {{name}} {{message}}", self.recorder.display());
        self.env.user_config(&format!(
            "[notify]\ncommand = {}\ndesktop = false\n{extra}",
            json!(command)
        ));
    }

    /// Runs hook EVENT with INPUT's fields added, at time AT, outside tmux.
    fn hook_at(&self, event: &str, input: Value, at: &str) {
        let mut command = self.env.sessions_in(&self.wt);
        command.env_remove("TMUX").env_remove("TMUX_PANE");
        self.run_hook(command, event, input, at);
    }

    fn hook(&self, event: &str, input: Value) {
        self.hook_at(event, input, T0);
    }

    fn run_hook(&self, mut command: assert_cmd::Command, event: &str, input: Value, at: &str) {
        let mut body = json!({
            "session_id": "id-1",
            "cwd": self.wt,
            "hook_event_name": event,
        });
        for (key, value) in input.as_object().unwrap() {
            body[key] = value.clone();
        }
        let output = command
            .args(["hook", event])
            .env("CLAUDE_PID", self.claude.id().to_string())
            .env("SESSIONS_NOW", at)
            .write_stdin(body.to_string())
            .output()
            .unwrap();
        assert!(output.status.success(), "hook {event}: {output:?}");
        assert!(output.stderr.is_empty(), "hook {event}: {output:?}");
        assert!(output.stdout.is_empty(), "hook {event} printed on stdout");
    }

    /// The recorded calls, once there are at least AT_LEAST and every
    /// notification of this test is given.
    fn calls(&self, at_least: usize) -> Vec<String> {
        let read = || -> Vec<String> {
            std::fs::read_to_string(&self.log)
                .unwrap_or_default()
                .lines()
                .map(String::from)
                .collect()
        };
        until("the notifications to be given", || {
            read().len() >= at_least && notifiers(&self.wt).is_empty()
        });
        read()
    }
}

/// The pids of `sessions notify-send` processes for the session in WT.
fn notifiers(wt: &Path) -> Vec<u32> {
    let needle = format!("--path={}", wt.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            words.contains(&b"notify-send".as_slice()) && words.contains(&needle.as_bytes())
        })
        .collect()
}

#[test]
fn one_call_per_change_never_a_repeat_while_the_state_holds() {
    let f = Fixture::new();
    f.config("");
    f.hook("UserPromptSubmit", json!({}));
    f.hook("PermissionRequest", json!({ "tool_name": "Bash" }));
    // Claude's own notification of the same prompt: still the same wait.
    let message = "Claude needs your permission to use Bash";
    f.hook(
        "Notification",
        json!({ "notification_type": "permission_prompt", "message": message }),
    );
    assert_eq!(
        f.calls(1),
        ["waiting|x|permission to use Bash|env=waiting"],
        "waiting twice is one call"
    );
    // What it waits for is shown, from the latest hook, without Claude's
    // live record.
    assert_eq!(f.env.listed("x")["agent"]["waiting_for"], message);

    f.hook("PostToolUse", json!({ "tool_name": "Bash" }));
    f.hook("PermissionRequest", json!({ "tool_name": "Edit" }));
    assert_eq!(
        f.calls(2).len(),
        2,
        "waiting, working, waiting is two calls"
    );
    assert_eq!(
        f.calls(2)[1],
        "waiting|x|permission to use Edit|env=waiting"
    );

    f.hook("StopFailure", json!({ "error": "rate_limit" }));
    f.hook("StopFailure", json!({ "error": "rate_limit" }));
    assert_eq!(f.calls(3).len(), 3);
    assert_eq!(f.calls(3)[2], "error|x|rate_limit|env=error");
}

#[test]
fn values_are_passed_whole_and_never_run_as_code() {
    let f = Fixture::new();
    let evil = "a  b \"q\" 'q' $(touch pwned1) `touch pwned2` ; touch pwned3 \\";
    let command = format!(
        "{} {{message}} \"{{message}}\" '{{message}}' \"{{repo}}: {{path}}\"",
        f.recorder.display()
    );
    f.env.user_config(&format!(
        "[notify]\ncommand = {}\ndesktop = false\n",
        json!(command)
    ));
    f.hook(
        "Notification",
        json!({ "notification_type": "agent_needs_input", "message": evil }),
    );
    let repo = f
        .env
        .repo
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        f.calls(1),
        [format!(
            "{evil}|{evil}|{evil}|{repo}: {}|env=waiting",
            f.wt.display()
        )]
    );
    for dir in [&f.wt, &f.env.repo, &f.env.root()] {
        for n in 1..=3 {
            assert!(!dir.join(format!("pwned{n}")).exists());
        }
    }
}

#[test]
fn idle_notifies_only_after_a_turn_longer_than_idle_after() {
    let f = Fixture::new();
    f.config("idle_after = \"2m\"\n");
    f.hook_at("UserPromptSubmit", json!({}), "2026-03-01T10:00:00Z");
    f.hook_at("Stop", json!({}), "2026-03-01T10:01:00Z");
    assert!(f.calls(0).is_empty(), "a one-minute turn: {:?}", f.calls(0));
    // The idle notification Claude sends a minute later is no new change.
    f.hook_at(
        "Notification",
        json!({ "notification_type": "idle_prompt" }),
        "2026-03-01T10:02:00Z",
    );
    f.hook_at("UserPromptSubmit", json!({}), "2026-03-01T10:10:00Z");
    f.hook_at(
        "PreToolUse",
        json!({ "tool_name": "Bash" }),
        "2026-03-01T10:11:00Z",
    );
    f.hook_at("Stop", json!({}), "2026-03-01T10:13:00Z");
    assert_eq!(f.calls(1), ["idle|x|done after 3m|env=idle"]);
}

#[test]
fn on_chooses_the_changes_that_notify() {
    let f = Fixture::new();
    f.config("on = [\"error\"]\n");
    f.hook("PermissionRequest", json!({ "tool_name": "Bash" }));
    f.hook("StopFailure", json!({}));
    assert_eq!(f.calls(1), ["error|x|its turn failed|env=error"]);
}

#[test]
fn a_project_notify_command_runs_only_once_trusted() {
    let f = Fixture::new();
    let command = format!("{} {{state}} {{name}} {{message}}", f.recorder.display());
    write_file(
        &f.env.repo.join(".sessions.toml"),
        &format!("[notify]\ncommand = {}\ndesktop = false\n", json!(command)),
    );
    f.hook("PermissionRequest", json!({ "tool_name": "Bash" }));
    assert!(f.calls(0).is_empty(), "an unapproved project command ran");
    // Held back, and every command says so.
    let out = f.env.sessions().arg("config").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not running notify.command from project"),
        "{stderr}"
    );

    f.env.sessions().args(["trust", "--yes"]).assert().success();
    f.hook("PostToolUse", json!({}));
    f.hook("PermissionRequest", json!({ "tool_name": "Bash" }));
    assert_eq!(f.calls(1), ["waiting|x|permission to use Bash|env=waiting"]);
}

/// A D-Bus session bus stand-in: a socket that counts who connects.
fn fake_bus(env: &TestEnv) -> (UnixListener, String) {
    let socket = env.root().join("bus");
    let listener = UnixListener::bind(&socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    (listener, format!("unix:path={}", socket.display()))
}

#[test]
fn desktop_false_is_honoured_and_true_tries_the_notification_service() {
    let f = Fixture::new();
    let (bus, address) = fake_bus(&f.env);
    let hook = |event: &str, input: Value| {
        let mut command = f.env.sessions_in(&f.wt);
        command
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("DBUS_SESSION_BUS_ADDRESS", &address);
        f.run_hook(command, event, input, T0);
    };
    f.config("");
    hook("PermissionRequest", json!({ "tool_name": "Bash" }));
    // The command ran, from a notify-send that is gone: it never connected.
    assert_eq!(f.calls(1).len(), 1);
    assert!(
        bus.accept().is_err(),
        "desktop = false connected to the bus"
    );

    f.env.user_config("[notify]\ndesktop = true\n");
    hook("PostToolUse", json!({}));
    hook("PermissionRequest", json!({ "tool_name": "Bash" }));
    until("a desktop notification to reach the bus", || {
        bus.accept().is_ok()
    });
    assert_eq!(f.calls(1).len(), 1, "no command configured, none ran");
}

#[test]
fn the_hook_returns_while_a_slow_command_still_runs() {
    let f = Fixture::new();
    let (started, release, finished) = (
        f.env.root().join("started"),
        f.env.root().join("release"),
        f.env.root().join("finished"),
    );
    let command = format!(
        "touch '{}'; while [ ! -e '{}' ]; do sleep 0.05; done; touch '{}'",
        started.display(),
        release.display(),
        finished.display()
    );
    f.env.user_config(&format!(
        "[notify]\ncommand = {}\ndesktop = false\n",
        json!(command)
    ));
    // The hook has exited (output() waited for it) while the command cannot
    // have finished: it waits for `release`, which does not exist yet.
    f.hook("PermissionRequest", json!({ "tool_name": "Bash" }));
    until("the command to start", || started.exists());
    assert!(!finished.exists());
    write_file(&release, "");
    until("the command to finish", || finished.exists());
}

#[test]
fn nothing_for_the_tmux_pane_in_front_of_the_person() {
    if !(require("tmux") && require("script")) {
        return;
    }
    let f = Fixture::new();
    f.config("");
    let socket = f.env.root().join("tmux.sock");
    let tmux = |args: &[&str]| {
        let out = f
            .env
            .command_in("tmux", &f.wt)
            .arg("-S")
            .arg(&socket)
            .args(args)
            .env("TERM", "xterm")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    tmux(&["new-session", "-d", "-x", "80", "-y", "24", "sleep 300"]);
    let _server = KillServer(socket.clone());
    let pane = tmux(&["display-message", "-p", "#{pane_id}"]);
    let server = tmux(&["display-message", "-p", "#{pid}"]);
    let in_pane = |event: &str, input: Value| {
        let mut command = f.env.sessions_in(&f.wt);
        command
            .env("TMUX", format!("{},{server},0", socket.display()))
            .env("TMUX_PANE", &pane);
        f.run_hook(command, event, input, T0);
    };
    // Nobody attached: nobody sees the pane.
    in_pane("PermissionRequest", json!({ "tool_name": "A" }));
    assert_eq!(f.calls(1).len(), 1);

    let client = KillOnDrop(
        f.env
            .command_in("script", &f.wt)
            .args([
                "-qfc",
                &format!("tmux -S '{}' attach", socket.display()),
                "/dev/null",
            ])
            .env("TERM", "xterm")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    until("a client to attach", || {
        tmux(&["display-message", "-p", "#{session_attached}"]) == "1"
    });
    in_pane("PostToolUse", json!({}));
    in_pane("PermissionRequest", json!({ "tool_name": "B" }));
    assert_eq!(f.calls(1).len(), 1, "the pane in front was notified");

    // Another window in front: the agent's pane is out of sight.
    tmux(&["new-window", "sleep 300"]);
    in_pane("PostToolUse", json!({}));
    in_pane("PermissionRequest", json!({ "tool_name": "C" }));
    assert_eq!(f.calls(2).len(), 2);
    assert!(f.calls(2)[1].contains("permission to use C"));
    drop(client);
}

/// Kills the tmux server on its socket when dropped, pass or fail.
struct KillServer(PathBuf);

impl Drop for KillServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.0)
            .arg("kill-server")
            .output();
    }
}
