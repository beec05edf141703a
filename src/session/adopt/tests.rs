//! Adopting worktrees made elsewhere: the branch is never the session's to
//! delete, its work counts from where it left the base, and adopting is all
//! or nothing.

use super::*;
use crate::session::testing::{Fixture, commit_in, git, usage_error};

#[test]
fn an_adopted_worktree_never_owns_its_branch_and_starts_where_it_left_the_base() {
    let f = Fixture::new();
    let start = f.tip("main");
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    f.commit("base", "b");
    let (adopted, skipped) = adopt(&f.ws, std::slice::from_ref(&s.path), false).unwrap();
    assert!(skipped.is_empty());
    let [e] = &adopted[..] else {
        panic!("{adopted:?}")
    };
    assert_eq!((e.name.as_str(), e.branch.as_str()), ("s", "s"));
    assert!(!e.owns_branch);
    assert_eq!(e.base, "main");
    assert_eq!(e.base_commit, start.to_string());
    assert_eq!(f.ws.registry.read().unwrap().len(), 1);
}

#[test]
fn the_main_worktree_a_session_and_a_stranger_are_refused() {
    let f = Fixture::new();
    let why = usage_error(adopt(&f.ws, std::slice::from_ref(&f.dir), false));
    assert!(why.contains("main worktree"), "{why}");
    let s = f.session("s");
    f.register(&[&s]);
    let why = usage_error(adopt(&f.ws, std::slice::from_ref(&s.path), false));
    assert!(why.contains("already a session"), "{why}");
    let plain = f.dir.with_file_name("plain");
    std::fs::create_dir(&plain).unwrap();
    let why = usage_error(adopt(&f.ws, &[plain], false));
    assert!(why.contains("not a worktree of this repository"), "{why}");
    assert_eq!(f.ws.registry.read().unwrap().len(), 1);
}

#[test]
fn all_or_nothing_when_a_name_is_taken() {
    let f = Fixture::new();
    let taken = f.session("x");
    f.register(&[&taken]);
    let fresh = f.session("fresh");
    // Another worktree whose folder is also called `x`.
    let nested = f.dir.with_file_name("other").join("x");
    git(
        &f.dir,
        &["worktree", "add", "-q", "-b", "y", nested.to_str().unwrap()],
    );
    let why = usage_error(adopt(&f.ws, &[fresh.path, nested], false));
    assert!(why.contains("a session named 'x' already exists"), "{why}");
    assert_eq!(f.ws.registry.read().unwrap().len(), 1);
}

#[test]
fn all_passes_over_sessions_and_detached_worktrees() {
    let f = Fixture::new();
    let mine = f.session("mine");
    f.register(&[&mine]);
    let free = f.session("free");
    let detached = f.session("detached");
    git(&detached.path, &["checkout", "-q", "--detach"]);
    let (adopted, skipped) = adopt(&f.ws, &[], true).unwrap();
    let names: Vec<&str> = adopted.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["free"]);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].path, detached.path);
    assert_eq!(skipped[0].why, "no branch is checked out there");
    assert!(adopted[0].path == free.path);
}
