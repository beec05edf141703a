use anyhow::{Result, bail};

use super::target::Otherwise;
use crate::cli::SyncArgs;
use crate::error::Failure;
use crate::output;
use crate::session::{self, SyncOptions, SyncOutcome, Synced, Workspace};
use crate::shell::quote;

pub fn run(args: SyncArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let how = if args.merge { "merged" } else { "rebased onto" };
    let names = match args.names.is_empty() && !args.all {
        true => vec![super::target::session(&ws, None, Otherwise::Refuse)?],
        false => args.names,
    };
    let options = SyncOptions {
        all: args.all,
        merge: args.merge,
        fetch: args.fetch || (ws.config.sync_fetch.value && !args.no_fetch),
    };
    let results = session::sync(&ws, &names, options)?;
    for s in &results {
        match &s.outcome {
            SyncOutcome::UpToDate => {
                output::note(format!("'{}' is up to date with {}", s.name, s.base))
            }
            SyncOutcome::Synced => output::note(format!("'{}' {how} {}", s.name, s.base)),
            SyncOutcome::Conflicts(paths) => output::warn(format!(
                "'{}' conflicts with {} in {}; left as it was",
                s.name,
                s.base,
                paths.join(", ")
            )),
            SyncOutcome::Refused(why) => output::warn(format!("'{}' not synced: {why}", s.name)),
        }
    }
    let refused: Vec<&Synced> = results
        .iter()
        .filter(|s| matches!(s.outcome, SyncOutcome::Refused(_)))
        .collect();
    let conflicted: Vec<&Synced> = results
        .iter()
        .filter(|s| matches!(s.outcome, SyncOutcome::Conflicts(_)))
        .collect();
    // Each step names its session when more than one is left.
    let named = refused.len() + conflicted.len() > 1;
    let mut hint = Vec::new();
    if !refused.is_empty() {
        hint.push(after_refusals(&refused, named, args.merge));
    }
    if !conflicted.is_empty() {
        hint.push(by_hand(&conflicted, named, args.merge));
    }
    let hint = hint.join("; ");
    let conflicts = format!("{} session(s) would conflict", conflicted.len());
    if !refused.is_empty() {
        let mut message = format!("refused to sync {} session(s)", refused.len());
        if !conflicted.is_empty() {
            message += &format!(", and {conflicts}");
        }
        bail!(Failure::refused(message).with_hint(hint));
    }
    if !conflicted.is_empty() {
        bail!(Failure::error(conflicts).with_hint(hint));
    }
    Ok(())
}

/// Each refused session's own next step, then the `sessions sync` that
/// takes them up again.
fn after_refusals(refused: &[&Synced], named: bool, merge: bool) -> String {
    let steps = each(refused, named);
    let names: Vec<String> = refused.iter().map(|s| quote(&s.name)).collect();
    let again = format!(
        "sessions sync{} {}",
        if merge { " --merge" } else { "" },
        names.join(" ")
    );
    if steps.is_empty() {
        format!("once each reason above is dealt with: {again}")
    } else {
        format!("{steps}; then {again}")
    }
}

/// The commands that start each conflicting sync again by hand, and how to
/// go on from the stop at the conflict.
fn by_hand(conflicted: &[&Synced], named: bool, merge: bool) -> String {
    let (verb, go_on) = if merge {
        ("merge", "git commit --no-edit")
    } else {
        ("rebase", "git rebase --continue")
    };
    format!(
        "to sync by hand: {}; then fix the files git names, `git add` them and `{go_on}` (or give up with `git {verb} --abort`)",
        each(conflicted, named)
    )
}

/// The next step of each of SESSIONS, each NAMED with its session or not.
fn each(sessions: &[&Synced], named: bool) -> String {
    let steps: Vec<String> = sessions
        .iter()
        .filter_map(|s| {
            let next = s.next.as_ref()?;
            Some(if named {
                format!("for '{}': {next}", s.name)
            } else {
                next.clone()
            })
        })
        .collect();
    steps.join("; ")
}
