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
            SyncOutcome::Refused(why) => {
                let otherwise = s.otherwise.as_ref().map(|o| format!("; {o}"));
                output::warn(format!(
                    "'{}' not synced: {why}{}",
                    s.name,
                    otherwise.unwrap_or_default()
                ))
            }
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
    // One pasteable command a line: each refused session's own step, then
    // the sync that takes it up again; each conflict's sync by hand.
    let again = |name: &str| {
        let merge = if args.merge { " --merge" } else { "" };
        format!("sessions sync{merge} {}", quote(name))
    };
    let hints = refused
        .iter()
        .map(|s| s.next.clone().unwrap_or_else(|| again(&s.name)))
        .chain(conflicted.iter().filter_map(|s| s.next.clone()));
    let conflicts = format!("{} session(s) would conflict", conflicted.len());
    let by_hand = if args.merge {
        ("merge", "git commit --no-edit")
    } else {
        ("rebase", "git rebase --continue")
    };
    let by_hand = format!(
        "to sync by hand, run its `git {}` below, fix the files git names, `git add` them \
         and `{}` (or give up with `git {} --abort`)",
        by_hand.0, by_hand.1, by_hand.0
    );
    if !refused.is_empty() {
        let mut message = format!("refused to sync {} session(s)", refused.len());
        if !conflicted.is_empty() {
            message += &format!(", and {conflicts}; {by_hand}");
        }
        bail!(Failure::refused(message).with_hints(hints));
    }
    if !conflicted.is_empty() {
        bail!(Failure::error(format!("{conflicts}; {by_hand}")).with_hints(hints));
    }
    Ok(())
}
