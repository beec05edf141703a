//! The conflict radar: trial merges, in memory, of every pair of sessions and
//! of each session with its base, uncommitted work included.

use std::collections::HashMap;

use crate::git::Oid;
use anyhow::Result;

use super::Workspace;
use super::parallel::{Load, in_parallel};
use crate::git::{Repo, WorkSnapshot};
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

/// Every pair compared, and the sessions left out with the reason.
#[derive(Debug)]
pub struct Radar {
    pub pairs: Vec<PairReport>,
    pub skipped: Vec<(String, String)>,
}

/// What a session is compared with.
#[derive(Clone, Copy)]
enum Other {
    Session(usize),
    Base(Oid),
}

/// Compares every pair of live sessions and each session with its base's
/// current tip; with NAMES, only the pairs involving those sessions.
/// Touches nothing: the repository's objects, indexes, worktrees, HEADs and
/// refs stay as they are.
pub fn conflicts(ws: &Workspace, names: &[String]) -> Result<Radar> {
    let entries = ws.registry.read()?;
    for name in names {
        super::validate::valid_entry(ws, &entries, name)?;
    }
    let mut skipped = Vec::new();
    let live: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            let present = e.path.is_dir();
            if !present {
                skipped.push((e.name.clone(), "its worktree is missing".to_string()));
            }
            present
        })
        .collect();

    // Reading worktrees is mostly `git status`, a process of its own each.
    let read = in_parallel(
        &live,
        Load::Processes,
        || Ok(()),
        |_, entry| WorkSnapshot::read(&entry.path),
    )?;
    let mut sessions: Vec<(&Entry, WorkSnapshot)> = Vec::new();
    for (entry, snapshot) in live.into_iter().zip(read) {
        match snapshot.head {
            Some(_) => sessions.push((entry, snapshot)),
            None => skipped.push((entry.name.clone(), "it has no commit yet".into())),
        }
    }

    let chosen = |i: usize| names.is_empty() || names.contains(&sessions[i].0.name);
    let mut pairs = Vec::new();
    for i in 0..sessions.len() {
        for j in i + 1..sessions.len() {
            if chosen(i) || chosen(j) {
                pairs.push((i, Other::Session(j)));
            }
        }
        if chosen(i) {
            match ws.repo.resolve_base(&sessions[i].0.base) {
                Some(tip) => pairs.push((i, Other::Base(tip))),
                None => skipped.push((
                    sessions[i].0.name.clone(),
                    format!("its base '{}' no longer resolves", sessions[i].0.base),
                )),
            }
        }
    }

    // A `Repository` may not be shared between threads: each worker opens
    // its own.
    let handle = ws.repo.handle();
    let reports = in_parallel(
        &pairs,
        Load::Compute,
        // Each worker builds the tree of each worktree it meets once.
        || Ok((handle.open()?, HashMap::new())),
        |(repo, trees), &(i, other)| {
            let mut tree = |repo: &Repo, k: usize| -> Result<Oid> {
                if let Some(&tree) = trees.get(&k) {
                    return Ok(tree);
                }
                let tree = repo.snapshot_tree(&sessions[k].1)?;
                trees.insert(k, tree);
                Ok(tree)
            };
            let head = sessions[i].1.head.expect("sessions have a head");
            let (name, other_head, theirs) = match other {
                Other::Session(j) => (
                    sessions[j].0.name.clone(),
                    sessions[j].1.head.expect("sessions have a head"),
                    tree(repo, j)?,
                ),
                Other::Base(tip) => (BASE.to_string(), tip, repo.commit_tree(tip)?),
            };
            let ours = tree(repo, i)?;
            let prediction = match repo.merge_base(head, other_head)? {
                Some(base) => repo.predict_merge(base, ours, theirs)?,
                // Unrelated histories: nothing to predict from.
                None => Default::default(),
            };
            Ok(PairReport {
                a: sessions[i].0.name.clone(),
                b: name,
                conflicts: prediction.conflicts,
                overlaps: prediction.overlaps,
            })
        },
    )?;
    Ok(Radar {
        pairs: reports,
        skipped,
    })
}
