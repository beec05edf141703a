//! End to end with the real Claude Code CLI against a fake Anthropic API on
//! 127.0.0.1. The `claude` binary comes from SESSIONS_TEST_CLAUDE, PATH, or
//! `.ci/node` (where `.ci/run` installs the pinned version); without one,
//! these tests skip (`common::require`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::MutexGuard;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::fake_anthropic::{self, FakeAnthropic};
use crate::common::{TestEnv, claude_binary, require, write_file};
use serde_json::Value;

/// Each child process gets this long before it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(90);

/// The claude binary, a fake API and the turn to run it (one real Claude
/// at a time), or None when the test skips.
pub(crate) fn setup() -> Option<(PathBuf, FakeAnthropic, MutexGuard<'static, ()>)> {
    if !require("claude") {
        return None;
    }
    let one = crate::common::claude::one_claude();
    Some((claude_binary()?, FakeAnthropic::start(), one))
}

/// What Claude needs to talk to the fake API from the isolated HOME.
pub(crate) fn claude_env(command: &mut Command, env: &TestEnv, api: &FakeAnthropic) {
    let tmp = env.root().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    command
        .env("ANTHROPIC_BASE_URL", api.base_url())
        .env("ANTHROPIC_API_KEY", "test-key")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("TMPDIR", tmp)
        .stdin(Stdio::null());
}

/// Runs COMMAND to completion, killing it after TIMEOUT.
pub(crate) fn run(mut command: Command, what: &str, env: &TestEnv) -> Output {
    let out = env.root().join("out");
    let err = env.root().join("err");
    command
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish within {TIMEOUT:?}; stderr: {}",
                fs::read_to_string(&err).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: fs::read(&out).unwrap(),
        stderr: fs::read(&err).unwrap(),
    };
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

pub(crate) fn sessions(
    env: &TestEnv,
    api: &FakeAnthropic,
    dir: &Path,
    args: &[&str],
    what: &str,
) -> Output {
    let mut command = env.sessions_std(dir);
    command.args(args);
    claude_env(&mut command, env, api);
    run(command, what, env)
}

/// The transcripts Claude wrote for DIR, by session id.
pub(crate) fn transcripts(env: &TestEnv, dir: &Path) -> Vec<String> {
    let folder = env.claude_project_dir(dir);
    let mut ids: Vec<String> = fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("no transcripts in {}: {e}", folder.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn new_and_resume_record_claudes_session_through_its_hooks() {
    let Some((claude, api, _one)) = setup() else {
        return;
    };
    let env = TestEnv::new();
    let claude = claude.to_str().unwrap();
    let output = sessions(
        &env,
        &api,
        &env.repo,
        &["new", "x", "--agent", claude, "--", "-p", "hi"],
        "sessions new x -- -p hi",
    );
    let wt = env.sessions_dir().join("x");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("{}\n", wt.display())),
        "{stdout}"
    );
    assert!(stdout.contains(fake_anthropic::DEFAULT_REPLY), "{stdout}");

    let agent = env.listed("x")["agent"].clone();
    let id = agent["session_id"].as_str().unwrap().to_string();
    assert_eq!(transcripts(&env, &wt), std::slice::from_ref(&id));
    assert_eq!(agent["state"], "exited");
    let transcript = agent["transcript_path"].as_str().unwrap();
    assert!(transcript.ends_with(&format!("{id}.jsonl")), "{transcript}");
    assert!(Path::new(transcript).is_file());
    // The hooks ran: the registry has Claude's pid from them, and an exit.
    let registry = String::from_utf8(env.registry_bytes()).unwrap();
    assert!(registry.contains("state = \"exited\""), "{registry}");

    sessions(
        &env,
        &api,
        &env.repo,
        &["resume", "x", "--", "-p", "again"],
        "sessions resume x",
    );
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["session_id"], id.as_str());
    assert_eq!(agent["earlier_session_ids"], Value::Array(Vec::new()));
    assert_eq!(transcripts(&env, &wt), std::slice::from_ref(&id));
    let text = fs::read_to_string(transcript).unwrap();
    assert!(
        text.contains("again"),
        "the resumed turn is not in the same transcript"
    );
    assert_eq!(agent["state"], "exited");
}

#[test]
fn claude_worktree_goes_through_sessions_once_its_hooks_are_installed() {
    let Some((claude, api, _one)) = setup() else {
        return;
    };
    let env = TestEnv::new();
    // Someone else's hook, which must keep running next to ours.
    let theirs = env.root().join("their-hook-ran");
    write_file(
        &env.home.join(".claude").join("settings.json"),
        &format!(
            r#"{{"hooks": {{"SessionEnd": [{{"hooks": [{{"type": "command", "command": "touch {}"}}]}}]}}}}"#,
            theirs.display()
        ),
    );
    sessions(
        &env,
        &api,
        &env.repo,
        &["claude", "install", "--worktree"],
        "sessions claude install",
    );
    sessions(
        &env,
        &api,
        &env.repo,
        &["claude", "install", "--worktree"],
        "sessions claude install again",
    );

    let mut command = Command::new(&claude);
    command
        .args(["-w", "feat", "-p", "hi"])
        .current_dir(&env.repo);
    for var in ["CLAUDE_CONFIG_DIR", "GIT_DIR", "GIT_WORK_TREE"] {
        command.env_remove(var);
    }
    command.envs(env.vars());
    claude_env(&mut command, &env, &api);
    run(command, "claude -w feat -p hi", &env);

    let wt = env.sessions_dir().join("feat");
    assert!(wt.is_dir(), "no worktree at {}", wt.display());
    assert!(!env.repo.join(".claude").join("worktrees").exists());
    let listed = env.listed("feat");
    assert_eq!(listed["branch"], "feat");
    let id = listed["agent"]["session_id"].as_str().unwrap().to_string();
    assert_eq!(transcripts(&env, &wt), [id]);
    assert_eq!(listed["agent"]["state"], "exited");
    assert!(
        theirs.exists(),
        "the user's own SessionEnd hook did not run"
    );
}

/// The tests run the release `.ci/claude-code-version` pins, so that a
/// stale install cannot pass for it.
#[test]
fn the_claude_tested_is_the_pinned_release() {
    let Some((claude, _api, _one)) = setup() else {
        return;
    };
    let output = Command::new(&claude).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&output.stdout);
    let pinned = crate::common::pinned_claude_version();
    if std::env::var_os("SESSIONS_TEST_CLAUDE").is_none() {
        assert!(
            version.starts_with(&format!("{pinned} ")),
            "{} is Claude Code {version}, not the pinned {pinned}: run .ci/run",
            claude.display()
        );
    }
}
