//! `sync`'s decisions: what it brings up to date, and what it refuses or
//! puts back untouched.

use std::fs;

use super::*;
use crate::session::testing::{Fixture, commit_in, git};

fn sync_of(f: &Fixture, entry: &Entry, merge: bool) -> SyncOutcome {
    f.register(&[entry]);
    let options = SyncOptions {
        merge,
        ..SyncOptions::default()
    };
    let mut synced = sync(&f.ws, std::slice::from_ref(&entry.name), options).unwrap();
    assert_eq!(synced.len(), 1);
    synced.remove(0).outcome
}

#[test]
fn a_session_with_the_base_s_tip_is_up_to_date() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    assert_eq!(sync_of(&f, &s, false), SyncOutcome::UpToDate);
}

#[test]
fn rebase_and_merge_bring_in_the_base_and_keep_the_work() {
    for merge in [false, true] {
        let f = Fixture::new();
        let s = f.session("s");
        let work = commit_in(&s.path, "work", "w");
        f.commit("base", "b");
        assert_eq!(sync_of(&f, &s, merge), SyncOutcome::Synced);
        let tip = f.tip("s");
        assert!(f.ws.repo.is_ancestor(f.tip("main"), tip).unwrap());
        assert_eq!(fs::read_to_string(s.path.join("work")).unwrap(), "w");
        // A rebase rewrites the session's commit; a merge keeps it.
        let kept = f.ws.repo.is_ancestor(f.tip(&work), tip).unwrap();
        assert_eq!(kept, merge);
    }
}

#[test]
fn uncommitted_work_is_refused_and_untouched() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    f.commit("base", "b");
    fs::write(s.path.join("work"), "draft").unwrap();
    let before = f.tip("s");
    let outcome = sync_of(&f, &s, false);
    assert!(
        matches!(&outcome, SyncOutcome::Refused(why) if why.contains("1 modified file")),
        "{outcome:?}"
    );
    assert_eq!(f.tip("s"), before);
    assert_eq!(fs::read_to_string(s.path.join("work")).unwrap(), "draft");
}

#[test]
fn a_conflict_is_reported_and_the_session_put_back() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "README", "session's");
    f.commit("README", "base's");
    let before = f.tip("s");
    assert_eq!(
        sync_of(&f, &s, false),
        SyncOutcome::Conflicts(vec!["README".into()])
    );
    assert_eq!(f.tip("s"), before);
    assert_eq!(git(&s.path, &["status", "--porcelain"]), "");
    assert_eq!(git(&s.path, &["symbolic-ref", "HEAD"]), "refs/heads/s");
}

#[test]
fn an_ignored_file_the_base_would_overwrite_is_refused() {
    let f = Fixture::new();
    f.commit(".gitignore", ".env\n");
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    fs::write(s.path.join(".env"), "secret").unwrap();
    fs::write(f.dir.join(".env"), "base's").unwrap();
    git(&f.dir, &["add", "-f", ".env"]);
    git(&f.dir, &["commit", "-q", "-m", "env"]);
    let outcome = sync_of(&f, &s, false);
    assert!(
        matches!(&outcome, SyncOutcome::Refused(why) if why.contains("overwrite ignored file .env")),
        "{outcome:?}"
    );
    assert_eq!(fs::read_to_string(s.path.join(".env")).unwrap(), "secret");
}

#[test]
fn a_base_that_no_longer_resolves_is_refused() {
    let f = Fixture::new();
    let mut s = f.session("s");
    s.base = "gone".into();
    let outcome = sync_of(&f, &s, false);
    assert!(
        matches!(&outcome, SyncOutcome::Refused(why) if why.contains("'gone' no longer resolves")),
        "{outcome:?}"
    );
}

#[test]
fn an_invalid_entry_is_never_synced() {
    let f = Fixture::new();
    let mut s = f.session("s");
    s.path = f.dir.clone();
    f.commit("base", "b");
    let before = f.tip("main");
    f.register(&[&s]);
    let all = SyncOptions {
        all: true,
        ..SyncOptions::default()
    };
    let synced = sync(&f.ws, &[], all).unwrap();
    assert!(
        matches!(&synced[0].outcome, SyncOutcome::Refused(why) if why.contains("main worktree")),
        "{:?}",
        synced[0].outcome
    );
    assert_eq!(f.tip("main"), before);
}

/// The start point ENTRY has in the registry now.
fn start_of(f: &Fixture, name: &str) -> String {
    let entries = f.ws.registry.read().unwrap();
    entries
        .iter()
        .find(|e| e.name == name)
        .unwrap()
        .base_commit
        .clone()
}

#[test]
fn a_session_with_no_commits_starts_again_at_the_base_it_synced_to() {
    for merge in [false, true] {
        let f = Fixture::new();
        let s = f.session("s");
        f.commit("base", "b");
        assert_eq!(sync_of(&f, &s, merge), SyncOutcome::Synced);
        assert_eq!(f.tip("s"), f.tip("main"), "a fast-forward");
        assert_eq!(start_of(&f, "s"), f.tip("main").to_string());
    }
}

#[test]
fn a_session_with_commits_starts_at_the_base_after_a_rebase() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    f.commit("base", "b");
    assert_eq!(sync_of(&f, &s, false), SyncOutcome::Synced);
    assert_eq!(start_of(&f, "s"), f.tip("main").to_string());
}

#[test]
fn a_session_whose_commits_are_all_in_the_base_keeps_its_start() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "w");
    // The base took the session's work as it is (a fast-forward), then more.
    git(&f.dir, &["merge", "-q", "--ff-only", "s"]);
    f.commit("base", "b");
    assert_eq!(sync_of(&f, &s, false), SyncOutcome::Synced);
    assert_eq!(start_of(&f, "s"), s.base_commit, "it still looks merged");
}

#[test]
fn a_conflict_names_the_commands_that_sync_by_hand() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "README", "session's");
    f.commit("README", "base's");
    f.register(&[&s]);
    let synced = sync(&f.ws, &["s".into()], SyncOptions::default()).unwrap();
    let next = synced[0].next.as_deref().unwrap();
    assert_eq!(next, format!("cd {} && git rebase main", s.path.display()));
    assert_eq!(start_of(&f, "s"), s.base_commit, "nothing changed");
}
