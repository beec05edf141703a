use anyhow::{Result, bail};

use crate::cli::ConflictsArgs;
use crate::error::Failure;
use crate::output;
use crate::session::{self, Workspace};

pub fn run(args: ConflictsArgs) -> Result<()> {
    let ws = Workspace::discover()?;
    let radar = session::conflicts(&ws, &args.names)?;
    for (name, why) in &radar.skipped {
        output::warn(format!("skipped session '{name}': {why}"));
    }
    if args.json {
        output::print_json(&radar.pairs)?;
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
                    pair.conflicts.join("\n"),
                    pair.overlaps.join("\n"),
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
