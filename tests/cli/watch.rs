//! `sessions watch`: the live view driven through a real bash in a private
//! tmux server, at 80 and 200 columns (order by attention, a hook reflected,
//! the keys, `r` and `s` running their commands, NO_COLOR), and its JSON
//! lines without a terminal. Every wait
//! polls the screen or the output for a condition.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::agent_states::hook;
use crate::common::tty::Tmux;
use crate::common::{KillOnDrop, TestEnv, require, sleeper_in};
use crate::idle_shells::until;

/// A bash at WIDTH columns in the main worktree, with this build of
/// `sessions` first on PATH and its shell function loaded.
fn shell(env: &TestEnv, width: u16) -> Tmux {
    let tmux = Tmux::start(
        env,
        &env.root(),
        &env.repo,
        "exec bash --norc --noprofile -i",
    );
    tmux.run(&["resize-window", "-x", &width.to_string(), "-y", "30"]);
    let bin = Path::new(env!("CARGO_BIN_EXE_sessions")).parent().unwrap();
    tmux.type_line(&format!("export PATH={}:$PATH", bin.display()));
    tmux.type_line("eval \"$(sessions init bash)\"");
    tmux.ready(1);
    tmux
}

fn screen(tmux: &Tmux) -> String {
    tmux.screen()
}

/// The session names in the table, top to bottom.
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("NAME"))
        .skip(1)
        .map(|l| l.trim_start_matches('>').trim())
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Waits until the table lists exactly NAMES, in that order.
fn until_rows(tmux: &Tmux, names: &[&str]) {
    let mut last = String::new();
    let start = Instant::now();
    while rows(&last) != names {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "rows never became {names:?}:\n{last}"
        );
        std::thread::sleep(Duration::from_millis(50));
        last = screen(tmux);
    }
}

fn until_shown(tmux: &Tmux, text: &str) {
    tmux.until_shown(text);
}

fn key(tmux: &Tmux, key: &str) {
    tmux.run(&["send-keys", key]);
}

/// Sends KEY, which ends `watch`, and waits until it has: what is typed
/// before it ends is its input, not the shell's.
fn ending(tmux: &Tmux, which: &str) {
    key(tmux, which);
    until("watch to end", || {
        !screen(tmux).contains("sessions watch: ")
    });
}

/// Sessions a, b and c, each with a stand-in agent: a waits (a permission
/// prompt), b works, c has said nothing.
fn three(env: &TestEnv) -> (Vec<PathBuf>, Vec<KillOnDrop>) {
    let paths: Vec<PathBuf> = ["a", "b", "c"].iter().map(|n| env.new_session(n)).collect();
    let agents: Vec<KillOnDrop> = paths.iter().map(|p| sleeper_in(p)).collect();
    hook(env, &paths[1], "UserPromptSubmit", None, agents[1].id());
    hook(env, &paths[0], "UserPromptSubmit", None, agents[0].id());
    hook(
        env,
        &paths[0],
        "Notification",
        Some("permission_prompt"),
        agents[0].id(),
    );
    (paths, agents)
}

fn sorts_by_attention_and_follows_a_hook(width: u16) {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let (paths, agents) = three(&env);
    let tmux = shell(&env, width);
    tmux.type_line("sessions watch");
    until_rows(&tmux, &["a", "b", "c"]);
    let shown = screen(&tmux);
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.trim_start_matches('>').trim().starts_with(name))
            .unwrap()
            .to_string()
    };
    assert!(line("a").contains("waiting"), "{shown}");
    assert!(line("b").contains("working"), "{shown}");
    assert!(
        shown
            .lines()
            .all(|l| l.chars().count() <= usize::from(width)),
        "{shown}"
    );

    // A hook: c waits now, after a, which has waited longer.
    hook(&env, &paths[2], "UserPromptSubmit", None, agents[2].id());
    hook(
        &env,
        &paths[2],
        "Notification",
        Some("permission_prompt"),
        agents[2].id(),
    );
    until_rows(&tmux, &["a", "c", "b"]);
    ending(&tmux, "q");
    tmux.ready(2);
}

#[test]
fn watch_sorts_by_attention_and_follows_a_hook_at_80_columns() {
    sorts_by_attention_and_follows_a_hook(80);
}

#[test]
fn watch_sorts_by_attention_and_follows_a_hook_at_200_columns() {
    sorts_by_attention_and_follows_a_hook(200);
}

#[test]
fn watch_keys_filter_help_refused_remove_enter_and_quit() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    env.new_session("a");
    let b = env.new_session("b");
    std::fs::write(b.join("notes.txt"), "not committed\n").unwrap();
    let tmux = shell(&env, 80);
    tmux.type_line("sessions watch");
    until_rows(&tmux, &["a", "b"]);

    key(&tmux, "?");
    until_shown(&tmux, "these keys");
    key(&tmux, "Space");
    until("the keys to go", || !screen(&tmux).contains("these keys"));

    // `/b`: only b; x on it is refused as `rm` refuses it.
    for k in ["/", "b", "Enter"] {
        key(&tmux, k);
    }
    until_rows(&tmux, &["b"]);
    key(&tmux, "x");
    until_shown(&tmux, "Remove session 'b'? [y/N]");
    key(&tmux, "y");
    until_shown(&tmux, "refusing to remove");
    assert!(env.session_names().contains(&"b".to_string()));
    assert!(b.join("notes.txt").exists());

    // Enter: watch ends and the shell function leaves the shell in b.
    ending(&tmux, "Enter");
    tmux.ready(2);
    tmux.type_line("echo \"at:$PWD\"");
    until_shown(&tmux, &format!("at:{}", b.display()));

    // q ends it with 0, and the shell stays where it was.
    tmux.type_line("sessions watch; echo \"rc=$?\"");
    until_rows(&tmux, &["a", "b"]);
    key(&tmux, "q");
    until_shown(&tmux, "rc=0");
}

/// Whether SCREEN (captured with escapes) sets a foreground colour.
fn coloured(screen: &str) -> bool {
    screen.split('\x1b').any(|seq| {
        let params = seq.strip_prefix('[').and_then(|s| s.split('m').next());
        params.is_some_and(|p| {
            p.split(';')
                .any(|n| matches!(n.parse::<u32>(), Ok(30..=37 | 38 | 90..=97)))
        })
    })
}

#[test]
fn watch_has_no_colour_with_no_color() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    let (_paths, _agents) = three(&env);
    let tmux = shell(&env, 80);
    let escaped = |tmux: &Tmux| tmux.run(&["capture-pane", "-e", "-p"]);
    tmux.type_line("NO_COLOR=1 sessions watch");
    until_rows(&tmux, &["a", "b", "c"]);
    assert!(!coloured(&escaped(&tmux)), "{:?}", escaped(&tmux));
    ending(&tmux, "q");
    tmux.ready(2);
    // The same view in colour: the check above can see colour.
    tmux.type_line("sessions watch");
    until_rows(&tmux, &["a", "b", "c"]);
    until("a coloured row", || coloured(&escaped(&tmux)));
    key(&tmux, "q");
}

/// `sessions watch` with stdout a pipe: its lines, as they come.
fn follow(env: &TestEnv, args: &[&str]) -> (KillOnDrop, mpsc::Receiver<Value>) {
    let mut child = env
        .sessions_std(&env.repo)
        .arg("watch")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let value = serde_json::from_str(&line).expect("each line is one JSON document");
            if send.send(value).is_err() {
                return;
            }
        }
    });
    (KillOnDrop(child), lines)
}

fn next_line(lines: &mpsc::Receiver<Value>) -> Value {
    lines
        .recv_timeout(Duration::from_secs(60))
        .expect("watch printed no line")
}

#[test]
fn watch_without_a_terminal_prints_a_json_line_per_change() {
    let env = TestEnv::new();
    let (paths, agents) = three(&env);
    // An archived session is listed too, without a folder to watch.
    env.new_session("d");
    env.sessions().args(["archive", "d"]).assert().success();
    let (_watch, lines) = follow(&env, &[]);
    let mut seen: Vec<Value> = (0..4).map(|_| next_line(&lines)).collect();
    let first: Vec<(&str, &str)> = seen
        .iter()
        .map(|l| {
            (
                l["change"].as_str().unwrap(),
                l["session"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        first,
        [
            ("added", "a"),
            ("added", "b"),
            ("added", "c"),
            ("added", "d")
        ]
    );
    assert_eq!(seen[0]["attention"], "waiting");

    // One hook, one line: c is waiting.
    hook(
        &env,
        &paths[2],
        "Notification",
        Some("permission_prompt"),
        agents[2].id(),
    );
    let line = next_line(&lines);
    assert_eq!(line["change"], "changed", "{line}");
    assert_eq!(line["session"]["name"], "c", "{line}");
    assert_eq!(line["attention"], "waiting", "{line}");
    assert_eq!(line["session"]["agent"]["state"], "waiting", "{line}");
    seen.push(line);
    crate::json::check("watch", &crate::json::documented("watch"), &seen);
}

/// A terminal that goes away under `watch` (its tmux killed, an ssh cut)
/// ends it, as a hang-up does, instead of leaving it spinning on a core.
#[test]
fn watch_ends_when_its_terminal_goes_away() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    env.new_session("a");
    let tmux = shell(&env, 80);
    tmux.type_line("sessions watch");
    until_rows(&tmux, &["a"]);
    let bash = tmux.pane_pid();
    let watch = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
            stat.contains("(sessions)") && after_name.split(' ').nth(1) == Some(&bash.to_string())
        })
        .expect("watch runs under the pane's bash");
    let server = tmux.run(&["display-message", "-p", "#{pid}"]);
    let killed = std::process::Command::new("kill")
        .args(["-9", server.trim()])
        .status()
        .unwrap();
    assert!(killed.success());
    until("watch to end with its terminal", || {
        !Path::new(&format!("/proc/{watch}")).exists()
            || std::fs::read_to_string(format!("/proc/{watch}/stat"))
                .is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')))
    });
}

#[test]
fn watch_r_resumes_the_agent_in_its_session_and_s_shows_it() {
    if !require("tmux") || !require("bash") {
        return;
    }
    let env = TestEnv::new();
    // A stand-in agent that notes where it started, and ends.
    let marker = env.root().join("resumed");
    env.user_config(&format!(
        "[agent]\ncommand = \"sh\"\nargs = [\"-c\", \"pwd > {}\", \"sh\"]\n",
        marker.display()
    ));
    let a = env.new_session("a");
    let tmux = shell(&env, 80);
    tmux.type_line("sessions watch");
    until_rows(&tmux, &["a"]);

    key(&tmux, "r");
    until("the agent to start", || marker.exists());
    until("the agent to note its folder", || {
        std::fs::read_to_string(&marker).is_ok_and(|s| s.ends_with('\n'))
    });
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap().trim_end(),
        a.display().to_string()
    );
    // The agent ended: watch is back.
    until_rows(&tmux, &["a"]);

    key(&tmux, "s");
    until_shown(&tmux, "Press Enter to return to watch");
    let shown = screen(&tmux);
    let branch = shown.lines().find(|l| l.starts_with("branch:"));
    assert_eq!(
        branch.map(str::split_whitespace).and_then(|mut w| w.nth(1)),
        Some("a"),
        "{shown}"
    );
    key(&tmux, "Enter");
    until_rows(&tmux, &["a"]);
    ending(&tmux, "q");
}
