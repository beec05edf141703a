//! `sessions conflicts`: predicted conflicts between sessions and with the
//! base, from in-memory merges that touch nothing.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, write_file};
use serde_json::{Value, json};

const LINES: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";

/// A repository whose `text.txt` has ten lines, committed on main.
fn setup() -> TestEnv {
    let env = TestEnv::new();
    env.commit_in(&env.repo, "text.txt", LINES, "ten lines");
    env
}

fn replace_line(dir: &Path, file: &str, line: &str, with: &str) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(line), "{file} has no line {line}");
    fs::write(
        &path,
        text.replace(&format!("{line}\n"), &format!("{with}\n")),
    )
    .unwrap();
}

/// Replaces LINE of `text.txt` in DIR and commits it.
fn commit_edit(env: &TestEnv, dir: &Path, line: &str, with: &str) {
    replace_line(dir, "text.txt", line, with);
    env.git_in(dir, &["commit", "-q", "-am", with]);
}

/// `sessions conflicts --json ARGS`: exit code and the parsed pairs.
fn radar(env: &TestEnv, args: &[&str]) -> (i32, Vec<Value>) {
    let output = env
        .sessions()
        .arg("conflicts")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let code = output.status.code().unwrap();
    assert!(
        code < 2,
        "conflicts failed: {}",
        crate::common::stderr_of(&output)
    );
    let radar: Value = serde_json::from_slice(&output.stdout).unwrap();
    match &radar["pairs"] {
        Value::Array(pairs) => (code, pairs.clone()),
        _ => panic!("conflicts --json printed {radar}"),
    }
}

fn pair<'a>(pairs: &'a [Value], a: &str, b: &str) -> &'a Value {
    pairs
        .iter()
        .find(|p| p["a"] == a && p["b"] == b)
        .unwrap_or_else(|| panic!("no pair {a}/{b} in {pairs:?}"))
}

#[test]
fn the_same_lines_conflict_for_that_pair_with_the_path() {
    let env = setup();
    let a = env.new_session("a");
    let b = env.new_session("b");
    let c = env.new_session("c");
    commit_edit(&env, &a, "three", "THREE from a");
    commit_edit(&env, &b, "three", "THREE from b");
    env.commit_in(&c, "other.txt", "c's own file\n", "c adds a file");

    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        pair(&pairs, "a", "b"),
        &json!({"a": "a", "b": "b", "conflicts": ["text.txt"], "overlaps": []})
    );
    for (x, y) in [
        ("a", "c"),
        ("b", "c"),
        ("a", "base"),
        ("b", "base"),
        ("c", "base"),
    ] {
        let p = pair(&pairs, x, y);
        assert_eq!(p["conflicts"], json!([]), "{p}");
        assert_eq!(p["overlaps"], json!([]), "{p}");
    }
    assert_eq!(pairs.len(), 6, "3 pairs and 3 comparisons with the base");

    let table = env.sessions().arg("conflicts").output().unwrap();
    assert_eq!(table.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(stdout.contains("text.txt"), "{stdout}");
    assert!(
        crate::common::stderr_of(&table).contains("conflicts predicted"),
        "{}",
        crate::common::stderr_of(&table)
    );
}

#[test]
fn different_files_predict_nothing() {
    let env = setup();
    let a = env.new_session("a");
    let b = env.new_session("b");
    env.commit_in(&a, "a.txt", "a\n", "a");
    env.commit_in(&b, "b.txt", "b\n", "b");
    replace_line(&b, "text.txt", "ten", "TEN, uncommitted");
    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        pair(&pairs, "a", "b"),
        &json!({"a": "a", "b": "b", "conflicts": [], "overlaps": []})
    );
    let table = env.sessions().arg("conflicts").assert().success();
    let stderr = crate::common::stderr_of(table.get_output());
    assert!(stderr.contains("No conflicts"), "{stderr}");
}

#[test]
fn the_same_file_in_different_places_is_an_overlap_only() {
    let env = setup();
    let a = env.new_session("a");
    let b = env.new_session("b");
    commit_edit(&env, &a, "one", "ONE");
    commit_edit(&env, &b, "ten", "TEN");
    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        pair(&pairs, "a", "b"),
        &json!({"a": "a", "b": "b", "conflicts": [], "overlaps": ["text.txt"]})
    );
}

#[test]
fn uncommitted_and_untracked_work_counts() {
    let env = setup();
    let a = env.new_session("a");
    let b = env.new_session("b");
    // Modified, never committed, on both sides.
    replace_line(&a, "text.txt", "five", "FIVE from a");
    replace_line(&b, "text.txt", "five", "FIVE from b");
    // Untracked on both sides, with different content: an add/add conflict.
    write_file(&a.join("notes/todo.md"), "a's notes\n");
    write_file(&b.join("notes/todo.md"), "b's notes\n");
    // Staged in one, deleted in the other.
    write_file(&a.join("README.md"), "a's readme\n");
    env.git_in(&a, &["add", "README.md"]);
    fs::remove_file(b.join("README.md")).unwrap();

    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        pair(&pairs, "a", "b")["conflicts"],
        json!(["README.md", "notes/todo.md", "text.txt"])
    );
}

#[test]
fn a_session_is_compared_with_the_current_tip_of_its_base() {
    let env = setup();
    let a = env.new_session("a");
    commit_edit(&env, &a, "two", "TWO from a");
    commit_edit(&env, &env.repo, "two", "TWO on main");
    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        pair(&pairs, "a", "base"),
        &json!({"a": "a", "b": "base", "conflicts": ["text.txt"], "overlaps": []})
    );
}

#[test]
fn names_limit_the_pairs_and_unknown_names_are_bad_input() {
    let env = setup();
    for name in ["a", "b", "c"] {
        let dir = env.new_session(name);
        env.commit_in(&dir, &format!("{name}.txt"), name, "its own file");
    }
    let (_, pairs) = radar(&env, &["c"]);
    let mut seen: Vec<String> = pairs
        .iter()
        .map(|p| format!("{}/{}", p["a"].as_str().unwrap(), p["b"].as_str().unwrap()))
        .collect();
    seen.sort();
    assert_eq!(seen, ["a/c", "b/c", "c/base"]);

    let output = env.sessions().args(["conflicts", "nope"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(crate::common::stderr_of(&output).contains("no session named 'nope'"));
}

/// Everything `conflicts` must leave alone: every worktree's status, every
/// index, every HEAD, every ref, and the object store.
fn everything(env: &TestEnv, worktrees: &[PathBuf]) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for dir in worktrees {
        // Without optional locks, so that looking does not refresh the index.
        let args = [
            "--no-optional-locks",
            "status",
            "--porcelain=v2",
            "--branch",
            "-uall",
        ];
        let status = env.git_in(dir, &args);
        all.push((format!("status {}", dir.display()), status.into_bytes()));
    }
    let mut files = Vec::new();
    collect(&env.git_dir(), &mut files);
    for file in files {
        let relative = file.strip_prefix(env.git_dir()).unwrap().to_path_buf();
        let name = relative.to_string_lossy().into_owned();
        let interesting = name.ends_with("index")
            || name.ends_with("HEAD")
            || name.starts_with("refs")
            || name == "packed-refs"
            || name.starts_with("objects")
            || name.starts_with("logs");
        if interesting {
            all.push((name, fs::read(&file).unwrap()));
        }
    }
    all.sort();
    all
}

fn collect(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, into);
        } else {
            into.push(path);
        }
    }
}

#[test]
fn conflicts_changes_nothing_at_all() {
    let env = setup();
    let a = env.new_session("a");
    let b = env.new_session("b");
    commit_edit(&env, &a, "three", "THREE from a");
    replace_line(&b, "text.txt", "three", "THREE from b");
    replace_line(&b, "text.txt", "nine", "NINE, staged");
    env.git_in(&b, &["add", "text.txt"]);
    replace_line(&b, "text.txt", "one", "ONE, unstaged on top");
    write_file(&b.join("new/untracked.txt"), "untracked\n");
    write_file(&env.repo.join("main-untracked.txt"), "in main\n");
    // A tracked file whose content is unchanged but whose time is not: a
    // `git status` with optional locks would rewrite that index.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    let file = fs::File::options()
        .write(true)
        .open(a.join("README.md"))
        .unwrap();
    file.set_modified(later).unwrap();
    let worktrees = [env.repo.clone(), a, b];

    let before = everything(&env, &worktrees);
    let (code, _) = radar(&env, &[]);
    assert_eq!(code, 1);
    env.sessions().arg("conflicts").assert().code(1);
    let after = everything(&env, &worktrees);
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0);
        assert!(b.1 == a.1, "{} changed", b.0);
    }
}

#[test]
fn a_rename_on_one_side_and_an_edit_on_the_other_merge_cleanly() {
    let env = setup();
    let a = env.new_session("a");
    let b = env.new_session("b");
    env.git_in(&a, &["mv", "text.txt", "moved.txt"]);
    env.git_in(&a, &["commit", "-q", "-m", "a renames the file"]);
    commit_edit(&env, &b, "five", "FIVE from b");
    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        pair(&pairs, "a", "b"),
        &json!({"a": "a", "b": "b", "conflicts": [], "overlaps": ["text.txt"]})
    );
    // Renamed on both sides, to different names: that conflicts.
    env.git_in(&b, &["mv", "text.txt", "elsewhere.txt"]);
    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 1);
    let conflicts = &pair(&pairs, "a", "b")["conflicts"];
    assert!(
        conflicts.as_array().unwrap().contains(&json!("text.txt")),
        "{conflicts}"
    );
}

/// `sessions conflicts --json`: the findings only, as (a, b, conflicts,
/// overlaps), pairs with nothing to say left out.
fn findings(env: &TestEnv) -> (i32, Vec<Value>) {
    let (code, pairs) = radar(env, &[]);
    let found = pairs
        .into_iter()
        .filter(|p| p["conflicts"] != json!([]) || p["overlaps"] != json!([]))
        .collect();
    (code, found)
}

/// The scenario that made the radar cry wolf: the base changed page.html
/// after a forked and before b and c did. Only a meets that change; b and
/// c, untouched, are in no pair at all.
#[test]
fn what_the_base_gained_is_no_change_of_newer_sessions() {
    let env = setup();
    env.commit_in(&env.repo, "page.html", LINES, "a page");
    let a = env.new_session("a");
    replace_line(&a, "page.html", "four", "FOUR from a");
    env.git_in(&a, &["commit", "-q", "-am", "a edits the page"]);
    replace_line(&env.repo, "page.html", "four", "FOUR on main");
    env.git(&["commit", "-q", "-am", "main edits the page"]);
    let b = env.new_session("b");
    let c = env.new_session("c");

    let (code, pairs) = radar(&env, &[]);
    assert_eq!(code, 1, "a conflict is predicted");
    assert_eq!(
        pairs,
        [json!({"a": "a", "b": "base", "conflicts": ["page.html"], "overlaps": []})],
        "untouched sessions are in no pair"
    );
    let table = env.sessions().arg("conflicts").output().unwrap();
    assert_eq!(table.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&table.stdout);
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains("page.html")).collect();
    assert_eq!(rows.len(), 1, "{stdout}");
    assert!(rows[0].contains("base"), "{stdout}");
    let stderr = crate::common::stderr_of(&table);
    assert!(stderr.contains("conflicts predicted in 1 of 1"), "{stderr}");

    // b and c now change page.html where main did not: each lands cleanly
    // on the base, each meets a only where a changed the same lines.
    replace_line(&b, "page.html", "eight", "EIGHT from b");
    replace_line(&c, "page.html", "FOUR on main", "FOUR from c");
    let (_, found) = findings(&env);
    let found: Vec<String> = found
        .iter()
        .map(|p| format!("{}/{} {} {}", p["a"], p["b"], p["conflicts"], p["overlaps"]))
        .collect();
    assert_eq!(
        found,
        [
            r#""a"/"b" [] ["page.html"]"#,
            r#""a"/"c" ["page.html"] []"#,
            r#""a"/"base" ["page.html"] []"#,
            r#""b"/"c" [] ["page.html"]"#,
        ],
        "c edits main's version of line four, as a will once it is synced"
    );
}

#[test]
fn only_what_a_session_changed_itself_meets_another() {
    let env = setup();
    let a = env.new_session("a");
    commit_edit(&env, &a, "two", "TWO from a");
    // The base moves on: text.txt and a new file, after a forked.
    commit_edit(&env, &env.repo, "nine", "NINE on main");
    env.commit_in(&env.repo, "later.txt", "later\n", "main adds a file");
    let b = env.new_session("b");
    // b edits a file the base gained since a forked: no change of a's.
    fs::write(b.join("later.txt"), "b's version\n").unwrap();
    let with_base = json!({"a": "a", "b": "base", "conflicts": [], "overlaps": ["text.txt"]});
    let (code, found) = findings(&env);
    assert_eq!((code, found), (0, vec![with_base.clone()]));

    // Uncommitted in b, committed in a, the same lines: that is a pair.
    replace_line(&b, "text.txt", "two", "TWO from b, uncommitted");
    let (code, found) = findings(&env);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            json!({"a": "a", "b": "b", "conflicts": ["text.txt"], "overlaps": []}),
            with_base
        ]
    );
}

#[test]
fn untracked_work_meets_another_sessions_commits() {
    let env = setup();
    let a = env.new_session("a");
    let b = env.new_session("b");
    env.commit_in(&a, "docs/plan.md", "a's plan\n", "a plans");
    write_file(&b.join("docs/plan.md"), "b's plan, never added\n");
    let (code, found) = findings(&env);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [json!({"a": "a", "b": "b", "conflicts": ["docs/plan.md"], "overlaps": []})]
    );
}
