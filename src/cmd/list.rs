use anyhow::Result;
use jiff::Timestamp;

use crate::cli::ListArgs;
use crate::output::{self, age, tilde};
use crate::registry::{Agent, AgentState};
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
    let mut table = output::table(["NAME", "BRANCH", "PATH", "AGE", "AGENT"]);
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
            s.entry
                .agent
                .as_ref()
                .map(|a| agent_label(a, now))
                .unwrap_or_default(),
        ]);
    }
    output::print_table(&table)
}

/// `working 2m`, `waiting 10s`, `exited`: the state, and for a live agent
/// how long it has been in that state.
pub fn agent_label(agent: &Agent, now: Timestamp) -> String {
    let state = agent.state.unwrap_or(AgentState::Exited);
    match agent.updated_at {
        Some(at) if state != AgentState::Exited => format!("{} {}", state.as_str(), age(at, now)),
        _ => state.as_str().to_string(),
    }
}
