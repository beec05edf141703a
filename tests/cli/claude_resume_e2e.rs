//! `resume` with the real Claude Code against the fake API: a session whose
//! first launch got no prompt (Claude saved no conversation) resumes with
//! the same session id, and `show` reads Claude's own transcripts.

use std::process::Command;

use crate::claude_e2e::{claude_env, run, sessions, setup, transcripts};
use crate::common::TestEnv;
use serde_json::Value;

#[test]
fn a_session_whose_first_launch_got_no_prompt_resumes_with_its_id() {
    let Some((claude, api, _one)) = setup() else {
        return;
    };
    let env = TestEnv::new();
    let claude = claude.to_str().unwrap();
    // `--version` ends Claude before any message: nothing is saved.
    sessions(
        &env,
        &api,
        &env.repo,
        &["new", "x", "--agent", claude, "--", "--version"],
        "sessions new x -- --version",
    );
    let wt = env.sessions_dir().join("x");
    let id = env.listed("x")["agent"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !env.claude_project_dir(&wt).exists(),
        "Claude saved something"
    );

    sessions(
        &env,
        &api,
        &env.repo,
        &["resume", "x", "--", "-p", "hi"],
        "sessions resume x -- -p hi",
    );
    assert_eq!(env.listed("x")["agent"]["session_id"], id.as_str());
    assert_eq!(transcripts(&env, &wt), std::slice::from_ref(&id));

    // A conversation started by hand in the worktree is an earlier one
    // `show` lists, with the prompt read from Claude's own transcript.
    let mut command = Command::new(claude);
    command
        .args(["-p", "second thoughts\nmore"])
        .current_dir(&wt);
    for var in ["CLAUDE_CONFIG_DIR", "GIT_DIR", "GIT_WORK_TREE"] {
        command.env_remove(var);
    }
    command.envs(env.vars());
    claude_env(&mut command, &env, &api);
    run(command, "claude -p in the worktree", &env);
    let shown = env.shown("x");
    let earlier = shown["earlier_conversations"].as_array().unwrap();
    assert_eq!(earlier.len(), 1, "{earlier:?}");
    assert_ne!(earlier[0]["session_id"], id.as_str());
    assert_eq!(earlier[0]["first_prompt"], "second thoughts");
    assert!(earlier[0]["updated_at"].is_string());
    assert_ne!(earlier[0]["transcript_path"], Value::Null);
}
