//! `clean --artifacts` and `du`: what sessions cost, and deleting only what
//! a build or an install re-creates: ignored folders named in `artifacts`,
//! in sessions no process is busy in, never one a process has its working
//! folder in. Git says, at the moment of deleting, that the folder is
//! ignored as a whole (so nothing in it is tracked or unignored).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::Workspace;
use super::safety::busy_in;
use super::size::{self, Size, is_artifact};
use crate::process;
use crate::registry::Entry;

/// One folder `clean --artifacts` would delete.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub session: String,
    /// Absolute.
    pub path: PathBuf,
    pub bytes: u64,
}

/// A session or folder left alone, and why.
#[derive(Debug, Clone)]
pub struct Spared {
    pub what: String,
    pub why: String,
}

#[derive(Debug, Default)]
pub struct ArtifactPlan {
    pub delete: Vec<Artifact>,
    pub spared: Vec<Spared>,
}

impl ArtifactPlan {
    pub fn bytes(&self) -> u64 {
        self.delete.iter().map(|a| a.bytes).sum()
    }
}

/// What `clean --artifacts` would delete now, OLDER_THAN (unchanged for
/// that long) when given; changes nothing but the size cache.
pub fn artifacts_plan(ws: &Workspace, older_than: Option<Duration>) -> Result<ArtifactPlan> {
    let entries = ws.registry.read()?;
    let sizes = size::sizes(ws, &entries)?;
    let snapshot = process::snapshot();
    let now = crate::clock::now().as_nanosecond();
    let cutoff = older_than.map(|age| now - age.as_nanos() as i128);
    let mut plan = ArtifactPlan::default();
    for (entry, size) in entries.iter().zip(sizes) {
        let Some(size) = size else { continue };
        if size.artifact_folders.is_empty() {
            continue;
        }
        if let Some(why) = busy(entry) {
            plan.spared.push(Spared {
                what: format!("session '{}'", entry.name),
                why,
            });
            continue;
        }
        for folder in size.artifact_folders {
            let path = entry.path.join(&folder.path);
            let spare = |why: String| Spared {
                what: path.display().to_string(),
                why,
            };
            if let Some(p) = process::working_in(&snapshot, &path, &[]).first() {
                plan.spared.push(spare(format!("{p} works in it")));
            } else if cutoff.is_some_and(|c| folder.modified > c) {
                plan.spared.push(spare("changed more recently".into()));
            } else {
                plan.delete.push(Artifact {
                    session: entry.name.clone(),
                    path,
                    bytes: folder.bytes,
                });
            }
        }
    }
    Ok(plan)
}

/// Why no artifact of ENTRY may go now: a process busy in its worktree.
fn busy(entry: &Entry) -> Option<String> {
    busy_in(&entry.path).map(|p| format!("{p} is busy in it"))
}

/// Deletes the folders of PLAN, each checked again first: its session still
/// idle, no process working in it, and git still calling it an ignored
/// folder as a whole. Returns what went and what stayed, with why.
pub fn artifacts_apply(ws: &Workspace, plan: &[Artifact]) -> Result<(Vec<Artifact>, Vec<Spared>)> {
    crate::interrupt::install();
    let entries = ws.registry.read()?;
    let (mut deleted, mut spared) = (Vec::new(), Vec::new());
    for artifact in plan {
        crate::interrupt::check()?;
        let keep = |why: String| Spared {
            what: artifact.path.display().to_string(),
            why,
        };
        let Some(entry) = entries.iter().find(|e| e.name == artifact.session) else {
            spared.push(keep("its session is gone".into()));
            continue;
        };
        if let Some(why) = busy(entry) {
            spared.push(keep(why));
            continue;
        }
        if let Some(p) = process::working_in(&process::snapshot(), &artifact.path, &[]).first() {
            spared.push(keep(format!("{p} works in it")));
            continue;
        }
        let Ok(rel) = artifact.path.strip_prefix(&entry.path) else {
            continue;
        };
        let others = ws.repo.workdir(&entry.path).others()?;
        let still = others
            .ignored
            .iter()
            .any(|o| o.folder && o.path == rel && is_artifact(rel, &ws.config.artifacts.value));
        if !still {
            spared.push(keep("git no longer calls it an ignored folder".into()));
            continue;
        }
        super::trash::discard(ws, &entry.name, &artifact.path)?;
        deleted.push(artifact.clone());
    }
    Ok((deleted, spared))
}

/// `sessions du`: every session's size, the shared object store, and what
/// `clean --artifacts` could free now.
#[derive(Debug)]
pub struct Usage {
    pub sessions: Vec<(Entry, Option<Size>)>,
    /// The repository's objects (`<git common dir>/objects`), which every
    /// session shares.
    pub objects: u64,
    /// Artifacts of sessions nobody is busy in.
    pub reclaimable: u64,
}

pub fn usage(ws: &Workspace) -> Result<Usage> {
    let entries = ws.registry.read()?;
    let sizes = size::sizes(ws, &entries)?;
    let reclaimable = entries
        .iter()
        .zip(&sizes)
        .filter(|(e, _)| busy(e).is_none())
        .filter_map(|(_, s)| s.as_ref().map(|s| s.artifacts))
        .sum();
    Ok(Usage {
        objects: size::folder_usage(&ws.repo.common_dir().join("objects")),
        sessions: entries.into_iter().zip(sizes).collect(),
        reclaimable,
    })
}
