//! `sessions status`: one line for a shell prompt or tmux's status bar.
//! It runs on every prompt, so it reads the registries and nothing else:
//! no git command, no process table, no Claude records. The states are
//! therefore as the hooks last reported them (`list` corrects them by the
//! live processes).

use anyhow::Result;

use super::json;
use crate::cli::StatusArgs;
use crate::error::Failure;
use crate::output;
use crate::registry::{AgentState, Entry, Registry};

/// How many sessions are in each group, and which ones need the user.
#[derive(Default)]
pub struct Tally {
    pub working: usize,
    pub waiting: Vec<String>,
    pub error: Vec<String>,
    pub idle: usize,
    pub exited: usize,
    pub total: usize,
}

impl Tally {
    /// Counts ENTRIES, naming them `REPO/NAME` when REPO is given.
    pub(super) fn add(&mut self, entries: &[Entry], repo: Option<&str>) {
        for e in entries {
            let name = || match repo {
                Some(repo) => format!("{repo}/{}", e.name),
                None => e.name.clone(),
            };
            self.total += 1;
            match e.agent.as_ref().and_then(|a| a.state) {
                Some(AgentState::Starting | AgentState::Running | AgentState::Working) => {
                    self.working += 1
                }
                Some(AgentState::Waiting) => self.waiting.push(name()),
                Some(AgentState::Error) => self.error.push(name()),
                Some(AgentState::Idle) => self.idle += 1,
                Some(AgentState::Exited) | None => self.exited += 1,
            }
        }
    }

    /// `2 working · 1 waiting: api-fix · 3 idle`: the groups with a live
    /// agent that are not empty; sessions without one are left out.
    fn line(&self) -> String {
        let mut parts = Vec::new();
        if self.working > 0 {
            parts.push(format!("{} working", self.working));
        }
        for (word, names) in [("waiting", &self.waiting), ("error", &self.error)] {
            if !names.is_empty() {
                parts.push(format!("{} {word}: {}", names.len(), names.join(", ")));
            }
        }
        if self.idle > 0 {
            parts.push(format!("{} idle", self.idle));
        }
        parts.join(" · ")
    }

    /// FORMAT with its placeholders filled in; an unknown one is a usage
    /// error, so a typo does not sit silently in a prompt.
    fn format(&self, format: &str) -> Result<String> {
        let mut out = String::new();
        let mut rest = format;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let key = &rest[open + 1..open + close];
            let value = match key {
                "working" => self.working.to_string(),
                "waiting" => self.waiting.len().to_string(),
                "waiting_names" => self.waiting.join(", "),
                "error" => self.error.len().to_string(),
                "error_names" => self.error.join(", "),
                "idle" => self.idle.to_string(),
                "exited" => self.exited.to_string(),
                "total" => self.total.to_string(),
                _ => {
                    return Err(Failure::usage(format!(
                        "unknown placeholder {{{key}}} in --format"
                    ))
                    .with_hint("sessions status --format '{working} working, {waiting} waiting'")
                    .into());
                }
            };
            out.push_str(&value);
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

pub fn run(args: StatusArgs) -> Result<()> {
    let here = std::env::current_dir()
        .ok()
        .and_then(|cwd| crate::git::Repo::discover(&cwd).ok());
    let mut tally = Tally::default();
    match here {
        Some(repo) if !args.all => tally.add(&Registry::new(repo.common_dir()).read()?, None),
        _ => all(&mut tally)?,
    }
    if args.json {
        return output::print_json(&json::Status::new(&tally));
    }
    // Nothing at all keeps a prompt clean where there are no sessions.
    if tally.total == 0 {
        return Ok(());
    }
    let line = match &args.format {
        Some(format) => tally.format(format)?,
        None => tally.line(),
    };
    if !line.is_empty() {
        println!("{line}");
    }
    Ok(())
}

/// Adds every indexed repository's sessions; one whose registry cannot be
/// read is named in a warning and skipped.
fn all(tally: &mut Tally) -> Result<()> {
    for known in super::indexed()?.repos {
        match Registry::new(&known.git_dir).read() {
            Ok(entries) => tally.add(&entries, Some(&known.short)),
            Err(e) => output::warn(format!("{}: {e:#}", known.short)),
        }
    }
    Ok(())
}
