//! The hooks' lifecycle with the real Claude Code against the fake API
//! (issue 13): a session's conversation resumed outside its worktree, and
//! one begun with `claude -w`, which Claude takes back into its worktree.

use std::path::Path;
use std::process::Command;

use crate::claude_e2e::{claude_env, run, sessions, setup};
use crate::common::TestEnv;
use crate::common::fake_anthropic::FakeAnthropic;

/// The warning `sessions hook SessionStart` gives Claude as
/// additionalContext.
const WARNING: &str = "outside that worktree";

/// `claude ARGS` in the main checkout, with the user's hooks.
fn claude_in_main(claude: &Path, env: &TestEnv, api: &FakeAnthropic, args: &[&str]) {
    let mut command = Command::new(claude);
    command.args(args).current_dir(&env.repo);
    for var in ["CLAUDE_CONFIG_DIR", "GIT_DIR", "GIT_WORK_TREE"] {
        command.env_remove(var);
    }
    command.envs(env.vars());
    claude_env(&mut command, env, api);
    run(command, &format!("claude {args:?}"), env);
}

/// How many requests to the model carried the warning.
fn warned(api: &FakeAnthropic) -> usize {
    api.requests()
        .iter()
        .filter(|r| r.body.contains(WARNING))
        .count()
}

#[test]
fn claude_is_told_when_a_session_is_resumed_outside_its_worktree() {
    let Some((claude, api)) = setup() else {
        return;
    };
    let env = TestEnv::new();
    let exe = claude.to_str().unwrap();
    sessions(&env, &api, &env.repo, &["claude", "install"], "install");
    sessions(
        &env,
        &api,
        &env.repo,
        &["new", "x", "--agent", exe, "--", "-p", "hi"],
        "sessions new x",
    );
    let id = env.listed("x")["agent"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(warned(&api), 0);

    // Claude's exit hint, typed in the main checkout: the conversation runs
    // there, and the model is told so with the session's name.
    claude_in_main(&claude, &env, &api, &["--resume", &id, "-p", "again"]);
    let told: Vec<String> = api
        .requests()
        .into_iter()
        .map(|r| r.body)
        .filter(|b| b.contains(WARNING))
        .collect();
    assert!(!told.is_empty(), "no request carried the warning");
    assert!(told[0].contains("sessions resume x"), "{}", told[0]);
}

#[test]
fn a_claude_w_conversation_resumed_in_main_goes_back_unwarned() {
    let Some((claude, api)) = setup() else {
        return;
    };
    let env = TestEnv::new();
    sessions(
        &env,
        &api,
        &env.repo,
        &["claude", "install", "--worktree"],
        "install",
    );
    claude_in_main(&claude, &env, &api, &["-w", "feat", "-p", "hi"]);
    let id = env.listed("feat")["agent"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    claude_in_main(&claude, &env, &api, &["--resume", &id, "-p", "again"]);
    // Claude moved back into the worktree: its prompt hook came from there,
    // and nobody was warned.
    assert_eq!(env.listed("feat")["agent"]["session_id"], id.as_str());
    assert_eq!(warned(&api), 0);
    let requests = api.requests();
    assert!(
        requests.iter().any(|r| r.body.contains("again")),
        "the resumed prompt never reached the model"
    );
}
