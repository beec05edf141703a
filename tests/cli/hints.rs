//! Hints that lead somewhere new (issue 12): every `hint:` line is one
//! command, pasted here as it is with `sh -c` in the main worktree, and it
//! takes the user to the next state, never back to the same refusal, and
//! never loses work.

use crate::common::hints::{hint_of, hints_of, paste};
use crate::common::{TestEnv, sleeper_in, stderr_of, write_file};

/// `sync --all` with uncommitted work in u1 and k2's folder deleted: u1's
/// line commits and syncs it again; k2's is what doctor advises (its branch
/// holds work: `rm --keep-branch`), never a sync of a session that is gone.
#[test]
fn sync_all_gives_each_session_its_own_line_and_none_retries_a_gone_one() {
    let env = TestEnv::cloned();
    let u1 = env.new_session("u1");
    write_file(&u1.join("draft.txt"), "draft\n");
    let k2 = env.new_session("k2");
    env.commit_in(&k2, "k2.txt", "k2\n", "k2 work");
    std::fs::remove_dir_all(&k2).unwrap();
    env.commit_in(&env.repo, "base.txt", "base\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);

    let stderr = env.exits_with(&["sync", "--all"], 3);
    let hints = hints_of(&stderr);
    assert_eq!(
        hints,
        [
            format!(
                "git -C {0} add -A && git -C {0} commit && sessions sync u1",
                u1.display()
            ),
            "sessions rm --keep-branch k2".to_string()
        ],
        "{stderr}"
    );
    for hint in &hints {
        paste(&env, hint);
    }
    assert_eq!(env.session_names(), ["u1"]);
    assert!(env.branches().contains(&"k2".to_string()), "k2's work kept");
    assert_eq!(
        env.git_in(&u1, &["rev-parse", "HEAD^"]),
        env.git(&["rev-parse", "origin/main"]),
        "u1 committed and synced"
    );
}

/// Uncommitted work refuses `land` with the commit sync gives, then lands.
#[test]
fn land_refused_for_uncommitted_work_hints_the_commit_then_the_land() {
    let env = TestEnv::cloned();
    let dir = env.new_session("u1");
    env.commit_in(&dir, "a.txt", "a\n", "a");
    write_file(&dir.join("a.txt"), "a, changed\n");
    write_file(&dir.join("b.txt"), "b\n");
    let stderr = env.exits_with(&["land", "u1"], 3);
    assert!(
        stderr.contains("1 modified file and 1 untracked file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stash push --include-untracked"),
        "{stderr}"
    );
    let hint = hint_of(&stderr);
    assert_eq!(
        hint,
        format!(
            "git -C {0} add -A && git -C {0} commit && sessions land u1",
            dir.display()
        )
    );
    paste(&env, &hint);
    assert!(env.session_names().is_empty());
    assert_eq!(
        std::fs::read_to_string(env.repo.join("a.txt")).unwrap(),
        "a, changed\n"
    );
    assert!(env.repo.join("b.txt").is_file());
}

/// A process working in the session: the message names it and how to stop
/// it; once it is gone, the hint lands.
#[test]
fn land_refused_for_a_busy_session_names_the_process_then_lands() {
    let env = TestEnv::cloned();
    let dir = env.new_session("e");
    env.commit_in(&dir, "e.txt", "e\n", "e");
    let sleeper = sleeper_in(&dir);
    let pid = sleeper.id();
    let stderr = env.exits_with(&["land", "e"], 3);
    assert!(
        stderr.contains(&format!(
            "process sleep (pid {pid}) is working in it; wait for sleep to finish, or stop it (`kill {pid}`"
        )),
        "{stderr}"
    );
    let hint = hint_of(&stderr);
    assert_eq!(hint, "sessions land e");
    drop(sleeper);
    paste(&env, &hint);
    assert!(env.session_names().is_empty());
}

/// `rm` of a session with unpushed commits: the push, or keeping the branch,
/// each a line; nothing about unlocking; `--force` said to delete the work.
#[test]
fn rm_hints_follow_the_risks_and_each_leads_on() {
    let env = TestEnv::cloned();
    let dir = env.new_session("x");
    env.commit_in(&dir, "x.txt", "x\n", "x work");
    let stderr = env.exits_with(&["rm", "x"], 3);
    assert!(!stderr.contains("unlock"), "{stderr}");
    assert!(
        stderr.contains("`sessions rm --force x` would remove it anyway and delete that work"),
        "{stderr}"
    );
    let push = format!("git -C {} push -u origin x && sessions rm x", dir.display());
    assert_eq!(
        hints_of(&stderr),
        [push.clone(), "sessions rm --keep-branch x".into()]
    );
    paste(&env, &push);
    assert!(env.session_names().is_empty());
    let origin = env.origin();
    let on_remote = env.git_in(&origin, &["log", "--format=%s", "x"]);
    assert!(on_remote.starts_with("x work"), "{on_remote}");

    // Locked: the unlock, which then removes it.
    let dir = env.new_session("l");
    env.git(&["worktree", "lock", dir.to_str().unwrap()]);
    let stderr = env.exits_with(&["rm", "l"], 3);
    let hint = hint_of(&stderr);
    assert_eq!(
        hint,
        format!("git worktree unlock {} && sessions rm l", dir.display())
    );
    paste(&env, &hint);
    assert!(env.session_names().is_empty());
}

/// `land.push` with the remote ahead: git's push fails (exit 1), the session
/// stays, and the hint brings the remote's work in, pushes and finishes.
#[test]
fn a_failed_push_after_landing_hints_the_pull_push_and_land() {
    let env = TestEnv::cloned();
    env.user_config("[land]\npush = true\n");
    let dir = env.new_session("x");
    env.commit_in(&dir, "x.txt", "x\n", "x work");
    env.pushed_elsewhere("theirs.txt", "theirs\n");
    let stderr = env.exits_with(&["land", "x"], 1);
    assert!(stderr.contains("did not push it"), "{stderr}");
    let hint = hint_of(&stderr);
    let git = format!("git -C {}", env.repo.display());
    assert_eq!(
        hint,
        format!("{git} pull --rebase origin main && {git} push origin main && sessions land x")
    );
    paste(&env, &hint);
    assert!(env.session_names().is_empty());
    let origin = env.origin();
    let files = env.git_in(&origin, &["ls-tree", "--name-only", "main"]);
    assert!(
        files.contains("x.txt") && files.contains("theirs.txt"),
        "{files}"
    );
}

/// A land that fails after catching `main` up with `origin/main` (git's
/// merge refuses: a skip-worktree file in main it would overwrite) puts
/// `main` back where it was: all or nothing.
#[test]
fn a_land_that_fails_after_catching_up_puts_main_back() {
    let env = TestEnv::cloned();
    let dir = env.new_session("x");
    env.commit_in(&dir, "README.md", "the session's\n", "x edits README");
    env.pushed_elsewhere("theirs.txt", "theirs\n");
    env.git(&["fetch", "-q", "origin"]);
    env.git(&["update-index", "--skip-worktree", "README.md"]);
    write_file(&env.repo.join("README.md"), "hidden local edit\n");
    let before = env.git(&["rev-parse", "main"]);

    let out = env.sessions().args(["land", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let back = format!("nothing was landed: 'main' is back at {}", &before[..7]);
    assert!(stderr_of(&out).contains(&back), "{}", stderr_of(&out));
    assert_eq!(env.git(&["rev-parse", "main"]), before, "main was put back");
    assert!(!env.repo.join("theirs.txt").exists());
    assert_eq!(
        std::fs::read_to_string(env.repo.join("README.md")).unwrap(),
        "hidden local edit\n"
    );
    assert_eq!(env.session_names(), ["x"]);
}
