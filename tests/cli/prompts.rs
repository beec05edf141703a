//! Prompts and names: Ctrl-C at a question, the session a command means
//! when none is named, the picker, suggestions, completion of refs,
//! agent profiles and command lines.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::common::{TestEnv, make_executable, require, stderr_of, write_file};

/// What the session picker shows when it is ready for keys.
const PICKER: &str = "Session";

/// `sessions ARGS` in DIR on a terminal (util-linux `script`): for each
/// step, waits until the output shows its text, then types its keys.
/// Returns the exit code and everything the terminal showed.
fn typing(env: &TestEnv, dir: &Path, args: &str, steps: &[(&str, &str)]) -> (i32, String) {
    typing_with(env, dir, &[], args, steps)
}

/// `typing`, with the environment variables VARS set.
fn typing_with(
    env: &TestEnv,
    dir: &Path,
    vars: &[(&str, &str)],
    args: &str,
    steps: &[(&str, &str)],
) -> (i32, String) {
    let bin = env!("CARGO_BIN_EXE_sessions");
    let mut child = env
        .command_in("script", dir)
        .envs(vars.iter().copied())
        .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut shown = Vec::new();
    for (text, keys) in steps {
        // Waits for the program, not for time: the bound only ends a hang.
        while !String::from_utf8_lossy(&shown).contains(text) {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(chunk) => shown.extend(chunk),
                Err(_) => panic!("never showed {text:?}: {}", String::from_utf8_lossy(&shown)),
            }
        }
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    // Waits for the program to end, the bound only ending a hang. The
    // picker draws itself before it puts the terminal in raw mode, and
    // switching flushes what was typed in between: its keys are typed
    // again, as a person would, until the program ends.
    let (prompt, last) = steps.last().copied().unwrap_or_default();
    let retype = prompt == PICKER;
    let mut waited = 0;
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("never ended: {}", String::from_utf8_lossy(&shown));
        }
        std::thread::sleep(Duration::from_millis(50));
        waited += 1;
        if retype && waited % 4 == 0 {
            let _ = stdin.write_all(last.as_bytes());
            let _ = stdin.flush();
        }
    };
    drop(stdin);
    reader.join().unwrap();
    shown.extend(rx.try_iter().flatten());
    let shown = String::from_utf8_lossy(&shown).into_owned();
    (status.code().unwrap_or(-1), shown)
}

#[test]
fn ctrl_c_at_the_trust_prompt_of_new_changes_nothing() {
    if !require("script") {
        return;
    }
    let env = TestEnv::cloned();
    env.write(".sessions.toml", "setup = [\"echo ran > ran.txt\"]\n");
    let (code, shown) = typing(&env, &env.repo, "new x --no-agent", &[("[y/N]", "\x03")]);
    assert_eq!(code, 130, "{shown}");
    assert!(shown.contains("interrupted"), "{shown}");
    assert!(env.session_names().is_empty());
    assert!(
        !env.branches().iter().any(|b| b == "x"),
        "{:?}",
        env.branches()
    );
    assert!(!env.sessions_dir().join("x").exists());
    assert!(env.admin_entries().is_empty());
}

#[test]
fn without_a_name_a_command_means_the_session_the_folder_is_in() {
    let env = TestEnv::cloned();
    let path = env.new_session("inside");
    env.new_session("other");
    let deep = path.join("src/deep");
    std::fs::create_dir_all(&deep).unwrap();
    let out = env.sessions_in(&deep).arg("show").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(text.starts_with("session:      inside\n"), "{text}");
    let out = env.sessions_in(&deep).arg("sync").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("'inside'"), "{}", stderr_of(&out));
    // rm from a folder outside the worktree, but still naming none: only
    // `inside`, where the command stands, goes.
    let out = env.sessions_in(&path).args(["rm"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(env.session_names(), ["other"]);
}

#[test]
fn outside_every_session_and_without_a_terminal_a_name_is_required() {
    let env = TestEnv::new();
    env.new_session("a");
    for args in [
        &["rm"][..],
        &["show"],
        &["cd"],
        &["resume"],
        &["land"],
        &["sync"],
    ] {
        let err = env.exits_with(args, 2);
        assert!(err.contains("<NAME>"), "{args:?}: {err}");
    }
    assert_eq!(env.session_names(), ["a"]);
    // `sync --all` needs no name.
    env.exits_with(&["sync", "--all"], 0);
}

#[test]
fn sessions_alone_lists_the_sessions() {
    let env = TestEnv::new();
    env.new_session("listed");
    // One clock for both, so that ages agree.
    let now = ("SESSIONS_NOW", "2099-01-01T00:00:00Z");
    let alone = env.sessions().env(now.0, now.1).output().unwrap();
    let list = env
        .sessions()
        .env(now.0, now.1)
        .arg("list")
        .output()
        .unwrap();
    assert!(alone.status.success(), "{}", stderr_of(&alone));
    assert_eq!(alone.stdout, list.stdout);
    assert!(String::from_utf8_lossy(&alone.stdout).contains("listed"));
}

#[test]
fn on_a_terminal_a_session_is_picked_by_typing_part_of_its_name() {
    if !require("script") {
        return;
    }
    let env = TestEnv::new();
    env.new_session("alpha");
    env.new_session("feature-login");
    let (code, shown) = typing(&env, &env.repo, "show", &[(PICKER, "login\r")]);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("session:      feature-login"), "{shown}");
    // Esc picks nothing and does nothing.
    let (code, shown) = typing(&env, &env.repo, "rm", &[(PICKER, "\x1b")]);
    assert_eq!(code, 130, "{shown}");
    let (code, shown) = typing(&env, &env.repo, "rm", &[(PICKER, "\x03")]);
    assert_eq!(code, 130, "{shown}");
    assert_eq!(env.session_names(), ["alpha", "feature-login"]);
}

#[test]
fn a_mistyped_name_or_subcommand_suggests_the_closest() {
    let env = TestEnv::new();
    env.new_session("alpha");
    let commands: [&[&str]; 9] = [
        &["show"],
        &["cd"],
        &["resume"],
        &["rm"],
        &["land"],
        &["sync"],
        &["path"],
        &["setup"],
        &["conflicts"],
    ];
    for command in commands {
        let args: Vec<&str> = command.iter().copied().chain(["alhpa"]).collect();
        let err = env.exits_with(&args, 2);
        assert!(err.contains("did you mean 'alpha'?"), "{args:?}: {err}");
    }
    assert_eq!(env.session_names(), ["alpha"]);
    let err = env.exits_with(&["lsit"], 2);
    insta::assert_snapshot!("mistyped_subcommand", err);
}

/// What `sessions ARGS` completes to, by fish's completion request: each
/// candidate with its description.
fn completions(env: &TestEnv, args: &[&str]) -> Vec<String> {
    let out = env
        .sessions()
        .env("COMPLETE", "fish")
        .args(["--", "sessions"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn base_and_branch_complete_to_the_branches_and_tags() {
    let env = TestEnv::cloned();
    env.git(&["branch", "topic"]);
    env.git(&["tag", "v1.0"]);
    env.new_session("s");
    for flag in ["--base", "--branch"] {
        let offered = completions(&env, &["new", "x", flag, ""]);
        for expected in [
            "main\tbranch",
            "origin/main\tremote branch",
            "s\tbranch",
            "topic\tbranch",
            "v1.0\ttag",
        ] {
            assert!(offered.iter().any(|o| o == expected), "{flag}: {offered:?}");
        }
        assert!(
            !offered.iter().any(|o| o.starts_with("origin/HEAD")),
            "{offered:?}"
        );
        let narrowed = completions(&env, &["new", "x", flag, "to"]);
        assert_eq!(narrowed, ["topic\tbranch"], "{flag}");
    }
}

/// A stand-in agent at HOME/bin/NAME that writes its arguments, one a
/// line, to `args` in the folder it runs in.
fn recording_agent(env: &TestEnv, name: &str) -> std::path::PathBuf {
    let path = env.home.join("bin").join(name);
    write_file(&path, "#!/bin/sh\nprintf '%s\\n' \"$@\" > args\n");
    make_executable(&path);
    path
}

fn recorded_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn agent_takes_a_command_line_split_as_a_shell_would() {
    let env = TestEnv::new();
    let agent = recording_agent(&env, "fake agent");
    let line = format!("'{}' --model \"big one\" -v", agent.display());
    env.exits_with(&["new", "x", "--agent", &line, "--", "extra"], 0);
    let wt = env.sessions_dir().join("x");
    assert_eq!(recorded_args(&wt), ["--model", "big one", "-v", "extra"]);
    assert_eq!(
        env.listed("x")["agent"]["kind"],
        agent.display().to_string()
    );
    // A line no shell could split changes nothing.
    let err = env.exits_with(&["new", "y", "--agent", "aider \"--model"], 2);
    assert!(err.contains("--agent"), "{err}");
    assert_eq!(env.session_names(), ["x"]);
}

#[test]
fn profile_selects_a_configured_agent_for_new_and_resume() {
    let env = TestEnv::new();
    let agent = recording_agent(&env, "reviewer");
    env.user_config(&format!(
        "[agent.profiles.review]\ncommand = '{}'\nargs = [\"--model\", \"opus\"]\n",
        agent.display()
    ));
    env.exits_with(&["new", "x", "--profile", "review"], 0);
    let wt = env.sessions_dir().join("x");
    assert_eq!(recorded_args(&wt), ["--model", "opus"]);
    std::fs::remove_file(wt.join("args")).unwrap();
    env.exits_with(&["resume", "x", "--profile", "review", "--", "-c"], 0);
    assert_eq!(recorded_args(&wt), ["--model", "opus", "-c"]);

    assert_eq!(
        completions(&env, &["new", "y", "--profile", ""]),
        ["review"]
    );
    for command in [&["new", "y"][..], &["resume", "x"]] {
        let args: Vec<&str> = command
            .iter()
            .copied()
            .chain(["--profile", "reveiw"])
            .collect();
        let err = env.exits_with(&args, 2);
        assert!(err.contains("did you mean 'review'?"), "{err}");
    }
    assert_eq!(env.session_names(), ["x"]);
}

#[test]
fn a_project_profile_needs_approval_like_the_agent() {
    let env = TestEnv::new();
    let agent = recording_agent(&env, "project-agent");
    env.write(
        ".sessions.toml",
        &format!("[agent.profiles.proj]\ncommand = '{}'\n", agent.display()),
    );
    let err = env.exits_with(&["new", "x", "--profile", "proj"], 0);
    assert!(err.contains("not starting the agent"), "{err}");
    assert!(!env.sessions_dir().join("x/args").exists());
    env.exits_with(&["trust", "--yes"], 0);
    env.exits_with(&["new", "y", "--profile", "proj"], 0);
    assert!(env.sessions_dir().join("y/args").exists());
}

#[test]
fn a_slow_checkout_shows_progress_on_a_terminal_only() {
    // The hook makes "slow" mean "any": no test waits on the clock.
    let at_once = [("SESSIONS_PROGRESS_AFTER_MS", "0")];
    let env = TestEnv::new();
    let out = env
        .sessions()
        .envs(at_once)
        .args(["new", "piped", "--no-agent"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        !stderr_of(&out).contains("Checking out"),
        "{}",
        stderr_of(&out)
    );
    if !require("script") {
        return;
    }
    let (code, shown) = typing_with(&env, &env.repo, &at_once, "new tty --no-agent", &[]);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("Checking out"), "{shown}");
}
