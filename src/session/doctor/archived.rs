//! Archives and restores stopped half-way (see session/archive.rs for the
//! order of their steps), and saved work no session records.

use super::*;
use crate::git::{Oid, RemovalChecks, archive_ref, parse_oid};

/// The repair of one half-done archive or restore.
#[derive(Debug, Clone)]
pub(in crate::session) enum ArchiveFix {
    /// The session is not archived and its worktree holds its work: the
    /// ref an archive wrote before it stopped (or a restore left) goes.
    DropRef { name: String },
    /// The session is archived but its ref is gone: written again from
    /// the commit the registry recorded.
    WriteRef { name: String, commit: Oid },
    /// The session is archived but its worktree is still there, holding
    /// exactly the saved work (or its branch's tip, untouched): it goes.
    RemoveWorktree { name: String },
}

pub(super) fn archive_findings(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
) -> Result<Vec<Finding>> {
    let mut found = Vec::new();
    let refs = ws.repo.archive_refs()?;
    for (name, commit) in &refs {
        let saved = archive_ref(name);
        match entries.iter().find(|e| &e.name == name) {
            Some(e) if e.is_archived() => {}
            Some(e) if !worktree_gone(worktrees, &e.path) => found.push(finding(
                Kind::InterruptedArchive,
                format!(
                    "session '{name}': an archive or restore stopped half-way and left {saved}; its worktree {} holds the work",
                    tilde(&e.path)
                ),
                "sessions doctor --fix".into(),
                Action::Archive(ArchiveFix::DropRef { name: name.clone() }),
            )),
            _ => found.push(finding(
                Kind::InterruptedArchive,
                format!(
                    "{saved} holds saved work ({}) of no archived session",
                    git::short(*commit)
                ),
                format!(
                    "git branch {} {saved} && git update-ref -d {saved}",
                    quote(&format!("rescued-{name}"))
                ),
                Action::Manual,
            )),
        }
    }
    for e in entries.iter().filter(|e| e.is_archived()) {
        let recorded = e.archived.as_ref().and_then(|a| parse_oid(&a.commit));
        if !refs.iter().any(|(name, _)| name == &e.name) {
            let action = match recorded.filter(|c| ws.repo.saved_work(*c).is_ok()) {
                Some(commit) => Action::Archive(ArchiveFix::WriteRef {
                    name: e.name.clone(),
                    commit,
                }),
                None => Action::Manual,
            };
            found.push(finding(
                Kind::InterruptedArchive,
                format!(
                    "archived session '{}': its saved work {} is gone",
                    e.name,
                    archive_ref(&e.name)
                ),
                match action {
                    Action::Manual => format!("sessions rm --force {}", quote(&e.name)),
                    _ => "sessions doctor --fix".into(),
                },
                action,
            ));
        }
        if worktree_at(worktrees, &e.path).is_some() || e.path.exists() {
            let action = match leftover_is_saved(ws, worktrees, e) {
                true => Action::Archive(ArchiveFix::RemoveWorktree {
                    name: e.name.clone(),
                }),
                false => Action::Manual,
            };
            found.push(finding(
                Kind::InterruptedArchive,
                format!(
                    "archived session '{}': an archive or restore stopped half-way and left {}",
                    e.name,
                    tilde(&e.path)
                ),
                match action {
                    Action::Manual => format!(
                        "mv -- {} <elsewhere> && sessions restore {}",
                        quote_path(&e.path),
                        quote(&e.name)
                    ),
                    _ => "sessions doctor --fix".into(),
                },
                action,
            ));
        }
    }
    Ok(found)
}

/// Whether archived session E's leftover worktree holds nothing its saved
/// work does not: exactly the saved files, or its branch's tip untouched (a
/// restore stopped before it put them back).
fn leftover_is_saved(ws: &Workspace, worktrees: &[Worktree], e: &Entry) -> bool {
    let Some(w) = worktree_at(worktrees, &e.path).filter(|w| !w.prunable) else {
        return false;
    };
    let saved = e
        .archived
        .as_ref()
        .and_then(|a| parse_oid(&a.commit))
        .and_then(|c| ws.repo.saved_work(c).ok());
    let (Some(saved), Ok(now)) = (saved, ws.repo.work_tree_now(&e.path)) else {
        return false;
    };
    let head_tree = ws.repo.commit_tree(saved.head).ok();
    w.locked.is_none() && (now == saved.work_tree || Some(now) == head_tree)
}

pub(super) fn fix(ws: &Workspace, fix: &ArchiveFix) -> Result<String> {
    // Held throughout: no archive, restore or rm meanwhile.
    let registry = ws.registry.lock()?;
    let entry = registry.sessions.iter().find(|e| match fix {
        ArchiveFix::DropRef { name }
        | ArchiveFix::WriteRef { name, .. }
        | ArchiveFix::RemoveWorktree { name } => &e.name == name,
    });
    let worktrees = ws.repo.worktrees()?;
    match (fix, entry) {
        (ArchiveFix::DropRef { name }, Some(e))
            if !e.is_archived() && !worktree_gone(&worktrees, &e.path) =>
        {
            ws.repo.delete_archive_ref(name)?;
            Ok(format!("deleted {}", archive_ref(name)))
        }
        (ArchiveFix::WriteRef { name, commit }, Some(e)) if e.is_archived() => {
            ws.repo.set_archive_ref(name, *commit)?;
            Ok(format!("wrote {} again", archive_ref(name)))
        }
        (ArchiveFix::RemoveWorktree { name }, Some(e))
            if e.is_archived() && leftover_is_saved(ws, &worktrees, e) =>
        {
            let path = e.path.clone();
            ws.repo.remove_worktree(&path, RemovalChecks::None)?;
            super::super::remove::remove_empty_parent(&path);
            Ok(format!(
                "removed {}, whose work session '{name}' has saved",
                tilde(&path)
            ))
        }
        _ => bail!("things changed since; run `sessions doctor` again"),
    }
}
