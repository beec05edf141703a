//! `sessions sync` where users stand: a clone whose sessions start from
//! `origin/main`. Untouched sessions stay empty, `--fetch` (and
//! `sync.fetch`) brings in what the remote gained, and every hint is a
//! command that can be pasted as it is.

use std::path::Path;

use crate::common::hints::{hint_of, paste, pasted};
use crate::common::{TestEnv, stderr_of};

fn head_of(env: &TestEnv, dir: &Path) -> String {
    env.git_in(dir, &["rev-parse", "HEAD"])
}

#[test]
fn fresh_sessions_stay_empty_after_sync_and_clean_leaves_them() {
    let env = TestEnv::cloned();
    env.new_session("a");
    env.new_session("b");
    let worked = env.new_session("w");
    env.commit_in(&worked, "w.txt", "work\n", "work");
    // The base gains commits, and the clone knows it.
    env.commit_in(&env.repo, "base.txt", "base\n", "base moves on");
    env.git(&["push", "-q", "origin", "main"]);

    env.sessions().args(["sync", "--all"]).assert().success();
    let tip = env.git(&["rev-parse", "origin/main"]);
    for name in ["a", "b"] {
        let s = env.listed(name);
        assert_eq!(s["empty"], true, "{s}");
        assert_eq!(s["merged"], false, "{s}");
        assert_eq!(s["head"], tip.as_str(), "{s}");
        assert_eq!(s["base_commit"], tip.as_str(), "it starts at the new base");
    }
    let w = env.listed("w");
    assert_eq!(
        (w["ahead"].as_u64(), w["behind"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (w["merged"].as_bool(), w["empty"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(env.git_in(&worked, &["rev-parse", "HEAD^"]), tip);

    let plan = env
        .sessions()
        .args(["clean", "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&plan.stdout).to_string();
    let removed = stdout.split("Keep:").next().unwrap_or_default();
    for name in ["a", "b", "w"] {
        let line = format!("  {name} ");
        assert!(!removed.lines().any(|l| l.starts_with(&line)), "{stdout}");
    }
    assert_eq!(
        stdout.matches("(no commits of its own yet)").count(),
        2,
        "{stdout}"
    );
    assert_eq!(env.session_names().len(), 3);
}

#[test]
fn sync_fetch_brings_in_what_the_remote_gained() {
    let env = TestEnv::cloned();
    let dir = env.new_session("w");
    env.commit_in(&dir, "w.txt", "work\n", "work");
    let theirs = env.pushed_elsewhere("theirs.txt", "theirs\n");

    // As last fetched: nothing new.
    let plain = env.sessions().args(["sync", "w"]).output().unwrap();
    assert!(
        stderr_of(&plain).contains("up to date"),
        "{}",
        stderr_of(&plain)
    );

    env.sessions()
        .args(["sync", "--fetch", "w"])
        .assert()
        .success();
    assert_eq!(env.git(&["rev-parse", "origin/main"]), theirs);
    assert_eq!(env.git_in(&dir, &["rev-parse", "HEAD^"]), theirs);

    // Configured, it fetches every time; `--no-fetch` says otherwise.
    env.user_config("[sync]\nfetch = true\n");
    let later = env.pushed_elsewhere("later.txt", "later\n");
    let skipped = env
        .sessions()
        .args(["sync", "--no-fetch", "w"])
        .output()
        .unwrap();
    assert!(stderr_of(&skipped).contains("up to date"));
    env.sessions().args(["sync", "w"]).assert().success();
    assert_eq!(env.git_in(&dir, &["rev-parse", "HEAD^"]), later);
}

#[test]
fn a_failed_fetch_names_the_remote_and_changes_nothing() {
    let env = TestEnv::cloned();
    let dir = env.new_session("w");
    env.commit_in(&dir, "w.txt", "work\n", "work");
    env.sessions()
        .args(["new", "local", "--no-agent", "--base", "main"])
        .assert()
        .success();
    let local = env.sessions_dir().join("local");
    env.commit_in(&env.repo, "base.txt", "base\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);
    let gone = env.root().join("no-such-remote.git");
    env.git(&["remote", "set-url", "origin", gone.to_str().unwrap()]);
    let (before, registry) = (head_of(&env, &dir), env.registry_bytes());

    let stderr = env.exits_with(&["sync", "--fetch", "--all"], 1);
    assert!(
        stderr.contains("cannot fetch from the remote 'origin'"),
        "{stderr}"
    );
    assert_eq!(hint_of(&stderr), "git fetch origin");
    assert_eq!(head_of(&env, &dir), before);
    assert_eq!(env.registry_bytes(), registry);

    // A local base has no remote to fetch: that session syncs.
    env.sessions()
        .args(["sync", "--fetch", "local"])
        .assert()
        .success();
    assert_eq!(head_of(&env, &local), env.git(&["rev-parse", "main"]));
}

#[test]
fn the_conflict_hint_pastes_into_a_rebase_to_finish_by_hand() {
    let env = TestEnv::cloned();
    let dir = env.new_session("c");
    env.commit_in(&dir, "README.md", "session's\n", "session edits README");
    env.commit_in(&env.repo, "README.md", "base's\n", "base edits README");
    env.git(&["push", "-q", "origin", "main"]);

    let stderr = env.exits_with(&["sync", "c"], 1);
    let hint = hint_of(&stderr);
    let cd = format!("cd {} && git rebase origin/main", dir.display());
    // The hint line is the command alone; how to go on is in the message.
    assert_eq!(hint, cd);
    assert!(stderr.contains("`git rebase --continue`"), "{stderr}");
    // Pasted, it stops on the conflict for the user to resolve.
    let out = pasted(&env, &cd);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr_of(&out)
    );
    assert!(!out.status.success() && said.contains("CONFLICT"), "{said}");
    env.git_in(&dir, &["rebase", "--abort"]);
}

#[test]
fn the_uncommitted_hint_pastes_into_a_sync_that_works() {
    let env = TestEnv::cloned();
    let dir = env.new_session("d");
    env.commit_in(&dir, "d.txt", "work\n", "work");
    crate::common::write_file(&dir.join("d.txt"), "draft\n");
    env.commit_in(&env.repo, "base.txt", "base\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);

    let stderr = env.exits_with(&["sync", "d"], 3);
    let hint = hint_of(&stderr);
    let commit = format!("git -C {0} add -A && git -C {0} commit", dir.display());
    assert_eq!(hint, format!("{commit} && sessions sync d"));
    // Putting it aside instead is in the message, in words.
    let stash = format!("git -C {} stash push --include-untracked", dir.display());
    assert!(stderr.contains(&format!("`{stash}`")), "{stderr}");
    assert!(stderr.contains("`git stash pop`"), "{stderr}");
    let pop = format!("git -C {} stash pop", dir.display());
    for step in [stash.as_str(), "sessions sync d", pop.as_str()] {
        paste(&env, step);
    }
    assert_eq!(
        env.git_in(&dir, &["rev-parse", "HEAD^"]),
        env.git(&["rev-parse", "origin/main"])
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("d.txt")).unwrap(),
        "draft\n"
    );
}

/// A fresh session's sync killed (SIGKILL, with its git) as the rebase
/// checks out the base: it is empty, never merged, before and after
/// `doctor --fix`, and a sync then finishes the job.
#[test]
fn a_fresh_session_killed_mid_sync_never_looks_merged() {
    let env = TestEnv::cloned();
    env.new_session("a");
    env.commit_in(&env.repo, "base.txt", "base\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);
    let pid_file = env.pid_hook("post-checkout", "", "kill -KILL \"$pid\" \"$PPID\"");
    env.run_killed(&["sync", "a"], &pid_file, "post-checkout");
    let unmerged = |when: &str| {
        let a = env.listed("a");
        assert_eq!(
            (a["empty"].clone(), a["merged"].clone()),
            (true.into(), false.into()),
            "{when}: {a}"
        );
    };
    unmerged("killed");
    env.sessions().args(["doctor", "--fix"]).assert().success();
    unmerged("repaired");
    env.sessions().args(["sync", "a"]).assert().success();
    unmerged("synced");
    assert_eq!(
        env.listed("a")["head"],
        env.git(&["rev-parse", "origin/main"])
    );
}
