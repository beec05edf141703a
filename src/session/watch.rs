//! What `watch` shows, silently: each session's live state, ordered by what
//! needs the person first, refreshed in two halves of different cost. The
//! agent half (registry, Claude's live records, the process table) is cheap
//! and follows every hook; the git half (`git status`, ahead/behind) runs
//! per worktree, only when its files changed; the radar's warnings run on
//! the git half's schedule.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use jiff::{SignedDuration, Timestamp};

use super::status::{self, Summary};
use super::{Workspace, conflicts};
use crate::git::Batch;
use crate::registry::{Agent, AgentState, Entry};
use crate::{claude, process};

/// How long an agent that finished a turn still counts as "just finished".
pub const RECENT: SignedDuration = SignedDuration::from_mins(10);

/// Why a session needs the person, most urgent first: the sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attention {
    Waiting,
    Error,
    /// Idle after a turn that ended less than `RECENT` ago.
    Finished,
    Working,
    Rest,
}

impl Attention {
    pub fn of(agent: Option<&Agent>, now: Timestamp) -> Attention {
        let Some(agent) = agent else {
            return Attention::Rest;
        };
        match agent.state {
            Some(AgentState::Waiting) => Attention::Waiting,
            Some(AgentState::Error) => Attention::Error,
            Some(AgentState::Idle)
                if agent
                    .updated_at
                    .is_some_and(|at| now.duration_since(at) < RECENT) =>
            {
                Attention::Finished
            }
            Some(AgentState::Working | AgentState::Starting | AgentState::Running) => {
                Attention::Working
            }
            _ => Attention::Rest,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Attention::Waiting => "waiting",
            Attention::Error => "error",
            Attention::Finished => "finished",
            Attention::Working => "working",
            Attention::Rest => "rest",
        }
    }

    /// A transition into this deserves the bell (and a JSON reader's eye).
    pub fn alarms(self) -> bool {
        matches!(self, Attention::Waiting | Attention::Error)
    }
}

/// One session of one repository as `watch` shows it.
#[derive(Debug, Clone)]
pub struct Row {
    /// The repository's short name with `--all`, else empty.
    pub repo: String,
    pub summary: Summary,
    /// The conflict radar's warnings about this session.
    pub warnings: Vec<String>,
}

impl Row {
    pub fn attention(&self, now: Timestamp) -> Attention {
        Attention::of(self.summary.entry.agent.as_ref(), now)
    }

    pub fn name(&self) -> &str {
        &self.summary.entry.name
    }
}

/// Sorts ROWS by attention; the longest waiting (or failed) first among
/// those; then by repository and name, stable across refreshes.
pub fn sort(rows: &mut [Row], now: Timestamp) {
    rows.sort_by(|a, b| {
        let since = |r: &Row| match r.attention(now) {
            Attention::Waiting | Attention::Error => {
                r.summary.entry.agent.as_ref().and_then(|a| a.updated_at)
            }
            _ => None,
        };
        a.attention(now)
            .cmp(&b.attention(now))
            .then_with(|| since(a).cmp(&since(b)))
            .then_with(|| a.repo.cmp(&b.repo))
            .then_with(|| a.name().cmp(b.name()))
    });
}

/// Every registry entry of WS with its agent's live view: the cheap half,
/// no git.
pub fn agents(ws: &Workspace) -> Result<Vec<Entry>> {
    let snapshot = process::snapshot();
    let live = claude::live_records();
    Ok(ws
        .registry
        .read()?
        .into_iter()
        .map(|mut entry| {
            entry.agent = super::agent_view(&entry, &snapshot, &live);
            entry
        })
        .collect())
}

/// ENTRY's git half, alone (one worktree changed).
pub fn summarize(ws: &Workspace, entry: Entry) -> Result<Summary> {
    let worktrees = ws.repo.worktrees()?;
    status::summarize(&ws.repo, &worktrees, entry, Batch::Alone)
}

/// Every session of WS, both halves (the first view).
pub fn summarize_all(ws: &Workspace) -> Result<Vec<Summary>> {
    super::list(ws)
}

/// The folders whose changes change a session's git state: its worktree
/// and git's admin folder of it (HEAD, its reflog), by session name.
pub fn watched_folders(ws: &Workspace) -> Result<Vec<(String, Vec<PathBuf>)>> {
    let worktrees = ws.repo.worktrees()?;
    Ok(ws
        .registry
        .read()?
        .into_iter()
        // An archived session has no folder to watch.
        .filter(|entry| !entry.is_archived())
        .map(|entry| {
            let mut folders = vec![entry.path.clone()];
            let admin = worktrees
                .iter()
                .find(|w| w.path == entry.path)
                .and_then(|w| w.admin_name.as_ref());
            if let Some(admin) = admin {
                folders.push(ws.repo.common_dir().join("worktrees").join(admin));
            }
            (entry.name, folders)
        })
        .collect())
}

/// The conflict radar's warnings, by session: conflicts predicted with
/// another session or the base, and operations stopped on conflicts.
pub fn warnings(ws: &Workspace) -> Result<BTreeMap<String, Vec<String>>> {
    let radar = conflicts(ws, &[])?;
    let mut warnings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in radar.pairs.iter().filter(|p| !p.conflicts.is_empty()) {
        let with = |other: &str| format!("conflicts: {other}");
        warnings
            .entry(pair.a.clone())
            .or_default()
            .push(with(&pair.b));
        if pair.b != conflicts::BASE {
            warnings
                .entry(pair.b.clone())
                .or_default()
                .push(with(&pair.a));
        }
    }
    for stopped in &radar.in_progress {
        warnings
            .entry(stopped.name.clone())
            .or_default()
            .push(format!(
                "{} stopped on {} conflicts",
                stopped.operation.word(),
                stopped.conflicts.len()
            ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(state: AgentState, ago: i64) -> Agent {
        let mut agent = Agent::new("claude");
        agent.state = Some(state);
        agent.updated_at = Some(Timestamp::from_second(1_000_000 - ago).unwrap());
        agent
    }

    #[test]
    fn waiting_comes_first_then_errors_then_fresh_idles_then_work() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let of = |state, ago| Attention::of(Some(&agent(state, ago)), now);
        let mut seen = vec![
            of(AgentState::Exited, 5),
            of(AgentState::Idle, 3600),
            of(AgentState::Working, 5),
            of(AgentState::Idle, 5),
            of(AgentState::Error, 5),
            of(AgentState::Waiting, 5),
            Attention::of(None, now),
        ];
        seen.sort();
        assert_eq!(
            seen,
            [
                Attention::Waiting,
                Attention::Error,
                Attention::Finished,
                Attention::Working,
                Attention::Rest,
                Attention::Rest,
                Attention::Rest,
            ]
        );
    }
}
