//! Issue 10, the paths the third review found: branch names git would take
//! for another ref, the caller's repository variables, relative agent
//! paths, `land` from inside its session, hints that fit their blocker.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{TestEnv, stderr_of};

/// An executable shell script at FILE.
fn script(file: &Path, body: &str) {
    common::write_file(file, &format!("#!/bin/sh\n{body}"));
    fs::set_permissions(file, fs::Permissions::from_mode(0o755)).unwrap();
}

// A session branch named like a remote-tracking branch, a tag or `HEAD`
// would stand in for it in git's lookups: refused, nothing made.
#[test]
fn new_refuses_a_branch_git_would_confuse_with_another_ref() {
    let env = TestEnv::cloned();
    env.git(&["tag", "v1"]);
    let before = env.branches();
    for args in [
        &["new", "origin/main", "--no-agent"][..],
        &["new", "v1", "--no-agent"],
        &["new", "x", "--branch", "origin/main", "--no-agent"],
        &["new", "y", "--branch", "remotes/origin/main", "--no-agent"],
    ] {
        let stderr = env.exits_with(args, 2);
        assert!(stderr.contains("ambiguous"), "{args:?}: {stderr}");
        assert_eq!(env.branches(), before, "{args:?} made a branch");
    }
    assert!(env.session_names().is_empty());
    assert!(!env.sessions_dir().exists() || env.admin_entries().is_empty());
}

// A registry from before the refusal: session `s` on a local branch named
// `origin/main`. Its base must still be the remote-tracking branch, so its
// unpushed work is not "merged" and `rm` keeps it.
#[test]
fn an_existing_session_on_a_branch_named_like_its_base_keeps_its_work() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "precious.txt", "work\n", "precious work");
    env.git(&["branch", "-m", "s", "origin/main"]);
    let registry = fs::read_to_string(env.registry_file()).unwrap();
    let edited = registry.replace("branch = \"s\"", "branch = \"origin/main\"");
    assert_ne!(registry, edited);
    fs::write(env.registry_file(), edited).unwrap();
    let work = env.git(&["rev-parse", "refs/heads/origin/main"]);

    let listed = env.listed("s");
    assert_eq!(listed["merged"], false, "{listed}");
    assert_eq!(listed["ahead"], 1, "{listed}");
    env.exits_with(&["rm", "s"], 3);
    assert_eq!(env.git(&["rev-parse", "refs/heads/origin/main"]), work);
    assert!(dir.exists());
}

// Every program sessions starts leaves the caller's GIT_DIR behind:
// teardown too (setup, the agent and land checks: tests/review_paths.rs).
#[test]
fn teardown_commands_do_not_inherit_the_callers_git_dir() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    let seen = env.root().join("gitdir.txt");
    env.user_config(&format!(
        "teardown = [\"git rev-parse --absolute-git-dir > '{}'\"]\n",
        seen.display()
    ));
    let admin = env.git_dir().join("worktrees").join("s");
    env.sessions()
        .env("GIT_DIR", env.git_dir())
        .args(["rm", "s"])
        .assert()
        .success();
    assert!(!dir.exists());
    assert_eq!(
        Path::new(fs::read_to_string(&seen).unwrap().trim()),
        admin,
        "teardown ran git on the caller's repository"
    );
}

// A relative agent command in the user's config names a file next to that
// config, not one in whatever the new worktree checks out.
#[test]
fn a_relative_agent_command_in_the_user_config_is_taken_from_its_folder() {
    let env = TestEnv::cloned();
    let marker = env.root().join("ran");
    let config = env.user_config("[agent]\ncommand = \"bin/agent.sh\"\n");
    script(
        &config.parent().unwrap().join("bin/agent.sh"),
        &format!("pwd > '{}'\n", marker.display()),
    );
    let out = env.sessions().args(["new", "s"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        Path::new(fs::read_to_string(&marker).unwrap().trim()),
        env.sessions_dir().join("s"),
        "the agent runs in the session"
    );
}

// `land` from a shell inside the session refuses before anything moves
// (exit 3 is "nothing changed"), and says how to go on; with --keep there
// is nothing to remove, so it lands.
#[test]
fn land_from_inside_the_session_refuses_before_moving_the_base() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "f.txt", "f\n", "session work");
    let main_before = env.git(&["rev-parse", "main"]);
    let bin = env!("CARGO_BIN_EXE_sessions");
    let land = |args: &str| {
        env.command_in("sh", &dir)
            .arg("-c")
            .arg(format!("'{bin}' land s {args}; code=$?; exit $code"))
            .output()
            .unwrap()
    };
    let out = land("");
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--keep"), "{}", stderr_of(&out));
    assert_eq!(env.git(&["rev-parse", "main"]), main_before, "main moved");
    assert_eq!(env.session_names(), ["s"]);

    let out = land("--keep");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_ne!(env.git(&["rev-parse", "main"]), main_before);
    assert!(dir.exists());
}

// The hint fits the blocker: another worktree inside the session's folder
// is moved away, not "stopped".
#[test]
fn rm_blocked_by_a_worktree_inside_hints_at_moving_it() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    let inner = dir.join("inner");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "inner",
        inner.to_str().unwrap(),
    ]);
    let stderr = env.exits_with(&["rm", "s"], 3);
    assert!(stderr.contains("git worktree move"), "{stderr}");
    assert!(!stderr.contains("stop the process"), "{stderr}");
}
