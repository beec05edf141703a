//! The launch of Claude and what its worktree hooks tell it: one merged
//! `--settings`, the terminal given back after a killed agent, and a
//! WorktreeRemove that does not claim a kept worktree was discarded.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, stderr_of, write_file};
use serde_json::{Value, json};

fn worktree_remove(env: &TestEnv, wt: &Path) -> std::process::Output {
    let input = json!({ "cwd": wt, "hook_event_name": "WorktreeRemove", "worktree_path": wt });
    env.sessions_in(wt)
        .args(["hook", "WorktreeRemove"])
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

#[test]
fn worktree_remove_fails_when_the_worktree_is_kept_and_succeeds_when_removed() {
    let env = TestEnv::new();
    let wt = env.new_session("feat");
    write_file(&wt.join("work.txt"), "uncommitted\n");
    // Exit 0 would make Claude say the changes were discarded.
    let kept = worktree_remove(&env, &wt);
    assert_eq!(kept.status.code(), Some(1), "{}", stderr_of(&kept));
    let stderr = stderr_of(&kept);
    assert!(
        stderr.contains(&format!(
            "kept session 'feat': its worktree {} stays as it is",
            wt.display()
        )),
        "{stderr}"
    );
    assert!(kept.stdout.is_empty());
    assert!(wt.join("work.txt").is_file());
    assert_eq!(env.list_json().len(), 1);

    std::fs::remove_file(wt.join("work.txt")).unwrap();
    let removed = worktree_remove(&env, &wt);
    assert_eq!(removed.status.code(), Some(0), "{}", stderr_of(&removed));
    assert!(!wt.exists());
}

/// A stand-in `claude` that writes its arguments, one a line, to
/// `<root>/claude-args`, then runs SCRIPT.
fn fake_claude(env: &TestEnv, script: &str) -> (PathBuf, PathBuf) {
    let claude = env.root().join("bin/claude");
    let log = env.root().join("claude-args");
    write_file(
        &claude,
        &format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\n{script}\n",
            log.display()
        ),
    );
    fs::set_permissions(&claude, fs::Permissions::from_mode(0o755)).unwrap();
    (claude, log)
}

fn configure_agent(env: &TestEnv, claude: &Path, args: &[&str]) {
    write_file(
        &env.home.join(".xdg/config/sessions/config.toml"),
        &format!(
            "[agent]\ncommand = {}\nargs = {}\n",
            json!(claude),
            json!(args)
        ),
    );
}

#[test]
fn a_users_settings_are_merged_with_our_hooks_into_one_flag() {
    let env = TestEnv::new();
    let (claude, log) = fake_claude(&env, "exit 0");
    let file = env.root().join("my settings.json");
    let user_stop = json!({ "hooks": [{ "type": "command", "command": "notify-me" }] });
    write_file(
        &file,
        &json!({ "model": "opus", "theme": "light", "hooks": { "Stop": [user_stop] } }).to_string(),
    );
    configure_agent(&env, &claude, &["--settings", file.to_str().unwrap()]);
    let output = env
        .sessions()
        .args([
            "new",
            "x",
            "--",
            "--settings",
            r#"{"theme":"dark"}"#,
            "-p",
            "hi",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));

    let args: Vec<String> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let flags: Vec<usize> = (0..args.len())
        .filter(|&i| args[i].starts_with("--settings"))
        .collect();
    assert_eq!(flags.len(), 1, "{args:?}");
    assert_eq!(args[args.len() - 2..], ["-p", "hi"]);
    let settings: Value = serde_json::from_str(&args[flags[0] + 1]).unwrap();
    assert_eq!(settings["model"], "opus");
    // Later settings win, as they would in Claude: `--` comes after the config.
    assert_eq!(settings["theme"], "dark");
    let stop = settings["hooks"]["Stop"].as_array().unwrap();
    assert_eq!(stop.len(), 2, "{stop:?}");
    assert_eq!(stop[0], user_stop);
    assert!(
        stop[1]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with(" hook Stop")
    );
    assert!(
        settings["hooks"]["SessionStart"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with(" hook SessionStart")
    );

    // `resume` merges the same way (it starts the recorded program without
    // the configured arguments).
    fs::remove_file(&log).unwrap();
    env.sessions()
        .args(["resume", "x", "--", "--settings", r#"{"theme":"dark"}"#])
        .assert()
        .success();
    let args = fs::read_to_string(&log).unwrap();
    assert_eq!(args.matches("--settings").count(), 1, "{args}");
    assert!(args.contains(r#""theme":"dark""#), "{args}");
    assert!(args.contains(" hook Stop"), "{args}");
}

#[test]
fn bad_user_settings_are_a_usage_error_that_launches_nothing() {
    let env = TestEnv::new();
    let (claude, log) = fake_claude(&env, "exit 0");
    let file = env.root().join("broken.json");
    write_file(&file, "{ not json");
    configure_agent(&env, &claude, &["--settings", file.to_str().unwrap()]);
    let output = env.sessions().args(["new", "x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(!log.exists());
    assert!(env.list_json().is_empty());

    // Given after `--` to `resume`, the same.
    configure_agent(&env, &claude, &[]);
    env.new_session("y");
    let output = env
        .sessions()
        .args(["resume", "y", "--", "--settings", "{\"hooks\": []}"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("inline JSON"),
        "{}",
        stderr_of(&output)
    );
    assert!(!log.exists());
}

/// `stty -a`'s words on the terminal `script` gives, after `sessions ARGS`
/// ran there.
fn terminal_after(env: &TestEnv, args: &str) -> Vec<String> {
    let bin = env!("CARGO_BIN_EXE_sessions");
    let after = env.root().join("stty-after");
    let inner = format!(
        "{bin} {args} >/dev/null 2>&1; stty -a > '{}'",
        after.display()
    );
    let output = env
        .command_in("script", &env.repo)
        .args(["-qec", &inner, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    fs::read_to_string(&after)
        .unwrap()
        .split([' ', ';', '\n'])
        .map(String::from)
        .collect()
}

#[test]
fn the_terminal_is_restored_after_the_agent_is_killed() {
    if !crate::common::require("script") {
        return;
    }
    let env = TestEnv::new();
    // The agent turns echo and line editing off, as Claude does, then dies
    // without a chance to turn them back on.
    let agent = env.root().join("bin/raw-agent");
    write_file(
        &agent,
        "#!/bin/sh\necho ran >> raw-agent.log\nstty -echo -icanon -isig; kill -9 $$\n",
    );
    fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
    let new = format!("new x --agent '{}'", agent.display());
    for args in [new.as_str(), "resume x"] {
        let words = terminal_after(&env, args);
        for setting in ["echo", "icanon", "isig"] {
            assert!(
                words.iter().any(|w| w == setting),
                "{args}: {setting}: {words:?}"
            );
        }
        assert_eq!(env.listed("x")["agent"]["state"], "exited");
    }
    let log = fs::read_to_string(env.sessions_dir().join("x/raw-agent.log")).unwrap();
    assert_eq!(log, "ran\nran\n", "both launches ran the agent");
}
