//! Session names through the built binary, with generated names: an invalid
//! one (refused by the validator or by git) exits 2 and changes nothing; a
//! valid one becomes branch NAME and folder `<repo>.sessions/<NAME, '/' as
//! '-'>`, which `sessions path` gives back.

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::{TestEnv, stderr_of};

/// Characters that may start or end a name's component.
const EDGE: &[char] = &['a', 'k', 'Z', '0', '_', 'é'];
const INNER: &[char] = &['a', 'Z', '0', '_', 'é', '-', '.', '@', '+', ','];

/// Names both the validator and git accept.
fn valid_name() -> impl Strategy<Value = String> {
    let component = (
        prop::sample::select(EDGE),
        prop::collection::vec(prop::sample::select(INNER), 0..8),
        prop::sample::select(EDGE),
    )
        .prop_map(|(first, middle, last)| {
            std::iter::once(first)
                .chain(middle)
                .chain([last])
                .collect::<String>()
        });
    prop::collection::vec(component, 1..4)
        .prop_map(|parts| parts.join("/"))
        .prop_filter("sequences git refuses", |n| {
            !n.contains("..") && !n.split('/').any(|c| c.ends_with(".lock"))
        })
}

/// NAME with one defect inserted or added: each one the validator or git
/// refuses (a NUL cannot be an argument, so it is not among them).
fn invalid_name() -> impl Strategy<Value = String> {
    const INSERTED: &[&str] = &[
        " ", "\t", "\n", "\u{1b}", "\u{7f}", "\u{a0}", "~", "^", ":", "?", "*", "[", "\\", "@{",
        "//", "..",
    ];
    let inserted = (
        valid_name(),
        prop::sample::select(INSERTED),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(name, what, at)| {
            let at = at.index(name.len() + 1);
            let at = (0..=at)
                .rev()
                .find(|i| name.is_char_boundary(*i))
                .unwrap_or(0);
            format!("{}{what}{}", &name[..at], &name[at..])
        });
    let wrapped = (
        valid_name(),
        prop::sample::select(
            &[
                "-{}",
                "{}/",
                "{}.lock",
                "{}.lock/x",
                "{}/../x",
                "../{}",
                "{}/.",
                ".{}",
                "{}/.x",
                "{}.",
                "/{}",
                "@",
                "",
                "{}{long}",
            ][..],
        ),
    )
        .prop_map(|(name, shape)| {
            shape
                .replace("{long}", &"a".repeat(101))
                .replace("{}", &name)
        });
    prop_oneof![inserted, wrapped]
}

/// Everything `new` could change: refs, worktrees, the registry, and every
/// file under the test's root (the repository, its git folder, the sessions
/// folder's parent, HOME).
fn everything(env: &TestEnv) -> Vec<String> {
    let mut state = vec![
        env.git(&["for-each-ref", "--format=%(refname) %(objectname)"]),
        env.git(&["worktree", "list", "--porcelain"]),
        String::from_utf8_lossy(&env.registry_bytes()).into_owned(),
    ];
    let mut stack = vec![env.root()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
            }
            let content = if meta.is_file() {
                fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            state.push(format!("{} {:?}", path.display(), content));
        }
    }
    state.sort();
    state
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // Fixed, so that every run tries the same cases.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5e55_1045),
        ..Config::default()
    })
}

#[test]
fn an_invalid_name_exits_2_and_changes_nothing() {
    let env = TestEnv::new();
    env.new_session("existing");
    let before = everything(&env);
    runner(48)
        .run(&invalid_name(), |name| {
            let output = env
                .sessions()
                .args(["new", "--no-agent", "--", &name])
                .output()
                .unwrap();
            prop_assert_eq!(
                output.status.code(),
                Some(2),
                "{:?}: {}",
                name,
                stderr_of(&output)
            );
            prop_assert!(
                everything(&env) == before,
                "`new {name:?}` changed something"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_valid_name_is_its_branch_and_its_folder() {
    runner(8)
        .run(&valid_name(), |name| {
            let env = TestEnv::new();
            let path = env.new_session(&name);
            let folder: PathBuf = env.sessions_dir().join(name.replace('/', "-"));
            prop_assert_eq!(&path, &folder);
            prop_assert!(Path::new(&path).is_dir());
            prop_assert!(env.branches().contains(&name), "no branch {name:?}");
            let head = env.git_in(&path, &["symbolic-ref", "HEAD"]);
            prop_assert_eq!(head, format!("refs/heads/{name}"));
            let out = env.sessions().args(["path", &name]).output().unwrap();
            let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
            prop_assert_eq!(printed, path.display().to_string());
            Ok(())
        })
        .unwrap();
}
