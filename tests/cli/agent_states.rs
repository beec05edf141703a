//! Which state each Claude Code hook leaves a session in, as the real client
//! sends them (issue 13): the idle notification, approval, every
//! notification type, and agents that died in any state.

use std::path::{Path, PathBuf};

use crate::common::{KillOnDrop, TestEnv, sleeper_in, stderr_of};
use serde_json::{Value, json};

/// Runs `sessions hook EVENT` in DIR as Claude process PID would, with
/// NOTIFICATION as `notification_type`; it must succeed silently.
pub(crate) fn hook(env: &TestEnv, dir: &Path, event: &str, notification: Option<&str>, pid: u32) {
    let mut input = json!({
        "session_id": "id-1",
        "transcript_path": "/t/id-1.jsonl",
        "cwd": dir,
        "hook_event_name": event,
    });
    if let Some(kind) = notification {
        input["notification_type"] = json!(kind);
    }
    let output = env
        .sessions_in(dir)
        .args(["hook", event])
        .env("CLAUDE_PID", pid.to_string())
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "hook {event}: {}",
        stderr_of(&output)
    );
    assert!(output.stdout.is_empty(), "hook {event} printed on stdout");
}

/// Session x with a stand-in for Claude's process working in it.
fn with_agent() -> (TestEnv, PathBuf, KillOnDrop) {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let claude = sleeper_in(&wt);
    (env, wt, claude)
}

fn state(env: &TestEnv) -> Value {
    env.listed("x")["agent"]["state"].clone()
}

#[test]
fn the_idle_notification_means_idle_and_questions_mean_waiting() {
    let (env, wt, claude) = with_agent();
    let pid = claude.id();
    hook(&env, &wt, "UserPromptSubmit", None, pid);
    hook(&env, &wt, "Stop", None, pid);
    assert_eq!(state(&env), "idle");
    // Sent after 60 s at the prompt: still idle, not waiting.
    hook(&env, &wt, "Notification", Some("idle_prompt"), pid);
    assert_eq!(state(&env), "idle");

    for kind in [
        "permission_prompt",
        "elicitation_dialog",
        "agent_needs_input",
    ] {
        hook(&env, &wt, "UserPromptSubmit", None, pid);
        hook(&env, &wt, "Notification", Some(kind), pid);
        assert_eq!(state(&env), "waiting", "{kind}");
    }
    // An answered MCP question: Claude goes on.
    hook(&env, &wt, "Notification", Some("elicitation_response"), pid);
    assert_eq!(state(&env), "working");
}

#[test]
fn approval_or_denial_ends_waiting() {
    let (env, wt, claude) = with_agent();
    let pid = claude.id();
    // An approved command that fails, one denied by a rule or auto mode, and
    // one that succeeds: each is Claude working again.
    for event in [
        "PostToolUseFailure",
        "PermissionDenied",
        "PostToolUse",
        "PreToolUse",
    ] {
        hook(&env, &wt, "PermissionRequest", None, pid);
        hook(&env, &wt, "Notification", Some("permission_prompt"), pid);
        assert_eq!(state(&env), "waiting");
        hook(&env, &wt, event, None, pid);
        assert_eq!(state(&env), "working", "after {event}");
    }
}

#[test]
fn an_unknown_notification_keeps_the_state_and_is_recorded() {
    let (env, wt, claude) = with_agent();
    let pid = claude.id();
    hook(&env, &wt, "UserPromptSubmit", None, pid);
    let since = env.listed("x")["agent"]["updated_at"].clone();
    // Known, but says nothing about the state: nothing recorded.
    hook(&env, &wt, "Notification", Some("auth_success"), pid);
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["state"], "working");
    assert_eq!(agent["unknown_notification"], Value::Null);

    hook(&env, &wt, "Notification", Some("brand_new_dialog"), pid);
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["state"], "working");
    assert_eq!(agent["updated_at"], since, "the state did not change");
    assert_eq!(agent["unknown_notification"], "brand_new_dialog");
    let shown = env.shown("x");
    assert_eq!(shown["agent"]["unknown_notification"], "brand_new_dialog");
    env.sessions()
        .args(["show", "x"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "(id-1, unknown notification brand_new_dialog)",
        ));

    // The next state a hook reports clears it.
    hook(&env, &wt, "Stop", None, pid);
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["state"], "idle");
    assert_eq!(agent["unknown_notification"], Value::Null);
}

#[test]
fn every_state_of_a_dead_agent_shows_exited() {
    for (events, recorded) in [
        (&["SessionStart"][..], "idle"),
        (&["UserPromptSubmit", "Stop"][..], "idle"),
        (&["UserPromptSubmit", "StopFailure"][..], "error"),
        (&["UserPromptSubmit"][..], "working"),
        (&["PermissionRequest"][..], "waiting"),
    ] {
        let env = TestEnv::new();
        let wt = env.new_session("x");
        let mut claude = sleeper_in(&wt);
        let pid = claude.id();
        for event in events {
            hook(&env, &wt, event, None, pid);
        }
        assert_eq!(state(&env), recorded, "{events:?}");
        claude.kill().unwrap();
        claude.wait().unwrap();
        assert_eq!(state(&env), "exited", "{recorded} after {events:?}");
        let shown = env.shown("x");
        assert_eq!(shown["agent"]["state"], "exited");
        // The record keeps what the hooks said.
        let registry = String::from_utf8(env.registry_bytes()).unwrap();
        assert!(
            registry.contains(&format!("state = \"{recorded}\"")),
            "{registry}"
        );
    }
}
