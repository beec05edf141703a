//! The launch of Claude and what its worktree hooks tell it: one merged
//! `--settings`, the terminal given back after a killed agent, and a
//! WorktreeRemove that does not claim a kept worktree was discarded.

use std::path::Path;

use crate::common::{TestEnv, stderr_of, write_file};
use serde_json::json;

fn worktree_remove(env: &TestEnv, wt: &Path) -> std::process::Output {
    let input = json!({ "cwd": wt, "hook_event_name": "WorktreeRemove", "worktree_path": wt });
    env.sessions_in(wt)
        .args(["hook", "WorktreeRemove"])
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

#[test]
fn worktree_remove_fails_when_the_worktree_is_kept_and_succeeds_when_removed() {
    let env = TestEnv::new();
    let wt = env.new_session("feat");
    write_file(&wt.join("work.txt"), "uncommitted\n");
    // Exit 0 would make Claude say the changes were discarded.
    let kept = worktree_remove(&env, &wt);
    assert_eq!(kept.status.code(), Some(1), "{}", stderr_of(&kept));
    let stderr = stderr_of(&kept);
    assert!(
        stderr.contains(&format!(
            "kept session 'feat': its worktree {} stays as it is",
            wt.display()
        )),
        "{stderr}"
    );
    assert!(kept.stdout.is_empty());
    assert!(wt.join("work.txt").is_file());
    assert_eq!(env.list_json().len(), 1);

    std::fs::remove_file(wt.join("work.txt")).unwrap();
    let removed = worktree_remove(&env, &wt);
    assert_eq!(removed.status.code(), Some(0), "{}", stderr_of(&removed));
    assert!(!wt.exists());
}
