use std::fs;
use std::path::{Path, PathBuf};

use crate::git::Oid;
use anyhow::{Context, Result, bail};

use super::Workspace;
use super::safety::{
    BranchOutcome, Keeping, RemovalPlan, RemoveOptions, Risk, Surroundings, plan_removal,
};
use super::validate::valid_entry;
use crate::error::Failure;
use crate::git::RemovalChecks;
use crate::interrupt;
use crate::registry::Locked;
use crate::shell::quote;

/// What happened to one removed session's branch.
#[derive(Debug)]
pub enum BranchFate {
    Deleted { branch: String, tip: Option<Oid> },
    Kept { branch: String, why: Keeping },
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
    interrupt::install();
    let mut registry = ws.registry.lock()?;
    let around = Surroundings::read(ws)?;
    let mut plans = Vec::new();
    for name in dedup(names) {
        let entry = valid_entry(ws, &registry.sessions, name)?.clone();
        plans.push(plan_removal(ws, &around, entry, options)?);
    }
    refuse_unless_acceptable(&plans, options.force)?;
    plans
        .into_iter()
        .map(|plan| execute(ws, &mut registry, plan, options))
        .collect()
}

/// The refusal (exit 3) when any of PLANS has a blocker, or a risk and
/// FORCE is not given.
pub(super) fn refuse_unless_acceptable(plans: &[RemovalPlan], force: bool) -> Result<()> {
    let blockers: Vec<String> = plans
        .iter()
        .flat_map(|p| p.blockers.iter().map(ToString::to_string))
        .collect();
    if !blockers.is_empty() {
        let hint = plans
            .iter()
            .flat_map(|p| &p.blockers)
            .map(|b| b.hint())
            .next()
            .unwrap_or_default();
        bail!(
            Failure::refused(format!("refusing to remove: {}", blockers.join("; ")))
                .with_hint(hint)
        );
    }
    let risks: Vec<String> = plans
        .iter()
        .flat_map(|p| p.risks.iter().map(ToString::to_string))
        .collect();
    if !risks.is_empty() && !force {
        // The ones at risk only, by their own hints: what saves their work.
        let names: Vec<String> = plans
            .iter()
            .filter(|p| !p.risks.is_empty())
            .map(|p| quote(&p.entry.name))
            .collect();
        let again = format!("sessions rm {}", names.join(" "));
        let mut hints: Vec<String> = Vec::new();
        for plan in plans {
            // Mid-rebase, the changes are the rebase's: finishing or
            // aborting it is the step, never committing or stashing them.
            let operation = plan
                .risks
                .iter()
                .any(|r| matches!(r, Risk::Operation { .. }));
            for risk in &plan.risks {
                if operation && matches!(risk, Risk::Changes { .. }) {
                    continue;
                }
                for hint in risk.hints(&again) {
                    if !hints.contains(&hint) {
                        hints.push(hint);
                    }
                }
            }
        }
        bail!(
            Failure::refused(format!(
                "refusing to remove: {}; `sessions rm --force {}` would remove {} anyway and delete that work",
                risks.join("; "),
                names.join(" "),
                if names.len() == 1 { "it" } else { "them" }
            ))
            .with_hints(hints)
        );
    }
    Ok(())
}

/// Carries out one plan the caller has judged acceptable, saving the
/// registry as soon as the session is gone. Teardown runs first; whatever
/// it (or anything else meanwhile) left behind is checked for again, under
/// the registry lock, before the worktree goes.
pub(super) fn execute(
    ws: &Workspace,
    registry: &mut Locked,
    plan: RemovalPlan,
    options: RemoveOptions,
) -> Result<Removed> {
    let plan = if !ws.config.teardown.value.is_empty() && plan.entry.path.is_dir() {
        super::lifecycle::teardown(ws, &plan.entry)?;
        let around = Surroundings::read(ws)?;
        let again = plan_removal(ws, &around, plan.entry, options)?;
        refuse_unless_acceptable(std::slice::from_ref(&again), options.force)
            .context("checked again after teardown")?;
        again
    } else {
        plan
    };
    // Ctrl-C or SIGTERM by now (during teardown, say) stops before this
    // session loses anything; the ones already removed stay removed.
    interrupt::check()?;
    let entry = &plan.entry;
    if !plan.worktree_gone {
        // The plan has just found it clean and unlocked, or --force says
        // to remove it whatever it holds.
        let checks = if options.force {
            RemovalChecks::None
        } else {
            RemovalChecks::DoneByCaller
        };
        let worktree = plan.worktree.as_ref();
        super::trash::remove_worktree(ws, &entry.name, &entry.path, worktree, checks)?;
    } else if let Some(worktree) = &plan.worktree {
        ws.repo.remove_admin_entry(worktree)?;
    }
    remove_empty_parent(&entry.path);
    for p in &plan.idle {
        ws.ui.warn(&format!(
            "{p} sat idle in {}, which is removed: it is left in a deleted folder; `cd` out of it there",
            entry.path.display()
        ));
    }
    let branch = match plan.branch {
        BranchOutcome::Delete(_) => {
            let tip = ws.repo.branch_tip(&entry.branch);
            ws.repo.delete_branch(&entry.branch)?;
            BranchFate::Deleted {
                branch: entry.branch.clone(),
                tip,
            }
        }
        BranchOutcome::Keep(why) => {
            // A branch the session made, kept for a reason other than being
            // asked to: doctor keeps track of it until it goes.
            if why.left_behind() && ws.repo.branch_tip(&entry.branch).is_some() {
                registry.leave_branch(&entry.name, &entry.branch, &entry.base);
            }
            BranchFate::Kept {
                branch: entry.branch.clone(),
                why,
            }
        }
    };
    // Its saved work goes with it (the plan weighed it as work), before
    // the entry: doctor puts back a lost ref from an entry, never the reverse.
    if entry.is_archived() {
        ws.repo.delete_archive_ref(&entry.name)?;
    }
    super::size::forget(ws, &entry.name);
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
pub(super) fn remove_empty_parent(path: &Path) {
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
