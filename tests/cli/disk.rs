//! Sizes (`list --size`, `show`, `du`), their cache, and `rm` through the
//! trash: sizes are checked against the disk usage (`st_blocks`) the test
//! reads itself, never against timings.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TestEnv, sleeper_in, stderr_of};

/// Ignores `node_modules/` for every worktree (through the common dir's
/// `info/exclude`, so no commit is needed) and fills DIR's with FILES
/// files of 10,000 bytes; the folder's path.
pub fn ignored_node_modules(env: &TestEnv, dir: &Path, files: usize) -> PathBuf {
    let exclude = env.git_dir().join("info").join("exclude");
    let mut text = fs::read_to_string(&exclude).unwrap_or_default();
    if !text.contains("node_modules/") {
        text.push_str("\nnode_modules/\n");
        fs::create_dir_all(exclude.parent().unwrap()).unwrap();
        fs::write(&exclude, text).unwrap();
    }
    let modules = dir.join("node_modules");
    for i in 0..files {
        let package = modules.join(format!("p{}", i % 10));
        fs::create_dir_all(&package).unwrap();
        fs::write(package.join(format!("f{i}.js")), vec![b'x'; 10_000]).unwrap();
    }
    modules
}

/// Disk usage of PATH as the walk counts it: blocks of every entry, links
/// not followed, hard links once.
pub fn du(path: &Path) -> u64 {
    fn walk(path: &Path, seen: &mut Vec<u64>) -> u64 {
        let meta = fs::symlink_metadata(path).unwrap();
        if meta.nlink() > 1 && !meta.is_dir() {
            if seen.contains(&meta.ino()) {
                return 0;
            }
            seen.push(meta.ino());
        }
        let mut total = meta.blocks() * 512;
        if meta.is_dir() {
            for item in fs::read_dir(path).unwrap() {
                total += walk(&item.unwrap().path(), seen);
            }
        }
        total
    }
    walk(path, &mut Vec::new())
}

fn size_of(env: &TestEnv, name: &str) -> Value {
    env.shown(name)["size"].clone()
}

fn trash(env: &TestEnv) -> PathBuf {
    env.git_dir().join("sessions").join("trash")
}

/// The entries of the trash folder, lock files included.
fn trash_entries(env: &TestEnv) -> Vec<String> {
    fs::read_dir(trash(env))
        .map(|l| {
            l.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits (up to a minute) for the background deleter to empty the trash.
pub fn until_trash_is_empty(env: &TestEnv) {
    let start = Instant::now();
    while !trash_entries(env).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the trash still holds {:?}",
            trash_entries(env)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sizes_count_tracked_untracked_and_ignored_files_by_disk_usage() {
    let env = TestEnv::new();
    let path = env.new_session("a");
    env.commit_in(&path, "big.txt", &"t".repeat(50_000), "a tracked file");
    let modules = ignored_node_modules(&env, &path, 30);
    // A hard link counts once; a link to a big file outside is not followed.
    fs::hard_link(modules.join("p0/f0.js"), modules.join("p0/again.js")).unwrap();
    fs::write(env.root().join("outside.bin"), vec![0u8; 300_000]).unwrap();
    std::os::unix::fs::symlink(env.root().join("outside.bin"), modules.join("link")).unwrap();
    fs::write(path.join("notes.txt"), vec![b'n'; 20_000]).unwrap();

    let size = size_of(&env, "a");
    let ignored = du(&modules);
    assert_eq!(size["ignored"], ignored, "{size}");
    assert_eq!(size["artifacts"], ignored, "{size}");
    assert_eq!(size["untracked"], du(&path.join("notes.txt")), "{size}");
    let tracked = size["tracked"].as_u64().unwrap();
    let big = du(&path.join("big.txt"));
    assert!(big >= 50_000 && tracked >= big, "{size}");
    // Everything but the worktree's `.git` link, and nothing outside.
    let whole = du(&path) - du(&path.join(".git"));
    assert_eq!(size["total"], whole, "{size}");
    assert!(whole < 300_000 + ignored, "{size}");
    let largest = &size["largest_ignored"][0];
    assert_eq!(largest["path"], "node_modules", "{size}");
    assert_eq!(largest["artifact"], true, "{size}");

    // `list` walks only when asked; with `--size` it says the same as `show`.
    assert_eq!(env.listed("a")["size"], Value::Null);
    let output = env
        .sessions()
        .args(["list", "--json", "--size"])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed["sessions"][0]["size"], size);
    let table = env.sessions().args(["list", "--size"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&table.stdout).contains("SIZE"),
        "{}",
        stderr_of(&table)
    );
}

#[test]
fn an_unchanged_folder_is_taken_from_the_cache_and_a_changed_one_is_read_again() {
    let env = TestEnv::new();
    let path = env.new_session("a");
    let modules = ignored_node_modules(&env, &path, 10);
    let first = size_of(&env, "a")["ignored"].as_u64().unwrap();
    assert_eq!(first, du(&modules));
    // Doctor the cache: what the next walk reports shows where it came from.
    let cache = env.git_dir().join("sessions/sizes/a.json");
    let mut cached: Value = serde_json::from_slice(&fs::read(&cache).unwrap()).unwrap();
    let forged = 7 * 1024 * 1024 * 1024u64;
    cached["folders"]["node_modules/p3"]["own"] = forged.into();
    fs::write(&cache, serde_json::to_vec(&cached).unwrap()).unwrap();
    let again = size_of(&env, "a")["ignored"].as_u64().unwrap();
    // `own` is the folder's usage and its files' (p3 has no subfolders).
    let p3 = du(&modules.join("p3"));
    assert_eq!(again, first - p3 + forged, "the cache was not used");
    // A file added to the folder changes its time: it is read again.
    fs::write(modules.join("p3/new.js"), vec![b'y'; 10_000]).unwrap();
    let fresh = size_of(&env, "a")["ignored"].as_u64().unwrap();
    assert_eq!(
        fresh,
        du(&modules),
        "a changed folder was taken from the cache"
    );
}

#[test]
fn du_totals_the_sessions_and_the_object_store_and_what_is_reclaimable() {
    let env = TestEnv::new();
    let a = env.new_session("a");
    let b = env.new_session("b");
    let a_modules = ignored_node_modules(&env, &a, 20);
    let b_modules = ignored_node_modules(&env, &b, 5);
    let document = |env: &TestEnv| -> Value {
        let output = env.sessions().args(["du", "--json"]).output().unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let usage = document(&env);
    let totals: u64 = usage["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["size"]["total"].as_u64().unwrap())
        .sum();
    let objects = usage["objects"].as_u64().unwrap();
    assert_eq!(objects, du(&env.git_dir().join("objects")), "{usage}");
    assert_eq!(usage["total"], totals + objects, "{usage}");
    assert_eq!(
        usage["reclaimable"],
        du(&a_modules) + du(&b_modules),
        "{usage}"
    );
    crate::json::check("du", &crate::json::documented("du"), &[usage]);
    // A session something works in is not reclaimable.
    let _agent = sleeper_in(&b);
    assert_eq!(document(&env)["reclaimable"], du(&a_modules));
    let text = env.sessions().arg("du").output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("reclaimable:"));
}

#[test]
fn rm_moves_the_worktree_to_the_trash_and_deletes_it_in_the_background() {
    let env = TestEnv::new();
    let path = env.new_session("a");
    ignored_node_modules(&env, &path, 2_000);
    env.sessions().args(["rm", "a"]).assert().success();
    assert!(!path.exists(), "the worktree is still there");
    assert!(env.session_names().is_empty());
    // Git has forgotten it: no admin entry, not in its list.
    assert!(env.admin_entries().is_empty(), "{:?}", env.admin_entries());
    assert!(!env.git(&["worktree", "list"]).contains("/a"));
    // It went through the trash, which the deleter empties.
    assert!(trash(&env).is_dir(), "rm did not use the trash");
    until_trash_is_empty(&env);
    // A session by the same name can be made again at once.
    env.new_session("a");
}

#[test]
fn a_deletion_killed_half_way_is_found_and_finished_by_doctor() {
    let env = TestEnv::new();
    // What rm leaves once its deleter is killed: the worktree in the trash,
    // and the deleter's lock file, no longer held.
    let entry = trash(&env).join("gone-1-2");
    fs::create_dir_all(entry.join("node_modules/p")).unwrap();
    fs::write(entry.join("node_modules/p/f.js"), "x").unwrap();
    let lock_path = trash(&env).join("gone-1-2.deleting");
    let lock = File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let mut deleter = Command::new(env!("CARGO_BIN_EXE_sessions"))
        .arg("empty-trash")
        .arg(&entry)
        .spawn()
        .unwrap();
    // While the deleter lives (it waits for the lock we hold), doctor
    // leaves the entry alone.
    let (output, report) = env.doctor(&[]);
    assert!(output.status.success(), "{report}");
    deleter.kill().unwrap();
    deleter.wait().unwrap();
    drop(lock);
    assert!(entry.exists());
    env.found_then_fixed(&["unfinished_deletion"]);
    assert!(!entry.exists(), "doctor --fix left the trash");
    assert!(trash_entries(&env).is_empty(), "{:?}", trash_entries(&env));
}
