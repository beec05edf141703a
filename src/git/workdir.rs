//! Everything run as `git -C <worktree>`, through the `Workdir` handle that
//! `Repo::workdir` gives: status, file listings, rebase, merge, squash and
//! reset, and the machinery that aborts a failed one and verifies the
//! worktree is exactly as before.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail};
use git2::Repository;

use super::porcelain::{WorkChange, parse_changes, parse_porcelain_v2, path_from_bytes};
use super::{Oid, Operation, Repo, WorkStatus, parse_oid, reflog_action};
use crate::error::Failure;

/// How a rebase or merge run by `git` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    Done,
    /// It stopped on conflicts in these paths and was aborted, leaving the
    /// worktree exactly as before.
    Conflicts(Vec<String>),
}

/// Runs COMMAND to the end in a process group of its own, so that the
/// terminal's Ctrl-C reaches only us: git then finishes or stops cleanly,
/// and we notice the signal afterwards and put things back, instead of git
/// dying half-way through a rebase.
/// Its reflog entries name this process (`reflog_action`), so that what it
/// started can later be told from what the user did by hand.
pub(super) fn shielded(command: &mut Command) -> Result<Output, GitError> {
    std::os::unix::process::CommandExt::process_group(command, 0);
    run(command.env("GIT_REFLOG_ACTION", reflog_action(std::process::id())))
}

/// `git status --porcelain=v2 -z --branch --untracked-files=all EXTRA` in
/// DIR.
pub(super) fn porcelain_status(dir: &Path, batch: Batch, extra: &[&str]) -> Result<Vec<u8>> {
    let output = status_command(dir, batch)
        .args(["--branch", "--untracked-files=all"])
        .args(extra)
        .output()
        .map_err(GitError::CouldNotRun)?;
    check(&output, "git status")
        .with_context(|| format!("cannot read the status of {}", dir.display()))?;
    Ok(output.stdout)
}

/// The unmerged paths of the worktree at DIR.
fn conflicted_paths(dir: &Path) -> Result<Vec<String>> {
    let output = git_in(dir)
        .args(["diff", "--name-only", "--diff-filter=U", "-z"])
        .output()
        .map_err(GitError::CouldNotRun)?;
    check(&output, "git diff")?;
    let mut paths: Vec<String> = output
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    paths.dedup();
    Ok(paths)
}

/// Whether a `git status` runs on its own or as one of many at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    Alone,
    /// Many at once (a list of sessions): each then runs without git's
    /// preload-index threads, which on few cores only fight the other runs.
    Many,
}

/// `git status --porcelain=v2 -z` in DIR, without optional locks: an agent
/// committing in that worktree at the same moment must never find its index
/// locked by us, and we never rewrite it.
pub(super) fn status_command(dir: &Path, batch: Batch) -> Command {
    let mut command = git_in(dir);
    if batch == Batch::Many {
        command.args(["-c", "core.preloadIndex=false"]);
    }
    command.args(["--no-optional-locks", "status", "--porcelain=v2", "-z"]);
    command
}

/// A `git` command run in `dir`, unaffected by the variables git sets for
/// git hooks (we may be run from one).
pub(super) fn git_in(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).stdin(Stdio::null());
    strip_repository_env(&mut command);
    command
}

/// The variables that tie a program to one repository or worktree, which
/// git exports to its aliases and git hooks (git's own `local_repo_env`, less
/// the caller's `-c` settings).
const REPOSITORY_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_GRAFT_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
];

/// Keeps COMMAND from inheriting the repository our caller was pointed at
/// (we may be run from a git alias or hook): every program we start works
/// in the folder we give it, and git there finds that folder's repository.
pub fn strip_repository_env(command: &mut Command) {
    for var in REPOSITORY_ENV {
        command.env_remove(var);
    }
}

/// Why a `git` we ran failed. A caller that must tell a git that said no
/// from one that never started can downcast to this through any context.
#[derive(Debug)]
pub enum GitError {
    /// Git could not be started at all (not installed, no process left).
    CouldNotRun(std::io::Error),
    /// Git ran and refused: WHAT exited with CODE (`None` when a signal
    /// killed it), and STDERR, trimmed, says why.
    Refused {
        what: String,
        code: Option<i32>,
        stderr: String,
    },
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The cause, io's own words, follows in the error's chain.
            GitError::CouldNotRun(_) => f.write_str("cannot run git"),
            GitError::Refused { what, code, stderr } => match (code, stderr.is_empty()) {
                (Some(code), true) => write!(f, "{what} failed with exit code {code}"),
                (None, true) => write!(f, "{what} was killed by a signal"),
                (_, false) => write!(f, "{what} failed: {stderr}"),
            },
        }
    }
}

impl std::error::Error for GitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GitError::CouldNotRun(e) => Some(e),
            GitError::Refused { .. } => None,
        }
    }
}

/// Runs COMMAND to the end and collects its output.
pub(super) fn run(command: &mut Command) -> Result<Output, GitError> {
    command.output().map_err(GitError::CouldNotRun)
}

/// `Refused` unless OUTPUT, of the git step WHAT, says it succeeded.
pub(super) fn check(output: &Output, what: &str) -> Result<(), GitError> {
    if output.status.success() {
        return Ok(());
    }
    Err(GitError::Refused {
        what: what.to_string(),
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
    })
}

/// Counts of modified and untracked files in the working tree at DIR, which
/// may be a repository of its own (a nested one) rather than a worktree.
pub(super) fn status(dir: &Path, batch: Batch) -> Result<WorkStatus> {
    Ok(parse_porcelain_v2(&changes_output(dir, batch)?))
}

/// `git status` of every change that `status` counts.
fn changes_output(dir: &Path, batch: Batch) -> Result<Vec<u8>> {
    let output = status_command(dir, batch)
        .args(["--ignore-submodules=none", "--untracked-files=normal"])
        .output()
        .map_err(GitError::CouldNotRun)?;
    check(&output, "git status")
        .with_context(|| format!("cannot read the status of {}", dir.display()))?;
    Ok(output.stdout)
}

/// One worktree of a repository: what runs `git -C` there, and what needs
/// both its files and the repository's commits.
pub struct Workdir<'r> {
    pub(super) repo: &'r Repo,
    pub(super) dir: &'r Path,
}

impl Repo {
    /// The worktree (or main working tree) at DIR.
    pub fn workdir<'r>(&'r self, dir: &'r Path) -> Workdir<'r> {
        Workdir { repo: self, dir }
    }
}

impl Workdir<'_> {
    /// Counts of modified and untracked files. Untracked files and
    /// submodule changes count whatever the repository's
    /// `status.showUntrackedFiles` and `submodule.<name>.ignore` say.
    pub fn status(&self, batch: Batch) -> Result<WorkStatus> {
        status(self.dir, batch)
    }

    /// Every uncommitted change, untracked files included, counted as
    /// `status` counts them.
    pub fn changes(&self) -> Result<Vec<WorkChange>> {
        Ok(parse_changes(&changes_output(self.dir, Batch::Alone)?))
    }

    /// HEAD, branch and every change, for comparison with `restored`.
    pub fn state(&self) -> Result<Vec<u8>> {
        porcelain_status(self.dir, Batch::Alone, &[])
    }

    /// Fails loudly unless the worktree is in the state BEFORE.
    pub fn restored(&self, before: &[u8]) -> Result<()> {
        if self.state()? != before {
            bail!(
                "{} is not as it was before: check it with `git status`",
                self.dir.display()
            );
        }
        Ok(())
    }

    /// Ignored files (never tracked ones), relative to the worktree: `git
    /// ls-files --others --ignored --exclude-standard`.
    pub fn ignored_files(&self) -> Result<Vec<PathBuf>> {
        self.other_files(true)
    }

    /// Untracked files (neither tracked nor ignored), relative to the
    /// worktree.
    pub fn untracked_files(&self) -> Result<Vec<PathBuf>> {
        self.other_files(false)
    }

    fn other_files(&self, ignored: bool) -> Result<Vec<PathBuf>> {
        let mut command = git_in(self.dir);
        command.args(["ls-files", "-z", "--others", "--exclude-standard"]);
        if ignored {
            command.arg("--ignored");
        }
        let output = command.output().map_err(GitError::CouldNotRun)?;
        let kind = if ignored { "ignored" } else { "untracked" };
        check(&output, "git ls-files")
            .with_context(|| format!("cannot list the {kind} files of {}", self.dir.display()))?;
        Ok(output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(path_from_bytes)
            .collect())
    }

    /// Whether the index holds exactly the merge of commit THEIRS into
    /// commit OURS, as `git merge --squash` (or a merge not yet committed)
    /// stages it: nobody has staged anything since. An index with conflicts
    /// never does.
    pub fn index_is_merge(&self, ours: Oid, theirs: Oid) -> Result<bool> {
        let output = git_in(self.dir)
            .arg("write-tree")
            .output()
            .map_err(GitError::CouldNotRun)?;
        let staged = parse_oid(String::from_utf8_lossy(&output.stdout).trim());
        if !output.status.success() || staged.is_none() {
            return Ok(false);
        }
        let repo = &self.repo.repo;
        let (ours, theirs) = (repo.find_commit(ours)?, repo.find_commit(theirs)?);
        let mut merged = repo.merge_commits(&ours, &theirs, None)?;
        if merged.has_conflicts() {
            return Ok(false);
        }
        Ok(staged == Some(merged.write_tree_to(repo)?))
    }

    /// Runs `git ARGS`. When it fails, notes the conflicted paths, runs
    /// `git ABORT` if it left an operation or conflicts (its own: it refuses
    /// to start while another is under way), and checks that HEAD and the
    /// status are exactly as before.
    fn integrate(&self, args: &[&str], abort: &[&str]) -> Result<Integration> {
        let dir = self.dir;
        let admin = Repository::open(dir)
            .with_context(|| format!("cannot open the worktree {}", dir.display()))?
            .path()
            .to_path_buf();
        if let Some(operation) = Operation::under_way(&admin) {
            bail!(
                Failure::refused(format!("{} has {operation} in progress", dir.display()))
                    .with_hint(operation.next_step(dir))
            );
        }
        let before = self.state()?;
        let output = shielded(git_in(dir).env("GIT_EDITOR", ":").args(args))?;
        if output.status.success() {
            return Ok(Integration::Done);
        }
        let conflicts = conflicted_paths(dir)?;
        if !conflicts.is_empty() || Operation::under_way(&admin).is_some() {
            let _ = shielded(git_in(dir).args(abort));
        }
        self.restored(&before)?;
        if conflicts.is_empty() {
            check(&output, &format!("git {}", args[0]))
                .with_context(|| format!("in {}", dir.display()))?;
        }
        Ok(Integration::Conflicts(conflicts))
    }

    /// `git rebase ONTO`; on a conflict, aborts and checks that the worktree
    /// is exactly as before. ONTO is an object id, never a name: a ref named
    /// like an option would reach git's command line.
    pub fn rebase(&self, onto: Oid) -> Result<Integration> {
        let onto = onto.to_string();
        self.integrate(
            &[
                "rebase",
                "--no-autostash",
                "--quiet",
                "--end-of-options",
                &onto,
            ],
            &["rebase", "--abort"],
        )
    }

    /// `git merge COMMIT` (a merge commit with MESSAGE unless it
    /// fast-forwards); on a conflict, aborts and checks that the worktree is
    /// exactly as before.
    pub fn merge(&self, commit: Oid, message: &str) -> Result<Integration> {
        let commit = commit.to_string();
        self.integrate(
            &[
                "merge",
                "--no-edit",
                // Whatever `merge.ff` says: a fast-forward when it can.
                "--ff",
                "--no-autostash",
                "--no-overwrite-ignore",
                "--quiet",
                "-m",
                message,
                "--end-of-options",
                &commit,
            ],
            &["merge", "--abort"],
        )
    }

    /// `git merge --squash COMMIT` and a commit of the result with MESSAGE;
    /// on any failure, `git reset --merge` takes it back.
    pub fn merge_squash(&self, commit: Oid, message: &str) -> Result<Integration> {
        let before = self.state()?;
        let commit = commit.to_string();
        let outcome = self.integrate(
            &[
                "merge",
                "--squash",
                "--no-autostash",
                "--no-overwrite-ignore",
                "--quiet",
                "--end-of-options",
                &commit,
            ],
            // A squash merge records no MERGE_HEAD, so `merge --abort`
            // cannot undo it.
            &["reset", "--merge"],
        )?;
        if let Integration::Conflicts(_) = outcome {
            return Ok(outcome);
        }
        let output = shielded(git_in(self.dir).args(["commit", "--quiet", "-m", message]))?;
        if let Err(e) = check(&output, "git commit") {
            let _ = shielded(git_in(self.dir).args(["reset", "--merge"]));
            self.restored(&before)?;
            return Err(e.into());
        }
        Ok(Integration::Done)
    }

    /// `git merge --ff-only COMMIT`.
    pub fn merge_ff_only(&self, commit: Oid) -> Result<()> {
        let output = shielded(git_in(self.dir).args([
            "merge",
            "--ff-only",
            "--no-overwrite-ignore",
            "--quiet",
            "--end-of-options",
            &commit.to_string(),
        ]))?;
        check(&output, "git merge --ff-only")
            .with_context(|| format!("cannot fast-forward {}", self.dir.display()))
    }

    /// `git reset --keep COMMIT`: moves the worktree's branch back, refusing
    /// rather than losing local changes.
    pub fn reset_keep(&self, commit: Oid) -> Result<()> {
        let output = shielded(git_in(self.dir).args([
            "reset",
            "--keep",
            "--quiet",
            "--end-of-options",
            &commit.to_string(),
        ]))?;
        check(&output, "git reset --keep").with_context(|| format!("in {}", self.dir.display()))
    }

    /// `git ARGS`, for undoing what an interrupted `sessions` left
    /// (`rebase --abort`, `merge --abort`, `reset --merge`).
    pub fn undo(&self, args: &[&str]) -> Result<()> {
        let output = shielded(git_in(self.dir).args(args))?;
        check(&output, &format!("git {}", args.join(" ")))
            .with_context(|| format!("in {}", self.dir.display()))
    }

    /// The ignored files that checking out any of COMMITS would overwrite
    /// or remove: git replaces ignored files without asking (a merge and a
    /// rebase alike), and they are often someone's local configuration,
    /// such as `.env`.
    pub fn ignored_in_the_way(&self, commits: &[Oid]) -> Result<Vec<PathBuf>> {
        self.in_the_way(self.ignored_files()?, commits)
    }

    /// The untracked files that checking out COMMIT would overwrite: git
    /// refuses then, so a caller can refuse first.
    pub fn untracked_in_the_way(&self, commit: Oid) -> Result<Vec<PathBuf>> {
        self.in_the_way(self.untracked_files()?, &[commit])
    }

    /// Which of FILES (relative paths) checking out any of COMMITS would
    /// overwrite or remove.
    fn in_the_way(&self, files: Vec<PathBuf>, commits: &[Oid]) -> Result<Vec<PathBuf>> {
        if files.is_empty() {
            return Ok(files);
        }
        let trees = commits
            .iter()
            .map(|c| Ok(self.repo.repo.find_commit(*c)?.tree()?))
            .collect::<Result<Vec<_>>>()?;
        // In the way: something at the path itself (a file, or a folder in
        // its place), or a file where one of its folders is.
        let in_the_way = |path: &Path| {
            trees.iter().any(|tree| {
                path.ancestors()
                    .filter(|p| !p.as_os_str().is_empty())
                    .any(|p| match tree.get_path(p) {
                        Ok(entry) => p == path || entry.kind() != Some(git2::ObjectType::Tree),
                        Err(_) => false,
                    })
            })
        };
        Ok(files.into_iter().filter(|p| in_the_way(p)).collect())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    use super::*;

    fn output(status: i32, stderr: &str) -> Output {
        Output {
            status: ExitStatus::from_raw(status),
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_refusal_reads_as_before_and_is_told_from_git_not_running() {
        let says = |out: Output| check(&out, "git merge").unwrap_err().to_string();
        assert_eq!(
            says(output(1 << 8, "")),
            "git merge failed with exit code 1"
        );
        assert_eq!(says(output(9, "")), "git merge was killed by a signal");
        assert_eq!(says(output(1 << 8, " no\n")), "git merge failed: no");

        let refused = anyhow::Error::from(check(&output(1 << 8, ""), "git merge").unwrap_err())
            .context("in /x");
        assert!(matches!(
            refused.downcast_ref::<GitError>(),
            Some(GitError::Refused { code: Some(1), .. })
        ));
        let missing = run(&mut Command::new("/nonexistent/git")).unwrap_err();
        assert!(matches!(missing, GitError::CouldNotRun(_)));
        let chain = format!("{:#}", anyhow::Error::from(missing));
        assert!(chain.starts_with("cannot run git: "), "{chain}");
    }
}
