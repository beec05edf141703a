//! tmux: a session's agent in a window of its own (`new --tmux`,
//! `resume --all`), and the way back to it (`attach`, `watch`'s Enter).
//!
//! A window runs `sessions resume NAME`, so the agent starts exactly as
//! `resume` starts it (hooks, pid notes, the terminal put back), in the
//! window's terminal instead of ours.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::Workspace;
use super::agent::live_agents;
use crate::error::Failure;
use crate::process;
use crate::registry::Entry;
use crate::shell::quote;

/// The variables a window takes from the command that opens it rather than
/// from the tmux server, which may have started long ago with another
/// environment: those that decide which registry, configuration, Claude
/// settings and programs the agent sees.
const PASSED: &[&str] = &[
    "PATH",
    "HOME",
    "SESSIONS_CONFIG",
    "CLAUDE_CONFIG_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_NOSYSTEM",
];

/// Whether this process runs inside tmux (`$TMUX` names its server).
pub fn inside() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
}

/// A tmux window opened for a session's agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Its id, such as `@3`.
    pub id: String,
    /// The id of its pane, such as `%7`.
    pub pane: String,
}

/// A tmux pane where a session's agent can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pane {
    /// The server's socket, when the agent's environment told it.
    pub socket: Option<PathBuf>,
    /// The pane id, such as `%7`.
    pub id: String,
}

/// Opens a window named after ENTRY, working in its worktree, that runs
/// `sessions resume NAME RESUME_ARGS` on this tmux server; FOCUS makes it the
/// current window. A launch that fails keeps the window open until Enter, so
/// that its error can be read.
pub fn open_window(entry: &Entry, resume_args: &[String], focus: bool) -> Result<Window> {
    let exe = std::env::current_exe().context("cannot tell where sessions is installed")?;
    let mut words = vec![
        exe.to_string_lossy().into_owned(),
        "resume".into(),
        entry.name.clone(),
    ];
    words.extend(resume_args.iter().cloned());
    // tmux hands one string to the user's shell, which may be fish: a
    // plain `exec sh -c` line reads the same in every shell.
    let script = r#""$@" || { s=$?; printf '\n[sessions: exit code %s; Enter closes this window] ' "$s"; read -r _; }"#;
    let mut line = format!("exec /bin/sh -c {} sh", quote(script));
    for word in &words {
        line.push(' ');
        line.push_str(&quote(word));
    }
    let mut tmux = Command::new("tmux");
    tmux.arg("new-window");
    if !focus {
        tmux.arg("-d");
    }
    tmux.args(["-P", "-F", "#{window_id} #{pane_id}", "-n"])
        .arg(&entry.name)
        .arg("-c")
        .arg(&entry.path);
    for name in PASSED {
        if let Some(value) = std::env::var_os(name) {
            let mut pair = OsString::from(format!("{name}="));
            pair.push(value);
            tmux.arg("-e").arg(pair);
        }
    }
    tmux.arg(line);
    let printed = run(&mut tmux)
        .with_context(|| format!("cannot open a tmux window for session '{}'", entry.name))?;
    let mut ids = printed.split_whitespace();
    match (ids.next(), ids.next()) {
        (Some(id), Some(pane)) => Ok(Window {
            id: id.to_string(),
            pane: pane.to_string(),
        }),
        _ => bail!(
            "tmux opened a window for '{}' but did not say which",
            entry.name
        ),
    }
}

/// Where ENTRY's agent can be reached in tmux: the pane of a live agent
/// process (`TMUX_PANE` and `TMUX` in its environment), else, on this tmux
/// server, a window named after the session (one `new --tmux` opened, whose
/// agent may not have said its pid yet).
pub fn agent_pane(entry: &Entry) -> Option<Pane> {
    if let Some(agent) = &entry.agent {
        let snapshot = process::snapshot();
        for p in live_agents(agent, &snapshot, &entry.path) {
            if let Some(id) = process::environment_of(p.pid, "TMUX_PANE").filter(|i| !i.is_empty())
            {
                let socket = process::environment_of(p.pid, "TMUX").and_then(|t| socket_of(&t));
                return Some(Pane { socket, id });
            }
        }
    }
    let listed = run(Command::new("tmux").args([
        "list-panes",
        "-a",
        "-F",
        "#{window_name}\t#{pane_id}\t#{pane_current_path}",
    ]))
    .ok()?;
    let panes: Vec<(&str, &str)> = listed
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let (name, id, dir) = (fields.next()?, fields.next()?, fields.next()?);
            (name == entry.name).then_some((id, dir))
        })
        .collect();
    // Of several, the one working in the session's folder.
    let best = panes
        .iter()
        .find(|(_, dir)| Path::new(dir).starts_with(&entry.path))
        .or(panes.first())?;
    Some(Pane {
        socket: None,
        id: best.0.to_string(),
    })
}

/// Brings ENTRY's agent in front: inside tmux this client switches to its
/// pane; outside, this terminal attaches to it, and this returns once the
/// user detaches. Fails with a hint to `sessions resume NAME` when no pane
/// runs it.
pub fn attach(entry: &Entry) -> Result<Pane> {
    let Some(pane) = agent_pane(entry) else {
        bail!(
            Failure::error(format!(
                "session '{}' has no agent in a tmux window to switch to",
                entry.name
            ))
            .with_hint(format!("sessions resume {}", quote(&entry.name)))
        );
    };
    let mut tmux = Command::new("tmux");
    if let Some(socket) = &pane.socket {
        tmux.arg("-S").arg(socket);
    }
    if inside() {
        tmux.args(["switch-client", "-t", &pane.id]);
        run(&mut tmux)
            .with_context(|| format!("cannot switch to the agent of '{}'", entry.name))?;
    } else {
        // Attaching takes this terminal until the user detaches.
        tmux.args(["attach-session", "-t", &pane.id]);
        let status = tmux
            .status()
            .with_context(|| format!("cannot run tmux to attach to '{}'", entry.name))?;
        if !status.success() {
            bail!("tmux could not attach to the agent of '{}'", entry.name);
        }
    }
    Ok(pane)
}

/// What `resume --all` did with one session.
#[derive(Debug)]
pub enum Restart {
    /// Its agent starts in this new window.
    Opened { name: String, window: Window },
    /// Its agent still runs (pid): left alone.
    StillRuns { name: String, pid: u32 },
    /// Its folder is gone: nothing to start in.
    FolderGone { name: String },
    /// tmux could not open its window.
    Failed { name: String, error: anyhow::Error },
}

/// Restarts, each in a window of its own, every agent the registry says is
/// alive (working, waiting, idle, starting, running) but whose process is
/// gone: the agents that ran when the machine stopped. Refused outside tmux:
/// several interactive agents cannot share one terminal.
pub fn resume_all(ws: &Workspace) -> Result<Vec<Restart>> {
    if !inside() {
        bail!(
            Failure::usage(
                "resume --all opens a tmux window per agent, but this is not inside tmux"
            )
            .with_hint("tmux new-session 'sessions resume --all; exec \"$SHELL\"'")
        );
    }
    let snapshot = process::snapshot();
    let mut done = Vec::new();
    for entry in ws.registry.read()? {
        let Some(agent) = &entry.agent else { continue };
        if !agent.state.is_some_and(|s| s.claims_alive()) {
            continue;
        }
        let name = entry.name.clone();
        if let Some(p) = live_agents(agent, &snapshot, &entry.path).first() {
            done.push(Restart::StillRuns { name, pid: p.pid });
        } else if !entry.path.is_dir() {
            done.push(Restart::FolderGone { name });
        } else {
            done.push(match open_window(&entry, &[], false) {
                Ok(window) => Restart::Opened { name, window },
                Err(error) => Restart::Failed { name, error },
            });
        }
    }
    Ok(done)
}

/// The socket path in a `$TMUX` value (`SOCKET,PID,SESSION`).
fn socket_of(tmux: &str) -> Option<PathBuf> {
    let socket = tmux.rsplitn(3, ',').last()?;
    (!socket.is_empty()).then(|| PathBuf::from(socket))
}

/// Runs a tmux command; its output, or an error with what tmux said.
fn run(tmux: &mut Command) -> Result<String> {
    let out = tmux.output().context("cannot run tmux")?;
    if !out.status.success() {
        bail!("tmux: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_what_precedes_the_servers_pid_and_session() {
        assert_eq!(
            socket_of("/tmp/tmux-1000/default,4242,0"),
            Some(PathBuf::from("/tmp/tmux-1000/default"))
        );
        assert_eq!(
            socket_of("/tmp/a,b/sock,1,2"),
            Some(PathBuf::from("/tmp/a,b/sock"))
        );
        assert_eq!(socket_of(""), None);
    }
}
