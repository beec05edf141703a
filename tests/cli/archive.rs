//! `archive` and `restore`: the saved work comes back exactly (staged,
//! unstaged, untracked, modes), the branch is untouched, refusals change
//! nothing, `list`, `rm`, `clean` and `doctor` know archived sessions, and
//! every half-done state is one doctor repairs. In a clone, as users have.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::{TestEnv, finding_kinds, make_executable, sleeper_in, stderr_of, write_file};

const SAVED: &str = "refs/sessions/archive/";

/// A session in a clone holding a commit, a staged change, an unstaged
/// change (on top of a staged one), a deleted file, an untracked file, an
/// executable untracked script, and an ignored file.
fn busy_session(env: &TestEnv, name: &str) -> PathBuf {
    env.write("keep.txt", "kept\n");
    env.write("gone.txt", "to delete\n");
    env.git(&["add", "keep.txt", "gone.txt"]);
    env.git(&["commit", "-q", "-m", "files"]);
    env.git(&["push", "-q", "origin", "main"]);
    env.git(&["fetch", "-q", "origin"]);
    let path = env.new_session(name);
    env.commit_in(&path, "committed.txt", "committed\n", "a commit");
    write_file(&path.join("staged.txt"), "staged\n");
    env.git_in(&path, &["add", "staged.txt"]);
    write_file(&path.join("keep.txt"), "kept, staged\n");
    env.git_in(&path, &["add", "keep.txt"]);
    write_file(&path.join("keep.txt"), "kept, staged, then more\n");
    fs::remove_file(path.join("gone.txt")).unwrap();
    write_file(&path.join("notes/untracked.txt"), "untracked\n");
    write_file(&path.join("run.sh"), "#!/bin/sh\n");
    make_executable(&path.join("run.sh"));
    write_file(&path.join("build.log"), "ignored\n");
    path
}

/// Every file under DIR but `.git`: content and executable bit.
fn files(dir: &Path) -> BTreeMap<String, (String, bool)> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for item in fs::read_dir(&d).unwrap().flatten() {
            let p = item.path();
            if p.file_name().unwrap() == ".git" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let exec = fs::metadata(&p).unwrap().permissions().mode() & 0o111 != 0;
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            found.insert(rel, (fs::read_to_string(&p).unwrap(), exec));
        }
    }
    found
}

fn status(env: &TestEnv, dir: &Path) -> String {
    env.git_in(dir, &["status", "--porcelain=v1", "--untracked-files=all"])
}

#[test]
fn archive_then_restore_brings_back_exactly_the_work() {
    let env = TestEnv::cloned();
    env.user_config("copy = [\"*.log\"]\n");
    let path = busy_session(&env, "park");
    write_file(&env.repo.join("main.log"), "from main\n");
    let mut before = files(&path);
    let status_before = status(&env, &path);
    let tip = env.git(&["rev-parse", "park"]);
    let index_before = env.git_in(&path, &["ls-files", "-s"]);

    env.sessions().args(["archive", "park"]).assert().success();
    assert!(!path.exists(), "the worktree stays");
    assert_eq!(env.git(&["rev-parse", "park"]), tip, "the branch moved");
    let saved = env.git(&["rev-parse", &format!("{SAVED}park")]);
    let listed = env.listed("park");
    assert_eq!(listed["archived"]["commit"], saved.as_str());
    assert_eq!(listed["missing"], false);
    // Nothing of it is on the branch.
    assert!(!env.git(&["log", "--format=%H", "park"]).contains(&saved));

    env.sessions().args(["restore", "park"]).assert().success();
    // The ignored file is not saved: `copy` brings what main has, as `new` does.
    before.remove("build.log");
    before.insert("main.log".into(), ("from main\n".into(), false));
    assert_eq!(files(&path), before);
    assert_eq!(status(&env, &path), status_before);
    assert_eq!(env.git_in(&path, &["ls-files", "-s"]), index_before);
    assert_eq!(env.git(&["rev-parse", "park"]), tip);
    assert_eq!(env.git_in(&path, &["branch", "--show-current"]), "park");
    assert!(env.listed("park")["archived"].is_null());
    // A verified restore leaves no saved ref behind.
    assert_eq!(env.git(&["for-each-ref", SAVED]), "");
    // And it can go again.
    env.sessions().args(["archive", "park"]).assert().success();
}

#[test]
fn archive_is_refused_with_a_process_inside_and_changes_nothing() {
    let env = TestEnv::cloned();
    let path = busy_session(&env, "busy");
    let before = files(&path);
    let registry = env.registry_bytes();
    let _agent = sleeper_in(&path);
    let stderr = env.exits_with(&["archive", "busy"], 3);
    assert!(stderr.contains("refusing to archive"), "{stderr}");
    assert_eq!(files(&path), before);
    assert_eq!(env.registry_bytes(), registry);
    assert_eq!(env.git(&["for-each-ref", SAVED]), "");
}

#[test]
fn archive_is_refused_off_its_branch() {
    let env = TestEnv::cloned();
    let path = env.new_session("mid");
    env.commit_in(&path, "a.txt", "one\n", "one");
    env.git_in(&path, &["checkout", "-q", "--detach"]);
    let stderr = env.exits_with(&["archive", "mid"], 3);
    assert!(stderr.contains("not on its branch"), "{stderr}");
    assert!(path.is_dir());
    assert!(env.listed("mid")["archived"].is_null());
}

#[test]
fn rm_of_an_archived_session_weighs_its_saved_work() {
    let env = TestEnv::cloned();
    let path = env.new_session("kept");
    env.commit_in(&path, "a.txt", "one\n", "one");
    env.git_in(&path, &["push", "-q", "origin", "kept"]);
    write_file(&path.join("draft.txt"), "only here\n");
    env.sessions().args(["archive", "kept"]).assert().success();
    let stderr = env.exits_with(&["rm", "kept"], 3);
    assert!(stderr.contains("saved uncommitted work"), "{stderr}");
    assert!(stderr.contains("sessions restore kept"), "{stderr}");
    assert_ne!(env.git(&["for-each-ref", SAVED]), "");
    env.listed("kept");
    env.sessions()
        .args(["rm", "--force", "kept"])
        .assert()
        .success();
    assert_eq!(env.git(&["for-each-ref", SAVED]), "");
    assert!(env.session_names().is_empty());

    // Nothing uncommitted saved: nothing to weigh.
    let path = env.new_session("clean");
    env.commit_in(&path, "b.txt", "two\n", "two");
    env.git_in(&path, &["push", "-q", "origin", "clean"]);
    env.sessions().args(["archive", "clean"]).assert().success();
    env.sessions().args(["rm", "clean"]).assert().success();
    assert_eq!(env.git(&["for-each-ref", SAVED]), "");
}

#[test]
fn list_clean_and_doctor_know_archived_sessions() {
    let env = TestEnv::cloned();
    env.new_session("live");
    let path = env.new_session("parked");
    write_file(&path.join("x.txt"), "x\n");
    env.sessions()
        .args(["archive", "parked"])
        .assert()
        .success();

    let out = env
        .sessions()
        .args(["list"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let row = table.lines().find(|l| l.starts_with("parked")).unwrap();
    assert!(row.contains("archived"), "{table}");
    assert!(
        !table.contains('\u{1b}'),
        "colour without a terminal: {table}"
    );
    let out = env
        .sessions()
        .args(["list", "--archived"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("parked") && !table.contains("live"),
        "{table}"
    );
    let out = env
        .sessions()
        .args(["list", "--archived", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0]["archived"]["saved_ref"],
        "refs/sessions/archive/parked"
    );

    // Not gone, not prunable, not broken.
    env.sessions().args(["clean", "--yes"]).assert().success();
    env.listed("parked");
    let (output, report) = env.doctor(&[]);
    assert!(output.status.success(), "{report}");
    // Resume, sync and land say how to bring it back.
    let stderr = env.exits_with(&["resume", "parked"], 2);
    assert!(stderr.contains("sessions restore parked"), "{stderr}");
    let stderr = env.exits_with(&["land", "parked"], 2);
    assert!(stderr.contains("sessions restore parked"), "{stderr}");
    let out = env.sessions().args(["sync", "parked"]).output().unwrap();
    let said = format!(
        "{}{}",
        stderr_of(&out),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !out.status.success() && said.contains("sessions restore parked"),
        "{said}"
    );
}

#[test]
fn restore_refuses_an_occupied_path() {
    let env = TestEnv::cloned();
    let path = env.new_session("back");
    env.sessions().args(["archive", "back"]).assert().success();
    write_file(&path.join("other.txt"), "someone else's\n");
    let stderr = env.exits_with(&["restore", "back"], 3);
    assert!(stderr.contains("is occupied"), "{stderr}");
    assert_eq!(
        fs::read_to_string(path.join("other.txt")).unwrap(),
        "someone else's\n"
    );
    assert!(!env.listed("back")["archived"].is_null());
}

/// Killed after writing the ref, before the entry said `archived`.
#[test]
fn doctor_drops_the_ref_of_an_archive_killed_before_marking() {
    let env = TestEnv::cloned();
    let path = env.new_session("half");
    write_file(&path.join("w.txt"), "work\n");
    let head = env.git(&["rev-parse", "half"]);
    env.git(&["update-ref", &format!("{SAVED}half"), &head]);
    env.found_then_fixed(&["interrupted_archive"]);
    assert_eq!(env.git(&["for-each-ref", SAVED]), "");
    assert!(path.join("w.txt").is_file());
}

/// Killed after marking the entry, before the worktree went: doctor
/// finishes the archive (the worktree holds exactly what was saved).
#[test]
fn doctor_finishes_an_archive_killed_before_removing_the_worktree() {
    let env = TestEnv::cloned();
    let path = busy_session(&env, "late");
    let before = files(&path);
    // The real thing, then the worktree put back by hand as it was.
    env.sessions().args(["archive", "late"]).assert().success();
    env.git(&["worktree", "add", "-q", path.to_str().unwrap(), "late"]);
    let saved = env.git(&["rev-parse", &format!("{SAVED}late")]);
    env.git_in(
        &path,
        &["read-tree", "--reset", "-u", &format!("{saved}^{{tree}}")],
    );
    env.git_in(&path, &["read-tree", &format!("{saved}^2^{{tree}}")]);
    let (_, report) = env.doctor(&[]);
    assert_eq!(finding_kinds(&report), ["interrupted_archive"], "{report}");
    env.found_then_fixed(&["interrupted_archive"]);
    assert!(!path.exists());
    env.sessions().args(["restore", "late"]).assert().success();
    let mut expected = before;
    expected.remove("build.log");
    assert_eq!(files(&path), expected);
}

/// The saved ref lost (killed `rm`, or deleted by hand): doctor writes it
/// again from the commit the registry recorded.
#[test]
fn doctor_writes_a_lost_saved_ref_again() {
    let env = TestEnv::cloned();
    let path = env.new_session("lost");
    write_file(&path.join("w.txt"), "work\n");
    env.sessions().args(["archive", "lost"]).assert().success();
    let saved = env.git(&["rev-parse", &format!("{SAVED}lost")]);
    env.git(&["update-ref", "-d", &format!("{SAVED}lost")]);
    env.found_then_fixed(&["interrupted_archive"]);
    assert_eq!(env.git(&["rev-parse", &format!("{SAVED}lost")]), saved);
    let out = env.sessions().args(["restore", "lost"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(fs::read_to_string(path.join("w.txt")).unwrap(), "work\n");
}

#[test]
fn restore_runs_setup_at_the_same_path_and_keeps_the_agent() {
    let env = TestEnv::cloned();
    env.user_config("setup = [\"echo $SESSIONS_PORT > setup-ran.log\"]\n");
    let path = env.new_session("again");
    let listed = env.listed("again");
    fs::remove_file(path.join("setup-ran.log")).unwrap();
    // The agent's ids as a hook would have recorded them.
    let registry = fs::read_to_string(env.registry_file()).unwrap();
    // The one session's table is the last in the file.
    assert!(!registry.contains("[session.agent]"), "{registry}");
    let with_agent = format!(
        "{registry}\n[session.agent]\nkind = \"claude\"\nsession_id = \"c-1\"\ntranscript_path = \"/t/c-1.jsonl\"\n"
    );
    fs::write(env.registry_file(), with_agent).unwrap();
    let out = env.sessions().args(["archive", "again"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        stderr_of(&out),
        String::from_utf8_lossy(&out.stdout)
    );
    let out = env.sessions().args(["restore", "again"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let back = env.listed("again");
    assert_eq!(back["path"], listed["path"]);
    assert_eq!(back["port"], listed["port"]);
    assert_eq!(back["agent"]["session_id"], "c-1");
    assert_eq!(
        fs::read_to_string(path.join("setup-ran.log"))
            .unwrap()
            .trim(),
        listed["port"].to_string()
    );
}

#[test]
fn archive_is_refused_mid_rebase_and_changes_nothing() {
    let env = TestEnv::cloned();
    let path = crate::in_progress::stopped_mid_rebase(&env, "mid");
    let registry = env.registry_bytes();
    let stderr = env.exits_with(&["archive", "mid"], 3);
    assert!(stderr.contains("rebase"), "{stderr}");
    assert!(path.join("page.html").is_file());
    assert_eq!(env.registry_bytes(), registry);
    assert_eq!(env.git(&["for-each-ref", SAVED]), "");
}

/// Ctrl-C during archive (here in its teardown): exit 130, nothing saved,
/// nothing removed.
#[test]
fn archive_interrupted_changes_nothing() {
    let env = TestEnv::cloned();
    let path = busy_session(&env, "stop");
    let before = files(&path);
    env.user_config("teardown = [\"kill -INT $PPID; sleep 1\"]\n");
    let registry = env.registry_bytes();
    let out = env.sessions().args(["archive", "stop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    assert_eq!(files(&path), before);
    assert_eq!(env.registry_bytes(), registry);
    assert_eq!(env.git(&["for-each-ref", SAVED]), "");
}

/// `restore` killed outright while git checks the worktree out: doctor
/// removes the half-made worktree (the saved work has it all), and the
/// session restores after.
#[test]
fn doctor_undoes_a_restore_killed_half_way() {
    let env = TestEnv::cloned();
    let path = busy_session(&env, "killed");
    let mut before = files(&path);
    before.remove("build.log");
    env.sessions()
        .args(["archive", "killed"])
        .assert()
        .success();
    let pid_file = env.pid_hook("post-checkout", "", "kill -9 $pid");
    env.run_killed(&["restore", "killed"], &pid_file, "post-checkout");
    assert!(path.is_dir(), "killed before the worktree was made");
    env.found_then_fixed(&["interrupted_archive"]);
    assert!(!path.exists());
    let out = env.sessions().args(["restore", "killed"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(files(&path), before);
}

/// The uncommitted changes `show --json` gives for session NAME.
fn uncommitted(env: &TestEnv, name: &str) -> Vec<(String, String)> {
    let shown = env.shown(name);
    shown["uncommitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().into(),
                c["kind"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn show_lists_the_work_an_archive_saved_as_status_named_it() {
    let env = TestEnv::cloned();
    for file in [
        "keep.txt",
        "gone.txt",
        "moved.txt",
        "unstaged-gone.txt",
        "cached.txt",
    ] {
        env.write(file, &format!("{file}\n"));
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "files"]);
    env.git(&["push", "-q", "origin", "main"]);
    env.git(&["fetch", "-q", "origin"]);
    let path = env.new_session("park");
    write_file(&path.join("staged.txt"), "staged\n");
    env.git_in(&path, &["add", "staged.txt"]);
    write_file(&path.join("staged.txt"), "staged, then changed\n");
    write_file(&path.join("keep.txt"), "changed\n");
    env.git_in(&path, &["rm", "-q", "gone.txt"]);
    env.git_in(&path, &["mv", "moved.txt", "renamed.txt"]);
    fs::remove_file(path.join("unstaged-gone.txt")).unwrap();
    // Out of the index, still in the folder: deleted and untracked at once.
    env.git_in(&path, &["rm", "-q", "--cached", "cached.txt"]);
    write_file(&path.join("new.txt"), "untracked\n");
    let live = uncommitted(&env, "park");
    assert_eq!(live.len(), 8, "{live:?}");

    env.sessions().args(["archive", "park"]).assert().success();
    assert_eq!(uncommitted(&env, "park"), live);
    let out = env.sessions().args(["show", "park"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let listed = text
        .split_once("Uncommitted, saved by the archive:\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(listed.contains("renamed    renamed.txt"), "{text}");
    assert!(listed.contains("untracked  new.txt"), "{text}");
}
