//! One agent per session: `resume` refuses while the session's Claude still
//! runs, says where it is, and `--force` starts a second one, after which
//! the session's agent is not called exited while the first still runs.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::hints::hints_of;
use crate::common::{KillOnDrop, TestEnv, make_executable, stderr_of};
use crate::resume_ids::{args_of, stand_in};

/// A long-running process named `claude` working in DIR (a copy of
/// `sleep`), in tmux pane PANE when given.
fn running_claude(env: &TestEnv, dir: &Path, pane: Option<&str>) -> KillOnDrop {
    let sleep = ["/usr/bin/sleep", "/bin/sleep"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("no sleep");
    let copy = env.root().join("running/claude");
    fs::create_dir_all(copy.parent().unwrap()).unwrap();
    fs::copy(sleep, &copy).unwrap();
    make_executable(&copy);
    let mut command = Command::new(&copy);
    command.arg("300").current_dir(dir).stdin(Stdio::null());
    match pane {
        Some(pane) => command.env("TMUX_PANE", pane),
        None => command.env_remove("TMUX_PANE"),
    };
    // spawn returns once it exec'd: it is named `claude` from now on.
    KillOnDrop(crate::common::procs::spawn_written(&mut command))
}

#[test]
fn a_second_resume_is_refused_while_the_agent_runs_unless_forced() {
    let env = TestEnv::new();
    let (claude, log) = stand_in(&env, true);
    env.sessions()
        .args(["new", "x", "--agent"])
        .arg(&claude)
        .assert()
        .success();
    let wt = env.sessions_dir().join("x");
    let mut running = running_claude(&env, &wt, Some("%42"));
    let pid = running.id();
    fs::remove_file(&log).unwrap();

    // From inside tmux, one switches to it; from outside, one attaches.
    let inside = env
        .sessions()
        .args(["resume", "x"])
        .env("TMUX", "/tmp/tmux-0/default,1,0")
        .output()
        .unwrap();
    let stderr = stderr_of(&inside);
    assert_eq!(inside.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("process claude (pid {pid}) in tmux pane %42")),
        "{stderr}"
    );
    assert_eq!(
        hints_of(&stderr),
        ["tmux switch-client -t %42", "sessions resume x --force"]
    );
    let outside = env
        .sessions()
        .args(["resume", "x"])
        .env_remove("TMUX")
        .output()
        .unwrap();
    assert_eq!(outside.status.code(), Some(3));
    assert_eq!(
        hints_of(&stderr_of(&outside)),
        ["tmux attach -t %42", "sessions resume x --force"]
    );
    assert!(!log.exists(), "a second agent started");

    let output = env
        .sessions()
        .args(["resume", "x", "--force"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(args_of(&log)[0], "--session-id");
    // The forced one exited; the first still runs.
    let agent = env.listed("x")["agent"].clone();
    assert_ne!(agent["state"], "exited", "{agent}");
    assert_eq!(agent["pid"], pid, "{agent}");

    running.kill().unwrap();
    running.wait().unwrap();
    env.sessions().args(["resume", "x"]).assert().success();
    assert_eq!(env.listed("x")["agent"]["state"], "exited");
}

#[test]
fn the_refusal_names_the_pid_of_an_agent_outside_tmux() {
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let running = running_claude(&env, &wt, None);
    let output = env.sessions().args(["resume", "x"]).output().unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "session 'x' has its agent running: process claude (pid {});",
            running.id()
        )),
        "{stderr}"
    );
    assert_eq!(hints_of(&stderr), ["sessions resume x --force"]);
}

#[test]
fn a_forced_second_agent_that_cannot_start_leaves_the_first_one_running() {
    let env = TestEnv::new();
    let (claude, _log) = stand_in(&env, true);
    env.sessions()
        .args(["new", "x", "--agent"])
        .arg(&claude)
        .assert()
        .success();
    let running = running_claude(&env, &env.sessions_dir().join("x"), None);
    fs::remove_file(&claude).unwrap();
    let output = env
        .sessions()
        .args(["resume", "x", "--force"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let agent = env.listed("x")["agent"].clone();
    assert_ne!(agent["state"], "exited", "{agent}");
    assert_eq!(agent["pid"], running.id(), "{agent}");
}
