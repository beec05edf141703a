use std::fs;
use std::path::{Path, PathBuf};

use crate::git::Oid;
use anyhow::{Result, bail};
use jiff::Timestamp;

use super::Workspace;
use super::safety::{RemovalPlan, RemoveOptions, Surroundings, plan_removal};
use super::validate::valid_entry;
use crate::error::Failure;
use crate::git::RemovalChecks;
use crate::registry::{LeftBranch, Locked};

/// What happened to one removed session's branch.
#[derive(Debug)]
pub enum BranchFate {
    Deleted { branch: String, tip: Option<Oid> },
    Kept { branch: String, why: &'static str },
}

#[derive(Debug)]
pub struct Removed {
    pub name: String,
    pub path: PathBuf,
    pub branch: BranchFate,
}

/// Removes sessions: their worktrees, registry entries and, where safe,
/// branches. Refuses all of them, touching nothing, when any would lose work
/// (unless forced) or has a live process inside (always).
pub fn remove(ws: &Workspace, names: &[String], options: RemoveOptions) -> Result<Vec<Removed>> {
    let mut registry = ws.registry.lock()?;
    let around = Surroundings::read(ws)?;
    let mut plans = Vec::new();
    for name in dedup(names) {
        let entry = valid_entry(ws, &registry.sessions, name)?.clone();
        plans.push(plan_removal(ws, &around, entry, options)?);
    }
    let blockers: Vec<&String> = plans.iter().flat_map(|p| &p.blockers).collect();
    if !blockers.is_empty() {
        bail!(
            Failure::refused(format!("refusing to remove: {}", join(&blockers))).with_hint(
                "--force does not override this; stop the process (or leave its folder) first"
            )
        );
    }
    let risks: Vec<&String> = plans.iter().flat_map(|p| &p.risks).collect();
    if !risks.is_empty() && !options.force {
        bail!(
            Failure::refused(format!("refusing to remove: {}", join(&risks))).with_hint(
                "commit or push that work (or unlock the worktree) first, or pass --force to remove anyway"
            )
        );
    }
    plans
        .into_iter()
        .map(|plan| execute(ws, &mut registry, plan, options.force))
        .collect()
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Carries out one plan the caller has judged acceptable, saving the
/// registry as soon as the session is gone.
pub(super) fn execute(
    ws: &Workspace,
    registry: &mut Locked,
    plan: RemovalPlan,
    force: bool,
) -> Result<Removed> {
    let entry = &plan.entry;
    super::hooks::teardown(ws, entry)?;
    if !plan.worktree_gone {
        let checks = if force {
            RemovalChecks::None
        } else if plan.checked_clean && !entry.path.join(".gitmodules").exists() {
            RemovalChecks::DoneByCaller
        } else {
            RemovalChecks::ByGit
        };
        ws.repo.remove_worktree(&entry.path, checks).map_err(|e| {
            // Git re-checks cleanliness itself: anything that appeared
            // since our check is protected the same way.
            Failure::refused(format!("{e:#}"))
                .with_hint("pass --force to remove the worktree anyway")
        })?;
    } else {
        ws.repo.prune_worktrees()?;
    }
    remove_empty_parent(&entry.path);
    let branch = match plan.delete_branch {
        Some(_) => {
            let tip = ws.repo.branch_tip(&entry.branch);
            ws.repo.delete_branch(&entry.branch)?;
            BranchFate::Deleted {
                branch: entry.branch.clone(),
                tip,
            }
        }
        None => {
            // A branch the session made, kept for a reason other than being
            // asked to: doctor keeps track of it until it goes.
            if entry.owns_branch
                && plan.keep_reason != "--keep-branch"
                && ws.repo.branch_tip(&entry.branch).is_some()
            {
                registry.left_branches.retain(|l| l.branch != entry.branch);
                registry.left_branches.push(LeftBranch {
                    session: entry.name.clone(),
                    branch: entry.branch.clone(),
                    base: entry.base.clone(),
                    removed_at: Timestamp::now(),
                });
            }
            BranchFate::Kept {
                branch: entry.branch.clone(),
                why: plan.keep_reason,
            }
        }
    };
    registry.sessions.retain(|e| e.name != entry.name);
    // Records of left-behind branches deleted since by hand go too.
    registry
        .left_branches
        .retain(|l| ws.repo.branch_tip(&l.branch).is_some());
    registry.save()?;
    Ok(Removed {
        name: entry.name.clone(),
        path: entry.path.clone(),
        branch,
    })
}

/// The default layout puts sessions in `<repo>.sessions/`; once the last one
/// goes, so does that folder.
fn remove_empty_parent(path: &Path) {
    if let Some(parent) = path.parent()
        && parent.extension().is_some_and(|ext| ext == "sessions")
    {
        let _ = fs::remove_dir(parent);
    }
}

fn dedup(names: &[String]) -> Vec<&str> {
    let mut seen = Vec::new();
    for name in names {
        if !seen.contains(&name.as_str()) {
            seen.push(name.as_str());
        }
    }
    seen
}
