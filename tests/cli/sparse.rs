//! Sparse checkouts (issue 15): `new --sparse`, `sparse = [...]`, and a
//! sparse main worktree passing its folders on; `list` and `show` say so.

use std::fs;

use crate::common::{TestEnv, stderr_of};

/// The test repository with folders a, b and c of one file each.
fn three_folders() -> TestEnv {
    let env = TestEnv::new();
    for dir in ["a", "b", "c"] {
        env.write(&format!("{dir}/file.txt"), dir);
    }
    env.git(&["add", "."]);
    env.git(&["commit", "-q", "-m", "folders"]);
    env
}

/// The top-level entries of session NAME's worktree, sorted, `.git` left out.
fn checked_out(env: &TestEnv, name: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(env.sessions_dir().join(name))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".git")
        .collect();
    names.sort();
    names
}

#[test]
fn new_sparse_checks_out_only_those_folders_and_says_so() {
    let env = three_folders();
    let out = env
        .sessions()
        .args(["new", "x", "--no-agent", "--sparse", "a", "c"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // Files at the top always come with cone mode.
    assert_eq!(
        checked_out(&env, "x"),
        [".gitignore", "README.md", "a", "c"]
    );
    let wt = env.sessions_dir().join("x");
    assert_eq!(env.git_in(&wt, &["status", "--porcelain"]), "");
    env.new_session("full");
    assert_eq!(checked_out(&env, "full").len(), 5);

    assert_eq!(env.listed("x")["sparse"], true);
    assert_eq!(env.listed("full")["sparse"], false);
    assert_eq!(env.shown("x")["sparse"], true);
    let out = env.sessions().args(["list", "--wide"]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_string()
    };
    assert!(row("x ").contains("(sparse)"), "{table}");
    assert!(!row("full").contains("(sparse)"), "{table}");
    let out = env.sessions().args(["show", "x"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("(sparse checkout)"));
}

#[test]
fn configured_folders_and_a_sparse_main_worktree_pass_on() {
    let env = three_folders();
    env.user_config("sparse = [\"b\"]\n");
    env.new_session("y");
    assert_eq!(checked_out(&env, "y"), [".gitignore", "README.md", "b"]);

    env.user_config("");
    env.git(&["sparse-checkout", "set", "--cone", "c"]);
    env.new_session("z");
    assert_eq!(checked_out(&env, "z"), [".gitignore", "README.md", "c"]);
    // Asked for, folders win over the main worktree's.
    let out = env
        .sessions()
        .args(["new", "w", "--no-agent", "--sparse", "a"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(checked_out(&env, "w"), [".gitignore", "README.md", "a"]);
}

#[test]
fn a_sparse_path_outside_the_repository_is_refused() {
    let env = three_folders();
    for bad in ["../x", "/etc"] {
        let stderr = env.exits_with(&["new", "x", "--no-agent", "--sparse", bad], 2);
        assert!(stderr.contains("must be a folder inside"), "{stderr}");
    }
    assert!(env.session_names().is_empty() && !env.sessions_dir().join("x").exists());
}
