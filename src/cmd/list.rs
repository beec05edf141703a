use anyhow::Result;
use jiff::Timestamp;

use crate::cli::ListArgs;
use crate::output::{self, age, tilde};
use crate::session::{self, Workspace};

pub fn run(args: ListArgs) -> Result<()> {
    let ws = Workspace::discover()?;
    let sessions = session::list(&ws)?;
    if args.json {
        return output::print_json(&sessions);
    }
    if sessions.is_empty() {
        eprintln!("No sessions yet; `sessions new NAME` creates one.");
        return Ok(());
    }
    let now = Timestamp::now();
    let mut table = output::table(["NAME", "BRANCH", "PATH", "AGE"]);
    for s in &sessions {
        let path = if s.missing {
            format!("{} (missing)", tilde(&s.entry.path))
        } else {
            tilde(&s.entry.path)
        };
        table.add_row([
            s.entry.name.clone(),
            s.entry.branch.clone(),
            path,
            age(s.entry.created_at, now),
        ]);
    }
    output::print_table(&table)
}
