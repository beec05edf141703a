//! `sessions doctor` and `sessions adopt`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, dead_pid, finding_kinds, stderr_of};
use serde_json::Value;

/// What `git worktree add -b NAME <root>/NAME` makes, outside sessions.
fn worktree_outside(env: &TestEnv, name: &str) -> PathBuf {
    let path = env.root().join(name);
    env.git(&["worktree", "add", "-q", "-b", name, path.to_str().unwrap()]);
    path
}

/// What `claude -w NAME` makes, with plain git: its worktree and branch.
fn claude_worktree(env: &TestEnv, name: &str) -> PathBuf {
    let rel = format!(".claude/worktrees/{name}");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        &format!("worktree-{name}"),
        &rel,
    ]);
    env.repo.join(rel)
}

fn lock(env: &TestEnv, path: &Path, reason: &str) {
    env.git(&[
        "worktree",
        "lock",
        "--reason",
        reason,
        path.to_str().unwrap(),
    ]);
}

#[test]
fn a_healthy_repository_has_no_findings() {
    let env = TestEnv::new();
    env.new_session("fine");
    let (output, report) = env.doctor(&[]);
    assert!(output.status.success(), "{report}");
    assert_eq!(report["healthy"], true);
    let text = env.sessions().arg("doctor").output().unwrap();
    assert!(text.status.success());
    assert!(stderr_of(&text).contains("No problems found."));
}

#[test]
fn a_session_whose_folder_is_gone_is_dropped() {
    let env = TestEnv::new();
    let path = env.new_session("gone");
    fs::remove_dir_all(&path).unwrap();
    let text = env.sessions().arg("doctor").output().unwrap();
    assert_eq!(text.status.code(), Some(1));
    let line = String::from_utf8(text.stdout.clone()).unwrap();
    assert!(
        line.contains("is gone") && line.contains("`sessions rm gone`"),
        "{line}"
    );
    assert!(stderr_of(&text).contains("doctor --fix"));

    env.found_then_fixed(&["missing_folder"]);
    assert!(env.list_json().is_empty());
    assert!(env.admin_entries().is_empty());
    assert!(
        !env.branches().contains(&"gone".to_string()),
        "empty branch deleted"
    );
}

#[test]
fn a_worktree_made_by_git_is_adopted() {
    let env = TestEnv::new();
    let other = worktree_outside(&env, "other");
    env.found_then_fixed(&["unowned_worktree"]);
    let s = env.listed("other");
    assert_eq!(s["path"], other.to_str().unwrap());
    assert_eq!(s["owns_branch"], false);
    assert_eq!(s["branch"], "other");
}

#[test]
fn an_admin_entry_whose_folder_is_gone_is_pruned() {
    let env = TestEnv::new();
    let other = worktree_outside(&env, "other");
    fs::remove_dir_all(&other).unwrap();
    env.found_then_fixed(&["prunable_admin_entry"]);
    assert!(env.admin_entries().is_empty());
    assert!(
        env.branches().contains(&"other".to_string()),
        "branches stay"
    );
}

#[test]
fn an_adopted_claude_worktree_with_a_stale_lock_is_unlocked() {
    let env = TestEnv::new();
    let path = claude_worktree(&env, "fix-login");
    let reason = format!("claude session fix-login (pid {} start 12345)", dead_pid());
    lock(&env, &path, &reason);

    let (_, report) = env.doctor(&[]);
    assert_eq!(
        finding_kinds(&report),
        ["stale_lock", "unowned_worktree"],
        "{report}"
    );
    assert!(
        report["findings"][1]["problem"]
            .as_str()
            .unwrap()
            .contains("claude -w"),
        "{report}"
    );

    let output = env
        .sessions()
        .args(["adopt", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let s = env.listed("fix-login");
    assert_eq!(s["branch"], "worktree-fix-login");
    assert_eq!(s["owns_branch"], false);
    assert_eq!(s["locked"], reason.as_str());

    env.found_then_fixed(&["stale_lock"]);
    assert_eq!(env.listed("fix-login")["locked"], Value::Null);
    // A session cannot be adopted twice.
    let again = env
        .sessions()
        .args(["adopt", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

#[test]
#[cfg(target_os = "linux")]
fn a_live_claude_lock_is_left_alone() {
    use crate::common::procs::start_of;
    let env = TestEnv::new();
    let path = claude_worktree(&env, "busy");
    let pid = std::process::id();
    let reason = format!("claude session busy (pid {pid} start {})", start_of(pid));
    lock(&env, &path, &reason);
    let output = env.sessions().args(["adopt", "--all"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (output, report) = env.doctor(&["--fix"]);
    assert!(output.status.success(), "{report}");
    assert_eq!(env.listed("busy")["locked"], reason.as_str());
}

#[test]
fn left_behind_branches_are_reported_and_deleted_once_merged() {
    let env = TestEnv::new();
    let remote = env.root().join("remote.git");
    env.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    env.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let path = env.new_session("pushed");
    env.commit_in(&path, "p.txt", "p\n", "pushed work");
    env.git_in(&path, &["push", "-q", "origin", "pushed"]);
    let output = env.sessions().args(["rm", "pushed"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(env.branches().contains(&"pushed".to_string()));
    // And a branch `claude -w` left when its worktree went.
    let claude = claude_worktree(&env, "old");
    env.git(&["worktree", "remove", claude.to_str().unwrap()]);

    // Unmerged work is reported but never deleted.
    let (output, report) = env.doctor(&["--fix"]);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(finding_kinds(&report), ["left_branch"], "{report}");
    assert_eq!(report["findings"][0]["fixable"], false);
    assert!(env.branches().contains(&"pushed".to_string()));
    // Not recorded as made by sessions: never deleted (issue 10, item 21).
    assert!(env.branches().contains(&"worktree-old".to_string()));

    env.git(&["merge", "-q", "--no-edit", "pushed"]);
    env.found_then_fixed(&["left_branch"]);
    assert_eq!(env.branches(), ["main", "worktree-old"]);
}

#[test]
fn a_corrupt_registry_is_rebuilt_keeping_a_backup() {
    let env = TestEnv::new();
    let path = env.new_session("kept");
    let claude = claude_worktree(&env, "cw");
    fs::write(env.registry_file(), "version = 1\n[[session]\nname = ").unwrap();
    let list = env.sessions().arg("list").output().unwrap();
    assert_eq!(list.status.code(), Some(1));
    assert!(stderr_of(&list).contains("doctor --fix"));

    let fixed = env.found_then_fixed(&["corrupt_registry"]);
    let done = fixed["fixed"][0]["done"].as_str().unwrap();
    assert!(done.contains("registry.toml.bak-"), "{done}");
    let backups: Vec<PathBuf> = fs::read_dir(env.registry_file().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("registry.toml.bak-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        fs::read_to_string(&backups[0]).unwrap(),
        "version = 1\n[[session]\nname = "
    );
    let kept = env.listed("kept");
    assert_eq!(kept["path"], path.to_str().unwrap());
    assert_eq!(
        kept["owns_branch"], false,
        "ownership is unknown, so never claimed"
    );
    assert_eq!(env.listed("cw")["path"], claude.to_str().unwrap());
}

#[test]
fn adopt_all_and_its_refusals() {
    let env = TestEnv::new();
    env.new_session("mine");
    worktree_outside(&env, "a");
    let detached = env.root().join("detached");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        detached.to_str().unwrap(),
    ]);

    let not_worktree = env
        .sessions()
        .args(["adopt", env.root().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(not_worktree.status.code(), Some(2));
    let main = env.sessions().args(["adopt", "."]).output().unwrap();
    assert_eq!(main.status.code(), Some(2));
    let neither = env.sessions().arg("adopt").output().unwrap();
    assert_eq!(neither.status.code(), Some(2));

    let output = env.sessions().args(["adopt", "--all"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("no branch is checked out"));
    assert_eq!(env.session_names(), ["a", "mine"]);
}
