//! What Claude Code's hooks do around a session's life (issue 13): `/clear`
//! is no exit, a `claude -w` session is alive before Claude moves in, a
//! conversation resumed outside its worktree is warned about, Claude's
//! worktree locks (live or stale), and the names and paths WorktreeCreate
//! hands back.

use std::path::Path;

use crate::common::procs::start_of;
use crate::common::{KillOnDrop, TestEnv, finding_kinds, sleeper_in, stderr_of};
use serde_json::{Value, json};

/// `sessions hook EVENT` in DIR with INPUT (cwd added), as Claude process
/// PID runs it: its output.
fn hook(
    env: &TestEnv,
    dir: &Path,
    event: &str,
    mut input: Value,
    pid: u32,
) -> std::process::Output {
    input["cwd"] = json!(dir);
    input["hook_event_name"] = json!(event);
    env.sessions_in(dir)
        .args(["hook", event])
        .env("CLAUDE_PID", pid.to_string())
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

/// `hook`, which must succeed printing nothing on stdout.
fn quiet_hook(env: &TestEnv, dir: &Path, event: &str, input: Value, pid: u32) {
    let output = hook(env, dir, event, input, pid);
    assert!(
        output.status.success(),
        "hook {event}: {}",
        stderr_of(&output)
    );
    assert!(
        output.stdout.is_empty(),
        "hook {event} printed on stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Session x with a stand-in for Claude working in it, its conversation
/// `id-1` started.
fn started() -> (TestEnv, std::path::PathBuf, KillOnDrop) {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let claude = sleeper_in(&wt);
    let start = json!({"session_id": "id-1", "source": "startup"});
    quiet_hook(&env, &wt, "SessionStart", start, claude.id());
    (env, wt, claude)
}

#[test]
fn clear_is_no_exit_and_keeps_the_old_conversation() {
    let (env, wt, claude) = started();
    let end = json!({"session_id": "id-1", "reason": "clear"});
    quiet_hook(&env, &wt, "SessionEnd", end, claude.id());
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["state"], "idle", "{agent}");
    let registry = String::from_utf8(env.registry_bytes()).unwrap();
    assert!(!registry.contains("exited"), "{registry}");

    let start = json!({"session_id": "id-2", "source": "clear"});
    quiet_hook(&env, &wt, "SessionStart", start, claude.id());
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["state"], "idle", "{agent}");
    assert_eq!(agent["session_id"], "id-2");
    assert_eq!(agent["earlier_session_ids"], json!(["id-1"]));

    // A real end still ends it.
    let end = json!({"session_id": "id-2", "reason": "prompt_input_exit"});
    quiet_hook(&env, &wt, "SessionEnd", end, claude.id());
    assert_eq!(env.listed("x")["agent"]["state"], "exited");
}

#[test]
fn a_claude_w_session_is_alive_before_claude_moves_into_it() {
    let env = TestEnv::new();
    // Claude runs WorktreeCreate from the main checkout, and moves into the
    // worktree only after it got the path.
    let claude = sleeper_in(&env.repo);
    let output = hook(
        &env,
        &env.repo,
        "WorktreeCreate",
        json!({"session_id": "id-1", "name": "feat"}),
        claude.id(),
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let agent = env.listed("feat")["agent"].clone();
    assert_eq!(agent["state"], "starting", "{agent}");
    assert_eq!(agent["pid"], claude.id());
}

#[test]
fn a_conversation_resumed_outside_its_worktree_is_warned_about() {
    let (env, wt, _claude) = started();
    // `claude --resume id-1`, Claude's own exit hint, typed in the main
    // checkout.
    let elsewhere = sleeper_in(&env.repo);
    let start = json!({"session_id": "id-1", "source": "resume"});
    let output = hook(&env, &env.repo, "SessionStart", start, elsewhere.id());
    assert!(output.status.success(), "{}", stderr_of(&output));
    let told: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON on stdout ({e}): {output:?}"));
    assert_eq!(told["hookSpecificOutput"]["hookEventName"], "SessionStart");
    let context = told["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap();
    let wt = wt.canonicalize().unwrap();
    assert!(context.contains("'x'"), "{context}");
    assert!(context.contains(&wt.display().to_string()), "{context}");
    assert!(context.contains("sessions resume x"), "{context}");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("session 'x'") && stderr.contains("sessions resume x"),
        "{stderr}"
    );

    // Inside its worktree, nothing is said.
    let start = json!({"session_id": "id-1", "source": "resume"});
    quiet_hook(&env, &wt, "SessionStart", start, elsewhere.id());

    // Nor when the conversation began with `claude -w x`: its transcript
    // records the worktree, and Claude moves back into it by itself.
    let transcript = env.root().join("id-1.jsonl");
    let state = json!({
        "type": "worktree-state",
        "worktreeSession": {"worktreePath": wt, "worktreeName": "x", "hookBased": true},
        "sessionId": "id-1",
    });
    std::fs::write(&transcript, format!("{state}\n")).unwrap();
    let start = json!({"session_id": "id-1", "source": "startup", "transcript_path": transcript});
    quiet_hook(&env, &wt, "SessionStart", start, elsewhere.id());
    let start = json!({"session_id": "id-1", "source": "resume"});
    quiet_hook(&env, &env.repo, "SessionStart", start, elsewhere.id());
}

/// Locks WT as Claude Code 2.1.332 does for its session NAME run by PID
/// (measured: `claude --bg -w bgy` wrote `claude session bgy (pid 2636
/// start 1873057)`).
fn claude_lock(env: &TestEnv, wt: &Path, name: &str, pid: u32, start: u64) {
    let reason = format!("claude session {name} (pid {pid} start {start})");
    env.git(&[
        "worktree",
        "lock",
        "--reason",
        &reason,
        wt.to_str().unwrap(),
    ]);
}

#[test]
#[cfg(target_os = "linux")]
fn a_live_claude_lock_blocks_removal_and_a_stale_one_is_unlocked() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    // Merged, so that `clean` considers it.
    env.commit_in(&wt, "f.txt", "done\n", "work");
    env.git(&["merge", "--ff-only", "x"]);
    // Claude's background process, working elsewhere.
    let mut bg = sleeper_in(&env.root());
    let start = start_of(bg.id());
    claude_lock(&env, &wt, "x", bg.id(), start);

    let named = format!("Claude Code session 'x' (pid {})", bg.id());
    let stderr = env.exits_with(&["rm", "x", "--force"], 3);
    assert!(stderr.contains(&named), "{stderr}");
    let output = env.sessions().args(["clean", "--yes"]).output().unwrap();
    let stderr = stderr_of(&output);
    let said = format!("{}{stderr}", String::from_utf8_lossy(&output.stdout));
    assert!(said.contains(&named), "clean: {said}");
    assert!(wt.is_dir());
    let (_, report) = env.doctor(&[]);
    assert!(
        !finding_kinds(&report).contains(&"stale_lock".to_string()),
        "{report}"
    );

    // The same pid with another start time is another process.
    env.git(&["worktree", "unlock", wt.to_str().unwrap()]);
    claude_lock(&env, &wt, "x", bg.id(), start + 1);
    let (_, report) = env.doctor(&[]);
    assert_eq!(finding_kinds(&report), ["stale_lock"], "{report}");

    env.git(&["worktree", "unlock", wt.to_str().unwrap()]);
    claude_lock(&env, &wt, "x", bg.id(), start);
    bg.kill().unwrap();
    bg.wait().unwrap();
    // Stale: like any lock, rm refuses it without --force...
    let stderr = env.exits_with(&["rm", "x"], 3);
    assert!(stderr.contains("is locked"), "{stderr}");
    // ...and doctor --fix unlocks it.
    env.found_then_fixed(&["stale_lock"]);
    let output = env.sessions().args(["rm", "x"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(!wt.exists());
}

#[test]
fn a_name_whose_branch_collides_with_a_branch_folder_is_explained() {
    let env = TestEnv::new();
    env.git(&["branch", "feat"]);
    env.git(&["branch", "fix/x"]);

    let stderr = env.exits_with(&["new", "feat/login", "--no-agent"], 2);
    assert!(
        stderr.contains("cannot create branch 'feat/login': branch 'feat' exists"),
        "{stderr}"
    );
    assert!(stderr.contains("sessions new feat-login"), "{stderr}");
    let stderr = env.exits_with(&["new", "fix", "--no-agent"], 2);
    assert!(
        stderr.contains("cannot create branch 'fix': branch 'fix/x' exists"),
        "{stderr}"
    );
    assert!(!stderr.contains("class="), "a raw libgit2 error: {stderr}");

    // `claude -w feat/login` goes the same way, and Claude shows our stderr.
    let output = hook(
        &env,
        &env.repo,
        "WorktreeCreate",
        json!({"session_id": "id-1", "name": "feat/login"}),
        std::process::id(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("branch 'feat' exists") && stderr.contains("'feat-login'"),
        "{stderr}"
    );
    assert!(env.session_names().is_empty());
}

#[test]
#[cfg(unix)]
fn worktree_create_prints_the_real_path() {
    // Session x's folder moved away, a symbolic link left in its place:
    // Claude refuses a worktree path that is a link.
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let real = env.root().join("real-x");
    std::fs::rename(&wt, &real).unwrap();
    std::os::unix::fs::symlink(&real, &wt).unwrap();

    let output = hook(
        &env,
        &env.repo,
        "WorktreeCreate",
        json!({"session_id": "id-1", "name": "x"}),
        std::process::id(),
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let printed = String::from_utf8(output.stdout).unwrap();
    let expected = real.canonicalize().unwrap();
    assert_eq!(printed, format!("{}\n", expected.display()));
}
