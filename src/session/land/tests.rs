//! `land`'s refusals, which must change nothing, and its methods, which must
//! bring every change of the session into its base.

use std::fs;

use super::*;
use crate::error::{Exit, failure_of};
use crate::registry::Entry;
use crate::session::testing::{Fixture, commit_in, git};

/// A registered session `s` with one commit, and main one commit further.
fn diverged() -> (Fixture, Entry) {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    f.commit("base", "b");
    f.register(&[&s]);
    (f, s)
}

fn keep() -> LandOptions {
    LandOptions {
        keep: true,
        ..LandOptions::default()
    }
}

/// Lands `s`, which must be refused (exit 3) with WHY, leaving main and the
/// session as they were.
fn refused(f: &Fixture, s: &Entry, options: LandOptions, why: &str) {
    let (main, tip) = (f.tip("main"), f.tip("s"));
    let err = land(&f.ws, "s", options).unwrap_err();
    assert_eq!(
        failure_of(&err).map(|f| f.exit),
        Some(Exit::Refused),
        "{err:#}"
    );
    assert!(format!("{err:#}").contains(why), "{err:#}");
    assert_eq!((f.tip("main"), f.tip("s")), (main, tip));
    assert!(s.path.is_dir());
}

#[test]
fn each_method_brings_the_work_into_the_base() {
    for (method, how) in [
        (Method::Rebase, How::Rebased),
        (Method::Squash, How::Squashed),
        (Method::Merge, How::Merged),
    ] {
        let (f, s) = diverged();
        let options = LandOptions {
            method: Some(method),
            ..keep()
        };
        let landed = land(&f.ws, "s", options).unwrap();
        assert_eq!(landed.how, how);
        assert_eq!(landed.to, f.tip("main"));
        assert_eq!(fs::read_to_string(f.dir.join("work")).unwrap(), "w");
        assert_eq!(fs::read_to_string(f.dir.join("base")).unwrap(), "b");
        assert!(landed.removed.is_none() && s.path.is_dir());
    }
}

#[test]
fn a_session_on_top_of_its_base_fast_forwards_and_goes() {
    let f = Fixture::new();
    let s = f.session("s");
    let work = commit_in(&s.path, "work", "w");
    f.register(&[&s]);
    let landed = land(&f.ws, "s", LandOptions::default()).unwrap();
    assert_eq!(landed.how, How::FastForward);
    assert_eq!(f.tip("main"), f.tip(&work));
    assert!(landed.removed.is_some());
    assert!(!s.path.exists());
    assert_eq!(f.ws.repo.branch_tip("s"), None);
}

#[test]
fn work_already_in_the_base_is_already_there() {
    let (f, _) = diverged();
    git(&f.dir, &["merge", "-q", "--squash", "s"]);
    git(&f.dir, &["commit", "-q", "-m", "squashed by hand"]);
    let main = f.tip("main");
    let landed = land(&f.ws, "s", keep()).unwrap();
    assert_eq!(landed.how, How::AlreadyThere);
    assert_eq!(f.tip("main"), main);
}

#[test]
fn a_modified_main_worktree_is_refused() {
    let (f, s) = diverged();
    fs::write(f.dir.join("README"), "editing").unwrap();
    refused(&f, &s, keep(), "main worktree");
    assert_eq!(fs::read_to_string(f.dir.join("README")).unwrap(), "editing");
}

#[test]
fn main_on_another_branch_is_refused() {
    let (f, s) = diverged();
    git(&f.dir, &["switch", "-q", "-c", "elsewhere"]);
    refused(&f, &s, keep(), "does not have 'main' checked out");
}

#[test]
fn a_predicted_conflict_is_refused() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "README", "session's");
    f.commit("README", "base's");
    f.register(&[&s]);
    refused(&f, &s, keep(), "would conflict with 'main' in README");
}

#[test]
fn an_untracked_file_in_the_way_is_refused() {
    let (f, s) = diverged();
    fs::write(f.dir.join("work"), "mine").unwrap();
    refused(&f, &s, keep(), "would overwrite untracked file work");
    assert_eq!(fs::read_to_string(f.dir.join("work")).unwrap(), "mine");
}

#[test]
fn a_failing_check_stops_before_anything_moves() {
    let (f, s) = diverged();
    let (main, tip) = (f.tip("main"), f.tip("s"));
    let options = LandOptions {
        checks: vec!["true".into(), "exit 7".into()],
        ..LandOptions::default()
    };
    assert!(land(&f.ws, "s", options).is_err());
    assert_eq!((f.tip("main"), f.tip("s")), (main, tip));
    assert!(s.path.is_dir());
    assert_eq!(f.ws.registry.read().unwrap().len(), 1);
}
