//! `show`: one session in full.

use anyhow::Result;
use jiff::Timestamp;

use super::Workspace;
use super::status::{Summary, base_tip, summarize};
use crate::git::{self, Batch, CommitInfo, WorkChange};
use crate::registry::Entry;
use crate::{claude, process};

#[derive(Debug)]
pub struct Details {
    pub summary: Summary,
    /// The commit the session started from.
    pub started_from: Option<Commit>,
    /// Commits on the branch that are not in the base, newest first.
    pub commits: Vec<Commit>,
    /// Files the branch changed since it left the base.
    pub files: Vec<FileStat>,
    /// Uncommitted changes in the worktree, untracked files included
    /// (none when the folder is missing); for an archived session, those
    /// its archive saved.
    pub uncommitted: Vec<WorkChange>,
    /// Claude conversations the session had before its current one, newest
    /// first: what `resume --id` opens.
    pub earlier_conversations: Vec<super::Conversation>,
}

#[derive(Debug)]
pub struct Commit {
    pub id: String,
    pub short_id: String,
    pub subject: String,
    pub committed_at: Option<Timestamp>,
}

#[derive(Debug)]
pub struct FileStat {
    pub path: String,
    pub added: usize,
    pub deleted: usize,
}

impl From<CommitInfo> for Commit {
    fn from(c: CommitInfo) -> Commit {
        Commit {
            id: c.id.to_string(),
            short_id: git::short(c.id),
            subject: c.summary,
            committed_at: Timestamp::from_second(c.time).ok(),
        }
    }
}

pub fn show(ws: &Workspace, name: &str) -> Result<Details> {
    let mut entry = ws.entry(name)?;
    entry.agent = super::agent_view(&entry, &process::snapshot(), &claude::live_records());
    let repo = &ws.repo;
    let started_from = git::parse_oid(&entry.base_commit)
        .and_then(|oid| repo.commit_info(oid).ok())
        .map(Commit::from);
    let (mut commits, mut files) = (Vec::new(), Vec::new());
    if let Some(tip) = repo.branch_tip(&entry.branch) {
        let base = base_tip(repo, &entry);
        commits = repo
            .commits_between(tip, base)?
            .into_iter()
            .map(Commit::from)
            .collect();
        // Against where the branch left the base, as `git diff base...branch`.
        let fork = match base {
            Some(base) => repo.merge_base(tip, base)?,
            None => None,
        };
        if let Some(fork) = fork {
            files = repo
                .diff_files(fork, tip)?
                .into_iter()
                .map(|f| FileStat {
                    path: f.path,
                    added: f.added,
                    deleted: f.deleted,
                })
                .collect();
        }
    }
    let earlier_conversations = super::earlier_conversations(&entry);
    let mut summary = summarize(repo, &repo.worktrees()?, entry, Batch::Alone)?;
    super::stale::mark(ws, std::slice::from_mut(&mut summary));
    let uncommitted = match &summary.entry.archived {
        Some(_) => saved_changes(ws, &summary.entry)?,
        None if summary.missing => Vec::new(),
        None => repo.workdir(&summary.entry.path).changes()?,
    };
    Ok(Details {
        summary,
        started_from,
        commits,
        files,
        uncommitted,
        earlier_conversations,
    })
}

/// The uncommitted work archived ENTRY saved (none when its saved work is
/// gone: `doctor` reports that).
fn saved_changes(ws: &Workspace, entry: &Entry) -> Result<Vec<WorkChange>> {
    let Some(archived) = &entry.archived else {
        return Ok(Vec::new());
    };
    let saved = super::archive::saved_commit(ws, entry, archived)
        .and_then(|commit| ws.repo.saved_work(commit));
    match saved {
        Ok(saved) => ws.repo.saved_changes(&saved),
        Err(_) => Ok(Vec::new()),
    }
}
