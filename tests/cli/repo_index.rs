//! The user's index of repositories (issue 14): `new`, `adopt` and `doctor`
//! record each repository; `list --all` shows every one's sessions from
//! anywhere; `cd`, `show` and `resume` take `REPO/NAME`; repositories that
//! are gone are dropped with a note.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{TestEnv, stderr_of};
use crate::snapshots::Pinned;

/// A second repository beside the test's, in folder NAME under PARENT
/// (relative to the temporary root), with one commit.
pub fn second_repo(env: &TestEnv, parent: &str, name: &str) -> PathBuf {
    let dir = env.root().join(parent).join(name);
    fs::create_dir_all(&dir).unwrap();
    env.git_in(&dir, &["init", "-q", "-b", "main"]);
    env.commit_in(&dir, "README.md", "other\n", "initial commit");
    dir
}

/// `sessions new NAME --no-agent` in DIR, which must succeed.
pub fn new_in(env: &TestEnv, dir: &Path, name: &str) {
    env.sessions_in(dir)
        .args(["new", name, "--no-agent"])
        .assert()
        .success();
}

/// A folder in no repository.
fn elsewhere(env: &TestEnv) -> PathBuf {
    let dir = env.root().join("elsewhere");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `list --all --json` run in DIR: (repo, name) of each session.
fn listed_all(env: &TestEnv, dir: &Path) -> Vec<(String, String)> {
    let output = env
        .sessions_in(dir)
        .args(["list", "--all", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    document["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |key: &str| s[key].as_str().unwrap_or("null").to_string();
            (text("repo"), text("name"))
        })
        .collect()
}

#[test]
fn list_all_shows_every_repository_from_a_third_folder() {
    let env = TestEnv::new();
    let other = second_repo(&env, "work", "other");
    env.new_session("a");
    new_in(&env, &other, "b");
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(r, n)| (r.to_string(), n.to_string()))
            .collect()
    };
    let expected = pairs(&[("repo", "a"), ("other", "b")]);
    assert_eq!(listed_all(&env, &elsewhere(&env)), expected);
    assert_eq!(listed_all(&env, &other), expected);
    // Without --all: this repository's sessions, with no repository.
    assert_eq!(env.listed("a")["repo"], Value::Null);

    let output = env
        .sessions_in(&elsewhere(&env))
        .args(["list", "--all"])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.trim_start().starts_with("REPO "), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("other") && l.contains(" b ")),
        "{table}"
    );
}

#[test]
fn repo_slash_name_reaches_another_repository_from_anywhere() {
    let env = TestEnv::new();
    let other = second_repo(&env, "work", "other");
    new_in(&env, &other, "b");
    // A session of this repository whose whole name looks like REPO/NAME.
    let here = env.new_session("other/b");
    let there = env
        .sessions_dir()
        .parent()
        .unwrap()
        .join("other.sessions/b");

    let shown_in = |dir: &Path, name: &str| -> Value {
        let out = env
            .sessions_in(dir)
            .args(["show", name, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "show {name}: {}", stderr_of(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["session"].clone()
    };
    // Here, the session named by the whole string wins.
    assert_eq!(
        shown_in(&env.repo, "other/b")["path"],
        here.to_str().unwrap()
    );
    // Elsewhere, REPO/NAME: the other repository's b, and this one's too.
    assert_eq!(
        shown_in(&elsewhere(&env), "other/b")["path"],
        there.to_str().unwrap()
    );
    assert_eq!(
        shown_in(&other, "repo/other/b")["path"],
        here.to_str().unwrap()
    );

    // `cd` without the shell function prints the folder.
    let out = env
        .sessions_in(&elsewhere(&env))
        .args(["cd", "other/b"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        there.to_str().unwrap()
    );

    // A plain name outside every repository says how to name it.
    let out = env
        .sessions_in(&elsewhere(&env))
        .args(["show", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("REPO/NAME"), "{}", stderr_of(&out));
}

#[test]
fn resume_takes_repo_slash_name_from_anywhere() {
    let env = TestEnv::new();
    let other = second_repo(&env, "work", "other");
    // An agent that notes where it runs.
    let log = env.root().join("agent.log");
    let agent = env.root().join("agent.sh");
    crate::common::write_file(&agent, &format!("#!/bin/sh\npwd >> '{}'\n", log.display()));
    crate::common::make_executable(&agent);
    env.sessions_in(&other)
        .args(["new", "b", "--agent"])
        .arg(&agent)
        .assert()
        .success();
    fs::remove_file(&log).unwrap();
    env.sessions_in(&elsewhere(&env))
        .args(["resume", "other/b"])
        .assert()
        .success();
    let there = env.root().join("work/other.sessions/b");
    assert_eq!(
        fs::read_to_string(&log).unwrap().trim(),
        there.to_str().unwrap()
    );
}

#[test]
fn a_folder_name_two_repositories_share_is_ambiguous() {
    let env = TestEnv::new();
    let one = second_repo(&env, "team", "api");
    let two = second_repo(&env, "forks", "api");
    new_in(&env, &one, "x");
    new_in(&env, &two, "x");
    let out = env
        .sessions_in(&elsewhere(&env))
        .args(["show", "api/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("api@team, api@forks"), "{stderr}");

    let repos: Vec<String> = listed_all(&env, &env.repo)
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(repos, ["api@team", "api@forks"]);
    env.sessions_in(&elsewhere(&env))
        .args(["show", "api@forks/x"])
        .assert()
        .success();
}

#[test]
fn a_deleted_repository_is_dropped_with_a_note() {
    let env = TestEnv::new();
    let other = second_repo(&env, "work", "other");
    env.new_session("a");
    new_in(&env, &other, "b");
    fs::remove_dir_all(&other).unwrap();

    let out = env
        .sessions_in(&elsewhere(&env))
        .args(["list", "--all"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("Dropped") && stderr.contains("work/other"),
        "{stderr}"
    );
    // Noted once: the index no longer has it.
    let out = env.sessions().args(["list", "--all"]).output().unwrap();
    assert!(!stderr_of(&out).contains("Dropped"), "{}", stderr_of(&out));
    assert_eq!(
        listed_all(&env, &env.repo),
        [("repo".to_string(), "a".to_string())]
    );
}

#[test]
fn doctor_and_adopt_record_the_repository_and_new_survives_a_broken_index() {
    let env = TestEnv::new();
    let index = env.home.join(".xdg/state/sessions/repos.toml");
    let other = second_repo(&env, "work", "other");
    env.sessions_in(&other).arg("doctor").assert().success();
    let wt = env.root().join("adopted");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "adopted",
        wt.to_str().unwrap(),
    ]);
    env.sessions()
        .args(["adopt", wt.to_str().unwrap()])
        .assert()
        .success();
    let text = fs::read_to_string(&index).unwrap();
    assert!(
        text.contains("work/other\"") && text.contains("work/repo\""),
        "{text}"
    );

    // An index that cannot be read or written never stops `new`.
    fs::write(&index, "not toml [").unwrap();
    let out = env
        .sessions()
        .args(["new", "c", "--no-agent"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("index of repositories"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(env.session_names(), ["adopted", "c"]);
}

#[test]
fn list_all_at_80_columns() {
    const NOW: &str = "2026-01-02T03:04:05Z";
    const LATER: &str = "2026-01-02T06:34:05Z";
    let pinned = Pinned::cloned();
    pinned.new_session("fix-login");
    pinned.new_session("feat/search");
    let other = pinned.env.root().join("work").join("website");
    fs::create_dir_all(&other).unwrap();
    pinned.git_in(&other, &["init", "-q", "-b", "main"]);
    pinned.commit_in(&other, "index.html", "<p>hi</p>\n", "initial commit");
    for name in ["docs", "dark-mode"] {
        let text = pinned.transcript_at(&other, NOW, &["new", name, "--no-agent"]);
        assert!(text.contains("exit: 0"), "{text}");
    }
    let elsewhere = pinned.env.root();
    pinned.assert_snapshot(
        "list_all_80_columns",
        &pinned.transcript_at(&elsewhere, LATER, &["list", "--all"]),
    );
}
