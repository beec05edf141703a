use std::io::{self, IsTerminal};

use anyhow::{Result, bail};

use super::rm::describe;
use crate::cli::CleanArgs;
use crate::error::Failure;
use crate::output::{self, bytes, tilde};
use crate::session::{self, Candidate, Stale, Workspace};

pub fn run(args: CleanArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    if args.artifacts {
        return artifacts(&ws, &args);
    }
    let stale = match (args.stale, args.archive) {
        (false, _) => Stale::Keep,
        (true, false) => Stale::Remove,
        (true, true) => Stale::RemoveOrArchive,
    };
    let plan = session::clean_plan(&ws, stale)?;
    print_plan("Remove", &plan.remove);
    print_plan("Archive", &plan.archive);
    print_plan("Keep", &plan.keep);
    if plan.remove.is_empty() && plan.archive.is_empty() {
        output::note("Nothing to clean.");
        return Ok(());
    }
    if args.dry_run {
        output::note("Dry run: nothing removed.");
        return Ok(());
    }
    if !args.yes {
        refuse_without_terminal("remove the sessions above")?;
        if !confirmed(&question(&plan))? {
            output::note("Nothing removed.");
            return Ok(());
        }
    }
    let names: Vec<String> = plan.remove.iter().map(|v| v.name.clone()).collect();
    let here = super::rm::here();
    let (removed, mut kept) = session::clean_apply(&ws, &names)?;
    for r in &removed {
        output::note(describe(r));
    }
    super::rm::step_out(
        &ws,
        here.as_deref(),
        removed.iter().map(|r| r.path.as_path()),
    )?;
    // Each said as it goes: a stop half-way leaves no archive unreported.
    let mut archived = 0;
    kept.extend(session::clean_archive(&ws, &plan.archive, |done| {
        output::note(super::archive::describe(done));
        archived += 1;
        super::rm::step_out(&ws, here.as_deref(), [done.entry.path.as_path()])
    })?);
    for k in &kept {
        output::note(format!("Kept session '{}': {}", k.name, k.why));
    }
    let archived_too = match archived {
        0 => String::new(),
        n => format!(", archived {n}"),
    };
    output::note(format!(
        "Removed {} session(s){archived_too}, kept {}.",
        removed.len(),
        plan.keep.len() + kept.len()
    ));
    Ok(())
}

/// "Remove 2 session(s) and archive 1? [y/N] ".
fn question(plan: &session::CleanPlan) -> String {
    match (plan.remove.len(), plan.archive.len()) {
        (remove, 0) => format!("Remove {remove} session(s)? [y/N] "),
        (0, archive) => format!("Archive {archive} session(s)? [y/N] "),
        (remove, archive) => {
            format!("Remove {remove} session(s) and archive {archive}? [y/N] ")
        }
    }
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

/// The usage error when there is no terminal to confirm on; WHAT `--yes` would do.
fn refuse_without_terminal(what: &str) -> Result<()> {
    if !io::stdin().is_terminal() {
        bail!(
            Failure::usage("not removing anything without confirmation: stdin is not a terminal")
                .with_hint(format!(
                    "pass --yes to {what}, or --dry-run to only see the plan"
                ))
        );
    }
    Ok(())
}

fn confirmed(question: &str) -> Result<bool> {
    super::ui::ask(question)
}

/// `clean --artifacts`: the plan, one confirmation, the deletion.
fn artifacts(ws: &Workspace, args: &CleanArgs) -> Result<()> {
    let plan = session::artifacts_plan(ws, args.older_than)?;
    if !plan.delete.is_empty() {
        println!("Delete:");
        for a in &plan.delete {
            println!("  {}  {}  ({})", a.session, tilde(&a.path), bytes(a.bytes));
        }
    }
    if !plan.spared.is_empty() {
        println!("Keep:");
        for s in &plan.spared {
            println!("  {}  ({})", s.what, s.why);
        }
    }
    if plan.delete.is_empty() {
        output::note("Nothing to delete.");
        return Ok(());
    }
    let total = bytes(plan.bytes());
    if args.dry_run {
        output::note(format!(
            "Dry run: nothing deleted ({total} could be freed)."
        ));
        return Ok(());
    }
    if !args.yes {
        refuse_without_terminal("delete the folders above")?;
        let question = format!("Delete {} folder(s), {total}? [y/N] ", plan.delete.len());
        if !confirmed(&question)? {
            output::note("Nothing deleted.");
            return Ok(());
        }
    }
    let (deleted, spared) = session::artifacts_apply(ws, &plan.delete)?;
    for s in &spared {
        output::note(format!("Kept {}: {}", s.what, s.why));
    }
    let freed: u64 = deleted.iter().map(|a| a.bytes).sum();
    output::note(format!(
        "Deleted {} folder(s), freed {}.",
        deleted.len(),
        bytes(freed)
    ));
    Ok(())
}
