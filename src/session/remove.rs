use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use git2::Oid;

use super::{Workspace, find_entry};
use crate::error::Failure;
use crate::git::{self, Repo, Worktree};
use crate::registry::Entry;

/// How `rm` may go about it.
#[derive(Debug, Default, Clone, Copy)]
pub struct RemoveOptions {
    /// Remove even with uncommitted changes or commits that exist nowhere else.
    pub force: bool,
    /// Never delete the branch.
    pub keep_branch: bool,
}

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

/// What removing one session would mean, worked out before touching anything.
struct RemovalPlan {
    entry: Entry,
    delete_branch: Option<&'static str>,
    keep_reason: &'static str,
    risks: Vec<String>,
}

/// Removes sessions: their worktrees, registry entries and, where safe,
/// branches. Refuses all of them, touching nothing, when any would lose work
/// (unless forced).
pub fn remove(ws: &Workspace, names: &[String], options: RemoveOptions) -> Result<Vec<Removed>> {
    let mut registry = ws.registry.lock()?;
    let worktrees = ws.repo.worktrees()?;
    let mut plans = Vec::new();
    for name in dedup(names) {
        let entry = find_entry(&registry.sessions, name)?.clone();
        plans.push(plan_removal(ws, &worktrees, entry, options)?);
    }
    let risks: Vec<String> = plans.iter().flat_map(|p| p.risks.clone()).collect();
    if !risks.is_empty() && !options.force {
        bail!(
            Failure::refused(format!("refusing to remove: {}", risks.join("; "))).with_hint(
                "commit or push that work first, or pass --force to remove anyway and lose it"
            )
        );
    }

    let mut removed = Vec::new();
    for plan in plans {
        let entry = &plan.entry;
        super::hooks::teardown(ws, entry)?;
        if entry.path.exists() {
            ws.repo
                .remove_worktree(&entry.path, options.force)
                .map_err(|e| {
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
            None => BranchFate::Kept {
                branch: entry.branch.clone(),
                why: plan.keep_reason,
            },
        };
        registry.sessions.retain(|e| e.name != entry.name);
        registry.save()?;
        removed.push(Removed {
            name: entry.name.clone(),
            path: entry.path.clone(),
            branch,
        });
    }
    Ok(removed)
}

fn plan_removal(
    ws: &Workspace,
    worktrees: &[Worktree],
    entry: Entry,
    options: RemoveOptions,
) -> Result<RemovalPlan> {
    if ws.repo.main_worktree() == Some(entry.path.as_path()) {
        bail!(Failure::refused(format!(
            "session '{}' points at the main worktree, which is never removed",
            entry.name
        )));
    }
    let mut risks = Vec::new();
    if entry.path.is_dir() {
        let status = Repo::status(&entry.path)?;
        if !status.is_clean() {
            risks.push(format!(
                "session '{}' has {} in {}",
                entry.name,
                status.describe(),
                entry.path.display()
            ));
        }
    }

    let tip = ws.repo.branch_tip(&entry.branch);
    let (delete_branch, keep_reason) = match tip {
        None => (None, "it no longer exists"),
        Some(_) if !entry.owns_branch => (None, "the session did not create it"),
        Some(_) if options.keep_branch => (None, "--keep-branch"),
        Some(tip) => {
            let base_tip = ws
                .repo
                .try_resolve_commit(&entry.base)
                .or_else(|| git::parse_oid(&entry.base_commit));
            let started = git::parse_oid(&entry.base_commit);
            let empty = match started {
                Some(start) => ws.repo.is_ancestor(tip, start)?,
                None => false,
            };
            let merged = match base_tip {
                Some(base) => ws.repo.content_merged(tip, base)?,
                None => false,
            };
            let elsewhere = worktrees.iter().any(|w| {
                w.branch.as_deref() == Some(entry.branch.as_str()) && w.path != entry.path
            });
            if elsewhere {
                (None, "it is checked out in another worktree")
            } else if merged || empty {
                (Some("merged"), "")
            } else {
                let unpushed = ws.repo.unpushed_commits(tip, base_tip)?;
                if unpushed.is_empty() {
                    (
                        None,
                        "it is not merged into its base (its commits are on a remote)",
                    )
                } else {
                    risks.push(format!(
                        "branch '{}' has {} commit{} that exist nowhere else (neither in {} nor on a remote)",
                        entry.branch,
                        unpushed.len(),
                        if unpushed.len() == 1 { "" } else { "s" },
                        entry.base
                    ));
                    (Some("forced"), "")
                }
            }
        }
    };
    Ok(RemovalPlan {
        entry,
        delete_branch,
        keep_reason,
        risks,
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
