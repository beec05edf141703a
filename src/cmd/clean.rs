use std::io::{self, IsTerminal};

use anyhow::{Result, bail};

use super::rm::describe;
use crate::cli::CleanArgs;
use crate::error::Failure;
use crate::output::{self, tilde};
use crate::session::{self, Candidate, Workspace};

pub fn run(args: CleanArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let plan = session::clean_plan(&ws, args.stale)?;
    print_plan("Remove", &plan.remove);
    print_plan("Keep", &plan.keep);
    if plan.remove.is_empty() {
        output::note("Nothing to clean.");
        return Ok(());
    }
    if args.dry_run {
        output::note("Dry run: nothing removed.");
        return Ok(());
    }
    if !args.yes {
        if !io::stdin().is_terminal() {
            bail!(
                Failure::usage(
                    "not removing anything without confirmation: stdin is not a terminal"
                )
                .with_hint(
                    "pass --yes to remove the sessions above, or --dry-run to only see the plan"
                )
            );
        }
        if !confirm(plan.remove.len())? {
            output::note("Nothing removed.");
            return Ok(());
        }
    }
    let names: Vec<String> = plan.remove.iter().map(|v| v.name.clone()).collect();
    let here = super::rm::here();
    let (removed, kept) = session::clean_apply(&ws, &names)?;
    for r in &removed {
        output::note(describe(r));
    }
    for k in &kept {
        output::note(format!("Kept session '{}': {}", k.name, k.why));
    }
    output::note(format!(
        "Removed {} session(s), kept {}.",
        removed.len(),
        plan.keep.len() + kept.len()
    ));
    super::rm::step_out(&ws, here.as_deref(), &removed)
}

fn print_plan(what: &str, candidates: &[Candidate]) {
    if candidates.is_empty() {
        return;
    }
    println!("{what}:");
    for c in candidates {
        println!("  {}  {}  ({})", c.name, tilde(&c.path), c.why);
    }
}

fn confirm(count: usize) -> Result<bool> {
    super::ui::ask(&format!("Remove {count} session(s)? [y/N] "))
}
