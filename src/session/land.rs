//! `land`: integrating a finished session into its base branch in the main
//! worktree, then removing it through the same safe path as `rm`.

use anyhow::{Context, Result, bail};

use super::remove::Removed;
use super::safety::Surroundings;
use super::sync;
use super::underway::{Started, Target, Underway};
use super::{RemoveOptions, Workspace, remove, safety};
use crate::error::Failure;
use crate::git::{Batch, Integration, Oid};
use crate::interrupt;
use crate::registry::Entry;
use crate::shell::{quote, quote_path};
use crate::trust::Approval;
pub use base::Retargeted;
use base::{catch_up, local_base, retarget};

/// How a session's commits get into its base when it cannot fast-forward.
pub use crate::config::LandMethod as Method;

/// The check commands to run before landing: the ones asked for, else the
/// configured `land.check`, which from a project file run only once trusted.
fn checks(ws: &Workspace, asked: Vec<String>) -> Result<Vec<String>> {
    if !asked.is_empty() {
        return Ok(asked);
    }
    let configured = &ws.config.land_check;
    if configured.source.is_project() && !configured.value.is_empty() {
        match ws.approval()? {
            Approval::Trusted => {}
            Approval::Declined | Approval::Unapproved => bail!(
                Failure::refused(format!(
                    "the land.check commands of {} are not approved, and landing needs them to pass; \
                     review and approve them, or pass --check",
                    configured.source
                ))
                .with_hint("sessions trust")
            ),
        }
    }
    Ok(configured.value.clone())
}

/// What `land` was asked for; `None` and empty mean "from the configuration".
#[derive(Debug, Default)]
pub struct LandOptions {
    pub method: Option<Method>,
    pub checks: Vec<String>,
    pub keep: bool,
    /// The squash or merge commit's message, instead of one made from the
    /// session's commits.
    pub message: Option<String>,
}

/// How the session got into its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    FastForward,
    Rebased,
    Merged,
    Squashed,
    /// Its content was already in the base: nothing to do.
    AlreadyThere,
}

#[derive(Debug)]
pub struct Landed {
    pub name: String,
    pub into: String,
    pub how: How,
    pub from: Oid,
    pub to: Oid,
    pub pushed: bool,
    /// The remote-tracking base (`origin/main`) that `into` was first
    /// fast-forwarded to, being behind it.
    pub caught_up: Option<String>,
    /// The sessions that started from this one's branch, now starting from
    /// its base.
    pub retargeted: Vec<Retargeted>,
    pub removed: Option<Removed>,
    /// For a remote-tracking base left behind `into`: how far, and the
    /// command that pushes it.
    pub unpushed: Option<String>,
}

/// Lands session NAME into its base branch. Refuses, changing nothing, when
/// the session may not be rewritten (`safety::may_rewrite`), when the main
/// worktree has modified files or an operation under way, when ignored files
/// are in the way, or when a conflict is predicted; stops, changing nothing,
/// when a check fails or a signal arrives before the base branch moved.
pub fn land(ws: &Workspace, name: &str, options: LandOptions) -> Result<Landed> {
    interrupt::install();
    let entry = ws.entry(name)?;
    if entry.is_archived() {
        bail!(
            Failure::usage(format!("session '{name}' is archived"))
                .with_hint(format!("sessions restore {}", quote(name)))
        );
    }
    let (into, remote) = local_base(ws, &entry)?;
    let Some(main) = ws
        .repo
        .worktrees()?
        .into_iter()
        .next()
        .filter(|w| w.admin_name.is_none())
    else {
        bail!(Failure::usage(
            "a bare repository has no main worktree to land into"
        ));
    };
    if main.branch.as_deref() != Some(into.as_str()) {
        bail!(
            Failure::refused(format!(
                "the main worktree {} does not have '{into}' checked out",
                main.path.display()
            ))
            .with_hint(format!(
                "git -C {} switch --end-of-options {} && sessions land {}",
                quote_path(&main.path),
                quote(&into),
                quote(name)
            ))
        );
    }
    let refuse = |why: String| -> anyhow::Error {
        Failure::refused(format!("refusing to land '{name}': {why}")).into()
    };
    let again = format!("sessions land {}", quote(name));
    let session = match safety::may_rewrite(ws, &entry)? {
        Ok(session) => session,
        Err(why) => {
            let otherwise = why.otherwise(&entry).map(|o| format!("; {o}"));
            bail!(
                Failure::refused(format!(
                    "refusing to land '{name}': {why}{}",
                    otherwise.unwrap_or_default()
                ))
                .with_hint(why.way_on(ws, &entry, &again)?)
            );
        }
    };
    // What would stop the removal after landing (a shell working in the
    // folder, say) refuses now, while nothing has changed: once the base
    // has moved, "refused" would be a lie.
    if !options.keep {
        let around = Surroundings::read(ws)?;
        let plan = safety::plan_removal(ws, &around, entry.clone(), RemoveOptions::default())?;
        if let Some(blocker) = plan.blockers.first() {
            bail!(
                Failure::refused(format!(
                    "refusing to land '{name}': the session could not be removed afterwards: {blocker}; \
                     run it from outside the session's folder, or keep the session"
                ))
                .with_hint(format!("sessions land --keep {}", quote(name)))
            );
        }
    }
    if let Some(operation) = ws.repo.operation_in_progress(&main) {
        return Err(Failure::refused(format!(
            "refusing to land '{name}': the main worktree {} has {operation} in progress: {}",
            main.path.display(),
            operation.next_step(&main.path)
        ))
        .with_hint(format!("sessions land {}", quote(name)))
        .into());
    }
    let main_status = ws.repo.workdir(&main.path).status(Batch::Alone)?;
    if main_status.modified > 0 {
        bail!(
            Failure::refused(format!(
                "refusing to land '{name}': the main worktree {} has {} modified file{}; \
                 commit them, or put them aside (`git stash pop` brings them back)",
                main.path.display(),
                main_status.modified,
                if main_status.modified == 1 { "" } else { "s" }
            ))
            .with_hint(format!(
                "git -C {} stash && {again}",
                quote_path(&main.path)
            ))
        );
    }
    let tip = ws
        .repo
        .branch_tip(&entry.branch)
        .with_context(|| format!("branch '{}' of session '{name}' is gone", entry.branch))?;
    let local = ws
        .repo
        .branch_tip(&into)
        .context("the base branch is gone")?;
    let catch_up = catch_up(ws, &entry, &into, &main.path, local, remote)?;
    let from = catch_up.unwrap_or(local);
    // Where the session's conflicts get resolved, by hand: a rebase onto
    // what it lands on.
    let resolve = format!(
        "git -C {} rebase {}",
        quote_path(&entry.path),
        quote(if catch_up.is_some() {
            &entry.base
        } else {
            &into
        }),
    );

    let how = if ws.repo.content_merged(tip, from)? {
        How::AlreadyThere
    } else {
        if let Some(base) = ws.repo.merge_base(tip, from)? {
            let tree = |c| ws.repo.commit_tree(c);
            let prediction = ws.repo.predict_merge(base, tree(tip)?, tree(from)?)?;
            if !prediction.conflicts.is_empty() {
                bail!(
                    Failure::refused(format!(
                        "refusing to land '{name}': it would conflict with '{into}' in {}; {}",
                        prediction.conflicts.join(", "),
                        by_hand(name)
                    ))
                    .with_hint(resolve.clone())
                );
            }
        }
        let method = options.method.unwrap_or(ws.config.land_method.value);
        // What git will check out where: the session's commits in main,
        // and for a rebase, the base and the replayed commits in the session.
        let mut landing: Vec<Oid> = ws
            .repo
            .commits_between(tip, Some(from))?
            .iter()
            .map(|c| c.id)
            .collect();
        if let Some(remote) = catch_up {
            landing.extend(
                ws.repo
                    .commits_between(remote, Some(local))?
                    .iter()
                    .map(|c| c.id),
            );
        }
        let mut in_the_way = sync::ignored_in_the_way(&ws.repo, &main.path, &landing)?;
        if method == Method::Rebase && !ws.repo.is_ancestor(from, tip)? {
            let replayed = sync::replayed(&ws.repo, from, tip)?;
            in_the_way = in_the_way.or(sync::ignored_in_the_way(&ws.repo, &entry.path, &replayed)?);
        }
        if let Some(why) = in_the_way {
            return Err(refuse(why));
        }
        // Git would refuse to overwrite them, but as a failure (exit 1).
        if main_status.untracked > 0 {
            let mut untracked = ws.repo.workdir(&main.path).untracked_in_the_way(tip)?;
            if let Some(remote) = catch_up {
                untracked.extend(ws.repo.workdir(&main.path).untracked_in_the_way(remote)?);
                untracked.sort();
                untracked.dedup();
            }
            if !untracked.is_empty() {
                let names: Vec<_> = untracked.iter().map(|p| p.display().to_string()).collect();
                bail!(
                    Failure::refused(format!(
                        "refusing to land '{name}': it would overwrite untracked file{} {} in the main worktree {}",
                        if names.len() == 1 { "" } else { "s" },
                        names.join(", "),
                        main.path.display()
                    ))
                    .with_hint(format!(
                        "git -C {} stash push --include-untracked -- {} && {again}",
                        quote_path(&main.path),
                        untracked.iter().map(|p| quote_path(p)).collect::<Vec<_>>().join(" ")
                    ))
                );
            }
        }
        for check in &checks(ws, options.checks)? {
            run_check(ws, name, check, &entry.path)?;
            interrupt::check()?;
        }
        interrupt::check()?;
        if let Some(remote) = catch_up {
            // Loses nothing: `into` is an ancestor of REMOTE.
            ws.repo.workdir(&main.path).merge_ff_only(remote)?;
        }
        let landed = (|| {
            let record = Started::new(
                &entry,
                tip,
                Some(Target {
                    branch: into.clone(),
                    tip: from.to_string(),
                    path: main.path.clone(),
                }),
            );
            let underway = Underway::begin(&ws.repo.admin_dir(&session), &record)?;
            let landing = Landing {
                entry: &entry,
                main: &main.path,
                tip,
                from,
                message: options.message.as_deref(),
                resolve: &resolve,
            };
            match integrate(ws, &landing, method) {
                Ok(how) => underway.end().map(|()| how),
                Err(e) => Err(underway.settle(&ws.repo, e)),
            }
        })();
        match (landed, catch_up) {
            (Ok(how), _) => how,
            (Err(e), None) => return Err(e),
            // All or nothing: `into` goes back from where it was caught up
            // to, if it is still there.
            (Err(e), Some(remote)) => {
                let back = match ws.repo.branch_tip(&into) == Some(remote) {
                    true => ws.repo.workdir(&main.path).reset_keep(local),
                    false => Err(anyhow::anyhow!("'{into}' moved meanwhile")),
                };
                return Err(match back {
                    Ok(()) => e.context(format!(
                        "nothing was landed: '{into}' is back at {}, as it was",
                        crate::git::short(local)
                    )),
                    Err(why) => e.context(format!(
                        "'{into}' stays fast-forwarded from {} to {} ({}): cannot put it back: {why:#}",
                        crate::git::short(local),
                        crate::git::short(remote),
                        entry.base
                    )),
                });
            }
        }
    };
    let to = ws
        .repo
        .branch_tip(&into)
        .context("the base branch is gone")?;
    let pushed = ws.config.land_push.value && how != How::AlreadyThere;
    if pushed && let Err(e) = ws.repo.push_branch(&into) {
        // Landed, not pushed: the session stays for `land` to finish once
        // the remote's new commits are in.
        let remote = quote(&ws.repo.push_remote(&into));
        let git = format!("git -C {}", quote_path(&main.path));
        bail!(
            Failure::error(format!(
                "landed '{name}' into '{into}' but did not push it ({}); the session is kept",
                format!("{e:#}").lines().collect::<Vec<_>>().join(" ")
            ))
            .with_hint(format!(
                "{git} pull --rebase {remote} {branch} && {git} push {remote} {branch} && sessions land {}",
                quote(name),
                branch = quote(&into),
            ))
        );
    }
    let mut retargeted = Vec::new();
    let removed = if options.keep {
        None
    } else {
        retargeted = retarget(ws, &entry, &into, tip, how)?;
        let names = [name.to_string()];
        // The base has moved: whatever stops the removal now is a failure
        // (exit 1), never a refusal that claims nothing changed.
        let mut removed = remove(ws, &names, RemoveOptions::default()).map_err(|e| {
            let hint = crate::error::failure_of(&e)
                .and_then(|f| f.hint.clone())
                .unwrap_or_else(|| format!("sessions rm {}", quote(name)));
            Failure::error(format!(
                "landed '{name}' into '{into}', but did not remove the session: {e:#}"
            ))
            .with_hint(hint)
        })?;
        removed.pop()
    };
    Ok(Landed {
        name: name.to_string(),
        into,
        how,
        // Already there: nothing moved, not even to catch up.
        from: if how == How::AlreadyThere {
            local
        } else {
            from
        },
        to,
        pushed,
        caught_up: catch_up
            .filter(|_| how != How::AlreadyThere)
            .map(|_| entry.base.clone()),
        retargeted,
        removed,
        unpushed: match remote {
            Some(_) => super::status::unpushed(&ws.repo, &entry.base)?.map(|u| u.note()),
            None => None,
        },
    })
}

/// How to go on from the rebase the hint starts, in words.
fn by_hand(name: &str) -> String {
    format!(
        "resolve them in the session with the rebase below: fix the files git names, \
         `git add` them, `git rebase --continue`, then `sessions land {}`",
        quote(name)
    )
}

/// What `integrate` lands, and where.
struct Landing<'a> {
    entry: &'a Entry,
    /// The main worktree.
    main: &'a std::path::Path,
    /// The session's tip, and the base branch's.
    tip: Oid,
    from: Oid,
    /// `--message`.
    message: Option<&'a str>,
    /// The hint for conflicts.
    resolve: &'a str,
}

/// Brings the session's commits (TIP) into the main worktree's branch (at
/// FROM). All or nothing: the moment the base branch moves is the one point
/// of no return; a conflict, a failure or a signal before it leaves the
/// session and main as they were. Git gets only object ids.
fn integrate(ws: &Workspace, landing: &Landing, method: Method) -> Result<How> {
    let Landing {
        entry,
        main,
        tip,
        from,
        ..
    } = *landing;
    let refuse = |paths: Vec<String>, place: &str| -> anyhow::Error {
        Failure::refused(format!(
            "landing '{}' stopped on conflicts in {}; {place} is as it was; {}",
            entry.name,
            paths.join(", "),
            by_hand(&entry.name)
        ))
        .with_hint(landing.resolve.to_string())
        .into()
    };
    let fast_forward = ws.repo.is_ancestor(from, tip)?;
    match method {
        Method::Squash => {
            let message = match landing.message {
                Some(message) => message.to_string(),
                None => ws.repo.squash_message(&entry.name, tip, from)?,
            };
            if let Integration::Conflicts(paths) =
                ws.repo.workdir(main).merge_squash(tip, &message)?
            {
                return Err(refuse(paths, "the main worktree"));
            }
            Ok(How::Squashed)
        }
        _ if fast_forward => {
            ws.repo.workdir(main).merge_ff_only(tip)?;
            Ok(How::FastForward)
        }
        Method::Rebase => {
            let session = ws.repo.workdir(&entry.path);
            let before = session.state()?;
            if let Integration::Conflicts(paths) = session.rebase(from)? {
                return Err(refuse(paths, "the session"));
            }
            let rebased = ws
                .repo
                .branch_tip(&entry.branch)
                .with_context(|| format!("branch '{}' is gone", entry.branch))?;
            let landed =
                interrupt::check().and_then(|()| ws.repo.workdir(main).merge_ff_only(rebased));
            if let Err(e) = landed {
                // All or nothing: the session goes back to its commits, on
                // its own branch (checked before: the rebase ran there).
                session
                    .reset_keep(tip)
                    .and_then(|()| session.restored(&before))
                    .context("cannot put the session back after the rebase")?;
                return Err(e);
            }
            Ok(How::Rebased)
        }
        Method::Merge => {
            let message = landing.message.map_or_else(
                || format!("Merge session '{}' ({})", entry.name, entry.branch),
                str::to_string,
            );
            if let Integration::Conflicts(paths) = ws.repo.workdir(main).merge(tip, &message)? {
                return Err(refuse(paths, "the main worktree"));
            }
            Ok(How::Merged)
        }
    }
}

/// Runs CHECK with `sh -c` in DIR, its output on our stderr (stdout is for
/// data); fails unless it succeeds.
fn run_check(ws: &Workspace, name: &str, check: &str, dir: &std::path::Path) -> Result<()> {
    ws.ui.note(&format!("Running check: {check}"));
    let status = super::lifecycle::shell(check, dir)?
        .status()
        .with_context(|| format!("cannot run check `{check}`"))?;
    if !status.success() {
        // Ctrl-C reaches the check too: say so, not that it failed.
        interrupt::check()?;
        let code = status.code().map_or_else(
            || "was killed by a signal".into(),
            |c| format!("exited with {c}"),
        );
        bail!(
            Failure::error(format!(
                "check `{check}` {code}; nothing was landed; fix the session in {}, then land it",
                quote_path(dir)
            ))
            .with_hint(format!("sessions land {}", quote(name)))
        );
    }
    Ok(())
}

mod base;
#[cfg(test)]
mod tests;
