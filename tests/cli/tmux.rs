//! Agents in tmux windows: `new --tmux` and `[agent] tmux`, `attach`, and
//! `resume --all` after the machine stopped (in every known repository), on
//! a private tmux server with a stand-in agent that notes its folder and
//! arguments, then sleeps.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::tty::Tmux;
use crate::common::{KillOnDrop, TestEnv, dead_pid, make_executable, require, sleeper_in};
use crate::common::{stderr_of, write_file};
use crate::idle_shells::until;

/// A server with one window (a `sleep`), and `$TMUX` as its panes see it.
fn server(env: &TestEnv) -> (Tmux, String) {
    let tmux = Tmux::start(env, &env.root(), &env.root(), "exec sleep 1000");
    let pid = tmux.run(&["display-message", "-p", "#{pid}"]);
    let var = format!("{},{},0", tmux.socket().display(), pid.trim());
    (tmux, var)
}

/// A stand-in agent at DIR/NAME that writes its folder, then its arguments,
/// one a line, to DIR/NAME-<folder name>.log, then sleeps.
fn stand_in(dir: &Path, name: &str) -> PathBuf {
    let script = dir.join(name);
    write_file(
        &script,
        &format!(
            "#!/bin/sh\nlog=\"{}/{name}-$(basename \"$PWD\").log\"\n\
             {{ pwd; for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }} > \"$log.tmp\"\n\
             mv \"$log.tmp\" \"$log\"\nexec sleep 1000\n",
            dir.display()
        ),
    );
    make_executable(&script);
    script
}

/// The lines the stand-in NAME in DIR logged for the session in folder
/// SESSION, once it has.
fn logged(dir: &Path, name: &str, session: &str) -> Vec<String> {
    let log = dir.join(format!("{name}-{session}.log"));
    until(&format!("{} to be written", log.display()), || {
        log.is_file()
    });
    fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every window: its name and the folder of its pane.
fn windows(tmux: &Tmux) -> Vec<(String, String)> {
    tmux.run(&[
        "list-windows",
        "-a",
        "-F",
        "#{window_name}\t#{pane_current_path}",
    ])
    .lines()
    .filter_map(|l| l.split_once('\t'))
    .map(|(name, dir)| (name.to_string(), dir.to_string()))
    .collect()
}

fn in_tmux(env: &TestEnv, var: &str, args: &[&str]) -> std::process::Output {
    env.sessions()
        .env("TMUX", var)
        .env_remove("TMUX_PANE")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn new_tmux_starts_the_agent_in_a_window_named_after_the_session() {
    if !require("tmux") {
        return;
    }
    let env = TestEnv::new();
    let (tmux, var) = server(&env);
    let agent = stand_in(&env.root(), "agent");
    let agent = agent.to_str().unwrap();

    // Outside tmux, asking for a window is a usage error that makes nothing.
    let out = env
        .sessions()
        .env_remove("TMUX")
        .args(["new", "y", "--tmux", "--agent", agent])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("not inside tmux"));
    assert!(env.session_names().is_empty());

    let out = in_tmux(
        &env,
        &var,
        &[
            "new",
            "x",
            "--tmux",
            "--agent",
            &format!("{agent} --flag"),
            "--",
            "fix it",
        ],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("in tmux window @"),
        "{}",
        stderr_of(&out)
    );
    let wt = env.sessions_dir().join("x");
    let args = logged(&env.root(), "agent", "x");
    assert_eq!(
        args,
        [wt.display().to_string(), "--flag".into(), "fix it".into()]
    );
    assert!(
        windows(&tmux).contains(&("x".into(), wt.display().to_string())),
        "{:?}",
        windows(&tmux)
    );
    // Launched through `resume`: the agent's pid is noted as ever.
    until("the agent's pid in the registry", || {
        env.listed("x")["agent"]["pid"].is_u64()
    });
    assert_eq!(env.listed("x")["agent"]["kind"], agent);

    // `[agent] tmux = true` does the same without the flag.
    env.user_config("[agent]\ntmux = true\n");
    let out = in_tmux(&env, &var, &["new", "z", "--agent", agent]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    logged(&env.root(), "agent", "z");
    assert!(windows(&tmux).iter().any(|(name, _)| name == "z"));
}

/// A terminal attached to the server, as a person's would be; its name.
fn client(env: &TestEnv, tmux: &Tmux) -> (KillOnDrop, String) {
    let attach = format!("tmux -S '{}' attach", tmux.socket().display());
    let child = env
        .command_in("script", &env.root())
        .args(["-qfec", &attach, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("TMUX")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut name = String::new();
    until("a client to attach", || {
        name = tmux.run(&["list-clients", "-F", "#{client_name}"]);
        !name.trim().is_empty()
    });
    (KillOnDrop(child), name.trim().to_string())
}

#[test]
fn attach_switches_to_the_agents_pane_found_by_its_process() {
    if !require("tmux") || !require("script") {
        return;
    }
    let env = TestEnv::new();
    let (tmux, var) = server(&env);
    let first = tmux.run(&["display-message", "-p", "#{window_id}"]);
    let agent = stand_in(&env.root(), "agent");
    let out = in_tmux(
        &env,
        &var,
        &["new", "x", "--tmux", "--agent", agent.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    logged(&env.root(), "agent", "x");
    until("the agent's pid in the registry", || {
        env.listed("x")["agent"]["pid"].is_u64()
    });
    let target = tmux.run(&["display-message", "-p", "-t", "x", "#{window_id}"]);
    // Renamed, the window is found by the agent's own TMUX_PANE.
    tmux.run(&["rename-window", "-t", "x", "renamed"]);
    tmux.run(&["select-window", "-t", first.trim()]);
    let (_client, name) = client(&env, &tmux);
    let showing = || tmux.run(&["display-message", "-p", "-c", &name, "#{window_id}"]);
    assert_eq!(showing(), first);

    let out = in_tmux(&env, &var, &["attach", "x"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    until("the client to show the agent", || showing() == target);

    // A session without an agent in tmux: an error, and how to start one.
    env.sessions()
        .args(["new", "y", "--no-agent"])
        .assert()
        .success();
    let out = in_tmux(&env, &var, &["attach", "y"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("hint: sessions resume y"),
        "{}",
        stderr_of(&out)
    );
}

/// A folder holding a stand-in `claude` (see `stand_in`), for PATH.
fn claude_stand_in(env: &TestEnv) -> PathBuf {
    let bin = env.root().join("bin");
    fs::create_dir_all(&bin).unwrap();
    stand_in(&bin, "claude");
    bin
}

/// `sessions resume --all` run in DIR inside the tmux server of `$TMUX`
/// value VAR, with BIN first on PATH; what it said, once it succeeded.
fn resume_all_in(env: &TestEnv, dir: &Path, var: &str, bin: &Path) -> String {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = env
        .sessions_in(dir)
        .env("TMUX", var)
        .env("PATH", path)
        .args(["resume", "--all"])
        .output()
        .unwrap();
    let said = stderr_of(&out);
    assert!(out.status.success(), "{said}");
    said
}

/// Claude's hook EVENT for the session in DIR, from the Claude of pid PID
/// (by default, whichever process runs the hook).
pub fn hook(env: &TestEnv, dir: &Path, event: &str, session_id: &str, pid: Option<u32>) {
    let input = json!({
        "session_id": session_id,
        "transcript_path": format!("/t/{session_id}.jsonl"),
        "cwd": dir,
        "hook_event_name": event,
    });
    let mut command = env.sessions_in(dir);
    if let Some(pid) = pid {
        command.env("CLAUDE_PID", pid.to_string());
    }
    command
        .args(["hook", event])
        .write_stdin(input.to_string())
        .assert()
        .success();
}

#[test]
fn resume_all_restarts_in_windows_the_agents_the_machine_stopped() {
    if !require("tmux") {
        return;
    }
    let env = TestEnv::new();
    let (tmux, var) = server(&env);
    let bin = claude_stand_in(&env);
    let mut wts = Vec::new();
    for name in ["a", "b", "c", "d"] {
        env.sessions()
            .args(["new", name, "--no-agent"])
            .assert()
            .success();
        wts.push(env.sessions_dir().join(name));
    }
    // a: working when the machine stopped; b: its Claude still runs;
    // c: exited cleanly; d: never had an agent.
    hook(&env, &wts[0], "UserPromptSubmit", "id-a", Some(dead_pid()));
    let alive = sleeper_in(&wts[1]);
    hook(&env, &wts[1], "SessionStart", "id-b", Some(alive.id()));
    hook(&env, &wts[2], "SessionEnd", "id-c", Some(dead_pid()));
    assert_eq!(env.listed("a")["agent"]["state"], "exited");

    // Outside tmux: refused, with a way in.
    let out = env
        .sessions()
        .env_remove("TMUX")
        .args(["resume", "--all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("hint: tmux new-session"),
        "{}",
        stderr_of(&out)
    );

    let said = resume_all_in(&env, &env.repo, &var, &bin);
    assert!(said.contains("Resumed 'a' in tmux window @"), "{said}");
    // Once: this repository is in the index too.
    assert_eq!(said.matches("Resumed '").count(), 1, "{said}");
    assert!(
        said.contains(&format!(
            "Skipped 'b': its agent still runs (pid {})",
            alive.id()
        )),
        "{said}"
    );
    assert!(!said.contains("'c'") && !said.contains("'d'"), "{said}");

    let args = logged(&bin, "claude", "a");
    assert_eq!(args[0], wts[0].display().to_string());
    assert_eq!(args[1..5], ["--session-id", "id-a", "-n", "a"]);
    let names: Vec<String> = windows(&tmux).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"a".to_string()), "{names:?}");
    assert!(
        !names.iter().any(|n| ["b", "c", "d"].contains(&n.as_str())),
        "{names:?}"
    );
    until("a's new agent to be noted", || {
        let agent: Value = env.listed("a")["agent"].clone();
        agent["pid"]
            .as_u64()
            .is_some_and(|p| p != u64::from(dead_pid()))
            && agent["state"] != "exited"
    });
    assert!(!bin.join("claude-b.log").exists());
    drop(alive);
}

#[test]
fn resume_all_restarts_the_agents_of_every_known_repository() {
    if !require("tmux") {
        return;
    }
    let env = TestEnv::new();
    let (tmux, var) = server(&env);
    let bin = claude_stand_in(&env);
    let here = env.new_session("here");
    let other = crate::repo_index::second_repo(&env, "work", "api");
    crate::repo_index::new_in(&env, &other, "fix");
    let fix = env.root().join("work/api.sessions/fix");
    // Both were working when the machine stopped.
    hook(&env, &here, "UserPromptSubmit", "id-here", Some(dead_pid()));
    hook(&env, &fix, "UserPromptSubmit", "id-fix", Some(dead_pid()));

    // From a folder in no repository: every indexed one.
    let elsewhere = env.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let said = resume_all_in(&env, &elsewhere, &var, &bin);
    assert!(
        said.contains("Resumed 'api/fix' in tmux window @"),
        "{said}"
    );
    let repo = env.repo.file_name().unwrap().to_str().unwrap();
    assert!(
        said.contains(&format!("Resumed '{repo}/here' in tmux window @")),
        "{said}"
    );
    assert_eq!(said.matches("Resumed '").count(), 2, "{said}");
    assert_eq!(logged(&bin, "claude", "fix")[0], fix.display().to_string());
    assert_eq!(
        logged(&bin, "claude", "here")[0],
        here.display().to_string()
    );
    let mut names: Vec<String> = windows(&tmux).into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert!(
        names.contains(&"fix".into()) && names.contains(&"here".into()),
        "{names:?}"
    );
}
