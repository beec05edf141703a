use anyhow::Result;

use super::target::Otherwise;
use crate::cli::LandArgs;
use crate::git;
use crate::output;
use crate::session::{self, How, LandOptions, Method, Workspace};

pub fn run(args: LandArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let method = match (args.squash, args.rebase, args.merge) {
        (true, _, _) => Some(Method::Squash),
        (_, true, _) => Some(Method::Rebase),
        (_, _, true) => Some(Method::Merge),
        _ => None,
    };
    let options = LandOptions {
        method,
        checks: args.check,
        keep: args.keep,
    };
    let name = super::target::session(&ws, args.name, Otherwise::Refuse)?;
    let landed = session::land(&ws, &name, options)?;
    let how = match landed.how {
        How::FastForward => "by fast-forward",
        How::Rebased => "by rebase and fast-forward",
        How::Merged => "with a merge commit",
        How::Squashed => "as one squashed commit",
        How::AlreadyThere => "(its content was already there)",
    };
    let range = if landed.from == landed.to {
        String::new()
    } else {
        format!(" ({}..{})", git::short(landed.from), git::short(landed.to))
    };
    output::note(format!(
        "Landed session '{}' into '{}' {how}{range}",
        landed.name, landed.into
    ));
    if landed.pushed {
        output::note(format!("Pushed '{}'", landed.into));
    }
    if let Some(removed) = &landed.removed {
        output::note(super::rm::describe(removed));
    }
    Ok(())
}
