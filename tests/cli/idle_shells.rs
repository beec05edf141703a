//! Shells sitting in a session: real bash, zsh and fish at their prompt in
//! a tmux pane (a private server, killed at the end) do not stop `rm`,
//! `sync` or `land`, and are named in a warning; the same shells running a
//! command do stop them. Every wait polls for a condition.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::tty::Tmux;
use crate::common::{KillOnDrop, TestEnv, require};

/// Polls CONDITION until it holds, failing after a generous bound.
pub(crate) fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The running children of PID, with their names (`ps`, as on macOS too).
fn children(pid: u32) -> Vec<(u32, String)> {
    let out = Command::new("ps")
        .args(["-A", "-o", "pid=,ppid=,stat=,comm="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let child: u32 = fields.next()?.parse().ok()?;
            let parent: u32 = fields.next()?.parse().ok()?;
            let state = fields.next()?;
            let name = fields.collect::<Vec<_>>().join(" ");
            let name = name.rsplit('/').next()?.to_string();
            (parent == pid && !state.starts_with('Z')).then_some((child, name))
        })
        .collect()
}

/// Waits until SHELL runs a `sleep`; its pid.
fn sleeping_child(shell: u32) -> u32 {
    let mut child = None;
    until("the shell's sleep", || {
        child = children(shell)
            .into_iter()
            .find(|(_, name)| name == "sleep")
            .map(|(pid, _)| pid);
        child.is_some()
    });
    child.unwrap()
}

fn interrupted(tmux: &Tmux, shell: u32) {
    tmux.interrupt();
    until("the shell's command to end", || children(shell).is_empty());
}

/// SHELL (its command line COMMAND) in session x's folder: running a
/// command that works there or elsewhere, it stops `rm` (exit 3, nothing
/// removed); at its prompt, `rm` goes ahead and names it.
fn shell_in_a_session(shell: &str, command: &str) {
    if !require("tmux") || !require(shell) {
        return;
    }
    let env = TestEnv::new();
    let wt = env.new_session("x");
    let tmux = Tmux::start(&env, &env.root(), &wt, command);
    let pid = tmux.pane_pid();
    tmux.ready(1);

    tmux.type_line("sleep 1000");
    let sleep = sleeping_child(pid);
    let refused = env.exits_with(&["rm", "x"], 3);
    assert!(
        refused.contains(&format!("process sleep (pid {sleep}) is working in")),
        "{refused}"
    );
    interrupted(&tmux, pid);

    tmux.type_line("sh -c 'cd / && exec sleep 1000'");
    let sleep = sleeping_child(pid);
    let refused = env.exits_with(&["rm", "x"], 3);
    assert!(
        refused.contains(&format!(
            "process {shell} (pid {pid}) is running sleep (pid {sleep}) in {}",
            wt.display()
        )),
        "{refused}"
    );
    assert!(wt.is_dir());
    interrupted(&tmux, pid);
    tmux.ready(2);

    let said = env.exits_with(&["rm", "x"], 0);
    assert!(
        said.contains(&format!(
            "warning: process {shell} (pid {pid}) sat idle in {}",
            wt.display()
        )),
        "{said}"
    );
    assert!(!wt.exists());
    assert!(env.session_names().is_empty());
}

#[test]
fn an_idle_bash_is_named_and_a_busy_one_blocks() {
    shell_in_a_session("bash", "exec bash --norc --noprofile -i");
}

#[test]
fn an_idle_zsh_is_named_and_a_busy_one_blocks() {
    shell_in_a_session("zsh", "exec zsh -f -i");
}

#[test]
fn an_idle_fish_is_named_and_a_busy_one_blocks() {
    // A prompt of its own: fish's default one runs git.
    shell_in_a_session(
        "fish",
        "exec fish --no-config -C 'function fish_prompt; echo \"> \"; end' -i",
    );
}

#[test]
fn a_tmux_server_started_in_a_session_and_its_idle_pane_do_not_block() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let wt = env.new_session("x");
    // `cd x && tmux`: the server works in the session's folder too.
    let tmux = Tmux::start(&env, &wt, &wt, "exec bash --norc --noprofile -i");
    let pid = tmux.pane_pid();
    tmux.ready(1);
    let said = env.exits_with(&["rm", "x"], 0);
    assert!(
        said.contains(&format!("process bash (pid {pid}) sat idle in")),
        "{said}"
    );
    assert!(said.contains("process tmux"), "{said}");
    assert!(!wt.exists());
}

#[test]
fn sync_and_land_go_ahead_with_an_idle_shell_in_the_session() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let wt = env.new_session("x");
    env.commit_in(&wt, "x.txt", "x\n", "work in x");
    env.commit_in(&env.repo, "base.txt", "base\n", "the base moves on");
    let tmux = Tmux::start(&env, &env.root(), &wt, "exec bash --norc --noprofile -i");
    let pid = tmux.pane_pid();
    tmux.ready(1);

    env.exits_with(&["sync", "x"], 0);
    let base = env.git(&["rev-parse", "main"]);
    let merge_base = env.git(&["merge-base", "main", "x"]);
    assert_eq!(merge_base, base, "x was rebased onto main");

    let said = env.exits_with(&["land", "x"], 0);
    assert!(
        said.contains(&format!("process bash (pid {pid}) sat idle in")),
        "{said}"
    );
    assert!(!wt.exists());
    assert!(env.repo.join("x.txt").is_file());
}

/// A shell running a script is busy even while the script waits in a
/// builtin with no child (here `read` on a pipe nobody writes yet): only a
/// shell started for a person, its input a terminal, counts as idle.
#[test]
fn a_shell_running_a_script_in_a_builtin_blocks() {
    let env = TestEnv::new();
    let path = env.new_session("s");
    let fifo = env.root().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let _script = KillOnDrop(
        Command::new("bash")
            .args(["-c", "read -r line < \"$0\"; echo done > out.txt"])
            .arg(&fifo)
            .current_dir(&path)
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Spawned means started in PATH: from then on it waits, with no child.
    let stderr = env.exits_with(&["rm", "s"], 3);
    assert!(stderr.contains("process bash"), "{stderr}");
    assert!(path.is_dir());
}
