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
        message: args.message,
    };
    let name = super::target::session(&ws, args.name, Otherwise::Refuse)?;
    let asked_message = options.message.is_some();
    let here = super::rm::here();
    let landed = session::land(&ws, &name, options)?;
    if asked_message && !matches!(landed.how, How::Squashed | How::Merged) {
        output::warn("--message was not used: no squash or merge commit was made");
    }
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
    if let Some(base) = &landed.caught_up {
        output::note(format!(
            "('{}' was behind {base}: fast-forwarded first)",
            landed.into
        ));
    }
    if landed.pushed {
        output::note(format!("Pushed '{}'", landed.into));
    }
    for moved in &landed.retargeted {
        output::note(format!(
            "Session '{}' started from '{}'; it now starts from {} (its branch is unchanged). Bring it up to date: {}",
            moved.name, moved.from, moved.onto, moved.next
        ));
    }
    if let Some(removed) = &landed.removed {
        output::note(super::rm::describe(removed));
    }
    if let Some(note) = &landed.unpushed {
        output::note(format!("Not pushed yet: {note}"));
    }
    super::rm::step_out(
        &ws,
        here.as_deref(),
        landed.removed.iter().map(|r| r.path.as_path()),
    )
}
