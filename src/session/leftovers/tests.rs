//! Undoing a `sessions new` that died half-way: what it made goes only as
//! far as it holds nothing; work stays, for `adopt` or as a branch left
//! behind.

use std::fs;

use jiff::Timestamp;

use super::*;
use crate::session::testing::{Fixture, commit_in};

/// The pending record a `new` of session S would have left; the writer is
/// this process, which never counts as running it.
fn pending(f: &Fixture, s: &Entry) -> u32 {
    let pid = std::process::id();
    let mut registry = f.ws.registry.lock().unwrap();
    registry.pending.push(Pending {
        name: s.name.clone(),
        branch: s.branch.clone(),
        path: s.path.clone(),
        creates_branch: true,
        pid,
        pid_start: None,
        started_at: Timestamp::now(),
    });
    registry.save().unwrap();
    pid
}

fn left_and_pending(f: &Fixture) -> (Vec<String>, usize) {
    let registry = f.ws.registry.lock().unwrap();
    let left = registry
        .left_branches
        .iter()
        .map(|l| l.branch.clone())
        .collect();
    (left, registry.pending.len())
}

#[test]
fn a_clean_worktree_and_a_branch_without_work_go() {
    let f = Fixture::new();
    let s = f.session("s");
    let pid = pending(&f, &s);
    let said = undo_new(&f.ws, "s", pid).unwrap();
    assert!(said.contains("removed the clean worktree"), "{said}");
    assert!(said.contains("deleted branch 's'"), "{said}");
    assert!(!s.path.exists());
    assert_eq!(f.ws.repo.branch_tip("s"), None);
    assert_eq!(left_and_pending(&f), (vec![], 0));
}

#[test]
fn commits_no_other_branch_has_keep_the_branch_as_left_behind() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    let pid = pending(&f, &s);
    let said = undo_new(&f.ws, "s", pid).unwrap();
    assert!(said.contains("has commits no other branch has"), "{said}");
    assert!(f.ws.repo.branch_tip("s").is_some());
    assert_eq!(left_and_pending(&f), (vec!["s".to_string()], 0));
}

#[test]
fn a_worktree_with_changes_stays_for_adopt() {
    let f = Fixture::new();
    let s = f.session("s");
    fs::write(s.path.join("draft"), "work").unwrap();
    let pid = pending(&f, &s);
    let said = undo_new(&f.ws, "s", pid).unwrap();
    assert!(
        said.contains("kept") && said.contains("sessions adopt"),
        "{said}"
    );
    assert!(s.path.join("draft").exists());
    // Its branch is checked out there: in use, so it stays too.
    assert!(said.contains("kept branch 's': it is in use"), "{said}");
    assert!(f.ws.repo.branch_tip("s").is_some());
    assert_eq!(left_and_pending(&f).1, 0);
}

#[test]
fn a_session_s_folder_is_left_alone() {
    let f = Fixture::new();
    let s = f.session("s");
    f.register(&[&s]);
    let pid = pending(&f, &s);
    let said = undo_new(&f.ws, "s", pid).unwrap();
    assert!(
        said.contains("left") && said.contains("alone: it is a session's"),
        "{said}"
    );
    assert!(s.path.is_dir());
    assert!(f.ws.repo.branch_tip("s").is_some());
}

#[test]
fn only_the_record_named_is_undone() {
    let f = Fixture::new();
    let s = f.session("s");
    let pid = pending(&f, &s);
    assert!(undo_new(&f.ws, "s", pid + 1).is_err());
    assert!(undo_new(&f.ws, "other", pid).is_err());
    assert!(s.path.is_dir());
    assert_eq!(left_and_pending(&f).1, 1);
}
