use anyhow::Result;
use comfy_table::{Cell, Color};
use jiff::Timestamp;

use super::json;
use crate::cli::ListArgs;
use crate::output::{self, age, tilde};
use crate::registry::{Agent, AgentState};
use crate::session::{self, Workspace};

pub fn run(args: ListArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let sessions = session::list(&ws)?;
    if args.json {
        return output::print_json(&json::List::new(&sessions));
    }
    if sessions.is_empty() {
        eprintln!("No sessions yet; `sessions new NAME` creates one.");
        return Ok(());
    }
    let now = crate::clock::now();
    let mut table = output::table([
        "NAME", "BRANCH", "STATE", "CHANGES", "AHEAD", "BEHIND", "LOCKED", "COMMIT", "AGENT",
        "PATH", "AGE",
    ]);
    for s in &sessions {
        let path = if s.missing {
            format!("{} (missing)", tilde(&s.entry.path))
        } else {
            tilde(&s.entry.path)
        };
        let dash_if_zero = |n: usize| if n == 0 { "-".into() } else { n.to_string() };
        let locked = match &s.locked {
            None => "-".to_string(),
            Some(reason) if reason.is_empty() => "locked".into(),
            Some(reason) => reason.clone(),
        };
        let mut state = Cell::new(s.state());
        let mut path = Cell::new(path);
        if s.missing {
            // Missing folders stand out (colour is dropped off a terminal).
            state = state.fg(Color::Red);
            path = path.fg(Color::Red);
        }
        table.add_row([
            Cell::new(&s.entry.name),
            Cell::new(&s.entry.branch),
            state,
            Cell::new(dash_if_zero(s.changes)),
            Cell::new(dash_if_zero(s.ahead)),
            Cell::new(dash_if_zero(s.behind)),
            Cell::new(locked),
            Cell::new(s.last_commit_at.map_or_else(|| "-".into(), |t| age(t, now))),
            Cell::new(
                s.entry
                    .agent
                    .as_ref()
                    .map_or_else(|| "-".into(), |a| agent_label(a, now)),
            ),
            path,
            Cell::new(age(s.entry.created_at, now)),
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
