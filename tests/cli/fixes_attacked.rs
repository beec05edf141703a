//! A fourth adversarial pass on issue 10, aimed at the earlier fixes
//! themselves: doctor's rescue of commits only a gone worktree holds, the
//! liveness of records older versions wrote, and the like. Each test failed
//! before its fix.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::{TestEnv, stderr_of};
use serde_json::Value;

/// `sessions doctor --json ARGS`: its exit code and report.
fn doctor(env: &TestEnv, args: &[&str]) -> (Option<i32>, Value) {
    let (output, report) = env.doctor(args);
    (output.status.code(), report)
}

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().cloned().unwrap_or_default()
}

/// A worktree (not a session) whose user committed an experiment, undid it
/// with `reset --hard`, then deleted the folder: only its HEAD reflog holds
/// the experiment. Doctor rightly keeps the admin entry, but its fix,
/// `git branch rescued-wt <HEAD>`, named the HEAD, which `origin/main` has
/// anyway: following it changed nothing, and doctor asked for it forever.
/// The fix must name the commit only the reflog holds, and once that is
/// rescued doctor must end healthy.
#[test]
fn doctor_rescue_of_a_gone_worktree_names_the_commit_only_its_reflog_holds() {
    let env = TestEnv::cloned();
    let wt = env.root().join("wt");
    env.git(&["worktree", "add", "-q", "--detach", wt.to_str().unwrap()]);
    env.commit_in(&wt, "experiment.txt", "idea\n", "experiment");
    let experiment = env.git_in(&wt, &["rev-parse", "HEAD"]);
    env.git_in(&wt, &["reset", "-q", "--hard", "HEAD~1"]);
    fs::remove_dir_all(&wt).unwrap();

    let (code, report) = doctor(&env, &[]);
    assert_eq!(code, Some(1), "{report}");
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{report}");
    let fix = found[0]["fix"].as_str().unwrap().to_string();
    let words: Vec<&str> = fix.split_whitespace().collect();
    assert!(
        words.len() == 4 && words[..2] == ["git", "branch"],
        "the fix is a branch to rescue it: {fix}"
    );
    assert!(
        experiment.starts_with(words[3]),
        "the fix must name the experiment {experiment}, only the reflog holds it: {fix}"
    );
    env.git(&words[1..]);
    let (code, report) = doctor(&env, &["--fix"]);
    assert_eq!(
        code,
        Some(0),
        "once rescued, doctor --fix ends healthy: {report}"
    );
    assert!(
        env.admin_entries().is_empty(),
        "the gone worktree's entry is dropped"
    );
    assert_eq!(
        env.git(&["rev-parse", words[2]]),
        experiment,
        "the experiment is on the rescue branch"
    );
}

/// The same worktree, but its HEAD names a branch deleted since (with
/// `git update-ref -d`, which git allows for a gone worktree's branch):
/// doctor could not read a HEAD to name, took that for "nothing held" and
/// `--fix` dropped the admin entry, and with it the only record of the
/// experiment (its reflog).
#[test]
fn doctor_fix_keeps_a_gone_worktree_whose_reflog_alone_holds_work_when_its_branch_is_gone() {
    let env = TestEnv::cloned();
    let wt = env.root().join("wt");
    env.git(&["worktree", "add", "-q", "-b", "w", wt.to_str().unwrap()]);
    env.commit_in(&wt, "experiment.txt", "idea\n", "experiment");
    let experiment = env.git_in(&wt, &["rev-parse", "HEAD"]);
    env.git_in(&wt, &["reset", "-q", "--hard", "HEAD~1"]);
    fs::remove_dir_all(&wt).unwrap();
    env.git(&["update-ref", "-d", "refs/heads/w"]);

    let (_, report) = doctor(&env, &["--fix"]);
    assert_eq!(
        env.admin_entries().len(),
        1,
        "the entry whose reflog alone holds {experiment} must stay: {report}"
    );
    let (code, report) = doctor(&env, &[]);
    assert_eq!(code, Some(1), "{report}");
    let fix = findings(&report)[0]["fix"].as_str().unwrap().to_string();
    assert!(
        fix.split_whitespace()
            .last()
            .is_some_and(|short| experiment.starts_with(short)),
        "the fix names the experiment {experiment}: {fix}"
    );
}

/// Writes the record a `sessions sync s` of an older version (no
/// `pid_start`) leaves in the session's git admin dir, as if written a day
/// ago by pid PID, which found the branch at TIP.
fn old_sync_record(env: &TestEnv, dir: &Path, tip: &str, pid: u32) -> std::path::PathBuf {
    let admin = env.git_in(dir, &["rev-parse", "--absolute-git-dir"]);
    let record = Path::new(&admin).join("sessions-underway.toml");
    fs::write(
        &record,
        format!(
            "command = \"sync\"\nsession = \"s\"\nbranch = \"s\"\npath = {:?}\ntip = \"{tip}\"\npid = {pid}\n",
            dir.display().to_string()
        ),
    )
    .unwrap();
    let day_ago = SystemTime::now() - Duration::from_secs(24 * 3600);
    fs::File::options()
        .write(true)
        .open(&record)
        .unwrap()
        .set_modified(day_ago)
        .unwrap();
    record
}

/// The record of a `sync` killed a day ago by an older version, which kept
/// no `pid_start`; its pid now belongs to a program started minutes ago (a
/// reboot reuses pids). The record's own age tells: that program is younger
/// than the record, so it cannot have written it. Doctor said "No problems
/// found" and never cleared the record.
#[test]
fn doctor_sees_an_old_versions_sync_record_whose_pid_was_reused() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    let mut other = crate::common::sleeper_in(&env.root());
    let tip = env.git_in(&dir, &["rev-parse", "HEAD"]);
    let record = old_sync_record(&env, &dir, &tip, other.id());

    let (code, report) = doctor(&env, &[]);
    let (fix_code, fixed) = doctor(&env, &["--fix"]);
    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(code, Some(1), "doctor found nothing: {report}");
    assert_eq!(fix_code, Some(0), "{fixed}");
    assert!(!record.exists(), "--fix clears the record");
}

/// A `sync` killed mid-rebase (its record and its rebase, started with its
/// reflog action, stopped on a conflict), after which the agent in the
/// session, knowing nothing of the kill, went on working: it resolved the
/// conflict and edited another file. `doctor --fix` ran `git rebase
/// --abort`, a hard reset that threw both edits away. Whatever the worktree
/// holds that none of the rebase's commits has is someone's work: `--fix`
/// must leave it, and say what the user has to decide.
#[test]
fn doctor_fix_never_aborts_a_killed_syncs_rebase_over_edits_made_since() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "g.txt", "kept\n", "session's g");
    env.commit_in(&dir, "f.txt", "session\n", "session's f");
    env.commit_in(&env.repo, "f.txt", "main\n", "main's f");
    env.git(&["push", "-q", "origin", "main"]);
    let tip = env.git_in(&dir, &["rev-parse", "HEAD"]);
    let dead = 999_999;
    let rebase = env
        .command_in("git", &dir)
        .args(["rebase", "origin/main"])
        .env("GIT_REFLOG_ACTION", format!("sessions {dead}"))
        .output()
        .unwrap();
    assert!(!rebase.status.success(), "the rebase stops on the conflict");
    let record = old_sync_record(&env, &dir, &tip, dead);
    crate::common::write_file(&dir.join("f.txt"), "careful resolution\n");
    crate::common::write_file(&dir.join("g.txt"), "kept\nand edited\n");

    let (_, report) = doctor(&env, &["--fix"]);
    assert_eq!(
        fs::read_to_string(dir.join("f.txt")).unwrap(),
        "careful resolution\n",
        "doctor --fix threw the resolution away: {report}"
    );
    assert_eq!(
        fs::read_to_string(dir.join("g.txt")).unwrap(),
        "kept\nand edited\n"
    );
    assert!(record.exists(), "the record stays until the user decides");
    let failed = report["failed"].to_string();
    assert!(
        failed.contains("rebase --abort") && failed.contains("f.txt"),
        "it names the changes and what to run: {report}"
    );
    // Once the user has finished the rebase, doctor ends healthy.
    env.git_in(&dir, &["add", "f.txt", "g.txt"]);
    let finish = env
        .command_in("git", &dir)
        .args(["-c", "core.editor=true", "rebase", "--continue"])
        .output()
        .unwrap();
    assert!(finish.status.success(), "{}", stderr_of(&finish));
    let (code, report) = doctor(&env, &["--fix"]);
    assert_eq!(code, Some(0), "{report}");
    assert_ne!(env.git_in(&dir, &["rev-parse", "HEAD"]), tip);
}

/// Stacked sessions: `b` starts from session `a`'s branch. Once `a`'s work
/// is on origin/main, `rm a` deleted branch `a` as merged, though it is
/// `b`'s base: `b` could never sync or land again ("its base 'a' no longer
/// resolves"), and doctor said "No problems found". A branch another
/// session starts from stays while that session lives, and doctor never
/// deletes it meanwhile.
#[test]
fn rm_keeps_a_branch_another_session_starts_from() {
    let env = TestEnv::cloned();
    let a = env.new_session("a");
    env.commit_in(&a, "a.txt", "a\n", "a's work");
    let b = env
        .sessions()
        .args(["new", "b", "--no-agent", "--base", "a"])
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", stderr_of(&b));
    let b = env.sessions_dir().join("b");
    env.commit_in(&b, "b.txt", "b\n", "b's work");
    env.git_in(&a, &["push", "-q", "origin", "a:main"]);
    env.git(&["fetch", "-q", "origin"]);

    let rm = env.sessions().args(["rm", "a"]).output().unwrap();
    assert!(rm.status.success(), "{}", stderr_of(&rm));
    assert!(
        env.branches().contains(&"a".to_string()),
        "branch 'a' is session b's base: {}",
        stderr_of(&rm)
    );
    doctor(&env, &["--fix"]);
    assert!(
        env.branches().contains(&"a".to_string()),
        "doctor --fix deleted b's base"
    );
    let sync = env.sessions().args(["sync", "b"]).output().unwrap();
    assert!(sync.status.success(), "{}", stderr_of(&sync));
}
