//! `sessions claude install --statusline`: Claude Code's status line shows
//! the other sessions that wait, after the user's own line, which uninstall
//! gives back as it was.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::{TestEnv, stderr_of, write_file};
use crate::tmux::hook;

/// Runs the status line COMMAND as Claude does: through a shell, given the
/// session's JSON; its output.
fn status_line(env: &TestEnv, command: &str, input: &Value) -> String {
    let mut child = Command::new("sh")
        .args(["-c", command])
        .envs(env.vars())
        .current_dir(&env.home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn install_runs_the_users_line_then_the_waiting_sessions_and_uninstall_restores_it() {
    let env = TestEnv::new();
    let settings = env.home.join(".claude").join("settings.json");
    let theirs = json!({
        "model": "opus",
        "statusLine": {
            "type": "command",
            // Theirs reads Claude's JSON too.
            "command": "printf 'mine in %s\\n' \"$(sed -n 's/.*\"model\":\"\\([a-z]*\\)\".*/\\1/p')\"",
            "padding": 0
        }
    });
    let original = serde_json::to_string_pretty(&theirs).unwrap();
    write_file(&settings, &original);

    env.sessions()
        .args(["claude", "install", "--statusline"])
        .assert()
        .success();
    let installed = json_file(&settings);
    let command = installed["statusLine"]["command"].as_str().unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_sessions"))
        .canonicalize()
        .unwrap();
    assert!(
        command.starts_with(&format!("{} statusline --theirs ", exe.display())),
        "{command}"
    );
    assert_eq!(installed["statusLine"]["padding"], 0);
    assert!(installed["hooks"]["Stop"].is_array());
    // Again: the same file, theirs still carried once.
    env.sessions()
        .args(["claude", "install", "--statusline"])
        .assert()
        .success();
    let again = json_file(&settings);
    assert_eq!(again, installed);

    let me = env.new_session("me");
    let api = env.new_session("api-fix");
    let other = env.new_session("other");
    env.new_session("quiet");
    hook(&env, &me, "UserPromptSubmit", "id-me", None);
    hook(&env, &api, "PermissionRequest", "id-api", None);
    hook(&env, &other, "UserPromptSubmit", "id-other", None);
    let input = json!({
        "session_id": "id-me",
        "cwd": me,
        "model": "opus",
        "workspace": { "current_dir": me, "project_dir": me },
    });
    assert_eq!(
        status_line(&env, command, &input),
        "mine in opus  api-fix waiting · 1 working\n"
    );
    // From the waiting session itself: only the others.
    let input = json!({ "session_id": "id-api", "cwd": api, "workspace": { "current_dir": api } });
    assert_eq!(status_line(&env, command, &input), "mine in   2 working\n");
    // Outside any repository: theirs alone.
    let input = json!({ "session_id": "x", "cwd": "/", "workspace": { "current_dir": "/" } });
    assert_eq!(status_line(&env, command, &input), "mine in \n");

    env.sessions()
        .args(["claude", "uninstall"])
        .assert()
        .success();
    let restored = json_file(&settings);
    assert_eq!(restored, theirs);
}

#[test]
fn without_a_line_of_theirs_it_prints_ours_alone_and_uninstall_removes_it() {
    let env = TestEnv::new();
    let settings = env.home.join(".claude").join("settings.json");
    env.sessions()
        .args(["claude", "install", "--statusline"])
        .assert()
        .success();
    let installed = json_file(&settings);
    let command = installed["statusLine"]["command"].as_str().unwrap();
    assert!(command.ends_with(" statusline"), "{command}");

    let api = env.new_session("api-fix");
    hook(&env, &api, "PermissionRequest", "id-api", None);
    let input =
        json!({ "session_id": "id-me", "cwd": env.repo, "workspace": { "current_dir": env.repo } });
    assert_eq!(status_line(&env, command, &input), "api-fix waiting\n");

    env.sessions()
        .args(["claude", "uninstall"])
        .assert()
        .success();
    let left = json_file(&settings);
    assert_eq!(left, json!({}));
}

/// The JSON document in FILE.
fn json_file(file: &std::path::Path) -> Value {
    serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap()
}
