//! `sessions status` (issue 14): the one line for a prompt or tmux's status
//! bar, from the states the hooks recorded, in one repository or all.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::agent_states::hook;
use crate::common::{KillOnDrop, TestEnv, sleeper_in, stderr_of};
use crate::repo_index::{new_in, second_repo};

/// `sessions status ARGS` in DIR, which must succeed: its stdout.
fn status_in(env: &TestEnv, dir: &Path, args: &[&str]) -> String {
    let out = env
        .sessions_in(dir)
        .arg("status")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "status {args:?}: {}", stderr_of(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// Session NAME in DIR's repository with an agent the hooks put through
/// EVENTS (event, notification type); the stand-in agent process.
fn agent(env: &TestEnv, dir: &Path, name: &str, events: &[(&str, Option<&str>)]) -> KillOnDrop {
    new_in(env, dir, name);
    let wt = env
        .sessions_in(dir)
        .args(["path", name])
        .output()
        .unwrap()
        .stdout;
    let wt = std::path::PathBuf::from(String::from_utf8(wt).unwrap().trim());
    let claude = sleeper_in(&wt);
    for (event, notification) in events {
        hook(env, &wt, event, *notification, claude.id());
    }
    claude
}

const WORKING: &[(&str, Option<&str>)] = &[("UserPromptSubmit", None)];
const WAITING: &[(&str, Option<&str>)] = &[
    ("UserPromptSubmit", None),
    ("Notification", Some("permission_prompt")),
];
const IDLE: &[(&str, Option<&str>)] = &[("UserPromptSubmit", None), ("Stop", None)];

#[test]
fn the_line_counts_what_the_hooks_reported() {
    let env = TestEnv::new();
    let repo = env.repo.clone();
    let _agents = [
        agent(&env, &repo, "w1", WORKING),
        agent(&env, &repo, "w2", WORKING),
        agent(&env, &repo, "api-fix", WAITING),
        agent(&env, &repo, "done", IDLE),
        agent(&env, &repo, "broke", &[("StopFailure", None)]),
    ];
    env.new_session("plain");

    assert_eq!(
        status_in(&env, &repo, &[]),
        "2 working · 1 waiting: api-fix · 1 error: broke · 1 idle\n"
    );
    let format =
        "{working}/{waiting}:{waiting_names}/{error}:{error_names}/{idle}/{exited}/{total}";
    assert_eq!(
        status_in(&env, &repo, &["--format", format]),
        "2/1:api-fix/1:broke/1/1/6\n"
    );

    let document: Value = serde_json::from_str(&status_in(&env, &repo, &["--json"])).unwrap();
    assert_eq!(document["waiting_names"], serde_json::json!(["api-fix"]));
    assert_eq!(document["total"], 6);
    crate::json::check("status", &crate::json::documented("status"), &[document]);

    let out = env
        .sessions()
        .args(["status", "--format", "{wiating}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("{wiating}"), "{}", stderr_of(&out));
}

#[test]
fn nothing_is_printed_without_sessions_or_live_agents() {
    let env = TestEnv::new();
    let outside = env.root().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    assert_eq!(status_in(&env, &env.repo, &[]), "");
    assert_eq!(status_in(&env, &outside, &[]), "");
    assert_eq!(status_in(&env, &env.repo, &["--format", "{total}"]), "");
    // A session whose agent is not running shows in {exited}, not the line.
    env.new_session("plain");
    assert_eq!(status_in(&env, &env.repo, &[]), "");
    assert_eq!(status_in(&env, &env.repo, &["--format", "{exited}"]), "1\n");
}

#[test]
fn all_counts_every_repository_and_is_the_default_outside_one() {
    let env = TestEnv::new();
    let other = second_repo(&env, "work", "other");
    let repo = env.repo.clone();
    let _agents = [
        agent(&env, &repo, "a", WORKING),
        agent(&env, &other, "b", WAITING),
    ];
    assert_eq!(status_in(&env, &repo, &[]), "1 working\n");
    let everywhere = "1 working · 1 waiting: other/b\n";
    assert_eq!(status_in(&env, &repo, &["--all"]), everywhere);
    let outside = env.root().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    assert_eq!(status_in(&env, &outside, &[]), everywhere);
}
