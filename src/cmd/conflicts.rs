use anyhow::{Result, bail};

use super::json;
use crate::cli::ConflictsArgs;
use crate::error::Failure;
use crate::output;
use crate::session::{self, Workspace};

pub fn run(args: ConflictsArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let radar = session::conflicts(&ws, &args.names)?;
    for (name, why) in &radar.skipped {
        output::warn(format!("skipped session '{name}': {why}"));
    }
    if args.json {
        output::print_json(&json::Conflicts::new(&radar.pairs))?;
    } else {
        let found: Vec<_> = radar
            .pairs
            .iter()
            .filter(|p| !p.conflicts.is_empty() || !p.overlaps.is_empty())
            .collect();
        if found.is_empty() {
            output::note(format!(
                "No conflicts or overlaps predicted ({} comparisons).",
                radar.pairs.len()
            ));
        } else {
            let mut table = output::table(["A", "B", "CONFLICTS", "OVERLAPS"]);
            for pair in found {
                table.add_row([
                    pair.a.clone(),
                    pair.b.clone(),
                    lines(&pair.conflicts),
                    lines(&pair.overlaps),
                ]);
            }
            output::print_table(&table)?;
        }
    }
    let conflicted = radar
        .pairs
        .iter()
        .filter(|p| !p.conflicts.is_empty())
        .count();
    if conflicted > 0 {
        bail!(Failure::error(format!(
            "conflicts predicted in {conflicted} of {} comparisons",
            radar.pairs.len()
        )));
    }
    Ok(())
}

/// Paths one a line, each as it may go to a terminal.
fn lines(paths: &[String]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| output::printable(p)).collect();
    shown.join("\n")
}
