//! The views, over one repository with sessions in every state: idle,
//! dirty, ahead, merged, locked and with its folder gone.

use std::fs;

use super::Pinned;

/// A clone with a session in each state; `main` is one commit behind
/// `origin/main`, where `merged` went.
fn scene() -> Pinned {
    let pinned = Pinned::cloned();
    pinned.new_session("idle");

    let dirty = pinned.new_session("dirty");
    fs::write(dirty.join("README.md"), "hello, edited\n").unwrap();
    fs::write(dirty.join("notes.txt"), "not committed\n").unwrap();

    let ahead = pinned.new_session("ahead");
    pinned.commit_in(&ahead, "src/lib.rs", "pub fn one() {}\n", "add one");
    pinned.commit_in(&ahead, "src/lib.rs", "pub fn two() {}\n", "one becomes two");

    let merged = pinned.new_session("merged");
    pinned.commit_in(&merged, "merged.txt", "done\n", "finish merged");
    pinned.git_in(&merged, &["push", "-q", "origin", "merged:main"]);
    pinned.git(&["fetch", "-q", "origin"]);

    let locked = pinned.new_session("locked");
    let locked = locked.to_str().unwrap();
    pinned.git(&["worktree", "lock", "--reason", "on a USB disk", locked]);

    let gone = pinned.new_session("gone");
    fs::remove_dir_all(gone).unwrap();
    pinned
}

#[test]
fn the_views_match_their_snapshots() {
    let pinned = scene();
    for (name, args) in [
        ("list", &["list"][..]),
        ("list_json", &["list", "--json"]),
        ("show_ahead", &["show", "ahead"]),
        ("show_dirty", &["show", "dirty"]),
        ("show_gone", &["show", "gone"]),
        ("show_json", &["show", "ahead", "--json"]),
        ("config", &["config"]),
        ("clean_dry_run", &["clean", "--dry-run"]),
        ("doctor", &["doctor"]),
    ] {
        pinned.assert_snapshot(name, &pinned.transcript(args));
    }
}

#[test]
fn an_empty_list_says_how_to_start() {
    let pinned = Pinned::cloned();
    pinned.assert_snapshot("list_empty", &pinned.transcript(&["list"]));
}
