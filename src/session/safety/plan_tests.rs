//! `plan_removal` on real worktrees: each kind of work that removal would
//! lose is a risk, what nothing overrides is a blocker, and a clean, merged
//! session is safe.

use std::fs;

use super::*;
use crate::error::{Exit, failure_of};
use crate::session::remove::refuse_unless_acceptable;
use crate::session::testing::{Fixture, commit_in, git};

fn plan(f: &Fixture, entry: &Entry) -> RemovalPlan {
    let around = Surroundings::read(&f.ws).unwrap();
    plan_removal(&f.ws, &around, entry.clone(), RemoveOptions::default()).unwrap()
}

#[test]
fn a_clean_merged_session_is_safe_and_its_branch_goes() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "w", "1");
    git(&f.dir, &["merge", "-q", "--ff-only", "s"]);
    let p = plan(&f, &s);
    assert!(p.is_safe(), "{:?}", p.objections());
    assert_eq!(p.branch, BranchOutcome::Delete(Deletion::Merged));
}

#[test]
fn uncommitted_work_is_a_risk() {
    for (file, text) in [("README", "changed"), ("new", "untracked")] {
        let f = Fixture::new();
        let s = f.session("s");
        fs::write(s.path.join(file), text).unwrap();
        let p = plan(&f, &s);
        assert!(
            matches!(&p.risks[..], [Risk::Changes { .. }]),
            "{file}: {:?}",
            p.risks
        );
        assert!(p.blockers.is_empty());
    }
}

#[test]
fn commits_nowhere_else_are_a_risk_until_they_are_somewhere_else() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "a", "1");
    commit_in(&s.path, "b", "2");
    let p = plan(&f, &s);
    assert_eq!(p.branch, BranchOutcome::Delete(Deletion::Forced));
    assert!(
        matches!(&p.risks[..], [Risk::BranchCommits { count: 2, .. }]),
        "{:?}",
        p.risks
    );
    // Another branch has them: nothing is lost, and the branch stays.
    git(&f.dir, &["branch", "copy", "s"]);
    let p = plan(&f, &s);
    assert!(p.is_safe(), "{:?}", p.objections());
    assert_eq!(p.branch, BranchOutcome::Keep(Keeping::Pushed));
}

#[test]
fn a_branch_the_session_did_not_make_is_kept_and_no_risk() {
    let f = Fixture::new();
    let mut s = f.session("s");
    s.owns_branch = false;
    commit_in(&s.path, "a", "1");
    let p = plan(&f, &s);
    assert_eq!(p.branch, BranchOutcome::Keep(Keeping::NotOwned));
    assert!(p.is_safe(), "{:?}", p.objections());
}

#[test]
fn commits_only_the_worktree_holds_are_a_risk() {
    let f = Fixture::new();
    // Undone by a hard reset: only the HEAD reflog remembers it.
    let reset = f.session("reset");
    commit_in(&reset.path, "a", "1");
    git(&reset.path, &["reset", "-q", "--hard", "HEAD~1"]);
    // On a detached HEAD.
    let detached = f.session("detached");
    git(&detached.path, &["checkout", "-q", "--detach"]);
    commit_in(&detached.path, "b", "2");
    for s in [&reset, &detached] {
        let p = plan(&f, s);
        assert!(
            p.risks
                .iter()
                .any(|r| matches!(r, Risk::WorktreeCommits { count: 1, .. })),
            "{}: {:?}",
            s.name,
            p.risks
        );
    }
    // Amended: the reflog's first version is in the branch's tip.
    let amended = f.session("amended");
    commit_in(&amended.path, "c", "3");
    git(&amended.path, &["commit", "-q", "--amend", "-m", "better"]);
    git(&f.dir, &["merge", "-q", "--ff-only", "amended"]);
    let p = plan(&f, &amended);
    assert!(p.is_safe(), "{:?}", p.objections());
}

/// A rebase by hand that stopped on a conflict the user resolved rewrote
/// the commit on purpose: its first version is not lost work, though its
/// changes are in no branch. One reset away after that rebase still is.
#[test]
fn a_commit_rewritten_by_a_finished_rebase_is_not_lost() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "shared", "session");
    f.commit("shared", "main");
    let main = f.tip("main").to_string();
    // Stops on the conflict (git exits 1).
    let stopped = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["rebase", &main])
        .current_dir(&s.path)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(!stopped.status.success());
    fs::write(s.path.join("shared"), "both").unwrap();
    git(&s.path, &["add", "shared"]);
    git(&s.path, &["-c", "core.editor=true", "rebase", "--continue"]);
    git(&f.dir, &["merge", "-q", "--ff-only", "s"]);
    let p = plan(&f, &s);
    assert!(p.is_safe(), "{:?}", p.objections());

    commit_in(&s.path, "later", "undone");
    git(&s.path, &["reset", "-q", "--hard", "HEAD~1"]);
    let p = plan(&f, &s);
    assert!(
        matches!(&p.risks[..], [Risk::WorktreeCommits { count: 1, .. }]),
        "{:?}",
        p.risks
    );
}

#[test]
fn a_lock_is_a_risk_while_the_folder_is_there_and_a_blocker_when_it_is_away() {
    let f = Fixture::new();
    let s = f.session("s");
    git(
        &f.dir,
        &[
            "worktree",
            "lock",
            "--reason",
            "usb",
            s.path.to_str().unwrap(),
        ],
    );
    let p = plan(&f, &s);
    assert_eq!(
        p.risks,
        [Risk::Locked {
            session: "s".into(),
            reason: "usb".into(),
            path: s.path.clone(),
        }]
    );
    fs::remove_dir_all(&s.path).unwrap();
    let p = plan(&f, &s);
    assert!(matches!(&p.blockers[..], [Blocker::LockedAway { .. }]));
}

#[test]
#[cfg(target_os = "linux")]
fn a_claude_lock_blocks_while_its_process_runs_and_is_a_risk_after() {
    let f = Fixture::new();
    let s = f.session("s");
    let pid = std::process::id();
    let start = crate::process::start_of(pid).unwrap();
    // The same pid with another start time is a later process: stale.
    for (start, live) in [(start, true), (start + 1, false)] {
        let reason = format!("claude session s (pid {pid} start {start})");
        let path = s.path.to_str().unwrap();
        git(&f.dir, &["worktree", "lock", "--reason", &reason, path]);
        let p = plan(&f, &s);
        git(&f.dir, &["worktree", "unlock", path]);
        if live {
            assert_eq!(
                p.blockers,
                [Blocker::ClaudeLock {
                    session: "s".into(),
                    name: "s".into(),
                    pid
                }]
            );
            assert!(p.risks.is_empty(), "{:?}", p.risks);
        } else {
            assert!(
                matches!(&p.risks[..], [Risk::Locked { .. }]),
                "{:?}",
                p.risks
            );
            assert!(p.blockers.is_empty(), "{:?}", p.blockers);
        }
    }
}

#[test]
fn the_main_worktree_and_a_worktree_inside_are_blockers() {
    let f = Fixture::new();
    let mut main = f.session("s");
    main.path = f.dir.clone();
    let p = plan(&f, &main);
    assert!(
        p.blockers
            .iter()
            .any(|b| matches!(b, Blocker::MainWorktree { .. })),
        "{:?}",
        p.blockers
    );

    let outer = f.session("outer");
    let inner = outer.path.join("inner");
    git(
        &f.dir,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "inner",
            inner.to_str().unwrap(),
        ],
    );
    let p = plan(&f, &outer);
    assert_eq!(
        p.blockers,
        [Blocker::WorktreeInside {
            session: "outer".into(),
            path: inner
        }]
    );
}

#[test]
fn force_overrides_risks_and_never_blockers() {
    let f = Fixture::new();
    let s = f.session("s");
    fs::write(s.path.join("new"), "work").unwrap();
    let risky = [plan(&f, &s)];
    let refused = refuse_unless_acceptable(&risky, false).unwrap_err();
    assert_eq!(failure_of(&refused).unwrap().exit, Exit::Refused);
    assert!(refuse_unless_acceptable(&risky, true).is_ok());

    let mut main = f.session("main-s");
    main.path = f.dir.clone();
    let blocked = [plan(&f, &main)];
    for force in [false, true] {
        let refused = refuse_unless_acceptable(&blocked, force).unwrap_err();
        assert_eq!(failure_of(&refused).unwrap().exit, Exit::Refused);
    }
}

/// A rebase put back (a land undone at Ctrl-C), then done again: the first
/// result, a copy with another committer date, is in no branch, but its
/// changes are in the base the second one landed in.
#[test]
fn a_rebase_put_back_then_done_again_loses_nothing() {
    let f = Fixture::new();
    let s = f.session("s");
    commit_in(&s.path, "work", "session");
    let before = f.tip("s").to_string();
    f.commit("base", "main");
    let main = f.tip("main").to_string();
    let rebase_at = |date: &str| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["rebase", "-q", &main])
            .current_dir(&s.path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    rebase_at("2026-01-02T03:04:05Z");
    git(&s.path, &["reset", "-q", "--keep", &before]);
    rebase_at("2026-01-02T03:04:06Z");
    git(&f.dir, &["merge", "-q", "--ff-only", "s"]);
    let p = plan(&f, &s);
    assert!(p.is_safe(), "{:?}", p.objections());
}
