//! Work kept through odd states: git sequences in progress, nested
//! worktrees and repositories, branches checked out twice, sessions a hook
//! would share, and what doctor --fix must leave alone. These are the holes
//! a second adversarial pass on issue 10 found; each test names the item it
//! reopened.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, stderr_of, write_file};

/// Runs git in DIR, which may fail; whether it succeeded.
fn git_may_fail(env: &TestEnv, dir: &Path, args: &[&str]) -> bool {
    env.command_in("git", dir)
        .args(args)
        .output()
        .unwrap()
        .status
        .success()
}

/// Item 11 (a branch whose commits cancel out is work) and 21: a single
/// `doctor --fix` drops a session whose folder is gone, keeps its branch
/// because "it has commits that exist nowhere else", and in the same run
/// deletes that branch as "merged": content_merged alone judges left-behind
/// branches, without the cancel-out rule `rm` applies.
#[test]
fn doctor_fix_keeps_a_left_branch_whose_commits_cancel_out() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "work.txt", "work\n", "add work");
    env.git_in(&dir, &["rm", "-q", "work.txt"]);
    env.git_in(&dir, &["commit", "-q", "-m", "drop work"]);
    let tip = env.git_in(&dir, &["rev-parse", "HEAD"]);
    fs::remove_dir_all(&dir).unwrap();

    env.sessions().args(["doctor", "--fix"]).output().unwrap();
    env.sessions().args(["doctor", "--fix"]).output().unwrap();
    assert!(
        env.branches().contains(&"s".to_string()),
        "branch 's' ({tip}) held two commits that exist nowhere else; doctor --fix deleted it"
    );
}

/// Item 10: a nested repository (in an ignored folder) whose work is in a
/// stash entry, or in a commit only a tag holds, counts as work; `rm`
/// removes it and the stash and the tagged commit with it.
#[test]
fn rm_refuses_a_nested_repository_whose_work_is_only_stashed_or_tagged() {
    for keep in ["stash", "tag"] {
        let env = TestEnv::cloned();
        let dir = env.new_session("s");
        let nested = dir.join("target/nested");
        fs::create_dir_all(&nested).unwrap();
        env.git_in(&nested, &["init", "-q"]);
        env.commit_in(&nested, "f.txt", "1\n", "first");
        // Its history is on its remote.
        env.git_in(&nested, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
        if keep == "stash" {
            write_file(&nested.join("f.txt"), "precious\n");
            env.git_in(&nested, &["stash", "-q"]);
        } else {
            env.commit_in(&nested, "f.txt", "precious\n", "precious");
            env.git_in(&nested, &["tag", "keep"]);
            env.git_in(&nested, &["reset", "-q", "--hard", "HEAD~1"]);
        }
        let stderr = env.exits_with(&["rm", "s"], 3);
        assert!(stderr.contains("nested repository"), "{keep}: {stderr}");
        assert!(nested.join(".git").exists(), "{keep}");
    }
}

/// A session whose worktree is in the middle of a multi-commit cherry-pick:
/// the first pick conflicted, was resolved and committed, so git has no
/// CHERRY_PICK_HEAD but keeps `sequencer/` and says "Cherry-pick currently
/// in progress". Returns the env and the session's worktree.
fn mid_cherry_pick_sequence() -> (TestEnv, PathBuf) {
    let env = TestEnv::cloned();
    env.git(&["switch", "-q", "-c", "feat"]);
    env.commit_in(&env.repo, "README.md", "feat\n", "feat edits README");
    env.commit_in(&env.repo, "b.txt", "b\n", "feat adds b");
    env.git(&["push", "-q", "origin", "feat"]);
    env.git(&["switch", "-q", "main"]);
    let dir = env.new_session("s");
    env.commit_in(&dir, "README.md", "mine\n", "session edits README");
    assert!(!git_may_fail(
        &env,
        &dir,
        &["cherry-pick", "origin/feat~1", "origin/feat"]
    ));
    write_file(&dir.join("README.md"), "resolved\n");
    env.git_in(&dir, &["add", "README.md"]);
    env.git_in(
        &dir,
        &["-c", "core.editor=true", "commit", "-q", "--no-edit"],
    );
    let status = env.git_in(&dir, &["status"]);
    assert!(
        status.contains("Cherry-pick currently in progress"),
        "{status}"
    );
    (env, dir)
}

/// Item 8: sync refuses any operation in progress. It rebased a session in
/// the middle of a cherry-pick sequence.
#[test]
fn sync_refuses_a_cherry_pick_sequence_in_progress() {
    let (env, dir) = mid_cherry_pick_sequence();
    env.commit_in(&env.repo, "main.txt", "main\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);
    let head = env.git_in(&dir, &["rev-parse", "HEAD"]);
    let output = env.sessions().args(["sync", "s"]).output().unwrap();
    assert_eq!(
        env.git_in(&dir, &["rev-parse", "HEAD"]),
        head,
        "sync rewrote a session with a cherry-pick in progress: {}",
        stderr_of(&output)
    );
}

/// Item 8: rm refuses any operation in progress (without --force). It
/// removed a session in the middle of a cherry-pick sequence, whose branch
/// is pushed, and the sequence's state with it.
#[test]
fn rm_refuses_a_cherry_pick_sequence_in_progress() {
    let (env, dir) = mid_cherry_pick_sequence();
    env.git_in(&dir, &["push", "-q", "origin", "s"]);
    let stderr = env.exits_with(&["rm", "s"], 3);
    assert!(stderr.contains("cherry-pick"), "{stderr}");
    assert!(dir.exists());
}

/// Item 8 (only an operation sessions started is aborted) and 16: a `sync`
/// killed before git changed anything leaves its record; the user then
/// starts a rebase of their own, which stops on a conflict they resolve by
/// hand. `doctor --fix` takes that rebase for the killed sync's (its
/// ORIG_HEAD is the same tip), aborts it, and the resolution is gone.
#[test]
fn doctor_fix_leaves_a_rebase_the_user_started_after_a_killed_sync() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "README.md", "mine\n", "session edits README");
    env.commit_in(&env.repo, "README.md", "theirs\n", "main edits README");
    env.git(&["push", "-q", "origin", "main"]);
    // pre-rebase: git asks it before it changes anything; it kills
    // `sessions` and refuses, so git changes nothing.
    let pid_file = env.pid_hook("pre-rebase", "", "kill -KILL \"$pid\"\nexit 1");
    env.run_killed(&["sync", "s"], &pid_file, "pre-rebase");

    // The user's own rebase, stopped on the conflict, resolved by hand.
    assert!(!git_may_fail(&env, &dir, &["rebase", "origin/main"]));
    write_file(&dir.join("README.md"), "my careful resolution\n");

    env.sessions().args(["doctor", "--fix"]).output().unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("README.md")).unwrap(),
        "my careful resolution\n",
        "doctor --fix aborted the user's own rebase"
    );
    let status = env.git_in(&dir, &["status"]);
    assert!(status.contains("rebase in progress"), "{status}");
}

/// Item 11 (commits only the worktree holds are work), through `doctor
/// --fix` undoing a `new` that was killed after git made the worktree: it
/// removes the worktree as "clean" although a commit is held only by its
/// `refs/worktree/*` and its HEAD reflog (committed, then `reset --hard`).
#[test]
fn doctor_fix_undoing_a_killed_new_keeps_commits_only_its_worktree_holds() {
    let env = TestEnv::cloned();
    // post-checkout: git runs it once the worktree is made, before `new`
    // registers it.
    let pid_file = env.pid_hook("post-checkout", "", "kill -KILL \"$pid\"");
    env.run_killed(
        &["new", "s", "--base", "origin/main", "--no-agent"],
        &pid_file,
        "post-checkout",
    );
    let dir = env.sessions_dir().join("s");
    assert!(dir.join(".git").exists(), "git made the worktree");
    env.commit_in(&dir, "work.txt", "precious\n", "precious work");
    let precious = env.git_in(&dir, &["rev-parse", "HEAD"]);
    env.git_in(&dir, &["update-ref", "refs/worktree/keep", "HEAD"]);
    env.git_in(&dir, &["reset", "-q", "--hard", "HEAD~1"]);

    env.sessions().args(["doctor", "--fix"]).output().unwrap();
    assert!(
        dir.join(".git").exists(),
        "doctor --fix removed the worktree holding commit {precious}, which exists nowhere else"
    );
}

/// `rm --force` overrides this session's risks, never another session's
/// work: a session whose worktree lies inside the removed one's folder (an
/// ignored folder) is deleted with it, uncommitted work and all, and left
/// `missing`.
#[test]
fn rm_force_never_deletes_another_sessions_worktree_inside() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    let inner = dir.join("target/other");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        inner.to_str().unwrap(),
    ]);
    env.sessions()
        .args(["adopt", inner.to_str().unwrap()])
        .assert()
        .success();
    write_file(&inner.join("new.txt"), "uncommitted work\n");

    let output = env
        .sessions()
        .args(["rm", "--force", "s"])
        .output()
        .unwrap();
    assert!(
        inner.join("new.txt").exists(),
        "rm --force s deleted session 'other' inside it: {}",
        stderr_of(&output)
    );
}

/// Item 7 (land/sync act only when the worktree is on the session's branch,
/// and nowhere else): a session branch that is also checked out in the main
/// worktree (`git checkout --ignore-other-worktrees`) is rebased under it,
/// and main's index then stages the undoing of the base's commit.
#[test]
fn sync_refuses_a_branch_also_checked_out_in_another_worktree() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&env.repo, "main.txt", "main\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);
    env.commit_in(&dir, "s.txt", "session\n", "session work");
    env.git(&["checkout", "-q", "--ignore-other-worktrees", "s"]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");

    env.sessions().args(["sync", "s"]).output().unwrap();
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        "",
        "sync rewrote branch 's' under the main worktree, which has it checked out"
    );
}

/// Item 19: `claude -w NAME` never shares a busy session. A second Claude
/// carrying the same session id (`claude --resume ID -w NAME` in a second
/// terminal while the first still works there) is handed the worktree
/// without any check for the process working in it.
#[test]
fn worktree_create_never_shares_a_busy_session_even_with_the_same_session_id() {
    let env = TestEnv::cloned();
    let input = serde_json::json!({
        "session_id": "same-id", "cwd": env.repo,
        "hook_event_name": "WorktreeCreate", "name": "x"
    })
    .to_string();
    let first = env
        .sessions()
        .args(["hook", "WorktreeCreate"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr_of(&first));
    let mut agent = crate::common::sleeper_in(&env.sessions_dir().join("x"));

    let second = env
        .sessions()
        .args(["hook", "WorktreeCreate"])
        .write_stdin(input)
        .output()
        .unwrap();
    agent.kill().unwrap();
    agent.wait().unwrap();
    assert_eq!(
        second.status.code(),
        Some(1),
        "a session another process works in was shared: {}",
        String::from_utf8_lossy(&second.stdout)
    );
}

/// Item 11, through `doctor --fix`: once it forgets a session whose folder
/// was replaced by a symlink (it says "touches no folder ... branch 's' is
/// untouched"), the same run drops git's admin entry of that worktree,
/// which held a commit only its detached HEAD had, and deletes branch 's'.
#[test]
fn doctor_fix_never_drops_an_admin_entry_holding_worktree_only_commits() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.git_in(&dir, &["checkout", "-q", "--detach"]);
    env.commit_in(&dir, "d.txt", "precious\n", "detached work");
    let precious = env.git_in(&dir, &["rev-parse", "HEAD"]);
    fs::rename(&dir, env.root().join("moved")).unwrap();
    let elsewhere = env.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();

    let output = env.sessions().args(["doctor", "--fix"]).output().unwrap();
    assert!(
        env.git_dir().join("worktrees/s").is_dir(),
        "doctor --fix dropped the admin entry whose HEAD alone held {precious}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

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
