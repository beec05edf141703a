//! Multi-step git operations stopped half-way in a worktree, and the traces
//! (pseudo-refs, reflogs) that tell one a `sessions` started from one the
//! user began by hand.

use std::fs;
use std::path::Path;

use anyhow::{Result, anyhow};

use super::porcelain::{path_from_bytes, porcelain_records};
use super::workdir::{Batch, Workdir, porcelain_status};
use super::{Oid, parse_oid};

/// A multi-step git operation stopped half-way in a worktree: the user's
/// (or an agent's) work in progress, which `sessions` never removes,
/// rewrites or aborts unless it started the operation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Rebase,
    Am,
    Merge,
    CherryPick,
    Revert,
    Bisect,
}

impl Operation {
    /// The marker git leaves in a worktree's admin dir while each is under
    /// way, in the order git itself checks them.
    const MARKERS: [(&'static str, Operation); 7] = [
        ("rebase-merge", Operation::Rebase),
        ("rebase-apply/applying", Operation::Am),
        ("rebase-apply", Operation::Rebase),
        ("MERGE_HEAD", Operation::Merge),
        ("CHERRY_PICK_HEAD", Operation::CherryPick),
        ("REVERT_HEAD", Operation::Revert),
        ("BISECT_LOG", Operation::Bisect),
    ];

    /// The one under way in the worktree whose git admin dir is ADMIN.
    pub fn under_way(admin: &Path) -> Option<Operation> {
        Operation::MARKERS
            .iter()
            .find(|(marker, _)| admin.join(marker).exists())
            .map(|&(_, operation)| operation)
            .or_else(|| Operation::sequence(admin))
    }

    /// A cherry-pick or revert of several commits whose current one is
    /// committed (no CHERRY_PICK_HEAD or REVERT_HEAD) while the rest wait:
    /// git's wt-status.c reads the first command of `sequencer/todo`.
    fn sequence(admin: &Path) -> Option<Operation> {
        let todo = fs::read_to_string(admin.join("sequencer/todo")).ok()?;
        let mut words = todo.trim_start().splitn(2, [' ', '\t']);
        let command = words.next()?;
        words.next()?; // git wants the command followed by a blank
        match command {
            "pick" | "p" => Some(Operation::CherryPick),
            "revert" => Some(Operation::Revert),
            _ => None,
        }
    }

    /// The state word `list` shows for a worktree in the middle of it.
    pub fn word(self) -> &'static str {
        match self {
            Operation::Rebase => "rebasing",
            Operation::Am => "applying",
            Operation::Merge => "merging",
            Operation::CherryPick => "cherry-picking",
            Operation::Revert => "reverting",
            Operation::Bisect => "bisecting",
        }
    }

    /// The next step for it in the worktree at DIR, as commands to paste:
    /// finish it, or undo it.
    pub fn next_step(self, dir: &Path) -> String {
        let cd = format!("cd {} && git", crate::shell::quote_path(dir));
        let git = match self {
            Operation::Bisect => return format!("end it with `{cd} bisect reset`"),
            Operation::Rebase => "rebase",
            Operation::Am => "am",
            Operation::Merge => "merge",
            Operation::CherryPick => "cherry-pick",
            Operation::Revert => "revert",
        };
        format!(
            "resolve and `git add` any conflicts, then finish it with `{cd} {git} --continue`, \
             or undo it with `{cd} {git} --abort`"
        )
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Rebase => "a rebase",
            Operation::Am => "a `git am`",
            Operation::Merge => "a merge",
            Operation::CherryPick => "a cherry-pick",
            Operation::Revert => "a revert",
            Operation::Bisect => "a bisect",
        })
    }
}

/// The commit that pseudo-ref NAME of a worktree names (`ORIG_HEAD`, where
/// HEAD was before the last merge or rebase; `MERGE_HEAD`, what is being
/// merged), read from its git admin dir ADMIN: whether an operation found
/// there is the one a `sessions` killed half-way started.
pub fn pseudo_ref(admin: &Path, name: &str) -> Option<Oid> {
    let text = fs::read_to_string(admin.join(name)).ok()?;
    parse_oid(text.lines().next()?.trim())
}

/// The latest entry of BRANCH's reflog in the repository whose common dir
/// is COMMON: the commit it set BRANCH to, and its message. Tells whether a
/// branch is still exactly where a step of ours left it.
pub fn last_branch_update(common: &Path, branch: &str) -> Option<(Oid, String)> {
    last_logged(&common.join("logs/refs/heads").join(branch))
}

/// The latest entry of reflog file LOG that names a commit: the commit, and
/// the entry's message.
pub fn last_logged(log: &Path) -> Option<(Oid, String)> {
    let log = fs::read_to_string(log).ok()?;
    log.lines().rev().find_map(|line| {
        // "<old> <new> <name> <<email>> <time> <zone>\t<message>"
        let (fields, message) = line.split_once('\t').unwrap_or((line, ""));
        let new = parse_oid(fields.split(' ').nth(1)?).filter(|oid| !oid.is_zero())?;
        Some((new, message.to_string()))
    })
}

/// Whether a `git merge --squash` left its result staged but uncommitted
/// in the worktree whose git admin dir is ADMIN.
pub fn squash_pending(admin: &Path) -> bool {
    admin.join("SQUASH_MSG").exists()
}

/// The reflog action of the git steps process PID runs: `sessions PID`,
/// where git would write `rebase` or `merge`.
pub fn reflog_action(pid: u32) -> String {
    format!("sessions {pid}")
}

/// Whether the latest operation started in the worktree whose admin dir is
/// ADMIN (a rebase's `(start)` entry in its HEAD reflog) was started with
/// reflog action ACTION: ours, not one the user began by hand since.
pub fn last_started_by(admin: &Path, action: &str) -> bool {
    let Ok(log) = fs::read_to_string(admin.join("logs/HEAD")) else {
        return false;
    };
    log.lines()
        .filter_map(|line| line.split_once('\t').map(|(_, message)| message))
        .rfind(|message| message.contains(" (start): "))
        .is_some_and(|message| message.starts_with(&format!("{action} (start): ")))
}

impl Workdir<'_> {
    /// The changed and untracked files of the worktree (whose admin dir is
    /// ADMIN) that the rebase or merge stopped there did not write:
    /// their content (or absence) is that of the path in none of the trees
    /// that operation writes from (HEAD, ORIG_HEAD, `onto`, MERGE_HEAD, the
    /// commits being replayed, the pick or merge under way). Someone's work,
    /// which aborting would throw away. A file that cannot be read counts.
    pub fn changes_beyond_operation(&self, admin: &Path) -> Result<Vec<String>> {
        let (repo, dir) = (&self.repo.repo, self.dir);
        let head = pseudo_ref(admin, "HEAD").or_else(|| {
            let head = fs::read_to_string(admin.join("HEAD")).ok()?;
            let name = head.trim().strip_prefix("ref: ")?;
            repo.refname_to_id(name).ok()
        });
        let orig = pseudo_ref(admin, "ORIG_HEAD");
        let onto = pseudo_ref(&admin.join("rebase-merge"), "onto")
            .or_else(|| pseudo_ref(&admin.join("rebase-apply"), "onto"));
        let merging = pseudo_ref(admin, "MERGE_HEAD");
        let mut commits: Vec<Oid> = [head, orig, onto, merging].into_iter().flatten().collect();
        if let Some(orig) = orig {
            let replayed = self.repo.commits_between(orig, onto.or(head))?;
            commits.extend(replayed.iter().map(|c| c.id));
        }
        let mut trees = commits
            .iter()
            .map(|c| Ok(repo.find_commit(*c)?.tree_id()))
            .collect::<Result<Vec<_>>>()?;
        // What a pick or merge killed half-way was writing.
        let picking = fs::read_to_string(admin.join("rebase-merge/done"))
            .ok()
            .and_then(|done| {
                let last = done.lines().rev().find(|l| !l.trim().is_empty())?;
                let oid = last.split_whitespace().nth(1)?;
                repo.revparse_single(oid).ok()?.peel_to_commit().ok()
            });
        if let Some(head) = head.and_then(|h| repo.find_commit(h).ok()) {
            let mut results = Vec::new();
            if let Some(pick) = picking {
                results.push(repo.cherrypick_commit(&pick, &head, 0, None));
            }
            if let Some(theirs) = merging.and_then(|m| repo.find_commit(m).ok()) {
                results.push(repo.merge_commits(&head, &theirs, None));
            }
            for mut index in results.into_iter().flatten() {
                if !index.has_conflicts() {
                    trees.push(index.write_tree_to(repo)?);
                }
            }
        }
        let trees = trees
            .into_iter()
            .map(|t| Ok(repo.find_tree(t)?))
            .collect::<Result<Vec<_>>>()?;
        let status = porcelain_status(dir, Batch::Alone, &["--ignore-submodules=none"])?;
        let mut beyond = Vec::new();
        for record in porcelain_records(&status) {
            if !matches!(record.kind, b'1' | b'2' | b'u' | b'?') {
                continue;
            }
            let path = path_from_bytes(record.path);
            let file = dir.join(&path);
            let content = match fs::symlink_metadata(&file) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Ok(m) if m.is_symlink() => fs::read_link(&file)
                    .map_err(anyhow::Error::from)
                    .and_then(|target| {
                        let bytes = target.as_os_str().as_encoded_bytes();
                        Ok(Some(Oid::hash_object(git2::ObjectType::Blob, bytes)?))
                    }),
                Ok(m) if m.is_file() => Oid::hash_file(git2::ObjectType::Blob, &file)
                    .map(Some)
                    .map_err(Into::into),
                _ => Err(anyhow!("not a file")),
            };
            let written = content.is_ok_and(|content| {
                trees
                    .iter()
                    .any(|tree| tree.get_path(&path).ok().map(|e| e.id()) == content)
            });
            if !written {
                beyond.push(path.display().to_string());
            }
        }
        Ok(beyond)
    }
}
