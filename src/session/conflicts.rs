//! The conflict radar: what each session changed itself (its commits since
//! it left its base, its uncommitted and untracked work), and how those
//! changes would meet each other and the base's current tip, by trial
//! merges in memory.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::Result;

use super::Workspace;
use super::parallel::{Load, in_parallel};
use super::status::worktree_at;
use crate::git::{self, MergePrediction, Oid, Operation, Repo, WorkSnapshot};
use crate::registry::Entry;

/// What `b` is called when the other side is the session's base branch.
pub const BASE: &str = "base";

/// The prediction for one pair.
#[derive(Debug)]
pub struct PairReport {
    pub a: String,
    /// A session, or `base` for the tip of A's base branch.
    pub b: String,
    /// Paths that would conflict.
    pub conflicts: Vec<String>,
    /// Paths both sides changed that would merge cleanly.
    pub overlaps: Vec<String>,
}

/// A session stopped in the middle of a git operation: not compared (its
/// worktree is half-way between two states), but reported with the paths
/// it has in conflict now.
#[derive(Debug)]
pub struct InProgress {
    pub name: String,
    pub path: PathBuf,
    pub operation: Operation,
    /// Paths git has unmerged there.
    pub conflicts: Vec<String>,
}

/// Every pair compared, the sessions caught mid-operation, and the
/// sessions left out with the reason. Sessions with no changes of their own
/// are in no pair.
#[derive(Debug)]
pub struct Radar {
    pub pairs: Vec<PairReport>,
    pub in_progress: Vec<InProgress>,
    pub skipped: Vec<(String, String)>,
}

/// A session the radar compares: its worktree's state and the base tip
/// its work is to land on.
struct Compared<'a> {
    entry: &'a Entry,
    snapshot: WorkSnapshot,
    tip: Oid,
}

/// A session's own work: where it left its base, and the paths it has
/// changed since, with its base's changes of those paths as a pair.
struct Own {
    fork: Oid,
    paths: BTreeSet<String>,
    base: MergePrediction,
}

/// Compares the own changes of every pair of live sessions, and of each
/// session with its base's current tip; with NAMES, only the pairs
/// involving those sessions. Touches nothing: the repository's objects,
/// indexes, worktrees, HEADs and refs stay as they are.
pub fn conflicts(ws: &Workspace, names: &[String]) -> Result<Radar> {
    let entries = ws.registry.read()?;
    for name in names {
        super::validate::valid_entry(ws, &entries, name)?;
    }
    let chosen = |name: &str| names.is_empty() || names.iter().any(|n| n == name);
    let mut radar = Radar {
        pairs: Vec::new(),
        in_progress: Vec::new(),
        skipped: Vec::new(),
    };
    let worktrees = ws.repo.worktrees()?;
    let mut live = Vec::new();
    for entry in &entries {
        match worktree_at(&worktrees, &entry.path).filter(|_| entry.path.is_dir()) {
            Some(worktree) => live.push((entry, ws.repo.operation_in_progress(worktree))),
            None => radar
                .skipped
                .push((entry.name.clone(), "its worktree is missing".to_string())),
        }
    }

    // Reading worktrees is mostly `git status`, a process of its own each.
    let read = in_parallel(
        &live,
        Load::Processes,
        || Ok(()),
        |_, (entry, _)| WorkSnapshot::read(&entry.path),
    )?;
    let mut sessions = Vec::new();
    for ((entry, operation), snapshot) in live.into_iter().zip(read) {
        let skip = |why: String| (entry.name.clone(), why);
        if let Some(operation) = operation {
            if chosen(&entry.name) {
                radar.in_progress.push(InProgress {
                    name: entry.name.clone(),
                    path: entry.path.clone(),
                    operation,
                    conflicts: snapshot.unmerged,
                });
            }
        } else if snapshot.head.is_none() {
            radar.skipped.push(skip("it has no commit yet".into()));
        } else if let Some(tip) = ws.repo.resolve_base(&entry.base) {
            sessions.push(Compared {
                entry,
                snapshot,
                tip,
            });
        } else {
            let why = format!("its base '{}' no longer resolves", entry.base);
            radar.skipped.push(skip(why));
        }
    }

    // A `Repository` may not be shared between threads, and trees written
    // to one's in-memory backend are seen by it alone: each worker opens
    // its own.
    let handle = ws.repo.handle();
    let own = in_parallel(
        &sessions,
        Load::Compute,
        || handle.open(),
        |repo, session| own_work(repo, session),
    )?;
    let mut own: Vec<Option<Own>> = own
        .into_iter()
        .zip(&sessions)
        .map(|(own, session)| {
            if own.is_none() {
                let why = "it shares no history with its base".to_string();
                radar.skipped.push((session.entry.name.clone(), why));
            }
            own.filter(|o| !o.paths.is_empty())
        })
        .collect();

    // Only pairs whose changes can meet need a merge: (pair, i, j).
    let mut merges = Vec::new();
    for i in 0..sessions.len() {
        let Some(mine) = &own[i] else { continue };
        for j in i + 1..sessions.len() {
            let Some(theirs) = &own[j] else { continue };
            if !chosen(&sessions[i].entry.name) && !chosen(&sessions[j].entry.name) {
                continue;
            }
            if git::collide(&mine.paths, &theirs.paths) {
                merges.push((radar.pairs.len(), i, j));
            }
            radar
                .pairs
                .push(report(&sessions[i], &sessions[j].entry.name));
        }
        if chosen(&sessions[i].entry.name) {
            let mut base = report(&sessions[i], BASE);
            let prediction = std::mem::take(&mut own[i].as_mut().expect("checked").base);
            (base.conflicts, base.overlaps) = (prediction.conflicts, prediction.overlaps);
            radar.pairs.push(base);
        }
    }
    let predicted = in_parallel(
        &merges,
        Load::Compute,
        // Each worker replays the work of each session it meets once.
        || Ok((handle.open()?, HashMap::new())),
        |(repo, landed), &(_, i, j)| {
            let onto = landing(repo, sessions[i].tip, sessions[j].tip)?;
            let mut land = |k: usize| -> Result<Oid> {
                if let Some(&tree) = landed.get(&(k, onto)) {
                    return Ok(tree);
                }
                let fork = own[k].as_ref().expect("has work").fork;
                let work = repo.snapshot_tree(&sessions[k].snapshot)?;
                let tree = repo.replay(fork, onto, work)?;
                landed.insert((k, onto), tree);
                Ok(tree)
            };
            let (ours, theirs) = (land(i)?, land(j)?);
            repo.predict_tree_merge(repo.commit_tree(onto)?, ours, theirs)
        },
    )?;
    for (&(pair, _, _), prediction) in merges.iter().zip(predicted) {
        let pair = &mut radar.pairs[pair];
        (pair.conflicts, pair.overlaps) = (prediction.conflicts, prediction.overlaps);
    }
    Ok(radar)
}

fn report(a: &Compared, b: &str) -> PairReport {
    PairReport {
        a: a.entry.name.clone(),
        b: b.to_string(),
        conflicts: Vec::new(),
        overlaps: Vec::new(),
    }
}

/// SESSION's own work and how it meets its base's tip; `None` when it
/// shares no history with its base.
fn own_work(repo: &mut Repo, session: &Compared) -> Result<Option<Own>> {
    let head = session
        .snapshot
        .head
        .expect("compared sessions have a head");
    let Some(fork) = repo.merge_base(head, session.tip)? else {
        return Ok(None);
    };
    let work = repo.snapshot_tree(&session.snapshot)?;
    let paths = repo.own_changes(fork, work)?;
    let base = if fork == session.tip || paths.is_empty() {
        MergePrediction::default()
    } else {
        repo.predict_merge(fork, repo.commit_tree(session.tip)?, work)?
    };
    Ok(Some(Own { fork, paths, base }))
}

/// Where two sessions' work meets: their base's tip, or for sessions on
/// different bases, the newer tip when one contains the other (else A's).
fn landing(repo: &Repo, a: Oid, b: Oid) -> Result<Oid> {
    Ok(if a != b && repo.is_ancestor(a, b)? {
        b
    } else {
        a
    })
}
