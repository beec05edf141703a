//! What `rm`, `clean` and `doctor --fix` must never lose: work git's own
//! status does not show, commits only a worktree holds, other worktrees'
//! admin entries, and operations in progress. Each test runs in a clone
//! whose sessions start from `origin/main`, as users' do.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, make_executable, stderr_of, write_file};
use predicates::prelude::*;

/// A session on a branch pushed to origin, so that its branch alone puts
/// nothing at risk: whatever `rm` refuses is down to what the test adds.
fn pushed_session(env: &TestEnv, name: &str) -> PathBuf {
    let path = env.new_session(name);
    assert_eq!(env.listed(name)["base"], "origin/main");
    env.commit_in(&path, &format!("{name}.txt"), "work\n", "pushed work");
    env.git_in(&path, &["push", "-q", "origin", name]);
    path
}

/// `sessions rm ARGS` must be refused (exit 3) saying SAYS, leaving the
/// session listed and its folder in place.
fn refused(env: &TestEnv, args: &[&str], says: &str) -> String {
    let name = args.last().unwrap();
    let path = PathBuf::from(env.listed(name)["path"].as_str().unwrap());
    let stderr = env.exits_with(&[&["rm"], args].concat(), 3);
    assert!(stderr.contains(says), "expected {says:?} in: {stderr}");
    assert!(path.is_dir(), "{} was removed", path.display());
    env.listed(name);
    stderr
}

/// Makes a commit in DIR without any ref or reflog pointing at it; its id.
fn dangling_commit(env: &TestEnv, dir: &Path) -> String {
    env.git_in(
        dir,
        &[
            "commit-tree",
            "HEAD^{tree}",
            "-p",
            "HEAD",
            "-m",
            "only here",
        ],
    )
}

#[test]
fn rm_refuses_an_operation_in_progress_and_force_overrides() {
    let env = TestEnv::cloned();
    let path = pushed_session(&env, "rebasing");
    // The user's interactive rebase, stopped at its first commit.
    let mut rebase = env.command_in("git", &path);
    rebase
        .args(["rebase", "-i", "origin/main"])
        .env("GIT_SEQUENCE_EDITOR", "sed -i s/^pick/edit/");
    assert!(rebase.output().unwrap().status.success());
    refused(&env, &["rebasing"], "a rebase in progress");
    env.sessions()
        .args(["rm", "--force", "rebasing"])
        .assert()
        .success();
    assert!(!path.exists());
}

#[test]
fn clean_keeps_a_merged_session_with_a_bisect_in_progress() {
    let env = TestEnv::cloned();
    let path = env.new_session("bisecting");
    env.commit_in(&path, "b.txt", "b\n", "merged work");
    env.git(&["merge", "-q", "--ff-only", "bisecting"]);
    env.git(&["push", "-q", "origin", "main"]);
    env.git_in(&path, &["bisect", "start"]);
    let output = env.sessions().args(["clean", "--yes"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("a bisect in progress"), "{said}");
    assert!(path.is_dir());
    env.listed("bisecting");
}

#[test]
fn doctor_fix_keeps_a_missing_session_with_a_rebase_in_progress() {
    let env = TestEnv::cloned();
    let path = pushed_session(&env, "away");
    let mut rebase = env.command_in("git", &path);
    rebase
        .args(["rebase", "-i", "origin/main"])
        .env("GIT_SEQUENCE_EDITOR", "sed -i s/^pick/edit/");
    assert!(rebase.output().unwrap().status.success());
    fs::remove_dir_all(&path).unwrap();
    let admin = env.admin_entries();
    assert_eq!(admin.len(), 1);
    let output = env.sessions().args(["doctor", "--fix"]).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr_of(&output)
    );
    assert!(said.contains("a rebase in progress"), "{said}");
    env.listed("away");
    assert_eq!(env.admin_entries(), admin, "the rebase's state is kept");
}

#[test]
fn a_file_written_by_teardown_is_checked_for_and_kept() {
    let env = TestEnv::cloned();
    let path = pushed_session(&env, "torn");
    env.user_config("teardown = [\"echo state > teardown-output.txt\"]\n");
    let stderr = refused(&env, &["torn"], "1 untracked file");
    assert!(stderr.contains("after teardown"), "{stderr}");
    assert_eq!(
        fs::read_to_string(path.join("teardown-output.txt")).unwrap(),
        "state\n"
    );
}

#[test]
fn a_nested_repository_added_without_gitmodules_is_work() {
    let env = TestEnv::cloned();
    let path = env.new_session("nested");
    let nested = path.join("vendor/lib");
    fs::create_dir_all(&nested).unwrap();
    env.git_in(&nested, &["init", "-q", "-b", "main"]);
    env.commit_in(&nested, "lib.rs", "lib\n", "nested work");
    env.git_in(&nested, &["branch", "unpushed"]);
    env.git_in(&path, &["add", "vendor/lib"]);
    env.git_in(&path, &["commit", "-q", "-m", "add a nested repository"]);
    env.git_in(&path, &["push", "-q", "origin", "nested"]);
    assert!(!path.join(".gitmodules").exists());
    refused(&env, &["nested"], "nested repository at");
    assert!(nested.join("lib.rs").exists());
}

#[test]
fn a_nested_repository_whose_commits_are_pushed_is_not_work() {
    let env = TestEnv::cloned();
    let path = pushed_session(&env, "vendored");
    let upstream = env.root().join("lib.git");
    env.git(&["init", "-q", "--bare", upstream.to_str().unwrap()]);
    let nested = path.join("target/lib");
    fs::create_dir_all(&nested).unwrap();
    env.git_in(&nested, &["init", "-q", "-b", "main"]);
    env.commit_in(&nested, "lib.rs", "lib\n", "published");
    env.git_in(
        &nested,
        &["remote", "add", "origin", upstream.to_str().unwrap()],
    );
    env.git_in(&nested, &["push", "-q", "-u", "origin", "main"]);
    env.sessions().args(["rm", "vendored"]).assert().success();
    assert!(!path.exists());
}

#[test]
fn commits_on_a_detached_head_are_work() {
    let env = TestEnv::cloned();
    let path = env.new_session("detached");
    env.git_in(&path, &["checkout", "-q", "--detach"]);
    env.commit_in(&path, "d.txt", "d\n", "detached work");
    refused(&env, &["detached"], "1 commit that exists nowhere else");
}

#[test]
fn commits_kept_only_by_the_head_reflog_are_work() {
    let env = TestEnv::cloned();
    let path = env.new_session("reset");
    env.commit_in(&path, "r.txt", "r\n", "work thrown away by mistake");
    env.git_in(&path, &["reset", "-q", "--hard", "HEAD~1"]);
    refused(&env, &["reset"], "its HEAD reflog");
}

#[test]
fn commits_kept_only_by_a_per_worktree_ref_are_work() {
    let env = TestEnv::cloned();
    let path = env.new_session("worktree-ref");
    let commit = dangling_commit(&env, &path);
    env.git_in(&path, &["update-ref", "refs/worktree/keep", &commit]);
    refused(&env, &["worktree-ref"], "1 commit that exists nowhere else");
}

#[test]
fn commits_of_an_interactive_rebase_in_progress_are_work() {
    let env = TestEnv::cloned();
    let path = pushed_session(&env, "amending");
    let mut rebase = env.command_in("git", &path);
    rebase
        .args(["rebase", "-i", "origin/main"])
        .env("GIT_SEQUENCE_EDITOR", "sed -i s/^pick/edit/");
    assert!(rebase.output().unwrap().status.success());
    env.git_in(&path, &["commit", "-q", "--amend", "-m", "rewritten"]);
    let stderr = refused(&env, &["amending"], "a rebase in progress");
    assert!(stderr.contains("on its detached HEAD"), "{stderr}");
}

#[test]
fn a_branch_whose_commits_cancel_out_is_not_merged() {
    let env = TestEnv::cloned();
    let path = env.new_session("undone");
    env.commit_in(&path, "u.txt", "u\n", "add");
    env.git_in(&path, &["revert", "--no-edit", "HEAD"]);
    assert_eq!(env.listed("undone")["merged"], false);
    refused(
        &env,
        &["undone"],
        "branch 'undone' has 2 commits that exist",
    );
    assert!(env.branches().contains(&"undone".to_string()));
}

#[test]
fn changes_hidden_by_assume_unchanged_or_skip_worktree_are_work() {
    let env = TestEnv::cloned();
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        let name = &flag[2..];
        let path = env.new_session(name);
        env.git_in(&path, &["update-index", flag, "README.md"]);
        write_file(&path.join("README.md"), "changed\n");
        assert_eq!(env.git_in(&path, &["status", "--porcelain"]), "");
        refused(&env, &[name], "assume-unchanged or skip-worktree");
    }
}

#[test]
fn a_nested_repository_in_an_ignored_folder_is_work() {
    let env = TestEnv::cloned();
    let path = env.new_session("ignored-nested");
    let nested = path.join("target/scratch");
    fs::create_dir_all(&nested).unwrap();
    env.git_in(&nested, &["init", "-q", "-b", "main"]);
    env.commit_in(&nested, "notes.txt", "notes\n", "only here");
    refused(&env, &["ignored-nested"], "target/scratch");
    // Ignored files without a repository of their own still go.
    fs::remove_dir_all(&nested).unwrap();
    write_file(&path.join("target/debug/out"), "noise\n");
    env.sessions()
        .args(["rm", "ignored-nested"])
        .assert()
        .success();
}

#[test]
fn configuration_that_hides_untracked_files_is_ignored() {
    let env = TestEnv::cloned();
    env.git(&["config", "status.showUntrackedFiles", "no"]);
    let path = env.new_session("hidden-untracked");
    write_file(&path.join("notes.txt"), "mine\n");
    assert_eq!(env.git_in(&path, &["status", "--porcelain"]), "");
    refused(&env, &["hidden-untracked"], "1 untracked file");
    assert_eq!(env.listed("hidden-untracked")["untracked"], 1);
}

#[test]
fn configuration_that_hides_submodule_changes_is_ignored() {
    let env = TestEnv::cloned();
    let upstream = env.root().join("sub.git");
    env.git(&["init", "-q", "--bare", upstream.to_str().unwrap()]);
    let seed = env.root().join("seed");
    fs::create_dir_all(&seed).unwrap();
    env.git_in(&seed, &["init", "-q", "-b", "main"]);
    env.commit_in(&seed, "s.txt", "s\n", "sub");
    env.git_in(&seed, &["push", "-q", upstream.to_str().unwrap(), "main"]);
    let path = env.new_session("submodule");
    env.git_in(
        &path,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            upstream.to_str().unwrap(),
            "sub",
        ],
    );
    env.git_in(&path, &["commit", "-q", "-m", "add a submodule"]);
    env.git_in(&path, &["push", "-q", "origin", "submodule"]);
    env.git_in(&path, &["config", "submodule.sub.ignore", "all"]);
    write_file(&path.join("sub/s.txt"), "changed inside\n");
    assert_eq!(env.git_in(&path, &["status", "--porcelain"]), "");
    refused(&env, &["submodule"], "1 modified file");
    assert_eq!(
        fs::read_to_string(path.join("sub/s.txt")).unwrap(),
        "changed inside\n"
    );
}

#[test]
fn removing_a_missing_session_drops_only_its_own_admin_entry() {
    let env = TestEnv::cloned();
    let gone = env.new_session("gone");
    let away = env.new_session("away");
    fs::remove_dir_all(&gone).unwrap();
    // Another worktree whose drive is unplugged: its staged work lives in
    // its admin entry.
    write_file(&away.join("staged.txt"), "staged\n");
    env.git_in(&away, &["add", "staged.txt"]);
    fs::rename(&away, env.root().join("unplugged")).unwrap();
    assert_eq!(env.admin_entries().len(), 2);
    env.sessions().args(["rm", "gone"]).assert().success();
    assert_eq!(env.admin_entries(), ["away"]);
    // Plugged back in, it is all there.
    fs::create_dir_all(away.parent().unwrap()).unwrap();
    fs::rename(env.root().join("unplugged"), &away).unwrap();
    assert_eq!(
        env.git_in(&away, &["diff", "--cached", "--name-only"]),
        "staged.txt"
    );
}

#[test]
fn a_missing_session_git_has_locked_is_never_dropped() {
    let env = TestEnv::cloned();
    let path = env.new_session("usb");
    env.git(&[
        "worktree",
        "lock",
        "--reason",
        "on a usb disk",
        path.to_str().unwrap(),
    ]);
    fs::rename(&path, env.root().join("unplugged")).unwrap();
    let stderr = env.exits_with(&["rm", "--force", "usb"], 3);
    assert!(stderr.contains("git worktree unlock"), "{stderr}");
    assert_eq!(env.admin_entries(), ["usb"]);
    env.listed("usb");
}

#[test]
fn a_git_failure_removing_the_worktree_is_an_error_not_a_refusal() {
    let env = TestEnv::cloned();
    let path = env.new_session("failing");
    // A git that fails `git worktree remove` for a reason of its own.
    let bin = env.root().join("bin");
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    write_file(
        &bin.join("git"),
        &format!(
            "#!/bin/sh\nfor a; do [ \"$a\" = remove ] && {{ echo 'fatal: disk on fire' >&2; exit 128; }}; done\nexec {} \"$@\"\n",
            real.trim()
        ),
    );
    make_executable(&bin.join("git"));
    // No trash folder can be made: rm deletes in place, through git.
    fs::create_dir_all(env.git_dir().join("sessions")).unwrap();
    fs::write(env.git_dir().join("sessions/trash"), "").unwrap();
    let path_var = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    env.sessions()
        .env("PATH", path_var)
        .args(["rm", "failing"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("disk on fire"));
    assert!(path.is_dir());
    env.listed("failing");
}

#[test]
fn commits_rewritten_by_an_amend_or_a_sync_are_not_lost_work() {
    let env = TestEnv::cloned();
    let path = env.new_session("rewritten");
    env.commit_in(&path, "w.txt", "w\n", "first try");
    env.git_in(&path, &["commit", "-q", "--amend", "-m", "second try"]);
    env.commit_in(&env.repo, "other.txt", "o\n", "meanwhile on main");
    env.git(&["push", "-q", "origin", "main"]);
    env.sessions()
        .args(["sync", "rewritten"])
        .assert()
        .success();
    env.git(&["merge", "-q", "--ff-only", "rewritten"]);
    env.git(&["push", "-q", "origin", "main"]);
    env.sessions()
        .args(["rm", "rewritten"])
        .assert()
        .success()
        .stderr(predicate::str::contains("deleted branch 'rewritten'"));
    assert!(!path.exists());
}

/// Ctrl-C (here from the teardown, as the terminal would send it) stops `rm`
/// and `clean` before the session being removed loses anything: exit 130,
/// its worktree, branch and registry entry all still there.
#[test]
fn a_signal_during_rm_or_clean_stops_before_anything_goes() {
    let env = TestEnv::cloned();
    let path = env.new_session("stay");
    // Merged into origin/main, so that `clean` would remove it.
    env.commit_in(&path, "done.txt", "done\n", "finished work");
    env.git_in(&path, &["push", "-q", "origin", "stay:main"]);
    env.git(&["fetch", "-q", "origin"]);
    env.user_config("teardown = [\"kill -INT $PPID\"]\n");
    for args in [&["rm", "stay"][..], &["clean", "--yes"]] {
        let stderr = env.exits_with(args, 130);
        assert!(stderr.contains("interrupted"), "{args:?}: {stderr}");
        assert!(path.join("README.md").exists(), "{args:?}");
        assert_eq!(env.session_names(), ["stay"], "{args:?}");
        assert!(env.branches().contains(&"stay".to_string()), "{args:?}");
    }
}

/// A rebase takes up the commits it rewrites only while its result is
/// kept: a no-op `rebase -i` then `reset --hard` loses them, so does a
/// `drop` in one, and `rm` refuses both.
#[test]
fn commits_a_rebase_left_behind_or_dropped_are_still_work() {
    let env = TestEnv::cloned();
    let undone = env.new_session("undone");
    env.commit_in(&undone, "a.txt", "a\n", "A");
    env.commit_in(&undone, "b.txt", "b\n", "B");
    let rebase = |dir: &Path, editor: &str| {
        let out = env
            .command_in("git", dir)
            .args(["rebase", "-q", "-i", "origin/main"])
            .env("GIT_SEQUENCE_EDITOR", editor)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    };
    rebase(&undone, "true");
    env.git_in(&undone, &["reset", "-q", "--hard", "origin/main"]);
    refused(&env, &["undone"], "2 commits that exist nowhere else");

    let dropped = env.new_session("dropped");
    env.commit_in(&dropped, "c.txt", "c\n", "C");
    env.commit_in(&dropped, "d.txt", "d\n", "D");
    rebase(&dropped, "sed -i '2s/^pick/drop/'");
    env.git_in(&dropped, &["push", "-q", "origin", "dropped"]);
    refused(&env, &["dropped"], "1 commit that exists nowhere else");

    // Two commits alike but for what they change (same message, same
    // second, as an autosave makes them): the one kept is no copy of the
    // one dropped.
    let alike = env.new_session("alike");
    for file in ["precious.txt", "other.txt"] {
        write_file(&alike.join(file), "work\n");
        env.git_in(&alike, &["add", file]);
        let out = env
            .command_in("git", &alike)
            .args(["commit", "-q", "-m", "wip"])
            .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    rebase(&alike, "sed -i '1s/^pick/drop/'");
    env.git_in(&alike, &["push", "-q", "origin", "alike"]);
    refused(&env, &["alike"], "1 commit that exists nowhere else");

    // A commit cut down at an `edit` stop, its message kept.
    let cut = env.new_session("cut");
    write_file(&cut.join("keep.txt"), "k\n");
    env.git_in(&cut, &["add", "keep.txt"]);
    env.commit_in(&cut, "precious.txt", "p\n", "keep and precious");
    rebase(&cut, "sed -i 's/^pick/edit/'");
    env.git_in(&cut, &["rm", "-q", "precious.txt"]);
    env.git_in(&cut, &["commit", "-q", "--amend", "--no-edit"]);
    env.git_in(&cut, &["rebase", "--continue"]);
    env.git_in(&cut, &["push", "-q", "origin", "cut"]);
    refused(&env, &["cut"], "1 commit that exists nowhere else");
}
