//! `doctor --fix`: carrying out the repairs diagnosis found, each checked
//! again under the registry lock before it changes anything.

use super::*;

/// Carries out one repair; says what it did.
pub(super) fn repair(ws: &Workspace, action: &Action) -> Result<String> {
    match action {
        Action::Rebuild => rebuild(ws),
        Action::Unlock { admin_name } => {
            ws.repo.unlock_worktree(admin_name)?;
            Ok(format!("released the lock on worktree '{admin_name}'"))
        }
        Action::DropEntry { name } => drop_missing(ws, name),
        Action::DropAdminEntry { path } => {
            // Only this one, and only while it is still gone and unlocked.
            let worktrees = ws.repo.worktrees()?;
            match worktree_at(&worktrees, path) {
                Some(w)
                    if w.prunable
                        && w.locked.is_none()
                        && matches!(only_held_by(ws, w), Held::Nothing) =>
                {
                    ws.repo.remove_admin_entry(w)?;
                    Ok(format!("dropped git's entry for {}", tilde(path)))
                }
                _ => Ok(format!("left git's entry for {} alone", tilde(path))),
            }
        }
        Action::Adopt { path } => {
            let (adopted, _) = adopt(ws, std::slice::from_ref(path), false)?;
            let names: Vec<&str> = adopted.iter().map(|e| e.name.as_str()).collect();
            Ok(format!("adopted it as session '{}'", names.join(", ")))
        }
        Action::DeleteBranch { branch } => {
            let mut registry = ws.registry.lock()?;
            // Only a branch the registry records as made by sessions, and
            // only while it is still merged (it may have moved since).
            let Some(left) = registry.left_branches.iter().find(|l| &l.branch == branch) else {
                bail!("the registry no longer records branch '{branch}' as left by a session");
            };
            let still_merged = match (ws.repo.branch_tip(branch), ws.repo.resolve_base(&left.base))
            {
                (Some(tip), Some(base)) => merged_into(&ws.repo, tip, base)?,
                _ => false,
            };
            if !still_merged {
                bail!("branch '{branch}' is no longer merged into {}", left.base);
            }
            ws.repo.delete_branch(branch)?;
            registry.left_branches.retain(|l| &l.branch != branch);
            registry.save()?;
            Ok(format!("deleted merged branch '{branch}'"))
        }
        Action::DropCopies { name } => {
            let mut registry = ws.registry.lock()?;
            let first = find_entry(&registry.sessions, name)?.clone();
            let before = registry.sessions.len();
            let mut kept = false;
            registry.sessions.retain(|e| {
                let copy = e.name == first.name && e.path == first.path && e.branch == first.branch;
                let keep = !copy || !kept;
                kept |= copy;
                keep
            });
            if registry
                .sessions
                .iter()
                .any(|e| e.name == *name && e.path != first.path)
            {
                bail!("its copies differ; edit {}", ws.registry.file().display());
            }
            let dropped = before - registry.sessions.len();
            registry.save()?;
            Ok(format!(
                "dropped {dropped} extra copy(ies) of session '{name}'"
            ))
        }
        Action::Forget { name } => validate::forget(ws, name),
        Action::RepairLinks => {
            ws.repo.repair_worktrees(&[])?;
            Ok("ran `git worktree repair` in the main worktree".into())
        }
        Action::Relocate { to, session } => relocate::relocate(ws, to, session.as_deref()),
        Action::UndoNew { name, pid } => leftovers::undo_new(ws, name, *pid),
        Action::DeleteTemp { file } => leftovers::delete_temp(file),
        Action::EmptyTrash { entry } => crate::session::trash::finish(entry),
        Action::DropHalfWritten { admin } => leftovers::drop_half_written(ws, admin),
        Action::Recover(leftover) => underway::recover(&ws.repo, leftover),
        Action::AgentExited { name } => super::agents::record_exited(ws, name),
        Action::Archive(fix) => archived::fix(ws, fix),
        Action::Manual => bail!("this needs a decision only you can make"),
    }
}

/// Rebuilds a registry that does not parse: every table of it that still
/// reads, as it was (ports, agents, branch ownership); then each worktree
/// of git's that none of them has, as `adopt` would (no port, no agent,
/// its branch never deleted: git cannot tell who made a branch). Says what
/// could not be recovered.
fn rebuild(ws: &Workspace) -> Result<String> {
    let worktrees = ws.repo.worktrees()?;
    let mut from_git = Vec::new();
    let (backup, salvaged) = ws.registry.rebuild(|salvaged| {
        for w in worktrees
            .iter()
            .filter(|w| adoptable(ws, w) && w.branch.is_some())
        {
            let entry = entry_for(ws, w)?;
            let known = |e: &Entry| e.path == entry.path || e.name == entry.name;
            if !salvaged.sessions.iter().any(known) {
                from_git.push(entry.name.clone());
                salvaged.sessions.push(entry);
            }
        }
        Ok(())
    })?;
    let kept = salvaged.sessions.len() - from_git.len();
    let mut done =
        format!("rebuilt the registry: {kept} session(s) read back from it as they were");
    if !from_git.is_empty() {
        done += &format!(
            ", {} from git's worktrees ({}) without their ports, agents or branch ownership (their branches will not be deleted by sessions)",
            from_git.len(),
            quoted(&from_git)
        );
    }
    let lost_names: Vec<String> = salvaged
        .lost
        .iter()
        .flat_map(|l| l.names.iter().cloned())
        .filter(|n| !from_git.contains(n))
        .collect();
    for lost in &salvaged.lost {
        let names = if lost.names.is_empty() {
            String::new()
        } else {
            format!(" ({})", quoted(&lost.names))
        };
        done += &format!(
            "; could not read {} at line {}{names}",
            lost.header, lost.line
        );
    }
    if !lost_names.is_empty() {
        done += &format!(
            "; not recovered, having no worktree: {}",
            quoted(&lost_names)
        );
    }
    Ok(format!(
        "{done}; the broken file is kept as {}",
        backup.display()
    ))
}

fn quoted(names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    names.join(", ")
}

/// Drops the entry of a session whose folder is gone, and git's admin entry
/// with it. Its branch goes only when merged; otherwise it is kept.
fn drop_missing(ws: &Workspace, name: &str) -> Result<String> {
    let mut registry = ws.registry.lock()?;
    let entry = find_entry(&registry.sessions, name)?.clone();
    let around = Surroundings::read(ws)?;
    if !worktree_gone(&around.worktrees, &entry.path) {
        bail!("its worktree is back");
    }
    if let Some(reason) = worktree_at(&around.worktrees, &entry.path).and_then(|w| w.locked.clone())
    {
        bail!(
            "git has it locked ({reason}); if that lock is stale: `git worktree unlock {}`",
            quote_path(&entry.path)
        );
    }
    // Unpushed commits stay on the branch; anything else at risk (commits
    // only the worktree holds, an operation in progress) keeps the session.
    let options = RemoveOptions {
        unpushed: Unpushed::KeepBranch,
        ..RemoveOptions::default()
    };
    let plan = plan_removal(ws, &around, entry, options)?;
    if !plan.is_safe() {
        bail!(plan.objections().join("; "));
    }
    // The worktree is gone and no other checks the branch out, and sessions
    // changes a session's branch only under the registry lock we hold: a
    // lock on it is a killed `rm`'s, and would stop it from ever going.
    let mut unlocked = String::new();
    if matches!(plan.branch, BranchOutcome::Delete(_))
        && ws.repo.remove_branch_lock(&plan.entry.branch)?
    {
        unlocked = format!("removed the stale lock of branch '{}'; ", plan.entry.branch);
    }
    let removed = execute(ws, &mut registry, plan, options).context("cannot drop the entry")?;
    Ok(match removed.branch {
        crate::session::BranchFate::Deleted { branch, .. } => {
            format!("{unlocked}dropped the entry and deleted merged branch '{branch}'")
        }
        crate::session::BranchFate::Kept { branch, why } => {
            format!("{unlocked}dropped the entry; kept branch '{branch}': {why}")
        }
    })
}
