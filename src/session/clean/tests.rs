//! Which sessions `clean` takes: finished ones (merged, or their folder
//! gone) that `rm`'s rules let go, and none other.

use std::fs;

use super::*;
use crate::session::testing::{Fixture, commit_in, git};

fn names(verdicts: &[Candidate]) -> Vec<&str> {
    let mut names: Vec<&str> = verdicts.iter().map(|v| v.name.as_str()).collect();
    names.sort_unstable();
    names
}

fn why<'a>(verdicts: &'a [Candidate], name: &str) -> &'a str {
    &verdicts.iter().find(|v| v.name == name).unwrap().why
}

#[test]
fn only_finished_sessions_that_are_safe_to_remove_go() {
    let f = Fixture::new();
    let merged = f.session("merged");
    commit_in(&merged.path, "m", "1");
    git(&f.dir, &["merge", "-q", "--ff-only", "merged"]);
    // Merged, but with a change that was never committed.
    let dirty = f.session("dirty");
    commit_in(&dirty.path, "d", "1");
    git(&f.dir, &["merge", "-q", "dirty", "-m", "merge"]);
    fs::write(dirty.path.join("d"), "changed").unwrap();
    let gone = f.session("gone");
    fs::remove_dir_all(&gone.path).unwrap();
    let open = f.session("open");
    commit_in(&open.path, "o", "1");
    let empty = f.session("empty");
    f.register(&[&merged, &dirty, &gone, &open, &empty]);

    let plan = clean_plan(&f.ws, Stale::Keep).unwrap();
    assert_eq!(names(&plan.remove), ["gone", "merged"]);
    assert_eq!(names(&plan.keep), ["dirty", "empty", "open"]);
    assert_eq!(why(&plan.remove, "merged"), "merged into main");
    assert_eq!(why(&plan.remove, "gone"), "its folder is gone");
    assert_eq!(
        why(&plan.keep, "open"),
        "not merged into main (1 commit ahead)"
    );
    assert_eq!(why(&plan.keep, "empty"), "no commits of its own yet");
    assert!(why(&plan.keep, "dirty").contains("has 1 modified file"));
    // Planning changed nothing.
    assert!(merged.path.is_dir() && dirty.path.is_dir());
    assert_eq!(f.ws.registry.read().unwrap().len(), 5);
}

#[test]
fn apply_checks_again_and_keeps_what_became_unsafe() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "m", "1");
    git(&f.dir, &["merge", "-q", "--ff-only", "s"]);
    f.register(&[&s]);
    let plan = clean_plan(&f.ws, Stale::Keep).unwrap();
    assert_eq!(names(&plan.remove), ["s"]);
    // Between the plan and its run, new work arrives.
    fs::write(s.path.join("new"), "work").unwrap();
    let (removed, kept) = clean_apply(&f.ws, &["s".into()]).unwrap();
    assert!(removed.is_empty());
    assert_eq!(names(&kept), ["s"]);
    assert!(s.path.join("new").exists());
    assert_eq!(f.ws.registry.read().unwrap().len(), 1);
}

#[test]
fn a_folder_that_is_no_longer_a_worktree_is_finished_but_kept_as_invalid() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "w", "1");
    // git forgets the worktree; the folder, and its work, stay.
    fs::remove_file(s.path.join(".git")).unwrap();
    git(&f.dir, &["worktree", "prune"]);
    f.register(&[&s]);
    let summary = summarize_all(&f.ws.repo, vec![s.clone()]).unwrap();
    assert_eq!(
        finished(&summary[0]).as_deref(),
        Some("its folder is no longer a git worktree")
    );
    let plan = clean_plan(&f.ws, Stale::Keep).unwrap();
    assert!(plan.remove.is_empty(), "{:?}", plan.remove);
    assert!(
        why(&plan.keep, "s")
            .ends_with("is not a worktree of this repository; see `sessions doctor`")
    );
}
