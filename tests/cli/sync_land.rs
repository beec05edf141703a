//! `sessions sync` and `sessions land`: integrating through git, refusing
//! what could lose work, and leaving everything as it was when stopped.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{TestEnv, sleeper_in, stderr_of};

/// A session `s` with one commit (`s.txt`) and main one commit ahead
/// (`main.txt`) since it started.
fn diverged(name: &str) -> (TestEnv, std::path::PathBuf) {
    let env = TestEnv::new();
    env.commit_in(&env.repo, "shared.txt", "base\n", "shared file");
    let dir = env.new_session(name);
    env.commit_in(
        &dir,
        &format!("{name}.txt"),
        "session work\n",
        "session work",
    );
    env.commit_in(&env.repo, "main.txt", "main work\n", "main moves on");
    (env, dir)
}

fn head(env: &TestEnv, dir: &Path) -> String {
    env.git_in(dir, &["rev-parse", "HEAD"])
}

/// HEAD, branch and status of a worktree: what "exactly as before" means.
fn state(env: &TestEnv, dir: &Path) -> String {
    env.git_in(dir, &["status", "--porcelain=v2", "--branch", "-uall"])
}

/// Runs `sessions ARGS`, expects exit CODE and SAYS on stderr; the stderr.
fn expect(env: &TestEnv, args: &[&str], code: i32, says: &str) -> String {
    let stderr = env.exits_with(args, code);
    assert!(stderr.contains(says), "{stderr}");
    stderr
}

fn rev(env: &TestEnv, rev: &str) -> String {
    env.git(&["rev-parse", rev])
}

#[test]
fn sync_rebases_a_clean_session_onto_its_base() {
    let (env, dir) = diverged("s");
    let session_commit = head(&env, &dir);
    env.sessions().args(["sync", "s"]).assert().success();
    assert_eq!(env.git_in(&dir, &["rev-parse", "HEAD^"]), rev(&env, "main"));
    assert_ne!(head(&env, &dir), session_commit, "rebased, so rewritten");
    assert_eq!(
        env.git_in(&dir, &["log", "-1", "--format=%s"]),
        "session work"
    );

    // Again: nothing to do.
    let again = env.sessions().args(["sync", "s"]).assert().success();
    assert!(stderr_of(again.get_output()).contains("up to date"));
}

#[test]
fn sync_merge_merges_the_base_in() {
    let (env, dir) = diverged("s");
    let session_commit = head(&env, &dir);
    env.sessions()
        .args(["sync", "--merge", "s"])
        .assert()
        .success();
    let parents = env.git_in(&dir, &["log", "-1", "--format=%P"]);
    assert_eq!(parents, format!("{session_commit} {}", rev(&env, "main")));
}

#[test]
fn sync_leaves_a_conflicting_session_as_it_was_and_goes_on() {
    let env = TestEnv::new();
    env.commit_in(&env.repo, "shared.txt", "base\n", "shared file");
    let bad = env.new_session("bad");
    let good = env.new_session("good");
    env.commit_in(&bad, "shared.txt", "bad's version\n", "bad edits shared");
    env.commit_in(&bad, "more.txt", "more\n", "a second commit");
    env.commit_in(&good, "good.txt", "good\n", "good work");
    env.commit_in(
        &env.repo,
        "shared.txt",
        "main's version\n",
        "main edits shared",
    );
    // An ignored file must survive the abort too.
    fs::write(bad.join("build.log"), "ignored\n").unwrap();
    let before = state(&env, &bad);
    let before_head = head(&env, &bad);

    let args = ["sync", "bad", "good"];
    expect(&env, &args, 1, "'bad' conflicts with main in shared.txt");
    assert_eq!(state(&env, &bad), before);
    assert_eq!(head(&env, &bad), before_head);
    assert_eq!(
        fs::read_to_string(bad.join("build.log")).unwrap(),
        "ignored\n"
    );
    let admin = env.git_dir().join("worktrees").join("bad");
    assert!(!admin.join("rebase-merge").exists());
    assert!(!admin.join("rebase-apply").exists());
    // The next session was still synced.
    assert_eq!(
        env.git_in(&good, &["rev-parse", "HEAD^"]),
        rev(&env, "main")
    );

    // With --merge too.
    expect(&env, &["sync", "--merge", "bad"], 1, "in shared.txt");
    assert_eq!(state(&env, &bad), before);
    assert!(!admin.join("MERGE_HEAD").exists());
}

#[test]
fn sync_refuses_a_dirty_session() {
    let (env, dir) = diverged("s");
    fs::write(dir.join("s.txt"), "uncommitted\n").unwrap();
    let before = state(&env, &dir);
    expect(&env, &["sync", "s"], 3, "1 modified file");
    assert_eq!(state(&env, &dir), before);
}

#[test]
fn sync_refuses_a_session_with_a_live_process_working_in_it() {
    let (env, dir) = diverged("s");
    let before = head(&env, &dir);
    let mut agent = sleeper_in(&dir);
    let output = env.sessions().args(["sync", "--all"]).output().unwrap();
    agent.kill().unwrap();
    agent.wait().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("process sleep (pid"));
    assert_eq!(head(&env, &dir), before);

    // The shell we are run from, working there, is no agent.
    let output = Command::new("sh")
        .args([
            "-c",
            "\"$0\" sync s; exit $?",
            env!("CARGO_BIN_EXE_sessions"),
        ])
        .current_dir(&dir)
        .envs(env.vars())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_ne!(head(&env, &dir), before);
}

#[test]
fn sync_rejects_unknown_sessions_and_needs_names_or_all() {
    let env = TestEnv::new();
    env.sessions().args(["sync", "nope"]).assert().code(2);
    env.sessions().arg("sync").assert().code(2);
}

#[test]
fn land_fast_forwards_and_removes_the_session() {
    let env = TestEnv::new();
    let dir = env.new_session("s");
    env.commit_in(&dir, "s.txt", "work\n", "session work");
    let tip = head(&env, &dir);
    env.sessions().args(["land", "s"]).assert().success();
    assert_eq!(rev(&env, "main"), tip, "fast-forwarded");
    assert!(!dir.exists(), "worktree removed");
    assert_eq!(env.branches(), ["main"]);
    assert!(env.list_json().is_empty());
    assert_eq!(state(&env, &env.repo).lines().count(), 2, "main is clean");
}

#[test]
fn land_rebases_by_default_when_the_base_moved_and_keep_keeps_it() {
    let (env, dir) = diverged("s");
    let main_before = rev(&env, "main");
    env.sessions()
        .args(["land", "s", "--keep"])
        .assert()
        .success();
    assert_eq!(rev(&env, "main^"), main_before, "linear history on main");
    assert_eq!(rev(&env, "main"), head(&env, &dir));
    assert_eq!(
        env.git(&["log", "-1", "--format=%s", "main"]),
        "session work"
    );
    assert!(dir.exists());
    assert_eq!(env.list_json().len(), 1);
}

#[test]
fn land_squash_makes_one_commit_on_the_base() {
    let (env, dir) = diverged("s");
    env.commit_in(&dir, "second.txt", "second\n", "second session commit");
    let main_before = rev(&env, "main");
    env.sessions()
        .args(["land", "s", "--squash"])
        .assert()
        .success();
    assert_eq!(rev(&env, "main^"), main_before, "exactly one new commit");
    assert_eq!(env.git(&["log", "-1", "--format=%P", "main"]), main_before);
    let files = env.git(&["show", "--name-only", "--format=", "main"]);
    assert_eq!(files, "s.txt\nsecond.txt");
    let message = env.git(&["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("* session work"), "{message}");
    assert!(message.contains("* second session commit"), "{message}");
    assert!(!dir.exists());
    assert_eq!(
        env.branches(),
        ["main"],
        "the squashed branch counts as merged"
    );
}

#[test]
fn land_merge_makes_a_merge_commit() {
    let (env, dir) = diverged("s");
    let tip = head(&env, &dir);
    let main_before = rev(&env, "main");
    env.sessions()
        .args(["land", "s", "--merge"])
        .assert()
        .success();
    assert_eq!(
        env.git(&["log", "-1", "--format=%P", "main"]),
        format!("{main_before} {tip}")
    );
}

/// What a refused or stopped `land` must leave untouched.
fn snapshot(env: &TestEnv, dir: &Path) -> (String, String, String, String, Vec<u8>) {
    (
        rev(env, "main"),
        state(env, &env.repo),
        head(env, dir),
        state(env, dir),
        env.registry_bytes(),
    )
}

#[test]
fn a_failing_check_stops_land_with_nothing_changed() {
    let (env, dir) = diverged("s");
    let before = snapshot(&env, &dir);
    let output = env
        .sessions()
        .args([
            "land",
            "s",
            "--check",
            "true",
            "--check",
            "echo checking; exit 7",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("exited with 7"), "{stderr}");
    assert!(
        stderr.contains("checking"),
        "check output goes to stderr: {stderr}"
    );
    assert!(output.stdout.is_empty());
    assert_eq!(snapshot(&env, &dir), before);

    // The check runs in the session's worktree.
    env.sessions()
        .args(["land", "s", "--check", "test -f s.txt"])
        .assert()
        .success();
}

#[test]
fn land_refuses_a_dirty_main_worktree() {
    let (env, dir) = diverged("s");
    fs::write(env.repo.join("README.md"), "edited in main\n").unwrap();
    let before = snapshot(&env, &dir);
    expect(&env, &["land", "s"], 3, "main worktree");
    assert_eq!(snapshot(&env, &dir), before);
}

#[test]
fn land_refuses_a_dirty_session_and_a_predicted_conflict() {
    let (env, dir) = diverged("s");
    fs::write(dir.join("untracked.txt"), "new\n").unwrap();
    let before = snapshot(&env, &dir);
    expect(&env, &["land", "s"], 3, "1 untracked file");
    assert_eq!(snapshot(&env, &dir), before);
    fs::remove_file(dir.join("untracked.txt")).unwrap();

    env.commit_in(
        &dir,
        "shared.txt",
        "session's version\n",
        "session edits shared",
    );
    env.commit_in(
        &env.repo,
        "shared.txt",
        "main's version\n",
        "main edits shared",
    );
    let before = snapshot(&env, &dir);
    let args = ["land", "s", "--check", "touch ran"];
    expect(&env, &args, 3, "would conflict with 'main' in shared.txt");
    assert!(
        !dir.join("ran").exists(),
        "checks run only when it can land"
    );
    assert_eq!(snapshot(&env, &dir), before);
}

#[test]
fn land_puts_a_rebased_session_back_when_the_fast_forward_fails() {
    let (env, dir) = diverged("s");
    let before = snapshot(&env, &dir);
    // Once the session is rebased, an untracked file appears in main where
    // the session adds one: git refuses to overwrite it. (One there from
    // the start is refused before anything runs.)
    let hook = env.git_dir().join("hooks/post-rewrite");
    let untracked = env.repo.join("s.txt");
    fs::create_dir_all(hook.parent().unwrap()).unwrap();
    fs::write(
        &hook,
        format!("#!/bin/sh\necho untracked > '{}'\n", untracked.display()),
    )
    .unwrap();
    fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    expect(&env, &["land", "s"], 1, "untracked working tree files");
    fs::remove_file(&hook).unwrap();
    fs::remove_file(&untracked).unwrap();
    assert_eq!(snapshot(&env, &dir), before);
}

#[test]
fn land_follows_the_configured_method_and_checks() {
    let (env, dir) = diverged("s");
    env.user_config(
        "[land]\nmethod = \"squash\"\ncheck = [\"test -f s.txt\", \"touch checked-by-config\"]\n",
    );
    let main_before = rev(&env, "main");
    env.sessions()
        .args(["land", "s", "--keep"])
        .assert()
        .success();
    assert_eq!(rev(&env, "main^"), main_before, "squashed: one new commit");
    assert!(
        dir.join("checked-by-config").exists(),
        "the configured checks ran"
    );

    let (env, dir) = diverged("t");
    env.user_config("[land]\ncheck = [\"false\"]\n");
    let before = snapshot(&env, &dir);
    expect(&env, &["land", "t"], 1, "false");
    assert_eq!(snapshot(&env, &dir), before);
    // A check given on the command line replaces the configured ones.
    env.sessions()
        .args(["land", "t", "--check", "true"])
        .assert()
        .success();
}

#[test]
fn project_land_checks_need_trust() {
    let (env, dir) = diverged("s");
    env.commit_in(
        &env.repo,
        ".sessions.toml",
        "[land]\ncheck = [\"touch project-check-ran\"]\n",
        "team land checks",
    );
    env.sessions().args(["sync", "s"]).assert().success();
    let main_before = rev(&env, "main");
    expect(&env, &["land", "s"], 3, "sessions trust");
    assert_eq!(rev(&env, "main"), main_before);
    assert!(!dir.join("project-check-ran").exists());
    env.sessions().args(["trust", "--yes"]).assert().success();
    env.sessions()
        .args(["land", "s", "--keep"])
        .assert()
        .success();
    assert!(dir.join("project-check-ran").exists());
}

#[test]
fn land_pushes_only_when_configured_and_never_forces() {
    let (env, _dir) = diverged("s");
    let remote = env.root().join("remote.git");
    env.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    env.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    env.git(&["push", "-q", "origin", "main"]);
    let remote_tip = |env: &TestEnv| env.git_in(&remote, &["rev-parse", "main"]);
    let pushed_before = remote_tip(&env);

    env.sessions()
        .args(["land", "s", "--keep"])
        .assert()
        .success();
    assert_eq!(remote_tip(&env), pushed_before, "no push unless configured");

    env.new_session("u");
    let u = env.sessions_dir().join("u");
    env.commit_in(&u, "u.txt", "u\n", "u work");
    env.user_config("[land]\npush = true\n");
    env.sessions().args(["land", "u"]).assert().success();
    assert_eq!(remote_tip(&env), rev(&env, "main"), "pushed after landing");
}
