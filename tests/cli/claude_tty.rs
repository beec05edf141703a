//! An interactive Claude Code on a terminal (tmux), run by `sessions new`
//! against the fake API: the agent state `list` shows follows what Claude
//! does, each within 2 s of the event that changes it (the fake API got the
//! request, the screen shows the prompt, a key was pressed).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::TestEnv;
use crate::common::fake_anthropic::Turn;
use crate::common::tty::ClaudeTty;

/// The Bash call that raises a permission prompt (it writes), and runs long
/// enough that `waiting` left over until it ends would show.
const WRITES: &str = "touch made-by-claude && sleep 5";

/// Session x's Claude on the pane, at its prompt; the command's number.
fn started(tty: &mut ClaudeTty) -> u32 {
    let n = tty.new_session("x");
    tty.until_ready(n);
    n
}

fn exit_claude(tty: &ClaudeTty, n: u32) {
    tty.prompt("/exit");
    assert_eq!(tty.exit_code(n), 0, "{}", tty.tmux.screen());
}

#[test]
fn working_while_a_turn_streams_then_idle() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    tty.api.script([Turn::held("Thinking it over.")]);
    let n = started(&mut tty);
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "working", asked);
    tty.tmux.until_shown("Thinking it over.");
    // Still working while the answer is held.
    assert_eq!(tty.agent("x")["state"], "working");
    let released = Instant::now();
    tty.api.release();
    tty.state_within("x", "idle", released);
    exit_claude(&tty, n);
}

#[test]
fn a_slow_stream_is_working_throughout() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    let words = "one two three four five six seven eight nine ten";
    tty.api
        .script([Turn::text(words).spaced(Duration::from_millis(300))]);
    let n = started(&mut tty);
    tty.prompt("count");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "working", asked);
    // The fake's nine pauses keep the stream going 2.7 s after the request.
    while asked.elapsed() < Duration::from_secs(2) {
        assert_eq!(tty.agent("x")["state"], "working");
    }
    let shown = tty.tmux.until_shown("nine ten");
    tty.state_within("x", "idle", shown);
    exit_claude(&tty, n);
}

#[test]
fn waiting_on_a_permission_prompt_then_working_once_approved() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    tty.api
        .script([Turn::bash(WRITES), Turn::held("The file is made.")]);
    let n = started(&mut tty);
    tty.prompt("make a file");
    let asked = tty.tmux.until_shown("Do you want to proceed?");
    tty.state_within("x", "waiting", asked);
    let approved = tty.tmux.answer("1", "Do you want to proceed?");
    // The command runs 5 s: `waiting` until it ends would fail this.
    tty.state_within("x", "working", approved);
    let went_on = tty.api.wait_main(2);
    assert!(tty.api.main_requests()[1].continuation);
    assert!(tty.env.sessions_dir().join("x/made-by-claude").is_file());
    tty.state_within("x", "working", went_on);
    let released = Instant::now();
    tty.api.release();
    tty.state_within("x", "idle", released);
    exit_claude(&tty, n);
}

#[test]
fn idle_stays_idle_after_claudes_idle_notification() {
    // Claude's idle notification comes after `messageIdleNotifThresholdMs`
    // of its global config (60 s by default).
    let config = json!({"messageIdleNotifThresholdMs": 1000});
    let Some(mut tty) = ClaudeTty::start_with(TestEnv::new(), &["x"], config) else {
        return;
    };
    // A hook of the user's own records the notification Claude sends.
    let seen = tty.env.root().join("notifications.jsonl");
    crate::common::write_file(
        &tty.env.home.join(".claude/settings.json"),
        &json!({"hooks": {"Notification": [{"hooks": [{"type": "command",
            "command": format!("cat >> '{}'; echo >> '{}'", seen.display(), seen.display())}]}]}})
        .to_string(),
    );
    let n = started(&mut tty);
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "idle", asked);
    let start = Instant::now();
    while !std::fs::read_to_string(&seen).is_ok_and(|t| t.contains("\"idle_prompt\"")) {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no idle_prompt notification: {}",
            std::fs::read_to_string(&seen).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Our hook got the same notification at the same moment: for the 2 s
    // any state has to settle, it stays idle.
    let notified = Instant::now();
    while notified.elapsed() < Duration::from_secs(2) {
        assert_eq!(tty.agent("x")["state"], "idle");
    }
    exit_claude(&tty, n);
}

#[test]
fn esc_during_a_turn_is_idle() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    tty.api.script([Turn::held("Working on it.")]);
    let n = started(&mut tty);
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "working", asked);
    tty.tmux.until_shown("Working on it.");
    let interrupted = Instant::now();
    tty.tmux.keys(&["Escape"]);
    tty.tmux.until_shown("Interrupted");
    tty.state_within("x", "idle", interrupted);
    exit_claude(&tty, n);
}

#[test]
fn esc_on_a_permission_prompt_is_idle() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    tty.api.script([Turn::bash(WRITES)]);
    let n = started(&mut tty);
    tty.prompt("make a file");
    let asked = tty.tmux.until_shown("Do you want to proceed?");
    tty.state_within("x", "waiting", asked);
    let declined = tty.tmux.answer("Escape", "Do you want to proceed?");
    tty.state_within("x", "idle", declined);
    assert!(!tty.env.sessions_dir().join("x/made-by-claude").exists());
    exit_claude(&tty, n);
}

/// The terminal's modes after `sessions` returned are a shell's again.
fn assert_restored(stty: &str) {
    for mode in ["echo", "icanon", "isig"] {
        assert!(
            stty.split_whitespace().any(|m| m == mode),
            "{mode} is off after the agent ended:\n{stty}"
        );
    }
}

#[test]
fn exited_after_slash_exit() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    let n = started(&mut tty);
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "idle", asked);
    let exited = Instant::now();
    tty.prompt("/exit");
    tty.state_within("x", "exited", exited);
    assert_eq!(tty.exit_code(n), 0);
    assert_restored(&tty.stty(n));
}

#[test]
fn exited_after_claude_is_killed_and_the_terminal_is_restored() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    let n = started(&mut tty);
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "idle", asked);
    let pid = tty.claude_record()["pid"].as_u64().unwrap();
    let killed = Instant::now();
    let out = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    tty.state_within("x", "exited", killed);
    tty.exit_code(n);
    assert_restored(&tty.stty(n));
}
