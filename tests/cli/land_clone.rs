//! `land` where users stand: a clone whose sessions start from
//! `origin/main`. It lands into local `main`, which it first brings up to
//! `origin/main`, then removes the session; `list` shows the session as
//! landed until `main` is pushed; stacked sessions move onto the landed
//! one's base; the squash message comes from the session's commits or
//! `--message`; and every hint land gives can be pasted as it is.

use std::path::Path;

use crate::common::hints::{last_hint, paste, pasted};
use crate::common::{TestEnv, stderr_of};

fn rev(env: &TestEnv, rev: &str) -> String {
    env.git(&["rev-parse", rev])
}

/// HEAD, branch and status of a worktree, and every ref: "nothing changed".
fn everything(env: &TestEnv, dir: &Path) -> (String, String, String, Vec<u8>) {
    let status = |d: &Path| env.git_in(d, &["status", "--porcelain=v2", "--branch", "-uall"]);
    (
        status(&env.repo),
        status(dir),
        env.git(&["for-each-ref"]),
        env.registry_bytes(),
    )
}

#[test]
fn land_in_a_clone_lands_into_main_and_removes_the_session() {
    // The merge commit and the session's own: 2.
    for (method, ahead) in [("--rebase", 1), ("--squash", 1), ("--merge", 2)] {
        let env = TestEnv::cloned();
        let dir = env.new_session("x");
        env.commit_in(&dir, "x.txt", "x\n", "x work");
        // origin/main moves on (someone else pushed), local main is behind.
        env.commit_in(&env.repo, "other.txt", "o\n", "someone else");
        env.git(&["push", "-q", "origin", "main"]);
        env.git(&["reset", "-q", "--hard", "HEAD^"]);

        let out = env.sessions().args(["land", "x", method]).output().unwrap();
        let stderr = stderr_of(&out);
        assert!(out.status.success(), "{method}: {stderr}");
        assert!(stderr.contains("was behind origin/main"), "{stderr}");
        let unpushed = format!("main is {ahead} ahead of origin/main: git push origin main");
        assert!(stderr.contains(&unpushed), "{stderr}");
        assert!(!dir.exists(), "{method}: the folder is gone");
        assert_eq!(env.branches(), ["main"], "{method}: branch x deleted");
        assert!(env.session_names().is_empty());
        assert!(env.repo.join("x.txt").exists() && env.repo.join("other.txt").exists());
        assert_eq!(rev(&env, "main^"), rev(&env, "origin/main"));
    }
}

#[test]
fn a_session_merged_into_local_main_by_hand_is_landed_then_merged() {
    let env = TestEnv::cloned();
    let dir = env.new_session("x");
    env.commit_in(&dir, "x.txt", "x\n", "x work");
    env.git(&["merge", "-q", "--squash", "x"]);
    env.git(&["commit", "-q", "-m", "x, squashed by hand"]);

    let x = env.listed("x");
    assert_eq!(x["merged"], true, "{x}");
    assert_eq!(x["landed_in"], "main", "{x}");
    let list = env.sessions().arg("list").output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("landed"));
    let show = env.sessions().args(["show", "x"]).output().unwrap();
    let show = String::from_utf8_lossy(&show.stdout).into_owned();
    assert!(
        show.contains("landed (main is 1 ahead of origin/main: git push origin main)"),
        "{show}"
    );
    // clean counts it as finished, and rm deletes its branch.
    let plan = env
        .sessions()
        .args(["clean", "--dry-run"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&plan.stdout).contains("landed in main")
            || stderr_of(&plan).contains("landed in main"),
        "{}",
        stderr_of(&plan)
    );
    env.git(&["push", "-q", "origin", "main"]);
    let x = env.listed("x");
    assert_eq!(
        (x["merged"].clone(), x["landed_in"].clone()),
        (true.into(), serde_json::Value::Null)
    );
    env.sessions().args(["rm", "x"]).assert().success();
    assert_eq!(env.branches(), ["main"]);
}

#[test]
fn land_refuses_a_local_main_diverged_from_origin_and_its_hint_leads_on() {
    let env = TestEnv::cloned();
    let dir = env.new_session("x");
    env.commit_in(&dir, "x.txt", "x\n", "x work");
    env.commit_in(&env.repo, "other.txt", "o\n", "someone else");
    env.git(&["push", "-q", "origin", "main"]);
    env.git(&["reset", "-q", "--hard", "HEAD^"]);
    env.commit_in(&env.repo, "mine.txt", "m\n", "mine, not pushed");
    let before = everything(&env, &dir);

    let stderr = env.exits_with(&["land", "x"], 3);
    assert!(
        stderr.contains("'main' and 'origin/main' have diverged"),
        "{stderr}"
    );
    assert_eq!(everything(&env, &dir), before);

    let hint = last_hint(&stderr);
    assert!(hint.ends_with("&& sessions land x"), "{hint}");
    paste(&env, &hint);
    assert!(env.repo.join("mine.txt").exists() && env.repo.join("x.txt").exists());
    assert!(env.session_names().is_empty());
}

#[test]
fn a_session_based_on_a_landed_one_moves_onto_its_base() {
    for (method, next) in [("--squash", "rebase --onto"), ("--rebase", "rebase --onto")] {
        let env = TestEnv::cloned();
        let a = env.new_session("a");
        env.commit_in(&a, "a.txt", "a\n", "a work");
        env.commit_in(&a, "a2.txt", "a2\n", "more a work");
        env.sessions()
            .args(["new", "b", "--no-agent", "--base", "a"])
            .assert()
            .success();
        let b = env.sessions_dir().join("b");
        env.commit_in(&b, "b.txt", "b\n", "b work");
        env.commit_in(&env.repo, "other.txt", "o\n", "main moves on");

        let out = env.sessions().args(["land", "a", method]).output().unwrap();
        let stderr = stderr_of(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("Session 'b' started from 'a'; it now starts from origin/main"),
            "{stderr}"
        );
        assert_eq!(env.listed("b")["base"], "origin/main");
        assert_eq!(env.branches(), ["b", "main"], "a's branch went");

        // The command it names brings b onto main with only its own commit.
        let command = stderr
            .lines()
            .find_map(|l| l.split("Bring it up to date: ").nth(1))
            .unwrap();
        assert!(command.contains(next), "{command}");
        paste(&env, command);
        assert_eq!(env.git_in(&b, &["rev-parse", "HEAD^"]), rev(&env, "main"));
        env.sessions().args(["land", "b"]).assert().success();
        assert!(env.repo.join("b.txt").exists());
        assert!(env.session_names().is_empty());
    }
}

#[test]
fn a_session_based_on_one_landed_by_fast_forward_is_told_to_sync() {
    let env = TestEnv::new();
    let a = env.new_session("a");
    env.commit_in(&a, "a.txt", "a\n", "a work");
    env.sessions()
        .args(["new", "b", "--no-agent", "--base", "a"])
        .assert()
        .success();
    let out = env.sessions().args(["land", "a"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Bring it up to date: sessions sync b"),
        "{stderr}"
    );
    assert_eq!(env.listed("b")["base"], "main");
    env.sessions().args(["sync", "b"]).assert().success();
}

/// Session NAME with COMMITS (file, subject and body), landed with
/// `sessions land NAME` and ARGS; the message of the commit main ends on.
fn landed_message(env: &TestEnv, name: &str, commits: &[&str], args: &[&str]) -> String {
    let path = env.new_session(name);
    for (i, message) in commits.iter().enumerate() {
        env.commit_in(&path, &format!("{name}-{i}.txt"), "x\n", message);
    }
    env.sessions()
        .args(["land", name])
        .args(args)
        .assert()
        .success();
    env.git(&["log", "-1", "--format=%B"])
}

#[test]
fn the_squash_message_comes_from_the_commits_or_message() {
    let env = TestEnv::cloned();
    let one = ["Add the thing\n\nBecause it was missing."];
    assert_eq!(landed_message(&env, "one", &one, &["--squash"]), one[0]);
    assert_eq!(
        landed_message(&env, "two", &["Add a", "Add b"], &["--squash"]),
        "Add a; Add b\n\nSession 'two', 2 commits:\n\n* Add a\n* Add b"
    );
    let mine = ["--squash", "-m", "Three, my words"];
    assert_eq!(
        landed_message(&env, "three", &["Add c", "Add d"], &mine),
        "Three, my words"
    );

    // A merge commit takes the message too: main moved on, so one is made.
    let four = env.new_session("four");
    env.commit_in(&four, "e.txt", "e\n", "Add e");
    env.commit_in(&env.repo, "f.txt", "f\n", "main moves on");
    env.sessions()
        .args([
            "land",
            "four",
            "--merge",
            "--message",
            "Merge four, my words",
        ])
        .assert()
        .success();
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]),
        "Merge four, my words"
    );
    assert_eq!(env.git(&["log", "-1", "--format=%P"]).split(' ').count(), 2);
}

/// Each refusal's hint, pasted as it is, leads to a land that goes through.
#[test]
fn every_hint_of_land_leads_to_a_land_that_goes_through() {
    let env = TestEnv::cloned();
    let dir = env.new_session("it's");
    env.commit_in(&dir, "shared.txt", "session\n", "session edits shared");
    env.commit_in(&env.repo, "shared.txt", "main\n", "main edits shared");

    // A conflict: resolved in the session by the rebase the hint names.
    let stderr = env.exits_with(&["land", "it's"], 3);
    assert!(
        stderr.contains("would conflict with 'main' in shared.txt"),
        "{stderr}"
    );
    let rebase = last_hint(&stderr);
    let out = pasted(&env, &rebase);
    assert!(!out.status.success(), "stops on the conflict: {rebase}");
    std::fs::write(dir.join("shared.txt"), "both\n").unwrap();
    env.git_in(&dir, &["add", "shared.txt"]);
    env.command_in("git", &dir)
        .args(["-c", "core.editor=true", "rebase", "--continue"])
        .output()
        .unwrap();
    // main, with a modified file and an untracked one in the way, is not
    // checked out: each hint deals with one and lands again, which stops
    // on the next, until the last goes through.
    std::fs::write(env.repo.join("shared.txt"), "edited, not committed\n").unwrap();
    std::fs::write(env.repo.join("new.txt"), "mine\n").unwrap();
    env.commit_in(&dir, "new.txt", "session's\n", "session adds new.txt");
    env.git(&["switch", "-q", "-c", "elsewhere"]);
    let mut stderr = env.exits_with(&["land", "it's"], 3);
    for next in ["modified file", "untracked file", ""] {
        let hint = last_hint(&stderr);
        assert!(hint.ends_with("&& sessions land 'it'\\''s'"), "{hint}");
        let out = pasted(&env, &hint);
        stderr = stderr_of(&out);
        match next {
            "" => assert!(out.status.success(), "{hint}: {stderr}"),
            _ => assert!(
                out.status.code() == Some(3) && stderr.contains(next),
                "{hint}: {stderr}"
            ),
        }
    }
    assert_eq!(
        std::fs::read_to_string(env.repo.join("shared.txt")).unwrap(),
        "both\n"
    );
    assert!(env.session_names().is_empty());
}

/// No local branch tracks the base: the hint makes one.
#[test]
fn land_without_a_local_branch_for_the_base_says_how_to_make_one() {
    let env = TestEnv::cloned();
    let dir = env.new_session("x");
    env.commit_in(&dir, "x.txt", "x\n", "x work");
    env.git(&["switch", "-q", "--detach"]);
    env.git(&["branch", "-q", "-D", "main"]);
    let stderr = env.exits_with(&["land", "x"], 2);
    assert!(
        stderr.contains("no local branch tracks 'origin/main'"),
        "{stderr}"
    );
    // It makes the branch; the land then names the switch to it.
    let out = pasted(&env, &last_hint(&stderr));
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    paste(&env, &last_hint(&stderr_of(&out)));
    assert!(env.session_names().is_empty());
}

/// A session branch that tracks the base itself holds its own work, never
/// the base's: it is not "landed" into itself, and land refuses.
#[test]
fn a_session_branch_tracking_the_base_is_not_landed_into_itself() {
    let env = TestEnv::cloned();
    let dir = env.new_session("x");
    env.commit_in(&dir, "x.txt", "x\n", "x work");
    env.git(&["branch", "-q", "--set-upstream-to", "origin/main", "x"]);
    env.git(&["switch", "-q", "--detach"]);
    env.git(&["branch", "-q", "-D", "main"]);
    let x = env.listed("x");
    assert_eq!(
        (x["merged"].clone(), x["landed_in"].clone()),
        (false.into(), serde_json::Value::Null),
        "{x}"
    );
    env.exits_with(&["land", "x"], 2);
    assert!(dir.join("x.txt").exists());
}
