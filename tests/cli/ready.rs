//! Ready-to-work worktrees: copied ignored files, setup and teardown
//! commands, trust in project commands, and ports.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, stderr_of, write_file};

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(unix)]
#[test]
fn matching_ignored_files_are_copied_and_nothing_else() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    write_file(
        &env.git_dir().join("info/exclude"),
        ".env*\nconfig/local.toml\n",
    );
    env.write(".env", "SECRET=1\n");
    env.write(".env.run", "#!/bin/sh\n");
    fs::set_permissions(env.repo.join(".env.run"), fs::Permissions::from_mode(0o750)).unwrap();
    std::os::unix::fs::symlink(".env", env.repo.join(".env.link")).unwrap();
    env.write("config/local.toml", "debug = true\n");
    env.write("debug.log", "ignored, not asked for\n");
    env.write("target/out.bin", "ignored, not asked for\n");
    env.write("notes.txt", "untracked, not ignored\n");
    env.write("README.md", "changed in the main worktree\n");
    env.write(".worktreeinclude", "# like .gitignore\nconfig/\n");
    env.user_config("copy = [\".env*\", \"README.md\", \"notes.txt\"]\n");

    let path = env.new_session("x");
    assert_eq!(read(&path.join(".env")), "SECRET=1\n");
    let mode = fs::metadata(path.join(".env.run"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o750);
    let link = path.join(".env.link");
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_link(&link).unwrap(), PathBuf::from(".env"));
    assert_eq!(read(&path.join("config/local.toml")), "debug = true\n");
    // Tracked files come from the checkout; unignored and unmatched ones stay.
    assert_eq!(read(&path.join("README.md")), "hello\n");
    for absent in ["notes.txt", "debug.log", "target"] {
        assert!(!path.join(absent).exists(), "{absent} was copied");
    }
    env.git_in(&path, &["diff", "--quiet"]);
}

#[test]
fn a_copy_that_fails_undoes_the_whole_session() {
    let env = TestEnv::new();
    // On branch `flat`, `conf` is a tracked file; in the main worktree it is a
    // folder holding an ignored file, which cannot be copied over it.
    env.git(&["checkout", "-q", "-b", "flat"]);
    env.commit_in(&env.repo, "conf", "a file here\n", "conf as a file");
    env.git(&["checkout", "-q", "main"]);
    write_file(&env.git_dir().join("info/exclude"), "conf/\n");
    env.write("conf/.env", "SECRET=1\n");
    env.user_config("copy = [\"conf/.env\"]\n");

    let err = env.exits_with(&["new", "x", "--no-agent", "--base", "flat"], 1);
    assert!(err.contains("conf/.env"), "{err}");
    assert_eq!(env.branches(), ["flat", "main"]);
    assert!(!env.sessions_dir().exists());
    assert!(env.admin_entries().is_empty());
    assert!(env.list_json().is_empty());
}

#[test]
fn setup_runs_in_the_worktree_with_the_session_variables() {
    let env = TestEnv::new();
    env.user_config("port_base = 5000\nsetup = [\n  \"pwd > setup.out\",\n  \
         \"printenv SESSIONS_NAME SESSIONS_PATH SESSIONS_BRANCH SESSIONS_BASE SESSIONS_PORT SESSIONS_REPO >> setup.out\",\n]\n",
    );
    env.write(".gitignore", "*.log\ntarget/\nsetup.out\n");
    let out = env
        .sessions()
        .args(["new", "x", "--no-agent"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let path = env.listed("x")["path"].as_str().unwrap().to_string();
    let got = read(&Path::new(&path).join("setup.out"));
    let want = format!("{path}\nx\n{path}\nx\nmain\n5000\n{}\n", env.repo.display());
    assert_eq!(got, want);
    // Setup output never lands on stdout, which is for the path.
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), path);
}

#[test]
fn a_failing_setup_stops_the_rest_and_keeps_the_worktree() {
    let env = TestEnv::new();
    env.user_config("setup = [\"echo one > one.txt\", \"exit 7\", \"echo three > three.txt\"]\n");
    let err = env.exits_with(&["new", "x", "--no-agent"], 1);
    assert!(err.contains("exit code 7"), "{err}");
    assert!(err.contains("sessions setup x"), "{err}");
    let path = PathBuf::from(env.listed("x")["path"].as_str().unwrap());
    assert!(path.join("one.txt").exists());
    assert!(!path.join("three.txt").exists());

    env.user_config("setup = [\"echo three > three.txt\"]\n");
    env.sessions().args(["setup", "x"]).assert().success();
    assert!(path.join("three.txt").exists());
}

#[test]
fn project_commands_wait_for_trust_and_again_after_a_change() {
    let env = TestEnv::new();
    env.write(".sessions.toml", "setup = [\"echo first > ran.txt\"]\n");
    let err = env.exits_with(&["new", "a", "--no-agent"], 0);
    assert!(err.contains("sessions trust"), "{err}");
    let a = PathBuf::from(env.listed("a")["path"].as_str().unwrap());
    assert!(!a.join("ran.txt").exists());

    // Without a terminal, approval needs --yes; the commands are shown.
    let out = env.sessions().arg("trust").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("echo first > ran.txt"));
    env.sessions().args(["trust", "--yes"]).assert().success();
    let b = env.new_session("b");
    assert_eq!(read(&b.join("ran.txt")), "first\n");

    env.write(".sessions.toml", "setup = [\"echo second > ran.txt\"]\n");
    let c = env.new_session("c");
    assert!(!c.join("ran.txt").exists());
    env.sessions().args(["trust", "--yes"]).assert().success();
    env.sessions().args(["setup", "c"]).assert().success();
    assert_eq!(read(&c.join("ran.txt")), "second\n");
}

#[test]
fn user_commands_run_without_approval() {
    let env = TestEnv::new();
    env.write(".sessions.toml", "teardown = [\"echo project\"]\n");
    env.user_config("setup = [\"echo mine > mine.txt\"]\n");
    let path = env.new_session("a");
    assert!(path.join("mine.txt").exists());
}

#[test]
fn teardown_runs_in_the_worktree_before_removal() {
    let env = TestEnv::new();
    let log = env.root().join("teardown.log");
    env.user_config(&format!(
        "teardown = [\"echo $SESSIONS_NAME $(pwd) $(ls -A | wc -l) >> '{}'\"]\n",
        log.display()
    ));
    let path = env.new_session("x");
    env.sessions().args(["rm", "x"]).assert().success();
    let line = read(&log);
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("x"));
    assert_eq!(words.next(), Some(path.to_str().unwrap()));
    assert_ne!(words.next(), Some("0"), "the worktree was already gone");
    assert!(!path.exists());
}

#[test]
fn ports_are_distinct_and_reused_after_removal() {
    let env = TestEnv::new();
    env.user_config("port_base = 5100\n");
    for name in ["a", "b", "c"] {
        env.new_session(name);
    }
    let port = |name: &str| env.listed(name)["port"].as_u64().unwrap();
    assert_eq!([port("a"), port("b"), port("c")], [5100, 5101, 5102]);
    env.sessions().args(["rm", "b"]).assert().success();
    env.new_session("d");
    assert_eq!(port("d"), 5101);
    env.new_session("e");
    assert_eq!(port("e"), 5103);
}

#[test]
fn more_sessions_than_max_sessions_warns() {
    let env = TestEnv::new();
    env.user_config("max_sessions = 1\n");
    env.new_session("a");
    let err = env.exits_with(&["new", "b", "--no-agent"], 0);
    assert!(err.contains("max_sessions = 1"), "{err}");
}

#[test]
fn on_a_terminal_new_asks_and_remembers_the_answer() {
    if !crate::common::require("script") {
        return;
    }
    let env = TestEnv::new();
    env.write(".sessions.toml", "setup = [\"echo ran > ran.txt\"]\n");
    let on_terminal = |name: &str, answer: &str| {
        let text = env.on_terminal(&format!("new {name} --no-agent"), answer);
        assert!(
            text.contains("echo ran > ran.txt"),
            "the commands are shown: {text}"
        );
    };
    on_terminal("no", "n");
    assert!(!env.sessions_dir().join("no/ran.txt").exists());
    on_terminal("yes", "y");
    assert!(env.sessions_dir().join("yes/ran.txt").exists());
    // The approval is kept: no terminal needed from now on.
    let path = env.new_session("later");
    assert!(path.join("ran.txt").exists());
}
