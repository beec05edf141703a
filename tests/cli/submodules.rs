//! Submodules (issue 15): `new` initialises them from the main worktree's
//! own clones (nothing fetched), a failure is a warning naming the
//! submodule, a hostile URL runs nothing, and `rm` counts a submodule's own
//! changes and commits as work whatever its `ignore` setting.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, stderr_of};

/// A repository at ROOT/NAME with one commit (`file.txt`).
fn library(env: &TestEnv, name: &str) -> PathBuf {
    let dir = env.root().join(name);
    fs::create_dir_all(&dir).unwrap();
    env.git_in(&dir, &["init", "-q", "-b", "main"]);
    fs::write(dir.join("file.txt"), format!("{name}\n")).unwrap();
    env.git_in(&dir, &["add", "."]);
    env.git_in(&dir, &["commit", "-q", "-m", "library"]);
    dir
}

/// The test repository with LIBRARY added as submodule PATH, committed.
fn add_submodule(env: &TestEnv, library: &Path, path: &str) {
    let url = library.to_str().unwrap();
    env.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        url,
        path,
    ]);
    env.git(&["commit", "-q", "-m", &format!("add {path}")]);
}

fn new_ok(env: &TestEnv, name: &str) -> String {
    let out = env
        .sessions()
        .args(["new", name, "--no-agent"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    stderr_of(&out)
}

#[test]
fn new_initialises_submodules_from_the_main_worktrees_clones() {
    let env = TestEnv::new();
    let lib = library(&env, "lib");
    add_submodule(&env, &lib, "vendor/lib");
    // The library's home is gone: only the main worktree's clone has it.
    fs::rename(&lib, env.root().join("lib-moved")).unwrap();

    let stderr = new_ok(&env, "x");
    assert!(!stderr.contains("submodule"), "{stderr}");
    let wt = env.sessions_dir().join("x");
    assert_eq!(
        fs::read_to_string(wt.join("vendor/lib/file.txt")).unwrap(),
        "lib\n"
    );
    // Its remote is the real one again, not the main worktree's clone.
    let url = env.git_in(&wt.join("vendor/lib"), &["remote", "get-url", "origin"]);
    assert_eq!(url, lib.to_str().unwrap());
    let status = env.git_in(&wt, &["status", "--porcelain", "--ignore-submodules=none"]);
    assert_eq!(status, "", "the submodule is at the recorded commit");
}

#[test]
fn a_failed_or_unwanted_submodule_is_a_warning_and_runs_nothing() {
    let env = TestEnv::new();
    let lib = library(&env, "lib");
    add_submodule(&env, &lib, "lib");
    // A submodule whose URL would run a command, and no clone of it here.
    let marker = env.root().join("pwned");
    let head = env.git_in(&lib, &["rev-parse", "HEAD"]);
    let gitmodules = fs::read_to_string(env.repo.join(".gitmodules")).unwrap();
    let evil = format!(
        "{gitmodules}[submodule \"evil\"]\n\tpath = evil\n\turl = ext::sh -c touch% {}\n",
        marker.display()
    );
    fs::write(env.repo.join(".gitmodules"), evil).unwrap();
    let cacheinfo = format!("160000,{head},evil");
    env.git(&["update-index", "--add", "--cacheinfo", &cacheinfo]);
    env.git(&["commit", "-q", "-am", "evil"]);

    let stderr = new_ok(&env, "x");
    assert!(stderr.contains("submodule evil was not set up"), "{stderr}");
    assert!(!marker.exists(), "the ext:: URL ran a command");
    let wt = env.sessions_dir().join("x");
    assert!(wt.join("lib/file.txt").is_file(), "{stderr}");

    env.user_config("submodules = false\n");
    let stderr = new_ok(&env, "y");
    assert!(!stderr.contains("submodule"), "{stderr}");
    let lib_dir = env.sessions_dir().join("y/lib");
    assert_eq!(fs::read_dir(&lib_dir).unwrap().count(), 0);
}

#[test]
fn rm_counts_a_submodules_own_work_whatever_its_ignore_setting() {
    let env = TestEnv::new();
    let lib = library(&env, "lib");
    add_submodule(&env, &lib, "lib");
    env.git(&["config", "-f", ".gitmodules", "submodule.lib.ignore", "all"]);
    env.git(&["commit", "-q", "-am", "ignore lib"]);
    new_ok(&env, "x");
    let sub = env.sessions_dir().join("x/lib");

    fs::write(sub.join("file.txt"), "changed\n").unwrap();
    let stderr = env.exits_with(&["rm", "x"], 3);
    assert!(stderr.contains("lib"), "{stderr}");

    env.git_in(&sub, &["commit", "-q", "-am", "unpushed"]);
    let stderr = env.exits_with(&["rm", "x"], 3);
    assert!(stderr.contains("lib"), "{stderr}");
    assert!(sub.join("file.txt").is_file());

    env.sessions()
        .args(["rm", "x", "--force"])
        .assert()
        .success();
}
