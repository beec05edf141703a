//! `sessions clean` and the safety rules `rm` shares with it.

use std::fs;
use std::path::PathBuf;

use crate::common::{TestEnv, sleeper_in, stderr_of};

/// A session whose one commit is merged into main the way `how` says.
fn merged_session(env: &TestEnv, name: &str, how: &str) -> PathBuf {
    let path = env.new_session(name);
    env.commit_in(
        &path,
        &format!("{name}.txt"),
        "work\n",
        &format!("{name} work"),
    );
    match how {
        "merge" => env.git(&["merge", "-q", "--no-edit", name]),
        "squash" => {
            env.git(&["merge", "-q", "--squash", name]);
            env.git(&["commit", "-q", "-m", &format!("squashed {name}")])
        }
        _ => unreachable!(),
    };
    path
}

struct Mix {
    env: TestEnv,
    merged: PathBuf,
    squashed: PathBuf,
    unpushed: PathBuf,
    dirty: PathBuf,
    locked: PathBuf,
    missing: PathBuf,
}

fn mix() -> Mix {
    let env = TestEnv::new();
    let merged = merged_session(&env, "merged", "merge");
    let squashed = merged_session(&env, "squashed", "squash");
    let unpushed = env.new_session("unpushed");
    env.commit_in(&unpushed, "u.txt", "u\n", "unpushed work");
    let dirty = merged_session(&env, "dirty", "merge");
    fs::write(dirty.join("notes.txt"), "not committed\n").unwrap();
    let locked = merged_session(&env, "locked", "merge");
    env.git(&[
        "worktree",
        "lock",
        "--reason",
        "keep me",
        locked.to_str().unwrap(),
    ]);
    let missing = env.new_session("missing");
    fs::remove_dir_all(&missing).unwrap();
    Mix {
        env,
        merged,
        squashed,
        unpushed,
        dirty,
        locked,
        missing,
    }
}

#[test]
fn without_a_terminal_clean_needs_yes_and_dry_run_changes_nothing() {
    let m = mix();
    let env = &m.env;
    let registry = env.registry_bytes();
    let admin = env.admin_entries().len();

    let output = env.sessions().arg("clean").output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("--yes"),
        "{}",
        stderr_of(&output)
    );
    let plan = String::from_utf8(output.stdout).unwrap();
    assert!(plan.contains("merged into main"), "{plan}");

    let output = env
        .sessions()
        .args(["clean", "--dry-run"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));

    assert_eq!(env.registry_bytes(), registry);
    assert_eq!(env.admin_entries().len(), admin);
    assert!(m.merged.is_dir() && m.squashed.is_dir());
    assert!(env.branches().contains(&"merged".to_string()));
}

#[test]
fn clean_removes_exactly_the_finished_safe_sessions() {
    let m = mix();
    let env = &m.env;
    let dry = env
        .sessions()
        .args(["clean", "--dry-run"])
        .output()
        .unwrap();
    let plan = String::from_utf8(dry.stdout).unwrap();
    let (remove, keep) = plan.split_once("Keep:").expect("a keep section");
    for name in ["merged", "squashed", "missing"] {
        assert!(remove.contains(&format!("  {name}  ")), "{plan}");
    }
    for (name, why) in [
        ("unpushed", "not merged into main"),
        ("dirty", "1 untracked file"),
        ("locked", "locked (keep me)"),
    ] {
        let line = keep
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} is not kept in\n{plan}"));
        assert!(line.contains(why), "{line}");
    }

    let output = env.sessions().args(["clean", "--yes"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let said = stderr_of(&output);
    assert!(said.contains("Removed 3 session(s), kept 3."), "{said}");

    assert_eq!(env.session_names(), ["dirty", "locked", "unpushed"]);
    assert!(!m.merged.exists() && !m.squashed.exists());
    assert!(!env.admin_entries().contains(&"missing".to_string()));
    let branches = env.branches();
    for gone in ["merged", "squashed", "missing"] {
        assert!(!branches.contains(&gone.to_string()), "{branches:?}");
    }
    for kept in ["dirty", "locked", "unpushed"] {
        assert!(branches.contains(&kept.to_string()), "{branches:?}");
    }
    assert_eq!(
        fs::read_to_string(m.dirty.join("notes.txt")).unwrap(),
        "not committed\n"
    );
    assert!(m.unpushed.join("u.txt").is_file() && m.locked.is_dir());
    assert!(!m.missing.exists());

    let again = env.sessions().args(["clean", "--yes"]).output().unwrap();
    assert!(again.status.success());
    assert!(stderr_of(&again).contains("Nothing to clean."));
}

#[test]
fn rm_refuses_while_a_process_works_inside_even_with_force() {
    let env = TestEnv::new();
    let path = env.new_session("busy");
    let mut child = sleeper_in(&path.join("."));
    let pid = child.id();
    let outputs: Vec<_> = [vec!["rm", "busy"], vec!["rm", "--force", "busy"]]
        .into_iter()
        .map(|args| env.sessions().args(args).output().unwrap())
        .collect();
    let still_there = path.is_dir();
    child.kill().unwrap();
    child.wait().unwrap();
    for output in &outputs {
        assert_eq!(output.status.code(), Some(3), "{}", stderr_of(output));
        let said = stderr_of(output);
        assert!(
            said.contains("sleep") && said.contains(&format!("pid {pid}")),
            "{said}"
        );
    }
    assert!(still_there);
    let output = env.sessions().args(["rm", "busy"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(!path.exists());
}

#[test]
fn clean_keeps_a_merged_session_with_a_process_inside() {
    let env = TestEnv::new();
    let path = merged_session(&env, "busy", "merge");
    let mut child = sleeper_in(&path);
    let output = env.sessions().args(["clean", "--yes"]).output().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let plan = String::from_utf8(output.stdout).unwrap();
    assert!(plan.contains("process sleep"), "{plan}");
    assert!(path.is_dir());
    assert_eq!(env.session_names(), ["busy"]);
}

#[test]
fn rm_refuses_a_locked_worktree_unless_forced() {
    let env = TestEnv::new();
    let path = env.new_session("held");
    env.git(&[
        "worktree",
        "lock",
        "--reason",
        "on a usb disk",
        path.to_str().unwrap(),
    ]);
    let output = env.sessions().args(["rm", "held"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr_of(&output).contains("locked (on a usb disk)"),
        "{}",
        stderr_of(&output)
    );
    assert!(path.is_dir());
    let output = env
        .sessions()
        .args(["rm", "--force", "held"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(!path.exists());
    assert!(env.admin_entries().is_empty());
}

#[test]
fn on_a_terminal_clean_asks_once() {
    if !crate::common::require("script") {
        return;
    }
    let env = TestEnv::new();
    let path = merged_session(&env, "done", "merge");
    let on_terminal = |answer: &str| {
        let text = env.on_terminal("clean", answer);
        assert_eq!(text.matches("[y/N]").count(), 1, "{text}");
        text
    };
    let text = on_terminal("n");
    assert!(text.contains("Nothing removed."), "{text}");
    assert!(path.is_dir());
    let text = on_terminal("y");
    assert!(text.contains("Removed session 'done'"), "{text}");
    assert!(!path.exists());
    assert!(env.session_names().is_empty());
}

#[test]
fn a_folder_that_is_no_longer_a_worktree_is_missing_and_left_in_place() {
    let env = TestEnv::new();
    let path = env.new_session("replaced");
    fs::remove_dir_all(&path).unwrap();
    fs::create_dir(&path).unwrap();
    fs::write(path.join("notes.txt"), "someone's notes\n").unwrap();
    assert_eq!(env.listed("replaced")["missing"], true);

    let output = env.sessions().args(["clean", "--yes"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(env.session_names().is_empty());
    assert!(env.admin_entries().is_empty());
    assert_eq!(
        fs::read_to_string(path.join("notes.txt")).unwrap(),
        "someone's notes\n"
    );
}
