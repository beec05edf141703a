//! `sessions list` live state and `sessions show`.

use std::fs;

use crate::common::{TestEnv, stderr_of};
use serde_json::Value;

fn commit_on_main(env: &TestEnv, file: &str, message: &str) {
    env.commit_in(&env.repo, file, &format!("{message}\n"), message);
}

/// Session NAME with two commits of its own, and one more commit on main.
fn two_commits_while_main_moves(env: &TestEnv, name: &str) {
    let path = env.new_session(name);
    env.commit_in(&path, "a.txt", "a\n", "work a");
    env.commit_in(&path, "b.txt", "b\n", "work b");
    commit_on_main(env, "m.txt", "main moves on");
}

fn field(s: &Value, key: &str) -> Value {
    s.get(key)
        .cloned()
        .unwrap_or_else(|| panic!("{key} missing in {s}"))
}

#[test]
fn a_fresh_session_is_clean_and_empty() {
    let env = TestEnv::new();
    env.new_session("fresh");
    let s = env.listed("fresh");
    assert_eq!(field(&s, "changes"), 0);
    assert_eq!(field(&s, "ahead"), 0);
    assert_eq!(field(&s, "behind"), 0);
    assert_eq!(field(&s, "merged"), false);
    assert_eq!(field(&s, "empty"), true);
    assert_eq!(field(&s, "missing"), false);
    assert_eq!(field(&s, "locked"), Value::Null);
    let when = field(&s, "last_commit_at");
    assert!(
        when.as_str().unwrap().parse::<jiff::Timestamp>().is_ok(),
        "{when}"
    );
    // The fields issue 2 defined stay.
    for key in [
        "name",
        "branch",
        "path",
        "base",
        "base_commit",
        "created_at",
        "head",
    ] {
        field(&s, key);
    }
}

#[test]
fn changes_count_modified_and_untracked_files() {
    let env = TestEnv::new();
    let path = env.new_session("dirty");
    fs::write(path.join("README.md"), "changed\n").unwrap();
    fs::write(path.join("new.txt"), "new\n").unwrap();
    fs::write(path.join("ignored.log"), "ignored\n").unwrap();
    let s = env.listed("dirty");
    assert_eq!(field(&s, "changes"), 2);
    assert_eq!(field(&s, "modified"), 1);
    assert_eq!(field(&s, "untracked"), 1);
}

#[test]
fn ahead_and_behind_count_against_the_base_tip() {
    let env = TestEnv::new();
    two_commits_while_main_moves(&env, "both");
    let s = env.listed("both");
    assert_eq!(field(&s, "ahead"), 2);
    assert_eq!(field(&s, "behind"), 1);
    assert_eq!(field(&s, "merged"), false);
    assert_eq!(field(&s, "empty"), false);
}

#[test]
fn a_fast_forwarded_branch_is_merged() {
    let env = TestEnv::new();
    let path = env.new_session("ff");
    env.commit_in(&path, "a.txt", "a\n", "work");
    env.git(&["merge", "-q", "--ff-only", "ff"]);
    let s = env.listed("ff");
    assert_eq!(field(&s, "merged"), true);
    assert_eq!(field(&s, "empty"), false);
    assert_eq!(field(&s, "ahead"), 0);
}

#[test]
fn a_squash_merged_branch_is_merged() {
    let env = TestEnv::new();
    two_commits_while_main_moves(&env, "sq");
    env.git(&["merge", "-q", "--squash", "sq"]);
    env.git(&["commit", "-q", "-m", "squashed sq"]);
    let s = env.listed("sq");
    assert_eq!(field(&s, "merged"), true);
    assert_eq!(
        field(&s, "ahead"),
        2,
        "squashing leaves the branch's commits"
    );
}

#[test]
fn a_rebase_merged_branch_is_merged() {
    let env = TestEnv::new();
    two_commits_while_main_moves(&env, "rb");
    env.git(&["cherry-pick", "rb~1", "rb"]);
    let s = env.listed("rb");
    assert_eq!(field(&s, "merged"), true);
    assert_eq!(field(&s, "behind"), 3);
}

#[test]
fn a_partly_merged_branch_is_not_merged() {
    let env = TestEnv::new();
    let path = env.new_session("part");
    env.commit_in(&path, "a.txt", "a\n", "work a");
    env.commit_in(&path, "b.txt", "b\n", "work b");
    env.git(&["cherry-pick", "part~1"]);
    assert_eq!(field(&env.listed("part"), "merged"), false);
}

#[test]
fn locked_and_missing_worktrees_show() {
    let env = TestEnv::new();
    let locked = env.new_session("locked");
    let gone = env.new_session("gone");
    env.git(&[
        "worktree",
        "lock",
        "--reason",
        "on a usb disk",
        locked.to_str().unwrap(),
    ]);
    fs::remove_dir_all(&gone).unwrap();
    assert_eq!(field(&env.listed("locked"), "locked"), "on a usb disk");
    let s = env.listed("gone");
    assert_eq!(field(&s, "missing"), true);
    assert_eq!(field(&s, "changes"), 0);

    let output = env.sessions().arg("list").output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let table = String::from_utf8(output.stdout).unwrap();
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
            .to_string()
    };
    assert!(row("gone").contains("missing"), "{table}");
    assert!(row("locked").contains("on a usb disk"), "{table}");
    assert!(
        table.starts_with(" NAME") || table.starts_with("NAME"),
        "{table}"
    );
}

#[test]
fn many_sessions_list_in_registry_order() {
    let env = TestEnv::new();
    let names: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let path = env.new_session(name);
        for n in 0..i {
            fs::write(path.join(format!("f{n}")), "x").unwrap();
        }
    }
    let listed = env.list_json();
    let got: Vec<(&str, u64)> = listed
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["changes"].as_u64().unwrap()))
        .collect();
    let want: Vec<(&str, u64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u64))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn show_lists_commits_files_and_the_start() {
    let env = TestEnv::new();
    let start = env.git(&["rev-parse", "HEAD"]);
    let path = env.new_session("feat");
    env.commit_in(&path, "a.txt", "1\n2\n3\n", "add a");
    env.commit_in(&path, "README.md", "hello\nworld\n", "extend readme");
    commit_on_main(&env, "m.txt", "main moves on");

    let shown = env.shown("feat");
    let details = &shown;
    assert_eq!(details["name"], "feat");
    assert_eq!(details["ahead"], 2);
    assert_eq!(details["started_from"]["id"], start.as_str());
    let subjects: Vec<&str> = details["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["extend readme", "add a"]);
    let mut files: Vec<(String, u64, u64)> = details["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["added"].as_u64().unwrap(),
                f["deleted"].as_u64().unwrap(),
            )
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        [("README.md".into(), 1, 0), ("a.txt".to_string(), 3, 0)],
        "m.txt from main is not the branch's change"
    );

    let output = env.sessions().args(["show", "feat"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Commits not in main:"), "{text}");
    assert!(text.contains("extend readme"), "{text}");
    assert!(text.contains(&start[..7]), "{text}");

    let output = env.sessions().args(["show", "nope"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("no session named 'nope'"));
}
