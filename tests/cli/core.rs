//! The core CLI: new, list, path, rm, the registry and its safety rules.

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;

use crate::common::{TestEnv, make_executable, stderr_of, write_file};
use predicates::prelude::*;

#[test]
fn new_list_path_rm_round_trip() {
    let env = TestEnv::new();
    let path = env.new_session("feature/login");
    assert_eq!(path, env.sessions_dir().join("feature-login"));
    assert!(path.join("README.md").is_file());
    assert_eq!(
        env.git_in(&path, &["branch", "--show-current"]),
        "feature/login"
    );

    let listed = env.listed("feature/login");
    let main_tip = env.git(&["rev-parse", "main"]);
    assert_eq!(listed["branch"], "feature/login");
    assert_eq!(listed["path"], path.to_str().unwrap());
    assert_eq!(listed["base"], "main");
    assert_eq!(listed["base_commit"], main_tip.as_str());
    assert_eq!(listed["head"], main_tip.as_str());
    assert_eq!(listed["owns_branch"], true);
    assert_eq!(listed["missing"], false);
    let created = listed["created_at"].as_str().unwrap();
    assert!(created.parse::<jiff::Timestamp>().is_ok(), "{created}");

    env.sessions()
        .args(["path", "feature/login"])
        .assert()
        .success()
        .stdout(format!("{}\n", path.display()));
    env.sessions()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("feature/login").and(predicate::str::contains("NAME")));

    env.sessions()
        .args(["rm", "feature/login"])
        .assert()
        .success();
    assert!(!path.exists());
    assert!(
        !env.sessions_dir().exists(),
        "the emptied sessions folder goes too"
    );
    assert_eq!(env.branches(), ["main"], "an empty owned branch is deleted");
    assert!(env.list_json().is_empty());
    assert!(env.admin_entries().is_empty());
}

#[test]
fn new_prints_the_path_last_on_stdout_and_a_summary_on_stderr() {
    let env = TestEnv::new();
    let output = env
        .sessions()
        .args(["new", "x", "--no-agent"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{}\n", env.sessions_dir().join("x").display())
    );
    assert!(stderr_of(&output).contains("Created session 'x'"));
}

#[test]
fn works_from_a_subdirectory_and_from_inside_a_linked_worktree() {
    let env = TestEnv::new();
    fs::create_dir_all(env.repo.join("src/deep")).unwrap();
    env.sessions_in(&env.repo.join("src/deep"))
        .args(["new", "a", "--no-agent"])
        .assert()
        .success();
    let a = env.sessions_dir().join("a");
    fs::create_dir_all(a.join("nested")).unwrap();
    env.sessions_in(&a.join("nested"))
        .args(["new", "b", "--no-agent"])
        .assert()
        .success()
        .stdout(predicate::str::ends_with(format!(
            "{}\n",
            env.sessions_dir().join("b").display()
        )));
    env.sessions_in(&a)
        .args(["path", "b"])
        .assert()
        .success()
        .stdout(format!("{}\n", env.sessions_dir().join("b").display()));
    let names: Vec<_> = env.list_json().iter().map(|s| s["name"].clone()).collect();
    assert_eq!(names, ["a", "b"]);
    env.sessions_in(&a).args(["rm", "b"]).assert().success();
    assert!(!env.sessions_dir().join("b").exists());
}

#[test]
fn base_is_chosen_by_flag_else_origin_head_else_the_main_branch() {
    let env = TestEnv::new();
    env.git(&["branch", "dev"]);
    let dev = env.git(&["rev-parse", "dev"]);
    env.commit_in(&env.repo, "later.txt", "later\n", "later on main");

    env.sessions()
        .args(["new", "from-dev", "--base", "dev", "--no-agent"])
        .assert()
        .success();
    let listed = env.listed("from-dev");
    assert_eq!(listed["base"], "dev");
    assert_eq!(listed["base_commit"], dev.as_str());
    assert!(!env.sessions_dir().join("from-dev/later.txt").exists());

    env.new_session("from-main");
    assert_eq!(env.listed("from-main")["base"], "main");

    env.git(&["update-ref", "refs/remotes/origin/dev", &dev]);
    env.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/dev",
    ]);
    env.new_session("from-origin");
    let listed = env.listed("from-origin");
    assert_eq!(listed["base"], "origin/dev");
    assert_eq!(listed["base_commit"], dev.as_str());
}

#[test]
fn a_bad_base_is_refused_and_creates_nothing() {
    let env = TestEnv::new();
    env.sessions()
        .args(["new", "x", "--base", "no-such-ref", "--no-agent"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-ref"));
    assert_nothing_created(&env, "x");
}

#[test]
fn an_existing_branch_is_adopted_and_never_deleted() {
    let env = TestEnv::new();
    env.git(&["branch", "existing"]);
    env.sessions()
        .args(["new", "adopt", "--branch", "existing", "--no-agent"])
        .assert()
        .success()
        .stderr(predicate::str::contains("existing branch"));
    let listed = env.listed("adopt");
    assert_eq!(listed["owns_branch"], false);
    assert_eq!(listed["branch"], "existing");

    let path = env.sessions_dir().join("adopt");
    env.commit_in(&path, "work.txt", "work\n", "work on an adopted branch");
    let tip = env.git(&["rev-parse", "existing"]);
    // Its commits live on in the branch, which rm keeps: nothing to refuse.
    env.sessions()
        .args(["rm", "adopt"])
        .assert()
        .success()
        .stderr(predicate::str::contains("kept branch 'existing'"));
    assert!(!path.exists());
    assert_eq!(env.git(&["rev-parse", "existing"]), tip);
}

#[test]
fn a_branch_checked_out_elsewhere_is_refused() {
    let env = TestEnv::new();
    env.sessions()
        .args(["new", "x", "--branch", "main", "--no-agent"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "branch 'main' is already checked out at {}",
            env.repo.display()
        )));
    assert_nothing_created(&env, "x");
    assert_eq!(env.branches(), ["main"]);

    env.new_session("first");
    env.sessions()
        .args(["new", "second", "--branch", "first", "--no-agent"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            env.sessions_dir().join("first").display().to_string(),
        ));
    assert!(!env.sessions_dir().join("second").exists());
}

#[test]
fn every_class_of_bad_name_is_refused_and_creates_nothing() {
    let env = TestEnv::new();
    env.new_session("keep");
    let registry = env.registry_bytes();
    let long = "n".repeat(101);
    let bad = [
        "",
        "a/../b",
        ".",
        "..",
        "-lead",
        ".hidden",
        "a b",
        "tab\there",
        "bell\u{7}",
        "a~b",
        "a^b",
        "a:b",
        "a?b",
        "a*b",
        "a[b",
        "a\\b",
        "a@{b",
        "a//b",
        "trail/",
        "x.lock",
        &long,
    ];
    for name in bad {
        let output = env
            .sessions()
            .args(["new", "--no-agent", name])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{name:?}: {}",
            stderr_of(&output)
        );
        assert!(
            stderr_of(&output).contains("invalid session name"),
            "{name:?}"
        );
        assert_eq!(env.branches(), ["keep", "main"], "{name:?} made a branch");
        assert_eq!(
            env.registry_bytes(),
            registry,
            "{name:?} changed the registry"
        );
    }
    let folders: Vec<_> = fs::read_dir(env.sessions_dir()).unwrap().collect();
    assert_eq!(folders.len(), 1, "only the good session has a folder");
}

#[test]
fn a_bad_branch_name_is_refused_too() {
    let env = TestEnv::new();
    env.sessions()
        .args(["new", "ok", "--branch", "bad..name", "--no-agent"])
        .assert()
        .code(2);
    assert_nothing_created(&env, "ok");
}

#[test]
fn two_names_for_one_folder_are_refused() {
    let env = TestEnv::new();
    env.new_session("feature/x");
    env.sessions()
        .args(["new", "feature-x", "--no-agent"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("same folder"));
    env.sessions()
        .args(["new", "feature/x", "--no-agent"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(env.list_json().len(), 1);
}

#[test]
fn a_generated_name_is_readable_and_unique() {
    let env = TestEnv::new();
    let mut names = Vec::new();
    for _ in 0..3 {
        let output = env.sessions().args(["new", "--no-agent"]).output().unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
    for session in env.list_json() {
        let name = session["name"].as_str().unwrap().to_string();
        let words = name.split('-').count();
        assert!((2..=3).contains(&words), "{name}");
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name}"
        );
        names.push(name);
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 3);
}

#[test]
fn rm_refuses_to_lose_work_and_force_overrides() {
    let env = TestEnv::new();
    let modified = env.new_session("modified");
    write_file(&modified.join("README.md"), "changed\n");
    let untracked = env.new_session("untracked");
    write_file(&untracked.join("notes.txt"), "mine\n");
    let unpushed = env.new_session("unpushed");
    env.commit_in(&unpushed, "feature.txt", "feature\n", "unpushed work");
    let registry = env.registry_bytes();

    for (name, what) in [
        ("modified", "1 modified file"),
        ("untracked", "1 untracked file"),
        ("unpushed", "1 commit that exists"),
    ] {
        env.sessions()
            .args(["rm", name])
            .assert()
            .code(3)
            .stderr(predicate::str::contains(what).and(predicate::str::contains("--force")));
    }
    // Several names: one refusal refuses them all.
    let clean = env.new_session("clean");
    let registry_with_clean = env.registry_bytes();
    env.sessions()
        .args(["rm", "clean", "modified"])
        .assert()
        .code(3);
    assert!(clean.exists());
    assert_eq!(env.registry_bytes(), registry_with_clean);
    env.sessions().args(["rm", "clean"]).assert().success();
    assert_eq!(
        env.registry_bytes(),
        registry,
        "rm of clean restores the registry"
    );

    for path in [&modified, &untracked, &unpushed] {
        assert!(path.exists(), "{} was removed", path.display());
    }
    assert_eq!(
        env.branches(),
        ["main", "modified", "unpushed", "untracked"]
    );
    assert_eq!(
        fs::read_to_string(modified.join("README.md")).unwrap(),
        "changed\n"
    );

    env.sessions()
        .args(["rm", "--force", "modified", "untracked", "unpushed"])
        .assert()
        .success();
    assert!(env.list_json().is_empty());
    assert_eq!(env.branches(), ["main"]);
    assert!(env.admin_entries().is_empty());
}

#[test]
fn rm_is_not_blocked_by_ignored_files_or_pushed_commits() {
    let env = TestEnv::new();
    let ignored = env.new_session("ignored");
    write_file(&ignored.join("build.log"), "noise\n");
    write_file(&ignored.join("target/debug/out"), "noise\n");
    env.sessions().args(["rm", "ignored"]).assert().success();
    assert!(!ignored.exists());

    let pushed = env.new_session("pushed");
    env.commit_in(&pushed, "f.txt", "f\n", "pushed work");
    let tip = env.git(&["rev-parse", "pushed"]);
    env.git(&["update-ref", "refs/remotes/origin/pushed", &tip]);
    env.sessions()
        .args(["rm", "pushed"])
        .assert()
        .success()
        .stderr(predicate::str::contains("kept branch 'pushed'"));
    assert_eq!(
        env.git(&["rev-parse", "pushed"]),
        tip,
        "an unmerged branch is kept"
    );
}

#[test]
fn rm_deletes_an_owned_branch_once_merged_and_keep_branch_keeps_it() {
    let env = TestEnv::new();
    let merged = env.new_session("merged");
    env.commit_in(&merged, "m.txt", "m\n", "merged work");
    env.git(&["merge", "-q", "--ff-only", "merged"]);
    env.sessions().args(["rm", "merged"]).assert().success();
    assert!(!env.branches().contains(&"merged".to_string()));

    env.new_session("kept");
    env.sessions()
        .args(["rm", "kept", "--keep-branch"])
        .assert()
        .success();
    assert!(env.branches().contains(&"kept".to_string()));
}

#[test]
fn rm_of_an_unknown_session_fails_and_path_of_one_too() {
    let env = TestEnv::new();
    env.sessions()
        .args(["rm", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no session named 'nope'"));
    env.sessions()
        .args(["path", "nope"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no session named 'nope'"));
}

#[test]
fn a_vanished_folder_is_listed_as_missing_and_rm_prunes_it() {
    let env = TestEnv::new();
    let path = env.new_session("gone");
    fs::remove_dir_all(&path).unwrap();
    assert_eq!(env.listed("gone")["missing"], true);
    env.sessions()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("missing"));
    env.sessions().args(["rm", "gone"]).assert().success();
    assert!(env.admin_entries().is_empty());
    assert!(env.list_json().is_empty());
}

#[test]
fn sixteen_concurrent_news_all_succeed() {
    let env = TestEnv::new();
    let children: Vec<_> = (0..16)
        .map(|i| {
            env.sessions_std(&env.repo)
                .args(["new", &format!("s{i:02}"), "--no-agent"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
    let listed = env.list_json();
    assert_eq!(listed.len(), 16);
    let worktrees = env.git(&["worktree", "list", "--porcelain"]);
    let mut git_paths: Vec<PathBuf> = worktrees
        .lines()
        .filter_map(|l| l.strip_prefix("worktree "))
        .map(PathBuf::from)
        .filter(|p| p != &env.repo)
        .collect();
    let mut listed_paths: Vec<PathBuf> = listed
        .iter()
        .map(|s| PathBuf::from(s["path"].as_str().unwrap()))
        .collect();
    git_paths.sort();
    listed_paths.sort();
    assert_eq!(git_paths, listed_paths);
}

#[test]
fn a_corrupt_registry_is_reported_and_left_untouched() {
    let env = TestEnv::new();
    env.new_session("x");
    let broken = b"version = 1\n\n[[session]]\nname = \"x\"\nbranch = \n".to_vec();
    fs::write(env.registry_file(), &broken).unwrap();
    for args in [
        &["list"][..],
        &["new", "y", "--no-agent"],
        &["rm", "x"],
        &["path", "x"],
    ] {
        env.sessions().args(args).assert().code(1).stderr(
            predicate::str::contains(env.registry_file().display().to_string())
                .and(predicate::str::contains("line 5")),
        );
        assert_eq!(fs::read(env.registry_file()).unwrap(), broken, "{args:?}");
    }
    assert!(!env.sessions_dir().join("y").exists());
    assert_eq!(env.branches(), ["main", "x"]);
}

#[test]
fn a_nonempty_target_folder_is_refused_with_no_leftovers() {
    let env = TestEnv::new();
    write_file(&env.sessions_dir().join("taken/precious.txt"), "keep me\n");
    let registry = env.registry_bytes();
    env.sessions()
        .args(["new", "taken", "--no-agent"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not empty"));
    assert_eq!(
        fs::read_to_string(env.sessions_dir().join("taken/precious.txt")).unwrap(),
        "keep me\n"
    );
    assert_eq!(env.branches(), ["main"]);
    assert!(env.admin_entries().is_empty());
    assert_eq!(env.registry_bytes(), registry);
}

#[test]
fn a_git_failure_mid_create_is_rolled_back() {
    let env = TestEnv::new();
    // git runs post-checkout after it has made the worktree; failing there
    // is a failure half-way through creation.
    let hook = env.git_dir().join("hooks/post-checkout");
    write_file(&hook, "#!/bin/sh\necho hook says no >&2\nexit 1\n");
    make_executable(&hook);
    let registry = env.registry_bytes();
    env.sessions()
        .args(["new", "half", "--no-agent"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("hook says no"));
    assert_nothing_created(&env, "half");
    assert_eq!(env.registry_bytes(), registry);
    assert!(
        !env.sessions_dir().exists(),
        "the folder made for it is gone"
    );
}

#[test]
fn a_signal_mid_create_is_rolled_back() {
    let env = TestEnv::new();
    // SIGTERM to the running `sessions` once git has made the worktree: the
    // moment a person's Ctrl-C or a killed terminal would arrive half-way.
    // The hook learns the pid from a file the test writes after spawning.
    // Deterministic: the signal is pending on `sessions` before git exits,
    // and its handler sets the flag before its wait for git returns.
    let pid_file = env.pid_hook("post-checkout", "", "kill -TERM \"$pid\"");
    let registry = env.registry_bytes();
    let output = env.run_handing_pid(&["new", "cut", "--no-agent"], &pid_file);
    assert_eq!(output.status.code(), Some(130), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("interrupted"),
        "{}",
        stderr_of(&output)
    );
    assert_nothing_created(&env, "cut");
    assert_eq!(env.registry_bytes(), registry);
    assert!(
        !env.sessions_dir().exists(),
        "the folder made for it is gone"
    );
}

#[test]
fn outside_a_repository_is_invalid_usage() {
    let env = TestEnv::new();
    let outside = env.root().join("home");
    for args in [&["list"][..], &["new", "x", "--no-agent"], &["path", "x"]] {
        env.sessions_in(&outside)
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("not in a git repository"));
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    env.sessions().arg("frobnicate").assert().code(2);
    env.sessions().arg("rm").assert().code(2);
}

fn assert_nothing_created(env: &TestEnv, name: &str) {
    assert!(
        !env.branches().contains(&name.to_string()),
        "branch {name} exists"
    );
    assert!(
        !env.sessions_dir().join(name).exists(),
        "folder for {name} exists"
    );
    assert!(
        env.admin_entries().is_empty(),
        "git admin entries: {:?}",
        env.admin_entries()
    );
    assert!(
        env.list_json().iter().all(|s| s["name"] != name),
        "{name} is in the registry"
    );
}
