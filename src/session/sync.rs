//! `sync`: bringing sessions up to date with their base through `git rebase`
//! or `git merge` in each session's worktree.

use anyhow::Result;

use super::{Workspace, agent};
use crate::git::{Batch, Integration, Repo};
use crate::registry::Entry;

/// How one session's sync ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The base's tip was already in the session.
    UpToDate,
    Synced,
    /// Stopped on these conflicting paths and aborted: the session is as before.
    Conflicts(Vec<String>),
    /// Not touched, to protect work; the reason.
    Refused(String),
}

#[derive(Debug)]
pub struct Synced {
    pub name: String,
    pub base: String,
    pub outcome: Outcome,
}

/// Syncs the sessions NAMES (every session with `all`), one after another,
/// going on past refusals and conflicts.
pub fn sync(ws: &Workspace, names: &[String], all: bool, merge: bool) -> Result<Vec<Synced>> {
    let entries = ws.registry.read()?;
    let chosen: Vec<&Entry> = if all {
        entries.iter().collect()
    } else {
        let mut chosen: Vec<&Entry> = Vec::new();
        for name in names {
            let entry = super::validate::valid_entry(ws, &entries, name)?;
            if !chosen.iter().any(|e| e.name == entry.name) {
                chosen.push(entry);
            }
        }
        chosen
    };
    // Never rebase in a folder that is not the session's worktree.
    let invalid = super::validate::violations(ws, &ws.repo.worktrees()?, &entries);
    chosen
        .into_iter()
        .map(|entry| {
            let outcome = match invalid.iter().find(|v| v.name == entry.name) {
                Some(v) => Outcome::Refused(format!("{}; see `sessions doctor`", v.problem)),
                None => sync_one(ws, entry, merge)?,
            };
            Ok(Synced {
                name: entry.name.clone(),
                base: entry.base.clone(),
                outcome,
            })
        })
        .collect()
}

fn sync_one(ws: &Workspace, entry: &Entry, merge: bool) -> Result<Outcome> {
    if let Some(refusal) = refusal(entry)? {
        return Ok(Outcome::Refused(refusal));
    }
    let Some(base) = ws.repo.try_resolve_commit(&entry.base) else {
        return Ok(Outcome::Refused(format!(
            "its base '{}' no longer resolves",
            entry.base
        )));
    };
    let Some(tip) = ws.repo.branch_tip(&entry.branch) else {
        return Ok(Outcome::Refused(format!(
            "its branch '{}' is gone",
            entry.branch
        )));
    };
    if ws.repo.is_ancestor(base, tip)? {
        return Ok(Outcome::UpToDate);
    }
    let ended = if merge {
        Repo::merge(&entry.path, &entry.base)?
    } else {
        Repo::rebase(&entry.path, &entry.base)?
    };
    Ok(match ended {
        Integration::Done => Outcome::Synced,
        Integration::Conflicts(paths) => Outcome::Conflicts(paths),
    })
}

/// Why the session's worktree must not be rewritten now, if it must not:
/// uncommitted work, or an agent working in it.
pub(super) fn refusal(entry: &Entry) -> Result<Option<String>> {
    if !entry.path.is_dir() {
        return Ok(Some(format!(
            "its worktree {} is missing",
            entry.path.display()
        )));
    }
    let status = Repo::status(&entry.path, Batch::Alone)?;
    if !status.is_clean() {
        return Ok(Some(format!(
            "it has {} in {}",
            status.describe(),
            entry.path.display()
        )));
    }
    if let Some(process) = agent::working_in(&entry.path) {
        return Ok(Some(format!(
            "{process} is working in {}",
            entry.path.display()
        )));
    }
    Ok(None)
}
