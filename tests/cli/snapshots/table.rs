//! `list` over sixteen sessions in every state, names short and long, with
//! agents at work, waiting and gone: at 80, 120 and 200 columns it fits,
//! cutting and dropping columns whole; in full with `--wide` or through a
//! pipe; coloured on a terminal only.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::{LATER, NOW, Pinned};
use crate::common::{KillOnDrop, require, sleeper_in};

const LONG: &str = "refactor-the-authentication-middleware-for-sso";

/// Sixteen sessions in the default `worktree_dir` (beside the repository,
/// so paths show relative to its parent), and the stand-ins for their live
/// agents, which must live as long as the scene is looked at.
fn crowd() -> (Pinned, Vec<KillOnDrop>) {
    let pinned = Pinned::cloned();
    pinned.env.user_config("");
    let mut agents = Vec::new();
    pinned.new_session("a");
    let b = pinned.new_session("b");
    fs::write(b.join("notes.txt"), "an idea\n").unwrap();
    let fix = pinned.new_session("fix-login");
    pinned.commit_in(&fix, "login.js", "fixed\n", "fix the login");
    let long = pinned.new_session(LONG);
    for n in 1..=3 {
        pinned.commit_in(&long, "auth.js", &format!("v{n}\n"), "rework auth");
    }
    fs::write(long.join("README.md"), "edited\n").unwrap();
    agents.push(agent(&pinned, &long, &["SessionStart", "UserPromptSubmit"]));
    let x = pinned.new_session("x");
    fs::write(x.join("draft.md"), "draft\n").unwrap();
    agents.push(agent(&pinned, &x, &["SessionStart", "Notification"]));
    let docs = pinned.new_session("docs");
    pinned.commit_in(&docs, "docs.md", "documented\n", "document it");
    pinned.git_in(&docs, &["push", "-q", "origin", "docs:main"]);
    pinned.git(&["fetch", "-q", "origin"]);
    let ui = pinned.new_session("ui");
    pinned.git(&[
        "worktree",
        "lock",
        "--reason",
        "on an external disk",
        ui.to_str().unwrap(),
    ]);
    let gone = pinned.new_session("gone");
    fs::remove_dir_all(gone).unwrap();
    let api = pinned.new_session_on("api-v2", "feature/api-version-two");
    pinned.commit_in(&api, "api.js", "v2\n", "api v2");
    pinned.commit_in(&api, "api.js", "v2.1\n", "api v2.1");
    let perf = pinned.new_session("perf");
    pinned.commit_in(&perf, "perf.js", "fast\n", "faster");
    fs::write(perf.join("README.md"), "measured\n").unwrap();
    fs::create_dir_all(perf.join("src/deep")).unwrap();
    let idle = pinned.new_session("idle-agent");
    agents.push(agent(&pinned, &idle, &["SessionStart"]));
    let broken = pinned.new_session("broken");
    agents.push(agent(&pinned, &broken, &["SessionStart", "StopFailure"]));
    let spike = pinned.new_session("spike");
    agents.push(agent(&pinned, &spike, &["SessionStart", "SessionEnd"]));
    let cleanup = pinned.new_session("cleanup");
    fs::write(cleanup.join("README.md"), "tidied\n").unwrap();
    pinned.new_session("z9");
    let c = pinned.new_session("c");
    pinned.commit_in(&c, "c.txt", "c\n", "add c");
    for n in 1..=3 {
        fs::write(c.join(format!("todo-{n}.txt")), "later\n").unwrap();
    }
    (pinned, agents)
}

/// A stand-in agent working in DIR that reported EVENTS through `sessions
/// hook`, at NOW.
fn agent(pinned: &Pinned, dir: &Path, events: &[&str]) -> KillOnDrop {
    let sleeper = sleeper_in(dir);
    for event in events {
        let payload = serde_json::json!({
            "session_id": "id-1",
            "transcript_path": "/t/id-1.jsonl",
            "cwd": dir,
            "hook_event_name": event,
            "notification_type": "permission_prompt",
        });
        let mut command = pinned.env.sessions_std(dir);
        Pinned::pin(&mut command, NOW);
        command
            .args(["hook", event])
            .env("CLAUDE_PID", sleeper.0.id().to_string())
            .stdin(Stdio::piped());
        let mut child = command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload.to_string().as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "hook {event}");
    }
    sleeper
}

impl Pinned {
    /// `sessions new NAME --branch BRANCH --no-agent` at NOW; its folder.
    fn new_session_on(&self, name: &str, branch: &str) -> PathBuf {
        let (code, stdout, stderr) = self.output_at(
            &self.env.repo,
            NOW,
            &["new", name, "--branch", branch, "--no-agent"],
        );
        assert_eq!(code, Some(0), "sessions new {name}: {stderr}");
        PathBuf::from(stdout.lines().last().expect("new prints the path"))
    }
}

/// `sessions ARGS` in DIR at LATER with COLUMNS (none: unset); stdout.
fn listed(pinned: &Pinned, dir: &Path, columns: Option<&str>, args: &[&str]) -> String {
    let mut command = pinned.env.sessions_std(dir);
    Pinned::pin(&mut command, LATER);
    match columns {
        Some(columns) => command.env("COLUMNS", columns),
        None => command.env_remove("COLUMNS"),
    };
    let output = command.args(args).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Where the list is looked at from: deep inside `perf`, which is marked.
fn inside_perf(pinned: &Pinned) -> PathBuf {
    pinned.env.root().join("work/repo.sessions/perf/src/deep")
}

#[test]
fn the_list_fits_80_120_and_200_columns() {
    let (pinned, _agents) = crowd();
    let here = inside_perf(&pinned);
    for columns in ["80", "120", "200"] {
        let text = listed(&pinned, &here, Some(columns), &["list"]);
        let text = format!("$ COLUMNS={columns} sessions list\n{text}");
        pinned.assert_snapshot(&format!("list_{columns}_columns"), &text);
    }
    let wide = listed(&pinned, &here, Some("80"), &["list", "--wide"]);
    pinned.assert_snapshot("list_wide", &format!("$ sessions list --wide\n{wide}"));
}

#[test]
fn at_80_columns_no_line_is_longer_and_no_word_is_broken() {
    let (pinned, _agents) = crowd();
    let here = inside_perf(&pinned);
    let wide = listed(&pinned, &here, None, &["list"]);
    // A pipe without COLUMNS gets the whole table, as `--wide` does.
    assert_eq!(
        wide,
        listed(&pinned, &here, Some("80"), &["list", "--wide"])
    );
    let words: Vec<&str> = wide.split_whitespace().collect();
    let fitted = listed(&pinned, &here, Some("80"), &["list"]);
    let lines: Vec<&str> = fitted.lines().collect();
    assert_eq!(lines.len(), 17, "one line per session:\n{fitted}");
    for line in &lines {
        assert!(line.chars().count() <= 80, "{line:?} is too long");
        for word in line.split_whitespace() {
            // A word is whole, or visibly cut.
            assert!(
                words.contains(&word) || word.contains('…'),
                "{word:?} is broken in {line:?}"
            );
        }
    }
    // The long name is cut at its end, the session is still there.
    assert!(fitted.contains("refactor-the-authentication"), "{fitted}");
    assert!(fitted.contains("* perf"), "{fitted}");
}

/// `sessions list` on a terminal (util-linux `script`) in DIR, with ENV;
/// what the terminal shows.
fn on_terminal(pinned: &Pinned, dir: &Path, script: &str, env: &[(&str, &str)]) -> String {
    let bin = env!("CARGO_BIN_EXE_sessions");
    let mut command = pinned.env.command_in("script", dir);
    Pinned::pin(&mut command, LATER);
    command
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .args(["-qec", &script.replace("SESSIONS", bin), "/dev/null"])
        .stdin(Stdio::null());
    let output = command.output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}");
    text
}

#[test]
fn on_a_terminal_the_list_is_coloured_by_state_and_fits_its_width() {
    if !require("script") {
        return;
    }
    let (pinned, _agents) = crowd();
    let here = inside_perf(&pinned);
    let text = on_terminal(&pinned, &here, "SESSIONS list", &[("COLUMNS", "200")]);
    // A waiting agent stands out; merged and empty fade; missing is red.
    assert!(text.contains("\x1b[1;33mwaiting 3h\x1b[0m"), "{text:?}");
    assert!(text.contains("\x1b[2mdocs\x1b[0m"), "{text:?}");
    assert!(text.contains("\x1b[2mmerged\x1b[0m"), "{text:?}");
    assert!(text.contains("\x1b[2mempty\x1b[0m"), "{text:?}");
    assert!(text.contains("\x1b[31mmissing\x1b[0m"), "{text:?}");
    assert!(text.contains("\x1b[31merror 3h\x1b[0m"), "{text:?}");
    // Without COLUMNS, the terminal's own width.
    let narrow = on_terminal(&pinned, &here, "stty cols 60; SESSIONS list", &[]);
    let longest = narrow
        .lines()
        .map(|l| strip_colour(l).chars().count())
        .max();
    assert!(longest.is_some_and(|n| n <= 60), "{narrow}");
    // Never with NO_COLOR.
    let plain = on_terminal(&pinned, &here, "SESSIONS list", &[("NO_COLOR", "1")]);
    assert!(!plain.contains('\x1b'), "{plain:?}");
}

/// LINE without its colour codes (and the terminal's carriage return).
fn strip_colour(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.trim_end_matches('\r').chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn config_fits_40_columns_too() {
    let pinned = Pinned::cloned();
    let long = format!(
        "copy = [{}]\n",
        ["\"node_modules/some/deep/folder\""; 4].join(", ")
    );
    pinned.env.user_config(&long);
    let fitted = listed(&pinned, &pinned.env.repo, Some("40"), &["config"]);
    assert!(fitted.lines().all(|l| l.chars().count() <= 40), "{fitted}");
    assert!(fitted.starts_with("# user file: …"), "{fitted}");
    assert!(fitted.contains("copy = [\"node_modules"), "{fitted}");
    assert!(fitted.contains("…  # user"), "{fitted}");
    let wide = listed(&pinned, &pinned.env.repo, Some("80"), &["config", "--wide"]);
    assert!(wide.contains(long.trim_end()), "{wide}");
}
