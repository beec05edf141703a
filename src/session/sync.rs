//! `sync`: bringing sessions up to date with their base through `git rebase`
//! or `git merge` in each session's worktree, under the record of
//! `underway.rs`.

use std::path::Path;

use anyhow::{Result, bail};

use super::Workspace;
use super::safety;
use super::underway::{Started, Underway};
use crate::error::Failure;
use crate::git::{self, Integration, Oid, Repo};
use crate::registry::Entry;
use crate::{interrupt, shell};

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
    /// For a refusal or a conflict: the line to paste to deal with it, with
    /// real names (for a refusal, ending in the `sessions sync` that takes
    /// it up again where that can work).
    pub next: Option<String>,
    /// What else would do, in words (`next` is a command).
    pub otherwise: Option<String>,
}

/// How one session's sync ended, and what to do about it.
struct Ended {
    outcome: SyncOutcome,
    next: Option<String>,
    otherwise: Option<String>,
}

impl Ended {
    fn new(outcome: SyncOutcome, next: Option<String>) -> Self {
        Ended {
            outcome,
            next,
            otherwise: None,
        }
    }
}

/// What `sync` is asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Every session, not only the named ones.
    pub all: bool,
    /// Merge the base in instead of rebasing onto it.
    pub merge: bool,
    /// Fetch the remote of each remote-tracking base first.
    pub fetch: bool,
}

/// Syncs the sessions NAMES (every session with `all`), one after another,
/// going on past refusals and conflicts. A signal stops it: the session
/// being synced is put back, the ones before it stay synced. With `fetch`,
/// the remotes of their bases are fetched first; a failed fetch syncs none.
pub fn sync(ws: &Workspace, names: &[String], options: SyncOptions) -> Result<Vec<Synced>> {
    interrupt::install();
    let entries = ws.registry.read()?;
    let chosen: Vec<&Entry> = if options.all {
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
    if options.fetch {
        fetch_bases(&ws.repo, &chosen)?;
    }
    // Never rebase in a folder that is not the session's worktree.
    let invalid = super::validate::violations(ws, &ws.repo.worktrees()?, &entries);
    chosen
        .into_iter()
        .map(|entry| {
            interrupt::check()?;
            let ended = match invalid.iter().find(|v| v.name == entry.name) {
                Some(v) => Ended::new(
                    SyncOutcome::Refused(v.problem.clone()),
                    Some("sessions doctor".to_string()),
                ),
                None => sync_one(ws, entry, options.merge)?,
            };
            Ok(Synced {
                name: entry.name.clone(),
                base: entry.base.clone(),
                outcome: ended.outcome,
                next: ended.next,
                otherwise: ended.otherwise,
            })
        })
        .collect()
}

/// Fetches, once each, the remotes whose remote-tracking branches ENTRIES
/// are based on; a local base has nothing to fetch.
fn fetch_bases(repo: &Repo, entries: &[&Entry]) -> Result<()> {
    let mut remotes: Vec<String> = Vec::new();
    for entry in entries {
        if let Some(remote) = repo.remote_of_base(&entry.base)
            && !remotes.contains(&remote)
        {
            remotes.push(remote);
        }
    }
    for remote in remotes {
        interrupt::check()?;
        repo.fetch(&remote).map_err(|e| {
            anyhow::Error::new(
                Failure::error(format!(
                    "cannot fetch from the remote '{remote}' ({}); nothing was synced",
                    format!("{e:#}").lines().collect::<Vec<_>>().join(" ")
                ))
                .with_hint(format!("git fetch {}", shell::quote(&remote))),
            )
        })?;
    }
    Ok(())
}

fn refused(why: impl Into<String>, next: Option<String>) -> Result<Ended> {
    Ok(Ended::new(SyncOutcome::Refused(why.into()), next))
}

fn sync_one(ws: &Workspace, entry: &Entry, merge: bool) -> Result<Ended> {
    if entry.is_archived() {
        let next = format!("sessions restore {}", shell::quote(&entry.name));
        return refused("it is archived", Some(next));
    }
    let worktree = match safety::may_rewrite(ws, entry)? {
        Ok(worktree) => worktree,
        Err(why) => {
            let again = format!(
                "sessions sync{} {}",
                if merge { " --merge" } else { "" },
                shell::quote(&entry.name)
            );
            return Ok(Ended {
                otherwise: why.otherwise(entry),
                ..Ended::new(
                    SyncOutcome::Refused(why.to_string()),
                    Some(why.way_on(ws, entry, &again)?),
                )
            });
        }
    };
    let Some(base) = ws.repo.resolve_base(&entry.base) else {
        let next = match ws.repo.remote_of_base(&entry.base) {
            Some(_) => format!("sessions sync --fetch {}", shell::quote(&entry.name)),
            None => format!("sessions show {}", shell::quote(&entry.name)),
        };
        return refused(
            format!("its base '{}' no longer resolves", entry.base),
            Some(next),
        );
    };
    let Some(tip) = ws.repo.branch_tip(&entry.branch) else {
        return refused(
            format!("its branch '{}' is gone", entry.branch),
            Some("sessions doctor".into()),
        );
    };
    if ws.repo.is_ancestor(base, tip)? {
        return Ok(Ended::new(SyncOutcome::UpToDate, None));
    }
    let written = if merge {
        vec![base]
    } else {
        replayed(&ws.repo, base, tip)?
    };
    if let Some(why) = ignored_in_the_way(&ws.repo, &entry.path, &written)? {
        return refused(why, None);
    }
    interrupt::check()?;
    // A session with no commits of its own starts wherever the base is
    // after the sync, or it would look merged. When its tip is in the base,
    // the new start goes in first: then it is empty at every step, killed or
    // not; it goes back only if the branch does.
    let empty = match git::parse_oid(&entry.base_commit) {
        Some(start) => ws.repo.is_ancestor(tip, start)?,
        None => false,
    };
    let start_first = empty && ws.repo.is_ancestor(tip, base)?;
    if start_first {
        record_start(ws, entry, &base.to_string())?;
    }
    let result = integrate(
        ws,
        entry,
        &worktree,
        merge,
        (tip, base),
        empty && !start_first,
    );
    if start_first
        && !matches!(result, Ok(SyncOutcome::Synced))
        && ws.repo.branch_tip(&entry.branch) == Some(tip)
        && let Err(e) = record_start(ws, entry, &entry.base_commit)
    {
        return Err(match result {
            Ok(_) => e,
            Err(first) => first.context(e),
        });
    }
    let outcome = result?;
    let next = match &outcome {
        SyncOutcome::Conflicts(_) => Some(by_hand(entry, base, merge)),
        _ => None,
    };
    Ok(Ended::new(outcome, next))
}

/// Rebases (or merges) the session from TIP onto BASE in its worktree, all
/// or nothing, recording the new start point afterwards where the session
/// still has commits of its own (or WAS_EMPTY): a branch whose commits all
/// went (they were in the base) keeps its start, and so still looks merged.
fn integrate(
    ws: &Workspace,
    entry: &Entry,
    worktree: &crate::git::Worktree,
    merge: bool,
    (tip, base): (Oid, Oid),
    was_empty: bool,
) -> Result<SyncOutcome> {
    let session = ws.repo.workdir(&entry.path);
    let before = session.state()?;
    let record = Started::new(entry, tip, None);
    let underway = Underway::begin(&ws.repo.admin_dir(worktree), &record)?;
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
    if ended == Integration::Done {
        // Stopped while git ran (it finished: it runs out of reach of the
        // terminal's Ctrl-C), or the new start cannot be recorded: all or
        // nothing, so the session goes back.
        let failed = match interrupt::check() {
            Err(e) => Some(e),
            Ok(()) => {
                let moved = ws.repo.branch_tip(&entry.branch) != Some(base);
                if was_empty || moved {
                    record_start(ws, entry, &base.to_string()).err()
                } else {
                    None
                }
            }
        };
        if let Some(failed) = failed {
            let undone = session
                .reset_keep(tip)
                .and_then(|()| session.restored(&before));
            return Err(underway.settle(
                &ws.repo,
                match undone {
                    Ok(()) => failed,
                    Err(e) => {
                        e.context(format!("{failed:#}, and cannot put '{}' back", entry.name))
                    }
                },
            ));
        }
    }
    underway.end()?;
    Ok(match ended {
        Integration::Done => SyncOutcome::Synced,
        Integration::Conflicts(paths) => SyncOutcome::Conflicts(paths),
    })
}

/// Records START as the commit where ENTRY's branch starts (its
/// `base_commit`), under the registry lock; refused if the session changed
/// in the registry meanwhile.
fn record_start(ws: &Workspace, entry: &Entry, start: &str) -> Result<()> {
    let mut registry = ws.registry.lock()?;
    let Some(recorded) = registry
        .sessions
        .iter_mut()
        .find(|e| e.name == entry.name && e.branch == entry.branch && e.path == entry.path)
    else {
        bail!(
            "session '{}' changed in the registry while it was synced",
            entry.name
        );
    };
    recorded.base_commit = start.to_string();
    registry.save()
}

/// The command that syncs ENTRY by hand after a conflict with BASE: git
/// stops on the conflict there, for the user to resolve and go on.
fn by_hand(entry: &Entry, base: Oid, merge: bool) -> String {
    // The base's name as given, unless git could take it for an option.
    let onto = if entry.base.starts_with('-') {
        base.to_string()
    } else {
        shell::quote(&entry.base)
    };
    let verb = if merge { "merge" } else { "rebase" };
    format!("cd {} && git {verb} {onto}", shell::quote_path(&entry.path))
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
