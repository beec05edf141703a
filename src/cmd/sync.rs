use anyhow::{Result, bail};

use crate::cli::SyncArgs;
use crate::error::Failure;
use crate::output;
use crate::session::{self, SyncOptions, SyncOutcome, Synced, Workspace};
use crate::shell::quote;

pub fn run(args: SyncArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let how = if args.merge { "merged" } else { "rebased onto" };
    let options = SyncOptions {
        all: args.all,
        merge: args.merge,
        fetch: args.fetch || (ws.config.sync_fetch.value && !args.no_fetch),
    };
    let results = session::sync(&ws, &args.names, options)?;
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
    if !refused.is_empty() {
        bail!(
            Failure::refused(format!("refused to sync {} session(s)", refused.len()))
                .with_hint(next_steps(&refused, args.merge))
        );
    }
    if !conflicted.is_empty() {
        bail!(
            Failure::error(format!("{} session(s) would conflict", conflicted.len()))
                .with_hint(next_steps(&conflicted, args.merge))
        );
    }
    Ok(())
}

/// The hint after SESSIONS were not synced: for each, the command that deals
/// with it; for refusals, then the `sessions sync` that takes them up again.
fn next_steps(sessions: &[&Synced], merge: bool) -> String {
    let steps: Vec<String> = sessions
        .iter()
        .filter_map(|s| {
            let next = s.next.as_ref()?;
            Some(if sessions.len() == 1 {
                next.clone()
            } else {
                format!("for '{}': {next}", s.name)
            })
        })
        .collect();
    let mut hint = steps.join("; ");
    if matches!(sessions[0].outcome, SyncOutcome::Refused(_)) {
        let names: Vec<String> = sessions.iter().map(|s| quote(&s.name)).collect();
        let again = format!(
            "sessions sync{} {}",
            if merge { " --merge" } else { "" },
            names.join(" ")
        );
        hint = if hint.is_empty() {
            format!("once each reason above is dealt with: {again}")
        } else {
            format!("{hint}; then {again}")
        };
    }
    hint
}
