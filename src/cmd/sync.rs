use anyhow::{Result, bail};

use super::target::Otherwise;
use crate::cli::SyncArgs;
use crate::error::Failure;
use crate::output;
use crate::session::{self, SyncOutcome, Workspace};

pub fn run(args: SyncArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let how = if args.merge { "merged" } else { "rebased onto" };
    let names = match args.names.is_empty() && !args.all {
        true => vec![super::target::session(&ws, None, Otherwise::Refuse)?],
        false => args.names,
    };
    let results = session::sync(&ws, &names, args.all, args.merge)?;
    let (mut refused, mut conflicted) = (0, 0);
    for s in &results {
        match &s.outcome {
            SyncOutcome::UpToDate => {
                output::note(format!("'{}' is up to date with {}", s.name, s.base))
            }
            SyncOutcome::Synced => output::note(format!("'{}' {how} {}", s.name, s.base)),
            SyncOutcome::Conflicts(paths) => {
                conflicted += 1;
                output::warn(format!(
                    "'{}' conflicts with {} in {}; left as it was",
                    s.name,
                    s.base,
                    paths.join(", ")
                ));
            }
            SyncOutcome::Refused(why) => {
                refused += 1;
                output::warn(format!("'{}' not synced: {why}", s.name));
            }
        }
    }
    if refused > 0 {
        bail!(
            Failure::refused(format!("refused to sync {refused} session(s)"))
                .with_hint("do what each reason above asks, then sync again")
        );
    }
    if conflicted > 0 {
        bail!(
            Failure::error(format!("{conflicted} session(s) would conflict"))
                .with_hint("resolve by hand in the session: `git rebase <base>` there")
        );
    }
    Ok(())
}
