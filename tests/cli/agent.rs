//! Agents without the real Claude Code: `sessions hook` fed Claude's payloads,
//! launches of a stand-in `claude` script and of other agents, `resume`,
//! `claude install`, and transcript discovery.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::common::{TestEnv, sleeper_in, stderr_of, write_file};
use serde_json::{Value, json};

fn payload(event: &str, session_id: &str, cwd: &Path) -> String {
    json!({
        "session_id": session_id,
        "transcript_path": format!("/t/{session_id}.jsonl"),
        "cwd": cwd,
        "hook_event_name": event,
    })
    .to_string()
}

/// Runs `sessions hook EVENT` in DIR with INPUT; it must exit 0 and print
/// nothing on stdout.
fn hook(env: &TestEnv, dir: &Path, event: &str, input: &str, claude_pid: Option<u32>) {
    let mut command = env.sessions_in(dir);
    command.args(["hook", event]).write_stdin(input.to_string());
    if let Some(pid) = claude_pid {
        command.env("CLAUDE_PID", pid.to_string());
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "hook {event}: {}",
        stderr_of(&output)
    );
    assert!(
        output.stdout.is_empty(),
        "hook {event} printed {:?}",
        output.stdout
    );
}

#[test]
fn hooks_record_state_session_id_rotation_and_exit() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    assert_eq!(env.listed("x")["agent"], Value::Null);
    let subdir = wt.join("src");
    fs::create_dir_all(&subdir).unwrap();
    let mut agent = sleeper_in(&wt);
    let pid = Some(agent.id());

    hook(
        &env,
        &subdir,
        "SessionStart",
        &payload("SessionStart", "id-1", &subdir),
        pid,
    );
    let listed = env.listed("x")["agent"].clone();
    assert_eq!(listed["kind"], "claude");
    assert_eq!(listed["session_id"], "id-1");
    assert_eq!(listed["state"], "idle");
    assert_eq!(listed["pid"], agent.id());
    assert_eq!(listed["transcript_path"], "/t/id-1.jsonl");
    assert!(listed["updated_at"].is_string());

    hook(
        &env,
        &wt,
        "UserPromptSubmit",
        &payload("UserPromptSubmit", "id-1", &wt),
        pid,
    );
    assert_eq!(env.listed("x")["agent"]["state"], "working");
    let table = env.sessions().arg("list").output().unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("AGENT") && table.contains("working "),
        "{table}"
    );
    let shown = env.shown("x");
    assert_eq!(shown["agent"]["state"], "working");
    assert_eq!(shown["agent"]["session_id"], "id-1");
    env.sessions()
        .args(["show", "x"])
        .assert()
        .success()
        .stdout(predicates::str::contains("agent:        claude working"));

    let mut notification: Value =
        serde_json::from_str(&payload("Notification", "id-1", &wt)).unwrap();
    notification["notification_type"] = json!("permission_prompt");
    hook(&env, &wt, "Notification", &notification.to_string(), pid);
    assert_eq!(env.listed("x")["agent"]["state"], "waiting");

    // `/clear` starts a new session id; the earlier one is kept.
    let mut clear: Value = serde_json::from_str(&payload("SessionStart", "id-2", &wt)).unwrap();
    clear["source"] = json!("clear");
    hook(&env, &wt, "SessionStart", &clear.to_string(), pid);
    let listed = env.listed("x")["agent"].clone();
    assert_eq!(listed["session_id"], "id-2");
    assert_eq!(listed["earlier_session_ids"], json!(["id-1"]));

    hook(
        &env,
        &wt,
        "PreToolUse",
        &payload("PreToolUse", "id-2", &wt),
        pid,
    );
    assert_eq!(env.listed("x")["agent"]["state"], "working");
    // More tool calls in the same state write nothing.
    let working = env.registry_bytes();
    for event in ["PostToolUse", "PreToolUse"] {
        hook(&env, &wt, event, &payload(event, "id-2", &wt), pid);
    }
    assert_eq!(env.registry_bytes(), working);
    // A working agent whose process is gone is shown as exited.
    agent.kill().unwrap();
    agent.wait().unwrap();
    assert_eq!(env.listed("x")["agent"]["state"], "exited");
    let registry = String::from_utf8(env.registry_bytes()).unwrap();
    assert!(registry.contains("state = \"working\""), "{registry}");

    // A new Claude whose turn failed: error, while it runs.
    let again = sleeper_in(&wt);
    hook(
        &env,
        &wt,
        "StopFailure",
        &payload("StopFailure", "id-2", &wt),
        Some(again.id()),
    );
    assert_eq!(env.listed("x")["agent"]["state"], "error");
    hook(
        &env,
        &wt,
        "SessionEnd",
        &payload("SessionEnd", "id-2", &wt),
        None,
    );
    assert_eq!(env.listed("x")["agent"]["state"], "exited");
}

#[test]
fn hooks_outside_sessions_or_with_bad_input_change_nothing_and_succeed() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let before = env.registry_bytes();
    // The main worktree is no session.
    hook(
        &env,
        &env.repo,
        "Stop",
        &payload("Stop", "id-1", &env.repo),
        None,
    );
    // Outside any repository.
    let outside = env.root();
    hook(
        &env,
        &outside,
        "Stop",
        &payload("Stop", "id-1", &outside),
        None,
    );
    for input in ["", "not json", "[1]", "{\"cwd\": 5}"] {
        hook(&env, &wt, "Stop", input, None);
    }
    // Events that say nothing about state.
    hook(
        &env,
        &wt,
        "MessageDisplay",
        &payload("MessageDisplay", "id-1", &wt),
        None,
    );
    assert_eq!(env.registry_bytes(), before);
}

#[test]
fn a_session_end_from_outside_the_worktree_is_matched_by_session_id() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    hook(&env, &wt, "Stop", &payload("Stop", "id-1", &wt), None);
    hook(
        &env,
        &env.repo,
        "SessionEnd",
        &payload("SessionEnd", "id-1", &env.repo),
        None,
    );
    let registry = String::from_utf8(env.registry_bytes()).unwrap();
    assert!(registry.contains("state = \"exited\""), "{registry}");
}

/// A stand-in `claude` that writes its arguments, one a line, and its
/// folder to `<DIR>/claude-args`, then exits with CODE.
fn fake_claude(env: &TestEnv, code: i32) -> (PathBuf, PathBuf) {
    let bin = env.root().join("bin");
    let log = env.root().join("claude-args");
    let script = bin.join("claude");
    write_file(
        &script,
        &format!(
            "#!/bin/sh\npwd > '{0}'\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{0}'; done\nexit {code}\n",
            log.display()
        ),
    );
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

fn lines(file: &Path) -> Vec<String> {
    fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn new_launches_claude_with_the_recorded_session_id_and_hooks_and_exits_with_its_code() {
    let env = TestEnv::new();
    let (claude, log) = fake_claude(&env, 7);
    let output = env
        .sessions()
        .args(["new", "x", "--agent"])
        .arg(&claude)
        .args(["--", "-p", "fix the bug"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(7), "{}", stderr_of(&output));
    let wt = env.sessions_dir().join("x");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{}\n", wt.display())
    );

    let args = lines(&log);
    assert_eq!(args[0], wt.display().to_string());
    assert_eq!(args[1], "--session-id");
    let id = &args[2];
    assert_eq!(args[3..5], ["-n", "x"]);
    assert_eq!(args[5], "--settings");
    let settings: Value = serde_json::from_str(&args[6]).unwrap();
    let command = settings["hooks"]["SessionStart"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_sessions"))
        .canonicalize()
        .unwrap();
    assert_eq!(command, format!("{} hook SessionStart", exe.display()));
    assert_eq!(args[7..], ["-p", "fix the bug"]);

    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["session_id"], id.as_str());
    assert_eq!(agent["kind"], claude.display().to_string());
    // The stand-in ran no hooks; its exit was noted all the same.
    assert_eq!(agent["state"], "exited");
    assert!(agent["pid"].is_u64());
}

#[test]
fn resume_passes_the_known_session_id_or_continues() {
    let env = TestEnv::new();
    let (claude, log) = fake_claude(&env, 0);
    env.sessions()
        .args(["new", "x", "--agent"])
        .arg(&claude)
        .assert()
        .success();
    let id = lines(&log)[2].clone();
    let wt = env.sessions_dir().join("x");
    hook(
        &env,
        &wt,
        "SessionStart",
        &payload("SessionStart", "id-2", &wt),
        None,
    );
    // Claude saved the conversation: resumed, not started again.
    write_file(&env.claude_project_dir(&wt).join("id-2.jsonl"), "{}\n");

    env.sessions()
        .args(["resume", "x", "--", "-p", "again"])
        .assert()
        .success();
    let args = lines(&log);
    assert_eq!(args[1..3], ["--resume", "id-2"], "{id} rotated to id-2");
    assert_eq!(args[3], "--settings");
    assert_eq!(args[5..], ["-p", "again"]);

    // A session that never had an agent: its newest conversation.
    let y = env.new_session("y");
    write_file(&env.claude_project_dir(&y).join("id-y.jsonl"), "{}\n");
    let path_dir = claude.parent().unwrap().to_path_buf();
    let path = format!("{}:{}", path_dir.display(), std::env::var("PATH").unwrap());
    env.sessions()
        .env("PATH", path)
        .args(["resume", "y"])
        .assert()
        .success();
    assert_eq!(lines(&log)[1..3], ["--resume", "id-y"]);
    assert_eq!(env.listed("y")["agent"]["state"], "exited");
}

/// `sessions new x --agent sh -- -c SCRIPT`, which must exit with CODE.
fn sh_agent(env: &TestEnv, script: &str, code: i32) {
    env.exits_with(&["new", "x", "--agent", "sh", "--", "-c", script], code);
}

#[test]
fn other_agents_run_plainly_with_the_arguments_after_the_separator() {
    let env = TestEnv::new();
    sh_agent(&env, "pwd > where; echo \"$#\" >> where; exit 3", 3);
    let wt = env.sessions_dir().join("x");
    assert_eq!(
        lines(&wt.join("where")),
        [wt.display().to_string(), "0".into()]
    );
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["kind"], "sh");
    assert_eq!(agent["session_id"], Value::Null);
    assert_eq!(agent["state"], "exited");
}

#[test]
fn ctrl_c_goes_to_the_agent_and_sessions_stays_to_report_its_exit() {
    let env = TestEnv::new();
    // The agent interrupts its parent, as Ctrl-C on the terminal would.
    sh_agent(&env, "kill -INT $PPID; exit 5", 5);
    assert_eq!(env.listed("x")["agent"]["state"], "exited");
}

#[test]
fn the_configured_agent_starts_with_its_arguments_and_a_project_one_only_once_trusted() {
    let env = TestEnv::new();
    write_file(
        &env.home.join(".xdg/config/sessions/config.toml"),
        "[agent]\ncommand = \"sh\"\nargs = [\"-c\", \"echo \\\"$SESSIONS_NAME $*\\\" > ran\", \"sh\"]\n",
    );
    let output = env
        .sessions()
        .args(["new", "x", "--", "one", "two"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let wt = env.sessions_dir().join("x");
    assert_eq!(lines(&wt.join("ran")), ["x one two"]);
    assert_eq!(env.listed("x")["agent"]["kind"], "sh");

    // The project's own agent is a command from the repository: not run
    // until approved.
    env.write(
        ".sessions.toml",
        "[agent]\ncommand = \"touch\"\nargs = [\"project-agent-ran\"]\n",
    );
    let output = env.sessions().args(["new", "y"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("sessions trust"),
        "{}",
        stderr_of(&output)
    );
    assert!(!env.sessions_dir().join("y/project-agent-ran").exists());
    assert_eq!(env.listed("y")["agent"], Value::Null);
    env.sessions().args(["trust", "--yes"]).assert().success();
    env.sessions().args(["new", "z"]).assert().success();
    assert!(env.sessions_dir().join("z/project-agent-ran").exists());
}

#[test]
fn an_agent_that_cannot_start_leaves_the_session_and_says_so() {
    let env = TestEnv::new();
    let output = env
        .sessions()
        .args(["new", "x", "--agent", "no-such-agent-program"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("cannot start no-such-agent-program"),
        "{stderr}"
    );
    assert!(stderr.contains("\nhint: sessions resume x\n"), "{stderr}");
    assert_eq!(env.listed("x")["agent"]["state"], "exited");
}

#[test]
fn no_agent_conflicts_with_agent_arguments() {
    let env = TestEnv::new();
    let output = env
        .sessions()
        .args(["new", "x", "--no-agent", "--", "-p", "hi"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(env.registry_bytes().is_empty());
}

#[test]
fn list_finds_the_newest_transcript_without_hooks() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let projects = env.claude_project_dir(&wt);
    let old = projects.join("11111111-1111-4111-8111-111111111111.jsonl");
    let new = projects.join("22222222-2222-4222-8222-222222222222.jsonl");
    write_file(&new, "{}\n");
    write_file(&old, "{}\n");
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    write_file(&projects.join("notes.txt"), "not a transcript");

    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["session_id"], "22222222-2222-4222-8222-222222222222");
    assert_eq!(agent["transcript_path"], new.display().to_string());
    assert_eq!(agent["state"], "exited");

    // CLAUDE_CONFIG_DIR moves Claude's files.
    let output = env
        .sessions()
        .env("CLAUDE_CONFIG_DIR", env.root().join("elsewhere"))
        .args(["list", "--json"])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed["sessions"][0]["agent"], Value::Null);
}

#[test]
fn claude_install_is_idempotent_and_uninstall_restores_the_users_hooks() {
    let env = TestEnv::new();
    let file = env.home.join(".claude").join("settings.json");
    let theirs = json!({
        "hooks": { "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }] },
        "theme": "dark"
    });
    write_file(&file, &serde_json::to_string_pretty(&theirs).unwrap());

    env.sessions()
        .args(["claude", "install"])
        .assert()
        .success();
    let once = fs::read(&file).unwrap();
    let installed: Value = serde_json::from_slice(&once).unwrap();
    assert_eq!(installed["hooks"]["Stop"].as_array().unwrap().len(), 2);
    assert_eq!(installed["theme"], "dark");
    assert!(installed["hooks"].get("WorktreeCreate").is_none());
    assert!(env.home.join(".claude").join("settings.json.bak").exists());

    env.sessions()
        .args(["claude", "install", "--user"])
        .assert()
        .success();
    assert_eq!(fs::read(&file).unwrap(), once);

    env.sessions()
        .args(["claude", "uninstall"])
        .assert()
        .success();
    let restored: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    assert_eq!(restored, theirs);
}

#[test]
fn claude_install_project_writes_the_worktrees_local_settings() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    env.sessions_in(&wt.join("."))
        .args(["claude", "install", "--project", "--worktree"])
        .assert()
        .success();
    let file = wt.join(".claude").join("settings.local.json");
    let settings: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    assert!(settings["hooks"]["WorktreeCreate"].is_array());
    assert!(!env.home.join(".claude").join("settings.json").exists());
    let output = env
        .sessions()
        .args(["claude", "install", "--user", "--project"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn worktree_hooks_create_a_session_and_remove_it_when_safe() {
    let env = TestEnv::new();
    // Our naming and setup apply; what setup prints must not reach Claude
    // as a path.
    write_file(
        &env.home.join(".xdg/config/sessions/config.toml"),
        "branch_prefix = \"me/\"\nsetup = [\"echo noise; touch setup-ran.log\"]\n",
    );
    let input = json!({ "session_id": "id-w", "cwd": env.repo, "hook_event_name": "WorktreeCreate", "name": "feat" });
    let output = env
        .sessions()
        .args(["hook", "WorktreeCreate"])
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let wt = env.sessions_dir().join("feat");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout, format!("{}\n", wt.display()));
    assert!(wt.join("setup-ran.log").exists());
    let listed = env.listed("feat");
    assert_eq!(listed["branch"], "me/feat");
    assert_eq!(listed["agent"]["session_id"], "id-w");

    // Asked again for the same name, the same worktree.
    let again = env
        .sessions()
        .args(["hook", "WorktreeCreate"])
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), stdout);

    // Work in it keeps it; once clean, it goes.
    write_file(&wt.join("new.txt"), "work\n");
    let remove =
        json!({ "cwd": wt, "hook_event_name": "WorktreeRemove", "worktree_path": wt }).to_string();
    let kept = env
        .sessions_in(&wt)
        .args(["hook", "WorktreeRemove"])
        .write_stdin(remove.clone())
        .output()
        .unwrap();
    assert_eq!(kept.status.code(), Some(1));
    assert!(
        stderr_of(&kept).contains("kept session 'feat'"),
        "{}",
        stderr_of(&kept)
    );
    assert!(wt.is_dir());
    fs::remove_file(wt.join("new.txt")).unwrap();
    // Claude asks from inside the worktree, through a shell: those callers do
    // not count as working there, but anyone else does.
    let hook_from_inside = |payload: &str| {
        let mut command = env.command_in("sh", &wt);
        command
            .arg("-c")
            .arg(format!(
                "{} hook WorktreeRemove",
                env!("CARGO_BIN_EXE_sessions")
            ))
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let mut bystander = sleeper_in(&wt);
    let blocked = hook_from_inside(&remove);
    bystander.kill().unwrap();
    bystander.wait().unwrap();
    assert_eq!(blocked.status.code(), Some(1));
    assert!(
        stderr_of(&blocked).contains("sleep"),
        "{}",
        stderr_of(&blocked)
    );
    assert!(wt.is_dir());
    let removed = hook_from_inside(&remove);
    assert!(removed.status.success(), "{}", stderr_of(&removed));
    assert!(!wt.exists(), "{}", stderr_of(&removed));
    assert!(env.list_json().is_empty());
    assert_eq!(env.branches(), ["main"]);

    let bad = json!({ "cwd": env.repo, "name": "bad name" }).to_string();
    let output = env
        .sessions()
        .args(["hook", "WorktreeCreate"])
        .write_stdin(bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}
