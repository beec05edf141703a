//! When a session's work counts as merged (so that `clean` removes it) or
//! empty, and which state the table shows first.

use super::*;
use crate::session::testing::{Fixture, commit_in, git};

fn state_of(f: &Fixture, entry: &Entry) -> BranchState {
    let tip = f.tip(&entry.branch);
    branch_state(&f.ws.repo, entry, tip).unwrap()
}

#[test]
fn a_branch_without_commits_is_empty_not_merged() {
    let f = Fixture::new();
    let s = f.session("s");
    let state = state_of(&f, &s);
    assert!(state.empty && !state.merged);
    // Still empty when the base moves on without it.
    f.commit("other", "x");
    let state = state_of(&f, &s);
    assert!(state.empty && !state.merged);
    assert_eq!(state.base_tip, Some(f.tip("main")));
}

#[test]
fn work_not_in_the_base_is_neither() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    let state = state_of(&f, &s);
    assert!(!state.empty && !state.merged);
}

#[test]
fn fast_forward_and_squash_merges_are_merged() {
    let f = Fixture::new();
    let ff = f.session("ff");
    commit_in(&ff.path, "ff", "1");
    git(&f.dir, &["merge", "-q", "--ff-only", "ff"]);
    assert!(state_of(&f, &ff).merged);

    let squashed = f.session("squashed");
    commit_in(&squashed.path, "a", "1");
    commit_in(&squashed.path, "b", "2");
    git(&f.dir, &["merge", "-q", "--squash", "squashed"]);
    git(&f.dir, &["commit", "-q", "-m", "squash"]);
    let state = state_of(&f, &squashed);
    assert!(state.merged && !state.empty);
}

#[test]
fn half_of_the_work_in_the_base_is_not_merged() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "a", "1");
    commit_in(&s.path, "b", "2");
    f.commit("a", "1");
    assert!(!state_of(&f, &s).merged);
}

/// The rule that keeps `clean` from deleting work: commits that undo each
/// other leave nothing to merge, but they are not in the base.
#[test]
fn commits_that_cancel_out_are_not_merged() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "tmp", "x");
    git(&s.path, &["rm", "-q", "tmp"]);
    git(&s.path, &["commit", "-q", "-m", "undo"]);
    let state = state_of(&f, &s);
    assert!(!state.merged && !state.empty);
}

#[test]
fn a_base_that_no_longer_resolves_falls_back_to_the_start() {
    let f = Fixture::new();
    let mut s = f.session("s");
    s.base = "gone".into();
    assert_eq!(base_tip(&f.ws.repo, &s), Some(f.tip("main")));
    commit_in(&s.path, "work", "w");
    assert!(!state_of(&f, &s).merged);
    // Neither a base nor a recorded start: nothing to be merged into.
    s.base_commit = "not a commit".into();
    assert_eq!(base_tip(&f.ws.repo, &s), None);
    let state = state_of(&f, &s);
    assert!(!state.merged && !state.empty);
}

#[test]
fn a_worktree_is_gone_without_its_folder_or_git_s_record() {
    let f = Fixture::new();
    let s = f.session("s");
    let worktrees = f.ws.repo.worktrees().unwrap();
    assert!(!worktree_gone(&worktrees, &s.path));
    // A folder git does not know as a worktree.
    let plain = f.dir.with_file_name("plain");
    std::fs::create_dir(&plain).unwrap();
    assert!(worktree_gone(&worktrees, &plain));
    std::fs::remove_dir_all(&s.path).unwrap();
    assert!(worktree_gone(&worktrees, &s.path));
    let worktrees = f.ws.repo.worktrees().unwrap();
    assert!(worktree_gone(&worktrees, &s.path));
}

#[test]
fn the_state_shown_is_the_first_that_applies() {
    let f = Fixture::new();
    let s = f.session("s");
    let worktrees = f.ws.repo.worktrees().unwrap();
    let mut summary = summarize(&f.ws.repo, &worktrees, s, Batch::Alone).unwrap();
    assert_eq!(summary.state(), "empty");
    summary.empty = false;
    assert_eq!(summary.state(), "open");
    summary.merged = true;
    summary.empty = true;
    assert_eq!(summary.state(), "merged");
    summary.head = None;
    assert_eq!(summary.state(), "no branch");
    summary.missing = true;
    assert_eq!(summary.state(), "missing");
}
