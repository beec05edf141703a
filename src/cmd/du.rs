//! `sessions du`: what the repository's sessions cost on disk.

use anyhow::Result;

use super::json;
use crate::cli::DuArgs;
use crate::output::{self, Cell, Column, Keep, Table, bytes, tilde};
use crate::session::{self, Workspace};

pub fn run(args: DuArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let usage = session::usage(&ws)?;
    if args.json {
        return output::print_json(&json::Du::new(&usage));
    }
    let mut table = Table::new(vec![
        Column::new("NAME").cut(12, 16, Keep::Start),
        Column::new("TOTAL"),
        Column::new("TRACKED").drop(40),
        Column::new("IGNORED").drop(50),
        Column::new("ARTIFACTS").drop(60),
        Column::new("PATH").cut(8, 16, Keep::End).drop(30),
    ]);
    let mut sessions = 0;
    for (entry, size) in &usage.sessions {
        let cell = |n: Option<u64>| Cell::new(n.map_or_else(|| "-".into(), bytes));
        let s = size.as_ref();
        sessions += s.map_or(0, |s| s.total);
        table.row(vec![
            Cell::new(&entry.name),
            cell(s.map(|s| s.total)),
            cell(s.map(|s| s.tracked)),
            cell(s.map(|s| s.ignored)),
            cell(s.map(|s| s.artifacts)),
            Cell::new(tilde(&entry.path)),
        ]);
    }
    if !usage.sessions.is_empty() {
        table.print(false)?;
        println!();
    }
    println!("sessions:      {}", bytes(sessions));
    println!(
        "object store:  {}  (shared by every worktree)",
        bytes(usage.objects)
    );
    println!("total:         {}", bytes(sessions + usage.objects));
    println!(
        "reclaimable:   {}  (`sessions clean --artifacts` in idle sessions)",
        bytes(usage.reclaimable)
    );
    Ok(())
}
