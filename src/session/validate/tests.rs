//! The registry's rules: one entry per name, and each session's folder its
//! own linked worktree or gone; what breaks them is refused, not acted on.

use std::os::unix::fs::symlink;

use super::*;
use crate::error::{Exit, failure_of};
use crate::session::testing::Fixture;

fn problems(f: &Fixture, entries: &[Entry]) -> Vec<(String, ViolationKind, String)> {
    let worktrees = f.ws.repo.worktrees().unwrap();
    violations(&f.ws, &worktrees, entries)
        .into_iter()
        .map(|v| (v.name, v.kind, v.problem))
        .collect()
}

#[test]
fn a_session_in_its_worktree_or_with_its_folder_gone_is_valid() {
    let f = Fixture::new();
    let s = f.session("s");
    let gone = f.session("gone");
    fs::remove_dir_all(&gone.path).unwrap();
    let entries = [s, gone];
    assert!(problems(&f, &entries).is_empty());
    assert!(valid_entry(&f.ws, &entries, "s").is_ok());
    assert!(valid_entry(&f.ws, &entries, "gone").is_ok());
}

#[test]
fn a_name_twice_is_one_violation() {
    let f = Fixture::new();
    let s = f.session("s");
    let entries = [s.clone(), s.clone(), s];
    let found = problems(&f, &entries);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, ViolationKind::DuplicateName);
    assert_eq!(found[0].2, "appears 3 times");
}

#[test]
fn a_folder_that_is_not_the_session_s_worktree_is_foreign() {
    let f = Fixture::new();
    let real = f.session("real");
    let plain = f.dir.with_file_name("plain");
    fs::create_dir(&plain).unwrap();
    let link = f.dir.with_file_name("link");
    symlink(&real.path, &link).unwrap();
    let at = |name: &str, path: &Path| Entry {
        name: name.into(),
        path: path.to_path_buf(),
        ..real.clone()
    };
    for (entry, expected) in [
        (at("main", &f.dir), "which is the main worktree"),
        (
            at("plain", &plain),
            "which is not a worktree of this repository",
        ),
        (at("link", &link), "which is a symlink to"),
        (
            at("twin", &real.path),
            "which is also the folder of session 'real'",
        ),
    ] {
        let entries = [real.clone(), entry];
        let found = problems(&f, &entries);
        let mine: Vec<_> = found.iter().filter(|p| p.0 == entries[1].name).collect();
        assert_eq!(mine.len(), 1, "{found:?}");
        assert_eq!(mine[0].1, ViolationKind::ForeignPath);
        assert!(mine[0].2.contains(expected), "{found:?}");
        // Refused, so that no command acts on that folder.
        let refused = valid_entry(&f.ws, &entries, &entries[1].name).unwrap_err();
        assert_eq!(failure_of(&refused).unwrap().exit, Exit::Refused);
    }
}
