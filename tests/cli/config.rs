//! Configuration files: precedence (flags > project > user > defaults) and
//! errors that name the file, the key and the line.

use std::fs;
use std::path::PathBuf;

use crate::common::{TestEnv, stderr_of, write_file};

fn project_config(env: &TestEnv, text: &str) -> PathBuf {
    env.write(".sessions.toml", text);
    env.repo.join(".sessions.toml")
}

#[test]
fn flags_beat_the_project_which_beats_the_user() {
    let env = TestEnv::new();
    for branch in ["from-user", "from-project", "from-flag"] {
        env.git(&["branch", branch]);
    }
    env.user_config("base = \"from-user\"\nbranch_prefix = \"me/\"\n");
    env.new_session("a");
    assert_eq!(env.listed("a")["base"], "from-user");
    assert_eq!(env.listed("a")["branch"], "me/a");

    let project = project_config(&env, "base = \"from-project\"\n");
    env.new_session("b");
    assert_eq!(env.listed("b")["base"], "from-project");
    // Keys the project does not set still come from the user.
    assert_eq!(env.listed("b")["branch"], "me/b");

    env.sessions()
        .args([
            "new",
            "c",
            "--no-agent",
            "--base",
            "from-flag",
            "--branch",
            "c",
        ])
        .assert()
        .success();
    assert_eq!(env.listed("c")["base"], "from-flag");
    assert_eq!(env.listed("c")["branch"], "c");

    let out = env.sessions().arg("config").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_string()
    };
    assert!(line("base").contains("\"from-project\""), "{text}");
    // Each setting names its origin; the lines above name the files.
    assert!(line("base").ends_with("# project"), "{text}");
    assert!(
        text.contains(&format!("# project file: {}\n", project.display())),
        "{text}"
    );
    assert!(line("branch_prefix").ends_with("# user"), "{text}");
    assert!(line("port_base").ends_with("# default"), "{text}");

    let out = env.sessions().args(["config", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let settings = &json["settings"];
    assert_eq!(settings["base"]["value"], "from-project");
    assert_eq!(settings["base"]["source"]["kind"], "project");
    assert_eq!(settings["branch_prefix"]["source"]["kind"], "user");
}

#[test]
fn worktree_dir_places_the_worktree() {
    let env = TestEnv::new();
    env.user_config("worktree_dir = \"../trees/{repo}/{branch}\"\nbranch_prefix = \"me/\"\n");
    let path = env.new_session("feat");
    assert_eq!(path, env.repo.parent().unwrap().join("trees/repo/me-feat"));
    // A project template, relative to the main worktree, wins.
    project_config(&env, "worktree_dir = \".worktrees/{name}\"\n");
    let path = env.new_session("other");
    assert_eq!(path, env.repo.join(".worktrees/other"));
}

#[test]
fn sessions_config_points_at_another_user_file() {
    let env = TestEnv::new();
    env.user_config("port_base = 6000\n");
    let other = env.root().join("elsewhere.toml");
    write_file(&other, "port_base = 7000\n");
    env.new_session("a");
    env.sessions()
        .env("SESSIONS_CONFIG", &other)
        .args(["new", "b", "--no-agent"])
        .assert()
        .success();
    assert_eq!(env.listed("a")["port"], 6000);
    assert_eq!(env.listed("b")["port"], 7000);
}

#[test]
fn an_unknown_project_key_names_file_key_and_line_and_changes_nothing() {
    let env = TestEnv::new();
    let project = project_config(&env, "base = \"main\"\n\nsetpu = [\"make\"]\n");
    let err = env.exits_with(&["new", "x", "--no-agent"], 2);
    assert!(err.contains(&project.display().to_string()), "{err}");
    assert!(err.contains("line 3") && err.contains("`setpu`"), "{err}");
    assert!(err.contains("the nearest is `setup`"), "{err}");
    assert!(env.registry_bytes().is_empty());
    assert_eq!(env.branches(), ["main"]);
}

#[test]
fn a_wrong_type_in_the_user_file_names_file_key_and_line() {
    let env = TestEnv::new();
    let user = env.user_config("[agent]\ncommand = \"claude\"\nargs = \"--verbose\"\n");
    let err = env.exits_with(&["config"], 2);
    assert!(err.contains(&user.display().to_string()), "{err}");
    assert!(
        err.contains("line 3") && err.contains("`agent.args`"),
        "{err}"
    );

    env.user_config("max_sessions = -1\n");
    let err = env.exits_with(&["new", "x", "--no-agent"], 2);
    assert!(
        err.contains("line 1") && err.contains("`max_sessions`"),
        "{err}"
    );
    assert!(!env.sessions_dir().exists());
}

#[test]
fn a_missing_sessions_config_file_is_an_error() {
    let env = TestEnv::new();
    let out = env
        .sessions()
        .env("SESSIONS_CONFIG", env.root().join("nope.toml"))
        .arg("config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("nope.toml"));
    assert!(fs::metadata(env.root().join("nope.toml")).is_err());
}

#[test]
fn an_empty_profile_command_names_its_own_line() {
    // Line 2 also sets a `command`: the error must point at line 6.
    let env = TestEnv::new();
    env.user_config(
        "[agent]\ncommand = \"claude\"\nargs = []\n\n[agent.profiles.review]\ncommand = \"\"\n",
    );
    let err = env.exits_with(&["config"], 2);
    assert!(
        err.contains("line 6") && err.contains("`agent.profiles.review.command`"),
        "{err}"
    );
}
