//! Notifications (docs/notify.md): an agent that starts to wait, fails its
//! turn, or finishes a long one tells the person, once per change of state.
//! The hook finds the change under the registry lock and marks it decided
//! (`Agent::notified`), so a second hook of the same state tells no one;
//! then, without the lock, it reads `[notify]` and starts one detached
//! `sessions notify-send`, which runs the configured command and shows the
//! desktop notification. The hook waits for neither.

mod command;
mod desktop;

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use jiff::Timestamp;

use crate::config::{Config, NotifyOn};
use crate::git::Repo;
use crate::registry::{Agent, AgentState, Entry};

/// A change of an agent's state that may notify, found under the lock.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Change {
    state: AgentState,
    /// How long the agent had been working, when it now stops (idle).
    turn: Option<Duration>,
    /// When that work began, and when it ended (now).
    began: Option<Timestamp>,
    at: Timestamp,
}

/// Decides, for AGENT about to replace OLD, whether its state is one to tell
/// of and not yet told while it holds; marks it told either way. A new
/// state clears the mark of the last one.
pub(crate) fn change(old: Option<&Agent>, agent: &mut Agent, now: Timestamp) -> Option<Change> {
    let before = old.and_then(|a| a.state);
    if agent.state != before {
        agent.notified = None;
    }
    let state = agent.state.filter(|s| {
        matches!(
            s,
            AgentState::Waiting | AgentState::Error | AgentState::Idle
        )
    })?;
    if agent.notified == Some(state) {
        return None;
    }
    agent.notified = Some(state);
    // `updated_at` of a working agent is when it started working: the turn,
    // or what is left of it after an answered prompt.
    let began = match (before, state) {
        (Some(AgentState::Working), AgentState::Idle) => old.and_then(|a| a.updated_at),
        _ => None,
    };
    let turn = began.and_then(|since| Duration::try_from(now.duration_since(since)).ok());
    Some(Change {
        state,
        turn,
        began,
        at: now,
    })
}

/// Tells of CHANGE of ENTRY's agent as `[notify]` says, from a detached
/// process; DETAIL is what a waiting agent waits for, or what failed.
/// Never fails: a notification that cannot be given is not given.
pub(crate) fn dispatch(repo: &Repo, entry: &Entry, change: &Change, detail: Option<String>) {
    let Ok(config) = Config::load(repo.main_worktree()) else {
        return;
    };
    if !wanted(&config, change) {
        return;
    }
    // A project's command is held back until trusted (`trust::withhold_unapproved`).
    let command = config.notify_command.value.as_deref();
    let desktop = config.notify_desktop.value;
    if command.is_none() && !desktop {
        return;
    }
    let message = match change.state {
        AgentState::Idle => change.began.map_or_else(
            || "done".to_string(),
            |began| format!("done after {}", crate::output::age(began, change.at)),
        ),
        AgentState::Error => detail.unwrap_or_else(|| "its turn failed".into()),
        _ => detail.unwrap_or_else(|| "waiting for you".into()),
    };
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut path = OsString::from("--path=");
    path.push(&entry.path);
    let mut child = Command::new(exe);
    child
        .arg("notify-send")
        .arg(format!("--name={}", entry.name))
        .arg(format!("--repo={}", super::repo_name_of(repo)))
        .arg(format!("--state={}", change.state.as_str()))
        .arg(format!("--message={message}"))
        .arg(path);
    if desktop {
        child.arg("--desktop");
    }
    if let Some(command) = command {
        child.arg(format!("--command={command}"));
    }
    // Its own process group, no terminal streams: Claude neither waits for
    // it (it waits for the hook's output to close) nor signals it with the
    // hook; the hook exits and it goes on, adopted by init.
    let _ = child
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}

/// Whether `[notify] on` asks for CHANGE (an idle one only after a turn
/// longer than `idle_after`).
fn wanted(config: &Config, change: &Change) -> bool {
    let on = match change.state {
        AgentState::Waiting => NotifyOn::Waiting,
        AgentState::Error => NotifyOn::Error,
        AgentState::Idle => NotifyOn::Idle,
        _ => return false,
    };
    config.notify_on.value.contains(&on)
        && (on != NotifyOn::Idle || change.turn.is_some_and(|t| t >= config.idle_after()))
}

/// One notification, as `sessions notify-send` is given it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub name: String,
    pub repo: String,
    pub state: String,
    pub message: String,
    pub path: PathBuf,
    pub desktop: bool,
    pub command: Option<String>,
}

/// Gives NOTICE, in the detached process: unless the agent's terminal is in
/// front of the person, starts the command, shows the desktop notification
/// (given a few seconds at most), then waits for the command.
pub fn deliver(notice: &Notice) {
    if in_front() {
        return;
    }
    let child = notice
        .command
        .as_deref()
        .and_then(|c| command::spawn(c, notice).ok());
    if notice.desktop {
        let summary = match notice.state.as_str() {
            "waiting" => format!("{} waits", notice.name),
            "error" => format!("{} failed", notice.name),
            _ => format!("{} is done", notice.name),
        };
        let body = format!("{} · {}", notice.message, notice.repo);
        desktop::show(&summary, &body, Duration::from_secs(5));
    }
    if let Some(mut child) = child {
        let _ = child.wait();
    }
}

/// Whether the agent runs in the tmux pane a person looks at: the hook's
/// `TMUX_PANE` (Claude's, inherited) is the active pane of its session's
/// current window, and a client is attached to that session. Outside tmux
/// nothing tells which terminal has the person's eyes, so nothing is held
/// back (docs/notify.md).
fn in_front() -> bool {
    let (Some(_), Some(pane)) = (std::env::var_os("TMUX"), std::env::var("TMUX_PANE").ok()) else {
        return false;
    };
    let Ok(output) = Command::new("tmux")
        .args(["display-message", "-p", "-t", &pane])
        .arg("#{pane_active} #{window_active} #{session_attached}")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    output.status.success()
        && matches!(fields[..], ["1", "1", attached] if attached.parse().is_ok_and(|n: u32| n > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(state: AgentState, at: i64) -> Agent {
        let mut agent = Agent::new("claude");
        agent.state = Some(state);
        agent.updated_at = Some(Timestamp::from_second(at).unwrap());
        agent
    }

    #[test]
    fn each_state_is_told_once_while_it_holds() {
        let now = Timestamp::from_second(1000).unwrap();
        let working = agent(AgentState::Working, 100);
        let mut waiting = agent(AgentState::Waiting, 1000);
        let first = change(Some(&working), &mut waiting, now).unwrap();
        assert_eq!(first.state, AgentState::Waiting);
        // A second hook of the same state (Notification after PermissionRequest).
        let mut again = waiting.clone();
        assert_eq!(change(Some(&waiting), &mut again, now), None);
        // Working again, then waiting again: told again.
        let mut back = agent(AgentState::Working, 1000);
        assert_eq!(change(Some(&again), &mut back, now), None);
        assert_eq!(back.notified, None);
        let mut waits = agent(AgentState::Waiting, 1000);
        assert!(change(Some(&back), &mut waits, now).is_some());
    }

    #[test]
    fn the_turn_is_measured_from_when_work_began() {
        let now = Timestamp::from_second(1000).unwrap();
        let mut idle = agent(AgentState::Idle, 1000);
        let done = change(Some(&agent(AgentState::Working, 880)), &mut idle, now).unwrap();
        assert_eq!(done.turn, Some(Duration::from_secs(120)));
        let mut idle = agent(AgentState::Idle, 1000);
        let from_waiting = change(Some(&agent(AgentState::Waiting, 0)), &mut idle, now);
        assert_eq!(from_waiting.unwrap().turn, None);
    }

    #[test]
    fn idle_notifies_only_after_a_long_turn_and_only_what_on_names() {
        let mut config = Config::default();
        let idle = |secs: Option<u64>| Change {
            state: AgentState::Idle,
            turn: secs.map(Duration::from_secs),
            began: None,
            at: Timestamp::UNIX_EPOCH,
        };
        assert!(wanted(&config, &idle(Some(60))));
        assert!(!wanted(&config, &idle(Some(59))));
        assert!(!wanted(&config, &idle(None)));
        config.notify_on.value = vec![NotifyOn::Waiting];
        assert!(!wanted(&config, &idle(Some(600))));
        let error = Change {
            state: AgentState::Error,
            turn: None,
            began: None,
            at: Timestamp::UNIX_EPOCH,
        };
        assert!(!wanted(&config, &error));
    }
}
