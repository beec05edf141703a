//! `doctor` repairing what killed processes, moves and hand edits leave
//! behind, and the registry validated before any command acts on an entry
//! (issue 10, items 17, 20, 21, 22 and 24).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, dead_pid, finding_kinds, stderr_of, write_file};
use serde_json::Value;

/// Appends a `[[pending]]` record to the registry: what a `sessions new`
/// killed half-way leaves.
fn pending(env: &TestEnv, name: &str, path: &Path, creates_branch: bool) {
    let mut text = String::from_utf8(env.registry_bytes()).unwrap();
    if text.is_empty() {
        text.push_str("version = 1\n");
    }
    text.push_str(&format!(
        "\n[[pending]]\nname = \"{name}\"\nbranch = \"{name}\"\npath = \"{}\"\n\
         creates_branch = {creates_branch}\npid = {}\nstarted_at = \"2026-01-01T00:00:00Z\"\n",
        path.display(),
        dead_pid()
    ));
    write_file(&env.registry_file(), &text);
}

/// `git worktree add -b NAME` into the sessions folder, then git's own
/// "initializing" lock put back, as a `git worktree add` killed half-way
/// leaves it.
fn half_made_worktree(env: &TestEnv, name: &str) -> PathBuf {
    let path = env.sessions_dir().join(name);
    env.git(&["worktree", "add", "-q", "-b", name, path.to_str().unwrap()]);
    fs::write(
        env.git_dir().join("worktrees").join(name).join("locked"),
        "initializing",
    )
    .unwrap();
    path
}

/// Replaces every `from` in the registry with `to`.
fn edit_registry(env: &TestEnv, from: &str, to: &str) {
    let text = String::from_utf8(env.registry_bytes()).unwrap();
    assert!(text.contains(from), "{text}");
    write_file(&env.registry_file(), &text.replace(from, to));
}

// Item 17.

#[test]
fn an_interrupted_new_is_undone_and_stale_temp_files_go() {
    let env = TestEnv::new();
    let path = half_made_worktree(&env, "half");
    pending(&env, "half", &path, true);
    let temp = env
        .git_dir()
        .join("sessions")
        .join(format!("registry.toml.tmp-{}", dead_pid()));
    write_file(&temp, "version = 1\n");

    let fixed = env.found_then_fixed(&["interrupted_new", "stale_temp_file"]);
    assert!(!path.exists(), "{fixed}");
    assert!(!temp.exists(), "{fixed}");
    assert_eq!(env.branches(), ["main"]);
    assert!(env.admin_entries().is_empty());
    assert!(env.session_names().is_empty(), "it was adopted: {fixed}");
    let registry = String::from_utf8(env.registry_bytes()).unwrap();
    assert!(!registry.contains("[[pending]]"), "{registry}");
}

#[test]
fn an_interrupted_new_keeps_what_holds_work() {
    let env = TestEnv::new();
    // Finished by git, then worked in: a file nobody committed, and a branch
    // with a commit no other branch has.
    let path = env.sessions_dir().join("worked");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "worked",
        path.to_str().unwrap(),
    ]);
    env.commit_in(&path, "done.txt", "done\n", "work");
    write_file(&path.join("draft.txt"), "draft\n");
    pending(&env, "worked", &path, true);

    let (output, report) = env.doctor_in(&env.repo, &[]);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(finding_kinds(&report), ["interrupted_new"], "{report}");
    let (_, fixed) = env.doctor_in(&env.repo, &["--fix"]);
    assert_eq!(
        fs::read_to_string(path.join("draft.txt")).unwrap(),
        "draft\n"
    );
    assert!(env.branches().contains(&"worked".to_string()), "{fixed}");
    // Kept and adopted: a session again, whose branch sessions never deletes.
    assert_eq!(env.listed("worked")["owns_branch"], false, "{fixed}");
}

#[test]
fn a_worktree_git_never_finished_is_reported_not_adopted() {
    let env = TestEnv::new();
    let path = half_made_worktree(&env, "stray");
    let (output, report) = env.doctor_in(&env.repo, &["--fix"]);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(finding_kinds(&report), ["half_made_worktree"], "{report}");
    assert!(env.session_names().is_empty());
    assert!(path.exists());
}

// Item 20.

#[test]
fn a_moved_main_worktree_is_linked_again() {
    let env = TestEnv::new();
    let path = env.new_session("a");
    let moved = env.root().join("work").join("renamed");
    fs::rename(&env.repo, &moved).unwrap();

    env.found_then_fixed_in(&moved, &["moved_repository"]);
    let list = env
        .sessions_in(&moved)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(list.status.success(), "{}", stderr_of(&list));
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list["sessions"][0]["path"], path.to_str().unwrap());
    assert_eq!(list["sessions"][0]["missing"], false, "{list}");
}

#[test]
fn a_repository_moved_with_its_sessions_keeps_them() {
    let env = TestEnv::new();
    env.new_session("a");
    let new_session = env.sessions_dir().join("b");
    env.sessions()
        .args(["new", "b", "--no-agent"])
        .assert()
        .success();
    write_file(&new_session.join("draft.txt"), "work in progress\n");
    let to = env.root().join("elsewhere");
    fs::rename(env.root().join("work"), &to).unwrap();
    let repo = to.join("repo");

    // Before the repair, nothing takes the moved sessions for gone ones.
    let rm = env.sessions_in(&repo).args(["rm", "a"]).output().unwrap();
    assert_eq!(rm.status.code(), Some(3), "{}", stderr_of(&rm));
    assert!(stderr_of(&rm).contains("moved to"), "{}", stderr_of(&rm));
    let clean = env
        .sessions_in(&repo)
        .args(["clean", "--yes"])
        .output()
        .unwrap();
    // The plan keeps them, saying why (stdout), or the run does (stderr).
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&clean.stdout),
        stderr_of(&clean)
    );
    assert!(said.contains("moved to"), "{said}");
    env.found_then_fixed_in(&repo, &["moved_worktree", "moved_worktree"]);
    let list = env
        .sessions_in(&repo)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(list.status.success(), "{}", stderr_of(&list));
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list}");
    for s in sessions {
        assert_eq!(s["missing"], false, "{list}");
        assert!(
            s["path"]
                .as_str()
                .unwrap()
                .starts_with(to.to_str().unwrap())
        );
    }
    let b = to.join("repo.sessions").join("b");
    assert_eq!(
        fs::read_to_string(b.join("draft.txt")).unwrap(),
        "work in progress\n"
    );
    let status = env.git_in(&b, &["status", "--porcelain"]);
    assert_eq!(status, "?? draft.txt");
}

// Item 21.

#[test]
fn doctor_never_deletes_a_branch_sessions_did_not_make() {
    let env = TestEnv::new();
    env.git(&["branch", "worktree-mine"]);
    let (output, report) = env.doctor_in(&env.repo, &["--fix"]);
    assert!(output.status.success(), "{report}");
    assert_eq!(report["fixed"].as_array().unwrap().len(), 0, "{report}");
    assert_eq!(env.branches(), ["main", "worktree-mine"]);
}

// Item 22.

#[test]
fn rm_refuses_a_session_whose_folder_is_not_this_repositorys_worktree() {
    let env = TestEnv::new();
    let log = env.root().join("teardown.log");
    env.user_config(&format!("teardown = [\"pwd >> '{}'\"]\n", log.display()));
    let path = env.new_session("a");
    let unrelated = env.root().join("unrelated");
    write_file(&unrelated.join("precious.txt"), "mine\n");
    edit_registry(&env, path.to_str().unwrap(), unrelated.to_str().unwrap());
    let before = env.registry_bytes();

    let stderr = env.exits_with(&["rm", "a", "--force"], 3);
    assert!(stderr.contains("registry.toml"), "{stderr}");
    assert!(
        stderr.contains("not a worktree of this repository"),
        "{stderr}"
    );
    assert!(stderr.contains("sessions doctor"), "{stderr}");
    assert!(
        !log.exists(),
        "teardown ran in {}",
        fs::read_to_string(&log).unwrap()
    );
    assert_eq!(env.registry_bytes(), before);
    assert!(unrelated.join("precious.txt").exists());
    env.exits_with(&["path", "a"], 3);

    // Doctor forgets the entry without touching the folder, and the
    // session's real worktree, now nobody's, is adopted back.
    let fixed = env.found_then_fixed(&["invalid_entry", "unowned_worktree"]);
    assert!(unrelated.join("precious.txt").exists(), "{fixed}");
    assert!(!log.exists(), "{fixed}");
    assert_eq!(env.listed("a")["path"], path.to_str().unwrap());
}

#[test]
fn duplicate_names_are_refused_and_reported() {
    let env = TestEnv::new();
    let a = env.new_session("a");
    let b = env.new_session("b");
    edit_registry(&env, "name = \"b\"", "name = \"a\"");
    let before = env.registry_bytes();

    let stderr = env.exits_with(&["rm", "a"], 3);
    assert!(stderr.contains("appears 2 times"), "{stderr}");
    assert_eq!(env.registry_bytes(), before);
    assert!(a.exists() && b.exists());

    let (output, report) = env.doctor_in(&env.repo, &["--fix"]);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(finding_kinds(&report), ["duplicate_name"], "{report}");
    assert_eq!(report["findings"][0]["fixable"], false);
    assert_eq!(env.registry_bytes(), before);
}

#[test]
fn an_entry_copied_twice_loses_its_copy() {
    let env = TestEnv::new();
    env.new_session("a");
    let text = String::from_utf8(env.registry_bytes()).unwrap();
    let entry = &text[text.find("[[session]]").unwrap()..];
    write_file(&env.registry_file(), &format!("{text}\n{entry}"));

    env.found_then_fixed(&["duplicate_name"]);
    assert_eq!(env.session_names(), ["a"]);
}

// Item 24.

#[test]
fn a_session_folder_replaced_by_a_symlink_to_the_main_worktree_is_not_adopted() {
    let env = TestEnv::new();
    let path = env.new_session("a");
    fs::remove_dir_all(&path).unwrap();
    std::os::unix::fs::symlink(&env.repo, &path).unwrap();
    let stderr = env.exits_with(&["rm", "a", "--force"], 3);
    assert!(stderr.contains("symlink"), "{stderr}");

    let (output, report) = env.doctor_in(&env.repo, &[]);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(
        finding_kinds(&report),
        ["invalid_entry", "symlinked_worktree"],
        "{report}"
    );
    let (output, report) = env.doctor_in(&env.repo, &["--fix"]);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(finding_kinds(&report), ["symlinked_worktree"], "{report}");
    assert!(env.session_names().is_empty(), "{report}");
    let adopt = env.sessions().args(["adopt", "--all"]).output().unwrap();
    assert!(adopt.status.success(), "{}", stderr_of(&adopt));
    assert!(env.session_names().is_empty());
    assert!(env.repo.join("README.md").exists());
}

// Kills found by the stress test.

/// What a `sessions new NAME` killed inside `git worktree add` leaves: its
/// branch and claimed folder, and git's admin entry written up to FILES.
fn killed_in_worktree_add(env: &TestEnv, name: &str, files: &[&str]) -> (PathBuf, PathBuf) {
    let path = env.sessions_dir().join(name);
    fs::create_dir_all(&path).unwrap();
    env.git(&["branch", name]);
    let admin = env.git_dir().join("worktrees").join(name);
    fs::create_dir_all(&admin).unwrap();
    for file in files {
        let text = match *file {
            "locked" => "initializing".to_string(),
            "gitdir" => format!("{}\n", path.join(".git").display()),
            "commondir" => "../..\n".to_string(),
            "HEAD" => format!("ref: refs/heads/{name}\n"),
            other => panic!("{other}"),
        };
        fs::write(admin.join(file), text).unwrap();
    }
    if files.contains(&"gitdir") {
        write_file(
            &path.join(".git"),
            &format!("gitdir: {}\n", admin.display()),
        );
    }
    pending(env, name, &path, true);
    (path, admin)
}

#[test]
fn an_interrupted_new_removes_the_entry_git_never_finished_writing() {
    let env = TestEnv::new();
    // Killed before `commondir` and `HEAD`: git2 does not list such an entry.
    let (path, admin) = killed_in_worktree_add(&env, "early", &["locked", "gitdir"]);
    // Killed before even `gitdir`: found by the name git gives the folder.
    let (bare, bare_admin) = killed_in_worktree_add(&env, "earlier", &["locked"]);
    let fixed = env.found_then_fixed(&["interrupted_new", "interrupted_new"]);
    for gone in [&path, &admin, &bare, &bare_admin] {
        assert!(!gone.exists(), "{} stays: {fixed}", gone.display());
    }
    assert_eq!(env.branches(), ["main"]);
    env.git(&["rev-list", "--all", "--reflog"]);
    assert!(env.git(&["worktree", "list"]).lines().count() == 1);
}

#[test]
fn an_interrupted_new_keeps_a_half_written_entry_that_holds_an_index() {
    let env = TestEnv::new();
    let (_, admin) = killed_in_worktree_add(&env, "staged", &["gitdir"]);
    fs::write(admin.join("index"), "not git's first writes").unwrap();
    let (_, fixed) = env.doctor_in(&env.repo, &["--fix"]);
    assert!(admin.join("index").exists(), "{fixed}");
}

#[test]
fn a_half_written_entry_is_reported_and_pruned_only_when_git_would_prune_it() {
    let env = TestEnv::new();
    // A `git worktree remove` killed half-way: no gitdir, folder gone.
    let removed = env.git_dir().join("worktrees").join("removed");
    fs::create_dir_all(&removed).unwrap();
    fs::write(removed.join("index"), "").unwrap();
    // A `git worktree add` that may still be running: locked, kept.
    let adding = env.git_dir().join("worktrees").join("adding");
    fs::create_dir_all(&adding).unwrap();
    fs::write(adding.join("locked"), "initializing").unwrap();

    let (_, report) = env.doctor_in(&env.repo, &[]);
    assert_eq!(
        finding_kinds(&report),
        ["half_written_admin_entry", "half_written_admin_entry"],
        "{report}"
    );
    let (output, fixed) = env.doctor_in(&env.repo, &["--fix"]);
    assert_eq!(output.status.code(), Some(1), "{fixed}");
    assert!(!removed.exists(), "{fixed}");
    assert!(adding.join("locked").exists(), "{fixed}");
    assert_eq!(
        finding_kinds(&fixed),
        ["half_written_admin_entry"],
        "{fixed}"
    );
}

#[test]
fn an_interrupted_new_removes_the_lock_its_git_left_on_the_branch() {
    let env = TestEnv::new();
    let path = half_made_worktree(&env, "locked");
    // `git worktree add` killed in its `reset --hard`, which was updating
    // HEAD and so the branch.
    let lock = env.git_dir().join("refs/heads/locked.lock");
    write_file(&lock, &format!("{}\n", env.git(&["rev-parse", "main"])));
    pending(&env, "locked", &path, true);
    let fixed = env.found_then_fixed(&["interrupted_new"]);
    assert!(!lock.exists(), "{fixed}");
    assert_eq!(env.branches(), ["main"], "{fixed}");
}

#[test]
fn an_interrupted_new_removes_an_entry_killed_between_creating_and_writing_a_file() {
    let env = TestEnv::new();
    let (path, admin) = killed_in_worktree_add(&env, "cut", &["locked"]);
    fs::write(admin.join("locked"), "").unwrap();
    fs::write(admin.join("gitdir"), "").unwrap();
    // On which git itself fails: "failed to read .../commondir".
    let (later, later_admin) =
        killed_in_worktree_add(&env, "later", &["locked", "gitdir", "commondir"]);
    fs::write(later_admin.join("commondir"), "").unwrap();
    let fixed = env.found_then_fixed(&["interrupted_new", "interrupted_new"]);
    for gone in [&path, &admin, &later, &later_admin] {
        assert!(!gone.exists(), "{} stays: {fixed}", gone.display());
    }
    env.git(&["rev-list", "--all", "--reflog"]);
}

#[test]
fn a_session_whose_rm_was_killed_while_deleting_its_branch_is_dropped() {
    let env = TestEnv::new();
    let path = env.new_session("gone");
    // `rm` killed after removing the worktree, inside the branch deletion.
    env.git(&["worktree", "remove", path.to_str().unwrap()]);
    let lock = env.git_dir().join("refs/heads/gone.lock");
    write_file(&lock, "");
    let fixed = env.found_then_fixed(&["missing_folder"]);
    assert!(!lock.exists(), "{fixed}");
    assert_eq!(env.branches(), ["main"], "{fixed}");
}

#[test]
fn an_interrupted_new_whose_half_made_worktree_folder_is_gone_is_undone() {
    let env = TestEnv::new();
    let path = half_made_worktree(&env, "away");
    fs::remove_dir_all(&path).unwrap();
    pending(&env, "away", &path, true);
    let fixed = env.found_then_fixed(&["interrupted_new"]);
    assert!(env.admin_entries().is_empty(), "{fixed}");
    assert_eq!(env.branches(), ["main"], "{fixed}");
}
