//! Where a session lands: its base branch, or the local branch that tracks a
//! remote-tracking base (brought up to it first); and the sessions stacked
//! on the landed one, moved onto its base.

use std::path::Path;

use anyhow::{Result, bail};

use super::super::{Workspace, safety};
use super::How;
use crate::error::Failure;
use crate::git::Oid;
use crate::registry::Entry;
use crate::shell::{quote, quote_path};

/// A session that started from the landed session's branch, moved onto the
/// landed session's base: its branch is as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retargeted {
    pub name: String,
    /// Its old base: the landed session's branch.
    pub from: String,
    /// Its new base.
    pub onto: String,
    /// What brings it up to date with its new base, to paste.
    pub next: String,
}

/// The local branch a session lands into: its base, or for a remote-tracking
/// base such as `origin/main` the local branch that tracks it, with the
/// base's tip (never the session's own branch, should it track the base).
/// The remote-tracking branch is asked about first: a local
/// branch named `origin/main` (an older session's) is never the base.
pub(super) fn local_base(ws: &Workspace, entry: &Entry) -> Result<(String, Option<Oid>)> {
    let base = entry.base.as_str();
    if let Some(remote) = ws.repo.try_resolve_commit(&format!("refs/remotes/{base}")) {
        if let Some(tracking) = ws.repo.tracking_branch(base)
            && tracking.branch != entry.branch
        {
            return Ok((tracking.branch, Some(remote)));
        }
        let (_, name) = base.split_once('/').unwrap_or(("", base));
        return Err(Failure::usage(format!(
            "no local branch tracks '{base}', the session's base, to land into"
        ))
        .with_hint(format!(
            "git branch --track --end-of-options {} {} && sessions land {}",
            quote(name),
            quote(base),
            quote(&entry.name)
        ))
        .into());
    } else if ws.repo.branch_tip(base).is_some() {
        return Ok((base.to_string(), None));
    }
    Err(Failure::usage(format!(
        "the session's base '{base}' is not a local branch to land into"
    ))
    .into())
}

/// Where `into`, the local branch at LOCAL that tracks ENTRY's
/// remote-tracking base at REMOTE, must first move: to REMOTE when behind
/// it, so that the session lands on everything the base has. One with
/// commits of its own and behind is the user's to reconcile: refused.
pub(super) fn catch_up(
    ws: &Workspace,
    entry: &Entry,
    into: &str,
    main: &Path,
    local: Oid,
    remote: Option<Oid>,
) -> Result<Option<Oid>> {
    let Some(remote) = remote.filter(|r| *r != local) else {
        return Ok(None);
    };
    if ws.repo.is_ancestor(local, remote)? {
        return Ok(Some(remote));
    }
    if ws.repo.is_ancestor(remote, local)? {
        return Ok(None);
    }
    bail!(
        Failure::refused(format!(
            "refusing to land '{}': '{into}' and '{}' have diverged (each has commits the other has not); \
             put the commits of '{into}' on top of '{}' first",
            entry.name, entry.base, entry.base
        ))
        .with_hint(format!(
            "git -C {} rebase {} && sessions land {}",
            quote_path(main),
            quote(&entry.base),
            quote(&entry.name)
        ))
    )
}

/// Moves every session that starts from ENTRY's branch onto ENTRY's base,
/// before ENTRY goes: their branches stay as they are, and each gets the
/// command that brings it up to date. After a squash their commits still
/// carry ENTRY's own (from TIP back), which the new base has only as one
/// commit or as copies: a rebase onto INTO must skip them.
pub(super) fn retarget(
    ws: &Workspace,
    entry: &Entry,
    into: &str,
    tip: Oid,
    how: How,
) -> Result<Vec<Retargeted>> {
    let mut registry = ws.registry.lock()?;
    let mut moved = Vec::new();
    for other in &mut registry.sessions {
        if other.name == entry.name || !safety::is_base_of(other, &entry.branch) {
            continue;
        }
        // Rewritten (squashed, rebased): its commits are not in INTO as
        // they are, so only the other session's own go on top.
        let next = if matches!(how, How::Squashed | How::Rebased) {
            format!(
                "git -C {} rebase --onto {} {tip}",
                quote_path(&other.path),
                quote(into)
            )
        } else {
            format!("sessions sync {}", quote(&other.name))
        };
        moved.push(Retargeted {
            name: other.name.clone(),
            from: std::mem::replace(&mut other.base, entry.base.clone()),
            onto: entry.base.clone(),
            next,
        });
    }
    if !moved.is_empty() {
        registry.save()?;
    }
    Ok(moved)
}
