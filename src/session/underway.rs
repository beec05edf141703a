//! The record every `sync` and `land` keeps in the session worktree's git
//! admin dir while it rewrites, so that one killed half-way (SIGKILL, a
//! crash, a power cut) is recognised as ours: `sync` and `land` refuse that
//! session, `doctor` reports it (`leftovers`) and `doctor --fix` puts it back
//! (`recover`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::git::{self, Oid, Operation, Repo};
use crate::registry::Entry;

/// The record a `sync` or `land` keeps in the session worktree's git admin
/// dir while it rewrites: what it started and the refs it found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Started {
    /// `sync` or `land`.
    pub command: String,
    pub session: String,
    pub branch: String,
    pub path: PathBuf,
    /// The session branch's tip before.
    pub tip: String,
    /// For `land`: the branch landed into and its tip before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub into: Option<Target>,
    pub pid: u32,
    /// The pid's `process::start_of`: a later process given the same pid
    /// is not this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_start: Option<u64>,
    /// When the record was written (its file's time), as read back: for a
    /// record without `pid_start` (an older version's), a process younger
    /// than it cannot be its writer.
    #[serde(skip)]
    pub written: Option<std::time::SystemTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Target {
    pub branch: String,
    pub tip: String,
    /// The main worktree, where it is checked out.
    pub path: PathBuf,
}

const RECORD: &str = "sessions-underway.toml";

impl Started {
    pub fn new(entry: &Entry, tip: Oid, into: Option<Target>) -> Started {
        Started {
            command: if into.is_some() { "land" } else { "sync" }.into(),
            session: entry.name.clone(),
            branch: entry.branch.clone(),
            path: entry.path.clone(),
            tip: tip.to_string(),
            into,
            pid: std::process::id(),
            pid_start: crate::process::own_start(),
            written: None,
        }
    }

    /// Whether the `sessions` that wrote it still runs.
    fn writer_runs(&self) -> bool {
        crate::process::wrote_and_runs(self.pid, self.pid_start, self.written)
    }

    fn describe(&self) -> String {
        format!("`sessions {} {}`", self.command, self.session)
    }
}

/// A `Started` record on disk, for as long as the rewrite is under way.
#[must_use]
pub(super) struct Underway {
    file: PathBuf,
    started: Started,
}

impl Underway {
    pub fn begin(admin: &Path, started: &Started) -> Result<Underway> {
        let file = admin.join(RECORD);
        let text = toml::to_string(started).context("cannot write down the operation")?;
        fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
        Ok(Underway {
            file,
            started: started.clone(),
        })
    }

    /// Done, or everything back as it was: the record goes.
    pub fn end(self) -> Result<()> {
        fs::remove_file(&self.file)
            .with_context(|| format!("cannot remove {}", self.file.display()))
    }

    /// After ERROR: the record goes if everything is as it was (or the
    /// operation completed), and stays for `doctor --fix` otherwise.
    pub fn settle(self, repo: &Repo, error: anyhow::Error) -> anyhow::Error {
        match assess(repo, &self.started) {
            Ok(State::AsBefore | State::Completed) => match self.end() {
                Ok(()) => error,
                Err(e) => error.context(e),
            },
            _ => error.context(format!(
                "{} stopped half-way; `sessions doctor --fix` puts it back",
                self.started.describe()
            )),
        }
    }
}

/// What was interrupted in the worktree whose git admin dir is ADMIN, if a
/// `sync` or `land` that is no longer running left its record there.
pub(super) fn interrupted_in(admin: &Path) -> Option<String> {
    read_record(admin)
        .filter(|s| !s.writer_runs())
        .map(|s| s.describe())
}

fn read_record(admin: &Path) -> Option<Started> {
    let file = admin.join(RECORD);
    let text = fs::read_to_string(&file).ok()?;
    let mut started: Started = toml::from_str(&text).ok()?;
    // Written once, never rewritten: the file's time is the record's.
    started.written = fs::metadata(&file).and_then(|m| m.modified()).ok();
    Some(started)
}

/// A `sync` or `land` that was killed (SIGKILL, a crash, a power cut)
/// before it finished or put things back.
#[derive(Debug, Clone)]
pub struct Leftover {
    pub session: String,
    /// `sessions land NAME`, say.
    pub command: String,
    /// An `index.lock` the killed git left in the session's worktree.
    pub stale_index_lock: Option<PathBuf>,
    admin: PathBuf,
    started: Started,
}

/// Every interrupted `sync` and `land`, for `doctor` to report.
pub fn leftovers(repo: &Repo) -> Result<Vec<Leftover>> {
    let mut found = Vec::new();
    for worktree in repo.worktrees()? {
        let admin = repo.admin_dir(&worktree);
        if let Some(started) = read_record(&admin)
            && !started.writer_runs()
        {
            found.push(Leftover {
                session: started.session.clone(),
                command: started.describe(),
                stale_index_lock: stale_index_lock(&admin, &started.path),
                admin,
                started,
            });
        }
    }
    Ok(found)
}

/// For `doctor --fix`: finishes what LEFTOVER's killed `sync` or `land`
/// left, back to the refs, HEAD and index it found (or to its end, when its
/// last step was done), undoing only what it itself started. Says what it
/// did.
pub fn recover(repo: &Repo, leftover: &Leftover) -> Result<String> {
    let started = &leftover.started;
    let mut done = Vec::new();
    let tip = git::parse_oid(&started.tip).context("a damaged record")?;
    if let Some(into) = &started.into {
        done.extend(recover_target(repo, started, into, tip)?);
    }
    if let Some(lock) = &stale_index_lock(&leftover.admin, &started.path) {
        // Its writer is dead and no git works there: the killed git's.
        fs::remove_file(lock).with_context(|| format!("cannot remove {}", lock.display()))?;
        done.push(format!("removed the stale {}", lock.display()));
    }
    if let Some(operation) = Operation::under_way(&leftover.admin) {
        // The same tip is not enough: the user may have started a rebase of
        // their own since, from the very same commit.
        let ours = git::pseudo_ref(&leftover.admin, "ORIG_HEAD") == Some(tip)
            && (operation != Operation::Rebase
                || git::last_started_by(&leftover.admin, &git::reflog_action(started.pid)));
        if !ours {
            bail!(
                "{} in {} was not started by {}; left as it is",
                operation,
                started.path.display(),
                started.describe()
            );
        }
        let abort: &[&str] = match operation {
            Operation::Rebase => &["rebase", "--abort"],
            Operation::Merge => &["merge", "--abort"],
            _ => bail!("{operation} in {} is not ours", started.path.display()),
        };
        // The agent there knows nothing of the kill and may have gone on
        // (resolving, editing): aborting would reset that work away.
        let beyond = repo
            .workdir(&started.path)
            .changes_beyond_operation(&leftover.admin)?;
        if !beyond.is_empty() {
            bail!(
                "{operation} in {} holds changes made since it stopped ({}); left as it is: keep them by finishing it (`git -C {} {} --continue`), or drop them with `git -C {} {}`",
                started.path.display(),
                beyond.join(", "),
                started.path.display(),
                abort[0],
                started.path.display(),
                abort.join(" ")
            );
        }
        repo.workdir(&started.path).undo(abort)?;
        done.push(format!("aborted {operation} in {}", started.path.display()));
    }
    let mut kept_rebased = false;
    if assess(repo, started)? == State::RebasedOnly {
        // A land whose rebase finished but whose fast-forward never came.
        // Only a branch exactly where that rebase left it goes back: commits
        // made on it since (the agent knows nothing of the kill) would
        // otherwise be on no branch.
        let now = repo.branch_tip(&started.branch);
        let finished = format!("{} (finish): ", git::reflog_action(started.pid));
        let untouched = git::last_branch_update(repo.common_dir(), &started.branch)
            .is_some_and(|(at, message)| Some(at) == now && message.starts_with(&finished));
        if untouched {
            repo.workdir(&started.path).reset_keep(tip)?;
            done.push(format!(
                "put '{}' back at {}",
                started.branch,
                git::short(tip)
            ));
        } else {
            kept_rebased = true;
            done.push(format!(
                "left '{}' rebased onto '{}' as it is: it has moved since (its tip before was {})",
                started.branch,
                started.into.as_ref().map_or("", |i| i.branch.as_str()),
                git::short(tip)
            ));
        }
    }
    match assess(repo, started)? {
        State::AsBefore | State::Completed => {}
        State::RebasedOnly if kept_rebased => {}
        State::RebasedOnly | State::Unsettled => bail!(
            "cannot put back what {} left; check {} with `git status`",
            started.describe(),
            started.path.display()
        ),
    }
    fs::remove_file(leftover.admin.join(RECORD))
        .with_context(|| format!("cannot remove {}", leftover.admin.display()))?;
    if done.is_empty() {
        done.push("nothing was left half-way".into());
    }
    Ok(format!("{}: {}", started.describe(), done.join("; ")))
}

/// The part of LEFTOVER's recovery in the worktree of the branch a killed
/// `land` landed into: what a merge or squash it began there left. Undoes
/// only what the land itself staged, never what anyone staged there since.
fn recover_target(repo: &Repo, started: &Started, into: &Target, tip: Oid) -> Result<Vec<String>> {
    let into_tip = git::parse_oid(&into.tip).context("a damaged record")?;
    let admin = repo.common_dir().to_path_buf();
    let now = repo.branch_tip(&into.branch);
    let merging_tip = git::pseudo_ref(&admin, "MERGE_HEAD") == Some(tip);
    if merging_tip
        && let Some(now) = now
        && repo.parents(now)? == [into_tip, tip]
    {
        // Killed as its merge commit moved the branch: landed, and only
        // git's note that a merge is under way stayed behind.
        repo.workdir(&into.path).undo(&["merge", "--quit"])?;
        return Ok(vec![format!(
            "cleared the state of the merge into '{}' that had landed",
            into.branch
        )]);
    }
    let ours = git::pseudo_ref(&admin, "ORIG_HEAD") == Some(into_tip) && now == Some(into_tip);
    let merging = ours && merging_tip && Operation::under_way(&admin) == Some(Operation::Merge);
    let squashing = ours && !merging && git::squash_pending(&admin);
    if !merging && !squashing {
        return Ok(Vec::new());
    }
    if !repo.workdir(&into.path).index_is_merge(into_tip, tip)? {
        bail!(
            "{} left a merge staged in {}, and more has been staged there since; left as it is (`git -C {} status` shows it)",
            started.describe(),
            into.path.display(),
            into.path.display()
        );
    }
    Ok(vec![if merging {
        repo.workdir(&into.path).undo(&["merge", "--abort"])?;
        format!("aborted the merge into '{}'", into.branch)
    } else {
        repo.workdir(&into.path).undo(&["reset", "--merge"])?;
        format!("undid the squash merge into '{}'", into.branch)
    }])
}

/// The `index.lock` in the git admin dir ADMIN of the worktree at PATH when
/// no git works there: left by a git killed with the `sessions` whose record
/// is there, and one that makes every later git step there fail.
fn stale_index_lock(admin: &Path, path: &Path) -> Option<PathBuf> {
    let lock = admin.join("index.lock");
    if !lock.exists() {
        return None;
    }
    let snapshot = crate::process::snapshot();
    let git_runs = crate::process::working_in(&snapshot, path, &[])
        .iter()
        .any(|p| p.name.starts_with("git"));
    (!git_runs).then_some(lock)
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Refs, HEAD and operations as the command found them.
    AsBefore,
    /// Its last step was done: a sync's rebase or merge, a land's update of
    /// the base branch.
    Completed,
    /// A land rebased the session but never moved the base branch.
    RebasedOnly,
    /// An operation under way, or HEAD off the branch.
    Unsettled,
}

fn assess(repo: &Repo, started: &Started) -> Result<State> {
    let worktrees = repo.worktrees()?;
    let Some(session) = super::status::worktree_at(&worktrees, &started.path) else {
        return Ok(State::Unsettled);
    };
    if repo.operation_in_progress(session).is_some()
        || session.branch.as_deref() != Some(started.branch.as_str())
    {
        return Ok(State::Unsettled);
    }
    let moved =
        repo.branch_tip(&started.branch).map(|t| t.to_string()) != Some(started.tip.clone());
    let Some(into) = &started.into else {
        return Ok(if moved {
            State::Completed
        } else {
            State::AsBefore
        });
    };
    let admin = repo.common_dir().to_path_buf();
    if Operation::under_way(&admin).is_some() || git::squash_pending(&admin) {
        return Ok(State::Unsettled);
    }
    let landed = repo.branch_tip(&into.branch).map(|t| t.to_string()) != Some(into.tip.clone());
    Ok(match (landed, moved) {
        (true, _) => State::Completed,
        (false, true) => State::RebasedOnly,
        (false, false) => State::AsBefore,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testing::{git, git_as};
    use std::process::Command;

    fn commit(dir: &Path, file: &str) {
        fs::write(dir.join(file), file).unwrap();
        git(dir, &["add", file]);
        git(dir, &["commit", "-q", "-m", file]);
    }

    /// Main and a session worktree on `s`, each one commit past the start;
    /// and the record of a `land` of it that was killed: its tip, main's.
    struct Killed {
        _temp: tempfile::TempDir,
        main: PathBuf,
        session: PathBuf,
        tip: String,
        from: String,
        /// The killed `sessions`'s pid.
        pid: u32,
    }

    fn killed_land() -> Killed {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        let (main, session) = (root.join("main"), root.join("s"));
        fs::create_dir(&main).unwrap();
        git(&main, &["init", "-q", "-b", "main"]);
        commit(&main, "start");
        git(&main, &["worktree", "add", "-q", "-b", "s", "../s"]);
        commit(&session, "session");
        commit(&main, "main");
        let (tip, from) = (
            git(&session, &["rev-parse", "s"]),
            git(&main, &["rev-parse", "main"]),
        );
        let mut dead = Command::new("true").spawn().unwrap();
        dead.wait().unwrap();
        let started = Started {
            command: "land".into(),
            session: "s".into(),
            branch: "s".into(),
            path: session.clone(),
            tip: tip.clone(),
            into: Some(Target {
                branch: "main".into(),
                tip: from.clone(),
                path: main.clone(),
            }),
            pid: dead.id(),
            pid_start: None,
            written: None,
        };
        let admin = PathBuf::from(git(&session, &["rev-parse", "--absolute-git-dir"]));
        let _record = Underway::begin(&admin, &started).unwrap();
        Killed {
            _temp: temp,
            main,
            session,
            tip,
            from,
            pid: dead.id(),
        }
    }

    /// Recovers the one leftover; what it did.
    fn recover_it(k: &Killed) -> String {
        let repo = Repo::discover(&k.main).unwrap();
        let found = leftovers(&repo).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].command, "`sessions land s`");
        let done = recover(&repo, &found[0]).unwrap();
        assert!(leftovers(&repo).unwrap().is_empty(), "the record goes");
        done
    }

    #[test]
    fn a_land_killed_mid_rebase_is_put_back() {
        let k = killed_land();
        // Killed with its rebase stopped half-way, HEAD detached.
        git_as(
            &k.session,
            &[
                "-c",
                "sequence.editor=sed -i s/^pick/edit/",
                "rebase",
                "-i",
                "main",
            ],
            &git::reflog_action(k.pid),
        );
        let done = recover_it(&k);
        assert!(done.contains("aborted a rebase"), "{done}");
        assert_eq!(git(&k.session, &["symbolic-ref", "HEAD"]), "refs/heads/s");
        assert_eq!(git(&k.session, &["rev-parse", "s"]), k.tip);
        assert_eq!(git(&k.main, &["rev-parse", "main"]), k.from);
        assert_eq!(git(&k.session, &["status", "--porcelain"]), "");
    }

    #[test]
    fn a_land_killed_before_its_fast_forward_is_put_back() {
        let k = killed_land();
        git_as(
            &k.session,
            &["rebase", "-q", "main"],
            &git::reflog_action(k.pid),
        );
        let done = recover_it(&k);
        assert!(done.contains("put 's' back"), "{done}");
        assert_eq!(git(&k.session, &["rev-parse", "s"]), k.tip);
        assert_eq!(git(&k.main, &["rev-parse", "main"]), k.from);
    }

    #[test]
    fn a_branch_rebased_by_someone_else_stays_where_it_is() {
        let k = killed_land();
        // Not the killed land's rebase: the user's, by hand.
        git(&k.session, &["rebase", "-q", "main"]);
        let rebased = git(&k.session, &["rev-parse", "s"]);
        let done = recover_it(&k);
        assert!(done.contains("left 's' rebased"), "{done}");
        assert_eq!(git(&k.session, &["rev-parse", "s"]), rebased);
    }

    #[test]
    fn a_land_killed_after_its_fast_forward_is_left_landed() {
        let k = killed_land();
        git(&k.session, &["rebase", "-q", "main"]);
        git(&k.main, &["merge", "-q", "--ff-only", "s"]);
        let landed = git(&k.main, &["rev-parse", "main"]);
        let done = recover_it(&k);
        assert!(done.contains("nothing was left half-way"), "{done}");
        assert_eq!(git(&k.main, &["rev-parse", "main"]), landed);
        assert_eq!(git(&k.session, &["rev-parse", "s"]), landed);
    }

    #[test]
    fn a_merge_the_user_started_is_not_ours_to_abort() {
        let k = killed_land();
        // After the kill, the user merged something else into the session.
        git(&k.main, &["switch", "-q", "-c", "other", "main~1"]);
        fs::write(k.main.join("session"), "clash").unwrap();
        git(&k.main, &["add", "session"]);
        git(&k.main, &["commit", "-q", "-m", "other"]);
        git(&k.main, &["switch", "-q", "main"]);
        git(
            &k.session,
            &["commit", "-q", "--allow-empty", "-m", "later"],
        );
        let merge = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["merge", "-q", "other"])
            .current_dir(&k.session)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(!merge.status.success(), "it conflicts");
        let repo = Repo::discover(&k.main).unwrap();
        let found = leftovers(&repo).unwrap();
        let err = recover(&repo, &found[0]).unwrap_err();
        assert!(format!("{err:#}").contains("was not started by"), "{err:#}");
        let admin = PathBuf::from(git(&k.session, &["rev-parse", "--absolute-git-dir"]));
        assert!(admin.join("MERGE_HEAD").exists(), "the user's merge stays");
        assert_eq!(leftovers(&repo).unwrap().len(), 1, "so does the record");
    }
}
