//! Whole flows with an interactive Claude Code on a terminal (tmux):
//! `/clear`, resuming, a second resume, `claude -w` with each answer at
//! Claude's exit prompt. See `claude_tty` for the single states.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::TestEnv;
use crate::common::tty::ClaudeTty;

/// Samples session NAME's agent from `list --json` until DONE holds
/// (checked after each sample, up to a generous bound); every sample.
fn sampled(tty: &ClaudeTty, name: &str, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let start = Instant::now();
    let mut samples = Vec::new();
    loop {
        let agent = tty.agent(name);
        let finished = done(&agent);
        samples.push(agent);
        if finished {
            return samples;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "gave up after {:?}: {samples:?}\n{}",
            start.elapsed(),
            tty.tmux.screen()
        );
    }
}

fn states(samples: &[Value]) -> Vec<&str> {
    let mut states: Vec<&str> = samples
        .iter()
        .map(|a| a["state"].as_str().unwrap_or("null"))
        .collect();
    states.dedup();
    states
}

#[test]
fn slash_clear_rotates_the_id_and_never_shows_exited() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    let n = tty.new_session("x");
    tty.until_ready(n);
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "idle", asked);
    let old = tty.agent("x")["session_id"].as_str().unwrap().to_string();

    let cleared = Instant::now();
    tty.prompt("/clear");
    let samples = sampled(&tty, "x", |a| {
        a["session_id"] != old.as_str() && a["state"] == "idle"
    });
    let took = cleared.elapsed();
    assert!(
        !states(&samples).contains(&"exited"),
        "{:?}",
        states(&samples)
    );
    assert!(took <= Duration::from_secs(2), "took {took:?}: {samples:?}");
    let agent = tty.agent("x");
    assert_eq!(agent["earlier_session_ids"], serde_json::json!([old]));
    assert_eq!(
        agent["session_id"],
        tty.claude_record()["sessionId"],
        "{agent}"
    );
    tty.prompt("/exit");
    assert_eq!(tty.exit_code(n), 0);
}

#[test]
fn a_session_never_prompted_resumes() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    let n = tty.new_session("x");
    tty.until_ready(n);
    let id = tty.agent("x")["session_id"].clone();
    tty.prompt("/exit");
    assert_eq!(tty.exit_code(n), 0);
    assert_eq!(tty.agent("x")["state"], "exited");

    let n = tty.sessions("resume x");
    tty.until_ready(n);
    tty.prompt("hello again");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "idle", asked);
    assert_eq!(tty.agent("x")["session_id"], id);
    tty.prompt("/exit");
    assert_eq!(tty.exit_code(n), 0);
}

#[test]
fn a_second_resume_while_claude_runs_is_refused() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["x"]) else {
        return;
    };
    let n = tty.new_session("x");
    tty.until_ready(n);
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("x", "idle", asked);
    let pid = tty.claude_record()["pid"].as_u64().unwrap();

    // Were it not refused, the second Claude would have no terminal and
    // no API: the bound only keeps a wrong `sessions` from hanging.
    let out = tty
        .env
        .sessions()
        .args(["resume", "x"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&pid.to_string()), "{stderr}");
    assert_eq!(tty.agent("x")["state"], "idle");
    tty.prompt("/exit");
    assert_eq!(tty.exit_code(n), 0);
}

/// `claude -w feat` from the main worktree, with the `sessions` hooks
/// installed: session feat, at Claude's prompt, never `exited` meanwhile;
/// then `/exit`, answering Claude's question about the worktree with KEY.
fn claude_worktree(tty: &mut ClaudeTty, key: &str) {
    let out = tty
        .env
        .sessions()
        .args(["claude", "install", "--worktree"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::common::stderr_of(&out));
    let claude = tty.claude.display().to_string();
    let n = tty.run(&format!("'{claude}' -w feat --permission-mode default"));
    let listed = AtomicBool::new(false);
    let ready = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut seen = Vec::new();
            while !listed.load(Ordering::SeqCst) {
                let names = tty.env.session_names();
                if names.iter().any(|s| s == "feat") {
                    seen.push(tty.agent("feat")["state"].clone());
                }
            }
            seen
        });
        let ready = tty.until_ready(n);
        tty.state_within("feat", "idle", ready);
        listed.store(true, Ordering::SeqCst);
        let seen = watcher.join().unwrap();
        assert!(!seen.iter().any(|s| s == "exited"), "{seen:?}");
        ready
    });
    assert!(ready.elapsed() < Duration::from_secs(90));
    tty.prompt("hello");
    let asked = tty.api.wait_main(1);
    tty.state_within("feat", "idle", asked);
    tty.prompt("/exit");
    tty.tmux.until_shown("Remove worktree");
    tty.tmux.keys(&[key]);
    assert_eq!(tty.exit_code(n), 0, "{}", tty.tmux.screen());
}

#[test]
fn claude_worktree_kept_at_exit() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["feat"]) else {
        return;
    };
    claude_worktree(&mut tty, "1");
    let wt = tty.env.sessions_dir().join("feat");
    assert!(wt.is_dir());
    assert_eq!(tty.agent("feat")["state"], "exited");
    let screen = tty.tmux.screen();
    assert!(screen.contains("Worktree kept."), "{screen}");
    assert!(!screen.contains("discarded"), "{screen}");
}

#[test]
fn claude_worktree_removed_at_exit() {
    let Some(mut tty) = ClaudeTty::start(TestEnv::new(), &["feat"]) else {
        return;
    };
    claude_worktree(&mut tty, "2");
    let wt = tty.env.sessions_dir().join("feat");
    assert!(!wt.exists());
    assert!(tty.env.session_names().is_empty());
    assert_eq!(tty.env.branches(), ["main"]);
    let screen = tty.tmux.screen();
    assert!(screen.contains("Worktree removed."), "{screen}");
}
