use std::path::Path;

use anyhow::Result;
use jiff::Timestamp;

use super::json;
use crate::cli::ListArgs;
use crate::output::{self, Cell, Column, Keep, Style, Table, age, tilde};
use crate::registry::{Agent, AgentState};
use crate::session::size::Size;
use crate::session::{self, Summary, Workspace};

pub fn run(args: ListArgs) -> Result<()> {
    if args.all {
        return super::list_all::run(args);
    }
    let ws = Workspace::discover(super::TERMINAL)?;
    let mut sessions = session::list(&ws)?;
    if args.archived {
        sessions.retain(|s| s.entry.is_archived());
    }
    let sizes = match args.size {
        true => {
            let entries: Vec<_> = sessions.iter().map(|s| s.entry.clone()).collect();
            Some(session::size::sizes(&ws, &entries)?)
        }
        false => None,
    };
    if args.json {
        let list = json::List::new(&sessions);
        let list = match &sizes {
            Some(sizes) => list.with_sizes(sizes),
            None => list,
        };
        return output::print_json(&list);
    }
    if sessions.is_empty() && args.archived {
        eprintln!("No archived sessions; `sessions archive NAME` archives one.");
        return Ok(());
    }
    if sessions.is_empty() {
        eprintln!("No sessions yet; `sessions new NAME` creates one.");
        return Ok(());
    }
    let parent = ws.repo.home_dir().parent().map(Path::to_path_buf);
    let mut table = table(&sessions, &[], parent.as_deref(), current(&sessions));
    if let Some(sizes) = &sizes {
        table = table.with_column(Column::new("SIZE").drop(85), sizes_cells(sizes));
    }
    table.print(args.wide)
}

/// The table of SESSIONS, paths under PARENT (the repository's parent
/// folder) relative to it, the session whose folder is HERE marked; with
/// a REPO column when REPOS (one per session) are given.
///
/// Ranks, least important first: the path is cut (its end stays), long
/// names and branches are cut, the creation age goes, the branch and the
/// lock reason are cut further, the commit age, the port, the lock, the
/// path and the branch go, the name is cut further, and last the counts and
/// the agent go. NAME and STATE always show.
pub(super) fn table(
    sessions: &[Summary],
    repos: &[String],
    parent: Option<&Path>,
    here: Option<&Path>,
) -> Table {
    // A branch named as its session says nothing new: it goes first.
    let branch_rank = if sessions.iter().all(|s| s.entry.branch == s.entry.name) {
        5
    } else {
        60
    };
    let mut columns = vec![
        Column::new("NAME")
            .cut(12, 24, Keep::Start)
            .cut(62, 16, Keep::Start),
        Column::new("BRANCH")
            .cut(12, 24, Keep::Start)
            .cut(30, 12, Keep::Start)
            .drop(branch_rank),
        Column::new("STATE"),
        Column::new("CHANGES").drop(70),
        Column::new("AHEAD").drop(75),
        Column::new("BEHIND").drop(65),
        Column::new("LOCKED").cut(30, 8, Keep::Start).drop(50),
        Column::new("PORT").drop(45),
        Column::new("COMMIT").drop(40),
        Column::new("AGENT").drop(80),
        Column::new("PATH").cut(8, 16, Keep::End).drop(55),
        Column::new("AGE").drop(20),
    ];
    if !repos.is_empty() {
        columns.insert(0, Column::new("REPO").cut(12, 16, Keep::Start));
    }
    let mut table = Table::new(columns);
    let now = crate::clock::now();
    for (i, s) in sessions.iter().enumerate() {
        let dash_if_zero = |n: usize| if n == 0 { "-".into() } else { n.to_string() };
        let locked = match &s.locked {
            None => "-".to_string(),
            Some(reason) if reason.is_empty() => "locked".into(),
            Some(reason) => reason.clone(),
        };
        let row = row_style(s);
        let agent = s.entry.agent.as_ref();
        let waiting = agent.is_some_and(|a| a.state == Some(AgentState::Waiting));
        let agent_style = match agent.and_then(|a| a.state) {
            Some(AgentState::Waiting) => Style::Attention,
            Some(AgentState::Error) => Style::Alarm,
            _ => row,
        };
        let path = match parent.and_then(|p| s.entry.path.strip_prefix(p).ok()) {
            Some(rest) if !rest.as_os_str().is_empty() => rest.display().to_string(),
            _ => tilde(&s.entry.path),
        };
        let path = match s.sparse {
            true => format!("{path} (sparse)"),
            false => path,
        };
        let marked = here == Some(s.entry.path.as_path());
        let mut cells = vec![
            Cell::new(&s.entry.name).style(if waiting { Style::Bold } else { row }),
            Cell::new(&s.entry.branch).style(row),
            Cell::new(s.state()).style(row),
            Cell::new(dash_if_zero(s.changes)).style(row),
            Cell::new(dash_if_zero(s.ahead)).style(row),
            Cell::new(dash_if_zero(s.behind)).style(row),
            Cell::new(locked).style(row),
            Cell::new(s.entry.port.map_or_else(|| "-".into(), |p| p.to_string())).style(row),
            Cell::new(s.last_commit_at.map_or_else(|| "-".into(), |t| age(t, now))).style(row),
            Cell::new(agent.map_or_else(|| "-".into(), |a| agent_label(a, now))).style(agent_style),
            Cell::new(path).style(row),
            Cell::new(age(s.entry.created_at, now)).style(row),
        ];
        if let Some(repo) = repos.get(i) {
            cells.insert(0, Cell::new(repo).style(row));
        }
        table.marked_row(marked, cells);
    }
    table
}

/// The SIZE column: each session's whole size, `-` when its folder is gone.
fn sizes_cells(sizes: &[Option<Size>]) -> Vec<Cell> {
    sizes
        .iter()
        .map(|s| {
            Cell::new(
                s.as_ref()
                    .map_or_else(|| "-".into(), |s| output::bytes(s.total)),
            )
        })
        .collect()
}

/// Finished (`merged`), untouched (`empty`) and archived sessions fade; broken ones
/// (`missing`, `no branch`) are red.
fn row_style(s: &Summary) -> Style {
    match s.state() {
        "merged" | "empty" | "stale" | "archived" => Style::Dim,
        "missing" | "no branch" => Style::Alarm,
        _ => Style::Plain,
    }
}

/// The folder of the session the current folder is in, however deep.
pub(super) fn current(sessions: &[Summary]) -> Option<&Path> {
    let here = std::env::current_dir().ok()?;
    let here = here.canonicalize().unwrap_or(here);
    sessions
        .iter()
        .map(|s| {
            (
                s,
                s.entry.path.canonicalize().unwrap_or(s.entry.path.clone()),
            )
        })
        .filter(|(_, path)| here.starts_with(path))
        // A worktree may sit inside another session's folder: the deepest.
        .max_by_key(|(_, path)| path.components().count())
        .map(|(s, _)| s.entry.path.as_path())
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
