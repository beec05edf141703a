//! Each error a person can meet, with its hint and exit code.

use std::fs;

use super::{NOW, Pinned};
use crate::common::write_file;

/// Snapshots `sessions ARGS` in the main worktree as error NAME.
fn error(pinned: &Pinned, name: &str, args: &[&str]) {
    let text = pinned.transcript(args);
    assert!(!text.contains("\nexit: 0\n"), "{text}");
    pinned.assert_snapshot(&format!("error_{name}"), &text);
}

#[test]
fn errors_about_sessions_match_their_snapshots() {
    let pinned = Pinned::cloned();
    let dirty = pinned.new_session("dirty");
    fs::write(dirty.join("notes.txt"), "not committed\n").unwrap();
    let ahead = pinned.new_session("ahead");
    pinned.commit_in(&ahead, "a.txt", "a\n", "unpushed work");
    fs::remove_dir_all(pinned.new_session("gone")).unwrap();

    error(&pinned, "unknown_session", &["show", "dirt"]);
    error(&pinned, "unknown_session_far_off", &["show", "zzz"]);
    error(&pinned, "invalid_name", &["new", "bad name", "--no-agent"]);
    error(
        &pinned,
        "invalid_branch_name",
        &["new", "bad..name", "--no-agent"],
    );
    error(&pinned, "invalid_base", &["new", "x", "--base=-x"]);
    error(&pinned, "unknown_base", &["new", "x", "--base", "nowhere"]);
    error(&pinned, "name_taken", &["new", "dirty", "--no-agent"]);
    error(
        &pinned,
        "branch_checked_out",
        &["new", "x", "--branch", "dirty", "--no-agent"],
    );
    error(
        &pinned,
        "ambiguous_branch",
        &["new", "origin/main", "--no-agent"],
    );
    let taken = pinned.env.home.join("worktrees/repo/taken");
    write_file(&taken.join("file"), "someone else's\n");
    error(&pinned, "folder_exists", &["new", "taken", "--no-agent"]);
    error(&pinned, "worktree_missing", &["setup", "gone"]);
    error(&pinned, "rm_dirty", &["rm", "dirty"]);
    error(&pinned, "rm_unpushed", &["rm", "ahead"]);
    error(&pinned, "clean_without_yes", &["clean"]);
    error(&pinned, "unknown_subcommand", &["frobnicate"]);
    error(&pinned, "missing_argument", &["rm"]);

    pinned.commit("main.txt", "main\n", "main moves");
    fs::write(pinned.env.repo.join("README.md"), "edited on main\n").unwrap();
    error(&pinned, "land_dirty_base", &["land", "ahead"]);
}

#[test]
fn errors_about_the_setting_match_their_snapshots() {
    let pinned = Pinned::cloned();
    let elsewhere = pinned.env.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let text = pinned.transcript_at(&elsewhere, NOW, &["list"]);
    pinned.assert_snapshot("error_not_a_repository", &text);

    let user = pinned
        .env
        .user_config("worktree_dir = \"~/worktrees/{repo}/{name}\"\ncolour = true\n");
    error(&pinned, "unknown_config_key", &["list"]);
    fs::remove_file(user).unwrap();

    pinned.git(&["remote", "set-head", "origin", "--delete"]);
    pinned.git(&["checkout", "-q", "--detach"]);
    error(&pinned, "detached_base", &["new", "x", "--no-agent"]);
    pinned.git(&["checkout", "-q", "main"]);

    pinned.new_session("one");
    let registry = fs::read_to_string(pinned.env.registry_file()).unwrap();
    let newer = registry.replacen("version = 1", "version = 99", 1);
    assert_ne!(newer, registry);
    write_file(&pinned.env.registry_file(), &newer);
    error(&pinned, "registry_too_new", &["list"]);
    write_file(
        &pinned.env.registry_file(),
        "version = 1\n[[session]]\nname = 3\n",
    );
    error(&pinned, "corrupt_registry", &["list"]);
}

#[test]
fn unapproved_project_commands_match_their_snapshots() {
    let pinned = Pinned::cloned();
    let ahead = pinned.new_session("ahead");
    pinned.commit_in(&ahead, "a.txt", "a\n", "work");
    pinned.env.write(
        ".sessions.toml",
        "setup = [\"make deps\"]\n[land]\ncheck = [\"make test\"]\n",
    );
    error(&pinned, "land_unapproved_check", &["land", "ahead"]);
    error(&pinned, "trust_without_terminal", &["trust"]);
    // Not an error: the session is made, and the warning says what was skipped.
    let text = pinned.transcript(&["new", "second", "--no-agent"]);
    pinned.assert_snapshot("new_unapproved_setup", &text);
}
