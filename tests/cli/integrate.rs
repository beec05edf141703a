//! `sync` and `land` never lose work and never run what was not approved:
//! refs reach git only as ids, only the session's own branch is rewritten,
//! nobody's operation in progress is aborted, ignored files are never
//! overwritten, and a signal half-way leaves everything as it was.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, stderr_of, write_file};

/// A session `s` with one commit (`s.txt`) and main one commit ahead
/// (`main.txt`) since it started.
fn diverged() -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    let dir = env.new_session("s");
    env.commit_in(&dir, "s.txt", "session work\n", "session work");
    env.commit_in(&env.repo, "main.txt", "main work\n", "main moves on");
    (env, dir)
}

/// HEAD, branch and status of a worktree: what "exactly as before" means.
fn state(env: &TestEnv, dir: &Path) -> String {
    env.git_in(dir, &["status", "--porcelain=v2", "--branch", "-uall"])
}

fn rev(env: &TestEnv, rev: &str) -> String {
    env.git(&["rev-parse", rev])
}

/// Everything a refused or undone `sync` or `land` must leave untouched.
fn everything(env: &TestEnv, dir: &Path) -> Vec<String> {
    vec![
        env.git(&["for-each-ref", "--format=%(refname) %(objectname)"]),
        state(env, &env.repo),
        state(env, dir),
        String::from_utf8(env.registry_bytes()).unwrap(),
    ]
}

/// The git admin dir of the session worktree DIR.
fn admin_dir(env: &TestEnv, dir: &Path) -> PathBuf {
    PathBuf::from(env.git_in(dir, &["rev-parse", "--absolute-git-dir"]))
}

#[test]
fn a_base_named_like_an_option_never_reaches_git_as_one() {
    let (env, dir) = diverged();
    // A tag whose name is a rebase option, set as the session's base (as a
    // project's `.sessions.toml` could), and an upstream so that a bare
    // `git rebase --exec=...` would have something to rebase onto.
    let evil = "--exec=>pwned";
    env.git(&["update-ref", &format!("refs/tags/{evil}"), "main"]);
    env.git_in(&dir, &["branch", "--set-upstream-to=main"]);
    let registry = fs::read_to_string(env.registry_file()).unwrap();
    assert!(registry.contains("base = \"main\""), "{registry}");
    fs::write(
        env.registry_file(),
        registry.replace("base = \"main\"", &format!("base = \"{evil}\"")),
    )
    .unwrap();
    let output = env.sessions().args(["sync", "s"]).output().unwrap();
    assert!(!dir.join("pwned").exists(), "git ran the base as a command");
    assert!(!env.repo.join("pwned").exists());
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(
        env.git_in(&dir, &["rev-parse", "HEAD^"]),
        rev(&env, "main"),
        "rebased onto the commit the tag names"
    );
}

#[test]
fn sync_and_land_refuse_a_session_worktree_on_another_branch() {
    let (env, dir) = diverged();
    env.git_in(&dir, &["switch", "-q", "-c", "other"]);
    env.commit_in(&dir, "other.txt", "other\n", "work on another branch");
    let before = everything(&env, &dir);
    for args in [
        &["sync", "s"][..],
        &["land", "s"],
        &["land", "s", "--merge"],
    ] {
        let stderr = env.exits_with(args, 3);
        assert!(
            stderr.contains("has 'other' checked out, not 's'"),
            "{stderr}"
        );
        assert_eq!(everything(&env, &dir), before, "{args:?}");
    }
    // Detached HEAD: no branch at all.
    env.git_in(&dir, &["switch", "-q", "--detach", "s"]);
    let before = everything(&env, &dir);
    let stderr = env.exits_with(&["land", "s"], 3);
    assert!(stderr.contains("is not on a branch"), "{stderr}");
    assert_eq!(everything(&env, &dir), before);
}

#[test]
fn sync_and_land_leave_the_users_own_rebase_alone() {
    let (env, dir) = diverged();
    env.commit_in(&dir, "two.txt", "two\n", "second session commit");
    // The user's interactive rebase, stopped to edit a commit: a clean
    // worktree, a detached HEAD, and work in progress.
    let mut rebase = env.command_in("git", &dir);
    rebase
        .args(["rebase", "-i", "HEAD~2"])
        .env("GIT_SEQUENCE_EDITOR", "sed -i 's/^pick/edit/'");
    assert!(rebase.output().unwrap().status.success());
    let admin = admin_dir(&env, &dir);
    assert!(admin.join("rebase-merge").is_dir());
    let before = everything(&env, &dir);
    for args in [&["sync", "s"][..], &["land", "s"]] {
        let stderr = env.exits_with(args, 3);
        assert!(stderr.contains("a rebase in progress"), "{stderr}");
        assert!(admin.join("rebase-merge").is_dir(), "{args:?} aborted it");
        assert_eq!(everything(&env, &dir), before, "{args:?}");
    }
}

#[test]
fn land_refuses_while_the_main_worktree_has_an_operation_in_progress() {
    let env = TestEnv::new();
    let dir = env.new_session("s");
    env.commit_in(&dir, "s.txt", "session work\n", "session work");
    env.git(&["bisect", "start"]);
    let before = everything(&env, &dir);
    let stderr = env.exits_with(&["land", "s"], 3);
    assert!(
        stderr.contains("the main worktree") && stderr.contains("a bisect in progress"),
        "{stderr}"
    );
    assert_eq!(everything(&env, &dir), before);
    assert!(env.git_dir().join("BISECT_LOG").exists());
}

#[test]
fn sync_never_overwrites_an_ignored_file_in_the_session() {
    let (env, dir) = diverged();
    // The session's own local settings, ignored (`*.log`); main then starts
    // tracking a file of that name.
    write_file(&dir.join("local.log"), "the session's own\n");
    write_file(&env.repo.join("local.log"), "main's\n");
    env.git(&["add", "-f", "local.log"]);
    env.git(&["commit", "-q", "-m", "track local.log"]);
    let before = everything(&env, &dir);
    for args in [&["sync", "s"][..], &["sync", "--merge", "s"]] {
        let stderr = env.exits_with(args, 3);
        assert!(stderr.contains("ignored file local.log"), "{stderr}");
        assert_eq!(everything(&env, &dir), before, "{args:?}");
        assert_eq!(
            fs::read_to_string(dir.join("local.log")).unwrap(),
            "the session's own\n"
        );
    }
}

#[test]
fn land_never_overwrites_an_ignored_file_in_main() {
    for method in ["--rebase", "--merge", "--squash"] {
        let env = TestEnv::new();
        let dir = env.new_session("s");
        write_file(&env.repo.join("secret.log"), "main's own\n");
        write_file(&dir.join("secret.log"), "the session's\n");
        env.git_in(&dir, &["add", "-f", "secret.log"]);
        env.git_in(&dir, &["commit", "-q", "-m", "track secret.log"]);
        if method == "--merge" {
            // So that it is a real merge, which ignores --no-overwrite-ignore.
            env.commit_in(&env.repo, "main.txt", "main\n", "main moves on");
        }
        let before = everything(&env, &dir);
        let stderr = env.exits_with(&["land", "s", method], 3);
        assert!(
            stderr.contains("ignored file secret.log"),
            "{method}: {stderr}"
        );
        assert_eq!(everything(&env, &dir), before, "{method}");
        assert_eq!(
            fs::read_to_string(env.repo.join("secret.log")).unwrap(),
            "main's own\n",
            "{method}"
        );
    }
}

/// A post-checkout hook (it runs as `git rebase` checks out the base, with
/// the session's HEAD detached) that runs SIGNAL_COMMAND once, with `$pid`
/// the pid of `sessions`.
fn hook_mid_rebase(env: &TestEnv, signal_command: &str) -> PathBuf {
    env.pid_hook("post-checkout", "", signal_command)
}

#[test]
fn ctrl_c_mid_land_puts_everything_back() {
    for args in [&["land", "s"][..], &["sync", "s"]] {
        let (env, dir) = diverged();
        // The terminal's Ctrl-C: SIGINT to the whole foreground job.
        let pid_file = hook_mid_rebase(&env, "kill -INT \"-$pid\"");
        let before = everything(&env, &dir);
        let output = env.run_handing_pid(args, &pid_file);
        assert_eq!(
            output.status.code(),
            Some(130),
            "{args:?}: {}",
            stderr_of(&output)
        );
        assert!(pid_file.with_extension("pid.used").exists(), "the hook ran");
        assert_eq!(everything(&env, &dir), before, "{args:?}");
        let admin = admin_dir(&env, &dir);
        assert!(!admin.join("rebase-merge").exists());
        assert!(!admin.join("sessions-underway.toml").exists());
        // And nothing stands in the way of doing it again.
        fs::remove_file(env.git_dir().join("hooks/post-checkout")).unwrap();
        env.sessions().args(args).assert().success();
    }
}

#[test]
fn a_land_killed_mid_rebase_is_recognised_and_refused() {
    let (env, dir) = diverged();
    // SIGKILL to `sessions` and to the `git rebase` running the hook: a
    // crash that leaves the session detached in the middle of a rebase.
    let pid_file = hook_mid_rebase(&env, "kill -KILL \"$pid\" \"$PPID\"");
    let tip = env.git_in(&dir, &["rev-parse", "HEAD"]);
    let output = env.run_handing_pid(&["land", "s"], &pid_file);
    assert_eq!(output.status.code(), None, "killed: {}", stderr_of(&output));
    let admin = admin_dir(&env, &dir);
    assert!(admin.join("rebase-merge").is_dir(), "left mid-rebase");
    let record = fs::read_to_string(admin.join("sessions-underway.toml")).unwrap();
    assert!(record.contains(&tip), "{record}");
    fs::remove_file(env.git_dir().join("hooks/post-checkout")).unwrap();
    let before = everything(&env, &dir);
    for args in [&["land", "s"][..], &["sync", "s"]] {
        let stderr = env.exits_with(args, 3);
        assert!(
            stderr.contains("`sessions land s` was interrupted")
                && stderr.contains("sessions doctor --fix"),
            "{stderr}"
        );
        assert_eq!(everything(&env, &dir), before, "{args:?}");
    }
    // doctor names it, and --fix puts the session back where land found it.
    let output = env.sessions().arg("doctor").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("`sessions land s` was interrupted half-way in session 's'"),
        "{report}"
    );
    env.sessions().args(["doctor", "--fix"]).assert().success();
    assert!(
        !admin.join("rebase-merge").exists(),
        "the rebase is aborted"
    );
    assert!(!admin.join("sessions-underway.toml").exists());
    assert_eq!(env.git_in(&dir, &["rev-parse", "HEAD"]), tip);
    assert_eq!(
        env.git_in(&dir, &["symbolic-ref", "--short", "HEAD"]),
        "s",
        "back on its branch"
    );
    env.sessions().args(["land", "s"]).assert().success();
}
