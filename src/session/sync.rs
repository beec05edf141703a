//! `sync`: bringing sessions up to date with their base through `git rebase`
//! or `git merge` in each session's worktree, under the record of
//! `underway.rs`.

use std::path::Path;

use anyhow::Result;

use super::underway::{Started, Underway};
use super::{Workspace, safety};
use crate::git::{Integration, Oid, Repo};
use crate::interrupt;
use crate::registry::Entry;

/// How one session's sync ended.
#[derive(Debug, PartialEq, Eq)]
pub enum SyncOutcome {
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
    pub outcome: SyncOutcome,
}

/// Syncs the sessions NAMES (every session with `all`), one after another,
/// going on past refusals and conflicts. A signal stops it: the session
/// being synced is put back, the ones before it stay synced.
pub fn sync(ws: &Workspace, names: &[String], all: bool, merge: bool) -> Result<Vec<Synced>> {
    interrupt::install();
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
            interrupt::check()?;
            let outcome = match invalid.iter().find(|v| v.name == entry.name) {
                Some(v) => SyncOutcome::Refused(format!("{}; see `sessions doctor`", v.problem)),
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

fn sync_one(ws: &Workspace, entry: &Entry, merge: bool) -> Result<SyncOutcome> {
    let worktree = match safety::may_rewrite(ws, entry)? {
        Ok(worktree) => worktree,
        Err(why) => return Ok(SyncOutcome::Refused(why.to_string())),
    };
    let Some(base) = ws.repo.resolve_base(&entry.base) else {
        return Ok(SyncOutcome::Refused(format!(
            "its base '{}' no longer resolves",
            entry.base
        )));
    };
    let Some(tip) = ws.repo.branch_tip(&entry.branch) else {
        return Ok(SyncOutcome::Refused(format!(
            "its branch '{}' is gone",
            entry.branch
        )));
    };
    if ws.repo.is_ancestor(base, tip)? {
        return Ok(SyncOutcome::UpToDate);
    }
    let written = if merge {
        vec![base]
    } else {
        replayed(&ws.repo, base, tip)?
    };
    if let Some(why) = ignored_in_the_way(&ws.repo, &entry.path, &written)? {
        return Ok(SyncOutcome::Refused(why));
    }
    interrupt::check()?;
    let session = ws.repo.workdir(&entry.path);
    let before = session.state()?;
    let record = Started::new(entry, tip, None);
    let underway = Underway::begin(&ws.repo.admin_dir(&worktree), &record)?;
    // Only the base's id reaches git's command line: a base named like an
    // option (`--exec=...`) must stay a name.
    let ended = if merge {
        let message = format!("Merge {} into {}", entry.base, entry.branch);
        session.merge(base, &message)
    } else {
        session.rebase(base)
    };
    let ended = match ended {
        Ok(ended) => ended,
        Err(e) => return Err(underway.settle(&ws.repo, e)),
    };
    if ended == Integration::Done && interrupt::check().is_err() {
        // Stopped while git ran (it finished: it runs out of reach of the
        // terminal's Ctrl-C): all or nothing, so the session goes back.
        let undone = session
            .reset_keep(tip)
            .and_then(|()| session.restored(&before));
        return Err(underway.settle(
            &ws.repo,
            match undone {
                Ok(()) => crate::error::Failure::interrupted().into(),
                Err(e) => e.context(format!("interrupted, and cannot put '{}' back", entry.name)),
            },
        ));
    }
    underway.end()?;
    Ok(match ended {
        Integration::Done => SyncOutcome::Synced,
        Integration::Conflicts(paths) => SyncOutcome::Conflicts(paths),
    })
}

/// The commits a rebase of TIP onto ONTO checks out on the way: ONTO, then
/// the session's own commits replayed on it.
pub(super) fn replayed(repo: &Repo, onto: Oid, tip: Oid) -> Result<Vec<Oid>> {
    let mut commits = vec![onto];
    commits.extend(repo.commits_between(tip, Some(onto))?.iter().map(|c| c.id));
    Ok(commits)
}

/// Why checking out COMMITS in DIR is refused, if it is: git would
/// overwrite or delete ignored files there (someone's `.env`, say).
pub(super) fn ignored_in_the_way(
    repo: &Repo,
    dir: &Path,
    commits: &[Oid],
) -> Result<Option<String>> {
    let in_the_way = repo.workdir(dir).ignored_in_the_way(commits)?;
    if in_the_way.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = in_the_way.iter().map(|p| p.display().to_string()).collect();
    Ok(Some(format!(
        "git would overwrite ignored file{} {} in {}; move {} aside first",
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        dir.display(),
        if names.len() == 1 { "it" } else { "them" },
    )))
}

#[cfg(test)]
mod tests;
