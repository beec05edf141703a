//! `clean`: remove every session that is finished (merged, or its folder
//! gone) and safe to remove by the same rules as `rm`; keep the rest.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::error::Failure;

use super::archive::{self, Archive};
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
    /// Stale sessions that hold work `rm` would refuse to lose
    /// (`clean --stale --archive`).
    pub archive: Vec<Candidate>,
    pub keep: Vec<Candidate>,
}

/// What `clean` does with stale sessions (`stale_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    Keep,
    /// Remove those that are safe to remove.
    Remove,
    /// Remove those that are safe to remove, archive those that hold work.
    RemoveOrArchive,
}

/// What `clean` would do now; changes nothing.
pub fn clean_plan(ws: &Workspace, stale: Stale) -> Result<CleanPlan> {
    if stale != Stale::Keep && ws.config.stale_after().is_none() {
        bail!(
            Failure::usage("--stale needs `stale_after` in the configuration")
                .with_hint("sessions config")
        );
    }
    plan(ws, stale)
}

fn plan(ws: &Workspace, stale: Stale) -> Result<CleanPlan> {
    let entries = ws.registry.read()?;
    let around = Surroundings::read(ws)?;
    // The real run keeps these (see `clean_apply`): so must the plan.
    let invalid = super::validate::violations(ws, &around.worktrees, &entries);
    let mut summaries = summarize_all(&ws.repo, entries)?;
    if stale != Stale::Keep {
        super::stale::mark(ws, &mut summaries);
    }
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
        let Some(reason) = finished(&s).or_else(|| s.stale.then(|| stale_reason(ws))) else {
            plan.keep.push(candidate(unfinished(&s)));
            continue;
        };
        let removal = plan_removal(ws, &around, s.entry.clone(), RemoveOptions::default())?;
        if removal.is_safe() {
            plan.remove.push(candidate(reason));
            continue;
        }
        let objections = removal.objections().join("; ");
        if !(s.stale && stale == Stale::RemoveOrArchive) {
            plan.keep.push(candidate(objections));
            continue;
        }
        match archive::objections(ws, &around, &s.entry, ARCHIVE_AGAIN)? {
            Some(against) if against.reasons.is_empty() => {
                plan.archive
                    .push(candidate(format!("{reason}; {objections}")));
            }
            Some(against) => plan.keep.push(candidate(against.reasons.join("; "))),
            None => plan.keep.push(candidate(objections)),
        }
    }
    Ok(plan)
}

const ARCHIVE_AGAIN: &str = "sessions clean --stale --archive";

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

/// Archives the sessions of a plan's `archive` that are still stale, each
/// checked again by `archive` itself, passing each to ARCHIVED as it goes.
/// Returns the sessions kept, with why. Call it after `clean_apply`: each
/// archive takes the registry lock. Stops at a signal, or at an archive
/// left half-done (its error says `doctor --fix` finishes it).
pub fn clean_archive(
    ws: &Workspace,
    stale: &[Candidate],
    mut archived: impl FnMut(&Archive) -> Result<()>,
) -> Result<Vec<Candidate>> {
    let mut kept = Vec::new();
    // Someone may have gone back to work while the plan waited for a yes.
    let planned = |e: &crate::registry::Entry| stale.iter().any(|c| c.name == e.name);
    let entries = ws.registry.read()?.into_iter().filter(planned).collect();
    let mut summaries = summarize_all(&ws.repo, entries)?;
    super::stale::mark(ws, &mut summaries);
    for c in stale {
        if !summaries.iter().any(|s| s.entry.name == c.name && s.stale) {
            kept.push(Candidate {
                why: "no longer stale".into(),
                ..c.clone()
            });
            continue;
        }
        match archive::archive(ws, &c.name) {
            Ok(done) => archived(&done)?,
            // Stop at a signal rather than go on to the next session.
            Err(e) if crate::interrupt::received() => return Err(e),
            Err(e) if half_archived(ws, &c.name) => return Err(e),
            Err(e) => kept.push(Candidate {
                why: format!("{e:#}"),
                ..c.clone()
            }),
        }
    }
    Ok(kept)
}

/// Whether session NAME's entry says archived (an archive that failed
/// after recording it, which `doctor --fix` finishes).
fn half_archived(ws: &Workspace, name: &str) -> bool {
    ws.registry
        .read()
        .is_ok_and(|entries| entries.iter().any(|e| e.name == name && e.is_archived()))
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

fn stale_reason(ws: &Workspace) -> String {
    let after = ws.config.stale_after.value.as_deref().unwrap_or_default();
    format!("stale: no activity for {after}")
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
