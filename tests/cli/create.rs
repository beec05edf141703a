//! Creating sessions when things go wrong: other repositories racing for the
//! same folder, `new` killed outright or interrupted along with git, a
//! registry held by someone else, `claude -w` asking for a busy session,
//! repositories git2 cannot open, and the exit codes of every failure class.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{TestEnv, make_executable, sleeper_in, stderr_of, write_file};
use serde_json::json;

/// Installs SCRIPT as the post-checkout hook of the repository whose git dir
/// is GIT_DIR: git runs it once it has made a worktree, half-way through
/// `new`.
fn post_checkout(git_dir: &Path, script: &str) {
    let hook = git_dir.join("hooks/post-checkout");
    write_file(&hook, &format!("#!/bin/sh\n{script}"));
    make_executable(&hook);
}

/// Waits until FILE exists: what a blocked hook writes when it gets there.
/// Bounded only so that a broken build fails instead of hanging.
fn wait_for_file(file: &Path) {
    let start = Instant::now();
    while !file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, "--", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {sig} {pid}");
}

/// Creates its file when dropped.
struct Release(PathBuf);

impl Drop for Release {
    fn drop(&mut self) {
        let _ = fs::write(&self.0, "");
    }
}

fn registry_text(env: &TestEnv) -> String {
    fs::read_to_string(env.registry_file()).unwrap_or_default()
}

/// A second repository next to the fixture's, with one commit.
fn other_repo(env: &TestEnv) -> PathBuf {
    let other = env.root().join("work").join("other");
    fs::create_dir_all(&other).unwrap();
    env.git_in(&other, &["init", "-q", "-b", "main"]);
    env.commit_in(&other, "OTHER.md", "other\n", "other's first commit");
    other
}

// Item 14: a session folder that exists, even empty, may be another
// repository's session being made this very moment: it is refused and left
// alone, never filled, and never removed by a rollback.
#[test]
fn an_existing_empty_target_folder_is_refused_and_left_alone() {
    let env = TestEnv::new();
    let target = env.sessions_dir().join("taken");
    fs::create_dir_all(&target).unwrap();
    let stderr = env.exits_with(&["new", "taken", "--no-agent"], 3);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(target.is_dir(), "the folder that existed is still there");
    assert_eq!(fs::read_dir(&target).unwrap().count(), 0);
    assert_eq!(env.branches(), ["main"]);
    assert!(env.admin_entries().is_empty());
    assert!(!registry_text(&env).contains("taken"));
}

#[test]
fn two_repositories_racing_for_one_folder_never_remove_each_others_worktree() {
    let env = TestEnv::new();
    let other = other_repo(&env);
    let shared = env.root().join("shared");
    env.user_config(&format!(
        "worktree_dir = \"{}/{{name}}\"\n",
        shared.display()
    ));
    for round in 0..8 {
        let name = format!("s{round}");
        let children: Vec<(PathBuf, Child)> = [&env.repo, &other]
            .into_iter()
            .map(|repo| {
                let child = env
                    .sessions_std(repo)
                    .args(["new", &name, "--no-agent"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (repo.clone(), child)
            })
            .collect();
        let outcomes: Vec<(PathBuf, std::process::Output)> = children
            .into_iter()
            .map(|(repo, child)| (repo, child.wait_with_output().unwrap()))
            .collect();
        let winners: Vec<&PathBuf> = outcomes
            .iter()
            .filter(|(_, out)| out.status.success())
            .map(|(repo, _)| repo)
            .collect();
        let report = || {
            outcomes
                .iter()
                .map(|(repo, out)| format!("{}: {}", repo.display(), stderr_of(out)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(winners.len(), 1, "round {round}:\n{}", report());
        for (repo, out) in &outcomes {
            if !out.status.success() {
                assert_eq!(out.status.code(), Some(3), "{}", report());
                let branches = env.git_in(repo, &["branch", "--list", &name]);
                assert!(branches.is_empty(), "the loser left its branch");
            }
        }
        // The winner's worktree is whole, and it is the winner's.
        let folder = shared.join(&name);
        let winner = winners[0];
        let common = env.git_in(
            &folder,
            &["rev-parse", "--path-format=absolute", "--git-common-dir"],
        );
        assert_eq!(PathBuf::from(common), winner.join(".git"), "{}", report());
        let tracked = if winner == &env.repo {
            "README.md"
        } else {
            "OTHER.md"
        };
        assert!(folder.join(tracked).is_file(), "{}", report());
        assert_eq!(env.git_in(&folder, &["status", "--porcelain"]), "");
    }
    // Each repository knows exactly the worktrees its registry lists.
    for repo in [&env.repo, &other] {
        let listed = env
            .sessions_in(repo)
            .args(["list", "--json"])
            .output()
            .unwrap();
        let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        let worktrees = env.git_in(repo, &["worktree", "list", "--porcelain"]);
        let count = worktrees
            .lines()
            .filter(|l| l.starts_with("worktree "))
            .count();
        assert_eq!(listed["sessions"].as_array().unwrap().len() + 1, count);
    }
}

// Item 17: `new` killed with SIGKILL half-way leaves a pending record naming
// what it may have made, and the next `new` of that name refuses to take it
// over.
#[test]
fn a_new_killed_outright_leaves_a_record_of_what_it_was_making() {
    let env = TestEnv::new();
    let pid_file = env.pid_hook("post-checkout", "", "kill -KILL \"$pid\"");
    env.run_killed(&["new", "cut", "--no-agent"], &pid_file, "post-checkout");

    let text = registry_text(&env);
    let registry: toml::Value = toml::from_str(&text).unwrap();
    let pending = registry["pending"].as_array().expect("a pending record");
    assert_eq!(pending.len(), 1, "{text}");
    assert_eq!(pending[0]["name"].as_str(), Some("cut"));
    assert_eq!(pending[0]["branch"].as_str(), Some("cut"));
    assert_eq!(pending[0]["creates_branch"].as_bool(), Some(true));
    assert!(
        pending[0]["path"].as_str().unwrap().ends_with("cut"),
        "{text}"
    );
    assert!(
        registry
            .get("session")
            .is_none_or(|s| s.as_array().unwrap().is_empty())
    );

    // What it made is not taken over by the next `new` of that name.
    let stderr = env.exits_with(&["new", "cut", "--no-agent"], 3);
    assert!(stderr.contains("stopped half-way"), "{stderr}");
    assert!(stderr.contains("sessions doctor --fix"), "{stderr}");
    // Others are not held up by it; and they leave no record of their own.
    env.new_session("other");
    let registry: toml::Value = toml::from_str(&registry_text(&env)).unwrap();
    assert_eq!(registry["pending"].as_array().unwrap().len(), 1);
}

// Item 18: Ctrl-C reaches `new` and its git child together (one process
// group): git dies first, but `new` still knows it was interrupted, rolls
// back and exits 130, not 1.
#[test]
fn ctrl_c_to_new_and_its_git_child_rolls_back_and_exits_130() {
    let env = TestEnv::new();
    // SIGINT to the whole group, as a terminal sends it: the hook's `kill 0`.
    post_checkout(&env.git_dir(), "kill -INT 0\n");
    let output = env
        .sessions_std(&env.repo)
        .args(["new", "cut", "--no-agent"])
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(env.branches(), ["main"]);
    assert!(env.admin_entries().is_empty());
    assert!(!env.sessions_dir().exists(), "{stderr}");
    assert!(!registry_text(&env).contains("cut"));
}

// Item 26: a registry held by a stopped process: `new` says what it waits for
// and a signal stops it cleanly.
#[test]
fn new_waiting_for_the_registry_says_so_and_stops_on_a_signal() {
    let env = TestEnv::new();
    let inside = env.root().join("inside");
    let release = env.root().join("release");
    // Should an assertion fail, the holder still finishes, and the waiter
    // after it: no process outlives the test.
    let _release = Release(release.clone());
    // `new holder` holds the registry lock while git runs this hook.
    post_checkout(
        &env.git_dir(),
        &format!(
            "[ \"$(basename \"$PWD\")\" = holder ] || exit 0\n: > '{inside}'\n\
             until [ -e '{release}' ]; do sleep 0.01; done\n",
            inside = inside.display(),
            release = release.display()
        ),
    );
    let holder = env
        .sessions_std(&env.repo)
        .args(["new", "holder", "--no-agent"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&inside);

    let mut waiter = env
        .sessions_std(&env.repo)
        .args(["new", "waiter", "--no-agent"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = waiter.stderr.take().unwrap();
    let (lines, seen) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            all.push_str(&line);
            all.push('\n');
            let _ = lines.send(line);
        }
        all
    });
    let notice = seen
        .recv_timeout(Duration::from_secs(60))
        .expect("new says it is waiting for the registry");
    assert!(notice.contains("Waiting for the registry lock"), "{notice}");
    assert!(
        notice.contains(&format!("process {}", holder.id())),
        "{notice}"
    );
    signal(waiter.id(), "-TERM");
    let status = waiter.wait().unwrap();
    let rest = reader.join().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("interrupted"), "{rest}");

    fs::write(&release, "").unwrap();
    let held = holder.wait_with_output().unwrap();
    assert!(held.status.success(), "{}", stderr_of(&held));
    assert_eq!(env.session_names(), ["holder"]);
    assert_eq!(env.branches(), ["holder", "main"]);
    assert!(!env.sessions_dir().join("waiter").exists());
    assert!(!registry_text(&env).contains("pending"));
}

// Item 19: `claude -w NAME` for a session another agent works in is refused,
// never shared.
#[test]
fn claude_w_never_hands_out_a_busy_session() {
    let env = TestEnv::new();
    let hook = |session_id: &str, claude_pid: Option<u32>| {
        let input = json!({ "session_id": session_id, "cwd": env.repo, "hook_event_name": "WorktreeCreate", "name": "feat" });
        let mut command = env.sessions();
        command
            .args(["hook", "WorktreeCreate"])
            .write_stdin(input.to_string());
        if let Some(pid) = claude_pid {
            command.env("CLAUDE_PID", pid.to_string());
        }
        command.output().unwrap()
    };
    // The first Claude gets a new session, recorded as its own.
    let mut first_claude = sleeper_in(&env.root());
    let created = hook("first", Some(first_claude.id()));
    assert!(created.status.success(), "{}", stderr_of(&created));
    let wt = PathBuf::from(String::from_utf8(created.stdout).unwrap().trim_end());
    assert!(wt.is_dir());
    // Asking again for itself (Claude retrying), it gets the same one.
    let again = hook("first", Some(first_claude.id()));
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(
        PathBuf::from(String::from_utf8(again.stdout).unwrap().trim_end()),
        wt
    );

    // A second Claude while the first is alive: refused, nothing printed.
    let refused = hook("second", None);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr_of(&refused));
    assert!(refused.stdout.is_empty());
    assert!(
        stderr_of(&refused).contains("in use"),
        "{}",
        stderr_of(&refused)
    );

    // Once the first is gone, but anything else works inside: still refused.
    first_claude.kill().unwrap();
    first_claude.wait().unwrap();
    let mut bystander = sleeper_in(&wt);
    let refused = hook("second", None);
    bystander.kill().unwrap();
    bystander.wait().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr_of(&refused));
    assert!(refused.stdout.is_empty());
    assert!(
        stderr_of(&refused).contains("sleep"),
        "{}",
        stderr_of(&refused)
    );

    // Nobody there: the second Claude gets it, and it is recorded as its.
    let reused = hook("second", None);
    assert!(reused.status.success(), "{}", stderr_of(&reused));
    assert_eq!(
        PathBuf::from(String::from_utf8(reused.stdout).unwrap().trim_end()),
        wt
    );
    assert_eq!(env.listed("feat")["agent"]["session_id"], "second");
    assert_eq!(env.session_names(), ["feat"]);
}

// Item 27: say what is actually wrong with a repository git2 will not open.
#[test]
fn a_sha256_repository_is_named_as_such() {
    let env = TestEnv::empty();
    env.git(&["init", "-q", "--object-format=sha256", "-b", "main"]);
    env.commit_in(&env.repo, "README.md", "hello\n", "first");
    for args in [&["list"][..], &["new", "x", "--no-agent"]] {
        let stderr = env.exits_with(args, 1);
        assert!(stderr.contains("SHA-256"), "{stderr}");
        assert!(!stderr.contains("not in a git repository"), "{stderr}");
    }
    assert_eq!(env.git(&["branch", "--list", "x"]), "");
}

#[test]
fn a_repository_owned_by_another_user_names_safe_directory() {
    let uid = env_uid();
    if uid != "0" {
        eprintln!("NOTICE: not root; cannot give a repository to another user, skipping");
        return;
    }
    let env = TestEnv::new();
    let chown = std::process::Command::new("chown")
        .args(["-R", "nobody"])
        .arg(&env.repo)
        .status()
        .unwrap();
    assert!(chown.success());
    let stderr = env.exits_with(&["list"], 1);
    assert!(stderr.contains("owned by another user"), "{stderr}");
    assert!(stderr.contains("safe.directory"), "{stderr}");
    let hint = stderr
        .lines()
        .find_map(|l| l.strip_prefix("hint: "))
        .expect("a hint");
    // The hint, pasted, is the fix.
    let fixed = env
        .command_in("sh", &env.repo)
        .arg("-c")
        .arg(hint)
        .status()
        .unwrap();
    assert!(fixed.success());
    env.sessions().arg("list").assert().success();
}

fn env_uid() -> String {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

// Exit codes, one class at a time: an unknown session is invalid input (2)
// from every command that takes one; refusing to lose work is 3; a git
// failure is 1, never 3; an interruption is 130.
#[test]
fn unknown_sessions_exit_2_from_every_command() {
    let env = TestEnv::new();
    env.new_session("real");
    let registry = env.registry_bytes();
    for args in [
        &["rm", "nope"][..],
        &["rm", "real", "nope"],
        &["show", "nope"],
        &["path", "nope"],
        &["cd", "nope"],
        &["resume", "nope"],
        &["setup", "nope"],
        &["land", "nope"],
        &["sync", "nope"],
        &["conflicts", "nope"],
    ] {
        let stderr = env.exits_with(args, 2);
        assert!(
            stderr.contains("no session named 'nope'"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hint: sessions list"), "{args:?}: {stderr}");
    }
    assert_eq!(env.registry_bytes(), registry, "nothing changed");
    assert_eq!(env.session_names(), ["real"]);
}

#[test]
fn each_class_of_failure_has_its_exit_code() {
    let env = TestEnv::new();
    // Invalid input: 2.
    env.exits_with(&["new", "bad name", "--no-agent"], 2);
    env.exits_with(&["new", "x", "--base", "no-such-ref", "--no-agent"], 2);
    // Refused to protect work: 3.
    write_file(&env.sessions_dir().join("full/keep.txt"), "keep\n");
    env.exits_with(&["new", "full", "--no-agent"], 3);
    let wt = env.new_session("dirty");
    write_file(&wt.join("work.txt"), "work\n");
    env.exits_with(&["rm", "dirty"], 3);
    // A git failure: 1.
    post_checkout(&env.git_dir(), "echo hook says no >&2\nexit 1\n");
    let stderr = env.exits_with(&["new", "failing", "--no-agent"], 1);
    assert!(stderr.contains("hook says no"), "{stderr}");
    // Interrupted: 130 (SIGTERM half-way through `new`).
    let pid_file = env.pid_hook("post-checkout", "", "kill -TERM \"$pid\"");
    let output = env.run_handing_pid(&["new", "cut", "--no-agent"], &pid_file);
    assert_eq!(output.status.code(), Some(130), "{}", stderr_of(&output));
    assert_eq!(env.session_names(), ["dirty"]);
}
