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
        output::print_json(&json::Conflicts::new(&radar))?;
    } else {
        let found: Vec<_> = radar
            .pairs
            .iter()
            .filter(|p| !p.conflicts.is_empty() || !p.overlaps.is_empty())
            .collect();
        if found.is_empty() && radar.in_progress.is_empty() {
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
            // A session mid-operation has its conflicts now, with itself.
            for stopped in &radar.in_progress {
                let word = stopped.operation.word().to_string();
                table.add_row([stopped.name.clone(), word, lines(&stopped.conflicts)]);
            }
            output::print_table(&table)?;
        }
        for stopped in &radar.in_progress {
            output::warn(format!(
                "session '{}' is {}, not compared: {}",
                stopped.name,
                stopped.operation.word(),
                stopped.operation.next_step(&stopped.path)
            ));
        }
    }
    let conflicted = radar
        .pairs
        .iter()
        .filter(|p| !p.conflicts.is_empty())
        .count();
    let stuck = radar
        .in_progress
        .iter()
        .filter(|s| !s.conflicts.is_empty())
        .count();
    let mut what = Vec::new();
    if conflicted > 0 {
        let compared = radar.pairs.len();
        what.push(format!(
            "conflicts predicted in {conflicted} of {compared} comparisons"
        ));
    }
    if stuck > 0 {
        what.push(format!(
            "{stuck} session(s) stopped on conflicts mid-operation"
        ));
    }
    if !what.is_empty() {
        bail!(Failure::error(what.join("; ")));
    }
    Ok(())
}

/// Paths one a line, each as it may go to a terminal.
fn lines(paths: &[String]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| output::printable(p)).collect();
    shown.join("\n")
}
