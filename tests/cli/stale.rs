//! Stale sessions (issue 15): `stale_after` marks sessions with no commit,
//! no file change and no agent activity for that long; `clean --stale`
//! removes those that are safe to remove by `rm`'s rules. The clock is
//! pinned with SESSIONS_NOW, and activity is dated explicitly.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::{TestEnv, stderr_of};

/// Where the tests stand: long after every session was made.
const NOW: &str = "2030-01-01T00:00:00Z";
/// 2029-12-30, two days before NOW: recent activity.
const RECENT: u64 = 1_893_283_200;
/// 2029-01-01: long before NOW.
const LONG_AGO: u64 = 1_861_920_000;

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn touch(file: &Path, when: SystemTime) {
    fs::write(file, "changed\n").unwrap();
    fs::File::options()
        .write(true)
        .open(file)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// A commit in DIR dated WHEN (seconds since the epoch).
fn commit_at(env: &TestEnv, dir: &Path, file: &str, when: u64) {
    fs::write(dir.join(file), file).unwrap();
    env.git_in(dir, &["add", file]);
    let date = format!("@{when} +0000");
    let out = env
        .command_in("git", dir)
        .args(["commit", "-q", "-m", file])
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // The commit wrote the file now; only the commit's date is activity.
    fs::File::options()
        .write(true)
        .open(dir.join(file))
        .unwrap()
        .set_modified(at(when))
        .unwrap();
}

fn stale_flags(env: &TestEnv, now: Option<&str>) -> Vec<(String, bool)> {
    let mut command = env.sessions();
    command.args(["list", "--json"]);
    if let Some(now) = now {
        command.env("SESSIONS_NOW", now);
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut flags: Vec<(String, bool)> = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().into(),
                s["stale"].as_bool().unwrap(),
            )
        })
        .collect();
    flags.sort();
    flags
}

#[test]
fn idle_sessions_show_as_stale_in_list() {
    let env = TestEnv::new();
    env.user_config("stale_after = \"14d\"\n");
    env.new_session("idle");
    let edited = env.new_session("edited");
    let committed = env.new_session("committed");
    touch(&edited.join("README.md"), at(RECENT));
    commit_at(&env, &committed, "new.txt", RECENT);

    assert_eq!(
        stale_flags(&env, Some(NOW)),
        [
            ("committed".into(), false),
            ("edited".into(), false),
            ("idle".into(), true)
        ]
    );
    // Today, nothing is two weeks old.
    assert!(stale_flags(&env, None).iter().all(|(_, stale)| !stale));
    let out = env
        .sessions()
        .args(["list"])
        .env("SESSIONS_NOW", NOW)
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let idle = table.lines().find(|l| l.contains("idle")).unwrap();
    assert!(idle.contains("stale"), "{table}");
    let edited = table.lines().find(|l| l.contains("edited")).unwrap();
    assert!(!edited.contains("stale"), "{table}");
}

#[test]
fn clean_stale_removes_only_what_rm_would() {
    let env = TestEnv::new();
    env.new_session("idle");
    let unmerged = env.new_session("unmerged");
    commit_at(&env, &unmerged, "work.txt", LONG_AGO);
    let dirty = env.new_session("dirty");
    touch(&dirty.join("notes.txt"), at(LONG_AGO));
    let fresh = env.new_session("fresh");
    touch(&fresh.join("README.md"), at(RECENT));

    let stderr = env.exits_with(&["clean", "--stale", "--yes"], 2);
    assert!(stderr.contains("stale_after"), "{stderr}");

    env.user_config("stale_after = \"14d\"\n");
    // Without --stale, clean leaves stale sessions alone.
    at_now(&env, &["clean", "--yes"]);
    assert_eq!(env.session_names(), ["dirty", "fresh", "idle", "unmerged"]);

    at_now(&env, &["clean", "--stale", "--yes"]);
    assert_eq!(env.session_names(), ["dirty", "fresh", "unmerged"]);
    assert!(!env.sessions_dir().join("idle").exists());
    assert!(unmerged.join("work.txt").exists() && dirty.join("notes.txt").exists());
}

/// Runs `sessions ARGS` at NOW and returns stdout, asserting success.
fn at_now(env: &TestEnv, args: &[&str]) -> String {
    let out = env
        .sessions()
        .args(args)
        .env("SESSIONS_NOW", NOW)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The session names under HEADING ("Remove:", "Archive:", "Keep:") in a plan.
fn planned(plan: &str, heading: &str) -> Vec<String> {
    let mut names: Vec<String> = plan
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn clean_stale_archive_parks_stale_sessions_that_hold_work() {
    // In a clone, as users have: the base is origin/main.
    let env = TestEnv::cloned();
    env.user_config("stale_after = \"14d\"\n");
    env.new_session("idle");
    let unmerged = env.new_session("unmerged");
    commit_at(&env, &unmerged, "work.txt", LONG_AGO);
    let dirty = env.new_session("dirty");
    touch(&dirty.join("notes.txt"), at(LONG_AGO));
    // Locked: archive refuses it as rm does.
    let locked = env.new_session("locked");
    commit_at(&env, &locked, "locked.txt", LONG_AGO);
    env.git(&["worktree", "lock", locked.to_str().unwrap()]);
    let fresh = env.new_session("fresh");
    touch(&fresh.join("README.md"), at(RECENT));

    let stderr = env.exits_with(&["clean", "--archive", "--yes"], 2);
    assert!(stderr.contains("--stale"), "{stderr}");

    let plan = at_now(&env, &["clean", "--stale", "--archive", "--dry-run"]);
    assert_eq!(planned(&plan, "Remove:"), ["idle"], "{plan}");
    assert_eq!(planned(&plan, "Archive:"), ["dirty", "unmerged"], "{plan}");
    assert_eq!(planned(&plan, "Keep:"), ["fresh", "locked"], "{plan}");
    let locked_line = plan.lines().find(|l| l.starts_with("  locked ")).unwrap();
    assert!(locked_line.contains("is locked"), "{plan}");
    assert_eq!(
        env.session_names(),
        ["dirty", "fresh", "idle", "locked", "unmerged"]
    );

    at_now(&env, &["clean", "--stale", "--archive", "--yes"]);
    assert_eq!(
        env.session_names(),
        ["dirty", "fresh", "locked", "unmerged"]
    );
    assert!(
        !dirty.exists() && !unmerged.exists(),
        "archived: no worktree"
    );
    assert!(locked.join("locked.txt").exists() && fresh.exists());
    let mut archived: Vec<String> = env
        .list_json()
        .iter()
        .filter(|s| s["archived"].is_object())
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    archived.sort();
    assert_eq!(archived, ["dirty", "unmerged"]);
    // The branch keeps the commit; the uncommitted file is on the archive ref.
    assert!(env.branches().contains(&"unmerged".to_string()));
    env.git(&["rev-parse", "--verify", "refs/sessions/archive/dirty"]);

    let out = env.sessions().args(["restore", "dirty"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        fs::read_to_string(dirty.join("notes.txt")).unwrap(),
        "changed\n"
    );
}
