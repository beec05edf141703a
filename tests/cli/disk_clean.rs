//! `clean --artifacts`: only ignored folders named in `artifacts`, only in
//! idle sessions, never tracked or unignored files, planned and confirmed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{TestEnv, sleeper_in, stderr_of};
use crate::disk::{ignored_node_modules, until_trash_is_empty};

/// A session NAME whose `.gitignore` ignores `build/` and `dist/`... with
/// a tracked file inside `build/` (added by force) next to an ignored one,
/// an unignored untracked `dist/`, and an ignored `node_modules/`.
fn session_with_artifacts(env: &TestEnv, name: &str) -> PathBuf {
    let path = env.new_session(name);
    env.commit_in(&path, ".gitignore", "build/\n.cache/\n", "ignore build");
    fs::create_dir_all(path.join("build")).unwrap();
    fs::write(path.join("build/keep.txt"), "tracked\n").unwrap();
    env.git_in(&path, &["add", "-f", "build/keep.txt"]);
    env.git_in(&path, &["commit", "-q", "-m", "a tracked file in build/"]);
    fs::write(path.join("build/out.o"), "ignored\n").unwrap();
    fs::create_dir_all(path.join("dist")).unwrap();
    fs::write(path.join("dist/app.js"), "not ignored\n").unwrap();
    fs::create_dir_all(path.join(".cache")).unwrap();
    fs::write(path.join(".cache/c"), "ignored, not an artifact\n").unwrap();
    ignored_node_modules(env, &path, 20);
    path
}

fn clean(env: &TestEnv, args: &[&str]) -> String {
    let output = env
        .sessions()
        .args([&["clean", "--artifacts"], args].concat())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Everything but node_modules is as it was.
fn untouched_but_node_modules(path: &Path) {
    assert_eq!(
        fs::read_to_string(path.join("build/keep.txt")).unwrap(),
        "tracked\n"
    );
    assert!(
        path.join("build/out.o").exists(),
        "an ignored file in build/ went"
    );
    assert!(
        path.join("dist/app.js").exists(),
        "an unignored folder went"
    );
    assert!(
        path.join(".cache/c").exists(),
        "a folder not in artifacts went"
    );
}

#[test]
fn clean_artifacts_deletes_ignored_artifact_folders_and_nothing_else() {
    let env = TestEnv::new();
    let path = session_with_artifacts(&env, "a");
    let plan = clean(&env, &["--yes"]);
    assert!(plan.contains("node_modules"), "{plan}");
    assert!(!plan.contains("dist") && !plan.contains("build"), "{plan}");
    assert!(
        !path.join("node_modules").exists(),
        "node_modules is still there"
    );
    untouched_but_node_modules(&path);
    assert_eq!(
        env.git_in(&path, &["status", "--porcelain"]).trim(),
        "?? dist/"
    );
    until_trash_is_empty(&env);
    // Nothing left to do.
    assert!(!clean(&env, &["--yes"]).contains("node_modules"));
}

#[test]
fn clean_artifacts_dry_run_changes_nothing_and_no_terminal_needs_yes() {
    let env = TestEnv::new();
    let path = session_with_artifacts(&env, "a");
    let before = crate::disk::du(&path.join("node_modules"));
    let plan = clean(&env, &["--dry-run"]);
    assert!(plan.contains("node_modules"), "{plan}");
    assert_eq!(crate::disk::du(&path.join("node_modules")), before);
    let stderr = env.exits_with(&["clean", "--artifacts"], 2);
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(path.join("node_modules/p0").is_dir());
    untouched_but_node_modules(&path);
}

#[test]
fn clean_artifacts_skips_a_session_with_a_live_process_and_a_folder_in_use() {
    let env = TestEnv::new();
    let busy = session_with_artifacts(&env, "busy");
    let used = session_with_artifacts(&env, "used");
    let idle = session_with_artifacts(&env, "idle");
    let _agent = sleeper_in(&busy);
    // Only an idle shell's folder: the session is idle, this folder is not free.
    let _shell = sleeper_in(&used.join("node_modules/p1"));
    let output = env
        .sessions()
        .args(["clean", "--artifacts", "--yes"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // `sleep` working in `busy` is busy: the whole session is kept; in
    // `used` it sits in node_modules: that folder is kept.
    assert!(busy.join("node_modules").is_dir(), "{stdout}");
    assert!(used.join("node_modules").is_dir(), "{stdout}");
    assert!(!idle.join("node_modules").exists(), "{stdout}");
    assert!(stdout.contains("busy"), "{stdout}");
}

#[test]
fn clean_artifacts_older_than_leaves_recent_folders() {
    let env = TestEnv::new();
    let old = env.new_session("old");
    let new = env.new_session("new");
    let old_modules = ignored_node_modules(&env, &old, 10);
    ignored_node_modules(&env, &new, 10);
    // Every folder in old's node_modules last changed ten days ago.
    let status = Command::new("sh")
        .args([
            "-c",
            "find \"$1\" -type d -exec touch -d '10 days ago' {} +",
            "sh",
        ])
        .arg(&old_modules)
        .status()
        .unwrap();
    assert!(status.success());
    let plan = clean(&env, &["--older-than", "7d", "--yes"]);
    assert!(!old_modules.exists(), "{plan}");
    assert!(new.join("node_modules").is_dir(), "{plan}");
    let stderr = env.exits_with(&["clean", "--artifacts", "--older-than", "soon"], 2);
    assert!(stderr.contains("soon"), "{stderr}");
}

#[test]
fn a_projects_wider_artifacts_list_waits_for_trust() {
    let env = TestEnv::new();
    // The project calls a folder it ignores a build output.
    env.write(
        ".sessions.toml",
        "artifacts = [\"node_modules\", \".cache\"]\n",
    );
    let path = session_with_artifacts(&env, "a");

    let output = env
        .sessions()
        .args(["clean", "--artifacts", "--yes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("not deleting .cache") && stderr.contains("sessions trust"),
        "{stderr}"
    );
    assert!(
        !path.join("node_modules").exists(),
        "the user's list applies"
    );
    untouched_but_node_modules(&path);

    env.sessions().args(["trust", "--yes"]).assert().success();
    let plan = clean(&env, &["--yes"]);
    assert!(plan.contains(".cache"), "{plan}");
    assert!(!path.join(".cache").exists(), "approved, .cache goes");
    assert_eq!(
        fs::read_to_string(path.join("build/keep.txt")).unwrap(),
        "tracked\n"
    );
}
