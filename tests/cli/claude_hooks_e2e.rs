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
    let Some((claude, api, _one)) = setup() else {
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
    let Some((claude, api, _one)) = setup() else {
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

/// Stops background session ID when dropped, whatever the test came to.
struct StopOnDrop<'a> {
    claude: &'a Path,
    env: &'a TestEnv,
    api: &'a FakeAnthropic,
    id: String,
}

impl StopOnDrop<'_> {
    fn stop(&self) {
        let mut command = Command::new(self.claude);
        command.args(["stop", &self.id]).current_dir(&self.env.repo);
        command
            .env_remove("CLAUDE_CONFIG_DIR")
            .envs(self.env.vars());
        claude_env(&mut command, self.env, self.api);
        let _ = command.output();
    }
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls CONDITION until it holds, failing after the e2e timeout.
fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_background_sessions_lock_blocks_removal_while_it_runs() {
    let Some((claude, api, _one)) = setup() else {
        return;
    };
    let env = TestEnv::new();
    let repo = env.repo.canonicalize().unwrap();
    // Outside `-p`, `-w` wants the folder trusted.
    crate::common::write_file(
        &env.home.join(".claude.json"),
        &serde_json::json!({
            "hasCompletedOnboarding": true,
            "projects": { repo.to_str().unwrap(): { "hasTrustDialogAccepted": true } },
        })
        .to_string(),
    );
    let mut command = Command::new(&claude);
    command
        .args(["--bg", "-w", "bgx", "hi"])
        .current_dir(&env.repo)
        .env_remove("CLAUDE_CONFIG_DIR")
        .envs(env.vars());
    claude_env(&mut command, &env, &api);
    let output = run(command, "claude --bg -w bgx hi", &env);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let id = stdout
        .split_whitespace()
        .skip_while(|w| *w != "·")
        .nth(1)
        .unwrap_or_else(|| panic!("no id in: {stdout}"))
        .to_string();
    let bg = StopOnDrop {
        claude: &claude,
        env: &env,
        api: &api,
        id,
    };

    let locked = env.git_dir().join("worktrees").join("bgx").join("locked");
    // `git worktree add` holds its own lock ("initializing") for a moment.
    let read = || std::fs::read_to_string(&locked).unwrap_or_default();
    until("Claude locks its worktree", || {
        read().starts_with("claude session bgx (pid ")
    });
    let reason = read();
    let pid: u32 = reason["claude session bgx (pid ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let path = repo.join(".claude").join("worktrees").join("bgx");
    let adopted = env
        .sessions()
        .args(["adopt", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(adopted.status.success(), "{adopted:?}");
    let stderr = env.exits_with(&["rm", "bgx", "--force"], 3);
    assert!(
        stderr.contains(&format!("Claude Code session 'bgx' (pid {pid})")),
        "{stderr}"
    );
    assert!(path.is_dir());

    bg.stop();
    until("the background session ends", || {
        !Path::new(&format!("/proc/{pid}")).exists()
    });
    // Gone: its lock, if Claude left it, is stale, a lock like any other.
    let output = env
        .sessions()
        .args(["rm", "bgx", "--force"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(!path.exists());
}
