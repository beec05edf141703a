//! What a kill -9 or a Ctrl-C at a chosen step leaves behind, and what
//! doctor makes of it: commits made after a killed land, files staged in
//! main since, pids reused by other programs, stale index locks, a lock
//! held by a stopped process. These are the holes a third adversarial pass
//! on issue 10 found; tests/stress.rs kills at random points besides.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestEnv, make_executable, stderr_of, write_file};

/// The real `git` on PATH.
fn real_git() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .map(|dir| dir.join("git"))
        .find(|git| git.is_file())
        .expect("git on PATH")
}

/// Runs `sessions ARGS` in the main worktree with a `git` first on PATH that
/// SIGKILLs `sessions` (its parent) the first time git is asked to run a
/// command line containing WORD, before that git runs: a crash or a power
/// cut exactly between two steps.
fn run_killed_before_git(env: &TestEnv, args: &[&str], word: &str) {
    let bin = env.root().join("killing-git");
    fs::create_dir_all(&bin).unwrap();
    let used = env.root().join("killing-git.used");
    write_file(
        &bin.join("git"),
        &format!(
            "#!/bin/sh\ncase \" $* \" in *\" {word} \"*) if [ ! -e '{used}' ]; then \
             : > '{used}'; kill -KILL $PPID; exit 1; fi;; esac\nexec '{git}' \"$@\"\n",
            used = used.display(),
            git = real_git().display()
        ),
    );
    make_executable(&bin.join("git"));
    let path = std::env::var_os("PATH").unwrap();
    let dirs = std::iter::once(bin).chain(std::env::split_paths(&path));
    let output = env
        .sessions_std(&env.repo)
        .args(args)
        .env("PATH", std::env::join_paths(dirs).unwrap())
        .output()
        .unwrap();
    assert!(
        used.exists(),
        "git never ran `{word}`: {}",
        stderr_of(&output)
    );
    assert_eq!(output.status.code(), None, "killed: {}", stderr_of(&output));
}

/// A clone with session `s` two commits ahead of where it started, and
/// `main` (pushed to origin) one commit further on: a land must rebase.
fn diverged_clone() -> (TestEnv, PathBuf) {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "s1.txt", "one\n", "session one");
    env.commit_in(&dir, "s2.txt", "two\n", "session two");
    env.commit_in(&env.repo, "main.txt", "main\n", "main moves on");
    env.git(&["push", "-q", "origin", "main"]);
    (env, dir)
}

fn is_ancestor(env: &TestEnv, commit: &str, of: &str) -> bool {
    env.command_in("git", &env.repo)
        .args(["merge-base", "--is-ancestor", commit, of])
        .status()
        .unwrap()
        .success()
}

/// `land` killed after rebasing the session and before fast-forwarding
/// main leaves its record; the agent in the session goes on committing (it
/// knows nothing of the kill). `doctor --fix` then "puts the session back"
/// with `git reset --keep` to the tip land found, and the commit made since
/// is on no branch any more (only in the reflog), its file gone from the
/// worktree. Recovery must never move a branch off commits it did not make.
#[test]
fn doctor_fix_after_a_land_killed_before_fast_forward_keeps_commits_made_since() {
    let (env, dir) = diverged_clone();
    run_killed_before_git(&env, &["land", "s", "--rebase"], "--ff-only");
    env.commit_in(
        &dir,
        "agent.txt",
        "agent work\n",
        "agent work after the kill",
    );
    let work = env.git_in(&dir, &["rev-parse", "HEAD"]);

    env.sessions().args(["doctor", "--fix"]).output().unwrap();

    assert!(
        is_ancestor(&env, &work, "refs/heads/s"),
        "doctor --fix moved branch s off the commit made after the kill; s is now {}",
        env.git(&["rev-parse", "refs/heads/s"])
    );
    assert!(dir.join("agent.txt").exists(), "agent.txt was deleted");
}

/// `land --squash` killed between `git merge --squash` and its commit leaves
/// the squash staged in the main worktree. The user stages a new file of
/// their own there (and an edit). `doctor --fix` undoes the squash with `git
/// reset --merge`, which deletes the user's new file from disk and drops the
/// edit: doctor --fix must never delete what holds work.
#[test]
fn doctor_fix_after_a_killed_squash_land_keeps_files_staged_in_main_since() {
    let (env, _dir) = diverged_clone();
    run_killed_before_git(&env, &["land", "s", "--squash"], "commit");
    env.write("notes.txt", "my own notes\n");
    env.git(&["add", "notes.txt"]);

    env.sessions().args(["doctor", "--fix"]).output().unwrap();

    assert_eq!(
        fs::read_to_string(env.repo.join("notes.txt"))
            .ok()
            .as_deref(),
        Some("my own notes\n"),
        "doctor --fix deleted a file the user staged in the main worktree"
    );
}

/// Whether process PID has FILE open.
fn has_open(pid: u32, file: &Path) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| fs::read_link(fd.path()).is_ok_and(|target| target == file))
}

/// Waits for CHILD to exit, at most WAIT; kills it if it does not.
fn wait_or_kill(child: &mut Child, wait: Duration) -> Option<i32> {
    let until = Instant::now() + wait;
    while Instant::now() < until {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

/// Another process holds the registry lock and does not let go (stopped
/// with `kill -STOP`, hung). `sessions rm` (and `land`, `clean`) waits for
/// it in a blocking `flock`, after installing the signal handler that
/// turns Ctrl-C and SIGTERM into a flag: the flag is never looked at, and
/// `flock` restarts, so Ctrl-C and SIGTERM do nothing and only SIGKILL ends
/// it; nothing says what it waits for. `new` polls (`lock_waiting`) and
/// stops with exit 130.
#[cfg(target_os = "linux")]
#[test]
fn rm_waiting_for_a_held_registry_lock_stops_on_ctrl_c() {
    let env = TestEnv::cloned();
    env.new_session("s");
    let lock_file = env.registry_file().with_file_name("registry.lock");
    let holder = File::options()
        .read(true)
        .write(true)
        .open(&lock_file)
        .unwrap();
    holder.lock().unwrap();

    let mut rm = crate::common::KillOnDrop(
        env.sessions_std(&env.repo)
            .args(["rm", "s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // It has installed its handler and is at the lock once it has the file open.
    let canonical = lock_file.canonicalize().unwrap();
    while !has_open(rm.id(), &canonical) {
        assert!(rm.try_wait().unwrap().is_none(), "rm ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    env.command_in("kill", &env.repo)
        .args(["-INT", &rm.id().to_string()])
        .status()
        .unwrap();
    let code = wait_or_kill(&mut rm, Duration::from_secs(30));
    drop(holder);
    assert_eq!(
        code,
        Some(130),
        "rm ignored Ctrl-C while waiting for the lock"
    );
    assert_eq!(env.session_names(), ["s"]);
}

/// `sessions sync s`, killed mid-rebase by a post-checkout hook (it runs as
/// `git rebase` checks out the base) that SIGKILLs `sessions` and the
/// rebase: a crash mid-rebase. The session's git admin dir.
fn sync_killed_mid_rebase(env: &TestEnv, dir: &Path) -> PathBuf {
    let pid_file = env.pid_hook("post-checkout", "", "kill -KILL \"$pid\" \"$PPID\"");
    env.run_killed(&["sync", "s"], &pid_file, "post-checkout");
    let admin = PathBuf::from(env.git_in(dir, &["rev-parse", "--absolute-git-dir"]));
    assert!(admin.join("rebase-merge").is_dir(), "left mid-rebase");
    assert!(admin.join("sessions-underway.toml").exists());
    admin
}

/// A `sync` killed mid-rebase together with its `git rebase`, which held
/// the session's `index.lock` (git killed while writing the index leaves
/// it, as a SIGKILL at the right reference-transaction shows). `doctor`
/// reports only "sync was interrupted; fix: `sessions doctor --fix`", and
/// `--fix` fails every time on `git rebase --abort` ("index.lock: File
/// exists"): doctor never names the stale lock that is the real problem.
#[test]
fn doctor_names_the_index_lock_a_killed_sync_left() {
    let (env, dir) = diverged_clone();
    let admin = sync_killed_mid_rebase(&env, &dir);
    fs::write(admin.join("index.lock"), "").unwrap();

    let fix = env.sessions().args(["doctor", "--fix"]).output().unwrap();
    let output = env.sessions().arg("doctor").output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr_of(&output)
    );
    assert!(
        output.status.success() || report.contains("index.lock"),
        "doctor --fix: {}\ndoctor: {report}",
        stderr_of(&fix)
    );
}

/// A killed `sync`'s record whose pid now belongs to another program (pids
/// are reused, all the more after the reboot that follows a power cut):
/// `doctor` says "No problems found" while the session sits mid-rebase
/// under the record, and `sync` blames the user's rebase.
#[test]
fn doctor_sees_a_killed_sync_whose_pid_was_reused() {
    let (env, dir) = diverged_clone();
    let admin = sync_killed_mid_rebase(&env, &dir);
    let mut other = crate::common::sleeper_in(&env.root());
    let record = admin.join("sessions-underway.toml");
    let text = fs::read_to_string(&record).unwrap();
    let pid_line = text.lines().find(|l| l.starts_with("pid = ")).unwrap();
    fs::write(
        &record,
        text.replace(pid_line, &format!("pid = {}", other.id())),
    )
    .unwrap();

    let output = env.sessions().arg("doctor").output().unwrap();
    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "doctor found nothing: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// A `new` killed half-way whose pid now belongs to a long-running program:
/// `doctor --fix` "waits for it to exit" forever (the finding is not
/// fixable, yet its fix reads `sessions doctor --fix`), and `sessions new`
/// with that name refuses with the hint `sessions doctor --fix`: a loop with
/// no way out through sessions. The record's own `started_at` tells: the
/// program started after it, so it cannot be that `new`.
#[test]
fn doctor_fix_undoes_a_killed_new_whose_pid_was_reused() {
    let env = TestEnv::cloned();
    let pid_file = env.pid_hook("post-checkout", "", "kill -KILL \"$pid\"");
    env.run_killed(&["new", "s", "--no-agent"], &pid_file, "post-checkout");

    let mut other = crate::common::sleeper_in(&env.root());
    let text = fs::read_to_string(env.registry_file()).unwrap();
    let pid_line = text.lines().find(|l| l.starts_with("pid = ")).unwrap();
    fs::write(
        env.registry_file(),
        text.replace(pid_line, &format!("pid = {}", other.id())),
    )
    .unwrap();

    let fix = env.sessions().args(["doctor", "--fix"]).output().unwrap();
    let again = env
        .sessions()
        .args(["new", "s", "--no-agent"])
        .output()
        .unwrap();
    other.kill().unwrap();
    other.wait().unwrap();
    assert!(
        fix.status.success() && again.status.success(),
        "doctor --fix: {}{}\nnew s: {}",
        String::from_utf8_lossy(&fix.stdout),
        stderr_of(&fix),
        stderr_of(&again)
    );
}

/// A session whose branch was deleted by hand (`git update-ref -d`) while
/// its worktree stays, holding a commit now only in the HEAD reflog (which
/// expires): `list` shows "no branch", and `doctor` says "No problems
/// found". A difference between git and the registry doctor does not see.
#[test]
fn doctor_reports_a_session_whose_branch_is_gone() {
    let env = TestEnv::cloned();
    let dir = env.new_session("s");
    env.commit_in(&dir, "work.txt", "work\n", "work");
    env.git(&["update-ref", "-d", "refs/heads/s"]);

    let output = env.sessions().arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{report}{}",
        stderr_of(&output)
    );
    assert!(report.contains("'s'"), "{report}");
}

/// `land --merge` killed, with its `git merge`, right as the merge commit
/// moved main: main has landed, but git's MERGE_HEAD stays in the main
/// worktree ("you are still merging"). `doctor --fix` fails every time with
/// "cannot put back what `sessions land s` left; check <the session's
/// worktree> with `git status`", which points at the wrong worktree, and
/// the next plain `git commit` in main would record a second merge of the
/// session. The land is complete: doctor must finish it.
#[test]
fn doctor_fix_finishes_a_merge_land_killed_as_main_moved() {
    let (env, _dir) = diverged_clone();
    let pid_file = env.pid_hook(
        "reference-transaction",
        &format!(
            "[ \"$1\" = committed ] && grep -q ' HEAD$' && [ -f '{}/MERGE_HEAD' ]",
            env.git_dir().display()
        ),
        "kill -KILL \"$pid\" \"$PPID\"",
    );
    let before = env.git(&["rev-parse", "main"]);
    env.run_killed(
        &["land", "s", "--merge"],
        &pid_file,
        "reference-transaction",
    );
    assert_ne!(env.git(&["rev-parse", "main"]), before, "main moved");
    assert!(env.git_dir().join("MERGE_HEAD").exists());

    let fix = env.sessions().args(["doctor", "--fix"]).output().unwrap();
    let doctor = env.sessions().arg("doctor").output().unwrap();
    assert!(
        doctor.status.success() && !env.git_dir().join("MERGE_HEAD").exists(),
        "doctor --fix: {}\ndoctor: {}",
        stderr_of(&fix),
        String::from_utf8_lossy(&doctor.stdout)
    );
}
