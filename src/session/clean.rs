//! `clean`: remove every session that is finished (merged, or its folder
//! gone) and safe to remove by the same rules as `rm`; keep the rest.

use std::path::PathBuf;

use anyhow::Result;

use super::remove::{Removed, execute};
use super::safety::{RemoveOptions, Surroundings, plan_removal};
use super::status::{Summary, summarize_all};
use super::{Workspace, find_entry};

/// A session `clean` considered, and why it goes or stays.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub name: String,
    pub path: PathBuf,
    pub why: String,
}

#[derive(Debug, Default)]
pub struct CleanPlan {
    pub remove: Vec<Candidate>,
    pub keep: Vec<Candidate>,
}

/// What `clean` would do now; changes nothing.
pub fn clean_plan(ws: &Workspace) -> Result<CleanPlan> {
    let entries = ws.registry.read()?;
    let around = Surroundings::read(ws)?;
    // The real run keeps these (see `clean_apply`): so must the plan.
    let invalid = super::validate::violations(ws, &around.worktrees, &entries);
    let summaries = summarize_all(&ws.repo, entries)?;
    let mut plan = CleanPlan::default();
    for s in summaries {
        let candidate = |why: String| Candidate {
            name: s.entry.name.clone(),
            path: s.entry.path.clone(),
            why,
        };
        if s.entry.is_archived() {
            plan.keep.push(candidate("archived".into()));
            continue;
        }
        if let Some(v) = invalid.iter().find(|v| v.name == s.entry.name) {
            plan.keep
                .push(candidate(format!("{}; see `sessions doctor`", v.problem)));
            continue;
        }
        let Some(reason) = finished(&s) else {
            plan.keep.push(candidate(unfinished(&s)));
            continue;
        };
        let removal = plan_removal(ws, &around, s.entry.clone(), RemoveOptions::default())?;
        if removal.is_safe() {
            plan.remove.push(candidate(reason));
        } else {
            plan.keep.push(candidate(removal.objections().join("; ")));
        }
    }
    Ok(plan)
}

/// Removes the sessions NAMES (from a plan), checking each against the
/// safety rules once more under the registry lock. Returns what went and what
/// stayed after all, with why.
pub fn clean_apply(ws: &Workspace, names: &[String]) -> Result<(Vec<Removed>, Vec<Candidate>)> {
    crate::interrupt::install();
    let mut registry = ws.registry.lock()?;
    let around = Surroundings::read(ws)?;
    let (mut removed, mut kept) = (Vec::new(), Vec::new());
    for name in names {
        let Ok(entry) = find_entry(&registry.sessions, name).cloned() else {
            continue;
        };
        // Archived since the plan: parked, not finished.
        if entry.is_archived() {
            continue;
        }
        if let Err(e) = super::validate::valid_entry(ws, &registry.sessions, name) {
            let (name, path) = (entry.name, entry.path);
            kept.push(Candidate {
                name,
                path,
                why: format!("{e:#}"),
            });
            continue;
        }
        let removal = plan_removal(ws, &around, entry, RemoveOptions::default())?;
        let (name, path) = (removal.entry.name.clone(), removal.entry.path.clone());
        let why = if removal.is_safe() {
            match execute(ws, &mut registry, removal, RemoveOptions::default()) {
                Ok(done) => {
                    removed.push(done);
                    continue;
                }
                // Stop at a signal rather than go on to the next session.
                Err(e) if crate::interrupt::received() => return Err(e),
                Err(e) => format!("{e:#}"),
            }
        } else {
            removal.objections().join("; ")
        };
        kept.push(Candidate { name, path, why });
    }
    Ok((removed, kept))
}

/// Why session S is finished, or `None` while it is not.
fn finished(s: &Summary) -> Option<String> {
    if s.missing && !s.entry.path.exists() {
        Some("its folder is gone".into())
    } else if s.missing {
        Some("its folder is no longer a git worktree".into())
    } else if let Some(landed) = &s.landed {
        Some(format!("landed in {} ({})", landed.branch, landed.note()))
    } else if s.merged {
        Some(format!("merged into {}", s.entry.base))
    } else {
        None
    }
}

fn unfinished(s: &Summary) -> String {
    if s.head.is_none() {
        format!("its branch '{}' is gone", s.entry.branch)
    } else if s.empty {
        "no commits of its own yet".into()
    } else {
        let plural = if s.ahead == 1 { "" } else { "s" };
        format!(
            "not merged into {} ({} commit{plural} ahead)",
            s.entry.base, s.ahead
        )
    }
}

#[cfg(test)]
mod tests;
