use std::io;

use anyhow::{Result, bail};

use crate::cli::TrustArgs;
use crate::config::PROJECT_FILE;
use crate::error::Failure;
use crate::output;
use crate::session::Workspace;
use crate::trust;

pub fn run(args: TrustArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let root = ws.repo.home_dir();
    let commands = trust::project_values(&ws.config);
    if commands.is_empty() {
        output::note(format!(
            "{PROJECT_FILE} names no commands and nothing else that needs approval"
        ));
        return Ok(());
    }
    trust::show(root, &commands, &mut io::stdout())?;
    if trust::is_approved(root, &commands)? {
        output::note("These are approved already.");
        return Ok(());
    }
    let approved = if args.yes {
        true
    } else if super::ui::can_ask() {
        super::ui::ask("Approve these? [y/N] ")?
    } else {
        bail!(
            Failure::usage("approving needs a terminal to ask on")
                .with_hint("review the commands above, then run `sessions trust --yes`")
        );
    };
    if approved {
        trust::approve(root, &commands)?;
        output::note("Approved; they apply from now on, until they change.");
    } else {
        output::note("Not approved; nothing changed.");
    }
    Ok(())
}
