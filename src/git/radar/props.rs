//! The radar's snapshot tree against git's own: for generated worktrees (a
//! committed tree, then files modified, made executable, turned into
//! symlinks, deleted, added, some of it staged), `snapshot_tree` must be the
//! tree `git add -A && git write-tree` writes.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::super::testing::git;
use super::*;

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    File { content: Vec<u8>, executable: bool },
    Link(String),
}

/// Path components, odd ones among them; few, so that paths collide (the
/// same path in both trees, a file where the other has a folder).
const NAMES: &[&str] = &[
    "a",
    "b",
    "sub",
    "é",
    "with space",
    "-dash",
    "q\"uote",
    "back\\slash",
    "new\nline",
    "x.log",
    ".hidden",
];

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(NAMES), 1..4).prop_map(|parts| parts.join("/"))
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        4 => (prop::collection::vec(prop::sample::select(&b"ab\n\0"[..]), 0..6), any::<bool>())
            .prop_map(|(content, executable)| Entry::File { content, executable }),
        1 => prop::sample::select(&["a", "../b", "missing", "sub/a"][..])
            .prop_map(|t| Entry::Link(t.to_string())),
    ]
}

/// What becomes of a committed path in the worktree.
#[derive(Debug, Clone)]
enum Fate {
    Kept,
    Deleted,
    Replaced(Entry),
    ModeFlipped,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        3 => Just(Fate::Kept),
        1 => Just(Fate::Deleted),
        1 => Just(Fate::ModeFlipped),
        1 => entry().prop_map(Fate::Replaced),
    ]
}

/// Adds PATH to TREE unless it would need a folder where TREE has a file,
/// or a file where it has a folder.
fn add(tree: &mut BTreeMap<String, Entry>, path: String, entry: Entry) {
    let clashes = tree.keys().any(|other| {
        other == &path
            || other.starts_with(&format!("{path}/"))
            || path.starts_with(&format!("{other}/"))
    });
    if !clashes {
        tree.insert(path, entry);
    }
}

#[derive(Debug, Clone)]
struct Case {
    committed: BTreeMap<String, Entry>,
    worktree: BTreeMap<String, Entry>,
    /// Paths `git add`ed before the snapshot is read.
    staged: Vec<String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((path(), entry(), fate()), 1..8),
        prop::collection::vec((path(), entry()), 0..5),
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    )
        .prop_map(|(committed, added, staged)| {
            let mut before = BTreeMap::new();
            let mut fates = Vec::new();
            for (path, entry, fate) in committed {
                add(&mut before, path.clone(), entry);
                fates.push((path, fate));
            }
            let mut after = BTreeMap::new();
            for (path, fate) in fates {
                let Some(entry) = before.get(&path) else {
                    continue;
                };
                let entry = match (fate, entry.clone()) {
                    (Fate::Kept, e) => e,
                    (Fate::Deleted, _) => continue,
                    (Fate::Replaced(e), _) => e,
                    (
                        Fate::ModeFlipped,
                        Entry::File {
                            content,
                            executable,
                        },
                    ) => Entry::File {
                        content,
                        executable: !executable,
                    },
                    (Fate::ModeFlipped, link) => link,
                };
                after.insert(path, entry);
            }
            for (path, entry) in added {
                add(&mut after, path, entry);
            }
            let paths: Vec<&String> = before.keys().chain(after.keys()).collect();
            // Ignored paths cannot be added by name, nor paths that now lie
            // beyond a symbolic link (git refuses them).
            let beyond_a_link = |p: &str| {
                p.match_indices('/')
                    .any(|(at, _)| matches!(after.get(&p[..at]), Some(Entry::Link(_))))
            };
            let mut staged: Vec<String> = staged
                .iter()
                .map(|i| (*i.get(&paths)).clone())
                .filter(|p| !p.contains(".log") && !beyond_a_link(p))
                .collect();
            staged.sort();
            staged.dedup();
            Case {
                committed: before,
                worktree: after,
                staged,
            }
        })
}

fn write(dir: &Path, tree: &BTreeMap<String, Entry>) {
    for (path, entry) in tree {
        let file = dir.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        match entry {
            Entry::File {
                content,
                executable,
            } => {
                fs::write(&file, content).unwrap();
                let mode = if *executable { 0o755 } else { 0o644 };
                fs::set_permissions(&file, fs::Permissions::from_mode(mode)).unwrap();
            }
            Entry::Link(target) => symlink(target, &file).unwrap(),
        }
    }
}

/// Removes every path of the worktree but `.git`.
fn clear(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name() == Some(".git".as_ref()) {
            continue;
        }
        match fs::symlink_metadata(&path).unwrap().is_dir() {
            true => fs::remove_dir_all(&path).unwrap(),
            false => fs::remove_file(&path).unwrap(),
        }
    }
}

/// CASE in the repository at DIR, whatever an earlier case left there.
fn check(dir: &Path, case: &Case) -> Result<(), TestCaseError> {
    clear(dir);
    write(dir, &case.committed);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "start"]);
    clear(dir);
    write(dir, &case.worktree);
    fs::create_dir_all(dir.join("empty/folder")).unwrap();
    if !case.staged.is_empty() {
        let mut args = vec!["--literal-pathspecs", "add", "-A", "--"];
        args.extend(case.staged.iter().map(String::as_str));
        git(dir, &args);
    }

    let repo = Repo::discover(dir).unwrap();
    let snapshot = WorkSnapshot::read(dir).unwrap();
    let ours = repo.snapshot_tree(&snapshot).unwrap().to_string();
    git(dir, &["add", "-A"]);
    prop_assert_eq!(ours, git(dir, &["write-tree"]));
    Ok(())
}

#[test]
fn a_snapshot_tree_is_git_write_tree_of_the_same_files() {
    let config = Config {
        cases: 64,
        failure_persistence: None,
        // Fixed, so that every run tries the same cases.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5e55_1045),
        ..Config::default()
    };
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    git(&dir, &["init", "-q"]);
    // Ignored files are in neither tree.
    fs::write(dir.join(".git/info/exclude"), "*.log\n").unwrap();
    TestRunner::new(config)
        .run(&case(), |case| check(&dir, &case))
        .unwrap();
}

/// The cases the property found: a folder of the commit that is now a file,
/// one that is now a symlink to another folder (whose files reading went
/// through), and a file that is now a folder of ignored files.
#[test]
fn a_folder_that_became_a_file_or_a_link_and_back() {
    let file = |content: &str| Entry::File {
        content: content.into(),
        executable: false,
    };
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    git(&dir, &["init", "-q"]);
    let committed = BTreeMap::from([("d/a".into(), file("x")), ("e/a".into(), file("y"))]);
    for now in [file("d"), Entry::Link("e".into())] {
        let case = Case {
            committed: committed.clone(),
            worktree: BTreeMap::from([("d".into(), now), ("e/a".into(), file("y"))]),
            staged: Vec::new(),
        };
        check(&dir, &case).unwrap();
    }
    fs::write(dir.join(".git/info/exclude"), "*.log\n").unwrap();
    let case = Case {
        committed: BTreeMap::from([("d".into(), file("x"))]),
        worktree: BTreeMap::from([("d/x.log".into(), file("ignored"))]),
        staged: Vec::new(),
    };
    check(&dir, &case).unwrap();
}
