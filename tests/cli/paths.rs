//! The less-trodden paths (a third adversarial pass on issue 10): branch
//! names git would take for another ref (a session named like its base),
//! the caller's repository variables (GIT_DIR from a git alias or hook)
//! reaching the programs sessions starts, relative agent paths, `land` from
//! inside its session, `clean --dry-run` on invalid entries, and hints that
//! fit their blocker.

use std::fs;
use std::path::Path;

use crate::common::{TestEnv, stderr_of};

/// An executable shell script at FILE.
fn script(file: &Path, body: &str) {
    crate::common::write_file(file, &format!("#!/bin/sh\n{body}"));
    crate::common::make_executable(file);
}

// A session branch named like a remote-tracking branch, a tag or `HEAD`
// would stand in for it in git's lookups: refused, nothing made.
#[test]
fn new_refuses_a_branch_git_would_confuse_with_another_ref() {
    let env = TestEnv::cloned();
    env.git(&["tag", "v1"]);
    let before = env.branches();
    for args in [
        &["new", "origin/main", "--no-agent"][..],
        &["new", "v1", "--no-agent"],
        &["new", "x", "--branch", "origin/main", "--no-agent"],
        &["new", "y", "--branch", "remotes/origin/main", "--no-agent"],
    ] {
        let stderr = env.exits_with(args, 2);
        assert!(stderr.contains("ambiguous"), "{args:?}: {stderr}");
        assert_eq!(env.branches(), before, "{args:?} made a branch");
    }
    assert!(env.session_names().is_empty());
    assert!(!env.sessions_dir().exists() || env.admin_entries().is_empty());
}

// A registry from before the refusal: session `s` on a local branch named
// `origin/main`. Its base must still be the remote-tracking branch, so its
// unpushed work is not "merged" and `rm` keeps it.
#[test]
fn an_existing_session_on_a_branch_named_like_its_base_keeps_its_work() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "precious.txt", "work\n", "precious work");
    env.git(&["branch", "-m", "s", "origin/main"]);
    let registry = fs::read_to_string(env.registry_file()).unwrap();
    let edited = registry.replace("branch = \"s\"", "branch = \"origin/main\"");
    assert_ne!(registry, edited);
    fs::write(env.registry_file(), edited).unwrap();
    let work = env.git(&["rev-parse", "refs/heads/origin/main"]);

    let listed = env.listed("s");
    assert_eq!(listed["merged"], false, "{listed}");
    assert_eq!(listed["ahead"], 1, "{listed}");
    env.exits_with(&["rm", "s"], 3);
    assert_eq!(env.git(&["rev-parse", "refs/heads/origin/main"]), work);
    assert!(dir.exists());
}

// Every program sessions starts leaves the caller's GIT_DIR behind:
// teardown too (setup, the agent and land checks: below).
#[test]
fn teardown_commands_do_not_inherit_the_callers_git_dir() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    let seen = env.root().join("gitdir.txt");
    env.user_config(&format!(
        "teardown = [\"git rev-parse --absolute-git-dir > '{}'\"]\n",
        seen.display()
    ));
    let admin = env.git_dir().join("worktrees").join("s");
    env.sessions()
        .env("GIT_DIR", env.git_dir())
        .args(["rm", "s"])
        .assert()
        .success();
    assert!(!dir.exists());
    assert_eq!(
        Path::new(fs::read_to_string(&seen).unwrap().trim()),
        admin,
        "teardown ran git on the caller's repository"
    );
}

// A relative agent command in the user's config names a file next to that
// config, not one in whatever the new worktree checks out.
#[test]
fn a_relative_agent_command_in_the_user_config_is_taken_from_its_folder() {
    let env = TestEnv::cloned();
    let marker = env.root().join("ran");
    let config = env.user_config("[agent]\ncommand = \"bin/agent.sh\"\n");
    script(
        &config.parent().unwrap().join("bin/agent.sh"),
        &format!("pwd > '{}'\n", marker.display()),
    );
    let out = env.sessions().args(["new", "s"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        Path::new(fs::read_to_string(&marker).unwrap().trim()),
        env.sessions_dir().join("s"),
        "the agent runs in the session"
    );
}

// `land` from a shell inside the session, when the session could not be
// removed afterwards (another worktree lies inside its folder), refuses
// before anything moves (exit 3 is "nothing changed"), and says how to go
// on; with --keep there is nothing to remove, so it lands. The shell itself,
// waiting for `land`, is no obstacle.
#[test]
fn land_from_inside_the_session_refuses_before_moving_the_base() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "f.txt", "f\n", "session work");
    let inner = dir.join("target/inner");
    // Under the ignored target/: no untracked file for `land` to refuse.
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "inner",
        inner.to_str().unwrap(),
    ]);
    let main_before = env.git(&["rev-parse", "main"]);
    let bin = env!("CARGO_BIN_EXE_sessions");
    let land = |args: &str| {
        env.command_in("sh", &dir)
            .arg("-c")
            .arg(format!("'{bin}' land s {args}; code=$?; exit $code"))
            .output()
            .unwrap()
    };
    let out = land("");
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--keep"), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("another worktree"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(env.git(&["rev-parse", "main"]), main_before, "main moved");
    assert_eq!(env.session_names(), ["s"]);

    let out = land("--keep");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_ne!(env.git(&["rev-parse", "main"]), main_before);
    assert!(dir.exists());
}

// The hint fits the blocker: another worktree inside the session's folder
// is moved away, not "stopped".
#[test]
fn rm_blocked_by_a_worktree_inside_hints_at_moving_it() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    let inner = dir.join("inner");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "inner",
        inner.to_str().unwrap(),
    ]);
    let stderr = env.exits_with(&["rm", "s"], 3);
    assert!(stderr.contains("git worktree move"), "{stderr}");
    assert!(!stderr.contains("stop the process"), "{stderr}");
}

/// The commit BRANCH points at, in the main worktree.
fn tip(env: &TestEnv, branch: &str) -> String {
    env.git(&[
        "rev-parse",
        "--verify",
        "-q",
        &format!("refs/heads/{branch}"),
    ])
}

/// `sessions new NAME --no-agent`: its worktree, or `None` when `new`
/// refuses the name with exit 2 (one way to close the hole: then there is
/// no session to lose work in).
fn new_or_refused(env: &TestEnv, name: &str) -> Option<std::path::PathBuf> {
    let before = env.branches();
    let out = env
        .sessions()
        .args(["new", name, "--no-agent"])
        .output()
        .unwrap();
    if out.status.code() == Some(2) {
        assert_eq!(env.branches(), before, "a refused new changes nothing");
        return None;
    }
    assert!(out.status.success(), "new {name}: {}", stderr_of(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    Some(stdout.lines().last().unwrap().into())
}

/// Whether local branch BRANCH still exists and points at ID.
fn branch_at(env: &TestEnv, branch: &str, id: &str) -> bool {
    env.git(&[
        "for-each-ref",
        "--format=%(objectname)",
        &format!("refs/heads/{branch}"),
    ]) == id
}

/// Whether commit ID still exists in the repository.
fn commit_exists(env: &TestEnv, id: &str) -> bool {
    env.command_in("git", &env.repo)
        .args(["cat-file", "-e", &format!("{id}^{{commit}}")])
        .status()
        .unwrap()
        .success()
}

// Never lose work: a session named like its base's remote-tracking branch
// (`sessions new origin/main`, or `claude -w origin/main` through the
// WorktreeCreate hook) gets the local branch `origin/main`, which git's
// lookup order puts before `refs/remotes/origin/main`. The base
// "origin/main" then names the session's own branch, so its unpushed
// commits count as "merged", and a plain `rm` deletes them.
#[test]
fn a_session_named_like_its_base_keeps_its_commits_on_rm() {
    let env = TestEnv::cloned();
    let Some(dir) = new_or_refused(&env, "origin/main") else {
        return;
    };
    env.commit_in(&dir, "precious.txt", "work\n", "precious work");
    let work = tip(&env, "origin/main");
    let out = env.sessions().args(["rm", "origin/main"]).output().unwrap();
    assert!(
        commit_exists(&env, &work) && branch_at(&env, "origin/main", &work),
        "rm deleted the session's only commit {work} (exit {:?}): {}",
        out.status.code(),
        stderr_of(&out)
    );
}

// The same, through `clean`, which must never remove an unmerged session.
#[test]
fn clean_does_not_take_a_session_named_like_its_base_for_merged() {
    let env = TestEnv::cloned();
    let Some(dir) = new_or_refused(&env, "origin/main") else {
        return;
    };
    env.commit_in(&dir, "precious.txt", "work\n", "precious work");
    let work = tip(&env, "origin/main");
    env.sessions().args(["clean", "--yes"]).output().unwrap();
    assert!(dir.exists(), "clean removed the session's worktree");
    assert!(
        branch_at(&env, "origin/main", &work),
        "clean deleted its branch"
    );
}

// The same shadow from an unapproved project file: `branch_prefix =
// "origin/"` turns the user's `sessions new main` into branch
// `origin/main`, and `rm` then deletes its commits as merged.
#[test]
fn a_project_branch_prefix_cannot_make_unmerged_work_look_merged() {
    let env = TestEnv::cloned();
    env.write(".sessions.toml", "branch_prefix = \"origin/\"\n");
    let Some(dir) = new_or_refused(&env, "main") else {
        return;
    };
    env.commit_in(&dir, "precious.txt", "work\n", "precious work");
    let work = tip(&env, "origin/main");
    env.sessions().args(["rm", "main"]).output().unwrap();
    assert!(
        commit_exists(&env, &work) && branch_at(&env, "origin/main", &work),
        "rm deleted branch origin/main and its only commit"
    );
}

// And through `sync`: another session is rebased onto the session named
// `origin/main`, taking its commits, as is every new session started after.
#[test]
fn sync_does_not_rebase_onto_a_session_named_like_the_base() {
    let env = TestEnv::cloned();
    env.new_session("s2");
    let Some(shadow) = new_or_refused(&env, "origin/main") else {
        return;
    };
    env.commit_in(&shadow, "x.txt", "x\n", "work of session origin/main");
    let foreign = tip(&env, "origin/main");
    env.sessions().args(["sync", "s2"]).output().unwrap();
    let s2 = tip(&env, "s2");
    assert!(
        !env.git(&["rev-list", &s2]).lines().any(|c| c == foreign),
        "s2 was rebased onto session origin/main's commit"
    );
}

/// An executable script at FILE that commits a change in the folder it runs in.
fn committing_script(file: &Path) {
    crate::common::write_file(
        file,
        "#!/bin/sh\n\
         echo agent >> README.md\n\
         git commit -qam 'agent work'\n",
    );
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(file, fs::Permissions::from_mode(0o755)).unwrap();
}

// Act on the right repository: git exports GIT_DIR to its aliases and hooks
// (`git config alias.snew '!sessions new'`, run from inside session s0). The
// agent `new` starts in s1 inherits it, so its commits go onto s0's branch.
#[test]
fn the_agent_new_starts_does_not_inherit_the_callers_git_dir() {
    let env = TestEnv::cloned();
    let s0 = env.new_session("s0");
    let s0_before = tip(&env, "s0");
    let script = env.root().join("agent.sh");
    committing_script(&script);
    let admin = env.git_dir().join("worktrees").join("s0");
    env.sessions_in(&s0)
        .env("GIT_DIR", &admin)
        .args(["new", "s1", "--agent"])
        .arg(&script)
        .assert()
        .success();
    assert_eq!(tip(&env, "s0"), s0_before, "the agent committed onto s0");
    assert_ne!(
        tip(&env, "s1"),
        env.git(&["rev-parse", "origin/main"]),
        "the agent's commit is not on s1"
    );
}

// The same for the setup commands (the user's own, so trusted), which run
// in the new session's worktree but are handed the caller's GIT_DIR.
#[test]
fn setup_commands_do_not_inherit_the_callers_git_dir() {
    let env = TestEnv::cloned();
    let s0 = env.new_session("s0");
    env.user_config("setup = [\"git rev-parse --absolute-git-dir > gitdir.txt\"]\n");
    let admin = env.git_dir().join("worktrees").join("s0");
    env.sessions_in(&s0)
        .env("GIT_DIR", &admin)
        .args(["new", "s1", "--no-agent"])
        .assert()
        .success();
    let seen = fs::read_to_string(env.sessions_dir().join("s1").join("gitdir.txt")).unwrap();
    assert_eq!(
        Path::new(seen.trim()),
        env.git_dir().join("worktrees").join("s1"),
        "setup ran git on another worktree's repository"
    );
}

// And for `land --check`: the check must judge the session, not whatever
// worktree GIT_DIR names (here the main worktree, whose branch differs).
#[test]
fn land_checks_do_not_inherit_the_callers_git_dir() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "f.txt", "f\n", "session work");
    let seen = env.root().join("branch.txt");
    let check = format!("git rev-parse --abbrev-ref HEAD > {}", seen.display());
    env.sessions()
        .env("GIT_DIR", env.git_dir())
        .args(["land", "s", "--keep", "--check", &check])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&seen).unwrap().trim(),
        "s",
        "the land check ran against another worktree"
    );
}

// Nothing unapproved runs: `--agent ./agent.sh`, typed in the main
// worktree, names the file there. `new` resolves it in the new worktree
// instead, and so runs the copy origin/main brings (fetched, never looked
// at), not the one the person named.
#[test]
fn a_relative_agent_path_runs_the_file_the_person_named() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::cloned();
    let marker = env.root().join("ran");
    let script = |who: &str| format!("#!/bin/sh\necho {who} > '{}'\n", marker.display());
    let exe = |env: &TestEnv| {
        fs::set_permissions(env.repo.join("agent.sh"), fs::Permissions::from_mode(0o755)).unwrap()
    };
    env.write("agent.sh", &script("origin"));
    exe(&env);
    env.git(&["add", "agent.sh"]);
    env.git(&["commit", "-q", "-m", "upstream agent.sh"]);
    env.git(&["push", "-q", "origin", "HEAD:main"]);
    env.git(&["reset", "-q", "--hard", "HEAD~1"]);
    env.git(&["fetch", "-q", "origin"]);
    env.write("agent.sh", &script("local"));
    exe(&env);
    let out = env
        .sessions()
        .args(["new", "s", "--agent", "./agent.sh"])
        .output()
        .unwrap();
    let ran = fs::read_to_string(&marker).unwrap_or_default();
    assert_ne!(
        ran.trim(),
        "origin",
        "ran origin's agent.sh, not the one named: {}",
        stderr_of(&out)
    );
}

// Exit 3 means "refused; nothing was changed". `land` run from a shell
// inside the session's own folder lands into main, then refuses to remove
// the session (the shell works there) and exits 3: a script that trusts the
// code believes main did not move, and lands or pushes again.
#[test]
fn land_from_inside_the_session_never_exits_3_after_moving_the_base() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "f.txt", "f\n", "session work");
    let main_before = tip(&env, "main");
    let bin = env!("CARGO_BIN_EXE_sessions");
    // The shell stays in the folder while `land` runs (no exec).
    let out = env
        .command_in("sh", &dir)
        .arg("-c")
        .arg(format!("'{bin}' land s; code=$?; exit $code"))
        .output()
        .unwrap();
    let moved = tip(&env, "main") != main_before;
    assert!(
        !(out.status.code() == Some(3) && moved),
        "land exited 3 (nothing changed) but main moved: {}",
        stderr_of(&out)
    );
}

// `clean --dry-run` is the plan a person approves. A registry entry whose
// folder is there but is not a worktree (hand-edited, or stale) is listed
// under "Remove" as "its folder is gone"; the real run then keeps it and
// still exits 0. The plan must not claim a present folder is gone.
#[test]
fn clean_dry_run_does_not_call_a_present_folder_gone() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    let sub = dir.join("sub");
    fs::create_dir_all(&sub).unwrap();
    let base = env.git(&["rev-parse", "origin/main"]);
    let mut registry = fs::read_to_string(env.registry_file()).unwrap();
    registry.push_str(&format!(
        "\n[[session]]\nname = \"odd\"\nbranch = \"s\"\npath = \"{}\"\n\
         base = \"origin/main\"\nbase_commit = \"{base}\"\n\
         created_at = \"2026-01-01T00:00:00Z\"\nowns_branch = false\n",
        sub.display()
    ));
    fs::write(env.registry_file(), registry).unwrap();
    let out = env
        .sessions()
        .args(["clean", "--dry-run"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr_of(&out)
    );
    let line = text.lines().find(|l| l.contains("odd")).unwrap_or_default();
    assert!(
        !line.contains("folder is gone"),
        "the plan calls {} gone: {text}",
        sub.display()
    );
}
