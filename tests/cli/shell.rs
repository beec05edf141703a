//! Shell life: the `sessions init` wrapper run through real bash, zsh and
//! fish (into sessions with `new` and `cd`, back out with `rm` and `land`),
//! `sessions cd` without it, completions and the man page.

use std::path::{Path, PathBuf};

use crate::common::{TestEnv, stderr_of};

/// A folder holding `sessions` (a link to the built binary), to put first
/// on PATH as an installed binary would be.
fn bin_dir(env: &TestEnv) -> PathBuf {
    let dir = env.root().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("sessions");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sessions"), &link).unwrap();
    }
    dir
}

/// Runs SCRIPT in SHELL (no rc files) in the main worktree; its stdout.
fn run_shell(env: &TestEnv, shell: &str, args: &[&str], script: &str) -> String {
    let path = format!(
        "{}:{}",
        bin_dir(env).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = env
        .command_in(shell, &env.repo)
        .args(args)
        .arg(script)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr_of(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// How to run a script in SHELL without its rc files, and the line that
/// loads the shell function.
fn invocation(shell: &str) -> (&'static [&'static str], &'static str) {
    match shell {
        "bash" => (
            &["--norc", "--noprofile", "-c"],
            "eval \"$(sessions init bash)\"",
        ),
        "zsh" => (&["-f", "-c"], "eval \"$(sessions init zsh)\""),
        "fish" => (&["--no-config", "-c"], "sessions init fish | source"),
        other => panic!("no invocation for {other}"),
    }
}

fn value<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {out}"))
}

fn check_wrapper(shell: &str) {
    if !crate::common::require(shell) {
        return;
    }
    let (args, init) = invocation(shell);
    let env = TestEnv::new();
    let script = format!(
        "{init}\n\
         sessions new x --no-agent > /dev/null\n\
         echo \"AFTER_NEW=$PWD\"\n\
         cd '{repo}'\n\
         sessions cd x\n\
         echo \"AFTER_CD=$PWD\"\n\
         sessions list > /dev/null\n\
         echo \"AFTER_LIST=$PWD\"\n",
        repo = env.repo.display()
    );
    let out = run_shell(&env, shell, args, &script);
    let worktree = env.sessions_dir().join("x");
    assert_eq!(Path::new(value(&out, "AFTER_NEW")), worktree);
    assert_eq!(Path::new(value(&out, "AFTER_CD")), worktree);
    assert_eq!(Path::new(value(&out, "AFTER_LIST")), worktree);
}

#[test]
fn bash_follows_new_and_cd() {
    check_wrapper("bash");
}

#[test]
fn zsh_follows_new_and_cd() {
    check_wrapper("zsh");
}

#[test]
fn fish_follows_new_and_cd() {
    check_wrapper("fish");
}

/// From inside session x, `sessions rm x` brings the shell back to the main
/// worktree; so do `sessions land y` from inside y and `sessions clean`
/// from inside a merged z.
fn check_return(shell: &str) {
    if !crate::common::require(shell) {
        return;
    }
    let (args, init) = invocation(shell);
    let env = TestEnv::new();
    let script = format!(
        "{init}\n\
         sessions new x --no-agent > /dev/null\n\
         echo \"IN_X=$PWD\"\n\
         sessions rm x\n\
         echo \"AFTER_RM=$PWD\"\n\
         sessions new y --no-agent > /dev/null\n\
         echo y > y.txt; git add y.txt; git commit -q -m 'work in y'\n\
         echo \"IN_Y=$PWD\"\n\
         sessions land y\n\
         echo \"AFTER_LAND=$PWD\"\n\
         sessions new z --no-agent > /dev/null\n\
         echo z > z.txt; git add z.txt; git commit -q -m 'work in z'\n\
         git -C '{repo}' merge -q --ff-only z\n\
         sessions clean --yes > /dev/null\n\
         echo \"AFTER_CLEAN=$PWD\"\n\
         pwd\n",
        repo = env.repo.display()
    );
    let out = run_shell(&env, shell, args, &script);
    assert_eq!(Path::new(value(&out, "IN_X")), env.sessions_dir().join("x"));
    assert_eq!(Path::new(value(&out, "AFTER_RM")), env.repo);
    assert_eq!(Path::new(value(&out, "IN_Y")), env.sessions_dir().join("y"));
    assert_eq!(Path::new(value(&out, "AFTER_LAND")), env.repo);
    assert_eq!(Path::new(value(&out, "AFTER_CLEAN")), env.repo);
    assert_eq!(out.lines().last(), env.repo.to_str());
    assert!(env.repo.join("y.txt").is_file(), "y landed");
    assert!(env.session_names().is_empty());
}

#[test]
fn bash_returns_to_the_main_worktree_after_rm_and_land() {
    check_return("bash");
}

#[test]
fn zsh_returns_to_the_main_worktree_after_rm_and_land() {
    check_return("zsh");
}

#[test]
fn fish_returns_to_the_main_worktree_after_rm_and_land() {
    check_return("fish");
}

#[test]
fn rm_from_inside_without_the_wrapper_says_how_to_go_back() {
    let env = TestEnv::new();
    let path = env.new_session("x");
    let out = env.sessions_in(&path).args(["rm", "x"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!(
            "warning: this shell's folder {} is gone; go back with `cd {}`",
            path.display(),
            env.repo.display()
        )),
        "{err}"
    );
    // From elsewhere, nothing to say.
    env.new_session("z");
    let err = env.exits_with(&["rm", "z"], 0);
    assert!(!err.contains("gone"), "{err}");
}

#[test]
fn cd_without_the_wrapper_prints_the_path_and_how_to_add_it() {
    let env = TestEnv::new();
    let path = env.new_session("x");
    let out = env
        .sessions()
        .env("SHELL", "/bin/zsh")
        .args(["cd", "x"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", path.display())
    );
    let err = stderr_of(&out);
    assert!(
        err.contains("eval \"$(sessions init zsh)\"") && err.contains("~/.zshrc"),
        "{err}"
    );
    env.sessions().args(["cd", "nope"]).assert().code(2);
}

#[test]
fn dynamic_completion_offers_the_session_names() {
    let env = TestEnv::new();
    env.new_session("alpha");
    env.new_session("feature/beta");
    for sub in ["path", "cd", "rm"] {
        let out = env
            .sessions()
            .env("COMPLETE", "fish")
            .args(["--", "sessions", sub, ""])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        let names: Vec<&str> = text
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .filter(|v| !v.starts_with('-'))
            .collect();
        assert_eq!(names, ["alpha", "feature/beta"], "sessions {sub}: {text}");
    }
}

#[test]
fn static_completions_and_the_man_page() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env
            .sessions()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8(out.stdout).unwrap().contains("sessions"));
    }
    let out = env.sessions().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH sessions"), "{page}");
    assert!(page.contains("trust"), "subcommands are listed");
}

#[test]
fn quiet_leaves_only_the_data() {
    let env = TestEnv::new();
    let out = env
        .sessions()
        .args(["--quiet", "new", "x", "--no-agent"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stderr_of(&out), "");
    assert!(!out.stdout.is_empty());
}

/// A shell left in a removed session's folder still reaches the
/// repository: `list` and `path` work from there, with a warning.
#[test]
fn commands_work_from_a_removed_sessions_folder() {
    let env = TestEnv::new();
    let gone = env.new_session("x");
    let other = env.new_session("y");
    let out = run_shell(
        &env,
        "sh",
        &["-c"],
        &format!(
            "cd '{}' && sessions rm x 2> /dev/null && sessions list > /dev/null && sessions path y",
            gone.display()
        ),
    );
    assert!(!gone.exists());
    assert_eq!(out.trim_end(), other.to_str().unwrap());
}
