//! Regression tests beyond the reviewer's (tests/review_loss.rs) for the
//! second pass on issue 10: a revert sequence in progress, and `land` into a
//! main worktree whose untracked files the landing would overwrite.

mod common;

use std::path::{Path, PathBuf};

use common::{TestEnv, write_file};

/// Session `s` in the middle of `git revert A B`: reverting A conflicted,
/// was resolved and committed, so only `sequencer/` is left and git says
/// "Revert currently in progress". Its branch is pushed.
fn mid_revert_sequence() -> (TestEnv, PathBuf) {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "README.md", "a\n", "A edits README");
    env.commit_in(&dir, "b.txt", "b\n", "B adds b");
    env.commit_in(&dir, "README.md", "c\n", "C edits README again");
    env.git_in(&dir, &["push", "-q", "origin", "s"]);
    let reverted = env
        .command_in("git", &dir)
        .args(["revert", "--no-edit", "HEAD~2", "HEAD~1"])
        .output()
        .unwrap();
    assert!(!reverted.status.success(), "reverting A conflicts");
    write_file(&dir.join("README.md"), "resolved\n");
    env.git_in(&dir, &["add", "README.md"]);
    env.git_in(
        &dir,
        &["-c", "core.editor=true", "commit", "-q", "--no-edit"],
    );
    let status = env.git_in(&dir, &["status"]);
    assert!(status.contains("Revert currently in progress"), "{status}");
    (env, dir)
}

#[test]
fn sync_and_rm_refuse_a_revert_sequence_in_progress() {
    let (env, dir) = mid_revert_sequence();
    env.commit_in(&env.repo, "main.txt", "main\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);
    let head = env.git_in(&dir, &["rev-parse", "HEAD"]);

    let stderr = env.exits_with(&["sync", "s"], 3);
    assert!(stderr.contains("a revert in progress"), "{stderr}");
    assert_eq!(env.git_in(&dir, &["rev-parse", "HEAD"]), head);

    let stderr = env.exits_with(&["rm", "s"], 3);
    assert!(stderr.contains("a revert in progress"), "{stderr}");
    assert!(dir.join("b.txt").exists());
}

/// Everything a refused land must leave as it was.
fn everything(env: &TestEnv, dir: &Path) -> Vec<String> {
    vec![
        env.git(&["for-each-ref", "--format=%(refname) %(objectname)"]),
        env.git(&["status", "--porcelain=v2", "--branch", "-uall"]),
        env.git_in(dir, &["status", "--porcelain=v2", "--branch", "-uall"]),
        String::from_utf8(env.registry_bytes()).unwrap(),
    ]
}

/// Git itself refuses to overwrite an untracked file of main, but that
/// failure was exit 1; it is a refusal to protect work (3), said before git
/// runs. An untracked file the landing does not touch stands in nobody's way.
#[test]
fn land_refuses_to_overwrite_an_untracked_file_in_main() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "s.txt", "session\n", "session work");
    write_file(&env.repo.join("s.txt"), "mine, untracked\n");
    write_file(&env.repo.join("notes/todo.txt"), "also mine\n");
    let before = everything(&env, &dir);

    let stderr = env.exits_with(&["land", "s"], 3);
    assert!(stderr.contains("untracked file s.txt"), "{stderr}");
    assert_eq!(everything(&env, &dir), before);

    std::fs::remove_file(env.repo.join("s.txt")).unwrap();
    env.exits_with(&["land", "s"], 0);
    assert_eq!(
        std::fs::read_to_string(env.repo.join("notes/todo.txt")).unwrap(),
        "also mine\n"
    );
}
