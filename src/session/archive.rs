//! `archive` and `restore`: a session's worktree removed with everything it
//! held saved (committed work on its branch, the rest on
//! `refs/sessions/archive/NAME`, the entry kept as `archived`), and brought
//! back at the same path so that its agent's conversation carries on.
//!
//! Each step leaves a state `doctor` recognises (doctor/archived.rs): the
//! ref is written before the entry says `archived`, and the entry says so
//! before the worktree goes; `restore` makes the worktree before the entry
//! stops saying so, and deletes the ref last.

use std::fs;

use anyhow::{Context, Result, bail};

use super::Workspace;
use super::find_entry;
use super::remove::remove_empty_parent;
use super::safety::{RemoveOptions, Risk, Surroundings, plan_removal};
use super::validate::valid_entry;
use crate::copy;
use crate::error::Failure;
use crate::git::{Oid, RemovalChecks, SavedWork, parse_oid};
use crate::interrupt;
use crate::registry::{AgentState, Archived, Entry};
use crate::shell::quote;

/// An archived session and what was saved of it.
#[derive(Debug)]
pub struct Archive {
    pub entry: Entry,
    pub saved: SavedWork,
    /// The saved work holds uncommitted changes or untracked files.
    pub changes: bool,
}

/// Archives session NAME. Refuses (exit 3), changing nothing, whatever
/// `rm` would refuse for other than uncommitted work, which is saved.
pub fn archive(ws: &Workspace, name: &str) -> Result<Archive> {
    interrupt::install();
    let mut registry = ws.registry.lock()?;
    let entry = valid_entry(ws, &registry.sessions, name)?.clone();
    if entry.is_archived() {
        bail!(
            Failure::usage(format!("session '{name}' is already archived"))
                .with_hint(format!("sessions restore {}", quote(name)))
        );
    }
    judge(ws, &entry)?;
    if !ws.config.teardown.value.is_empty() {
        super::lifecycle::teardown(ws, &entry)?;
        judge(ws, &entry).context("checked again after teardown")?;
    }
    interrupt::check()?;
    let head = ws
        .repo
        .branch_tip(&entry.branch)
        .with_context(|| format!("session '{name}': its branch '{}' is gone", entry.branch))?;
    let saved = ws
        .repo
        .save_work(&entry.path, head, &format!("session {name} archived"))?;
    // Read again, another way: what goes must be exactly what was saved.
    let now = ws.repo.work_tree_now(&entry.path)?;
    if now != saved.work_tree {
        bail!(
            Failure::refused(format!(
                "the files in {} do not match what was saved of them (changed meanwhile, or a filter such as LFS or line endings rewrites them); nothing was removed",
                entry.path.display()
            ))
            .with_hint(format!("sessions archive {}", quote(name)))
        );
    }
    interrupt::check()?;
    ws.repo.set_archive_ref(name, saved.commit)?;
    let mut archived = entry.clone();
    // No process of its agent runs (judged above): what `status` reads
    // from the registry alone must not count it. Its ids stay, to resume.
    if let Some(agent) = archived.agent.as_mut() {
        agent.state = Some(AgentState::Exited);
        agent.pid = None;
    }
    archived.archived = Some(Archived {
        commit: saved.commit.to_string(),
        at: crate::clock::now(),
    });
    let marked = interrupt::check().and_then(|()| {
        let slot = registry.sessions.iter_mut().find(|e| e.name == name);
        *slot.context("the session left the registry")? = archived.clone();
        registry.save()
    });
    if let Err(e) = marked {
        // Nothing is removed yet: the worktree still holds it all.
        let _ = ws.repo.delete_archive_ref(name);
        return Err(e);
    }
    // The entry says archived: from here on, finishing is the way out.
    ws.repo
        .remove_worktree(&entry.path, RemovalChecks::None)
        .context("the work is saved; `sessions doctor --fix` finishes the archive")?;
    remove_empty_parent(&entry.path);
    Ok(Archive {
        changes: saved.has_changes(&ws.repo)?,
        entry: archived,
        saved,
    })
}

/// Refuses (exit 3) to archive ENTRY for anything `rm` would refuse for,
/// but uncommitted changes and the branch (which stays).
fn judge(ws: &Workspace, entry: &Entry) -> Result<()> {
    let around = Surroundings::read(ws)?;
    let again = format!("sessions archive {}", quote(&entry.name));
    let Some(Objections { reasons, mut hints }) = objections(ws, &around, entry, &again)? else {
        bail!(
            Failure::refused(format!(
                "session '{}': its worktree {} is missing; there is nothing to archive",
                entry.name,
                entry.path.display()
            ))
            .with_hint("sessions doctor")
        );
    };
    if reasons.is_empty() {
        return Ok(());
    }
    hints.dedup();
    bail!(
        Failure::refused(format!("refusing to archive: {}", reasons.join("; "))).with_hints(hints)
    )
}

/// What keeps ENTRY from being archived, with the commands that would help.
#[derive(Debug, Default)]
pub struct Objections {
    pub reasons: Vec<String>,
    pub hints: Vec<String>,
}

/// Why ENTRY cannot be archived now (no reasons: it can), or `None` when
/// its worktree is missing and there is nothing to archive. Everything
/// `rm` objects to counts, but uncommitted changes (saved) and the branch
/// (kept). AGAIN is the command that tries again, for the hints.
pub(super) fn objections(
    ws: &Workspace,
    around: &Surroundings,
    entry: &Entry,
    again: &str,
) -> Result<Option<Objections>> {
    let options = RemoveOptions {
        keep_branch: true,
        ..RemoveOptions::default()
    };
    let plan = plan_removal(ws, around, entry.clone(), options)?;
    if plan.worktree_gone {
        return Ok(None);
    }
    let on_branch = plan
        .worktree
        .as_ref()
        .is_some_and(|w| w.branch.as_deref() == Some(entry.branch.as_str()));
    let mut found = Objections {
        reasons: plan.blockers.iter().map(ToString::to_string).collect(),
        hints: plan.blockers.iter().map(|b| b.hint()).collect(),
    };
    for risk in plan
        .risks
        .iter()
        .filter(|r| !matches!(r, Risk::Changes { .. }))
    {
        found.reasons.push(risk.to_string());
        found.hints.extend(risk.hints(again));
    }
    if !on_branch {
        found.reasons.push(format!(
            "session '{}' is not on its branch '{}' (restore checks that branch out)",
            entry.name, entry.branch
        ));
        found.hints.push(format!(
            "git -C {} switch {}",
            crate::shell::quote_path(&entry.path),
            quote(&entry.branch)
        ));
    }
    Ok(Some(found))
}

/// Brings archived session NAME back: its worktree at its path on its
/// branch, the saved work exactly as it was (staged, unstaged, untracked),
/// ignored files copied as `new` copies them. Setup is the caller's, as
/// for `new`.
pub fn restore(ws: &Workspace, name: &str) -> Result<Entry> {
    interrupt::install();
    // As for `new`: any question about the project's setup comes before
    // anything is made, and never under the registry lock.
    if ws.config.setup.source.is_project() && !ws.config.setup.value.is_empty() {
        ws.approval()?;
    }
    let mut registry = ws.registry.lock()?;
    let entry = find_entry(&registry.sessions, name)?.clone();
    let Some(archived) = &entry.archived else {
        bail!(
            Failure::usage(format!("session '{name}' is not archived"))
                .with_hint(format!("sessions path {}", quote(name)))
        );
    };
    let commit = saved_commit(ws, &entry, archived)?;
    let saved = ws.repo.saved_work(commit)?;
    if entry.path.exists() || fs::symlink_metadata(&entry.path).is_ok() {
        bail!(
            Failure::refused(format!(
                "{} is occupied; the session must come back at the same path (its agent's conversation is filed under it)",
                entry.path.display()
            ))
            .with_hints([
                "sessions doctor".to_string(),
                format!(
                    "mv -- {} <elsewhere> && sessions restore {}",
                    crate::shell::quote_path(&entry.path),
                    quote(name)
                ),
            ])
        );
    }
    match ws.repo.branch_tip(&entry.branch) {
        None => ws.repo.create_branch(&entry.branch, saved.head)?,
        Some(tip) if tip != saved.head => ws.ui.warn(&format!(
            "branch '{}' moved since session '{name}' was archived; its saved files go back on top of the new tip",
            entry.branch
        )),
        Some(_) => {}
    }
    if let Some(holder) = ws
        .repo
        .worktrees()?
        .into_iter()
        .find(|w| w.branch.as_deref() == Some(entry.branch.as_str()))
    {
        bail!(
            Failure::refused(format!(
                "branch '{}' is checked out at {}",
                entry.branch,
                holder.path.display()
            ))
            .with_hint(format!(
                "git -C {} switch --detach",
                crate::shell::quote_path(&holder.path)
            ))
        );
    }
    interrupt::check()?;
    let mut undo = Undo {
        ws,
        entry: &entry,
        done: false,
    };
    let busy = ws.ui.busy("Checking out");
    ws.repo.add_worktree(&entry.path, &entry.branch)?;
    drop(busy);
    interrupt::check()?;
    ws.repo.put_back(&entry.path, &saved)?;
    let (work, index) = (
        ws.repo.work_tree_now(&entry.path)?,
        ws.repo.index_tree_now(&entry.path)?,
    );
    if (work, index) != (saved.work_tree, saved.index_tree) {
        bail!(
            "the files put back in {} do not match the saved work {}; the session stays archived",
            entry.path.display(),
            saved.commit
        );
    }
    if let Some(root) = ws.repo.main_worktree() {
        copy::ignored_files(&ws.repo, root, &entry.path, &ws.config.copy.value, ws.ui)?;
    }
    interrupt::check()?;
    let mut restored = entry.clone();
    restored.archived = None;
    let slot = registry.sessions.iter_mut().find(|e| e.name == name);
    *slot.context("the session left the registry")? = restored.clone();
    registry.save()?;
    undo.done = true;
    // Last: until the entry is back, the ref is what holds the work.
    if let Err(e) = ws.repo.delete_archive_ref(name) {
        ws.ui
            .warn(&format!("{e:#}; `sessions doctor --fix` deletes it"));
    }
    Ok(restored)
}

/// The commit of archived ENTRY's saved work: its ref, else (the ref was
/// lost) the one the registry recorded.
pub(super) fn saved_commit(ws: &Workspace, entry: &Entry, archived: &Archived) -> Result<Oid> {
    let recorded = parse_oid(&archived.commit);
    match ws.repo.archive_tip(&entry.name).or(recorded) {
        Some(commit) => Ok(commit),
        None => bail!(
            Failure::error(format!(
                "session '{}': its saved work {} is gone",
                entry.name,
                crate::git::archive_ref(&entry.name)
            ))
            .with_hint("sessions doctor")
        ),
    }
}

/// Removes a worktree `restore` made, unless it finished.
struct Undo<'a> {
    ws: &'a Workspace,
    entry: &'a Entry,
    done: bool,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let path = &self.entry.path;
        if path.exists() {
            let _ = self.ws.repo.remove_worktree(path, RemovalChecks::None);
        }
        if let Ok(worktrees) = self.ws.repo.worktrees()
            && let Some(ours) = worktrees.iter().find(|w| &w.path == path)
        {
            let _ = self.ws.repo.remove_admin_entry(ours);
        }
        remove_empty_parent(path);
    }
}
