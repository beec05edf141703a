//! The agent state corrected by Claude Code's own live record of each of its
//! processes, `~/.claude/sessions/<pid>.json` (issue 13): it wins over the
//! hooks when it changed since and disagrees (Esc, a declined or approved
//! prompt fire no hook), it keeps an agent alive, and a record whose process
//! is gone or is another is ignored.

use std::path::{Path, PathBuf};

use crate::common::{KillOnDrop, TestEnv, dead_pid, finding_kinds, sleeper_in, stderr_of};
use serde_json::{Value, json};

/// When the hooks report, pinned; records are written a minute after (or
/// before) it.
const HOOK_TIME: &str = "2026-01-01T00:00:00Z";
const HOOK_MS: i64 = 1_767_225_600_000;
const LATER: i64 = HOOK_MS + 60_000;
const EARLIER: i64 = HOOK_MS - 60_000;

/// Runs `sessions hook EVENT` in DIR at HOOK_TIME as Claude process PID
/// would, for conversation `id-1`; it must succeed.
fn hook(env: &TestEnv, dir: &Path, event: &str, pid: u32) {
    let input = json!({
        "session_id": "id-1",
        "transcript_path": "/t/id-1.jsonl",
        "cwd": dir,
        "hook_event_name": event,
    });
    let output = env
        .sessions_in(dir)
        .args(["hook", event])
        .env("CLAUDE_PID", pid.to_string())
        .env("SESSIONS_NOW", HOOK_TIME)
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "hook {event}: {}",
        stderr_of(&output)
    );
}

/// The start of process PID as Claude records it: /proc/<pid>/stat field 22.
fn proc_start(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

/// Claude's live record of process PID, as 2.1.332 writes it.
struct Record {
    pid: u32,
    proc_start: u64,
    cwd: PathBuf,
    session_id: &'static str,
    kind: &'static str,
    status: &'static str,
    status_updated_at: i64,
}

impl Record {
    /// An interactive Claude of conversation `id-1`, process AGENT in DIR.
    fn of(agent: &KillOnDrop, dir: &Path, status: &'static str, at: i64) -> Record {
        Record {
            pid: agent.id(),
            proc_start: proc_start(agent.id()),
            cwd: dir.to_path_buf(),
            session_id: "id-1",
            kind: "interactive",
            status,
            status_updated_at: at,
        }
    }

    /// Writes it where Claude, run with ENV's HOME, keeps it.
    fn write(&self, env: &TestEnv) -> PathBuf {
        let mut record = json!({
            "pid": self.pid,
            "sessionId": self.session_id,
            "cwd": self.cwd,
            "startedAt": HOOK_MS - 600_000,
            "procStart": self.proc_start.to_string(),
            "version": "2.1.332",
            "kind": self.kind,
            "entrypoint": "cli",
            "name": "x",
            "status": self.status,
            "updatedAt": self.status_updated_at,
            "statusUpdatedAt": self.status_updated_at,
        });
        if self.status == "waiting" {
            record["waitingFor"] = json!("permission prompt");
        }
        let dir = env.home.join(".claude").join("sessions");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.json", self.pid));
        std::fs::write(&file, record.to_string()).unwrap();
        file
    }
}

/// Session x with a stand-in for Claude's process working in it.
fn with_agent() -> (TestEnv, PathBuf, KillOnDrop) {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let claude = sleeper_in(&wt);
    (env, wt, claude)
}

fn agent(env: &TestEnv) -> Value {
    env.listed("x")["agent"].clone()
}

/// The agent's state and where it came from.
fn state(env: &TestEnv) -> (String, String) {
    let agent = agent(env);
    let text = |v: &Value| v.as_str().unwrap_or("null").to_string();
    (text(&agent["state"]), text(&agent["source"]))
}

fn says(state: &str, source: &str) -> (String, String) {
    (state.to_string(), source.to_string())
}

#[test]
fn an_approved_prompt_is_working_once_claude_says_busy() {
    let (env, wt, claude) = with_agent();
    hook(&env, &wt, "UserPromptSubmit", claude.id());
    hook(&env, &wt, "PermissionRequest", claude.id());
    assert_eq!(state(&env), says("waiting", "hook"));
    Record::of(&claude, &wt, "busy", LATER).write(&env);
    assert_eq!(state(&env), says("working", "claude"));
    assert_eq!(agent(&env)["pid"], claude.id());
    assert_eq!(env.shown("x")["agent"]["source"], "claude");
}

#[test]
fn an_interrupted_turn_is_idle_once_claude_says_so() {
    let (env, wt, claude) = with_agent();
    hook(&env, &wt, "UserPromptSubmit", claude.id());
    Record::of(&claude, &wt, "idle", LATER).write(&env);
    assert_eq!(state(&env), says("idle", "claude"));
    let output = env.sessions().args(["show", "x"]).output().unwrap();
    let shown = String::from_utf8(output.stdout).unwrap();
    assert!(
        shown.contains("claude idle") && shown.contains("· from Claude's live status"),
        "{shown}"
    );
}

#[test]
fn claude_says_what_a_waiting_agent_waits_for() {
    let (env, wt, claude) = with_agent();
    hook(&env, &wt, "UserPromptSubmit", claude.id());
    Record::of(&claude, &wt, "waiting", LATER).write(&env);
    assert_eq!(state(&env), says("waiting", "claude"));
    assert_eq!(agent(&env)["waiting_for"], "permission prompt");
    let output = env.sessions().args(["show", "x"]).output().unwrap();
    let shown = String::from_utf8(output.stdout).unwrap();
    assert!(
        shown.contains("(permission prompt) · from Claude's live status"),
        "{shown}"
    );
}

#[test]
fn a_record_older_than_the_hooks_loses() {
    let (env, wt, claude) = with_agent();
    hook(&env, &wt, "PermissionRequest", claude.id());
    Record::of(&claude, &wt, "busy", EARLIER).write(&env);
    assert_eq!(state(&env), says("waiting", "hook"));
    assert_eq!(agent(&env)["waiting_for"], Value::Null);
}

#[test]
fn a_record_of_another_or_a_dead_process_is_ignored() {
    let (env, wt, claude) = with_agent();
    hook(&env, &wt, "PermissionRequest", claude.id());
    // The pid was given to a later process.
    let mut reused = Record::of(&claude, &wt, "busy", LATER);
    reused.proc_start += 1;
    reused.write(&env);
    // The pid is no one's.
    let mut dead = Record::of(&claude, &wt, "idle", LATER);
    dead.pid = dead_pid();
    dead.write(&env);
    assert_eq!(state(&env), says("waiting", "hook"));
}

#[test]
fn the_record_a_killed_claude_left_is_ignored() {
    let (env, wt, mut claude) = with_agent();
    hook(&env, &wt, "Stop", claude.id());
    let file = Record::of(&claude, &wt, "busy", LATER).write(&env);
    assert_eq!(state(&env), says("working", "claude"));
    // kill -9: Claude removes its record only when it exits cleanly.
    claude.kill().unwrap();
    claude.wait().unwrap();
    assert!(file.exists());
    assert_eq!(state(&env), says("exited", "process"));
}

#[test]
fn a_live_record_keeps_an_idle_agent_alive_and_a_dead_one_exits() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    // The hooks' pid is gone, and no process named `claude` works there:
    // only Claude's record says it still runs (a second Claude, say).
    hook(&env, &wt, "Stop", dead_pid());
    assert_eq!(state(&env), says("exited", "process"));
    let mut claude = sleeper_in(&wt);
    Record::of(&claude, &wt, "idle", EARLIER).write(&env);
    assert_eq!(state(&env), says("idle", "hook"));
    claude.kill().unwrap();
    claude.wait().unwrap();
    assert_eq!(state(&env), says("exited", "process"));
}

#[test]
fn a_conversation_running_outside_the_worktree_is_the_sessions_agent() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    hook(&env, &wt, "Stop", dead_pid());
    // `claude --resume id-1` typed in the main checkout.
    let claude = sleeper_in(&env.repo);
    Record::of(&claude, &env.repo, "busy", LATER).write(&env);
    assert_eq!(state(&env), says("working", "claude"));
}

#[test]
fn a_background_session_is_shown_as_the_agent() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    assert_eq!(env.listed("x")["agent"], Value::Null);
    let claude = sleeper_in(&wt);
    let mut record = Record::of(&claude, &wt, "busy", LATER);
    record.kind = "background";
    record.session_id = "bg-1";
    record.write(&env);
    assert_eq!(state(&env), says("working", "claude"));
    assert_eq!(agent(&env)["session_id"], "bg-1");
    assert_eq!(agent(&env)["pid"], claude.id());
}

#[test]
fn an_unknown_status_means_running_in_an_unknown_state() {
    let (env, wt, claude) = with_agent();
    hook(&env, &wt, "PermissionRequest", claude.id());
    let record = Record::of(&claude, &wt, "compacting", LATER);
    record.write(&env);
    // It says nothing against the hooks...
    assert_eq!(state(&env), says("waiting", "hook"));
    // ...but that Claude runs, after its hooks said it ended.
    hook(&env, &wt, "SessionEnd", dead_pid());
    assert_eq!(state(&env), says("running", "claude"));
}

#[test]
fn doctor_reports_an_agent_that_claims_to_run_and_records_it_exited() {
    let (env, wt, mut claude) = with_agent();
    hook(&env, &wt, "UserPromptSubmit", claude.id());
    Record::of(&claude, &wt, "idle", LATER).write(&env);
    let (_, report) = env.doctor(&[]);
    assert_eq!(finding_kinds(&report), Vec::<String>::new());
    claude.kill().unwrap();
    claude.wait().unwrap();
    // Doctor sees what list sees: the leftover record does not keep it alive.
    assert_eq!(state(&env), says("exited", "process"));
    let fixed = env.found_then_fixed(&["dead_agent"]);
    assert!(
        fixed["fixed"][0]["done"]
            .as_str()
            .unwrap()
            .contains("exited"),
        "{fixed}"
    );
    assert_eq!(state(&env), says("exited", "hook"));
}

#[test]
fn a_failed_turn_stays_shown_until_claude_starts_another() {
    let (env, wt, claude) = with_agent();
    hook(&env, &wt, "StopFailure", claude.id());
    // Claude sits at its prompt after the error: still the error to see.
    let mut record = Record::of(&claude, &wt, "idle", LATER);
    record.write(&env);
    assert_eq!(state(&env), says("error", "hook"));
    record.status = "busy";
    record.write(&env);
    assert_eq!(state(&env), says("working", "claude"));
}
