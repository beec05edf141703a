//! A session stopped in the middle of a git operation (a rebase on a
//! conflict): `list`, `show` and `conflicts` say so, and `sync`, `land`
//! and `rm` name the next step, with the worktree's real path.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::{TestEnv, stderr_of};

/// Session NAME, whose commit and main's both change page.html, stopped
/// in the middle of `git rebase main` on that conflict.
pub fn stopped_mid_rebase(env: &TestEnv, name: &str) -> PathBuf {
    let dir = env.new_session(name);
    env.commit_in(&dir, "page.html", "the session's page\n", "session page");
    env.commit_in(&env.repo, "page.html", "main's page\n", "main page");
    let rebase = env
        .command_in("git", &dir)
        .args(["rebase", "main"])
        .output()
        .unwrap();
    assert!(!rebase.status.success(), "the rebase stops on the conflict");
    dir
}

/// The command to paste, with the worktree's path as a shell reads it.
fn step(dir: &std::path::Path, what: &str) -> String {
    format!("`cd {} && git rebase {what}`", dir.display())
}

#[test]
fn a_session_mid_rebase_is_rebasing_with_its_conflicts_and_next_step() {
    let env = TestEnv::new();
    let dir = stopped_mid_rebase(&env, "x");
    // The worktree's path is plain here, so quoting leaves it as it is.
    assert!(!dir.display().to_string().contains(' '));

    assert_eq!(env.listed("x")["operation"], "rebasing");
    let table = env.sessions().arg("list").output().unwrap();
    let stdout = String::from_utf8_lossy(&table.stdout);
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("x "))
        .unwrap();
    assert!(row.contains("rebasing"), "{stdout}");
    let shown = env.sessions().args(["show", "x"]).output().unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("rebasing"));
    let shown = env.shown("x");
    assert_eq!(shown["operation"], "rebasing");

    let radar = env
        .sessions()
        .args(["conflicts", "--json"])
        .output()
        .unwrap();
    assert_eq!(radar.status.code(), Some(1));
    let radar: Value = serde_json::from_slice(&radar.stdout).unwrap();
    assert_eq!(
        radar["in_progress"],
        json!([{"name": "x", "path": dir, "operation": "rebasing", "conflicts": ["page.html"]}])
    );
    let table = env.sessions().arg("conflicts").output().unwrap();
    assert_eq!(table.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(stdout.contains("page.html"), "{stdout}");
    let stderr = stderr_of(&table);
    assert!(!stderr.contains("No conflicts"), "{stderr}");
    assert!(stderr.contains(&step(&dir, "--continue")), "{stderr}");

    for args in [&["sync", "x"][..], &["land", "x"], &["rm", "x"]] {
        let stderr = env.exits_with(args, 3);
        assert!(
            stderr.contains("a rebase in progress"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(&step(&dir, "--continue")),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(&step(&dir, "--abort")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("stash"), "{args:?}: {stderr}");
    }

    // The hint works as pasted: aborting puts x back to `open`.
    let abort = step(&dir, "--abort");
    let abort = abort.trim_matches('`');
    let done = env.command_in("sh", &env.repo).args(["-c", abort]).output();
    assert!(done.unwrap().status.success());
    assert_eq!(env.listed("x")["operation"], Value::Null);
    let radar = env.sessions().args(["conflicts", "--json"]).output();
    let radar: Value = serde_json::from_slice(&radar.unwrap().stdout).unwrap();
    assert_eq!(radar["in_progress"], json!([]));
}
